"""Objections to a result within the window, a sale final only after it, annulment with refunds."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connections
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.organisations import Agency
from aftersale import services as aftersale
from aftersale.models import CustodyItem, Disbursement, Distribution, Objection, Sale
from aftersale.services import deadlines, objections
from auction.models import Lot, Registration
from core.errors import DomainError
from core.models import AuditRecord
from enforcement.models import AgencyLetter, Encumbrance
from payments.models import Payment, PaymentStatus, Refund
from tests.aftersale import helpers
from tests.conftest import make_user
from tests.faults import invariants
from tests.payments.conftest import intent_object, make_event, post_event, work

WINDOW = {"objection_days": 3}


def _ledger_holds() -> None:
    assert invariants._ledger().violations == []


def _refunds_of(payment: Payment | None) -> int:
    return 0 if payment is None else Refund.objects.filter(payment=payment).count()


def _deposit_of(sale: Sale) -> Payment:
    return Payment.objects.get(public_id=sale.registration.deposit_reference)


def _traffic() -> None:
    Agency.objects.get_or_create(
        code="SA-TRAFFIC",
        defaults={"kind": "TRAFFIC", "country": "SA", "name_ar": "المرور", "name_en": "Traffic"},
    )


def _other_bidder(sale: Sale):
    return Registration.objects.filter(lot=sale.lot).exclude(pk=sale.registration_id).first().bidder


@pytest.mark.django_db
def test_a_paid_sale_is_not_final_until_its_objection_window_closes(client, court, stripe):
    _traffic()
    finance = make_user("FINANCE_STAFF", court=court)
    sale = helpers.sold_lot(court, finance, rules=WINDOW)
    Encumbrance.objects.create(
        asset=sale.lot.asset, kind="MORTGAGE", holder="Riyad Bank", amount_minor=2_000, rank=1
    )

    helpers.pay_by_card(client, sale, stripe)

    sale.refresh_from_db()
    assert sale.status == Sale.Status.PAID
    assert sale.objection_closes_at == sale.lot.closed_at + timedelta(days=3)
    assert (sale.finalized_at, sale.certificate, sale.ownership_letter) == (None, None, None)
    assert not Distribution.objects.filter(file=sale.file).exists()

    deadlines.run(sale.objection_closes_at - timedelta(seconds=1))
    sale.refresh_from_db()
    assert sale.finalized_at is None

    deadlines.run(sale.objection_closes_at)
    sale.refresh_from_db()
    assert sale.finalized_at is not None
    assert sale.certificate is not None
    letter = sale.ownership_letter
    assert letter.subject_kind == AgencyLetter.Subject.TRANSFER_OWNERSHIP
    assert "الرهون" in letter.body, "asks to cancel the mortgage"
    assert "Riyad Bank" in letter.body
    assert Distribution.objects.filter(file=sale.file).count() == 1


@pytest.mark.django_db
def test_a_pending_objection_holds_the_sale_and_a_rejection_makes_it_final(client, court, stripe):
    finance = make_user("FINANCE_STAFF", court=court)
    sale = helpers.sold_lot(court, finance, reserved=1, rules=WINDOW)
    judge = make_user("SUPERVISOR", court=court)
    bidder = _other_bidder(sale)
    objection = objections.file_objection(
        filer=bidder, sale_id=sale.pk, grounds="The clock stopped on my page.", now=timezone.now()
    )
    helpers.pay_by_card(client, sale, stripe)

    deadlines.run(sale.objection_closes_at + timedelta(days=1))
    sale.refresh_from_db()
    assert sale.finalized_at is None, "a pending objection holds it past the window"

    objections.decide_objection(
        actor=judge,
        objection_id=objection.pk,
        uphold=False,
        reason="The server log shows every bid on time.",
        now=sale.objection_closes_at + timedelta(days=1),
    )

    sale.refresh_from_db()
    objection.refresh_from_db()
    assert objection.status == Objection.Status.REJECTED
    assert objection.standing == Objection.Standing.BIDDER
    assert sale.finalized_at is not None
    assert sale.certificate is not None


@pytest.mark.django_db
def test_the_debtor_may_object_but_outsiders_the_buyer_and_late_filers_may_not(court):
    finance = make_user("FINANCE_STAFF", court=court)
    sale = helpers.sold_lot(court, finance, rules=WINDOW)
    debtor_party = sale.file.file_parties.get(role="DEBTOR").party
    debtor = make_user("BIDDER", id_number=debtor_party.id_number, id_country="SA")
    now = timezone.now()

    filed = objections.file_objection(
        filer=debtor, sale_id=sale.pk, grounds="The appraisal was far too low.", now=now
    )
    refusals = {}
    for name, filer, grounds, when in [
        ("outsider", make_user("BIDDER"), "I do not like this result.", now),
        ("buyer", sale.buyer, "I changed my mind on this.", now),
        ("late", debtor, "Filed after the window.", sale.objection_closes_at),
        ("blank", debtor, "   ", now),
        ("short", debtor, "too low", now),
        ("long", debtor, "x" * 4_001, now),
        ("again", debtor, "Another objection while one waits.", now),
    ]:
        with pytest.raises(DomainError) as refused:
            objections.file_objection(filer=filer, sale_id=sale.pk, grounds=grounds, now=when)
        refusals[name] = (refused.value.code, refused.value.field)

    assert filed.standing == Objection.Standing.DEBTOR
    assert refusals == {
        "outsider": ("not_found", None),
        "buyer": ("not_found", None),
        "late": ("objection_window_closed", "grounds"),
        "blank": ("required", "grounds"),
        "short": ("too_short", "grounds"),
        "long": ("too_long", "grounds"),
        "again": ("objection_pending", "grounds"),
    }
    assert Objection.objects.count() == 1, "refusals change nothing"


@pytest.mark.django_db
def test_upholding_an_objection_annuls_the_paid_sale_and_refunds_everything_once(
    client, court, stripe
):
    finance = make_user("FINANCE_STAFF", court=court)
    sale = helpers.sold_lot(court, finance, reserved=1, rules=WINDOW)
    judge = make_user("SUPERVISOR", court=court)
    objection = objections.file_objection(
        filer=_other_bidder(sale), sale_id=sale.pk, grounds="My bids were lost.", now=timezone.now()
    )
    payment = helpers.pay_by_card(client, sale, stripe)

    objections.decide_objection(
        actor=judge, objection_id=objection.pk, uphold=True, reason="Bids lost", now=timezone.now()
    )
    work(stripe)
    work(stripe)

    sale.refresh_from_db()
    assert sale.status == Sale.Status.ANNULLED
    assert (sale.annulled_reason, sale.annulled_by) == ("Bids lost", judge)
    assert _refunds_of(payment) == 1
    assert _refunds_of(_deposit_of(sale)) == 1
    payment.refresh_from_db()
    assert payment.refunded_minor == payment.amount_minor
    assert not CustodyItem.objects.filter(sale=sale).exists()
    lot = Lot.objects.get(pk=sale.lot_id)
    assert (lot.status, lot.outcome) == (Lot.Status.UNSOLD, Lot.Outcome.SALE_ANNULLED)
    assert lot.asset.status == "UNSOLD", "the asset may go to a further round"
    assert {r.deposit_status for r in lot.registrations.all()} == {"REFUNDED"}
    assert AuditRecord.objects.filter(action="sale.annulled").count() == 1
    _ledger_holds()

    with pytest.raises(DomainError) as again:
        objections.annul_sale(actor=judge, sale_id=sale.pk, reason="Twice", now=timezone.now())
    assert again.value.code == "invalid_transition"
    assert _refunds_of(payment) == 1, "never refunded twice"


@pytest.mark.django_db
def test_a_sale_awaiting_payment_is_annulled_its_deposit_refunded_and_the_balance_cancelled(court):
    finance = make_user("FINANCE_STAFF", court=court)
    sale = helpers.sold_lot(court, finance)
    judge = make_user("SUPERVISOR", court=court)

    objections.annul_sale(
        actor=judge, sale_id=sale.pk, reason="Debtor paid before the hammer", now=timezone.now()
    )

    sale.refresh_from_db()
    assert sale.status == Sale.Status.ANNULLED
    assert _refunds_of(_deposit_of(sale)) == 1
    assert deadlines.run(sale.due_at + timedelta(days=1)) == 0, "nothing defaults any more"
    _ledger_holds()


@pytest.mark.django_db
def test_annulment_is_refused_once_the_proceeds_were_paid_out_and_changes_nothing(
    client, court, stripe
):
    finance = make_user("FINANCE_STAFF", court=court)
    sale = helpers.sold_lot(court, finance, file=helpers.file_with(court, claim=6_000_000))
    helpers.pay_by_card(client, sale, stripe)
    distribution = Distribution.objects.get(file=sale.file)
    maker, checker = helpers.staff_pair(court)
    for item in distribution.disbursements.order_by("pk"):
        aftersale.prepare_disbursement(actor=maker, disbursement_id=item.pk, note="Checked")
        aftersale.approve_disbursement(actor=checker, disbursement_id=item.pk)
    work(stripe)  # the money leaves the court account
    assert Disbursement.objects.filter(distribution=distribution, status="SENT").exists()
    refunds = Refund.objects.count()

    with pytest.raises(DomainError) as refused:
        objections.annul_sale(
            actor=make_user("SUPERVISOR", court=court),
            sale_id=sale.pk,
            reason="Too late",
            now=timezone.now(),
        )

    assert refused.value.code == "proceeds_paid_out"
    sale.refresh_from_db()
    assert sale.status == Sale.Status.PAID
    assert Refund.objects.count() == refunds


@pytest.mark.django_db
def test_a_proposed_distribution_not_yet_paid_is_withdrawn_by_the_annulment(client, court, stripe):
    finance = make_user("FINANCE_STAFF", court=court)
    sale = helpers.sold_lot(court, finance, file=helpers.file_with(court, claim=6_000_000))
    helpers.pay_by_card(client, sale, stripe)

    objections.annul_sale(
        actor=make_user("SUPERVISOR", court=court),
        sale_id=sale.pk,
        reason="Judgment set aside on appeal",
        now=timezone.now(),
    )

    assert Distribution.objects.get(file=sale.file).status == Distribution.Status.CANCELLED
    _ledger_holds()


@pytest.mark.django_db
def test_staff_who_are_not_judges_cannot_annul_or_decide(court):
    finance = make_user("FINANCE_STAFF", court=court)
    sale = helpers.sold_lot(court, finance)

    with pytest.raises(DomainError) as refused:
        objections.annul_sale(
            actor=make_user("EXECUTION_STAFF", court=court),
            sale_id=sale.pk,
            reason="No",
            now=timezone.now(),
        )

    assert refused.value.code == "not_found"
    sale.refresh_from_db()
    assert sale.status == Sale.Status.AWAITING_PAYMENT


@pytest.mark.django_db(transaction=True)
def test_two_judges_deciding_the_same_objection_are_served_one_after_the_other(court):
    finance = make_user("FINANCE_STAFF", court=court)
    sale = helpers.sold_lot(court, finance, reserved=1, rules=WINDOW)
    objection = objections.file_objection(
        filer=_other_bidder(sale), sale_id=sale.pk, grounds="My bids were lost.", now=timezone.now()
    )
    judges = [make_user("SUPERVISOR", court=court) for _ in range(2)]
    clients = []
    for judge in judges:
        judge_client = Client()
        judge_client.force_login(judge)
        clients.append(judge_client)
    barrier = threading.Barrier(2)
    answers: list[int] = []
    url = reverse("aftersale:objection_decide", args=[objection.pk])

    def decide(judge_client: Client, uphold: bool) -> None:
        try:
            barrier.wait()
            answers.append(
                judge_client.post(
                    url, {"decision": "uphold" if uphold else "reject", "reason": "Decided"}
                ).status_code
            )
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=decide, args=(clients[0], True)),
        threading.Thread(target=decide, args=(clients[1], False)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert answers == [302, 302]
    objection.refresh_from_db()
    decided = AuditRecord.objects.filter(action__in=["objection.upheld", "objection.rejected"])
    assert decided.count() == 1, "decided once; the other judge was refused"
    sale.refresh_from_db()
    assert (sale.status == Sale.Status.ANNULLED) == (objection.status == Objection.Status.UPHELD)
    assert _refunds_of(_deposit_of(sale)) == (1 if sale.status == Sale.Status.ANNULLED else 0)
    _ledger_holds()


@pytest.mark.django_db(transaction=True)
def test_annulment_racing_the_balance_payment_refunds_it_exactly_once(court, stripe):
    finance = make_user("FINANCE_STAFF", court=court)
    sale = helpers.sold_lot(court, finance, rules=WINDOW)
    from payments import services as payments

    payment = aftersale.start_balance_payment(buyer=sale.buyer, sale_id=sale.pk, method="CARD")
    work(stripe)
    payment.refresh_from_db()
    payments.confirm_card_payment(payer=sale.buyer, payment=payment, payment_method="pm_card_visa")
    work(stripe)
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PROCESSING
    judge = make_user("SUPERVISOR", court=court)
    provider, judge_client = Client(), Client()
    judge_client.force_login(judge)
    event = make_event("payment_intent.succeeded", intent_object(payment))
    barrier = threading.Barrier(2)
    answers: dict[str, int] = {}

    def arrive() -> None:
        try:
            barrier.wait()
            answers["webhook"] = post_event(provider, event).status_code
            work(stripe)
        finally:
            connections.close_all()

    def annul() -> None:
        try:
            barrier.wait()
            answers["judge"] = judge_client.post(
                reverse("aftersale:sale_review", args=[sale.pk]),
                {"annul": "1", "reason": "Court order set the sale aside"},
            ).status_code
        finally:
            connections.close_all()

    threads = [threading.Thread(target=arrive), threading.Thread(target=annul)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    work(stripe)
    work(stripe)

    assert answers == {"webhook": 200, "judge": 302}
    sale.refresh_from_db()
    payment.refresh_from_db()
    assert sale.status == Sale.Status.ANNULLED
    assert payment.status == PaymentStatus.SUCCEEDED
    assert _refunds_of(payment) == 1, "the balance went back exactly once"
    assert payment.refunded_minor == payment.amount_minor
    assert _refunds_of(_deposit_of(sale)) == 1
    assert not CustodyItem.objects.filter(sale=sale).exists()
    _ledger_holds()


@pytest.mark.django_db
def test_who_sees_the_objection_and_review_pages_in_both_languages(client, court, other_court):
    finance = make_user("FINANCE_STAFF", court=court)
    sale = helpers.sold_lot(court, finance, reserved=1, rules=WINDOW)
    objection_page = reverse("aftersale:objection_file", args=[sale.public_id])
    review_page = reverse("aftersale:sale_review", args=[sale.pk])
    bidder = _other_bidder(sale)
    bidder.preferred_language = "ar"
    bidder.save(update_fields=["preferred_language"])
    seen = {}
    for name, user, page in [
        ("anonymous", None, objection_page),
        ("outsider", make_user("BIDDER"), objection_page),
        ("buyer", sale.buyer, objection_page),
        ("other bidder", bidder, objection_page),
        ("judge", make_user("SUPERVISOR", court=court), review_page),
        ("execution staff", make_user("EXECUTION_STAFF", court=court), review_page),
        ("finance staff", finance, review_page),
        ("judge elsewhere", make_user("SUPERVISOR", court=other_court), review_page),
        ("bidder on review", bidder, review_page),
    ]:
        client.logout()
        if user is not None:
            client.force_login(user)
        seen[name] = client.get(page).status_code
    client.force_login(bidder)
    arabic = client.get(objection_page).content.decode()
    bad = client.post(objection_page, {"grounds": "short"})

    assert seen == {
        "anonymous": 302,
        "outsider": 404,
        "buyer": 404,
        "other bidder": 200,
        "judge": 200,
        "execution staff": 200,
        "finance staff": 404,
        "judge elsewhere": 404,
        "bidder on review": 404,
    }
    assert "تقديم الاعتراض" in arabic
    assert bad.status_code == 400
    assert "10" in bad.content.decode()
    assert not Objection.objects.exists()


@pytest.mark.django_db
def test_a_decision_without_reasons_or_with_an_unknown_choice_is_refused_and_changes_nothing(
    client, court
):
    finance = make_user("FINANCE_STAFF", court=court)
    sale = helpers.sold_lot(court, finance, reserved=1, rules=WINDOW)
    objection = objections.file_objection(
        filer=_other_bidder(sale), sale_id=sale.pk, grounds="My bids were lost.", now=timezone.now()
    )
    client.force_login(make_user("SUPERVISOR", court=court))
    url = reverse("aftersale:objection_decide", args=[objection.pk])

    for data in ({"decision": "uphold", "reason": ""}, {"decision": "maybe", "reason": "Why"}):
        assert client.post(url, data).status_code == 302

    objection.refresh_from_db()
    sale.refresh_from_db()
    assert objection.status == Objection.Status.PENDING
    assert sale.status == Sale.Status.AWAITING_PAYMENT


@pytest.mark.django_db
def test_a_secured_creditor_of_the_asset_may_object_in_person_or_through_its_representative(
    court,
):
    from tests.auction.test_company_bidders import CR, representative_with

    finance = make_user("FINANCE_STAFF", court=court)
    sale = helpers.sold_lot(court, finance, rules=WINDOW)
    creditor = make_user("BIDDER", id_number="1234567890", id_country="SA")
    Encumbrance.objects.create(
        asset=sale.lot.asset,
        kind="LIEN",
        holder="A private lender",
        holder_id_number=creditor.id_number,
        holder_id_country="SA",
        amount_minor=50_000,
        rank=2,
    )
    Encumbrance.objects.create(
        asset=sale.lot.asset,
        kind="MORTGAGE",
        holder="Riyad Bank",
        holder_id_number=CR,
        holder_id_country="SA",
        amount_minor=2_000,
        rank=1,
    )
    bank_officer, _company = representative_with("APPROVED")
    lapsed, _same = representative_with("APPROVED", days_left=-1)
    now = timezone.now()

    in_person = objections.file_objection(
        filer=creditor, sale_id=sale.pk, grounds="Sold far below the debt it secures.", now=now
    )
    for_the_bank = objections.file_objection(
        filer=bank_officer, sale_id=sale.pk, grounds="The mortgage was not announced.", now=now
    )

    assert in_person.standing == for_the_bank.standing == Objection.Standing.SECURED_CREDITOR
    assert objections.standing_of(lapsed, sale) is None  # the power of attorney expired
    with pytest.raises(DomainError) as late:
        objections.file_objection(
            filer=creditor, sale_id=sale.pk, grounds="Filed after the window.", now=now
        )
    assert late.value.code == "objection_pending"
    with pytest.raises(DomainError) as closed:
        objections.file_objection(
            filer=bank_officer,
            sale_id=sale.pk,
            grounds="Another one, after the window closed.",
            now=sale.objection_closes_at,
        )
    assert closed.value.code in ("objection_pending", "objection_window_closed")


@pytest.mark.django_db
def test_only_a_secured_right_with_the_holders_identity_gives_standing_and_never_to_staff(court):
    finance = make_user("FINANCE_STAFF", court=court)
    sale = helpers.sold_lot(court, finance, rules=WINDOW)
    other_right = make_user("BIDDER", id_number="1000000001", id_country="SA")
    named_only = make_user("BIDDER", id_number="1000000002", id_country="SA")
    elsewhere = make_user("BIDDER", id_number="1000000003", id_country="SA")
    staff = make_user("EXECUTION_STAFF", court=court, id_number="1000000004", id_country="SA")
    Encumbrance.objects.create(
        asset=sale.lot.asset,
        kind="OTHER",  # a right that secures no debt
        holder="A tenant",
        holder_id_number=other_right.id_number,
        holder_id_country="SA",
    )
    Encumbrance.objects.create(asset=sale.lot.asset, kind="MORTGAGE", holder=named_only.full_name)
    Encumbrance.objects.create(
        asset=sale.lot.asset,
        kind="MORTGAGE",
        holder="Same number, another country",
        holder_id_number=elsewhere.id_number,
        holder_id_country="KW",
    )
    Encumbrance.objects.create(
        asset=sale.lot.asset,
        kind="MORTGAGE",
        holder="A member of staff",
        holder_id_number=staff.id_number,
        holder_id_country="SA",
    )

    for user in (other_right, named_only, elsewhere, staff):
        assert objections.standing_of(user, sale) is None, user
        with pytest.raises(DomainError) as refused:
            objections.file_objection(
                filer=user, sale_id=sale.pk, grounds="I object to this sale.", now=timezone.now()
            )
        assert refused.value.code == "not_found"
    assert not Objection.objects.exists()


@pytest.mark.django_db
def test_the_holders_identity_is_recorded_with_the_encumbrance_or_refused_naming_the_field(
    client, court
):
    from enforcement.models import SeizedAsset
    from tests.auction import factories

    staff = make_user("EXECUTION_STAFF", court=court)
    asset = factories.approved_asset(court)
    SeizedAsset.objects.filter(pk=asset.pk).update(status=SeizedAsset.Status.SEIZED)
    client.force_login(staff)
    url = reverse("enforcement:encumbrance_add", args=[asset.pk])
    base = {"kind": "MORTGAGE", "holder": "Riyad Bank", "amount": "", "note": ""}

    refused = client.post(url, {**base, "holder_id_number": "1010", "holder_id_country": "S1"})
    assert not Encumbrance.objects.exists()
    added = client.post(url, {**base, "holder_id_number": "1010123456", "holder_id_country": "sa"})

    assert refused.status_code == 400
    assert "Give the country as its two-letter code" in refused.content.decode()
    assert added.status_code == 302
    encumbrance = Encumbrance.objects.get()
    assert (encumbrance.holder_id_number, encumbrance.holder_id_country) == ("1010123456", "SA")
