"""What every enforcement service shares: data shapes, transition checks, audit snapshots."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core import audit
from core.errors import DomainError, InvalidTransition
from enforcement import engine


@dataclass(frozen=True)
class PartyDetails:
    kind: str
    id_kind: str
    name_ar: str
    name_en: str
    id_country: str
    id_number: str
    address: str = ""
    phone: str = ""
    email: str = ""
    iban: str = ""


@dataclass(frozen=True)
class Instrument:
    kind: str
    reference: str
    issued_on: date


def check_transition(
    table: dict[str, engine.Transition], action: str, obj: models.Model, status_label: Any
) -> str:
    """Return the target status of `action`, or raise InvalidTransition naming the state."""
    status = obj.status  # type: ignore[attr-defined]
    if not engine.allowed(table, action, status):
        raise InvalidTransition(
            _("Not possible while the %(object)s is “%(status)s”."),
            field="status",
            params={"object": obj._meta.verbose_name, "status": status_label},
        )
    return table[action].target


def transition(
    *,
    table: dict[str, engine.Transition],
    action: str,
    obj: models.Model,
    actor: Any,
    court_id: int,
    fields: tuple[str, ...],
    changes: dict[str, Any] | None = None,
    note: str = "",
) -> None:
    """Move a locked `obj` by `action`, set `changes`, save and audit (before and after)."""
    label = obj.get_status_display()  # type: ignore[attr-defined]
    target = check_transition(table, action, obj, label)
    watched = ("status", *fields)
    before = audit.snapshot(obj, watched)
    obj.status = target  # type: ignore[attr-defined]
    for name, value in (changes or {}).items():
        setattr(obj, name, value)
    if hasattr(obj, "status_changed_at"):
        obj.status_changed_at = timezone.now()
        watched = (*watched, "status_changed_at")
    obj.save(update_fields=list(dict.fromkeys(watched)))
    audit.record(
        actor=actor,
        action=audit_action(obj, action),
        obj=obj,
        before=before,
        after=audit.snapshot(obj, watched),
        court_id=court_id,
        note=note,
    )


AUDIT_PREFIX = {
    "enforcementfile": "file",
    "seizureorder": "order",
    "seizedasset": "asset",
    "agencyletter": "letter",
    "enforcementrequest": "request",
}


def audit_action(obj: models.Model, action: str) -> str:
    """The dotted audit action, e.g. `asset.approve_for_sale`."""
    return f"{AUDIT_PREFIX[obj._meta.model_name or '']}.{action}"


def required(value: str, field: str) -> str:
    """Return `value` stripped, or refuse naming `field` when it is blank."""
    value = value.strip()
    if not value:
        raise DomainError(_("This field is required."), code="required", field=field)
    return value


def positive(amount_minor: int, field: str) -> int:
    if amount_minor <= 0:
        raise DomainError(
            _("The amount must be greater than zero."), code="amount_positive", field=field
        )
    return amount_minor
