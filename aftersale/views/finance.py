"""The finance workspace: the court account, distributions, the disbursement queues, exports."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts import mfa
from accounts.access import capability_required
from accounts.roles import Capability
from aftersale import selectors
from aftersale import services as aftersale
from aftersale.forms import NoteForm, PrepareForm
from aftersale.models import Disbursement
from core import exports
from core.errors import DomainError
from core.forms import add_domain_error
from core.pagination import Key, Keyset, paginate
from payments import selectors as payment_records


def court_of(request: HttpRequest) -> Any:
    court = getattr(request.user, "court", None)
    if court is None:
        raise PermissionDenied
    return court


def refuse(error: DomainError) -> None:
    if error.status == 403:
        raise PermissionDenied from error
    if error.status == 404:
        raise Http404 from error


# The dashboard's distributions, newest first, ten a page (keyset pages: none is left out);
# its latest transfers are a preview of the transfers list, which pages through them all.
DISTRIBUTION_ORDER = Keyset((Key("pk"),), descending=True)
DASHBOARD_PAGE = 10


@capability_required(Capability.VIEW_LEDGER)
@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    court = court_of(request)
    distributions = paginate(
        [selectors.open_distributions(court).select_related("file")],
        DISTRIBUTION_ORDER,
        request.GET,
        size=DASHBOARD_PAGE,
    )
    context = {
        "court": court,
        "positions": selectors.cash_positions(court),
        "files": selectors.balances_by_file(court),
        "flows": selectors.flows(court),
        "to_prepare": selectors.to_prepare(court),
        "to_approve": selectors.to_approve(court),
        "waiting": selectors.waiting_to_send(court),
        "recent": selectors.history(court)[:10],
        "distributions": distributions.rows,
        "distributions_page": distributions,
        "jobs": payment_records.jobs_needing_attention(court),
        "holds": payment_records.open_holds(court),
        "exceptions": selectors.open_exceptions(court),
        "seized": selectors.seized_funds_to_receive(court).count(),
    }
    return render(request, "aftersale/dashboard.html", context)


@capability_required(Capability.VIEW_LEDGER)
@require_GET
def balances_csv(request: HttpRequest) -> HttpResponse:
    """What is held by file, as CSV (or `?format=xlsx`)."""
    court = court_of(request)
    rows: list[list[exports.Cell]] = [
        [
            row.file_number,
            row.total.currency,
            row.held.amount_minor,
            row.payable.amount_minor,
            row.total.amount_minor,
            row.total.to_decimal(),
        ]
        for row in selectors.balances_by_file(court)
    ]
    return exports.table_response(
        request.GET.get("format", "csv"),
        f"{court.code}-balances-by-file",
        "balances",
        ["file", "currency", "held_minor", "payable_minor", "total_minor", "total"],
        rows,
    )


@capability_required(Capability.VIEW_LEDGER)
@require_GET
def distribution(request: HttpRequest, distribution_id: int) -> HttpResponse:
    return _distribution_page(request, distribution_id)


def _distribution_page(
    request: HttpRequest,
    distribution_id: int,
    *,
    bound: dict[str, Any] | None = None,
    status: int = 200,
) -> HttpResponse:
    court = court_of(request)
    found = selectors.distribution_of(court, distribution_id)
    if found is None:
        raise Http404
    bound = bound or {}
    lines = [
        (line, selectors.basis_text(line, found.currency))
        for line in found.lines.select_related("party", "encumbrance").order_by("position")
    ]
    disbursements = [
        (item, bound.get(f"prepare-{item.pk}") or PrepareForm(auto_id=f"id_%s_{item.pk}"))
        for item in found.disbursements.select_related("prepared_by", "approved_by").order_by("pk")
    ]
    context = {
        "distribution": found,
        "lines": lines,
        "disbursements": disbursements,
        "cancel_form": bound.get("cancel") or NoteForm(auto_id="id_%s_cancel"),
        "is_held": payment_records.has_distribution_hold(
            court=court, file_number=found.file.number
        ),
    }
    return render(request, "aftersale/distribution.html", context, status=status)


@capability_required(Capability.PREPARE_DISBURSEMENTS)
@require_POST
def distribution_cancel(request: HttpRequest, distribution_id: int) -> HttpResponse:
    form = NoteForm(request.POST, auto_id="id_%s_cancel")
    if form.is_valid():
        try:
            aftersale.cancel_distribution(
                actor=request.user, distribution_id=distribution_id, note=form.cleaned_data["note"]
            )
        except DomainError as error:
            refuse(error)
            add_domain_error(form, error)
        else:
            messages.success(request, _("The proposal was cancelled; propose it again when ready."))
            return redirect("aftersale:dashboard")
    return _distribution_page(request, distribution_id, bound={"cancel": form}, status=400)


ACTIONS = ("prepare", "approve", "send")


def _distribution_of(request: HttpRequest, disbursement_id: int, action: str) -> str:
    """Where to submit again after a step-up: the disbursement's distribution page."""
    item = Disbursement.objects.filter(pk=disbursement_id).only("distribution_id").first()
    if item is None:
        return reverse("aftersale:disbursements")
    return reverse("aftersale:distribution", args=[item.distribution_id])


def _needs_step_up(view: Any) -> Any:
    """Approving and sending need a second factor proved in the last minute; preparing not."""
    guarded = mfa.step_up_required(_distribution_of)(view)

    def wrapper(request: HttpRequest, disbursement_id: int, action: str) -> HttpResponse:
        if action in ("approve", "send"):
            return guarded(request, disbursement_id=disbursement_id, action=action)  # type: ignore[no-any-return]
        return view(request, disbursement_id=disbursement_id, action=action)  # type: ignore[no-any-return]

    return wrapper


@require_POST
@_needs_step_up
def disbursement_action(request: HttpRequest, disbursement_id: int, action: str) -> HttpResponse:
    """Prepare, approve or send one disbursement; refusals show on the distribution page."""
    if not request.user.is_authenticated or action not in ACTIONS:
        raise Http404
    court = court_of(request)
    item = Disbursement.objects.filter(pk=disbursement_id, court=court).first()
    if item is None:
        raise Http404
    form = PrepareForm(request.POST, auto_id=f"id_%s_{item.pk}")
    try:
        if action == "prepare" and form.is_valid():
            aftersale.prepare_disbursement(
                actor=request.user, disbursement_id=item.pk, note=form.cleaned_data["note"]
            )
            messages.success(request, _("Prepared. Another person must now approve it."))
        elif action == "approve":
            aftersale.approve_disbursement(actor=request.user, disbursement_id=item.pk)
            messages.success(request, _("Approved."))
        elif action == "send":
            aftersale.send_disbursement(actor=request.user, disbursement_id=item.pk)
            messages.success(request, _("The instruction to pay was written; the worker sends it."))
    except DomainError as error:
        refuse(error)
        add_domain_error(form, error)
        return _distribution_page(
            request, item.distribution_id, bound={f"prepare-{item.pk}": form}, status=400
        )
    return redirect("aftersale:distribution", distribution_id=item.distribution_id)


@capability_required(Capability.VIEW_LEDGER)
@require_GET
def disbursements(request: HttpRequest) -> HttpResponse:
    """Transfer history with statuses; `?format=csv` or `?format=xlsx` exports it."""
    court = court_of(request)
    status = request.GET.get("status", "")
    items = selectors.history(court, status=status)
    if request.GET.get("format") in ("csv", "xlsx"):
        return _disbursements_table(court, items, request.GET["format"])
    page = paginate([items], DISBURSEMENT_ORDER, request.GET, size=LIST_PAGE)
    context = {
        "items": page.rows,
        "page": page,
        "status": status,
        "statuses": Disbursement.Status.choices,
    }
    return render(request, "aftersale/disbursements.html", context)


DISBURSEMENT_ORDER = Keyset((Key("created_at", "datetime"), Key("pk")), descending=True)
LIST_PAGE = 50


DISBURSEMENT_COLUMNS = [
    "reference",
    "distribution",
    "file",
    "payee",
    "payee_kind",
    "amount_minor",
    "amount",
    "currency",
    "status",
    "method",
    "provider_id",
    "prepared_by",
    "approved_by",
    "sent_at",
    "paid_at",
    "reason",
]


def _disbursements_table(court: Any, items: Any, kind: str) -> HttpResponse:
    rows = [
        [
            item.short_reference,
            item.distribution.number,
            item.file_number,
            item.payee_name,
            item.payee_kind,
            item.amount_minor,
            item.money.to_decimal(),
            item.currency,
            item.status,
            item.method,
            item.provider_id or "",
            item.prepared_by.email if item.prepared_by else "",
            item.approved_by.email if item.approved_by else "",
            item.sent_at.isoformat() if item.sent_at else "",
            item.paid_at.isoformat() if item.paid_at else "",
            item.failure_reason,
        ]
        for item in items
    ]
    return exports.table_response(
        kind, f"{court.code}-disbursements", "disbursements", DISBURSEMENT_COLUMNS, rows
    )


@capability_required(Capability.VIEW_LEDGER)
@require_http_methods(["GET", "POST"])
def seized_funds(request: HttpRequest) -> HttpResponse:
    """Executed seizures of bank funds, received into custody by finance with a note."""
    court = court_of(request)
    form = NoteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            aftersale.receive_seized_funds(
                actor=request.user,
                order_id=int(request.POST.get("order", "0") or 0),
                note=form.cleaned_data["note"],
            )
        except (DomainError, ValueError) as error:
            if isinstance(error, DomainError):
                refuse(error)
                add_domain_error(form, error)
        else:
            messages.success(
                request, _("The funds are held for the file and a distribution is proposed.")
            )
            return redirect("aftersale:seized_funds")
    orders = selectors.seized_funds_to_receive(court)
    return render(
        request,
        "aftersale/seized_funds.html",
        {"orders": orders, "form": form},
        status=400 if form.errors else 200,
    )
