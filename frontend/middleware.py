"""Answers that would reach a person as a blank page get the site's own page instead."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from frontend.views import error_405


class MethodNotAllowedPage:
    """A page opened at an address that only receives forms gets a page, not a blank.

    People reach these: a form sent while logged out sends them to log in, and the login then
    opens the form's address. Django's answer (405) has no body; this one says what happened
    and how to go on, keeping the `Allow` header. Programs (the API) keep the bare answer.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (
            response.status_code != 405
            or request.method not in ("GET", "HEAD")
            or request.path.startswith("/api/")
            or getattr(response, "streaming", False)
            or response.content
        ):
            return response

        page = error_405(request)
        if response.has_header("Allow"):
            page["Allow"] = response["Allow"]
        return page
