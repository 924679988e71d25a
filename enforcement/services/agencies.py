"""Agencies online: structured requests out, typed answers in, lifts when the debt ends.

When the judge issues an order, a structured request (an AgencyLetter with a typed payload)
goes to the order's agency and a signed webhook is queued. The agency's system answers it
through the API with a typed answer; the answer moves the order (and, for a bank's transfer,
books the funds through `hooks.funds_transferred`). When the file is satisfied, every order
the agencies still hold gets a lift request; the file closes once all are lifted.

Lock order: the letter, then its order, then the file (as the file's other writers take the
file last after the order).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from accounts.roles import Capability
from core import audit, uploads
from core.errors import DomainError, InvalidTransition, NotFound
from core.locks import lock_one
from core.money import Money
from core.numbering import next_number
from enforcement import (
    access,
    engine,
    hooks,
    letters,
    locks,
    notices,
    requests_online,
    validators,
    webhooks,
)
from enforcement.models import (
    AgencyAnswer,
    AgencyLetter,
    EnforcementFile,
    SeizureOrder,
    WebhookDelivery,
)
from enforcement.services.common import transition

MAX_DOCUMENT_BYTES = 10 * 1024 * 1024
TRANSFER_REFERENCE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9/-]{3,34}$")
Answer = AgencyAnswer.Kind


class AnswerInvalid(DomainError):
    """One or more fields of an answer break a rule; `errors` names every one."""

    code = "answer_invalid"
    status = 422
    message = _("The answer has invalid fields.")

    def __init__(self, errors: list[dict[str, Any]]) -> None:
        super().__init__(field=errors[0]["field"] if errors else None)
        self.errors = errors


class AnswerConflict(InvalidTransition):
    """The request or order is not in a state that takes this answer (409)."""


class InsufficientScope(DomainError):
    code = "insufficient_scope"
    status = 403
    message = _("The token's scopes do not allow this.")


class IdempotencyKeyReused(DomainError):
    code = "idempotency_key_reused"
    status = 409
    message = _("This Idempotency-Key was used with a different request body.")


def _officer(file: EnforcementFile) -> User:
    """Who signs the letters the platform sends for a file: its assignee, else its opener."""
    return file.assigned_to or file.opened_by


def send_request(*, order: SeizureOrder, subject_kind: str, actor: User) -> AgencyLetter:
    """Write the structured request for a locked `order` and queue its webhook."""
    from enforcement.services.letters import letter_context

    file = order.file
    language = AgencyLetter.Language.ARABIC
    due_on = timezone.localdate() + timedelta(days=settings.AGENCY_REQUEST_DUE_DAYS)
    subject, body = letters.compose(
        subject_kind,
        language,
        letter_context(file, order.agency, None, order, due_on, order.target_note, language),
    )
    year = timezone.localdate().year
    number = f"{file.court.code}-L-{year}-{next_number(f'letter:{file.court.code}:{year}'):06d}"
    letter = AgencyLetter.objects.create(
        court_id=file.court_id,
        number=number,
        file=file,
        order=order,
        agency=order.agency,
        subject_kind=subject_kind,
        language=language,
        subject=subject,
        body=body,
        due_on=due_on,
        sent_by=actor,
        payload=requests_online.request_payload(order, subject_kind),
    )
    audit.record(
        actor=actor,
        action="letter.sent",
        obj=letter,
        after={
            "number": number,
            "subject_kind": subject_kind,
            "order": order.pk,
            "structured": True,
        },
        court_id=file.court_id,
    )
    webhooks.enqueue(
        agency_id=order.agency_id,
        event="request.created",
        payload=requests_online.serialize_request(letter),
        letter=letter,
    )
    return letter


def request_lift(*, order: SeizureOrder, actor: User, reason: str) -> AgencyLetter:
    """Ask the agency to lift a locked, active order (issued or executed)."""
    transition(
        table=engine.AGENCY_ORDER_TRANSITIONS,
        action="request_lift",
        obj=order,
        actor=actor,
        court_id=order.file.court_id,
        fields=("lift_requested_at",),
        changes={"lift_requested_at": timezone.now()},
        note=reason,
    )
    return send_request(order=order, subject_kind=AgencyLetter.Subject.LIFT, actor=actor)


def lift_all(file: EnforcementFile, reason: str) -> list[AgencyLetter]:
    """The file is satisfied: ask every agency to lift each order it still holds.

    Runs in the satisfaction's transaction with the file locked; orders never issued are
    left as they are (they can no longer be issued). With no active order, nothing is sent
    and the file stays satisfied.
    """
    sent = []
    actor = _officer(file)
    for order_id in file.orders.filter(
        status__in=[SeizureOrder.Status.ISSUED, SeizureOrder.Status.EXECUTED]
    ).values_list("pk", flat=True):
        order = locks.lock_order(order_id)
        sent.append(request_lift(order=order, actor=actor, reason=reason))
    return sent


def close_if_lifted(file_id: int) -> bool:
    """Close a satisfied file whose orders have all been lifted; True when it closed now."""
    file = locks.lock_file(file_id)
    if file.status != EnforcementFile.Status.SATISFIED:
        return False
    if not file.orders.filter(status=SeizureOrder.Status.LIFTED).exists():
        return False  # nothing was lifted: a file satisfied without orders stays satisfied
    if file.orders.filter(status__in=engine.ORDER_ACTIVE).exists():
        return False
    with transaction.atomic():
        note = "Every order on the file was lifted."
        transition(
            table=engine.FILE_PLATFORM_TRANSITIONS,
            action="close_lifted",
            obj=file,
            actor=None,
            court_id=file.court_id,
            fields=("status_reason",),
            changes={"status_reason": note},
            note=note,
        )
    return True


# -- answers ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class AnswerInput:
    """A typed answer as the agency sent it (the API checks types; this checks the rules)."""

    outcome: str
    amount_minor: int | None = None
    accounts: tuple[str, ...] = ()
    reference: str = ""
    location: str = ""
    effective_on: date | None = None
    note: str = ""
    given: frozenset[str] = field(default_factory=frozenset)  # fields present in the body


@dataclass(frozen=True)
class Answered:
    answer: AgencyAnswer
    replayed: bool


def _error(errors: list[dict[str, Any]], name: str, code: str, message: Any, **params: Any) -> None:
    text = str(message) % params if params else str(message)
    errors.append({"field": name, "code": code, "message": text, "params": params})


def _allowed(letter: AgencyLetter, order: SeizureOrder) -> tuple[str, ...]:
    if letter.subject_kind == AgencyLetter.Subject.LIFT:
        return requests_online.LIFT_ANSWERS
    return requests_online.SEIZE_ANSWERS[order.kind]


FIELDS_OF: dict[str, set[str]] = {
    Answer.FROZEN: {"accounts", "amount_minor", "note"},
    Answer.TRANSFERRED: {"amount_minor", "reference", "note"},
    Answer.BLOCKED: {"location", "note"},
    Answer.ANNOTATED: {"reference", "note"},
    Answer.BAN_IN_FORCE: {"effective_on", "note"},
    Answer.NOTHING_FOUND: {"note"},
    Answer.REFUSED: {"note"},
    Answer.LIFTED: {"effective_on", "note"},
}
OPTIONAL = {"outcome", "note", "location", "effective_on"}


def check_answer(letter: AgencyLetter, order: SeizureOrder, given: AnswerInput) -> None:
    """Every rule the answer breaks, at once (AnswerInvalid), or nothing."""
    errors: list[dict[str, Any]] = []
    allowed = _allowed(letter, order)
    if given.outcome not in allowed:
        _error(
            errors,
            "outcome",
            "outcome_not_allowed",
            _("This request takes one of these answers: %(allowed)s."),
            allowed=", ".join(allowed),
        )
        raise AnswerInvalid(errors)
    wanted = FIELDS_OF[given.outcome]
    for name in sorted(given.given - wanted - {"outcome"}):
        _error(
            errors,
            name,
            "not_applicable",
            _("An answer %(outcome)s has no %(field)s."),
            outcome=given.outcome,
            field=name,
        )
    for name in sorted(wanted - OPTIONAL):
        if name not in given.given:
            _error(errors, name, "required", _("This field is required."))
    outcome = given.outcome
    if outcome == Answer.REFUSED and not given.note.strip():
        _error(errors, "note", "required", _("Say why the request is refused."))
    if outcome == Answer.FROZEN and "accounts" in given.given:
        if not given.accounts:
            _error(errors, "accounts", "required", _("List the accounts found."))
        for position, iban in enumerate(given.accounts):
            try:
                validators.validate_iban(validators.normalise_iban(iban))
            except ValidationError:
                _error(
                    errors,
                    f"accounts[{position}]",
                    "iban_invalid",
                    _("%(iban)s is not a valid IBAN."),
                    iban=iban[:40],
                )
    if outcome in (Answer.FROZEN, Answer.TRANSFERRED) and given.amount_minor is not None:
        amount = given.amount_minor
        if amount <= 0:
            _error(errors, "amount_minor", "amount_positive", _("The amount must be above zero."))
        elif outcome == Answer.FROZEN and amount > (order.amount_ordered_minor or 0):
            _error(
                errors,
                "amount_minor",
                "amount_above_order",
                _("The amount frozen cannot exceed the order's %(limit)s (minor units)."),
                limit=order.amount_ordered_minor or 0,
            )
        elif outcome == Answer.TRANSFERRED and amount > (order.amount_seized_minor or 0):
            _error(
                errors,
                "amount_minor",
                "transfer_above_frozen",
                _("The transfer cannot exceed the amount frozen, %(limit)s (minor units)."),
                limit=order.amount_seized_minor or 0,
            )
    if (
        outcome in (Answer.TRANSFERRED, Answer.ANNOTATED)
        and "reference" in given.given
        and not TRANSFER_REFERENCE.match(given.reference)
    ):
        _error(
            errors,
            "reference",
            "reference_invalid",
            _("Use 4 to 35 Latin letters, digits, dashes or slashes."),
        )
    if len(given.note) > 2000:
        _error(errors, "note", "too_long", _("At most %(limit)s characters."), limit=2000)
    if len(given.location) > 300:
        _error(errors, "location", "too_long", _("At most %(limit)s characters."), limit=300)
    if errors:
        raise AnswerInvalid(errors)


def _refuse_state(letter: AgencyLetter, order: SeizureOrder, outcome: str) -> None:
    if order.status == SeizureOrder.Status.LIFTED:
        raise AnswerConflict(
            _("The order was lifted: it takes no more answers."), code="order_lifted"
        )
    if letter.subject_kind == AgencyLetter.Subject.LIFT:
        if order.status != SeizureOrder.Status.LIFTING or letter.status == "ANSWERED":
            raise AnswerConflict(_("This request was already answered."), code="already_answered")
        return
    if order.status == SeizureOrder.Status.LIFTING:
        raise AnswerConflict(
            _("The order is being lifted: answer the lift request."), code="order_lifting"
        )
    if outcome == Answer.TRANSFERRED:
        if order.status != SeizureOrder.Status.EXECUTED or order.amount_seized_minor is None:
            raise AnswerConflict(
                _("Funds are transferred after they were frozen."), code="not_frozen"
            )
        if order.answers.filter(kind=Answer.TRANSFERRED).exists():
            raise AnswerConflict(
                _("The frozen funds were already transferred."), code="already_transferred"
            )
        return
    if order.status != SeizureOrder.Status.ISSUED:
        raise AnswerConflict(_("This request was already answered."), code="already_answered")


def _summary(answer: AgencyAnswer, currency: str) -> str:
    """The answer as the letter and the file's history keep it: its kind, then what it says,
    an amount in the file's currency with its decimals ("15000.00 SAR"), not in minor units."""
    parts = [str(answer.get_kind_display())]
    amount = None if answer.amount_minor is None else str(Money(answer.amount_minor, currency))
    for value in (
        amount,
        ", ".join(answer.accounts),
        answer.reference,
        answer.location,
        answer.effective_on,
        answer.note,
    ):
        if value not in (None, "", []):
            parts.append(str(value))
    return " · ".join(parts)[:5000]


def _apply(letter: AgencyLetter, order: SeizureOrder, answer: AgencyAnswer, actor: User) -> None:
    now = timezone.now()
    court_id = order.file.court_id
    note = _summary(answer, order.file.currency)
    kind = answer.kind
    if letter.status != AgencyLetter.Status.ANSWERED:
        changes: dict[str, Any] = {"answered_at": now, "answered_by": actor, "answer": note}
        if letter.acknowledged_at is None:
            changes.update(acknowledged_at=now, acknowledged_by=actor)
        transition(
            table=engine.LETTER_TRANSITIONS,
            action="answer",
            obj=letter,
            actor=actor,
            court_id=court_id,
            fields=("acknowledged_at", "acknowledged_by", "answered_at", "answered_by", "answer"),
            changes=changes,
        )
    else:
        letter.save(update_fields=["updated_at"])
    if kind in requests_online.EXECUTED_ANSWERS:
        changes = {"executed_at": now, "executed_by": actor}
        if kind == Answer.FROZEN:
            changes["amount_seized_minor"] = answer.amount_minor
        elif kind == Answer.BLOCKED:
            changes["impound_location"] = answer.location
        elif kind == Answer.ANNOTATED:
            changes["annotation_number"] = answer.reference
        elif kind == Answer.BAN_IN_FORCE:
            changes["ban_from"] = answer.effective_on
        transition(
            table=engine.AGENCY_ORDER_TRANSITIONS,
            action="agency_executed",
            obj=order,
            actor=actor,
            court_id=court_id,
            fields=tuple(changes),
            changes=changes,
            note=note,
        )
        notices.tell_order_step(order, "seizure.executed", now)
    elif kind in requests_online.NOT_EXECUTED_ANSWERS and letter.subject_kind == "SEIZE":
        transition(
            table=engine.AGENCY_ORDER_TRANSITIONS,
            action="agency_not_executed",
            obj=order,
            actor=actor,
            court_id=court_id,
            fields=(),
            note=note,
        )
    elif kind == Answer.LIFTED:
        transition(
            table=engine.AGENCY_ORDER_TRANSITIONS,
            action="agency_lifted",
            obj=order,
            actor=actor,
            court_id=court_id,
            fields=("lifted_at", "lifted_by"),
            changes={"lifted_at": now, "lifted_by": actor},
            note=note,
        )
        notices.tell_order_step(order, "seizure.lifted", now)
    else:  # a transfer, or a refusal to lift: the order keeps its state, the history says so
        before = audit.snapshot(order, ("amount_transferred_minor",))
        if kind == Answer.TRANSFERRED:
            order.amount_transferred_minor = answer.amount_minor
            order.save(update_fields=["amount_transferred_minor"])
        audit.record(
            actor=actor,
            action="order.agency_answered",
            obj=order,
            before=before,
            after={**audit.snapshot(order, ("amount_transferred_minor",)), "answer": kind},
            court_id=court_id,
            note=note,
        )
    if kind == Answer.TRANSFERRED:
        hooks.funds_transferred(
            hooks.FundsTransferred(
                court_id=court_id,
                file_id=order.file_id,
                order_id=order.pk,
                answer_id=answer.pk,
                amount_minor=int(answer.amount_minor or 0),
                currency=order.file.currency,
                reference=answer.reference,
            )
        )


def answer_request(
    *,
    agency_id: int,
    actor: User,
    application_id: int | None,
    number: str,
    given: AnswerInput,
    idempotency_key: str = "",
    fingerprint: str = "",
    may_answer: Any = None,
) -> Answered:
    """Record the agency's typed answer to its request `number` and act on it.

    Another agency's request is "not found". The same `idempotency_key` with the same
    `fingerprint` returns the answer recorded the first time (nothing changes); with another
    fingerprint, IdempotencyKeyReused. A second answer racing the first waits on the
    request's row lock and then finds it answered (AnswerConflict).
    """
    try:
        with transaction.atomic():
            letter = locks.lock_letter_of_agency(number, agency_id)
            if idempotency_key:
                earlier = AgencyAnswer.objects.filter(
                    agency_id=agency_id, idempotency_key=idempotency_key
                ).first()
                if earlier is not None:
                    if earlier.request_hash != fingerprint or earlier.letter_id != letter.pk:
                        raise IdempotencyKeyReused(field="Idempotency-Key")
                    return Answered(earlier, True)
            if not letter.is_structured or letter.order_id is None:
                raise AnswerConflict(
                    _("This letter is answered in words, through the letters API."),
                    code="not_a_structured_request",
                )
            order = locks.lock_order(letter.order_id)
            if may_answer is not None and not may_answer(order.kind):
                raise InsufficientScope(
                    _("The token's scopes do not include answering %(kind)s orders."),
                    params={"kind": order.kind},
                )
            check_answer(letter, order, given)
            _refuse_state(letter, order, given.outcome)
            answer = AgencyAnswer.objects.create(
                letter=letter,
                order=order,
                agency_id=agency_id,
                application_id=application_id,
                kind=given.outcome,
                amount_minor=given.amount_minor,
                accounts=[validators.normalise_iban(item) for item in given.accounts],
                reference=given.reference.strip(),
                location=given.location.strip(),
                effective_on=given.effective_on,
                note=given.note.strip(),
                idempotency_key=idempotency_key,
                request_hash=fingerprint,
            )
            _apply(letter, order, answer, actor)
            if answer.kind == Answer.LIFTED:
                close_if_lifted(order.file_id)
            webhooks.enqueue(
                agency_id=agency_id,
                event="request.answered",
                payload=requests_online.serialize_request(letter),
                letter=letter,
            )
            return Answered(answer, False)
    except IntegrityError:
        # The same key committed by a racing request between our look-up and insert.
        earlier = AgencyAnswer.objects.filter(
            agency_id=agency_id, idempotency_key=idempotency_key
        ).first()
        if earlier is None or not idempotency_key:
            raise
        if earlier.request_hash != fingerprint:
            raise IdempotencyKeyReused(field="Idempotency-Key") from None
        return Answered(earlier, True)


@transaction.atomic
def attach_document(
    *, agency_id: int, actor: User, answer_id: int, document: UploadedFile
) -> AgencyAnswer:
    """Attach the agency's document (a PDF or an image, checked by its content) to an answer."""
    answer = locks.lock_answer(answer_id)
    if answer is None or answer.agency_id != agency_id:
        raise locks._missing()
    if answer.document:
        raise AnswerConflict(
            _("This answer already has its document."), code="document_already_attached"
        )
    try:
        content_type = uploads.validate_document(document, max_bytes=MAX_DOCUMENT_BYTES)
    except ValidationError as error:
        raise AnswerInvalid(
            [
                {
                    "field": "document",
                    "code": error.code or "invalid",
                    "message": error.messages[0],
                    "params": {},
                }
            ]
        ) from None
    extension = {"application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png"}.get(
        content_type, "webp"
    )
    answer.document.save(f"answer-{answer.pk}.{extension}", document, save=False)
    answer.document_type = content_type
    answer.save(update_fields=["document", "document_type"])
    audit.record(
        actor=actor,
        action="order.agency_document",
        obj=answer.order,
        after={"answer": answer.pk, "document_type": content_type},
        court_id=answer.letter.court_id,
    )
    return answer


@transaction.atomic
def redeliver_webhook(*, actor: User, delivery_id: int) -> WebhookDelivery:
    """Staff send again a webhook delivery the worker gave up on (its attempts start over).

    The delivery keeps its id, so the agency's system can tell it from a new event. Only
    staff who manage files of the request's court; only a delivery given up on. Audited.
    Raises PermissionDenied, NotFound (another court's, or no such delivery) or
    InvalidTransition (not_given_up).
    """
    access.require(actor, Capability.MANAGE_FILES)
    found = (
        WebhookDelivery.objects.filter(pk=delivery_id, letter__isnull=False)
        .values_list("letter__court_id", flat=True)
        .first()
    )
    if found is None:
        raise NotFound(_("Not found."))
    access.require_same_court(actor, found)
    delivery = lock_one(
        WebhookDelivery.objects.select_related("letter").filter(pk=delivery_id), of=("self",)
    )
    if delivery.status != WebhookDelivery.Status.FAILED:
        raise InvalidTransition(
            _("Only a delivery the platform gave up on is sent again; this one is “%(status)s”."),
            code="not_given_up",
            field="delivery",
            params={"status": delivery.get_status_display()},
        )
    letter = delivery.letter
    if letter is None:  # a request's deliveries keep their request (PROTECT)
        raise NotFound(_("Not found."))
    before = audit.snapshot(delivery, ("status", "attempts"))
    webhooks.redeliver(delivery)
    audit.record(
        actor=actor,
        action="webhook.redelivered",
        obj=letter,
        before=before,
        after={
            **audit.snapshot(delivery, ("status", "attempts")),
            "delivery": str(delivery.delivery_id),
            "event": delivery.event,
        },
        court_id=found,
    )
    return delivery
