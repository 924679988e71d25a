"""Writing notices into the outbox, in the caller's transaction, and the readers' preferences.

`tell(...)` is called inside the transaction of the change that causes the notice: the
notice commits or rolls back with it, and its `key` (unique) makes a retried cause tell
once. The deliveries (one per channel the reader gets) are decided here, from the reader's
preferences and addresses; the worker sends them (notifications/delivery.py).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import User
from core import formatting
from notifications import channels, kinds, values
from notifications.models import Delivery, Notice, Preference

# Channels a topic goes out on when the reader has said nothing (e-mail for every topic).
DEFAULT_ON: dict[str, frozenset[str]] = {
    kinds.Topic.BIDDING: frozenset({"email", "push"}),
    kinds.Topic.PURCHASES: frozenset({"email", "push"}),
    kinds.Topic.COURT: frozenset({"email", "sms", "push"}),
    kinds.Topic.MESSAGES: frozenset({"email", "push"}),
    kinds.Topic.SEARCHES: frozenset({"email"}),
}
# A mandatory notice always goes on the first of these the reader has an address for.
MANDATORY_CHANNELS = ("email", "sms")


@dataclass(frozen=True)
class Recipient:
    """Who is told: an account, or bare addresses with a language (a party without one)."""

    user: User | None = None
    email: str = ""
    phone: str = ""
    language: str = ""
    name: str = ""

    @classmethod
    def of(cls, user: User) -> Recipient:
        return cls(
            user=user,
            email=user.email,
            phone=user.phone,
            language=user.preferred_language,
            name=user.full_name,
        )


def tell(
    *,
    key: str,
    kind: str,
    to: Recipient | User | None,
    params: Mapping[str, values.Value] | None = None,
    url: str = "",
    time_zone: Any = None,
) -> Notice | None:
    """Write one notice (idempotent by `key`); returns it, or None when there is no one to tell.

    `time_zone` is where dates are written (a court, or a zone name). Raises DomainError
    `unknown_notice_kind` for a kind not registered and TypeError for a detail that cannot
    be carried (a float). Must run inside the cause's transaction.
    """
    kind_ = kinds.get(kind)
    if to is None:
        return None
    recipient = to if isinstance(to, Recipient) else Recipient.of(to)
    if not (recipient.email or recipient.phone):
        return None
    details = values.encode_all(dict(params or {}))
    if recipient.name and "name" not in details:
        details["name"] = values.encode(recipient.name)
    with transaction.atomic():
        notice, created = _write(key, kind_, recipient, details, url, time_zone)
        if created:
            _plan_deliveries(notice, kind_)
    return notice


def tell_many(
    *,
    key: str,
    kind: str,
    to: Iterable[Recipient | User],
    params: Mapping[str, values.Value] | None = None,
    url: str = "",
    time_zone: Any = None,
) -> list[Notice]:
    """`tell` each recipient, the key suffixed with their place (`key#0`, `key#1`, ...)."""
    told = []
    for index, recipient in enumerate(to):
        notice = tell(
            key=f"{key}#{index}",
            kind=kind,
            to=recipient,
            params=params,
            url=url,
            time_zone=time_zone,
        )
        if notice is not None:
            told.append(notice)
    return told


def _write(
    key: str,
    kind: kinds.Kind,
    recipient: Recipient,
    details: dict[str, Any],
    url: str,
    time_zone: Any,
) -> tuple[Notice, bool]:
    zone = getattr(formatting.zone_of(time_zone), "key", "Asia/Riyadh")
    try:
        with transaction.atomic():  # a savepoint: a duplicate leaves the cause's work intact
            notice = Notice.objects.create(
                key=key,
                kind=kind.name,
                user=recipient.user,
                email=recipient.email,
                phone=recipient.phone,
                language=formatting.language(recipient.language or "ar"),
                time_zone=zone,
                params=details,
                url=url,
            )
    except IntegrityError:
        return Notice.objects.get(key=key), False
    return notice, True


def channels_for(notice: Notice, kind: kinds.Kind, now: datetime | None = None) -> list[str]:
    """The channels `notice` goes out on: those set up, with an address, that the reader wants
    (a bare address gets every one); a mandatory kind always gets its first possible one."""
    usable = [
        name
        for name, channel in channels.CHANNELS.items()
        if channel().is_configured() and channel().address(notice)
    ]
    if notice.user_id is None:
        return usable
    wanted = preferences_of(notice.user_id).get(kind.topic, DEFAULT_ON[kind.topic])
    chosen = [name for name in usable if name in wanted]
    if kind.is_mandatory:
        forced = next((name for name in MANDATORY_CHANNELS if name in usable), None)
        if forced is not None and forced not in chosen:
            chosen.insert(0, forced)
    return chosen


def _plan_deliveries(notice: Notice, kind: kinds.Kind) -> None:
    now = timezone.now()
    Delivery.objects.bulk_create(
        [
            Delivery(notice=notice, channel=name, due_at=now)
            for name in channels_for(notice, kind, now)
        ]
    )


def preferences_of(user_id: int) -> dict[str, frozenset[str]]:
    """The channels the user wants, by topic; the defaults where they said nothing."""
    chosen = {topic: set(on) for topic, on in DEFAULT_ON.items()}
    for topic, channel, is_enabled in Preference.objects.filter(user_id=user_id).values_list(
        "topic", "channel", "is_enabled"
    ):
        if topic not in chosen:
            continue
        if is_enabled:
            chosen[topic].add(channel)
        else:
            chosen[topic].discard(channel)
    return {topic: frozenset(on) for topic, on in chosen.items()}


@transaction.atomic
def save_preferences(*, user: User, chosen: Mapping[str, Iterable[str]]) -> None:
    """Store, for every topic and channel, whether `user` wants it (`chosen`: topic → channels).

    Raises DomainError `unknown_channel` for a channel not registered; unknown topics are
    refused by the form before this is called.
    """
    for names in chosen.values():
        for name in names:
            channels.get(name)
    for topic in kinds.TOPICS:
        on = set(chosen.get(topic, ()))
        for name in channels.CHANNELS:
            Preference.objects.update_or_create(
                user=user, topic=topic, channel=name, defaults={"is_enabled": name in on}
            )
