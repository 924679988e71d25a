"""Where a web process spends its time: a summary of py-spy's collapsed stacks.

py-spy samples the process from outside (no change to it); `summarise` turns
the samples into the functions that were running (self time), the functions
on the stack (inclusive time), and shares per component (our code, the ORM,
the database driver, the WebSocket server, the event loop, ...).
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from typing import Any

FRAME = re.compile(r"^(?P<function>.*?) \((?P<file>[^:()]+)(?::\d+)?\)$")
COMPONENTS = (
    ("our code: auction/", "/auction/"),
    ("our code: other apps", ("/core/", "/accounts/", "/payments/", "/config/")),
    ("Django ORM and SQL compiler", "django/db/"),
    ("psycopg (database driver and pool)", "psycopg"),
    ("Channels and asgiref", ("channels/", "asgiref/")),
    ("Django (other)", "django/"),
    ("uvicorn / websockets (server)", ("uvicorn/", "websockets/")),
    ("daphne / Twisted / autobahn (server)", ("daphne/", "twisted/", "autobahn/")),
    ("redis-py", "redis/"),
    ("json", "json/"),
    (
        "asyncio and threads",
        ("asyncio/", "concurrent/", "threading.py", "selectors.py", "queue.py"),
    ),
)


def _component(file: str) -> str:
    for name, needles in COMPONENTS:
        for needle in (needles,) if isinstance(needles, str) else needles:
            if needle in file:
                return name
    return "other"


def _frames(stack: str) -> list[tuple[str, str]]:
    frames = []
    for part in stack.split(";"):
        match = FRAME.match(part.strip())
        if match:
            file = match.group("file")
            short = re.sub(r"^.*/(site-packages|lib/python3\.\d+)/", "", file)
            short = re.sub(r"^.*/wt-[^/]+/|^.*/mazad/", "", short)
            frames.append((f"{match.group('function')} ({short})", file))
    return frames


def summarise(path: Path, top: int = 25) -> dict[str, Any]:
    self_time: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    components: Counter[str] = Counter()
    total = 0
    for line in path.read_text(errors="replace").splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not count_text.isdigit():
            continue
        count = int(count_text)
        frames = _frames(stack)
        if not frames:
            continue
        total += count
        self_time[frames[-1][0]] += count
        components[_component(frames[-1][1])] += count
        for name in {name for name, _file in frames}:
            inclusive[name] += count

    def share(counter: Counter[str]) -> list[list[Any]]:
        return [[name, round(100 * n / total, 1)] for name, n in counter.most_common(top)]

    result: dict[str, Any] = {
        "samples": total,
        "components_percent": share(components),
        "self_percent": share(self_time),
        "inclusive_percent": share(inclusive),
    }
    lines = [
        f"{total} samples (200 a second, all threads, active only)",
        "",
        "By component (self):",
    ]
    lines += [f"  {p:5.1f}%  {n}" for n, p in result["components_percent"]]
    lines += ["", "Self time:"] + [f"  {p:5.1f}%  {n}" for n, p in result["self_percent"]]
    lines += ["", "Inclusive time:"] + [f"  {p:5.1f}%  {n}" for n, p in result["inclusive_percent"]]
    result["text"] = "\n".join(lines) + "\n"
    return result
