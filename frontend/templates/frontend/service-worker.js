{% autoescape off %}// Mazad's service worker: an offline page when a page cannot be reached, and push notifications.
// It keeps no page anyone sees: every page, JSON answer and socket comes from the network, so
// amounts and bids are always live. Only the offline page and the files it needs are kept.
const CONFIG = {{ config }};
const CACHE = `mazad-offline-${CONFIG.version}`;
// What the pages tell the worker: the reader's language, for the offline page.
const STATE = "mazad-state";
const LANGUAGE_KEY = "/__mazad/language";

self.addEventListener("install", (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(CACHE);
    // Without cookies: the offline page is the same for everyone and holds no one's data.
    await cache.addAll(
      CONFIG.precache.map((url) => new Request(url, { credentials: "omit", cache: "reload" })),
    );
    await self.skipWaiting();
  })());
});

self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) {
      if (name.startsWith("mazad-offline-") && name !== CACHE) await caches.delete(name);
    }
    if (self.registration.navigationPreload) await self.registration.navigationPreload.enable();
    await self.clients.claim();
  })());
});

self.addEventListener("message", (event) => {
  const message = event.data || {};
  if (message.type === "language" && Object.hasOwn(CONFIG.offline, message.language)) {
    event.waitUntil(
      caches.open(STATE).then((cache) => cache.put(LANGUAGE_KEY, new Response(message.language))),
    );
  }
});

async function readerLanguage() {
  const stored = await (await caches.open(STATE)).match(LANGUAGE_KEY);
  const language = stored ? await stored.text() : "";
  if (Object.hasOwn(CONFIG.offline, language)) return language;
  const browser = (self.navigator.language || "").slice(0, 2);
  return Object.hasOwn(CONFIG.offline, browser) ? browser : CONFIG.default_language;
}

async function offlinePage() {
  const cache = await caches.open(CACHE);
  const page = await cache.match(CONFIG.offline[await readerLanguage()]);
  return page || Response.error();
}

async function navigate(event) {
  try {
    const preloaded = await event.preloadResponse;
    if (preloaded) return preloaded;
    return await fetch(event.request);
  } catch {
    return offlinePage();
  }
}

// The offline page's own files: from the network while it answers, else the kept copy.
async function offlineAsset(request) {
  try {
    return await fetch(request);
  } catch {
    const kept = await (await caches.open(CACHE)).match(request, { ignoreSearch: true });
    return kept || Response.error();
  }
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.mode === "navigate") {
    event.respondWith(navigate(event));
  } else if (CONFIG.precache.includes(url.pathname)) {
    event.respondWith(offlineAsset(request));
  }
  // Anything else (JSON, the API, uploads, sockets) is left to the browser, untouched.
});

self.addEventListener("push", (event) => {
  let message = {};
  try {
    message = event.data ? event.data.json() : {};
  } catch {
    message = { body: event.data.text() };
  }
  event.waitUntil(self.registration.showNotification(message.title || "Mazad", {
    body: message.body || "",
    lang: message.lang || "",
    dir: message.dir || "auto",
    icon: CONFIG.icon,
    data: { url: message.url || "/" },
  }));
});

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  let target = new URL((event.notification.data && event.notification.data.url) || "/", self.location.origin);
  if (target.origin !== self.location.origin) target = new URL("/", self.location.origin);
  event.waitUntil((async () => {
    const windows = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
    const open = windows.find((client) => client.url === target.href);
    if (open) return open.focus();
    return self.clients.openWindow(target.href);
  })());
});
{% endautoescape %}
