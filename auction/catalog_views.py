"""Pages of saved searches and of questions on lots (the bidder's side and the court's)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.access import capability_required
from accounts.models import User
from accounts.roles import Capability
from auction import catalog, questions, saved_searches
from auction.catalog_forms import (
    AnswerForm,
    EditSearchForm,
    QuestionForm,
    RejectForm,
    SaveSearchForm,
)
from auction.models import SavedSearch
from core.errors import DomainError
from core.forms import add_domain_error


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _value(form: forms.Form, name: str) -> str:
    return str(form.data.get(form.add_prefix(name), ""))


# --- saved searches -----------------------------------------------------------------------


def _searches_page(
    request: HttpRequest,
    *,
    save_form: SaveSearchForm | None = None,
    bound: dict[int, EditSearchForm] | None = None,
    status: int = 200,
) -> HttpResponse:
    user = _user(request)
    rows = []
    for search in saved_searches.of(user):
        form = (bound or {}).get(search.pk) or EditSearchForm(
            prefix=f"s{search.pk}", initial={"name": search.name, "alerts": search.alerts}
        )
        rows.append(
            {
                "search": search,
                "form": form,
                "summary": saved_searches.summary(search),
                "url": saved_searches.catalog_url(search),
            }
        )
    context = {
        "rows": rows,
        "save_form": save_form,
        "limit": saved_searches.MAX_PER_PERSON,
        "left": max(0, saved_searches.MAX_PER_PERSON - len(rows)),
    }
    return render(request, "auction/public/saved_searches.html", context, status=status)


@login_required
def saved_search_list(request: HttpRequest) -> HttpResponse:
    return _searches_page(request)


@login_required
@require_POST
def save_search(request: HttpRequest) -> HttpResponse:
    form = SaveSearchForm(request.POST)
    form.is_valid()
    try:
        search = saved_searches.save(
            user=_user(request),
            name=_value(form, "name"),
            query=_value(form, "query"),
            alerts=bool(form.cleaned_data.get("alerts")),
        )
    except DomainError as error:
        add_domain_error(form, error)
        return _searches_page(request, save_form=form, status=400)
    messages.success(
        request,
        _("The search “%(name)s” was saved.") % {"name": search.name}
        + (" " + _("We will e-mail you when a new lot matches it.") if search.alerts else ""),
    )
    return redirect(saved_searches.catalog_url(search))


@login_required
@require_POST
def saved_search_edit(request: HttpRequest, search_id: int) -> HttpResponse:
    form = EditSearchForm(request.POST, prefix=f"s{search_id}")
    form.is_valid()
    try:
        search = saved_searches.update(
            user=_user(request),
            search_id=search_id,
            name=_value(form, "name"),
            alerts=bool(form.cleaned_data.get("alerts")),
        )
    except DomainError as error:
        if error.status == 404:
            raise Http404 from error
        add_domain_error(form, error)
        return _searches_page(request, bound={search_id: form}, status=400)
    messages.success(request, _("The search “%(name)s” was saved.") % {"name": search.name})
    return redirect("auction:saved_searches")


@login_required
@require_POST
def saved_search_delete(request: HttpRequest, search_id: int) -> HttpResponse:
    search = SavedSearch.objects.filter(user=_user(request), pk=search_id).first()
    if search is None:
        raise Http404
    saved_searches.delete(user=_user(request), search_id=search.pk)
    messages.info(request, _("The search “%(name)s” was deleted.") % {"name": search.name})
    return redirect("auction:saved_searches")


# --- questions ----------------------------------------------------------------------------


@login_required
@require_POST
def ask(request: HttpRequest, lot_id: int) -> HttpResponse:
    lot = catalog.public_lot(lot_id)
    if lot is None:
        raise Http404
    form = QuestionForm(request.POST)
    form.is_valid()
    try:
        questions.ask(
            user=_user(request), lot_id=lot.pk, text=_value(form, "text"), now=timezone.now()
        )
    except DomainError as error:
        if error.status == 404:
            raise Http404 from error
        add_domain_error(form, error)
        context = {"lot": lot, "asset": lot.asset, "form": form}
        status = 429 if error.code == "question_rate_limited" else error.status
        return render(request, "auction/public/ask.html", context, status=status)
    messages.success(
        request,
        _(
            "Your question was sent to the court. Its answer will appear on this page, "
            "and we will e-mail you."
        ),
    )
    return redirect(reverse("auction:lot", args=[lot.pk]) + "#questions")


def _queue_page(
    request: HttpRequest, *, bound: dict[str, Any] | None = None, status: int = 200
) -> HttpResponse:
    staff = _user(request)
    assert staff.court_id is not None
    bound = bound or {}
    rows = [
        {
            "question": question,
            "answer_form": bound.get(f"a{question.pk}") or AnswerForm(prefix=f"a{question.pk}"),
            "reject_form": bound.get(f"r{question.pk}") or RejectForm(prefix=f"r{question.pk}"),
        }
        for question in questions.queue(staff.court_id)
    ]
    context = {"rows": rows, "handled": questions.recently_handled(staff.court_id)}
    return render(request, "auction/staff/questions.html", context, status=status)


@capability_required(Capability.MANAGE_AUCTIONS)
def question_queue(request: HttpRequest) -> HttpResponse:
    return _queue_page(request)


def _act(request: HttpRequest, question_id: int, *, answering: bool) -> HttpResponse:
    prefix = f"{'a' if answering else 'r'}{question_id}"
    form: forms.Form = (
        AnswerForm(request.POST, prefix=prefix)
        if answering
        else RejectForm(request.POST, prefix=prefix)
    )
    form.is_valid()
    try:
        if answering:
            questions.answer(
                staff=_user(request),
                question_id=question_id,
                text=_value(form, "answer"),
                now=timezone.now(),
            )
        else:
            questions.reject(
                staff=_user(request),
                question_id=question_id,
                reason=_value(form, "reason"),
                now=timezone.now(),
            )
    except DomainError as error:
        if error.status == 404:
            raise Http404 from error
        if error.status == 403:
            raise PermissionDenied from error
        if error.status == 409:
            messages.error(request, error.render())
            return redirect("auction:staff_questions")
        add_domain_error(form, error)
        return _queue_page(request, bound={prefix: form}, status=400)
    messages.success(
        request,
        _("The answer is published on the lot's page and the asker will be told.")
        if answering
        else _("The question was rejected and the asker will be told why."),
    )
    return redirect("auction:staff_questions")


@capability_required(Capability.MANAGE_AUCTIONS)
@require_POST
def answer_question(request: HttpRequest, question_id: int) -> HttpResponse:
    return _act(request, question_id, answering=True)


@capability_required(Capability.MANAGE_AUCTIONS)
@require_POST
def reject_question(request: HttpRequest, question_id: int) -> HttpResponse:
    return _act(request, question_id, answering=False)
