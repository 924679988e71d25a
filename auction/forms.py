"""Forms of the auction staff pages. Amounts are typed in major units and parsed exactly."""

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from core.forms import parse_money
from core.inputs import TextValidator, validate_schedule
from core.money import exponent

# An ISO currency code typed before or after an amount ("KWD 1,250.500", "1250 sar").
CURRENCY_CODE = re.compile(r"^\s*[A-Za-z]{3}(?![A-Za-z])|(?<![A-Za-z])[A-Za-z]{3}\s*$")


def _currency_code(text: str) -> str | None:
    """The known ISO 4217 code typed with an amount, if any."""
    found = CURRENCY_CODE.search(text)
    if found is None:
        return None
    code = found.group(0).strip().upper()
    try:
        exponent(code)
    except ValueError:
        return None
    return code


ARABIC_DECIMALS = str.maketrans("٠١٢٣٤٥٦٧٨٩٫", "0123456789.")


class MoneyField(forms.CharField):
    """An amount typed by a person, e.g. "1,250.500"; cleans to integer minor units."""

    def __init__(self, *, currency: str = "SAR", **kwargs: Any) -> None:
        self.currency = currency
        kwargs.setdefault("widget", forms.TextInput(attrs={"inputmode": "decimal", "dir": "ltr"}))
        super().__init__(**kwargs)

    def clean(self, value: Any) -> int | None:
        text = super().clean(value)
        if text in (None, ""):
            return None
        return parse_money(str(text), self.currency).amount_minor


class CourtDateTimeField(forms.DateTimeField):
    """A local date and time in the court's zone, stored in UTC."""

    widget = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")

    def __init__(self, *, zone: str = "UTC", **kwargs: Any) -> None:
        self.zone = ZoneInfo(zone)
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> datetime | None:
        result = super().to_python(value)
        if result is None:
            return None
        return result.replace(tzinfo=None).replace(tzinfo=self.zone)


class AuctionForm(forms.Form):
    title_ar = forms.CharField(
        label=_("Title in Arabic"), max_length=200, validators=[TextValidator()]
    )
    title_en = forms.CharField(
        label=_("Title in English"), max_length=200, validators=[TextValidator()]
    )
    description_ar = forms.CharField(
        label=_("Description in Arabic"),
        required=False,
        max_length=5000,
        validators=[TextValidator(multiline=True)],
        widget=forms.Textarea(attrs={"rows": 3, "dir": "rtl"}),
    )
    description_en = forms.CharField(
        label=_("Description in English"),
        required=False,
        max_length=5000,
        validators=[TextValidator(multiline=True)],
        widget=forms.Textarea(attrs={"rows": 3, "dir": "ltr"}),
    )

    def __init__(self, *args: Any, zone: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.zone = ZoneInfo(zone)
        self.fields["starts_at"] = CourtDateTimeField(label=_("Opens"), zone=zone)
        self.fields["ends_at"] = CourtDateTimeField(label=_("Closes"), zone=zone)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        # Not in the past, not beyond the horizon (AUCTION_HORIZON_DAYS): a start in 2020 or
        # in 9999 is a typing mistake, never a sale.
        for name in ("starts_at", "ends_at"):
            if data.get(name) is not None:
                try:
                    validate_schedule(data[name], zone=self.zone)
                except ValidationError as error:
                    self.add_error(name, error)
                    data.pop(name, None)
        if data.get("starts_at") and data.get("ends_at") and data["ends_at"] <= data["starts_at"]:
            self.add_error(
                "ends_at",
                ValidationError(
                    _("The auction must close after it opens."), code="ends_before_start"
                ),
            )
        return data


class LotForm(forms.Form):
    asset = forms.TypedChoiceField(label=_("Approved asset"), coerce=int)

    def __init__(
        self, *args: Any, assets: list[tuple[int, str]], currency: str, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["asset"].choices = assets  # type: ignore[attr-defined]
        self.fields["opening"] = MoneyField(
            label=_("Opening price"),
            currency=currency,
            required=False,
            help_text=_("Leave empty to use the price proposed from the appraisal and the rules."),
        )
        self.fields["reserve"] = MoneyField(
            label=_("Reserve price (hidden)"),
            currency=currency,
            required=False,
            help_text=_("The lot is sold only if bidding reaches it. Leave empty for none."),
        )


class WithdrawForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason (court order, debtor paid, ...)"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class AnnulForm(forms.Form):
    seq = forms.IntegerField(label=_("Bid number"), min_value=1)
    reason = forms.CharField(
        label=_("Written reason"), max_length=1000, widget=forms.Textarea(attrs={"rows": 2})
    )


class SaleRulesForm(forms.Form):
    notice_days = forms.IntegerField(label=_("Notice period (days)"), min_value=0, max_value=365)
    opening_percent = forms.DecimalField(
        label=_("Opening price (percent of the appraisal)"),
        min_value=1,
        max_value=200,
        decimal_places=2,
    )
    deposit_percent = forms.DecimalField(
        label=_("Deposit (percent of the opening price)"),
        min_value=0,
        max_value=100,
        decimal_places=2,
    )
    soft_close_window_seconds = forms.IntegerField(
        label=_("Soft-close window (seconds)"), min_value=0, max_value=3600
    )
    soft_close_extension_seconds = forms.IntegerField(
        label=_("Extension (seconds)"), min_value=1, max_value=3600
    )
    soft_close_cap_seconds = forms.IntegerField(
        label=_("Cap on total extension (seconds)"), min_value=0, required=False
    )
    premium_percent = forms.DecimalField(
        label=_("Buyer's premium (%)"), min_value=0, max_value=100, decimal_places=2
    )
    vat_percent = forms.DecimalField(
        label=_("VAT (%)"), min_value=0, max_value=100, decimal_places=2
    )
    payment_deadline_days = forms.IntegerField(
        label=_("Payment deadline (days)"), min_value=1, max_value=90
    )
    round_reduction_percent = forms.DecimalField(
        label=_("Price reduction for each further round (%)"),
        min_value=0,
        max_value=99,
        decimal_places=2,
    )
    max_rounds = forms.IntegerField(label=_("Number of rounds"), min_value=1, max_value=10)
    round_openings = forms.CharField(
        label=_("Opening price of each further round (% of the appraisal)"),
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"dir": "ltr", "inputmode": "decimal"}),
        help_text=_(
            "For rounds 2, 3… in order, separated by commas, e.g. 64, 51.2. A round left "
            "out opens at the previous round's opening less the reduction above."
        ),
    )
    objection_days = forms.IntegerField(
        label=_("Days after the close to object to a result (0: none)"),
        min_value=0,
        max_value=60,
    )
    increments = forms.CharField(
        label=_("Increment table"),
        widget=forms.Textarea(attrs={"rows": 4, "dir": "ltr"}),
        help_text=_(
            "One band per line: the price from which it applies, then the increment, "
            "both in the court's currency. The first band starts at 0."
        ),
    )

    def __init__(self, *args: Any, currency: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.currency = currency

    def clean_round_openings(self) -> list[int]:
        text = (self.cleaned_data.get("round_openings") or "").translate(ARABIC_DECIMALS)
        shares: list[int] = []
        for part in [p.strip() for p in text.replace("،", ",").split(",") if p.strip()]:
            try:
                value = Decimal(part)
            except InvalidOperation:
                value = Decimal(-1)
            if not value.is_finite() or value <= 0 or value > 200 or value != round(value, 2):
                raise ValidationError(
                    _(
                        "Write each round's opening as a percentage above 0 and at most 200, "
                        "with at most two decimals (“%(value)s” is not)."
                    ),
                    code="round_opening",
                    params={"value": part},
                )
            shares.append(int(value * 100))
        return shares

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        shares, rounds = data.get("round_openings") or [], data.get("max_rounds")
        if rounds is not None and len(shares) > rounds - 1:
            self.add_error(
                "round_openings",
                ValidationError(
                    _("Give at most one opening per further round (%(count)s)."),
                    code="round_opening_count",
                    params={"count": rounds - 1},
                ),
            )
        return data

    def clean_increments(self) -> list[dict[str, int]]:
        bands = []
        for number, line in enumerate(self.cleaned_data["increments"].splitlines(), start=1):
            if not line.strip():
                continue
            parts = line.replace(",", " ").replace("\t", " ").split()
            if len(parts) != 2:
                raise ValidationError(
                    _(
                        "Line %(line)s: write the starting price and the "
                        "increment, separated by a space."
                    ),
                    code="increment_line",
                    params={"line": number},
                )
            try:
                start, step = (parse_money(part, self.currency).amount_minor for part in parts)
            except ValidationError as error:
                raise ValidationError(
                    _("Line %(line)s: %(error)s"),
                    code="increment_amount",
                    params={"line": number, "error": error.messages[0]},
                ) from error
            bands.append({"from_minor": start, "increment_minor": step})
        bands.sort(key=lambda b: b["from_minor"])
        starts = [b["from_minor"] for b in bands]
        if (
            not bands
            or starts[0] != 0
            or any(b["increment_minor"] <= 0 for b in bands)
            or len(set(starts)) != len(starts)
        ):
            raise ValidationError(
                _(
                    "The first band must start at 0, no two bands may start at the "
                    "same price, and every increment must be positive."
                ),
                code="increment_table",
            )
        return bands


class BudgetForm(forms.Form):
    """A bidder's budget: a cap (typed in major units of its lots' currency) and its lots."""

    name = forms.CharField(
        label=_("Name (optional)"), max_length=80, required=False, validators=[TextValidator()]
    )
    cap = forms.CharField(
        label=_("Spend at most"),
        max_length=32,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "dir": "ltr"}),
    )
    lots = forms.TypedMultipleChoiceField(
        label=_("Across these lots"),
        coerce=int,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
    )

    def __init__(
        self, *args: Any, choices: list[tuple[int, str]], currencies: dict[int, str], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        lots = self.fields["lots"]
        assert isinstance(lots, forms.TypedMultipleChoiceField)
        lots.choices = choices
        self.currencies = currencies

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        lots = data.get("lots") or []
        text = data.get("cap")
        if text and lots:
            currency = self.currencies[lots[0]]
            text = str(text).strip()
            code = _currency_code(text)
            if code is not None and code != currency:
                # The cap is spent on the lots' prices: it is in their currency, never converted.
                self.add_error(
                    "cap",
                    ValidationError(
                        _(
                            "The lots of this budget are in %(currency)s: "
                            "enter the cap in %(currency)s."
                        ),
                        code="budget_cap_currency",
                        params={"currency": currency},
                    ),
                )
                return data
            if code is not None:
                text = CURRENCY_CODE.sub("", text, count=1)
            try:
                data["cap_minor"] = parse_money(text, currency).amount_minor
            except ValidationError as error:
                self.add_error("cap", error)
        return data


class ProposeRoundForm(forms.Form):
    """Staff propose an unsold lot for its next round: the auction, and (optionally) another
    opening price than the rule's."""

    auction = forms.TypedChoiceField(label=_("Next auction"), coerce=int)
    opening = MoneyField(label=_("Opening price (leave empty for the rule's)"), required=False)

    def __init__(
        self, *args: Any, auctions: list[tuple[int, str]], currency: str, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["auction"]
        assert isinstance(field, forms.TypedChoiceField)
        field.choices = [("", "—"), *auctions]
        opening = self.fields["opening"]
        assert isinstance(opening, MoneyField)
        opening.currency = currency


class DecideRoundForm(forms.Form):
    note = forms.CharField(
        label=_("Reason (required to reject)"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        validators=[TextValidator(multiline=True)],
    )


class CancelAuctionForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for cancelling the whole auction (court order, ...)"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class ViewingSlotForm(forms.Form):
    capacity = forms.IntegerField(label=_("Places"), min_value=1, max_value=50, initial=5)
    place = forms.CharField(label=_("Meeting place"), max_length=200, validators=[TextValidator()])

    def __init__(self, *args: Any, zone: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["starts_at"] = CourtDateTimeField(label=_("Starts"), zone=zone)
        self.fields["ends_at"] = CourtDateTimeField(label=_("Ends"), zone=zone)
        self.order_fields(["starts_at", "ends_at", "capacity", "place"])
