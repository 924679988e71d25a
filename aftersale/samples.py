"""Test mode only: a camt.053 statement of a day as the court's bank would send it, for the demo.

It lists the day's movements of the court custody account with their
references, books the last credit one minor unit short and adds a bank
charge the ledger does not know, so that the reconciliation screen has an
exact match, a difference and a line on each side to show.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from xml.sax.saxutils import escape
from zoneinfo import ZoneInfo

from aftersale.models import Disbursement
from core.money import Money
from payments import ledger
from payments.models import AccountPurpose, Payment, Posting


def _decimal(minor: int, currency: str) -> str:
    return str(Money(abs(minor), currency).to_decimal())


def _reference(posting: Posting) -> str:
    entry = posting.entry
    if entry.reference_type == "payments.payment":
        payment = Payment.objects.filter(pk=entry.reference_id).first()
        return (payment.bank_reference or "") if payment else ""
    if entry.reference_type == "aftersale.disbursement":
        item = Disbursement.objects.filter(pk=entry.reference_id).first()
        return item.short_reference if item else ""
    return ""


def sample_camt053(court: Any, day: date) -> bytes:
    zone = ZoneInfo(court.time_zone)
    start = datetime.combine(day, time.min, zone)
    account = ledger.account(
        court=court, purpose=AccountPurpose.COURT_CUSTODY, currency=court.currency
    )
    opening = ledger.balance(account, at=start - timedelta(microseconds=1)).amount_minor
    postings = list(
        Posting.objects.filter(
            account=account,
            entry__posted_at__gte=start,
            entry__posted_at__lt=start + timedelta(days=1),
        )
        .select_related("entry")
        .order_by("entry__posted_at", "pk")
    )
    lines = [(p.amount_minor, _reference(p)) for p in postings if _reference(p)]
    credits = [index for index, (amount, _ref) in enumerate(lines) if amount > 1]
    if credits:
        amount, reference = lines[credits[-1]]
        lines[credits[-1]] = (amount - 1, reference)
    lines.append(
        (
            -Money(
                2_500 if Money.zero(court.currency).exponent >= 2 else 25, court.currency
            ).amount_minor,
            "BANK CHARGES",
        )
    )
    closing = opening + sum(amount for amount, _ref in lines)
    entries = "".join(
        _entry(amount, reference, day, court.currency, n)
        for n, (amount, reference) in enumerate(lines, 1)
    )
    iban = escape(getattr(getattr(court, "payment_account", None), "iban", "") or "")
    document = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"><BkToCstmrStmt>'
        f"<GrpHdr><MsgId>DEMO-{court.code}-{day:%Y%m%d}</MsgId><CreDtTm>{day.isoformat()}T23:59:00</CreDtTm></GrpHdr>"
        f"<Stmt><Id>DEMO-{court.code}-{day:%Y%m%d}</Id><Acct><Id><IBAN>{iban}</IBAN></Id><Ccy>{court.currency}</Ccy></Acct>"
        f"{_balance('OPBD', opening, day, court.currency)}"
        f"{_balance('CLBD', closing, day, court.currency)}"
        f"{entries}</Stmt></BkToCstmrStmt></Document>"
    )
    return document.encode()


def _balance(code: str, minor: int, day: date, currency: str) -> str:
    indicator = "CRDT" if minor >= 0 else "DBIT"
    return (
        f"<Bal><Tp><CdOrPrtry><Cd>{code}</Cd></CdOrPrtry></Tp>"
        f'<Amt Ccy="{currency}">{_decimal(minor, currency)}</Amt><CdtDbtInd>{indicator}</CdtDbtInd>'
        f"<Dt><Dt>{day.isoformat()}</Dt></Dt></Bal>"
    )


def _entry(minor: int, reference: str, day: date, currency: str, number: int) -> str:
    indicator = "CRDT" if minor > 0 else "DBIT"
    remittance = (
        f"<Strd><CdtrRefInf><Ref>{escape(reference)}</Ref></CdtrRefInf></Strd>"
        if reference.startswith("RF")
        else f"<Ustrd>{escape(reference)}</Ustrd>"
    )
    return (
        f'<Ntry><Amt Ccy="{currency}">{_decimal(minor, currency)}</Amt>'
        f"<CdtDbtInd>{indicator}</CdtDbtInd>"
        f"<RvslInd>false</RvslInd><Sts>BOOK</Sts><BookgDt><Dt>{day.isoformat()}</Dt></BookgDt>"
        f"<ValDt><Dt>{day.isoformat()}</Dt></ValDt><AcctSvcrRef>DEMO-{number:05d}</AcctSvcrRef>"
        f"<NtryDtls><TxDtls><RmtInf>{remittance}</RmtInf></TxDtls></NtryDtls></Ntry>"
    )
