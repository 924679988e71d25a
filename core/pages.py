"""Shared view helpers: domain refusals turned into pages and messages, private files served."""

from __future__ import annotations

import mimetypes
from collections.abc import Callable
from typing import Any, TypeVar

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models.fields.files import FieldFile
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.shortcuts import redirect

from core.errors import DomainError
from core.forms import add_domain_error
from core.storage import signed_url

T = TypeVar("T")


def raise_for_status(error: DomainError) -> None:
    """Absent and forbidden records become 404 and 403 pages; other refusals are shown."""
    if error.status == 404:
        raise Http404 from error
    if error.status == 403 and error.code == "forbidden":
        raise PermissionDenied from error


def attempt(form: forms.Form, call: Callable[[], T]) -> T | None:
    """Run one service call; show a refusal on `form` next to the field it names."""
    try:
        return call()
    except DomainError as error:
        raise_for_status(error)
        add_domain_error(form, error)
        return None


def act(request: HttpRequest, call: Callable[[], Any], success: str, back: str) -> HttpResponse:
    """A button's POST: run the call, then go back with a message saying what happened."""
    try:
        call()
    except DomainError as error:
        raise_for_status(error)
        messages.error(request, error.render())
    else:
        messages.success(request, success)
    return redirect(back)


def serve_private(
    field: FieldFile, *, download_name: str | None = None, cache: str = "private, max-age=300"
) -> HttpResponseBase:
    """A private file, never cached by shared caches and never sniffed into another type.

    Called once the reader's rights are checked. From the local disk the file is streamed; from
    the object store the answer is a redirect to a signed URL that expires within a minute
    (S3_SIGNED_URL_SECONDS), and the store answers with the same type and disposition.
    """
    if not field:
        raise Http404
    content_type, _encoding = mimetypes.guess_type(field.name or "")
    content_type = content_type or "application/octet-stream"
    disposition = f'inline; filename="{download_name}"' if download_name else None
    url = signed_url(field, content_type=content_type, disposition=disposition)
    response: HttpResponseBase
    if url is not None:
        response = HttpResponseRedirect(url)
        response["Cache-Control"] = "private, no-store"  # the signature expires
        response["Referrer-Policy"] = "no-referrer"
        return response
    response = FileResponse(field.open("rb"), content_type=content_type)
    if disposition:
        response["Content-Disposition"] = disposition
    response["Cache-Control"] = cache
    response["X-Content-Type-Options"] = "nosniff"
    return response


def form_status(request: HttpRequest, *forms_: forms.Form) -> int:
    return 400 if request.method == "POST" and any(f.is_bound and f.errors for f in forms_) else 200
