"""Demo payment data of `make run`: each court's bank account (deposits come with the demo sales).

Idempotent: running it again changes nothing that is already there.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from accounts.organisations import Court
from payments.models import CourtAccount

# Test IBANs in each country's format (not real accounts).
IBANS = {"RYC": "SA0380000000608010167519", "KWC": "KW81CBKU0000000000001234560101"}
BANKS = {"RYC": "البنك الأهلي السعودي", "KWC": "بنك الكويت الوطني"}
DEMO_BIDDER = "bidder1@mazad.example"


def court_account(court: Court) -> CourtAccount:
    """The court's bank account for bank-transfer payments."""
    return CourtAccount.objects.get_or_create(
        court=court,
        defaults={"iban": IBANS.get(court.code, ""), "bank_name": BANKS.get(court.code, "")},
    )[0]


class Command(BaseCommand):
    help = "Load demo payment data: the courts' bank accounts (idempotent)."

    def handle(self, *args: Any, **options: Any) -> None:
        for court in Court.objects.all():
            court_account(court)
