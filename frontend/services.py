"""Operations on site-wide content."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from accounts.access import has_capability
from accounts.models import User
from accounts.roles import Capability
from core import audit
from core.errors import DomainError, PermissionDenied
from core.live import users as live_users
from frontend.models import Announcement


@transaction.atomic
def publish_announcement(
    *, actor: User, text_ar: str, text_en: str, starts_at: datetime, ends_at: datetime
) -> Announcement:
    """Store an announcement and push it to every open page. Supervisors only."""
    if not has_capability(actor, Capability.PUBLISH_ANNOUNCEMENTS):
        raise PermissionDenied(_("Only supervisors publish announcements."))
    if ends_at <= starts_at:
        raise DomainError(
            _("The end must come after the start."), code="ends_before_start", field="ends_at"
        )
    announcement = Announcement.objects.create(
        text_ar=text_ar, text_en=text_en, starts_at=starts_at, ends_at=ends_at, created_by=actor
    )
    audit.record(
        actor=actor,
        action="announcement.published",
        obj=announcement,
        after=audit.snapshot(announcement, ["text_ar", "text_en", "starts_at", "ends_at"]),
    )
    live_users.announce_after_commit(
        {"id": announcement.pk, "text_ar": text_ar, "text_en": text_en}
    )
    return announcement
