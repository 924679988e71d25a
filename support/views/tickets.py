"""A requester's tickets and the ticket page both sides share; the actions posted from it."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.access import capability_required
from accounts.roles import Capability
from core.errors import DomainError, NotFound
from core.forms import add_domain_error
from core.pages import attempt, form_status, raise_for_status, serve_private
from support import access, selectors, services
from support.forms import MessageForm, RatingForm, ReopenForm, StaffAnswerForm, TicketForm
from support.models import Attachment, Status, Ticket


def _ticket(request: HttpRequest, number: str) -> Ticket:
    try:
        return selectors.ticket_for(request.user, number)
    except NotFound as error:
        raise Http404 from error


@login_required
@require_GET
def my_tickets(request: HttpRequest) -> HttpResponse:
    """Requesters: their tickets, latest activity first. Desk staff go to their queue."""
    if access.is_desk_staff(request.user):
        return redirect("support:queue")
    if not access.may_open_tickets(request.user):
        raise Http404
    tickets = selectors.tickets_of_requester(request.user)
    return render(request, "support/list.html", {"tickets": tickets})


@capability_required(Capability.OPEN_TICKETS)
@require_http_methods(["GET", "POST"])
def ticket_new(request: HttpRequest) -> HttpResponse:
    initial = {key: request.GET[key] for key in ("kind", "topic", "about") if key in request.GET}
    data, files = (request.POST, request.FILES) if request.method == "POST" else (None, None)
    form = TicketForm(data, files, user=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        cleaned = form.cleaned_data
        ticket = attempt(
            form,
            lambda: services.open_ticket(
                requester=request.user,
                kind=cleaned["kind"],
                topic=cleaned["topic"],
                subject=cleaned["subject"],
                body=cleaned["body"],
                court_id=cleaned["court"].pk if cleaned.get("court") else None,
                link=form.link(),
                attachments=cleaned["attachments"],
            ),
        )
        if ticket is not None:
            messages.success(
                request,
                _("Ticket %(number)s was opened. We will answer here and by e-mail.")
                % {"number": ticket.number},
            )
            return redirect("support:ticket", ticket.number)
    return render(request, "support/new.html", {"form": form}, status=form_status(request, form))


def _detail_context(
    request: HttpRequest, ticket: Ticket, bound: dict[str, forms.Form]
) -> dict[str, Any]:
    settings = selectors.service_settings(ticket.court)
    is_staff = access.may_answer(request.user, ticket)
    response_state, resolution_state = selectors.ticket_states(
        ticket, settings.calendar, timezone.now()
    )
    return {
        "ticket": ticket,
        "thread": selectors.thread(ticket),
        "is_staff": is_staff,
        "is_requester": access.is_requester(request.user, ticket),
        "response_state": response_state,
        "resolution_state": resolution_state,
        "reopen_until": selectors.reopen_deadline(ticket, settings),
        "may_reopen": selectors.may_reopen(ticket, settings),
        "rating": getattr(ticket, "rating", None) if ticket.status == Status.CLOSED else None,
        "message_form": bound.get("message") or MessageForm(auto_id="id_message_%s"),
        "answer_form": bound.get("answer") or StaffAnswerForm(auto_id="id_answer_%s"),
        "reopen_form": bound.get("reopen") or ReopenForm(auto_id="id_reopen_%s"),
        "rating_form": bound.get("rating") or RatingForm(auto_id="id_rating_%s"),
        "reopen_days": settings.reopen_days,
    }


@login_required
@require_GET
def ticket_detail(request: HttpRequest, number: str) -> HttpResponse:
    ticket = _ticket(request, number)
    return render(request, "support/detail.html", _detail_context(request, ticket, {}))


def _post(
    request: HttpRequest,
    number: str,
    key: str,
    form_class: type[forms.Form],
    call: Callable[[Ticket, dict[str, Any]], Any],
    success: str,
    may: Callable[[Any, Ticket], bool] = access.is_requester,
) -> HttpResponse:
    """Run one action of the ticket page; on a refusal show the page with the form's errors.
    Whoever sees the ticket but may not take the action (by default: anyone but the
    requester) is refused before any field is looked at; to anyone else it is not there."""
    ticket = _ticket(request, number)
    if not may(request.user, ticket):
        raise PermissionDenied
    form = form_class(request.POST, request.FILES, auto_id=f"id_{key}_%s")
    if form.is_valid():
        try:
            call(ticket, form.cleaned_data)
        except DomainError as error:
            raise_for_status(error)
            if error.field in form.fields:
                add_domain_error(form, error)
            else:  # the ticket moved on (resolved, rated...): say so above the page
                messages.error(request, error.render())
        else:
            messages.success(request, success)
            return redirect("support:ticket", ticket.number)
    ticket.refresh_from_db()
    context = _detail_context(request, ticket, {key: form})
    return render(request, "support/detail.html", context, status=400)


@login_required
@require_POST
def ticket_message(request: HttpRequest, number: str) -> HttpResponse:
    return _post(
        request,
        number,
        "message",
        MessageForm,
        lambda ticket, data: services.add_message(
            requester=request.user,
            ticket_id=ticket.pk,
            body=data["body"],
            attachments=data["attachments"],
        ),
        _("Your message was sent."),
    )


@login_required
@require_POST
def ticket_reopen(request: HttpRequest, number: str) -> HttpResponse:
    return _post(
        request,
        number,
        "reopen",
        ReopenForm,
        lambda ticket, data: services.reopen(
            requester=request.user, ticket_id=ticket.pk, body=data["body"]
        ),
        _("The ticket was reopened."),
    )


@login_required
@require_POST
def ticket_rate(request: HttpRequest, number: str) -> HttpResponse:
    return _post(
        request,
        number,
        "rating",
        RatingForm,
        lambda ticket, data: services.rate(
            requester=request.user,
            ticket_id=ticket.pk,
            score=data["score"],
            comment=data.get("comment", ""),
        ),
        _("Thank you for your rating."),
    )


STAFF_ACTIONS: dict[str, tuple[Callable[..., Any], Promise]] = {
    "reply": (services.reply, gettext_lazy("Your reply was sent.")),
    "ask": (services.request_information, gettext_lazy("The requester was asked for information.")),
    "resolve": (services.resolve, gettext_lazy("The ticket was resolved.")),
}


@login_required
@require_POST
def ticket_answer(request: HttpRequest, number: str) -> HttpResponse:
    """Staff's reply, request for information or resolution (the button pressed says which)."""
    verb, success = STAFF_ACTIONS.get(request.POST.get("action", ""), STAFF_ACTIONS["reply"])
    return _post(
        request,
        number,
        "answer",
        StaffAnswerForm,
        lambda ticket, data: verb(
            actor=request.user,
            ticket_id=ticket.pk,
            body=data["body"],
            attachments=data["attachments"],
        ),
        str(success),
        may=access.may_answer,
    )


@login_required
@require_GET
def attachment_file(request: HttpRequest, attachment_id: int) -> HttpResponseBase:
    """An attachment, for whoever may see its ticket."""
    attachment = (
        Attachment.objects.select_related("message__ticket")
        .filter(pk=attachment_id, message__ticket__in=access.tickets_for(request.user))
        .first()
    )
    if attachment is None:
        raise Http404
    safe_name = re.sub(r"[^A-Za-z0-9._-]", "_", attachment.original_name)
    return serve_private(attachment.document, download_name=safe_name)
