"""Run the reference agency system: `python -m tools.agency_client --help`.

It takes an access token by OAuth2 client credentials, listens for Mazad's signed webhooks,
verifies each (signature, timestamp, delivery id never seen before), and answers the request
by a simple policy given on the command line:

    bank:      --freeze all|<minor units>  [--transfer]  [--nothing-found]
    traffic:   [--impound-location "Lot 4"]
    registry:  [--annotation-prefix ANN]
    passports: [--ban-from YYYY-MM-DD]
    any:       [--refuse-lifts]   (lift requests are answered LIFTED unless given)

Each line it prints is one JSON event (`listening`, `webhook`, `rejected`, `answered`, ...).
"""

from __future__ import annotations

import argparse
import json
import os
import queue
import sys
import threading
import time
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx

from tools.agency_client.signing import BadSignature, verify


def log(event: str, **fields: Any) -> None:
    print(json.dumps({"event": event, **fields}, default=str), flush=True)


class Mazad:
    """The agencies API with a token that is renewed shortly before it expires."""

    def __init__(self, base_url: str, client_id: str, client_secret: str, scope: str) -> None:
        self.http = httpx.Client(base_url=base_url.rstrip("/"), timeout=15.0, trust_env=False)
        self.client_id, self.client_secret, self.scope = client_id, client_secret, scope
        self.token, self.expires_at = "", 0.0
        self.lock = threading.Lock()

    def bearer(self) -> str:
        with self.lock:
            if time.monotonic() > self.expires_at - 30:
                data = {"grant_type": "client_credentials"}
                if self.scope:
                    data["scope"] = self.scope
                response = self.http.post(
                    "/api/oauth/token/", data=data, auth=(self.client_id, self.client_secret)
                )
                response.raise_for_status()
                body = response.json()
                self.token = body["access_token"]
                self.expires_at = time.monotonic() + float(body.get("expires_in", 300))
                log("token", scope=body.get("scope"))
            return self.token

    def call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.bearer()}", **kwargs.pop("headers", {})}
        for attempt in range(5):
            response = self.http.request(method, path, headers=headers, **kwargs)
            if response.status_code != 429 and response.status_code < 500:
                return response
            time.sleep(min(float(response.headers.get("Retry-After", "1")), 5.0) * (attempt + 1))
        return response

    def request(self, number: str) -> dict[str, Any]:
        response = self.call("GET", f"/api/v2/requests/{number}")
        response.raise_for_status()
        return dict(response.json())

    def answer(self, number: str, body: dict[str, Any], key: str) -> httpx.Response:
        return self.call(
            "POST",
            f"/api/v2/requests/{number}/answers",
            json=body,
            headers={"Idempotency-Key": key},
        )


def decide(request: dict[str, Any], options: argparse.Namespace) -> list[dict[str, Any]]:
    """The answers the policy gives to `request`, in order (each sent once)."""
    payload = request["payload"]
    done = {item["outcome"] for item in request.get("answers", [])}
    if request["subject_kind"] == "LIFT":
        if done:
            return []
        if options.refuse_lifts:
            return [{"outcome": "REFUSED", "note": "Refused by policy."}]
        return [{"outcome": "LIFTED", "effective_on": date.today().isoformat()}]
    kind = payload["order_kind"]
    target = payload.get("target", {})
    if kind == "BANK_FUNDS":
        if options.nothing_found:
            return [] if done else [{"outcome": "NOTHING_FOUND", "note": "No account."}]
        ordered = int(target.get("amount_minor") or 0)
        amount = ordered if options.freeze == "all" else min(int(options.freeze), ordered)
        steps: list[dict[str, Any]] = []
        if "FROZEN" not in done:
            steps.append(
                {"outcome": "FROZEN", "accounts": [target["iban"]], "amount_minor": amount}
            )
        if options.transfer and "TRANSFERRED" not in done:
            steps.append(
                {
                    "outcome": "TRANSFERRED",
                    "amount_minor": request.get("amount_frozen_minor") or amount,
                    "reference": f"{options.reference_prefix}-{payload['order_id']}",
                }
            )
        return steps
    if done:
        return []
    if kind == "VEHICLE":
        answer: dict[str, Any] = {"outcome": "BLOCKED"}
        if options.impound_location:
            answer["location"] = options.impound_location
        return [answer]
    if kind == "REAL_ESTATE":
        return [
            {
                "outcome": "ANNOTATED",
                "reference": f"{options.annotation_prefix}-{payload['order_id']}",
            }
        ]
    if kind == "TRAVEL_BAN":
        return [
            {
                "outcome": "BAN_IN_FORCE",
                "effective_on": options.ban_from or date.today().isoformat(),
            }
        ]
    return []


def handle(mazad: Mazad, number: str, options: argparse.Namespace) -> None:
    request = mazad.request(number)
    for body in decide(request, options):
        key = f"{number}:{body['outcome']}"
        response = mazad.answer(number, body, key)
        log(
            "answered",
            request=number,
            outcome=body["outcome"],
            status=response.status_code,
            body=response.json() if response.content else None,
        )
        if response.status_code >= 300:
            return
        request = mazad.request(number)  # the next step reads the amount frozen


def serve(options: argparse.Namespace, mazad: Mazad) -> None:
    seen: set[str] = set()
    seen_lock = threading.Lock()
    work: queue.Queue[str] = queue.Queue()

    class Webhooks(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:  # the JSON events say enough
            return

        def reply(self, status: int, reason: str = "") -> None:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            body = json.dumps({"ok": status < 300, "reason": reason}).encode()
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(min(length, 1_000_000))
            delivery = self.headers.get("Mazad-Delivery", "")
            try:
                verify(options.webhook_secret, self.headers.get("Mazad-Signature", ""), body)
            except BadSignature as error:
                log("rejected", delivery=delivery, reason=str(error))
                return self.reply(401, str(error))
            with seen_lock:
                if delivery in seen or not delivery:
                    log("rejected", delivery=delivery, reason="replayed delivery")
                    return self.reply(409, "replayed delivery")
                seen.add(delivery)
            event = json.loads(body)
            log("webhook", delivery=delivery, kind=event["event"], request=event["data"]["number"])
            if event["event"] == "request.created":
                work.put(event["data"]["number"])
            return self.reply(200)

    def worker() -> None:
        while True:
            number = work.get()
            try:
                handle(mazad, number, options)
            except Exception as error:  # keep serving; the request is still pulled later
                log("error", request=number, error=repr(error))

    threading.Thread(target=worker, daemon=True).start()
    server = ThreadingHTTPServer((options.host, options.port), Webhooks)
    log("listening", host=options.host, port=server.server_address[1])
    server.serve_forever()


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="agency_client", description=__doc__.splitlines()[0])
    parser.add_argument("--base-url", default=os.environ.get("MAZAD_URL", "http://127.0.0.1:8000"))
    parser.add_argument("--client-id", default=os.environ.get("MAZAD_CLIENT_ID", ""))
    parser.add_argument("--client-secret", default=os.environ.get("MAZAD_CLIENT_SECRET", ""))
    parser.add_argument("--webhook-secret", default=os.environ.get("MAZAD_WEBHOOK_SECRET", ""))
    parser.add_argument("--scope", default="", help="space-separated; default: all granted")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--freeze", default="all", help="'all' or an amount in minor units")
    parser.add_argument("--transfer", action="store_true", help="transfer what was frozen")
    parser.add_argument("--reference-prefix", default="TRF")
    parser.add_argument("--nothing-found", action="store_true")
    parser.add_argument("--impound-location", default="")
    parser.add_argument("--annotation-prefix", default="ANN")
    parser.add_argument("--ban-from", default="")
    parser.add_argument("--refuse-lifts", action="store_true")
    options = parser.parse_args(argv)
    if not (options.client_id and options.client_secret and options.webhook_secret):
        parser.error("--client-id, --client-secret and --webhook-secret are required")
    return options


def main(argv: list[str] | None = None) -> None:
    options = parse(sys.argv[1:] if argv is None else argv)
    serve(options, Mazad(options.base_url, options.client_id, options.client_secret, options.scope))


if __name__ == "__main__":
    main()
