"""Parsing what people type about a seized asset, shared by the asset form and the bulk import."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from core.forms import parse_money
from enforcement import validators
from enforcement.models import SeizedAsset

# Arabic words accepted in imported files for the coded columns, besides the codes themselves.
ARABIC_CODES = {
    "مركبة": "VEHICLE",
    "سيارة": "VEHICLE",
    "عقار": "REAL_ESTATE",
    "منقول": "MOVABLE",
    "منقولات": "MOVABLE",
    "شاغر": "VACANT",
    "المنفذ ضده": "DEBTOR",
    "مستأجر": "TENANT",
}


def money_field(label: Any, required: bool = False) -> forms.CharField:
    return forms.CharField(
        label=label,
        required=required,
        max_length=30,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "dir": "ltr"}),
    )


def parse_amount(value: str, currency: str) -> int | None:
    """Minor units of a typed amount, or None when blank; ValidationError names the rule."""
    if not value.strip():
        return None
    return parse_money(value, currency).amount_minor


class AssetFieldsForm(forms.Form):
    """The fields of an asset, cleaned into the keyword arguments of services.AssetDetails."""

    kind = forms.ChoiceField(label=_("Kind"), choices=SeizedAsset.Kind.choices)
    title = forms.CharField(label=_("Title"), max_length=200)
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    custody_location = forms.CharField(label=_("Custody location"), max_length=200, required=False)
    vin = forms.CharField(
        label=_("VIN"), max_length=25, required=False, widget=forms.TextInput(attrs={"dir": "ltr"})
    )
    plate = forms.CharField(label=_("Plate"), max_length=20, required=False)
    make = forms.CharField(label=_("Make"), max_length=60, required=False)
    model = forms.CharField(label=_("Model"), max_length=60, required=False)
    year = forms.IntegerField(label=_("Year"), min_value=1900, max_value=2100, required=False)
    colour = forms.CharField(label=_("Colour"), max_length=40, required=False)
    mileage_km = forms.IntegerField(label=_("Mileage (km)"), min_value=0, required=False)
    condition = forms.ChoiceField(
        label=_("Condition"),
        choices=[("", "—"), *SeizedAsset.Condition.choices],
        required=False,
    )
    deed_number = forms.CharField(label=_("Title deed number"), max_length=40, required=False)
    city = forms.CharField(label=_("City"), max_length=100, required=False)
    district = forms.CharField(label=_("District"), max_length=100, required=False)
    plan_number = forms.CharField(label=_("Plan number"), max_length=40, required=False)
    plot_number = forms.CharField(label=_("Plot number"), max_length=40, required=False)
    area_m2 = forms.DecimalField(
        label=_("Area (m²)"), max_digits=12, decimal_places=2, min_value=0, required=False
    )
    use = forms.ChoiceField(
        label=_("Use"), choices=[("", "—"), *SeizedAsset.Use.choices], required=False
    )
    latitude = forms.DecimalField(
        label=_("Latitude"),
        max_digits=9,
        decimal_places=6,
        min_value=-90,
        max_value=90,
        required=False,
    )
    longitude = forms.DecimalField(
        label=_("Longitude"),
        max_digits=9,
        decimal_places=6,
        min_value=-180,
        max_value=180,
        required=False,
    )
    public_location = forms.ChoiceField(
        label=_("Shown on the public map"),
        choices=SeizedAsset.PublicLocation.choices,
        initial=SeizedAsset.PublicLocation.AREA,
        required=False,
        help_text=_(
            "A home's exact place is never shown unless you choose it: by default the public "
            "map shows only the area, rounded to about a kilometre."
        ),
    )
    occupancy = forms.ChoiceField(
        label=_("Occupancy"), choices=SeizedAsset.Occupancy.choices, initial="VACANT"
    )
    lease_ends_on = forms.DateField(
        label=_("Lease ends"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    transfer_costs = money_field(_("Fees and taxes due on transfer"))
    transfer_costs_note = forms.CharField(
        label=_("About the transfer costs"), max_length=300, required=False
    )

    def __init__(self, *args: Any, currency: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.currency = currency

    def clean_vin(self) -> str:
        vin = validators.normalise_vin(self.cleaned_data.get("vin") or "")
        if vin:
            validators.validate_vin(vin)
        return vin

    def clean_transfer_costs(self) -> int | None:
        return parse_amount(self.cleaned_data.get("transfer_costs") or "", self.currency)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        kind = data.get("kind")
        vehicle_unnamed = not (data.get("vin") or data.get("plate")) and "vin" not in self.errors
        if kind == SeizedAsset.Kind.VEHICLE and vehicle_unnamed:
            self.add_error(
                "vin",
                ValidationError(_("A vehicle needs its VIN or its plate."), code="required"),
            )
        if kind == SeizedAsset.Kind.REAL_ESTATE and not data.get("deed_number"):
            self.add_error(
                "deed_number",
                ValidationError(_("Real estate needs its title deed number."), code="required"),
            )
        if data.get("occupancy") == SeizedAsset.Occupancy.TENANT and not data.get("lease_ends_on"):
            self.add_error(
                "lease_ends_on",
                ValidationError(_("Give the date the lease ends."), code="required"),
            )
        return data

    def clean_public_location(self) -> str:
        # Forms of kinds without a place, and older clients, leave it out: the area, as before.
        return str(self.cleaned_data.get("public_location") or SeizedAsset.PublicLocation.AREA)

    def details_kwargs(self) -> dict[str, Any]:
        """The cleaned values under AssetDetails' names."""
        data = dict(self.cleaned_data)
        data["transfer_costs_minor"] = data.pop("transfer_costs", None)
        return {
            key: ("" if value is None and key in STRING_FIELDS else value)
            for key, value in data.items()
        }


STRING_FIELDS = frozenset(
    {
        "condition",
        "use",
        "description",
        "custody_location",
        "plate",
        "make",
        "model",
        "colour",
        "deed_number",
        "city",
        "district",
        "plan_number",
        "plot_number",
        "transfer_costs_note",
        "vin",
    }
)


class SettlementTermsForm(forms.Form):
    """The terms of an instalment plan, the same for the debtor and for staff.

    Amounts are typed in the file's currency and read into minor units; the service checks
    the rules (enforcement.instalments) and a refusal is shown next to the field it names.
    """

    total = money_field(_("Total to pay"), required=True)
    first_amount = money_field(_("First payment"), required=True)
    first_due_on = forms.DateField(
        label=_("First payment due on"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    count = forms.IntegerField(
        label=_("Monthly instalments after the first payment"), min_value=0, max_value=120
    )
    note = forms.CharField(
        label=_("Note"), required=False, max_length=1000, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args: Any, currency: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.currency = currency

    def _amount(self, name: str) -> int:
        try:
            amount = parse_amount(self.cleaned_data.get(name) or "", self.currency)
        except ValidationError as error:
            raise ValidationError(error.messages[0], code="amount_format") from error
        if amount is None:
            raise ValidationError(_("This field is required."), code="required")
        return amount

    def clean_total(self) -> int:
        return self._amount("total")

    def clean_first_amount(self) -> int:
        return self._amount("first_amount")
