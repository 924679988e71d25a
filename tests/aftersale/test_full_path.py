"""The whole path after the hammer, against stripe-mock and PostgreSQL, to the minor unit."""

from __future__ import annotations

import pytest

from aftersale import services as aftersale
from aftersale.models import CustodyItem, Disbursement, Distribution, Sale
from core.models import Receipt
from enforcement.models import AgencyLetter, Encumbrance
from payments import ledger
from payments.models import AccountPurpose, JobStatus, PaymentJob
from tests.aftersale import helpers
from tests.payments.conftest import make_event, post_event, work

pytestmark = pytest.mark.django_db


def balance(court, purpose, file_number=""):
    account = ledger.account(court=court, purpose=purpose, currency="SAR", file_number=file_number)
    return ledger.balance(account).amount_minor


def test_a_sale_is_paid_distributed_approved_transferred_and_the_file_satisfied(
    client, court, stripe
):
    from accounts.organisations import Agency

    Agency.objects.create(
        code="SA-TRAFFIC", kind="TRAFFIC", country="SA", name_ar="المرور", name_en="Traffic"
    )
    finance, checker = helpers.staff_pair(court)
    file = helpers.file_with(court, claim=6_000_000, costs=150_000)
    sale = helpers.sold_lot(
        court, finance, file=file, price=10_000_000, deposit=800_000, reserved=1
    )
    Encumbrance.objects.create(
        asset=sale.lot.asset, kind="MORTGAGE", holder="Riyad Bank", amount_minor=2_000_000, rank=1
    )

    assert (sale.price_minor, sale.premium_minor, sale.vat_minor) == (10_000_000, 250_000, 37_500)
    assert sale.balance_minor == 10_000_000 + 250_000 + 37_500 - 800_000
    payment = helpers.pay_by_card(client, sale, stripe)

    sale.refresh_from_db()
    assert sale.status == Sale.Status.PAID
    assert sale.certificate.kind == Receipt.Kind.SALE_CERTIFICATE
    assert sale.ownership_letter.subject_kind == AgencyLetter.Subject.TRANSFER_OWNERSHIP
    assert CustodyItem.objects.get(sale=sale).amount_minor == 10_287_500
    distribution = Distribution.objects.get(file=file)
    steps = [(line.step, line.amount_minor) for line in distribution.lines.order_by("position")]
    assert steps == [
        ("FEES", 250_000),
        ("VAT", 37_500),
        ("COSTS", 150_000),
        ("SECURED", 2_000_000),
        ("CLAIM", 6_000_000),
        ("SURPLUS", 1_850_000),
    ]
    assert payment.amount_minor == sale.balance_minor

    for item in distribution.disbursements.order_by("pk"):
        aftersale.prepare_disbursement(actor=finance, disbursement_id=item.pk, note="Checked")
        aftersale.approve_disbursement(actor=checker, disbursement_id=item.pk)
    distribution.refresh_from_db()
    assert distribution.status == Distribution.Status.FINAL
    work(stripe)  # accounts, then transfers
    work(stripe)
    sent = list(Disbursement.objects.filter(distribution=distribution).order_by("pk"))
    assert {item.status for item in sent} == {Disbursement.Status.SENT}
    assert all(
        job.status == JobStatus.DONE
        for job in PaymentJob.objects.filter(operation="transfer.create")
    )
    transfer_params = PaymentJob.objects.filter(operation="transfer.create").first().params
    assert transfer_params["transfer_group"] == file.number
    for item in sent:
        event = {
            "id": item.provider_id,
            "object": "transfer",
            "amount": item.amount_minor,
            "currency": "sar",
            "metadata": {"mazad_ref": item.reference},
        }
        assert post_event(client, make_event("transfer.created", event)).status_code == 200
    work(stripe)

    file.refresh_from_db()
    assert file.status == "SATISFIED"
    assert file.balance_owed().amount_minor == 0
    assert {item.status for item in Disbursement.objects.filter(distribution=distribution)} == {
        "PAID"
    }
    assert balance(court, AccountPurpose.SALE_PROCEEDS, file.number) == 0
    assert balance(court, AccountPurpose.APPLICANT_PAYABLE, file.number) == 0
    assert balance(court, AccountPurpose.CREDITOR_PAYABLE, file.number) == 0
    assert balance(court, AccountPurpose.DEBTOR_PAYABLE, file.number) == 0
    assert balance(court, AccountPurpose.DISBURSEMENTS_IN_TRANSIT) == 0
    assert balance(court, AccountPurpose.FEES_INCOME) == -250_000
    assert balance(court, AccountPurpose.VAT_PAYABLE) == -37_500
    # Deposits: the buyer's applied, the runner-up's refunded (awaiting the bank), none held.
    assert balance(court, AccountPurpose.BIDDER_DEPOSITS) == -800_000
    assert balance(court, AccountPurpose.PROVIDER_CLEARING) == sale.balance_minor - (
        10_287_500 - 287_500
    )
    assert balance(court, AccountPurpose.COURT_CUSTODY) == 1_600_000
