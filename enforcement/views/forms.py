"""Forms of the enforcement workspace: each error names the field and the rule."""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext_lazy as _

from accounts import identity
from accounts.forms import clean_phone
from accounts.models import User
from accounts.organisations import Agency, Court
from core.inputs import TextValidator
from core.uploads import validate_document
from enforcement import services, validators
from enforcement.forms import AssetFieldsForm, money_field, parse_amount
from enforcement.models import (
    AgencyLetter,
    Encumbrance,
    EnforcementFile,
    InstrumentKind,
    Party,
    SeizedAsset,
    SeizureOrder,
)

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
LTR = {"dir": "ltr"}


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleImageField(forms.FileField):
    """Several files in one input; each is cleaned like a single FileField."""

    widget = MultipleFileInput

    def clean(self, data: Any, initial: Any = None) -> list[UploadedFile]:
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data]
        return [single(data, initial)]


class PartyForm(forms.Form):
    id_kind = forms.ChoiceField(label=_("Identity document"), choices=Party.IdKind.choices)
    id_country = forms.ChoiceField(label=_("Issuing country"), choices=identity.ID_COUNTRIES)
    id_number = forms.CharField(
        label=_("National ID, passport or commercial registration"),
        max_length=32,
        widget=forms.TextInput(attrs=LTR),
    )
    name_ar = forms.CharField(label=_("Name in Arabic"), max_length=200)
    name_en = forms.CharField(label=_("Name in English"), max_length=200)
    address = forms.CharField(label=_("Address"), max_length=300, required=False)
    phone = forms.CharField(
        label=_("Phone"), max_length=20, required=False, widget=forms.TextInput(attrs=LTR)
    )
    email = forms.EmailField(
        label=_("E-mail address"), required=False, widget=forms.EmailInput(attrs=LTR)
    )
    iban = forms.CharField(
        label=_("IBAN"), max_length=42, required=False, widget=forms.TextInput(attrs=LTR)
    )

    def clean_phone(self) -> str:
        value = self.cleaned_data.get("phone") or ""
        return clean_phone(value) if value.strip() else ""

    def clean_iban(self) -> str:
        value = validators.normalise_iban(self.cleaned_data.get("iban") or "")
        if value:
            validators.validate_iban(value)
        return value

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        kind, country = data.get("id_kind"), data.get("id_country")
        number = identity.normalise(data.get("id_number") or "")
        try:
            if number and kind == Party.IdKind.NATIONAL_ID and country:
                identity.validate_national_id(country, number)
            elif number and kind == Party.IdKind.PASSPORT:
                identity.validate_passport(number)
            elif number and kind == Party.IdKind.COMMERCIAL_REGISTRATION:
                validators.validate_commercial_registration(number)
        except ValidationError as error:
            self.add_error("id_number", error)
        data["id_number"] = number
        return data

    def details(self) -> services.PartyDetails:
        data = self.cleaned_data
        kind = (
            Party.Kind.COMPANY
            if data["id_kind"] == Party.IdKind.COMMERCIAL_REGISTRATION
            else Party.Kind.PERSON
        )
        return services.PartyDetails(
            kind=kind,
            id_kind=data["id_kind"],
            name_ar=data["name_ar"],
            name_en=data["name_en"],
            id_country=data["id_country"],
            id_number=data["id_number"],
            address=data.get("address", ""),
            phone=data.get("phone", ""),
            email=data.get("email", ""),
            iban=data.get("iban", ""),
        )


class PartyRoleForm(PartyForm):
    role = forms.ChoiceField(
        label=_("Role on the file"),
        choices=[("APPLICANT", _("Applicant")), ("DEBTOR", _("Debtor"))],
    )
    field_order = ["role"]


class FileForm(forms.Form):
    instrument_kind = forms.ChoiceField(
        label=_("Executive instrument"), choices=InstrumentKind.choices
    )
    instrument_reference = forms.CharField(label=_("Instrument reference"), max_length=100)
    instrument_issued_on = forms.DateField(label=_("Instrument date"), widget=DATE)
    instrument_document = forms.FileField(
        label=_("Scanned instrument"), required=False, help_text=_("PDF, JPEG or PNG, up to 10 MB.")
    )
    claim = money_field(_("Claim amount"), required=True)
    costs = money_field(_("Costs"))
    assigned_to = forms.ModelChoiceField(
        label=_("Assigned to"), queryset=User.objects.none(), required=False
    )

    def __init__(self, *args: Any, currency: str, court_id: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.currency = currency
        self.fields["assigned_to"].queryset = User.objects.filter(  # type: ignore[attr-defined]
            court_id=court_id, role__in=["EXECUTION_STAFF", "SUPERVISOR"], is_active=True
        ).order_by("full_name")
        self.fields["assigned_to"].label_from_instance = lambda user: user.full_name  # type: ignore[attr-defined]
        self.fields["claim"].help_text = _("In %(currency)s.") % {"currency": currency}

    def clean_claim(self) -> int:
        amount = parse_amount(self.cleaned_data["claim"], self.currency)
        if not amount:
            raise ValidationError(
                _("The amount must be greater than zero."), code="amount_positive"
            )
        return amount

    def clean_costs(self) -> int:
        return parse_amount(self.cleaned_data.get("costs") or "", self.currency) or 0

    def clean_instrument_issued_on(self) -> date:
        value: date = self.cleaned_data["instrument_issued_on"]
        if value > date.today():
            raise ValidationError(_("The date cannot be in the future."), code="date_future")
        return value

    def clean_instrument_document(self) -> UploadedFile | None:

        document: UploadedFile | None = self.cleaned_data.get("instrument_document")
        if document:
            validate_document(document, max_bytes=10 * 1024 * 1024)
        return document

    def instrument(self) -> services.Instrument:
        data = self.cleaned_data
        return services.Instrument(
            data["instrument_kind"], data["instrument_reference"], data["instrument_issued_on"]
        )


class FileStatusForm(forms.Form):
    action = forms.ChoiceField(
        choices=[
            ("start_enforcement", _("Start enforcement")),
            ("suspend", _("Suspend")),
            ("resume", _("Resume")),
            ("mark_satisfied", _("Mark satisfied")),
            ("close", _("Close")),
        ]
    )
    reason = forms.CharField(label=_("Reason"), max_length=500, required=False)


class OrderForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind of order"), choices=SeizureOrder.Kind.choices)
    agency = forms.ModelChoiceField(label=_("Executing agency"), queryset=Agency.objects.all())
    target_party = forms.ModelChoiceField(
        label=_("Person or company"), queryset=Party.objects.none(), required=False
    )
    target_iban = forms.CharField(
        label=_("Bank account (IBAN)"),
        max_length=42,
        required=False,
        widget=forms.TextInput(attrs=LTR),
    )
    target_vin = forms.CharField(
        label=_("VIN"), max_length=25, required=False, widget=forms.TextInput(attrs=LTR)
    )
    target_plate = forms.CharField(label=_("Plate"), max_length=20, required=False)
    target_deed_number = forms.CharField(
        label=_("Title deed number"), max_length=40, required=False
    )
    target_note = forms.CharField(label=_("Details"), max_length=300, required=False)

    def __init__(self, *args: Any, file: EnforcementFile, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["target_party"].queryset = Party.objects.filter(files=file).distinct()  # type: ignore[attr-defined]

    def target(self) -> services.OrderTarget:
        data = self.cleaned_data
        party = data.get("target_party")
        return services.OrderTarget(
            party_id=party.pk if party else None,
            iban=data.get("target_iban", ""),
            vin=data.get("target_vin", ""),
            plate=data.get("target_plate", ""),
            deed_number=data.get("target_deed_number", ""),
            note=data.get("target_note", ""),
        )


class AmountSeizedForm(forms.Form):
    amount_seized = money_field(_("Amount seized"))


class AssetForm(AssetFieldsForm):
    order = forms.ModelChoiceField(
        label=_("Seizure order"), queryset=SeizureOrder.objects.none(), required=False
    )

    def __init__(self, *args: Any, file: EnforcementFile, **kwargs: Any) -> None:
        super().__init__(*args, currency=file.currency, **kwargs)
        self.fields["order"].queryset = file.orders.all()  # type: ignore[attr-defined]

    def details(self) -> services.AssetDetails:
        values = self.details_kwargs()
        order = values.pop("order", None)
        return services.AssetDetails(**values, order_id=order.pk if order else None)


class PhotosForm(forms.Form):
    photos = MultipleImageField(
        label=_("Photos"), help_text=_("JPEG, PNG or WebP, up to 8 MB each; at most 20 per asset.")
    )


class DocumentForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    document = forms.FileField(label=_("Document (PDF)"), help_text=_("PDF, up to 10 MB."))


class AppraisalForm(forms.Form):
    appraiser = forms.CharField(label=_("Appraiser"), max_length=200)
    appraised_on = forms.DateField(label=_("Appraisal date"), widget=DATE)
    value = money_field(_("Value"), required=True)
    report = forms.FileField(label=_("Appraisal report (PDF)"), required=False)

    def __init__(self, *args: Any, currency: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.currency = currency

    def clean_value(self) -> int:
        amount = parse_amount(self.cleaned_data["value"], self.currency)
        if not amount:
            raise ValidationError(
                _("The amount must be greater than zero."), code="amount_positive"
            )
        return amount


class EncumbranceForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=Encumbrance.Kind.choices)
    holder = forms.CharField(label=_("Holder"), max_length=200, validators=[TextValidator()])
    amount = money_field(_("Amount"))
    note = forms.CharField(
        label=_("Details"), max_length=300, required=False, validators=[TextValidator()]
    )

    def __init__(self, *args: Any, currency: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.currency = currency

    def clean_amount(self) -> int | None:
        return parse_amount(self.cleaned_data.get("amount") or "", self.currency)


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"), max_length=500, widget=forms.Textarea(attrs={"rows": 2})
    )


class LetterForm(forms.Form):
    agency = forms.ModelChoiceField(label=_("Agency"), queryset=Agency.objects.all())
    # A mortgage cancellation is written by the platform when its holder is paid.
    subject_kind = forms.ChoiceField(
        label=_("Subject"),
        choices=[
            choice
            for choice in AgencyLetter.Subject.choices
            if choice[0] != AgencyLetter.Subject.RELEASE_MORTGAGE
        ],
    )
    language = forms.ChoiceField(
        label=_("Language of the letter"), choices=AgencyLetter.Language.choices
    )
    due_on = forms.DateField(label=_("Answer due"), widget=DATE)
    asset: forms.ModelChoiceField[Any] = forms.ModelChoiceField(
        label=_("About the asset"), queryset=SeizedAsset.objects.none(), required=False
    )
    order: forms.ModelChoiceField[Any] = forms.ModelChoiceField(
        label=_("About the order"), queryset=SeizureOrder.objects.none(), required=False
    )
    note = forms.CharField(
        label=_("Additional text"),
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args: Any, file: EnforcementFile, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["asset"].queryset = file.assets.all()  # type: ignore[attr-defined]
        self.fields["order"].queryset = file.orders.all()  # type: ignore[attr-defined]


class AnswerForm(forms.Form):
    answer = forms.CharField(
        label=_("Answer"),
        max_length=5000,
        validators=[TextValidator(multiline=True)],  # the API's rule (core.inputs)
        widget=forms.Textarea(attrs={"rows": 5}),
    )
    document = forms.FileField(label=_("Document with the answer (PDF)"), required=False)


class RequestForm(forms.Form):
    court: forms.ModelChoiceField[Any] = forms.ModelChoiceField(
        label=_("Execution court"), queryset=Court.objects.all()
    )
    applicant_iban = forms.CharField(
        label=_("Your IBAN, for the money collected"),
        max_length=42,
        widget=forms.TextInput(attrs=LTR),
    )
    debtor_id_kind = forms.ChoiceField(
        label=_("Debtor's identity document"), choices=Party.IdKind.choices
    )
    debtor_id_country = forms.ChoiceField(label=_("Issuing country"), choices=identity.ID_COUNTRIES)
    debtor_id_number = forms.CharField(
        label=_("Debtor's national ID, passport or commercial registration"),
        max_length=32,
        widget=forms.TextInput(attrs=LTR),
    )
    debtor_name = forms.CharField(label=_("Debtor's name"), max_length=200)
    debtor_address = forms.CharField(label=_("Debtor's address"), max_length=300, required=False)
    instrument_kind = forms.ChoiceField(
        label=_("Executive instrument"), choices=InstrumentKind.choices
    )
    instrument_reference = forms.CharField(label=_("Instrument reference"), max_length=100)
    instrument_issued_on = forms.DateField(label=_("Instrument date"), widget=DATE)
    instrument_document = forms.FileField(
        label=_("Scanned instrument"), help_text=_("PDF, JPEG or PNG, up to 10 MB.")
    )
    claim = money_field(_("Claim amount"), required=True)

    def clean_applicant_iban(self) -> str:
        value = validators.normalise_iban(self.cleaned_data["applicant_iban"])
        validators.validate_iban(value)
        return value

    def clean_instrument_document(self) -> UploadedFile:

        document: UploadedFile = self.cleaned_data["instrument_document"]
        validate_document(document, max_bytes=10 * 1024 * 1024)
        return document

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        court = data.get("court")
        if court is not None and data.get("claim"):
            try:
                amount = parse_amount(data["claim"], court.currency)
            except ValidationError as error:
                self.add_error("claim", error)
            else:
                if not amount:
                    self.add_error(
                        "claim",
                        ValidationError(
                            _("The amount must be greater than zero."), code="amount_positive"
                        ),
                    )
                data["claim_minor"] = amount
        return data

    def debtor(self) -> services.PartyDetails:
        data = self.cleaned_data
        kind = (
            Party.Kind.COMPANY
            if data["debtor_id_kind"] == Party.IdKind.COMMERCIAL_REGISTRATION
            else Party.Kind.PERSON
        )
        return services.PartyDetails(
            kind=kind,
            id_kind=data["debtor_id_kind"],
            name_ar=data["debtor_name"],
            name_en=data["debtor_name"],
            id_country=data["debtor_id_country"],
            id_number=identity.normalise(data["debtor_id_number"]),
            address=data.get("debtor_address", ""),
        )


class ImportForm(forms.Form):
    source = forms.FileField(
        label=_("CSV or XLSX file"),
        help_text=_("UTF-8 CSV or Excel XLSX, up to 5 MB and 5,000 rows."),
    )


class TokenForm(forms.Form):
    name = forms.CharField(label=_("Name of the system"), max_length=100)
