"""Metrics: a real Prometheus scrapes the running processes; rules and dashboard name real ones."""

from __future__ import annotations

import asyncio
import json
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
import yaml
from django.test import Client
from prometheus_client.parser import text_string_to_metric_families
from websockets.asyncio.client import connect

from auction.models import Lot
from core.clock import db_now
from tests.auction import factories
from tests.conftest import ARTIFACTS, server_env
from tests.harness.aio import run
from tests.harness.http import cookie_header, logged_in_client
from tests.harness.prometheus import prometheus_server
from tests.harness.servers import ROOT, free_port, server_command, server_environment, wait_for_port

ALERTS = ROOT / "deploy" / "prometheus" / "alerts.yml"
DASHBOARD = ROOT / "deploy" / "grafana" / "mazad.json"
# Series Prometheus itself makes for every target.
PROMETHEUS_OWN = {"up"}
METRIC_NAME = re.compile(r"\b((?:mazad_[a-z0-9_]+)|up)\b")


def wait_until(condition, *, timeout: float = 60.0, what: str = "the condition") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture
def metrics_stack(tmp_path: Path) -> Iterator[dict[str, object]]:
    """uvicorn with two workers sharing one metrics port, and the clock (with its helpers), each
    family with a multiprocess directory of its own, on the test database."""
    log_dir = ARTIFACTS / "logs" / "metrics"
    shutil.rmtree(log_dir, ignore_errors=True)
    log_dir.mkdir(parents=True)
    base = {
        **server_env(),
        "CLOCK_IN_PROCESS": "false",
        "LOG_FORMAT": "json",
        "LOG_LEVEL": "INFO",
    }
    web_port, web_metrics, clock_metrics = free_port(), free_port(), free_port()
    (tmp_path / "web").mkdir()
    (tmp_path / "clock").mkdir()
    web_env = {
        **base,
        "METRICS_PORT": str(web_metrics),
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "web"),
    }
    clock_env = {
        **base,
        "METRICS_PORT": str(clock_metrics),
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "clock"),
    }
    log_config = str(ROOT / "deploy" / "logging" / "uvicorn-json.json")
    web_command = [*server_command("uvicorn", web_port), "--workers", "2"]
    web_command += ["--log-config", log_config]
    processes = []
    try:
        for name, command, env in (
            ("web", web_command, web_env),
            (
                "clock",
                [sys.executable, "manage.py", "run_auction_clock", "--interval", "0.2"],
                clock_env,
            ),
        ):
            processes.append(
                subprocess.Popen(
                    command,
                    cwd=ROOT,
                    env=server_environment(env),
                    stdout=(log_dir / f"{name}.log").open("wb"),
                    stderr=subprocess.STDOUT,
                )
            )
        for port in (web_port, web_metrics, clock_metrics):
            wait_for_port(port, timeout=60)
        yield {
            "base_url": f"http://127.0.0.1:{web_port}",
            "web_metrics": web_metrics,
            "clock_metrics": clock_metrics,
            "log_dir": log_dir,
        }
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()


def scrape(port: int) -> dict[str, float]:
    """The samples of a metrics port, by name and labels as Prometheus writes them."""
    text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=10).text
    samples = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            labels = ",".join(f'{k}="{v}"' for k, v in sorted(sample.labels.items()))
            samples[f"{sample.name}{{{labels}}}"] = sample.value
    return samples


@pytest.mark.servers
@pytest.mark.django_db(transaction=True)
def test_prometheus_scrapes_a_bid_and_the_clock_lag_from_the_running_processes(
    court, metrics_stack, tmp_path
):
    lot = factories.lot(court, opening_minor=1_000, ends_at=None)
    registration = factories.registered_bidder(lot)
    base_url = str(metrics_stack["base_url"])
    http = logged_in_client(base_url, registration.bidder.email)

    async def bid() -> dict:
        async with connect(
            f"{base_url.replace('http', 'ws')}/ws/lots/{lot.pk}/",
            origin=base_url,
            additional_headers={"Cookie": cookie_header(http)},
        ) as socket:
            await asyncio.wait_for(socket.recv(), 10)  # the snapshot
            await socket.send(json.dumps({"type": "bid", "amount_minor": 1_000, "client_id": "m1"}))
            while True:
                frame = json.loads(await asyncio.wait_for(socket.recv(), 10))
                if frame.get("type") == "bid_result":
                    return frame

    with prometheus_server(
        {
            "mazad-web": [int(metrics_stack["web_metrics"])],
            "mazad-clock": [int(metrics_stack["clock_metrics"])],
        },
        tmp_path / "prometheus",
        rules=[ALERTS],
    ) as prometheus:
        result = run(bid)
        # The lot's end moved to two seconds before now (the database's time): the clock
        # closes it at once, at least two seconds after its end.
        ended = db_now() - timedelta(seconds=2)
        Lot.objects.filter(pk=lot.pk).update(ends_at=ended, original_ends_at=ended)
        wait_until(
            lambda: Lot.objects.filter(pk=lot.pk, settled_at__isnull=False).exists(),
            what="the clock to close and settle the lot",
        )

        accepted = prometheus.wait_for_value(
            'sum(mazad_bids_total{job="mazad-web",outcome="accepted"})', lambda v: v >= 1
        )
        closes = prometheus.wait_for_value(
            'sum(mazad_lot_close_lag_seconds_count{job="mazad-clock"})', lambda v: v >= 1
        )
        close_lag = prometheus.value('sum(mazad_lot_close_lag_seconds_sum{job="mazad-clock"})')
        settlements = prometheus.wait_for_value(
            'sum(mazad_lot_settlement_lag_seconds_count{job="mazad-clock"})', lambda v: v >= 1
        )
        still_waiting = prometheus.wait_for_value(
            'max(mazad_clock_lag_seconds{job="mazad-web",step="close"})', lambda v: v == 0
        )
        batches = prometheus.value('sum(mazad_bid_batch_size_count{job="mazad-web"})')
        targets_up = prometheus.value('sum(up{job=~"mazad-.*"})')
        rules = httpx.get(f"{prometheus.base_url}/api/v1/rules", timeout=10).json()
        web_scrapes = [scrape(int(metrics_stack["web_metrics"])) for _ in range(6)]

    lot.refresh_from_db()
    assert result["accepted"] is True
    assert lot.status == Lot.Status.SOLD
    assert accepted == 1
    assert batches == 1
    assert (closes, settlements) == (1, 1)
    assert close_lag is not None
    # About the two seconds the end was moved back: less the moments between the clock's
    # transaction starting (its "now") and this test's own reading of the database's time.
    assert close_lag > 1.0
    assert still_waiting == 0
    assert targets_up == 2
    loaded = [rule for group in rules["data"]["groups"] for rule in group["rules"]]
    assert len(loaded) == len(alert_rules())
    assert all(rule["health"] != "err" for rule in loaded), loaded
    # Whichever of the two web workers answers a scrape, it reports the family's one bid.
    key = 'mazad_bids_total{outcome="accepted"}'
    assert [sample.get(key) for sample in web_scrapes] == [1.0] * len(web_scrapes)


def alert_rules() -> list[dict]:
    groups = yaml.safe_load(ALERTS.read_text())["groups"]
    return [rule for group in groups for rule in group["rules"]]


def test_the_alert_rules_pass_promtool():
    promtool = shutil.which("promtool")
    assert promtool, "promtool is not installed (scripts/bootstrap.sh test-deps installs it)"

    done = subprocess.run(
        [promtool, "check", "rules", str(ALERTS)], capture_output=True, text=True, check=False
    )

    assert done.returncode == 0, done.stdout + done.stderr
    names = {rule["alert"] for rule in alert_rules()}
    assert {
        "MazadLotsNotClosing",
        "MazadPaymentJobsNeedAttention",
        "MazadHighErrorRate",
        "MazadReplicationLag",
    } <= names


def exported_names() -> set[str]:
    """Every series name Mazad's processes can export, with the suffixes of each type."""
    from django.conf import settings
    from django.utils.module_loading import import_string

    import auction.metrics  # noqa: F401 - registers its metrics
    import payments.metrics  # noqa: F401
    from core import metrics

    collectors = [import_string(path)() for path in settings.METRICS_COLLECTORS]
    names: set[str] = set()
    suffixes = {
        "counter": ["_total", "_created"],
        "histogram": ["_bucket", "_sum", "_count", "_created"],
        "gauge": [""],
        "summary": ["_sum", "_count"],
    }
    for family in metrics.registry(collectors).collect():
        names |= {family.name + suffix for suffix in suffixes.get(family.type, [""])}
    return names


@pytest.mark.django_db
def test_every_metric_the_rules_and_the_dashboard_name_is_one_mazad_exports():
    dashboard = json.loads(DASHBOARD.read_text())
    expressions = [rule["expr"] for rule in alert_rules()] + [
        target["expr"] for panel in dashboard["panels"] for target in panel["targets"]
    ]
    named = {name for expr in expressions for name in METRIC_NAME.findall(expr)}

    unknown = named - exported_names() - PROMETHEUS_OWN

    assert len(dashboard["panels"]) >= 12
    assert not unknown, f"not exported by Mazad: {sorted(unknown)}"
    assert {
        "mazad_bids_total",
        "mazad_lot_close_lag_seconds_bucket",
        "mazad_payment_jobs",
        "mazad_http_requests_total",
        "mazad_postgres_replication_lag_seconds",
    } <= named


@pytest.mark.django_db
def test_http_latency_is_counted_by_the_routes_name_never_its_path():
    from prometheus_client import REGISTRY

    def count(route: str, status: str) -> float:
        value = REGISTRY.get_sample_value(
            "mazad_http_requests_total", {"route": route, "method": "GET", "status": status}
        )
        return value or 0.0

    before = (count("livez", "200"), count("unmatched", "404"))

    Client().get("/livez")
    Client().get("/no/such/page/12345/")

    assert (count("livez", "200"), count("unmatched", "404")) == (before[0] + 1, before[1] + 1)
    assert REGISTRY.get_sample_value(
        "mazad_http_request_duration_seconds_count", {"route": "livez", "method": "GET"}
    )
    sampled = {
        sample.labels.get("route")
        for family in REGISTRY.collect()
        if family.name == "mazad_http_requests"
        for sample in family.samples
    }
    assert not any(route and route.startswith("/") for route in sampled)


@pytest.mark.django_db
def test_metrics_are_served_on_their_own_port_only():
    from core import metrics

    port = free_port()
    server = metrics.serve(port)
    try:
        text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=10).text
    finally:
        assert server is not None
        server.shutdown()
        server.server_close()

    assert "# TYPE mazad_http_requests_total counter" in text
    assert metrics.serve(None) is None
    assert Client().get("/metrics").status_code == 404


@pytest.mark.django_db
def test_each_workers_and_clocks_heartbeat_is_served_with_its_age():
    from core import heartbeats
    from core.metrics import HeartbeatState
    from core.models import ProcessHeartbeat

    heartbeats.Beater(heartbeats.Role.WORKER).beat()
    heartbeats.Beater(heartbeats.Role.CLOCK).beat()
    ProcessHeartbeat.objects.filter(role=heartbeats.Role.CLOCK).update(
        beat_at=db_now() - timedelta(hours=1)
    )

    families = {family.name: family for family in HeartbeatState().collect()}

    ages = {
        s.labels["role"]: s.value for s in families["mazad_process_heartbeat_age_seconds"].samples
    }
    fresh = {s.labels["role"]: s.value for s in families["mazad_process_heartbeat_fresh"].samples}
    assert ages[heartbeats.Role.WORKER] < 60
    assert ages[heartbeats.Role.CLOCK] >= 3600
    assert fresh == {heartbeats.Role.WORKER: 1.0, heartbeats.Role.CLOCK: 0.0}
