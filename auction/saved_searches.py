"""Saved searches of the catalog, and the e-mails that tell their owners of new lots.

A signed-in person saves the catalog's current search (its text and filters, kept as the
catalog's own query string, so it means what the catalog means), names it, renames or deletes
it, and chooses whether new lots that match are e-mailed; each person keeps at most
`MAX_PER_PERSON`.

Alerts are the clock's work, never the publishing request's (`auction.clock.notify`):

1. `match_new_lots` claims published lots not yet compared, by inserting their row in
   `LotAlertScan` (ON CONFLICT DO NOTHING RETURNING): a lot is claimed by exactly one pass,
   even with two clocks racing (the second waits on the key, then inserts nothing). In the same
   transaction each saved search with alerts on is run over the claimed lots through the
   catalog's own search, and a `SearchAlert` is written per (search, lot), published after the
   search was saved, under a unique key.
2. `deliver_alerts` claims unsent alerts (SKIP LOCKED), marks them claimed in that
   transaction, then sends each person one e-mail in their language listing the lots with
   their links. A crash after the claim loses at most that e-mail; nothing is sent twice.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import connection, transaction
from django.http import QueryDict
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts import locks as account_locks
from accounts.models import User
from auction import catalog, locks
from auction.models import Auction, Lot, LotAlertScan, SavedSearch, SearchAlert
from core import metrics
from core.errors import DomainError, NotFound
from core.formatting import format_moment
from core.inputs import CONTROL_CHARACTER, CONTROL_MESSAGE, text_problem
from core.money import Money

logger = logging.getLogger(__name__)

MAX_PER_PERSON = 20
MAX_NAME = 80
BATCH = 200
# The catalog's parameters a saved search keeps (the page's cursor is not part of a search).
KEPT = ("q", "kind", "city", "status", "ending_soon", "price_min", "price_max", "sort")
LIVE = (Auction.Status.PUBLISHED, Auction.Status.LIVE)
NEW = (Lot.Status.SCHEDULED, Lot.Status.OPEN)


def canonical_query(query: QueryDict) -> str:
    """The search a catalog address asks for, as a canonical query string ('' for all lots).

    Read through the catalog's own filters, so what is kept is what the catalog applied
    (an unknown kind or status is dropped there too)."""
    filters = catalog.Filters.from_query(query)
    kept = QueryDict(mutable=True)
    for name in KEPT:
        value = getattr(filters, name)
        if name == "ending_soon":
            value = "1" if value else ""
        if name == "sort" and value in ("ending", "relevance"):
            value = ""  # the catalog's default order for the search
        if value:
            kept[name] = str(value)
    return kept.urlencode()


def filters_of(search: SavedSearch) -> catalog.Filters:
    return catalog.Filters.from_query(QueryDict(search.query))


def catalog_url(search: SavedSearch) -> str:
    path = reverse("auction:catalog")
    return f"{path}?{search.query}" if search.query else path


def _clean_name(name: str) -> str:
    if text_problem(name, multiline=False):
        raise DomainError(CONTROL_MESSAGE, code=CONTROL_CHARACTER, field="name")
    name = " ".join(name.split())
    if not name:
        raise DomainError(gettext_lazy("Give the search a name."), code="required", field="name")
    if len(name) > MAX_NAME:
        raise DomainError(
            gettext_lazy("A name has at most %(max)s characters (this one has %(length)s)."),
            code="too_long",
            field="name",
            params={"max": MAX_NAME, "length": len(name)},
        )
    return name


def _name_free(user: User, name: str, *, besides: int | None = None) -> None:
    taken = SavedSearch.objects.filter(user=user, name__iexact=name)
    if besides is not None:
        taken = taken.exclude(pk=besides)
    if taken.exists():
        raise DomainError(
            gettext_lazy("You already have a saved search called “%(name)s”: choose another name."),
            code="saved_search_name_taken",
            field="name",
            params={"name": name},
        )


def save(*, user: User, name: str, query: str, alerts: bool) -> SavedSearch:
    """Save a search; refused past `MAX_PER_PERSON`, or under a name the person already uses."""
    name = _clean_name(name)
    if text_problem(query, multiline=False):
        raise DomainError(CONTROL_MESSAGE, code=CONTROL_CHARACTER, field="query")
    query = canonical_query(QueryDict(query))
    with transaction.atomic():
        account_locks.lock_user(user.pk)  # two saves at once cannot both pass the limit
        if SavedSearch.objects.filter(user=user).count() >= MAX_PER_PERSON:
            raise DomainError(
                gettext_lazy(
                    "You can keep at most %(max)s saved searches: delete one to save another."
                ),
                code="saved_search_limit",
                field="name",
                params={"max": MAX_PER_PERSON},
            )
        _name_free(user, name)
        return SavedSearch.objects.create(user=user, name=name, query=query, alerts=alerts)


def _own(user: User, search_id: int) -> SavedSearch:
    found = SavedSearch.objects.filter(user=user, pk=search_id).first()
    if found is None:
        raise NotFound()
    return found


def update(*, user: User, search_id: int, name: str, alerts: bool) -> SavedSearch:
    """Rename a saved search and turn its alerts on or off."""
    with transaction.atomic():
        account_locks.lock_user(user.pk)
        search = _own(user, search_id)  # another person's or a missing one is a 404 first
        name = _clean_name(name)
        _name_free(user, name, besides=search.pk)
        search.name, search.alerts = name, alerts
        search.save(update_fields=["name", "alerts"])
    return search


def delete(*, user: User, search_id: int) -> None:
    _own(user, search_id).delete()


def of(user: User) -> list[SavedSearch]:
    return list(SavedSearch.objects.filter(user=user))


# --- alerts -----------------------------------------------------------------------------


def _claim_scans(lot_ids: list[int], now: datetime) -> list[int]:
    """Insert the lots' scan rows; the ids whose row this call inserted are the lots it owns.

    Not a row lock: the unique key makes a racing insert of the same lot wait for this
    transaction and then insert nothing."""
    table = LotAlertScan._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"INSERT INTO {table} (lot_id, scanned_at) "
                "SELECT unnest(%s::bigint[]), %s ON CONFLICT DO NOTHING RETURNING lot_id",
                [lot_ids, now],
            )
            return [row[0] for row in cursor.fetchall()]
        claimed = []
        for lot_id in lot_ids:  # the embedded SQLite: one writer at a time anyway
            cursor.execute(
                f"INSERT INTO {table} (lot_id, scanned_at) VALUES (%s, %s) "  # noqa: S608
                "ON CONFLICT DO NOTHING RETURNING lot_id",
                [lot_id, now],
            )
            claimed += [row[0] for row in cursor.fetchall()]
        return claimed


def match_new_lots(now: datetime) -> int:
    """Compare newly published lots with every saved search that alerts; returns alerts made."""
    with transaction.atomic():
        waiting = list(
            Lot.objects.filter(auction__status__in=LIVE, status__in=NEW)
            .exclude(pk__in=LotAlertScan.objects.values("lot_id"))
            .order_by("pk")
            .values_list("pk", flat=True)[:BATCH]
        )
        if not waiting:
            return 0
        claimed = _claim_scans(waiting, now)
        if not claimed:
            return 0
        published = dict(
            Lot.objects.filter(pk__in=claimed).values_list("pk", "auction__published_at")
        )
        by_query: dict[str, list[SavedSearch]] = defaultdict(list)
        for search in SavedSearch.objects.filter(alerts=True, user__is_active=True):
            by_query[search.query].append(search)
        alerts: list[SearchAlert] = []
        for query, searches in by_query.items():
            filters = catalog.Filters.from_query(QueryDict(query))
            matching = set(
                catalog.search(filters, now=now).filter(pk__in=claimed).values_list("pk", flat=True)
            )
            for search in searches:
                for lot_id in matching:
                    moment = published.get(lot_id)
                    if moment is not None and moment >= search.created_at:
                        alerts.append(SearchAlert(search=search, lot_id=lot_id, created_at=now))
        SearchAlert.objects.bulk_create(alerts, ignore_conflicts=True)
    return len(alerts)


@dataclass
class _Email:
    to: str
    subject: str
    body: str
    covers: list[int]


def _lot_line(lot: Lot) -> str:
    url = f"{settings.SITE_URL.rstrip('/')}{reverse('auction:lot', args=[lot.pk])}"
    court = lot.auction.court
    opening = Money(lot.opening_minor, lot.currency).format()
    return _("%(title)s: opening price %(price)s, opens %(when)s\n%(url)s") % {
        "title": lot.asset.title,
        "price": opening,
        "when": format_moment(lot.starts_at, court),
        "url": url,
    }


def _email_for(user: User, alerts: list[SearchAlert]) -> _Email:
    with translation.override(user.preferred_language or "ar"):
        by_search: dict[int, list[SearchAlert]] = defaultdict(list)
        for alert in alerts:
            by_search[alert.search_id].append(alert)
        searches = {alert.search_id: alert.search for alert in alerts}
        if len(searches) == 1:
            only = next(iter(searches.values()))
            subject = _("Mazad: new lots match “%(name)s”") % {"name": only.name}
        else:
            subject = _("Mazad: new lots match your saved searches")
        parts = [_("New lots were published that match your saved searches.")]
        for search_id, found in by_search.items():
            search = searches[search_id]
            lines = [_("“%(name)s”:") % {"name": search.name}]
            lines += [_lot_line(alert.lot) for alert in found]
            parts.append("\n\n".join(lines))
        manage = f"{settings.SITE_URL.rstrip('/')}{reverse('auction:saved_searches')}"
        parts.append(
            _("To stop these e-mails, turn alerts off on your saved searches: %(url)s")
            % {"url": manage}
        )
        return _Email(user.email, subject, "\n\n".join(parts), [a.pk for a in alerts])


def deliver_alerts(now: datetime) -> int:
    """E-mail the alerts not yet sent, one e-mail per person; returns the alerts claimed."""
    with transaction.atomic():
        claimed = locks.claim_search_alerts(BATCH)
        if not claimed:
            return 0
        SearchAlert.objects.filter(pk__in=claimed).update(claimed_at=now)
    alerts = (
        SearchAlert.objects.filter(pk__in=claimed)
        .select_related("search__user", "lot__asset", "lot__auction__court")
        .order_by("search_id", "lot__starts_at", "lot_id")
    )
    per_user: dict[int, list[SearchAlert]] = defaultdict(list)
    users: dict[int, User] = {}
    for alert in alerts:
        user = alert.search.user
        if user.is_active and user.email:
            per_user[user.pk].append(alert)
            users[user.pk] = user
    emails = [_email_for(users[user_id], found) for user_id, found in per_user.items()]
    sent = _send(emails)
    if sent:
        SearchAlert.objects.filter(pk__in=sent).update(emailed_at=now)
    return len(claimed)


def _send(emails: list[_Email]) -> list[int]:
    """Send over one connection; the alerts of the e-mails that left. A failure is logged."""
    if not emails:
        return []
    sent: list[int] = []
    count = 0
    try:
        with get_connection() as mail:
            for email in emails:
                try:
                    EmailMessage(
                        email.subject, email.body, None, [email.to], connection=mail
                    ).send()
                except Exception:
                    logger.warning("search alerts %s not e-mailed", email.covers, exc_info=True)
                else:
                    sent += email.covers
                    count += 1
    except Exception:
        logger.warning("no search alert sent: the mail connection failed", exc_info=True)
    metrics.email_sent("search_alert", count)
    metrics.email_failed("search_alert", len(emails) - count)
    return sent


def summary(search: SavedSearch) -> list[tuple[str, str]]:
    """The search's text and filters as (label, value) pairs, in the active language."""
    filters = filters_of(search)
    kinds = {
        "VEHICLE": _("Vehicles"),
        "REAL_ESTATE": _("Real estate"),
        "MOVABLE": _("Movable property"),
    }
    statuses = {"open": _("Open now"), "upcoming": _("Upcoming"), "ended": _("Ended")}
    sorts = {
        "newest": _("Newest"),
        "price_low": _("Price: low to high"),
        "price_high": _("Price: high to low"),
    }
    shown: list[tuple[str, Any]] = [
        (_("Search"), filters.q),
        (_("Kind"), kinds.get(filters.kind, "")),
        (_("City"), filters.city),
        (_("Status"), statuses.get(filters.status, "")),
        (_("Price from"), filters.price_min),
        (_("Price to"), filters.price_max),
        (_("Ending within the hour"), _("yes") if filters.ending_soon else ""),
        (_("Sort"), sorts.get(filters.sort, "")),
    ]
    return [(label, str(value)) for label, value in shown if value]
