"""Companies as bidders: a representative's power of attorney, reviewed by staff, decides whether
they register and bid for the company; deposits are in its name; a company on the file is
excluded by its commercial registration number."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.utils import timezone

from accounts import mandates
from accounts.models import Company, PowerOfAttorney
from auction.bidding import decide as bidding
from auction.errors import RegistrationRefused
from auction.models import Bid, Registration
from auction.services import registration as registrations
from core.models import AuditRecord
from payments.models import Payment
from tests.accounts.test_roles_and_identity import id_upload
from tests.auction import factories
from tests.conftest import make_user

pytestmark = pytest.mark.django_db

CR = "1010123456"


def company_form(**changes: Any) -> dict[str, Any]:
    data = {
        "registration_country": "SA",
        "registration_number": CR,
        "name_ar": "شركة الرمال للتجارة",
        "name_en": "Alrimal Trading Company",
        "valid_until": (timezone.localdate() + datetime.timedelta(days=90)).isoformat(),
        "document": id_upload("attorney.png"),
    }
    data.update(changes)
    return data


def representative_with(status: str = "APPROVED", *, days_left: int = 90) -> tuple[Any, Any]:
    user = make_user("BIDDER", verified=True)
    company, _ = Company.objects.get_or_create(
        registration_country="SA",
        registration_number=CR,
        defaults={"name_ar": "شركة الرمال", "name_en": "Alrimal Trading"},
    )
    PowerOfAttorney.objects.create(
        company=company,
        representative=user,
        document="attorney/x.png",
        valid_until=timezone.localdate() + datetime.timedelta(days=days_left),
        status=status,
        reviewed_at=timezone.now() if status != "PENDING" else None,
    )
    return user, company


def counts() -> tuple[int, ...]:
    return (
        Registration.objects.count(),
        Payment.objects.count(),
        Bid.objects.count(),
        AuditRecord.objects.count(),
        PowerOfAttorney.objects.count(),
        Company.objects.count(),
    )


def test_a_representative_sends_a_power_of_attorney_and_staff_approve_it(client, staff):
    user = make_user("BIDDER", verified=True)
    client.force_login(user)

    sent = client.post("/accounts/companies/", company_form())
    mandate = PowerOfAttorney.objects.get(representative=user)
    client.force_login(staff)
    queue = client.get("/accounts/staff/mandates/")
    approved = client.post(f"/accounts/staff/mandates/{mandate.pk}/", {"approve": "1"})

    assert sent.status_code == 302
    assert b"Alrimal Trading Company" in queue.content
    assert approved.status_code == 302
    mandate.refresh_from_db()
    assert mandate.status == "APPROVED"
    assert mandate.reviewed_by == staff
    assert mandates.valid_mandate(user_id=user.pk, company_id=mandate.company_id) == mandate
    assert AuditRecord.objects.filter(action="company.power_of_attorney_approved").count() == 1


def test_staff_reject_a_power_of_attorney_with_a_reason_the_representative_reads(client, staff):
    user, _company = representative_with("PENDING")
    mandate = PowerOfAttorney.objects.get(representative=user)
    client.force_login(staff)

    client.post(f"/accounts/staff/mandates/{mandate.pk}/", {"reject": "1", "reason": "Unsigned"})
    client.force_login(user)
    page = client.get("/accounts/companies/")

    mandate.refresh_from_db()
    assert mandate.status == "REJECTED"
    assert b"Unsigned" in page.content


@pytest.mark.parametrize(
    ("changes", "field", "text"),
    [
        ({"registration_number": "12ab"}, "registration_number", "has 10 digits"),
        ({"valid_until": "2001-01-01"}, "valid_until", "already expired"),
        ({"valid_until": "not a date"}, "valid_until", "Enter a valid date"),
        ({"document": id_upload("a.png", b"not an image")}, "document", "must be a PDF"),
        ({"name_en": ""}, "name_en", "This field is required"),
    ],
)
def test_a_bad_power_of_attorney_is_refused_naming_the_field_and_changes_nothing(
    client, changes, field, text
):
    user = make_user("BIDDER", verified=True)
    client.force_login(user)
    before = counts()

    response = client.post("/accounts/companies/", company_form(**changes))

    assert response.status_code == 400
    assert field in response.context["form"].errors
    assert text in response.content.decode()
    assert counts() == before


def test_an_unverified_person_cannot_represent_a_company(client):
    user = make_user("BIDDER")
    client.force_login(user)
    before = counts()

    response = client.post("/accounts/companies/", company_form())

    assert response.status_code == 400
    assert "Verify your own identity" in response.content.decode()
    assert counts() == before


@pytest.mark.parametrize("status", ["PENDING", "REJECTED", "EXPIRED", "NONE"])
def test_without_a_valid_power_of_attorney_the_representative_cannot_register_for_the_company(
    court, status
):
    lot = factories.lot(court, deposit_minor=50_000)
    if status == "NONE":
        user, company = make_user("BIDDER", verified=True), representative_with()[1]
    elif status == "EXPIRED":
        user, company = representative_with("APPROVED", days_left=-1)
    else:
        user, company = representative_with(status)
    before = counts()

    with pytest.raises(RegistrationRefused) as refused:
        registrations.register_for_lot(user=user, lot_id=lot.pk, company_id=company.pk)

    assert refused.value.code == "power_of_attorney_invalid"
    assert "power of attorney" in refused.value.render()
    assert counts() == before


def test_a_representative_registers_for_the_company_and_the_deposit_is_in_its_name(court):
    lot = factories.lot(court, deposit_minor=50_000)
    user, company = representative_with()

    registration = registrations.register_for_lot(user=user, lot_id=lot.pk, company_id=company.pk)

    assert registration.company == company
    payment = Payment.objects.get(public_id=registration.deposit_reference)
    assert payment.company == company
    assert payment.payer == user
    assert payment.payer_name.startswith("Alrimal Trading (1010123456)")
    with pytest.raises(RegistrationRefused) as twice:
        registrations.register_for_lot(user=user, lot_id=lot.pk)
    assert twice.value.code == "already_registered"


def test_a_company_named_on_the_file_is_excluded_by_its_registration_number(court):
    from enforcement.models import FileParty, Party

    file = factories.enforcement_file(court)
    debtor_company = Party.objects.create(
        court=court,
        kind="COMPANY",
        id_kind="COMMERCIAL_REGISTRATION",
        name_ar="شركة",
        name_en="Debtor company",
        id_country="SA",
        id_number=CR,
    )
    FileParty.objects.create(file=file, party=debtor_company, role="DEBTOR")
    lot = factories.lot(court, asset=factories.approved_asset(court, file=file))
    user, company = representative_with()
    before = counts()

    with pytest.raises(RegistrationRefused) as refused:
        registrations.register_for_lot(user=user, lot_id=lot.pk, company_id=company.pk)

    assert refused.value.code == "excluded_party"
    assert "company is a party" in refused.value.render()
    assert counts() == before
    # The same person may still bid in their own name: only the company is a party.
    assert registrations.register_for_lot(user=user, lot_id=lot.pk).company is None


def test_a_representative_whose_power_of_attorney_lapses_bids_no_more_for_the_company(court):
    lot = factories.lot(court, deposit_minor=0)
    user, company = representative_with()
    registration = registrations.register_for_lot(user=user, lot_id=lot.pk, company_id=company.pk)
    first = bidding.place_bid(lot_id=lot.pk, user_id=user.pk, amount_minor=1_000)
    PowerOfAttorney.objects.filter(representative=user).update(
        valid_until=timezone.localdate() - datetime.timedelta(days=1)
    )
    before = counts()

    second = bidding.place_bid(lot_id=lot.pk, user_id=user.pk, amount_minor=5_000)

    assert first.accepted
    assert registration.company == company
    assert not second.accepted
    assert second.code == "power_of_attorney_invalid"
    assert counts() == before


def test_an_automatic_maximum_stops_for_a_company_whose_power_of_attorney_was_revoked(court):
    lot = factories.lot(court, deposit_minor=0)
    user, company = representative_with()
    registrations.register_for_lot(user=user, lot_id=lot.pk, company_id=company.pk)
    bidding.set_automatic_bid(lot_id=lot.pk, user_id=user.pk, maximum_minor=50_000)
    rival = factories.registered_bidder(lot)
    PowerOfAttorney.objects.filter(representative=user).update(status="REVOKED")

    answer = bidding.place_bid(lot_id=lot.pk, user_id=rival.bidder_id, amount_minor=2_000)

    assert answer.accepted
    assert answer.is_leading
    lot.refresh_from_db()
    assert lot.leader_id == rival.pk


@pytest.mark.parametrize("language", ["en", "ar"])
def test_the_company_pages_are_in_both_languages(client, staff, language):
    user, _company = representative_with("PENDING")
    for person in (user, staff):  # pages speak the signed-in user's language
        person.preferred_language = language
        person.save(update_fields=["preferred_language"])
    client.cookies["django_language"] = language
    client.force_login(user)
    mine = client.get("/accounts/companies/", HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(staff)
    queue = client.get("/accounts/staff/mandates/", HTTP_ACCEPT_LANGUAGE=language)
    review = client.get(
        f"/accounts/staff/mandates/{PowerOfAttorney.objects.get().pk}/",
        HTTP_ACCEPT_LANGUAGE=language,
    )

    expected = "الشركات التي أمثلها" if language == "ar" else "Companies I represent"
    assert expected in mine.content.decode()
    assert queue.status_code == review.status_code == 200
    assert ('<html lang="ar"' in queue.content.decode()) == (language == "ar")


def test_the_balance_and_the_sale_certificate_of_a_company_registration_are_in_its_name(
    court, finance
):
    from aftersale import services as aftersale
    from aftersale.services import closing
    from payments.models import Method
    from tests.aftersale.helpers import sold_lot

    sale = sold_lot(court, finance)
    _representative, company = representative_with()
    PowerOfAttorney.objects.filter(company=company).update(representative=sale.buyer)
    Registration.objects.filter(pk=sale.registration_id).update(company=company)
    sale.refresh_from_db()

    payment = aftersale.start_balance_payment(
        buyer=sale.buyer, sale_id=sale.pk, method=Method.BANK_TRANSFER
    )
    lines = {str(line.label): str(line.value) for line in closing._buyer_lines(sale)}

    assert payment.company == company
    assert payment.payer_name.startswith("Alrimal Trading (1010123456)")
    assert lines["Buyer"] == "Alrimal Trading"
    assert lines["Commercial registration number"] == "SA 1010123456"
    assert lines["Represented by"] == sale.buyer.full_name
