"""The user account: login by e-mail, identity, role, court and identity verification state."""

from __future__ import annotations

from typing import Any, ClassVar

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.core.files.storage import Storage
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# Imported so that Django registers the organisations' models with this app.
from accounts.companies import Company as Company
from accounts.companies import PowerOfAttorney as PowerOfAttorney
from accounts.organisations import Agency as Agency
from accounts.organisations import Court as Court
from accounts.roles import AGENCY_ROLES, COURT_ROLES, Role, capabilities_of
from accounts.second_factor import Passkey as Passkey
from accounts.second_factor import TotpDevice as TotpDevice
from accounts.subscriptions import PushSubscription as PushSubscription
from core.storage import private_storage


def _private_storage() -> Storage:
    # Identity documents never live under MEDIA_ROOT: a view that checks the
    # reader's permission serves them (core/storage.py).
    return private_storage()


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **fields: Any) -> User:
        if not email:
            raise ValueError("An e-mail address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **fields: Any) -> User:
        # A supervisor belongs to a court; a platform administrator made without one keeps the
        # default role (the database refuses court staff without a court).
        fields.update(is_staff=True, is_superuser=True)
        if fields.get("court") or fields.get("court_id"):
            fields["role"] = Role.SUPERVISOR
        return self.create_user(email, password, **fields)


class IdKind(models.TextChoices):
    NATIONAL_ID = "NATIONAL_ID", _("National ID")
    PASSPORT = "PASSPORT", _("Passport")


class IdentityStatus(models.TextChoices):
    UNVERIFIED = "UNVERIFIED", _("Not verified")
    PENDING = "PENDING", _("Pending review")
    VERIFIED = "VERIFIED", _("Verified")
    REJECTED = "REJECTED", _("Rejected")


class Language(models.TextChoices):
    ARABIC = "ar", "العربية"
    ENGLISH = "en", "English"


class User(AbstractBaseUser, PermissionsMixin):
    email = models.EmailField(_("e-mail address"), unique=True)
    full_name = models.CharField(_("full name"), max_length=200)
    id_kind = models.CharField(
        _("identity document"), max_length=16, choices=IdKind.choices, default=IdKind.NATIONAL_ID
    )
    id_country = models.CharField(_("issuing country"), max_length=2, default="SA")
    id_number = models.CharField(_("ID or passport number"), max_length=32)
    phone = models.CharField(_("mobile phone"), max_length=20)
    preferred_language = models.CharField(
        _("preferred language"), max_length=2, choices=Language.choices, default=Language.ARABIC
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.BIDDER)
    court = models.ForeignKey(
        "accounts.Court",
        verbose_name=_("court"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="staff",
    )
    agency = models.ForeignKey(
        "accounts.Agency",
        verbose_name=_("agency"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="users",
    )
    is_active = models.BooleanField(_("active"), default=True)
    is_staff = models.BooleanField(_("may use the admin site"), default=False)
    date_joined = models.DateTimeField(_("joined"), default=timezone.now)

    identity_status = models.CharField(
        _("identity verification"),
        max_length=12,
        choices=IdentityStatus.choices,
        default=IdentityStatus.UNVERIFIED,
    )
    identity_document = models.FileField(
        _("identity document"), storage=_private_storage, upload_to="identity/%Y/%m/", blank=True
    )
    identity_submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True)
    identity_reviewed_by = models.ForeignKey(
        "self",
        verbose_name=_("reviewed by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    identity_reviewed_at = models.DateTimeField(_("reviewed"), null=True, blank=True)
    identity_rejection_reason = models.TextField(_("reason for rejection"), blank=True)

    objects: ClassVar[UserManager] = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["full_name", "id_number", "phone"]

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        ordering = ["email"]
        constraints = [
            models.CheckConstraint(
                condition=Q(role__in=Role.values),
                name="accounts_user_role_known",
            ),
            models.CheckConstraint(
                condition=Q(identity_status__in=IdentityStatus.values),
                name="accounts_user_identity_status_known",
            ),
            models.UniqueConstraint(
                fields=["id_kind", "id_country", "id_number"],
                name="accounts_user_one_account_per_id",
            ),
            models.CheckConstraint(
                condition=~Q(role__in=sorted(COURT_ROLES)) | Q(court__isnull=False),
                name="accounts_user_staff_belong_to_a_court",
            ),
            models.CheckConstraint(
                condition=(Q(role__in=sorted(AGENCY_ROLES)) & Q(agency__isnull=False))
                | (~Q(role__in=sorted(AGENCY_ROLES)) & Q(agency__isnull=True)),
                name="accounts_user_agency_users_belong_to_one_agency",
            ),
            models.CheckConstraint(
                condition=~Q(identity_status=IdentityStatus.VERIFIED)
                | Q(identity_reviewed_at__isnull=False),
                name="accounts_user_verified_has_review",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.full_name} <{self.email}>"

    def get_full_name(self) -> str:
        return self.full_name

    def get_short_name(self) -> str:
        return self.full_name.split(" ")[0] if self.full_name else self.email

    @property
    def is_verified(self) -> bool:
        return self.identity_status == IdentityStatus.VERIFIED

    @property
    def is_court_staff(self) -> bool:
        return self.role in COURT_ROLES

    @property
    def is_agency_user(self) -> bool:
        return self.role in AGENCY_ROLES

    @property
    def capabilities(self) -> frozenset[str]:
        return capabilities_of(self.role) if self.is_active else frozenset()


class LoginThrottle(models.Model):
    """Failed log-ins to one account from any address (accounts/throttle.py).

    Kept by the e-mail typed, whether an account has it or not, so the answer never tells
    which addresses have accounts.
    """

    username = models.CharField(_("e-mail typed"), max_length=254, unique=True)
    window_started_at = models.DateTimeField(_("counting since"))
    failures = models.PositiveIntegerField(_("failures"), default=0)
    cooldown_until = models.DateTimeField(_("cooling down until"), null=True, blank=True)

    class Meta:
        verbose_name = _("log-in throttle")
        verbose_name_plural = _("log-in throttles")

    def __str__(self) -> str:
        return f"{self.username} {self.failures}"


class DigitalIdentity(models.Model):
    """A person's national digital identity (an OpenID Connect subject) linked to one account.

    The provider vouched for the national ID number, the name and the date of birth; the
    account holding it is verified (accounts/digital_id.py, accounts.services).
    """

    user = models.OneToOneField(
        User, verbose_name=_("account"), on_delete=models.PROTECT, related_name="digital_identity"
    )
    issuer = models.CharField(_("identity provider"), max_length=300)
    subject = models.CharField(_("subject at the provider"), max_length=255)
    country = models.CharField(_("issuing country"), max_length=2)
    national_id = models.CharField(_("national ID number"), max_length=32)
    full_name = models.CharField(_("name given by the provider"), max_length=200)
    birth_date = models.DateField(_("date of birth"), null=True, blank=True)
    linked_at = models.DateTimeField(_("linked"))
    last_signed_in_at = models.DateTimeField(_("last signed in"))

    class Meta:
        verbose_name = _("digital identity")
        verbose_name_plural = _("digital identities")
        constraints = [
            models.UniqueConstraint(
                fields=["issuer", "subject"], name="accounts_digital_identity_one_per_subject"
            ),
            models.UniqueConstraint(
                fields=["country", "national_id"],
                name="accounts_digital_identity_one_per_national_id",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.country} {self.national_id}"
