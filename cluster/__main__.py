"""`make cluster`: the many-host topology for a person to try; Ctrl-C stops and removes it all.

python -m cluster            start, seed the demonstration, print the address and logins
python -m cluster down       remove whatever an interrupted run left (namespaces, links)
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading

from bench.stack import ROOT
from cluster.network import remove_leftovers
from cluster.topology import HOSTS, Cluster


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m cluster")
    parser.add_argument("command", nargs="?", default="up", choices=["up", "down"])
    parser.add_argument("--no-seed", action="store_true", help="leave the database empty")
    args = parser.parse_args(argv)
    if args.command == "down":
        removed = remove_leftovers()
        print("removed: " + (", ".join(removed) if removed else "nothing"))
        return 0
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with Cluster.running(ROOT / "var" / "cluster-logs") as cluster:
        if not args.no_seed:
            print(cluster.manage("seed_demo"))
            print(cluster.manage("seed_demo", "--logins"))
        print(f"\nMazad on {len(HOSTS)} hosts: {cluster.base_url}/")
        print(f"  the certificate made for this run: {cluster.certificate}")
        print(f"  (curl --cacert {cluster.certificate} {cluster.base_url}/readyz)")
        print(f"  logs: {cluster.log_dir}")
        for name in HOSTS:
            print(f"  {name:<10} {cluster.address(name)}")
        print("The demonstration's logins are listed above. Ctrl-C stops everything.")
        try:
            while not stop.wait(1):
                pass
        except KeyboardInterrupt:
            pass
        print("stopping")
    return 0


if __name__ == "__main__":
    sys.exit(main())
