"""Parsing what requesters, staff and supervisors type at the support desk.

Forms check shapes (required, types, lengths); the rules are the services'
(their refusals are shown on the field they name).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from accounts.organisations import Court
from support import selectors, services
from support.models import Kind, Status, Team, Topic
from support.services.service_levels import MAX_TARGET_HOURS
from support.services.tickets import BODY_MAX, COMMENT_MAX, SUBJECT_MAX

WEEKDAYS = [
    (6, _("Sunday")),
    (0, _("Monday")),
    (1, _("Tuesday")),
    (2, _("Wednesday")),
    (3, _("Thursday")),
    (4, _("Friday")),
    (5, _("Saturday")),
]
ATTACHMENT_HELP = _("Up to three PDF files or JPEG, PNG or WebP images, 5 MB each.")


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input; cleans to a list (possibly empty)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": "application/pdf,image/*"}))
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[UploadedFile]:
        files = data if isinstance(data, list | tuple) else [data] if data else []
        return [super(MultipleFileField, self).clean(item, initial) for item in files]


def body_field(label: Any, rows: int = 5) -> forms.CharField:
    return forms.CharField(
        label=label, max_length=BODY_MAX, widget=forms.Textarea(attrs={"rows": rows})
    )


class TicketForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Kind"), choices=Kind.choices, widget=forms.RadioSelect, initial=Kind.QUESTION
    )
    topic = forms.ChoiceField(label=_("Topic"), choices=[("", "—"), *Topic.choices])
    about = forms.ChoiceField(
        label=_("About"),
        required=False,
        help_text=_(
            "One of your lots, registrations, payments or files, if the ticket is about it."
        ),
    )
    court = forms.ModelChoiceField(
        label=_("Court"),
        queryset=Court.objects.order_by("code"),
        required=False,
        empty_label="—",
        help_text=_("Needed only when the ticket is not about one of your records."),
    )
    subject = forms.CharField(label=pgettext_lazy("ticket", "Subject"), max_length=SUBJECT_MAX)
    body = body_field(_("Your message"), rows=6)
    attachments = MultipleFileField(label=_("Attachments"), help_text=ATTACHMENT_HELP)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        groups = selectors.link_options(user)
        about = self.fields["about"]
        assert isinstance(about, forms.ChoiceField)
        about.choices = [
            ("", _("Nothing in particular")),
            *[(label, [(o.value, o.label) for o in options]) for label, options in groups],
        ]

    def link(self) -> services.Link | None:
        value = self.cleaned_data.get("about") or ""
        if not value:
            return None
        kind, _separator, pk = value.partition(":")
        return services.Link(kind, int(pk)) if pk.isdigit() else services.Link(kind, 0)


class MessageForm(forms.Form):
    body = body_field(_("Your message"))
    attachments = MultipleFileField(label=_("Attachments"), help_text=ATTACHMENT_HELP)


class StaffAnswerForm(forms.Form):
    ACTIONS = [
        ("reply", _("Reply")),
        ("ask", _("Ask for information")),
        ("resolve", _("Resolve")),
    ]
    action = forms.ChoiceField(label=_("Action"), choices=ACTIONS, widget=forms.HiddenInput)
    body = body_field(_("Answer"))
    attachments = MultipleFileField(label=_("Attachments"), help_text=ATTACHMENT_HELP)


class ReopenForm(forms.Form):
    body = body_field(_("Why reopen it?"), rows=3)


class RatingForm(forms.Form):
    score = forms.TypedChoiceField(
        label=_("Your rating"),
        choices=[(n, str(n)) for n in range(5, 0, -1)],
        coerce=int,
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label=_("Comment"),
        required=False,
        max_length=COMMENT_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class QueueFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[
            ("PENDING", _("Waiting (open or awaiting information)")),
            (Status.OPEN, _("Awaiting the court")),
            (Status.AWAITING_INFORMATION, _("Awaiting the requester")),
            (Status.RESOLVED, _("Resolved or closed")),
            ("ALL", _("All")),
        ],
    )
    team = forms.ChoiceField(
        label=_("Team"), required=False, choices=[("", _("All")), *Team.choices]
    )
    kind = forms.ChoiceField(
        label=_("Kind"), required=False, choices=[("", _("All")), *Kind.choices]
    )
    topic = forms.ChoiceField(
        label=_("Topic"), required=False, choices=[("", _("All")), *Topic.choices]
    )
    target = forms.ChoiceField(
        label=_("Service level"),
        required=False,
        choices=[("", _("All")), ("PAST", _("Past a target")), ("NEAR", _("Near a target"))],
    )
    q = forms.CharField(label=_("Search"), required=False, max_length=100)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, item in self.fields.items():
            item.widget.attrs["class"] = "form-control" if name == "q" else "form-select"

    def chosen(self) -> selectors.QueueFilter:
        data = self.cleaned_data if self.is_valid() else {}
        return selectors.QueueFilter(
            status=data.get("status") or "PENDING",
            team=data.get("team") or "",
            kind=data.get("kind") or "",
            topic=data.get("topic") or "",
            target=data.get("target") or "",
            search=data.get("q") or "",
        )


class QuarterForm(forms.Form):
    year = forms.IntegerField(
        label=pgettext_lazy("calendar", "Year"), min_value=2020, max_value=2100
    )
    quarter = forms.TypedChoiceField(
        label=_("Quarter"),
        coerce=int,
        choices=[
            (1, _("Q1 (January–March)")),
            (2, _("Q2 (April–June)")),
            (3, _("Q3 (July–September)")),
            (4, _("Q4 (October–December)")),
        ],
    )

    def clean_year(self) -> int:
        year = int(self.cleaned_data["year"])
        if year > timezone.now().year + 1:
            raise forms.ValidationError(
                _("Choose a year up to %(year)s."),
                code="year_future",
                params={"year": timezone.now().year + 1},
            )
        return year


class CalendarForm(forms.Form):
    weekend_days = forms.TypedMultipleChoiceField(
        label=_("Weekend days"),
        choices=WEEKDAYS,
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
    )
    opens_at = forms.TimeField(
        label=_("Opens"), widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
    )
    closes_at = forms.TimeField(
        label=_("Closes"), widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
    )
    reopen_days = forms.IntegerField(
        label=_("Days a requester may reopen a resolved ticket"), min_value=1, max_value=90
    )


class TargetsForm(forms.Form):
    """Two fields per kind of ticket: `<kind>_first_response_hours`, `<kind>_resolution_hours`."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for kind, label in Kind.choices:
            prefix = kind.lower()
            self.fields[f"{prefix}_first_response_hours"] = forms.IntegerField(
                label=_("%(kind)s: first response (working hours)") % {"kind": label},
                min_value=1,
                max_value=MAX_TARGET_HOURS,
            )
            self.fields[f"{prefix}_resolution_hours"] = forms.IntegerField(
                label=_("%(kind)s: resolution (working hours)") % {"kind": label},
                min_value=1,
                max_value=MAX_TARGET_HOURS,
            )

    def rows(self) -> list[tuple[Any, forms.BoundField, forms.BoundField]]:
        return [
            (
                label,
                self[f"{kind.lower()}_first_response_hours"],
                self[f"{kind.lower()}_resolution_hours"],
            )
            for kind, label in Kind.choices
        ]

    def hours(self) -> dict[str, tuple[int, int]]:
        data = self.cleaned_data
        return {
            kind: (
                data[f"{kind.lower()}_first_response_hours"],
                data[f"{kind.lower()}_resolution_hours"],
            )
            for kind in Kind.values
        }


class HolidayForm(forms.Form):
    name_ar = forms.CharField(label=_("Name in Arabic"), max_length=100)
    name_en = forms.CharField(label=_("Name in English"), max_length=100)
    starts_on = forms.DateField(
        label=_("First day"), widget=forms.DateInput(attrs={"type": "date"})
    )
    ends_on = forms.DateField(label=_("Last day"), widget=forms.DateInput(attrs={"type": "date"}))
