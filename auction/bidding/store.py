"""A bid batch's reads and writes in a fixed number of round trips, in SQL made from the models.

Deciding a batch of bids needs the locked lots (`auction.locks.lots`, which
reads them with the helpers here), the registrations that take part, and any
bids already recorded under the instructions' client ids; it then writes the
new bids, the lots, changed registrations, audit records and notices. Through
the ORM that is eight round trips and most of a batch's CPU spent compiling
queries while the lot's lock is held. Here it is three reads and one write,
however many bids and lots the batch holds:

* the select lists are made once from the models' fields, and the rows are
  turned into model instances with `Model.from_db`, as the ORM does;
* the writes are made by `core.bulk_writes` (Django's own insert compiler, one
  UPDATE a table) and sent in one `execute` of several statements.

Ids go into the SQL as scalar parameters (`IN (%s, ...)`), not arrays, so the
benchmark can capture one bid's statements and replay them in pgbench with
its variables in place.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Any, cast

from django.db import DEFAULT_DB_ALIAS, connection
from django.db.models import Field, Model, Q
from django.utils import timezone

from accounts.models import PowerOfAttorney, User
from auction.models import Bid, Lot, Notification, Registration
from core import bulk_writes
from core.models import AuditRecord


def select_list(alias: str, fields: Sequence[Field[Any, Any]]) -> str:
    return ", ".join(f'{alias}."{f.column}"' for f in fields)


@cache
def _converters(field: Field[Any, Any]) -> tuple[Any, list[Any]]:
    """The conversions the ORM applies to the field's column: the backend's (SQLite's dates,
    for instance) and the field's own (JSON)."""
    column = field.get_col(field.model._meta.db_table)
    return column, connection.ops.get_db_converters(column) + column.get_db_converters(connection)


def _instance(model: type[Model], fields: Sequence[Field[Any, Any]], values: Sequence[Any]) -> Any:
    """A model instance from a row, converted as the ORM would convert it."""
    converted = []
    for field, value in zip(fields, values, strict=True):
        column, converters = _converters(field)
        for converter in converters:
            value = converter(value, column, connection)
        converted.append(value)
    return model.from_db(DEFAULT_DB_ALIAS, [f.attname for f in fields], converted)


def with_related(
    sql: str,
    params: list[Any],
    main: tuple[type[Model], Sequence[Field[Any, Any]]],
    relation: str,
    related_fields: Sequence[Field[Any, Any]],
) -> list[Any]:
    """Rows of `main`'s fields then the related model's, as instances with the related one
    cached under `relation`, as `select_related` leaves them."""
    model, fields = main
    related = cast(type[Model], model._meta.get_field(relation).related_model)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    split = len(fields)
    found = []
    for row in rows:
        instance = _instance(model, fields, row[:split])
        instance._state.fields_cache[relation] = _instance(related, related_fields, row[split:])
        found.append(instance)
    return found


def marks(count: int) -> str:
    return ", ".join(["%s"] * count)


REGISTRATION_FIELDS = bulk_writes.fields(Registration)
# The bidder's fields that decide whether they may bid; the rest are never read here.
BIDDER_FIELDS = bulk_writes.fields(User, ["id", "is_active", "role", "identity_status"])
EARLIER_BID_FIELDS = bulk_writes.fields(
    Bid, ["id", "registration", "client_id", "seq", "amount_minor", "received_at"]
)


def registrations(leader_ids: Sequence[int], bidders: dict[int, set[int]]) -> list[Registration]:
    """The current leaders' registrations, each lot's automatic maxima, and the bidders' own.

    `bidders` maps each lot to the users whose instructions it holds. Each
    registration comes with its bidder (only the fields that decide eligibility).
    """
    conditions: list[str] = []
    params: list[Any] = []
    if leader_ids:
        conditions.append(f'r."id" IN ({marks(len(leader_ids))})')
        params += leader_ids
    lot_ids = list(bidders)
    if lot_ids:
        conditions.append(
            f'(r."lot_id" IN ({marks(len(lot_ids))}) AND r."auto_max_minor" IS NOT NULL)'
        )
        params += lot_ids
    for lot_id, users in bidders.items():
        conditions.append(f'(r."lot_id" = %s AND r."bidder_id" IN ({marks(len(users))}))')
        params += [lot_id, *sorted(users)]
    if not conditions:
        return []
    sql = (
        f"SELECT {select_list('r', REGISTRATION_FIELDS)}, {select_list('u', BIDDER_FIELDS)} "
        f'FROM "{Registration._meta.db_table}" r '
        f'JOIN "{User._meta.db_table}" u ON u."id" = r."bidder_id" '
        f'WHERE {" OR ".join(conditions)} ORDER BY r."id"'
    )
    found: list[Registration] = with_related(
        sql, params, (Registration, REGISTRATION_FIELDS), "bidder", BIDDER_FIELDS
    )
    return found


def earlier_bids(keys: Sequence[tuple[int, str]]) -> list[Bid]:
    """Bids already recorded under these (registration, client id) pairs (retries).

    Joined to the pairs, so each is one probe of the unique (registration, client id)
    index; matching the two columns against two lists instead makes PostgreSQL try every
    combination of them, or read the whole table.
    """
    if not keys:
        return []
    # A UNION of one-row SELECTs rather than VALUES: SQLite (embedded) cannot name the
    # columns of a VALUES list.
    first = "SELECT CAST(%s AS bigint) AS registration_id, CAST(%s AS text) AS client_id"
    pairs = " UNION ALL ".join([first, *["SELECT %s, %s"] * (len(keys) - 1)])
    sql = (
        f'SELECT {select_list("b", EARLIER_BID_FIELDS)} FROM "{Bid._meta.db_table}" b '
        f"JOIN ({pairs}) k "
        f'ON b."registration_id" = k.registration_id AND b."client_id" = k.client_id'
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [value for key in keys for value in key])
        rows = cursor.fetchall()
    return [_instance(Bid, EARLIER_BID_FIELDS, row) for row in rows]


def write(
    *,
    bids: Sequence[Bid],
    lots: Sequence[Lot],
    lot_fields: Sequence[str],
    registrations: Sequence[Registration],
    audits: Sequence[AuditRecord],
    notices: Sequence[Notification],
) -> None:
    """Everything a batch changed: one statement a table, all sent in one round trip."""
    bulk_writes.execute(
        [
            *bulk_writes.insert(Bid, bids),
            *bulk_writes.update(Lot, lots, lot_fields),
            *bulk_writes.update(
                Registration,
                registrations,
                ["auto_max_minor", "auto_order", "keep_deposit_reserved"],
            ),
            *bulk_writes.insert(AuditRecord, audits),
            *bulk_writes.insert(Notification, notices),
        ]
    )


def valid_mandates(pairs: set[tuple[int, int | None]]) -> set[tuple[int, int]]:
    """Of these (representative, company) pairs, those with a power of attorney approved and
    valid today (the court's day: the project's zone)."""
    condition = Q()
    for user_id, company_id in pairs:
        condition |= Q(representative_id=user_id, company_id=company_id)
    rows = PowerOfAttorney.objects.filter(
        condition, status=PowerOfAttorney.Status.APPROVED, valid_until__gte=timezone.localdate()
    ).values_list("representative_id", "company_id")
    return set(rows)


def commitments(budget_ids: Sequence[int]) -> dict[int, dict[int, int]]:
    """Per budget, what its bidder leads (open lots) or won (sold lots) on its lots: lot id →
    price. One query; each registration of the budgets probes its own lot by primary key."""
    if not budget_ids:
        return {}
    sql = (
        f'SELECT r."budget_id", l."id", l."price_minor" '
        f'FROM "{Registration._meta.db_table}" r '
        f'JOIN "{Lot._meta.db_table}" l ON l."id" = r."lot_id" AND l."leader_id" = r."id" '
        f'WHERE r."budget_id" IN ({marks(len(budget_ids))}) '
        f"AND l.\"status\" IN ('OPEN', 'SOLD') AND l.\"price_minor\" IS NOT NULL"
    )
    found: dict[int, dict[int, int]] = {budget_id: {} for budget_id in budget_ids}
    with connection.cursor() as cursor:
        cursor.execute(sql, list(budget_ids))
        for budget_id, lot_id, price in cursor.fetchall():
            found[int(budget_id)][int(lot_id)] = int(price)
    return found
