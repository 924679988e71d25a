"""A live sale on the fault stack: a court, open lots, registered bidders signed in, clients.

Runs in the test process pointed at the stack's database (conftest's
`on_stack`), or in `make soak`'s process, which is set up on its stack.
"""

from __future__ import annotations

import asyncio
import secrets
import string
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db import connections

from tests.harness.http import cookie_header, logged_in_client
from tests.harness.live_clients import LiveClient
from tests.harness.stack import Stack

# Lots that end during a scenario close at their end: no soft-close extension.
NO_SOFT_CLOSE = {"soft_close_window_seconds": 0}


def new_court() -> Any:
    from accounts.organisations import Court

    code = "".join(secrets.choice(string.ascii_uppercase) for _ in range(8))
    return Court.objects.create(
        code=code,
        name_ar="محكمة التنفيذ",
        name_en=f"Execution Court {code}",
        city="Riyadh",
        time_zone="Asia/Riyadh",
        currency="SAR",
    )


def db_now() -> datetime:
    from core.clock import db_now as now

    return now()


def reconnect_database() -> None:
    """Drop this thread's connection (after PostgreSQL was restarted under it)."""
    connections["default"].close()


@dataclass
class Sale:
    court: Any
    lots: list[Any]
    registrations: dict[int, list[Any]] = field(default_factory=dict)  # lot id -> registrations
    cookies: dict[int, str] = field(default_factory=dict)  # registration id -> session cookie

    @property
    def lot(self) -> Any:
        return self.lots[0]


def live_sale(
    stack: Stack,
    *,
    lots: int = 1,
    bidders: int = 4,
    ends_in: timedelta = timedelta(hours=1),
    rules: dict[str, Any] | None = None,
    held: bool = True,
    signed_in: bool = True,
) -> Sale:
    """Open lots ending `ends_in` from the database's now, each with signed-in bidders."""
    from tests.auction import factories

    court = new_court()
    ends_at = db_now() + ends_in
    auction = factories.auction(court, ends_at=ends_at, rules={**NO_SOFT_CLOSE, **(rules or {})})
    sale = Sale(court, [])
    for _ in range(lots):
        lot = factories.lot(court, the_auction=auction, opening_minor=1_000, ends_at=ends_at)
        sale.lots.append(lot)
        sale.registrations[lot.pk] = [
            factories.registered_bidder(lot, held=held) for _ in range(bidders)
        ]
    if signed_in:
        sign_in(stack, sale)
    return sale


def sign_in(stack: Stack, sale: Sale) -> None:
    """A session per bidder, through a web process, as the browser would have."""
    for registrations in sale.registrations.values():
        for registration in registrations:
            client = logged_in_client(stack.live_base_url(), registration.bidder.email)
            sale.cookies[registration.pk] = cookie_header(client)
            client.close()


def clients_for(
    stack: Stack, sale: Sale, lot: Any, *, watchers: int = 2, seed: int = 0, **options: Any
) -> tuple[list[LiveClient], list[LiveClient]]:
    """Bidders and watchers of `lot`, spread over both web processes."""
    urls = stack.web_urls()
    bidders = []
    for index, registration in enumerate(sale.registrations[lot.pk]):
        rotated = urls[index % len(urls) :] + urls[: index % len(urls)]
        bidders.append(
            LiveClient(
                f"p{registration.paddle}",
                lot.pk,
                rotated,
                cookie=sale.cookies[registration.pk],
                paddle=registration.paddle,
                seed=seed * 1000 + index,
                **options,
            )
        )
    watching = []
    for index in range(watchers):
        rotated = urls[index % len(urls) :] + urls[: index % len(urls)]
        watching.append(LiveClient(f"w{index}", lot.pk, rotated, seed=seed * 1000 + 500 + index))
    return bidders, watching


async def wait_for(
    condition: Callable[[], bool], *, timeout: float, what: str, every: float = 0.05
) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        await asyncio.sleep(every)


async def joined(clients: list[LiveClient], timeout: float = 15.0) -> None:
    await wait_for(
        lambda: all(c.connected.is_set() and not c._awaiting_replay for c in clients),
        timeout=timeout,
        what="every client to join",
    )


def accepted_count(clients: list[LiveClient]) -> int:
    return sum(len(c.record.accepted) for c in clients)


async def bidding_under_way(
    clients: list[LiveClient], bidders: list[LiveClient], chance: Any, *, bids: int
) -> None:
    """Start every client (bidders bid), wait until `bids` are accepted, then a random moment.

    Where a fault test strikes: somewhere in the middle of a sale's bidding.
    """
    for client in clients:
        client.start(bid=True)
    await joined(clients)
    await wait_for(lambda: accepted_count(bidders) >= bids, timeout=30, what="bids before")
    await asyncio.sleep(chance.uniform(0, 0.4))


class Chaos:
    """Kills a process (SIGKILL) at random points of its work, `kills` times, in a thread.

    Each time it waits until the process is at work (its ready marker), lets it
    work a random while, kills it, and starts it again after a random pause.

        with Chaos(stack.worker, random.Random(seed), kills=3) as chaos:
            ...
        chaos.kills  # how many times it was killed; it is running again afterwards
    """

    def __init__(
        self,
        process: Any,
        chance: Any,
        *,
        kills: int = 3,
        working: tuple[float, float] = (0.05, 1.0),
        down: tuple[float, float] = (0.0, 0.5),
    ) -> None:
        import threading

        self.process, self.chance = process, chance
        self.planned, self.working, self.down = kills, working, down
        self.kills = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> Chaos:
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._stop.set()
        self._thread.join(timeout=30)
        self.process.start()

    def _run(self) -> None:
        while self.kills < self.planned and not self._stop.is_set():
            while not self.process.ready() and not self._stop.wait(0.05):
                pass
            if self._stop.wait(self.chance.uniform(*self.working)):
                return
            self.process.kill()
            self.kills += 1
            self._stop.wait(self.chance.uniform(*self.down))
            self.process.start()
