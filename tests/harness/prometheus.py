"""A real Prometheus server (Debian's `prometheus`) of the test's own, scraping loopback targets.

    with prometheus_server({"mazad-web": [9101]}, tmp_path, rules=[ALERTS]) as server:
        value = server.wait_for_value('sum(mazad_bids_total)', lambda v: v >= 1)

It gets a generated configuration, a data directory under the test's temporary
path and a free loopback port; it is stopped at the end. Debian's own
prometheus service is never touched.
"""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import yaml

from tests.harness.servers import free_port, wait_for_port

SCRAPE_INTERVAL = "1s"


def prometheus_binary() -> str | None:
    return shutil.which("prometheus") or (
        "/usr/bin/prometheus" if Path("/usr/bin/prometheus").exists() else None
    )


@dataclass
class Prometheus:
    base_url: str
    process: subprocess.Popen[bytes]
    log_path: Path

    def query(self, expr: str) -> list[dict[str, Any]]:
        """The instant vector of `expr` through the HTTP API (/api/v1/query)."""
        response = httpx.get(f"{self.base_url}/api/v1/query", params={"query": expr}, timeout=10)
        body = response.json()
        assert body["status"] == "success", body
        result: list[dict[str, Any]] = body["data"]["result"]
        return result

    def value(self, expr: str) -> float | None:
        """The single value of `expr`, None while it has no sample."""
        result = self.query(expr)
        if not result:
            return None
        assert len(result) == 1, result
        return float(result[0]["value"][1])

    def wait_for_value(
        self, expr: str, accept: Callable[[float], bool], *, timeout: float = 60.0
    ) -> float:
        """Poll `expr` until its value is accepted (bounded)."""
        deadline = time.monotonic() + timeout
        last: float | None = None
        while time.monotonic() < deadline:
            last = self.value(expr)
            if last is not None and accept(last):
                return last
            time.sleep(0.25)
        raise AssertionError(f"{expr} was {last} after {timeout} s\n{self.log()}")

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-3000:] if self.log_path.exists() else ""


@contextmanager
def prometheus_server(
    targets: Mapping[str, Sequence[int]], directory: Path, *, rules: Sequence[Path] = ()
) -> Iterator[Prometheus]:
    """Prometheus scraping each job's loopback ports every second, with `rules` loaded."""
    binary = prometheus_binary()
    assert binary, "prometheus is not installed (scripts/bootstrap.sh test-deps installs it)"
    directory.mkdir(parents=True, exist_ok=True)
    config = {
        "global": {"scrape_interval": SCRAPE_INTERVAL, "evaluation_interval": SCRAPE_INTERVAL},
        "rule_files": [str(path) for path in rules],
        "scrape_configs": [
            {
                "job_name": job,
                "scrape_interval": SCRAPE_INTERVAL,
                "scrape_timeout": SCRAPE_INTERVAL,
                "static_configs": [{"targets": [f"127.0.0.1:{port}" for port in ports]}],
            }
            for job, ports in targets.items()
        ],
    }
    config_path = directory / "prometheus.yml"
    config_path.write_text(yaml.safe_dump(config))
    port = free_port()
    log_path = directory / "prometheus.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [
                binary,
                f"--config.file={config_path}",
                f"--storage.tsdb.path={directory / 'data'}",
                f"--web.listen-address=127.0.0.1:{port}",
                "--log.level=warn",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    server = Prometheus(f"http://127.0.0.1:{port}", process, log_path)
    try:
        wait_for_port(port, timeout=30, process=process)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
