"""A recording, fault-injecting HTTP proxy on loopback, put in front of stripe-mock in tests.

stripe-mock never fails, never deduplicates idempotency keys and never times
out, so the failure paths of the payment client are exercised through this
proxy. Each request takes the next scripted fault (or passes through) and is
recorded with its method, path, Idempotency-Key and body.

With `idempotent=True` the proxy also keeps Stripe's promise that stripe-mock
does not: the first answer to a POST is stored under its Idempotency-Key and
replayed for every later request with that key (and the same body; another
body gets Stripe's 400 idempotency_error), so "exactly one object" can be
counted from `created_ids()`.

With `stateful=True` it also keeps the PaymentIntents' state that stripe-mock (which answers
every retrieval with one fixture) does not: an intent created through it keeps its amount,
currency and metadata; confirming it with a test card makes it `succeeded` (the declining
test cards leave it unpaid); cancelling it cancels it; and `GET /v1/payment_intents/<id>`
answers that record. `provide_intent()` sets a record outright, as the provider's own truth
for a test (a payment made elsewhere, or one that disagrees with an event).
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl

import httpx


@dataclass(frozen=True)
class Fault:
    """What to do with one request.

    kind: "pass"; "status" (answer `status` with `headers` and `body`, upstream not called);
    "delay" (wait `seconds`, then pass); "drop_response" (forward upstream, then close the
    connection without answering: the call happened but the client cannot know);
    "reset" (close the connection before forwarding); "slow_response" (forward upstream at
    once, answer after `seconds`: the API acted, the client timed out); "fail_after_forward"
    (forward upstream, then answer `status` with `headers`: a 5xx whose object exists).
    """

    kind: str = "pass"
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    seconds: float = 0.0


@dataclass(frozen=True)
class Recorded:
    method: str
    path: str
    idempotency_key: str | None
    body: bytes
    forwarded: bool

    @property
    def body_hash(self) -> str:
        return hashlib.sha256(self.body).hexdigest()


DECLINING_METHODS = frozenset({"pm_card_chargeDeclined", "pm_card_visa_chargeDeclined"})
INTENT_PATH = re.compile(r"^/v1/payment_intents/(pi_[A-Za-z0-9_]+)(?:/(confirm|capture|cancel))?$")


class FaultProxy:
    def __init__(
        self, upstream: str, *, idempotent: bool = False, stateful: bool = False, port: int = 0
    ) -> None:
        self.upstream = upstream.rstrip("/")
        self.idempotent = idempotent
        self.stateful = stateful
        self.intents: dict[str, dict[str, Any]] = {}
        self.faults: deque[Fault] = deque()
        self.log: list[Recorded] = []
        # Idempotency-Key -> (body sent, status, headers, answer) of the first upstream answer.
        self.stored: dict[str, tuple[bytes, int, dict[str, str], bytes]] = {}
        self.created: list[str] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", port), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> FaultProxy:
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._server.shutdown()
        self._server.server_close()

    def script(self, *faults: Fault) -> None:
        with self._lock:
            self.faults.extend(faults)

    def keys(self, path_prefix: str = "/v1/") -> list[str | None]:
        return [r.idempotency_key for r in self.log if r.path.startswith(path_prefix)]

    def posts(self, path_prefix: str = "/v1/") -> list[Recorded]:
        return [r for r in self.log if r.method == "POST" and r.path.startswith(path_prefix)]

    def created_ids(self) -> list[str]:
        """Ids of the objects upstream answered with for first-seen keys (idempotent mode)."""
        with self._lock:
            return list(self.created)

    def provide_intent(self, intent: dict[str, Any]) -> None:
        """Make the provider's record of a PaymentIntent `intent` (what a GET answers)."""
        with self._lock:
            self.intents[str(intent["id"])] = dict(intent)

    def known_intent(self, path: str) -> bytes | None:
        match = INTENT_PATH.match(path.split("?", 1)[0])
        if not (self.stateful and match and match.group(2) is None):
            return None
        with self._lock:
            intent = self.intents.get(match.group(1))
        return json.dumps(intent).encode() if intent is not None else None

    def track(self, path: str, body: bytes, upstream: httpx.Response) -> None:
        """Keep the state a POST gave a PaymentIntent (stateful mode)."""
        if not self.stateful or upstream.status_code >= 300:
            return
        params = dict(parse_qsl(body.decode(errors="replace"), keep_blank_values=True))
        path = path.split("?", 1)[0]
        if path == "/v1/payment_intents":
            self._track_created(params, upstream)
            return
        match = INTENT_PATH.match(path)
        if not match or match.group(2) is None:
            return
        with self._lock:
            intent = self.intents.get(match.group(1))
            if intent is None:
                return
            if match.group(2) == "cancel":
                intent["status"] = "canceled"
            elif params.get("payment_method", intent.get("payment_method")) in DECLINING_METHODS:
                intent["status"] = "requires_payment_method"
            else:
                intent["status"], intent["amount_received"] = "succeeded", intent["amount"]

    def _track_created(self, params: dict[str, str], upstream: httpx.Response) -> None:
        try:
            created = upstream.json()
        except ValueError:
            return
        metadata = {
            key[len("metadata[") : -1]: value
            for key, value in params.items()
            if key.startswith("metadata[") and key.endswith("]")
        }
        with self._lock:
            self.intents.setdefault(
                str(created["id"]),
                {
                    **created,
                    "amount": int(params.get("amount", created.get("amount", 0))),
                    "amount_received": 0,
                    "currency": params.get("currency", created.get("currency")),
                    "metadata": metadata,
                    "status": "requires_payment_method",
                },
            )

    def _replay(self, key: str | None, body: bytes) -> tuple[int, dict[str, str], bytes] | None:
        if not (self.idempotent and key):
            return None
        with self._lock:
            stored = self.stored.get(key)
        if stored is None:
            return None
        sent, status, headers, answer = stored
        if sent != body:
            error = (
                b'{"error": {"type": "idempotency_error", "message": "Keys for idempotent '
                b'requests can only be used with the same parameters they were first used with."}}'
            )
            return 400, {"Content-Type": "application/json"}, error
        return status, {**headers, "Idempotent-Replayed": "true"}, answer

    def _store(self, key: str | None, body: bytes, upstream: httpx.Response) -> None:
        if not (self.idempotent and key) or upstream.status_code >= 500:
            return
        headers = {"Content-Type": upstream.headers.get("content-type", "application/json")}
        with self._lock:
            if key in self.stored:
                return
            self.stored[key] = (body, upstream.status_code, headers, upstream.content)
            try:
                created = upstream.json().get("id")
            except ValueError:
                created = None
            if created:
                self.created.append(str(created))

    def _next_fault(self) -> Fault:
        with self._lock:
            return self.faults.popleft() if self.faults else Fault()

    def _record(self, item: Recorded) -> None:
        with self._lock:
            self.log.append(item)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                return

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                fault = proxy._next_fault()
                key = self.headers.get("Idempotency-Key")
                if fault.kind == "reset":
                    proxy._record(Recorded(self.command, self.path, key, body, False))
                    self.close_connection = True
                    self.connection.close()
                    return
                if fault.kind == "status":
                    proxy._record(Recorded(self.command, self.path, key, body, False))
                    self._answer(fault.status, fault.headers, fault.body)
                    return
                if fault.kind == "delay":
                    time.sleep(fault.seconds)
                known = proxy.known_intent(self.path) if self.command == "GET" else None
                if known is not None:
                    proxy._record(Recorded(self.command, self.path, key, body, False))
                    self._answer(200, {"Content-Type": "application/json"}, known)
                    return
                replayed = proxy._replay(key, body) if self.command == "POST" else None
                if replayed is not None:
                    proxy._record(Recorded(self.command, self.path, key, body, False))
                    if fault.kind != "drop_response":
                        self._answer(*replayed)
                    else:
                        self.close_connection = True
                        self.connection.close()
                    return
                headers = {
                    k: v
                    for k, v in self.headers.items()
                    if k.lower() not in ("host", "content-length", "connection")
                }
                try:
                    upstream = httpx.request(
                        self.command,
                        proxy.upstream + self.path,
                        headers=headers,
                        content=body,
                        timeout=30,
                    )
                except httpx.TransportError:
                    # Upstream down: the client sees its connection closed, as if refused.
                    proxy._record(Recorded(self.command, self.path, key, body, False))
                    self.close_connection = True
                    self.connection.close()
                    return
                if self.command == "POST":
                    proxy._store(key, body, upstream)
                    proxy.track(self.path, body, upstream)
                proxy._record(Recorded(self.command, self.path, key, body, True))
                if fault.kind == "drop_response":
                    self.close_connection = True
                    self.connection.close()
                    return
                if fault.kind == "fail_after_forward":
                    self._answer(fault.status, fault.headers, fault.body)
                    return
                if fault.kind == "slow_response":
                    time.sleep(fault.seconds)
                passed = {
                    k: v
                    for k, v in upstream.headers.items()
                    if k.lower() in ("content-type", "request-id", "stripe-should-retry")
                }
                self._answer(upstream.status_code, passed, upstream.content)

            def _answer(self, status: int, headers: dict[str, str], body: bytes) -> None:
                try:
                    self.send_response(status)
                    for name, value in headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            do_GET = do_POST = do_DELETE = _serve

        return Handler
