"""A live sale on the cluster, reached as a browser reaches it: through the balancer, over TLS."""

from __future__ import annotations

import asyncio
import contextlib
import os
import urllib.parse
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from cluster.topology import DATABASE, PASSWORD, ROLE, Cluster
from core.redis_urls import channel_layer_host
from tests.conftest import PASSWORD as BIDDER_PASSWORD
from tests.faults.sale import Sale, accepted_count, live_sale, wait_for
from tests.harness.http import cookie_header, logged_in_client
from tests.harness.live_clients import LiveClient

# The many-host scenario's crowd (smaller with CLUSTER_WATCHERS / CLUSTER_BIDDERS).
WATCHERS = int(os.environ.get("CLUSTER_WATCHERS", "500"))
BIDDERS = int(os.environ.get("CLUSTER_BIDDERS", "50"))


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
    """A live sale whose bidders signed in through the balancer (production's password hasher)."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import PBKDF2PasswordHasher

    sale = live_sale(cluster, signed_in=False, **options)  # type: ignore[arg-type]
    # The test settings hash with MD5 for speed; the cluster runs production's hashers.
    hashed = PBKDF2PasswordHasher().encode(BIDDER_PASSWORD, "clustersalt0123456789")
    bidders = [r.bidder_id for regs in sale.registrations.values() for r in regs]
    get_user_model().objects.filter(pk__in=bidders).update(password=hashed)
    # As a crowd arrives: several sign-ins at once, spread by the balancer.
    emails = [(r.pk, r.bidder.email) for regs in sale.registrations.values() for r in regs]

    def one(registration: tuple[int, str]) -> tuple[int, str]:
        client = logged_in_client(cluster.live_base_url(), registration[1])
        try:
            return registration[0], cookie_header(client)
        finally:
            client.close()

    with ThreadPoolExecutor(max_workers=8) as pool:
        sale.cookies.update(pool.map(one, emails))
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


async def finish(clients: list[LiveClient]) -> None:
    await asyncio.gather(*(client.settle(timeout=60) for client in clients))
    await asyncio.gather(*(client.stop() for client in clients))


def live_after(client: LiveClient, moment: float) -> float | None:
    return next((at for at, _seq in client.record.live if at > moment), None)
