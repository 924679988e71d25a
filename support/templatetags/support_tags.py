"""Template helpers of the support desk pages: status and service-level badges, durations."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from support import engine, reports, selectors

register = template.Library()

STATUS_TONES = {
    "OPEN": "primary",
    "AWAITING_INFORMATION": "warning",
    "RESOLVED": "success",
    "CLOSED": "secondary",
}


@register.simple_tag
def ticket_badge(ticket: Any) -> SafeString:
    tone = STATUS_TONES.get(ticket.status, "secondary")
    return format_html(
        '<span class="badge status-badge text-bg-{}">{}</span>', tone, ticket.get_status_display()
    )


@register.simple_tag
def target_flag(state: str) -> SafeString:
    """A badge for a service-level state worth showing ('' when on track)."""
    flags = {
        engine.PAST: ("danger", "bi-alarm", _("Past target")),
        engine.NEAR: ("warning", "bi-hourglass-split", _("Near target")),
        engine.MET: ("success", "bi-check2", _("Within target")),
        engine.MISSED: ("danger", "bi-x", _("Target missed")),
    }
    if state not in flags:
        return SafeString("")
    tone, icon, label = flags[state]
    return format_html(
        '<span class="badge sla-flag text-bg-{}">'
        '<i class="bi {}" aria-hidden="true"></i> {}</span>',
        tone,
        icon,
        label,
    )


@register.filter
def working_hours(minutes: Decimal | int | None) -> str:
    return reports.working_hours_text(minutes)


@register.filter
def share(value: Decimal | None) -> str:
    return reports.share_text(value)


@register.simple_tag
def support_attention(user: Any) -> dict[str, int]:
    return selectors.counts_needing_attention(user)
