"""Agencies online end to end: the reference agency client as its own process, a real Mazad
web server, PostgreSQL and stripe-mock.

The judge issues an order; the worker pushes the signed webhook to the agency's endpoint; the
agency system verifies it and answers through the API; the answer moves the order (a bank's
transfer lands in the court's custody account and reconciles with the bank statement); the
file is paid out and satisfied; lift requests go out, are answered, and the file closes.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

import pytest
from django.utils import timezone

from aftersale import services as aftersale
from aftersale import statements
from aftersale.models import Distribution, Match
from enforcement import webhooks
from enforcement.models import EnforcementFile, Party, SeizureOrder, WebhookDelivery
from payments import ledger
from payments import services as payments
from payments.models import AccountPurpose, CourtAccount
from tests.aftersale import helpers as sale_helpers
from tests.agencies.helpers import issued_order, system
from tests.conftest import ARTIFACTS, make_user
from tests.harness.servers import ROOT, free_port, wait_for_port
from tests.payments.conftest import make_event, post_event, work

pytestmark = pytest.mark.django_db(transaction=True)
COURT_IBAN = "SA4420000001234567891234"


class AgencyProcess:
    """The reference client (tools/agency_client) running as a separate process."""

    def __init__(self, mazad_url: str, agency_system: Any, *flags: str) -> None:
        self.port = free_port()
        self.secret = webhooks.new_secret()
        webhooks.set_endpoint(
            agency=agency_system.agency,
            url=f"http://127.0.0.1:{self.port}/webhooks",
            secret=self.secret,
        )
        logs = ARTIFACTS / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        self.log_path = logs / f"agency-client-{agency_system.agency.code}-{self.port}.log"
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tools.agency_client",
                "--base-url",
                mazad_url,
                "--client-id",
                agency_system.client_id,
                "--client-secret",
                agency_system.client_secret,
                "--webhook-secret",
                self.secret,
                "--port",
                str(self.port),
                *flags,
            ],
            cwd=ROOT,
            stdout=self.log_path.open("wb"),
            stderr=subprocess.STDOUT,
        )
        wait_for_port(self.port, process=self.process)

    def events(self) -> list[dict[str, Any]]:
        lines = self.log_path.read_text(errors="replace").splitlines()
        return [json.loads(line) for line in lines if line.startswith("{")]

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


@pytest.fixture
def mazad_url(web_servers: Any) -> str:
    return str(web_servers["daphne"].base_url)


def eventually(check: Callable[[], bool], what: str, process: AgencyProcess) -> None:
    """Push due webhooks (the worker's pass) until `check` holds; fail with the client's log."""
    for _ in range(600):
        webhooks.deliver_due()
        if check():
            return
        time.sleep(0.1)
    raise AssertionError(f"{what} never happened; the agency client said:\n{process.events()}")


def order_status(order: SeizureOrder) -> str:
    order.refresh_from_db()
    return order.status


def pay_out(client: Any, file: EnforcementFile, stripe: Any) -> None:
    """Finance prepares and approves the file's distribution; the transfers are paid."""
    finance, checker = sale_helpers.staff_pair(file.court)
    distribution = Distribution.objects.get(file=file)
    for item in distribution.disbursements.order_by("pk"):
        aftersale.prepare_disbursement(actor=finance, disbursement_id=item.pk, note="Checked")
        aftersale.approve_disbursement(actor=checker, disbursement_id=item.pk)
    work(stripe)
    work(stripe)
    for item in distribution.disbursements.order_by("pk"):
        item.refresh_from_db()
        event = {
            "id": item.provider_id,
            "object": "transfer",
            "amount": item.amount_minor,
            "currency": "sar",
            "metadata": {"mazad_ref": item.reference},
        }
        assert post_event(client, make_event("transfer.created", event)).status_code == 200
    work(stripe)


def lift_and_close(order: SeizureOrder, process: AgencyProcess) -> None:
    file = order.file
    file.refresh_from_db()
    assert file.status == EnforcementFile.Status.SATISFIED
    assert order_status(order) == SeizureOrder.Status.LIFTING
    lift = order.letters.get(subject_kind="LIFT")
    assert lift.payload["action"].startswith("lift_")
    eventually(lambda: order_status(order) == "LIFTED", "the lift answer", process)
    file.refresh_from_db()
    assert file.status == EnforcementFile.Status.CLOSED
    lift.refresh_from_db()
    assert lift.status == "ANSWERED"
    assert lift.answers.get().kind == "LIFTED"


def test_a_bank_freezes_transfers_the_funds_reconcile_and_the_file_closes_once_lifted(
    client, court, stripe, mazad_url, agency_processes
):
    CourtAccount.objects.create(court=court, iban=COURT_IBAN, bank_name="Court bank")
    bank = system("BANK_FUNDS")
    process = AgencyProcess(mazad_url, bank, "--freeze", "all", "--transfer")
    agency_processes.append(process)
    file = sale_helpers.file_with(court, claim=1_200_000, costs=50_000)

    order = issued_order(court, "BANK_FUNDS", bank.agency, on_file=file)
    delivery = WebhookDelivery.objects.get(letter__order=order, event="request.created")

    eventually(lambda: order.answers.filter(kind="TRANSFERRED").exists(), "the transfer", process)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.last_status_code) == ("DELIVERED", 200)
    received = [item for item in process.events() if item["event"] == "webhook"]
    assert received[0]["delivery"] == str(delivery.delivery_id)
    order.refresh_from_db()
    assert order.status == "EXECUTED"
    assert order.amount_seized_minor == order.amount_transferred_minor == 1_250_000

    custody = ledger.account(court=court, purpose=AccountPurpose.COURT_CUSTODY, currency="SAR")
    assert ledger.balance(custody).amount_minor == 1_250_000
    finance = make_user("FINANCE_STAFF", court=court)
    today = timezone.localdate().strftime("%d/%m/%Y")
    statement = aftersale.import_csv(
        actor=finance,
        data=(f"Date;Credit;Debit;Details\n{today};12500.00;;TRF-{order.pk}\n").encode(),
        mapping=statements.ColumnMapping(
            date="Date",
            reference="Details",
            credit="Credit",
            debit="Debit",
            date_format="DD/MM/YYYY",
        ),
        filename="court-account.csv",
    )
    match = statement.matches.get(line__isnull=False)
    assert (match.kind, match.method) == (Match.Kind.MATCHED, Match.Method.REFERENCE)
    assert match.entry.reference_type == "enforcement.agencyanswer"

    pay_out(client, file, stripe)
    lift_and_close(order, process)


def test_a_vehicle_is_blocked_and_impounded_then_lifted_when_the_debtor_redeems(
    client, court, stripe, mazad_url, agency_processes
):
    traffic = system("VEHICLE")
    process = AgencyProcess(mazad_url, traffic, "--impound-location", "Riyadh impound lot 4")
    agency_processes.append(process)
    file = sale_helpers.file_with(court, claim=800_000)
    order = issued_order(court, "VEHICLE", traffic.agency, on_file=file)

    eventually(lambda: order_status(order) == "EXECUTED", "the block", process)
    assert order.impound_location == "Riyadh impound lot 4"
    assert order.answers.get().kind == "BLOCKED"

    redeem(client, file, stripe)
    lift_and_close(order, process)


def test_a_travel_ban_takes_force_then_is_lifted_when_the_debtor_redeems(
    client, court, stripe, mazad_url, agency_processes
):
    passports = system("TRAVEL_BAN")
    process = AgencyProcess(mazad_url, passports, "--ban-from", "2026-03-01")
    agency_processes.append(process)
    file = sale_helpers.file_with(court, claim=300_000)
    order = issued_order(court, "TRAVEL_BAN", passports.agency, on_file=file)

    eventually(lambda: order_status(order) == "EXECUTED", "the ban", process)
    assert order.ban_from.isoformat() == "2026-03-01"

    redeem(client, file, stripe)
    lift_and_close(order, process)


def redeem(client: Any, file: EnforcementFile, stripe: Any) -> None:
    """The debtor pays the balance owed (confirmed by finance) and it is paid out."""
    debtor = make_user("BIDDER", verified=True)
    Party.objects.filter(file_roles__file=file, file_roles__role="DEBTOR").update(user=debtor)
    payment = aftersale.start_redemption(debtor=debtor, file_id=file.pk, method="BANK_TRANSFER")
    finance = make_user("FINANCE_STAFF", court=file.court)
    payments.confirm_bank_transfer(actor=finance, payment=payment, note="Statement line 9")
    pay_out(client, file, stripe)


def test_a_vehicle_block_stays_through_a_defaulted_settlement_and_is_lifted_when_one_is_completed(
    client, court, stripe, staff, finance, supervisor, mazad_url, agency_processes
):
    from datetime import datetime, timedelta
    from datetime import time as clock_time
    from zoneinfo import ZoneInfo

    from aftersale.services import instalments as settlement_payments
    from enforcement import services as enforcement
    from enforcement.instalments import PlanTerms, add_months
    from enforcement.models import Settlement, SettlementRules

    riyadh = ZoneInfo("Asia/Riyadh")
    today = datetime.now(riyadh).date()

    def noon(day: Any) -> datetime:
        return datetime.combine(day, clock_time(12), riyadh)

    def pay_next() -> None:
        payment = settlement_payments.start_instalment_payment(
            debtor=debtor, file_id=file.pk, method="BANK_TRANSFER"
        )
        payments.confirm_bank_transfer(actor=finance, payment=payment, note="Statement line")

    traffic = system("VEHICLE")
    process = AgencyProcess(mazad_url, traffic, "--impound-location", "Jeddah impound lot 2")
    agency_processes.append(process)
    SettlementRules.objects.create(court=court, notice_days=5)
    file = sale_helpers.file_with(court, claim=600_000)
    order = issued_order(court, "VEHICLE", traffic.agency, on_file=file)
    eventually(lambda: order_status(order) == "EXECUTED", "the block", process)
    party = file.file_parties.get(role="DEBTOR").party
    debtor = make_user("BIDDER", verified=True, id_kind="NATIONAL_ID", id_number=party.id_number)

    # A settlement the debtor stops paying: enforcement resumes and the block stays in force.
    first_due = today + timedelta(days=1)
    defaulted = enforcement.propose_settlement(
        debtor=debtor,
        file_id=file.pk,
        terms=PlanTerms(total_minor=600_000, first_minor=200_000, first_due_on=first_due, count=2),
    )
    enforcement.decide_settlement(
        actor=supervisor, settlement_id=defaulted.pk, approve=True, reason="Agreed terms"
    )
    pay_next()
    second_due = add_months(first_due, 1)
    assert enforcement.run_settlement_deadlines(noon(second_due + timedelta(days=1))) == 1
    assert enforcement.run_settlement_deadlines(noon(second_due + timedelta(days=6))) == 1
    defaulted.refresh_from_db()
    file.refresh_from_db()
    assert defaulted.status == Settlement.Status.DEFAULTED
    assert file.status == EnforcementFile.Status.ENFORCING
    assert order_status(order) == SeizureOrder.Status.EXECUTED
    assert not order.letters.filter(subject_kind="LIFT").exists()
    pay_out(client, file, stripe)  # the instalment paid before the default reaches the applicant

    # A second settlement, paid to the end: the file is satisfied and the block is lifted.
    completed = enforcement.record_settlement(
        actor=staff,
        file_id=file.pk,
        terms=PlanTerms(total_minor=400_000, first_minor=200_000, first_due_on=today, count=1),
        note="Agreed at the counter",
    )
    enforcement.decide_settlement(
        actor=supervisor, settlement_id=completed.pk, approve=True, reason="The rest, in two"
    )
    pay_next()
    pay_next()
    completed.refresh_from_db()
    assert completed.status == Settlement.Status.COMPLETED
    lift_and_close(order, process)
