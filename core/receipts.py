"""Electronic receipts: numbered, frozen, hashed, printed as a bilingual PDF with a QR code.

Any app issues one with `issue` inside the transaction of the event it
records (an enforcement request filed, a payment received, a refund...). The
QR code opens the public verification page with the content hash, so a
receipt whose printed hash was altered is reported as not matching.
"""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import qrcode
import qrcode.image.svg
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.functional import Promise
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy as _

from core import documents, formatting
from core.models import Receipt
from core.numbering import next_number

LANGUAGES = ("ar", "en")
PREFIXES = {
    Receipt.Kind.ENFORCEMENT_REQUEST: "ER",
    Receipt.Kind.PAYMENT: "PAY",
    Receipt.Kind.REFUND: "RFD",
    Receipt.Kind.TRANSFER: "TRF",
    Receipt.Kind.BID: "BID",
    Receipt.Kind.SALE_CERTIFICATE: "SC",
}


@dataclass(frozen=True)
class Line:
    """One printed line: a label (translatable) and a value.

    The value may be text, a lazy translation, a datetime (shown in the court's
    zone) or anything with a `format(locale)` method (Money).
    """

    label: str | Promise
    value: Any
    # What the verification page shows of it: "amount", "party" or "party_id" (else nothing).
    role: str = ""


def masked_identity(country: str, number: str, *, shown: int = 4) -> str:
    """An identity number as documents print it, only its last `shown` characters: "SA ••••1234"."""
    number = number.strip()
    hidden = max(len(number) - shown, 0)
    return f"{country} {'•' * hidden}{number[hidden:]}".strip()


def _render_value(value: Any, language: str, zone: ZoneInfo) -> str:
    if hasattr(value, "format") and hasattr(value, "amount_minor"):
        return str(value.format(language))
    if isinstance(value, datetime):
        return formatting.format_moment(value, zone, lang=language)
    return str(value)


def _both(value: Any, zone: ZoneInfo) -> dict[str, str]:
    rendered = {}
    for language in LANGUAGES:
        with translation.override(language):
            rendered[language] = _render_value(value, language, zone)
    return rendered


def _frozen_line(line: Line, zone: ZoneInfo) -> dict[str, Any]:
    frozen: dict[str, Any] = {"label": _both(line.label, zone), "value": _both(line.value, zone)}
    if line.role:
        frozen["role"] = line.role
    return frozen


def summary(receipt: Receipt, language: str) -> dict[str, str]:
    """The amount and the party (with the identity already masked) a receipt names, by role."""
    found = {}
    for line in receipt.content.get("lines", []):
        role = line.get("role")
        if role and role not in found:
            found[role] = line["value"].get(language) or line["value"].get("en", "")
    return found


def content_hash(*, number: str, kind: str, issued_at: datetime, content: dict[str, Any]) -> str:
    """SHA-256 over the canonical JSON of what the receipt says."""
    canonical = json.dumps(
        {"number": number, "kind": kind, "issued_at": issued_at.isoformat(), "content": content},
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
        cls=DjangoJSONEncoder,
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def issue(
    *,
    kind: str,
    title: str | Promise,
    lines: Sequence[Line],
    subject: models.Model,
    court: Any = None,
    issued_to: Any = None,
) -> Receipt:
    """Number, freeze and hash a receipt; call inside the transaction of the event it records."""
    zone = ZoneInfo(court.time_zone if court is not None else settings.TIME_ZONE)
    issued_at = timezone.now().replace(microsecond=0)
    prefix = PREFIXES[Receipt.Kind(kind)]
    scope = f"{court.code}-" if court is not None else ""
    sequence = next_number(f"receipt:{scope}{prefix}:{issued_at.year}")
    number = f"{scope}{prefix}-{issued_at.year}-{sequence:06d}"
    content = {
        "title": _both(title, zone),
        "court": {"ar": court.name_ar, "en": court.name_en} if court is not None else None,
        "lines": [_frozen_line(line, zone) for line in lines],
    }
    return Receipt.objects.create(
        number=number,
        kind=kind,
        issued_at=issued_at,
        court=court,
        issued_to=issued_to,
        subject_type=subject._meta.label_lower,
        subject_id=str(subject.pk),
        content=content,
        content_hash=content_hash(number=number, kind=kind, issued_at=issued_at, content=content),
    )


def is_intact(receipt: Receipt) -> bool:
    """Whether the stored content still hashes to the recorded hash."""
    return receipt.content_hash == content_hash(
        number=receipt.number,
        kind=receipt.kind,
        issued_at=receipt.issued_at,
        content=receipt.content,
    )


def verification_url(receipt: Receipt) -> str:
    path = reverse("receipt_verify", args=[receipt.number])
    return documents.public_url(f"{path}?{urlencode({'h': receipt.content_hash})}")


def qr_svg(data: str) -> SafeString:
    image = qrcode.make(data, image_factory=qrcode.image.svg.SvgPathImage, box_size=8, border=1)
    buffer = io.BytesIO()
    image.save(buffer)
    svg = buffer.getvalue().decode()
    return mark_safe(svg[svg.index("<svg") :])  # noqa: S308 - generated by qrcode, not user input


# What each kind of document declares above its lines, in the court's voice.
STATEMENTS: dict[str, Promise] = {
    Receipt.Kind.SALE_CERTIFICATE: _(
        "The execution court certifies that the asset described below was sold at a public "
        "electronic auction to the buyer named, who has paid the price in full."
    ),
    Receipt.Kind.ENFORCEMENT_REQUEST: _(
        "The execution court acknowledges receipt of the enforcement request described below. "
        "This receipt does not decide the request."
    ),
}


def how_to_verify(kind: str) -> dict[str, str]:
    if kind == Receipt.Kind.SALE_CERTIFICATE:
        return documents.both(
            _("Scan the code or open the address below to verify this certificate.")
        )
    return documents.both(_("Scan the code or open the address below to verify this receipt."))


def render_pdf(receipt: Receipt, signed: dict[str, Any] | None = None) -> bytes:
    """The receipt as a tagged PDF: letterhead, seal, Arabic and English side by side, QR code.

    With `signed` (a signed JSON document, core/receipt_signing.py), its key id and signature
    are printed under the lines, with where to check the JSON file."""
    url = verification_url(receipt)
    zone = ZoneInfo(receipt.court.time_zone if receipt.court else settings.TIME_ZONE)
    content = receipt.content
    lines = [
        {
            "label": line["label"],
            "value": line["value"],
            "dir": {code: documents.direction(line["value"][code]) for code in LANGUAGES},
            # A hash is one long word: it breaks anywhere rather than push the page wider.
            "breaks": line.get("role") == "chain_hash",
        }
        for line in content["lines"]
    ]
    statement = STATEMENTS.get(receipt.kind)
    html = render_to_string(
        "receipts/receipt_pdf.html",
        {
            **documents.letterhead(receipt.court),
            "receipt": receipt,
            "content": content,
            "title": content["title"],
            "lines": lines,
            "issued": _both(receipt.issued_at, zone),
            "qr": documents.qr_data_uri(url),
            "url": url,
            "kind": _both(Receipt.Kind(receipt.kind).label, zone),
            "statement": documents.both(statement) if statement is not None else None,
            "how": how_to_verify(receipt.kind),
            "signed": signed,
            "signed_how": documents.both(
                _(
                    "Signed with the court's Ed25519 key. Download this receipt as JSON from "
                    "“My auctions” and check its signature at the address below, or offline "
                    "with the published keys."
                )
            ),
            "signed_url": documents.public_url(reverse("signed_receipt_verify")),
        },
    )
    return documents.write_pdf(html)
