"""The catalog's text search: words in Arabic and English, and near-matches of identifiers.

On PostgreSQL each asset keeps a stored document (`search_document`, a generated tsvector
column made by migration auction 0009, not a model field) of its title, make, model, district
and city through both the `arabic` and the `english` configurations, behind a GIN index. A
query is read through both configurations (`websearch_to_tsquery`, which accepts any text and
never raises on operators or quotes) and matches when either reading does, so a query that
mixes the two languages finds lots that carry both words.

The Arabic snowball stemmer strips a plural's ـات to a different stem from its singular's ـة
(سيارات → يارا, سيارة → سيار), so a word's ـات ending is read as ـة on both sides before
stemming: "سيارات" finds "سيارة".

Plates, VINs and title deed numbers are compared by trigram similarity (`pg_trgm`, GIN
indexes on their upper-case letters and digits), so one mistyped character still finds the
asset; an auction number (a query with a digit) matches as a substring. Results are ranked
by the better of the text rank and the identifier similarity, best first, when the query
names an identifier (it has a digit); a query of words keeps the catalog's order, ending
first, which its indexes serve.

SQLite (the embedded `make run`) falls back to substring matching.
"""

from __future__ import annotations

from typing import Any

from django.db import connection
from django.db.models import FloatField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.expressions import RawSQL

from auction.models import Lot

# Shared with migration auction 0009: the index expressions must stay identical.
PLURAL_RULE = r"'ات\M', 'ة', 'g'"
IDENTIFIERS = ("plate", "vin", "deed_number")
MIN_TRIGRAM_LENGTH = 3
MAX_QUERY_LENGTH = 100


def identifier_sql(column: str) -> str:
    """A column's letters and digits, upper-cased: the form the trigram indexes hold."""
    return f"upper(regexp_replace({column}, '[^[:alnum:]]', '', 'g'))"


def identifier_text(text: str) -> str:
    return "".join(ch for ch in text if ch.isalnum()).upper()


def names_an_identifier(text: str) -> bool:
    """Whether a query may be a plate, VIN or deed number: letters and digits, with a digit.

    Only such a query is compared by trigram similarity: a query of words ("toyota camry")
    would match by trigrams thousands of identifiers it has nothing to do with.
    """
    identifier = identifier_text(text)
    return len(identifier) >= MIN_TRIGRAM_LENGTH and any(ch.isdigit() for ch in identifier)


def clean(text: str) -> str:
    """A query as the search reads it: no control characters, at most 100 characters."""
    printable = "".join(ch if ch.isprintable() else " " for ch in text)
    return " ".join(printable.split())[:MAX_QUERY_LENGTH]


def is_postgresql() -> bool:
    return connection.vendor == "postgresql"


_TSQUERY = (
    f"(websearch_to_tsquery('arabic'::regconfig, regexp_replace(%s, {PLURAL_RULE})) "
    "|| websearch_to_tsquery('english'::regconfig, %s))"
)


def _asset_match(term: str) -> tuple[str, list[Any]]:
    """SQL selecting the ids of the assets a query matches (words or identifiers)."""
    conditions, params = [f"search_document @@ {_TSQUERY}"], [term, term]
    identifier = identifier_text(term)
    if names_an_identifier(term):
        for column in IDENTIFIERS:
            conditions.append(f"{identifier_sql(column)} %% %s")
            params.append(identifier)
    where = " OR ".join(conditions)
    # Only constants are formatted in; the query's text travels as parameters.
    return f"SELECT id FROM enforcement_seizedasset WHERE {where}", params  # noqa: S608


def _auction_match(term: str) -> tuple[str, list[Any]]:
    return (
        "SELECT l.asset_id FROM auction_lot l JOIN auction_auction a ON a.id = l.auction_id "
        "WHERE upper(a.number) LIKE %s",
        ["%" + _like_escape(term.upper()) + "%"],
    )


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _score(term: str) -> RawSQL:
    """How well a lot's asset matches, from 0 to 1 (double precision, exact in a cursor)."""
    parts, params = [f"ts_rank_cd(search_document, {_TSQUERY}, 32)"], [term, term]
    identifier = identifier_text(term)
    if names_an_identifier(term):
        for column in IDENTIFIERS:
            parts.append(f"similarity({identifier_sql(column)}, %s)")
            params.append(identifier)
    sql = f"round(GREATEST({', '.join(parts)})::numeric, 6)::double precision"
    return RawSQL(sql, params, output_field=FloatField())  # noqa: S611 (constants; text as parameters)


def matching(lots: QuerySet[Lot], term: str) -> QuerySet[Lot]:
    """The lots whose asset or auction a query matches, annotated with their `relevance`."""
    if not is_postgresql():
        return lots.filter(
            Q(asset__title__icontains=term)
            | Q(asset__make__icontains=term)
            | Q(asset__model__icontains=term)
            | Q(asset__district__icontains=term)
            | Q(asset__city__icontains=term)
            | Q(asset__plate__icontains=term)
            | Q(asset__vin__icontains=term)
            | Q(asset__deed_number__icontains=term)
            | Q(auction__number__icontains=term)
        ).annotate(relevance=Value(1.0, output_field=FloatField()))
    sql, params = _asset_match(term)
    if any(ch.isdigit() for ch in term):  # auction numbers have digits; words need no scan
        auction_sql, auction_params = _auction_match(term)
        sql, params = f"{sql} UNION {auction_sql}", [*params, *auction_params]
    union = RawSQL(sql, params)  # noqa: S611 (constants; the query's text as parameters)
    from enforcement.models import SeizedAsset

    score = SeizedAsset.objects.filter(pk=OuterRef("asset_id")).annotate(score=_score(term))
    return lots.filter(asset_id__in=union).annotate(
        relevance=Subquery(score.values("score")[:1], output_field=FloatField())
    )
