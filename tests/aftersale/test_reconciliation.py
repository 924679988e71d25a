"""Reconciliation: generated camt.053 and CSV statements with exact matches, a missing item on
each side and a one-minor-unit difference; bad files refused whole; the provider's transactions."""

from __future__ import annotations

from datetime import date

import pytest
from django.utils import timezone

from aftersale import reports, statements
from aftersale import services as aftersale
from aftersale.models import Match, Statement
from aftersale.services.reconciliation import ReconciliationRefused
from aftersale.statements import StatementRefused
from core.errors import InvalidTransition
from core.models import AuditRecord
from core.money import Money
from payments import services as payments
from payments.models import Method, Purpose
from tests.conftest import make_user

pytestmark = pytest.mark.django_db

COURT_IBAN = "SA0380000000608010167519"


@pytest.fixture(autouse=True)
def court_account(court):
    from payments.models import CourtAccount

    return CourtAccount.objects.create(court=court, iban=COURT_IBAN, bank_name="Bank")


def bank_payments(court, finance, amounts):
    made = []
    for index, amount in enumerate(amounts):
        payment = payments.collect_payment(
            payer=make_user(verified=True),
            court=court,
            amount=Money(amount, "SAR"),
            purpose=Purpose.DEPOSIT,
            reference=f"registration:{index}",
            method=Method.BANK_TRANSFER,
        )
        payments.confirm_bank_transfer(actor=finance, payment=payment, note="Arrived at the bank")
        made.append(payment)
    return made


def ntry(
    amount: str,
    indicator: str,
    reference: str,
    on: date,
    *,
    currency="SAR",
    reversal=False,
    ref_kind="strd",
):
    remittance = (
        f"<RmtInf><Strd><CdtrRefInf><Ref>{reference}</Ref></CdtrRefInf></Strd></RmtInf>"
        if ref_kind == "strd"
        else f"<RmtInf><Ustrd>{reference}</Ustrd></RmtInf>"
    )
    return (
        f'<Ntry><Amt Ccy="{currency}">{amount}</Amt><CdtDbtInd>{indicator}</CdtDbtInd>'
        f"<RvslInd>{'true' if reversal else 'false'}</RvslInd><Sts>BOOK</Sts>"
        f"<BookgDt><Dt>{on.isoformat()}</Dt></BookgDt><ValDt><Dt>{on.isoformat()}</Dt></ValDt>"
        f"<AcctSvcrRef>BANK-{reference[-6:]}</AcctSvcrRef>"
        f"<NtryDtls><TxDtls><Refs><EndToEndId>NOTPROVIDED</EndToEndId></Refs>{remittance}</TxDtls></NtryDtls></Ntry>"
    )


def stmt(identifier, currency, opening, closing, entries, iban="SA0380000000608010167519"):
    def bal(code, amount):
        indicator = "CRDT" if not amount.startswith("-") else "DBIT"
        return (
            f"<Bal><Tp><CdOrPrtry><Cd>{code}</Cd></CdOrPrtry></Tp>"
            f'<Amt Ccy="{currency}">{amount.lstrip("-")}</Amt>'
            f"<CdtDbtInd>{indicator}</CdtDbtInd><Dt><Dt>{date.today().isoformat()}</Dt></Dt></Bal>"
        )

    return (
        f"<Stmt><Id>{identifier}</Id><Acct><Id><IBAN>{iban}</IBAN></Id><Ccy>{currency}</Ccy></Acct>"
        f"{bal('OPBD', opening)}{bal('CLBD', closing)}{''.join(entries)}</Stmt>"
    )


def camt(*statements_xml):
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"><BkToCstmrStmt>'
        "<GrpHdr><MsgId>MSG-1</MsgId><CreDtTm>2026-01-01T00:00:00</CreDtTm></GrpHdr>"
        f"{''.join(statements_xml)}</BkToCstmrStmt></Document>"
    ).encode()


def kinds(statement):
    return sorted(statement.matches.values_list("kind", flat=True))


def test_a_camt053_statement_matches_exactly_shows_both_missing_sides_and_a_one_unit_difference(
    court,
):
    finance = make_user("FINANCE_STAFF", court=court)
    exact, off_by_one, missing = bank_payments(court, finance, [100_000, 250_000, 70_000])
    today = timezone.localdate()
    data = camt(
        stmt(
            "STMT-SAR-1",
            "SAR",
            "0.00",
            "3505.99",
            [
                ntry("1000.00", "CRDT", exact.bank_reference, today),
                ntry("2499.99", "CRDT", off_by_one.bank_reference, today),
                ntry("550.00", "CRDT", "UNKNOWN PAYER 77", today, ref_kind="ustrd"),
                ntry("600.00", "CRDT", "RF00 REVERSED", today, reversal=True, ref_kind="ustrd"),
                ntry("1144.00", "DBIT", "BANK CHARGES", today, ref_kind="ustrd"),
            ],
        ),
    )

    imported = aftersale.import_camt053(actor=finance, data=data, filename="bank.xml")
    again = aftersale.import_camt053(actor=finance, data=data, filename="bank.xml")

    sar = next(s for s in imported if s.currency == "SAR")
    assert [s.pk for s in again] == [s.pk for s in imported]
    assert Statement.objects.count() == 1
    assert kinds(sar) == [
        "DIFFERENCE",
        "LEDGER_ONLY",
        "MATCHED",
        "STATEMENT_ONLY",
        "STATEMENT_ONLY",
        "STATEMENT_ONLY",
    ]
    difference = sar.matches.get(kind=Match.Kind.DIFFERENCE)
    assert (difference.difference_minor, difference.ledger_minor) == (-1, 250_000)
    assert sar.matches.get(kind=Match.Kind.LEDGER_ONLY).ledger_minor == missing.amount_minor
    assert sar.lines.filter(is_reversal=True).count() == 1
    report = reports.daily(court, today)
    assert "-1" in reports.as_csv(report).replace(",-1,", ",-1,")
    assert reports.as_pdf(report).startswith(b"%PDF")


def test_an_exception_is_resolved_with_a_note_and_audited_a_match_cannot_be(court):
    finance = make_user("FINANCE_STAFF", court=court)
    (payment,) = bank_payments(court, finance, [100_000])
    data = camt(
        stmt(
            "S-2",
            "SAR",
            "0.00",
            "999.99",
            [ntry("999.99", "CRDT", payment.bank_reference, timezone.localdate())],
        )
    )
    (statement,) = aftersale.import_camt053(actor=finance, data=data)
    difference = statement.matches.get()

    with pytest.raises(ReconciliationRefused) as raised:
        aftersale.resolve_match(actor=finance, match_id=difference.pk, note="ok")
    assert raised.value.code == "note_required"
    difference.refresh_from_db()
    assert not difference.is_resolved
    aftersale.resolve_match(
        actor=finance, match_id=difference.pk, note="The bank took a 0.01 SAR fee"
    )

    difference.refresh_from_db()
    assert difference.is_resolved
    assert difference.resolved_by == finance
    assert AuditRecord.objects.filter(action="reconciliation.exception_resolved").count() == 1
    with pytest.raises(InvalidTransition):
        aftersale.resolve_match(actor=finance, match_id=difference.pk, note="Again, twice")


@pytest.mark.parametrize(
    ("mutation", "code"),
    [
        (
            lambda x: x.replace(
                b'"SAR">0.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Dt>',
                b'"SAR">1.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Dt>',
                1,
            ),
            "statement_unbalanced",
        ),
        (lambda x: x.replace(b"1000.00", b"1000.001"), "statement_decimals"),
        (
            lambda x: x.replace(
                b"<CdtDbtInd>CRDT</CdtDbtInd><RvslInd>", b"<CdtDbtInd>CREDIT</CdtDbtInd><RvslInd>"
            ),
            "statement_indicator",
        ),
        (lambda x: x[:-20], "statement_xml"),
        (
            lambda x: (
                b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY e SYSTEM "file:///etc/passwd">]><d>&e;</d>'
            ),
            "statement_format",
        ),
    ],
)
def test_a_bad_statement_is_refused_whole_and_stores_nothing(court, mutation, code):
    finance = make_user("FINANCE_STAFF", court=court)
    data = camt(
        stmt(
            "S-3",
            "SAR",
            "0.00",
            "1000.00",
            [ntry("1000.00", "CRDT", "RF18ABC", timezone.localdate())],
        )
    )

    with pytest.raises(StatementRefused) as raised:
        aftersale.import_camt053(actor=finance, data=mutation(data))

    assert raised.value.code == code
    assert not Statement.objects.exists()


def test_a_csv_statement_with_a_column_mapping_matches_the_same_way(court):
    finance = make_user("FINANCE_STAFF", court=court)
    exact, off_by_one, _missing = bank_payments(court, finance, [100_000, 250_000, 70_000])
    today = timezone.localdate().strftime("%d/%m/%Y")
    data = (
        "Booking date;Credit;Debit;Payment details;Narrative\n"
        f"{today};1,000.00;;{exact.bank_reference};Deposit\n"
        f"{today};2499.99;;Transfer ref {off_by_one.bank_reference};Deposit\n"
        f"{today};;12.50;;Bank charges\n"
    ).encode()
    mapping = statements.ColumnMapping(
        date="Booking date",
        reference="Payment details",
        credit="Credit",
        debit="Debit",
        description="Narrative",
        date_format="DD/MM/YYYY",
    )

    statement = aftersale.import_csv(actor=finance, data=data, mapping=mapping, filename="bank.csv")

    assert kinds(statement) == ["DIFFERENCE", "LEDGER_ONLY", "MATCHED", "STATEMENT_ONLY"]
    assert statement.matches.get(kind="DIFFERENCE").difference_minor == -1
    with pytest.raises(StatementRefused) as raised:
        aftersale.import_csv(
            actor=finance,
            data=data,
            mapping=statements.ColumnMapping(date="When", reference="Ref", amount="Sum"),
        )
    assert raised.value.field == "mapping"


def test_provider_balance_transactions_match_card_payments_by_their_payment_intent(
    client, court, stripe
):
    from tests.aftersale import helpers

    finance = make_user("FINANCE_STAFF", court=court)
    sale = helpers.sold_lot(court, finance)
    payment = helpers.pay_by_card(client, sale, stripe)
    created = int(timezone.now().timestamp())
    transactions = [
        {
            "id": "txn_1",
            "amount": payment.amount_minor,
            "currency": "sar",
            "created": created,
            "type": "charge",
            "fee": 2_900,
            "net": payment.amount_minor - 2_900,
            "source": {
                "id": "ch_1",
                "object": "charge",
                "payment_intent": payment.intent_id,
                "metadata": {},
            },
        },
        {
            "id": "txn_2",
            "amount": -2_900,
            "currency": "sar",
            "created": created,
            "type": "stripe_fee",
            "source": None,
        },
    ]

    statement = aftersale.import_provider_transactions(
        actor=finance, transactions=transactions, identifier="provider-day"
    )

    assert kinds(statement) == ["MATCHED", "STATEMENT_ONLY"]
    assert statement.account_purpose == "PROVIDER_CLEARING"
