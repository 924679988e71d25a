"""Operational endpoints."""

from __future__ import annotations

import hmac
from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt, csrf_protect

from core import formatting, health, pdf_signing, rate_limits, receipt_signing, receipts
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
    """The PDF of a receipt, for the person it was issued to and staff of its court; a bid's
    receipt carries its signature, as on "My auctions" (docs/bid-receipts.md)."""
    receipt = Receipt.objects.select_related("court").filter(number=number).first()
    if receipt is None or not may_read_receipt(request.user, receipt):
        raise Http404
    # A signed kind (a bid's receipt) is the same signed PDF wherever it is asked for.
    pdf = receipts.render_pdf(receipt, receipts.signed_document(receipt))
    response = HttpResponse(pdf, content_type="application/pdf")
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


RETRY_AFTER = "Retry-After"
TOO_MANY_CHECKS = _(
    "Too many receipts checked from your address. Try again in %(minutes)s minutes."
)


def _verify_limit(request: HttpRequest) -> int | None:
    """Seconds to wait when the address checked too many receipts in the window, else None."""
    return rate_limits.hit(
        "receipt_verify",
        request,
        limit=settings.RECEIPT_VERIFY_LIMIT,
        window_seconds=settings.RECEIPT_VERIFY_WINDOW_SECONDS,
    )


def _minutes(seconds: int) -> int:
    return max((seconds + 59) // 60, 1)


# Checking a PDF's signature costs a few hundred milliseconds of work: at most this many checks
# per client address in the window.
PDF_CHECKS_PER_WINDOW = 20
PDF_CHECK_WINDOW_SECONDS = 600
# Room for the multipart envelope around the largest PDF the page reads.
_ENVELOPE = 64 * 1024


def _declared_too_large(request: HttpRequest) -> bool:
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    return declared > pdf_signing.MAX_BYTES + _ENVELOPE


def _checked_pdf(request: HttpRequest) -> pdf_signing.SignatureCheck:
    """The verdict on the uploaded PDF; a refusal (never a 5xx) for anything else sent."""
    upload = request.FILES.get("pdf")
    if upload is None:
        return pdf_signing.SignatureCheck(
            False, "required", _("Choose the signed PDF file to check.")
        )
    return pdf_signing.validate_signed_pdf(bytes(upload.read(pdf_signing.MAX_BYTES + 1)))


def _check_moment(check: pdf_signing.SignatureCheck | None) -> str:
    return formatting.format_moment(check.signed_at) if check and check.signed_at else ""


@csrf_exempt
def signed_receipt_verify(request: HttpRequest) -> HttpResponse:
    """An upload larger than any document is refused before its body is read (the CSRF check
    would read it all); everything else goes through the CSRF check to the page."""
    if request.method == "POST" and _declared_too_large(request):
        too_large = pdf_signing.validate_signed_pdf(b"\0" * (pdf_signing.MAX_BYTES + 1))
        return _verify_page(request, pdf_check=too_large, status=422)
    return _signed_document_verify(request)


@csrf_protect
def _signed_document_verify(request: HttpRequest) -> HttpResponse:
    """Public: check a signed court document (a PDF: an order, minutes, a decision) or a signed
    bid receipt (its JSON, pasted or uploaded); says valid or invalid, and why.

    Checked against the published keys and the courts' trust anchors only, as the offline tools
    do (nothing is looked up in the records), so the page answers the same for a document
    issued years ago. Nothing sent is kept. Receipt checks are limited per client address
    (`RECEIPT_VERIFY_LIMIT` in `RECEIPT_VERIFY_WINDOW_SECONDS`, shared with the JSON API), PDF
    checks by their own limit: over it the page answers 429 and checks nothing."""
    verdict = None
    pdf_check = None
    pasted = ""
    status = 200
    wait = None
    if request.method == "POST" and request.GET.get("kind") == "pdf":
        wait = rate_limits.hit(
            "pdf-verify",
            request,
            limit=PDF_CHECKS_PER_WINDOW,
            window_seconds=PDF_CHECK_WINDOW_SECONDS,
        )
        if wait is not None:
            pdf_check = pdf_signing.SignatureCheck(
                False,
                "rate_limited",
                _("Too many checks from your address: try again in a few minutes."),
            )
            status = 429
        else:
            pdf_check = _checked_pdf(request)
            status = 200 if pdf_check.valid else 422
    elif request.method == "POST" and (wait := _verify_limit(request)) is not None:
        verdict = receipt_signing.Verdict(
            False, "rate_limited", TOO_MANY_CHECKS % {"minutes": _minutes(wait)}
        )
        status = 429
    elif request.method == "POST":
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
    return _verify_page(
        request, verdict=verdict, pasted=pasted, pdf_check=pdf_check, status=status, wait=wait
    )


def _verify_page(
    request: HttpRequest,
    *,
    verdict: receipt_signing.Verdict | None = None,
    pasted: str = "",
    pdf_check: pdf_signing.SignatureCheck | None = None,
    status: int = 200,
    wait: int | None = None,
) -> HttpResponse:
    response = render(
        request,
        "receipts/signed_verify.html",
        {
            "verdict": verdict,
            "pasted": pasted,
            "receipt": verdict.document.get("receipt") if verdict and verdict.document else None,
            "key": verdict.key if verdict else None,
            "limit": receipt_signing.MAX_BYTES,
            "pdf_check": pdf_check,
            "pdf_signed_at": _check_moment(pdf_check),
            "pdf_limit_mb": pdf_signing.MAX_BYTES // (1024 * 1024),
        },
        status=status,
    )
    if wait is not None:
        response[RETRY_AFTER] = str(wait)
    return response


def problem(
    request: HttpRequest,
    status: int,
    code: str,
    message: Any,
    *,
    field: str | None = None,
    params: dict[str, Any] | None = None,
) -> JsonResponse:
    """An error as RFC 9457 problem details, with the project's error shape as members
    (`code`, `field`, `params`, `message`: docs/errors.md)."""
    text = str(message)
    body = {
        "type": f"{request.build_absolute_uri('/')}docs/errors#{code}",
        "title": text,
        "status": status,
        "detail": text,
        "code": code,
        "field": field,
        "params": params or {},
        "message": text,
    }
    response = JsonResponse(body, status=status, content_type="application/problem+json")
    response["Access-Control-Allow-Origin"] = "*"
    return response


@csrf_exempt  # public and stateless: no cookie is read, nothing is stored
def signed_receipt_verify_api(request: HttpRequest) -> HttpResponse:
    """Public JSON API: POST a signed receipt's JSON (the body, as downloaded); the answer
    says whether it is valid, and why not (docs/bid-receipts.md, "Checking a receipt").

    A verdict, valid or not, is a 200 answer; an unusable request is problem+json: 405 for
    another method, 400 `required` for an empty body, 429 `rate_limited` (with
    `Retry-After`) over the limit the page shares."""
    if request.method != "POST":
        response = problem(request, 405, "method_not_allowed", _("Send the receipt with POST."))
        response["Allow"] = "POST"
        return response
    wait = _verify_limit(request)
    if wait is not None:
        minutes = _minutes(wait)
        response = problem(
            request,
            429,
            "rate_limited",
            TOO_MANY_CHECKS % {"minutes": minutes},
            params={"minutes": minutes},
        )
        response[RETRY_AFTER] = str(wait)
        return response
    raw = request.read(receipt_signing.MAX_BYTES + 1)
    if not raw.strip():
        return problem(
            request,
            400,
            "required",
            _("Send the receipt's JSON as the body of the request."),
            field="body",
        )
    verdict = receipt_signing.verify(raw, receipt_signing.published_keys())
    body: dict[str, Any] = {
        "valid": verdict.valid,
        "code": verdict.code,
        "message": str(verdict.message),
        "key_id": verdict.key.get("key_id") if verdict.key else None,
        "court": verdict.key.get("court") if verdict.key else None,
        "receipt": verdict.document.get("receipt") if verdict.valid and verdict.document else None,
    }
    response = JsonResponse(body)
    response["Access-Control-Allow-Origin"] = "*"
    response["Cache-Control"] = "no-store"
    return response
