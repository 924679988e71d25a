"""A notice in words: subject, text and HTML e-mail, and a short SMS, in the reader's language."""

from __future__ import annotations

from django.template.loader import render_to_string
from django.utils import timezone, translation

from core import formatting
from notifications import kinds, values
from notifications.channels import Rendered
from notifications.models import Notice

SMS_LENGTH = 480  # three concatenated Arabic messages are 201 characters; latin ones 459


def language_of(notice: Notice) -> str:
    """The reader's language now: their account's when they have one, else the notice's."""
    if notice.user is not None and notice.user.preferred_language:
        return formatting.language(notice.user.preferred_language)
    return formatting.language(notice.language)


def _segments(paragraph: str, url: str) -> list[tuple[str, bool]]:
    """The paragraph cut around the notice's address: (text, is_the_address) pieces, so the
    HTML part links it and keeps it left to right inside an Arabic sentence."""
    if not url or url not in paragraph:
        return [(paragraph, False)]
    pieces: list[tuple[str, bool]] = []
    for index, text in enumerate(paragraph.split(url)):
        if index:
            pieces.append((url, True))
        if text:
            pieces.append((text, False))
    return pieces


def render(notice: Notice) -> Rendered:
    """Render `notice`; raises DomainError `unknown_notice_kind` for a kind no longer known."""
    kind = kinds.get(notice.kind)
    language = language_of(notice)
    params = values.render_all(notice.params, language=language, time_zone=notice.time_zone)
    params.setdefault("url", notice.url)
    with translation.override(language):
        subject = str(kind.subject) % params
        body = str(kind.body) % params
        written_on = formatting.with_hijri(
            formatting.format_day(notice.created_at or timezone.now(), notice.time_zone),
            notice.created_at or timezone.now(),
            notice.time_zone,
        )
        context = {
            "subject": subject,
            "paragraphs": [part.strip() for part in body.split("\n\n") if part.strip()],
            "html_paragraphs": [
                _segments(part.strip(), notice.url) for part in body.split("\n\n") if part.strip()
            ],
            "name": params.get("name", ""),
            "url": notice.url,
            "url_in_text": bool(notice.url) and notice.url not in body,
            "written_on": written_on,
            "language": language,
            "direction": "rtl" if language == "ar" else "ltr",
            "is_mandatory": kind.is_mandatory,
        }
        text = render_to_string("notifications/email/notice.txt", context)
        html = render_to_string("notifications/email/notice.html", context)
    short = f"{subject}\n{body}"
    if len(short) > SMS_LENGTH:
        short = short[: SMS_LENGTH - 1] + "…"
    return Rendered(subject=subject, text=text, html=html, short=short, language=language)
