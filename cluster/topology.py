"""Mazad on many hosts, each a network namespace of this machine (cluster/network.py).

    lb        10.77.0.10   HAProxy: TLS on :443 (a certificate made at start), WebSockets,
                           health checks on /readyz, draining through its runtime API
    web1/web2 10.77.0.21/22  two uvicorn processes each (:8000, :8001)
    worker    10.77.0.30   the payment worker
    clock1/2  10.77.0.41/42  an auction clock each (they share the work through row locks)
    pg1/pg2   10.77.0.51/52  PostgreSQL primary and its synchronous streaming standby
    redis1/2  10.77.0.61/62  Redis primary and its replica
    sentinel1-3 10.77.0.71-73  Redis Sentinels (quorum 2)
    stripe    10.77.0.80   stripe-mock, the payment provider's stand-in

The application reaches PostgreSQL through a libpq multi-host DSN with
`target_session_attrs=read-write` (whichever host is the primary) and Redis
through the Sentinels (core/redis_urls.py). Processes are started and recorded
by the benchmark's launcher (bench/stack.py), prefixed with `ip netns exec`.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from bench.stack import PG_BIN, ROOT, Process, Stack, stripe_mock_binary, web_command
from cluster.network import Network

ROLE, PASSWORD, DATABASE = "mazad", "mazad", "mazad"
REPLICATOR = "replicator"
SENTINEL_SERVICE = "mazad"
WEB_PORTS = (8000, 8001)
HOSTS = {
    "lb": 10,
    "web1": 21,
    "web2": 22,
    "worker": 30,
    "clock1": 41,
    "clock2": 42,
    "pg1": 51,
    "pg2": 52,
    "redis1": 61,
    "redis2": 62,
    "sentinel1": 71,
    "sentinel2": 72,
    "sentinel3": 73,
    "stripe": 80,
}
# A vanished PostgreSQL host is given up on within seconds, not after TCP's quarter of an hour.
PG_OPTIONS = (
    "target_session_attrs=read-write&connect_timeout=2&keepalives=1&keepalives_idle=2"
    "&keepalives_interval=1&keepalives_count=3&tcp_user_timeout=4000"
)


def wait_for_address(host: str, port: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            sock.settimeout(0.5)
            if sock.connect_ex((host, port)) == 0:
                return
        time.sleep(0.1)
    raise TimeoutError(f"nothing listened on {host}:{port} within {timeout} s")


@dataclass
class Cluster:
    """Every host and process; `Cluster.running()` starts them and removes them all after."""

    root: Path
    log_dir: Path
    network: Network = field(default_factory=Network)
    launcher: Stack | None = None
    # A migrated cluster's base backup: later clusters start from a copy instead of migrating.
    template: Path | None = None
    from_template: bool = False
    processes: dict[str, list[Process]] = field(default_factory=dict)  # host -> processes
    # More settings for the web processes only (the benchmark lifts the per-user flood limits).
    web_env: dict[str, str] = field(default_factory=dict)

    # -- addresses ----------------------------------------------------------------------------

    def address(self, host: str) -> str:
        return f"{self.network.subnet}.{HOSTS[host]}"

    @property
    def base_url(self) -> str:
        return f"https://{self.address('lb')}"

    @property
    def certificate(self) -> Path:
        return self.root / "tls" / "cert.pem"

    @property
    def database_url(self) -> str:
        hosts = ",".join(f"{self.address(h)}:5432" for h in ("pg1", "pg2"))
        return f"postgres://{ROLE}:{PASSWORD}@{hosts}/{DATABASE}?{PG_OPTIONS}"

    @property
    def redis_url(self) -> str:
        sentinels = ",".join(f"{self.address(f'sentinel{i}')}:26379" for i in (1, 2, 3))
        return f"redis+sentinel://{sentinels}/{SENTINEL_SERVICE}/0"

    def web_urls(self) -> list[tuple[str, str]]:
        """(WebSocket base, origin) as a browser has them: the balancer, and only it."""
        return [(f"wss://{self.address('lb')}", self.base_url)]

    def live_base_url(self) -> str:
        return self.base_url

    # -- building -----------------------------------------------------------------------------

    @classmethod
    @contextlib.contextmanager
    def running(
        cls,
        log_dir: Path,
        template: Path | None = None,
        web_env: dict[str, str] | None = None,
    ) -> Iterator[Cluster]:
        root = Path(tempfile.mkdtemp(prefix="mazad-cluster-"))
        root.chmod(0o755)
        shutil.rmtree(log_dir, ignore_errors=True)
        log_dir.mkdir(parents=True, exist_ok=True)
        cluster = cls(root, log_dir, template=template, web_env=dict(web_env or {}))
        try:
            cluster.start()
            yield cluster
        finally:
            cluster.stop()
            shutil.rmtree(root, ignore_errors=True)

    def start(self) -> None:
        self.network.create()
        for name, octet in HOSTS.items():
            self.network.add(name, octet)
        launcher = Stack(self.root, self.log_dir, prefix="cluster")
        launcher.database_url = self.database_url
        launcher.redis_url = self.redis_url
        launcher.stripe_url = f"http://{self.address('stripe')}:12111"
        self.launcher = launcher
        self.start_postgres()
        self.start_redis()
        self._start("stripe", "stripe-mock", self.stripe_command(), port=12111)
        if not self.from_template:
            self.migrate()
            if self.template is not None:
                self.save_template(self.template)
        for host in ("web1", "web2"):
            self.start_web(host)
        self.start_worker()
        for host in ("clock1", "clock2"):
            self.start_clock(host)
        self.start_balancer()
        self.wait_until_served()
        # At work, not merely started: a scenario that breaks a host must find it doing its job.
        self.wait_for_log("worker", "worker", "payment worker started")
        for host in ("clock1", "clock2"):
            self.wait_for_log(host, "clock", "auction clock started")

    def _start(
        self,
        host: str,
        name: str,
        command: list[str],
        *,
        port: int | None = None,
        env: dict[str, str] | None = None,
    ) -> Process:
        assert self.launcher is not None
        process = self.launcher.start(
            f"{host}-{name}",
            [*self.network.hosts[host].exec_prefix(), *command],
            env=env,
            wait=False,
        )
        self.processes.setdefault(host, []).append(process)
        if port is not None:
            try:
                wait_for_address(self.address(host), port)
            except TimeoutError as error:
                log = self.log_dir / f"{host}-{name}.log"
                raise RuntimeError(f"{error}\n{log.read_text(errors='replace')[-3000:]}") from None
        return process

    def wait_for_log(self, host: str, name: str, marker: str, timeout: float = 120) -> None:
        """Until the process's log says `marker` (a Python process on a busy machine takes a
        while to import Django); its log's end if it never does or stops first."""
        log = self.log_dir / f"{host}-{name}.log"
        process = next(p for p in self.processes[host] if p.name == f"{host}-{name}")
        deadline = time.monotonic() + timeout
        while not (log.exists() and marker in log.read_text(errors="replace")):
            if process.popen.poll() is not None or time.monotonic() > deadline:
                tail = log.read_text(errors="replace")[-3000:] if log.exists() else ""
                raise RuntimeError(f"{host}-{name} did not say {marker!r}:\n{tail}")
            time.sleep(0.2)

    def env(self, **extra: str) -> dict[str, str]:
        assert self.launcher is not None
        lb = self.address("lb")
        return self.launcher.django_env(
            ALLOWED_HOSTS=f"{lb},localhost",
            CSRF_TRUSTED_ORIGINS=self.base_url,
            SECURE_SSL_REDIRECT="true",
            AXES_PROXY_COUNT="1",
            CHANNEL_PREFIX="cluster",
            LOG_LEVEL="WARNING",
            **extra,
        )

    # -- PostgreSQL ---------------------------------------------------------------------------

    def pg_data(self, host: str) -> Path:
        return self.root / host / "data"

    def _as_postgres(self, host: str, *command: str) -> subprocess.CompletedProcess[str]:
        as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        return subprocess.run(
            [*self.network.hosts[host].exec_prefix(), *as_postgres, *command],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    def _checked(self, host: str, *command: str) -> str:
        done = self._as_postgres(host, *command)
        if done.returncode:
            raise RuntimeError(f"{' '.join(command)} on {host} failed:\n{done.stdout}{done.stderr}")
        return done.stdout.strip()

    def psql(self, host: str, sql: str) -> str:
        return self._checked(
            host,
            str(PG_BIN / "psql"),
            "-h",
            str(self.root / host),
            "-p",
            "5432",
            "-U",
            "postgres",
            "-d",
            "postgres",
            "-qtAX",
            "-v",
            "ON_ERROR_STOP=1",
            "-c",
            sql,
        )

    def pg_ctl(self, host: str, *args: str) -> str:
        return self._checked(host, str(PG_BIN / "pg_ctl"), "-D", str(self.pg_data(host)), *args)

    def start_pg(self, host: str) -> None:
        options = (
            f"-c listen_addresses={self.address(host)} "
            f"-c unix_socket_directories={self.root / host}"
        )
        self.pg_ctl(
            host,
            "-o",
            options,
            "-l",
            str(self.root / host / "postgres.log"),
            "-w",
            "-t",
            "60",
            "start",
        )

    def start_postgres(self) -> None:
        for host in ("pg1", "pg2"):
            (self.root / host).mkdir()
            if os.geteuid() == 0:
                owner = pwd.getpwnam("postgres")
                os.chown(self.root / host, owner.pw_uid, owner.pw_gid)
        if self.template is not None and (self.template / "PG_VERSION").exists():
            self.copy_template(self.template)
        else:
            self.create_primary()
        self.build_standby("pg2", primary="pg1")
        # Only now: a synchronous primary without its standby waits for it on every commit.
        self.psql("pg1", "alter system set synchronous_standby_names = 'pg2'")
        self.psql("pg1", "select pg_reload_conf()")
        deadline = time.monotonic() + 30
        while self.psql("pg1", "select sync_state from pg_stat_replication") != "sync":
            if time.monotonic() > deadline:
                raise RuntimeError("the standby did not become synchronous")
            time.sleep(0.2)

    def create_primary(self) -> None:
        self._checked(
            "pg1",
            str(PG_BIN / "initdb"),
            "-D",
            str(self.pg_data("pg1")),
            "-U",
            "postgres",
            "--auth-local=trust",
            "--auth-host=scram-sha-256",
            "-E",
            "UTF8",
            "--locale=C.UTF-8",
            "--no-sync",
        )
        subnet = f"{self.network.subnet}.0/24"
        with (self.pg_data("pg1") / "pg_hba.conf").open("a") as hba:
            hba.write(f"host all all {subnet} scram-sha-256\n")
            hba.write(f"host replication {REPLICATOR} {subnet} scram-sha-256\n")
        with (self.pg_data("pg1") / "postgresql.conf").open("a") as conf:
            conf.write(
                "\n# The cluster's settings: a synchronous standby, durable commits.\n"
                "port = 5432\nmax_connections = 300\nwal_level = replica\nmax_wal_senders = 5\n"
                "hot_standby = on\nwal_log_hints = on\nsynchronous_commit = on\nfsync = on\n"
                "log_min_messages = warning\n"
                "# A client host that vanished (a clock cut off holding a lot's row lock) is\n"
                "# given up on within seconds, so its locks pass to the hosts still there.\n"
                "tcp_keepalives_idle = 2\ntcp_keepalives_interval = 1\ntcp_keepalives_count = 3\n"
                "tcp_user_timeout = 4000\n"
            )
        self.start_pg("pg1")
        self.psql("pg1", f"create role {ROLE} login password '{PASSWORD}'")
        self.psql("pg1", f"create role {REPLICATOR} login replication password '{PASSWORD}'")
        self.psql("pg1", f"create database {DATABASE} owner {ROLE}")

    def copy_template(self, template: Path) -> None:
        """pg1 from a migrated base backup: a primary (no standby settings) with the schema."""
        data = self.pg_data("pg1")
        shutil.copytree(template, data, symlinks=True)
        (data / "standby.signal").unlink(missing_ok=True)
        auto = data / "postgresql.auto.conf"
        auto.write_text(
            "".join(
                line
                for line in auto.read_text().splitlines(keepends=True)
                if not line.startswith(("primary_conninfo", "synchronous_standby_names"))
            )
        )
        if os.geteuid() == 0:
            owner = pwd.getpwnam("postgres")
            for path in [data, *data.rglob("*")]:
                os.chown(path, owner.pw_uid, owner.pw_gid, follow_symlinks=False)
        data.chmod(0o700)
        self.start_pg("pg1")
        self.from_template = True

    def save_template(self, template: Path) -> None:
        """A base backup of the migrated primary, for the next cluster to start from."""
        shutil.rmtree(template, ignore_errors=True)
        template.parent.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            owner = pwd.getpwnam("postgres")
            os.chown(template.parent, owner.pw_uid, owner.pw_gid)
        self._checked(
            "pg1",
            str(PG_BIN / "pg_basebackup"),
            "-d",
            f"host={self.address('pg1')} port=5432 user={REPLICATOR} password={PASSWORD}",
            "-D",
            str(template),
            "-X",
            "stream",
            "--checkpoint=fast",
            "--no-sync",
        )

    def build_standby(self, host: str, *, primary: str) -> None:
        """A streaming standby of `primary` on `host`, from a base backup, then started."""
        shutil.rmtree(self.pg_data(host), ignore_errors=True)
        conninfo = (
            f"host={self.address(primary)} port=5432 user={REPLICATOR} password={PASSWORD} "
            f"application_name={host}"
        )
        self._checked(
            host,
            str(PG_BIN / "pg_basebackup"),
            "-d",
            conninfo,
            "-D",
            str(self.pg_data(host)),
            "-X",
            "stream",
            "--checkpoint=fast",
            "--no-sync",
        )
        with (self.pg_data(host) / "postgresql.auto.conf").open("a") as auto:
            auto.write(f"primary_conninfo = '{conninfo}'\nsynchronous_standby_names = ''\n")
        (self.pg_data(host) / "standby.signal").touch()
        if os.geteuid() == 0:
            owner = pwd.getpwnam("postgres")
            for path in (
                self.pg_data(host) / "postgresql.auto.conf",
                self.pg_data(host) / "standby.signal",
            ):
                os.chown(path, owner.pw_uid, owner.pw_gid)
        self.start_pg(host)

    def promote(self, host: str) -> None:
        """`pg_ctl promote` the standby; it commits alone until a new standby is named."""
        self.pg_ctl(host, "promote", "-w", "-t", "60")

    def postgres_pids(self) -> list[int]:
        """The postmasters running now (their backends are their children)."""
        pids = []
        for host in ("pg1", "pg2"):
            with contextlib.suppress(OSError, ValueError, IndexError):
                pids.append(int((self.pg_data(host) / "postmaster.pid").read_text().split()[0]))
        return pids

    def is_primary(self, host: str) -> bool:
        return self.psql(host, "select not pg_is_in_recovery()") == "t"

    # -- Redis --------------------------------------------------------------------------------

    def start_redis(self) -> None:
        for host in ("redis1", "redis2"):
            command = [
                shutil.which("redis-server") or "redis-server",
                "--bind",
                self.address(host),
                "--port",
                "6379",
                "--protected-mode",
                "no",
                "--save",
                "",
                "--appendonly",
                "no",
                "--maxclients",
                "10000",
            ]
            if host == "redis2":
                command += ["--replicaof", self.address("redis1"), "6379"]
            self._start(host, "redis", command, port=6379)
        for index in (1, 2, 3):
            host = f"sentinel{index}"
            conf = self.root / f"{host}.conf"
            conf.write_text(
                f"bind {self.address(host)}\nport 26379\nprotected-mode no\n"
                f"dir {self.root}\n"
                f"sentinel monitor {SENTINEL_SERVICE} {self.address('redis1')} 6379 2\n"
                f"sentinel down-after-milliseconds {SENTINEL_SERVICE} 1000\n"
                f"sentinel failover-timeout {SENTINEL_SERVICE} 5000\n"
                f"sentinel parallel-syncs {SENTINEL_SERVICE} 1\n"
            )
            self._start(
                host,
                "sentinel",
                [shutil.which("redis-sentinel") or "redis-sentinel", str(conf)],
                port=26379,
            )

    def redis_primary(self) -> str:
        """The primary's address as the Sentinels name it."""
        import redis.sentinel

        sentinel = redis.sentinel.Sentinel(
            [(self.address(f"sentinel{i}"), 26379) for i in (1, 2, 3)],
            sentinel_kwargs={"socket_timeout": 0.5, "socket_connect_timeout": 0.5},
        )
        return str(sentinel.discover_master(SENTINEL_SERVICE)[0])

    # -- the application ----------------------------------------------------------------------

    def stripe_command(self) -> list[str]:
        sock = self.root / "stripe-mock-https.sock"
        return [
            stripe_mock_binary(),
            "-http-addr",
            f"{self.address('stripe')}:12111",
            "-https-unix",
            str(sock),
        ]

    def manage(self, *args: str) -> str:
        done = subprocess.run(
            [*self.network.hosts["worker"].exec_prefix(), sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        if done.returncode:
            raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
        return done.stdout

    def migrate(self) -> None:
        self.manage("migrate", "-v", "0")

    def web_command(self, host: str, port: int) -> list[str]:
        command = web_command("uvicorn", port, "config.asgi:application")
        command[command.index("--host") + 1] = self.address(host)
        return command

    def start_web(self, host: str) -> None:
        env = self.env(**self.web_env)
        for port in WEB_PORTS:
            self._start(host, f"uvicorn-{port}", self.web_command(host, port), env=env)
        for port in WEB_PORTS:
            wait_for_address(self.address(host), port)

    def start_worker(self) -> None:
        self._start(
            "worker",
            "worker",
            [sys.executable, "manage.py", "run_payment_worker", "--poll", "0.2", "--lease", "3"],
            env=self.env(),
        )

    def start_clock(self, host: str) -> None:
        self._start(
            host,
            "clock",
            [sys.executable, "manage.py", "run_auction_clock", "--interval", "0.2"],
            env=self.env(),
        )

    # -- the balancer -------------------------------------------------------------------------

    @property
    def admin_socket(self) -> Path:
        return self.root / "haproxy.sock"

    def make_certificate(self) -> Path:
        tls = self.root / "tls"
        tls.mkdir(exist_ok=True)
        key = tls / "key.pem"
        subprocess.run(
            [
                "openssl",
                "req",
                "-x509",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-days",
                "2",
                "-subj",
                "/CN=mazad-cluster",
                "-addext",
                f"subjectAltName=IP:{self.address('lb')},DNS:localhost",
                "-keyout",
                str(key),
                "-out",
                str(self.certificate),
            ],
            check=True,
            capture_output=True,
            timeout=60,
        )
        bundle = tls / "haproxy.pem"
        bundle.write_bytes(self.certificate.read_bytes() + key.read_bytes())
        bundle.chmod(0o600)
        return bundle

    def haproxy_config(self, bundle: Path) -> str:
        lb = self.address("lb")
        servers = "\n".join(
            f"    server {host}-{port} {self.address(host)}:{port} check"
            for host in ("web1", "web2")
            for port in WEB_PORTS
        )
        return f"""global
    maxconn 8000
    stats socket {self.admin_socket} mode 600 level admin
    tune.ssl.default-dh-param 2048

defaults
    mode http
    timeout connect 2s
    timeout check 2s
    timeout client 60s
    timeout server 60s
    timeout tunnel 1h
    timeout client-fin 5s
    timeout http-request 10s
    retries 3
    option redispatch 1
    option forwardfor
    # A web host that vanished is noticed on its open WebSockets by TCP keepalive (idle ones)
    # and by the lb host's short retransmission limit (net.ipv4.tcp_retries2, set at start).
    option srvtcpka
    srvtcpka-idle 1s
    srvtcpka-intvl 1s
    srvtcpka-cnt 3

frontend https
    bind {lb}:443 ssl crt {bundle}
    bind {lb}:80
    http-request redirect scheme https unless {{ ssl_fc }}
    http-request set-header X-Forwarded-Proto https
    default_backend web

backend web
    balance leastconn
    option httpchk
    http-check send meth GET uri /readyz ver HTTP/1.1 hdr Host {lb} hdr X-Forwarded-Proto https
    http-check expect status 200
    # A server that is not ready gets no new connection; its open sockets stay (during a
    # database failover every server is not ready, and bids are refused, retryably, on them).
    default-server inter 500ms fastinter 250ms fall 2 rise 2
{servers}
"""

    def start_balancer(self) -> None:
        bundle = self.make_certificate()
        config = self.root / "haproxy.cfg"
        config.write_text(self.haproxy_config(bundle))
        # Unacknowledged data to a vanished host is given up after about 6 s, not 15 minutes.
        subprocess.run(
            [*self.network.hosts["lb"].exec_prefix(), "sysctl", "-qw", "net.ipv4.tcp_retries2=3"],
            check=True,
            timeout=10,
        )
        self._start("lb", "haproxy", ["haproxy", "-db", "-f", str(config)], port=443)

    def haproxy(self, command: str) -> str:
        """One command to HAProxy's runtime API (`set server web/web1-8000 state drain`)."""
        with socket.socket(socket.AF_UNIX) as sock:
            sock.settimeout(5)
            sock.connect(str(self.admin_socket))
            sock.sendall(command.encode() + b"\n")
            chunks = []
            while chunk := sock.recv(65536):
                chunks.append(chunk)
        return b"".join(chunks).decode()

    def server_states(self) -> dict[str, str]:
        """HAProxy's view of each web server: UP, DOWN, DRAIN, MAINT (and the check's word)."""
        states = {}
        for line in self.haproxy("show stat").splitlines():
            fields = line.split(",")
            if len(fields) > 17 and fields[0] == "web" and fields[1] not in ("BACKEND", "FRONTEND"):
                states[fields[1]] = fields[17]
        return states

    def sessions(self) -> dict[str, int]:
        """The connections HAProxy holds open to each web server now (WebSockets, mostly)."""
        current = {}
        for line in self.haproxy("show stat").splitlines():
            fields = line.split(",")
            if len(fields) > 17 and fields[0] == "web" and fields[1] not in ("BACKEND", "FRONTEND"):
                current[fields[1]] = int(fields[4] or 0)
        return current

    def wait_until_served(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while True:
            states = self.server_states()
            if states and all(state == "UP" for state in states.values()):
                return
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"the balancer does not see every web process up: {states}\n{self.logs()}"
                )
            time.sleep(0.2)

    # -- a rolling deploy ---------------------------------------------------------------------

    def redeploy(self, host: str, timeout: float = 60) -> None:
        """Drain the host at the balancer, stop its processes gracefully, start them, serve again.

        Draining sends no new connection there; the stopping processes close their
        WebSockets as they shut down, and the pages reconnect through the balancer to the
        other host.
        """
        servers = [f"web/{host}-{port}" for port in WEB_PORTS]
        for server in servers:
            self.haproxy(f"set server {server} state drain")
        web = [p for p in self.processes.get(host, []) if p.name.startswith(f"{host}-uvicorn")]
        for process in web:
            process.stop(grace=30)
            self.processes[host].remove(process)
        self.start_web(host)
        for server in servers:
            self.haproxy(f"set server {server} state ready")
        deadline = time.monotonic() + timeout
        while not all(
            state == "UP" for name, state in self.server_states().items() if name.startswith(host)
        ):
            if time.monotonic() > deadline:
                raise RuntimeError(f"{host} did not come back: {self.server_states()}")
            time.sleep(0.2)

    def web_processes(self) -> list[Process]:
        return [
            process
            for host in ("web1", "web2")
            for process in self.processes.get(host, [])
            if process.name.startswith(f"{host}-uvicorn")
        ]

    def restart_web(self) -> None:
        """Every web process stopped and started afresh, then served again by the balancer."""
        for process in self.web_processes():
            process.stop(grace=10)
            for processes in self.processes.values():
                if process in processes:
                    processes.remove(process)
            if self.launcher is not None and process in self.launcher.processes:
                self.launcher.processes.remove(process)
        for host in ("web1", "web2"):
            self.start_web(host)
        self.wait_until_served()

    # -- stopping -----------------------------------------------------------------------------

    def kill_host(self, host: str) -> None:
        """The host dies: its address is gone, then every process on it."""
        self.network.kill(host)
        for process in self.processes.pop(host, []):
            with contextlib.suppress(Exception):
                process.popen.wait(timeout=10)

    def stop(self) -> None:
        if self.launcher is not None:
            with contextlib.suppress(Exception):
                self.launcher.stop()
        for host in ("pg1", "pg2"):
            if self.pg_data(host).exists() and host in self.network.hosts:
                with contextlib.suppress(Exception):
                    self._as_postgres(
                        host,
                        str(PG_BIN / "pg_ctl"),
                        "-D",
                        str(self.pg_data(host)),
                        "-m",
                        "immediate",
                        "stop",
                    )
            log = self.root / host / "postgres.log"
            if log.exists():
                with contextlib.suppress(OSError):
                    shutil.copyfile(log, self.log_dir / f"{host}-postgres.log")
        self.network.teardown()

    def logs(self, lines: int = 25) -> str:
        parts = []
        for path in sorted(self.log_dir.glob("*.log")):
            tail = path.read_text(errors="replace").splitlines()[-lines:]
            parts.append(f"== {path.stem} ==\n" + "\n".join(tail))
        for host in ("pg1", "pg2"):
            log = self.root / host / "postgres.log"
            if log.exists():
                parts.append(
                    f"== {host} postgres ==\n"
                    + "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
                )
        return "\n".join(parts)
