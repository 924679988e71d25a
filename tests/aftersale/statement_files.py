"""Bank statements written as the banks write them: camt.053 (with batched entries) and MT940."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from core.money import Money


@dataclass(frozen=True)
class Tx:
    """One transaction: a signed amount in minor units and its remittance."""

    minor: int
    reference: str = ""
    free_text: str = ""
    end_to_end: str = "NOTPROVIDED"
    counterparty: str = "A Payer"


@dataclass(frozen=True)
class Entry:
    """A booked entry; several transactions make it a batch (its amount is their sum)."""

    on: date
    transactions: list[Tx]
    bank_reference: str = "BANKREF"
    amount_minor: int | None = None  # to book an entry that its transactions do not add up to

    @property
    def minor(self) -> int:
        if self.amount_minor is not None:
            return self.amount_minor
        return sum(tx.minor for tx in self.transactions)


@dataclass
class Statement:
    identifier: str
    iban: str
    currency: str
    opening_minor: int
    entries: list[Entry] = field(default_factory=list)
    from_on: date | None = None
    to_on: date | None = None

    @property
    def closing_minor(self) -> int:
        return self.opening_minor + sum(entry.minor for entry in self.entries)


def decimal_text(minor: int, currency: str) -> str:
    return str(Money(abs(minor), currency).to_decimal())


def _amount(minor: int, currency: str) -> str:
    indicator = "CRDT" if minor >= 0 else "DBIT"
    return (
        f'<Amt Ccy="{currency}">{decimal_text(minor, currency)}</Amt>'
        f"<CdtDbtInd>{indicator}</CdtDbtInd>"
    )


def _tx(tx: Tx, currency: str) -> str:
    party = "Dbtr" if tx.minor >= 0 else "Cdtr"
    remittance = ""
    if tx.reference:
        remittance += (
            "<Strd><CdtrRefInf><Tp><CdOrPrtry><Cd>SCOR</Cd></CdOrPrtry></Tp>"
            f"<Ref>{tx.reference}</Ref></CdtrRefInf></Strd>"
        )
    if tx.free_text:
        remittance += f"<Ustrd>{tx.free_text}</Ustrd>"
    return (
        f"<TxDtls><Refs><EndToEndId>{tx.end_to_end}</EndToEndId></Refs>"
        f"{_amount(tx.minor, currency)}"
        f"<RltdPties><{party}><Nm>{tx.counterparty}</Nm></{party}></RltdPties>"
        f"<RmtInf>{remittance}</RmtInf></TxDtls>"
    )


def _entry(entry: Entry, currency: str) -> str:
    batch = (
        f"<Btch><NbOfTxs>{len(entry.transactions)}</NbOfTxs></Btch>"
        if len(entry.transactions) > 1
        else ""
    )
    return (
        f"<Ntry>{_amount(entry.minor, currency)}<RvslInd>false</RvslInd><Sts>BOOK</Sts>"
        f"<BookgDt><Dt>{entry.on.isoformat()}</Dt></BookgDt>"
        f"<ValDt><Dt>{entry.on.isoformat()}</Dt></ValDt>"
        f"<AcctSvcrRef>{entry.bank_reference}</AcctSvcrRef>"
        f"<NtryDtls>{batch}{''.join(_tx(tx, currency) for tx in entry.transactions)}</NtryDtls>"
        "</Ntry>"
    )


def _balance(code: str, minor: int, currency: str, on: date | None) -> str:
    dated = f"<Dt><Dt>{on.isoformat()}</Dt></Dt>" if on else ""
    return (
        f"<Bal><Tp><CdOrPrtry><Cd>{code}</Cd></CdOrPrtry></Tp>{_amount(minor, currency)}"
        f"{dated}</Bal>"
    )


def camt053(*statements: Statement, version: str = "001.08") -> bytes:
    body = []
    for item in statements:
        period = (
            f"<FrToDt><FrDtTm>{item.from_on.isoformat()}T00:00:00</FrDtTm>"
            f"<ToDtTm>{item.to_on.isoformat()}T23:59:59</ToDtTm></FrToDt>"
            if item.from_on and item.to_on
            else ""
        )
        body.append(
            f"<Stmt><Id>{item.identifier}</Id>{period}"
            f"<Acct><Id><IBAN>{item.iban}</IBAN></Id><Ccy>{item.currency}</Ccy></Acct>"
            f"{_balance('OPBD', item.opening_minor, item.currency, item.from_on)}"
            f"{_balance('CLBD', item.closing_minor, item.currency, item.to_on)}"
            f"{''.join(_entry(entry, item.currency) for entry in item.entries)}</Stmt>"
        )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.{version}"><BkToCstmrStmt>'
        "<GrpHdr><MsgId>MSG-1</MsgId><CreDtTm>2026-01-01T00:00:00</CreDtTm></GrpHdr>"
        f"{''.join(body)}</BkToCstmrStmt></Document>"
    ).encode()


def camt054(item: Statement) -> bytes:
    """The entries of `item` as a credit notification: no balances, a period."""
    period = (
        f"<FrToDt><FrDtTm>{item.from_on.isoformat()}T00:00:00</FrDtTm>"
        f"<ToDtTm>{item.to_on.isoformat()}T23:59:59</ToDtTm></FrToDt>"
        if item.from_on and item.to_on
        else ""
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.054.001.08">'
        "<BkToCstmrDbtCdtNtfctn><GrpHdr><MsgId>NTF-1</MsgId>"
        "<CreDtTm>2026-01-01T00:00:00</CreDtTm></GrpHdr>"
        f"<Ntfctn><Id>{item.identifier}</Id>{period}"
        f"<Acct><Id><IBAN>{item.iban}</IBAN></Id><Ccy>{item.currency}</Ccy></Acct>"
        f"{''.join(_entry(entry, item.currency) for entry in item.entries)}"
        "</Ntfctn></BkToCstmrDbtCdtNtfctn></Document>"
    ).encode()


def _mt_amount(minor: int, currency: str) -> str:
    text = decimal_text(minor, currency)
    return text.replace(".", ",") if "." in text else f"{text},"


def _mt_balance(tag: str, minor: int, currency: str, on: date) -> str:
    mark = "C" if minor >= 0 else "D"
    return f":{tag}:{mark}{on:%y%m%d}{currency}{_mt_amount(minor, currency)}"


def mt940(item: Statement) -> bytes:
    """One MT940 statement; each transaction is its own :61: line (MT940 has no batches)."""
    start = item.from_on or min(entry.on for entry in item.entries)
    end = item.to_on or max(entry.on for entry in item.entries)
    lines = [
        f":20:{item.identifier}",
        f":25:{item.iban}",
        ":28C:1/1",
        _mt_balance("60F", item.opening_minor, item.currency, start),
    ]
    for entry in item.entries:
        for tx in entry.transactions:
            mark = "C" if tx.minor >= 0 else "D"
            # The customer reference of :61: holds 16 characters, fewer than ours: like the
            # banks, the reference goes in the details of :86:.
            lines.append(
                f":61:{entry.on:%y%m%d}{entry.on:%m%d}{mark}{_mt_amount(tx.minor, item.currency)}"
                f"NTRFNONREF//{entry.bank_reference}"
            )
            details = " ".join(part for part in (tx.reference, tx.free_text) if part)
            lines.append(f":86:{details or tx.counterparty}")
    lines.append(_mt_balance("62F", item.closing_minor, item.currency, end))
    return ("\r\n".join(lines) + "\r\n-\r\n").encode()
