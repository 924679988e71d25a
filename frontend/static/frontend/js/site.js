// The page's own socket: site announcements, personal notifications, and the end of a session.
import { addHijriDates } from "./format.js";

addHijriDates();
document.addEventListener("htmx:afterSwap", (event) => addHijriDates(event.target));
const RETRY_MAX_MS = 30000;

// One toast at a time: a new one replaces the last. A page may show it its own way instead
// (the lot page puts it in its panel, so nothing floats over the bid button): it cancels the
// `mazad:toast` event.
function toast(text, lot = null) {
  const claimed = !document.dispatchEvent(
    new CustomEvent("mazad:toast", { detail: { text, lot }, cancelable: true }),
  );
  const box = document.getElementById("toasts");
  if (claimed || !box) return;
  const el = document.createElement("div");
  el.className = "toast show align-items-center text-bg-dark border-0";
  el.setAttribute("role", "status");
  const body = document.createElement("div");
  body.className = "toast-body";
  body.textContent = text;
  el.appendChild(body);
  box.replaceChildren(el);
  setTimeout(() => el.remove(), 8000);
}

function connect(attempt = 0) {
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  const socket = new WebSocket(`${scheme}://${location.host}/ws/me/`);
  const lang = document.documentElement.lang;
  socket.addEventListener("open", () => { attempt = 0; });
  socket.addEventListener("message", (event) => {
    const frame = JSON.parse(event.data);
    if (frame.type === "announcement") {
      toast(lang === "ar" ? frame.text_ar : frame.text_en);
    } else if (frame.type === "notification") {
      toast(frame.text || "", frame.lot ?? null);
      document.dispatchEvent(new CustomEvent("mazad:notification", { detail: frame }));
    } else if (frame.type === "session_ended") {
      location.reload();
    }
  });
  socket.addEventListener("close", (event) => {
    if (event.code === 4001) return;
    const delay = Math.min(RETRY_MAX_MS, 1000 * 2 ** attempt) * (0.5 + Math.random() / 2);
    setTimeout(() => connect(attempt + 1), delay);
  });
}

if (document.body.dataset.user !== undefined) connect();

// Behaviours declared in the markup (no inline handlers: the Content Security Policy forbids them).
document.addEventListener("change", (event) => {
  const target = event.target;
  if (!(target instanceof HTMLElement)) return;
  if (target.hasAttribute("data-submit-on-change") && target.form) target.form.submit();
  const href = target.getAttribute("data-href-on-change");
  if (href !== null) window.location.assign(href);
});

// After an action the page tells its outcome first: the focus starts on the messages, or else on
// the outcome the page shows of itself (a card payment being confirmed, received or declined).
// When htmx replaces an outcome with the next one, it gives the focus to the new one (same id).
(document.querySelector("[data-messages]") ?? document.querySelector("[data-outcome]"))?.focus();

// A table wider than its box scrolls inside it (the page itself never scrolls sideways): the box
// then takes the keyboard's focus, so it can be scrolled without a mouse.
function focusableScrollBoxes() {
  for (const box of document.querySelectorAll(".table-responsive")) {
    if (box.scrollWidth > box.clientWidth + 1) box.tabIndex = 0;
    else box.removeAttribute("tabindex");
  }
}
focusableScrollBoxes();
window.addEventListener("resize", focusableScrollBoxes);
document.addEventListener("htmx:afterSwap", focusableScrollBoxes);

// The installable app's service worker (frontend/app.py): the offline page and notifications.
// It is told the reader's language, so that the offline page speaks it.
if ("serviceWorker" in navigator && document.body.dataset.serviceWorker) {
  navigator.serviceWorker.register(document.body.dataset.serviceWorker, { scope: "/" }).catch(() => {});
  navigator.serviceWorker.ready.then((registration) => {
    registration.active?.postMessage({ type: "language", language: document.documentElement.lang });
  });
}
