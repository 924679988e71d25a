"""Prometheus metrics: the shared ones, and the port on which each process family serves them.

Every process counts into prometheus-client's metrics all the time (a counter
is a lock and an addition); only a process given METRICS_PORT serves them,
on its own port (loopback unless METRICS_HOST says otherwise), never on the
site's port. The families of processes:

- the web processes (uvicorn `--workers N`): with PROMETHEUS_MULTIPROC_DIR
  each process writes its numbers to a file of its own there, and every one
  of them opens METRICS_PORT with SO_REUSEPORT; whichever answers a scrape
  reads all the files, so one scrape sees the whole family. Without the
  directory (one process, daphne in development) the process serves its own.
  The web processes also serve the state read from the database at each
  scrape (`settings.METRICS_COLLECTORS`: payment jobs, webhook backlog,
  overdue lots, undelivered notices, replication).
- the auction clock: its main process serves METRICS_PORT; its helpers
  (closers, settler, notifier) write to the same directory.
- the payment worker: one process, its own port.

Files of processes that have ended are removed when a server starts, and
the gauges of ended processes at each scrape (their counters stay counted
until then, as Prometheus expects of a counter).
"""

from __future__ import annotations

import logging
import os
import re
import threading
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from django.conf import settings
from django.db import connection, transaction
from django.utils.module_loading import import_string
from prometheus_client import (
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    make_wsgi_app,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.metrics_core import Metric
from prometheus_client.multiprocess import MultiProcessCollector, mark_process_dead

from core import heartbeats

logger = logging.getLogger(__name__)

MULTIPROCESS_DIR = os.environ.get("PROMETHEUS_MULTIPROC_DIR", "")
if MULTIPROCESS_DIR:  # prometheus-client writes a file there for the first metric defined below
    Path(MULTIPROCESS_DIR).mkdir(parents=True, exist_ok=True)

# -- HTTP (core.middleware.RequestObservation) ------------------------------------------------

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
HTTP_REQUEST_SECONDS = Histogram(
    "mazad_http_request_duration_seconds",
    "Time to answer an HTTP request, by route (the URL pattern's name) and method.",
    ["route", "method"],
    buckets=LATENCY_BUCKETS,
)
HTTP_REQUESTS = Counter(
    "mazad_http_requests",
    "HTTP requests answered, by route, method and status code.",
    ["route", "method", "status"],
)

# -- e-mail (every place that sends one) -----------------------------------------------------

EMAILS_SENT = Counter("mazad_emails_sent", "E-mails handed to the mail server, by kind.", ["kind"])
EMAIL_FAILURES = Counter(
    "mazad_email_failures",
    "E-mails that could not be handed to the mail server, by kind (notices stay un-e-mailed).",
    ["kind"],
)


def email_sent(kind: str, count: int = 1) -> None:
    if count:
        EMAILS_SENT.labels(kind).inc(count)


def email_failed(kind: str, count: int = 1) -> None:
    if count:
        EMAIL_FAILURES.labels(kind).inc(count)


NOTICE_ATTEMPTS = Counter(
    "mazad_notice_attempts",
    "Attempts at delivering an outbox notice, by channel and outcome (sent, retry, gave_up).",
    ["channel", "outcome"],
)


def notice_delivered(channel: str, outcome: str) -> None:
    NOTICE_ATTEMPTS.labels(channel, outcome).inc()


# -- serving ------------------------------------------------------------------------------------


def _pid(path: Path) -> int | None:
    found = re.search(r"_(\d+)\.db$", path.name)
    return int(found.group(1)) if found else None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _dead_pids(directory: str) -> set[int]:
    pids = {_pid(path) for path in Path(directory).glob("*.db")}
    return {pid for pid in pids if pid is not None and pid != os.getpid() and not _alive(pid)}


def remove_ended_processes(directory: str = MULTIPROCESS_DIR) -> None:
    """Remove every file of processes that have ended (a family starting afresh)."""
    if not directory:
        return
    dead = _dead_pids(directory)
    for path in Path(directory).glob("*.db"):
        if _pid(path) in dead:
            path.unlink(missing_ok=True)


class Exposition:
    """What a scrape returns: the family's metrics, then the extra collectors' (if any)."""

    def __init__(self, extra: Sequence[Any] = ()) -> None:
        self.extra = list(extra)

    def collect(self) -> Iterator[Metric]:
        if MULTIPROCESS_DIR:
            for pid in _dead_pids(MULTIPROCESS_DIR):
                mark_process_dead(pid, MULTIPROCESS_DIR)  # type: ignore[no-untyped-call]
            collector = MultiProcessCollector(None, MULTIPROCESS_DIR)  # type: ignore[no-untyped-call]
            yield from collector.collect()  # type: ignore[no-untyped-call]
        else:
            yield from REGISTRY.collect()
        if not self.extra:
            return
        up = GaugeMetricFamily(
            "mazad_metrics_collector_up",
            "Whether each source of state read at scrape time answered (0: the database did not).",
            labels=["collector"],
        )
        for collector in self.extra:
            name = type(collector).__name__
            try:
                found = list(collector.collect())
            except Exception as error:  # one failing source must not empty the scrape
                logger.warning("metrics collector %s failed: %s", name, error)
                up.add_metric([name], 0)
                continue
            up.add_metric([name], 1)
            yield from found
        yield up


def registry(extra: Sequence[Any] = ()) -> CollectorRegistry:
    served = CollectorRegistry(auto_describe=False)
    served.register(Exposition(extra))
    return served


class _ErrorsToLog:
    """What wsgiref writes to stderr (a failed scrape's traceback), as log lines instead."""

    def write(self, text: str) -> int:
        if text.strip():
            logger.warning("metrics server: %s", text.rstrip())
        return len(text)

    def flush(self) -> None:
        pass


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        """Scrapes are not logged (the access log is the site's)."""

    def get_stderr(self) -> Any:
        return _ErrorsToLog()


class _Server(ThreadingMixIn, WSGIServer):
    daemon_threads = True
    allow_reuse_address = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        logger.warning("metrics request from %s failed", client_address, exc_info=True)


class _SharedServer(_Server):
    # Several processes of one family answer on one port; any one of them sees them all.
    allow_reuse_port = True


_served: list[WSGIServer] = []


def serve(
    port: int | None, *, host: str = "127.0.0.1", collectors: Iterable[Any] = ()
) -> WSGIServer | None:
    """Serve the metrics on `host:port` from a thread of this process; None if no port is set.

    With PROMETHEUS_MULTIPROC_DIR the port is shared (SO_REUSEPORT) by the family's
    processes that serve; without it a second process on the port is refused, and says so.
    """
    if not port:
        return None
    remove_ended_processes()
    app = make_wsgi_app(registry(list(collectors)))
    server_class = _SharedServer if MULTIPROCESS_DIR else _Server
    try:
        server = make_server(host, port, app, server_class, handler_class=_QuietHandler)
    except OSError as error:
        logger.warning("metrics not served on %s:%s: %s", host, port, error)
        return None
    thread = threading.Thread(target=server.serve_forever, name="metrics", daemon=True)
    thread.start()
    _served.append(server)
    logging.getLogger("mazad.process").info(
        "metrics served on %s:%s", host, port, extra={"metrics_port": port}
    )
    return server


def serve_from_settings(*, with_state: bool = False) -> WSGIServer | None:
    """Serve on METRICS_PORT/METRICS_HOST; `with_state` adds the database's state collectors."""

    collectors = (
        [import_string(path)() for path in settings.METRICS_COLLECTORS] if with_state else []
    )
    return serve(settings.METRICS_PORT, host=settings.METRICS_HOST, collectors=collectors)


# -- state read from the database at each scrape --------------------------------------------------

STATE_STATEMENT_TIMEOUT_MS = 2000


class DatabaseState:
    """Base of the collectors that read the platform's state from the database at each scrape.

    A scrape runs in a thread of the metrics server: its reads share one short
    transaction with a statement timeout, and the connection it opened is closed
    afterwards (a scrape every few seconds does not need to keep one open).
    """

    def read(self) -> Iterable[Metric]:
        raise NotImplementedError

    def collect(self) -> Iterator[Metric]:

        opened_here = connection.connection is None
        try:
            with transaction.atomic():
                if connection.vendor == "postgresql":
                    with connection.cursor() as cursor:
                        cursor.execute(
                            f"SET LOCAL statement_timeout = {int(STATE_STATEMENT_TIMEOUT_MS)}"
                        )
                found = list(self.read())
        finally:
            if opened_here:  # the scrape's own: a connection in use by the caller stays open
                connection.close()
        yield from found


class ReplicationState(DatabaseState):
    """Streaming replication seen from the primary (pg_stat_replication).

    The database role needs `pg_monitor` for the lag columns; without standbys (or on a
    standby, or SQLite) only the count is given, 0.
    """

    def read(self) -> Iterable[Metric]:

        replicas = GaugeMetricFamily(
            "mazad_postgres_replicas", "Standbys streaming from this PostgreSQL primary."
        )
        lag = GaugeMetricFamily(
            "mazad_postgres_replication_lag_seconds",
            "How far each standby's replay is behind the primary (pg_stat_replication.replay_lag).",
            labels=["replica"],
        )
        lag_bytes = GaugeMetricFamily(
            "mazad_postgres_replication_lag_bytes",
            "WAL the primary has written that each standby has not replayed yet.",
            labels=["replica"],
        )
        rows: list[tuple[Any, ...]] = []
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_is_in_recovery()")
                if not cursor.fetchone()[0]:
                    cursor.execute(
                        "SELECT coalesce(application_name, '') || '@'"
                        " || coalesce(host(client_addr), 'local'),"
                        " coalesce(extract(epoch FROM replay_lag), 0),"
                        " coalesce(pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn), 0)"
                        " FROM pg_stat_replication"
                    )
                    rows = list(cursor.fetchall())
        replicas.add_metric([], len(rows))
        for name, seconds, behind in rows:
            lag.add_metric([name], float(seconds))
            lag_bytes.add_metric([name], float(behind))
        return [replicas, lag, lag_bytes]


class HeartbeatState(DatabaseState):
    """How long ago each payment worker and auction clock last beat (core/heartbeats.py).

    The same beats `manage.py healthcheck worker|clock` reads: a loop that is stuck, or a
    host that is gone, shows as an age that keeps growing, whatever its own metrics port says.
    """

    def read(self) -> Iterable[Metric]:

        age = GaugeMetricFamily(
            "mazad_process_heartbeat_age_seconds",
            "Seconds since each worker's and clock's main loop last wrote its heartbeat.",
            labels=["role", "host"],
        )
        fresh = GaugeMetricFamily(
            "mazad_process_heartbeat_fresh",
            "1 while a worker's or clock's heartbeat is within its allowed age, else 0.",
            labels=["role", "host"],
        )
        for beat in heartbeats.beats():
            age.add_metric([beat.role, beat.host], beat.age_seconds)
            fresh.add_metric([beat.role, beat.host], 1.0 if beat.is_fresh else 0.0)
        return [age, fresh]
