"""Test data for sales: an enforcement file with an approved asset, an auction, a live lot."""

from __future__ import annotations

import itertools
from datetime import date, datetime, timedelta
from typing import Any

from django.utils import timezone

from auction.models import DEFAULT_INCREMENTS, Auction, Lot, Registration, SaleRules
from tests.conftest import make_user

_counter = itertools.count(1)

RULES = {
    "notice_days": 0,
    "opening_percent_bp": 8_000,
    "deposit_percent_bp": 1_000,
    "increments": [{"from_minor": 0, "increment_minor": 100}],
    "soft_close_window_seconds": 180,
    "soft_close_extension_seconds": 180,
    "soft_close_cap_seconds": None,
    "premium_bp": 250,
    "vat_bp": 1_500,
    "vat_base": "PREMIUM",
    "payment_deadline_days": 5,
    "round_reduction_bp": 2_000,
    "max_rounds": 3,
}


def enforcement_file(court: Any, *, debtor_id: str = "", applicant_id: str = "") -> Any:
    from django.db import transaction

    from enforcement.models import EnforcementFile, FileParty, Party
    from enforcement.services.files import file_number

    n = next(_counter)
    staff = make_user("EXECUTION_STAFF", court=court)
    with transaction.atomic():  # the court's own series: no clash with files opened later
        sequence, number = file_number(court, date.today().year)
    file = EnforcementFile.objects.create(
        court=court,
        number=number,
        year=date.today().year,
        sequence=sequence,
        instrument_kind="JUDGMENT",
        instrument_reference=f"J-{n}",
        instrument_issued_on=date.today(),
        claim_minor=50_000_000,
        currency=court.currency,
        opened_by=staff,
    )
    for role, number in (
        ("DEBTOR", debtor_id or f"D{n:08d}"),
        ("APPLICANT", applicant_id or f"A{n:08d}"),
    ):
        party = Party.objects.create(
            court=court,
            kind="PERSON",
            id_kind="NATIONAL_ID",
            name_ar=f"طرف {n}",
            name_en=f"Party {n} {role.lower()}",
            id_country="SA",
            id_number=number,
        )
        FileParty.objects.create(file=file, party=party, role=role)
    return file


def approved_asset(court: Any, *, file: Any = None, appraisal_minor: int = 10_000_000) -> Any:
    from enforcement.models import Appraisal, SeizedAsset

    file = file or enforcement_file(court)
    registrar = make_user("EXECUTION_STAFF", court=court)
    approver = make_user("SUPERVISOR", court=court)
    n = next(_counter)
    asset = SeizedAsset.objects.create(
        court=court,
        file=file,
        kind="VEHICLE",
        title=f"Toyota Land Cruiser {n}",
        plate=f"ABC {n:04d}",
        currency=court.currency,
        registered_by=registrar,
        status=SeizedAsset.Status.APPROVED_FOR_SALE,
        approved_by=approver,
        approved_at=timezone.now(),
    )
    Appraisal.objects.create(
        asset=asset,
        appraiser="Appraiser",
        appraised_on=date.today(),
        value_minor=appraisal_minor,
        currency=court.currency,
        recorded_by=registrar,
    )
    return asset


def auction(
    court: Any,
    *,
    status: str = Auction.Status.LIVE,
    starts_at: datetime | None = None,
    ends_at: datetime | None = None,
    rules: dict[str, Any] | None = None,
) -> Auction:
    starts_at = starts_at or timezone.now() - timedelta(hours=1)
    ends_at = ends_at or timezone.now() + timedelta(hours=1)
    SaleRules.objects.get_or_create(court=court)
    n = next(_counter)
    return Auction.objects.create(
        court=court,
        number=f"{court.code}-A-{n:04d}",
        title_ar="مزاد",
        title_en="Auction",
        starts_at=starts_at,
        ends_at=ends_at,
        status=status,
        rules=None if status == Auction.Status.DRAFT else {**RULES, **(rules or {})},
        created_by=make_user("EXECUTION_STAFF", court=court),
        published_at=None if status == Auction.Status.DRAFT else timezone.now(),
    )


def lot(
    court: Any,
    *,
    status: str = Lot.Status.OPEN,
    opening_minor: int = 1_000,
    reserve_minor: int | None = None,
    deposit_minor: int = 100,
    ends_at: datetime | None = None,
    the_auction: Auction | None = None,
    asset: Any = None,
    rules: dict[str, Any] | None = None,
) -> Lot:
    the_auction = the_auction or auction(court, rules=rules)
    ends_at = ends_at or the_auction.ends_at
    asset = asset or approved_asset(court)
    from enforcement.models import SeizedAsset

    SeizedAsset.objects.filter(pk=asset.pk).update(status=SeizedAsset.Status.LISTED)
    number = Lot.objects.filter(auction=the_auction).count() + 1
    return Lot.objects.create(
        auction=the_auction,
        asset=asset,
        number=number,
        currency=court.currency,
        opening_minor=opening_minor,
        reserve_minor=reserve_minor,
        deposit_minor=deposit_minor,
        starts_at=the_auction.starts_at,
        ends_at=ends_at,
        original_ends_at=ends_at,
        status=status,
        opened_at=timezone.now() if status == Lot.Status.OPEN else None,
    )


def registered_bidder(the_lot: Lot, *, held: bool = True, **user_fields: Any) -> Registration:
    """A verified bidder registered for the lot with the deposit held (payment bypassed)."""
    bidder = make_user("BIDDER", verified=True, **user_fields)
    paddle = 100 + Registration.objects.filter(lot=the_lot).count()
    return Registration.objects.create(
        lot=the_lot,
        bidder=bidder,
        paddle=paddle,
        deposit_status=Registration.Deposit.HELD if held else Registration.Deposit.PENDING,
    )


DEFAULT_BANDS = DEFAULT_INCREMENTS
