"""The report of a benchmark run: results.json, results.md (each figure beside its ceiling), charts.

`write(results, out)` is called by the runner; `python -m bench.report DIR`
redraws the report from DIR/results.json.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

README = Path(__file__).resolve().parent / "README.md"
START, END = "<!-- results:start -->", "<!-- results:end -->"
# Saturation: a step is kept up with while (almost) every event arrives within its window and
# the slowest percent is under a second; the target asks ours to do so with p99 under 100 ms.
KEPT_UP_SHARE = 0.98
KEPT_UP_P99_MS = 1000.0
TARGET_P99_MS = 100.0


def dig(node: Any, *path: Any) -> Any:
    for key in path:
        if node is None:
            return None
        if isinstance(node, list):
            node = node[key] if -len(node) <= key < len(node) else None
        else:
            node = node.get(str(key)) if isinstance(node, dict) else None
    return node


def ratio(value: float | None, ceiling: float | None) -> float | None:
    """value / ceiling, kept to four decimals: a target is judged on this, not on the two
    decimals the tables show (2.001x is over a 2x target)."""
    if value is None or not ceiling:
        return None
    return round(value / ceiling, 4)


def median_phase(fanout: dict[str, Any] | None, key: str) -> float | None:
    """The median over a fan-out run's repeated phases of latency percentile `key` or CPU."""
    if not fanout:
        return None
    values = []
    for phase in fanout["phases"]:
        value = phase["latency_ms"].get(key) if key.startswith("p") else phase.get(key)
        if value is not None:
            values.append(value)
    if not values:
        return None
    values.sort()
    return values[len(values) // 2]


def sustained(ramp: dict[str, Any] | None, p99_limit: float) -> float | None:
    """The highest ramp rate delivered in full with p99 under the limit (0 if none)."""
    if not ramp:
        return None
    best = 0.0
    for phase in ramp["phases"]:
        p99 = phase["latency_ms"]["p99"]
        if (phase["delivered_share"] or 0) >= KEPT_UP_SHARE and p99 is not None and p99 < p99_limit:
            best = max(best, float(phase["rate"]))
    return best


def summary(results: dict[str, Any]) -> dict[str, Any]:
    """The headline figures, their ceilings, ratios and targets, for the production server."""
    ours = results["runs"].get("uvicorn") or next(iter(results["runs"].values()), {})
    plan = results["plan"]
    pgbench = results["ceilings"].get("pgbench", {})
    relay = results["ceilings"].get("relay", {})
    next_count, race_count = plan["next_bidders"], plan["race_bidders"]
    big = str(max(plan["fanout"]))
    mid = "1000" if "1000" in (relay or {}) else str(plan["fanout"][0])
    rows = []

    def row(
        name: str,
        figure: float | None,
        unit: str,
        ceiling: float | None,
        ceiling_name: str,
        target: str,
        met: bool | None,
        value_ratio: float | None = None,
    ) -> None:
        rows.append(
            {
                "target": name,
                "figure": figure,
                "unit": unit,
                "ceiling": ceiling,
                "ceiling_name": ceiling_name,
                "ratio": value_ratio if value_ratio is not None else ratio(figure, ceiling),
                "goal": target,
                "met": met,
            }
        )

    hot_next = ours.get("hot_next", {})
    pg_next = dig(pgbench, "hot", next_count, "tps")
    r = ratio(hot_next.get("accepted_per_second"), pg_next)
    row(
        f"hot lot, {next_count} bidders: accepted bids/s",
        hot_next.get("accepted_per_second"),
        "bids/s",
        pg_next,
        f"pgbench, one hot row, {next_count} clients",
        "≥ 3×",
        None if r is None else r >= 3,
    )
    p99 = hot_next.get("ack_p99_ms")
    row(
        f"hot lot, {next_count} bidders: acknowledgement p99",
        p99,
        "ms",
        50.0,
        "target",
        "< 50 ms",
        None if p99 is None else p99 < 50,
        value_ratio=ratio(p99, 50.0),
    )
    race = ours.get("hot_race", {})
    pg_race = dig(pgbench, "hot", race_count, "tps")
    r = ratio(race.get("decided_per_second"), pg_race)
    row(
        f"hot lot, {race_count} racing: decided bids/s",
        race.get("decided_per_second"),
        "bids/s",
        pg_race,
        f"pgbench, one hot row, {race_count} clients",
        "≥ 5×",
        None if r is None else r >= 5,
    )
    many = ours.get("many", {})
    pg_spread = dig(pgbench, "spread", plan["many_bidders"], "tps")
    r = ratio(many.get("accepted_per_second"), pg_spread)
    row(
        f"{plan['many_lots']} lots, {plan['many_bidders']} bidders: accepted bids/s",
        many.get("accepted_per_second"),
        "bids/s",
        pg_spread,
        f"pgbench, {plan['many_lots']} rows, {plan['many_bidders']} clients",
        "≥ 0.7×",
        None if r is None else r >= 0.7,
    )
    fan = dig(ours, "fanout", mid)
    relay_mid = dig(relay, mid)
    ours_p99, relay_p99 = median_phase(fan, "p99"), median_phase(relay_mid, "p99")
    r = ratio(ours_p99, relay_p99)
    row(
        f"fan-out, {mid} watchers, {plan['fanout_rate']:g} bids/s: p99",
        ours_p99,
        "ms",
        relay_p99,
        "raw relay, same load",
        "≤ 1.5×",
        None if r is None else r <= 1.5,
    )
    ours_cpu = median_phase(fan, "cpu_us_per_delivery")
    relay_cpu = median_phase(relay_mid, "cpu_us_per_delivery")
    r = ratio(ours_cpu, relay_cpu)
    row(
        f"fan-out, {mid} watchers: server CPU per delivery",
        ours_cpu,
        "µs",
        relay_cpu,
        "raw relay, same load",
        "≤ 2×",
        None if r is None else r <= 2,
    )
    ours_rate = sustained(ours.get("ramp"), TARGET_P99_MS)
    relay_rate = sustained(relay.get("ramp"), KEPT_UP_P99_MS)
    r = ratio(ours_rate, relay_rate)
    ramp_top = max(plan["ramp"]) if plan.get("ramp") else None
    row(
        f"conflation: sustained events/s to {mid if not plan['quick'] else plan['fanout'][0]} watchers, p99 < 100 ms",
        ours_rate,
        "events/s",
        relay_rate,
        "rate the raw relay keeps up with",
        "≥ 2×",
        None if r is None else r >= 2,
    )
    if relay_rate is not None and ramp_top is not None and relay_rate >= ramp_top:
        rows[-1]["note"] = "the relay kept up with every step of the ramp"
    big_ours, big_relay = dig(ours, "fanout", big), dig(relay, big)
    ours_p99, relay_p99 = median_phase(big_ours, "p99"), median_phase(big_relay, "p99")
    r = ratio(ours_p99, relay_p99)
    errors = (big_ours or {}).get("errors", 0) + (big_ours or {}).get("closed", 0)
    connected = (big_ours or {}).get("connected")
    row(
        f"{big} watchers at {plan['big_rate']:g} bid/s: p99 (connected {connected}, errors {errors})",
        ours_p99,
        "ms",
        relay_p99,
        "raw relay, same load",
        "≤ 1.5×, no errors",
        None if r is None else (r <= 1.5 and errors == 0 and connected == int(big)),
    )
    ours_mem = dig(big_ours, "memory", "bytes_per_watcher")
    relay_mem = dig(big_relay, "memory", "bytes_per_watcher")
    r = ratio(ours_mem, relay_mem)
    row(
        f"memory per idle watcher ({big} watchers)",
        ours_mem,
        "bytes",
        relay_mem,
        "raw relay",
        "≤ 2×",
        None if r is None else r <= 2,
    )
    storm = ours.get("storm", {})
    worst = dig(storm, "lag_ms", "max")
    closed_ok = storm.get("within_1s") == storm.get("lots") and not storm.get("unclosed")
    row(
        f"closing storm, {storm.get('lots')} lots: slowest end → lot_closed",
        worst,
        "ms",
        1000.0,
        "target",
        "every lot ≤ 1 s",
        closed_ok if storm else None,
        value_ratio=ratio(worst, 1000.0),
    )
    _catalog_rows(ours.get("catalog"), plan, row)
    return {"rows": rows}


CATALOG_PAGES = ("first", "deep", "filter", "search_ar", "search_en", "plate", "lot")


def _catalog_rows(catalog: dict[str, Any] | None, plan: dict[str, Any], row: Any) -> None:
    """The catalog's targets: p99 and throughput against the in-memory ceiling, the searches."""
    if not catalog or "by_kind" not in catalog:
        return
    readers, lots = catalog["readers"], plan["catalog_lots"]
    kinds = catalog["by_kind"]
    public = [k for k in CATALOG_PAGES if k in kinds]
    worst = max((kinds[k]["page_ms"]["p99"] or 0.0 for k in public), default=None)
    # Closed loop: each page's time is mostly the queue (≈ readers ÷ pages/s), shown beside
    # the ceiling's own p99 under the same loop.
    row(
        f"catalog and lot page, {readers} readers asking with no pause (closed loop), "
        f"{lots:,} lots: slowest kind's p99",
        worst,
        "ms",
        dig(catalog, "ceiling", "page_ms", "p99"),
        "the ceiling's p99 in the same closed loop",
        "< 100 ms",
        None if worst is None else worst < 100,
        value_ratio=ratio(worst, 100.0),
    )
    paced = catalog.get("paced") or {}
    paced_kinds = paced.get("by_kind", {})
    if paced_kinds:
        offered = paced.get("offered_pages_per_second")
        slowest = max(
            (paced_kinds[k]["page_ms"]["p99"] or 0.0 for k in CATALOG_PAGES if k in paced_kinds),
            default=None,
        )
        row(
            f"catalog and lot page, {readers} readers each opening a page every "
            f"{paced.get('pace_seconds')} s (open loop, {offered} pages/s offered), "
            f"{lots:,} lots: slowest kind's p99",
            slowest,
            "ms",
            dig(paced, "ceiling", "page_ms", "p99"),
            "the ceiling's p99 under the same offered load",
            "< 100 ms",
            None if slowest is None else slowest < 100,
            value_ratio=ratio(slowest, 100.0),
        )
        letters_paced = dig(paced_kinds, "letters", "page_ms", "p99")
        row(
            f"staff list of {plan.get('catalog_letters', 0):,} letters, open loop at "
            f"{offered} pages/s offered: p99 of any page",
            letters_paced,
            "ms",
            150.0,
            "target",
            "< 150 ms",
            None if letters_paced is None else letters_paced < 150,
            value_ratio=ratio(letters_paced, 150.0),
        )
    ceiling = dig(catalog, "ceiling", "pages_per_second")
    r = ratio(catalog.get("pages_per_second"), ceiling)
    row(
        f"catalog mix, {readers} readers, steady state: pages/s",
        catalog.get("pages_per_second"),
        "pages/s",
        ceiling,
        "same server and stack, a page of the same size from memory",
        "≥ 0.5×",
        None if r is None else r >= 0.5,
    )
    cold = dig(catalog, "cold", "pages_per_second")
    if cold is not None:
        row(
            f"catalog mix, {readers} readers, from an empty page cache (the first seconds): "
            "pages/s",
            cold,
            "pages/s",
            ceiling,
            "the same ceiling",
            "reported",
            None,
        )
    targets = catalog.get("targets", {})
    asked, found = targets.get("asked", 0), targets.get("found", 0)
    row(
        "stemmed Arabic search and one-character-off plate: target lot on the first page",
        float(found),
        "answers",
        float(asked),
        "searches made",
        "every one",
        None if not asked else found == asked,
    )
    letters = dig(kinds, "letters", "page_ms", "p99")
    row(
        f"staff list of {plan.get('catalog_letters', 0):,} letters, closed loop: p99 of any page",
        letters,
        "ms",
        150.0,
        "target",
        "< 150 ms",
        None if letters is None else letters < 150,
        value_ratio=ratio(letters, 150.0),
    )


KIND_NAMES = {
    "first": "catalog, first page",
    "deep": "catalog, a deep page (keyset cursor)",
    "filter": "catalog, filters",
    "search_ar": "catalog, Arabic search",
    "search_en": "catalog, English search",
    "plate": "catalog, plate one character off",
    "lot": "a lot's page",
    "letters": "staff list of letters (any page)",
    "ceiling": "ceiling: a page of the same size from memory",
}


def _catalog_table(kind: str, plan: dict[str, Any], catalog: dict[str, Any]) -> list[str]:
    """Each kind of page of the catalog mix, then the in-memory ceiling, under the same readers.

    The closed loop's table, then the open loop's (when it ran).
    """
    if "by_kind" not in catalog:
        return []
    lines: list[str] = []
    cold = catalog.get("cold")
    if cold and "by_kind" in cold:
        lines += _catalog_loop(
            kind,
            plan,
            {**cold, "ceiling": catalog.get("ceiling")},
            "each asking again as soon as it is answered (closed loop), from an empty page "
            "cache: the first seconds after the start",
        )
    lines += _catalog_loop(
        kind,
        plan,
        catalog,
        "each asking again as soon as it is answered (closed loop), in the steady state "
        f"(measured after {plan.get('catalog_settle', 0)} s more of the same load, right "
        "after the pass from an empty cache)",
    )
    paced = catalog.get("paced")
    if paced and "by_kind" in paced:
        lines += _catalog_loop(
            kind,
            plan,
            paced,
            f"each opening a page every {paced['pace_seconds']} s on average (open loop, "
            f"{paced['offered_pages_per_second']} pages/s offered; times from the moment a "
            f"page was due; {paced.get('pages_sent_late')} pages sent late)",
        )
    return lines


def _catalog_loop(
    kind: str, plan: dict[str, Any], catalog: dict[str, Any], model: str
) -> list[str]:
    lines = [
        "",
        f"**{kind}** — catalog mix: {plan['catalog_lots']:,} lots (most ended), "
        f"{plan.get('catalog_letters', 0):,} letters, {catalog['readers']} readers "
        f"(half in Arabic), {model}",
        "",
        # In the open loop the pages are those due in the window: the offered load, met or not.
        "| page | pages due/s | p50 ms | p99 ms |"
        if catalog.get("pace_seconds")
        else "| page | pages/s | p50 ms | p99 ms |",
        "| --- | ---: | ---: | ---: |",
    ]
    kinds = dict(catalog["by_kind"])
    ceiling = catalog.get("ceiling") or {}
    kinds.update(ceiling.get("by_kind", {}))
    for name, figures in kinds.items():
        lines.append(
            f"| {KIND_NAMES.get(name, name)} | {_fmt(figures['pages_per_second'])} | "
            f"{_fmt(figures['page_ms']['p50'])} | {_fmt(figures['page_ms']['p99'])} |"
        )
    lines.append(
        f"| all of the mix | {_fmt(catalog['pages_per_second'])} | "
        f"{_fmt(catalog['page_ms']['p50'])} | {_fmt(catalog['page_ms']['p99'])} |"
    )
    targets = catalog.get("targets", {})
    lines += [
        "",
        f"Search targets found on the first page: {targets.get('found', 0)} of "
        f"{targets.get('asked', 0)}; ceiling statuses {ceiling.get('statuses')}.",
    ]
    return lines


def _fmt(value: Any, digits: int = 1) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        if abs(value) >= 1000:
            return f"{value:,.0f}"
        return f"{value:.{digits}f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def markdown(results: dict[str, Any]) -> str:
    plan, machine = results["plan"], results["machine"]
    heads = summary(results)
    lines = [
        f"Run of {results.get('started_at', '')[:19].replace('T', ' ')} UTC, {results.get('seconds', 0):.0f} s"
        + (" — **quick mode (tiny sizes; the figures mean nothing)**" if plan["quick"] else ""),
        "",
        f"Machine: {machine['cores']} cores ({machine['cpu']}), "
        f"{machine['memory_bytes'] / 2**30:.0f} GiB, Linux {machine['kernel']}, Python {machine['python']}, "
        f"PostgreSQL {machine.get('postgresql_server', '?')}, {machine['redis_server'].split(' sha')[0]}; "
        + ", ".join(f"{k} {v}" for k, v in machine["packages"].items() if v)
        + f". Load average {machine['load_average_at_start']} at the start, "
        f"{machine.get('load_average_at_end', '?')} at the end. {plan['web_processes']} web processes; "
        f"medians of {plan['repeats']} repeats where repeated.",
        "",
        "### Targets (uvicorn, the production server)",
        "",
        "| figure | ours | ceiling | ratio | target | met |",
        "| --- | ---: | --- | ---: | --- | --- |",
    ]
    for row in heads["rows"]:
        met = {True: "**met**", False: "**missed**", None: "—"}[row["met"]]
        ceiling = f"{_fmt(row['ceiling'])} {row['unit']} ({row['ceiling_name']})"
        note = f" ({row['note']})" if row.get("note") else ""
        lines.append(
            f"| {row['target']} | {_fmt(row['figure'])} {row['unit']} | {ceiling} | "
            f"{_fmt(row['ratio'], 2)}× | {row['goal']}{note} | {met} |"
        )
    lines += ["", "### Every figure, by server", ""]
    lines += _server_tables(results)
    lines += ["", "### Ceilings and references", ""]
    lines += _ceiling_tables(results)
    invariants = results.get("invariants")
    if invariants:
        lines += [
            "",
            f"Invariants after the run: {invariants['lots']} lots, {invariants['bids']:,} bids in the record, "
            f"{invariants['acknowledged']:,} acknowledged bids checked against it; "
            + (
                "no problem found."
                if not invariants["problem_count"]
                else f"**{invariants['problem_count']} problems**: {invariants['problems']}"
            ),
        ]
    return "\n".join(lines) + "\n"


def _bid_row(name: str, run: dict[str, Any] | None, ceiling: float | None) -> str:
    if not run:
        return f"| {name} | — | — | — | — | — | — |"
    return (
        f"| {name} | {_fmt(run['accepted_per_second'])} | {_fmt(run['decided_per_second'])} | "
        f"{_fmt(run['ack_p50_ms'])} / {_fmt(run['ack_p95_ms'])} / {_fmt(run['ack_p99_ms'])} | "
        f"{_fmt(ceiling)} | {_fmt(ratio(run['accepted_per_second'], ceiling), 2)}× / "
        f"{_fmt(ratio(run['decided_per_second'], ceiling), 2)}× | {_fmt(run['web_cpu_cores'], 2)} · "
        f"{_fmt(run['postgres_cpu_cores'], 2)} · {_fmt(run['other_load_cores'], 2)} |"
    )


def _server_tables(results: dict[str, Any]) -> list[str]:
    plan = results["plan"]
    pgbench = results["ceilings"].get("pgbench", {})
    relay = results["ceilings"].get("relay", {})
    lines: list[str] = []
    for kind, runs in results["runs"].items():
        lines += [
            f"**{kind}** — bidding (accepted and decided bids/s; acknowledgement ms p50 / p95 / p99; "
            "pgbench TPS with the same clients; ratios accepted / decided; CPU cores used by the web "
            "processes · PostgreSQL · other work on the machine)",
            "",
            "| scenario | accepted/s | decided/s | ack ms | pgbench | ratio | cores |",
            "| --- | ---: | ---: | --- | ---: | ---: | --- |",
            _bid_row(
                f"hot lot, {plan['bidders']} bidders",
                runs.get("hot"),
                dig(pgbench, "hot", plan["bidders"], "tps"),
            ),
            _bid_row(
                f"hot lot, {plan['next_bidders']} bidders, next valid amount",
                runs.get("hot_next"),
                dig(pgbench, "hot", plan["next_bidders"], "tps"),
            ),
            _bid_row(
                f"hot lot, {plan['race_bidders']} racing",
                runs.get("hot_race"),
                dig(pgbench, "hot", plan["race_bidders"], "tps"),
            ),
        ]
        for count, run in runs.get("sweep", {}).items():
            lines.append(
                _bid_row(f"hot lot, {count} bidders", run, dig(pgbench, "hot", count, "tps"))
            )
        lines.append(
            _bid_row(
                f"{plan['many_lots']} lots, {plan['many_bidders']} bidders",
                runs.get("many"),
                dig(pgbench, "spread", plan["many_bidders"], "tps"),
            )
        )
        lines += [
            "",
            f"**{kind}** — fan-out (one lot; latency from the server's accept stamp to the watcher; "
            "median over repeated phases; CPU of the web processes per delivered event; memory per "
            "watcher from the growth of fresh processes' resident memory)",
            "",
            "| watchers | bids/s | delivered events/s | share | p50 / p95 / p99 ms | relay p99 ms | ratio | "
            "CPU µs/delivery | relay µs | memory/watcher | relay | errors |",
            "| ---: | ---: | ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
        ]
        for watchers, run in runs.get("fanout", {}).items():
            ceiling = relay.get(watchers)
            phase = run["phases"][len(run["phases"]) // 2]
            lines.append(
                f"| {watchers} | {phase['rate']:g} | {_fmt(phase['delivered_per_second'])} | "
                f"{_fmt(phase['delivered_share'], 3)} | {_fmt(median_phase(run, 'p50'))} / "
                f"{_fmt(median_phase(run, 'p95'))} / {_fmt(median_phase(run, 'p99'))} | "
                f"{_fmt(median_phase(ceiling, 'p99'))} | "
                f"{_fmt(ratio(median_phase(run, 'p99'), median_phase(ceiling, 'p99')), 2)}× | "
                f"{_fmt(median_phase(run, 'cpu_us_per_delivery'))} | "
                f"{_fmt(median_phase(ceiling, 'cpu_us_per_delivery'))} | "
                f"{_fmt(dig(run, 'memory', 'bytes_per_watcher'))} | "
                f"{_fmt(dig(ceiling, 'memory', 'bytes_per_watcher'))} | "
                f"{run['errors'] + run['closed']} |"
            )
        if runs.get("ramp"):
            lines += [
                "",
                f"**{kind}** — conflation ramp ({runs['ramp']['watchers']} watchers)",
                "",
                "| bids/s | delivered events/s | share | frames/s | p99 ms | relay share | relay p99 ms |",
                "| ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
            ]
            relay_phases = {p["rate"]: p for p in (relay.get("ramp") or {}).get("phases", [])}
            for phase in runs["ramp"]["phases"]:
                other = relay_phases.get(phase["rate"], {})
                lines.append(
                    f"| {phase['rate']:g} | {_fmt(phase['delivered_per_second'])} | "
                    f"{_fmt(phase['delivered_share'], 3)} | "
                    f"{_fmt(phase['frames'] / plan['ramp_duration'])} | {_fmt(phase['latency_ms']['p99'])} | "
                    f"{_fmt(other.get('delivered_share'), 3)} | {_fmt(dig(other, 'latency_ms', 'p99'))} |"
                )
        storm = runs.get("storm")
        if storm:
            lag = storm["lag_ms"]
            lines += [
                "",
                f"**{kind}** — closing storm: {storm['lots']} lots ending within {storm['spread_seconds']:g} s "
                f"({storm['extended_by_soft_close']} extended by bids in their last seconds); end → "
                f"`lot_closed` at a watcher p50 {_fmt(lag['p50'])} / p99 {_fmt(lag['p99'])} / max "
                f"{_fmt(lag['max'])} ms; {storm['within_1s']} of {storm['lots']} within 1 s; "
                f"{storm['unclosed']} left open; close recorded in the database p99 "
                f"{_fmt(storm['close_lag_in_database_ms']['p99'])} ms after the end"
                + (
                    f"; settled (deposits, assets, balances) p50 "
                    f"{_fmt(storm['settled_after_end_ms']['p50'])} / max "
                    f"{_fmt(storm['settled_after_end_ms']['max'])} ms after the end, "
                    f"{storm['unsettled']} not settled within a minute."
                    if "settled_after_end_ms" in storm
                    else "."
                ),
            ]
        catalog = runs.get("catalog")
        if catalog:
            lines += [
                "",
                f"**{kind}** — catalog of {plan['catalog_lots']:,} lots, {catalog['readers']} concurrent readers: "
                f"{_fmt(catalog['pages_per_second'])} pages/s, page time p50 {_fmt(catalog['page_ms']['p50'])} / "
                f"p99 {_fmt(catalog['page_ms']['p99'])} ms, statuses {catalog['statuses']}.",
            ]
            lines += _catalog_table(kind, plan, catalog)
        reference = runs.get("reference") or {}
        if reference:
            lines += [
                "",
                f"**{kind}** — the plain Channels pattern (a consumer per watcher, one group_send "
                "per event) under the same load",
                "",
                "| watchers | msgs/s | delivered share | p99 ms | CPU µs/delivery | memory/watcher |",
                "| ---: | ---: | ---: | ---: | ---: | ---: |",
            ]
            for watchers, run in reference.items():
                for phase in run["phases"]:
                    lines.append(
                        f"| {watchers} | {phase['rate']:g} | {_fmt(phase['delivered_share'], 3)} | "
                        f"{_fmt(phase['latency_ms']['p99'])} | {_fmt(phase['cpu_us_per_delivery'])} | "
                        f"{_fmt(dig(run, 'memory', 'bytes_per_watcher'))} |"
                    )
        lines.append("")
    return lines


def _ceiling_tables(results: dict[str, Any]) -> list[str]:
    pgbench = results["ceilings"].get("pgbench", {})
    relay = results["ceilings"].get("relay", {})
    lines = [
        f"pgbench replays the {pgbench.get('statements', '?')} statements one real `place_bid` issued "
        "(captured from the code, see raw/pgbench/), with `-T` as long as our runs:",
        "",
        "| rows | clients | TPS (median) | runs |",
        "| --- | ---: | ---: | --- |",
    ]
    for where in ("hot", "spread"):
        for clients, run in (pgbench.get(where) or {}).items():
            lines.append(
                f"| {'one hot row' if where == 'hot' else 'spread'} | {clients} | {_fmt(run['tps'])} | "
                + ", ".join(_fmt(r["tps"]) for r in run["runs"])
                + " |"
            )
    lines += [
        "",
        "Raw relay (bare `websockets`, no Django, no channel layer):",
        "",
        "| watchers | msgs/s | delivered share | p50 / p99 ms | CPU µs/delivery | memory/watcher |",
        "| ---: | ---: | ---: | --- | ---: | ---: |",
    ]
    for run in relay.values():
        for phase in run["phases"]:
            lines.append(
                f"| {run['watchers']} | {phase['rate']:g} | {_fmt(phase['delivered_share'], 3)} | "
                f"{_fmt(phase['latency_ms']['p50'])} / {_fmt(phase['latency_ms']['p99'])} | "
                f"{_fmt(phase['cpu_us_per_delivery'])} | {_fmt(dig(run, 'memory', 'bytes_per_watcher'))} |"
            )
    return lines


# --- charts ------------------------------------------------------------------------------------


def _cdf(histogram: dict[str, list[float]] | None) -> tuple[list[float], list[float]]:
    if not histogram:
        return [], []
    edges, counts = histogram["edges"], histogram["counts"]
    total = sum(counts)
    if not total:
        return [], []
    xs, ys, running = [], [], 0
    for edge, count in zip(edges, counts, strict=False):
        running += count
        xs.append(edge)
        ys.append(running / total)
    return xs, ys


def charts(results: dict[str, Any], out: Path) -> list[str]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plan = results["plan"]
    relay = results["ceilings"].get("relay", {})
    pgbench = results["ceilings"].get("pgbench", {})
    written = []

    # 1. Bid-to-watcher latency distributions.
    for watchers in [str(w) for w in plan["fanout"]]:
        figure, axis = plt.subplots(figsize=(7, 4))
        series = []
        for kind, runs in results["runs"].items():
            run = dig(runs, "fanout", watchers)
            if run:
                series.append((f"Mazad hub, {kind}", run["phases"][0].get("histogram")))
            reference = dig(runs, "reference", watchers)
            if reference:
                phase = next(
                    (p for p in reference["phases"] if p["rate"] == plan["fanout_rate"]),
                    reference["phases"][-1],
                )
                series.append((f"plain Channels, {kind}", phase.get("histogram")))
        if relay.get(watchers):
            series.append(("raw relay", relay[watchers]["phases"][0].get("histogram")))
        for label, histogram in series:
            xs, ys = _cdf(histogram)
            if xs:
                axis.plot(xs, ys, label=label)
        axis.set_xscale("log")
        axis.set_xlabel("accept → watcher latency (ms, log scale)")
        axis.set_ylabel("share of deliveries")
        axis.set_title(f"Fan-out latency, {watchers} watchers")
        axis.grid(True, alpha=0.3)
        axis.legend(fontsize=8)
        name = f"fanout-latency-{watchers}.png"
        figure.tight_layout()
        figure.savefig(out / name, dpi=100)
        plt.close(figure)
        written.append(name)

    # 2. Bid acknowledgement latency distributions.
    figure, axis = plt.subplots(figsize=(7, 4))
    for kind, runs in results["runs"].items():
        for key, label in (
            ("hot_next", f"{plan['next_bidders']} next"),
            ("hot_race", f"{plan['race_bidders']} racing"),
            ("many", f"{plan['many_lots']} lots"),
        ):
            run = dig(runs, key, "runs", 0)
            xs, ys = _cdf(run.get("histogram_ms") if run else None)
            if xs:
                axis.plot(xs, ys, label=f"{kind}, {label}")
    axis.set_xscale("log")
    axis.set_xlabel("bid → acknowledgement (ms, log scale)")
    axis.set_ylabel("share of bids")
    axis.set_title("Bid round trip")
    axis.grid(True, alpha=0.3)
    axis.legend(fontsize=8)
    figure.tight_layout()
    figure.savefig(out / "bid-latency.png", dpi=100)
    plt.close(figure)
    written.append("bid-latency.png")

    # 3. Throughput against clients, beside pgbench.
    figure, axis = plt.subplots(figsize=(7, 4))
    hot = pgbench.get("hot") or {}
    clients = sorted(int(c) for c in hot)
    axis.plot(
        clients, [hot[str(c)]["tps"] for c in clients], "k--o", label="pgbench, same transaction"
    )
    for kind, runs in results["runs"].items():
        points = {
            plan["bidders"]: dig(runs, "hot", "accepted_per_second"),
            plan["next_bidders"]: dig(runs, "hot_next", "accepted_per_second"),
        }
        for count, run in (runs.get("sweep") or {}).items():
            points[int(count)] = run["accepted_per_second"]
        xs = sorted(c for c, v in points.items() if v is not None)
        axis.plot(xs, [points[x] for x in xs], "-o", label=f"Mazad {kind}, accepted bids/s")
        race = dig(runs, "hot_race", "decided_per_second")
        if race is not None:
            axis.plot(
                [plan["race_bidders"]], [race], "s", label=f"Mazad {kind}, decided bids/s (racing)"
            )
    axis.set_xscale("symlog", linthresh=1)
    axis.set_xlabel("clients (bidders / pgbench connections) on one lot")
    axis.set_ylabel("per second")
    axis.set_title("Hot lot: throughput against clients")
    axis.grid(True, alpha=0.3)
    axis.legend(fontsize=8)
    figure.tight_layout()
    figure.savefig(out / "throughput-vs-clients.png", dpi=100)
    plt.close(figure)
    written.append("throughput-vs-clients.png")

    # 4. The conflation ramp.
    figure, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    ramps = [(f"Mazad {kind}", runs.get("ramp")) for kind, runs in results["runs"].items()]
    ramps.append(("raw relay", relay.get("ramp")))
    for label, ramp in ramps:
        if not ramp:
            continue
        rates = [p["rate"] for p in ramp["phases"]]
        left.plot(
            rates,
            [p["delivered_per_second"] / max(1, ramp["watchers"]) for p in ramp["phases"]],
            "-o",
            label=label,
        )
        right.plot(
            rates,
            [p["latency_ms"]["p99"] or float("nan") for p in ramp["phases"]],
            "-o",
            label=label,
        )
    for axis, title in (
        (left, "events delivered per watcher per second"),
        (right, "p99 latency (ms)"),
    ):
        axis.set_xscale("log")
        axis.set_xlabel("offered events/s")
        axis.set_title(title)
        axis.grid(True, alpha=0.3)
        axis.legend(fontsize=8)
    right.set_yscale("log")
    figure.tight_layout()
    figure.savefig(out / "conflation-ramp.png", dpi=100)
    plt.close(figure)
    written.append("conflation-ramp.png")

    # 5. The closing storm.
    figure, axis = plt.subplots(figsize=(7, 4))
    for kind, runs in results["runs"].items():
        xs, ys = _cdf(dig(runs, "storm", "histogram"))
        if xs:
            axis.plot(xs, ys, label=kind)
    axis.axvline(1000, color="red", linestyle=":", label="target 1 s")
    axis.set_xscale("log")
    axis.set_xlabel("lot end → lot_closed at a watcher (ms, log scale)")
    axis.set_ylabel("share of lots")
    axis.set_title("Closing storm")
    axis.grid(True, alpha=0.3)
    axis.legend(fontsize=8)
    figure.tight_layout()
    figure.savefig(out / "closing-storm.png", dpi=100)
    plt.close(figure)
    written.append("closing-storm.png")
    return written


def estimate_shares(results: dict[str, Any]) -> None:
    """Fill the delivered share of phases recorded without the publisher's count in the window.

    Runs before the relay's publisher counted what it sent in each window have
    no share; the publisher keeps its fixed rate (late slots are sent, never
    skipped), so the share is estimated as delivered / (rate × watchers).
    """

    def fill(fanout: Any) -> None:
        if not isinstance(fanout, dict) or "phases" not in fanout:
            return
        for phase in fanout["phases"]:
            if phase.get("delivered_share") is None and phase.get("rate"):
                expected = float(phase["rate"]) * max(1, int(fanout.get("watchers", 1)))
                phase["delivered_share"] = round(
                    min(1.0, phase["delivered_per_second"] / expected), 4
                )
                phase["delivered_share_estimated"] = True

    for fanout in (results["ceilings"].get("relay") or {}).values():
        fill(fanout)
    for runs in results["runs"].values():
        for fanout in (runs.get("reference") or {}).values():
            fill(fanout)


def write(results: dict[str, Any], out: Path, *, update_readme: bool | None = None) -> None:
    out.mkdir(parents=True, exist_ok=True)
    estimate_shares(results)
    results["summary"] = summary(results)
    results["charts"] = charts(results, out)
    (out / "results.json").write_text(json.dumps(results, indent=1, default=str) + "\n")
    text = markdown(results)
    text += "\n" + "\n".join(f"![{name}]({name})" for name in results["charts"]) + "\n"
    (out / "results.md").write_text(text)
    if update_readme is None:
        update_readme = (
            out.resolve() == (README.parent / "results").resolve() and not results["plan"]["quick"]
        )
    if update_readme and README.exists():
        readme = README.read_text()
        if START in readme and END in readme:
            head, rest = readme.split(START, 1)
            _, tail = rest.split(END, 1)
            body = text.replace("](", "](results/")
            README.write_text(f"{head}{START}\n{body}{END}{tail}")


if __name__ == "__main__":
    directory = Path(sys.argv[1] if len(sys.argv) > 1 else README.parent / "results")
    write(json.loads((directory / "results.json").read_text()), directory)
