"""Walk the site as one user: every page reachable by links from some seeds, a few per
view, with the POST forms found on them. Used to fuzz every form and to look for
personal data in every page, without a list of pages to keep up to date."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlsplit

from django.urls import Resolver404, resolve

# Where a crawl must not go: it would end the session being crawled.
# The probes answer 503 by design while a dependency is down (a busy machine can make one slow).
NOT_FOLLOWED = {"accounts:logout", "admin:index", "livez", "readyz", "healthz"}
PAGES_PER_VIEW = 2
PAGES_PER_WALK = 250


class Page(HTMLParser):
    """The POST forms of a page, with their named fields, and the page's links."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict[str, Any]] = []
        self.links: list[str] = []
        self._form: dict[str, Any] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "a" and a.get("href"):
            self.links.append(a["href"])
        elif tag == "form":
            self._form = (
                {"action": a.get("action", ""), "fields": {}}
                if a.get("method", "get").lower() == "post"
                else None
            )
        elif self._form is not None and tag in ("input", "select", "textarea", "button"):
            name = a.get("name")
            if name and name != "csrfmiddlewaretoken":
                kind = a.get("type", tag) if tag in ("input", "button") else tag
                self._form["fields"].setdefault(name, set()).add(
                    a.get("value", "") if kind in ("submit", "hidden", "radio") else kind
                )

    def handle_endtag(self, tag: str) -> None:
        if tag == "form" and self._form is not None:
            self.forms.append(self._form)
            self._form = None


@dataclass
class Walk:
    forms: dict[str, dict[str, Any]] = field(default_factory=dict)  # by view and field names
    pages: dict[str, Any] = field(default_factory=dict)  # response by URL, any content type


def crawl(client: Any, seeds: list[str], *, per_view: int = PAGES_PER_VIEW) -> Walk:
    """Follow links from `seeds` breadth first, at most `per_view` pages of each view."""
    queue, visits, walk = list(seeds), Counter[str](), Walk()
    while queue and len(walk.pages) < PAGES_PER_WALK:
        url = queue.pop(0)
        parts = urlsplit(url)
        if parts.netloc or not parts.path.startswith("/") or url in walk.pages:
            continue
        try:
            match = resolve(parts.path)
        except Resolver404:
            continue
        if visits[match.view_name] >= per_view or match.view_name in NOT_FOLLOWED:
            continue
        visits[match.view_name] += 1
        response = client.get(url)
        walk.pages[url] = response
        assert response.status_code < 500, url
        if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
            continue
        page = Page()
        page.feed(response.content.decode())
        queue.extend(page.links)
        for form in page.forms:
            action = form["action"] or parts.path
            try:
                view = resolve(urlsplit(action).path).view_name
            except Resolver404:
                continue
            key = f"{view}:{','.join(sorted(form['fields']))}"
            walk.forms.setdefault(key, {**form, "url": action})
    return walk
