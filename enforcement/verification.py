"""The public page that checks a printed agency letter against the one the court sent."""

from __future__ import annotations

import hmac

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from enforcement import letters
from enforcement.models import AgencyLetter


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
