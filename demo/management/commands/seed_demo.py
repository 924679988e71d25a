"""Load the demo data of `make run`: courts, one user per role per court, verified bidders.

Idempotent: running it again changes nothing that is already there.

Court staff, finance staff and supervisors must prove a second factor after the password
(accounts/mfa.py), in the demo as anywhere: each demo staff account holds an authenticator
app whose key, published like the demo password, is printed with the logins (`--logins`), so
a person adds it to any TOTP app; `--code` prints the code of the moment instead.
"""

from __future__ import annotations

import functools
from typing import Any

import pyotp
from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand
from django.db import transaction
from django.test.utils import override_settings
from django.utils import timezone, translation

from accounts import mfa
from accounts.models import IdentityStatus, IdKind, TotpDevice, User
from accounts.organisations import Court
from accounts.roles import Role
from demo import aftersale as demo_aftersale
from demo import auctions as demo_auctions
from demo import catalogue
from demo import enforcement as demo_enforcement
from demo import history as demo_history
from demo import support as demo_support
from payments.management.commands import seed_payments_demo as payments_demo

DEMO_PASSWORD = "mazad-demo-2026"  # noqa: S105 - printed by make run on purpose
# The authenticator-app key of every demo staff account (one key, added once to an app, signs
# in any of them). Published like the password: demo data only, never on a real deployment.
DEMO_TOTP_SECRET = "777EHZ6IQPBRYUSQACA45UDKMYGL2YSL"  # noqa: S105 - printed by make run too
DEMO_TOTP_LABEL = "demo court staff"

COURTS = [
    {
        "code": "RYC",
        "name_ar": "محكمة التنفيذ بالرياض",
        "name_en": "Riyadh Execution Court",
        "city": "الرياض",
        "time_zone": "Asia/Riyadh",
        "currency": "SAR",
    },
    {
        "code": "KWC",
        "name_ar": "إدارة التنفيذ - الكويت",
        "name_en": "Kuwait Execution Department",
        "city": "مدينة الكويت",
        "time_zone": "Asia/Kuwait",
        "currency": "KWD",
    },
]

# (e-mail local part, role); each court's staff have their own names (demo.catalogue.STAFF_NAMES).
STAFF = [
    ("staff", Role.EXECUTION_STAFF),
    ("finance", Role.FINANCE_STAFF),
    ("supervisor", Role.SUPERVISOR),
]

# Valid Saudi national IDs (Luhn) for the demo bidders.
BIDDERS = [
    ("bidder1@mazad.example", "Sara Al-Harbi", "1000000008", "+966501234561"),
    ("bidder2@mazad.example", "Omar Al-Qahtani", "1000000016", "+966501234562"),
    ("bidder3@mazad.example", "Huda Al-Mutairi", "1000000024", "+966501234563"),
]


# Verified bidders who bought at the courts' past sales (not printed among the logins).
PAST_BIDDERS = [
    ("khalid.alqahtani@mazad.example", "Khalid Al-Qahtani", "1000000032", "+966501234564"),
    ("abdulaziz.alshehri@mazad.example", "Abdulaziz Al-Shehri", "1000000040", "+966501234565"),
    ("lama.alotaibi@mazad.example", "Lama Al-Otaibi", "1000000057", "+966501234566"),
    ("faisal.aldossary@mazad.example", "Faisal Al-Dossary", "1000000065", "+966501234567"),
    ("nasser.alenezi@mazad.example", "Nasser Al-Enezi", "1000000073", "+966501234568"),
]


def demo_logins() -> list[tuple[str, str]]:
    """(e-mail, what it is) for every demo login, in the order `make run` prints them."""
    rows = [
        (f"{local}.{court['code'].lower()}@mazad.example", f"{role.label} · {court['name_en']}")
        for court in COURTS
        for local, role in STAFF
    ]
    rows += [(email, f"Bidder (verified) · {name}") for email, name, _id, _phone in BIDDERS]
    agencies = {
        (country.code, kind): name_en
        for country in catalogue.COUNTRIES.values()
        for kind, (_ar, name_en, _short) in country.agencies.items()
    }
    rows += [
        (
            email,
            f"Agency · {_agency_label(agencies[(country, kind)], country)}",
        )
        for email, country, kind, _officer in demo_enforcement.agency_logins()
    ]
    return rows


def demo_totp() -> pyotp.TOTP:
    return pyotp.TOTP(DEMO_TOTP_SECRET, digits=mfa.TOTP_DIGITS, interval=mfa.TOTP_STEP)


def demo_totp_uri() -> str:
    """The otpauth:// link of the demo staff's key, for an authenticator app."""
    return demo_totp().provisioning_uri(name=DEMO_TOTP_LABEL, issuer_name=f"{mfa.RP_NAME} demo")


def _agency_label(name: str, country: str) -> str:
    return name if country == "SA" or "Kuwait" in name else f"{name} (Kuwait)"


class Command(BaseCommand):
    help = "Load demo courts, staff of every role and verified bidders (idempotent)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--logins", action="store_true", help="Only print the demo logins.")
        parser.add_argument(
            "--code",
            action="store_true",
            help="Only print the demo staff's authenticator-app code of the moment.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["logins"]:
            self.print_logins()
            return
        if options["code"]:
            self.stdout.write(demo_totp().now())
            return
        # The demo tickets' notices would flood the console with e-mails: they are not sent.
        with override_settings(EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend"):
            self.load()

    def print_logins(self) -> None:
        self.stdout.write(f"  Demo logins (password for all: {DEMO_PASSWORD})")
        with translation.override("en"):
            for email, what in demo_logins():
                self.stdout.write(f"    {email:<34} {what}")
        secret = " ".join(DEMO_TOTP_SECRET[i : i + 4] for i in range(0, len(DEMO_TOTP_SECRET), 4))
        self.stdout.write("")
        self.stdout.write(
            "  After the password, court staff, finance staff and supervisors type the code of"
        )
        self.stdout.write(
            "  an authenticator app. The demo staff share one key (demo only): add it to any"
        )
        self.stdout.write("  TOTP app by the key or the link:")
        self.stdout.write(f"    key   {secret}")
        self.stdout.write(f"    link  {demo_totp_uri()}")
        self.stdout.write(
            "  Without an app, `manage.py seed_demo --code` prints the code of the moment."
        )

    @transaction.atomic
    def load(self) -> None:
        courts = {
            data["code"]: Court.objects.update_or_create(code=data["code"], defaults=data)[0]
            for data in COURTS
        }
        staff_number = 2000000000
        for code, court in courts.items():
            country = demo_enforcement.COUNTRY_OF_COURT.get(code, "SA")
            for local, role in STAFF:
                staff_number += 1
                email = f"{local}.{code.lower()}@mazad.example"
                staff_user = self._user(
                    email,
                    full_name=catalogue.STAFF_NAMES[country][local],
                    role=role,
                    court=court,
                    id_kind=IdKind.PASSPORT,
                    id_country=country,
                    id_number=f"P{staff_number % 10**7:07d}",
                    phone="+966500000000" if country == "SA" else "+96550000000",
                )
                self._authenticator_app(staff_user)
        now = timezone.now()
        for email, name, national_id, phone in BIDDERS + PAST_BIDDERS:
            self._user(
                email,
                full_name=name,
                role=Role.BIDDER,
                court=None,
                id_kind=IdKind.NATIONAL_ID,
                id_country="SA",
                id_number=national_id,
                phone=phone,
                identity_status=IdentityStatus.VERIFIED,
                identity_reviewed_at=now,
                identity_submitted_at=now,
            )
        agencies = demo_enforcement.agencies()
        for number, (email, country, kind, officer) in enumerate(demo_enforcement.agency_logins()):
            self._user(
                email,
                full_name=officer,
                role=Role.AGENCY,
                agency=agencies[(country, kind)],
                id_kind=IdKind.PASSPORT,
                id_country=country,
                id_number=f"A{3000000 + number:07d}",
                phone="+966500000000" if country == "SA" else "+96550000000",
            )
        files = sales = tickets = 0
        for code, court in courts.items():
            staff = User.objects.get(email=f"staff.{code.lower()}@mazad.example")
            supervisor = User.objects.get(email=f"supervisor.{code.lower()}@mazad.example")
            # The demo courts work in Arabic: what the services write (payees, letters) is Arabic.
            with translation.override("ar"):
                files += demo_enforcement.seed_court(court, staff, supervisor, agencies)
                demo_bidders = list(
                    User.objects.filter(email__in=[email for email, *_ in BIDDERS]).order_by(
                        "email"
                    )
                )
                demo_enforcement.seed_requests(court, staff, demo_bidders)
                finance = User.objects.get(email=f"finance.{code.lower()}@mazad.example")
                payments_demo.court_account(court)
                sales += demo_auctions.seed_live(court, staff, supervisor, finance, demo_bidders)
                sales += demo_auctions.seed_upcoming(court, staff, supervisor)
                sales += demo_aftersale.seed_closed_sale(
                    court, staff, supervisor, finance, demo_bidders
                )
                tickets += demo_support.seed_court(court, staff, finance, demo_bidders)
                past_bidders = list(
                    User.objects.filter(
                        email__in=[email for email, *_ in BIDDERS[:1] + PAST_BIDDERS]
                    ).order_by("email")
                )
                sales += demo_history.seed_court(court, staff, supervisor, finance, past_bidders)
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo data ready: {len(courts)} courts, {User.objects.count()} users, "
                f"{files} new enforcement files, {sales} new demo auctions, "
                f"{tickets} new support tickets."
            )
        )

    def _user(self, email: str, **fields: Any) -> User:
        user = User.objects.filter(email=email).first()
        if user is None:
            user = User.objects.create_user(email, None, **fields)
            # One hash for every demo login: hashing is deliberately slow, the demo need not be.
            user.password = self._password_hash()
            user.save(update_fields=["password"])
        return user

    def _authenticator_app(self, user: User) -> None:
        """The demo key as the staff member's confirmed app; one they set up since is kept."""
        now = timezone.now()
        TotpDevice.objects.get_or_create(
            user=user,
            defaults={"secret": DEMO_TOTP_SECRET, "created_at": now, "confirmed_at": now},
        )

    @functools.cache  # noqa: B019 - one command run, a handful of calls
    def _password_hash(self) -> str:
        return make_password(DEMO_PASSWORD)
