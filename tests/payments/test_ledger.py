"""The ledger: balanced entries, balances from postings, append-only in PostgreSQL itself."""

from __future__ import annotations

import itertools
import string
import threading
from collections import defaultdict
from datetime import timedelta

import pytest
from django.db import IntegrityError, connection, connections, transaction
from django.db.models import Sum
from django.utils import timezone
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from accounts.organisations import Court
from core.models import AuditRecord
from core.money import Money
from payments import ledger
from payments.models import AccountPurpose, JournalEntry, Posting

pytestmark = pytest.mark.django_db

CLEARING, DEPOSITS, CUSTODY = (
    AccountPurpose.PROVIDER_CLEARING,
    AccountPurpose.BIDDER_DEPOSITS,
    AccountPurpose.COURT_CUSTODY,
)


def simple_entry(court, key="k1", amount=1000, currency="SAR"):
    clearing = ledger.account(court=court, purpose=CLEARING, currency=currency)
    deposits = ledger.account(court=court, purpose=DEPOSITS, currency=currency)
    with transaction.atomic():
        return ledger.post_entry(
            court=court,
            memo="deposit",
            legs=[
                ledger.debit(clearing, Money(amount, currency)),
                ledger.credit(deposits, Money(amount, currency)),
            ],
            idempotency_key=key,
            reference=court,
        )


def test_an_entry_posts_balanced_legs_and_moves_both_balances(court):
    entry = simple_entry(court)

    clearing = ledger.account(court=court, purpose=CLEARING, currency="SAR")
    deposits = ledger.account(court=court, purpose=DEPOSITS, currency="SAR")
    assert ledger.balance(clearing) == Money(1000, "SAR")
    assert ledger.balance(deposits) == Money(-1000, "SAR")
    natural = {row.account.purpose: row.natural for row in ledger.balances(court=court)}
    assert natural == {CLEARING: Money(1000, "SAR"), DEPOSITS: Money(1000, "SAR")}
    assert AuditRecord.objects.filter(
        action="ledger.entry_posted", object_id=str(entry.pk)
    ).exists()


def test_an_unbalanced_entry_is_refused_and_writes_nothing(court):
    clearing = ledger.account(court=court, purpose=CLEARING, currency="SAR")
    deposits = ledger.account(court=court, purpose=DEPOSITS, currency="SAR")

    with pytest.raises(ledger.UnbalancedEntry) as raised:
        ledger.post_entry(
            court=court,
            memo="bad",
            legs=[
                ledger.debit(clearing, Money(1000, "SAR")),
                ledger.credit(deposits, Money(999, "SAR")),
            ],
            idempotency_key="bad",
            reference=court,
        )

    assert raised.value.code == "ledger_unbalanced"
    assert not JournalEntry.objects.exists()
    assert not Posting.objects.exists()


def test_a_replayed_key_posts_nothing_and_other_amounts_under_it_are_refused(court):
    first = simple_entry(court, key="same")

    again = simple_entry(court, key="same")
    with pytest.raises(ledger.LedgerKeyReused):
        simple_entry(court, key="same", amount=999)

    assert again.pk == first.pk
    assert Posting.objects.count() == 2


def test_a_reversal_undoes_an_entry_once_and_links_to_it(court):
    entry = simple_entry(court)

    reversal = ledger.reverse_entry(entry=entry, memo="correction", reference=court)
    replay = ledger.reverse_entry(entry=entry, memo="correction", reference=court)

    assert reversal.reverses_id == entry.pk
    assert replay.pk == reversal.pk
    assert all(row.balance.amount_minor == 0 for row in ledger.balances(court=court))


def test_balances_by_date_count_only_entries_posted_by_then(court):
    before = timezone.now()
    simple_entry(court)
    clearing = ledger.account(court=court, purpose=CLEARING, currency="SAR")

    assert ledger.balance(clearing, at=before - timedelta(seconds=1)) == Money(0, "SAR")
    assert ledger.balance(clearing, at=timezone.now()) == Money(1000, "SAR")


def test_payables_are_kept_per_file():
    with pytest.raises(ValueError, match="per enforcement file"):
        ledger.account(court=None, purpose=AccountPurpose.APPLICANT_PAYABLE, currency="SAR")


# -- PostgreSQL itself ------------------------------------------------------------------------


def raw(*statements):
    """Run SQL statements (text, params) in a savepoint, as any other database client could."""
    with transaction.atomic(), connection.cursor() as cursor:
        for sql, params in statements:
            cursor.execute(sql, params)


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE payments_posting SET amount_minor = amount_minor + 1",
        "DELETE FROM payments_posting",
        "UPDATE payments_journalentry SET memo = 'edited'",
        "DELETE FROM payments_journalentry",
    ],
)
def test_raw_sql_update_or_delete_of_the_ledger_fails_in_postgresql(court, sql):
    simple_entry(court)

    with pytest.raises(Exception, match="append-only"):
        raw((sql, None))

    assert sorted(Posting.objects.values_list("amount_minor", flat=True)) == [-1000, 1000]
    assert JournalEntry.objects.get().memo == "deposit"


INSERT = (
    "INSERT INTO payments_posting (entry_id, account_id, amount_minor, currency) "
    "VALUES (%s, %s, 5, %s)"
)


def test_a_raw_unbalanced_insert_fails_in_postgresql_at_commit(court):
    entry = simple_entry(court)
    clearing = ledger.account(court=court, purpose=CLEARING, currency="SAR")

    with pytest.raises(IntegrityError, match="does not balance"):
        raw((INSERT, [entry.pk, clearing.pk, "SAR"]), ("SET CONSTRAINTS ALL IMMEDIATE", None))

    assert Posting.objects.count() == 2


def test_a_raw_posting_in_another_currency_than_its_account_fails(court):
    entry = simple_entry(court)
    clearing = ledger.account(court=court, purpose=CLEARING, currency="SAR")

    with pytest.raises(IntegrityError, match="another currency"):
        raw((INSERT, [entry.pk, clearing.pk, "KWD"]))


@pytest.mark.django_db(transaction=True)
def test_the_same_key_posted_twenty_times_at_once_posts_one_entry(court):
    clearing = ledger.account(court=court, purpose=CLEARING, currency="SAR")
    ledger.account(court=court, purpose=DEPOSITS, currency="SAR")
    barrier = threading.Barrier(20)
    results: list[int] = []
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            barrier.wait()
            results.append(simple_entry(court, key="storm").pk)
        except BaseException as error:
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert len(set(results)) == 1
    assert JournalEntry.objects.count() == 1
    assert ledger.balance(clearing) == Money(1000, "SAR")


# -- Hypothesis: random postings, reversals, replays, two currencies ----------------------------

PURPOSES = [CLEARING, CUSTODY, DEPOSITS, AccountPurpose.FEES_INCOME, AccountPurpose.VAT_PAYABLE]
CURRENCIES = ["SAR", "KWD"]
_codes = ("".join(p) for p in itertools.product(string.ascii_uppercase, repeat=4))


class LedgerMachine(RuleBasedStateMachine):
    """A model of every account's balance, checked against PostgreSQL after each step."""

    @initialize()
    def a_fresh_court(self) -> None:
        code = next(_codes)
        self.court = Court.objects.create(
            code=code, name_ar=code, name_en=code, city="x", time_zone="Asia/Riyadh", currency="SAR"
        )
        self.accounts = {
            (purpose, currency): ledger.account(
                court=self.court, purpose=purpose, currency=currency
            )
            for purpose in PURPOSES
            for currency in CURRENCIES
        }
        self.expected: dict[int, int] = defaultdict(int)
        self.entries: dict[str, tuple[JournalEntry, list[ledger.Leg]]] = {}
        self.reversed: set[int] = set()
        self.keys = itertools.count()

    def _legs(self, data: st.DataObject, currency: str) -> list[ledger.Leg]:
        chosen = data.draw(st.lists(st.sampled_from(PURPOSES), min_size=1, max_size=3))
        amounts = data.draw(
            st.lists(
                st.integers(-(10**9), 10**9).filter(bool),
                min_size=len(chosen),
                max_size=len(chosen),
            )
        )
        legs = [
            ledger.Leg(self.accounts[(p, currency)], Money(a, currency))
            for p, a in zip(chosen, amounts, strict=True)
        ]
        closing = -sum(amounts)
        if closing == 0:
            closing = 1
            legs[0] = ledger.Leg(legs[0].account, legs[0].amount + Money(-1, currency))
            if legs[0].amount.amount_minor == 0:
                legs[0] = ledger.Leg(legs[0].account, Money(2, currency))
                closing = -sum(leg.amount.amount_minor for leg in legs)
        other = data.draw(st.sampled_from(PURPOSES))
        return [*legs, ledger.Leg(self.accounts[(other, currency)], Money(closing, currency))]

    def _apply(self, legs: list[ledger.Leg], sign: int = 1) -> None:
        for leg in legs:
            self.expected[leg.account.pk] += sign * leg.amount.amount_minor

    @rule(data=st.data(), currencies=st.sampled_from([["SAR"], ["KWD"], ["SAR", "KWD"]]))
    def post_a_balanced_entry(self, data: st.DataObject, currencies: list[str]) -> None:
        legs = [leg for currency in currencies for leg in self._legs(data, currency)]
        key = f"{self.court.code}:{next(self.keys)}"
        entry = ledger.post_entry(
            court=self.court, memo="m", legs=legs, idempotency_key=key, reference=self.court
        )
        self._apply(legs)
        self.entries[key] = (entry, legs)

    @rule(data=st.data(), off_by=st.integers(-5, 5).filter(bool))
    def an_unbalanced_entry_changes_nothing(self, data: st.DataObject, off_by: int) -> None:
        legs = self._legs(data, "SAR")
        last = legs[-1]
        legs[-1] = ledger.Leg(last.account, last.amount + Money(off_by, "SAR"))
        if legs[-1].amount.amount_minor == 0:
            return
        with pytest.raises(ledger.UnbalancedEntry):
            ledger.post_entry(
                court=self.court, memo="m", legs=legs, idempotency_key="never", reference=self.court
            )

    @precondition(lambda self: self.entries)
    @rule(data=st.data())
    def replaying_a_key_posts_nothing(self, data: st.DataObject) -> None:
        key = data.draw(st.sampled_from(sorted(self.entries)))
        entry, legs = self.entries[key]
        again = ledger.post_entry(
            court=self.court, memo="m", legs=legs, idempotency_key=key, reference=self.court
        )
        assert again.pk == entry.pk

    @precondition(lambda self: self.entries)
    @rule(data=st.data())
    def reverse_an_entry(self, data: st.DataObject) -> None:
        key = data.draw(st.sampled_from(sorted(self.entries)))
        entry, legs = self.entries[key]
        if entry.pk in self.reversed or entry.reverses_id:
            return
        ledger.reverse_entry(entry=entry, memo="r", reference=self.court)
        self.reversed.add(entry.pk)
        self._apply(legs, sign=-1)

    @invariant()
    def every_entry_sums_to_zero_per_currency(self) -> None:
        if not hasattr(self, "court"):
            return
        unbalanced = (
            Posting.objects.filter(entry__court=self.court)
            .values("entry", "currency")
            .annotate(total=Sum("amount_minor"))
            .exclude(total=0)
        )
        assert not unbalanced.exists()

    @invariant()
    def balances_equal_the_model_and_the_sum_of_postings(self) -> None:
        if not hasattr(self, "court"):
            return
        for row in ledger.balances(court=self.court):
            assert row.balance.amount_minor == self.expected[row.account.pk]
        for currency in CURRENCIES:
            total = sum(
                row.balance.amount_minor
                for row in ledger.balances(court=self.court)
                if row.account.currency == currency
            )
            assert total == 0


def test_the_ledger_holds_its_invariants_under_random_postings(db):
    LedgerMachine.TestCase.settings = settings(
        max_examples=25,
        stateful_step_count=15,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )
    from hypothesis.stateful import run_state_machine_as_test

    run_state_machine_as_test(LedgerMachine, settings=LedgerMachine.TestCase.settings)
