"""The channels a notice goes out on: small classes in one registry.

A channel says whether it is set up, which address of a notice it writes to, and sends
one rendered notice. It raises `RetryLater` when the provider could not take it now (the
delivery waits and is tried again) and `Undeliverable` when it never will (the delivery is
given up at once, with the reason kept). E-mail, SMS and web push (to every browser the
reader turned notifications on in, accounts/webpush.py) are registered here.
"""

from __future__ import annotations

import contextlib
import smtplib
from dataclasses import dataclass
from typing import Any, ClassVar
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from accounts import webpush
from accounts.subscriptions import PushSubscription
from core.errors import DomainError
from notifications import sms
from notifications.models import Notice


class RetryLater(Exception):
    """The provider could not take the message now: try again later."""


class Undeliverable(Exception):
    """The provider refused the message for good (an address that does not exist)."""


@dataclass(frozen=True)
class Rendered:
    """A notice in words, in its reader's language."""

    subject: str
    text: str
    html: str
    short: str
    language: str


class Channel:
    """One way of telling a person. Subclasses set `name` and `label` and implement `send`."""

    name: ClassVar[str]
    label: ClassVar[str | Promise]

    def is_configured(self) -> bool:
        return True

    def address(self, notice: Notice) -> str:
        """Where this notice goes on this channel; "" when it has no such address."""
        raise NotImplementedError

    def send(self, notice: Notice, message: Rendered, reference: str) -> str:
        """Hand the message to the provider; returns the provider's reference.

        `reference` is stable for the delivery, so a provider that deduplicates by it drops
        a message sent a second time after a crash (docs/notifications.md)."""
        raise NotImplementedError

    def close(self) -> None:
        """Release what the pass opened (a mail connection)."""


class EmailChannel(Channel):
    name = "email"
    label = _("E-mail")

    def __init__(self) -> None:
        self._connection: Any = None

    def address(self, notice: Notice) -> str:
        return notice.email

    def send(self, notice: Notice, message: Rendered, reference: str) -> str:
        domain = settings.DEFAULT_FROM_EMAIL.rsplit("@", 1)[-1].strip(" >") or "mazad.example"
        message_id = f"<{reference}@{domain}>"
        email = EmailMultiAlternatives(
            message.subject,
            message.text,
            None,
            [notice.email],
            headers={"Message-ID": message_id, "Content-Language": message.language},
            connection=self._open(),
        )
        email.attach_alternative(message.html, "text/html")
        try:
            email.send()
        except smtplib.SMTPRecipientsRefused as error:
            codes = [code for code, _text in error.recipients.values()]
            if codes and all(code >= 500 for code in codes):
                raise Undeliverable(f"recipient refused: {codes}") from error
            self.close()
            raise RetryLater(f"recipient deferred: {codes}") from error
        except (smtplib.SMTPException, OSError) as error:
            self.close()  # the next message opens a fresh connection
            raise RetryLater(f"{type(error).__name__}: {error}") from error
        return message_id

    def _open(self) -> Any:
        if self._connection is None:
            self._connection = get_connection(fail_silently=False)
            self._connection.open()
        return self._connection

    def close(self) -> None:
        if self._connection is not None:
            with contextlib.suppress(Exception):  # a broken connection has nothing to close
                self._connection.close()
            self._connection = None


class SmsChannel(Channel):
    name = "sms"
    label = _("SMS")

    def __init__(self) -> None:
        self._gateway: sms.Gateway | None = None

    def is_configured(self) -> bool:
        return bool(settings.SMS_GATEWAY_URL)

    def address(self, notice: Notice) -> str:
        return notice.phone

    def send(self, notice: Notice, message: Rendered, reference: str) -> str:
        if self._gateway is None:
            self._gateway = sms.Gateway.from_settings()
        try:
            return self._gateway.send(to=notice.phone, text=message.short, reference=reference)
        except sms.GatewayRefused as error:
            raise Undeliverable(str(error)) from error
        except sms.GatewayUnavailable as error:
            raise RetryLater(str(error)) from error

    def close(self) -> None:
        if self._gateway is not None:
            self._gateway.close()
            self._gateway = None


class PushChannel(Channel):
    """A notification on each device where the reader turned notifications on.

    The delivery is one message to every such browser: a push service that cannot take it now
    makes the delivery wait and go again (a browser that took it the first time may show it
    twice: a notification is a nudge, the e-mail is the record). A browser that is gone is
    forgotten; when none is left, the delivery is given up."""

    name = "push"
    label = _("Notifications on your devices")

    def is_configured(self) -> bool:
        return webpush.is_enabled()

    def address(self, notice: Notice) -> str:
        if notice.user_id is None:
            return ""
        exists = PushSubscription.objects.filter(user_id=notice.user_id).exists()
        return f"user:{notice.user_id}" if exists else ""

    def send(self, notice: Notice, message: Rendered, reference: str) -> str:
        if notice.user_id is None:
            raise Undeliverable("a bare address has no devices")
        subscriptions = list(PushSubscription.objects.filter(user_id=notice.user_id))
        address = urlsplit(notice.url)
        link = (address.path or "/") + (f"?{address.query}" if address.query else "")
        sent = 0
        retry: list[str] = []
        refused: list[str] = []
        for subscription in subscriptions:
            try:
                outcome = webpush.send_push(
                    subscription,
                    message.subject,
                    message.short,
                    link,
                    message.language,
                )
            except webpush.PushRetryableError as error:
                retry.append(str(error))
                continue
            except (webpush.PushRejectedError, ValueError) as error:  # refused, or an off-site link
                refused.append(f"{type(error).__name__}: {error}")
                continue
            sent += outcome == webpush.Delivery.SENT
        if retry and not sent:
            raise RetryLater("; ".join(retry))
        if not sent:
            raise Undeliverable("; ".join(["no browser took the notification", *refused]))
        return f"{reference}:{sent}"


CHANNELS: dict[str, type[Channel]] = {}


def register(channel: type[Channel]) -> type[Channel]:
    """Add a channel class to the registry (usable as a decorator); a name is taken once."""
    if channel.name in CHANNELS and CHANNELS[channel.name] is not channel:
        raise ValueError(f"notice channel {channel.name!r} is already registered")
    CHANNELS[channel.name] = channel
    return channel


def get(name: str) -> type[Channel]:
    """The channel named `name`; raises DomainError `unknown_channel` for any other."""
    try:
        return CHANNELS[name]
    except KeyError:
        raise DomainError(
            _("There is no notice channel “%(channel)s”."),
            code="unknown_channel",
            field="channel",
            params={"channel": name},
        ) from None


register(EmailChannel)
register(SmsChannel)
register(PushChannel)
