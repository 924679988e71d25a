"""Web push: a browser's subscription taken and dropped, and one notification sent to it.

`send_push` is one channel of the notices a person gets; it encrypts the message for the
browser (RFC 8291, aes128gcm), signs the request with the deployment's VAPID key (RFC 8292)
and posts it to the browser's push service (RFC 8030). It never sends anywhere but an
endpoint of a push service the settings name (`WEBPUSH_PUSH_SERVICES`).
"""

from __future__ import annotations

import base64
import binascii
import enum
import json
import logging
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.conf import settings
from django.db.models import F
from django.utils import timezone
from django.utils.translation import get_language_info
from django.utils.translation import gettext_lazy as _
from py_vapid import Vapid  # type: ignore[import-untyped]
from pywebpush import WebPushException, webpush  # type: ignore[import-untyped]

from accounts.models import PushSubscription, User
from core.errors import DomainError

logger = logging.getLogger(__name__)

# How long a push service keeps a message for a browser that is offline: a notice about a
# live auction is worth little a day later.
TIME_TO_LIVE_SECONDS = 12 * 60 * 60
# A push message carries at most 4096 bytes, encryption included: the texts are cut to fit.
TITLE_MAX_CHARS = 120
BODY_MAX_CHARS = 600
ENDPOINT_MAX_CHARS = 2000


class Delivery(enum.StrEnum):
    """What became of one push."""

    SENT = "sent"  # the push service took it (201)
    GONE = (
        "gone"  # the subscription no longer exists (404/410, or made with a retired key): deleted
    )


class PushRetryableError(Exception):
    """The push service did not take the message now: a timeout, no connection, 429 or 5xx.

    Nothing was deleted; the same call later may succeed. `retry_after_seconds` is the push
    service's `Retry-After` in seconds when it gave one as a number.
    """

    def __init__(self, reason: str, retry_after_seconds: int | None = None) -> None:
        super().__init__(reason)
        self.retry_after_seconds = retry_after_seconds


class PushRejectedError(Exception):
    """The push service refused the message for good (another 4xx): sending it again won't help."""


class PushUnavailableError(Exception):
    """Web push is off: the deployment has no VAPID key (`WEBPUSH_VAPID_PRIVATE_KEY`)."""


@dataclass(frozen=True)
class Subscription:
    """A browser's subscription as `PushSubscription.toJSON()` gives it, checked."""

    endpoint: str
    p256dh: str
    auth: str


def is_enabled() -> bool:
    return bool(settings.WEBPUSH_VAPID_PRIVATE_KEY)


def public_key() -> str:
    """The VAPID public key browsers subscribe with (base64url, uncompressed P-256 point)."""
    if not is_enabled():
        raise PushUnavailableError
    return _public_key_of(settings.WEBPUSH_VAPID_PRIVATE_KEY)


@lru_cache(maxsize=4)
def _public_key_of(private_key: str) -> str:
    point = _vapid(private_key).public_key.public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    return _b64url(point)


@lru_cache(maxsize=4)
def _vapid(private_key: str) -> Any:
    return Vapid.from_string(private_key)


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def parse_json(body: bytes) -> dict[str, Any]:
    """The request's body as a JSON object; `invalid_json` otherwise."""
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        data = None
    if not isinstance(data, dict):
        raise DomainError(_("The request is not a JSON object."), code="invalid_json")
    return data


def parse_endpoint(data: dict[str, Any]) -> str:
    """The subscription's endpoint: an HTTPS address at a push service the settings name."""
    endpoint = data.get("endpoint")
    if not isinstance(endpoint, str) or not endpoint:
        raise DomainError(_("This field is required."), code="required", field="endpoint")
    if len(endpoint) > ENDPOINT_MAX_CHARS or not is_known_push_service(endpoint):
        raise DomainError(
            _("The address must be an HTTPS address of a known push service."),
            code="push_endpoint",
            field="endpoint",
        )
    return endpoint


def parse_subscription(data: dict[str, Any]) -> Subscription:
    """A browser's subscription (`endpoint`, `keys.p256dh`, `keys.auth`), each part checked."""
    endpoint = parse_endpoint(data)
    keys = data.get("keys")
    keys = keys if isinstance(keys, dict) else {}
    p256dh = _key(keys, "p256dh")
    auth = _key(keys, "auth")
    if not _is_p256_point(p256dh):
        raise DomainError(_BAD_KEY, code="push_key", field="keys.p256dh")
    if len(_b64url_decode(auth)) != 16:
        raise DomainError(_BAD_KEY, code="push_key", field="keys.auth")
    return Subscription(endpoint=endpoint, p256dh=p256dh, auth=auth)


_BAD_KEY = _("The browser's key is not valid.")


def _key(keys: dict[str, Any], name: str) -> str:
    value = keys.get(name)
    if not isinstance(value, str) or not value:
        raise DomainError(_("This field is required."), code="required", field=f"keys.{name}")
    try:
        _b64url_decode(value)
    except (binascii.Error, ValueError):
        raise DomainError(_BAD_KEY, code="push_key", field=f"keys.{name}") from None
    return value


def _is_p256_point(p256dh: str) -> bool:
    try:
        ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), _b64url_decode(p256dh))
    except ValueError:
        return False
    return True


def is_known_push_service(endpoint: str) -> bool:
    """Whether `endpoint` is at a push service `WEBPUSH_PUSH_SERVICES` names.

    A bare host name (or `*.` and a domain) admits HTTPS addresses of that host; an entry with a
    scheme admits that one origin exactly.
    """
    try:
        parts = urlsplit(endpoint)
        host, port = (parts.hostname or "").lower(), parts.port
    except ValueError:
        return False
    if parts.username or parts.password or not host:
        return False
    origin = f"{parts.scheme}://{parts.netloc}".lower()
    for entry in settings.WEBPUSH_PUSH_SERVICES:
        entry = entry.strip().lower()
        if "://" in entry:
            if origin == entry.rstrip("/"):
                return True
        elif parts.scheme == "https" and port in (None, 443) and _host_matches(host, entry):
            return True
    return False


def _host_matches(host: str, entry: str) -> bool:
    if entry.startswith("*."):
        return host.endswith(entry[1:])
    return host == entry


def subscribe(*, user: User, subscription: Subscription) -> PushSubscription:
    """Keep `subscription` for `user`; the browser's endpoint moves to them if another had it.

    One statement (INSERT ... ON CONFLICT DO UPDATE), so two tabs subscribing at once leave one
    row. Raises PushUnavailableError when push is off.
    """
    row = PushSubscription(
        user=user,
        endpoint=subscription.endpoint,
        p256dh=subscription.p256dh,
        auth=subscription.auth,
        vapid_public_key=public_key(),
        created_at=timezone.now(),
    )
    PushSubscription.objects.bulk_create(
        [row],
        update_conflicts=True,
        unique_fields=["endpoint"],
        update_fields=["user", "p256dh", "auth", "vapid_public_key", "failures"],
    )
    return PushSubscription.objects.get(endpoint=subscription.endpoint)


def unsubscribe(*, user: User, endpoint: str) -> bool:
    """Forget `user`'s subscription at `endpoint`; whether there was one."""
    deleted, _ = PushSubscription.objects.filter(user=user, endpoint=endpoint).delete()
    return deleted > 0


def send_push(
    subscription: PushSubscription, title: str, body: str, url: str, lang: str
) -> Delivery:
    """Send one notification to one browser; `Delivery.SENT` once its push service took it.

    `title` and `body` are shown as they are (already in `lang`, "ar" or "en", which sets the
    notification's language and direction); `url` is opened when the notification is clicked:
    a path on this site ("/lots/12/") or an absolute address on `SITE_URL`. Texts are cut to
    fit a push message. The payload is encrypted for the browser (aes128gcm) and the request
    signed with the VAPID key.

    - 201/202: `last_success_at` is set, `failures` reset; returns `Delivery.SENT`.
    - 404/410, or a subscription made with a VAPID key no longer in use, or an endpoint no longer
      at a known push service: the subscription is deleted; returns `Delivery.GONE`.
    - timeout, no connection, 429 or 5xx: `failures` + 1, nothing deleted; raises
      `PushRetryableError` (with the push service's `Retry-After` when it gave one).
    - any other refusal: `failures` + 1; raises `PushRejectedError`.

    Raises `ValueError` for a `url` off this site or a `lang` the site does not speak, and
    `PushUnavailableError` when push is off. Holds no lock and opens no transaction: call it
    outside the caller's transaction (it waits on the network, up to
    `WEBPUSH_TIMEOUT_SECONDS`).
    """
    payload = _payload(title, body, url, lang)
    if subscription.vapid_public_key != public_key() or not is_known_push_service(
        subscription.endpoint
    ):
        PushSubscription.objects.filter(pk=subscription.pk).delete()
        return Delivery.GONE
    try:
        _post(subscription, payload)
    except (requests.Timeout, requests.ConnectionError) as error:
        _failed(subscription, "unreachable")
        raise PushRetryableError(type(error).__name__) from error
    except WebPushException as error:
        return _refused(subscription, error)
    except requests.RequestException as error:  # a redirect, a malformed answer
        _failed(subscription, type(error).__name__)
        raise PushRejectedError(type(error).__name__) from error
    PushSubscription.objects.filter(pk=subscription.pk).update(
        last_success_at=timezone.now(), failures=0
    )
    return Delivery.SENT


def _payload(title: str, body: str, url: str, lang: str) -> str:
    if lang not in dict(settings.LANGUAGES):
        raise ValueError(f"unknown language {lang!r}")
    site = urlsplit(settings.SITE_URL)
    target = urlsplit(url)
    on_site = (target.scheme, target.netloc) == (site.scheme, site.netloc)
    if not (on_site or (url.startswith("/") and not url.startswith("//") and not target.netloc)):
        raise ValueError("the url must be a path or an address on SITE_URL")
    message = {
        "title": title[:TITLE_MAX_CHARS],
        "body": body[:BODY_MAX_CHARS],
        "url": url,
        "lang": lang,
        "dir": "rtl" if get_language_info(lang)["bidi"] else "ltr",
    }
    return json.dumps(message, ensure_ascii=False)


def _post(subscription: PushSubscription, payload: str) -> None:
    session = requests.Session()
    session.max_redirects = 0  # a push service answers; it does not send us elsewhere
    with session:
        webpush(
            subscription_info={
                "endpoint": subscription.endpoint,
                "keys": {"p256dh": subscription.p256dh, "auth": subscription.auth},
            },
            data=payload,
            vapid_private_key=_vapid(settings.WEBPUSH_VAPID_PRIVATE_KEY),
            vapid_claims={"sub": settings.WEBPUSH_VAPID_SUBJECT},
            content_encoding="aes128gcm",
            timeout=settings.WEBPUSH_TIMEOUT_SECONDS,
            ttl=TIME_TO_LIVE_SECONDS,
            headers={"Urgency": "high"},
            requests_session=session,
        )


def _refused(subscription: PushSubscription, error: WebPushException) -> Delivery:
    status = error.status_code or 0
    if status in (404, 410):
        PushSubscription.objects.filter(pk=subscription.pk).delete()
        logger.info("push subscription gone", extra={"push_status": status})
        return Delivery.GONE
    _failed(subscription, str(status))
    if status == 429 or status >= 500:
        raise PushRetryableError(str(status), _seconds(error.retry_after)) from error
    raise PushRejectedError(str(status)) from error


def _failed(subscription: PushSubscription, reason: str) -> None:
    PushSubscription.objects.filter(pk=subscription.pk).update(failures=F("failures") + 1)
    logger.warning(
        "push not delivered",
        extra={"push_reason": reason, "push_host": urlsplit(subscription.endpoint).hostname},
    )


def _seconds(retry_after: str | None) -> int | None:
    return int(retry_after) if retry_after and retry_after.strip().isdigit() else None
