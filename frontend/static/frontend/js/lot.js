// The live lot page: one WebSocket per lot, events ordered by the lot's sequence number.
//
// The server sends a snapshot on connect; afterwards every frame carries `seq`.
// Frames at or below the seq we hold are stale and dropped; a frame beyond the
// next one means we missed something, so we ask to resume from our seq and
// hold later frames until the replay arrives. The page reconnects by itself
// with backoff and jitter, and always shows its connection state.

import { moneyFormatter } from "./format.js";

const root = document.getElementById("lot-live");
if (root) start(root);

function start(root) {
  const lotId = root.dataset.lot;
  const exponent = Number(root.dataset.exponent);
  const currency = root.dataset.currency;
  const locale = document.documentElement.lang === "ar" ? "ar" : "en";
  const premiumBp = Number(root.dataset.premiumBp || 0);
  const vatBp = Number(root.dataset.vatBp || 0);
  const vatOnPrice = root.dataset.vatBase === "PRICE_AND_PREMIUM";
  const text = JSON.parse(document.getElementById("lot-text").textContent);
  const $ = (name) => root.querySelector(`[data-live="${name}"]`);

  const state = { seq: -1, lot: null, you: null, bids: [], offsetMs: 0, pending: false, held: [] };
  let socket = null;
  let attempt = 0;
  let pingTimer = null;
  // The bid awaiting its answer; sent again (same client id) while the database is away.
  let pendingBid = null;
  const RETRY_UNAVAILABLE = 5;

  // --- money: integers in minor units, written as the server writes them (format.js) ----
  const money = moneyFormatter(currency, exponent, locale);
  const toMinor = (typed) => {
    const cleaned = String(typed).trim().replace(/[٠-٩]/g, (d) => "٠١٢٣٤٥٦٧٨٩".indexOf(d))
      .replace(/٫/g, ".").replace(/[,\s٬]/g, "");
    if (!/^\d+(\.\d+)?$/.test(cleaned)) return null;
    const [whole, fraction = ""] = cleaned.split(".");
    if (fraction.length > exponent) return null;
    return Number(whole) * 10 ** exponent + Number((fraction + "0".repeat(exponent)).slice(0, exponent) || 0);
  };
  const percent = (minor, bp) => Math.ceil((minor * bp) / 10000);
  const totalOwed = (price) => {
    const premium = percent(price, premiumBp);
    const vat = percent(vatOnPrice ? price + premium : premium, vatBp);
    return { premium, vat, total: price + premium + vat };
  };

  // --- connection -------------------------------------------------------------------------
  function setConnection(status) {
    const badge = $("connection");
    badge.dataset.status = status;
    badge.textContent = text.connection[status];
  }

  function connect() {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    socket = new WebSocket(`${scheme}://${location.host}/ws/lots/${lotId}/`);
    setConnection(attempt ? "reconnecting" : "connecting");
    socket.addEventListener("open", () => {
      attempt = 0;
      setConnection("live");
      clearInterval(pingTimer);
      pingTimer = setInterval(() => send({ type: "ping" }), 20000);
    });
    socket.addEventListener("message", (event) => receive(JSON.parse(event.data)));
    socket.addEventListener("close", (event) => {
      clearInterval(pingTimer);
      if (event.code === 4001) { setConnection("ended"); return; }
      if (event.code === 4004) { setConnection("offline"); return; }
      setConnection("reconnecting");
      attempt += 1;
      const delay = Math.min(15000, 500 * 2 ** Math.min(attempt, 5)) * (0.5 + Math.random());
      setTimeout(connect, delay);
    });
  }

  function send(message) {
    if (socket && socket.readyState === WebSocket.OPEN) {
      socket.send(JSON.stringify(message));
      return true;
    }
    return false;
  }

  // --- events -----------------------------------------------------------------------------
  function receive(frame) {
    switch (frame.type) {
      case "batch": frame.events.forEach(receive); return;
      case "snapshot": applySnapshot(frame); return;
      case "replay": applyReplay(frame); return;
      case "resync": askResume(true); return;
      case "pong": syncClock(frame.server_time); return;
      case "bid_result": case "auto_bid_result": showResult(frame); return;
      case "error": showMessage(frame.error.message, "danger"); return;
      case "session_ended": showMessage(text.sessionEnded, "warning"); return;
      case "outbid": case "you_lead": case "you_won": case "deposit_held": personal(frame); return;
      default: ordered(frame);
    }
  }

  function ordered(frame) {
    if (state.seq < 0) { state.held.push(frame); return; }
    if (frame.type === "bid_accepted") {
      if (frame.seq <= state.seq) return; // stale or a duplicate from another process
      if (frame.seq > state.seq + 1) { state.held.push(frame); askResume(); return; }
      applyBid(frame);
    } else {
      if (frame.seq < state.seq) return;
      if (frame.seq > state.seq) { state.held.push(frame); askResume(); return; }
      applyState(frame);
    }
    render();
  }

  function askResume(full = false) {
    if (state.pending) return;
    state.pending = true;
    if (!send({ type: "resume", seq: full ? 0 : Math.max(state.seq, 0) })) state.pending = false;
  }

  function syncClock(serverTime) {
    if (serverTime) state.offsetMs = Date.parse(serverTime) - Date.now();
  }

  function applySnapshot(frame) {
    state.lot = frame; state.you = frame.you; state.seq = frame.seq;
    state.bids = frame.bids || [];
    syncClock(frame.server_time);
    state.pending = false;
    flushHeld();
    render();
  }

  function applyReplay(frame) {
    frame.events.forEach((event) => { if (event.seq === state.seq + 1) applyBid(event); });
    Object.assign(state.lot, frame.state);
    if (frame.you) state.you = frame.you;
    state.seq = frame.seq;
    syncClock(frame.state.server_time);
    state.pending = false;
    flushHeld();
    render();
  }

  function flushHeld() {
    const held = state.held.sort((a, b) => a.seq - b.seq);
    state.held = [];
    held.forEach(ordered);
  }

  function applyBid(frame) {
    state.seq = frame.seq;
    if (frame.is_annulled) return;
    state.bids.unshift(frame);
    state.bids = state.bids.slice(0, 20);
    Object.assign(state.lot, {
      price_minor: frame.amount_minor, seq: frame.seq,
      bid_count: (state.lot.bid_count || 0) + 1, leader_paddle: frame.paddle,
      next_minimum_minor: frame.next_minimum_minor ?? state.lot.next_minimum_minor,
    });
    if (state.you && state.you.registered) {
      const wasLeading = state.you.is_leading;
      state.you.is_leading = frame.paddle === state.you.paddle;
      if (wasLeading && !state.you.is_leading) announce(text.outbid);
    }
    announce(text.newBid.replace("%(amount)s", money(frame.amount_minor))
      .replace("%(paddle)s", frame.paddle));
  }

  function applyState(frame) {
    if (frame.type === "lot_extended") {
      state.lot.ends_at = frame.ends_at;
      syncClock(frame.server_time);
      showMessage(frame.reason === "outage" ? text.extendedOutage : text.extended, "info");
    } else if (frame.type === "lot_opened") {
      Object.assign(state.lot, { status: "OPEN", ends_at: frame.ends_at });
    } else if (frame.type === "lot_closed") {
      Object.assign(state.lot, { status: frame.status, outcome: frame.outcome });
      announce(frame.status === "SOLD" ? text.sold.replace("%(paddle)s", frame.winner_paddle) : text.unsold);
    } else if (frame.type === "lot_withdrawn") {
      Object.assign(state.lot, { status: "WITHDRAWN" });
      showMessage(text.withdrawn, "warning");
    }
  }

  function personal(frame) {
    if (frame.type === "outbid") { showMessage(text.outbid, "warning"); if (state.you) state.you.is_leading = false; }
    if (frame.type === "you_lead") { if (state.you) state.you.is_leading = true; }
    if (frame.type === "you_won") showMessage(text.youWon, "success");
    if (frame.type === "deposit_held") { if (state.you) state.you.deposit_status = "HELD"; showMessage(text.depositHeld, "success"); }
    render();
  }

  // --- rendering --------------------------------------------------------------------------
  function render() {
    const lot = state.lot;
    if (!lot) return;
    $("price").textContent = money(lot.price_minor ?? null);
    $("price-label").textContent = lot.price_minor ? text.currentPrice : text.openingPrice;
    if (!lot.price_minor) $("price").textContent = money(lot.opening_minor);
    $("next-minimum").textContent = money(lot.next_minimum_minor);
    $("bid-count").textContent = lot.bid_count;
    $("status").textContent = text.status[lot.status] || lot.status;
    $("status").dataset.status = lot.status;
    const owed = totalOwed(lot.price_minor || lot.opening_minor);
    $("owed-premium").textContent = money(owed.premium);
    $("owed-vat").textContent = money(owed.vat);
    $("owed-total").textContent = money(owed.total);
    const list = $("bids");
    list.replaceChildren(...state.bids.map((bid) => {
      const item = document.createElement("li");
      item.className = "list-group-item d-flex justify-content-between align-items-center";
      const who = document.createElement("span");
      who.innerHTML = `<span class="badge text-bg-light border">#${Number(bid.paddle)}</span>`
        + (bid.source === "AUTOMATIC" ? ` <small class="text-secondary">${text.automatic}</small>` : "")
        + (state.you && bid.paddle === state.you.paddle ? ` <small class="text-success">${text.you}</small>` : "");
      const amount = document.createElement("span");
      amount.className = "num fw-semibold";
      amount.textContent = money(bid.amount_minor);
      item.append(who, amount);
      return item;
    }));
    if (!state.bids.length) {
      const empty = document.createElement("li");
      empty.className = "list-group-item text-secondary";
      empty.textContent = text.noBids;
      list.append(empty);
    }
    renderYou();
    tick();
  }

  function renderYou() {
    const you = state.you;
    const panel = $("you");
    const canBid = you && you.registered && you.deposit_status === "HELD" && state.lot.status === "OPEN";
    root.querySelectorAll("[data-needs-bidder]").forEach((el) => { el.hidden = !canBid; });
    if (!you) { panel.dataset.standing = "anonymous"; panel.textContent = text.standing.anonymous; return; }
    if (!you.registered) { panel.dataset.standing = "unregistered"; panel.textContent = text.standing.unregistered; return; }
    if (you.deposit_status !== "HELD") { panel.dataset.standing = "deposit"; panel.textContent = text.standing.deposit; return; }
    const standing = you.is_leading ? "leading" : (you.has_bid ? "outbid" : "ready");
    panel.dataset.standing = standing;
    panel.textContent = text.standing[standing].replace("%(paddle)s", you.paddle);
    const auto = $("auto-current");
    if (auto) auto.textContent = you.auto_max_minor ? money(you.auto_max_minor) : text.none;
    const reserve = root.querySelector("[name=keep_deposit_reserved]");
    if (reserve) reserve.closest(".form-check").hidden = you.keep_deposit_reserved !== null && you.keep_deposit_reserved !== undefined;
  }

  function tick() {
    const lot = state.lot;
    if (!lot) return;
    const now = Date.now() + state.offsetMs;
    const left = Date.parse(lot.ends_at) - now;
    const el = $("countdown");
    el.dataset.kind = lot.status === "SCHEDULED" ? "date" : "time";
    if (lot.status === "SCHEDULED") { el.textContent = root.dataset.opensText || text.opensAt; return; }
    if (lot.status !== "OPEN") { el.textContent = text.ended; return; }
    if (left <= 0) { el.textContent = text.closing; return; }
    const seconds = Math.floor(left / 1000);
    const d = Math.floor(seconds / 86400), h = Math.floor((seconds % 86400) / 3600);
    const m = Math.floor((seconds % 3600) / 60), s = seconds % 60;
    const pad = (n) => String(n).padStart(2, "0");
    el.textContent = (d ? `${d} ${text.days} ` : "") + `${pad(h)}:${pad(m)}:${pad(s)}`;
    el.dataset.urgent = left < 180000 ? "1" : "0";
  }
  setInterval(tick, 250);

  const live = $("announce");
  function announce(message) { live.textContent = message; }

  function showMessage(message, kind) {
    const box = $("messages");
    const alert = document.createElement("div");
    alert.className = `alert alert-${kind} py-2 mb-2`;
    alert.setAttribute("role", kind === "danger" ? "alert" : "status");
    alert.textContent = message;
    box.prepend(alert);
    setTimeout(() => alert.remove(), 8000);
  }

  function retryLater(frame) {
    if (frame.type !== "bid_result" || !frame.error || frame.error.code !== "service_unavailable") return false;
    if (!pendingBid || pendingBid.message.client_id !== frame.client_id) return false;
    if (pendingBid.tries >= RETRY_UNAVAILABLE) return false;
    pendingBid.tries += 1;
    setConnection("reconnecting");
    setTimeout(() => { if (pendingBid && !send(pendingBid.message)) pendingBid = null; }, 1000 * pendingBid.tries);
    return true;
  }

  function showResult(frame) {
    if (retryLater(frame)) return;
    if (socket && socket.readyState === WebSocket.OPEN) setConnection("live");
    pendingBid = null;
    const button = root.querySelector("[data-pending]");
    if (button) { button.disabled = false; delete button.dataset.pending; }
    if (frame.accepted) {
      if (state.you && frame.seq) state.you.has_bid = true;
      if (frame.type === "auto_bid_result") showMessage(text.autoSaved, "success");
      else showMessage(text.accepted.replace("%(amount)s", money(frame.amount_minor)).replace("%(seq)s", frame.seq), "success");
      if (state.you && frame.type === "bid_result" && state.you.keep_deposit_reserved == null) {
        const reserve = root.querySelector("[name=keep_deposit_reserved]");
        state.you.keep_deposit_reserved = reserve ? reserve.checked : false;
      }
    } else {
      showMessage(frame.error.message, "danger");
    }
    render();
  }

  // --- bidding ----------------------------------------------------------------------------
  function placeBid(amountMinor, button) {
    if (!state.lot) return;
    const owed = totalOwed(amountMinor);
    const question = text.confirm.replace("%(amount)s", money(amountMinor)).replace("%(total)s", money(owed.total));
    if (!window.confirm(question)) return;
    const reserve = root.querySelector("[name=keep_deposit_reserved]");
    const message = { type: "bid", amount_minor: amountMinor, client_id: crypto.randomUUID() };
    if (state.you && state.you.keep_deposit_reserved == null && reserve) message.keep_deposit_reserved = reserve.checked;
    if (!send(message)) { showMessage(text.notConnected, "danger"); return; }
    pendingBid = { message, tries: 0 };
    button.disabled = true;
    button.dataset.pending = "1";
  }

  root.querySelector("[data-action=bid-minimum]")?.addEventListener("click", (event) => {
    placeBid(state.lot.next_minimum_minor, event.currentTarget);
  });
  root.querySelector("[data-action=bid-custom]")?.addEventListener("submit", (event) => {
    event.preventDefault();
    const input = event.currentTarget.querySelector("input[name=amount]");
    const minor = toMinor(input.value);
    if (minor === null) { showMessage(text.badAmount, "danger"); input.focus(); return; }
    placeBid(minor, event.currentTarget.querySelector("button"));
  });
  root.querySelector("[data-action=auto-bid]")?.addEventListener("submit", (event) => {
    event.preventDefault();
    const input = event.currentTarget.querySelector("input[name=maximum]");
    const minor = input.value.trim() === "" ? null : toMinor(input.value);
    if (input.value.trim() !== "" && minor === null) { showMessage(text.badAmount, "danger"); return; }
    if (!send({ type: "auto_bid", maximum_minor: minor })) showMessage(text.notConnected, "danger");
  });

  window.addEventListener("online", () => { if (!socket || socket.readyState > 1) connect(); });
  connect();
}
