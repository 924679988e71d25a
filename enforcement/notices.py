"""Telling the parties of a file (applicants and debtors) of its seizures, lifts and sale dates.

Parties may have no account: the notice goes to the e-mail and phone stored on the party
(else its account's), in the language of its account (Arabic without one), written into
the outbox in the transaction of the order or the listing.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from django.utils import timezone

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
