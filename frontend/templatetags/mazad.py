"""Template helpers: form fields in the site's style; dates, money, references (core.formatting)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django import forms, template
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from core import formatting

register = template.Library()


def _css_class(widget: forms.Widget) -> str:
    if isinstance(widget, forms.CheckboxInput):
        return "form-check-input"
    if isinstance(widget, forms.Select | forms.SelectMultiple):
        return "form-select"
    return "form-control"


@register.simple_tag
def field(bound: forms.BoundField, **attrs: str) -> SafeString:
    """Render a field with its label, help text and errors; errors are tied to the input."""
    widget = bound.field.widget
    classes = [_css_class(widget), widget.attrs.get("class", "")]
    if bound.errors:
        classes.append("is-invalid")
    widget_attrs: dict[str, str | bool] = {"class": " ".join(c for c in classes if c), **attrs}
    describedby = []
    if bound.help_text:
        describedby.append(f"{bound.auto_id}_help")
    if bound.errors:
        describedby.append(f"{bound.auto_id}_errors")
        widget_attrs["aria-invalid"] = "true"
    if describedby:
        widget_attrs["aria-describedby"] = " ".join(describedby)
    return render_to_string(
        "includes/field.html",
        {
            "field": bound,
            "widget": bound.as_widget(attrs=widget_attrs),
            "is_checkbox": isinstance(widget, forms.CheckboxInput),
        },
    )


@register.simple_tag
def money(amount_minor: int | None, currency: str) -> str:
    """An amount in minor units shown in the active language: {% money lot.price_minor "KWD" %}."""
    return formatting.format_money(amount_minor, currency)


def _time_element(value: date | datetime, where: Any, text: str) -> SafeString:
    day = formatting.local_day(value, where)
    moment = value.isoformat() if isinstance(value, datetime) else day.isoformat()
    hijri = format_html(' data-hijri="{}"', day) if formatting.shows_hijri(where) else ""
    return format_html('<time datetime="{}"{}>{}</time>', moment, hijri, text)


@register.filter
def day(value: date | datetime | None, where: Any = None) -> SafeString | str:
    """A day with its month's name, in the court's zone: {{ letter.due_on|day:court }}.

    Saudi courts' days carry `data-hijri`, to which the page adds the Umm al-Qura date.
    """
    if value is None or value == "":
        return "—"
    return _time_element(value, where, formatting.format_day(value, where))


@register.filter
def when(value: datetime | None, where: Any = None) -> SafeString | str:
    """Day, time and the court's zone named: {{ sale.due_at|when:sale.court }}."""
    if value is None or value == "":
        return "—"
    return _time_element(value, where, formatting.format_moment(value, where))


@register.filter
def remaining(value: datetime | None, now: datetime | None = None) -> str:
    """Time left until `value` in words ("3 hours and 4 minutes", "less than a minute")."""
    if value is None:
        return "—"
    return formatting.format_remaining(value - (now or timezone.now()))


@register.filter
def reference(value: str | None) -> str:
    """A machine reference in words: "D00000002" → "Transfer no. 2"."""
    return formatting.describe_reference(value)


STATUS_TONES = {
    "OPEN": "info",
    "ENFORCING": "primary",
    "SATISFIED": "success",
    "CLOSED": "secondary",
    "SUSPENDED": "warning",
    "REQUESTED": "secondary",
    "ISSUED": "primary",
    "EXECUTED": "success",
    "NOT_EXECUTED": "warning",  # the agency found nothing or refused: staff decide what next
    "LIFTING": "info",
    "LIFTED": "secondary",
    "SEIZED": "secondary",
    "APPRAISED": "info",
    "APPROVED_FOR_SALE": "success",
    "LISTED": "primary",
    "SOLD": "dark",
    "UNSOLD": "warning",
    "RELEASED": "secondary",
    "SENT": "info",
    "ACKNOWLEDGED": "primary",
    "ANSWERED": "success",
    "SUBMITTED": "info",
    "ACCEPTED": "success",
    "REJECTED": "danger",
    "PENDING": "secondary",
    "RUNNING": "primary",
    "DONE": "success",
    "FAILED": "danger",
    "PROPOSED": "info",
    "FINAL": "success",
    "CANCELLED": "secondary",
    "TO_PREPARE": "warning",
    "PREPARED": "info",
    "APPROVED": "primary",
    "SENDING": "primary",
    "PAID": "success",
    "RETURNED": "danger",
    "AWAITING_PAYMENT": "warning",
    "OFFERED": "info",
    "DEFAULTED": "danger",
    "COMPLETED": "success",
    "REFUSED": "danger",
    "DELIVERED": "success",
    "DECLINED": "secondary",
    "EXPIRED": "secondary",
    "REVOKED": "secondary",
    "WAITING": "secondary",
    "DRAFT": "secondary",
    "PUBLISHED": "info",
    "LIVE": "primary",
    "SCHEDULED": "info",
    "WITHDRAWN": "secondary",
    "NEEDS_ATTENTION": "danger",
    "PREPARING": "secondary",
    "PROCESSING": "primary",
    "SUCCEEDED": "success",
    "CANCELED": "secondary",
    "AWAITING_BANK": "warning",
    "RECEIVED": "info",
    "PROCESSED": "success",
    "IGNORED": "secondary",
    "AWAITING_INFORMATION": "warning",
    "RESOLVED": "success",
    "ANNULLED": "danger",
    "UPHELD": "warning",
}


@register.simple_tag
def status_badge(obj: object) -> SafeString:
    """A coloured badge with the record's status label: {% status_badge asset %}."""
    status = str(getattr(obj, "status", ""))
    label = getattr(obj, "get_status_display", lambda: status)()
    tone = STATUS_TONES.get(status, "secondary")
    return format_html('<span class="badge status-badge text-bg-{}">{}</span>', tone, label)


@register.filter
def percent_bp(basis_points: int | str | None) -> str:
    """Basis points shown as a percentage in the active language: 250 → "2.5 %"."""
    return formatting.format_percent_bp(basis_points)


@register.filter
def zone_label(where: Any) -> str:
    """The court's time zone as people say it: "Saudi Arabia Time"."""
    return formatting.zone_name(where)


@register.filter
def duration(seconds: float | None) -> str:
    """A wait for people to read: "12 s", "3 min", "2 h 5 min", "3 d"; an em dash when none."""
    if seconds is None:
        return "—"
    whole = int(seconds)
    if whole < 120:
        return _("%(count)s s") % {"count": whole}
    if whole < 2 * 3600:
        return _("%(count)s min") % {"count": whole // 60}
    if whole < 2 * 86400:
        return _("%(hours)s h %(minutes)s min") % {
            "hours": whole // 3600,
            "minutes": whole % 3600 // 60,
        }
    return _("%(count)s d") % {"count": whole // 86400}
