"""Which cached letter lists a saved letter changes (enforcement/views/letters.py, `letter_list`).

A court's list of letters and an agency's inbox are kept rendered while their version
counters stand still (core/http_cache.py, `versioned_fragment`). A letter saved or deleted
through the ORM (sent, acknowledged, answered, edited) bumps the counters of its court's
list and its agency's inbox at once and again after its commit: a list rendered between the
two shows the rows from before the change and the second bump retires it.
"""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_delete, post_save

from core import http_cache
from core.transactions import after_commit
from enforcement.access import letter_scopes
from enforcement.models import AgencyLetter


def _letter_saved(sender: Any, instance: AgencyLetter, **kwargs: Any) -> None:
    names = letter_scopes(instance)
    http_cache.changed(*names)
    after_commit(lambda: http_cache.changed(*names))


def connect() -> None:
    """Called once at start-up (enforcement/apps.py)."""
    post_save.connect(_letter_saved, sender=AgencyLetter, dispatch_uid="letter-lists-saved")
    post_delete.connect(_letter_saved, sender=AgencyLetter, dispatch_uid="letter-lists-deleted")
