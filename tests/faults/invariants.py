"""The invariants (docs/architecture.md, "Invariants"), read from the database after a fault.

`make soak` checks them too. `check()` looks at every lot, bid, journal
entry, payment job and audit record of the database the process is pointed
at, and returns the violations with the counts it looked at. `check_clients()` compares what
real WebSocket clients were told with the database. Neither relies on a
process having behaved: they read the record.

- Per lot, accepted bids have strictly increasing amounts and gap-free
  sequence numbers 1..n; the lot's price, leader, count and sequence agree
  with its last bid; one audit record per accepted bid.
- A closed lot was closed once (one `lot.closed` audit record, an open one
  none), at or after its end, with no bid received after that end.
- Client ids are unique per registration; every bid a client was told was
  accepted is in the database as told; no bid in the database that its
  bidder never sent, and none for a submission finally refused.
- Every journal entry sums to zero per currency.
- Each payment instruction was made once: one job per business object and
  operation, one key per job, and at the provider one object per key.
- The audit chain verifies once every record is linked.
"""

from __future__ import annotations

import itertools
import json
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import connection


@dataclass
class Report:
    violations: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)

    def extend(self, other: Report) -> None:
        self.violations.extend(other.violations)
        for name, value in other.counts.items():
            self.counts[name] = self.counts.get(name, 0) + value


def _rows(sql: str, params: Iterable[Any] = ()) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, list(params))
        return list(cursor.fetchall())


def check(*, proxy: Any = None) -> Report:
    """Every invariant over the whole database; `proxy` (the fault proxy) for provider calls."""
    report = Report()
    for part in (_bids, _closes, _client_ids, _ledger, _jobs, _audit_chain):
        found = part()
        report.extend(found)
    if proxy is not None:
        report.extend(_provider(proxy))
    return report


def _bids() -> Report:
    report = Report()
    bids = _rows(
        "select b.lot_id, b.seq, b.amount_minor, b.registration_id, b.is_annulled "
        "from auction_bid b order by b.lot_id, b.seq"
    )
    by_lot: dict[int, list[tuple[int, int, int, bool]]] = defaultdict(list)
    for lot_id, seq, amount, registration, annulled in bids:
        by_lot[lot_id].append((seq, amount, registration, annulled))
    lots = _rows("select id, seq, price_minor, leader_id, bid_count from auction_lot")
    audits = dict(
        _rows(
            "select object_id::bigint, count(*) from core_auditrecord "
            "where action = 'lot.bid_accepted' group by object_id"
        )
    )
    for lot_id, lot_seq, price, leader, count in lots:
        rows = by_lot.get(lot_id, [])
        seqs = [seq for seq, *_ in rows]
        if seqs != list(range(1, len(seqs) + 1)):
            report.violations.append(f"lot {lot_id}: sequence numbers {seqs} are not 1..n")
        standing = [(seq, amount, reg) for seq, amount, reg, annulled in rows if not annulled]
        amounts = [amount for _, amount, _ in standing]
        if any(b <= a for a, b in itertools.pairwise(amounts)):
            report.violations.append(f"lot {lot_id}: amounts {amounts} do not strictly increase")
        if lot_seq != len(rows):
            report.violations.append(f"lot {lot_id}: seq {lot_seq} but {len(rows)} bids written")
        if count != len(standing):
            report.violations.append(f"lot {lot_id}: bid_count {count}, {len(standing)} bids")
        last = standing[-1] if standing else None
        if (price, leader) != ((last[1], last[2]) if last else (None, None)):
            report.violations.append(
                f"lot {lot_id}: price {price} leader {leader}, last bid says {last}"
            )
        if audits.get(lot_id, 0) != len(rows):
            report.violations.append(
                f"lot {lot_id}: {audits.get(lot_id, 0)} bid audit records for {len(rows)} bids"
            )
    report.counts["lots"] = len(lots)
    report.counts["bids"] = len(bids)
    return report


def _closes() -> Report:
    report = Report()
    closes = Counter(
        dict(
            _rows(
                "select object_id::bigint, count(*) from core_auditrecord "
                "where action = 'lot.closed' group by object_id"
            )
        )
    )
    lots = _rows("select id, status, outcome, ends_at, closed_at from auction_lot")
    closed = 0
    for lot_id, status, outcome, ends_at, closed_at in lots:
        was_closed = status in ("SOLD", "UNSOLD") and outcome != "WITHDRAWN"
        expected = 1 if was_closed else 0
        if closes[lot_id] != expected:
            report.violations.append(
                f"lot {lot_id} ({status}): closed {closes[lot_id]} times, expected {expected}"
            )
        if was_closed:
            closed += 1
            if closed_at is None or closed_at < ends_at:
                report.violations.append(f"lot {lot_id}: closed at {closed_at}, ends {ends_at}")
    late = _rows(
        "select b.lot_id, b.seq, b.received_at, l.ends_at from auction_bid b "
        "join auction_lot l on l.id = b.lot_id "
        "where l.status in ('SOLD', 'UNSOLD') and b.received_at > l.ends_at"
    )
    for lot_id, seq, received_at, ends_at in late:
        report.violations.append(
            f"lot {lot_id}: bid {seq} received {received_at}, after the end {ends_at}"
        )
    report.counts["lots_closed"] = closed
    return report


def _client_ids() -> Report:
    report = Report()
    for registration, client_id, count in _rows(
        "select registration_id, client_id, count(*) from auction_bid "
        "where client_id is not null group by 1, 2 having count(*) > 1"
    ):
        report.violations.append(
            f"registration {registration}: client id {client_id} written {count} times"
        )
    return report


def _ledger() -> Report:
    report = Report()
    for entry, currency, total in _rows(
        "select p.entry_id, a.currency, sum(p.amount_minor) from payments_posting p "
        "join payments_ledgeraccount a on a.id = p.account_id "
        "group by p.entry_id, a.currency having sum(p.amount_minor) <> 0"
    ):
        report.violations.append(f"journal entry {entry} sums to {total} {currency}")
    report.counts["journal_entries"] = _rows("select count(*) from payments_journalentry")[0][0]
    for payment, amount, refunded, total in _rows(
        "select p.id, p.amount_minor, p.refunded_minor, coalesce(sum(r.amount_minor), 0) "
        "from payments_payment p left join payments_refund r on r.payment_id = p.id "
        "group by p.id having coalesce(sum(r.amount_minor), 0) <> p.refunded_minor "
        "or p.refunded_minor > p.amount_minor"
    ):
        report.violations.append(
            f"payment {payment} of {amount}: refunded_minor {refunded}, refunds sum to {total}"
        )
    return report


# A business object gets at most one job of each of these operations.
ONCE_PER_SUBJECT = ("payment_intent.create", "refund.create", "connect_account.create")
# Money sent out gets one job per attempt (a returned transfer is sent again as attempt 2).
ONCE_PER_ATTEMPT = ("transfer.create", "payout.create")


def _jobs() -> Report:
    report = Report()
    for operation, subject_type, subject_id, count in _rows(
        "select operation, subject_type, subject_id, count(*) from payments_paymentjob "
        "where operation = any(%s) group by 1, 2, 3 having count(*) > 1",
        [list(ONCE_PER_SUBJECT)],
    ):
        report.violations.append(f"{count} {operation} jobs for {subject_type} {subject_id}")
    for operation, subject_id, attempt, count in _rows(
        "select operation, subject_id, regexp_replace(idempotency_key, '^.*:', ''), count(*) "
        "from payments_paymentjob where operation = any(%s) group by 1, 2, 3 having count(*) > 1",
        [list(ONCE_PER_ATTEMPT)],
    ):
        report.violations.append(f"{count} {operation} jobs for {subject_id} attempt {attempt}")
    for registration, count in _rows(
        "select r.id, count(f.id) from auction_registration r "
        "join payments_payment p on p.public_id::text = r.deposit_reference "
        "join payments_refund f on f.payment_id = p.id group by r.id having count(f.id) > 1"
    ):
        report.violations.append(f"registration {registration}: deposit refunded {count} times")
    report.counts["payment_jobs"] = _rows("select count(*) from payments_paymentjob")[0][0]
    report.counts["payment_jobs_done"] = _rows(
        "select count(*) from payments_paymentjob where status = 'DONE'"
    )[0][0]
    return report


def _provider(proxy: Any) -> Report:
    """At the provider: one object per key, and no key that is not one of our jobs."""
    report = Report()
    jobs = dict(_rows("select idempotency_key, operation from payments_paymentjob"))
    sent = {key for key in proxy.keys("/v1/") if key}
    for key in sorted(sent - set(jobs)):
        report.violations.append(f"a call with key {key} that no job made")
    created_by_key: dict[str, set[str]] = defaultdict(set)
    stored = dict(proxy.stored)
    for key, (_body, _status, _headers, answer) in stored.items():
        if key in jobs and jobs[key].endswith(".create"):
            try:
                created_by_key[key].add(str(json.loads(answer).get("id")))
            except ValueError:
                continue
    ids = Counter(i for found in created_by_key.values() for i in found)
    report.counts["provider_objects"] = len(ids)
    for key, result_id in _rows(
        "select idempotency_key, result->>'id' from payments_paymentjob "
        "where status = 'DONE' and operation like %s and result is not null",
        ["%.create"],
    ):
        if key in created_by_key and {str(result_id)} != created_by_key[key]:
            report.violations.append(
                f"job {key} recorded {result_id}, the provider made {created_by_key[key]}"
            )
    for key, found in created_by_key.items():
        if len(found) > 1:
            report.violations.append(f"key {key} created {sorted(found)} at the provider")
    bodies: dict[str, set[str]] = defaultdict(set)
    for call in proxy.posts():
        if call.idempotency_key:
            bodies[call.idempotency_key].add(call.body_hash)
    for key, hashes in bodies.items():
        if len(hashes) > 1:
            report.violations.append(f"key {key} was sent with {len(hashes)} different bodies")
    report.counts["provider_calls"] = len(proxy.posts())
    return report


def _audit_chain() -> Report:
    from core import audit_chain

    report = Report()
    while audit_chain.link_pending():
        pass
    for problem in audit_chain.verify_all():
        report.violations.append(f"audit chain: {problem}")
    report.counts["audit_records"] = _rows("select count(*) from core_auditrecord")[0][0]
    return report


# -- what the clients were told --------------------------------------------------------------


def check_clients(lot_id: int, clients: Iterable[Any]) -> Report:
    """Compare every client's record (tests/harness/live_clients.py) with the lot's bids."""
    report = Report()
    rows = _rows(
        "select b.seq, r.paddle, b.amount_minor, b.client_id, r.bidder_id, b.source "
        "from auction_bid b join auction_registration r on r.id = b.registration_id "
        "where b.lot_id = %s order by b.seq",
        [lot_id],
    )
    truth = {seq: (paddle, amount) for seq, paddle, amount, *_ in rows}
    by_client_id = {
        (paddle, client_id): (seq, amount) for seq, paddle, amount, client_id, *_ in rows
    }
    for client in clients:
        record = client.record
        report.violations.extend(f"{client.name}: {v}" for v in record.violations)
        if record.seen != truth:
            missing = sorted(set(truth) - set(record.seen))
            wrong = sorted(s for s in record.seen if record.seen[s] != truth.get(s))
            report.violations.append(
                f"{client.name} saw {len(record.seen)} bids, the lot has {len(truth)}; "
                f"missing {missing[:10]}, different {wrong[:10]}"
            )
        if client.paddle is not None:
            report.extend(_answers(client, by_client_id))
        report.counts["reconnects"] = report.counts.get("reconnects", 0) + record.reconnects
        report.counts["resyncs"] = report.counts.get("resyncs", 0) + len(record.resync_at)
        report.counts["replays"] = report.counts.get("replays", 0) + record.replays
    report.counts["bids_in_lot"] = len(truth)
    return report


def _answers(client: Any, written: dict[tuple[int, str], tuple[int, int]]) -> Report:
    report = Report()
    record = client.record
    mine = {cid for (paddle, cid) in written if paddle == client.paddle and cid}
    for client_id, answers in record.answers.items():
        accepted = {
            (a.frame.get("seq"), a.frame.get("amount_minor")) for a in answers if a.accepted
        }
        in_db = written.get((client.paddle, client_id))
        if len(accepted) > 1:
            report.violations.append(f"{client.name}: {client_id} accepted as {accepted}")
        if accepted and in_db not in accepted:
            report.violations.append(
                f"{client.name}: {client_id} acknowledged as {accepted}, the database has {in_db}"
            )
        final = answers[-1]
        if not final.accepted and in_db is not None:
            report.violations.append(
                f"{client.name}: {client_id} finally refused ({final.code}) but written {in_db}"
            )
        report.counts["accepted"] = report.counts.get("accepted", 0) + bool(accepted)
        report.counts["refused"] = report.counts.get("refused", 0) + (not final.accepted)
    for client_id in mine - set(record.answers):
        report.violations.append(f"{client.name}: {client_id} written but never answered")
    unsent = mine - set(record.sends)
    if unsent:
        report.violations.append(f"{client.name}: bids {sorted(unsent)} written, never sent")
    report.counts["submissions"] = sum(record.sends.values())
    return report
