"""The arithmetic of instalment plans (Hypothesis), and plans refused naming the field."""

from __future__ import annotations

import hashlib
import io
import itertools
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pypdf import PdfReader

from core import pdf_signing
from core.models import AuditRecord
from enforcement import services as enforcement
from enforcement.instalments import Limits, PlanRefused, PlanTerms, build_plan
from enforcement.models import Instalment, Settlement
from enforcement.settlement_documents import render_decision_pdf
from tests.aftersale import helpers
from tests.conftest import make_user

TODAY = date(2026, 1, 31)


@st.composite
def plans(draw: st.DrawFn) -> tuple[PlanTerms, Limits]:
    owed = draw(st.integers(min_value=1, max_value=10**12))
    total = owed + draw(st.integers(min_value=0, max_value=10**9))
    count = draw(st.integers(min_value=0, max_value=min(60, total - 1)))
    first = total if count == 0 else draw(st.integers(min_value=1, max_value=total - count))
    first_due = TODAY + timedelta(days=draw(st.integers(min_value=0, max_value=30)))
    terms = PlanTerms(total_minor=total, first_minor=first, first_due_on=first_due, count=count)
    return terms, Limits(owed_minor=owed, today=TODAY, max_instalments=60, max_first_due_days=30)


@settings(max_examples=400, deadline=None)
@given(plans())
def test_a_plan_sums_to_its_total_in_whole_minor_units_on_increasing_dates(
    case: tuple[PlanTerms, Limits],
) -> None:
    terms, limits = case

    plan = build_plan(terms, limits)

    amounts = [payment.amount_minor for payment in plan.payments]
    dates = [payment.due_on for payment in plan.payments]
    assert sum(amounts) == terms.total_minor >= limits.owed_minor
    assert all(isinstance(amount, int) and amount > 0 for amount in amounts)
    assert all(earlier < later for earlier, later in itertools.pairwise(dates))
    assert [payment.number for payment in plan.payments] == list(range(1, terms.count + 2))
    assert amounts[0] == terms.first_minor
    assert max(amounts[1:], default=0) - min(amounts[1:], default=0) <= 1


def test_a_month_end_first_payment_keeps_to_month_ends() -> None:
    terms = PlanTerms(total_minor=400, first_minor=100, first_due_on=TODAY, count=3)
    limits = Limits(owed_minor=400, today=TODAY, max_instalments=36, max_first_due_days=30)

    plan = build_plan(terms, limits)

    assert [p.due_on for p in plan.payments] == [
        date(2026, 1, 31),
        date(2026, 2, 28),
        date(2026, 3, 31),
        date(2026, 4, 30),
    ]


@pytest.mark.parametrize(
    ("terms", "code", "field"),
    [
        (PlanTerms(99, 50, TODAY, 1), "total_below_owed", "total"),
        (PlanTerms(100, 0, TODAY, 1), "amount_positive", "first_amount"),
        (PlanTerms(100, 50, TODAY - timedelta(days=1), 1), "date_past", "first_due_on"),
        (PlanTerms(100, 50, TODAY + timedelta(days=31), 1), "first_due_too_late", "first_due_on"),
        (PlanTerms(100, 50, TODAY, 37), "instalment_count", "count"),
        (PlanTerms(100, 50, TODAY, 0), "first_is_not_total", "first_amount"),
        (PlanTerms(100, 98, TODAY, 3), "first_leaves_too_little", "first_amount"),
    ],
)
def test_a_broken_rule_names_its_field(terms: PlanTerms, code: str, field: str) -> None:
    limits = Limits(owed_minor=100, today=TODAY, max_instalments=36, max_first_due_days=30)

    with pytest.raises(PlanRefused) as raised:
        build_plan(terms, limits)

    assert (raised.value.code, raised.value.field) == (code, field)


def _today() -> date:
    return datetime.now(ZoneInfo("Asia/Riyadh")).date()


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["en", "ar"])
@pytest.mark.parametrize(
    ("posted", "field", "message"),
    [
        ({"total": "abc"}, "total", {"en": "amount", "ar": "المبلغ"}),
        ({"total": "100.00"}, "total", {"en": "cover the balance owed", "ar": "الرصيد"}),
        ({"first_amount": "0"}, "first_amount", {"en": "greater than zero", "ar": "أكبر من صفر"}),
        ({"first_amount": "1.234"}, "first_amount", {"en": "", "ar": ""}),
        ({"first_due_on": "2020-01-01"}, "first_due_on", {"en": "before today", "ar": ""}),
        ({"first_due_on": "not a day"}, "first_due_on", {"en": "", "ar": ""}),
        ({"count": "-1"}, "count", {"en": "", "ar": ""}),
        ({"count": "500"}, "count", {"en": "", "ar": ""}),
        ({"count": "37"}, "count", {"en": "instalments", "ar": ""}),
    ],
)
def test_bad_terms_are_refused_naming_the_field_and_change_nothing(
    client, court, staff, posted, field, message, language
):
    file = helpers.file_with(court, claim=1_000_000)
    type(staff).objects.filter(pk=staff.pk).update(preferred_language=language)
    client.force_login(staff)
    form = {
        "total": "10000.00",
        "first_amount": "1000.00",
        "first_due_on": _today().isoformat(),
        "count": "6",
        **posted,
    }
    before = AuditRecord.objects.count()

    response = client.post(
        f"/workspace/files/{file.pk}/settlement/new/",
        form,
        HTTP_ACCEPT_LANGUAGE=language,
    )

    assert response.status_code == 400
    errors = response.context["form"].errors
    assert field in errors, errors
    assert message[language] in " ".join(errors[field])
    assert not Settlement.objects.exists()
    assert not Instalment.objects.exists()
    assert AuditRecord.objects.count() == before


def proposed_plan(court, staff):
    """A file owing 6,000.00 and the staff's plan for it: 2,000.00 now, then two instalments."""
    file = helpers.file_with(court, claim=600_000)
    settlement = enforcement.record_settlement(
        actor=staff,
        file_id=file.pk,
        terms=PlanTerms(total_minor=600_000, first_minor=200_000, first_due_on=_today(), count=2),
    )
    return file, settlement


@pytest.mark.django_db
def test_the_decision_pdf_carries_the_schedule_in_both_languages(court, staff, supervisor):
    file, settlement = proposed_plan(court, staff)
    enforcement.decide_settlement(
        actor=supervisor, settlement_id=settlement.pk, approve=True, reason="خطة عادلة للسداد"
    )
    settlement.refresh_from_db()

    pdf = render_decision_pdf(settlement)

    assert pdf.startswith(b"%PDF")
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert file.number in text
    assert "Decision on an instalment settlement" in " ".join(text.split())
    assert "Schedule of payments" in text
    assert "2,000.00" in text


@pytest.mark.django_db
def test_another_courts_staff_see_no_settlement(client, court, other_court, staff, supervisor):
    _file, settlement = proposed_plan(court, staff)
    outsider = make_user("SUPERVISOR", court=other_court)
    client.force_login(outsider)

    assert client.get(f"/workspace/settlements/{settlement.pk}/").status_code == 404
    response = client.post(
        f"/workspace/settlements/{settlement.pk}/decide/",
        {"decision": "approve", "reason": "Approved here"},
    )

    assert response.status_code == 404
    assert Settlement.objects.get(pk=settlement.pk).status == Settlement.Status.PROPOSED


@pytest.mark.django_db
def test_the_judges_decision_is_kept_signed_with_the_courts_key_and_verifies(
    client, court, staff, supervisor
):
    file, settlement = proposed_plan(court, staff)
    enforcement.decide_settlement(
        actor=supervisor, settlement_id=settlement.pk, approve=True, reason="A fair plan, agreed"
    )

    settlement.refresh_from_db()
    client.force_login(staff)
    answer = client.get(f"/workspace/settlements/{settlement.pk}/decision.pdf")
    assert answer.status_code == 200
    kept = answer.content
    assert hashlib.sha256(kept).hexdigest() == settlement.decision_sha256
    check = pdf_signing.validate_signed_pdf(kept)
    assert check.valid, check.message
    assert (check.document_kind, check.document_number) == (
        "settlement-decision",
        f"{file.number}-S{settlement.pk}",
    )
    assert check.signer_name == (supervisor.get_full_name() or supervisor.email)
    tampered = bytearray(kept)
    tampered[len(tampered) // 3] ^= 0x01
    assert not pdf_signing.validate_signed_pdf(bytes(tampered)).valid
