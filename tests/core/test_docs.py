"""Docs that cannot drift: every error code and every live frame type is documented."""

from __future__ import annotations

import re

from auction.engine import Refusal
from tests.harness.servers import ROOT

APPS = [
    "core",
    "accounts",
    "enforcement",
    "auction",
    "payments",
    "frontend",
    "support",
    "aftersale",
]
CODE_KEYWORD = re.compile(r'\bcode="([a-z_]+)"')
CODE_ATTRIBUTE = re.compile(r'^\s+code = "([a-z_]+)"', re.M)
FRAME_TYPE = re.compile(r'"type":\s*"([a-z_]+)"')


def documented_codes() -> set[str]:
    return set(re.findall(r"^\| `([a-z_]+)` \|", (ROOT / "docs" / "errors.md").read_text(), re.M))


def python_sources(*apps: str) -> list:
    return [
        path
        for app in apps
        for path in (ROOT / app).rglob("*.py")
        if "migrations" not in path.parts
    ]


def test_every_error_code_of_every_app_is_documented():
    used: set[str] = set()
    for path in python_sources(*[app for app in APPS if (ROOT / app).exists()]):
        text = path.read_text()
        used |= set(CODE_KEYWORD.findall(text)) | set(CODE_ATTRIBUTE.findall(text))
    used |= {refusal.value for refusal in Refusal}

    missing = used - documented_codes()

    assert not missing, f"document in docs/errors.md: {sorted(missing)}"


def test_every_frame_type_of_the_lot_socket_is_documented():
    sources = [
        ROOT / "auction" / name
        for name in ("events.py", "consumers.py", "selectors.py", "hub.py", "protocol.py")
    ]
    used = {kind for path in sources for kind in FRAME_TYPE.findall(path.read_text())}
    used |= {"batch", "resync"}
    protocol = (ROOT / "docs" / "live-protocol.md").read_text()
    documented = set(re.findall(r"^\| `([a-z_]+)` \|", protocol, re.M))

    missing = used - documented

    assert not missing, f"document in docs/live-protocol.md: {sorted(missing)}"
