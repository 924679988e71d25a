"""Letter bodies from templates (one per subject and language) and the printed PDF of a letter."""

from __future__ import annotations

import hashlib
import json
from typing import Any
from urllib.parse import urlencode

from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from core import documents, formatting
from enforcement.models import AgencyLetter


def template_name(subject_kind: str, language: str) -> str:
    return f"enforcement/letters/{subject_kind.lower()}.{language}.txt"


def compose(subject_kind: str, language: str, context: dict[str, Any]) -> tuple[str, str]:
    """(subject line, body) of a letter; the template's first line is the subject."""
    with translation.override(language):
        text = render_to_string(template_name(subject_kind, language), context).strip()
    subject, _blank, body = text.partition("\n")
    return " ".join(subject.split()), body.strip()


def content_hash(letter: AgencyLetter) -> str:
    """SHA-256 over what the letter said when it was sent (not the agency's later answer)."""
    canonical = json.dumps(
        {
            "number": letter.number,
            "court": letter.court.code,
            "agency": letter.agency.code,
            "file": letter.file.number,
            "sent_at": letter.sent_at.isoformat(),
            "subject": letter.subject,
            "body": letter.body,
        },
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def verification_url(letter: AgencyLetter) -> str:
    path = reverse("letter_verify", args=[letter.number])
    return documents.public_url(f"{path}?{urlencode({'h': content_hash(letter)})}")


def _meta(letter: AgencyLetter) -> list[dict[str, Any]]:
    """The letter's particulars, each labelled in Arabic and English."""
    court = letter.court

    def day(value: Any) -> dict[str, str]:
        """The day, and for a Saudi court its Umm al-Qura day beside it."""
        return {
            code: formatting.with_hijri(
                formatting.format_day(value, court, lang=code), value, court, lang=code
            )
            if value
            else formatting.format_day(value, court, lang=code)
            for code in ("ar", "en")
        }

    rows = [
        (_("Letter number"), {"ar": letter.number, "en": letter.number}),
        (_("Date"), day(letter.sent_at)),
        (_("To"), {"ar": letter.agency.name_ar, "en": letter.agency.name_en}),
        (_("Enforcement file"), {"ar": letter.file.number, "en": letter.file.number}),
        (_("Subject"), documents.both(AgencyLetter.Subject(letter.subject_kind).label)),
        (_("Answer due"), day(letter.due_on)),
    ]
    return [
        {
            "label": documents.both(label),
            "value": value,
            "dir": {code: documents.direction(value[code]) for code in ("ar", "en")},
        }
        for label, value in rows
    ]


def render_pdf(letter: AgencyLetter) -> bytes:
    """The letter on the court's letterhead: particulars in Arabic and English, the text as sent
    in its own language and direction, the seal, and a QR code to the public verification page."""
    url = verification_url(letter)
    language = letter.language
    html = render_to_string(
        "enforcement/letter_pdf.html",
        {
            **documents.letterhead(letter.court),
            "letter": letter,
            "title": documents.both(_("Official letter")),
            "meta": _meta(letter),
            "rtl": language == "ar",
            "original": documents.both(
                _("The text below is the letter as sent, in Arabic.")
                if language == "ar"
                else _("The text below is the letter as sent, in English.")
            ),
            "answer_label": documents.both(_("Answer")),
            "qr": documents.qr_data_uri(url),
            "url": url,
            "hash": content_hash(letter),
            "how": documents.both(
                _("Scan the code or open the address below to verify this letter.")
            ),
            "sent_on": timezone.localtime(letter.sent_at).date(),
        },
    )
    return documents.write_pdf(html)
