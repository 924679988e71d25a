"""The hot lot and the 1,000-watcher fan-out on one host and across hosts, in the same run.

    python -m bench.cluster            # `make bench-cluster` (root: network namespaces)
    python -m bench.cluster --quick    # tiny sizes: checks the runner works

First the one-host rows, as `make bench` measures them: the benchmark's own
stack on loopback (bench/stack.py: PostgreSQL, Redis, stripe-mock, two uvicorn
processes, the worker and the clock), the load generators talking to the web
processes directly. Then the same scenarios on the many-host cluster
(cluster/topology.py): the load generators reach the web processes only
through HAProxy's TLS address (10.77.0.10), which spreads the sockets over the
two web hosts (two uvicorn processes each); every commit waits for the
synchronous standby; Redis is found through Sentinel. Every host is a network
namespace of this one machine, so the across-hosts rows show what the hops
cost (TLS at the balancer, the standby's confirmation, one more copy of every
frame), not more capacity: the cores are the same.

Every loop is bounded in count and time (bench/run.py); traffic stays on
loopback and the cluster's own bridge. Everything started is stopped at the
end, the namespaces removed. The report goes to bench/results/cluster/
(results.json, results.md) and the table is printed.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import signal
import sys
import time
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from websockets.sync.client import connect
from websockets.typing import Origin

from bench import procfs
from bench.run import CAPACITY_LIMITS, RESULTS, Plan, Runner, machine_facts, median
from cluster.topology import Cluster

OUT = RESULTS / "cluster"


def plan_for(quick: bool, repeats: int | None) -> Plan:
    """The hot lot (50 bidders) and the fan-out to 1,000 watchers at 5 bids/s, and only them."""
    plan = Plan.tiny() if quick else Plan()
    plan.servers = ("uvicorn",)
    plan.only = ("hot", "fanout")
    plan.fanout = plan.fanout[:1] if quick else (1000,)
    plan.sweep = ()
    plan.race_bidders = plan.bidders
    plan.next_bidders = plan.bidders
    plan.many_bidders = min(plan.many_bidders, 4)
    plan.many_lots = min(plan.many_lots, 20)
    plan.catalog_lots = min(plan.catalog_lots, 60)
    plan.catalog_letters = min(plan.catalog_letters, 60)
    plan.profile = False
    if repeats:
        plan.repeats = repeats
    return plan


def scenarios(runner: Runner, kind: str) -> dict[str, Any]:
    plan = runner.plan
    runs: dict[str, Any] = {}
    runner.log(f"{kind}: hot lot, {plan.bidders} bidders")
    runs["hot"] = runner.hot(kind, "next", plan.bidders, plan.repeats)
    watchers = plan.fanout[0]
    phases = [
        {"rate": plan.fanout_rate, "warmup": plan.warmup, "duration": plan.duration}
    ] * plan.repeats
    runner.log(f"{kind}: fan-out to {watchers} watchers at {plan.fanout_rate:g} bids/s")
    runner.restart_web(kind)
    runs["fanout"] = {str(watchers): runner.our_fanout(kind, watchers, phases)}
    return runs


class ClusterRunner(Runner):
    """The benchmark's runner pointed at a running cluster: its database, Redis and balancer."""

    def __init__(self, plan: Plan, out: Path, cluster: Cluster) -> None:
        super().__init__(plan, out, None, None)
        assert cluster.launcher is not None
        self.cluster = cluster
        # The cluster's launcher: its environment (the multi-host DSN, the Sentinels) for the
        # data and its processes for the CPU figures.
        self.stack = cluster.launcher

    def start_stack(self) -> None:
        self.make_data()

    def start_web(self, kind: str) -> None:
        """The cluster's web processes are running behind the balancer already."""

    def servers(self) -> list[dict[str, str]]:
        base = self.cluster.base_url
        return [{"ws": f"wss://{self.cluster.address('lb')}", "http": base, "origin": base}]

    def web_pids(self) -> list[int]:
        return [process.pid for process in self.cluster.web_processes()]

    def restart_web(self, kind: str) -> None:
        """Fresh web processes on both hosts, each warmed with one socket through the balancer
        (it gives each new connection to the process with the fewest, so one each)."""
        self.cluster.restart_web()
        lot = self.fanout_lots[0]
        server = self.servers()[0]
        with contextlib.ExitStack() as sockets:
            opened = [
                sockets.enter_context(
                    connect(
                        f"{server['ws']}/ws/lots/{lot}/",
                        origin=Origin(server["origin"]),
                        compression="deflate",
                        open_timeout=10,
                        close_timeout=2,
                    )
                )
                for _ in self.web_pids()
            ]
            for socket in opened:
                socket.recv(timeout=10)

    def our_pids(self) -> list[int]:
        return super().our_pids() + self.cluster.postgres_pids()

    def snapshot(self, web: list[int]) -> dict[str, float]:
        processes = self.cluster.processes
        redis = [p.pid for host in ("redis1", "redis2") for p in processes.get(host, [])]
        balancer = [p.pid for p in processes.get("lb", [])]
        return {
            "at": time.time(),
            "web": sum(procfs.tree_cpu([pid]) for pid in web),
            "postgres": procfs.tree_cpu(self.cluster.postgres_pids()),
            "redis": procfs.tree_cpu(redis),
            "balancer": procfs.tree_cpu(balancer),
            "ours": procfs.tree_cpu(self.our_pids()),
            "machine": procfs.machine_busy_seconds(),
        }

    @staticmethod
    def usage(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
        used = Runner.usage(before, after)
        used["balancer_cpu_seconds"] = round(after["balancer"] - before["balancer"], 3)
        return used


def one_host(plan: Plan, out: Path) -> dict[str, Any]:
    runner = Runner(plan, out, None, None)
    try:
        runner.start_stack()
        runner.log("one host: starting 2 web processes")
        runner.start_web("uvicorn")
        runner.results["runs"]["uvicorn"] = scenarios(runner, "uvicorn")
        runner.results["invariants"] = runner.verify()
    finally:
        runner.log("one host: stopping everything it started")
        runner.stack.stop()
        shutil.rmtree(runner.raw / "logs-one-host", ignore_errors=True)
        shutil.copytree(runner.stack.log_dir, runner.raw / "logs-one-host", dirs_exist_ok=True)
        shutil.rmtree(runner.work, ignore_errors=True)
    return {
        "runs": runner.results["runs"]["uvicorn"],
        "invariants": runner.results["invariants"],
        "processes": runner.stack.started,
    }


def across_hosts(plan: Plan, out: Path) -> dict[str, Any]:
    started = time.monotonic()
    print("[cluster] starting the cluster (network namespaces, 10.77.0.0/24)", flush=True)
    with Cluster.running(out / "raw" / "cluster-logs", web_env=CAPACITY_LIMITS) as cluster:
        print(f"[cluster] up in {time.monotonic() - started:.0f} s", flush=True)
        # The load generators trust the certificate the balancer was given for this run.
        os.environ["SSL_CERT_FILE"] = str(cluster.certificate)
        runner = ClusterRunner(plan, out, cluster)
        try:
            runner.start_stack()
            runs = scenarios(runner, "cluster")
            runner.results["runs"]["cluster"] = runs
            invariants = runner.verify()
        finally:
            os.environ.pop("SSL_CERT_FILE", None)
            shutil.rmtree(runner.work, ignore_errors=True)
        return {
            "runs": runs,
            "invariants": invariants,
            "hosts": {name: cluster.address(name) for name in cluster.network.hosts},
            "web_processes": len(cluster.web_processes()),
            "seconds_to_start": round(time.monotonic() - started, 1),
        }


# --- the report ------------------------------------------------------------------------------


def _get(node: Any, *path: Any) -> Any:
    for key in path:
        if node is None:
            return None
        try:
            node = node[key]
        except (KeyError, IndexError, TypeError):
            return None
    return node


def _phases(fanout: dict[str, Any], *path: str) -> float | None:
    return median([_get(phase, *path) for phase in fanout.get("phases", [])])


def _number(value: Any, digits: int = 1) -> str:
    if value is None:
        return "—"
    if isinstance(value, float) and digits:
        return f"{value:,.{digits}f}"
    return f"{round(value):,}"


def rows(results: dict[str, Any]) -> list[tuple[str, str, str]]:
    one, many = results.get("one_host") or {}, results.get("across_hosts") or {}
    bidders = results["plan"]["bidders"]
    watchers = str(results["plan"]["fanout"][0])
    rate = results["plan"]["fanout_rate"]

    def hot(side: dict[str, Any], *path: str) -> Any:
        return _get(side, "runs", "hot", *path)

    def fan(side: dict[str, Any]) -> dict[str, Any]:
        return _get(side, "runs", "fanout", watchers) or {}

    def balancer_cores(side: dict[str, Any]) -> float | None:
        runs = hot(side, "runs") or []
        return median(
            [
                r["usage"]["balancer_cpu_seconds"] / r["usage"]["seconds"]
                for r in runs
                if "balancer_cpu_seconds" in r.get("usage", {})
            ]
        )

    def balancer_per_delivery(side: dict[str, Any]) -> float | None:
        return median(
            [
                phase["usage"]["balancer_cpu_seconds"]
                / (phase["delivered_per_second"] * phase["usage"]["seconds"])
                * 1e6
                for phase in fan(side).get("phases", [])
                if "balancer_cpu_seconds" in phase.get("usage", {})
                and phase.get("delivered_per_second")
            ]
        )

    def per_decided_bid(side: dict[str, Any], key: str) -> float | None:
        decided = hot(side, "decided_per_second")
        cores = hot(side, key)
        return cores / decided * 1000 if cores is not None and decided else None

    def both(value: Any, digits: int = 1) -> tuple[str, str]:
        return _number(value(one), digits), _number(value(many), digits)

    table: list[tuple[str, str, str]] = []

    def row(label: str, value: Any, digits: int = 1) -> None:
        table.append((label, *both(value, digits)))

    row(f"hot lot, {bidders} bidders: accepted bids/s", lambda s: hot(s, "accepted_per_second"))
    row("hot lot: decided bids/s", lambda s: hot(s, "decided_per_second"))
    for p in ("p50", "p95", "p99"):
        row(f"hot lot: acknowledgement {p} ms", lambda s, p=p: hot(s, f"ack_{p}_ms"))
    row("hot lot: web processes' CPU, cores", lambda s: hot(s, "web_cpu_cores"), 2)
    row("hot lot: PostgreSQL CPU, cores", lambda s: hot(s, "postgres_cpu_cores"), 2)
    row("hot lot: the balancer's CPU, cores", balancer_cores, 2)
    row("hot lot: web CPU per decided bid, ms", lambda s: per_decided_bid(s, "web_cpu_cores"), 2)
    row(
        "hot lot: PostgreSQL CPU per decided bid, ms (across hosts: primary and standby)",
        lambda s: per_decided_bid(s, "postgres_cpu_cores"),
        2,
    )
    row("hot lot: other work on the machine, cores", lambda s: hot(s, "other_load_cores"), 2)
    row("hot lot: errors", lambda s: hot(s, "errors"), 0)
    label = f"fan-out, {int(watchers):,} watchers at {rate:g} bids/s"
    row(f"{label}: connected", lambda s: fan(s).get("connected"), 0)
    for p in ("p50", "p95", "p99"):
        row(
            f"{label}: bid-to-watcher {p} ms",
            lambda s, p=p: _phases(fan(s), "latency_ms", p),
        )
    row(f"{label}: delivered events/s", lambda s: _phases(fan(s), "delivered_per_second"))
    row(f"{label}: share delivered", lambda s: _phases(fan(s), "delivered_share"), 4)
    row(f"{label}: web CPU per delivery, µs", lambda s: _phases(fan(s), "cpu_us_per_delivery"))
    row(f"{label}: the balancer's CPU per delivery, µs", balancer_per_delivery)
    row(
        f"{label}: memory per watcher, bytes",
        lambda s: _get(fan(s), "memory", "bytes_per_watcher"),
        0,
    )
    row(f"{label}: resyncs", lambda s: _phases(fan(s), "resyncs"), 0)
    row(f"{label}: socket errors", lambda s: fan(s).get("errors"), 0)
    row(
        "acknowledged bids checked against the record",
        lambda s: _get(s, "invariants", "acknowledged"),
        0,
    )
    row("invariant problems", lambda s: _get(s, "invariants", "problem_count"), 0)
    return table


def markdown(results: dict[str, Any]) -> str:
    plan = results["plan"]
    start = results["machine"].get("load_average_at_start")
    end = results["machine"].get("load_average_at_end")
    lines = [
        "# One host and across hosts, in the same run",
        "",
        f"Run {results['started_at'][:16].replace('T', ' ')} UTC to "
        f"{(results.get('finished_at') or '')[:16].replace('T', ' ')} UTC on "
        f"{results['machine']['cores']} cores ({results['machine']['cpu']}); load average "
        f"{start} at the start, {end} at the end. Each figure is the median of "
        f"{plan['repeats']} windows of {plan['duration']:g} s after {plan['warmup']:g} s of "
        "warm-up. `python -m bench.cluster` (`make bench-cluster`).",
        "",
        "| figure | one host: 2 web processes, loopback | across hosts: balancer (TLS), "
        "2 web hosts × 2 processes, synchronous standby, Sentinel |",
        "| --- | ---: | ---: |",
    ]
    for label, one, many in rows(results):
        lines.append(f"| {label} | {one} | {many} |")
    problems = [
        f"- {side}: {problem}"
        for side in ("one_host", "across_hosts")
        for problem in _get(results, side, "invariants", "problems") or []
    ]
    if problems:
        lines += ["", "Invariant problems:", "", *problems]
    for side in ("one_host", "across_hosts"):
        if results.get(f"{side}_error"):
            lines += ["", f"The {side.replace('_', ' ')} part failed: {results[f'{side}_error']}"]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="tiny sizes: checks the runner works")
    parser.add_argument("--repeats", type=int, help="measured windows per scenario (default 3)")
    parser.add_argument("--out", default=str(OUT), help="where the report goes")
    parser.add_argument(
        "--redraw", action="store_true", help="rewrite results.md from results.json, run nothing"
    )
    args = parser.parse_args(argv)
    if args.redraw:
        saved = json.loads((Path(args.out) / "results.json").read_text())
        text = markdown(saved)
        (Path(args.out) / "results.md").write_text(text)
        print(text)
        return 0
    if os.geteuid() != 0:
        print("the cluster needs root (ip netns)", file=sys.stderr)
        return 2
    plan = plan_for(args.quick, args.repeats)
    out = Path(args.out)
    (out / "raw").mkdir(parents=True, exist_ok=True)

    def interrupted(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupted)
    results: dict[str, Any] = {
        "plan": asdict(plan),
        "machine": machine_facts(),
        "started_at": datetime.now(UTC).isoformat(),
    }
    failed = False
    for side, part in (("one_host", one_host), ("across_hosts", across_hosts)):
        try:
            results[side] = part(plan, out)
        except Exception as error:  # the other side's rows are still worth the report
            failed = True
            results[f"{side}_error"] = f"{type(error).__name__}: {error}"[:3000]
            print(f"[{side}] failed: {error}", file=sys.stderr, flush=True)
    results["machine"]["load_average_at_end"] = procfs.load_average()
    results["finished_at"] = datetime.now(UTC).isoformat()
    (out / "results.json").write_text(json.dumps(results, indent=1, default=str) + "\n")
    text = markdown(results)
    (out / "results.md").write_text(text)
    print(text)
    print(f"report in {out}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
