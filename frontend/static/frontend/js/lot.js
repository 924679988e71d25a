// The live lot page: one WebSocket per lot, events ordered by the lot's sequence number.
//
// The server sends a snapshot on connect; afterwards every frame carries `seq`.
// Frames at or below the seq we hold are stale and dropped; a frame beyond the
// next one means we missed something, so we ask to resume from our seq and
// hold later frames until the replay arrives. The page reconnects by itself
// with backoff and jitter, and always shows its connection state.
//
// One source of truth: everything the page says about the bidder (leading,
// outbid, won, lost, ...) and every control it offers is derived from the
// latest state (the lot, the bidder's registration, the bids), never from the
// messages that led to it. After each frame the page derives the standing
// again; a note is shown only when the standing it describes is the one that
// holds now, one note at a time (a new one replaces the last), in the panel's
// own flow, so it never covers a control.
//
// What a screen reader hears: one live region (`announce`) says one short sentence per change
// that matters to this bidder: their standing or a bid's answer (which names the price), the
// price when it moved, the lot closing, and the time left at a few thresholds. Nothing is said
// for a value that did not change, and the visible price, standing and countdown are not live
// regions (the countdown is rewritten once a second at most). Errors are alerts of their own.
// Focus never falls to the page: controls that cannot act now are aria-disabled, not disabled,
// and when the control that had focus disappears, focus moves to the standing.

import { moneyFormatter, owedAt } from "./format.js";

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
  const excluded = root.dataset.excluded === "1";
  const text = JSON.parse(document.getElementById("lot-text").textContent);
  const $ = (name) => root.querySelector(`[data-live="${name}"]`);
  const CLOSED = ["SOLD", "UNSOLD", "WITHDRAWN"];

  const state = { seq: -1, lot: null, you: null, bids: [], offsetMs: 0, pending: false, held: [] };
  let socket = null;
  let attempt = 0;
  let pingTimer = null;
  // The bid awaiting its answer; sent again (same client id) while the database is away.
  let pendingBid = null;
  const RETRY_UNAVAILABLE = 5;
  // A bidder's own frames leave before the lot's (which may wait up to a frame interval);
  // if the lot's frames have not caught up with one of them by then, the page resumes.
  const CATCH_UP_MS = 2000;
  let catchUpTimer = null;

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
  // The invoice's own rule (aftersale/engine.py, `breakdown`): premium and VAT half up.
  const totalOwed = (price) => owedAt(price, { premiumBp, vatBp, vatOnPrice });
  const fill = (template, values) => template.replace(/%\((\w+)\)s/g, (_, key) => values[key] ?? "");

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
    socket.addEventListener("message", (event) => settle(() => receive(JSON.parse(event.data))));
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
      case "error": say(frame.error.message, "danger"); return;
      case "session_ended": say(text.sessionEnded, "warning"); return;
      case "outbid": case "you_lead": case "you_won": case "deposit_held": case "registration_revoked":
        personal(frame); return;
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
  }

  function applyReplay(frame) {
    frame.events.forEach((event) => { if (event.seq === state.seq + 1) applyBid(event); });
    Object.assign(state.lot, frame.state);
    if (frame.you) state.you = frame.you;
    state.seq = frame.seq;
    syncClock(frame.state.server_time);
    state.pending = false;
    flushHeld();
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
    const you = state.you;
    if (you && you.registered) {
      if (frame.paddle === you.paddle) you.has_bid = true;
      you.is_leading = frame.paddle === you.paddle;
    }
  }

  function applyState(frame) {
    if (frame.type === "lot_extended") {
      state.lot.ends_at = frame.ends_at;
      syncClock(frame.server_time);
      showExtended(frame.reason === "outage" ? text.extendedOutage : text.extended);
    } else if (frame.type === "lot_opened") {
      Object.assign(state.lot, { status: "OPEN", ends_at: frame.ends_at });
    } else if (frame.type === "lot_closed") {
      Object.assign(state.lot, { status: frame.status, outcome: frame.outcome });
      if (frame.price_minor !== null && frame.price_minor !== undefined) state.lot.price_minor = frame.price_minor;
      if (frame.status === "SOLD") state.lot.leader_paddle = frame.winner_paddle;
    } else if (frame.type === "lot_withdrawn") {
      Object.assign(state.lot, { status: "WITHDRAWN" });
    }
  }

  // A bidder's own frames say what the lot's frames will show; the standing is derived from
  // those, so these only make sure they arrive (and carry the deposit, which no lot frame does).
  function personal(frame) {
    if (frame.type === "registration_revoked" && state.you) {
      state.you.revoked = true;
      say(text.revoked, "danger");
      return;
    }
    if (frame.type === "deposit_held" && state.you) {
      state.you.deposit_status = "HELD";
      say(text.depositHeld, "success");
      return;
    }
    if (state.seq >= 0 && frame.seq > state.seq) {
      clearTimeout(catchUpTimer);
      catchUpTimer = setTimeout(() => { if (state.seq < frame.seq) settle(() => askResume()); }, CATCH_UP_MS);
    }
  }

  // --- standing: derived from the state, never remembered ---------------------------------
  function standingOf() {
    const lot = state.lot;
    const you = state.you;
    if (!lot) return "loading";
    const closed = CLOSED.includes(lot.status);
    if (lot.status === "WITHDRAWN") return "withdrawn";
    const registered = you && you.registered;
    const mine = registered && lot.leader_paddle !== null && lot.leader_paddle === you.paddle;
    if (closed) {
      if (lot.status === "SOLD" && mine) return "won";
      if (registered && you.has_bid) return lot.status === "SOLD" ? "lost" : "unsold";
      return "closed";
    }
    if (!you) return "anonymous";
    if (!registered) return excluded ? "excluded" : "unregistered";
    if (you.revoked) return "excluded";
    if (you.deposit_status !== "HELD") return "deposit";
    if (lot.status === "SCHEDULED") return "waiting";
    if (mine) return "leading";
    return you.has_bid ? "outbid" : "ready";
  }

  // Runs one change of state, then says what changed in the bidder's standing.
  function settle(change) {
    const before = standingOf();
    const topBefore = state.bids.length ? state.bids[0].seq : 0;
    const focused = root.contains(document.activeElement) ? document.activeElement : null;
    turn = [];
    try {
      change();
      const after = standingOf();
      if (after !== before) {
        clearNotesNotAbout(after);
        if (note.dataset.about !== after) noteTransition(before, after);
      } else if (after === "leading") {
        noteAutomaticAnswer(topBefore);
      }
      sayDeferred(after);
      render();
      speakTurn(before, after);
    } finally {
      turn = null;
    }
    keepFocus(focused);
  }

  // --- announcements ----------------------------------------------------------------------
  const live = $("announce");
  let turn = null; // what the change being settled has to say, in the order it was said
  let spokenPrice = null;
  let spokenText = "";
  function speak(message) {
    if (!message || message === spokenText) return;
    spokenText = message;
    live.textContent = message;
    const log = (root.announcements = root.announcements || []);
    log.push(message); // what was announced, for tests and for the record
  }
  function announce(message) {
    if (turn) turn.push({ message, weight: 0 });
    else speak(message);
  }
  function currentPrice() {
    const lot = state.lot;
    return lot && lot.bid_count > 0 ? lot.price_minor : null;
  }
  // The one sentence of a change: a note about the bidder (it names the price) first, else the
  // new standing, else the price if it moved, else a lesser notice (an extension).
  function speakTurn(before, after) {
    const price = currentPrice();
    const moved = price !== null && price !== spokenPrice;
    if (before === "loading") { spokenPrice = price; return; }
    const notes = turn.filter((item) => item.weight > 0);
    let message = notes.length ? notes[notes.length - 1].message : "";
    if (!message && after !== before && text.standing[after]) {
      message = fill(text.standing[after], { paddle: state.you && state.you.paddle });
      if (moved) message += " " + fill(text.priceNow, { amount: money(price) });
    }
    if (!message && moved) message = fill(text.priceNow, { amount: money(price) });
    if (!message && turn.length) message = turn[turn.length - 1].message;
    spokenPrice = price;
    speak(message);
  }

  // Thresholds of time left (seconds) at which the countdown is announced, once each per end.
  const THRESHOLDS = [300, 60, 30, 10];
  let lastLeft = null;
  function announceTimeLeft(left) {
    const seconds = Math.ceil(left / 1000);
    const crossed = lastLeft === null ? [] : THRESHOLDS.filter((limit) => lastLeft > limit && seconds <= limit);
    lastLeft = seconds;
    if (crossed.length) speak(text.timeLeft[String(Math.min(...crossed))]);
  }

  // The control that had focus is gone or hidden: focus the bidder's standing, never the page.
  // (Chromium moves focus off a hidden element only at its next style pass: check the control.)
  function keepFocus(focused) {
    if (!focused) return;
    if (!focused.isConnected || focused.closest("[hidden]") || focused.disabled) { $("you").focus(); return; }
    if (document.activeElement === document.body) focused.focus();
  }

  // A bid's answer can come before the lot's frames that show the bid: its note waits for them,
  // and is dropped if by then the standing it assumes no longer holds.
  let deferred = [];
  function sayWhenShown(seq, message, kind, about) {
    deferred.push({ seq, message, kind, about });
    clearTimeout(catchUpTimer);
    catchUpTimer = setTimeout(() => { if (state.seq < seq) settle(() => askResume()); }, CATCH_UP_MS);
  }
  function sayDeferred(standing) {
    const due = deferred.filter((item) => item.seq <= state.seq);
    deferred = deferred.filter((item) => item.seq > state.seq);
    due.forEach((item) => { if (!item.about || item.about === standing) say(item.message, item.kind, item.about); });
  }

  function topBid() { return state.bids.length ? state.bids[0] : null; }

  function noteTransition(before, after) {
    const lot = state.lot;
    const price = money(lot.price_minor);
    const you = state.you;
    if (before === "loading") return;
    if (after === "outbid") {
      const exceeded = you.auto_max_minor && lot.price_minor >= you.auto_max_minor;
      say(exceeded ? fill(text.message.autoExceeded, { amount: money(you.auto_max_minor) })
        : fill(text.message.outbid, { amount: price }), "warning", "outbid");
    } else if (after === "leading") {
      const top = topBid();
      // A maximum just saved that took the lead is told once, by its own answer.
      const justSaved = top && deferred.some((item) => item.seq === top.seq);
      if (top && top.source === "AUTOMATIC" && !justSaved) say(fill(text.message.autoLeads, { amount: price }), "success", "leading");
    } else if (after === "won") {
      say(fill(text.message.won, { amount: price }), "success", "won");
    } else if (after === "lost" || (after === "closed" && lot.status === "SOLD")) {
      say(fill(text.message.sold, { paddle: lot.leader_paddle, amount: price }), "info", after);
    } else if (after === "unsold" || (after === "closed" && lot.status === "UNSOLD")) {
      say(text.message.unsold, "info", after);
    } else if (after === "withdrawn") {
      say(text.message.withdrawn, "warning", after);
    }
  }

  // The bidder kept the lead while others bid: their automatic bid answered.
  function noteAutomaticAnswer(topBefore) {
    const fresh = state.bids.filter((bid) => bid.seq > topBefore);
    const rivals = fresh.some((bid) => bid.paddle !== state.you.paddle);
    const top = topBid();
    if (rivals && top && top.source === "AUTOMATIC" && top.paddle === state.you.paddle) {
      say(fill(text.message.autoKept, { amount: money(state.lot.price_minor) }), "success", "leading");
    }
  }

  // --- rendering --------------------------------------------------------------------------
  // Writes text only when it differs, so nothing is rewritten with the value it already shows.
  function put(el, value) {
    const next = String(value);
    if (el.textContent !== next) el.textContent = next;
  }

  function show(name, visible) {
    root.querySelectorAll(`[data-show="${name}"]`).forEach((el) => { el.hidden = !visible; });
  }

  function render() {
    const lot = state.lot;
    if (!lot) return;
    const closed = CLOSED.includes(lot.status);
    const hasPrice = lot.price_minor !== null && lot.price_minor !== undefined && lot.bid_count > 0;
    put($("price"), money(hasPrice ? lot.price_minor : lot.opening_minor));
    let label = hasPrice ? text.currentPrice : text.openingPrice;
    if (lot.status === "SOLD") label = text.finalPrice;
    else if (closed && hasPrice) label = text.highestBid;
    put($("price-label"), label);
    put($("next-minimum"), money(lot.next_minimum_minor));
    put($("bid-count"), lot.bid_count);
    put($("status"), text.status[lot.status] || lot.status);
    $("status").dataset.status = lot.status;
    root.dataset.seq = state.seq; // how far the page has caught up with the lot
    renderBids();
    renderYou();
    tick();
  }

  function renderBids() {
    const list = $("bids");
    list.replaceChildren(...state.bids.map((bid, index) => {
      const item = document.createElement("li");
      item.className = "list-group-item d-flex justify-content-between align-items-center";
      if (index === 0) item.dataset.top = "1";
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
  }

  function renderYou() {
    const lot = state.lot;
    const you = state.you;
    const standing = standingOf();
    const open = lot.status === "OPEN";
    const closed = CLOSED.includes(lot.status);
    const panel = $("you");
    panel.dataset.standing = standing;
    root.dataset.standing = standing;
    put(panel, fill(text.standing[standing] || "", { paddle: you && you.paddle }));
    const budgetLeft = $("budget-remaining");
    if (budgetLeft && you && you.budget_remaining_minor !== undefined && you.budget_remaining_minor !== null) {
      put(budgetLeft, money(you.budget_remaining_minor));
    }

    // Controls: only what the bidder can do now.
    const canBid = open && you && you.registered && you.deposit_status === "HELD";
    show("bidding", Boolean(canBid));
    // Logging in, registering and paying the deposit: each offered only while it is the next step.
    ["anonymous", "unregistered", "deposit"].forEach((step) => show(step, standing === step));
    show("next-minimum", !closed);
    // aria-disabled, not disabled: a disabled button drops the focus of the bidder who pressed it.
    const blocked = !canBid || standing === "leading" || Boolean(pendingBid);
    root.querySelectorAll("[data-manual-bid]").forEach((el) => {
      el.setAttribute("aria-disabled", blocked ? "true" : "false");
      el.classList.toggle("disabled", blocked);
    });
    const nextButton = $("bid-minimum-amount");
    if (nextButton) put(nextButton, money(lot.next_minimum_minor));

    // The cost of winning: at the current price while open; what the winner owes after.
    const owedVisible = !closed || standing === "won";
    show("owed", owedVisible);
    if (owedVisible) {
      const owed = totalOwed(lot.bid_count > 0 ? lot.price_minor : lot.opening_minor);
      put($("owed-title"), standing === "won" ? text.owedWon : text.owedOpen);
      put($("owed-premium"), money(owed.premium));
      put($("owed-vat"), money(owed.vat));
      put($("owed-total"), money(owed.total));
    }

    if (!you || !you.registered) return;
    // A maximum the price has passed stays saved, but no longer bids: it is said so.
    const passed = you.auto_max_minor && standing === "outbid" && lot.price_minor >= you.auto_max_minor;
    const auto = you.auto_max_minor ? money(you.auto_max_minor) + (passed ? ` (${text.exceeded})` : "") : text.none;
    put($("auto-current"), auto);
    put($("auto-summary"), you.auto_max_minor ? `· ${auto}` : "");
    const reserve = root.querySelector("[name=keep_deposit_reserved]");
    if (reserve) reserve.closest(".form-check").hidden = you.keep_deposit_reserved !== null && you.keep_deposit_reserved !== undefined;
  }

  function tick() {
    const lot = state.lot;
    if (!lot) return;
    const now = Date.now() + state.offsetMs;
    const left = Date.parse(lot.ends_at) - now;
    const el = $("countdown");
    el.dataset.urgent = "0";
    $("countdown-label").hidden = CLOSED.includes(lot.status); // no "time left" once it has ended
    el.dataset.kind = lot.status === "SCHEDULED" ? "date" : "time";
    if (lot.status === "SCHEDULED") { put(el, root.dataset.opensText || text.opensAt); return; }
    if (lot.status !== "OPEN") { put(el, text.ended); return; }
    announceTimeLeft(left);
    if (left <= 0) { put(el, text.closing); return; }
    const seconds = Math.floor(left / 1000);
    const d = Math.floor(seconds / 86400), h = Math.floor((seconds % 86400) / 3600);
    const m = Math.floor((seconds % 3600) / 60), s = seconds % 60;
    const pad = (n) => String(n).padStart(2, "0");
    put(el, (d ? `${d} ${text.days} ` : "") + `${pad(h)}:${pad(m)}:${pad(s)}`);
    el.dataset.urgent = left < 180000 ? "1" : "0";
  }
  setInterval(tick, 250);

  // An extension is told beside the countdown it moved, for a while; the note stays the bidder's.
  let extendedTimer = null;
  function showExtended(message) {
    const label = $("countdown-label");
    clearTimeout(extendedTimer);
    label.textContent = message;
    label.dataset.extended = "1";
    announce(message);
    extendedTimer = setTimeout(() => { label.textContent = label.dataset.default; label.dataset.extended = "0"; }, 10000);
  }


  // --- notes: one at a time, in the panel's flow -------------------------------------------
  // `about` names the standing a note assumes ("outbid", "leading", ...); a note about another
  // standing than the one that holds is removed at once, so no note contradicts the page.
  const note = $("message");
  let noteTimer = null;
  function say(message, kind, about = "") {
    clearTimeout(noteTimer);
    const alert = document.createElement("div");
    alert.className = `alert alert-${kind} py-2 mb-0`;
    // Errors are alerts; every other note is spoken once through the page's announcer.
    if (kind === "danger") alert.setAttribute("role", "alert");
    else if (turn) turn.push({ message, weight: 1 });
    else speak(message);
    alert.dataset.kind = kind;
    alert.textContent = message;
    note.dataset.about = about;
    note.replaceChildren(alert);
    noteTimer = setTimeout(clearNote, kind === "danger" ? 15000 : 10000);
  }
  function clearNote() { note.replaceChildren(); note.dataset.about = ""; }
  function clearNotesNotAbout(standing) {
    if (note.dataset.about !== standing) clearNote();
  }

  // The site's notices (site.js) about this lot are what this page already shows live; others
  // take the page's one note, so nothing floats over the controls.
  document.addEventListener("mazad:toast", (event) => {
    event.preventDefault();
    const detail = event.detail || {};
    if (String(detail.lot) === String(lotId)) return;
    say(detail.text || "", "info");
  });

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
    root.dataset.answers = Number(root.dataset.answers || 0) + 1; // answers received, for tests
    if (socket && socket.readyState === WebSocket.OPEN) setConnection("live");
    if (frame.type === "bid_result") pendingBid = null;
    const you = state.you;
    if (!frame.accepted) {
      say(frame.error.message, "danger");
      focusAfterError(frame.type === "auto_bid_result" ? "auto" : lastAction);
      return;
    }
    if (frame.type === "auto_bid_result") {
      if (you) you.auto_max_minor = frame.maximum_minor;
      const input = root.querySelector("input[name=maximum]");
      if (input) input.value = "";
      if (frame.maximum_minor === null) say(text.autoCancelled, "success");
      else if (!frame.seq) say(fill(text.autoSaved, { amount: money(frame.maximum_minor) }), "success");
      else if (frame.is_leading) sayWhenShown(frame.seq, fill(text.autoSaved, { amount: money(frame.maximum_minor) }), "success", "leading");
      // Saved, and at once passed by a rival's higher (or earlier equal) maximum.
      else sayWhenShown(frame.seq, fill(text.message.autoExceeded, { amount: money(frame.maximum_minor) }), "warning", "outbid");
      return;
    }
    // The bidder has bid once the lot's frames show it (applyBid); marking it before would make
    // the page call them outbid, for a moment, by their own bid.
    if (you && frame.seq && frame.seq <= state.seq) you.has_bid = true;
    if (you && you.keep_deposit_reserved == null) {
      const reserve = root.querySelector("[name=keep_deposit_reserved]");
      you.keep_deposit_reserved = reserve ? reserve.checked : false;
    }
    const input = root.querySelector("input[name=amount]");
    if (input) input.value = "";
    const values = { amount: money(frame.amount_minor), seq: frame.seq };
    if (frame.is_leading) sayWhenShown(frame.seq, fill(text.accepted, values), "success", "leading");
    else sayWhenShown(frame.seq, fill(text.acceptedAnswered, values), "warning", "outbid");
  }

  // --- bidding ----------------------------------------------------------------------------
  let lastAction = "minimum";
  // After a refusal, the bidder is back where they typed: the amount, selected to retype it.
  function focusAfterError(action) {
    const field = action === "custom" ? root.querySelector("input[name=amount]")
      : action === "auto" ? root.querySelector("input[name=maximum]") : null;
    if (field && !field.closest("[hidden]")) { field.focus(); field.select(); }
  }
  const blocked = (el) => el && el.getAttribute("aria-disabled") === "true";

  function placeBid(amountMinor) {
    if (!state.lot || pendingBid) return;
    const owed = totalOwed(amountMinor);
    const question = fill(text.confirm, { amount: money(amountMinor), total: money(owed.total) });
    if (!window.confirm(question)) return;
    const reserve = root.querySelector("[name=keep_deposit_reserved]");
    const message = { type: "bid", amount_minor: amountMinor, client_id: crypto.randomUUID() };
    if (state.you && state.you.keep_deposit_reserved == null && reserve) message.keep_deposit_reserved = reserve.checked;
    if (!send(message)) { say(text.notConnected, "danger"); return; }
    pendingBid = { message, tries: 0 };
    render();
  }

  root.querySelector("[data-action=bid-minimum]")?.addEventListener("click", (event) => {
    if (blocked(event.currentTarget)) return;
    lastAction = "minimum";
    settle(() => placeBid(state.lot.next_minimum_minor));
  });
  root.querySelector("[data-action=bid-custom]")?.addEventListener("submit", (event) => {
    event.preventDefault();
    if (blocked(event.currentTarget.querySelector("[data-manual-bid]"))) return;
    lastAction = "custom";
    const input = event.currentTarget.querySelector("input[name=amount]");
    const minor = toMinor(input.value);
    if (minor === null) { say(text.badAmount, "danger"); input.focus(); return; }
    settle(() => placeBid(minor));
  });
  root.querySelector("[data-action=auto-bid]")?.addEventListener("submit", (event) => {
    event.preventDefault();
    const input = event.currentTarget.querySelector("input[name=maximum]");
    const minor = input.value.trim() === "" ? null : toMinor(input.value);
    if (input.value.trim() !== "" && minor === null) { say(text.badAmount, "danger"); input.focus(); return; }
    if (!send({ type: "auto_bid", maximum_minor: minor })) say(text.notConnected, "danger");
  });

  window.addEventListener("online", () => { if (!socket || socket.readyState > 1) connect(); });
  connect();
}
