"""Public pages that check a printed letter or a signed order against what the court issued."""

from __future__ import annotations

import hmac

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from enforcement import letters
from enforcement.models import AgencyLetter, SignedOrderDocument


def letter_verify(request: HttpRequest, number: str) -> HttpResponse:
    """Public: the letter's number, date, court, agency and subject; whether a given hash matches.

    Shows nothing of the letter's text: only what is printed in its particulars.
    """
    letter = (
        AgencyLetter.objects.select_related("court", "agency", "file").filter(number=number).first()
    )
    given = request.GET.get("h", "").strip().lower()[:128]
    matches = bool(letter and given and hmac.compare_digest(given, letters.content_hash(letter)))
    return render(
        request,
        "enforcement/letter_verify.html",
        {"letter": letter, "given_hash": given, "matches": matches},
        status=200 if letter else 404,
    )


def signed_document_verify(request: HttpRequest, number: str) -> HttpResponse:
    """Public: what the court signed under this number (kind, court, date, the PDF's SHA-256),
    and the form to check a copy's signature. Shows nothing of what the document orders."""
    document = (
        SignedOrderDocument.objects.select_related("order__file__court")
        .filter(number=number[:40])
        .first()
    )
    return render(
        request,
        "enforcement/signed_document_verify.html",
        {"document": document, "number": number[:40]},
        status=200 if document else 404,
    )
