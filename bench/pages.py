"""Single-request costs of the catalog scenario's pages, one kind at a time.

Run as `python -m bench.pages --catalog JSON [--repeat N] [--kind KIND] [--explain]` in a
Django environment whose database holds the archive (bench/archive.py): the JSON is the
`catalog` part of `bench.data setup`'s output (the targets, cursors, lots and the staff
session). Each page kind of the scenario (bench/load.py's `CatalogPaths`) is fetched with
Django's test client, in one process, first with an empty shared cache (but for the catalog's
city list, which a run keeps for a minute) then again; for each
the time, the number of SQL statements and the time they took are reported, and with
`--explain` the slowest statement's plan (`EXPLAIN ANALYZE`). What a page costs alone, with no
queue in front of it: the figure to decide by on a machine too busy for a quiet load run.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path
from typing import Any


def _paths(catalog: dict[str, Any], kind: str) -> list[str]:
    from bench.load import CatalogPaths

    paths = CatalogPaths({"catalog": catalog}, seed=7)
    return [paths.path(kind)[0] for _ in range(8)]


def measure(catalog: dict[str, Any], kind: str, repeat: int, explain: bool) -> dict[str, Any]:
    from django.conf import settings
    from django.core.cache import cache
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_ACCEPT_LANGUAGE="ar", HTTP_HOST="localhost")
    if kind == "letters":
        client.cookies[settings.SESSION_COOKIE_NAME] = catalog["staff_session"]
    found: dict[str, list[float]] = {"first": [], "again": [], "sql_ms": [], "statements": []}
    slowest: tuple[float, str] = (0.0, "")
    from auction import catalog as listing

    for path in _paths(catalog, kind)[:repeat]:
        cache.clear()
        listing.cities()  # cached a minute in a run: not part of a page's first render
        for label in ("first", "again"):
            with CaptureQueriesContext(connection) as queries:
                began = time.perf_counter()
                response = client.get(path)
                found[label].append((time.perf_counter() - began) * 1000)
            if response.status_code != 200:
                raise SystemExit(f"{path}: {response.status_code}")
            if label == "first":
                times = [float(q["time"]) * 1000 for q in queries.captured_queries]
                found["sql_ms"].append(sum(times))
                found["statements"].append(len(times))
                for q, ms in zip(queries.captured_queries, times, strict=True):
                    if ms > slowest[0]:
                        slowest = (ms, q["sql"])
    result: dict[str, Any] = {
        name: round(statistics.median(values), 1) for name, values in found.items() if values
    }
    result["slowest_sql_ms"] = round(slowest[0], 1)
    if explain and slowest[1]:
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + slowest[1])
            result["plan"] = "\n".join(row[0] for row in cursor.fetchall())
    return result


def main() -> None:
    import django

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--catalog", required=True, help="the catalog data (JSON file)")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--kind", action="append", help="one page kind (repeatable)")
    parser.add_argument("--explain", action="store_true")
    args = parser.parse_args()
    django.setup()
    from bench.load import CATALOG_MIX

    catalog = json.loads(Path(args.catalog).read_text())
    for kind in args.kind or [kind for kind, _share in CATALOG_MIX]:
        result = measure(catalog, kind, args.repeat, args.explain)
        plan = result.pop("plan", "")
        print(kind, json.dumps(result))
        if plan:
            print(plan)


if __name__ == "__main__":
    main()
