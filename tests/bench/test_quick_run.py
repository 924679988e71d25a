"""The benchmark runner in its quick mode: it starts its stack, runs every scenario, reports, stops.

Tiny sizes and sub-second runs: this keeps the runner working. It checks that
the results are produced, well-formed and honest about the record (the bidding
invariants hold), never how fast anything was.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.harness.servers import ROOT

pytestmark = pytest.mark.servers

PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("bench")
    environment = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    completed = subprocess.run(
        [sys.executable, "-m", "bench.run", "--quick", "--out", str(out)],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=280,
    )
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-5000:]
    return out


def is_number(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def test_the_quick_run_writes_results_with_the_machine_facts_and_every_scenario(quick_run):
    results = json.loads((quick_run / "results.json").read_text())

    assert results["machine"]["cores"] >= 1
    assert results["machine"]["packages"]["Django"]
    assert results["machine"]["postgresql_server"]
    uvicorn = results["runs"]["uvicorn"]
    for key in ("hot", "hot_next", "hot_race", "many"):
        assert is_number(uvicorn[key]["decided_per_second"]), key
        assert uvicorn[key]["runs"][0]["decided"] > 0, key
    for fanout in (*uvicorn["fanout"].values(), uvicorn["ramp"], *uvicorn["reference"].values()):
        assert fanout["connected"] == fanout["watchers"]
        assert all(is_number(phase["delivered_per_second"]) for phase in fanout["phases"])
    storm = uvicorn["storm"]
    assert storm["lots"] == results["plan"]["storm_lots"]
    closed = storm["lots"] - storm["unclosed"]
    assert storm["settled_after_end_ms"]["count"] + storm["unsettled"] == closed
    catalog = uvicorn["catalog"]
    assert is_number(catalog["page_ms"]["p50"])
    assert set(catalog["statuses"]) == {"200"}
    assert is_number(catalog["ceiling"]["pages_per_second"])
    assert is_number(catalog["cold"]["pages_per_second"]), "the pass from an empty cache too"
    # The open loop at a stated pace, for ours and the ceiling alike.
    assert is_number(catalog["paced"]["page_ms"]["p50"])
    assert is_number(catalog["paced"]["ceiling"]["page_ms"]["p50"])
    assert catalog["paced"]["offered_pages_per_second"] > 0
    assert catalog["targets"]["found"] == catalog["targets"]["asked"]
    assert results["runs"]["daphne"]["hot_next"]["runs"][0]["decided"] > 0


def test_the_ceilings_are_measured_in_the_same_run(quick_run):
    results = json.loads((quick_run / "results.json").read_text())
    pgbench = results["ceilings"]["pgbench"]

    assert pgbench["statements"] >= 5  # the transaction captured from place_bid, not a toy
    assert all(is_number(run["tps"]) for run in pgbench["hot"].values())
    assert all(is_number(run["tps"]) for run in pgbench["spread"].values())
    assert results["ceilings"]["relay"]["ramp"]["phases"]
    script = (quick_run / "raw" / "pgbench" / "place_bid_hot.sql").read_text()
    assert "FOR UPDATE" in script
    assert 'INSERT INTO "auction_bid"' in script


def test_every_acknowledged_bid_is_in_the_record_and_the_invariants_hold(quick_run):
    results = json.loads((quick_run / "results.json").read_text())

    assert results["invariants"]["acknowledged"] > 0
    assert results["invariants"]["problem_count"] == 0, results["invariants"]["problems"]


def test_the_report_has_each_target_beside_its_ceiling_and_the_charts(quick_run):
    results = json.loads((quick_run / "results.json").read_text())
    report = (quick_run / "results.md").read_text()

    assert "| figure | ours | ceiling | ratio | target | met |" in report
    assert len(results["summary"]["rows"]) >= 10
    for row in results["summary"]["rows"]:
        assert {"target", "figure", "ceiling", "ratio", "goal", "met"} <= row.keys()
    for name in results["charts"]:
        assert (quick_run / name).read_bytes().startswith(PNG), name
        assert f"]({name})" in report


def test_everything_the_run_started_is_stopped(quick_run):
    results = json.loads((quick_run / "results.json").read_text())

    assert {"postgres", "redis", "stripe-mock", "worker", "clock"} <= {
        p["name"] for p in results["processes"]
    }
    still_running = []
    for process in results["processes"]:
        cmdline = Path(f"/proc/{process['pid']}/cmdline")
        if cmdline.exists() and process["command"].encode() in cmdline.read_bytes():
            still_running.append(process)
    assert not still_running
