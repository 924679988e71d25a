"""How other apps learn that a person is about to become a party to a file, without the
enforcement app importing them.

An app registers a function at start-up (in its AppConfig.ready); `add_party` calls it in
its own transaction, before it locks the file (the auction app's rows come earlier in the
global lock order, docs/concurrency.md), so what the listener writes commits or rolls back
with the new party.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Joining:
    """Who joins the file: their identity, and the account already linked to it, if any."""

    file_id: int
    id_country: str
    id_number: str
    user_id: int | None


PartyListener = Callable[[Joining], Any]

_on_party_joining: list[PartyListener] = []


def on_party_joining(listener: PartyListener) -> PartyListener:
    """Register `listener(joining)` to run when a party is being added to an open file."""
    if listener not in _on_party_joining:
        _on_party_joining.append(listener)
    return listener


def party_joining(joining: Joining) -> None:
    for listener in _on_party_joining:
        listener(joining)


# Run by `decide_settlement` when the judge approves a settlement, before the file is locked
# (lots and auctions come before a file in the global lock order, docs/concurrency.md). A
# listener refuses with a DomainError (a lot of the file is live, or sold and not yet paid) or
# does what the approval means for its own records (the file's scheduled lots are withdrawn);
# either way in the approval's transaction, so it commits or rolls back with it.
SettlementListener = Callable[[int], Any]

_on_settlement_approving: list[SettlementListener] = []


def on_settlement_approving(listener: SettlementListener) -> SettlementListener:
    """Register `listener(file_id)` to run when a settlement of the file is being approved."""
    if listener not in _on_settlement_approving:
        _on_settlement_approving.append(listener)
    return listener


def settlement_approving(file_id: int) -> None:
    for listener in _on_settlement_approving:
        listener(file_id)


@dataclass(frozen=True)
class FundsTransferred:
    """A bank answered that it moved frozen funds into the court account, with its reference.

    `answer_id` is the AgencyAnswer that says so: the ledger entry refers to it, so
    reconciliation finds the statement line by `reference`.
    """

    court_id: int
    file_id: int
    order_id: int
    answer_id: int
    amount_minor: int
    currency: str
    reference: str


FundsListener = Callable[[FundsTransferred], Any]

_on_funds_transferred: list[FundsListener] = []


class NobodyBooksTransfers(RuntimeError):
    """Funds arrived and no app is connected to book them: refuse rather than lose them."""


def on_funds_transferred(listener: FundsListener) -> FundsListener:
    """Register `listener(event)` to book funds a bank transferred (in the answer's transaction)."""
    if listener not in _on_funds_transferred:
        _on_funds_transferred.append(listener)
    return listener


def funds_transferred(event: FundsTransferred) -> None:
    if not _on_funds_transferred:
        raise NobodyBooksTransfers("no listener books funds transferred by a bank")
    for listener in _on_funds_transferred:
        listener(event)
