"""Writing audit records from services, inside the transaction of the change they record."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import models
from django.db.models.fields.files import FieldFile
from django.forms.models import model_to_dict

from core.models import AuditRecord

SYSTEM = "system"


def snapshot(obj: models.Model, fields: Iterable[str] | None = None) -> dict[str, Any]:
    """The JSON-serialisable state of `obj` (its concrete fields, or just `fields`)."""
    data = model_to_dict(obj, fields=list(fields) if fields is not None else None)
    clean: dict[str, Any] = {}
    for key, value in data.items():
        if isinstance(value, FieldFile):  # an empty one raises on `.url`, so test the type
            clean[key] = value.name or ""
        elif isinstance(value, models.Model):
            clean[key] = value.pk
        elif isinstance(value, list | tuple):
            clean[key] = [v.pk if isinstance(v, models.Model) else v for v in value]
        else:
            clean[key] = value
    return clean


def record(
    *,
    actor: AbstractBaseUser | None,
    action: str,
    obj: models.Model,
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
    court_id: int | None = None,
    note: str = "",
) -> AuditRecord:
    """Append one audit record; call inside the service's transaction."""
    record = build(
        actor=actor,
        action=action,
        obj=obj,
        before=before,
        after=after,
        court_id=court_id,
        note=note,
    )
    record.save(force_insert=True)
    return record


def build(
    *,
    actor: AbstractBaseUser | None,
    action: str,
    obj: models.Model,
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
    court_id: int | None = None,
    note: str = "",
) -> AuditRecord:
    """The record `record` appends, unsaved: for a service that writes many in one statement."""
    actor_user = actor if actor is not None and actor.pk else None
    return AuditRecord(
        actor_id=actor_user.pk if actor_user else None,
        actor_label=actor_user.get_username() if actor_user else SYSTEM,
        court_id=court_id,
        action=action,
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
        before=dict(before) if before is not None else None,
        after=dict(after) if after is not None else None,
        note=note,
    )


def changes(
    before: Mapping[str, Any], after: Mapping[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Only the keys whose values differ, as (before, after)."""
    keys = [k for k in after if before.get(k) != after.get(k)]
    return {k: before.get(k) for k in keys}, {k: after[k] for k in keys}
