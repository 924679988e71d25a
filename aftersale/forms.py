"""Forms of the after-sale pages; amounts never pass through a float."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from aftersale.statements import DATE_FORMATS

NOTE_ERRORS = {
    "required": _("Write a note saying how it was checked."),
    "min_length": _("Write at least %(limit_value)d characters."),
}


class MethodForm(forms.Form):
    method = forms.ChoiceField(
        label=_("Pay by"),
        choices=[("CARD", _("Card")), ("BANK_TRANSFER", _("Bank transfer"))],
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Choose how to pay."),
            "invalid_choice": _("Choose how to pay."),
        },
    )

    def __init__(self, *args: object, methods: list[str], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        field = self.fields["method"]
        assert isinstance(field, forms.ChoiceField)
        offered = [("CARD", _("Card")), ("BANK_TRANSFER", _("Bank transfer"))]
        field.choices = [choice for choice in offered if choice[0] in methods]
        field.initial = methods[0]


class NoteForm(forms.Form):
    note = forms.CharField(
        label=_("Note"),
        min_length=5,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages=NOTE_ERRORS,
    )


class PrepareForm(forms.Form):
    note = forms.CharField(
        label=_("What you checked"),
        required=False,
        max_length=300,
        widget=forms.TextInput(attrs={"placeholder": _("Payee's details and amount checked")}),
    )


class CamtForm(forms.Form):
    file = forms.FileField(
        label=_("Statement file (camt.053 or camt.054 XML, or MT940)"),
        error_messages={"required": _("Choose a file.")},
    )


class CsvForm(forms.Form):
    file = forms.FileField(label=_("CSV file"), error_messages={"required": _("Choose a file.")})
    date = forms.CharField(label=_("Date column"), initial="Date", max_length=60)
    amount = forms.CharField(
        label=_("Amount column (signed)"), initial="Amount", max_length=60, required=False
    )
    credit = forms.CharField(label=_("Or: credit column"), max_length=60, required=False)
    debit = forms.CharField(label=_("and debit column"), max_length=60, required=False)
    reference = forms.CharField(label=_("Reference column"), initial="Reference", max_length=60)
    description = forms.CharField(
        label=_("Description column"), initial="Description", max_length=60, required=False
    )
    date_format = forms.ChoiceField(
        label=_("Date format"), choices=[(key, key) for key in DATE_FORMATS], initial="YYYY-MM-DD"
    )

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        if not data.get("amount") and not (data.get("credit") and data.get("debit")):
            raise forms.ValidationError(
                _("Name the amount column, or both the credit and the debit columns."),
                code="columns",
            )
        return data


class ProviderForm(forms.Form):
    on = forms.DateField(
        label=_("Day to pull"),
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={
            "required": _("Choose a day."),
            "invalid": _("Enter a date as YYYY-MM-DD."),
        },
    )


class ReportForm(forms.Form):
    on = forms.DateField(
        label=_("Day"),
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={
            "required": _("Choose a day."),
            "invalid": _("Enter a date as YYYY-MM-DD."),
        },
    )
    format = forms.ChoiceField(
        choices=[("html", "HTML"), ("pdf", "PDF"), ("csv", "CSV"), ("xlsx", "XLSX")],
        initial="html",
        required=False,
    )


class ObjectionForm(forms.Form):
    grounds = forms.CharField(
        label=_("Grounds of your objection"),
        min_length=10,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 5}),
        error_messages={
            "required": _("Write the grounds of your objection."),
            "min_length": _("Write at least %(limit_value)d characters."),
            "max_length": _("Write at most %(limit_value)d characters."),
        },
    )


class AnnulForm(forms.Form):
    reason = forms.CharField(
        label=_("Reasons for annulling the sale"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={
            "required": _("Give the reasons for the annulment."),
            "max_length": _("Write at most %(limit_value)d characters."),
        },
    )


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[
            ("reject", _("Reject the objection")),
            ("uphold", _("Uphold it and annul the sale")),
        ],
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Choose the decision."),
            "invalid_choice": _("Choose the decision."),
        },
    )
    reason = forms.CharField(
        label=_("Reasons"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={
            "required": _("Give the reasons for the decision."),
            "max_length": _("Write at most %(limit_value)d characters."),
        },
    )
