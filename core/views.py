"""Operational endpoints."""

from __future__ import annotations

import hmac
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache

from core import formatting, health, receipt_signing, receipts
from core.models import Receipt


@never_cache
async def livez(request: HttpRequest) -> HttpResponse:
    """200 while the process answers requests; checks nothing else (the image's HEALTHCHECK).

    A dependency that is down is /readyz's to report: a liveness probe that failed with it
    would restart every web process at once for a fault none of them can mend.
    """
    return HttpResponse("ok\n", content_type="text/plain")


@never_cache
async def readyz(request: HttpRequest) -> JsonResponse:
    """200 while this process can serve: database, Redis, schema current; 503 naming what fails.

    Never asks the payment provider, and says nothing but the names of the failing checks.
    `/healthz` answers the same, for load balancers set up before /readyz existed.
    """
    failing = await health.failing_checks()
    body = {"status": "not ready" if failing else "ready", "failing": failing}
    return JsonResponse(body, status=503 if failing else 200)


def receipt_verify(request: HttpRequest, number: str) -> HttpResponse:
    """Public: a receipt's kind, number, date, court, amount and party (identity masked) as
    recorded when it was issued; says whether a given hash matches."""
    receipt = Receipt.objects.select_related("court").filter(number=number).first()
    given = request.GET.get("h", "").strip().lower()[:128]
    matches = bool(
        receipt
        and given
        and hmac.compare_digest(given, receipt.content_hash)
        and receipts.is_intact(receipt)
    )
    return render(
        request,
        "receipts/verify.html",
        {
            "receipt": receipt,
            "given_hash": given,
            "matches": matches,
            "summary": receipts.summary(receipt, formatting.language()) if receipt else {},
        },
        status=200 if receipt else 404,
    )


@login_required
def receipt_pdf(request: HttpRequest, number: str) -> HttpResponse:
    """The PDF of a receipt, for the person it was issued to and staff of its court."""
    receipt = Receipt.objects.select_related("court").filter(number=number).first()
    if receipt is None or not may_read_receipt(request.user, receipt):
        raise Http404
    response = HttpResponse(receipts.render_pdf(receipt), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{receipt.number}.pdf"'
    return response


def may_read_receipt(user: Any, receipt: Receipt) -> bool:
    if receipt.issued_to_id is not None and receipt.issued_to_id == user.pk:
        return True
    return bool(
        user.is_court_staff and receipt.court_id is not None and receipt.court_id == user.court_id
    )


# --- signed receipts -----------------------------------------------------------------------------


def receipt_keys(request: HttpRequest) -> JsonResponse:
    """Public: every key a signed receipt may name (key id, court, algorithm, public key)."""
    response = JsonResponse(receipt_signing.keys_document(), json_dumps_params={"indent": 1})
    response["Access-Control-Allow-Origin"] = "*"
    response["Cache-Control"] = "public, max-age=300"
    return response


def _posted_receipt(request: HttpRequest) -> bytes | None:
    """The uploaded file's bytes, else the pasted text's (at most one byte over the limit)."""
    upload = request.FILES.get("file")
    if upload is not None:
        return bytes(upload.read(receipt_signing.MAX_BYTES + 1))
    text = request.POST.get("document", "")
    return text.encode()[: receipt_signing.MAX_BYTES + 1] if text.strip() else None


def signed_receipt_verify(request: HttpRequest) -> HttpResponse:
    """Public: paste or upload a signed receipt's JSON; says valid or invalid, and why.

    Checked against the published keys only, as the offline command does (nothing is looked
    up in the records), so the page answers the same for a receipt printed years ago."""
    verdict = None
    pasted = ""
    status = 200
    if request.method == "POST":
        raw = _posted_receipt(request)
        if raw is None:
            verdict = receipt_signing.Verdict(
                False,
                "required",
                _("Paste the receipt's JSON or choose its .json file."),
            )
        else:
            verdict = receipt_signing.verify(raw, receipt_signing.published_keys())
            pasted = request.POST.get("document", "")[: receipt_signing.MAX_BYTES]
        status = 200 if verdict.valid else 422
    return render(
        request,
        "receipts/signed_verify.html",
        {
            "verdict": verdict,
            "pasted": pasted,
            "receipt": verdict.document.get("receipt") if verdict and verdict.document else None,
            "key": verdict.key if verdict else None,
            "limit": receipt_signing.MAX_BYTES,
        },
        status=status,
    )
