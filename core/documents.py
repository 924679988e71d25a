"""What every official document shares: both languages, text direction, the seal and the QR code.

Receipts, certificates and agency letters are printed by WeasyPrint as tagged PDF (PDF/UA-1),
so a screen reader reads them in order and a text extractor gets the Arabic words back as
typed. Every document carries the court's letterhead and seal in Arabic and English and a QR
code to the configured public address (`SITE_URL`), never the host a request came in on.
"""

from __future__ import annotations

import base64
import io
import re
from collections.abc import Callable
from html import escape
from typing import Any

import qrcode
import qrcode.image.svg
from django.conf import settings
from django.utils import translation
from django.utils.functional import Promise

LANGUAGES = ("ar", "en")
# PDF/UA-1: tagged structure, the document's language and title, fonts embedded.
PDF_OPTIONS: dict[str, Any] = {"pdf_variant": "pdf/ua-1"}
_RIGHT_TO_LEFT = re.compile("[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufeff]")


def both(text: str | Promise | Callable[[], str]) -> dict[str, str]:
    """A translatable text in Arabic and in English."""
    rendered = {}
    for language in LANGUAGES:
        with translation.override(language):
            rendered[language] = str(text() if callable(text) else text)
    return rendered


def direction(text: str) -> str:
    """ "rtl" for text with Arabic letters, else "ltr": references and numbers keep their order."""
    return "rtl" if _RIGHT_TO_LEFT.search(text) else "ltr"


def public_url(path: str) -> str:
    """An address on the configured public site, whatever host served the request."""
    return f"{settings.SITE_URL.rstrip('/')}{path}"


def _data_uri(svg: str) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()


def qr_data_uri(data: str) -> str:
    image = qrcode.make(data, image_factory=qrcode.image.svg.SvgPathImage, box_size=8, border=1)
    buffer = io.BytesIO()
    image.save(buffer)
    return _data_uri(buffer.getvalue().decode())


def seal_data_uri(court_code: str) -> str:
    """The court's electronic seal: two rings, the scales of justice and the court's code."""
    code = escape(court_code or "MAZAD")
    svg = (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 120 120">'
        '<circle cx="60" cy="60" r="57" fill="none" stroke="#0b5c4b" stroke-width="3"/>'
        '<circle cx="60" cy="60" r="49" fill="none" stroke="#c49a3a" stroke-width="1.5"/>'
        '<g fill="none" stroke="#0b5c4b" stroke-width="2.4" stroke-linecap="round">'
        '<path d="M60 30 V78 M44 80 H76 M36 42 H84"/>'
        '<path d="M36 42 L28 60 M36 42 L44 60 M84 42 L76 60 M84 42 L92 60"/>'
        '<path d="M26 60 Q36 70 46 60 Z M74 60 Q84 70 94 60 Z" fill="#c49a3a"/>'
        "</g>"
        '<text x="60" y="98" text-anchor="middle" font-family="Plex, sans-serif" '
        f'font-size="11" font-weight="700" fill="#0b5c4b" letter-spacing="1">{code}</text>'
        '<text x="60" y="24" text-anchor="middle" font-family="Plex, sans-serif" '
        'font-size="7" fill="#0b5c4b" letter-spacing=".5">E-SEAL</text>'
        "</svg>"
    )
    return _data_uri(svg)


def letterhead(court: Any) -> dict[str, Any]:
    """Context for the letterhead, the seal and the fonts of a document issued by `court`."""
    names = (
        {"ar": court.name_ar, "en": court.name_en}
        if court is not None
        else {"ar": "مزاد", "en": "Mazad"}
    )
    return {
        "court": names,
        "seal": seal_data_uri(getattr(court, "code", "")),
        "font_dir": (settings.NODE_MODULES / "@fontsource").as_uri(),
    }


def write_pdf(html: str) -> bytes:
    from weasyprint import HTML

    return bytes(HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf(**PDF_OPTIONS))
