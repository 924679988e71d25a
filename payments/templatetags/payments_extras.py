"""Template helpers of the payment pages."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.translation import get_language

from payments import selectors

register = template.Library()


@register.filter
def in_language(value: Any) -> str:
    """The active language's text of a frozen {"ar": ..., "en": ...} pair (receipt content)."""
    if not isinstance(value, dict):
        return "" if value is None else str(value)
    language = (get_language() or "ar")[:2]
    return str(value.get(language) or value.get("ar") or "")


@register.simple_tag
def finance_attention_count(court: Any) -> int:
    return selectors.attention_count(court) if court is not None else 0


@register.filter
def absolute(value: int) -> int:
    return abs(int(value))
