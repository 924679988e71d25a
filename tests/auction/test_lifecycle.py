"""From draft to close: lots from approved assets, publishing, rounds, annulment, sale rules."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from auction.bidding import decide as bidding
from auction.errors import AuctionRuleError
from auction.models import Auction, Bid, Lot, SaleRules
from auction.services import lifecycle
from core.errors import DomainError, InvalidTransition, NotFound, PermissionDenied
from core.models import AuditRecord
from tests.auction import factories
from tests.conftest import make_user

pytestmark = pytest.mark.django_db


def draft(court, staff, *, days=30):
    starts = timezone.now() + timedelta(days=days)
    return lifecycle.create_auction(
        actor=staff,
        title_ar="مزاد المركبات",
        title_en="Vehicles",
        starts_at=starts,
        ends_at=starts + timedelta(days=1),
    )


def test_a_lot_is_proposed_from_the_appraisal_and_the_rules(court, staff):
    SaleRules.objects.create(court=court, opening_percent_bp=8_000, deposit_percent_bp=1_000)
    asset = factories.approved_asset(court, appraisal_minor=10_000_000)
    auction = draft(court, staff)

    lot = lifecycle.add_lot(actor=staff, auction_id=auction.pk, asset_id=asset.pk)

    assert (lot.opening_minor, lot.deposit_minor) == (8_000_000, 800_000)
    assert lot.number == 1
    assert AuditRecord.objects.filter(action="lot.added").count() == 1


def test_an_asset_not_approved_for_sale_cannot_be_a_lot(court, staff):
    from enforcement.models import SeizedAsset

    asset = factories.approved_asset(court)
    SeizedAsset.objects.filter(pk=asset.pk).update(status=SeizedAsset.Status.APPRAISED)
    auction = draft(court, staff)

    with pytest.raises(AuctionRuleError):
        lifecycle.add_lot(actor=staff, auction_id=auction.pk, asset_id=asset.pk)
    assert not Lot.objects.exists()


def test_staff_of_another_court_cannot_touch_the_auction(court, other_court, staff):
    auction = draft(court, staff)
    stranger = make_user("EXECUTION_STAFF", court=other_court)

    with pytest.raises(NotFound):
        lifecycle.add_lot(
            actor=stranger, auction_id=auction.pk, asset_id=factories.approved_asset(court).pk
        )


def test_publishing_before_the_notice_period_allows_is_refused_and_changes_nothing(court, staff):
    SaleRules.objects.create(court=court, notice_days=10)
    auction = draft(court, staff, days=5)
    lifecycle.add_lot(
        actor=staff, auction_id=auction.pk, asset_id=factories.approved_asset(court).pk
    )

    with pytest.raises(AuctionRuleError) as raised:
        lifecycle.publish_auction(actor=staff, auction_id=auction.pk)

    assert raised.value.code == "notice_period"
    assert raised.value.field == "starts_at"
    auction.refresh_from_db()
    assert (auction.status, auction.rules) == (Auction.Status.DRAFT, None)


def test_publishing_snapshots_the_rules_and_lists_the_assets(court, staff):
    rules = SaleRules.objects.create(court=court, notice_days=10, premium_bp=300)
    auction = draft(court, staff, days=11)
    asset = factories.approved_asset(court)
    lifecycle.add_lot(actor=staff, auction_id=auction.pk, asset_id=asset.pk)

    lifecycle.publish_auction(actor=staff, auction_id=auction.pk)
    rules.premium_bp = 999
    rules.save()

    auction.refresh_from_db()
    asset.refresh_from_db()
    assert auction.status == Auction.Status.PUBLISHED
    assert auction.rules["premium_bp"] == 300, "later edits never change a published sale"
    assert asset.status == "LISTED"


def test_an_empty_auction_cannot_be_published(court, staff):
    auction = draft(court, staff)

    with pytest.raises(AuctionRuleError):
        lifecycle.publish_auction(actor=staff, auction_id=auction.pk)


def test_an_unsold_asset_goes_to_the_next_round_at_the_reduced_price(court, staff):
    lot = factories.lot(court, opening_minor=10_000)
    lifecycle.close_lot(lot_id=lot.pk, now=lot.ends_at + timedelta(seconds=1))
    later = draft(court, staff, days=60)

    next_lot = lifecycle.start_next_round(actor=staff, lot_id=lot.pk, auction_id=later.pk)

    assert next_lot.round == 2
    assert next_lot.opening_minor == 8_000  # 20 % lower
    assert next_lot.previous_lot_id == lot.pk


def test_a_lot_decided_a_moment_ago_goes_to_the_next_round_without_waiting_for_the_clock(
    court, staff
):
    lot = factories.lot(court, opening_minor=10_000)
    lifecycle.decide_close(lot_id=lot.pk, now=lot.ends_at + timedelta(seconds=1))
    later = draft(court, staff, days=60)

    next_lot = lifecycle.start_next_round(actor=staff, lot_id=lot.pk, auction_id=later.pk)

    lot.refresh_from_db()
    assert next_lot.round == 2
    assert lot.settled_at is not None, "settled on the way: its asset was released"


def test_the_rounds_run_out(court, staff):
    lot = factories.lot(court, rules={"max_rounds": 1})
    lifecycle.close_lot(lot_id=lot.pk, now=lot.ends_at + timedelta(seconds=1))

    with pytest.raises(AuctionRuleError):
        lifecycle.start_next_round(
            actor=staff, lot_id=lot.pk, auction_id=draft(court, staff, days=60).pk
        )


def test_a_supervisor_annuls_a_bid_with_a_reason_and_the_price_is_recomputed(court, supervisor):
    lot = factories.lot(court)
    first, second = factories.registered_bidder(lot), factories.registered_bidder(lot)
    bidding.place_bid(lot_id=lot.pk, user_id=first.bidder_id, amount_minor=1_000)
    bidding.place_bid(lot_id=lot.pk, user_id=second.bidder_id, amount_minor=5_000)

    lifecycle.annul_bid(actor=supervisor, lot_id=lot.pk, seq=2, reason="Bid placed in error")

    lot.refresh_from_db()
    assert (lot.price_minor, lot.leader_id, lot.bid_count, lot.seq) == (1_000, first.pk, 1, 2)
    assert Bid.objects.get(lot=lot, seq=2).is_annulled
    assert AuditRecord.objects.filter(action="lot.bid_annulled").count() == 1


def test_annulment_needs_a_reason_and_a_supervisor(court, staff, supervisor):
    lot = factories.lot(court)
    registration = factories.registered_bidder(lot)
    bidding.place_bid(lot_id=lot.pk, user_id=registration.bidder_id, amount_minor=1_000)

    with pytest.raises(DomainError):
        lifecycle.annul_bid(actor=supervisor, lot_id=lot.pk, seq=1, reason="  ")
    with pytest.raises(NotFound):
        lifecycle.annul_bid(actor=staff, lot_id=lot.pk, seq=1, reason="no")
    assert not Bid.objects.filter(is_annulled=True).exists()


def test_the_live_board_offers_annulment_to_supervisors_outside_the_refreshing_rows(
    client, court, staff, supervisor
):
    lot = factories.lot(court)
    first, second = factories.registered_bidder(lot), factories.registered_bidder(lot)
    bidding.place_bid(lot_id=lot.pk, user_id=first.bidder_id, amount_minor=1_000)
    bidding.place_bid(lot_id=lot.pk, user_id=second.bidder_id, amount_minor=5_000)
    board = reverse("auction:live_board", args=[lot.auction_id])
    annul = reverse("auction:annul", args=[lot.auction_id, lot.pk])

    client.force_login(staff)
    assert annul not in client.get(board).content.decode()
    client.force_login(supervisor)
    page = client.get(board).content.decode()
    rows = client.get(board, headers={"HX-Request": "true"}).content.decode()
    response = client.post(annul, {"seq": 2, "reason": "Bid placed in error"}, follow=True)

    assert annul in page
    assert "<form" not in rows  # a refresh never wipes out what is being typed
    assert "The bid was annulled" in response.content.decode()
    lot.refresh_from_db()
    assert (lot.price_minor, lot.bid_count) == (1_000, 1)


def test_a_closed_lot_cannot_be_withdrawn(court, staff):
    lot = factories.lot(court)
    lifecycle.close_lot(lot_id=lot.pk, now=lot.ends_at + timedelta(seconds=1))

    with pytest.raises(InvalidTransition):
        lifecycle.withdraw_lot(actor=staff, lot_id=lot.pk, reason="Court order")


def test_only_supervisors_edit_the_sale_rules(court, staff, supervisor):
    with pytest.raises(PermissionDenied):
        lifecycle.update_sale_rules(actor=staff, court_id=court.pk, notice_days=1)

    rules = lifecycle.update_sale_rules(
        actor=supervisor,
        court_id=court.pk,
        notice_days=1,
        increments=[{"from_minor": 0, "increment_minor": 500}],
    )

    assert rules.notice_days == 1
    assert AuditRecord.objects.filter(action="sale_rules.updated").count() == 1


def test_a_bad_increment_table_is_refused(court, supervisor):
    with pytest.raises(ValueError, match="band"):
        lifecycle.update_sale_rules(
            actor=supervisor,
            court_id=court.pk,
            increments=[{"from_minor": 100, "increment_minor": 5}],
        )
