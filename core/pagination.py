"""Keyset pagination for long lists: pages found by the last row seen, never by OFFSET.

A list is ordered by a few keys (all ascending or all descending, the last one unique, such
as the primary key). A page link carries the keys of the row it starts after (`after=`) or
before (`before=`) as an opaque cursor in the query string, so links stay shareable; the
database answers each page from an index wherever the page is, and rows inserted meanwhile
are neither skipped nor shown twice.

A list may be made of segments (querysets with the same keys, walked in order: overdue
letters, then the others), so an order that no single index serves is still read from
indexes. The total is exact up to `EXACT_UP_TO` rows and the planner's estimate above
(PostgreSQL's statistics), so a list of millions costs no full count.

An unusable cursor (edited, truncated, from another list) never fails the page: the list
starts again at its first page and says so (`KeysetPage.is_reset`).
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import connections
from django.db.models import (
    BooleanField,
    DateField,
    DateTimeField,
    DecimalField,
    Expression,
    F,
    FloatField,
    IntegerField,
    Model,
    QuerySet,
    Value,
)
from django.http import QueryDict
from django.utils.dateparse import parse_date, parse_datetime

EXACT_UP_TO = 1000
CURSOR_MAX_LENGTH = 512
KINDS = ("int", "datetime", "date", "decimal", "float", "str")


class BadCursor(ValueError):
    """A cursor that is not one this list issued."""


@dataclass(frozen=True)
class Key:
    """One ordering key: a field or annotation name (`__` follows relations) and its kind."""

    name: str
    kind: str = "int"

    def read(self, row: Any) -> Any:
        value = row
        for part in self.name.split("__"):
            value = getattr(value, part)
        return value

    def output_field(self) -> Any:
        return {
            "int": IntegerField(),
            "datetime": DateTimeField(),
            "date": DateField(),
            "decimal": DecimalField(),
            "float": FloatField(),
            "str": None,
        }[self.kind]


class _RowCompare(Expression):
    """`(a, b, c) > (x, y, z)`: one comparison a multicolumn index answers as a range."""

    conditional = True

    def __init__(self, left: Sequence[Any], operator: str, right: Sequence[Any]) -> None:
        super().__init__(output_field=BooleanField())
        self.left, self.operator, self.right = list(left), operator, list(right)

    def get_source_expressions(self) -> list[Any]:
        return [*self.left, *self.right]

    def set_source_expressions(self, exprs: Sequence[Any]) -> None:
        count = len(self.left)
        self.left, self.right = list(exprs[:count]), list(exprs[count:])

    def as_sql(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, list[Any]]:
        sides, params = [], []
        for side in (self.left, self.right):
            parts = []
            for expression in side:
                sql, part_params = compiler.compile(expression)
                parts.append(sql)
                params.extend(part_params)
            sides.append("(" + ", ".join(parts) + ")")
        return f"{sides[0]} {self.operator} {sides[1]}", params


@dataclass(frozen=True)
class Keyset:
    """How a list is ordered: its keys (the last one unique) and their one direction."""

    keys: tuple[Key, ...]
    descending: bool = False

    def order(self, *, reverse: bool = False) -> list[Any]:
        down = self.descending != reverse
        return [F(key.name).desc() if down else F(key.name).asc() for key in self.keys]

    def beyond(self, values: Sequence[Any], *, reverse: bool = False) -> _RowCompare:
        down = self.descending != reverse
        left = [F(key.name) for key in self.keys]
        right = [
            Value(value, output_field=key.output_field())
            for key, value in zip(self.keys, values, strict=True)
        ]
        return _RowCompare(left, "<" if down else ">", right)

    def leading_bound(self, values: Sequence[Any], *, reverse: bool = False) -> dict[str, Any]:
        """The first key's half of the comparison, which lets an index on it start the range."""
        down = self.descending != reverse
        return {f"{self.keys[0].name}__{'lte' if down else 'gte'}": values[0]}

    def encode(self, segment: int, row: Any) -> str:
        values = [_dump(key.read(row), key.kind) for key in self.keys]
        raw = json.dumps([segment, *values], separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    def decode(self, token: str, segments: int) -> tuple[int, list[Any]]:
        """The segment and key values of a cursor; `BadCursor` when it is not one of ours."""
        if not token or len(token) > CURSOR_MAX_LENGTH:
            raise BadCursor(token)
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
            decoded = json.loads(raw)
        except (binascii.Error, ValueError, UnicodeDecodeError) as error:
            raise BadCursor(token) from error
        if not isinstance(decoded, list) or len(decoded) != len(self.keys) + 1:
            raise BadCursor(token)
        segment = decoded[0]
        if type(segment) is not int or not 0 <= segment < segments:
            raise BadCursor(token)
        values = [_load(value, key.kind) for key, value in zip(self.keys, decoded[1:], strict=True)]
        return segment, values


def _dump(value: Any, kind: str) -> Any:
    if value is None:
        raise ValueError("keyset keys are never null: coalesce them in an annotation")
    if kind in ("datetime", "date", "decimal"):
        return value.isoformat() if kind != "decimal" else str(value)
    return value


def _load(value: Any, kind: str) -> Any:
    parsed: Any = None
    if kind == "int" and type(value) is int and abs(value) < 2**63:
        parsed = value
    elif kind == "float" and type(value) in (int, float):
        parsed = float(value)
    elif kind == "str" and isinstance(value, str) and len(value) <= 300 and "\x00" not in value:
        parsed = value
    elif kind == "datetime" and isinstance(value, str):
        parsed = _parse(parse_datetime, value)
        parsed = parsed if parsed is not None and parsed.tzinfo is not None else None
    elif kind == "date" and isinstance(value, str):
        parsed = _parse(parse_date, value)
    elif kind == "decimal" and isinstance(value, str):
        try:
            parsed = Decimal(value) if len(value) < 40 else None
        except InvalidOperation:
            parsed = None
        parsed = parsed if parsed is not None and parsed.is_finite() else None
    if parsed is None:
        raise BadCursor(str(value))
    return parsed


def _parse(parser: Callable[[str], date | datetime | None], value: str) -> Any:
    try:
        return parser(value)
    except ValueError:
        return None


@dataclass(frozen=True)
class KeysetPage:
    """One page of a keyset list, with the cursors and query strings of its neighbours."""

    rows: list[Any]
    next_cursor: str | None
    previous_cursor: str | None
    total: int
    is_total_exact: bool
    is_reset: bool
    query: QueryDict
    size: int

    # The parts of Django's `Page` and `Paginator` that templates and callers read.
    @property
    def object_list(self) -> list[Any]:
        return self.rows

    def __iter__(self) -> Iterator[Any]:
        return iter(self.rows)

    def __len__(self) -> int:
        return len(self.rows)

    @property
    def count(self) -> int:
        return self.total

    @property
    def paginator(self) -> KeysetPage:
        return self

    @property
    def is_first(self) -> bool:
        return self.previous_cursor is None

    @property
    def has_other_pages(self) -> bool:
        return self.next_cursor is not None or self.previous_cursor is not None

    def _link(self, **cursor: str) -> str:
        query = self.query.copy()
        for name in ("after", "before", "page"):
            query.pop(name, None)
        for name, value in cursor.items():
            query[name] = value
        return query.urlencode()

    @property
    def next_query(self) -> str:
        return self._link(after=self.next_cursor) if self.next_cursor else ""

    @property
    def previous_query(self) -> str:
        return self._link(before=self.previous_cursor) if self.previous_cursor else ""

    @property
    def first_query(self) -> str:
        return self._link()


def estimate_count(queryset: QuerySet[Any], exact_up_to: int = EXACT_UP_TO) -> tuple[int, bool]:
    """How many rows a list has: exact up to `exact_up_to`, else PostgreSQL's estimate.

    The exact part counts at most `exact_up_to + 1` rows; above that the planner's row
    estimate (from the tables' statistics) stands in, never below the rows already counted.
    """
    plain = queryset.order_by()
    counted = plain[: exact_up_to + 1].count()
    if counted <= exact_up_to:
        return counted, True
    if connections[queryset.db].vendor != "postgresql":
        return plain.count(), True
    plan = json.loads(plain.explain(format="json"))
    estimate = int(plan[0]["Plan"]["Plan Rows"])
    return max(estimate, counted), False


def paginate(
    segments: Sequence[QuerySet[Any]],
    keyset: Keyset,
    query: QueryDict,
    *,
    size: int,
    keep: Callable[[Any], bool] | None = None,
    total_of: QuerySet[Any] | None = None,
) -> KeysetPage:
    """The page of `segments` (walked in order) that the query's `after`/`before` cursor names.

    `keep` drops rows after they are read (a filter the database cannot apply); pages then
    read on until they are full. `total_of` is the whole list for the total (by default the
    first segment when there is one, else the total is summed over the segments).
    """
    reset = False
    after, before = query.get("after", ""), query.get("before", "")
    cursor: tuple[int, list[Any]] | None = None
    backwards = bool(before) and not after
    try:
        if after or before:
            cursor = keyset.decode(after or before, len(segments))
    except BadCursor:
        reset, backwards, cursor = True, False, None
    reader = _Reader(segments, keyset, keep)
    if backwards and cursor is not None:
        found = reader.read(cursor, size + 1, reverse=True)
        if len(found) <= size:  # nothing before the page: it is the first page
            found = reader.read(None, size + 1, reverse=False)
            rows, more_after, more_before = found[:size], len(found) > size, False
        else:
            found = list(reversed(found[:size]))
            rows, more_after, more_before = found, True, True
    else:
        found = reader.read(cursor, size + 1, reverse=False)
        rows, more_after, more_before = found[:size], len(found) > size, cursor is not None
    total, exact = _total(segments, total_of)
    return KeysetPage(
        rows=[row for _segment, row in rows],
        next_cursor=keyset.encode(*rows[-1]) if rows and more_after else None,
        previous_cursor=keyset.encode(*rows[0]) if rows and more_before else None,
        total=total,
        is_total_exact=exact,
        is_reset=reset,
        query=query,
        size=size,
    )


def _total(segments: Sequence[QuerySet[Any]], total_of: QuerySet[Any] | None) -> tuple[int, bool]:
    if total_of is not None:
        return estimate_count(total_of)
    total, exact = 0, True
    for segment in segments:
        count, segment_exact = estimate_count(segment)
        total, exact = total + count, exact and segment_exact
    return total, exact


class _Reader:
    """Reads up to n rows from a position onwards (or backwards) across the segments."""

    def __init__(
        self,
        segments: Sequence[QuerySet[Any]],
        keyset: Keyset,
        keep: Callable[[Any], bool] | None,
    ) -> None:
        self.segments, self.keyset, self.keep = segments, keyset, keep

    def read(
        self, cursor: tuple[int, list[Any]] | None, wanted: int, *, reverse: bool
    ) -> list[tuple[int, Model]]:
        found: list[tuple[int, Model]] = []
        order = range(len(self.segments))
        indexes = list(reversed(order)) if reverse else list(order)
        if cursor is not None:
            start = indexes.index(cursor[0])
            indexes = indexes[start:]
        for index in indexes:
            values = cursor[1] if cursor is not None and index == cursor[0] else None
            found.extend(self._segment(index, values, wanted - len(found), reverse=reverse))
            if len(found) >= wanted:
                break
        return found

    def _segment(
        self, index: int, values: list[Any] | None, wanted: int, *, reverse: bool
    ) -> list[tuple[int, Model]]:
        rows = self.segments[index].order_by(*self.keyset.order(reverse=reverse))
        found: list[tuple[int, Model]] = []
        while True:
            batch = rows
            if values is not None:
                batch = batch.filter(
                    self.keyset.beyond(values, reverse=reverse),
                    **self.keyset.leading_bound(values, reverse=reverse),
                )
            limit = wanted - len(found) if self.keep is None else max(wanted - len(found), 50)
            chunk = list(batch[:limit])
            found.extend((index, row) for row in chunk if self.keep is None or self.keep(row))
            if self.keep is None or len(chunk) < limit or len(found) >= wanted:
                return found[:wanted]
            values = [key.read(chunk[-1]) for key in self.keyset.keys]
