"""The printed seizure order (as the judge issues it) and the seizure minutes (its execution).

Both are bilingual PDFs on the court's letterhead (core/documents.py), with identity numbers
masked, a QR code to the public page of the document's number, and the document's kind and
number in the PDF's keywords, which the court's PAdES signature covers (core/pdf_signing.py).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from core import documents, formatting, pdf_signing
from core.money import Money
from core.receipts import masked_identity
from enforcement.models import FileParty, SeizureOrder, SignedOrderDocument

KIND_KEYWORDS: dict[str, str] = {
    SignedOrderDocument.Kind.ORDER: "seizure-order",
    SignedOrderDocument.Kind.MINUTES: "seizure-minutes",
}
PREFIXES: dict[str, str] = {
    SignedOrderDocument.Kind.ORDER: "SO",
    SignedOrderDocument.Kind.MINUTES: "SM",
}

ORDER_TEXT = {
    SeizureOrder.Kind.BANK_FUNDS: _(
        "The court orders %(agency)s to seize the funds held in the account %(target)s in the "
        "name of the debtor, up to the balance owed under the file (%(owed)s), to hold them to "
        "the court's order, and to report the amount seized."
    ),
    SeizureOrder.Kind.VEHICLE: _(
        "The court orders %(agency)s to record the seizure of the vehicle %(target)s, to "
        "prevent any transfer of it, and to report its execution."
    ),
    SeizureOrder.Kind.REAL_ESTATE: _(
        "The court orders %(agency)s to record the seizure of the property of title deed "
        "%(target)s, to prevent any disposal of it, and to report its execution."
    ),
    SeizureOrder.Kind.TRAVEL_BAN: _(
        "The court orders %(agency)s to prevent %(target)s from travelling until the court "
        "lifts this order, and to report its execution."
    ),
}
MINUTES_TEXT = _(
    "On %(date)s the order above was executed by %(agency)s, as the agency reported to the "
    "court; these minutes record it."
)


def document_number(kind: str, order: SeizureOrder, sequence: int, year: int) -> str:
    return f"{order.file.court.code}-{PREFIXES[kind]}-{year}-{sequence:06d}"


def verification_url(number: str) -> str:
    return documents.public_url(reverse("signed_document_verify", args=[number]))


def _target(order: SeizureOrder) -> str:
    """What the order seizes, the person named with the identity masked."""
    parts = [
        order.target_iban,
        order.target_vin,
        order.target_plate,
        order.target_deed_number,
    ]
    party = order.target_party
    if party is not None:
        parts.append(f"{party.name} ({masked_identity(party.id_country, party.id_number)})")
    parts.append(order.target_note)
    return " · ".join(part for part in parts if part)


def _debtors(order: SeizureOrder) -> dict[str, str]:
    roles = FileParty.objects.filter(file=order.file, role=FileParty.Role.DEBTOR).select_related(
        "party"
    )
    names: dict[str, list[str]] = {"ar": [], "en": []}
    for role in roles:
        identity = masked_identity(role.party.id_country, role.party.id_number)
        names["ar"].append(f"{role.party.name_ar} ({identity})")
        names["en"].append(f"{role.party.name_en} ({identity})")
    return {"ar": "، ".join(names["ar"]), "en": ", ".join(names["en"])}


def _rows(pairs: list[tuple[Any, dict[str, str]]]) -> list[dict[str, Any]]:
    return [
        {
            "label": documents.both(label),
            "value": value,
            "dir": {code: documents.direction(value[code]) for code in ("ar", "en")},
        }
        for label, value in pairs
    ]


def _same(text: str) -> dict[str, str]:
    return {"ar": text, "en": text}


def _both_format(message: Any, **params: Any) -> dict[str, str]:
    """A translatable sentence in both languages, each filled with values in that language."""
    rendered = {}
    for code in ("ar", "en"):
        values = {k: (v[code] if isinstance(v, dict) else v) for k, v in params.items()}
        rendered[code] = documents.both(message)[code] % values
    return rendered


def render(
    order: SeizureOrder,
    kind: str,
    *,
    number: str,
    moment: datetime,
    signer_name: str,
    order_number: str = "",
    draft: bool = False,
) -> bytes:
    """The order (kind ORDER) or its minutes (kind MINUTES) as a tagged bilingual PDF.

    `draft` prints the same document marked as not yet signed, for the judge to read first."""
    file, court = order.file, order.file.court
    agency = {"ar": order.agency.name_ar, "en": order.agency.name_en}
    target = _same(_target(order))

    def day(value: Any) -> dict[str, str]:
        return {code: formatting.format_moment(value, court, lang=code) for code in ("ar", "en")}

    owed = file.balance_owed()
    is_order = kind == SignedOrderDocument.Kind.ORDER
    pairs: list[tuple[Any, dict[str, str]]] = [
        (_("Number"), _same(number)),
        (_("Issued") if is_order else _("Executed"), day(moment)),
        (_("Enforcement file"), _same(file.number)),
        (_("Kind of order"), documents.both(SeizureOrder.Kind(order.kind).label)),
        (_("Executing agency"), agency),
        (_("What is seized"), target),
        (_("Debtor"), _debtors(order)),
    ]
    if not is_order:
        pairs.insert(1, (_("Seizure order"), _same(order_number or "—")))
        if order.amount_seized_minor is not None:
            amount = Money(order.amount_seized_minor, file.currency)
            pairs.append((_("Amount seized"), {code: amount.format(code) for code in ("ar", "en")}))
    if is_order:
        text = _both_format(
            ORDER_TEXT[SeizureOrder.Kind(order.kind)],
            agency=agency,
            target=target,
            owed={code: owed.format(code) for code in ("ar", "en")},
        )
    else:
        text = _both_format(MINUTES_TEXT, date=day(moment), agency=agency)
    title = documents.both(
        SignedOrderDocument.Kind.ORDER.label if is_order else SignedOrderDocument.Kind.MINUTES.label
    )
    url = verification_url(number)
    html = render_to_string(
        "enforcement/order_pdf.html",
        {
            **documents.letterhead(court),
            "number": number,
            "title": title,
            "meta": _rows(pairs),
            "text": text,
            "signer": {
                "label": documents.both(_("Judge") if is_order else _("Recorded by")),
                "name": signer_name,
            },
            "signature_note": documents.both(
                _(
                    "Signed electronically with the court's certificate (PAdES). The signature "
                    "is part of this PDF file: a printed copy is checked by its number."
                )
            ),
            "draft": draft,
            "draft_note": documents.both(_("Draft for review: not signed, not issued.")),
            "keywords": f"{pdf_signing.KIND_KEYWORD}{KIND_KEYWORDS[kind]}, "
            f"{pdf_signing.NUMBER_KEYWORD}{number}",
            "qr": documents.qr_data_uri(url),
            "url": url,
            "how": documents.both(
                _(
                    "Scan the code or open the address below to check this document; upload the "
                    "PDF there to verify its signature."
                )
            ),
        },
    )
    return documents.write_pdf(html)
