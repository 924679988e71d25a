"""Forms of accounts: each error names the field and the rule, in the user's language."""

from __future__ import annotations

from typing import Any

import phonenumbers
from django import forms
from django.contrib.auth import password_validation
from django.contrib.auth.forms import AuthenticationForm, SetPasswordForm
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext_lazy as _

from accounts import identity, throttle
from accounts.models import Agency, Court, IdKind, Language
from accounts.roles import Role
from core.uploads import validate_document

PHONE_REGIONS = ("SA", "KW", "BH", "AE", "OM", "QA", "JO", "EG", "VN")


def clean_phone(value: str) -> str:
    """Return the number in E.164; Gulf numbers may be typed without the country code."""
    value = identity.normalise(value).replace("(", "").replace(")", "")
    for region in (None, *PHONE_REGIONS):
        try:
            number = phonenumbers.parse(value, region)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_valid_number(number):
            return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    raise ValidationError(
        _("Enter a valid mobile number, with its country code (for example +966 50 123 4567)."),
        code="phone",
    )


class IdentityFieldsMixin(forms.Form):
    id_kind = forms.ChoiceField(label=_("Identity document"), choices=IdKind.choices)
    id_country = forms.ChoiceField(label=_("Issuing country"), choices=identity.ID_COUNTRIES)
    id_number = forms.CharField(label=_("ID or passport number"), max_length=32)

    def clean_id_number(self) -> str:
        return identity.normalise(self.cleaned_data["id_number"])

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        number, kind, country = data.get("id_number"), data.get("id_kind"), data.get("id_country")
        if number and kind and country:
            try:
                if kind == IdKind.NATIONAL_ID:
                    identity.validate_national_id(country, number)
                else:
                    identity.validate_passport(number)
            except ValidationError as error:
                self.add_error("id_number", error)
        return data


class SignUpForm(IdentityFieldsMixin):
    full_name = forms.CharField(label=_("Full name"), max_length=200, min_length=3)
    email = forms.EmailField(label=_("E-mail address"), max_length=254)
    phone = forms.CharField(label=_("Mobile phone"), max_length=20)
    preferred_language = forms.ChoiceField(label=_("Preferred language"), choices=Language.choices)
    password1 = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password2 = forms.CharField(
        label=_("Repeat the password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    accept_terms = forms.BooleanField(label=_("I accept the terms of use and the privacy notice"))

    field_order = [
        "full_name",
        "email",
        "phone",
        "id_kind",
        "id_country",
        "id_number",
        "preferred_language",
        "password1",
        "password2",
        "accept_terms",
    ]

    def clean_email(self) -> str:
        return str(self.cleaned_data["email"]).strip().lower()

    def clean_phone(self) -> str:
        return clean_phone(self.cleaned_data["phone"])

    def clean_full_name(self) -> str:
        name = " ".join(str(self.cleaned_data["full_name"]).split())
        if len(name.split(" ")) < 2:
            raise ValidationError(
                _("Enter your full name as on your ID (at least two names)."), code="full_name"
            )
        return name

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        first, second = data.get("password1"), data.get("password2")
        if first and second and first != second:
            self.add_error(
                "password2",
                ValidationError(_("The two passwords differ."), code="password_mismatch"),
            )
        elif first:
            try:
                password_validation.validate_password(first)
            except ValidationError as error:
                self.add_error("password1", error)
        return data


class EmailAuthenticationForm(AuthenticationForm):
    username = forms.EmailField(
        label=_("E-mail address"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"}),
    )

    def clean(self) -> dict[str, Any]:
        # The per-account cap (accounts/throttle.py) is asked before the password is checked.
        left = throttle.cooldown_left(self.cleaned_data.get("username"))
        if left is not None:
            self.is_cooling_down = True
            raise ValidationError(
                _(
                    "Too many failed log-ins to this account from various places: log-ins to "
                    "it resume in %(minutes)s minutes. Resetting the password ends the wait."
                ),
                code="account_cooldown",
                params={"minutes": max(1, -(-int(left.total_seconds()) // 60))},
            )
        return super().clean()


class ProfileForm(forms.Form):
    full_name = forms.CharField(label=_("Full name"), max_length=200, min_length=3)
    phone = forms.CharField(label=_("Mobile phone"), max_length=20)
    preferred_language = forms.ChoiceField(label=_("Preferred language"), choices=Language.choices)

    def clean_phone(self) -> str:
        return clean_phone(self.cleaned_data["phone"])


class IdentityDocumentForm(forms.Form):
    document = forms.FileField(
        label=_("Scan or photo of your ID card or passport"),
        help_text=_("JPEG, PNG or PDF, up to 5 MB."),
    )

    def clean_document(self) -> UploadedFile:
        document: UploadedFile = self.cleaned_data["document"]
        validate_document(document, max_bytes=5 * 1024 * 1024)
        return document


class RejectIdentityForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason the bidder will read"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class ResetPasswordForm(SetPasswordForm):  # type: ignore[type-arg]
    """The new password of a reset; it also ends a cooldown of the per-account log-in cap."""

    def save(self, commit: bool = True) -> Any:
        user = super().save(commit=commit)
        throttle.clear(user.email)
        return user


class DigitalIdSignUpForm(forms.Form):
    """What a new account needs besides the provider's claims: how to reach the person."""

    email = forms.EmailField(label=_("E-mail address"), max_length=254)
    phone = forms.CharField(label=_("Mobile phone"), max_length=20)
    preferred_language = forms.ChoiceField(label=_("Preferred language"), choices=Language.choices)
    accept_terms = forms.BooleanField(label=_("I accept the terms of use and the privacy notice"))

    def clean_email(self) -> str:
        return str(self.cleaned_data["email"]).strip().lower()

    def clean_phone(self) -> str:
        return clean_phone(self.cleaned_data["phone"])

    def cleaned_data_for_user(self) -> dict[str, str]:
        data = self.cleaned_data
        return {k: data[k] for k in ("email", "phone", "preferred_language")}


class PowerOfAttorneyForm(forms.Form):
    registration_country = forms.ChoiceField(
        label=_("Country of registration"), choices=identity.ID_COUNTRIES
    )
    registration_number = forms.CharField(label=_("Commercial registration number"), max_length=32)
    name_ar = forms.CharField(label=_("Company name in Arabic"), max_length=200, min_length=2)
    name_en = forms.CharField(label=_("Company name in English"), max_length=200, min_length=2)
    valid_until = forms.DateField(
        label=_("Power of attorney valid until"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    document = forms.FileField(
        label=_("Power of attorney (scan or photo)"),
        help_text=_("JPEG, PNG or PDF, up to 5 MB."),
    )

    def clean_registration_number(self) -> str:
        return identity.normalise(self.cleaned_data["registration_number"])

    def clean_document(self) -> UploadedFile:
        document: UploadedFile = self.cleaned_data["document"]
        validate_document(document, max_bytes=5 * 1024 * 1024)
        return document

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        country, number = data.get("registration_country"), data.get("registration_number")
        if country and number:
            try:
                identity.validate_commercial_registration(country, number)
            except ValidationError as error:
                self.add_error("registration_number", error)
        return data


class TotpCodeForm(forms.Form):
    code = forms.CharField(
        label=_("Code from your authenticator app"),
        max_length=12,
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "dir": "ltr"}
        ),
    )


class AssignRoleForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)
    court = forms.ModelChoiceField(label=_("Court"), queryset=Court.objects.all(), required=False)
    agency = forms.ModelChoiceField(
        label=_("Agency"), queryset=Agency.objects.all(), required=False
    )


class ResetSecondFactorForm(forms.Form):
    reason = forms.CharField(
        label=_("Why (for the audit record)"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
