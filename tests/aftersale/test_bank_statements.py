"""Bank statements as banks really send them: public camt.053 and MT940 samples, batched
entries, the court's own account and currency only, the statement's own period, the same
statement twice, and references taken only with valid check digits — in SAR, KWD and VND."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from accounts.organisations import Court
from aftersale import references, statements
from aftersale import services as aftersale
from aftersale.models import Match, Statement, StatementLine
from aftersale.services.reconciliation import ReconciliationRefused
from aftersale.statements import StatementRefused
from core.money import Money
from payments import engine
from payments import services as payments
from payments.models import CourtAccount, Method, Purpose
from tests.aftersale.statement_files import Entry, Tx, camt053, camt054, mt940
from tests.aftersale.statement_files import Statement as File
from tests.conftest import make_user

pytestmark = pytest.mark.django_db

DATA = Path(__file__).resolve().parent.parent / "payments" / "data"
SAR_IBAN = "SA0380000000608010167519"
KWD_IBAN = "KW81CBKU0000000000001234560101"
VND_ACCOUNT = "0011004087591"


def court_with_account(court, iban):
    CourtAccount.objects.create(court=court, iban=iban, bank_name="Bank")
    return court


@pytest.fixture
def sar_court(court):
    return court_with_account(court, SAR_IBAN)


@pytest.fixture
def kwd_court(other_court):
    return court_with_account(other_court, KWD_IBAN)


@pytest.fixture
def vnd_court(db):
    court = Court.objects.create(
        code="HNC",
        name_ar="محكمة هانوي",
        name_en="Hanoi Enforcement Court",
        city="Hanoi",
        time_zone="Asia/Ho_Chi_Minh",
        currency="VND",
    )
    return court_with_account(court, VND_ACCOUNT)


def bank_payments(court, finance, amounts):
    made = []
    for index, minor in enumerate(amounts):
        payment = payments.collect_payment(
            payer=make_user(verified=True),
            court=court,
            amount=Money(minor, court.currency),
            purpose=Purpose.DEPOSIT,
            reference=f"registration:{court.code}:{index}",
            method=Method.BANK_TRANSFER,
        )
        payments.confirm_bank_transfer(actor=finance, payment=payment, note="Arrived at the bank")
        payment.refresh_from_db()
        made.append(payment)
    return made


def snapshot():
    return (Statement.objects.count(), StatementLine.objects.count(), Match.objects.count())


# -- public samples ------------------------------------------------------------------------------


def test_a_public_camt053_batch_becomes_one_line_per_transaction_with_its_counterparty():
    source, (parsed,) = statements.parse_bank_statement(
        (DATA / "oca-camt053-001.04-batch.xml").read_bytes()
    )

    assert source == "CAMT053"
    assert (parsed.iban, parsed.currency) == ("CH1111000000123456789", "CHF")
    assert [line.amount_minor for line in parsed.lines] == [218_700, 129_600]
    assert {line.counterparty for line in parsed.lines} == {"Banque Cantonale Vaudoise"}
    # The first ISR reference fails its check digit and is not used; the second holds.
    assert [line.reference for line in parsed.lines] == ["", "302388292000022222222222222"]
    # The statement's period, widened to its booking on the day before: never today.
    assert (parsed.from_on, parsed.to_on) == (date(2017, 3, 22), date(2017, 3, 23))


def test_a_public_mt940_statement_is_read_with_its_balances_and_signs():
    source, (parsed,) = statements.parse_bank_statement(
        (DATA / "wolph-mt940-cmxl-pln.sta").read_bytes()
    )

    assert source == "MT940"
    assert (parsed.currency, parsed.opening_minor, parsed.closing_minor) == (
        "PLN",
        4_000_000,
        5_004_000,
    )
    assert [line.amount_minor for line in parsed.lines] == [2_000_000, -1_000_000, 4_000]
    assert parsed.iban == "BPHKPLPK/320000546101"


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("wolph-mt940-ing.sta", "statement_unbalanced"),  # its balances do not add up
        ("wolph-mt940-cmxl-eur-pln.sta", "statement_mt940"),  # its closing date is 31 November
    ],
)
def test_public_mt940_samples_that_do_not_hold_are_refused_clearly(name, code):
    with pytest.raises(StatementRefused) as refused:
        statements.parse_bank_statement((DATA / name).read_bytes())

    assert refused.value.code == code
    assert refused.value.field == "file"


def test_a_public_swiss_statement_is_refused_by_a_saudi_court_naming_both_accounts(sar_court):
    finance = make_user("FINANCE_STAFF", court=sar_court)
    before = snapshot()

    with pytest.raises(ReconciliationRefused) as refused:
        aftersale.import_statement(
            actor=finance, data=(DATA / "oca-camt053-001.04-batch.xml").read_bytes()
        )

    assert refused.value.code == "statement_account"
    message = str(refused.value.message % refused.value.params)
    for named in ("CH1111000000123456789", "CHF", SAR_IBAN, "SAR"):
        assert named in message
    assert snapshot() == before


def test_a_public_camt054_notification_is_read_without_balances():
    source, (parsed,) = statements.parse_bank_statement(
        (DATA / "oca-camt054-001.04.xml").read_bytes()
    )

    assert source == "CAMT054"
    assert (parsed.opening_minor, parsed.closing_minor) == (None, None)
    (line,) = parsed.lines
    assert (line.amount_minor, line.currency, line.counterparty) == (500, "EUR", "Test Customer")
    assert line.reference == ""  # its QR reference fails the check digit
    assert line.end_to_end_id == "ENDTOENDID-01"
    assert (parsed.from_on, parsed.to_on) == (date(2022, 1, 26), date(2022, 1, 26))


def test_a_camt054_notification_matches_its_credits_and_the_days_statement_still_does(
    sar_court,
):
    finance = make_user("FINANCE_STAFF", court=sar_court)
    notified, other = bank_payments(sar_court, finance, [100_000, 40_000])
    today = timezone.localdate()
    credit = Entry(today, [Tx(100_000, reference=notified.bank_reference)], "N1")
    later = Entry(today, [Tx(40_000, reference=other.bank_reference)], "N2")

    notice = aftersale.import_statement(
        actor=finance,
        data=camt054(File("NTF-1", SAR_IBAN, "SAR", 0, [credit], from_on=today, to_on=today)),
    )
    statement = aftersale.import_statement(
        actor=finance,
        data=camt053(File("STMT-1", SAR_IBAN, "SAR", 0, [credit, later], today, today)),
    )

    (notification,) = notice.statements
    assert notification.source == Statement.Source.CAMT054
    # A notification lists some movements: the other payment is not "in the ledger only".
    assert list(notification.matches.values_list("kind", flat=True)) == ["MATCHED"]
    (day,) = statement.statements
    assert sorted(day.matches.values_list("kind", flat=True)) == ["MATCHED", "MATCHED"]


# -- batched entries ---------------------------------------------------------------------------


def test_a_batched_credit_of_two_payments_reconciles_both_each_to_its_payment(sar_court):
    finance = make_user("FINANCE_STAFF", court=sar_court)
    first, second = bank_payments(sar_court, finance, [218_700, 129_600])
    today = timezone.localdate()
    data = camt053(
        File(
            "SAR-BATCH-1",
            SAR_IBAN,
            "SAR",
            0,
            [
                Entry(
                    today,
                    [
                        Tx(218_700, reference=first.bank_reference, counterparty="Ali"),
                        Tx(129_600, free_text=f"Deposit {second.bank_reference}"),
                    ],
                )
            ],
            from_on=today,
            to_on=today,
        )
    )

    (statement,) = aftersale.import_camt053(actor=finance, data=data)

    matches = list(statement.matches.select_related("line", "entry"))
    assert sorted(match.kind for match in matches) == ["MATCHED", "MATCHED"]
    by_payment = {match.entry.reference_id: match.line.amount_minor for match in matches}
    assert by_payment == {str(first.pk): 218_700, str(second.pk): 129_600}
    assert {match.method for match in matches} == {Match.Method.REFERENCE}


def test_a_batch_whose_transactions_do_not_add_up_is_refused_naming_the_entry(sar_court):
    finance = make_user("FINANCE_STAFF", court=sar_court)
    today = timezone.localdate()
    data = camt053(
        File(
            "SAR-BAD-BATCH",
            SAR_IBAN,
            "SAR",
            0,
            [
                Entry(today, [Tx(100_000)], bank_reference="OK-1"),
                Entry(today, [Tx(50_000), Tx(25_000)], "BATCH-77", amount_minor=80_000),
            ],
            from_on=today,
            to_on=today,
        )
    )
    before = snapshot()

    with pytest.raises(StatementRefused) as refused:
        aftersale.import_statement(actor=finance, data=data)

    assert refused.value.code == "statement_batch_unbalanced"
    assert refused.value.params["where"] == "entry 2"
    assert refused.value.params["reference"] == "BATCH-77"
    assert snapshot() == before


# -- the account, the period, twice --------------------------------------------------------------


@pytest.mark.parametrize(
    ("iban", "currency"),
    [("SA4420000001234567891234", "SAR"), (SAR_IBAN, "USD")],
    ids=["another-account", "another-currency"],
)
def test_a_foreign_statement_is_refused_naming_its_account_and_currency(sar_court, iban, currency):
    finance = make_user("FINANCE_STAFF", court=sar_court)
    today = timezone.localdate()
    data = camt053(File("FOREIGN-1", iban, currency, 0, [Entry(today, [Tx(5_00)])]))
    before = snapshot()

    with pytest.raises(ReconciliationRefused) as refused:
        aftersale.import_statement(actor=finance, data=data)

    assert refused.value.code == "statement_account"
    assert refused.value.params["account"] == iban
    assert refused.value.params["currency"] == currency
    assert refused.value.params["court_account"] == SAR_IBAN
    assert snapshot() == before


def test_without_the_courts_iban_on_record_a_statement_is_refused(court):
    finance = make_user("FINANCE_STAFF", court=court)
    data = camt053(File("S-1", SAR_IBAN, "SAR", 0, [Entry(timezone.localdate(), [Tx(1)])]))

    with pytest.raises(ReconciliationRefused) as refused:
        aftersale.import_statement(actor=finance, data=data)

    assert refused.value.code == "court_account_missing"
    assert not Statement.objects.exists()


def test_a_statement_without_entries_is_dated_by_its_own_period_not_today(sar_court):
    finance = make_user("FINANCE_STAFF", court=sar_court)
    bank_payments(sar_court, finance, [70_000])  # posted today: not in a 2021 statement
    old = date(2021, 3, 1)
    data = camt053(
        File("SAR-2021-03", SAR_IBAN, "SAR", 500_000, [], from_on=old, to_on=old + timedelta(30))
    )

    (statement,) = aftersale.import_camt053(actor=finance, data=data)

    assert (statement.from_on, statement.to_on) == (old, date(2021, 3, 31))
    assert not statement.matches.exists()


def test_the_same_statement_twice_in_two_formats_is_recognised_and_changes_nothing(
    sar_court,
):
    finance = make_user("FINANCE_STAFF", court=sar_court)
    (payment,) = bank_payments(sar_court, finance, [100_000])
    today = timezone.localdate()
    file = File(
        "SAR-TWICE",
        SAR_IBAN,
        "SAR",
        0,
        [Entry(today, [Tx(100_000, reference=payment.bank_reference)])],
        from_on=today,
        to_on=today,
    )
    first = aftersale.import_statement(actor=finance, data=camt053(file))
    before = snapshot()

    again = aftersale.import_statement(actor=finance, data=camt053(file, version="001.02"))
    as_mt940 = aftersale.import_statement(actor=finance, data=mt940(file))

    assert first.is_new
    assert not again.is_new
    assert not as_mt940.is_new
    assert again.statements == first.statements == as_mt940.statements
    assert snapshot() == before


# -- references with check digits ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("Deposit RF18 5390 0754 7034 lot 4", "RF18539007547034"),
        ("Deposit RF18539007547034", "RF18539007547034"),
        ("Kaufpreis RF40 210 Los 17", ""),  # no valid check digits: never matched
        ("RF40210LOS17", ""),
        ("REF18539007547034", ""),  # not the RF prefix on its own
    ],
)
def test_creditor_references_in_free_text_are_taken_only_with_valid_check_digits(text, found):
    assert statements.find_reference(text) == found


@pytest.mark.parametrize(
    ("reference", "valid"),
    [
        ("RF18539007547034", True),
        ("RF19539007547034", False),
        ("210000000003139471430009017", True),  # Swiss QR reference
        ("210000000003139471430009018", False),
        ("+++090/9337/55493+++", True),  # Belgian structured communication
        ("+++090/9337/55494+++", False),
        ("12345672", True),  # Finnish national reference
        ("12345673", False),
    ],
)
def test_structured_references_of_each_scheme_are_checked(reference, valid):
    assert bool(references.structured(reference)) is valid


def test_our_references_pass_their_own_check():
    reference = engine.new_bank_reference("RYC")

    assert references.structured(reference) == reference
    assert statements.find_reference(f"paid {reference[:4]} {reference[4:]}") == reference


# -- three currencies, two formats ----------------------------------------------------------------


def test_a_kwd_mt940_statement_imports_and_reconciles_to_the_fils(kwd_court):
    finance = make_user("FINANCE_STAFF", court=kwd_court)
    exact, short = bank_payments(kwd_court, finance, [1_250_500, 3_000_750])
    today = timezone.localdate()
    data = mt940(
        File(
            "KFH-1",
            KWD_IBAN,
            "KWD",
            10_000_000,
            [
                Entry(today, [Tx(1_250_500, reference=exact.bank_reference)], "K1"),
                Entry(today, [Tx(3_000_749, free_text=f"Deposit {short.bank_reference}")], "K2"),
                Entry(today, [Tx(-2_250, free_text="Bank charges")], "K3"),
            ],
            from_on=today,
            to_on=today,
        )
    )

    imported = aftersale.import_statement(actor=finance, data=data)

    (statement,) = imported.statements
    assert statement.source == Statement.Source.MT940
    assert (statement.opening_minor, statement.closing_minor) == (10_000_000, 14_248_999)
    kinds = sorted(statement.matches.values_list("kind", flat=True))
    assert kinds == ["DIFFERENCE", "MATCHED", "STATEMENT_ONLY"]
    assert statement.matches.get(kind="DIFFERENCE").difference_minor == -1


@pytest.mark.parametrize("currency", ["SAR", "KWD", "VND"])
def test_generated_camt053_statements_reconcile_in_each_currency(
    currency, sar_court, kwd_court, vnd_court
):
    court = {"SAR": sar_court, "KWD": kwd_court, "VND": vnd_court}[currency]
    iban = {"SAR": SAR_IBAN, "KWD": KWD_IBAN, "VND": VND_ACCOUNT}[currency]
    finance = make_user("FINANCE_STAFF", court=court)
    amounts = {"SAR": [100_050, 7], "KWD": [1_000_005, 999], "VND": [25_000_000, 1]}[currency]
    first, second = bank_payments(court, finance, amounts)
    today = timezone.localdate()
    data = camt053(
        File(
            f"{currency}-1",
            iban,
            currency,
            0,
            [
                Entry(
                    today,
                    [
                        Tx(amounts[0], reference=first.bank_reference),
                        Tx(amounts[1], reference=second.bank_reference),
                    ],
                )
            ],
            from_on=today,
            to_on=today,
        )
    )

    (statement,) = aftersale.import_camt053(actor=finance, data=data)

    assert statement.currency == currency
    assert sorted(statement.lines.values_list("amount_minor", flat=True)) == sorted(amounts)
    assert set(statement.matches.values_list("kind", flat=True)) == {"MATCHED"}


def test_more_decimals_than_the_currency_has_are_refused_in_mt940(vnd_court):
    finance = make_user("FINANCE_STAFF", court=vnd_court)
    today = date(2026, 1, 5)
    data = (
        f":20:VCB-1\r\n:25:{VND_ACCOUNT}\r\n:28C:1/1\r\n:60F:C{today:%y%m%d}VND0,\r\n"
        f":61:{today:%y%m%d}C1000,5NTRFNONREF\r\n:62F:C{today:%y%m%d}VND1000,5\r\n-\r\n"
    ).encode()

    with pytest.raises(StatementRefused) as refused:
        aftersale.import_statement(actor=finance, data=data)

    assert refused.value.code == "statement_decimals"
    assert not Statement.objects.exists()


# -- the page ------------------------------------------------------------------------------------


def upload(client, data, name):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return client.post(
        "/finance/reconciliation/",
        {"kind": "camt", "file": SimpleUploadedFile(name, data)},
        follow=True,
    )


def test_the_page_says_a_statement_was_already_imported_and_refuses_a_foreign_one(
    client, sar_court
):
    finance = make_user("FINANCE_STAFF", court=sar_court)
    client.force_login(finance)
    today = timezone.localdate()
    entries = [Entry(today, [Tx(10_000, free_text="Transfer")])]
    own = mt940(File("SNB-1", SAR_IBAN, "SAR", 0, entries, today, today))
    foreign = mt940(File("KFH-1", KWD_IBAN, "KWD", 0, entries, today, today))

    first = upload(client, own, "own.sta")
    again = upload(client, own, "own.sta")
    before = snapshot()
    refused = upload(client, foreign, "foreign.sta")

    assert "imported and matched" in first.content.decode()
    assert "already imported" in again.content.decode()
    assert Statement.objects.count() == 1
    assert refused.status_code == 400
    assert KWD_IBAN in refused.content.decode()
    assert snapshot() == before


def test_a_batch_without_amounts_per_transaction_stays_one_line_with_the_valid_reference():
    reference = engine.new_bank_reference("RYC")
    entry = (
        '<Ntry><Amt Ccy="SAR">300.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts>'
        "<BookgDt><Dt>2026-01-05</Dt></BookgDt><NtryDtls><Btch><NbOfTxs>2</NbOfTxs></Btch>"
        "<TxDtls><RmtInf><Ustrd>no reference here</Ustrd></RmtInf></TxDtls>"
        f"<TxDtls><RmtInf><Ustrd>paid {reference}</Ustrd></RmtInf></TxDtls>"
        "</NtryDtls></Ntry>"
    )
    data = (
        '<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.10"><BkToCstmrStmt>'
        f"<Stmt><Id>S</Id><Acct><Id><IBAN>{SAR_IBAN}</IBAN></Id><Ccy>SAR</Ccy></Acct>"
        '<Bal><Tp><CdOrPrtry><Cd>OPBD</Cd></CdOrPrtry></Tp><Amt Ccy="SAR">0</Amt>'
        "<CdtDbtInd>CRDT</CdtDbtInd></Bal>"
        '<Bal><Tp><CdOrPrtry><Cd>CLBD</Cd></CdOrPrtry></Tp><Amt Ccy="SAR">300.00</Amt>'
        f"<CdtDbtInd>CRDT</CdtDbtInd></Bal>{entry}</Stmt></BkToCstmrStmt></Document>"
    ).encode()

    _source, (parsed,) = statements.parse_bank_statement(data)

    (line,) = parsed.lines
    assert (line.amount_minor, line.reference) == (30_000, reference)
