"""`make soak`: mixed load on a stack of its own, with faults at random times, then the invariants.

    .venv/bin/python -m tests.faults.soak --minutes 30 --report var/soak-report.json

Sales start every so often and overlap: each has lots with bidders whose
deposits are held and bidders paying theirs by card (through the worker and
the provider's events), watchers on both web processes, a close by the
clock, refunds, and for some sold lots the balance, the distribution and the
transfer to the applicant. Meanwhile, one at a time, a random fault: a web
process killed, Redis or PostgreSQL restarted, stripe-mock stopped, the
worker or the clock killed; each is started again after a random outage.

At the end the faults stop, every due payment job is let run, and the
invariants are checked (tests/faults/invariants.py), with what every client
was told. The report (counts of bids, refusals, reconnects, faults, and the
invariant violations, which must be 0) is written as JSON and printed; the
exit status is 1 when anything was violated. Everything runs on loopback and
is bounded in count and time.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
from django.db import InterfaceError, OperationalError

from tests.harness.servers import ROOT
from tests.harness.stack import Stack

CLOSED = ("SOLD", "UNSOLD")
FAULTS = ("web", "redis", "postgres", "stripe", "worker", "clock")
# What a fault makes the soak's own work fail with: database and HTTP errors, a refused login
# (an assertion of the harness), a refused socket; anything else is a bug and is not retried.
TRANSIENT = (
    OSError,
    AssertionError,
    TimeoutError,
    OperationalError,
    InterfaceError,
    httpx.HTTPError,
)


class FaultInjector:
    """One fault at a time at random moments, each undone after a random outage (a thread)."""

    def __init__(self, stack: Stack, chance: random.Random, spacing: tuple[float, float]) -> None:
        self.stack, self.chance, self.spacing = stack, chance, spacing
        self.injected: Counter[str] = Counter()
        self.errors: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=60)
        self.stack.ensure_running()

    def _run(self) -> None:
        while not self._stop.wait(self.chance.uniform(*self.spacing)):
            kind = self.chance.choice(FAULTS)
            try:
                self.inject(kind)
                self.injected[kind] += 1
            except Exception as error:  # a fault that could not be undone is reported
                self.errors.append(f"{kind}: {error!r}")
                self.stack.ensure_running()

    def _outage(self, low: float, high: float) -> None:
        self._stop.wait(self.chance.uniform(low, high))

    def inject(self, kind: str) -> None:
        stack = self.stack
        if kind == "web":
            victim = stack.web[self.chance.choice(sorted(stack.web))]
            victim.kill()
            self._outage(1, 5)
            victim.start()
        elif kind == "redis":
            stack.redis.kill()
            self._outage(1, 6)
            stack.redis.start()
        elif kind == "postgres":
            stack.postgres.stop("immediate")
            self._outage(1, 4)
            stack.postgres.start()
        elif kind == "stripe":
            stack.stripe.kill()
            self._outage(2, 10)
            stack.stripe.start()
        else:
            process = stack.worker if kind == "worker" else stack.clock
            assert process is not None
            process.kill()
            self._outage(0, 5)
            process.start()


async def retrying(function: Callable[..., Any], *args: Any, timeout: float = 120.0) -> Any:
    """Run blocking (database, HTTP) work off the loop, again while a fault makes it fail."""
    from tests.harness.aio import in_thread

    deadline = time.monotonic() + timeout
    while True:
        try:
            return await in_thread(function, *args)
        except TRANSIENT:
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.5 + random.random())


class Soak:
    def __init__(self, stack: Stack, chance: random.Random, seconds: float, watchers: int) -> None:
        self.stack, self.chance = stack, chance
        self.seconds, self.watchers = seconds, watchers
        self.deadline = time.monotonic() + seconds
        # Lots last about a minute in a long soak, less in a short one; sales overlap.
        self.lot_seconds = min(75.0, max(20.0, seconds / 6))
        self.spacing = self.lot_seconds / 2
        self.violations: list[str] = []
        self.errors: list[str] = []
        self.counts: Counter[str] = Counter()
        self.refusals: Counter[str] = Counter()
        self.latencies: list[float] = []
        self.delivered: dict[int, float] = {}

    # -- the whole run ----------------------------------------------------------------------------

    async def run(self) -> dict[str, Any]:
        started = time.monotonic()
        spacing = (max(5.0, self.seconds / 60), max(15.0, self.seconds / 25))
        injector = FaultInjector(self.stack, random.Random(self.chance.random()), spacing)
        injector.start()
        provider = asyncio.create_task(self._provider())
        rounds: list[asyncio.Task[None]] = []
        while time.monotonic() + self.lot_seconds + 20 < self.deadline and len(rounds) < 200:
            rounds.append(asyncio.create_task(self._round(len(rounds))))
            await asyncio.sleep(self.spacing)
        await asyncio.gather(*rounds)
        await asyncio.to_thread(injector.stop)
        await self._finish()
        provider.cancel()
        self.errors.extend(injector.errors)
        return await retrying(self._report, started, injector)

    async def _finish(self) -> None:
        """Every due job is let run (their pauses after failures pass), then nothing is left."""
        from tests.faults.provider import let_the_backoff_pass

        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:
            left = await retrying(_unfinished)
            if not left:
                return
            await retrying(let_the_backoff_pass, None)
            await asyncio.sleep(1.0)
        self.violations.append(f"work left unfinished at the end: {await retrying(_unfinished)}")

    def _report(self, started: float, injector: FaultInjector) -> dict[str, Any]:
        from tests.faults import invariants

        found = invariants.check(proxy=self.stack.proxy)
        self.violations.extend(found.violations)
        latencies = sorted(self.latencies)

        def percentile(share: float) -> float | None:
            if not latencies:
                return None
            return round(latencies[min(len(latencies) - 1, int(share * len(latencies)))], 4)

        return {
            "seconds": round(time.monotonic() - started, 1),
            "sales": self.counts["sales"],
            "lots": found.counts.get("lots", 0),
            "lots_closed": found.counts.get("lots_closed", 0),
            "bids": found.counts.get("bids", 0),
            "bids_acknowledged": self.counts["accepted"],
            "submissions": self.counts["submissions"],
            "refusals": dict(self.refusals),
            "ack_seconds": {"p50": percentile(0.5), "p95": percentile(0.95), "max": percentile(1)},
            "reconnects": self.counts["reconnects"],
            "resyncs": self.counts["resyncs"],
            "replays": self.counts["replays"],
            "clients": self.counts["clients"],
            "faults_injected": sum(injector.injected.values()),
            "faults": dict(injector.injected),
            "payment_jobs": found.counts.get("payment_jobs", 0),
            "payment_jobs_done": found.counts.get("payment_jobs_done", 0),
            "provider_calls": found.counts.get("provider_calls", 0),
            "provider_objects": found.counts.get("provider_objects", 0),
            "journal_entries": found.counts.get("journal_entries", 0),
            "audit_records": found.counts.get("audit_records", 0),
            "sales_paid_out": self.counts["paid_out"],
            "round_errors": self.errors,
            "invariant_violations": len(self.violations),
            "violations": self.violations[:50],
        }

    # -- one sale -----------------------------------------------------------------------------

    async def _round(self, number: int) -> None:
        """One sale, start to end; what goes wrong is reported, the other sales carry on."""
        try:
            await self._sale(number)
        except Exception as error:
            self.errors.append(f"sale {number}: {error!r}")

    async def _sale(self, number: int) -> None:
        from tests.faults import invariants
        from tests.faults.sale import clients_for, sign_in

        try:
            sale = await retrying(self._new_sale)
            await retrying(sign_in, self.stack, sale)
        except Exception as error:
            self.errors.append(f"sale {number} not set up: {error!r}")
            return
        self.counts["sales"] += 1
        teams = []
        for lot in sale.lots:
            bidders, watchers = clients_for(
                self.stack, sale, lot, watchers=self.watchers, seed=self.chance.randrange(10**6)
            )
            teams.append((lot, bidders, watchers))
        everyone = [c for _lot, bidders, watchers in teams for c in bidders + watchers]
        for client in everyone:
            client.start(bid=True)
        try:
            await self._until_closed(sale, everyone)
            await asyncio.gather(*(client.settle(timeout=60) for client in everyone))
        finally:
            await asyncio.gather(*(client.stop() for client in everyone))
        for lot, bidders, watchers in teams:
            report = await retrying(invariants.check_clients, lot.pk, bidders + watchers)
            self.violations.extend(f"sale {number} lot {lot.pk}: {v}" for v in report.violations)
            self._count(report, bidders + watchers)
        for lot in sale.lots:
            if self.chance.random() < 0.5:
                try:
                    if await retrying(_pay_out, lot.pk):
                        self.counts["paid_out"] += 1
                except Exception as error:
                    self.errors.append(f"sale {number} lot {lot.pk} not paid out: {error!r}")

    def _count(self, report: Any, clients: list[Any]) -> None:
        for name in ("accepted", "submissions", "reconnects", "resyncs", "replays"):
            self.counts[name] += report.counts.get(name, 0)
        self.counts["clients"] += len(clients)
        for client in clients:
            self.refusals.update(client.record.refusals)
            self.latencies.extend(
                a.at - a.sent_at for a in client.record.accepted if a.sent_at is not None
            )

    def _new_sale(self) -> Any:
        """Lots ending in about `lot_seconds`: bidders with deposits held, and paying by card."""
        from django.db import transaction

        from tests.faults.provider import register_by_card
        from tests.faults.sale import live_sale

        ends_in = timedelta(seconds=self.lot_seconds * self.chance.uniform(0.8, 1.2))
        with transaction.atomic():
            sale = live_sale(self.stack, lots=2, bidders=2, ends_in=ends_in, signed_in=False)
            for lot in sale.lots:
                held = sale.registrations[lot.pk]
                card = register_by_card(self.stack, sale, lot, 2, signed_in=False)
                sale.registrations[lot.pk] = held + card
        return sale

    async def _until_closed(self, sale: Any, clients: list[Any]) -> None:
        from tests.faults.sale import db_now

        last_end = max(lot.ends_at for lot in sale.lots)
        deadline = time.monotonic() + self.lot_seconds * 2 + 60
        while await retrying(db_now) < last_end + timedelta(seconds=1):
            if time.monotonic() > deadline:
                raise TimeoutError(f"the database's clock did not reach {last_end}")
            await asyncio.sleep(1.0)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if all(c.state.get("status") in CLOSED for c in clients):
                # Then the settlements (deposits, assets, the buyers' balances) that follow.
                while not await retrying(_settled, [lot.pk for lot in sale.lots]):
                    if time.monotonic() > deadline:
                        self.errors.append(f"sale {sale.court}: closes not settled within 60 s")
                        return
                    await asyncio.sleep(0.5)
                return
            await asyncio.sleep(0.5)
        lots = sorted({c.lot_id for c in clients if c.state.get("status") not in CLOSED})
        self.errors.append(f"lots {lots}: a client was not told of the close within 60 s")

    # -- the provider's part --------------------------------------------------------------------

    async def _provider(self) -> None:
        """The payer confirms a card deposit; the provider says it succeeded (again if need be)."""
        while True:
            try:
                await retrying(_confirm_waiting_deposits, timeout=5)
                due = await retrying(self._events_due, timeout=5)
                for payment_id in due:
                    await retrying(_deliver, self.stack, payment_id, timeout=5)
                    self.delivered[payment_id] = time.monotonic()
                    if self.chance.random() < 0.1:  # at least once: sometimes twice
                        await retrying(_deliver, self.stack, payment_id, timeout=5)
            except TRANSIENT:  # a fault in the middle: the next pass carries on
                self.counts["provider_pass_failures"] += 1
            await asyncio.sleep(1.0)

    def _events_due(self) -> list[int]:
        from payments.models import Payment, PaymentJob

        due = []
        for payment in Payment.objects.filter(status="PROCESSING", method="CARD"):
            confirmed = PaymentJob.objects.filter(
                operation="payment_intent.confirm", subject_id=str(payment.pk), status="DONE"
            ).exists()
            last = self.delivered.get(payment.pk)
            if confirmed and (last is None or time.monotonic() - last > 15):
                due.append(payment.pk)
        return due


def _confirm_waiting_deposits() -> None:
    from core.errors import DomainError
    from payments import services as payments
    from payments.models import Payment

    for payment in Payment.objects.filter(
        status="AWAITING_PAYMENT", method="CARD", purpose="DEPOSIT", intent_id__isnull=False
    ).select_related("payer"):
        try:
            payments.confirm_card_payment(
                payer=payment.payer, payment=payment, payment_method="pm_card_visa"
            )
        except (DomainError, *TRANSIENT):  # confirmed meanwhile, or a fault: the next pass
            continue


def _deliver(stack: Stack, payment_id: int) -> None:
    from payments.models import Payment
    from tests.faults.provider import deliver_succeeded_events

    deliver_succeeded_events(stack, [Payment.objects.get(pk=payment_id)], timeout=3)


def _pay_out(lot_id: int) -> bool:
    """The buyer pays the balance by bank transfer; two finance officers send the transfer.

    Each step looks at where the last attempt got to (a fault can cut it anywhere), so
    running it again carries on instead of starting over. False for a lot not sold.
    """
    from aftersale import services as aftersale
    from aftersale.models import Disbursement, Distribution, Sale
    from enforcement.models import Party
    from payments import services as payments
    from payments.models import Method, PaymentStatus
    from tests.conftest import make_user

    sale = Sale.objects.filter(
        lot_id=lot_id, status__in=[Sale.Status.AWAITING_PAYMENT, Sale.Status.PAID]
    ).first()
    if sale is None:
        return False
    finance, checker = (make_user("FINANCE_STAFF", court=sale.court) for _ in range(2))
    Party.objects.filter(file_roles__file=sale.file, file_roles__role="APPLICANT").update(
        payment_account_id="acct_1ApplicantSoak"
    )
    if sale.status == Sale.Status.AWAITING_PAYMENT:
        balance = aftersale.start_balance_payment(
            buyer=sale.buyer, sale_id=sale.pk, method=Method.BANK_TRANSFER
        )
        if balance.status == PaymentStatus.AWAITING_PAYMENT:
            payments.confirm_bank_transfer(actor=finance, payment=balance, note="Statement line")
    distribution = Distribution.objects.get(file=sale.file)
    for item in distribution.disbursements.order_by("pk"):
        if item.status in (Disbursement.Status.TO_PREPARE, Disbursement.Status.RETURNED):
            item = aftersale.prepare_disbursement(
                actor=finance, disbursement_id=item.pk, note="Checked"
            )
        if item.status == Disbursement.Status.PREPARED:
            aftersale.approve_disbursement(actor=checker, disbursement_id=item.pk)
    return True


def _settled(lot_ids: list[int]) -> bool:
    from auction.models import Lot

    return not Lot.objects.filter(pk__in=lot_ids, settled_at__isnull=True).exists()


def _unfinished() -> dict[str, int]:
    from auction.models import Lot
    from payments.models import Payment, PaymentJob
    from tests.faults.sale import db_now

    left = {
        "jobs": PaymentJob.objects.filter(status__in=["PENDING", "RUNNING"]).count(),
        "jobs_needing_a_person": PaymentJob.objects.filter(status="NEEDS_ATTENTION").count(),
        "deposits_in_flight": Payment.objects.filter(
            status__in=["PREPARING", "PROCESSING"], method="CARD"
        ).count(),
        "lots_past_their_end": Lot.objects.filter(
            status="OPEN", ends_at__lt=db_now() - timedelta(seconds=5)
        ).count(),
        "closes_not_settled": Lot.objects.filter(
            status__in=CLOSED,
            settled_at__isnull=True,
            closed_at__lt=db_now() - timedelta(seconds=30),
        ).count(),
    }
    return {name: count for name, count in left.items() if count}


def logged_errors(log_dir: Path, kinds: int = 10) -> dict[str, Any]:
    """The ERROR lines of every process's log, counted by process and by message.

    Not a verdict (a fault makes some expected, as a webhook delivered twice meets the
    unique constraint that deduplicates it): what to read when the numbers look odd.
    """
    by_process: Counter[str] = Counter()
    messages: Counter[str] = Counter()
    for path in sorted(log_dir.glob("*.log")):
        for line in path.read_text(errors="replace").splitlines():
            found = re.search(r"\bERROR\b:?\s+(.*)", line)
            if found:
                by_process[path.stem] += 1
                messages[f"{path.stem}: {found.group(1)[:160]}"] += 1
    return {
        "by_process": dict(by_process),
        "most_common": [f"{count} x {text}" for text, count in messages.most_common(kinds)],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=30.0)
    parser.add_argument("--watchers", type=int, default=6, help="watchers per lot")
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--report", type=Path, default=ROOT / "var" / "soak-report.json")
    args = parser.parse_args(argv)
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(10**6)
    print(f"soak: {args.minutes} minutes, seed {seed}", flush=True)
    log_dir = ROOT / "tests" / "artifacts" / "logs" / "soak"
    with Stack.started(log_dir) as stack:
        os.environ.update(stack.environment())
        import django

        django.setup()
        soak = Soak(stack, random.Random(seed), args.minutes * 60, args.watchers)
        report = {"seed": seed, **asyncio.run(soak.run())}
    report["logged_errors"] = logged_errors(log_dir)  # the PostgreSQL log is kept on exit
    args.report.parent.mkdir(parents=True, exist_ok=True)
    args.report.write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))
    print(f"soak report: {args.report}")
    failed = report["invariant_violations"] or report["round_errors"] or not report["bids"]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
