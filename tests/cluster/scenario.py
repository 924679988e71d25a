"""A live sale on the cluster, reached as a browser reaches it: through the balancer, over TLS."""

from __future__ import annotations

import asyncio
import contextlib
import os
import threading
import urllib.parse
from collections.abc import Awaitable, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from bench.stack import SECRET_KEY
from cluster.topology import DATABASE, PASSWORD, ROLE, Cluster
from core.redis_urls import channel_layer_host
from tests.conftest import PASSWORD as BIDDER_PASSWORD
from tests.faults.sale import Sale, accepted_count, live_sale, wait_for
from tests.harness.http import cookie_header, logged_in_client
from tests.harness.live_clients import LiveClient

# The many-host scenario's crowd (smaller with CLUSTER_WATCHERS / CLUSTER_BIDDERS).
WATCHERS = int(os.environ.get("CLUSTER_WATCHERS", "500"))
BIDDERS = int(os.environ.get("CLUSTER_BIDDERS", "50"))
# Bidders who sign in through the balancer's login page; the others' sessions are stored.
SIGNED_IN_THROUGH_THE_PAGE = 4


@contextlib.contextmanager
def cluster_database(cluster: Cluster) -> Iterator[None]:
    """This process's database (the multi-host DSN), Redis (the Sentinels) and audit folder."""
    from channels.layers import channel_layers
    from django.db import connections
    from django.test.utils import override_settings

    from core.live import hub

    assert cluster.launcher is not None
    connection = connections["default"]
    connection.close()
    saved = dict(connection.settings_dict)
    query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(cluster.database_url).query))
    connection.settings_dict.update(
        NAME=DATABASE,
        USER=ROLE,
        PASSWORD=PASSWORD,
        HOST=",".join(cluster.address(h) for h in ("pg1", "pg2")),
        PORT="5432,5432",
        OPTIONS=query,
        CONN_MAX_AGE=0,
    )
    layers = {
        "default": {
            "BACKEND": "core.live.channel_layer.RedisChannelLayer",
            "CONFIG": {"hosts": [channel_layer_host(cluster.redis_url)], "prefix": "cluster"},
        }
    }
    overrides = override_settings(
        REDIS_URL=cluster.redis_url,
        LIVE_PREFIX="cluster:live",
        CHANNEL_LAYERS=layers,
        AUDIT_CHECKPOINT_DIR=str(cluster.launcher.work_dir / "audit-checkpoints"),
        AUDIT_SIGNING_KEY=cluster.launcher.audit_key,
        STRIPE_API_BASE=cluster.launcher.stripe_url,
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


def signed_in_sale(cluster: Cluster, **options: Any) -> Sale:
    """A live sale whose bidders are signed in: the first few through the balancer's login page
    (production's password hasher), the rest of the crowd with a session stored as the login
    view stores it (each sign-in costs about a second of a core for the password's hashing:
    50 of them at once would measure a small machine, not the cluster)."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import PBKDF2PasswordHasher
    from django.contrib.sessions.backends.db import SessionStore
    from django.test.utils import override_settings

    from accounts import mfa

    sale = live_sale(cluster, signed_in=False, **options)  # type: ignore[arg-type]
    # The test settings hash with MD5 for speed; the cluster runs production's hashers.
    hashed = PBKDF2PasswordHasher().encode(BIDDER_PASSWORD, "clustersalt0123456789")
    registrations = [r for regs in sale.registrations.values() for r in regs]
    users = get_user_model().objects.filter(pk__in=[r.bidder_id for r in registrations])
    users.update(password=hashed)
    through = registrations[:SIGNED_IN_THROUGH_THE_PAGE]

    def one(registration: Any) -> tuple[int, str]:
        client = logged_in_client(cluster.live_base_url(), registration.bidder.email)
        try:
            return registration.pk, cookie_header(client)
        finally:
            client.close()

    # As a crowd arrives: several sign-ins at once, spread by the balancer.
    with ThreadPoolExecutor(max_workers=len(through) or 1) as pool:
        sale.cookies.update(pool.map(one, through))
    # The cookie's name as the cluster's processes set it (production's `__Host-sessionid`).
    cookie_name = next(
        part.split("=", 1)[0]
        for cookie in sale.cookies.values()
        for part in cookie.split("; ")
        if part.split("=", 1)[0].endswith("sessionid")
    )
    user_of = {user.pk: user for user in users}
    # Signed with the key the cluster's processes hold, as their login view would sign it.
    with override_settings(SECRET_KEY=SECRET_KEY):
        for registration in registrations[SIGNED_IN_THROUGH_THE_PAGE:]:
            user = user_of[registration.bidder_id]
            store = SessionStore()
            store["_auth_user_id"] = str(user.pk)
            store["_auth_user_backend"] = "accounts.backends.RoleBackend"
            store["_auth_user_hash"] = user.get_session_auth_hash()
            # A bidder without a second factor: the login view remembers that none is asked.
            store[mfa.SESSION_NOT_NEEDED] = True
            store.create()
            sale.cookies[registration.pk] = f"{cookie_name}={store.session_key}"
    return sale


def crowd(
    cluster: Cluster, sale: Sale, lot: Any, *, watchers: int, seed: int
) -> tuple[list[LiveClient], list[LiveClient]]:
    """Bidders and watchers of `lot`, all through the balancer's one address."""
    urls = cluster.web_urls()
    bidders = [
        LiveClient(
            f"p{registration.paddle}",
            lot.pk,
            urls,
            cookie=sale.cookies[registration.pk],
            paddle=registration.paddle,
            seed=seed * 1000 + index,
        )
        for index, registration in enumerate(sale.registrations[lot.pk])
    ]
    watching = [
        LiveClient(f"w{index}", lot.pk, urls, seed=seed * 1000 + 500 + index)
        for index in range(watchers)
    ]
    return bidders, watching


async def under_way(
    clients: list[LiveClient], bidders: list[LiveClient], *, bids: int, join_timeout: float = 120
) -> None:
    """Every client connected (in waves, as a crowd arrives), and `bids` accepted."""
    for start in range(0, len(clients), 50):
        for client in clients[start : start + 50]:
            client.start(bid=client.paddle is not None)
        await asyncio.sleep(0.05)
    await wait_for(
        lambda: all(c.connected.is_set() and not c._awaiting_replay for c in clients),
        timeout=join_timeout,
        what="every client to join",
    )
    await wait_for(lambda: accepted_count(bidders) >= bids, timeout=60, what="bids before")


def run(scenario: Callable[[], Awaitable[None]], clients: list[LiveClient]) -> None:
    """Run `scenario()` on an event loop of its own thread; every client is stopped at the end
    whatever happened, and nothing waits without bound on a loop that is stuck (hundreds of
    sockets closing on a starved machine): the thread is a daemon, the clients' stop and the
    tasks' cancellation have their time limits, so a failed scenario fails its test with its
    own error and the cluster is still removed."""
    outcome: dict[str, BaseException] = {}

    async def bounded() -> None:
        try:
            await scenario()
        finally:
            stopping = asyncio.ensure_future(
                asyncio.gather(*(client.stop() for client in clients), return_exceptions=True)
            )
            await asyncio.wait({stopping}, timeout=60)

    def call() -> None:
        from django.db import connections

        loop = asyncio.new_event_loop()
        try:
            loop.run_until_complete(bounded())
        except BaseException as error:
            outcome["error"] = error
        finally:
            pending = asyncio.all_tasks(loop)
            for task in pending:
                task.cancel()
            if pending:
                loop.run_until_complete(asyncio.wait(pending, timeout=30))
            loop.close()
            connections.close_all()

    thread = threading.Thread(target=call, name="cluster-scenario", daemon=True)
    thread.start()
    thread.join()
    if "error" in outcome:
        raise outcome["error"]


async def finish(clients: list[LiveClient]) -> None:
    await asyncio.gather(*(client.settle(timeout=60) for client in clients))
    await asyncio.gather(*(client.stop() for client in clients))


def live_after(client: LiveClient, moment: float) -> float | None:
    return next((at for at, _seq in client.record.live if at > moment), None)
