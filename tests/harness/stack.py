"""The production-shaped stack on loopback, of the test's own, to break on purpose.

A PostgreSQL cluster (initdb into a temporary directory), a Redis, a
stripe-mock behind the recording fault proxy, two web processes (uvicorn with
`--ws websockets-sansio`, as in production, and daphne), the auction clock and
the payment worker: every one on a free port, started as its own process, and
each one can be killed (SIGKILL), stopped and started again on the same port.
Nothing here touches the machine's shared services.

    with Stack.started(log_dir) as stack:
        stack.redis.restart()
        stack.web["uvicorn"].kill()
        stack.ensure_running()
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from tests.harness.fault_proxy import FaultProxy
from tests.harness.servers import (
    ROOT,
    free_port,
    server_command,
    server_environment,
    stripe_mock_binary,
    wait_for_port,
)

PG_BIN = Path(os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin"))
DATABASE = "mazad"
ROLE = "mazad"
CHANNEL_PREFIX = "faults"


def _as_postgres(command: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root: run its programs as the postgres user then."""
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *command]
    return command


def _wait_until_gone(process: subprocess.Popen[bytes], timeout: float = 10.0) -> None:
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=timeout)


@dataclass
class Managed:
    """One long-running process of the stack: started, killed and started again on one port."""

    name: str
    command: list[str]
    env: dict[str, str]
    log_path: Path
    port: int | None = None
    process: subprocess.Popen[bytes] | None = None
    starts: int = 0
    leftovers: list[Path] = field(default_factory=list)  # removed before each start
    ready_marker: str | None = None  # printed once the process is at work

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process is not None else None

    def start(self, timeout: float = 30.0) -> None:
        if self.alive:
            return
        for path in self.leftovers:  # e.g. a unix socket a killed process could not remove
            path.unlink(missing_ok=True)
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:
            log.write(f"\n--- start {self.starts + 1} of {self.name}\n".encode())
            self.process = subprocess.Popen(
                self.command, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT
            )
        self.starts += 1
        if self.port is not None:
            try:
                wait_for_port(self.port, timeout=timeout, process=self.process)
            except Exception:
                self.kill()
                raise RuntimeError(f"{self.name} did not start:\n{self.tail()}") from None

    def ready(self) -> bool:
        """Whether the current run has printed its ready marker (or is listening)."""
        if not self.alive:
            return False
        if self.ready_marker is None:
            return True
        text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        return self.ready_marker in text.rpartition(f"--- start {self.starts} of")[2]

    def kill(self) -> None:
        """SIGKILL: no shutdown handler runs, as when a machine loses the process."""
        if self.alive:
            assert self.process is not None
            self.process.kill()
            _wait_until_gone(self.process)

    def stop(self) -> None:
        if self.alive:
            assert self.process is not None
            self.process.send_signal(signal.SIGTERM)
            _wait_until_gone(self.process)

    def tail(self, lines: int = 60) -> str:
        if not self.log_path.exists():
            return ""
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])


class Postgres:
    """A throwaway PostgreSQL cluster on its own port, run as the postgres user."""

    def __init__(self, root: Path, log_dir: Path) -> None:
        self.root = root
        self.data = root / "data"
        self.port = free_port()
        # Written by the server (as the postgres user); copied to `log_dir` at the end.
        self.log_path = root / "postgres.log"
        self.kept_log = log_dir / "postgres.log"
        self.starts = 0

    @property
    def url(self) -> str:
        return f"postgres://{ROLE}:{ROLE}@127.0.0.1:{self.port}/{DATABASE}"

    def _pg_ctl(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[bytes]:
        return subprocess.run(
            _as_postgres([str(PG_BIN / "pg_ctl"), "-D", str(self.data), *args]),
            check=check,
            capture_output=True,
            timeout=60,
        )

    def create(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            owner = pwd.getpwnam("postgres")
            os.chown(self.root, owner.pw_uid, owner.pw_gid)
        subprocess.run(
            _as_postgres(
                [
                    str(PG_BIN / "initdb"),
                    "-D",
                    str(self.data),
                    "-U",
                    "postgres",
                    "-A",
                    "trust",
                    "-E",
                    "UTF8",
                    "--no-sync",
                ]
            ),
            check=True,
            capture_output=True,
            timeout=120,
        )
        self.start()
        self.psql(f"create role {ROLE} login password '{ROLE}'")
        self.psql(f"create database {DATABASE} owner {ROLE}")

    def psql(self, sql: str) -> str:
        done = subprocess.run(
            _as_postgres(
                [
                    str(PG_BIN / "psql"),
                    "-h",
                    "127.0.0.1",
                    "-p",
                    str(self.port),
                    "-U",
                    "postgres",
                    "-v",
                    "ON_ERROR_STOP=1",
                    "-qtAX",
                    "-c",
                    sql,
                ]
            ),
            check=True,
            capture_output=True,
            timeout=60,
        )
        return done.stdout.decode().strip()

    def start(self) -> None:
        options = (
            f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.root} -c fsync=on "
            "-c max_connections=200"
        )
        self._pg_ctl("-o", options, "-l", str(self.log_path), "-w", "-t", "60", "start")
        self.starts += 1
        wait_for_port(self.port, timeout=30)

    def stop(self, mode: str = "immediate") -> None:
        """`immediate` is a crash as far as the clients can tell: every session is cut."""
        if self.data.exists():
            self._pg_ctl("-m", mode, "-w", "-t", "60", "stop", check=False)

    def keep_log(self) -> None:
        if self.log_path.exists():
            self.kept_log.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(self.log_path, self.kept_log)

    @property
    def alive(self) -> bool:
        return self._pg_ctl("status", check=False).returncode == 0

    def restart(self, down_seconds: float = 0.0) -> None:
        self.stop()
        time.sleep(down_seconds)
        self.start()


class Redis(Managed):
    @classmethod
    def on_free_port(cls, log_dir: Path) -> Redis:
        port = free_port()
        command = [
            shutil.which("redis-server") or "redis-server",
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
        ]
        return cls("redis", command, dict(os.environ), log_dir / "redis.log", port)

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def restart(self, down_seconds: float = 0.0) -> None:
        self.kill()
        time.sleep(down_seconds)
        self.start()


@dataclass
class Stack:
    """Every process of a production deployment, on loopback, owned by the test."""

    root: Path
    log_dir: Path
    postgres: Postgres
    redis: Redis
    stripe: Managed
    proxy: FaultProxy
    web: dict[str, Managed] = field(default_factory=dict)
    clock: Managed | None = None
    worker: Managed | None = None

    @property
    def checkpoint_dir(self) -> Path:
        return self.root / "audit-checkpoints"

    def environment(self) -> dict[str, str]:
        return {
            "DATABASE_URL": self.postgres.url,
            "DJANGO_SETTINGS_MODULE": "config.settings.test_server",
            "REDIS_URL": self.redis.url,
            "CHANNEL_PREFIX": CHANNEL_PREFIX,
            "STRIPE_API_BASE": self.proxy.base_url,
            "STRIPE_TIMEOUT_SECONDS": "5",
            "STRIPE_EMULATE_EVENTS": "false",
            "MEDIA_ROOT": str(self.root / "media"),
            "PRIVATE_MEDIA_ROOT": str(self.root / "private"),
            "AUDIT_CHECKPOINT_DIR": str(self.checkpoint_dir),
            "AUDIT_CHECKPOINT_MINUTES": "1",
            "DEBUG": "false",
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "LOG_LEVEL": "WARNING",
            "PYTHONUNBUFFERED": "1",
        }

    def web_urls(self) -> list[tuple[str, str]]:
        """(WebSocket base, origin) of each web process, uvicorn first."""
        return [
            (f"ws://127.0.0.1:{server.port}", f"http://127.0.0.1:{server.port}")
            for server in self.web.values()
        ]

    def base_url(self, kind: str = "uvicorn") -> str:
        return f"http://127.0.0.1:{self.web[kind].port}"

    def live_base_url(self) -> str:
        """A web process that is running (the webhooks' load balancer, as it were)."""
        for server in self.web.values():
            if server.alive:
                return f"http://127.0.0.1:{server.port}"
        raise RuntimeError("no web process is running")

    # -- building -----------------------------------------------------------------------------

    @classmethod
    @contextlib.contextmanager
    def started(
        cls, log_dir: Path, prepare: Callable[[Postgres], None] | None = None
    ) -> Iterator[Stack]:
        """Start everything; stop everything and remove the temporary files, even on failure.

        `prepare` is given the new cluster before the migrations (to set up archiving, say).
        """
        root = Path(tempfile.mkdtemp(prefix="mazad-faults-"))
        root.chmod(0o755)  # the postgres user reaches its cluster inside
        shutil.rmtree(log_dir, ignore_errors=True)  # the logs of this run only
        log_dir.mkdir(parents=True, exist_ok=True)
        stack: Stack | None = None
        proxy: FaultProxy | None = None
        postgres = Postgres(root / "pg", log_dir)
        redis = Redis.on_free_port(log_dir)
        stripe = cls._stripe_mock(root, log_dir)
        try:
            postgres.create()
            if prepare is not None:
                prepare(postgres)
            redis.start()
            stripe.start()
            proxy = FaultProxy(f"http://127.0.0.1:{stripe.port}", idempotent=True, stateful=True)
            proxy.__enter__()
            stack = cls(root, log_dir, postgres, redis, stripe, proxy)
            stack.migrate()
            stack._define_processes()
            stack.ensure_running()
            yield stack
        finally:
            if stack is not None:
                stack.shutdown()
            else:
                for process in (redis, stripe):
                    process.kill()
                postgres.stop()
            postgres.keep_log()
            if proxy is not None:
                proxy.__exit__(None, None, None)
            shutil.rmtree(root, ignore_errors=True)

    @staticmethod
    def _stripe_mock(root: Path, log_dir: Path) -> Managed:
        port = free_port()
        socket = root / "stripe-mock-https.sock"
        command = [
            stripe_mock_binary(),
            "-http-addr",
            f"127.0.0.1:{port}",
            "-https-unix",
            str(socket),
        ]
        log = log_dir / "stripe-mock.log"
        return Managed("stripe-mock", command, dict(os.environ), log, port, leftovers=[socket])

    def _python(self, *args: str) -> list[str]:
        return [sys.executable, "manage.py", *args]

    def migrate(self) -> None:
        done = subprocess.run(
            self._python("migrate", "-v", "0"),
            cwd=ROOT,
            env=server_environment(self.environment()),
            capture_output=True,
            timeout=300,
        )
        if done.returncode:
            raise RuntimeError(f"migrate failed:\n{done.stdout.decode()}{done.stderr.decode()}")

    def _define_processes(self) -> None:
        env = server_environment(self.environment())
        for kind in ("uvicorn", "daphne"):
            port = free_port()
            self.web[kind] = Managed(
                kind, server_command(kind, port), env, self.log_dir / f"{kind}.log", port
            )
        self.clock = Managed(
            "clock",
            self._python("run_auction_clock", "--interval", "0.2"),
            env,
            self.log_dir / "clock.log",
            ready_marker="auction clock started",
        )
        # A short lease, so a job whose worker was killed is taken up again within seconds.
        self.worker = Managed(
            "worker",
            self._python("run_payment_worker", "--poll", "0.2", "--lease", "3"),
            env,
            self.log_dir / "worker.log",
            ready_marker="payment worker started",
        )

    # -- running ------------------------------------------------------------------------------

    def processes(self) -> list[Managed]:
        found = [self.redis, self.stripe, *self.web.values()]
        return found + [p for p in (self.clock, self.worker) if p is not None]

    def ensure_running(self) -> None:
        """Start whatever a fault left stopped, so every scenario begins on a whole stack."""
        if not self.postgres.alive:
            self.postgres.start()
        for process in self.processes():
            process.start()

    def shutdown(self) -> None:
        for process in reversed(self.processes()):
            process.kill()  # a graceful stop waits for open sockets; nothing here needs it
        self.postgres.stop("fast")

    def logs(self) -> str:
        """The last lines of every process's log, for a failure message."""
        parts = [f"== {p.name} ==\n{p.tail(30)}" for p in self.processes()]
        if self.postgres.log_path.exists():
            lines = self.postgres.log_path.read_text(errors="replace").splitlines()[-20:]
            parts.append("== postgres ==\n" + "\n".join(lines))
        return "\n".join(parts)


@contextlib.contextmanager
def stack_database(stack: Stack) -> Iterator[None]:
    """Point this (test) process's database, live events and audit folder at the stack.

    Django's connection settings are one dictionary shared by every thread's
    connection, so changing it in place (and closing the open connection)
    moves the whole process; it is put back afterwards.
    """
    from channels.layers import channel_layers
    from django.db import connections
    from django.test.utils import override_settings

    from core.live import hub

    connection = connections["default"]
    connection.close()
    saved = dict(connection.settings_dict)
    layers = {
        "default": {
            "BACKEND": "core.live.channel_layer.RedisChannelLayer",
            "CONFIG": {"hosts": [stack.redis.url], "prefix": CHANNEL_PREFIX},
        }
    }
    connection.settings_dict.update(
        NAME=DATABASE, USER=ROLE, PASSWORD=ROLE, HOST="127.0.0.1", PORT=str(stack.postgres.port)
    )
    overrides = override_settings(
        REDIS_URL=stack.redis.url,
        LIVE_PREFIX=f"{CHANNEL_PREFIX}:live",
        CHANNEL_LAYERS=layers,
        AUDIT_CHECKPOINT_DIR=str(stack.checkpoint_dir),
        STRIPE_API_BASE=stack.proxy.base_url,
    )
    overrides.enable()
    hub._publisher = None
    channel_layers.backends.clear()
    try:
        yield
    finally:
        connections.close_all()
        connection.settings_dict.clear()
        connection.settings_dict.update(saved)
        overrides.disable()
        hub._publisher = None
        channel_layers.backends.clear()
