"""Letters to agencies: staff send and follow them; agency users read and answer their inbox."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts.access import capability_required, has_capability
from accounts.roles import Capability
from core import http_cache
from core.errors import DomainError
from core.pages import act, attempt, form_status, raise_for_status, serve_private
from core.pagination import paginate
from enforcement import access, selectors, services
from enforcement import letters as letter_documents
from enforcement.models import AgencyLetter
from enforcement.views.files import file_or_404
from enforcement.views.forms import AnswerForm, LetterForm, TokenForm

LIST_PAGE = 50
ROW_SECONDS = 300
BODY_SECONDS = 300


def _may_read_letters(user: Any) -> bool:
    return has_capability(user, Capability.VIEW_FILES) or has_capability(
        user, Capability.ANSWER_LETTERS
    )


def _letter(request: HttpRequest, letter_id: int) -> AgencyLetter:
    if not _may_read_letters(request.user):
        raise PermissionDenied
    try:
        return selectors.get_letter(request.user, letter_id)
    except DomainError as error:
        raise_for_status(error)
        raise


@capability_required(Capability.MANAGE_FILES)
@require_http_methods(["GET", "POST"])
def letter_send(request: HttpRequest, file_id: int) -> HttpResponse:
    file = file_or_404(request, file_id)
    initial = {
        "subject_kind": request.GET.get("subject", "SEIZE"),
        "language": "ar",
        "asset": request.GET.get("asset") or None,
        "order": request.GET.get("order") or None,
        "due_on": selectors.court_today(file.court) + timedelta(days=14),
    }
    form = LetterForm(request.POST or None, file=file, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        letter = attempt(
            form,
            lambda: services.send_letter(
                actor=request.user,  # type: ignore[arg-type]
                file_id=file.pk,
                agency_id=data["agency"].pk,
                subject_kind=data["subject_kind"],
                language=data["language"],
                due_on=data["due_on"],
                asset_id=data["asset"].pk if data.get("asset") else None,
                order_id=data["order"].pk if data.get("order") else None,
                note=data.get("note", ""),
            ),
        )
        if letter is not None:
            messages.success(request, _("Letter %(number)s was sent.") % {"number": letter.number})
            return redirect("enforcement:letter_detail", letter.pk)
    context = {"form": form, "file": file}
    return render(
        request, "enforcement/letter_form.html", context, status=form_status(request, form)
    )


@login_required
def letter_list(request: HttpRequest) -> HttpResponse:
    """Staff: the court's letters. Agency users: their inbox. Overdue letters first.

    The list below the heading (the rows, the counts, the page links) comes from the shared
    cache, keyed by whose letters they are, the status, the page, the language, the time zone
    and the day (what is overdue), and by a version counter those letters' changes bump at
    once and after their commit (enforcement/letter_versions.py): the next read after a letter is
    sent, acknowledged or answered shows it. A list of 100,000 letters is then a few
    statements a page (the session, the user and their permissions) and one round trip.
    """
    if not _may_read_letters(request.user):
        raise PermissionDenied
    status = request.GET.get(
        "status", "OPEN" if request.user.has_perm(Capability.ANSWER_LETTERS) else ""
    )
    status = "" if status == "ALL" else status
    is_agency = request.user.has_perm(Capability.ANSWER_LETTERS)
    user = request.user

    def body() -> str:
        page = paginate(
            selectors.letters_overdue_first_segments(user, status=status),
            selectors.LETTER_ORDER,
            request.GET,
            size=LIST_PAGE,
            # One capped count (or estimate) of the whole list, not one per segment.
            total_of=selectors.letters_overdue_first(user, status=status),
        )
        context = {
            "rows": [mark_safe(row) for row in _rows(page.rows, is_agency=is_agency)],  # noqa: S308
            "page": page,
            "status": status,
            "statuses": AgencyLetter.Status.choices,
            "overdue": selectors.overdue_count(user),
        }
        return render_to_string("enforcement/_letter_list_body.html", context)

    scope = access.letters_scope(user)
    if scope is None or not settings.CACHED_STAFF_LISTS:
        shown = body()
    else:
        shown = http_cache.versioned_fragment(
            (
                "letter-list",
                scope,
                is_agency,
                status,
                http_cache.normalised_query(request),
                timezone.get_current_timezone_name(),
                timezone.localdate().isoformat(),
            ),
            (scope,),
            body,
            BODY_SECONDS,
        )
    context = {"body": mark_safe(shown), "is_agency": is_agency}  # noqa: S308 (ours)
    return render(request, "enforcement/letter_list.html", context)


def _rows(letters: list[AgencyLetter], *, is_agency: bool) -> list[str]:
    """The list's rows from the shared cache, each keyed by everything it shows.

    Letters change seldom, so a page of fifty rows is mostly one round trip to the cache
    rather than fifty renders; a changed letter has a new key and is rendered anew.
    """
    zone = timezone.get_current_timezone_name()

    def part(letter: AgencyLetter) -> tuple[str, Any]:
        shown = (
            letter.pk, letter.number, letter.subject_kind, letter.status, letter.is_overdue,  # type: ignore[attr-defined]
            letter.language, letter.subject, letter.court.name if is_agency else
            letter.agency.name, letter.file.number, letter.sent_at, letter.due_on, zone,
        )  # fmt: skip
        key = "letter-row:" + http_cache.etag_of(shown).strip('"')
        return key, lambda: render_to_string(
            "enforcement/_letter_row.html", {"letter": letter, "is_agency": is_agency}
        )

    return http_cache.cached_fragments([part(letter) for letter in letters], ROW_SECONDS)


@login_required
def letter_detail(request: HttpRequest, letter_id: int) -> HttpResponse:
    letter = _letter(request, letter_id)
    is_agency = request.user.has_perm(Capability.ANSWER_LETTERS)
    context = {
        "letter": letter,
        "is_agency": is_agency,
        "answer_form": AnswerForm()
        if is_agency and letter.status != "ANSWERED" and not letter.is_structured
        else None,
        "history": selectors.history(letter),
    }
    return render(request, "enforcement/letter_detail.html", context)


@login_required
def letter_pdf(request: HttpRequest, letter_id: int) -> HttpResponse:
    letter = _letter(request, letter_id)
    response = HttpResponse(letter_documents.render_pdf(letter), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{letter.number}.pdf"'
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
def answer_document(request: HttpRequest, letter_id: int) -> HttpResponseBase:
    letter = _letter(request, letter_id)
    return serve_private(letter.answer_document)


@capability_required(Capability.ANSWER_LETTERS)
@require_POST
def letter_acknowledge(request: HttpRequest, letter_id: int) -> HttpResponse:
    return act(
        request,
        lambda: services.acknowledge_letter(actor=request.user, letter_id=letter_id),  # type: ignore[arg-type]
        _("The letter is acknowledged."),
        reverse("enforcement:letter_detail", args=[letter_id]),
    )


@capability_required(Capability.ANSWER_LETTERS)
@require_http_methods(["POST"])
def letter_answer(request: HttpRequest, letter_id: int) -> HttpResponse:
    letter = _letter(request, letter_id)
    form = AnswerForm(request.POST, request.FILES)
    if form.is_valid():
        done = attempt(
            form,
            lambda: services.answer_letter(
                actor=request.user,  # type: ignore[arg-type]
                letter_id=letter.pk,
                answer=form.cleaned_data["answer"],
                document=form.cleaned_data.get("document"),
            ),
        )
        if done is not None:
            messages.success(request, _("Your answer was sent to the court."))
            return redirect("enforcement:letter_detail", letter.pk)
    context = {
        "letter": letter,
        "is_agency": True,
        "answer_form": form,
        "history": selectors.history(letter),
    }
    return render(request, "enforcement/letter_detail.html", context, status=400)


@capability_required(Capability.ANSWER_LETTERS)
@require_http_methods(["GET", "POST"])
def api_tokens(request: HttpRequest) -> HttpResponse:
    form = TokenForm(request.POST or None)
    issued = None
    if request.method == "POST" and form.is_valid():
        issued = attempt(
            form,
            lambda: services.issue_api_token(actor=request.user, name=form.cleaned_data["name"]),  # type: ignore[arg-type]
        )
        if issued is not None:
            form = TokenForm()
    context = {
        "form": form,
        "issued": issued,
        "tokens": request.user.api_tokens.all(),  # type: ignore[union-attr]
    }
    response = render(
        request, "enforcement/api_tokens.html", context, status=form_status(request, form)
    )
    response["Cache-Control"] = "no-store"
    return response


@capability_required(Capability.ANSWER_LETTERS)
@require_POST
def api_token_revoke(request: HttpRequest, token_id: int) -> HttpResponse:
    return act(
        request,
        lambda: services.revoke_api_token(actor=request.user, token_id=token_id),  # type: ignore[arg-type]
        _("The token was revoked."),
        reverse("enforcement:api_tokens"),
    )
