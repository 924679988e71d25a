"""Cancelling a whole auction: staff propose, a judge approves; lots close, deposits go back."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connections
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from auction import clock
from auction.bidding import decide as bidding
from auction.models import Auction, Heartbeat, Lot, Registration
from auction.services import cancellation
from core.errors import DomainError
from core.models import AuditRecord
from payments.models import Refund
from tests.aftersale.helpers import deposit_paid
from tests.auction import factories
from tests.conftest import make_user
from tests.faults import invariants
from tests.harness.lock_waits import outcome_of


def _auction_with_bids(court, finance, *, lots: int = 2, ends_at=None):
    the_auction = factories.auction(court, ends_at=ends_at)
    made = []
    for _ in range(lots):
        lot = factories.lot(court, the_auction=the_auction, deposit_minor=50_000, ends_at=ends_at)
        registrations = [factories.registered_bidder(lot, held=False) for _ in range(2)]
        for registration in registrations:
            deposit_paid(registration, finance, 50_000)
        bidding.place_bid(lot_id=lot.pk, user_id=registrations[0].bidder_id, amount_minor=1_000)
        made.append(lot)
    return the_auction, made


def _ledger_and_refunds_hold() -> None:
    report = invariants._ledger()
    assert report.violations == []


@pytest.mark.django_db
def test_a_judge_approves_a_proposed_cancellation_every_lot_closes_and_every_deposit_is_refunded(
    court, finance
):
    the_auction, _lots = _auction_with_bids(court, finance)
    staff, judge = make_user("EXECUTION_STAFF", court=court), make_user("SUPERVISOR", court=court)

    cancellation.propose_cancellation(
        actor=staff, auction_id=the_auction.pk, reason="Court order 44/2026 stays the sale"
    )
    cancellation.approve_cancellation(actor=judge, auction_id=the_auction.pk)

    the_auction.refresh_from_db()
    assert the_auction.status == Auction.Status.CANCELLED
    assert the_auction.cancelled_by == judge
    for lot in Lot.objects.filter(auction=the_auction):
        assert (lot.status, lot.outcome) == (Lot.Status.WITHDRAWN, Lot.Outcome.AUCTION_CANCELLED)
        assert lot.withdrawn_reason == "Court order 44/2026 stays the sale"
        assert lot.asset.status == "APPROVED_FOR_SALE"
    registrations = Registration.objects.filter(lot__auction=the_auction)
    assert {r.deposit_status for r in registrations} == {Registration.Deposit.REFUNDED}
    assert Refund.objects.filter(payment__purpose="DEPOSIT").count() == 4, "one refund each"
    assert AuditRecord.objects.filter(action="auction.cancelled").count() == 1
    assert AuditRecord.objects.filter(action="lot.cancelled").count() == 2
    _ledger_and_refunds_hold()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("reason", "code"),
    [("", "required"), ("   ", "required"), ("x" * 2_001, "too_long")],
)
def test_a_proposal_without_a_usable_reason_is_refused_and_changes_nothing(court, reason, code):
    the_auction = factories.auction(court)
    staff = make_user("EXECUTION_STAFF", court=court)

    with pytest.raises(DomainError) as refused:
        cancellation.propose_cancellation(actor=staff, auction_id=the_auction.pk, reason=reason)

    assert (refused.value.code, refused.value.field) == (code, "reason")
    the_auction.refresh_from_db()
    assert the_auction.cancellation_proposed_at is None
    assert not AuditRecord.objects.filter(action__startswith="auction.cancel").exists()


@pytest.mark.django_db
def test_an_auction_with_a_sold_lot_cannot_be_cancelled_and_nothing_changes(court, finance):
    the_auction, (sold, still_open) = _auction_with_bids(court, finance)
    staff, judge = make_user("EXECUTION_STAFF", court=court), make_user("SUPERVISOR", court=court)
    cancellation.propose_cancellation(actor=staff, auction_id=the_auction.pk, reason="Stay")
    past = timezone.now() - timedelta(minutes=1)
    Lot.objects.filter(pk=sold.pk).update(ends_at=past, original_ends_at=past)
    from auction.services import lifecycle

    lifecycle.close_lot(lot_id=sold.pk, now=timezone.now())
    refunds_before = Refund.objects.count()

    with pytest.raises(DomainError) as refused:
        cancellation.approve_cancellation(actor=judge, auction_id=the_auction.pk)

    assert refused.value.code == "auction_has_sold_lot"
    the_auction.refresh_from_db()
    still_open.refresh_from_db()
    assert the_auction.status == Auction.Status.LIVE
    assert still_open.status == Lot.Status.OPEN
    assert Refund.objects.count() == refunds_before


@pytest.mark.django_db
def test_the_proposer_cannot_approve_their_own_cancellation_nor_can_staff(court):
    the_auction = factories.auction(court)
    factories.lot(court, the_auction=the_auction)
    judge, staff = make_user("SUPERVISOR", court=court), make_user("EXECUTION_STAFF", court=court)
    cancellation.propose_cancellation(actor=judge, auction_id=the_auction.pk, reason="Stay")

    with pytest.raises(DomainError) as same:
        cancellation.approve_cancellation(actor=judge, auction_id=the_auction.pk)
    with pytest.raises(DomainError) as not_a_judge:
        cancellation.approve_cancellation(actor=staff, auction_id=the_auction.pk)

    assert same.value.code == "same_person"
    assert not_a_judge.value.code == "forbidden"
    the_auction.refresh_from_db()
    assert the_auction.status == Auction.Status.LIVE


@pytest.mark.django_db
def test_approving_with_nothing_proposed_is_refused(court):
    the_auction = factories.auction(court)

    with pytest.raises(DomainError) as refused:
        cancellation.approve_cancellation(
            actor=make_user("SUPERVISOR", court=court), auction_id=the_auction.pk
        )

    assert refused.value.code == "invalid_transition"


@pytest.mark.django_db
def test_staff_and_the_judge_use_the_auction_page_in_both_languages(client, court, settings):
    the_auction = factories.auction(court)
    factories.lot(court, the_auction=the_auction)
    staff = make_user("EXECUTION_STAFF", court=court)
    judge = make_user("SUPERVISOR", court=court, preferred_language="ar")
    page = reverse("auction:staff_detail", args=[the_auction.pk])
    client.force_login(staff)

    empty = client.post(reverse("auction:cancel_propose", args=[the_auction.pk]), {"reason": ""})
    proposed = client.post(
        reverse("auction:cancel_propose", args=[the_auction.pk]), {"reason": "Court order"}
    )
    client.force_login(judge)
    arabic = client.get(page)
    approved = client.post(
        reverse("auction:cancel_decide", args=[the_auction.pk]), {"decision": "approve"}
    )

    assert empty.status_code == proposed.status_code == approved.status_code == 302
    assert "الموافقة على الإلغاء" in arabic.content.decode()
    the_auction.refresh_from_db()
    assert the_auction.status == Auction.Status.CANCELLED
    client.force_login(staff)
    assert "This auction was cancelled" in client.get(page).content.decode()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("judge_first", [True, False])
def test_cancel_races_a_last_bid_and_the_clock_and_deposits_are_refunded_exactly_once(
    court, finance, judge_first
):
    end = timezone.now() + timedelta(seconds=60)  # the setup's own bids are in before it
    the_auction, lots = _auction_with_bids(court, finance, lots=3, ends_at=end)
    staff, judge = make_user("EXECUTION_STAFF", court=court), make_user("SUPERVISOR", court=court)
    cancellation.propose_cancellation(actor=staff, auction_id=the_auction.pk, reason="Court order")
    late = [Registration.objects.filter(lot=lot).order_by("-pk").first() for lot in lots]
    Heartbeat.objects.update_or_create(
        name=clock.PLATFORM, defaults={"beat_at": end + timedelta(seconds=3)}
    )
    judge_client = Client()
    judge_client.force_login(judge)
    barrier = threading.Barrier(3)
    outcomes: dict[str, object] = {}

    def run(name, action):
        try:
            barrier.wait()
            outcomes[name] = action()
        finally:
            connections.close_all()

    def judge_approves():
        if not judge_first:
            clock.tick(end + timedelta(seconds=2))
        return judge_client.post(
            reverse("auction:cancel_decide", args=[the_auction.pk]), {"decision": "approve"}
        ).status_code

    def last_bids():
        return [
            bidding.place_bid(
                lot_id=lot.pk, user_id=registration.bidder_id, amount_minor=1_100, received_at=end
            )
            for lot, registration in zip(lots, late, strict=True)
        ]

    threads = [
        threading.Thread(target=run, args=("judge", judge_approves)),
        threading.Thread(target=run, args=("bids", last_bids)),
        threading.Thread(
            target=run,
            args=("clock", lambda: outcome_of(lambda: clock.tick(end + timedelta(seconds=2)))),
        ),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert outcomes["judge"] == 302
    the_auction.refresh_from_db()
    statuses = set(Lot.objects.filter(auction=the_auction).values_list("status", flat=True))
    if the_auction.status == Auction.Status.CANCELLED:
        assert statuses == {Lot.Status.WITHDRAWN}, "every lot had a leader: none closed unsold"
        assert all(
            r.deposit_status == Registration.Deposit.REFUNDED
            for r in Registration.objects.filter(lot__auction=the_auction)
        )
    else:
        assert Lot.Status.SOLD in statuses, "refused only because a lot was sold first"
        assert Lot.Status.WITHDRAWN not in statuses
    for answer in outcomes["bids"]:  # type: ignore[attr-defined]
        assert answer.accepted or answer.code in ("lot_not_open", "lot_closed")
    for registration in Registration.objects.filter(lot__auction=the_auction):
        refunds = Refund.objects.filter(payment__public_id=registration.deposit_reference)
        assert refunds.count() <= 1, "a deposit is refunded at most once"
        assert (refunds.count() == 1) == (
            registration.deposit_status == Registration.Deposit.REFUNDED
        )
    _ledger_and_refunds_hold()
