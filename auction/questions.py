"""Questions on a lot: a bidder asks, the staff of the lot's court answer or reject them.

An answered question is shown on the lot page without its asker; a rejected one is shown
only to its asker, with the reason. The asker is told of either, once, by e-mail in their
language, through the outbox: the clock's notice pass (`deliver_notices`) writes the notice,
and the outbox's pass sends it, never inside the staff's request.

Asking is for signed-in bidders (any bidder, registered for the lot or not), while the lot
has not closed, at most `PER_HOUR` questions an hour across lots and `PENDING_PER_LOT`
unanswered on one lot; the text is 5 to `MAX_QUESTION` characters without control
characters. Every refusal names the field and the rule and changes nothing.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext_lazy

from accounts import locks as account_locks
from accounts.models import User
from accounts.roles import Capability, Role
from auction import catalog, locks
from auction.models import Lot, Question
from core import audit
from core.errors import DomainError, InvalidTransition, NotFound, PermissionDenied
from core.inputs import CONTROL_CHARACTER, CONTROL_MESSAGE, text_problem
from notifications import services as outbox

MIN_QUESTION = 5
MAX_QUESTION = 1000
MAX_ANSWER = 2000
MAX_REASON = 300
PER_HOUR = 5
PENDING_PER_LOT = 3
BATCH = 200
ASKABLE = (Lot.Status.SCHEDULED, Lot.Status.OPEN)


def _text(value: str, *, field: str, least: int, most: int) -> str:
    if text_problem(value, multiline=True):
        raise DomainError(CONTROL_MESSAGE, code=CONTROL_CHARACTER, field=field)
    value = value.strip()
    if not value:
        raise DomainError(gettext_lazy("This field is required."), code="required", field=field)
    if len(value) < least:
        raise DomainError(
            gettext_lazy("Write at least %(min)s characters."),
            code="too_short",
            field=field,
            params={"min": least},
        )
    if len(value) > most:
        raise DomainError(
            gettext_lazy("Write at most %(max)s characters (this text has %(length)s)."),
            code="too_long",
            field=field,
            params={"max": most, "length": len(value)},
        )
    return value


def is_open_for_questions(lot: Lot, now: datetime) -> bool:
    return lot.status in ASKABLE and (lot.ends_at is None or lot.ends_at > now)


def ask(*, user: User, lot_id: int, text: str, now: datetime) -> Question:
    """A bidder's question on a public lot that has not closed."""
    lot = catalog.public_lot(lot_id)
    if lot is None:
        raise NotFound()
    if not user.is_active or user.role != Role.BIDDER:
        raise PermissionDenied(
            gettext_lazy("Only bidders ask questions about lots; court staff answer them."),
            code="question_not_a_bidder",
        )
    if not is_open_for_questions(lot, now):
        raise DomainError(
            gettext_lazy("Bidding on this lot has ended: it takes no more questions."),
            code="question_lot_closed",
            field="text",
        )
    text = _text(text, field="text", least=MIN_QUESTION, most=MAX_QUESTION)
    with transaction.atomic():
        account_locks.lock_user(user.pk)  # the limits hold for two questions sent at once
        recent = Question.objects.filter(asker=user, asked_at__gt=now - timedelta(hours=1))
        if recent.count() >= PER_HOUR:
            oldest = recent.order_by("asked_at").values_list("asked_at", flat=True).first()
            assert oldest is not None
            wait = oldest + timedelta(hours=1) - now
            raise DomainError(
                gettext_lazy(
                    "You have asked %(max)s questions in the last hour: "
                    "ask again in %(minutes)s minutes."
                ),
                code="question_rate_limited",
                field="text",
                params={"max": PER_HOUR, "minutes": max(1, -(-int(wait.total_seconds()) // 60))},
            )
        pending = Question.objects.filter(asker=user, lot=lot, status=Question.Status.PENDING)
        if pending.count() >= PENDING_PER_LOT:
            raise DomainError(
                gettext_lazy(
                    "You have %(max)s questions on this lot awaiting an answer: "
                    "wait for the court to answer them."
                ),
                code="question_rate_limited",
                field="text",
                params={"max": PENDING_PER_LOT},
            )
        return Question.objects.create(lot=lot, asker=user, text=text, asked_at=now)


def _staff_question(staff: User, question_id: int) -> Question:
    if Capability.MANAGE_AUCTIONS not in staff.capabilities:
        raise PermissionDenied()
    question = locks.question(question_id)
    court_id = Lot.objects.filter(pk=question.lot_id).values_list("auction__court_id", flat=True)
    if court_id.first() != staff.court_id:
        raise NotFound()  # another court's question looks like a missing one
    if question.status != Question.Status.PENDING:
        raise InvalidTransition(gettext_lazy("This question was already answered or rejected."))
    return question


def answer(*, staff: User, question_id: int, text: str, now: datetime) -> Question:
    """Staff of the lot's court answer a pending question; it is then shown on the lot page."""
    try:
        with transaction.atomic():
            question = _staff_question(staff, question_id)  # a missing one is a 404 first
            text = _text(text, field="answer", least=1, most=MAX_ANSWER)
            question.status = Question.Status.ANSWERED
            question.answer, question.answered_by, question.answered_at = text, staff, now
            question.save(update_fields=["status", "answer", "answered_by", "answered_at"])
            audit.record(
                actor=staff,
                action="auction.question.answered",
                obj=question,
                after={"answer": text},
                court_id=staff.court_id,
            )
    except Question.DoesNotExist as missing:
        raise NotFound() from missing
    return question


def reject(*, staff: User, question_id: int, reason: str, now: datetime) -> Question:
    """Staff of the lot's court reject a pending question, giving the asker the reason."""
    try:
        with transaction.atomic():
            question = _staff_question(staff, question_id)
            reason = _text(reason, field="reason", least=1, most=MAX_REASON)
            question.status = Question.Status.REJECTED
            question.rejection_reason, question.answered_by = reason, staff
            question.answered_at = now
            question.save(
                update_fields=["status", "rejection_reason", "answered_by", "answered_at"]
            )
            audit.record(
                actor=staff,
                action="auction.question.rejected",
                obj=question,
                after={"reason": reason},
                court_id=staff.court_id,
            )
    except Question.DoesNotExist as missing:
        raise NotFound() from missing
    return question


# --- reads ------------------------------------------------------------------------------


def answered(lot_id: int) -> list[Question]:
    """The lot's answered questions, oldest first, as the public sees them (no asker)."""
    return list(
        Question.objects.filter(lot_id=lot_id, status=Question.Status.ANSWERED).only(
            "pk", "text", "answer", "answered_at", "asked_at"
        )
    )


def answered_state(shown: list[Question]) -> tuple[int, str]:
    """What the public sees of a lot's questions (`answered`) changes with this (a page's
    validator): the latest answer and the last question answered."""
    if not shown:
        return 0, ""
    latest = max((q.answered_at for q in shown if q.answered_at is not None), default=None)
    return max(question.pk for question in shown), str(latest or "")


def mine(user: User, lot_id: int) -> list[Question]:
    """The asker's own questions on a lot that are not shown publicly (pending or rejected)."""
    return list(
        Question.objects.filter(lot_id=lot_id, asker=user).exclude(status=Question.Status.ANSWERED)
    )


def of_asker(user: User) -> list[Question]:
    return list(
        Question.objects.filter(asker=user)
        .select_related("lot__asset")
        .order_by("-asked_at", "-pk")[:30]
    )


def queue(court_id: int) -> list[Question]:
    """The court's questions awaiting an answer, oldest first."""
    return list(
        Question.objects.filter(lot__auction__court_id=court_id, status=Question.Status.PENDING)
        .select_related("lot__asset", "lot__auction")
        .order_by("asked_at", "pk")
    )


def recently_handled(court_id: int) -> list[Question]:
    return list(
        Question.objects.filter(lot__auction__court_id=court_id)
        .exclude(status=Question.Status.PENDING)
        .select_related("lot__asset", "lot__auction", "answered_by")
        .order_by("-answered_at", "-pk")[:20]
    )


# --- telling the asker -------------------------------------------------------------------


def _tell(question: Question) -> None:
    """Write the asker's notice of the answer or the rejection into the outbox."""
    answered = question.status == Question.Status.ANSWERED
    kind = "question.answered" if answered else "question.rejected"
    outbox.tell(
        key=f"{kind}:{question.pk}",
        kind=kind,
        to=question.asker,
        params={
            "title": question.lot.asset.title,
            "question": question.text,
            "answer": question.answer,
            "reason": question.rejection_reason,
        },
        url=f"{settings.SITE_URL.rstrip('/')}{reverse('auction:lot', args=[question.lot_id])}",
        time_zone=question.lot.auction.court,
    )


def deliver_notices(now: datetime) -> int:
    """Tell askers of the answers and rejections not yet told, through the outbox (written in
    the claim's transaction, sent by the outbox's pass); returns how many were claimed."""
    with transaction.atomic():
        claimed = locks.claim_question_notices(BATCH)
        if not claimed:
            return 0
        Question.objects.filter(pk__in=claimed).update(notified_at=now)
        questions = Question.objects.filter(pk__in=claimed).select_related(
            "asker", "lot__asset", "lot__auction__court"
        )
        for question in questions:
            if question.asker.is_active:
                _tell(question)
    return len(claimed)
