"""The worker's pass over the outbox: each due delivery sent once, retried with backoff.

Each delivery is claimed in its own short transaction (`locks.claim_due_delivery`, SKIP
LOCKED), sent while its row is locked, and marked sent, or rescheduled, in that same
transaction with the attempt recorded. Two passes at once never send one delivery twice:
the second skips the locked row and, once the first commits, sees it sent.

The one window: the provider accepted the message and the process died before the commit.
The row is then still waiting and is sent again by a later pass (at least once, never
lost); the delivery's stable reference (the e-mail's Message-ID, the SMS gateway's
Idempotency-Key) lets a provider or mail reader that honours it drop the repeat.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction

from core import metrics
from core.errors import DomainError
from notifications import channels, locks, rendering
from notifications.models import Attempt, Delivery, Notice

logger = logging.getLogger(__name__)

# A channel that failed this many times in one pass is left alone for the rest of the pass:
# a mail server that is down costs a pass a few refused connections, not one per notice.
FAILURES_BEFORE_PAUSE = 3
PASS_LIMIT = 200


def backoff(attempts: int) -> timedelta:
    """How long a delivery waits after its `attempts`-th failure: doubling, capped."""
    base = settings.NOTICE_RETRY_BASE_SECONDS
    delay = min(base * 2 ** max(attempts - 1, 0), settings.NOTICE_RETRY_MAX_SECONDS)
    return timedelta(seconds=delay)


def reference(delivery: Delivery) -> str:
    """The delivery's stable reference, the same on every attempt."""
    return f"mazad-notice-{delivery.notice_id}-{delivery.channel}"


def deliver_due(now: datetime, *, limit: int = PASS_LIMIT) -> int:
    """Send the deliveries due by `now`, at most `limit`; returns how many were sent."""
    open_channels: dict[str, channels.Channel] = {}
    failures: dict[str, int] = {}
    sent = 0
    try:
        for _step in range(limit):
            paused = {name for name, count in failures.items() if count >= FAILURES_BEFORE_PAUSE}
            with transaction.atomic():
                delivery = locks.claim_due_delivery(now, skip_channels=paused)
                if delivery is None:
                    break
                if _attempt(delivery, now, open_channels):
                    sent += 1
                else:
                    failures[delivery.channel] = failures.get(delivery.channel, 0) + 1
    finally:
        for channel in open_channels.values():
            channel.close()
    return sent


def _attempt(delivery: Delivery, now: datetime, open_channels: dict[str, channels.Channel]) -> bool:
    """Try one claimed delivery and record the outcome; True when it was sent."""
    notice = Notice.objects.select_related("user").get(pk=delivery.notice_id)
    try:
        channel = open_channels.get(delivery.channel)
        if channel is None:
            channel = open_channels[delivery.channel] = channels.get(delivery.channel)()
        message = rendering.render(notice)
        provider_reference = channel.send(notice, message, reference(delivery))
    except channels.RetryLater as error:
        _failed(delivery, now, str(error), give_up=False)
        return False
    except (channels.Undeliverable, DomainError) as error:
        _failed(delivery, now, str(error), give_up=True)
        return False
    except Exception as error:  # a bug in rendering or a channel: keep the notice, retry later
        logger.exception("delivery %s failed unexpectedly", delivery.pk)
        _failed(delivery, now, f"{type(error).__name__}: {error}", give_up=False)
        return False
    delivery.status = Delivery.Status.SENT
    delivery.sent_at = now
    delivery.attempts += 1
    delivery.provider_reference = provider_reference[:200]
    delivery.last_error = ""
    delivery.save(
        update_fields=["status", "sent_at", "attempts", "provider_reference", "last_error"]
    )
    Attempt.objects.create(delivery=delivery, at=now, outcome=Attempt.Outcome.SENT)
    metrics.notice_delivered(delivery.channel, "sent")
    return True


def _failed(delivery: Delivery, now: datetime, error: str, *, give_up: bool) -> None:
    delivery.attempts += 1
    delivery.last_error = error[:2000]
    if give_up or delivery.attempts >= settings.NOTICE_MAX_ATTEMPTS:
        delivery.status = Delivery.Status.FAILED
        outcome = Attempt.Outcome.GAVE_UP
        logger.warning("delivery %s given up: %s", delivery.pk, delivery.last_error)
    else:
        delivery.due_at = now + backoff(delivery.attempts)
        outcome = Attempt.Outcome.RETRY
    delivery.save(update_fields=["attempts", "last_error", "status", "due_at"])
    Attempt.objects.create(delivery=delivery, at=now, outcome=outcome, error=delivery.last_error)
    metrics.notice_delivered(delivery.channel, "gave_up" if give_up else "retry")


@transaction.atomic
def requeue_failed(*, now: datetime, channel: str | None = None) -> int:
    """Put the given-up deliveries back in the queue (after an operator fixed the cause)."""
    given_up = Delivery.objects.filter(status=Delivery.Status.FAILED)
    if channel is not None:
        channels.get(channel)
        given_up = given_up.filter(channel=channel)
    return given_up.update(status=Delivery.Status.WAITING, due_at=now, attempts=0)
