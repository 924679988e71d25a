"""A push service on loopback, run as its own process: it takes pushes as a browser's would.

    python -m tests.harness.push_service PORT

A test registers a subscription's private half under a token
(`POST /_subscriptions/<token>` with `private_key` (base64url of the 32-byte P-256 scalar),
`auth`, `vapid_public_key` and `answer`: a status such as 201, 410 or 500, or "hang" to never
answer). Pushes to `POST /push/<token>` are then decrypted with that private key (RFC 8291,
aes128gcm, through http_ece) and their VAPID token verified (RFC 8292: the ES256 signature
of `Authorization: vapid t=<JWT>,k=<key>` against `k`, `k` against the key registered, `aud`
against this origin, `exp` in the future). `GET /_subscriptions/<token>` lists what arrived.
"""

from __future__ import annotations

import base64
import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import http_ece
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

_subscriptions: dict[str, dict[str, Any]] = {}
_received: dict[str, list[dict[str, Any]]] = {}
_lock = threading.Lock()
_stopping = threading.Event()


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def verify_vapid(authorization: str, expected_key: str, audience: str) -> dict[str, Any]:
    """What the VAPID header proves: its signature, its key, its claims."""
    scheme, _, params = authorization.partition(" ")
    fields = dict(part.strip().split("=", 1) for part in params.split(","))
    token, key = fields.get("t", ""), fields.get("k", "")
    header_b64, claims_b64, signature_b64 = token.split(".")
    public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), b64url_decode(key))
    raw = b64url_decode(signature_b64)
    signature = encode_dss_signature(
        int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big")
    )
    try:
        public.verify(signature, f"{header_b64}.{claims_b64}".encode(), ec.ECDSA(hashes.SHA256()))
        signature_valid = True
    except InvalidSignature:
        signature_valid = False
    claims = json.loads(b64url_decode(claims_b64))
    return {
        "scheme": scheme,
        "algorithm": json.loads(b64url_decode(header_b64)).get("alg"),
        "signature_valid": signature_valid,
        "key_matches": key.rstrip("=") == expected_key.rstrip("="),
        "audience_matches": claims.get("aud") == audience,
        "unexpired": int(claims.get("exp", 0)) > time.time(),
        "subject": claims.get("sub"),
    }


def decrypt(body: bytes, subscription: dict[str, Any]) -> str:
    private_key = ec.derive_private_key(
        int.from_bytes(b64url_decode(subscription["private_key"]), "big"), ec.SECP256R1()
    )
    plain = http_ece.decrypt(
        body,
        private_key=private_key,
        auth_secret=b64url_decode(subscription["auth"]),
        version="aes128gcm",
    )
    return bytes(plain).decode()


class Handler(BaseHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        return

    def _json(self, status: int, data: Any) -> None:
        body = json.dumps(data).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _body(self) -> bytes:
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def do_GET(self) -> None:
        token = self.path.removeprefix("/_subscriptions/")
        with _lock:
            self._json(200, _received.get(token, []))

    def do_POST(self) -> None:
        if self.path.startswith("/_subscriptions/") and self.path.endswith("/answer"):
            token = self.path.removeprefix("/_subscriptions/").removesuffix("/answer")
            with _lock:
                _subscriptions[token]["answer"] = json.loads(self._body())["answer"]
            self._json(200, {"answer": _subscriptions[token]["answer"]})
            return
        if self.path.startswith("/_subscriptions/"):
            token = self.path.removeprefix("/_subscriptions/")
            with _lock:
                _subscriptions[token] = json.loads(self._body())
                _received[token] = []
            self._json(201, {"registered": token})
            return
        token = self.path.removeprefix("/push/")
        body = self._body()
        with _lock:
            subscription = _subscriptions.get(token)
        if subscription is None:
            self._json(404, {"error": "unknown subscription"})
            return
        self._record(token, subscription, body)
        answer = subscription["answer"]
        if answer == "hang":
            _stopping.wait(120)
            return
        self._json(int(answer), {})

    def _record(self, token: str, subscription: dict[str, Any], body: bytes) -> None:
        audience = f"http://{self.headers['Host']}"
        record: dict[str, Any] = {
            "content_encoding": self.headers.get("Content-Encoding"),
            "ttl": self.headers.get("TTL"),
            "urgency": self.headers.get("Urgency"),
            "body_bytes": len(body),
        }
        try:
            record["payload"] = decrypt(body, subscription)
        except Exception as error:  # what failed is the finding the test reads
            record["payload_error"] = repr(error)
        try:
            record["vapid"] = verify_vapid(
                self.headers.get("Authorization", ""), subscription["vapid_public_key"], audience
            )
        except Exception as error:
            record["vapid_error"] = repr(error)
        with _lock:
            _received[token].append(record)


def main() -> None:
    port = int(sys.argv[1])
    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    server.daemon_threads = True
    try:
        server.serve_forever()
    finally:
        _stopping.set()


if __name__ == "__main__":
    main()
