// Web push on this device: the profile page's switch, the subscription kept in step with the
// server (a new key, a renewed subscription), and dropped when its owner logs out.
const body = document.body;
const key = body.dataset.pushKey;
const endpointUrl = body.dataset.pushUrl;
const marker = `mazad-push:${body.dataset.pushUser}`;
const supported = "serviceWorker" in navigator && "PushManager" in window && "Notification" in window;

function csrfToken() {
  return document.querySelector("input[name=csrfmiddlewaretoken]")?.value ?? "";
}

function keyBytes(text) {
  const base64 = (text + "=".repeat((4 - (text.length % 4)) % 4)).replace(/-/g, "+").replace(/_/g, "/");
  return Uint8Array.from(atob(base64), (char) => char.charCodeAt(0));
}

function madeWithOurKey(subscription) {
  const used = subscription.options?.applicationServerKey;
  if (!used) return true; // a browser that does not say: the server checks
  const ours = keyBytes(key);
  const theirs = new Uint8Array(used);
  return theirs.length === ours.length && theirs.every((byte, index) => byte === ours[index]);
}

async function send(method, payload) {
  const answer = await fetch(endpointUrl, {
    method,
    credentials: "same-origin",
    headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
    body: JSON.stringify(payload),
  });
  if (!answer.ok) throw new Error(`push subscription ${answer.status}`);
}

async function current() {
  const registration = await navigator.serviceWorker.ready;
  return registration.pushManager.getSubscription();
}

async function turnOn() {
  if ((await Notification.requestPermission()) !== "granted") throw new Error("denied");
  const registration = await navigator.serviceWorker.ready;
  let subscription = await registration.pushManager.getSubscription();
  if (subscription && !madeWithOurKey(subscription)) {
    await subscription.unsubscribe();
    subscription = null;
  }
  subscription ??= await registration.pushManager.subscribe({
    userVisibleOnly: true,
    applicationServerKey: keyBytes(key),
  });
  await send("POST", subscription.toJSON());
  localStorage.setItem(marker, `${subscription.endpoint} ${key}`);
}

async function turnOff() {
  localStorage.removeItem(marker);
  const subscription = await current();
  if (!subscription) return;
  await send("DELETE", { endpoint: subscription.endpoint }).catch(() => {});
  await subscription.unsubscribe();
}

async function isOn() {
  if (Notification.permission !== "granted" || localStorage.getItem(marker) === null) return false;
  return (await current()) !== null;
}

// A person who turned notifications on here keeps them when the browser renews its
// subscription or the site's key changes; nobody else's account ever takes them over.
async function keepInStep() {
  if (Notification.permission !== "granted" || localStorage.getItem(marker) === null) return;
  const subscription = await current();
  if (!subscription || !madeWithOurKey(subscription)) {
    await turnOn();
  } else if (localStorage.getItem(marker) !== `${subscription.endpoint} ${key}`) {
    await send("POST", subscription.toJSON());
    localStorage.setItem(marker, `${subscription.endpoint} ${key}`);
  }
}

function setUpSwitch(section) {
  const toggle = section.querySelector("[data-push-toggle]");
  const status = section.querySelector("[data-push-status]");
  const say = (name) => { status.textContent = section.dataset[name] ?? ""; };
  if (!supported) {
    say("textUnsupported");
    return;
  }
  isOn().then((on) => {
    toggle.checked = on;
    toggle.disabled = false;
    if (Notification.permission === "denied") say("textDenied");
  });
  toggle.addEventListener("change", async () => {
    toggle.disabled = true;
    try {
      if (toggle.checked) {
        await turnOn();
        say("textOn");
      } else {
        await turnOff();
        say("textOff");
      }
    } catch (error) {
      toggle.checked = await isOn().catch(() => false);
      say(Notification.permission === "denied" ? "textDenied" : "textFailed");
    } finally {
      toggle.disabled = false;
    }
  });
}

if (supported && key) {
  keepInStep().catch(() => {});
  // Logging out stops this device's notifications first (at most two seconds' wait).
  document.addEventListener("submit", (event) => {
    const form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.hasAttribute("data-logout")) return;
    if (localStorage.getItem(marker) === null || form.dataset.pushDropped) return;
    event.preventDefault();
    form.dataset.pushDropped = "1";
    const timeout = new Promise((resolve) => { setTimeout(resolve, 2000); });
    Promise.race([turnOff(), timeout]).catch(() => {}).finally(() => form.submit());
  });
}
const section = document.querySelector("[data-push]");
if (section && key) setUpSwitch(section);
