"""Pure rules of enforcement: which transition each action makes, and from which states.

No I/O: services ask these tables whether an action is allowed, and the
state-machine tests compare the database with them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from enforcement.models import AgencyLetter, EnforcementFile, SeizedAsset, SeizureOrder

FileStatus = EnforcementFile.Status
OrderStatus = SeizureOrder.Status
AssetStatus = SeizedAsset.Status
LetterStatus = AgencyLetter.Status


@dataclass(frozen=True)
class Transition:
    sources: frozenset[str]
    target: str


def _t(sources: set[str], target: str) -> Transition:
    return Transition(frozenset(sources), target)


FILE_TRANSITIONS: dict[str, Transition] = {
    "start_enforcement": _t({FileStatus.OPEN}, FileStatus.ENFORCING),
    "suspend": _t({FileStatus.OPEN, FileStatus.ENFORCING}, FileStatus.SUSPENDED),
    "resume": _t({FileStatus.SUSPENDED}, FileStatus.ENFORCING),
    "mark_satisfied": _t({FileStatus.ENFORCING}, FileStatus.SATISFIED),
    "close": _t({FileStatus.OPEN, FileStatus.ENFORCING, FileStatus.SUSPENDED}, FileStatus.CLOSED),
}

ORDER_TRANSITIONS: dict[str, Transition] = {
    "issue": _t({OrderStatus.REQUESTED}, OrderStatus.ISSUED),
    "record_execution": _t({OrderStatus.ISSUED}, OrderStatus.EXECUTED),
    "lift": _t({OrderStatus.ISSUED, OrderStatus.EXECUTED, OrderStatus.LIFTING}, OrderStatus.LIFTED),
}

# What an agency's typed answer (or the file's satisfaction) does to an order: never a person's
# click, so kept apart from the staff actions above.
AGENCY_ORDER_TRANSITIONS: dict[str, Transition] = {
    "agency_executed": _t({OrderStatus.ISSUED}, OrderStatus.EXECUTED),
    "agency_not_executed": _t({OrderStatus.ISSUED}, OrderStatus.NOT_EXECUTED),
    "request_lift": _t({OrderStatus.ISSUED, OrderStatus.EXECUTED}, OrderStatus.LIFTING),
    "agency_lifted": _t({OrderStatus.LIFTING}, OrderStatus.LIFTED),
}
# Orders an agency still holds: a satisfied file asks each to be lifted, and closes once none is.
ORDER_ACTIVE = frozenset({OrderStatus.ISSUED, OrderStatus.EXECUTED, OrderStatus.LIFTING})

# The platform closes a satisfied file once every order on it was lifted.
FILE_PLATFORM_TRANSITIONS: dict[str, Transition] = {
    "close_lifted": _t({FileStatus.SATISFIED}, FileStatus.CLOSED),
}

ASSET_TRANSITIONS: dict[str, Transition] = {
    "appraise": _t(
        {AssetStatus.SEIZED, AssetStatus.APPRAISED, AssetStatus.UNSOLD}, AssetStatus.APPRAISED
    ),
    "approve_for_sale": _t({AssetStatus.APPRAISED}, AssetStatus.APPROVED_FOR_SALE),
    "list": _t({AssetStatus.APPROVED_FOR_SALE, AssetStatus.UNSOLD}, AssetStatus.LISTED),
    "withdraw": _t({AssetStatus.LISTED}, AssetStatus.APPROVED_FOR_SALE),
    "mark_sold": _t({AssetStatus.LISTED}, AssetStatus.SOLD),
    "mark_unsold": _t({AssetStatus.LISTED}, AssetStatus.UNSOLD),
    # Every buyer of a sold asset defaulted: it goes back to be sold in a further round.
    "sale_failed": _t({AssetStatus.SOLD}, AssetStatus.UNSOLD),
    "release": _t(
        {
            AssetStatus.SEIZED,
            AssetStatus.APPRAISED,
            AssetStatus.APPROVED_FOR_SALE,
            AssetStatus.UNSOLD,
        },
        AssetStatus.RELEASED,
    ),
}

LETTER_TRANSITIONS: dict[str, Transition] = {
    "acknowledge": _t({LetterStatus.SENT}, LetterStatus.ACKNOWLEDGED),
    # An answer also acknowledges a letter nobody acknowledged first.
    "answer": _t({LetterStatus.SENT, LetterStatus.ACKNOWLEDGED}, LetterStatus.ANSWERED),
}

# Files in these states take no new orders, assets or letters.
FILE_FINAL = frozenset({FileStatus.SATISFIED, FileStatus.CLOSED})
# Asset states in which the public may see the asset (its photos on a catalog page).
ASSET_PUBLIC = frozenset({AssetStatus.LISTED, AssetStatus.SOLD, AssetStatus.UNSOLD})


def allowed(table: dict[str, Transition], action: str, status: str) -> bool:
    return status in table[action].sources


def is_overdue(status: str, due_on: date, today: date) -> bool:
    """A letter is overdue when it is unanswered past its due date (in the court's zone)."""
    return status != LetterStatus.ANSWERED and due_on < today
