"""The fault scenarios' stack: one per run of this package, pointed at by the test process.

The stack (tests/harness/stack.py) has its own PostgreSQL, Redis and
stripe-mock, so breaking them disturbs nobody else. While a scenario runs, the
test process's own database connection, Redis publisher and audit checkpoint
folder point at the stack, so the test arranges its sale with the ordinary
factories and services and reads the invariants from the stack's database.
Every scenario starts on a whole stack (whatever the previous one broke is
started again) and ends with the invariant check.
"""

from __future__ import annotations

import os
import random
from collections.abc import Iterator
from typing import Any

import pytest

from tests.faults import invariants
from tests.harness.servers import ARTIFACTS_LOGS
from tests.harness.stack import Stack, stack_database


@pytest.fixture(scope="package")
def stack(django_db_blocker: Any) -> Iterator[Stack]:
    with Stack.started(ARTIFACTS_LOGS / "faults") as running:
        yield running


@pytest.fixture
def on_stack(stack: Stack, django_db_blocker: Any) -> Iterator[Stack]:
    """The stack, whole, with this process pointed at it; the invariants checked at the end."""
    stack.ensure_running()
    stack.proxy.faults.clear()
    with django_db_blocker.unblock(), stack_database(stack):
        yield stack
        problems = invariants.check(proxy=stack.proxy)
        assert not problems.violations, (
            "invariants broken:\n" + "\n".join(problems.violations) + "\n" + stack.logs()
        )


@pytest.fixture
def chance() -> random.Random:
    """Random fault timing; FAULT_SEED repeats a run (the seed is in the failure report)."""
    seed = int(os.environ.get("FAULT_SEED") or random.SystemRandom().randrange(10**6))
    print(f"FAULT_SEED={seed}")
    return random.Random(seed)
