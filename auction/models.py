"""Auctions, lots, registrations and bids, with the database constraints that back the rules."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import F, Q
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

DEFAULT_INCREMENTS = [
    {"from_minor": 0, "increment_minor": 50_000},
    {"from_minor": 10_000_000, "increment_minor": 100_000},
    {"from_minor": 100_000_000, "increment_minor": 500_000},
]


class SaleRules(models.Model):
    """A court's rules for its sales, editable by supervisors.

    Each auction takes a snapshot when it is published (`Auction.rules`), so a
    later edit never changes a running sale. Percentages are in basis points
    (1 % = 100) so that no float ever appears.
    """

    class VatBase(models.TextChoices):
        PREMIUM = "PREMIUM", _("The buyer's premium")
        PRICE_AND_PREMIUM = "PRICE_AND_PREMIUM", _("The price and the buyer's premium")

    court = models.OneToOneField(
        "accounts.Court",
        on_delete=models.CASCADE,
        related_name="sale_rules",
        verbose_name=_("court"),
    )
    notice_days = models.PositiveSmallIntegerField(
        _("notice period (days between publication and opening)"), default=10
    )
    opening_percent_bp = models.PositiveIntegerField(
        _("opening price (basis points of the appraisal)"), default=8_000
    )
    deposit_percent_bp = models.PositiveIntegerField(
        _("deposit (basis points of the opening price)"), default=1_000
    )
    increments = models.JSONField(_("increment table"), default=list, encoder=DjangoJSONEncoder)
    soft_close_window_seconds = models.PositiveIntegerField(
        _("soft-close window (seconds)"), default=180
    )
    soft_close_extension_seconds = models.PositiveIntegerField(
        _("extension (seconds)"), default=180
    )
    soft_close_cap_seconds = models.PositiveIntegerField(
        _("cap on total extension (seconds)"), null=True, blank=True
    )
    premium_bp = models.PositiveIntegerField(_("buyer's premium (basis points)"), default=250)
    vat_bp = models.PositiveIntegerField(_("VAT (basis points)"), default=1_500)
    vat_base = models.CharField(
        _("VAT applies to"), max_length=20, choices=VatBase.choices, default=VatBase.PREMIUM
    )
    payment_deadline_days = models.PositiveSmallIntegerField(
        _("payment deadline (days)"), default=5
    )
    round_reduction_bp = models.PositiveIntegerField(
        _("price reduction for each further round (basis points)"), default=2_000
    )
    max_rounds = models.PositiveSmallIntegerField(_("number of rounds"), default=3)
    # The opening price of each further round as a share of the appraisal, in basis points:
    # the first entry for round 2, the next for round 3... A round without an entry opens at
    # the previous round's opening less `round_reduction_bp`.
    round_opening_bp = models.JSONField(
        _("opening price of each further round (basis points of the appraisal)"),
        default=list,
        blank=True,
        encoder=DjangoJSONEncoder,
    )
    objection_days = models.PositiveSmallIntegerField(
        _("days after the close in which a result may be objected to"), default=0
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("updated by"),
    )

    class Meta:
        verbose_name = _("sale rules")
        verbose_name_plural = _("sale rules")
        constraints = [
            models.CheckConstraint(
                condition=Q(opening_percent_bp__gt=0, opening_percent_bp__lte=20_000),
                name="auction_rules_opening_percent_range",
            ),
            models.CheckConstraint(
                condition=Q(deposit_percent_bp__lte=10_000),
                name="auction_rules_deposit_at_most_opening",
            ),
            models.CheckConstraint(
                condition=Q(soft_close_extension_seconds__gt=0),
                name="auction_rules_extension_positive",
            ),
            models.CheckConstraint(condition=Q(max_rounds__gte=1), name="auction_rules_one_round"),
            models.CheckConstraint(
                condition=Q(round_reduction_bp__lt=10_000), name="auction_rules_reduction_below_100"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.court_id}"

    def snapshot(self) -> dict[str, Any]:
        """What an auction keeps when it is published."""
        return {
            "notice_days": self.notice_days,
            "opening_percent_bp": self.opening_percent_bp,
            "deposit_percent_bp": self.deposit_percent_bp,
            "increments": self.increments or DEFAULT_INCREMENTS,
            "soft_close_window_seconds": self.soft_close_window_seconds,
            "soft_close_extension_seconds": self.soft_close_extension_seconds,
            "soft_close_cap_seconds": self.soft_close_cap_seconds,
            "premium_bp": self.premium_bp,
            "vat_bp": self.vat_bp,
            "vat_base": self.vat_base,
            "payment_deadline_days": self.payment_deadline_days,
            "round_reduction_bp": self.round_reduction_bp,
            "max_rounds": self.max_rounds,
            "round_opening_bp": [int(bp) for bp in self.round_opening_bp or []],
            "objection_days": self.objection_days,
        }


class Auction(models.Model):
    """A sale session of a court: its lots open and close within it."""

    class Status(models.TextChoices):
        DRAFT = "DRAFT", _("Draft")
        PUBLISHED = "PUBLISHED", _("Published")
        LIVE = "LIVE", _("Live")
        CLOSED = "CLOSED", _("Closed")
        CANCELLED = "CANCELLED", _("Cancelled")

    court = models.ForeignKey(
        "accounts.Court",
        on_delete=models.PROTECT,
        related_name="auctions",
        verbose_name=_("court"),
    )
    number = models.CharField(_("number"), max_length=32, unique=True)
    title_ar = models.CharField(_("title in Arabic"), max_length=200)
    title_en = models.CharField(_("title in English"), max_length=200)
    description_ar = models.TextField(_("description in Arabic"), blank=True)
    description_en = models.TextField(_("description in English"), blank=True)
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.DRAFT, db_index=True
    )
    starts_at = models.DateTimeField(_("opens"))
    ends_at = models.DateTimeField(_("closes"))
    published_at = models.DateTimeField(_("published"), null=True, blank=True)
    rules = models.JSONField(
        _("sale rules (snapshot)"), null=True, blank=True, encoder=DjangoJSONEncoder
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    # Cancelling the whole sale is proposed by staff and approved by a judge (a supervisor).
    cancellation_reason = models.TextField(_("reason for cancellation"), blank=True)
    cancellation_proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("cancellation proposed by"),
    )
    cancellation_proposed_at = models.DateTimeField(
        _("cancellation proposed"), null=True, blank=True
    )
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("cancellation approved by"),
    )
    cancelled_at = models.DateTimeField(_("cancelled"), null=True, blank=True)

    class Meta:
        verbose_name = _("auction")
        verbose_name_plural = _("auctions")
        ordering = ["-starts_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["DRAFT", "PUBLISHED", "LIVE", "CLOSED", "CANCELLED"]),
                name="auction_auction_status_known",
            ),
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="auction_auction_ends_after_start"
            ),
            models.CheckConstraint(
                condition=Q(status="DRAFT") | Q(rules__isnull=False),
                name="auction_auction_published_has_rules",
            ),
            models.CheckConstraint(
                condition=~Q(status="CANCELLED", cancelled_at__isnull=False)
                | ~Q(cancellation_reason=""),
                name="auction_auction_cancellation_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    @property
    def title(self) -> str:
        return self.title_ar if (get_language() or "ar").startswith("ar") else self.title_en

    @property
    def description(self) -> str:
        ar = (get_language() or "ar").startswith("ar")
        return self.description_ar if ar else self.description_en


class Lot(models.Model):
    """One approved asset on sale within an auction; the row every bid and the close lock."""

    class Status(models.TextChoices):
        SCHEDULED = "SCHEDULED", _("Scheduled")
        OPEN = "OPEN", _("Open for bidding")
        SOLD = "SOLD", _("Sold")
        UNSOLD = "UNSOLD", _("Unsold")
        WITHDRAWN = "WITHDRAWN", _("Withdrawn")

    class Outcome(models.TextChoices):
        SOLD = "SOLD", _("Sold")
        UNSOLD_NO_BIDS = "UNSOLD_NO_BIDS", _("Unsold: no bids")
        UNSOLD_RESERVE_NOT_MET = "UNSOLD_RESERVE_NOT_MET", _("Unsold: reserve not met")
        WITHDRAWN = "WITHDRAWN", _("Withdrawn")
        BUYER_DEFAULTED = "BUYER_DEFAULTED", _("Unsold: the buyers did not pay")
        AUCTION_CANCELLED = "AUCTION_CANCELLED", _("The auction was cancelled")
        SALE_ANNULLED = "SALE_ANNULLED", _("Unsold: the sale was annulled by the court")

    auction = models.ForeignKey(
        Auction, on_delete=models.PROTECT, related_name="lots", verbose_name=_("auction")
    )
    asset = models.ForeignKey(
        "enforcement.SeizedAsset",
        on_delete=models.PROTECT,
        related_name="lots",
        verbose_name=_("asset"),
    )
    number = models.PositiveIntegerField(_("lot number"))
    round = models.PositiveSmallIntegerField(_("round"), default=1)
    currency = models.CharField(_("currency"), max_length=3)
    opening_minor = models.BigIntegerField(_("opening price"))
    reserve_minor = models.BigIntegerField(_("reserve price"), null=True, blank=True)
    deposit_minor = models.BigIntegerField(_("deposit"))
    price_minor = models.BigIntegerField(_("current price"), null=True, blank=True)
    # No index on the leader: nothing looks lots up by it, and without one the update a bid
    # batch makes to its lot changes no indexed column, so PostgreSQL writes it in place (HOT)
    # instead of adding an entry to each of the lot's indexes.
    leader = models.ForeignKey(
        "auction.Registration",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("leader"),
        db_index=False,
    )
    leader_order = models.BigIntegerField(default=0)
    bid_count = models.PositiveIntegerField(_("bids"), default=0)
    # The sequence number of the last bid (annulled ones included): every frame watchers get
    # carries it, and a page that reconnects resumes from it.
    seq = models.PositiveBigIntegerField(_("sequence"), default=0)
    starts_at = models.DateTimeField(_("opens"))
    ends_at = models.DateTimeField(_("closes"), db_index=True)
    original_ends_at = models.DateTimeField(_("originally closes"))
    # Looked up through the (status, starts_at) and (status, ends_at) indexes.
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.SCHEDULED
    )
    outcome = models.CharField(_("outcome"), max_length=24, choices=Outcome.choices, blank=True)
    opened_at = models.DateTimeField(_("opened"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    # A close is decided at the end (status, winner, lot_closed to watchers) and settled just
    # after (deposits, the asset, the buyer's balance), in a transaction of its own; this is
    # when the settlement committed. A closed lot without it is settled by the next clock.
    settled_at = models.DateTimeField(_("settled"), null=True, blank=True)
    withdrawn_reason = models.TextField(_("reason for withdrawal"), blank=True)
    previous_lot = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="next_rounds",
        verbose_name=_("previous round"),
    )

    class Meta:
        verbose_name = _("lot")
        verbose_name_plural = _("lots")
        ordering = ["auction", "number"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["SCHEDULED", "OPEN", "SOLD", "UNSOLD", "WITHDRAWN"]),
                name="auction_lot_status_known",
            ),
            models.CheckConstraint(
                condition=Q(
                    outcome__in=[
                        "",
                        "SOLD",
                        "UNSOLD_NO_BIDS",
                        "UNSOLD_RESERVE_NOT_MET",
                        "WITHDRAWN",
                        "BUYER_DEFAULTED",
                        "AUCTION_CANCELLED",
                        "SALE_ANNULLED",
                    ]
                ),
                name="auction_lot_outcome_known",
            ),
            models.UniqueConstraint(fields=["auction", "number"], name="auction_lot_number_unique"),
            models.UniqueConstraint(
                fields=["asset"],
                condition=Q(status__in=["SCHEDULED", "OPEN"]),
                name="auction_lot_asset_on_sale_once",
            ),
            models.CheckConstraint(
                condition=Q(opening_minor__gt=0), name="auction_lot_opening_positive"
            ),
            models.CheckConstraint(
                condition=Q(deposit_minor__gte=0), name="auction_lot_deposit_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(price_minor__isnull=True) | Q(price_minor__gte=F("opening_minor")),
                name="auction_lot_price_at_least_opening",
            ),
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="auction_lot_ends_after_start"
            ),
            models.CheckConstraint(
                condition=Q(ends_at__gte=F("original_ends_at")),
                name="auction_lot_end_never_earlier",
            ),
            models.CheckConstraint(
                condition=Q(bid_count=0) | Q(leader__isnull=False),
                name="auction_lot_bids_have_a_leader",
            ),
            models.CheckConstraint(
                condition=~Q(status="SOLD") | Q(leader__isnull=False),
                name="auction_lot_sold_has_a_winner",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "ends_at"]),
            models.Index(fields=["status", "starts_at"]),
            models.Index(
                fields=["closed_at"],
                condition=Q(settled_at__isnull=True, status__in=["SOLD", "UNSOLD"]),
                name="auction_lot_to_settle",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.auction.number}/{self.number}"

    @property
    def reference(self) -> str:
        return f"{self.auction.number}/L{self.number}"


class Registration(models.Model):
    """A bidder's participation in one lot: their paddle number and their deposit."""

    class Deposit(models.TextChoices):
        PENDING = "PENDING", _("Deposit pending")
        HELD = "HELD", _("Deposit held")
        APPLIED = "APPLIED", _("Deposit applied to the price")
        REFUNDED = "REFUNDED", _("Deposit refunded")
        FORFEITED = "FORFEITED", _("Deposit forfeited")

    lot = models.ForeignKey(
        Lot, on_delete=models.PROTECT, related_name="registrations", verbose_name=_("lot")
    )
    bidder = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="registrations",
        verbose_name=_("bidder"),
    )
    # A representative bidding for a company (with a valid power of attorney, checked when
    # registering and at every bid); deposits, invoices and the sale are in its name.
    company = models.ForeignKey(
        "accounts.Company",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="registrations",
        verbose_name=_("for the company"),
    )
    paddle = models.PositiveIntegerField(_("paddle number"))
    deposit_status = models.CharField(
        _("deposit"), max_length=10, choices=Deposit.choices, default=Deposit.PENDING
    )
    deposit_reference = models.CharField(_("deposit payment"), max_length=64, blank=True)
    deposit_changed_at = models.DateTimeField(_("deposit changed"), null=True, blank=True)
    keep_deposit_reserved = models.BooleanField(
        _("keep my deposit reserved if I am outbid"), null=True, blank=True
    )
    auto_max_minor = models.BigIntegerField(_("automatic bid maximum"), null=True, blank=True)
    auto_order = models.BigIntegerField(default=0)
    created_at = models.DateTimeField(_("registered"), auto_now_add=True)
    # Set when the bidder became a party to the asset's enforcement file after registering:
    # from then on every bid of theirs is refused (`excluded_party`).
    revoked_at = models.DateTimeField(_("registration revoked"), null=True, blank=True)
    # The budget the bidder's automatic bids on this lot share with their other chosen lots.
    budget = models.ForeignKey(
        "auction.Budget",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="registrations",
        verbose_name=_("budget"),
    )

    class Meta:
        verbose_name = _("registration")
        verbose_name_plural = _("registrations")
        ordering = ["lot", "paddle"]
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    deposit_status__in=["PENDING", "HELD", "APPLIED", "REFUNDED", "FORFEITED"]
                ),
                name="auction_registration_deposit_known",
            ),
            models.UniqueConstraint(fields=["lot", "bidder"], name="auction_registration_once"),
            models.UniqueConstraint(fields=["lot", "paddle"], name="auction_paddle_unique_in_lot"),
            models.CheckConstraint(
                condition=Q(auto_max_minor__isnull=True) | Q(auto_max_minor__gt=0),
                name="auction_registration_auto_max_positive",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.paddle}"


class Bid(models.Model):
    """An accepted bid. Refused bids are never written; annulled ones stay, marked."""

    class Source(models.TextChoices):
        MANUAL = "MANUAL", _("Manual")
        AUTOMATIC = "AUTOMATIC", _("Automatic")

    # Found through the unique (lot, seq) index: a second index on the lot alone would only
    # cost every bid's insert.
    lot = models.ForeignKey(
        Lot, on_delete=models.PROTECT, related_name="bids", verbose_name=_("lot"), db_index=False
    )
    registration = models.ForeignKey(
        Registration, on_delete=models.PROTECT, related_name="bids", verbose_name=_("registration")
    )
    amount_minor = models.BigIntegerField(_("amount"))
    seq = models.PositiveBigIntegerField(_("sequence"))
    received_at = models.DateTimeField(_("received"))
    source = models.CharField(_("source"), max_length=10, choices=Source.choices)
    # NULL for automatic bids, so the uniqueness per registration applies to real ids only.
    client_id = models.CharField(  # noqa: DJ001
        _("client id"), max_length=64, null=True, blank=True
    )
    is_annulled = models.BooleanField(_("annulled"), default=False)
    annulled_reason = models.TextField(_("reason for annulment"), blank=True)
    annulled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("annulled by"),
    )
    annulled_at = models.DateTimeField(_("annulled"), null=True, blank=True)

    class Meta:
        verbose_name = _("bid")
        verbose_name_plural = _("bids")
        ordering = ["lot", "seq"]
        constraints = [
            models.CheckConstraint(
                condition=Q(source__in=["MANUAL", "AUTOMATIC"]),
                name="auction_bid_source_known",
            ),
            models.UniqueConstraint(fields=["lot", "seq"], name="auction_bid_seq_unique"),
            models.UniqueConstraint(
                fields=["lot", "amount_minor"],
                condition=Q(is_annulled=False),
                name="auction_bid_amount_unique",
            ),
            models.UniqueConstraint(
                fields=["registration", "client_id"],
                condition=Q(client_id__isnull=False),
                name="auction_bid_client_id_once",
            ),
            models.CheckConstraint(
                condition=Q(amount_minor__gt=0), name="auction_bid_amount_positive"
            ),
            models.CheckConstraint(
                condition=Q(is_annulled=False) | ~Q(annulled_reason=""),
                name="auction_bid_annulment_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.lot_id}#{self.seq} {self.amount_minor}"


class Heartbeat(models.Model):
    """The platform's heartbeat, beaten by every web process and every clock.

    When nothing beat for longer than the outage threshold, the platform was
    down: the first beat after it records an Outage, which the clock then
    compensates on the lots whose final minutes it covered.
    """

    name = models.CharField(max_length=40, unique=True)
    beat_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.name} {self.beat_at:%H:%M:%S}"


class Outage(models.Model):
    """A time during which no part of the platform was running."""

    started_at = models.DateTimeField(_("started"))
    ended_at = models.DateTimeField(_("ended"))
    compensated_at = models.DateTimeField(_("compensated"), null=True, blank=True)

    class Meta:
        verbose_name = _("outage")
        verbose_name_plural = _("outages")
        ordering = ["-started_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ended_at__gt=F("started_at")), name="auction_outage_ends_after_start"
            )
        ]

    def __str__(self) -> str:
        return f"{self.started_at:%Y-%m-%d %H:%M:%S} → {self.ended_at:%H:%M:%S}"


class Watch(models.Model):
    """A lot on a user's watchlist; they hear when it is closing soon."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="watches"
    )
    lot = models.ForeignKey(Lot, on_delete=models.CASCADE, related_name="watches")
    created_at = models.DateTimeField(auto_now_add=True)
    closing_notified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "lot"], name="auction_watch_once")]

    def __str__(self) -> str:
        return f"{self.user_id} watches {self.lot_id}"


class Notification(models.Model):
    """An in-app notice (outbid, won, closing soon); won and outbid ones are also e-mailed."""

    class Kind(models.TextChoices):
        OUTBID = "OUTBID", _("Outbid")
        WON = "WON", _("Won")
        CLOSING_SOON = "CLOSING_SOON", _("Closing soon")
        DEPOSIT_HELD = "DEPOSIT_HELD", _("Deposit received")
        REGISTRATION_REVOKED = "REGISTRATION_REVOKED", _("Registration revoked")

    # Found through the (user, read_at) index: a second index on the user alone would only
    # cost every notice's insert, and a hot lot writes one for nearly every bid.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notifications",
        db_index=False,
    )
    lot = models.ForeignKey(Lot, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    price_minor = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)
    pushed_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    kind__in=[
                        "OUTBID",
                        "WON",
                        "CLOSING_SOON",
                        "DEPOSIT_HELD",
                        "REGISTRATION_REVOKED",
                    ]
                ),
                name="auction_notification_kind_known",
            ),
        ]
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["user", "read_at"]),
            # Partial indexes hold only the few rows their readers look for: the notices
            # still to push (the clock's pass), and the outbid ones e-mailed (how recently a
            # bidder was e-mailed about a lot). A delivered notice leaves the first; most
            # notices never enter the second.
            models.Index(
                fields=["created_at"],
                condition=Q(pushed_at__isnull=True),
                name="auction_notice_unpushed",
            ),
            models.Index(
                fields=["user", "lot", "emailed_at"],
                condition=Q(kind="OUTBID", emailed_at__isnull=False),
                name="auction_notice_outbid_mailed",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.lot_id} → {self.user_id}"


class Budget(models.Model):
    """A bidder's cap across lots they chose: "spend at most this across these lots".

    Automatic bids on the chosen lots never commit the bidder beyond it: what they lead
    or won on the chosen lots plus what a robot would raise to stays within the cap
    (`auction.bidding.budget`). The lots are the registrations that point here.
    """

    bidder = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="budgets",
        verbose_name=_("bidder"),
    )
    name = models.CharField(_("name"), max_length=80, blank=True)
    currency = models.CharField(_("currency"), max_length=3)
    cap_minor = models.BigIntegerField(_("spend at most"))
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("budget")
        verbose_name_plural = _("budgets")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(cap_minor__gt=0), name="auction_budget_cap_positive")
        ]

    def __str__(self) -> str:
        return f"{self.bidder_id} {self.cap_minor} {self.currency}"


class RoundProposal(models.Model):
    """Staff propose to offer an unsold lot's asset again in a later draft auction; a judge
    (supervisor) approves it, which adds the next round's lot, or rejects it."""

    class Status(models.TextChoices):
        PROPOSED = "PROPOSED", _("Awaiting the judge")
        APPROVED = "APPROVED", _("Approved")
        REJECTED = "REJECTED", _("Rejected")

    lot = models.ForeignKey(
        Lot, on_delete=models.PROTECT, related_name="round_proposals", verbose_name=_("unsold lot")
    )
    auction = models.ForeignKey(
        Auction,
        on_delete=models.PROTECT,
        related_name="round_proposals",
        verbose_name=_("next auction"),
    )
    round = models.PositiveSmallIntegerField(_("round"))
    opening_minor = models.BigIntegerField(_("opening price"))
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PROPOSED
    )
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("proposed by"),
    )
    proposed_at = models.DateTimeField(_("proposed"), auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    note = models.TextField(_("note"), blank=True)
    new_lot = models.OneToOneField(
        Lot,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("next round's lot"),
    )

    class Meta:
        verbose_name = _("next round proposal")
        verbose_name_plural = _("next round proposals")
        ordering = ["-proposed_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["PROPOSED", "APPROVED", "REJECTED"]),
                name="auction_round_proposal_status_known",
            ),
            models.CheckConstraint(
                condition=Q(opening_minor__gt=0), name="auction_round_proposal_opening_positive"
            ),
            models.UniqueConstraint(
                fields=["lot"],
                condition=Q(status__in=["PROPOSED", "APPROVED"]),
                name="auction_round_proposal_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.lot_id} → {self.auction_id} ({self.status})"


class InspectionSlot(models.Model):
    """A time at which an asset on sale may be viewed, set by the court's staff."""

    asset = models.ForeignKey(
        "enforcement.SeizedAsset",
        on_delete=models.CASCADE,
        related_name="inspection_slots",
        verbose_name=_("asset"),
    )
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))
    capacity = models.PositiveSmallIntegerField(_("places"))
    place = models.CharField(_("meeting place"), max_length=200)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("viewing time")
        verbose_name_plural = _("viewing times")
        ordering = ["starts_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="auction_slot_ends_after_start"
            ),
            models.CheckConstraint(
                condition=Q(capacity__gte=1, capacity__lte=50), name="auction_slot_capacity_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.asset_id} {self.starts_at:%Y-%m-%d %H:%M}"


class ViewingBooking(models.Model):
    """A registered bidder's place at a viewing; cancelled ones stay, marked."""

    slot = models.ForeignKey(
        InspectionSlot, on_delete=models.PROTECT, related_name="bookings", verbose_name=_("time")
    )
    registration = models.ForeignKey(
        Registration,
        on_delete=models.PROTECT,
        related_name="viewings",
        verbose_name=_("registration"),
    )
    created_at = models.DateTimeField(_("booked"), auto_now_add=True)
    cancelled_at = models.DateTimeField(_("cancelled"), null=True, blank=True)
    # When the clock's notice pass claimed the booking's confirmation and its reminder (each once).
    confirmed_at = models.DateTimeField(_("confirmation sent"), null=True, blank=True)
    reminded_at = models.DateTimeField(_("reminder sent"), null=True, blank=True)

    class Meta:
        verbose_name = _("viewing booking")
        verbose_name_plural = _("viewing bookings")
        ordering = ["slot", "created_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["registration"],
                condition=Q(cancelled_at__isnull=True),
                name="auction_viewing_one_per_registration",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.registration_id} at {self.slot_id}"


# Saved searches, their alerts and questions on lots live beside the catalog's code.
from auction.catalog_models import LotAlertScan as LotAlertScan  # noqa: E402
from auction.catalog_models import Question as Question  # noqa: E402
from auction.catalog_models import SavedSearch as SavedSearch  # noqa: E402
from auction.catalog_models import SearchAlert as SearchAlert  # noqa: E402
