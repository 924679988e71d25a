"""A bidder who becomes a party to the asset's file after registering bids no more."""

from __future__ import annotations

import threading
import time

import pytest

from auction.bidding import decide as bidding
from auction.models import Notification, Registration
from core.errors import DomainError
from core.models import AuditRecord
from enforcement.services.common import PartyDetails
from enforcement.services.files import add_party
from tests.auction import factories
from tests.auction.bidding import test_frames
from tests.conftest import make_user

published = test_frames.published  # the frames published to Redis for a lot (a fixture)

pytestmark = pytest.mark.django_db


def details_of(user, **changes) -> PartyDetails:
    values = {
        "kind": "PERSON",
        "id_kind": "PASSPORT",
        "name_ar": "مدين إضافي",
        "name_en": "Another debtor",
        "id_country": user.id_country,
        "id_number": user.id_number,
    }
    return PartyDetails(**{**values, **changes})


def test_a_party_added_to_the_file_after_registering_is_refused_at_the_next_bid(court):
    lot = factories.lot(court, opening_minor=1_000, deposit_minor=0)
    joining = factories.registered_bidder(lot)
    other = factories.registered_bidder(lot)
    assert bidding.place_bid(lot_id=lot.pk, user_id=joining.bidder_id, amount_minor=1_000).accepted
    assert bidding.set_automatic_bid(
        lot_id=lot.pk, user_id=joining.bidder_id, maximum_minor=5_000
    ).accepted
    staff = make_user("EXECUTION_STAFF", court=court)

    add_party(
        actor=staff, file_id=lot.asset.file_id, role="DEBTOR", details=details_of(joining.bidder)
    )

    joining.refresh_from_db()
    assert joining.revoked_at is not None
    assert joining.auto_max_minor is None  # the robot no longer answers for them
    refused = bidding.place_bid(lot_id=lot.pk, user_id=joining.bidder_id, amount_minor=9_000)
    assert not refused.accepted
    assert refused.code == "excluded_party"
    assert bidding.place_bid(lot_id=lot.pk, user_id=other.bidder_id, amount_minor=1_200).accepted
    assert Notification.objects.filter(
        user=joining.bidder, kind=Notification.Kind.REGISTRATION_REVOKED
    ).exists()
    assert AuditRecord.objects.filter(action="registration.revoked", object_id=str(joining.pk))
    other.refresh_from_db()
    assert other.revoked_at is None


def test_a_party_not_leading_gets_the_deposit_refunded_and_a_failed_addition_revokes_nothing(
    court,
):
    lot = factories.lot(court, opening_minor=1_000, deposit_minor=0)
    leader = factories.registered_bidder(lot)
    joining = factories.registered_bidder(lot)
    assert bidding.place_bid(lot_id=lot.pk, user_id=leader.bidder_id, amount_minor=1_000).accepted
    staff = make_user("EXECUTION_STAFF", court=court)

    with pytest.raises(DomainError):  # bad input (no Arabic name): nothing is revoked
        add_party(
            actor=staff,
            file_id=lot.asset.file_id,
            role="DEBTOR",
            details=details_of(joining.bidder, name_ar=""),
        )
    joining.refresh_from_db()
    assert joining.revoked_at is None

    add_party(
        actor=staff,
        file_id=lot.asset.file_id,
        role="APPLICANT",
        details=details_of(joining.bidder),
    )

    joining.refresh_from_db()
    leader.refresh_from_db()
    assert joining.revoked_at is not None
    assert joining.deposit_status == Registration.Deposit.REFUNDED
    assert leader.revoked_at is None
    assert leader.deposit_status == Registration.Deposit.HELD


def test_staff_of_another_court_cannot_revoke_anyone(court):
    from accounts.organisations import Court

    lot = factories.lot(court, opening_minor=1_000, deposit_minor=0)
    joining = factories.registered_bidder(lot)
    elsewhere = Court.objects.create(
        code="KWC", name_ar="كويت", name_en="Kuwait", city="Kuwait", currency="KWD"
    )
    stranger = make_user("EXECUTION_STAFF", court=elsewhere)

    with pytest.raises(DomainError):
        add_party(
            actor=stranger,
            file_id=lot.asset.file_id,
            role="DEBTOR",
            details=details_of(joining.bidder),
        )

    joining.refresh_from_db()
    assert joining.revoked_at is None


def test_a_party_who_leads_loses_the_lead_to_the_next_valid_bid_and_the_deposit_comes_back(
    court, finance
):
    from auction.models import Bid, Lot
    from payments.models import Refund
    from tests.aftersale.helpers import deposit_paid

    lot = factories.lot(court, opening_minor=1_000, deposit_minor=500)
    other = factories.registered_bidder(lot)
    joining = factories.registered_bidder(lot, held=False)
    deposit_paid(joining, finance, 500)
    assert bidding.place_bid(lot_id=lot.pk, user_id=other.bidder_id, amount_minor=1_000).accepted
    assert bidding.place_bid(lot_id=lot.pk, user_id=joining.bidder_id, amount_minor=1_500).accepted
    assert bidding.set_automatic_bid(
        lot_id=lot.pk, user_id=joining.bidder_id, maximum_minor=9_000
    ).accepted
    assert bidding.place_bid(lot_id=lot.pk, user_id=other.bidder_id, amount_minor=2_000).accepted
    lot.refresh_from_db()
    assert (lot.leader_id, lot.price_minor) == (joining.pk, 2_100)  # the robot answered
    staff = make_user("EXECUTION_STAFF", court=court)

    add_party(
        actor=staff, file_id=lot.asset.file_id, role="DEBTOR", details=details_of(joining.bidder)
    )

    lot.refresh_from_db()
    joining.refresh_from_db()
    assert (lot.leader_id, lot.price_minor) == (other.pk, 2_000)
    assert lot.bid_count == 2  # the other bidder's two bids; the party's stopped counting
    assert set(Bid.objects.filter(registration=joining).values_list("is_annulled", flat=True)) == {
        True
    }
    assert joining.deposit_status == Registration.Deposit.REFUNDED
    assert Refund.objects.filter(payment__public_id=joining.deposit_reference).count() == 1
    assert AuditRecord.objects.filter(action="lot.bids_of_party_annulled").count() == 1
    # The next bid is measured from the price the others made, not the party's.
    assert (
        bidding.place_bid(lot_id=lot.pk, user_id=other.bidder_id, amount_minor=2_100).accepted
        is False
    )
    third = factories.registered_bidder(lot)
    assert bidding.place_bid(lot_id=lot.pk, user_id=third.bidder_id, amount_minor=2_100).accepted
    assert Lot.objects.get(pk=lot.pk).leader_id == third.pk


def test_when_the_party_leads_the_watchers_are_told_to_read_the_lot_again(
    court, published, django_capture_on_commit_callbacks
):
    lot = factories.lot(court, opening_minor=1_000, deposit_minor=0)
    other = factories.registered_bidder(lot)
    joining = factories.registered_bidder(lot)
    assert bidding.place_bid(lot_id=lot.pk, user_id=other.bidder_id, amount_minor=1_000).accepted
    assert bidding.place_bid(lot_id=lot.pk, user_id=joining.bidder_id, amount_minor=1_200).accepted
    published.watch(lot)

    with django_capture_on_commit_callbacks(execute=True):
        add_party(
            actor=make_user("EXECUTION_STAFF", court=court),
            file_id=lot.asset.file_id,
            role="DEBTOR",
            details=details_of(joining.bidder),
        )

    frames = published.frames()
    assert ("resync", "bid_annulled") in [(f["type"], f.get("reason")) for _t, f in frames]
    assert "registration_revoked" in [f["type"] for _t, f in frames]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("delays", [(0, 0.05, 0.05), (0.05, 0, 0.1), (0.1, 0.05, 0), (0, 0, 0)])
def test_adding_the_leading_party_races_bids_and_the_lead_is_never_left_to_the_party(
    court, finance, delays
):
    from django.db import connections

    from auction.models import Bid, Lot
    from payments.models import Refund
    from tests.aftersale.helpers import deposit_paid

    lot = factories.lot(court, opening_minor=1_000, deposit_minor=500)
    other, third = factories.registered_bidder(lot), factories.registered_bidder(lot)
    joining = factories.registered_bidder(lot, held=False)
    deposit_paid(joining, finance, 500)
    assert bidding.place_bid(lot_id=lot.pk, user_id=other.bidder_id, amount_minor=1_000).accepted
    assert bidding.place_bid(lot_id=lot.pk, user_id=joining.bidder_id, amount_minor=1_500).accepted
    staff = make_user("EXECUTION_STAFF", court=court)
    barrier = threading.Barrier(3)
    outcomes: dict[str, object] = {}

    def run(name, action, delay):
        try:
            barrier.wait()
            time.sleep(delay)  # each case lets another of the three reach the lot first
            outcomes[name] = action()
        except Exception as error:  # reported by the assertions below
            outcomes[name] = error
        finally:
            connections.close_all()

    def party():
        return add_party(
            actor=staff,
            file_id=lot.asset.file_id,
            role="DEBTOR",
            details=details_of(joining.bidder),
        )

    def party_raises():  # the party's robot, set in the same moment
        return bidding.set_automatic_bid(
            lot_id=lot.pk, user_id=joining.bidder_id, maximum_minor=5_000
        )

    def third_bids():
        return bidding.place_bid(lot_id=lot.pk, user_id=third.bidder_id, amount_minor=2_000)

    threads = [
        threading.Thread(target=run, args=(name, action, delay))
        for name, action, delay in zip(
            ["party", "robot", "bid"], [party, party_raises, third_bids], delays, strict=True
        )
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    for name in ("party", "robot", "bid"):
        assert not isinstance(outcomes[name], Exception), outcomes[name]
    robot, bid = outcomes["robot"], outcomes["bid"]
    assert robot.accepted or robot.code == "excluded_party"  # type: ignore[attr-defined]
    assert bid.accepted  # type: ignore[attr-defined]
    lot = Lot.objects.get(pk=lot.pk)
    joining.refresh_from_db()
    assert (lot.leader_id, lot.price_minor) == (third.pk, 2_000)
    assert not Bid.objects.filter(registration=joining, is_annulled=False).exists()
    assert lot.bid_count == Bid.objects.filter(lot=lot, is_annulled=False).count() == 2
    assert (joining.revoked_at is not None, joining.auto_max_minor) == (True, None)
    assert joining.deposit_status == Registration.Deposit.REFUNDED
    assert Refund.objects.filter(payment__public_id=joining.deposit_reference).count() == 1
