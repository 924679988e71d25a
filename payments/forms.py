"""Forms of the payment pages; amounts never pass through a float."""

from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from payments.services import NOTE_MINIMUM_LENGTH, TEST_PAYMENT_METHODS


class CardPaymentForm(forms.Form):
    payment_method = forms.ChoiceField(
        label=_("Test card"),
        choices=list(TEST_PAYMENT_METHODS.items()),
        initial="pm_card_visa",
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Choose a card."),
            "invalid_choice": _("Choose one of the cards offered."),
        },
    )


class NoteForm(forms.Form):
    note = forms.CharField(
        label=_("Note"),
        min_length=NOTE_MINIMUM_LENGTH,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("How you checked it, for example the bank statement line."),
        error_messages={
            "required": _("Write a note saying how it was checked."),
            "min_length": _("Write at least %(limit_value)d characters."),
        },
    )


class LedgerDateForm(forms.Form):
    on = forms.DateField(
        label=_("Balances at the end of"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": _("Enter a date as YYYY-MM-DD.")},
    )

    def clean_on(self) -> object:
        value = self.cleaned_data.get("on")
        if value and value > timezone.localdate():
            raise forms.ValidationError(_("Choose today or a past date."), code="future_date")
        return value
