"""Letter bodies from templates (one per subject and language) and the printed PDF of a letter."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone, translation

from enforcement.models import AgencyLetter


def template_name(subject_kind: str, language: str) -> str:
    return f"enforcement/letters/{subject_kind.lower()}.{language}.txt"


def compose(subject_kind: str, language: str, context: dict[str, Any]) -> tuple[str, str]:
    """(subject line, body) of a letter; the template's first line is the subject."""
    with translation.override(language):
        text = render_to_string(template_name(subject_kind, language), context).strip()
    subject, _blank, body = text.partition("\n")
    return " ".join(subject.split()), body.strip()


def render_pdf(letter: AgencyLetter) -> bytes:
    """The letter on the court's letterhead, in its own language and direction."""
    from weasyprint import HTML

    with translation.override(letter.language):
        html = render_to_string(
            "enforcement/letter_pdf.html",
            {
                "letter": letter,
                "court_name": letter.court.name,
                "agency_name": letter.agency.name,
                "sent_on": timezone.localtime(letter.sent_at).date(),
                "font_dir": (settings.NODE_MODULES / "@fontsource").as_uri(),
                "rtl": letter.language == "ar",
            },
        )
    return bytes(HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf())
