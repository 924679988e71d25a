"""The judge's decision on an instalment settlement, printed on the court's letterhead."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from django.core.files.base import ContentFile
from django.template.loader import render_to_string
from django.utils.translation import gettext_lazy as _

from core import documents, formatting, pdf_signing
from enforcement import signing
from enforcement.models import Settlement


def _both_values(value: Any) -> dict[str, str]:
    return {code: str(value) for code in documents.LANGUAGES}


def _meta(settlement: Settlement) -> list[dict[str, Any]]:
    court, file = settlement.court, settlement.file

    def day(value: Any) -> dict[str, str]:
        return {
            code: formatting.format_day(value, court, lang=code) for code in documents.LANGUAGES
        }

    def money(amount_minor: int) -> dict[str, str]:
        return {
            code: formatting.format_money(amount_minor, settlement.currency, lang=code)
            for code in documents.LANGUAGES
        }

    rows: list[tuple[Any, dict[str, str]]] = [
        (_("Enforcement file"), _both_values(file.number)),
        (_("Decision"), documents.both(Settlement.Status(settlement.status).label)),
        (_("Decided"), day(settlement.decided_at)),
        (
            _("Judge"),
            _both_values(settlement.decided_by.full_name if settlement.decided_by else ""),
        ),
        (_("Balance owed when proposed"), money(settlement.owed_minor)),
        (_("Total to pay"), money(settlement.total_minor)),
        (_("Plan"), documents.both(Settlement.Origin(settlement.origin).label)),
        (_("Proposed"), day(settlement.proposed_at)),
    ]
    if settlement.notice_days:
        rows.append(
            (
                _("Notice period after a missed instalment (days)"),
                _both_values(settlement.notice_days),
            )
        )
    return [
        {
            "label": documents.both(label),
            "value": value,
            "dir": {code: documents.direction(value[code]) for code in documents.LANGUAGES},
        }
        for label, value in rows
    ]


def content_hash(settlement: Settlement) -> str:
    """SHA-256 over what the judge decided: the file, the schedule, the decision and reasons."""
    canonical = json.dumps(
        {
            "court": settlement.court.code,
            "file": settlement.file.number,
            "status": settlement.status,
            "decided_at": settlement.decided_at.isoformat() if settlement.decided_at else "",
            "reasons": settlement.decision_reason,
            "total_minor": settlement.total_minor,
            "currency": settlement.currency,
            "schedule": [
                [i.number, i.due_on.isoformat(), i.amount_minor]
                for i in settlement.instalments.order_by("number")
            ],
        },
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def render_decision_pdf(settlement: Settlement) -> bytes:
    """The decision as a tagged PDF: particulars and the schedule in Arabic and English, the
    reasons as the judge wrote them, the seal and the content's SHA-256. Returns the bytes."""
    court = settlement.court
    schedule = [
        {
            "number": instalment.number,
            "due": {
                code: formatting.format_day(instalment.due_on, court, lang=code)
                for code in documents.LANGUAGES
            },
            "amount": {
                code: formatting.format_money(
                    instalment.amount_minor, settlement.currency, lang=code
                )
                for code in documents.LANGUAGES
            },
        }
        for instalment in settlement.instalments.order_by("number")
    ]
    html = render_to_string(
        "enforcement/settlement_pdf.html",
        {
            **documents.letterhead(court),
            "settlement": settlement,
            "title": documents.both(_("Decision on an instalment settlement")),
            "meta": _meta(settlement),
            "schedule": schedule,
            "labels": {
                "number": documents.both(_("Instalment")),
                "due": documents.both(_("Due")),
                "amount": documents.both(_("Amount")),
                "schedule": documents.both(_("Schedule of payments")),
                "reasons": documents.both(_("Reasons")),
                "effect": documents.both(
                    _(
                        "While the instalments are paid on time enforcement is suspended. An "
                        "instalment not paid within the notice period ends the settlement and "
                        "enforcement resumes; the last instalment paid satisfies the file."
                    )
                ),
            },
            "reasons_dir": documents.direction(settlement.decision_reason),
            "hash": content_hash(settlement),
            "keywords": f"{pdf_signing.KIND_KEYWORD}settlement-decision, "
            f"{pdf_signing.NUMBER_KEYWORD}{decision_number(settlement)}",
        },
    )
    return documents.write_pdf(html)


def decision_number(settlement: Settlement) -> str:
    return f"{settlement.file.number}-S{settlement.pk}"


def sign_decision(settlement: Settlement, *, signer_name: str) -> None:
    """Render the decided settlement, sign it with the court's key and keep it with its hash.

    In the decision's transaction: if it cannot be signed, nothing is decided."""
    number = decision_number(settlement)
    pdf = signing.signed(
        render_decision_pdf(settlement),
        settlement.court,
        number=number,
        reason=f"Settlement decision by the judge ({number})",
        signer_name=signer_name,
    )
    settlement.decision_sha256 = hashlib.sha256(pdf).hexdigest()
    settlement.decision_pdf.save(f"{number}.pdf", ContentFile(pdf), save=False)
    settlement.save(update_fields=["decision_pdf", "decision_sha256"])
