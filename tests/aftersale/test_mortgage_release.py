"""The letter asking the registry to cancel a mortgage goes when the distribution pays the
secured creditor, not when the sale becomes final; once, however often the provider repeats
its event; in the registry's language, through enforcement's letters (PostgreSQL, stripe-mock)."""

from __future__ import annotations

import pytest

from accounts.organisations import Agency
from aftersale import services as aftersale
from aftersale.models import Disbursement, Distribution
from core.models import AuditRecord
from enforcement.models import AgencyLetter, Encumbrance
from tests.aftersale import helpers
from tests.payments.conftest import make_event, post_event, work

pytestmark = pytest.mark.django_db


def transfer_created(client, item: Disbursement):
    event = {
        "id": item.provider_id,
        "object": "transfer",
        "amount": item.amount_minor,
        "currency": item.currency.lower(),
        "metadata": {"mazad_ref": item.reference},
    }
    return post_event(client, make_event("transfer.created", event))


def test_the_mortgage_cancellation_letter_goes_once_when_the_secured_creditor_is_paid(
    client, court, stripe
):
    Agency.objects.create(
        code="SA-TRAFFIC", kind="TRAFFIC", country="SA", name_ar="المرور", name_en="Traffic"
    )
    finance, checker = helpers.staff_pair(court)
    file = helpers.file_with(court, claim=6_000_000, costs=150_000)
    sale = helpers.sold_lot(
        court, finance, file=file, price=10_000_000, deposit=800_000, reserved=1
    )
    mortgage = Encumbrance.objects.create(
        asset=sale.lot.asset, kind="MORTGAGE", holder="Riyad Bank", amount_minor=2_000_000, rank=1
    )
    helpers.pay_by_card(client, sale, stripe)
    distribution = Distribution.objects.get(file=file)
    for item in distribution.disbursements.order_by("pk"):
        aftersale.prepare_disbursement(actor=finance, disbursement_id=item.pk, note="Checked")
        aftersale.approve_disbursement(actor=checker, disbursement_id=item.pk)
    work(stripe)
    work(stripe)
    # The sale is final and its transfer letter went; the secured creditor is not paid yet.
    before = set(AgencyLetter.objects.filter(subject_kind=AgencyLetter.Subject.RELEASE_MORTGAGE))
    secured = Disbursement.objects.get(distribution=distribution, encumbrance=mortgage)
    others = Disbursement.objects.filter(distribution=distribution).exclude(pk=secured.pk)

    first = transfer_created(client, secured)
    again = transfer_created(client, secured)  # the provider repeats its event
    for item in others:
        transfer_created(client, item)  # the applicant paid last: the file becomes satisfied
    work(stripe)

    assert before == set()
    assert (first.status_code, again.status_code) == (200, 200)
    letter = AgencyLetter.objects.get(subject_kind=AgencyLetter.Subject.RELEASE_MORTGAGE)
    secured.refresh_from_db()
    assert secured.status == Disbursement.Status.PAID
    assert secured.release_letter == letter
    assert letter.asset_id == sale.lot.asset_id
    assert letter.agency.code == "SA-TRAFFIC"
    assert letter.language == "ar"
    assert "فك رهن" in letter.subject
    assert "Riyad Bank" in letter.body
    assert "رهن" in letter.body
    assert "20,000.00" in letter.body
    assert "دُفع" in letter.body
    assert distribution.number in letter.body
    assert AuditRecord.objects.filter(action="letter.sent", object_id=str(letter.pk)).count() == 1
    assert not AuditRecord.objects.filter(action="disbursement.letter_not_sent").exists()
    # Only the payment to a secured creditor writes one.
    assert Disbursement.objects.exclude(release_letter=None).count() == 1


def test_the_letter_is_in_english_for_a_registry_abroad(client, court, stripe):
    Agency.objects.create(
        code="VN-TRAFFIC", kind="TRAFFIC", country="VN", name_ar="المرور", name_en="Traffic police"
    )
    finance, checker = helpers.staff_pair(court)
    file = helpers.file_with(court, claim=6_000_000)
    sale = helpers.sold_lot(court, finance, file=file, price=10_000_000, deposit=800_000)
    mortgage = Encumbrance.objects.create(
        asset=sale.lot.asset, kind="MORTGAGE", holder="Vietcombank", amount_minor=1_000_000
    )
    helpers.pay_by_card(client, sale, stripe)
    distribution = Distribution.objects.get(file=file)
    for item in distribution.disbursements.order_by("pk"):
        aftersale.prepare_disbursement(actor=finance, disbursement_id=item.pk, note="Checked")
        aftersale.approve_disbursement(actor=checker, disbursement_id=item.pk)
    work(stripe)
    work(stripe)
    secured = Disbursement.objects.get(distribution=distribution, encumbrance=mortgage)

    transfer_created(client, secured)
    work(stripe)

    secured.refresh_from_db()
    letter = secured.release_letter
    assert secured.status == Disbursement.Status.PAID
    assert letter is not None
    assert letter.language == "en"
    assert letter.subject.startswith("Request to cancel a mortgage")
    assert "Vietcombank" in letter.body
    assert "Please cancel this mortgage" in letter.body
