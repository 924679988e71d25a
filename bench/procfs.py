"""CPU and memory of processes and of the whole machine, read from /proc (Linux)."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

TICKS = os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> list[str] | None:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text.rsplit(")", 1)[1].split()


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of one live process so far, with that of the children it has
    reaped (waited for); 0 when it is gone."""
    fields = _stat(pid)
    if fields is None:
        return 0.0
    return sum(int(value) for value in fields[11:15]) / TICKS  # utime stime cutime cstime


def children_map() -> dict[int, list[int]]:
    children: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        fields = _stat(int(entry.name))
        if fields is not None:
            children.setdefault(int(fields[1]), []).append(int(entry.name))
    return children


def tree(pids: Iterable[int]) -> set[int]:
    """The processes and all their live descendants (PostgreSQL's backends, say)."""
    children = children_map()
    found: set[int] = set()
    stack = list(pids)
    while stack:
        pid = stack.pop()
        if pid in found:
            continue
        found.add(pid)
        stack.extend(children.get(pid, []))
    return found


def tree_cpu(pids: Iterable[int]) -> float:
    """CPU seconds of the processes and their live descendants, and of the descendants they
    have reaped: a PostgreSQL backend that exits between two readings moves into its parent's
    count instead of vanishing from the sum (which made a difference negative)."""
    return sum(cpu_seconds(pid) for pid in tree(pids))


def rss_bytes(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def machine_busy_seconds() -> float:
    """CPU seconds the whole machine spent busy (all cores, not idle or waiting) since boot."""
    fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    values = [int(v) for v in fields]
    idle = values[3] + values[4]
    return (sum(values[:8]) - idle) / TICKS


def load_average() -> list[float]:
    return [float(v) for v in Path("/proc/loadavg").read_text().split()[:3]]
