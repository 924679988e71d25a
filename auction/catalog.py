"""Reads behind the public pages: the catalog's search and filters, a lot page, "my auctions".

The catalog stays fast with a hundred thousand lots: pages are found by keyset
(core/pagination.py) on indexed orders, the text search is PostgreSQL's (auction/search.py),
the total is estimated above a thousand, and each page's first photos come in one query.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import (
    Case,
    Count,
    Exists,
    IntegerField,
    Max,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.http import HttpRequest, QueryDict
from django.utils.http import url_has_allowed_host_and_scheme

from accounts.models import User
from accounts.organisations import CURRENCIES, Court
from auction import search as text_search
from auction.models import Auction, Lot, Registration, SaleRules, Watch
from core import formatting, http_cache
from core.forms import parse_money
from core.money import Money, exponent
from core.pagination import Key, Keyset
from enforcement import selectors
from enforcement.models import AssetPhoto, SeizedAsset
from payments.models import Payment

CURRENCY_CODES = [code for code, _label in CURRENCIES]

VISIBLE = [Auction.Status.PUBLISHED, Auction.Status.LIVE, Auction.Status.CLOSED]
ENDING_SOON = timedelta(hours=1)
STATUSES = ("open", "upcoming", "ended")
KINDS = ("VEHICLE", "REAL_ESTATE", "MOVABLE")
SORTS = ("relevance", "ending", "newest", "price_low", "price_high")
CITIES_SECONDS = 60


@dataclass(frozen=True)
class Filters:
    q: str = ""
    kind: str = ""
    city: str = ""
    status: str = ""
    ending_soon: bool = False
    price_min: str = ""
    price_max: str = ""
    sort: str = "ending"

    @classmethod
    def from_query(cls, query: QueryDict) -> Filters:
        def pick(name: str, allowed: tuple[str, ...]) -> str:
            value = query.get(name, "")
            return value if value in allowed else ""

        q = text_search.clean(query.get("q", ""))
        # A query naming a plate, VIN or deed number is read best match first unless another
        # order is chosen; words keep the catalog's order (auction/search.py).
        ranked = q and text_search.names_an_identifier(q)
        sort = pick("sort", SORTS) or ("relevance" if ranked else "ending")
        sort = "ending" if sort == "relevance" and not q else sort
        return cls(
            q=q,
            kind=pick("kind", KINDS),
            city=text_search.clean(query.get("city", "")),
            status=pick("status", STATUSES),
            ending_soon=query.get("ending_soon") == "1",
            price_min=text_search.clean(query.get("price_min", ""))[:20],
            price_max=text_search.clean(query.get("price_max", ""))[:20],
            sort=sort,
        )

    @property
    def active(self) -> bool:
        return any(
            [
                self.q,
                self.kind,
                self.city,
                self.status,
                self.ending_soon,
                self.price_min,
                self.price_max,
            ]
        )


def _thousandths(text: str) -> int | None:
    """A typed price bound in major units, in thousandths; None when empty or unusable."""
    if not text:
        return None
    try:
        return parse_money(text, "KWD").amount_minor
    except ValidationError:  # an unusable bound is ignored, never an error page
        return None


def _price_bound(thousandths: int, *, lower: bool) -> Q:
    """Lots whose shown price is on the right side of a bound, each in its own currency's units."""
    condition = Q()
    for places in (0, 2, 3):
        divisor = 10 ** (3 - places)
        bound = -(-thousandths // divisor) if lower else thousandths // divisor
        currencies = [c for c in CURRENCY_CODES if exponent(c) == places]
        lookup = {"shown_price__gte" if lower else "shown_price__lte": bound}
        condition |= Q(currency__in=currencies, **lookup)
    return condition


def _visible() -> QuerySet[Lot]:
    return Lot.objects.filter(auction__status__in=VISIBLE).annotate(
        shown_price=Coalesce("price_minor", "opening_minor")
    )


def _filtered(filters: Filters, *, now: datetime) -> QuerySet[Lot]:
    """The visible lots the filters and the query keep, without an order."""
    lots = _visible()
    if filters.q:
        lots = text_search.matching(lots, filters.q)
    if filters.kind:
        lots = lots.filter(asset__kind=filters.kind)
    if filters.city:
        lots = lots.filter(
            Q(asset__city__iexact=filters.city) | Q(auction__court__city__iexact=filters.city)
        )
    if filters.status == "open":
        lots = lots.filter(status=Lot.Status.OPEN)
    elif filters.status == "upcoming":
        lots = lots.filter(status=Lot.Status.SCHEDULED)
    elif filters.status == "ended":
        lots = lots.filter(status__in=ENDED)
    if filters.ending_soon:
        lots = lots.filter(status=Lot.Status.OPEN, ends_at__lte=now + ENDING_SOON)
    low, high = _thousandths(filters.price_min), _thousandths(filters.price_max)
    if low is not None:
        lots = lots.filter(_price_bound(low, lower=True))
    if high is not None:
        lots = lots.filter(_price_bound(high, lower=False))
    return lots


@dataclass(frozen=True)
class Listing:
    """The catalog's lots for some filters: segments walked in order, their keys, the total."""

    segments: list[QuerySet[Lot]]
    keyset: Keyset
    everything: QuerySet[Lot]


ENDED = [Lot.Status.SOLD, Lot.Status.UNSOLD, Lot.Status.WITHDRAWN]
BY_END = Keyset((Key("ends_at", "datetime"), Key("pk")))
ORDERS = {
    "relevance": Keyset((Key("relevance", "float"), Key("pk")), descending=True),
    "newest": Keyset((Key("published", "datetime"), Key("pk")), descending=True),
    "price_low": Keyset((Key("shown_price"), Key("pk"))),
    "price_high": Keyset((Key("shown_price"), Key("pk")), descending=True),
}
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def listing(filters: Filters, *, now: datetime) -> Listing:
    """The catalog's lots in the chosen order, as keyset segments (core/pagination.py).

    "Ending first" walks three segments, each read from an index on (status, end): open lots
    soonest end first, then upcoming ones, then ended ones.
    """
    lots = _filtered(filters, now=now)
    if filters.sort == "ending":
        segments = [
            lots.filter(status=Lot.Status.OPEN),
            lots.filter(status=Lot.Status.SCHEDULED),
            lots.filter(status__in=ENDED),
        ]
        return Listing(segments, BY_END, lots)
    if filters.sort == "newest":
        lots = lots.annotate(published=Coalesce("auction__published_at", Value(EPOCH)))
    return Listing([lots], ORDERS[filters.sort], lots)


def search(filters: Filters, *, now: datetime) -> QuerySet[Lot]:
    """The catalog's lots in the chosen order, as one queryset (the page reads `listing`)."""
    found = listing(filters, now=now)
    if filters.sort == "ending":
        rank = Case(
            When(status=Lot.Status.OPEN, then=Value(0)),
            When(status=Lot.Status.SCHEDULED, then=Value(1)),
            default=Value(2),
            output_field=IntegerField(),
        )
        return found.everything.annotate(rank=rank).order_by("rank", "ends_at", "pk")
    return found.everything.order_by(*found.keyset.order())


def with_photos(lots: list[Lot]) -> list[Lot]:
    """Sets each lot's `photo_id` (its asset's first photo, or None) in one query."""

    first = dict(
        AssetPhoto.objects.filter(asset_id__in={lot.asset_id for lot in lots})
        .values("asset_id")
        .annotate(first=Min("pk"))
        .values_list("asset_id", "first")
    )
    for lot in lots:
        lot.photo_id = first.get(lot.asset_id)  # type: ignore[attr-defined]
    return lots


# What a card shows that changes while a lot is listed: its price and bids (the sequence
# number moves with each), its status and times. The keyset reads only these.
CARD_FIELDS = (
    "pk", "seq", "status", "price_minor", "opening_minor", "starts_at", "ends_at",
    "closed_at", "auction_id", "asset_id",
)  # fmt: skip


def fingerprint(lots: list[Lot], *, now: datetime) -> tuple[Any, ...]:
    """What a page of cards shows, as a value: equal fingerprints render equal cards.

    An open lot's card shows the time left ("2 days, 3 hours"), so what that says now is
    part of it; an upcoming lot's shows its opening time, which the clock does not move.
    """
    rows = tuple(
        (lot.pk, lot.seq, lot.status, lot.price_minor, lot.starts_at, lot.ends_at, lot.closed_at)
        for lot in lots
    )
    left = tuple(formatting.remaining_units(lot.ends_at - now) for lot in _counting(lots))
    return rows, left


def changes_at(lots: list[Lot], *, now: datetime) -> datetime | None:
    """When a page of these cards next reads otherwise by the clock alone: the first moment an
    open lot's time left says something else (`fingerprint`), or None."""
    moments = [formatting.remaining_changes_at(lot.ends_at, now) for lot in _counting(lots)]
    return min((moment for moment in moments if moment is not None), default=None)


def _counting(lots: list[Lot]) -> list[Lot]:
    return [lot for lot in lots if lot.status == Lot.Status.OPEN and lot.ends_at is not None]


def cards(lots: list[Lot]) -> list[Lot]:
    """The page's lots with everything their cards show, in the page's order."""
    found = (
        Lot.objects.select_related("auction", "auction__court", "asset")
        .annotate(shown_price=Coalesce("price_minor", "opening_minor"))
        .in_bulk([lot.pk for lot in lots])
    )
    return with_photos([found[lot.pk] for lot in lots if lot.pk in found])


def cities() -> list[str]:
    """The cities of visible lots' assets, for the filter (cached a minute: a scan of the lots)."""

    def read() -> list[str]:
        listed = SeizedAsset.objects.filter(lots__auction__status__in=VISIBLE).exclude(city="")
        # No order: the assets' default order would make DISTINCT sort every listed asset.
        return sorted(listed.order_by().values_list("city", flat=True).distinct())

    # Keyed by the visible auctions' count and latest publication: a publication is a new key.
    shown = Auction.objects.filter(status__in=VISIBLE).aggregate(
        n=Count("pk"), at=Max("published_at")
    )
    key = f"catalog:cities:{shown['n']}:{shown['at'] and shown['at'].timestamp()}"
    found: list[str] = http_cache.cached_value(key, read, CITIES_SECONDS)
    return found


def public_lot(lot_id: int) -> Lot | None:
    related = ("auction", "auction__court", "asset", "asset__file", "leader")
    return (
        Lot.objects.select_related(*related).filter(pk=lot_id, auction__status__in=VISIBLE).first()
    )


def seqs(lot_ids: list[int]) -> dict[int, int]:
    """The lots' sequence numbers now (each bid moves its lot's): has a page's price moved?"""
    if not lot_ids:
        return {}
    return dict(Lot.objects.filter(pk__in=lot_ids).values_list("pk", "seq"))


def lot_fingerprint(lot: Lot) -> tuple[Any, ...]:
    """What a lot's page shows of the lot, its auction and its asset, as a value."""

    def fields(row: Any) -> tuple[Any, ...]:
        return tuple(sorted((k, repr(v)) for k, v in vars(row).items() if not k.startswith("_")))

    return fields(lot), fields(lot.auction), fields(lot.asset), fields(lot.auction.court)


def increment_rows(lot: Lot) -> list[tuple[Money, Money]]:
    bands = (lot.auction.rules or {}).get("increments", [])
    return [
        (Money(int(b["from_minor"]), lot.currency), Money(int(b["increment_minor"]), lot.currency))
        for b in bands
    ]


def appraisal_of(asset: Any) -> Money | None:

    appraisal = selectors.latest_appraisal(asset)
    return Money(appraisal.value_minor, appraisal.currency) if appraisal else None


def deposit_payment(registration: Registration | None) -> Any:

    if registration is None or not registration.deposit_reference:
        return None
    return Payment.objects.filter(public_id=registration.deposit_reference).first()


@dataclass(frozen=True)
class MyRow:
    registration: Registration
    lot: Lot
    standing: str  # leading | outbid | won | lost | not_bidding | upcoming | withdrawn


def _standing(registration: Registration, lot: Lot) -> str:
    leads = lot.leader_id == registration.pk
    if lot.status == Lot.Status.SOLD:
        return "won" if leads else "lost"
    if lot.status in (Lot.Status.UNSOLD,):
        return "lost"
    if lot.status == Lot.Status.WITHDRAWN:
        return "withdrawn"
    if lot.status == Lot.Status.SCHEDULED:
        return "upcoming"
    if leads:
        return "leading"
    return "outbid" if registration.bids.exists() else "not_bidding"


def my_rows(user: User) -> list[MyRow]:
    registrations = (
        Registration.objects.filter(bidder=user)
        .select_related("lot", "lot__auction", "lot__auction__court", "lot__asset")
        .order_by("-created_at")
    )
    return [MyRow(r, r.lot, _standing(r, r.lot)) for r in registrations]


def watched(user: User) -> QuerySet[Lot]:
    return (
        Lot.objects.filter(Exists(Watch.objects.filter(user=user, lot=OuterRef("pk"))))
        .select_related("auction", "auction__court", "asset")
        .order_by("ends_at")
    )


def safe_next(request: HttpRequest) -> str:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return ""


@dataclass(frozen=True)
class CourtRules:
    """A court's current rules of sale as the public help pages show them."""

    court: Any
    rules: SaleRules
    increments: list[tuple[Money, Money]]


def public_rules() -> list[CourtRules]:
    """Every court's rules of sale now (a running auction keeps the snapshot it was published with).

    A court that never edited its rules sells under the defaults, shown without being saved.
    """

    saved = {rules.court_id: rules for rules in SaleRules.objects.all()}
    found = []
    for court in Court.objects.order_by("code"):
        rules = saved.get(court.pk) or SaleRules(court=court)
        currency = court.currency
        bands = [
            (Money(int(b["from_minor"]), currency), Money(int(b["increment_minor"]), currency))
            for b in rules.snapshot()["increments"]
        ]
        found.append(CourtRules(court, rules, bands))
    return found
