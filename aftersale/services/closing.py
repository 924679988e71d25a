"""Closing the loop: the sale certificate, the transfer-of-ownership letter, the satisfied file."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from babel import Locale
from django.conf import settings
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from accounts.access import has_capability
from accounts.models import User
from accounts.organisations import Agency
from accounts.roles import Capability, Role
from core import audit, formatting, receipts
from core.errors import DomainError
from core.models import Receipt
from enforcement import selectors as enforcement_selectors
from enforcement import services as enforcement
from enforcement.models import AgencyLetter, EnforcementFile, FileParty, SeizedAsset

logger = logging.getLogger(__name__)
LETTER_DUE_DAYS = 14
AGENCY_OF_ASSET = {
    SeizedAsset.Kind.VEHICLE: Agency.Kind.TRAFFIC,
    SeizedAsset.Kind.REAL_ESTATE: Agency.Kind.LAND_REGISTRY,
}


def absolute_url(name: str, *args: Any) -> str:
    return f"{settings.SITE_URL.rstrip('/')}{reverse(name, args=args)}"


def file_officer(file: EnforcementFile) -> User | None:
    """The officer who acts for the file: its assignee, its opener, or any of the court's staff."""
    for candidate in (file.assigned_to, file.opened_by):
        if candidate is not None and has_capability(candidate, Capability.MANAGE_FILES):
            return candidate
    return (
        User.objects.filter(court_id=file.court_id, role=Role.EXECUTION_STAFF, is_active=True)
        .order_by("pk")
        .first()
    )


def _buyer_lines(sale: Any) -> list[receipts.Line]:
    """The buyer: the person, or the company their representative bid for (in its name)."""
    company = sale.registration.company
    if company is None:
        return [
            receipts.Line(_("Buyer"), sale.buyer.full_name, role="party"),
            receipts.Line(
                _("Buyer's identity"),
                receipts.masked_identity(sale.buyer.id_country, sale.buyer.id_number),
                role="party_id",
            ),
        ]
    return [
        receipts.Line(_("Buyer"), company.name, role="party"),
        receipts.Line(
            _("Commercial registration number"),
            f"{company.registration_country} {company.registration_number}",
            role="party_id",
        ),
        receipts.Line(_("Represented by"), sale.buyer.full_name),
    ]


def issue_certificate(sale: Any) -> Receipt:
    lot, asset = sale.lot, sale.lot.asset
    lines = [
        receipts.Line(_("Enforcement file"), sale.file.number),
        receipts.Line(_("Auction"), lot.auction.number),
        receipts.Line(_("Lot"), lot.reference),
        receipts.Line(_("Asset"), asset.title),
        *_buyer_lines(sale),
        receipts.Line(_("Paddle number"), str(sale.registration.paddle)),
        receipts.Line(_("Price"), sale.money("price")),
        receipts.Line(_("Buyer's premium"), sale.money("premium")),
        receipts.Line(_("VAT"), sale.money("vat")),
        receipts.Line(_("Total paid"), sale.total, role="amount"),
        receipts.Line(_("Paid in full on"), sale.paid_at),
    ]
    for field, label in (
        ("vin", _("VIN")),
        ("plate", _("Plate")),
        ("deed_number", _("Title deed")),
    ):
        value = getattr(asset, field, "")
        if value:
            lines.append(receipts.Line(label, value))
    return receipts.issue(
        kind=Receipt.Kind.SALE_CERTIFICATE,
        title=_("Sale certificate"),
        lines=lines,
        subject=sale,
        court=sale.court,
        issued_to=sale.buyer,
    )


def _agency_for(asset: SeizedAsset, file: EnforcementFile) -> Agency | None:
    kind = AGENCY_OF_ASSET.get(SeizedAsset.Kind(asset.kind))
    if kind is None:
        return None
    if asset.order is not None and asset.order.agency.kind == kind:
        return asset.order.agency
    debtor = file.file_parties.filter(role=FileParty.Role.DEBTOR).select_related("party").first()
    agencies = Agency.objects.filter(kind=kind)
    if debtor is not None:
        same_country = agencies.filter(country=debtor.party.id_country).first()
        if same_country is not None:
            return same_country
    return agencies.first()


def send_ownership_letter(sale: Any) -> AgencyLetter | None:
    """Ask the registry to transfer the asset to the buyer, through enforcement's letters.

    Sent on behalf of the file's officer. When no officer or agency exists, or
    the file no longer takes letters, the reason is written to the audit and
    staff send it by hand.
    """
    asset, file = sale.lot.asset, sale.file
    agency, officer = _agency_for(asset, file), file_officer(file)
    if agency is None or officer is None:
        _letter_skipped(sale, "no agency or officer for the letter")
        return None
    language = "ar" if agency.country in ("SA", "KW", "AE", "BH", "OM", "QA") else "en"
    with translation.override(language):
        # In the letter's own language, like the rest of its body.
        note = str(
            _("Buyer: %(name)s, identity %(country)s %(number)s. Sale certificate %(certificate)s.")
            % {
                "name": sale.buyer.full_name,
                "country": Locale.parse(language).territories.get(
                    sale.buyer.id_country, sale.buyer.id_country
                ),
                "number": sale.buyer.id_number,
                "certificate": sale.certificate.number if sale.certificate else "",
            }
        )
    try:
        return enforcement.send_letter(
            actor=officer,
            file_id=file.pk,
            agency_id=agency.pk,
            subject_kind=AgencyLetter.Subject.TRANSFER_OWNERSHIP,
            language=language,
            due_on=timezone.localdate() + timedelta(days=LETTER_DUE_DAYS),
            asset_id=asset.pk,
            note=note,
        )
    except DomainError as error:
        _letter_skipped(sale, error.code)
        return None
    except Exception:  # the letter must never hold up the money: staff send it by hand
        logger.exception("the transfer-of-ownership letter of sale %s was not sent", sale.pk)
        _letter_skipped(sale, "letter_failed")
        return None


def send_release_letter(item: Any) -> AgencyLetter | None:
    """Ask the registry to cancel the mortgage (or other encumbrance) whose holder the
    distribution just paid, through enforcement's letters, in the registry's language.

    Like the transfer letter, it never holds up the money: when no officer or agency exists
    the reason goes to the audit (`disbursement.letter_not_sent`) and staff send it by hand.
    """
    encumbrance = item.encumbrance
    asset, file = encumbrance.asset, item.distribution.file
    agency, officer = _agency_for(asset, file), file_officer(file)
    reason = "no agency or officer for the letter"
    if agency is not None and officer is not None:
        language = "ar" if agency.country in ("SA", "KW", "AE", "BH", "OM", "QA") else "en"
        with translation.override(language):
            note = str(
                _("Paid %(amount)s on %(day)s under distribution %(distribution)s.")
                % {
                    "amount": formatting.format_money(
                        item.amount_minor, item.currency, lang=language
                    ),
                    "day": formatting.format_day(item.paid_at, file.court, lang=language),
                    "distribution": item.distribution.number,
                }
            )
        try:
            return enforcement.send_letter(
                actor=officer,
                file_id=file.pk,
                agency_id=agency.pk,
                subject_kind=AgencyLetter.Subject.RELEASE_MORTGAGE,
                language=language,
                due_on=timezone.localdate() + timedelta(days=LETTER_DUE_DAYS),
                asset_id=asset.pk,
                encumbrance_id=encumbrance.pk,
                note=note,
                settling=True,
            )
        except DomainError as error:
            reason = error.code
        except Exception:  # the letter must never hold up the money: staff send it by hand
            logger.exception("the mortgage cancellation letter of disbursement %s failed", item.pk)
            reason = "letter_failed"
    audit.record(
        actor=None,
        action="disbursement.letter_not_sent",
        obj=item,
        after={"reason": reason},
        court_id=item.court_id,
    )
    return None


def _letter_skipped(sale: Any, reason: str) -> None:
    audit.record(
        actor=None,
        action="sale.letter_not_sent",
        obj=sale,
        after={"reason": reason},
        court_id=sale.court_id,
    )


def satisfy_if_paid(file: EnforcementFile) -> bool:
    """Mark the file satisfied once its applicants have been paid everything owed."""
    file.refresh_from_db()
    if file.status in (EnforcementFile.Status.SATISFIED, EnforcementFile.Status.CLOSED):
        return False
    if enforcement_selectors.balance_owed(file).amount_minor > 0:
        return False
    try:
        with translation.override(settings.LANGUAGE_CODE):
            # Written by the platform, not a person: in the site's language, like staff's notes.
            note = str(_("The applicants were paid in full from the court account."))
        enforcement.record_file_satisfied(file_id=file.pk, note=note)
    except DomainError:
        return False
    return True
