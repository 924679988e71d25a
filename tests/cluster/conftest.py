"""A many-host cluster (cluster/topology.py) per test, with this process pointed at it.

Every test starts a whole cluster in network namespaces, breaks a host of it
and reads the invariants (tests/faults/invariants.py) from its database at
the end, through the same multi-host DSN the application uses, so they are
read from whichever host is the primary by then. The namespaces, links and
processes are removed afterwards, even on failure.

They need root (ip netns) and take minutes, so they run as a step of their own
(`make cluster-test`, and `make test` after the main suite), which sets
MAZAD_CLUSTER_TESTS=1; the main pytest run leaves them. A leftover of an
interrupted run (the namespaces' prefix) is removed before each cluster starts.
"""

from __future__ import annotations

import os
import random
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cluster.topology import Cluster
from tests.cluster.scenario import cluster_database
from tests.faults import invariants
from tests.harness.servers import ARTIFACTS_LOGS

if not os.environ.get("MAZAD_CLUSTER_TESTS"):
    collect_ignore_glob = ["test_*.py"]


@pytest.fixture(scope="session")
def migrated_template() -> Iterator[Path]:
    """Where the first cluster leaves a base backup of its migrated database for the others."""
    folder = Path(tempfile.mkdtemp(prefix="mazad-cluster-template-"))
    folder.chmod(0o755)
    try:
        yield folder / "data"
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def cluster(request: Any, migrated_template: Path) -> Iterator[Cluster]:
    missing = [tool for tool in ("ip", "haproxy", "redis-sentinel") if not shutil.which(tool)]
    if os.geteuid() != 0 or missing:
        pytest.skip(f"the cluster needs root and {missing or 'ip, haproxy, redis-sentinel'}")
    log_dir = ARTIFACTS_LOGS / "cluster" / request.node.name
    with Cluster.running(log_dir, template=migrated_template) as running:
        yield running


@pytest.fixture
def on_cluster(
    cluster: Cluster, django_db_blocker: Any, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Cluster]:
    """The cluster, with this process's database, live events and TLS trust pointed at it."""
    monkeypatch.setenv("SSL_CERT_FILE", str(cluster.certificate))
    with django_db_blocker.unblock(), cluster_database(cluster):
        yield cluster
        from django.db import connections

        connections["default"].close()
        problems = invariants.check()
        assert not problems.violations, (
            "invariants broken:\n" + "\n".join(problems.violations) + "\n" + cluster.logs()
        )
        print(problems.counts)


@pytest.fixture
def chance() -> random.Random:
    seed = int(os.environ.get("FAULT_SEED") or random.SystemRandom().randrange(10**6))
    print(f"FAULT_SEED={seed}")
    return random.Random(seed)
