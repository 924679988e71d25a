"""The benchmark runner: start the stack, make the data, run every scenario and its ceiling, report.

    python -m bench.run                 # the full run (`make bench`), about 17 minutes on 2 cores
    python -m bench.run --quick         # tiny sizes, seconds (the test suite runs this)

Everything it starts (PostgreSQL, Redis, stripe-mock, web processes, the
payment worker, the clock, the relay, the Channels reference, the load
generators) is stopped before it returns, by pid. Results go to
bench/results/ (results.json, results.md, charts) unless --out says otherwise.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from websockets.sync.client import connect
from websockets.typing import Origin

from bench import procfs
from bench.report import dig
from bench.stack import PG_BIN, ROOT, Process, Stack, free_port, tool_version, web_command

RESULTS = ROOT / "bench" / "results"
SERVER_KINDS = ("uvicorn", "daphne")
# The per-user flood limits stay in force in production; a capacity run lifts them so that a
# few dozen bidders can offer thousands of bids a second (docs/live-protocol.md).
CAPACITY_LIMITS = {
    "LIVE_BID_RATE": "100000",
    "LIVE_BID_BURST": "100000",
    "LIVE_SOCKET_RATE": "100000",
    "LIVE_SOCKET_BURST": "100000",
}


@dataclass
class Plan:
    """Sizes and durations of one run."""

    quick: bool = False
    repeats: int = 3
    duration: float = 5.0
    warmup: float = 1.0
    gap: float = 1.0  # between the phases of a fan-out run, for late events to arrive
    web_processes: int = 2
    bidders: int = 50
    sweep: tuple[int, ...] = (2, 16, 50, 64, 128)
    next_bidders: int = 64
    race_bidders: int = 256
    many_lots: int = 1000
    many_bidders: int = 64
    fanout: tuple[int, ...] = (100, 1000, 10000)
    fanout_rate: float = 5.0
    big_rate: float = 1.0
    ramp: tuple[float, ...] = (25, 50, 100, 200, 400, 800)
    reference_rates: tuple[float, ...] = (1, 5)
    ramp_duration: float = 3.0
    storm_lots: int = 1000
    storm_spread: float = 20.0
    storm_window: int = 5
    catalog_lots: int = 100_000
    catalog_letters: int = 100_000
    catalog_readers: int = 64
    # The open-loop runs: each reader opens a page every `catalog_pace` seconds on average.
    catalog_pace: float = 2.0
    # Our steady-state closed loop measures after this much more of the same load (beyond
    # `warmup`): long enough for the page cache to hold what the readers read (the 400 lot
    # pages they pick from, 200 lots in two languages, are each read within about 20 s).
    catalog_settle: float = 20.0
    pgbench_clients: tuple[int, ...] = (1, 16, 50, 64, 256)
    profile: bool = True
    servers: tuple[str, ...] = SERVER_KINDS
    full_on: tuple[str, ...] = ("uvicorn",)  # servers that get every repeat and the ramp
    only: tuple[str, ...] = ()  # the scenarios to run, all when empty: ("hot_next", "many")

    @classmethod
    def tiny(cls) -> Plan:
        return cls(
            quick=True,
            repeats=1,
            duration=0.6,
            warmup=0.3,
            gap=0.3,
            bidders=4,
            sweep=(),
            next_bidders=4,
            race_bidders=8,
            many_lots=20,
            many_bidders=4,
            web_processes=1,
            fanout=(10,),
            fanout_rate=5.0,
            big_rate=5.0,
            ramp=(40,),
            reference_rates=(5,),
            ramp_duration=0.6,
            storm_lots=6,
            storm_spread=1.0,
            storm_window=1,
            catalog_lots=60,
            catalog_letters=60,
            catalog_readers=2,
            catalog_pace=0.2,
            catalog_settle=0.5,
            pgbench_clients=(),
            profile=False,
        )


def median(values: list[float]) -> float | None:
    values = [v for v in values if v is not None]
    return round(statistics.median(values), 3) if values else None


@dataclass
class Load:
    mode: str
    config: dict[str, Any]
    name: str
    process: subprocess.Popen[bytes] | None = None
    out: Path = field(default_factory=Path)


class Runner:
    def __init__(
        self, plan: Plan, out: Path, postgres_url: str | None, redis_url: str | None
    ) -> None:
        self.plan = plan
        self.out = out
        self.work = Path(tempfile.mkdtemp(prefix="mazad-bench-"))
        self.raw = out / "raw"
        self.stack = Stack(work_dir=self.work, log_dir=self.work / "logs", durable=not plan.quick)
        self.stack.log_dir.mkdir(parents=True, exist_ok=True)
        self.postgres_url = postgres_url
        self.redis_url = redis_url
        self.results: dict[str, Any] = {"runs": {}, "ceilings": {}, "notes": []}
        self.data: dict[str, Any] = {}
        self.hot_lots: list[int] = []
        self.fanout_lots: list[int] = []
        self.loads: list[Load] = []
        self.worker: Process | None = None
        self.clock: Process | None = None
        self.started = time.monotonic()
        # Called once, when the next loads are connected and about to start (a profiler).
        self.before_go: Callable[[], None] | None = None

    # --- plumbing --------------------------------------------------------------------------

    def log(self, message: str) -> None:
        print(f"[{time.monotonic() - self.started:6.1f}s] {message}", flush=True)

    def django(self, command: str, spec: dict[str, Any]) -> dict[str, Any]:
        spec_path = self.work / f"{command}-spec.json"
        out_path = self.work / f"{command}-out.json"
        spec_path.write_text(json.dumps(spec))
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "bench.data",
                command,
                "--spec",
                str(spec_path),
                "--out",
                str(out_path),
            ],
            cwd=ROOT,
            env=self.stack.django_env(),
            capture_output=True,
            text=True,
        )
        if result.returncode != 0:
            raise RuntimeError(
                f"bench.data {command} failed:\n{result.stdout}\n{result.stderr[-5000:]}"
            )
        return json.loads(out_path.read_text())

    def our_pids(self) -> list[int]:
        pids = [p.pid for p in self.stack.processes] + [os.getpid()]
        pids += [load.process.pid for load in self.loads if load.process is not None]
        return pids

    def snapshot(self, web: list[int]) -> dict[str, float]:
        postgres = [p.pid for p in self.stack.processes if p.name == "postgres"]
        redis = [p.pid for p in self.stack.processes if p.name == "redis"]
        return {
            "at": time.time(),
            "web": sum(procfs.tree_cpu([pid]) for pid in web),
            "postgres": procfs.tree_cpu(postgres),
            "redis": procfs.tree_cpu(redis),
            "ours": procfs.tree_cpu(self.our_pids()),
            "machine": procfs.machine_busy_seconds(),
        }

    @staticmethod
    def usage(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
        seconds = max(after["at"] - before["at"], 1e-6)
        keys = ("web", "postgres", "redis", "ours", "machine")
        used = {k: after[k] - before[k] for k in keys}
        return {
            "seconds": round(seconds, 2),
            "web_cpu_seconds": round(used["web"], 3),
            "postgres_cpu_seconds": round(used["postgres"], 3),
            "redis_cpu_seconds": round(used["redis"], 3),
            # CPU the machine spent on processes this run did not start (other work on the box).
            "other_load_cores": round(max(0.0, used["machine"] - used["ours"]) / seconds, 2),
        }

    def run_loads(
        self,
        loads: list[Load],
        *,
        web: list[int],
        windows: list[tuple[float, float]],
        on_ready: Callable[[list[dict[str, Any]]], None] | None = None,
        timeout: float = 600,
    ) -> tuple[list[dict[str, Any]], list[dict[str, float]]]:
        """Start the load processes, wait until all are connected, start them together, collect.

        `windows` are (from, until) offsets after the start during which the
        server's CPU is measured.
        """
        go = self.work / f"go-{time.monotonic_ns()}"
        for load in loads:
            stem = self.work / f"{load.name}-{time.monotonic_ns()}"
            load.config["ready_path"] = f"{stem}.ready"
            load.config["go_path"] = str(go)
            load.out = Path(f"{stem}.out.json")
            config_path = Path(f"{stem}.config.json")
            config_path.write_text(json.dumps(load.config))
            log = (self.stack.log_dir / f"load-{load.name}.log").open("ab")
            load.process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "bench.load",
                    load.mode,
                    "--config",
                    str(config_path),
                    "--out",
                    str(load.out),
                ],
                cwd=ROOT,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
            self.loads.append(load)
            self.stack.started.append(
                {"name": f"load {load.name}", "pid": load.process.pid, "command": sys.executable}
            )
        try:
            deadline = time.monotonic() + timeout
            readies: list[dict[str, Any]] = []
            for load in loads:
                path = Path(load.config["ready_path"])
                while not path.exists():
                    assert load.process is not None
                    if load.process.poll() is not None:
                        raise RuntimeError(
                            f"load {load.name} stopped early: {self._load_log(load)}"
                        )
                    if time.monotonic() > deadline:
                        raise TimeoutError(f"load {load.name} did not connect")
                    time.sleep(0.05)
                with contextlib.suppress(ValueError):
                    readies.append(json.loads(path.read_text() or "{}"))
            if on_ready is not None:
                on_ready(readies)
            if self.before_go is not None:
                self.before_go()
                self.before_go = None
            start = time.time() + 0.5
            go.write_text(str(start))
            usages = []
            for begin, end in windows:
                time.sleep(max(0.0, start + begin - time.time()))
                before = self.snapshot(web)
                time.sleep(max(0.0, start + end - time.time()))
                usages.append(self.usage(before, self.snapshot(web)))
            results = []
            for load in loads:
                assert load.process is not None
                try:
                    load.process.wait(timeout=max(5.0, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    raise RuntimeError(f"load {load.name} did not finish") from None
                if load.process.returncode != 0:
                    raise RuntimeError(f"load {load.name} failed: {self._load_log(load)}")
                results.append(json.loads(load.out.read_text()))
            return results, usages
        finally:
            for load in loads:
                if load.process is not None and load.process.poll() is None:
                    with contextlib.suppress(ProcessLookupError):
                        os.killpg(load.process.pid, signal.SIGKILL)
                    load.process.wait(timeout=10)
                if load in self.loads:
                    self.loads.remove(load)

    def _load_log(self, load: Load) -> str:
        path = self.stack.log_dir / f"load-{load.name}.log"
        return path.read_text(errors="replace")[-3000:] if path.exists() else ""

    def restart_web(self, kind: str) -> None:
        """Fresh web processes, each warmed with one watching socket (the WebSocket path's
        imports and the hub), so what they grow by next is the watchers' memory."""
        self.stack.stop_web()
        self.start_web(kind)
        lot = self.fanout_lots[0]
        for server in self.servers():
            with connect(
                f"{server['ws']}/ws/lots/{lot}/",
                origin=Origin(server["origin"]),
                compression="deflate",
                open_timeout=10,
                close_timeout=2,
            ) as socket:
                socket.recv(timeout=10)

    def servers(self) -> list[dict[str, str]]:
        return [
            {
                "ws": f"ws://127.0.0.1:{p.port}",
                "http": f"http://127.0.0.1:{p.port}",
                "origin": f"http://127.0.0.1:{p.port}",
            }
            for p in self.stack.web
        ]

    def web_pids(self) -> list[int]:
        return [p.pid for p in self.stack.web]

    def bidders(self, count: int, *, offset: int = 0) -> list[dict[str, Any]]:
        pool = self.data["bidders"]
        return [pool[(offset + i) % len(pool)] for i in range(count)]

    # --- the stack -------------------------------------------------------------------------

    def start_stack(self) -> None:
        self.log("starting PostgreSQL, Redis and stripe-mock")
        self.stack.start_postgres(self.postgres_url)
        self.stack.start_redis(self.redis_url)
        self.stack.start_stripe_mock()
        self.log("migrating the benchmark database")
        self.stack.manage("migrate", "--noinput", "-v", "0")
        self.make_data()
        env = self.stack.django_env()
        self.log("starting the payment worker and the clock")
        self.worker = self.stack.start(
            "worker", [sys.executable, "manage.py", "run_payment_worker"], env=env
        )
        self.clock = self.stack.start(
            "clock", [sys.executable, "manage.py", "run_auction_clock"], env=env
        )

    def make_data(self) -> None:
        plan = self.plan
        self.log("making the data")
        runs_per_kind = len(plan.sweep) * plan.repeats + 2 * plan.repeats + 4
        self.data = self.django(
            "setup",
            {
                "bidders": max(
                    plan.race_bidders, plan.bidders, plan.next_bidders, plan.many_bidders
                ),
                "hot_lots": runs_per_kind * len(plan.servers) + 2,
                "fanout_lots": 4 * len(plan.servers) + 2,
                "publishers": 8,
                "many_bidders": plan.many_bidders,
                "many_sets": len(plan.servers),
                "many_lots": plan.many_lots,
                "catalog_lots": plan.catalog_lots,
                "letters": plan.catalog_letters,
                "pgbench_rows": plan.many_lots,
                "script_dir": str(self.raw / "pgbench"),
            },
        )
        self.hot_lots = list(self.data["hot_lots"])
        self.fanout_lots = list(self.data["fanout_lots"])

    def start_web(self, kind: str) -> None:
        # The production settings, with the bench-only ceiling page routed (bench/urls.py).
        env = self.stack.django_env(**CAPACITY_LIMITS, DJANGO_SETTINGS_MODULE="bench.web_settings")
        self.stack.start_web(kind, self.plan.web_processes, env)
        # Warm each process up (imports, the hub, the background tasks) before measuring.
        import urllib.request

        for server in self.servers():
            for _ in range(3):
                with contextlib.suppress(Exception):
                    urllib.request.urlopen(f"{server['http']}/readyz", timeout=10).read()  # noqa: S310

    # --- ceilings: pgbench -----------------------------------------------------------------

    def pgbench(self) -> None:
        plan = self.plan
        scripts = self.data["pgbench"]["scripts"]
        self.log("pgbench on one hot row and spread over many rows, with the same client counts")
        ceilings: dict[str, Any] = {
            "statements": self.data["pgbench"]["statements"],
            "hot": {},
            "spread": {},
        }
        hot_clients = sorted(set(plan.pgbench_clients) | {plan.next_bidders, plan.race_bidders})
        for clients in hot_clients:
            repeats = plan.repeats if clients in (plan.next_bidders, plan.race_bidders) else 1
            ceilings["hot"][str(clients)] = self._pgbench_runs(scripts["hot"], clients, repeats)
        ceilings["spread"][str(plan.many_bidders)] = self._pgbench_runs(
            scripts["spread"], plan.many_bidders, plan.repeats
        )
        self.results["ceilings"]["pgbench"] = ceilings

    def _pgbench_runs(self, script: str, clients: int, repeats: int) -> dict[str, Any]:
        runs = []
        for _ in range(repeats):
            before = self.snapshot([])
            result = subprocess.run(
                [
                    str(PG_BIN / "pgbench"),
                    "-n",
                    "-f",
                    script,
                    "-c",
                    str(clients),
                    "-j",
                    str(min(clients, 2)),
                    "-T",
                    str(max(1, round(self.plan.duration))),
                    "-r",
                    self.stack.database_url,
                ],
                capture_output=True,
                text=True,
                timeout=120,
            )
            usage = self.usage(before, self.snapshot([]))
            if result.returncode != 0:
                raise RuntimeError(f"pgbench failed: {result.stdout}\n{result.stderr}")
            runs.append(
                {
                    "tps": _pgbench_value(result.stdout, "tps = "),
                    "latency_ms": _pgbench_value(result.stdout, "latency average = "),
                    "failed": _pgbench_failed(result.stdout),
                    "other_load_cores": usage["other_load_cores"],
                }
            )
        return {"clients": clients, "runs": runs, "tps": median([r["tps"] for r in runs])}

    # --- scenarios: bidding ----------------------------------------------------------------

    def bid_run(
        self, kind: str, name: str, strategy: str, bidders: list[dict[str, Any]], repeats: int
    ) -> dict[str, Any]:
        """One connection of the bidders, `repeats` measured windows back to back."""
        plan = self.plan
        acks = self.raw / f"acks-{kind}-{name}-{time.monotonic_ns()}.csv"
        config = {
            "servers": self.servers(),
            "cookie_name": self.data["cookie_name"],
            "increment": self.data["increment"],
            "strategy": strategy,
            "bidders": bidders,
            "warmup": plan.warmup,
            "duration": plan.duration,
            "repeats": repeats,
            "acks_path": str(acks),
        }
        period = plan.warmup + plan.duration
        results, usages = self.run_loads(
            [Load("bid", config, f"{kind}-{name}")],
            web=self.web_pids(),
            windows=[(i * period + plan.warmup, (i + 1) * period) for i in range(repeats)],
        )
        result = results[0]
        for phase, usage in zip(result["phases"], usages, strict=True):
            phase["usage"] = usage
        return self.summarise_bids(result, str(acks))

    @staticmethod
    def summarise_bids(result: dict[str, Any], acks: str) -> dict[str, Any]:
        runs = result["phases"]
        return {
            "repeats": len(runs),
            "bidders": result["bidders"],
            "sockets": result["sockets"],
            "accepted_per_second": median([r["accepted_per_second"] for r in runs]),
            "decided_per_second": median([r["decided_per_second"] for r in runs]),
            "ack_p50_ms": median([r["ack_ms"]["p50"] for r in runs]),
            "ack_p95_ms": median([r["ack_ms"]["p95"] for r in runs]),
            "ack_p99_ms": median([r["ack_ms"]["p99"] for r in runs]),
            "all_p99_ms": median([r["all_ms"]["p99"] for r in runs]),
            "errors": result["errors"],
            "web_cpu_cores": median(
                [r["usage"]["web_cpu_seconds"] / r["usage"]["seconds"] for r in runs]
            ),
            "postgres_cpu_cores": median(
                [r["usage"]["postgres_cpu_seconds"] / r["usage"]["seconds"] for r in runs]
            ),
            "other_load_cores": median([r["usage"]["other_load_cores"] for r in runs]),
            "acks_file": acks,
            "runs": runs,
        }

    def hot(self, kind: str, strategy: str, count: int, repeats: int) -> dict[str, Any]:
        lot = self.hot_lots.pop(0)
        bidders = [{**b, "lots": [lot]} for b in self.bidders(count)]
        result = self.bid_run(kind, f"hot-{strategy}-{count}", strategy, bidders, repeats)
        result["lots"] = [lot]
        return result

    def many(self, kind: str, index: int, repeats: int) -> dict[str, Any]:
        assignment = self.data["many_lot_sets"][index]
        lots_of: dict[int, list[int]] = {}
        for lot, first, second in assignment:
            lots_of.setdefault(first, []).append(lot)
            lots_of.setdefault(second, []).append(lot)
        bidders = [
            {**b, "lots": lots_of[b["user_id"]]}
            for b in self.bidders(self.plan.many_bidders)
            if b["user_id"] in lots_of
        ]
        result = self.bid_run(kind, "many", "spread", bidders, repeats)
        result["lots"] = [lot for lot, _a, _b in assignment]
        return result

    # --- scenarios: fan-out ----------------------------------------------------------------

    def fanout(
        self,
        label: str,
        targets: list[dict[str, str]],
        watchers: int,
        phases: list[dict[str, Any]],
        publisher: Load,
        pids: list[int],
        sample: float = 1.0,
    ) -> dict[str, Any]:
        processes = 1 if watchers <= 1000 else max(2, math.ceil(watchers / 5000))
        rss_before = sum(procfs.rss_bytes(pid) for pid in pids)
        loads = []
        for index in range(processes):
            share = watchers // processes + (1 if index < watchers % processes else 0)
            loads.append(
                Load(
                    "watch",
                    {
                        "targets": targets,
                        "count": share,
                        "phases": phases,
                        "gap": self.plan.gap,
                        "sample": sample,
                        "latencies_path": str(self.raw / f"latency-{label}-{index}.bin"),
                        "connect_concurrency": 100,
                    },
                    f"watch-{label}-{index}",
                )
            )
        publisher.config.update(phases=phases, gap=self.plan.gap)
        loads.append(publisher)
        memory: dict[str, Any] = {}

        def measure_memory(readies: list[dict[str, Any]]) -> None:
            time.sleep(1.0)
            connected = sum(r.get("connected", 0) for r in readies)
            rss_after = sum(procfs.rss_bytes(pid) for pid in pids)
            memory.update(
                connected=connected,
                rss_before=rss_before,
                rss_after=rss_after,
                bytes_per_watcher=round((rss_after - rss_before) / max(connected, 1)),
            )

        windows = []
        at = 0.0
        for phase in phases:
            windows.append((at + phase["warmup"], at + phase["warmup"] + phase["duration"]))
            at += phase["warmup"] + phase["duration"] + self.plan.gap
        results, usages = self.run_loads(loads, web=pids, windows=windows, on_ready=measure_memory)
        watch_results, publish_result = results[:-1], results[-1]
        summary_phases = []
        for index, phase in enumerate(phases):
            parts = [r["phases"][index] for r in watch_results]
            latencies = self._merge_latencies(label, processes, index)
            events = sum(p["events"] for p in parts)
            timed = sum(r["timed_watchers"] for r in watch_results)
            sent = dig(publish_result, "phases", index, "sent_in_window")
            usage = usages[index]
            # Every watcher gets every event; the timed ones (all, or a sample in the ramp)
            # tell which arrived and when, the others only count frames.
            delivered = events * watchers / timed if timed else 0
            summary_phases.append(
                {
                    "rate": phase["rate"],
                    "sent": sent,
                    "events": events,
                    "delivered_per_second": round(delivered / phase["duration"], 1),
                    "delivered_share": round(events / (sent * timed), 4)
                    if sent and timed
                    else None,
                    "frames": sum(p["frames"] for p in parts),
                    "resyncs": sum(p["resyncs"] for p in parts),
                    "gaps": sum(p["gaps"] for p in parts),
                    "latency_ms": _percentiles(latencies),
                    "timed_watchers": timed,
                    "cpu_us_per_delivery": round(usage["web_cpu_seconds"] / delivered * 1e6, 2)
                    if delivered
                    else None,
                    "usage": usage,
                    "histogram": _histogram(latencies),
                }
            )
        return {
            "watchers": watchers,
            "connected": sum(r["connected"] for r in watch_results),
            "errors": sum(r["errors"] for r in watch_results),
            "closed": sum(r["closed"] for r in watch_results),
            "connect_seconds": max(r["connect_seconds"] for r in watch_results),
            "memory": memory,
            "frames_received": sum(r.get("received", 0) for r in watch_results),
            "watcher_failures": [f for r in watch_results for f in r.get("failures", [])][:5],
            "windows": watch_results[0].get("windows"),
            "publisher": publish_result,
            "phases": summary_phases,
        }

    def _merge_latencies(self, label: str, processes: int, phase: int) -> list[float]:
        from array import array

        values = array("d")
        for index in range(processes):
            path = self.raw / f"latency-{label}-{index}.bin.{phase}"
            if path.exists():
                values.frombytes(path.read_bytes())
                path.unlink()
        return list(values)

    def our_fanout(
        self, kind: str, watchers: int, phases: list[dict[str, Any]], sample: float = 1.0
    ) -> dict[str, Any]:
        lot = self.fanout_lots.pop(0)
        targets = [
            {"url": f"{s['ws']}/ws/lots/{lot}/", "origin": s["origin"]} for s in self.servers()
        ]
        publisher = Load(
            "publish",
            {
                "kind": "lot",
                "server": self.servers()[0],
                "lot": lot,
                "bidders": self.bidders(8),
                "cookie_name": self.data["cookie_name"],
                "increment": self.data["increment"],
                "acks_path": str(
                    self.raw / f"acks-{kind}-fanout-{watchers}-{time.monotonic_ns()}.csv"
                ),
            },
            f"publish-{kind}-{watchers}",
        )
        result = self.fanout(
            f"{kind}-{watchers}", targets, watchers, phases, publisher, self.web_pids(), sample
        )
        result["lots"] = [lot]
        result["acks_file"] = publisher.config["acks_path"]
        return result

    def relay_fanout(
        self,
        name: str,
        command: list[str],
        port: int,
        path_watch: str,
        path_publish: str,
        watchers: int,
        phases: list[dict[str, Any]],
        env: dict[str, str] | None = None,
        sample: float = 1.0,
    ) -> dict[str, Any]:
        process = self.stack.start(name, command, env=env, port=port)
        try:
            origin = f"http://127.0.0.1:{port}"
            targets = [{"url": f"ws://127.0.0.1:{port}{path_watch}", "origin": origin}]
            publisher = Load(
                "publish",
                {"kind": "frames", "url": f"ws://127.0.0.1:{port}{path_publish}", "origin": origin},
                f"publish-{name}-{watchers}",
            )
            return self.fanout(
                f"{name}-{watchers}", targets, watchers, phases, publisher, [process.pid], sample
            )
        finally:
            self.stack.stop_process(process)

    def relay(
        self, watchers: int, phases: list[dict[str, Any]], sample: float = 1.0
    ) -> dict[str, Any]:
        port = free_port()
        return self.relay_fanout(
            "relay",
            [sys.executable, "bench/relay.py", "--port", str(port)],
            port,
            "/watch",
            "/publish",
            watchers,
            phases,
            sample=sample,
        )

    def reference(self, kind: str, watchers: int, phases: list[dict[str, Any]]) -> dict[str, Any]:
        port = free_port()
        env = {
            **os.environ,
            "REDIS_URL": self.stack.redis_url,
            "CHANNEL_PREFIX": f"{self.stack.prefix}-ref-{port}",
            "DJANGO_SETTINGS_MODULE": "bench.reference_settings",
        }
        return self.relay_fanout(
            f"channels-{kind}",
            web_command(kind, port, "bench.reference:application"),
            port,
            "/watch",
            "/publish",
            watchers,
            phases,
            env=env,
        )

    # --- scenarios: closing storm and catalog ----------------------------------------------

    def storm(self, kind: str) -> dict[str, Any]:
        plan = self.plan
        lead = 12.0 if not plan.quick else 2.0
        count = plan.storm_lots
        offsets = [plan.storm_spread * i / max(1, count - 1) for i in range(count)]
        self.log(f"  storm: {count} lots ending within {plan.storm_spread:.0f} s")
        data = self.django(
            "storm",
            {"lead": lead, "offsets": offsets, "bidders": 16, "window": plan.storm_window},
        )
        start_at = datetime.fromisoformat(data["lots"][0][1])
        bid_offsets = (
            [plan.storm_window + 3, plan.storm_window - 1, 1.5] if not plan.quick else [0.8, 0.4]
        )
        config = {
            "servers": self.servers(),
            "cookie_name": self.data["cookie_name"],
            "lots": data["lots"],
            "registrations": data["registrations"],
            "bid_offsets": bid_offsets,
            "wait_after": plan.storm_window + (15.0 if not plan.quick else 5.0),
        }
        total = (
            (start_at - datetime.now(UTC)).total_seconds() + plan.storm_spread + plan.storm_window
        )
        results, usages = self.run_loads(
            [Load("storm", config, f"storm-{kind}")],
            web=self.web_pids(),
            windows=[(0.0, max(1.0, total))],
        )
        seen = results[0]
        lot_ids = [int(lot) for lot, _end in data["lots"]]
        # The settlements (deposits, assets, balances) follow the closes: wait for them, bounded.
        settle_deadline = time.monotonic() + (60.0 if not plan.quick else 10.0)
        while True:
            final = self.django("storm_result", {"lots": lot_ids})["lots"]
            waiting = [r for r in final.values() if r["closed_at"] and not r["settled_at"]]
            if not waiting or time.monotonic() > settle_deadline:
                break
            time.sleep(1.0)
        lags, db_lags, settle_lags, unclosed = [], [], [], 0
        for lot_id in lot_ids:
            row = final[str(lot_id)]
            end = datetime.fromisoformat(row["ends_at"]).timestamp()
            if row["closed_at"] is None:
                unclosed += 1
                continue
            db_lags.append((datetime.fromisoformat(row["closed_at"]).timestamp() - end) * 1000)
            if row["settled_at"]:
                settled = datetime.fromisoformat(row["settled_at"]).timestamp()
                settle_lags.append((settled - end) * 1000)
            if str(lot_id) in seen["closed_seen"]:
                lags.append((seen["closed_seen"][str(lot_id)] - end) * 1000)
        extended = sum(
            1
            for lot, end in data["lots"]
            if final[str(lot)]["ends_at"] != datetime.fromisoformat(end).isoformat()
        )
        return {
            "lots": count,
            "spread_seconds": plan.storm_spread,
            "extended_by_soft_close": extended,
            "unclosed": unclosed,
            "closed_frames_seen": len(lags),
            "bids": seen["bids"],
            "socket_errors": seen["errors"],
            "lag_ms": _percentiles(lags),
            "close_lag_in_database_ms": _percentiles(db_lags),
            "settled_after_end_ms": _percentiles(settle_lags),
            "unsettled": count - unclosed - len(settle_lags),
            "within_1s": sum(1 for lag in lags if lag <= 1000),
            "usage": usages[0],
            "histogram": _histogram(lags),
        }

    def catalog(self, kind: str) -> dict[str, Any]:
        """The mixed readers of the catalog, then the same readers on the in-memory ceiling.

        Twice each: in a closed loop (every reader asks again as soon as it is answered: the
        pages per second, against the ceiling's), then in an open loop at a stated offered
        load (every reader opens a page every `catalog_pace` seconds on average: the
        latency, against the ceiling's under the same load). bench/load.py, `catalog`.

        Our closed loop runs twice: first from the page cache as the start left it (empty:
        nearly every lot page is a first render), reported as it is; then again at once,
        measured after `catalog_settle` more seconds of the same load: the steady state a
        surge of readers settles into (each page rendered once per change or expiry), which
        is what the ceiling (a page always in memory) is compared with.
        """
        plan = self.plan
        config = {
            "servers": self.servers(),
            "catalog": self.data["catalog"],
            "cookie_name": self.data["cookie_name"],
            "readers": plan.catalog_readers,
            "warmup": plan.warmup,
            "duration": plan.duration,
        }
        found: dict[str, Any] = {}
        # The ceiling serves a page of the size of the catalog's first page, as read now.
        import urllib.request

        first = f"{self.servers()[0]['http']}/auctions/"
        with urllib.request.urlopen(first, timeout=60) as answer:  # noqa: S310 (loopback)
            size = len(answer.read())
        ceiling = {"ceiling": True, "ceiling_bytes": size}
        paced = {"pace": plan.catalog_pace}
        settled = {"warmup": plan.warmup + plan.catalog_settle}
        for name, extra in (
            ("ours-cold", {}),
            ("ours", settled),
            ("ceiling", ceiling),
            ("ours-paced", paced),
            ("ceiling-paced", {**ceiling, **paced}),
        ):
            warmup = float(extra.get("warmup", plan.warmup))
            results, usages = self.run_loads(
                [Load("catalog", {**config, **extra}, f"catalog-{name}-{kind}")],
                web=self.web_pids(),
                windows=[(warmup, warmup + plan.duration)],
            )
            found[name] = {**results[0], "usage": usages[0]}
        result = dict(found["ours"])
        result["ceiling"] = found["ceiling"]
        result["cold"] = found["ours-cold"]
        result["paced"] = {**found["ours-paced"], "ceiling": found["ceiling-paced"]}
        return result

    # --- profiles --------------------------------------------------------------------------

    def profiled(
        self, name: str, action: Callable[[], dict[str, Any]], seconds: float
    ) -> dict[str, Any]:
        """Run `action` while py-spy samples the first web process; keep where the time went.

        Sampling starts when the loads are connected, so the sockets' joins (their
        snapshot queries) stay out of the profile of the measured work.
        """
        spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
        target = self.stack.web[0].pid
        raw = self.out / "profiles" / f"{name}.txt"
        raw.parent.mkdir(parents=True, exist_ok=True)
        collapsed = self.work / f"{name}.collapsed"
        spies: list[subprocess.Popen[bytes]] = []

        def start_spy() -> None:
            spies.append(
                subprocess.Popen(
                    [
                        spy,
                        "record",
                        "--pid",
                        str(target),
                        "--duration",
                        str(int(seconds)),
                        "--rate",
                        "200",
                        "--format",
                        "raw",
                        "--output",
                        str(collapsed),
                        "--nonblocking",
                        "--threads",
                    ],
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )

        self.before_go = start_spy
        try:
            result = action()
        finally:
            self.before_go = None
            for spy_process in spies:
                try:
                    spy_process.wait(timeout=seconds + 30)
                except subprocess.TimeoutExpired:
                    spy_process.kill()
        from bench.profile import summarise

        summary = summarise(collapsed) if collapsed.exists() else {"error": "py-spy wrote nothing"}
        raw.write_text(summary.pop("text", ""))
        summary["file"] = str(raw.relative_to(self.out))
        result["profile"] = summary
        return result

    # --- the whole run ---------------------------------------------------------------------

    def run(self) -> dict[str, Any]:
        plan = self.plan
        self.results["plan"] = asdict(plan)
        self.results["machine"] = machine_facts()
        self.results["started_at"] = datetime.now(UTC).isoformat()
        try:
            self.start_stack()
            self.results["machine"]["postgresql_server"] = self.stack.psql("show server_version")
            self.pgbench()
            for kind in plan.servers:
                self.results["runs"][kind] = self.run_server(kind)
                self.checkpoint()
            self.results["ceilings"]["relay"] = self.run_relay() if self.wants("relay") else {}
            self.results["invariants"] = self.verify()
        finally:
            self.log("stopping everything this run started")
            self.stack.stop()
            self.log("stopped")
            # Keep the processes' logs beside the raw results (bench/results/raw is not committed).
            shutil.rmtree(self.raw / "logs", ignore_errors=True)
            shutil.copytree(self.stack.log_dir, self.raw / "logs", dirs_exist_ok=True)
            shutil.rmtree(self.work, ignore_errors=True)
        self.results["processes"] = self.stack.started
        self.results["finished_at"] = datetime.now(UTC).isoformat()
        self.results["seconds"] = round(time.monotonic() - self.started, 1)
        return self.results

    def wants(self, scenario: str) -> bool:
        return not self.plan.only or scenario in self.plan.only

    def checkpoint(self) -> None:
        """The results so far, in case a later part fails (raw/ is not committed)."""
        (self.raw / "partial.json").write_text(json.dumps(self.results, default=str))

    def run_server(self, kind: str) -> dict[str, Any]:
        plan = self.plan
        full = kind in plan.full_on
        repeats = plan.repeats if full else 1
        # The quick mode keeps to seconds: the other server only runs a bid.
        brief = plan.quick and not full
        self.log(f"{kind}: starting {plan.web_processes} web processes")
        self.start_web(kind)
        runs: dict[str, Any] = {}
        try:
            if brief:
                runs["hot_next"] = self.hot(kind, "next", plan.next_bidders, 1)
                return runs
            if self.wants("hot"):
                self.log(f"{kind}: hot lot, {plan.bidders} bidders")
                runs["hot"] = self.hot(kind, "next", plan.bidders, repeats)
            if self.wants("hot_next"):
                self.log(f"{kind}: hot lot, {plan.next_bidders} bidders, next valid amount")
                runs["hot_next"] = self.hot(kind, "next", plan.next_bidders, repeats)
            if self.wants("hot_race"):
                self.log(f"{kind}: hot lot, {plan.race_bidders} bidders racing")
                runs["hot_race"] = self.hot(kind, "race", plan.race_bidders, repeats)
            sweep = {}
            for count in plan.sweep if full and self.wants("sweep") else ():
                if count in (plan.bidders, plan.next_bidders):
                    continue
                self.log(f"{kind}: hot lot sweep, {count} bidders")
                sweep[str(count)] = self.hot(kind, "next", count, 1)
            runs["sweep"] = sweep
            index = plan.servers.index(kind)
            if self.wants("many"):
                self.log(f"{kind}: {plan.many_bidders} bidders over {plan.many_lots} lots")
                runs["many"] = self.many(kind, index, repeats)
            runs["fanout"] = {}
            # The development server gets the fan-outs up to 1,000 watchers (time is counted).
            fanouts = plan.fanout if full else [w for w in plan.fanout if w <= 1000]
            for watchers in fanouts if self.wants("fanout") else ():
                rate = plan.big_rate if watchers >= 10000 else plan.fanout_rate
                phases = [{"rate": rate, "warmup": plan.warmup, "duration": plan.duration}] * (
                    repeats if watchers <= 1000 else 1
                )
                self.log(f"{kind}: fan-out to {watchers} watchers at {rate:g} bids/s")
                # On fresh processes, as the relay is started fresh for each run: their
                # growth is then the watchers' own, not offset by memory earlier runs freed.
                self.restart_web(kind)
                runs["fanout"][str(watchers)] = self.our_fanout(kind, watchers, phases)
            if full and self.wants("ramp"):
                ramp = [
                    {"rate": r, "warmup": plan.warmup, "duration": plan.ramp_duration}
                    for r in plan.ramp
                ]
                watchers = 1000 if not plan.quick else plan.fanout[0]
                self.log(
                    f"{kind}: conflation ramp to {watchers} watchers, {list(plan.ramp)} bids/s"
                )
                runs["ramp"] = self.our_fanout(
                    kind, watchers, ramp, sample=0.1 if not plan.quick else 1.0
                )
            if self.wants("storm"):
                self.log(f"{kind}: closing storm")
                runs["storm"] = self.storm(kind)
            self.log(
                f"{kind}: catalog with {plan.catalog_lots} lots, {plan.catalog_readers} readers"
            )
            if self.wants("catalog"):
                runs["catalog"] = self.catalog(kind)
            if plan.profile and kind == "uvicorn" and self.wants("profile"):
                seconds = plan.warmup + plan.duration + 2
                self.log(f"{kind}: profiling the hot lot and the fan-out")
                runs["profile_hot"] = self.profiled(
                    f"{kind}-hot-next",
                    lambda: self.hot(kind, "next", plan.next_bidders, 1),
                    seconds + 2,
                )
                runs["profile_many"] = self.profiled(
                    f"{kind}-many", lambda: self.many(kind, index, 1), seconds + 4
                )
                phases = [
                    {"rate": plan.fanout_rate, "warmup": plan.warmup, "duration": plan.duration}
                ]
                runs["profile_fanout"] = self.profiled(
                    f"{kind}-fanout", lambda: self.our_fanout(kind, 1000, phases), seconds + 6
                )
        finally:
            self.stack.stop_web()
        if brief:
            return runs
        runs["reference"] = {}
        for watchers in plan.fanout[:2] if self.wants("reference") else ():
            self.log(f"{kind}: the plain Channels pattern (reference), {watchers} watchers")
            phases = [
                {"rate": r, "warmup": plan.warmup, "duration": plan.duration}
                for r in plan.reference_rates
            ]
            runs["reference"][str(watchers)] = self.reference(kind, watchers, phases)
        return runs

    def run_relay(self) -> dict[str, Any]:
        plan = self.plan
        repeats = plan.repeats
        relay: dict[str, Any] = {}
        for watchers in plan.fanout:
            rate = plan.big_rate if watchers >= 10000 else plan.fanout_rate
            phases = [{"rate": rate, "warmup": plan.warmup, "duration": plan.duration}] * (
                repeats if watchers <= 1000 else 1
            )
            self.log(f"relay: {watchers} watchers at {rate:g} messages/s")
            relay[str(watchers)] = self.relay(watchers, phases)
        watchers = 1000 if not plan.quick else plan.fanout[0]
        ramp = [
            {"rate": r, "warmup": plan.warmup, "duration": plan.ramp_duration} for r in plan.ramp
        ]
        self.log(f"relay: ramp to {watchers} watchers, {list(plan.ramp)} messages/s")
        relay["ramp"] = self.relay(watchers, ramp, sample=0.1 if not plan.quick else 1.0)
        return relay

    def verify(self) -> dict[str, Any]:
        lots: set[int] = set()
        acks: list[str] = []

        def collect(node: Any) -> None:
            if isinstance(node, dict):
                lots.update(node.get("lots", []) if isinstance(node.get("lots"), list) else [])
                if node.get("acks_file"):
                    acks.append(node["acks_file"])
                for value in node.values():
                    collect(value)
            elif isinstance(node, list):
                for value in node:
                    collect(value)

        collect(self.results["runs"])
        self.log(f"verifying the bidding invariants on {len(lots)} lots")
        result = self.django("verify", {"lots": sorted(lots), "acks": acks})
        for path in acks:
            Path(path).unlink(missing_ok=True)
        return result


def _pgbench_value(text: str, prefix: str) -> float | None:
    for line in text.splitlines():
        if line.strip().startswith(prefix):
            return round(float(line.split("=", 1)[1].split()[0]), 2)
    return None


def _pgbench_failed(text: str) -> int:
    for line in text.splitlines():
        if line.startswith("number of failed transactions"):
            return int(line.split(":")[1].split()[0])
    return 0


def _percentiles(values: list[float]) -> dict[str, Any]:
    from bench.load import percentiles

    return percentiles(values)


def _histogram(values: list[float]) -> dict[str, list[float]]:
    from bench.load import histogram

    return histogram(values)


def machine_facts() -> dict[str, Any]:
    from importlib.metadata import PackageNotFoundError, version

    cpu = ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    memory = 0
    with contextlib.suppress(OSError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory = int(line.split()[1]) * 1024
    packages = {}
    for name in (
        "Django",
        "channels",
        "channels-redis",
        "daphne",
        "uvicorn",
        "uvloop",
        "httptools",
        "websockets",
        "redis",
        "psycopg",
        "psycopg-pool",
        "Twisted",
        "httpx",
        "py-spy",
        "matplotlib",
    ):
        try:
            packages[name] = version(name)
        except PackageNotFoundError:
            packages[name] = None
    return {
        "cores": os.cpu_count(),
        "cpu": cpu,
        "memory_bytes": memory,
        "kernel": platform.release(),
        "python": platform.python_version(),
        "packages": packages,
        "pgbench": tool_version([str(PG_BIN / "pgbench"), "--version"]),
        "redis_server": tool_version(["redis-server", "--version"]),
        "load_average_at_start": procfs.load_average(),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="tiny sizes: checks the runner works")
    parser.add_argument(
        "--out", default=str(RESULTS), help="where results go (default bench/results)"
    )
    parser.add_argument(
        "--postgres-url", help="use a database of our own on this server instead of initdb"
    )
    parser.add_argument(
        "--redis-url", help="use this Redis (with a prefix of our own) instead of our own"
    )
    parser.add_argument("--servers", default=",".join(SERVER_KINDS), help="uvicorn,daphne")
    parser.add_argument("--web", type=int, help="web processes (default 2, 1 in --quick)")
    parser.add_argument("--repeats", type=int, help="repeats of each measurement (default 3)")
    parser.add_argument(
        "--only",
        default="",
        help="run only these scenarios (comma-separated): hot, hot_next, hot_race, sweep, many, "
        "fanout, ramp, storm, catalog, profile, reference, relay",
    )
    args = parser.parse_args(argv)
    plan = Plan.tiny() if args.quick else Plan()
    plan.servers = tuple(s for s in args.servers.split(",") if s)
    if args.web:
        plan.web_processes = args.web
    if args.repeats:
        plan.repeats = args.repeats
    plan.only = tuple(s for s in args.only.split(",") if s)
    out = Path(args.out)
    (out / "raw").mkdir(parents=True, exist_ok=True)
    runner = Runner(plan, out, args.postgres_url, args.redis_url)

    def interrupted(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupted)
    results = runner.run()
    results["machine"]["load_average_at_end"] = procfs.load_average()
    from bench import report

    report.write(results, out)
    runner.log(f"results in {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
