"""Hosts on this machine: network namespaces on a bridge of their own, with private addresses.

Each host is a namespace `<prefix>-<name>` with one interface (eth0) whose
other end is plugged into the bridge `<prefix>br0`; the bridge has
`<subnet>.1`, so this machine's own processes (the tests, a person's browser)
reach every host, and the hosts have no route anywhere but the subnet. A host
can lose its link (`cut`: the cable pulled, its processes still running) or
die (`kill`: link down first, so no goodbye reaches anyone, then every process
in it killed). `teardown` and `remove_leftovers` remove every namespace and
link with the prefix, so nothing is left behind even after a crash.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from dataclasses import dataclass, field

PREFIX = "mzc"
SUBNET = "10.77.0"


def _ip(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["ip", *args], capture_output=True, text=True, check=check, timeout=30)


@dataclass
class Host:
    name: str
    address: str
    namespace: str
    link: str  # the bridge side of the host's cable

    def exec_prefix(self) -> list[str]:
        """Run a command inside the host: `[*host.exec_prefix(), "redis-server", ...]`."""
        return ["ip", "netns", "exec", self.namespace]

    def pids(self) -> list[int]:
        done = _ip("netns", "pids", self.namespace, check=False)
        return [int(pid) for pid in done.stdout.split() if pid.isdigit()]


@dataclass
class Network:
    prefix: str = PREFIX
    subnet: str = SUBNET
    hosts: dict[str, Host] = field(default_factory=dict)

    @property
    def bridge(self) -> str:
        return f"{self.prefix}br0"

    @property
    def gateway(self) -> str:
        return f"{self.subnet}.1"

    def create(self) -> None:
        remove_leftovers(self.prefix)
        _ip("link", "add", self.bridge, "type", "bridge")
        _ip("addr", "add", f"{self.gateway}/24", "dev", self.bridge)
        _ip("link", "set", self.bridge, "up")

    def add(self, name: str, last_octet: int) -> Host:
        namespace = f"{self.prefix}-{name}"
        link = f"{self.prefix}v{last_octet}"
        address = f"{self.subnet}.{last_octet}"
        _ip("netns", "add", namespace)
        _ip("link", "add", link, "type", "veth", "peer", "name", "eth0", "netns", namespace)
        _ip("link", "set", link, "master", self.bridge, "up")
        for args in (
            ("addr", "add", f"{address}/24", "dev", "eth0"),
            ("link", "set", "eth0", "up"),
            ("link", "set", "lo", "up"),
        ):
            _ip("-n", namespace, *args)
        host = Host(name, address, namespace, link)
        self.hosts[name] = host
        return host

    def cut(self, name: str) -> None:
        """Pull the host's cable: its processes run on, nobody reaches them, they reach nobody."""
        _ip("link", "set", self.hosts[name].link, "down")

    def mend(self, name: str) -> None:
        _ip("link", "set", self.hosts[name].link, "up")

    def kill(self, name: str) -> None:
        """The host dies: its address is gone first (nothing hears it go), then its processes."""
        self.cut(name)
        kill_processes(self.hosts[name].namespace)

    def teardown(self) -> None:
        remove_leftovers(self.prefix)
        self.hosts.clear()


def kill_processes(namespace: str) -> None:
    for _ in range(50):
        done = _ip("netns", "pids", namespace, check=False)
        pids = [int(pid) for pid in done.stdout.split() if pid.isdigit()]
        if not pids:
            return
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        time.sleep(0.1)


def remove_leftovers(prefix: str = PREFIX) -> list[str]:
    """Every namespace `<prefix>-*` (its processes killed) and link `<prefix>*`, removed."""
    removed = []
    listing = _ip("netns", "list", check=False).stdout.split("\n")
    for line in listing:
        name = line.split(" ")[0].strip()
        if name.startswith(f"{prefix}-"):
            kill_processes(name)
            _ip("netns", "del", name, check=False)
            removed.append(name)
    links = _ip("-o", "link", "show", check=False).stdout.splitlines()
    for line in links:
        parts = line.split(":")
        if len(parts) > 1:
            name = parts[1].strip().split("@")[0]
            if name.startswith(prefix) and (name.endswith("br0") or name[len(prefix)] == "v"):
                _ip("link", "del", name, check=False)
                removed.append(name)
    return removed
