"""The production-shaped stack on loopback for the benchmarks; every process it starts, it stops.

PostgreSQL (a cluster of its own in a temporary directory, or a database of
its own on a server given by URL), Redis, stripe-mock, N web processes under
uvicorn or daphne, the payment worker and the auction clock. Each process is
recorded with its pid, so that its CPU time and memory can be read from /proc
and it can be stopped by pid at the end.
"""

from __future__ import annotations

import base64
import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
PG_BIN = Path("/usr/lib/postgresql/15/bin")
SECRET_KEY = "bench-" + "k" * 60
# The stack runs production settings against stripe-mock: a test key and a webhook secret of
# its own (production refuses the published samples), and test mode said out loud.
STRIPE_SECRET_KEY = "sk_test_stack_" + "s" * 24
WEBHOOK_SECRET = "whsec_stack_" + "w" * 32
# The court the benchmark's data belongs to (bench/data.py), whose signing key the stack makes.
STACK_COURT = "BNC"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_port(port: int, process: subprocess.Popen[bytes] | None, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"process {process.args!r} exited with {process.returncode}")
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise TimeoutError(f"nothing listened on port {port} within {timeout} s")


def tool_version(command: list[str]) -> str:
    try:
        output = subprocess.run(command, capture_output=True, text=True, timeout=10, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return "not found"
    return (
        (output.stdout or output.stderr).strip().splitlines()[0]
        if output.stdout or output.stderr
        else ""
    )


@dataclass
class Process:
    name: str
    popen: subprocess.Popen[bytes]
    port: int | None = None

    @property
    def pid(self) -> int:
        return self.popen.pid

    def stop(self, grace: float = 3.0) -> None:
        """SIGTERM, then SIGKILL after `grace` seconds (uvicorn waits for background tasks)."""
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(timeout=10)


@dataclass
class Stack:
    """Everything a benchmark run started, stopped in reverse order by `stop()`."""

    work_dir: Path
    log_dir: Path
    processes: list[Process] = field(default_factory=list)
    database_url: str = ""
    admin_url: str = ""  # a URL of the server's maintenance database (for CREATE/DROP DATABASE)
    database_name: str = ""
    redis_url: str = ""
    stripe_url: str = ""
    prefix: str = field(default_factory=lambda: f"bench{uuid.uuid4().hex[:8]}")
    durable: bool = True  # fsync on, as in production; the quick mode measures nothing
    audit_key: str = field(default_factory=lambda: base64.b64encode(os.urandom(32)).decode())
    pg_dir: Path | None = None
    pg_port: int | None = None
    web: list[Process] = field(default_factory=list)
    started: list[dict[str, Any]] = field(default_factory=list)  # every process, for the record

    # --- starting --------------------------------------------------------------------------

    def start(
        self,
        name: str,
        command: list[str],
        *,
        env: dict[str, str] | None = None,
        port: int | None = None,
        cwd: Path = ROOT,
        wait: bool = True,
    ) -> Process:
        log = (self.log_dir / f"{name}.log").open("ab")
        popen = subprocess.Popen(
            command,
            cwd=cwd,
            env=env or os.environ.copy(),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        process = Process(name, popen, port)
        self.processes.append(process)
        self.started.append({"name": name, "pid": popen.pid, "command": command[0]})
        if port is not None and wait:
            self.wait_for(process)
        return process

    def wait_for(self, process: Process) -> None:
        assert process.port is not None
        try:
            wait_for_port(process.port, process.popen)
        except Exception as error:
            text = (self.log_dir / f"{process.name}.log").read_text(errors="replace")[-3000:]
            raise RuntimeError(f"{process.name} did not start: {error}\n{text}") from None

    def start_postgres(self, external_url: str | None) -> None:
        """A PostgreSQL of our own (initdb), or a database of our own on `external_url`'s server."""
        self.database_name = self.prefix  # bench<hex>: never a name another run uses
        if external_url:
            parts = urllib.parse.urlsplit(external_url)
            self.admin_url = urllib.parse.urlunsplit(parts._replace(path="/postgres"))
            self.database_url = urllib.parse.urlunsplit(
                parts._replace(path=f"/{self.database_name}")
            )
            self.psql(f'create database "{self.database_name}"')
            return
        self.pg_dir = Path(tempfile.mkdtemp(prefix="mazad-bench-pg-"))
        self.pg_port = free_port()
        as_postgres = _as_postgres()
        if as_postgres:
            shutil.chown(self.pg_dir, "postgres", "postgres")
        data = self.pg_dir / "data"
        subprocess.run(
            [
                *as_postgres,
                str(PG_BIN / "initdb"),
                "-D",
                str(data),
                "-U",
                "postgres",
                "--auth=trust",
                "-E",
                "UTF8",
                "--locale=C.UTF-8",
            ],
            check=True,
            capture_output=True,
        )
        # Production-like: durable commits (fsync and synchronous_commit stay on), room for the
        # 256-client pgbench runs, memory for the data set.
        settings = [
            "-c",
            "listen_addresses=127.0.0.1",
            "-c",
            f"port={self.pg_port}",
            "-c",
            f"unix_socket_directories={self.pg_dir}",
            "-c",
            "max_connections=400",
            "-c",
            "shared_buffers=512MB",
            "-c",
            "max_wal_size=4GB",
            "-c",
            "log_min_messages=warning",
        ]
        if not self.durable:
            settings += ["-c", "fsync=off", "-c", "synchronous_commit=off"]
        self.start(
            "postgres",
            [*as_postgres, str(PG_BIN / "postgres"), "-D", str(data), *settings],
            port=self.pg_port,
        )
        self.admin_url = f"postgres://postgres@127.0.0.1:{self.pg_port}/postgres"
        self.database_url = f"postgres://postgres@127.0.0.1:{self.pg_port}/{self.database_name}"
        for _ in range(100):
            if (
                subprocess.run(
                    [str(PG_BIN / "pg_isready"), "-h", "127.0.0.1", "-p", str(self.pg_port)],
                    capture_output=True,
                ).returncode
                == 0
            ):
                break
            time.sleep(0.1)
        self.psql(f'create database "{self.database_name}"')

    def psql(self, sql: str, url: str | None = None) -> str:
        result = subprocess.run(
            [
                str(PG_BIN / "psql"),
                url or self.admin_url,
                "-qtAX",
                "-v",
                "ON_ERROR_STOP=1",
                "-c",
                sql,
            ],
            capture_output=True,
            text=True,
            check=True,
        )
        return result.stdout.strip()

    def start_redis(self, external_url: str | None) -> None:
        if external_url:
            self.redis_url = external_url
            return
        port = free_port()
        self.start(
            "redis",
            [
                "redis-server",
                "--bind",
                "127.0.0.1",
                "--port",
                str(port),
                "--save",
                "",
                "--appendonly",
                "no",
                "--maxclients",
                "20000",
            ],
            port=port,
        )
        self.redis_url = f"redis://127.0.0.1:{port}/0"

    def start_stripe_mock(self) -> None:
        port = free_port()
        sock = self.work_dir / f"stripe-mock-{port}.sock"
        self.start(
            "stripe-mock",
            [stripe_mock_binary(), "-http-addr", f"127.0.0.1:{port}", "-https-unix", str(sock)],
            port=port,
        )
        self.stripe_url = f"http://127.0.0.1:{port}"

    def django_env(self, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
        env.update(
            DJANGO_SETTINGS_MODULE="config.settings.production",
            SECRET_KEY=SECRET_KEY,
            DEBUG="false",
            ALLOWED_HOSTS="127.0.0.1,localhost",
            SECURE_SSL_REDIRECT="false",
            DATABASE_URL=self.database_url,
            REDIS_URL=self.redis_url,
            CHANNEL_PREFIX=self.prefix,
            STRIPE_API_BASE=self.stripe_url,
            STRIPE_SECRET_KEY=STRIPE_SECRET_KEY,
            STRIPE_WEBHOOK_SECRET=WEBHOOK_SECRET,
            STRIPE_ALLOW_TEST_MODE="true",
            CLOCK_IN_PROCESS="false",
            LOG_LEVEL="WARNING",
            MEDIA_ROOT=str(self.work_dir / "media"),
            PRIVATE_MEDIA_ROOT=str(self.work_dir / "private"),
            # The audit trail's checkpoints are signed: a key of this run's own, kept in its
            # temporary directory with the checkpoints.
            AUDIT_SIGNING_KEY=self.audit_key,
            AUDIT_CHECKPOINT_DIR=str(self.work_dir / "audit-checkpoints"),
            **self.court_signing_env(),
            # No mail server here: the notices' e-mails go to the worker's log.
            EMAIL_BACKEND="django.core.mail.backends.console.EmailBackend",
            PYTHONUNBUFFERED="1",
        )
        env.update(extra)
        return env

    def court_signing_env(self) -> dict[str, str]:
        """Production signs court documents with each court's key, chained to a trust root: a
        root and a key for the stack's court (bench/data.py), made once in its directory."""
        folder = self.work_dir / "court-keys"
        if not (folder / "root.pem").exists():
            env = {
                k: v
                for k, v in os.environ.items()
                if k not in ("DJANGO_SETTINGS_MODULE", "DATABASE_URL", "DJANGO_ALLOW_ASYNC_UNSAFE")
            }
            subprocess.run(
                [
                    str(VENV_BIN / "python"),
                    "manage.py",
                    "make_court_signing_keys",
                    "--out",
                    str(folder),
                    STACK_COURT,
                ],
                cwd=ROOT,
                env=env,
                check=True,
                capture_output=True,
            )
        return {
            "COURT_SIGNING_KEYS": f"{STACK_COURT}={folder / f'{STACK_COURT}.pem'}",
            "COURT_SIGNING_TRUST_ROOTS": str(folder / "root.pem"),
        }

    def manage(self, *args: str, env: dict[str, str] | None = None) -> str:
        result = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=env or self.django_env(),
            capture_output=True,
            text=True,
        )
        if result.returncode != 0:
            raise RuntimeError(
                f"manage.py {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"
            )
        return result.stdout

    def start_web(self, kind: str, count: int, env: dict[str, str]) -> list[Process]:
        self.web = []
        for index in range(count):
            port = free_port()
            self.web.append(
                self.start(
                    f"{kind}-{index}",
                    web_command(kind, port, "config.asgi:application"),
                    env=env,
                    port=port,
                    wait=False,
                )
            )
        for process in self.web:
            self.wait_for(process)
        return self.web

    def stop_web(self) -> None:
        for process in self.web:
            if process.popen.poll() is None:
                process.popen.send_signal(signal.SIGTERM)
        for process in self.web:
            process.stop(grace=1.0)
            self.processes.remove(process)
        self.web = []

    def stop_process(self, process: Process) -> None:
        process.stop(grace=1.0)
        if process in self.processes:
            self.processes.remove(process)

    # --- stopping --------------------------------------------------------------------------

    def stop(self) -> None:
        others = [p for p in reversed(self.processes) if p.name != "postgres"]
        for process in others:
            with contextlib.suppress(Exception):
                process.popen.send_signal(signal.SIGTERM)
        for process in others:
            with contextlib.suppress(Exception):
                process.stop(grace=1.0)
        postgres = [p for p in self.processes if p.name == "postgres"]
        if not postgres and self.admin_url and self.database_name:
            with contextlib.suppress(Exception):
                self.psql(f'drop database if exists "{self.database_name}" with (force)')
        for process in postgres:
            with contextlib.suppress(Exception):
                assert self.pg_dir is not None
                subprocess.run(
                    [
                        *_as_postgres(),
                        str(PG_BIN / "pg_ctl"),
                        "stop",
                        "-m",
                        "fast",
                        "-w",
                        "-D",
                        str(self.pg_dir / "data"),
                    ],
                    capture_output=True,
                    timeout=30,
                    check=False,
                )
                process.popen.wait(timeout=10)
            with contextlib.suppress(Exception):
                process.stop()
        self.processes.clear()
        if self.pg_dir is not None:
            shutil.rmtree(self.pg_dir, ignore_errors=True)


def _as_postgres() -> list[str]:
    """PostgreSQL refuses to run as root: run its programs as the postgres user then."""
    if os.geteuid() != 0:
        return []
    return ["runuser", "-u", "postgres", "--"]


def web_command(kind: str, port: int, app: str) -> list[str]:
    if kind == "uvicorn":
        return [
            str(VENV_BIN / "uvicorn"),
            app,
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--ws",
            "websockets-sansio",
            "--loop",
            "uvloop",
            "--http",
            "httptools",
            "--ws-per-message-deflate",
            "false",
            "--no-access-log",
            "--lifespan",
            "off",
            "--backlog",
            "4096",
        ]
    if kind == "daphne":
        return [str(VENV_BIN / "daphne"), "-b", "127.0.0.1", "-p", str(port), app]
    raise ValueError(kind)


def stripe_mock_binary() -> str:
    """The stripe-mock that scripts/bootstrap.sh built into var/tools/bin, else one on PATH."""
    built = ROOT / "var" / "tools" / "bin" / "stripe-mock"
    if built.exists():
        return str(built)
    return shutil.which("stripe-mock") or str(built)
