"""Registering for a lot: the paddle number and the security deposit through payments core."""

from __future__ import annotations

import secrets

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts import mandates
from accounts.models import Company, User
from auction import access, events, locks, notifications
from auction.bidding import decide as bidding
from auction.errors import RegistrationRefused
from auction.models import Auction, Bid, Lot, Notification, Registration
from core import audit
from core.money import Money
from enforcement.hooks import Joining
from payments import engine as payment_engine
from payments import services as payments
from payments.events import PaidFor, PaymentReceived
from payments.events import reference as payment_reference
from payments.models import Payment, Purpose

PADDLE_RANGE = (100, 9999)
# Why an excluded party's registration, bids and deposit end (the record's note).
PARTY_REASON = "party to the enforcement file"


def _new_paddle(lot: Lot) -> int:
    taken = set(Registration.objects.filter(lot=lot).values_list("paddle", flat=True))
    low, high = PADDLE_RANGE
    if len(taken) >= high - low:
        raise RegistrationRefused(_("This lot has no free paddle numbers."))
    while True:
        paddle = low + secrets.randbelow(high - low)
        if paddle not in taken:
            return paddle


def _method(amount: Money, wanted: str | None) -> str:
    """The payer's choice if it can carry the amount; else the first method that can."""
    offered = payment_engine.methods_for(amount)
    return wanted if wanted in offered else offered[0]


def deposit_reference(registration: Registration) -> str:
    return payment_reference(PaidFor.REGISTRATION_DEPOSIT, registration.pk)


@transaction.atomic
def register_for_lot(
    *, user: User, lot_id: int, method: str | None = None, company_id: int | None = None
) -> Registration:
    """Register `user` for the lot (for `company_id` when given) and start the deposit payment.

    Raises RegistrationRefused (with the reason) for an excluded party (a person or a
    company), an unverified or staff account, a representative without an approved,
    unexpired power of attorney, or a lot not open to registration. Registering twice
    returns the existing registration; registering again for someone else is refused.
    """
    lot = Lot.objects.select_related("auction", "asset").get(pk=lot_id)
    if lot.status not in (Lot.Status.SCHEDULED, Lot.Status.OPEN) or lot.auction.status not in (
        Auction.Status.PUBLISHED,
        Auction.Status.LIVE,
    ):
        raise RegistrationRefused(_("This lot is not open to registration."), code="lot_not_open")
    company = _company_for(user, lot, company_id)
    existing = Registration.objects.filter(lot=lot, bidder=user).first()
    if existing is not None:
        return _same_registration(existing, company)
    for _attempt in range(5):
        try:
            with transaction.atomic():
                registration = Registration.objects.create(
                    lot=lot, bidder=user, company=company, paddle=_new_paddle(lot)
                )
            break
        except IntegrityError:
            existing = Registration.objects.filter(lot=lot, bidder=user).first()
            if existing is not None:
                return existing
    else:  # pragma: no cover - five paddle collisions in a row
        raise RegistrationRefused(_("Please try again."))
    audit.record(
        actor=user,
        action="registration.created",
        obj=registration,
        after={"lot": lot.pk, "paddle": registration.paddle, "company": company_id},
        court_id=lot.auction.court_id,
    )
    if lot.deposit_minor == 0:
        _set_deposit(registration, Registration.Deposit.HELD, actor=None)
    else:
        amount = Money(lot.deposit_minor, lot.currency)
        payment = payments.collect_payment(
            payer=user,
            company=company,
            court=lot.auction.court,
            amount=amount,
            purpose=Purpose.DEPOSIT,
            method=_method(amount, method),
            reference=deposit_reference(registration),
            file_number=lot.asset.file.number,
            description=f"Deposit {lot.reference} paddle {registration.paddle}",
        )
        registration.deposit_reference = str(payment.public_id)
        registration.save(update_fields=["deposit_reference"])
    return registration


def _company_for(user: User, lot: Lot, company_id: int | None) -> Company | None:
    """The company registered for (its bars checked), or None for the person's own name."""
    if company_id is None:
        reason = access.exclusion_reason(user, lot)
        if reason is not None:
            raise RegistrationRefused(reason, code="excluded_party")
        return None
    company = Company.objects.filter(pk=company_id).first()
    if company is None or mandates.valid_mandate(user_id=user.pk, company_id=company_id) is None:
        raise RegistrationRefused(access.NO_MANDATE, code="power_of_attorney_invalid")
    reason = access.company_exclusion_reason(user, lot, company)
    if reason is not None:
        raise RegistrationRefused(reason, code="excluded_party")
    return company


def _same_registration(existing: Registration, company: Company | None) -> Registration:
    if existing.company_id != (company.pk if company else None):
        raise RegistrationRefused(
            _("You are already registered for this lot under another name (paddle %(paddle)s)."),
            code="already_registered",
            params={"paddle": existing.paddle},
        )
    return existing


def _set_deposit(
    registration: Registration, status: str, *, actor: User | None, note: str = ""
) -> None:
    before = {"deposit_status": registration.deposit_status}
    registration.deposit_status = status
    registration.deposit_changed_at = timezone.now()
    registration.save(update_fields=["deposit_status", "deposit_changed_at"])
    audit.record(
        actor=actor,
        action=f"registration.deposit_{status.lower()}",
        obj=registration,
        before=before,
        after={"deposit_status": status},
        note=note,
        court_id=registration.lot.auction.court_id,
    )


def on_deposit_paid(event: PaymentReceived) -> None:
    """Payments core's listener of `PaidFor.REGISTRATION_DEPOSIT`: a deposit payment succeeded."""
    deposit_received(registration_id=event.subject_pk)


@transaction.atomic
def deposit_received(*, registration_id: int) -> Registration:
    """Payments core confirmed a deposit: pending → held. Idempotent."""
    lot_id = Registration.objects.filter(pk=registration_id).values_list("lot_id", flat=True).get()
    # The lot first, then its registration, as every path does (docs/concurrency.md, "The global
    # order"): a settlement holds the lot and then locks its registrations, so locking the
    # registration first (or with the lot, in one statement) could deadlock against it.
    locks.lot(lot_id)
    registration = locks.registration(registration_id)
    if registration.deposit_status != Registration.Deposit.PENDING:
        return registration
    _set_deposit(registration, Registration.Deposit.HELD, actor=None)
    lot = registration.lot
    if lot.status not in (Lot.Status.SCHEDULED, Lot.Status.OPEN):
        # The lot closed or was withdrawn while the payment was in flight: give it back.
        refund_deposit(registration, reason="lot no longer open")
    notifications.record(lot, [registration.bidder_id], Notification.Kind.DEPOSIT_HELD)
    events.publish_after_commit([events.personal(lot, registration.bidder_id, "deposit_held")])
    return registration


def refund_deposit(registration: Registration, *, reason: str) -> None:
    """Instruct the refund of a held deposit (durably, through payments core)."""
    if registration.deposit_status != Registration.Deposit.HELD:
        return
    if registration.deposit_reference:  # a deposit of 0 has no payment to refund
        payment = Payment.objects.get(public_id=registration.deposit_reference)
        payments.refund_payment(payment=payment, reason=reason)
    _set_deposit(registration, Registration.Deposit.REFUNDED, actor=None, note=reason)


def release_deposit(registration: Registration, *, reason: str) -> None:
    """Refund a held or applied deposit in full (a sale annulled by the court). Idempotent."""
    if registration.deposit_status not in (
        Registration.Deposit.HELD,
        Registration.Deposit.APPLIED,
    ):
        return
    if registration.deposit_reference:
        payment = Payment.objects.get(public_id=registration.deposit_reference)
        if payment.refundable.amount_minor > 0:
            payments.refund_payment(payment=payment, reason=reason)
    _set_deposit(registration, Registration.Deposit.REFUNDED, actor=None, note=reason)


def refund_deposits(lot: Lot, *, reason: str, keep: int | None = None) -> None:
    """Refund the held deposits of the lot's registrations, but the registration `keep`.

    The caller holds the lot (or the sale that locked it): its registrations are
    locked after it, in ascending id (docs/concurrency.md, "The global order").
    """
    for registration in locks.registrations_of(lot, keep=keep):
        refund_deposit(registration, reason=reason)


def apply_deposit(registration: Registration) -> None:
    """The winner's deposit counts towards the price."""
    if registration.deposit_status == Registration.Deposit.HELD:
        _set_deposit(registration, Registration.Deposit.APPLIED, actor=None)


def forfeit_deposit(registration: Registration, *, reason: str) -> None:
    """The buyer did not pay in time: their applied (or held) deposit is forfeited."""
    if registration.deposit_status in (Registration.Deposit.APPLIED, Registration.Deposit.HELD):
        _set_deposit(registration, Registration.Deposit.FORFEITED, actor=None, note=reason)


def revoke_for_party(joining: Joining) -> list[Registration]:
    """The person joining an enforcement file loses their registrations on its assets' lots.

    Runs in the transaction that adds the party (`enforcement.hooks.party_joining`), before
    it locks the file: the lots first, then the budgets of their bidders, then the lots'
    registrations (docs/concurrency.md, "The global order"). A revoked registration bids no
    more (`excluded_party`, read with the registration the bid batch reads anyway), its
    automatic maximum is cancelled and its deposit refunded. Its bids on the lot stop
    counting: they are marked annulled (they stay on the record, with the reason) and the
    price and the lead are recomputed from the others as after a judge's annulment
    (`auction.bidding.decide.recount`), so a party who led passes the lead to the next valid
    bid. The bidder is told on the page and in their notices; the lot's watchers are told
    to resync.
    """
    same_person = Q(bidder__id_number=joining.id_number, bidder__id_country=joining.id_country)
    if joining.user_id is not None:
        same_person |= Q(bidder_id=joining.user_id)
    lot_ids = sorted(
        set(
            Registration.objects.filter(
                same_person,
                lot__asset__file_id=joining.file_id,
                lot__status__in=[Lot.Status.SCHEDULED, Lot.Status.OPEN],
                revoked_at__isnull=True,
            ).values_list("lot_id", flat=True)
        )
    )
    if not lot_ids:
        return []
    now = timezone.now()
    revoked: list[Registration] = []
    frames: list[events.Frame] = []
    lots = locks.lots(lot_ids)
    budgets = bidding.budgets_for(lots)
    for lot in lots:
        annulled = 0
        for registration in locks.registrations_of(lot):
            bidder = registration.bidder
            matches = (
                bidder.id_number == joining.id_number and bidder.id_country == joining.id_country
            ) or bidder.pk == joining.user_id
            if not matches or registration.revoked_at is not None:
                continue
            registration.revoked_at, registration.auto_max_minor = now, None
            registration.save(update_fields=["revoked_at", "auto_max_minor"])
            annulled += Bid.objects.filter(registration=registration, is_annulled=False).update(
                is_annulled=True, annulled_reason=PARTY_REASON, annulled_at=now
            )
            refund_deposit(registration, reason=PARTY_REASON)
            audit.record(
                actor=None,
                action="registration.revoked",
                obj=registration,
                after={"revoked_at": now.isoformat(), "lot": lot.pk, "bids_annulled": annulled},
                note=PARTY_REASON,
                court_id=lot.auction.court_id,
            )
            notifications.record(lot, [bidder.pk], Notification.Kind.REGISTRATION_REVOKED)
            frames.append(events.personal(lot, bidder.pk, "registration_revoked"))
            revoked.append(registration)
        if annulled and lot.status == Lot.Status.OPEN:
            before = {"price_minor": lot.price_minor, "leader": lot.leader_id}
            frames += bidding.recount(lot, budgets, actor_id=None, now=now)
            audit.record(
                actor=None,
                action="lot.bids_of_party_annulled",
                obj=lot,
                court_id=lot.auction.court_id,
                before=before,
                after={"price_minor": lot.price_minor, "leader": lot.leader_id},
                note=PARTY_REASON,
            )
            frames.append(events.resync_frame(lot, "bid_annulled"))
    events.publish_after_commit(frames)
    return revoked
