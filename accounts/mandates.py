"""Companies as bidders: a representative's power of attorney, sent and reviewed like an ID.

Only an approved, unexpired power of attorney lets its representative register and bid
for the company (`valid_mandate`, asked when registering and again at every bid).
"""

from __future__ import annotations

import datetime

from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts import access, locks
from accounts.models import Company, PowerOfAttorney, User
from accounts.roles import Role
from core import audit
from core.errors import DomainError, InvalidTransition, PermissionDenied

FIELDS = ("status", "reviewed_by", "reviewed_at", "rejection_reason")


class MandateRefused(DomainError):
    code = "power_of_attorney_refused"


class MandateExists(DomainError):
    code = "power_of_attorney_exists"
    status = 409
    message = _(
        "You already have a power of attorney for this company that is pending or approved."
    )


def today() -> datetime.date:
    return timezone.localdate()


def valid_mandate(*, user_id: int, company_id: int) -> PowerOfAttorney | None:
    """The representative's approved power of attorney for the company valid today, or None."""
    return PowerOfAttorney.objects.filter(
        representative_id=user_id,
        company_id=company_id,
        status=PowerOfAttorney.Status.APPROVED,
        valid_until__gte=today(),
    ).first()


def valid_mandates(user: User) -> QuerySet[PowerOfAttorney]:
    """Every company `user` may bid for today."""
    return PowerOfAttorney.objects.filter(
        representative=user, status=PowerOfAttorney.Status.APPROVED, valid_until__gte=today()
    ).select_related("company")


def mandate_queue(*, status: str) -> QuerySet[PowerOfAttorney]:
    if status not in PowerOfAttorney.Status.values:
        status = PowerOfAttorney.Status.PENDING
    return (
        PowerOfAttorney.objects.filter(status=status)
        .select_related("company", "representative")
        .order_by("submitted_at", "pk")
    )


@transaction.atomic
def submit_power_of_attorney(
    *,
    user: User,
    registration_country: str,
    registration_number: str,
    name_ar: str,
    name_en: str,
    valid_until: datetime.date,
    document: UploadedFile,
) -> PowerOfAttorney:
    """A verified bidder sends the power of attorney that names them for a company.

    The company is found by its registration (or made). Raises MandateRefused
    (unverified account, expired document) or MandateExists.
    """
    user = locks.lock_user(user.pk)
    if user.role != Role.BIDDER or not user.is_verified:
        raise MandateRefused(
            _("Verify your own identity before representing a company."), field="document"
        )
    if valid_until < today():
        raise MandateRefused(_("This power of attorney has already expired."), field="valid_until")
    company, _created = Company.objects.get_or_create(
        registration_country=registration_country,
        registration_number=registration_number,
        defaults={"name_ar": name_ar, "name_en": name_en},
    )
    mandate = PowerOfAttorney(company=company, representative=user, valid_until=valid_until)
    mandate.document.save(document.name or "power-of-attorney", document, save=False)
    try:
        with transaction.atomic():
            mandate.save()
    except IntegrityError as error:
        raise MandateExists(field="registration_number") from error
    audit.record(
        actor=user,
        action="company.power_of_attorney_submitted",
        obj=mandate,
        after={"company": company.pk, "valid_until": valid_until.isoformat()},
    )
    return mandate


def _review(reviewer: User, mandate_id: int, *, status: str, reason: str) -> PowerOfAttorney:
    mandate = locks.lock_mandate(mandate_id)
    if not access.may_review_identity(reviewer, mandate.representative):
        raise PermissionDenied(_("You may not review this power of attorney."))
    if mandate.status != PowerOfAttorney.Status.PENDING:
        raise InvalidTransition(
            _("Only a pending power of attorney can be reviewed; this one is %(status)s."),
            params={"status": mandate.get_status_display()},
        )
    before = audit.snapshot(mandate, FIELDS)
    mandate.status, mandate.rejection_reason = status, reason
    mandate.reviewed_by, mandate.reviewed_at = reviewer, timezone.now()
    mandate.save(update_fields=list(FIELDS))
    audit.record(
        actor=reviewer,
        action=f"company.power_of_attorney_{status.lower()}",
        obj=mandate,
        before=before,
        after=audit.snapshot(mandate, FIELDS),
        note=reason,
    )
    return mandate


@transaction.atomic
def approve_power_of_attorney(*, reviewer: User, mandate_id: int) -> PowerOfAttorney:
    """Pending → approved. Raises PermissionDenied or InvalidTransition."""
    return _review(reviewer, mandate_id, status=PowerOfAttorney.Status.APPROVED, reason="")


@transaction.atomic
def reject_power_of_attorney(*, reviewer: User, mandate_id: int, reason: str) -> PowerOfAttorney:
    """Pending → rejected, with the reason the representative will read."""
    if not reason.strip():
        raise DomainError(
            _("Give the reason the representative will read."), code="required", field="reason"
        )
    return _review(
        reviewer, mandate_id, status=PowerOfAttorney.Status.REJECTED, reason=reason.strip()
    )
