"""A real SMTP server (aiosmtpd), run as its own process, that records every message.

    python -m tests.harness.smtp_sink PORT RECORD_FILE

Each message accepted is appended to RECORD_FILE as one JSON line (its Message-ID,
recipients, subject and the raw message); stopping the process is a mail outage.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
from email import message_from_bytes
from email.policy import default
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller


class Recorder:
    def __init__(self, record: Path) -> None:
        self.record = record
        self.lock = threading.Lock()

    async def handle_DATA(  # noqa: N802 - aiosmtpd's hook name
        self, server: Any, session: Any, envelope: Any
    ) -> str:
        raw = envelope.original_content or envelope.content
        parsed = message_from_bytes(raw, policy=default)
        entry = {
            "message_id": parsed["Message-ID"],
            "to": list(envelope.rcpt_tos),
            "subject": str(parsed["Subject"]),
            "raw": raw.decode("utf-8", "replace"),
        }
        with self.lock, self.record.open("a") as file:
            file.write(json.dumps(entry, ensure_ascii=False) + "\n")
        return "250 Message accepted for delivery"


def main() -> None:
    port, record = int(sys.argv[1]), Path(sys.argv[2])
    controller = Controller(Recorder(record), hostname="127.0.0.1", port=port)
    controller.start()
    # Stopped like a mail server that goes away: at once, mid-conversation if need be.
    signal.signal(signal.SIGTERM, lambda *_args: os._exit(0))
    signal.signal(signal.SIGINT, lambda *_args: os._exit(0))
    while True:
        signal.pause()


if __name__ == "__main__":
    main()
