"""Template helpers: form fields in the site's style."""

from __future__ import annotations

from django import forms, template
from django.template.loader import render_to_string
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

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
    from payments.money import Money

    if amount_minor is None:
        return "—"
    return Money(int(amount_minor), currency).format()


STATUS_TONES = {
    "OPEN": "info",
    "ENFORCING": "primary",
    "SATISFIED": "success",
    "CLOSED": "secondary",
    "SUSPENDED": "warning",
    "REQUESTED": "secondary",
    "ISSUED": "primary",
    "EXECUTED": "success",
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
    "DECLINED": "secondary",
    "EXPIRED": "secondary",
}


@register.simple_tag
def status_badge(obj: object) -> SafeString:
    """A coloured badge with the record's status label: {% status_badge asset %}."""
    from django.utils.html import format_html

    status = str(getattr(obj, "status", ""))
    label = getattr(obj, "get_status_display", lambda: status)()
    tone = STATUS_TONES.get(status, "secondary")
    return format_html('<span class="badge status-badge text-bg-{}">{}</span>', tone, label)


@register.filter
def percent_bp(basis_points: int | str | None) -> str:
    """Basis points shown as a percentage in the active language: 250 → "2.5 %"."""
    from decimal import Decimal

    from babel.numbers import format_percent
    from django.utils.translation import get_language

    value = Decimal(int(basis_points or 0)) / Decimal(10_000)
    locale = "ar" if (get_language() or "ar").startswith("ar") else "en"
    return str(format_percent(value, format="#,##0.##%", locale=locale))


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
