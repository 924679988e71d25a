"""Demo payment data of `make run`: each court's bank account, and a deposit for the first bidder.

Idempotent: running it again changes nothing that is already there.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from accounts.models import User
from enforcement.models import Court
from payments import services
from payments.models import CourtAccount, Purpose
from payments.money import Money

# Test IBANs in each country's format (not real accounts).
IBANS = {"RYC": "SA0380000000608010167519", "KWC": "KW81CBKU0000000000001234560101"}
DEMO_BIDDER = "bidder1@mazad.example"


class Command(BaseCommand):
    help = "Load demo payment data: court bank accounts and one deposit to pay (idempotent)."

    def handle(self, *args: Any, **options: Any) -> None:
        for court in Court.objects.all():
            CourtAccount.objects.get_or_create(
                court=court,
                defaults={"iban": IBANS.get(court.code, ""), "bank_name": "Demo Bank"},
            )
        bidder = User.objects.filter(email=DEMO_BIDDER).first()
        riyadh = Court.objects.filter(code="RYC").first()
        if bidder is None or riyadh is None:
            return
        payment = services.collect_payment(
            payer=bidder,
            court=riyadh,
            amount=Money(500_000, riyadh.currency),
            purpose=Purpose.DEPOSIT,
            reference="demo:registration:1",
            description="Lot 7 · Toyota Land Cruiser 2021",
        )
        self.stdout.write(
            f"  Demo deposit to pay (log in as {DEMO_BIDDER}): /payments/{payment.public_id}/"
        )
