"""Operations that change accounts: sign-up, profile, identity verification, roles."""

from __future__ import annotations

from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts import access, locks
from accounts.digital_id import VerifiedPerson
from accounts.models import DigitalIdentity, IdentityStatus, IdKind, User
from accounts.roles import AGENCY_ROLES, COURT_ROLES, Role
from core import audit
from core.errors import DomainError, InvalidTransition, PermissionDenied
from core.live import users as live_users

PROFILE_FIELDS = ("full_name", "phone", "preferred_language")
IDENTITY_FIELDS = (
    "identity_status",
    "identity_submitted_at",
    "identity_reviewed_by",
    "identity_reviewed_at",
    "identity_rejection_reason",
)


class DuplicateIdentity(DomainError):
    code = "duplicate_identity"
    message = _("An account with this identity document already exists.")


class DuplicateEmail(DomainError):
    code = "duplicate_email"
    message = _("An account with this e-mail address already exists.")


@transaction.atomic
def sign_up(
    *,
    email: str,
    password: str,
    full_name: str,
    id_kind: str,
    id_country: str,
    id_number: str,
    phone: str,
    preferred_language: str,
) -> User:
    """Create a bidder account (unverified). Raises DuplicateEmail or DuplicateIdentity."""
    email = email.strip().lower()
    if User.objects.filter(email=email).exists():
        raise DuplicateEmail(field="email")
    if User.objects.filter(id_kind=id_kind, id_country=id_country, id_number=id_number).exists():
        raise DuplicateIdentity(field="id_number")
    try:
        with transaction.atomic():
            user = User.objects.create_user(
                email,
                password,
                full_name=full_name,
                id_kind=id_kind,
                id_country=id_country,
                id_number=id_number,
                phone=phone,
                preferred_language=preferred_language,
                role=Role.BIDDER,
            )
    except IntegrityError as error:  # a concurrent sign-up with the same e-mail or ID
        raise DuplicateIdentity(field="id_number") from error
    audit.record(
        actor=user,
        action="user.signed_up",
        obj=user,
        after=audit.snapshot(user, ["email", "full_name", "role"]),
    )
    return user


@transaction.atomic
def update_profile(*, user: User, full_name: str, phone: str, preferred_language: str) -> User:
    user = locks.lock_user(user.pk)
    before = audit.snapshot(user, PROFILE_FIELDS)
    user.full_name, user.phone, user.preferred_language = full_name, phone, preferred_language
    user.save(update_fields=list(PROFILE_FIELDS))
    changed_before, changed_after = audit.changes(before, audit.snapshot(user, PROFILE_FIELDS))
    if changed_after:
        audit.record(
            actor=user,
            action="user.profile_updated",
            obj=user,
            before=changed_before,
            after=changed_after,
        )
    return user


@transaction.atomic
def set_language(*, user: User, language: str) -> None:
    User.objects.filter(pk=user.pk).update(preferred_language=language)


@transaction.atomic
def submit_identity(*, user: User, document: UploadedFile) -> User:
    """A bidder sends an ID document: unverified or rejected → pending."""
    user = locks.lock_user(user.pk)
    if user.identity_status not in (IdentityStatus.UNVERIFIED, IdentityStatus.REJECTED):
        raise InvalidTransition(
            _("Your identity is already %(status)s."),
            field="identity_document",
            params={"status": user.get_identity_status_display()},
        )
    before = audit.snapshot(user, IDENTITY_FIELDS)
    user.identity_document.save(document.name or "document", document, save=False)
    user.identity_status = IdentityStatus.PENDING
    user.identity_submitted_at = timezone.now()
    user.identity_rejection_reason = ""
    user.save(update_fields=["identity_document", *IDENTITY_FIELDS])
    audit.record(
        actor=user,
        action="user.identity_submitted",
        obj=user,
        before=before,
        after=audit.snapshot(user, IDENTITY_FIELDS),
    )
    return user


def _review(reviewer: User, subject_id: int, *, status: str, reason: str) -> User:
    subject = locks.lock_user(subject_id)
    if not access.may_review_identity(reviewer, subject):
        raise PermissionDenied(_("You may not review this identity."))
    if subject.identity_status != IdentityStatus.PENDING:
        raise InvalidTransition(
            _("Only a pending identity can be reviewed; this one is %(status)s."),
            params={"status": subject.get_identity_status_display()},
        )
    before = audit.snapshot(subject, IDENTITY_FIELDS)
    subject.identity_status = status
    subject.identity_reviewed_by = reviewer
    subject.identity_reviewed_at = timezone.now()
    subject.identity_rejection_reason = reason
    subject.save(update_fields=list(IDENTITY_FIELDS))
    action = (
        "user.identity_verified" if status == IdentityStatus.VERIFIED else "user.identity_rejected"
    )
    audit.record(
        actor=reviewer,
        action=action,
        obj=subject,
        before=before,
        after=audit.snapshot(subject, IDENTITY_FIELDS),
        note=reason,
    )
    return subject


@transaction.atomic
def verify_identity(*, reviewer: User, subject_id: int) -> User:
    """Pending → verified. Raises PermissionDenied or InvalidTransition."""
    return _review(reviewer, subject_id, status=IdentityStatus.VERIFIED, reason="")


@transaction.atomic
def reject_identity(*, reviewer: User, subject_id: int, reason: str) -> User:
    """Pending → rejected, with the reason the bidder will read."""
    if not reason.strip():
        raise DomainError(
            _("Give the reason the bidder will read."), code="required", field="reason"
        )
    return _review(reviewer, subject_id, status=IdentityStatus.REJECTED, reason=reason.strip())


@transaction.atomic
def assign_role(
    *,
    actor: User | None,
    user_id: int,
    role: str,
    court_id: int | None,
    agency_id: int | None = None,
) -> User:
    """Change a user's role, court and agency; their open sockets close (rights read at connect)."""
    if role in COURT_ROLES and court_id is None:
        raise DomainError(
            _("Staff and supervisors belong to a court."), code="required", field="court"
        )
    if role in AGENCY_ROLES and agency_id is None:
        raise DomainError(_("Agency users belong to one agency."), code="required", field="agency")
    user = locks.lock_user(user_id)
    before = audit.snapshot(user, ["role", "court", "agency"])
    user.role = role
    user.court_id = court_id if role in COURT_ROLES else None
    user.agency_id = agency_id if role in AGENCY_ROLES else None
    user.save(update_fields=["role", "court", "agency"])
    audit.record(
        actor=actor,
        action="user.role_changed",
        obj=user,
        before=before,
        after=audit.snapshot(user, ["role", "court", "agency"]),
        court_id=court_id,
    )
    live_users.close_sockets_after_commit(user.pk, "role_changed")
    return user


@transaction.atomic
def deactivate(*, actor: User | None, user_id: int, reason: str) -> User:
    user = locks.lock_user(user_id)
    before: dict[str, Any] = {"is_active": user.is_active}
    user.is_active = False
    user.save(update_fields=["is_active"])
    audit.record(
        actor=actor,
        action="user.deactivated",
        obj=user,
        before=before,
        after={"is_active": False},
        note=reason,
    )
    live_users.close_sockets_after_commit(user.pk, "deactivated")
    return user


class NationalIdTaken(DomainError):
    code = "national_id_taken"
    status = 409
    message = _(
        "This national ID is already linked to another Mazad account. Log in to that account "
        "instead, or ask the court's support desk if it is not yours."
    )


class NationalIdExists(DomainError):
    code = "national_id_exists"
    status = 409
    message = _(
        "An account with this national ID already exists. Log in to it with its e-mail and "
        "password, then link your national digital ID from its identity page."
    )


class DigitalIdMismatch(DomainError):
    code = "digital_id_mismatch"
    status = 409
    message = _(
        "Your account is linked to another national ID. Each account belongs to one person."
    )


def _holder_of(person: VerifiedPerson) -> User | None:
    """The account the person's digital identity is linked to, or None."""
    link = (
        DigitalIdentity.objects.filter(
            Q(issuer=person.issuer, subject=person.subject)
            | Q(country=person.country, national_id=person.national_id)
        )
        .select_related("user")
        .first()
    )
    return link.user if link is not None else None


def _owner_of_number(person: VerifiedPerson) -> User | None:
    return User.objects.filter(
        id_kind=IdKind.NATIONAL_ID, id_country=person.country, id_number=person.national_id
    ).first()


def _mark_verified(user: User, person: VerifiedPerson, *, action: str) -> None:
    """Write the provider's claims into the account (locked by the caller), verify it, audit."""
    fields = ["full_name", "id_kind", "id_country", "id_number", *IDENTITY_FIELDS]
    before = audit.snapshot(user, fields)
    now = timezone.now()
    user.full_name = person.full_name
    user.id_kind, user.id_country, user.id_number = (
        IdKind.NATIONAL_ID,
        person.country,
        (person.national_id),
    )
    user.identity_status = IdentityStatus.VERIFIED
    user.identity_reviewed_by = None
    user.identity_reviewed_at = now
    user.identity_rejection_reason = ""
    user.save(update_fields=fields)
    DigitalIdentity.objects.update_or_create(
        user=user,
        defaults={
            "issuer": person.issuer,
            "subject": person.subject,
            "country": person.country,
            "national_id": person.national_id,
            "full_name": person.full_name,
            "birth_date": person.birth_date,
            "last_signed_in_at": now,
        },
        create_defaults={
            "issuer": person.issuer,
            "subject": person.subject,
            "country": person.country,
            "national_id": person.national_id,
            "full_name": person.full_name,
            "birth_date": person.birth_date,
            "linked_at": now,
            "last_signed_in_at": now,
        },
    )
    audit.record(
        actor=user,
        action=action,
        obj=user,
        before=before,
        after={**audit.snapshot(user, fields), "issuer": person.issuer},
    )


@transaction.atomic
def sign_in_with_digital_id(*, person: VerifiedPerson) -> User | None:
    """The account linked to the person's digital identity, its claims refreshed; None when
    no account is linked yet (the caller offers to create one).

    Raises NationalIdExists when an account not linked to it already carries this
    national ID (its owner logs in with a password and links it).
    """
    holder = _holder_of(person)
    if holder is None:
        if _owner_of_number(person) is not None:
            raise NationalIdExists(field="national_id")
        return None
    user = locks.lock_user(holder.pk)
    if not user.is_active:
        raise PermissionDenied(_("This account is not active."))
    _mark_verified(user, person, action="user.signed_in_with_digital_id")
    return user


@transaction.atomic
def link_digital_id(*, user: User, person: VerifiedPerson) -> User:
    """Link the person's digital identity to the signed-in `user`, who is verified at once.

    Raises NationalIdTaken when another account holds this national ID (linked or
    typed at sign-up), DigitalIdMismatch when `user` is linked to another one.
    """
    user = locks.lock_user(user.pk)
    holder, owner = _holder_of(person), _owner_of_number(person)
    if (holder is not None and holder.pk != user.pk) or (owner is not None and owner.pk != user.pk):
        raise NationalIdTaken(field="national_id")
    current = DigitalIdentity.objects.filter(user=user).first()
    if current is not None and (current.country, current.national_id) != (
        person.country,
        person.national_id,
    ):
        raise DigitalIdMismatch(field="national_id")
    try:
        with transaction.atomic():
            _mark_verified(user, person, action="user.digital_id_linked")
    except IntegrityError as error:  # a concurrent link of the same national ID
        raise NationalIdTaken(field="national_id") from error
    return user


@transaction.atomic
def sign_up_with_digital_id(
    *, person: VerifiedPerson, email: str, phone: str, preferred_language: str
) -> User:
    """Create a bidder account from the provider's claims, verified at once (no password:
    the person signs in with the digital ID, or sets one through a password reset).

    Raises DuplicateEmail, NationalIdTaken or NationalIdExists.
    """
    email = email.strip().lower()
    if User.objects.filter(email=email).exists():
        raise DuplicateEmail(field="email")
    if _holder_of(person) is not None:
        raise NationalIdTaken(field="national_id")
    if _owner_of_number(person) is not None:
        raise NationalIdExists(field="national_id")
    try:
        with transaction.atomic():
            user = User.objects.create_user(
                email,
                None,
                full_name=person.full_name,
                id_kind=IdKind.NATIONAL_ID,
                id_country=person.country,
                id_number=person.national_id,
                phone=phone,
                preferred_language=preferred_language,
                role=Role.BIDDER,
            )
            _mark_verified(user, person, action="user.signed_up_with_digital_id")
    except IntegrityError as error:  # a concurrent sign-up with the same e-mail or ID
        raise NationalIdTaken(field="national_id") from error
    return user
