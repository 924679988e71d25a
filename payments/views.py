"""Payment pages: the provider's webhook, the payer's payment page, finance staff's pages."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.access import capability_required
from accounts.roles import Capability
from core.errors import DomainError
from core.forms import add_domain_error
from core.pagination import Key, Keyset, paginate
from payments import jobs, ledger, selectors, services, webhooks
from payments.forms import CardPaymentForm, LedgerDateForm, NoteForm
from payments.models import CourtAccount, Payment, PaymentJob, Refund


@csrf_exempt  # the only CSRF-exempt view: the provider signs its requests instead
@require_POST
def stripe_webhook(request: HttpRequest) -> JsonResponse:
    """Verify the signature on the raw body, store the event, answer at once."""
    try:
        received = webhooks.receive(
            payload=request.body, signature=request.headers.get(webhooks.SIGNATURE_HEADER)
        )
    except DomainError as error:
        return JsonResponse({"error": error.as_dict()}, status=400)
    return JsonResponse({"received": True, "duplicate": received.is_duplicate})


@login_required
@require_GET
def my_payments(request: HttpRequest) -> HttpResponse:
    return render(request, "payments/list.html", {"payments": selectors.payments_of(request.user)})


@login_required
@require_http_methods(["GET", "POST"])
def pay(request: HttpRequest, public_id: UUID) -> HttpResponse:
    """The payer's page for one payment: pay by card, or the bank details, then the receipt."""
    payment = selectors.payment_of(request.user, public_id)
    if payment is None:
        raise Http404
    form = CardPaymentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.confirm_card_payment(payer=request.user, payment=payment, **form.cleaned_data)
        except DomainError as error:
            add_domain_error(form, error)
        else:
            return redirect("payments:pay", public_id=payment.public_id)
    context = {
        "payment": payment,
        "form": form,
        "court_account": CourtAccount.objects.filter(court=payment.court).first(),
        "is_test_mode": services.is_test_mode(),
    }
    if request.headers.get("HX-Request") and request.method == "GET":
        return render(request, "payments/_status.html", context)
    return render(request, "payments/pay.html", context, status=400 if form.errors else 200)


def _finance_court(request: HttpRequest) -> Any:
    court = getattr(request.user, "court", None)
    if court is None:
        raise PermissionDenied
    return court


def _finance_page(
    request: HttpRequest, *, bound: dict[str, Any] | None = None, status: int = 200
) -> HttpResponse:
    court = _finance_court(request)
    bound = bound or {}

    def with_form(key: str) -> NoteForm:
        return bound.get(key) or NoteForm(auto_id=f"id_%s_{key}")

    context = {
        "court": court,
        "jobs": selectors.jobs_needing_attention(court),
        "refunds": [
            (refund, with_form(f"refund-{refund.pk}"))
            for refund in selectors.refunds_needing_attention(court)
        ],
        "transfers": [
            (payment, with_form(f"payment-{payment.pk}"))
            for payment in selectors.transfers_awaiting(court)
        ],
        "holds": selectors.open_holds(court),
    }
    return render(request, "payments/finance.html", context, status=status)


@capability_required(Capability.VIEW_LEDGER)
@require_GET
def finance(request: HttpRequest) -> HttpResponse:
    return _finance_page(request)


def _act(request: HttpRequest, key: str, action: Any) -> HttpResponse:
    form = NoteForm(request.POST, auto_id=f"id_%s_{key}")
    if form.is_valid():
        try:
            action(form.cleaned_data["note"])
        except DomainError as error:
            if error.status == 403:
                raise PermissionDenied from error
            add_domain_error(form, error)
        else:
            return redirect("payments:finance")
    return _finance_page(request, bound={key: form}, status=400)


@capability_required(Capability.RECONCILE)
@require_POST
def confirm_transfer(request: HttpRequest, payment_id: int) -> HttpResponse:
    payment = get_object_or_404(Payment, pk=payment_id, court=_finance_court(request))

    def confirm(note: str) -> None:
        services.confirm_bank_transfer(actor=request.user, payment=payment, note=note)
        messages.success(request, _("The transfer was confirmed and the receipt issued."))

    return _act(request, f"payment-{payment.pk}", confirm)


@capability_required(Capability.RECONCILE)
@require_POST
def confirm_refund(request: HttpRequest, refund_id: int) -> HttpResponse:
    refund = get_object_or_404(Refund, pk=refund_id, payment__court=_finance_court(request))

    def confirm(note: str) -> None:
        services.confirm_bank_refund(actor=request.user, refund=refund, note=note)
        messages.success(request, _("The refund was recorded and the receipt issued."))

    return _act(request, f"refund-{refund.pk}", confirm)


@capability_required(Capability.RECONCILE)
@require_POST
def retry_job(request: HttpRequest, job_id: int) -> HttpResponse:
    job = get_object_or_404(PaymentJob, pk=job_id, court=_finance_court(request))
    try:
        jobs.retry_job(actor=request.user, job=job)
    except DomainError as error:
        messages.error(request, error.render())
    else:
        messages.success(request, _("The instruction will be sent again with the same key."))
    return redirect("payments:finance")


ENTRY_ORDER = Keyset((Key("posted_at", "datetime"), Key("pk")), descending=True)
ENTRIES_PAGE = 50


@capability_required(Capability.VIEW_LEDGER)
@require_GET
def ledger_page(request: HttpRequest) -> HttpResponse:
    """Balances of the court's accounts (at the end of a chosen day) and the journal entries,
    newest first, a page at a time (keyset pages: none is ever left out)."""
    court = _finance_court(request)
    form = LedgerDateForm(request.GET or None)
    at = None
    if form.is_valid() and form.cleaned_data.get("on"):
        zone = ZoneInfo(court.time_zone)
        at = datetime.combine(form.cleaned_data["on"] + timedelta(days=1), time.min, zone)
    entries = paginate(
        [selectors.journal_entries(court)], ENTRY_ORDER, request.GET, size=ENTRIES_PAGE
    )
    context = {
        "court": court,
        "form": form,
        "balances": ledger.balances(court=court, at=at) if not form.errors else [],
        "entries": entries.rows,
        "page": entries,
    }
    return render(request, "payments/ledger.html", context, status=400 if form.errors else 200)
