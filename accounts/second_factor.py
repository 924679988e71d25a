"""Second factors of an account: passkeys (WebAuthn credentials) and one TOTP authenticator."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Passkey(models.Model):
    """A WebAuthn public-key credential registered by the account holder (accounts/mfa.py)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("account"),
        on_delete=models.CASCADE,
        related_name="passkeys",
    )
    name = models.CharField(_("name"), max_length=80)
    credential_id = models.BinaryField(_("credential ID"), unique=True)
    public_key = models.BinaryField(_("public key"))
    sign_count = models.PositiveBigIntegerField(_("signature counter"), default=0)
    transports = models.CharField(_("transports"), max_length=100, blank=True)
    created_at = models.DateTimeField(_("added"))
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)

    class Meta:
        verbose_name = _("passkey")
        verbose_name_plural = _("passkeys")
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return self.name


class TotpDevice(models.Model):
    """An authenticator app holding a shared secret (RFC 6238, 30-second steps, 6 digits).

    `confirmed_at` is empty until the holder typed one code from it; `last_step` is the
    time step of the last code accepted, so no code is ever accepted twice.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("account"),
        on_delete=models.CASCADE,
        related_name="totp_device",
    )
    secret = models.CharField(_("secret"), max_length=64)
    created_at = models.DateTimeField(_("added"))
    confirmed_at = models.DateTimeField(_("confirmed"), null=True, blank=True)
    last_step = models.BigIntegerField(_("last time step used"), default=0)

    class Meta:
        verbose_name = _("authenticator app")
        verbose_name_plural = _("authenticator apps")

    def __str__(self) -> str:
        return f"TOTP {self.user_id}"
