"""Reads behind the public pages: the catalog's search and filters, a lot page, "my auctions".

The catalog stays fast with thousands of lots: one query per page, filtered on
indexed columns, with each lot's first photo fetched by a subquery rather than
one query per card.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import HttpRequest, QueryDict
from django.utils.http import url_has_allowed_host_and_scheme

from accounts.models import User
from accounts.organisations import CURRENCIES, Court
from auction.models import Auction, Lot, Registration, SaleRules, Watch
from core.forms import parse_money
from core.money import Money, exponent
from enforcement import selectors
from enforcement.models import AssetPhoto, SeizedAsset
from payments.models import Payment

CURRENCY_CODES = [code for code, _label in CURRENCIES]

VISIBLE = [Auction.Status.PUBLISHED, Auction.Status.LIVE, Auction.Status.CLOSED]
ENDING_SOON = timedelta(hours=1)
STATUSES = ("open", "upcoming", "ended")
KINDS = ("VEHICLE", "REAL_ESTATE", "MOVABLE")
SORTS = ("ending", "newest", "price_low", "price_high")


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

        return cls(
            q=query.get("q", "").strip()[:100],
            kind=pick("kind", KINDS),
            city=query.get("city", "").strip()[:100],
            status=pick("status", STATUSES),
            ending_soon=query.get("ending_soon") == "1",
            price_min=query.get("price_min", "").strip()[:20],
            price_max=query.get("price_max", "").strip()[:20],
            sort=pick("sort", SORTS) or "ending",
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


def _photo() -> Subquery:

    return Subquery(
        AssetPhoto.objects.filter(asset_id=OuterRef("asset_id")).order_by("pk").values("pk")[:1]
    )


def search(filters: Filters, *, now: datetime) -> QuerySet[Lot]:
    lots = (
        Lot.objects.filter(auction__status__in=VISIBLE)
        .select_related("auction", "auction__court", "asset")
        .annotate(photo_id=_photo(), shown_price=Coalesce("price_minor", "opening_minor"))
    )
    if filters.q:
        term = filters.q
        lots = lots.filter(
            Q(asset__title__icontains=term)
            | Q(asset__make__icontains=term)
            | Q(asset__model__icontains=term)
            | Q(asset__district__icontains=term)
            | Q(asset__city__icontains=term)
            | Q(auction__number__icontains=term)
        )
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
        lots = lots.filter(status__in=[Lot.Status.SOLD, Lot.Status.UNSOLD, Lot.Status.WITHDRAWN])
    if filters.ending_soon:
        lots = lots.filter(status=Lot.Status.OPEN, ends_at__lte=now + ENDING_SOON)
    low, high = _thousandths(filters.price_min), _thousandths(filters.price_max)
    if low is not None:
        lots = lots.filter(_price_bound(low, lower=True))
    if high is not None:
        lots = lots.filter(_price_bound(high, lower=False))
    order = {
        "ending": ["status", "ends_at", "pk"],
        "newest": ["-auction__published_at", "-pk"],
        "price_low": ["shown_price", "pk"],
        "price_high": ["-shown_price", "pk"],
    }
    if filters.sort == "ending":
        # Open lots first, soonest end first; then upcoming; then ended.
        from django.db.models import Case, IntegerField, Value, When

        lots = lots.annotate(
            rank=Case(
                When(status=Lot.Status.OPEN, then=Value(0)),
                When(status=Lot.Status.SCHEDULED, then=Value(1)),
                default=Value(2),
                output_field=IntegerField(),
            )
        )
        return lots.order_by("rank", "ends_at", "pk")
    return lots.order_by(*order[filters.sort])


def cities() -> list[str]:

    listed = SeizedAsset.objects.filter(lots__auction__status__in=VISIBLE).exclude(city="")
    return sorted(set(listed.values_list("city", flat=True)))


def query_without_page(query: QueryDict) -> str:
    return urlencode([(k, v) for k, v in query.items() if k != "page"])


def public_lot(lot_id: int) -> Lot | None:
    related = ("auction", "auction__court", "asset", "asset__file", "leader")
    return (
        Lot.objects.select_related(*related).filter(pk=lot_id, auction__status__in=VISIBLE).first()
    )


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
