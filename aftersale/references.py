"""Structured payment references on bank lines, each taken only when its check digits hold.

A bank line carries the payer's reference in a structured field or somewhere
in free text. A mistyped or accidental one must never be matched to a
payment, so every scheme here is checked before it is used: ISO 11649
creditor references (RF), the Swiss QR / ISR reference (27 digits, recursive
modulo 10), the Finnish national reference (weights 7-3-1) and the Belgian
structured communication (+++123/4567/89002+++, modulo 97).
"""

from __future__ import annotations

import re

from payments.engine import is_valid_creditor_reference

# RF + two check digits + 1-21 characters, printed compact or in groups of four.
_RF_GROUPED = re.compile(r"\bRF\d{2}(?: ?[A-Z0-9]{4}){0,5}(?: ?[A-Z0-9]{1,4})?\b")
_BELGIAN = re.compile(r"^\+{3}(\d{3})/(\d{4})/(\d{5})\+{3}$|^\*{3}(\d{3})/(\d{4})/(\d{5})\*{3}$")
_SWISS_TABLE = (0, 9, 4, 6, 8, 2, 7, 1, 3, 5)


def is_valid_swiss_reference(text: str) -> bool:
    """A Swiss QR reference (ex ISR/BVR): 27 digits, the last a recursive modulo-10 check."""
    digits = text.replace(" ", "")
    if len(digits) != 27 or not digits.isdigit():
        return False
    carry = 0
    for char in digits[:-1]:
        carry = _SWISS_TABLE[(carry + int(char)) % 10]
    return (10 - carry) % 10 == int(digits[-1])


def is_valid_finnish_reference(text: str) -> bool:
    """A Finnish national reference: 4 to 20 digits, the last a 7-3-1 weighted check."""
    digits = text.replace(" ", "")
    if not 4 <= len(digits) <= 20 or not digits.isdigit() or digits.startswith("0"):
        return False
    weights = (7, 3, 1)
    total = sum(int(char) * weights[i % 3] for i, char in enumerate(reversed(digits[:-1])))
    return (10 - total % 10) % 10 == int(digits[-1])


def is_valid_belgian_reference(text: str) -> bool:
    """A Belgian structured communication: 10 digits and their remainder modulo 97 (97 for 0)."""
    match = _BELGIAN.match(text.replace(" ", ""))
    if match is None:
        return False
    digits = "".join(part for part in match.groups() if part)
    remainder = int(digits[:10]) % 97 or 97
    return remainder == int(digits[10:])


def structured(text: str) -> str:
    """`text` as a reference if it is one of the schemes above with valid check digits, or ""."""
    compact = (text or "").replace(" ", "").upper()
    if compact.startswith("RF") and compact[2:4].isdigit():
        return compact if is_valid_creditor_reference(compact) else ""
    if is_valid_belgian_reference(compact):
        return compact
    if is_valid_swiss_reference(compact) or is_valid_finnish_reference(compact):
        return compact
    return ""


def looks_structured(text: str) -> bool:
    """Whether `text` claims one of the schemes (so an invalid one must not be used at all)."""
    compact = (text or "").replace(" ", "").upper()
    return (
        (compact.startswith("RF") and compact[2:4].isdigit())
        or compact.startswith(("+++", "***"))
        or (compact.isdigit() and len(compact) == 27)
    )


def creditor_reference_in(text: str) -> str:
    """The first valid RF creditor reference written anywhere in free text, or ""."""
    for match in _RF_GROUPED.finditer((text or "").upper()):
        groups = match.group(0).split(" ")
        # A spaced run may have taken in a following word: try it whole, then group by group.
        for end in range(len(groups), 0, -1):
            candidate = "".join(groups[:end])
            if len(candidate) >= 5 and is_valid_creditor_reference(candidate):
                return candidate
    return ""
