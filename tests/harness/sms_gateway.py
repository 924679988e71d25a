"""A stand-in SMS gateway, run as its own process: records messages, can fail on demand.

    python -m tests.harness.sms_gateway PORT RECORD_FILE

POST /messages (JSON {"to", "from", "text", "reference"}, bearer token) appends the message
to RECORD_FILE (one JSON line) and answers 201 {"id": ...}. POST /control with
{"mode": "ok" | "error" | "timeout" | "refuse"} makes later messages succeed, answer 500,
hang for 30 s without answering, or answer 422. GET /messages lists what was recorded.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

STATE: dict[str, Any] = {"mode": "ok", "count": 0}
LOCK = threading.Lock()
HANG_SECONDS = 30.0


class Handler(BaseHTTPRequestHandler):
    record: Path

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _answer(self, status: int, body: Any) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _body(self) -> Any:
        length = int(self.headers.get("Content-Length") or 0)
        return json.loads(self.rfile.read(length) or b"{}")

    def do_GET(self) -> None:
        lines = self.record.read_text().splitlines() if self.record.exists() else []
        self._answer(200, [json.loads(line) for line in lines])

    def do_POST(self) -> None:
        if self.path == "/control":
            with LOCK:
                STATE["mode"] = self._body()["mode"]
            self._answer(200, {"mode": STATE["mode"]})
            return
        message = self._body()
        mode = STATE["mode"]
        if mode == "timeout":
            time.sleep(HANG_SECONDS)
            return
        if mode == "error":
            self._answer(500, {"error": "gateway failure"})
            return
        if mode == "refuse" or not self.headers.get("Authorization", "").startswith("Bearer "):
            self._answer(422, {"error": "invalid number"})
            return
        with LOCK:
            STATE["count"] += 1
            identifier = f"sms-{STATE['count']}"
            entry = {**message, "id": identifier, "key": self.headers.get("Idempotency-Key")}
            with self.record.open("a") as file:
                file.write(json.dumps(entry, ensure_ascii=False) + "\n")
        self._answer(201, {"id": identifier})


def main() -> None:
    port, record = int(sys.argv[1]), Path(sys.argv[2])
    Handler.record = record
    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    server.daemon_threads = True
    server.serve_forever()


if __name__ == "__main__":
    main()
