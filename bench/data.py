"""The benchmarks' own data, made through the ORM and the services in the benchmark's database.

Run as `python -m bench.data COMMAND --spec JSON --out JSON` with the stack's
Django environment. Commands:

- `setup`: a court, bidders with verified identities and sessions, hot lots
  (every bidder registered, deposits held), lots for the fan-out, 1,000 lots
  for the many-lots run, an archive of 100,000 lots and 100,000 letters for the catalog
  (bench/archive.py), and the lots pgbench uses;
  then one real `place_bid` whose SQL statements are captured and turned into
  the pgbench scripts.
- `storm`: 1,000 lots ending within the same minute, each with two bidders
  whose card deposits were received (refunded or applied when it closes).
- `verify`: the bidding invariants on the given lots, and that every
  acknowledged bid is in the record.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import sys
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import django

RULES = {
    "notice_days": 0,
    "opening_percent_bp": 8_000,
    "deposit_percent_bp": 1_000,
    "increments": [{"from_minor": 0, "increment_minor": 100}],
    "soft_close_window_seconds": 180,
    "soft_close_extension_seconds": 180,
    "soft_close_cap_seconds": None,
    "premium_bp": 250,
    "vat_bp": 1_500,
    "vat_base": "PREMIUM",
    "payment_deadline_days": 5,
    "round_reduction_bp": 2_000,
    "max_rounds": 3,
}
INCREMENT = 100
OPENING = 100_000


class Maker:
    """Bulk creation of the rows a sale needs, consistent with the models' constraints."""

    def __init__(self) -> None:
        from django.contrib.auth.hashers import make_password

        from accounts.organisations import Court

        self.court, _ = Court.objects.get_or_create(
            code="BNC",
            defaults={
                "name_ar": "محكمة التنفيذ",
                "name_en": "Benchmark Execution Court",
                "city": "Riyadh",
                "time_zone": "Asia/Riyadh",
                "currency": "SAR",
            },
        )
        self.password = make_password("bench-password-1")
        self.staff = self.users(1, role="EXECUTION_STAFF", court=self.court)[0]
        self.supervisor = self.users(1, role="SUPERVISOR", court=self.court)[0]
        self.file = self._file()
        self.auctions = 0

    def users(self, count: int, *, role: str = "BIDDER", court: Any = None) -> list[Any]:
        from django.utils import timezone

        from accounts.models import IdentityStatus, User

        start = User.objects.count()
        verified = role == "BIDDER"
        users = [
            User(
                email=f"{role.lower()}{start + i}@bench.example",
                password=self.password,
                full_name=f"Bench {role.title()} {start + i}",
                id_kind="PASSPORT",
                id_country="SA",
                id_number=f"B{start + i:08d}",
                phone="+966501234567",
                role=role,
                court=court,
                preferred_language="en",
                identity_status=IdentityStatus.VERIFIED if verified else IdentityStatus.UNVERIFIED,
                identity_reviewed_at=timezone.now() if verified else None,
            )
            for i in range(count)
        ]
        return User.objects.bulk_create(users)

    def _file(self) -> Any:
        from django.utils import timezone

        from enforcement.models import EnforcementFile

        today = timezone.now().date()
        sequence = EnforcementFile.objects.filter(court=self.court, year=today.year).count() + 1
        return EnforcementFile.objects.create(
            court=self.court,
            number=f"BNC-{today.year}-{sequence:06d}",
            year=today.year,
            sequence=sequence,
            instrument_kind="JUDGMENT",
            instrument_reference="J-1",
            instrument_issued_on=today,
            claim_minor=10**12,
            currency="SAR",
            opened_by=self.staff,
        )

    def auction(
        self, starts_at: datetime, ends_at: datetime, *, rules: dict[str, Any] | None = None
    ) -> Any:
        from django.utils import timezone

        from auction.models import Auction

        self.auctions += 1
        return Auction.objects.create(
            court=self.court,
            number=f"BNC-A-{os.getpid()}-{self.auctions:05d}",
            title_ar="مزاد",
            title_en=f"Benchmark sale {self.auctions}",
            starts_at=starts_at,
            ends_at=ends_at,
            status=Auction.Status.LIVE,
            rules={**RULES, **(rules or {})},
            created_by=self.staff,
            published_at=timezone.now(),
        )

    def lots(
        self,
        auction: Any,
        count: int,
        *,
        ends_at: list[datetime] | None = None,
        deposit_minor: int = 0,
    ) -> list[Any]:
        from django.utils import timezone

        from auction.models import Lot
        from enforcement.models import SeizedAsset

        now = timezone.now()
        kinds = ["VEHICLE", "VEHICLE", "MOVABLE"]
        assets = SeizedAsset.objects.bulk_create(
            SeizedAsset(
                court=self.court,
                file=self.file,
                kind=kinds[i % 3],
                title=f"Lot asset {auction.pk}-{i}",
                plate=f"B{auction.pk % 1000:03d} {i:05d}",
                city="Riyadh",
                currency="SAR",
                registered_by=self.staff,
                status=SeizedAsset.Status.LISTED,
                approved_by=self.supervisor,
                approved_at=now,
            )
            for i in range(count)
        )
        return Lot.objects.bulk_create(
            Lot(
                auction=auction,
                asset=asset,
                number=i + 1,
                currency="SAR",
                opening_minor=OPENING,
                deposit_minor=deposit_minor,
                starts_at=auction.starts_at,
                ends_at=ends_at[i] if ends_at else auction.ends_at,
                original_ends_at=ends_at[i] if ends_at else auction.ends_at,
                status=Lot.Status.OPEN,
                opened_at=now,
            )
            for i, asset in enumerate(assets)
        )

    def register(self, pairs: list[tuple[Any, Any]], *, held: bool = True) -> list[Any]:
        """Registrations for (lot, bidder) pairs, paddles numbered per lot, deposits held."""
        from auction.models import Registration

        paddles: dict[int, int] = {}
        rows = []
        for lot, bidder in pairs:
            paddle = paddles.get(lot.pk, 100)
            paddles[lot.pk] = paddle + 1
            rows.append(
                Registration(
                    lot=lot,
                    bidder=bidder,
                    paddle=paddle,
                    deposit_status=Registration.Deposit.HELD
                    if held
                    else Registration.Deposit.PENDING,
                )
            )
        return Registration.objects.bulk_create(rows, batch_size=5000)


def sessions(users: list[Any]) -> list[str]:
    """A logged-in session for each user, as the login view would store it: a bidder's with the
    password alone (they have no second factor), court staff's after their second factor."""
    import time

    from django.conf import settings
    from django.contrib.sessions.backends.db import SessionStore

    from accounts import mfa

    keys = []
    for user in users:
        store = SessionStore()
        store["_auth_user_id"] = str(user.pk)
        store["_auth_user_backend"] = "accounts.backends.RoleBackend"
        store["_auth_user_hash"] = user.get_session_auth_hash()
        if mfa.required_for(user):
            store[mfa.SESSION_PROVED_AT] = time.time()
        else:
            store[mfa.SESSION_NOT_NEEDED] = True
        store.set_expiry(settings.SESSION_COOKIE_AGE)
        store.create()
        keys.append(store.session_key)
    return keys


# --- setup -------------------------------------------------------------------------------------


def setup(spec: dict[str, Any]) -> dict[str, Any]:
    from django.conf import settings
    from django.utils import timezone

    maker = Maker()
    now = timezone.now()
    far = now + timedelta(days=2)
    bidders = maker.users(spec["bidders"])
    keys = sessions(bidders)
    out: dict[str, Any] = {
        "cookie_name": settings.SESSION_COOKIE_NAME,
        "increment": INCREMENT,
        "bidders": [{"user_id": u.pk, "session": k} for u, k in zip(bidders, keys, strict=True)],
    }
    # Hot lots: every bidder registered on each.
    hot_auction = maker.auction(now - timedelta(hours=1), far)
    hot = maker.lots(hot_auction, spec["hot_lots"])
    maker.register([(lot, b) for lot in hot for b in bidders])
    out["hot_lots"] = [lot.pk for lot in hot]
    # Fan-out lots: the first `publishers` bidders registered.
    fan_auction = maker.auction(now - timedelta(hours=1), far)
    fan = maker.lots(fan_auction, spec["fanout_lots"])
    maker.register([(lot, b) for lot in fan for b in bidders[: spec["publishers"]]])
    out["fanout_lots"] = [lot.pk for lot in fan]
    # Many lots: each lot with two of the bidders, so they can outbid each other.
    many_bidders = bidders[: spec["many_bidders"]]
    out["many_lot_sets"] = []
    for _ in range(spec["many_sets"]):
        many_auction = maker.auction(now - timedelta(hours=1), far)
        many = maker.lots(many_auction, spec["many_lots"])
        count = len(many_bidders)
        pairs = []
        assignment = []
        for j, lot in enumerate(many):
            first, second = many_bidders[j % count], many_bidders[(j + 1) % count]
            pairs += [(lot, first), (lot, second)]
            assignment.append([lot.pk, first.pk, second.pk])
        maker.register(pairs)
        out["many_lot_sets"].append(assignment)
    # The catalog: an archive of lots and a staff list of letters, in bulk SQL (bench/archive.py).
    from bench import archive

    out["catalog"] = archive.make(maker, spec["catalog_lots"], spec["letters"], now)
    out["catalog"]["cursors"] = archive.cursors(maker)
    out["catalog"]["staff_session"] = sessions([maker.staff])[0]
    out["catalog"]["lots"] = archive.sample_lots(200)
    out["catalog_lots"] = spec["catalog_lots"]
    out["pgbench"] = pgbench_scripts(maker, spec["pgbench_rows"], far, Path(spec["script_dir"]))
    return out


# --- the pgbench scripts from one captured place_bid -------------------------------------------


def pgbench_scripts(maker: Maker, rows: int, ends_at: datetime, directory: Path) -> dict[str, Any]:
    """Capture the SQL of one real `place_bid` and write it as pgbench scripts.

    The captured bid outbids a previous leader on a lot whose state was set so
    that every value that differs per transaction (lot, registration, bidder,
    sequence number, amount, bid count) is a distinct number; those values
    become pgbench variables, read under the same row lock as the real code
    reads them (`\\gset`). Everything else is replayed literally.
    """
    from django.db import connection
    from django.utils import timezone

    from auction.bidding import decide as bidding
    from auction.models import Lot

    now = timezone.now()
    auction = maker.auction(now - timedelta(hours=1), ends_at)
    bidder, previous = maker.users(2)
    lots = maker.lots(auction, rows + 1)
    # Two registrations per lot, created in lot order: (bidder, previous leader).
    registrations = maker.register([(lot, user) for lot in lots for user in (bidder, previous)])
    lot_ids = [lot.pk for lot in lots]
    reg_ids = [r.pk for r in registrations]
    if lot_ids != list(range(lot_ids[0], lot_ids[0] + len(lot_ids))) or reg_ids != list(
        range(reg_ids[0], reg_ids[0] + len(reg_ids))
    ):
        raise RuntimeError("the pgbench lots or registrations were not numbered consecutively")
    seq, bid_count, price = 500_001, 300_001, 7_777_700
    for lot_id, reg_id in zip(lot_ids, reg_ids[1::2], strict=True):
        Lot.objects.filter(pk=lot_id).update(
            price_minor=price, seq=seq - 1, bid_count=bid_count - 1, leader_id=reg_id
        )
    capture_lot, capture_reg = lot_ids[-1], reg_ids[-2]
    amount = price + INCREMENT
    statements: list[tuple[str, tuple[Any, ...]]] = []

    def record(execute: Any, sql: str, params: Any, many: bool, context: dict[str, Any]) -> Any:
        statements.append((sql, tuple(params or ())))
        return execute(sql, params, many, context)

    received_at = timezone.now()
    with connection.execute_wrapper(record):
        answer = bidding.place_bid(
            lot_id=capture_lot,
            user_id=bidder.pk,
            amount_minor=amount,
            client_id="pgb-capture",
            received_at=received_at,
        )
    if not answer.accepted or answer.seq != seq:
        raise RuntimeError(f"the captured bid was not accepted as expected: {answer}")
    roles = {
        capture_lot: ":lot",
        capture_reg: ":reg",
        capture_reg + 1: ":prevreg",
        bidder.pk: ":uid",
        previous.pk: ":prevuid",
        seq: ":seq",
        bid_count: ":bidcount",
        amount: ":amount",
    }
    if len(roles) != 8:
        raise RuntimeError("two captured values coincide; the script would be ambiguous")
    with connection.cursor() as cursor:
        # Statements the code sends in one round trip stay one compound command (`\;`).
        body = [
            " \\; ".join(
                _template(cursor.cursor, piece, piece_params, roles, received_at).rstrip(";")
                for piece, piece_params in _pieces(sql, params)
            )
            + ";"
            for sql, params in statements
        ]
    body = [_add_gset(line) for line in body]
    shared = [
        "\\set seq :l_seq + 1",
        "\\set bidcount :l_bid_count + 1",
        "\\set amount :l_price_minor + " + str(INCREMENT),
    ]
    lock_index = next(i for i, line in enumerate(body) if "FOR UPDATE" in line)
    body = body[: lock_index + 1] + shared + body[lock_index + 1 :]
    directory.mkdir(parents=True, exist_ok=True)
    first, last = lot_ids[0], lot_ids[-2]
    prelude_hot = [f"\\set lot {first}"]
    prelude_spread = [f"\\set lot random({first}, {last})"]
    regs = [
        f"\\set reg {reg_ids[0]} + 2 * (:lot - {first})",
        "\\set prevreg :reg + 1",
        f"\\set uid {bidder.pk}",
        f"\\set prevuid {previous.pk}",
    ]
    scripts = {}
    for name, prelude in (("hot", prelude_hot), ("spread", prelude_spread)):
        path = directory / f"place_bid_{name}.sql"
        path.write_text("\n".join([*prelude, *regs, "BEGIN;", *body, "COMMIT;"]) + "\n")
        scripts[name] = str(path)
    return {
        "scripts": scripts,
        "statements": sum(len(_pieces(sql, params)) for sql, params in statements),
        "rows": rows,
        "captured": [sql for sql, _params in statements],
    }


def _pieces(sql: str, params: tuple[Any, ...]) -> list[tuple[str, tuple[Any, ...]]]:
    """The statements of one `execute` that sends several (`core.bulk_writes.execute` joins
    them with ";\\n"), each with its own parameters."""
    pieces, start = [], 0
    for piece in sql.split(";\n"):
        count = piece.count("%s")
        pieces.append((piece, params[start : start + count]))
        start += count
    if start != len(params):
        raise RuntimeError(f"could not split the parameters of {sql}")
    return pieces


def _template(
    cursor: Any, sql: str, params: tuple[Any, ...], roles: dict[int, str], received_at: datetime
) -> str:
    values: list[Any] = []
    marks: dict[str, str] = {}
    for index, value in enumerate(params):
        if isinstance(value, bool) or not isinstance(value, int | datetime | str):
            values.append(value)
            continue
        if isinstance(value, int) and value in roles:
            marks[f"__P{index}__"] = roles[value]
        elif isinstance(value, datetime) and value == received_at:
            marks[f"__P{index}__"] = "now()"
        elif value == "pgb-capture":
            marks[f"__P{index}__"] = "'pgb-' || :seq"
        else:
            values.append(value)
            continue
        values.append(f"__P{index}__")
    text = cursor.mogrify(sql, values)  # psycopg's client-side cursor: the statement as sent
    for mark, expression in marks.items():
        text = text.replace(f"'{mark}'", expression)
    if any(mark in text for mark in marks):
        raise RuntimeError(f"could not template {sql}")
    return " ".join(text.split()) + ";"


def _add_gset(line: str) -> str:
    """The row lock's SELECT keeps its values in variables l_<column>, as the ORM reads them."""
    if "FOR UPDATE" in line:
        return line.rstrip(";") + " \\gset l_"
    return line


# --- the closing storm -------------------------------------------------------------------------


def storm(spec: dict[str, Any]) -> dict[str, Any]:
    """Lots ending at the given offsets from `start_at`; two bidders each with received deposits."""
    from django.db import transaction
    from django.utils import timezone

    from auction.models import Lot, Registration
    from auction.services.registration import deposit_reference
    from payments import outcomes
    from payments.models import Method, Payment, PaymentStatus, Purpose

    maker = Maker()
    # Made with ends an hour away; moved to `lead` seconds from the end of the making, below.
    start_at = timezone.now() + timedelta(hours=1)
    ends = [start_at + timedelta(seconds=offset) for offset in spec["offsets"]]
    rules = {
        "soft_close_window_seconds": spec["window"],
        "soft_close_extension_seconds": spec["window"],
    }
    auction = maker.auction(
        timezone.now() - timedelta(hours=1), max(ends) + timedelta(minutes=1), rules=rules
    )
    lots = maker.lots(auction, len(ends), ends_at=ends, deposit_minor=10_000)
    bidders = maker.users(spec["bidders"])
    keys = sessions(bidders)
    pairs = [(lot, bidders[(j + k) % len(bidders)]) for j, lot in enumerate(lots) for k in range(2)]
    registrations = maker.register(pairs, held=False)
    for registration in registrations:
        registration.deposit_reference = ""
    payments = Payment.objects.bulk_create(
        Payment(
            court=maker.court,
            payer_id=r.bidder_id,
            purpose=Purpose.DEPOSIT,
            method=Method.CARD,
            amount_minor=10_000,
            currency="SAR",
            reference=deposit_reference(r),
            file_number=maker.file.number,
            description=f"Deposit paddle {r.paddle}",
            status=PaymentStatus.PROCESSING,
            intent_id=f"pi_bench_{r.pk}",
        )
        for r in registrations
    )
    for registration, payment in zip(registrations, payments, strict=True):
        registration.deposit_reference = str(payment.public_id)
    Registration.objects.bulk_update(registrations, ["deposit_reference"], batch_size=5000)
    with transaction.atomic():  # the provider's confirmations: ledger, receipt, deposit held
        for payment in payments:
            outcomes.payment_received(payment, intent_id=payment.intent_id)
    held = Registration.objects.filter(
        lot__in=lots, deposit_status=Registration.Deposit.HELD
    ).count()
    if held != len(registrations):
        raise RuntimeError(f"only {held} of {len(registrations)} storm deposits are held")
    start_at = timezone.now() + timedelta(seconds=spec["lead"])
    for lot, offset in zip(lots, spec["offsets"], strict=True):
        lot.ends_at = lot.original_ends_at = start_at + timedelta(seconds=offset)
    Lot.objects.bulk_update(lots, ["ends_at", "original_ends_at"], batch_size=1000)
    assignment = [[lot.pk, lot.ends_at.isoformat()] for lot in lots]
    by_user = {b.pk: k for b, k in zip(bidders, keys, strict=True)}
    return {
        "lots": assignment,
        "registrations": [[r.lot_id, r.bidder_id, by_user[r.bidder_id]] for r in registrations],
        "status": Lot.Status.OPEN,
    }


# --- verification ------------------------------------------------------------------------------


def verify(spec: dict[str, Any]) -> dict[str, Any]:
    """Per lot: bids numbered 1..seq without gaps, amounts strictly rising, the lot agreeing.

    And every accepted bid a client was told about is in the record, with its amount.
    """
    from django.db import connection

    problems: list[str] = []
    lot_ids = spec["lots"]
    bids: dict[int, list[tuple[int, int]]] = {}
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT lot_id, seq, amount_minor FROM auction_bid WHERE lot_id = ANY(%s) "
            "AND NOT is_annulled ORDER BY lot_id, seq",
            [lot_ids],
        )
        for lot_id, seq, amount in cursor.fetchall():
            bids.setdefault(lot_id, []).append((seq, amount))
        cursor.execute("SELECT id, seq, price_minor FROM auction_lot WHERE id = ANY(%s)", [lot_ids])
        lots = {row[0]: row[1:] for row in cursor.fetchall()}
    total = 0
    for lot_id in lot_ids:
        rows = bids.get(lot_id, [])
        total += len(rows)
        seqs = [s for s, _a in rows]
        if seqs != list(range(1, len(rows) + 1)):
            problems.append(f"lot {lot_id}: sequence numbers are not 1..{len(rows)}")
        amounts = [a for _s, a in rows]
        if any(b <= a for a, b in itertools.pairwise(amounts)):
            problems.append(f"lot {lot_id}: amounts do not rise strictly")
        seq, price = lots[lot_id]
        if rows and (seq != rows[-1][0] or price != rows[-1][1]):
            problems.append(f"lot {lot_id}: the lot's seq/price disagree with its last bid")
    acknowledged = 0
    for path in spec.get("acks", []):
        for line in Path(path).read_text().splitlines():
            lot_id, seq, amount = (int(x) for x in line.split(","))
            acknowledged += 1
            record = dict(bids.get(lot_id, []))
            if record.get(seq) != amount:
                problems.append(
                    f"lot {lot_id}: acknowledged bid #{seq} {amount} is not in the record"
                )
    return {
        "lots": len(lot_ids),
        "bids": total,
        "acknowledged": acknowledged,
        "problems": problems[:20],
        "problem_count": len(problems),
    }


def storm_result(spec: dict[str, Any]) -> dict[str, Any]:
    """Each storm lot's final end, close and settlement times, as the database has them."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id, status, ends_at, closed_at, settled_at FROM auction_lot WHERE id = ANY(%s)",
            [spec["lots"]],
        )
        rows = cursor.fetchall()
    return {
        "lots": {
            str(lot_id): {
                "status": status,
                "ends_at": ends_at.isoformat(),
                "closed_at": closed_at.isoformat() if closed_at else None,
                "settled_at": settled_at.isoformat() if settled_at else None,
            }
            for lot_id, status, ends_at, closed_at, settled_at in rows
        }
    }


COMMANDS = {"setup": setup, "storm": storm, "verify": verify, "storm_result": storm_result}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("command", choices=sorted(COMMANDS))
    parser.add_argument("--spec", required=True)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    django.setup()
    spec = json.loads(Path(args.spec).read_text())
    result = COMMANDS[args.command](spec)
    Path(args.out).write_text(json.dumps(result, default=str))


if __name__ == "__main__":
    main()
