"""Real server processes on loopback for tests: daphne, uvicorn, stripe-mock."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from bench.stack import stripe_mock_binary, web_command

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS_LOGS = ROOT / "tests" / "artifacts" / "logs"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_port(
    port: int, *, timeout: float = 20.0, process: subprocess.Popen[bytes] | None = None
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(
                f"process exited with {process.returncode} before listening on {port}"
            )
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise TimeoutError(f"nothing listened on port {port} within {timeout} s")


@dataclass
class Server:
    name: str
    port: int
    process: subprocess.Popen[bytes]
    log_path: Path

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


def server_command(kind: str, port: int) -> list[str]:
    """The web server as the benchmark and production run it (bench/stack.py keeps the flags)."""
    return web_command(kind, port, "config.asgi:application")


def server_environment(env: Mapping[str, str]) -> dict[str, str]:
    """The test process's environment for a server, without the tests' own relaxations."""
    inherited = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    return {**inherited, **env}


def start_web(kind: str, env: Mapping[str, str], log_dir: Path) -> Server:
    port = free_port()
    log_dir.mkdir(parents=True, exist_ok=True)
    log_path = log_dir / f"{kind}-{port}.log"
    process = subprocess.Popen(
        server_command(kind, port),
        cwd=ROOT,
        env=server_environment(env),
        stdout=log_path.open("wb"),
        stderr=subprocess.STDOUT,
    )
    try:
        # A loaded machine may need longer to import Django: MAZAD_SERVER_START_SECONDS.
        start_seconds = float(os.environ.get("MAZAD_SERVER_START_SECONDS", "20"))
        wait_for_port(port, timeout=start_seconds, process=process)
    except Exception:
        process.kill()
        raise RuntimeError(
            f"{kind} did not start:\n{log_path.read_text(errors='replace')}"
        ) from None
    return Server(kind, port, process, log_path)


@contextmanager
def stripe_mock(log_dir: Path, port: int | None = None) -> Iterator[Server]:
    """A stripe-mock of the test's own (on a free port unless given), stopped afterwards."""
    port = port or free_port()
    log_dir.mkdir(parents=True, exist_ok=True)
    log_path = log_dir / f"stripe-mock-{port}.log"
    sock = log_dir / f"stripe-mock-{port}-https.sock"
    sock.unlink(missing_ok=True)  # left by an earlier stripe-mock on this port
    process = subprocess.Popen(
        [stripe_mock_binary(), "-http-addr", f"127.0.0.1:{port}", "-https-unix", str(sock)],
        stdout=log_path.open("wb"),
        stderr=subprocess.STDOUT,
    )
    server = Server("stripe-mock", port, process, log_path)
    try:
        wait_for_port(port, process=process)
        yield server
    finally:
        server.stop()
        sock.unlink(missing_ok=True)
