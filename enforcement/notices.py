"""What enforcement tells people, written into the outbox in the transaction of its cause.

The parties of a file (applicants and debtors) are told of its seizures, lifts and sale dates:
parties may have no account, so the notice goes to the e-mail and phone stored on the party
(else its account's), in the language of its account (Arabic without one). A debtor is told
of their settlement's decision, a missed instalment and a default; an agency, at its e-mail
address, of a letter overdue; the court's judges of one still unanswered after the reminders.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Any

from django.utils import timezone

from core.money import Money
from enforcement.models import EnforcementFile, FileParty, Party, SeizureOrder
from notifications import services as outbox
from notifications.values import Bilingual, Value


def recipient(party: Party) -> outbox.Recipient:
    """Where and how a party is told: its own contacts first, its account's otherwise."""
    user = party.user
    language = (user.preferred_language if user is not None else "") or "ar"
    return outbox.Recipient(
        user=user,
        email=party.email or (user.email if user is not None else ""),
        phone=party.phone or (user.phone if user is not None else ""),
        language=language,
        name=party.name_en if language == "en" else party.name_ar,
    )


def names(file: EnforcementFile, role: str) -> Bilingual:
    """The names of the file's parties of `role`, joined, in both languages."""
    parties = [
        link.party
        for link in FileParty.objects.filter(file=file, role=role)
        .select_related("party")
        .order_by("pk")
    ]
    return Bilingual(
        ar="، ".join(party.name_ar for party in parties),
        en=", ".join(party.name_en for party in parties),
    )


def tell_parties(
    *, file: EnforcementFile, kind: str, key: str, params: Mapping[str, Value], url: str = ""
) -> int:
    """Write `kind` for every applicant and debtor of `file`; returns how many were written.

    Each party's notice is keyed `key:party-id`, so a cause retried tells each party once.
    """
    details: dict[str, Value] = {
        "file": file.number,
        "applicant": names(file, FileParty.Role.APPLICANT),
        "debtor": names(file, FileParty.Role.DEBTOR),
        **params,
    }
    links = FileParty.objects.filter(file=file).select_related("party__user").order_by("pk")
    told = 0
    for link in links:
        notice = outbox.tell(
            key=f"{key}:{link.party_id}",
            kind=kind,
            to=recipient(link.party),
            params=details,
            url=url,
            time_zone=file.court,
        )
        told += notice is not None
    return told


def tell_order_step(order: SeizureOrder, kind: str, at: datetime | None, reason: str = "") -> None:
    """The file's applicants and debtors are told of the order's step, once each."""
    params: dict[str, Value] = {
        "order": SeizureOrder.Kind(order.kind).label,
        "at": at or timezone.now(),
        "reason": reason,
    }
    tell_parties(file=order.file, kind=kind, key=f"{kind}:{order.pk}", params=params)


def settlement_decided(
    user: Any, *, file: EnforcementFile, settlement_id: int, approved: bool
) -> None:
    """Tell whoever proposed or recorded the settlement what the judge decided."""
    outbox.tell(
        key=f"settlement.decided:{settlement_id}",
        kind="settlement.approved" if approved else "settlement.refused",
        to=user,
        params={"file": file.number},
        time_zone=file.court,
    )


def instalment_missed(
    user: Any,
    *,
    file: EnforcementFile,
    settlement_id: int,
    amount_minor: int,
    due_on: date,
    resumes_on: date | None,
) -> None:
    """Tell the debtor an instalment was missed and when enforcement resumes unless it is paid."""
    outbox.tell(
        key=f"settlement.instalment_missed:{settlement_id}:{due_on.isoformat()}:{user.pk}",
        kind="settlement.instalment_missed",
        to=user,
        params={
            "file": file.number,
            "amount": Money(amount_minor, file.currency),
            "due": due_on,
            "resumes": resumes_on or due_on,
        },
        time_zone=file.court,
    )


def enforcement_resumed(user: Any, *, file: EnforcementFile, settlement_id: int) -> None:
    """Tell the debtor the settlement ended in default and enforcement resumed."""
    outbox.tell(
        key=f"settlement.defaulted:{settlement_id}:{user.pk}",
        kind="settlement.defaulted",
        to=user,
        params={"file": file.number},
        time_zone=file.court,
    )


def _court(letter: Any) -> Bilingual:
    return Bilingual(ar=letter.court.name_ar, en=letter.court.name_en)


def letter_reminder(*, agency: Any, letter: Any, step: int) -> None:
    """Remind the agency, at its e-mail address, that the letter is unanswered past its due date."""
    if not agency.email:
        return
    outbox.tell(
        key=f"letter.reminder:{letter.pk}:{step}",
        kind="letter.reminder",
        to=outbox.Recipient(email=agency.email, language=letter.language, name=agency.name),
        params={
            "step": step,
            "number": letter.number,
            "court": _court(letter),
            "file": letter.file.number,
            "due": letter.due_on,
        },
        time_zone=letter.court,
    )


def letter_escalated(judges: Iterable[Any], *, letter: Any, reminders: int) -> None:
    """Tell the court's supervising judges the agency has not answered after its reminders."""
    for judge in judges:
        outbox.tell(
            key=f"letter.escalated:{letter.pk}:{judge.pk}",
            kind="letter.escalated",
            to=judge,
            params={
                "number": letter.number,
                "agency": letter.agency.name,
                "file": letter.file.number,
                "due": letter.due_on,
                "reminders": reminders,
            },
            time_zone=letter.court,
        )
