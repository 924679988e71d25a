"""The public help: how a sale works, each court's rules, deposits and refunds, fees, FAQ, contact.

Open to everyone, signed in or not. The prose of each topic is written per language
(`help/topics/<topic>.<language>.html`); the figures (each court's notice period, deposit,
increments, premium, VAT and deadlines) come from the courts' current rules of sale.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.functional import Promise
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from accounts import selectors as accounts
from auction import catalog


@dataclass(frozen=True)
class Topic:
    slug: str
    title: str | Promise
    icon: str
    shows_rules: bool = False


TOPICS = (
    Topic("how-it-works", _("How it works"), "bi-signpost-split"),
    Topic("rules", _("Rules of a sale"), "bi-journal-text", shows_rules=True),
    Topic("deposits", _("Deposits and refunds"), "bi-shield-lock", shows_rules=True),
    Topic("fees", _("Fees and taxes"), "bi-receipt", shows_rules=True),
    Topic("faq", _("Questions and answers"), "bi-question-circle"),
    Topic("contact", _("Contact"), "bi-telephone"),
)
BY_SLUG = {topic.slug: topic for topic in TOPICS}


def index(request: HttpRequest) -> HttpResponse:
    return render(request, "help/index.html", {"topics": TOPICS})


def topic(request: HttpRequest, slug: str) -> HttpResponse:
    found = BY_SLUG.get(slug)
    if found is None:
        raise Http404
    language = "en" if (get_language() or "ar").startswith("en") else "ar"
    context = {
        "topics": TOPICS,
        "topic": found,
        "body": f"help/topics/{found.slug}.{language}.html",
        "court_rules": catalog.public_rules() if found.shows_rules else [],
        "review_days": accounts.IDENTITY_REVIEW_WORKING_DAYS,
    }
    return render(request, "help/topic.html", context)
