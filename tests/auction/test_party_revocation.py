"""A bidder who becomes a party to the asset's file after registering bids no more."""

from __future__ import annotations

import pytest

from auction.bidding import decide as bidding
from auction.models import Notification, Registration
from core.errors import DomainError
from core.models import AuditRecord
from enforcement.services.common import PartyDetails
from enforcement.services.files import add_party
from tests.auction import factories
from tests.conftest import make_user

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
