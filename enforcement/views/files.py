"""Workspace pages of enforcement files: the list, a file, and the forms that change it."""

from __future__ import annotations

from typing import Any

from csp.decorators import csp_exempt
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_http_methods, require_POST

from accounts.access import capability_required
from accounts.models import User
from accounts.organisations import Court
from accounts.roles import Capability
from core.errors import DomainError
from core.forms import posted_text
from core.money import Money
from core.pages import (
    act,
    attempt,
    form_status,
    raise_for_status,
    serve_private,
)
from core.pagination import paginate
from enforcement import access, engine, selectors, services, settlement_selectors
from enforcement.forms import parse_amount
from enforcement.models import (
    AgencyAnswer,
    EnforcementFile,
    SeizureOrder,
    SignedOrderDocument,
    WebhookDelivery,
)
from enforcement.services import agencies as agency_services
from enforcement.views.forms import (
    AmountSeizedForm,
    FileForm,
    FileStatusForm,
    OrderForm,
    PartyForm,
    PartyRoleForm,
    ReasonForm,
    SignOrderForm,
)

LIST_PAGE = 20
ORDER_ACTIONS = frozenset({"issue", "execute", "lift", "request_lift"})
STATUS_ACTIONS = {
    "OPEN": ["start_enforcement", "suspend", "close"],
    "ENFORCING": ["mark_satisfied", "suspend", "close"],
    "SUSPENDED": ["resume", "close"],
}


def file_or_404(request: HttpRequest, file_id: int) -> EnforcementFile:
    try:
        return selectors.get_file(request.user, file_id)
    except DomainError as error:
        raise_for_status(error)
        raise


@capability_required(Capability.VIEW_FILES)
def file_list(request: HttpRequest) -> HttpResponse:
    query, status = request.GET.get("q", ""), request.GET.get("status", "")
    mine = request.GET.get("mine") == "1"
    files = selectors.search_files(request.user, query=query, status=status, mine=mine)
    page = paginate(
        [files.prefetch_related("file_parties__party")],
        selectors.FILE_ORDER,
        request.GET,
        size=LIST_PAGE,
    )
    context = {
        "page": page,
        "query": query,
        "status": status,
        "mine": mine,
        "statuses": EnforcementFile.Status.choices,
        "overdue": selectors.overdue_count(request.user),
        "awaiting_approval": list(
            selectors.assets_awaiting_approval(request.user).select_related("file")[:6]
        )
        if request.user.has_perm(Capability.APPROVE_SALES)
        else [],
    }
    return render(request, "enforcement/file_list.html", context)


@capability_required(Capability.MANAGE_FILES)
@require_http_methods(["GET", "POST"])
def file_create(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    court = Court.objects.get(pk=access.court_id_of(user) or access.NO_COURT)
    data, files = (request.POST, request.FILES) if request.method == "POST" else (None, None)
    form = FileForm(
        data, files, currency=court.currency, court_id=court.pk, initial={"assigned_to": user}
    )
    applicant = PartyForm(data, prefix="applicant")
    debtor = PartyForm(data, prefix="debtor")
    if request.method == "POST" and all([form.is_valid(), applicant.is_valid(), debtor.is_valid()]):
        file = attempt(
            form,
            lambda: services.open_file(
                actor=user,
                applicants=[applicant.details()],
                debtors=[debtor.details()],
                instrument=form.instrument(),
                claim_minor=form.cleaned_data["claim"],
                costs_minor=form.cleaned_data["costs"],
                document=form.cleaned_data.get("instrument_document"),
                assigned_to=form.cleaned_data.get("assigned_to"),
            ),
        )
        if file is not None:
            messages.success(request, _("File %(number)s was opened.") % {"number": file.number})
            return redirect("enforcement:file_detail", file.pk)
    context = {"form": form, "applicant": applicant, "debtor": debtor, "court": court}
    return render(
        request,
        "enforcement/file_form.html",
        context,
        status=form_status(request, form, applicant, debtor),
    )


@capability_required(Capability.VIEW_FILES)
def file_detail(request: HttpRequest, file_id: int) -> HttpResponse:
    file = file_or_404(request, file_id)
    status_actions = STATUS_ACTIONS.get(file.status, [])
    labels = dict(FileStatusForm.base_fields["action"].choices)  # type: ignore[attr-defined]
    context = {
        "file": file,
        "parties": selectors.parties_by_role(file),
        "orders": file.orders.select_related("agency", "target_party").prefetch_related(
            "signed_documents"
        ),
        "assets": file.assets.prefetch_related("photos"),
        "letters": selectors.letters_overdue_first(request.user, file_id=file.pk),
        "balance": selectors.balance_owed(file),
        "history": selectors.history(file),
        "status_actions": [(action, labels[action]) for action in status_actions],
        "is_final": file.status in engine.FILE_FINAL,
        "may_manage": request.user.has_perm(Capability.MANAGE_FILES),
        "may_issue": request.user.has_perm(Capability.ISSUE_ORDERS),
        "reason_form": ReasonForm(),
        "amount_form": AmountSeizedForm(),
        **_settlement_context(request, file),
    }
    return render(request, "enforcement/file_detail.html", context)


def _settlement_context(request: HttpRequest, file: EnforcementFile) -> dict[str, Any]:
    settlement = settlement_selectors.latest_for_file(file)
    is_live = settlement is not None and settlement.status in ("PROPOSED", "APPROVED")
    return {
        "settlement_view": settlement_selectors.describe(settlement) if settlement else None,
        "may_record_settlement": request.user.has_perm(Capability.MANAGE_FILES)
        and file.status in ("OPEN", "ENFORCING")
        and not is_live,
    }


@capability_required(Capability.MANAGE_FILES)
@require_http_methods(["GET", "POST"])
def file_edit(request: HttpRequest, file_id: int) -> HttpResponse:
    file = file_or_404(request, file_id)
    initial = {
        "instrument_kind": file.instrument_kind,
        "instrument_reference": file.instrument_reference,
        "instrument_issued_on": file.instrument_issued_on,
        "claim": plain_amount(file.claim_minor, file.currency),
        "costs": plain_amount(file.costs_minor, file.currency),
        "assigned_to": file.assigned_to,
    }
    data, files = (request.POST, request.FILES) if request.method == "POST" else (None, None)
    form = FileForm(data, files, currency=file.currency, court_id=file.court_id, initial=initial)
    if request.method == "POST" and form.is_valid():
        done = attempt(
            form,
            lambda: services.update_file(
                actor=request.user,  # type: ignore[arg-type]
                file_id=file.pk,
                instrument=form.instrument(),
                claim_minor=form.cleaned_data["claim"],
                costs_minor=form.cleaned_data["costs"],
                document=form.cleaned_data.get("instrument_document"),
                assigned_to=form.cleaned_data.get("assigned_to"),
            ),
        )
        if done is not None:
            messages.success(request, _("The file was saved."))
            return redirect("enforcement:file_detail", file.pk)
    context = {"form": form, "file": file, "court": file.court}
    return render(request, "enforcement/file_form.html", context, status=form_status(request, form))


def plain_amount(amount_minor: int, currency: str) -> str:
    return str(Money(amount_minor, currency).to_decimal())


@capability_required(Capability.MANAGE_FILES)
@require_http_methods(["GET", "POST"])
def party_add(request: HttpRequest, file_id: int) -> HttpResponse:
    file = file_or_404(request, file_id)
    form = PartyRoleForm(request.POST or None, initial={"role": request.GET.get("role", "DEBTOR")})
    if request.method == "POST" and form.is_valid():
        party = attempt(
            form,
            lambda: services.add_party(
                actor=request.user,  # type: ignore[arg-type]
                file_id=file.pk,
                role=form.cleaned_data["role"],
                details=form.details(),
            ),
        )
        if party is not None:
            messages.success(request, _("%(name)s was added to the file.") % {"name": party.name})
            return redirect("enforcement:file_detail", file.pk)
    context = {"form": form, "file": file}
    return render(
        request, "enforcement/party_form.html", context, status=form_status(request, form)
    )


@capability_required(Capability.MANAGE_FILES)
@require_POST
def file_status(request: HttpRequest, file_id: int) -> HttpResponse:
    form = FileStatusForm(request.POST)
    back = reverse("enforcement:file_detail", args=[file_id])
    if not form.is_valid():
        messages.error(request, _("Choose an action."))
        return redirect(back)
    return act(
        request,
        lambda: services.change_file_status(
            actor=request.user,  # type: ignore[arg-type]
            file_id=file_id,
            action=form.cleaned_data["action"],
            reason=form.cleaned_data["reason"],
        ),
        _("The file's status was changed."),
        back,
    )


@capability_required(Capability.VIEW_FILES)
def instrument_document(request: HttpRequest, file_id: int) -> HttpResponseBase:
    file = file_or_404(request, file_id)
    return serve_private(file.instrument_document)


@capability_required(Capability.MANAGE_FILES)
@require_http_methods(["GET", "POST"])
def order_create(request: HttpRequest, file_id: int) -> HttpResponse:
    file = file_or_404(request, file_id)
    form = OrderForm(request.POST or None, file=file, initial={"kind": request.GET.get("kind", "")})
    if request.method == "POST" and form.is_valid():
        order = attempt(
            form,
            lambda: services.request_order(
                actor=request.user,  # type: ignore[arg-type]
                file_id=file.pk,
                kind=form.cleaned_data["kind"],
                agency_id=form.cleaned_data["agency"].pk,
                target=form.target(),
            ),
        )
        if order is not None:
            messages.success(
                request, _("The seizure order was recorded; the judge issues it next.")
            )
            return redirect(reverse("enforcement:file_detail", args=[file.pk]) + "#orders")
    context = {"form": form, "file": file}
    return render(
        request, "enforcement/order_form.html", context, status=form_status(request, form)
    )


@capability_required(Capability.VIEW_FILES)
@require_POST
def order_action(request: HttpRequest, order_id: int, action: str) -> HttpResponse:
    order = access.orders_for(request.user).select_related("file").filter(pk=order_id).first()
    if order is None or action not in ORDER_ACTIONS:
        raise Http404
    back = reverse("enforcement:file_detail", args=[order.file_id]) + "#orders"
    user: Any = request.user
    if action == "issue":
        # Issuing is signing: the judge reads the rendered order first (order_sign).
        if not user.has_perm(Capability.ISSUE_ORDERS):
            raise PermissionDenied
        return redirect("enforcement:order_sign", order_id)
    calls = {
        "execute": lambda: _execute(request, user, order_id, order.file.currency),
        "lift": lambda: services.lift_order(
            actor=user, order_id=order_id, reason=posted_text(request, "reason")
        ),
        "request_lift": lambda: services.request_order_lift(
            actor=user, order_id=order_id, reason=posted_text(request, "reason")
        ),
    }
    return act(request, calls[action], _("The seizure order was updated."), back)


@capability_required(Capability.VIEW_FILES)
def order_detail(request: HttpRequest, order_id: int) -> HttpResponse:
    """One order: its structured requests, the agency's typed answers, documents, webhooks."""
    order = (
        access.orders_for(request.user)
        .select_related("file", "agency", "target_party")
        .filter(pk=order_id)
        .first()
    )
    if order is None:
        raise Http404
    requests = order.letters.exclude(payload={}).order_by("sent_at", "pk")
    context = {
        "order": order,
        "file": order.file,
        "requests": requests,
        "answers": order.answers.select_related("letter", "application__application").order_by(
            "answered_at", "pk"
        ),
        "deliveries": WebhookDelivery.objects.filter(letter__order=order).order_by(
            "-created_at", "-pk"
        ),
        "history": selectors.history(order),
        "may_issue": request.user.has_perm(Capability.ISSUE_ORDERS),
        "may_redeliver": request.user.has_perm(Capability.MANAGE_FILES),
    }
    return render(request, "enforcement/order_detail.html", context)


@capability_required(Capability.MANAGE_FILES)
@require_POST
def webhook_redeliver(request: HttpRequest, order_id: int, delivery_id: int) -> HttpResponse:
    """Send again a webhook delivery the worker gave up on, from the order's page."""
    order = access.orders_for(request.user).filter(pk=order_id).first()
    if (
        order is None
        or not WebhookDelivery.objects.filter(pk=delivery_id, letter__order=order).exists()
    ):
        raise Http404
    back = reverse("enforcement:order_detail", args=[order_id]) + "#deliveries"
    user: Any = request.user
    return act(
        request,
        lambda: agency_services.redeliver_webhook(actor=user, delivery_id=delivery_id),
        _("The delivery will be sent again."),
        back,
    )


@capability_required(Capability.VIEW_FILES)
def order_answer_document(request: HttpRequest, answer_id: int) -> HttpResponseBase:
    answer = AgencyAnswer.objects.filter(
        pk=answer_id, order__in=access.orders_for(request.user)
    ).first()
    if answer is None or not answer.document:
        raise Http404
    return serve_private(answer.document)


def _execute(request: HttpRequest, user: Any, order_id: int, currency: str) -> Any:
    try:
        amount = parse_amount(request.POST.get("amount_seized", ""), currency)
    except ValidationError as error:
        raise DomainError(error.messages[0], code="amount_format", field="amount_seized") from error
    return services.record_order_execution(
        actor=user, order_id=order_id, amount_seized_minor=amount
    )


def _own_order(request: HttpRequest, order_id: int) -> SeizureOrder:
    order = (
        access.orders_for(request.user)
        .select_related("file__court", "agency", "target_party")
        .filter(pk=order_id)
        .first()
    )
    if order is None:
        raise Http404
    return order


@capability_required(Capability.ISSUE_ORDERS)
@require_http_methods(["GET", "POST"])
def order_sign(request: HttpRequest, order_id: int) -> HttpResponse:
    """The judge reads the order as it will be issued, then signs it with the court's key."""
    order = _own_order(request, order_id)
    back = reverse("enforcement:file_detail", args=[order.file_id]) + "#orders"
    if order.status != SeizureOrder.Status.REQUESTED:
        messages.info(request, _("This order was already issued."))
        return redirect(back)
    user: Any = request.user
    form = SignOrderForm(
        request.POST or None, initial={"reviewed": services.review_fingerprint(order)}
    )
    if request.method == "POST" and form.is_valid():
        done = attempt(
            form,
            lambda: services.issue_order(
                actor=user, order_id=order.pk, reviewed=form.cleaned_data["reviewed"]
            ),
        )
        if done is not None:
            document = done.signed_documents.get(kind=SignedOrderDocument.Kind.ORDER)
            messages.success(
                request,
                _("You signed and issued the order: %(number)s.") % {"number": document.number},
            )
            return redirect(back)
    context = {"order": order, "file": order.file, "form": form, "signer": user.get_full_name()}
    return render(
        request, "enforcement/order_sign.html", context, status=form_status(request, form)
    )


@csp_exempt()  # type: ignore[arg-type]
@xframe_options_sameorigin
@capability_required(Capability.ISSUE_ORDERS)
def order_draft(request: HttpRequest, order_id: int) -> HttpResponse:
    """The unsigned draft of an order, marked as such, as the judge reads it before signing."""
    order = _own_order(request, order_id)
    if order.status != SeizureOrder.Status.REQUESTED:
        raise Http404
    try:
        pdf = services.draft_pdf(actor=request.user, order=order)  # type: ignore[arg-type]
    except DomainError as error:
        raise_for_status(error)
        raise
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="draft-order-{order.pk}.pdf"'
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@capability_required(Capability.VIEW_FILES)
def signed_document(request: HttpRequest, document_id: int) -> HttpResponseBase:
    """A signed order or minutes, as signed, for staff of the court."""
    document = (
        SignedOrderDocument.objects.filter(
            pk=document_id, order__in=access.orders_for(request.user)
        )
        .only("pdf", "number")
        .first()
    )
    if document is None:
        raise Http404
    return serve_private(document.pdf, download_name=document.download_name)
