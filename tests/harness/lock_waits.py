"""Two transactions on real PostgreSQL, to prove in what order a path takes its locks.

`elsewhere` runs a function in a thread on its own connection and records how it
ended; `until_it_waits` returns once that connection waits for a lock, so a test
can hold a lock, let the path run into it, and then take the lock the path must
not be holding yet (docs/concurrency.md).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from django.db import OperationalError, connection, transaction

from core.errors import DomainError

POLL_SECONDS = 0.02
PATIENCE_SECONDS = 20.0


def outcome_of(action: Callable[[], Any]) -> str:
    """'ok', a refusal's code (invalid_transition), or the database error (DeadlockDetected...)."""
    try:
        action()
    except OperationalError as error:
        return type(error.__cause__ or error).__name__
    except DomainError as error:
        return error.code
    return "ok"


def with_lock_timeout(action: Callable[[], Any], timeout: str = "2s") -> Callable[[], Any]:
    """`action` in a transaction that gives up waiting for a lock after `timeout`."""

    def attempt() -> Any:
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(f"SET LOCAL lock_timeout = '{timeout}'")
            return action()

    return attempt


class Elsewhere(threading.Thread):
    """`action` on another connection; its outcome lands in `outcomes[name]`."""

    def __init__(self, action: Callable[[], Any], outcomes: dict[str, str], name: str) -> None:
        super().__init__(name=f"other connection: {name}")
        self.action, self.outcomes, self.label = action, outcomes, name
        self.backend_pid: int | None = None
        self.connected = threading.Event()

    def run(self) -> None:
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_backend_pid()")
                self.backend_pid = cursor.fetchone()[0]
            self.connected.set()
            self.outcomes[self.label] = outcome_of(self.action)
        except Exception as error:  # recorded, so that the test names it
            self.outcomes[self.label] = repr(error)
        finally:
            self.connected.set()
            connection.close()


def elsewhere(action: Callable[[], Any], outcomes: dict[str, str], name: str) -> Elsewhere:
    thread = Elsewhere(action, outcomes, name)
    thread.start()
    return thread


def until_it_waits(thread: Elsewhere) -> None:
    """Return once `thread`'s connection waits for a lock (or fail the test)."""
    thread.connected.wait(PATIENCE_SECONDS)
    deadline = time.monotonic() + PATIENCE_SECONDS
    while time.monotonic() < deadline and thread.is_alive():
        with connection.cursor() as cursor:  # pg_locks is read live, not as a snapshot
            cursor.execute(
                "SELECT count(*) FROM pg_locks WHERE pid = %s AND NOT granted",
                [thread.backend_pid],
            )
            if cursor.fetchone()[0]:
                return
        time.sleep(POLL_SECONDS)
    raise AssertionError(f"{thread.name} never waited for a lock: {thread.outcomes}")
