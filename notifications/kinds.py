"""The kinds of notice: their topic, whether the law makes them mandatory, and their words.

Each kind's subject and body are message ids with named placeholders, filled with the
notice's details in the reader's language when it is rendered. A kind is mandatory when
the law requires the person to be told (a seizure, a balance due, a forfeit): it always
goes by e-mail, whatever the reader's preferences say; they may only add SMS.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django_stubs_ext import StrPromise

from core.errors import DomainError


class Topic:
    BIDDING = "BIDDING"
    PURCHASES = "PURCHASES"
    COURT = "COURT"
    MESSAGES = "MESSAGES"
    SEARCHES = "SEARCHES"


TOPICS: dict[str, StrPromise] = {
    Topic.BIDDING: _("Bidding: outbid and lots closing soon"),
    Topic.PURCHASES: _("Purchases: lots won, balances due, deadlines, refunds"),
    Topic.COURT: _("Court orders: seizures, lifts and sale dates of your files"),
    Topic.MESSAGES: _("Answers: your questions, viewings and support tickets"),
    Topic.SEARCHES: _("Saved searches: new lots that match"),
}


@dataclass(frozen=True)
class Kind:
    name: str
    topic: str
    subject: Promise
    body: Promise
    is_mandatory: bool = False


_KINDS = [
    Kind(
        "sale.won",
        Topic.PURCHASES,
        _("You won lot %(lot)s"),
        _("Pay the balance of %(balance)s by %(due)s from your purchases page: %(url)s"),
        is_mandatory=True,
    ),
    Kind(
        "sale.won_paid",
        Topic.PURCHASES,
        _("You won lot %(lot)s"),
        _("Your deposit covers the price of %(price)s: nothing more is due. %(url)s"),
    ),
    Kind(
        "sale.result",
        Topic.PURCHASES,
        _("Result of lot %(lot)s"),
        _("The lot was sold for %(price)s. You may object to the result until %(until)s: %(url)s"),
    ),
    Kind(
        "sale.reminder",
        Topic.PURCHASES,
        _("Reminder: the balance of lot %(lot)s is due"),
        _("Pay %(balance)s by %(due)s or the deposit is forfeited: %(url)s"),
        is_mandatory=True,
    ),
    Kind(
        "sale.defaulted",
        Topic.PURCHASES,
        _("Lot %(lot)s: the balance was not paid in time"),
        _("The deadline passed; your deposit of %(deposit)s is forfeited under the sale rules."),
        is_mandatory=True,
    ),
    Kind(
        "sale.offered",
        Topic.PURCHASES,
        _("Lot %(lot)s is offered to you"),
        _(
            "The buyer did not pay. You may buy the lot at your last bid of %(price)s; "
            "accept and pay by %(expires)s: %(url)s"
        ),
    ),
    Kind(
        "sale.further_round",
        Topic.COURT,
        _("Lot %(lot)s needs a further round"),
        _("Nobody paid for the lot; put the asset in a later auction."),
    ),
    Kind(
        "sale.annulled",
        Topic.PURCHASES,
        _("The court annulled your purchase of lot %(lot)s"),
        _("Everything you paid, with your deposit, is being refunded. Reasons: %(reason)s"),
        is_mandatory=True,
    ),
    Kind(
        "objection.decided",
        Topic.COURT,
        _("Your objection to lot %(lot)s was decided"),
        _("The judge's decision: %(decision)s. Reasons: %(reason)s"),
    ),
    Kind(
        "custody.received",
        Topic.PURCHASES,
        _("Your payment on file %(file)s was received"),
        _("The sale of the file's assets is stopped and the applicant will be paid."),
    ),
    Kind(
        "settlement.approved",
        Topic.COURT,
        _("Your settlement on file %(file)s was approved"),
        _("The judge approved the instalments; enforcement is suspended while they are paid."),
        is_mandatory=True,
    ),
    Kind(
        "settlement.refused",
        Topic.COURT,
        _("Your settlement on file %(file)s was refused"),
        _("The judge refused the settlement. The reasons are on the file's page."),
        is_mandatory=True,
    ),
    Kind(
        "settlement.instalment_missed",
        Topic.COURT,
        _("Instalment missed on file %(file)s"),
        _(
            "The instalment of %(amount)s due on %(due)s on file %(file)s has not been paid. "
            "Unless it is paid by %(resumes)s, the settlement ends and enforcement resumes: "
            "the seized assets may be sold."
        ),
        is_mandatory=True,
    ),
    Kind(
        "settlement.defaulted",
        Topic.COURT,
        _("Enforcement resumed on file %(file)s"),
        _("An instalment was not paid within the notice period: the settlement has ended."),
        is_mandatory=True,
    ),
    Kind(
        "letter.reminder",
        Topic.COURT,
        _("Reminder %(step)s: letter %(number)s is unanswered"),
        _(
            "Letter %(number)s of %(court)s about file %(file)s was due for an answer on "
            "%(due)s. Please answer it in your inbox or through the API."
        ),
        is_mandatory=True,
    ),
    Kind(
        "letter.escalated",
        Topic.COURT,
        _("Letter %(number)s to %(agency)s is still unanswered"),
        _(
            "Letter %(number)s about file %(file)s was due on %(due)s; %(agency)s has not "
            "answered after %(reminders)s reminders."
        ),
        is_mandatory=True,
    ),
    Kind(
        "instalment.received",
        Topic.PURCHASES,
        _("Your instalment on file %(file)s was received"),
        _("Instalment %(number)s of %(amount)s was received. It will be paid to the applicant."),
        is_mandatory=True,
    ),
    Kind(
        "payment.refunded",
        Topic.PURCHASES,
        _("Refund of %(amount)s"),
        _(
            "We refunded %(amount)s to the card or account you paid with. "
            "Refund receipt: %(reference)s."
        ),
    ),
    Kind(
        "seizure.ordered",
        Topic.COURT,
        _("Seizure ordered on file %(file)s"),
        _(
            "The court ordered a seizure (%(order)s) on enforcement file %(file)s on %(at)s. "
            "Applicant: %(applicant)s. Debtor: %(debtor)s."
        ),
        is_mandatory=True,
    ),
    Kind(
        "seizure.executed",
        Topic.COURT,
        _("Seizure carried out on file %(file)s"),
        _(
            "The seizure (%(order)s) on enforcement file %(file)s was carried out on %(at)s. "
            "Applicant: %(applicant)s. Debtor: %(debtor)s."
        ),
        is_mandatory=True,
    ),
    Kind(
        "seizure.lifted",
        Topic.COURT,
        _("Seizure lifted on file %(file)s"),
        _(
            "The seizure (%(order)s) on enforcement file %(file)s was lifted on %(at)s. "
            "Reason: %(reason)s"
        ),
        is_mandatory=True,
    ),
    Kind(
        "asset.released",
        Topic.COURT,
        _("An asset of file %(file)s was released"),
        _("The court released “%(asset)s” from seizure on %(at)s. Reason: %(reason)s"),
        is_mandatory=True,
    ),
    Kind(
        "sale.scheduled",
        Topic.COURT,
        _("Sale date of an asset of file %(file)s"),
        _(
            "“%(asset)s” of enforcement file %(file)s is offered in auction %(auction)s, "
            "from %(starts)s to %(ends)s: %(url)s"
        ),
        is_mandatory=True,
    ),
    Kind(
        "bid.outbid",
        Topic.BIDDING,
        _("Mazad: %(title)s"),
        _("You were outbid on “%(title)s”: the price is now %(price)s.\n\n%(url)s"),
    ),
    Kind(
        "ticket.update",
        Topic.MESSAGES,
        _("[%(number)s] %(headline)s"),
        _("%(headline)s\n\n%(message)s\n\nOpen the ticket: %(url)s"),
    ),
    Kind(
        "question.answered",
        Topic.MESSAGES,
        _("Mazad: your question about “%(title)s” was answered"),
        _(
            "You asked: %(question)s\n\nThe court answered: %(answer)s\n\n"
            "The answer is shown on the lot's page, without your name: %(url)s"
        ),
    ),
    Kind(
        "question.rejected",
        Topic.MESSAGES,
        _("Mazad: your question about “%(title)s” was not published"),
        _(
            "You asked: %(question)s\n\nThe court did not publish it, for this reason: "
            "%(reason)s\n\n%(url)s"
        ),
    ),
    Kind(
        "viewing.booked",
        Topic.MESSAGES,
        _("Mazad: your viewing of “%(title)s” is booked"),
        _(
            "Your place to view “%(title)s” is booked for %(when)s, until %(until)s, at "
            "%(place)s.\n\nWe will remind you the day before. To cancel it: %(url)s"
        ),
    ),
    Kind(
        "viewing.reminder",
        Topic.MESSAGES,
        _("Mazad: your viewing of “%(title)s” is soon"),
        _(
            "A reminder: you booked a place to view “%(title)s” on %(when)s, until "
            "%(until)s, at %(place)s.\n\nIf you cannot come, cancel it so another bidder "
            "may take the place: %(url)s"
        ),
    ),
]

KINDS: dict[str, Kind] = {kind.name: kind for kind in _KINDS}


def register(kind: Kind) -> None:
    """Add a kind (another app's notices); a name is registered once."""
    if kind.name in KINDS:
        raise ValueError(f"notice kind {kind.name!r} is already registered")
    KINDS[kind.name] = kind


def get(name: str) -> Kind:
    """The kind named `name`; raises DomainError `unknown_notice_kind` for any other."""
    try:
        return KINDS[name]
    except KeyError:
        raise DomainError(
            _("There is no notice of the kind “%(kind)s”."),
            code="unknown_notice_kind",
            field="kind",
            params={"kind": name},
        ) from None
