"""The live panel's cost of winning is computed by the invoice's rule, to the minor unit.

format.js's `owedAt` (which lot.js shows) is run under Node on many amounts and rates,
edge cases of the half-up rounding among them, and compared with aftersale.engine.breakdown,
which the buyer's invoice uses.
"""

from __future__ import annotations

import json
import random
import shutil
import subprocess
from pathlib import Path

import pytest

from aftersale.engine import breakdown, round_half_up_percent
from core.money import Money

FORMAT_JS = (
    Path(__file__).resolve().parents[2] / "frontend" / "static" / "frontend" / "js" / "format.js"
)

SCRIPT = """
const { owedAt, percentHalfUp } = await import(process.argv[1]);
let input = "";
for await (const chunk of process.stdin) input += chunk;
const out = JSON.parse(input).map(([price, premiumBp, vatBp, vatOnPrice]) =>
  [owedAt(price, { premiumBp, vatBp, vatOnPrice }), percentHalfUp(price, premiumBp)]);
process.stdout.write(JSON.stringify(out));
"""


def cases() -> list[tuple[int, int, int, bool]]:
    rng = random.Random(20261206)
    found: list[tuple[int, int, int, bool]] = []
    rates = [0, 1, 50, 125, 250, 333, 500, 1_000, 1_500, 2_500, 9_999, 10_000]
    for premium in rates:
        for vat in (0, 500, 1_500, 1_000):
            for on_price in (False, True):
                # Amounts whose premium falls exactly on a half: 2 × 10000 / gcd-style probes.
                for price in (1, 2, 3, 20, 40, 200, 5_000, 19_999, 20_000, 20_001, 60_000):
                    found.append((price, premium, vat, on_price))
    for _ in range(20_000):
        price = rng.choice(
            [rng.randint(1, 10_000), rng.randint(1, 10**9), rng.randint(10**9, 10**13)]
        )
        found.append((price, rng.randint(0, 10_000), rng.randint(0, 10_000), rng.random() < 0.5))
    return found


@pytest.mark.skipif(shutil.which("node") is None, reason="needs Node (make test installs it)")
def test_the_panel_computes_premium_vat_and_total_exactly_as_the_invoice():
    inputs = cases()
    completed = subprocess.run(
        ["node", "--input-type=module", "-e", SCRIPT, FORMAT_JS.as_uri()],
        input=json.dumps(inputs),
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    results = json.loads(completed.stdout)

    assert len(results) == len(inputs)
    mismatches = []
    for (price, premium_bp, vat_bp, on_price), (owed, premium_only) in zip(
        inputs, results, strict=True
    ):
        rules = {
            "premium_bp": premium_bp,
            "vat_bp": vat_bp,
            "vat_base": "PRICE_AND_PREMIUM" if on_price else "PREMIUM",
        }
        invoice = breakdown(price=Money(price, "SAR"), deposit=Money(0, "SAR"), rules=rules)
        expected = {
            "premium": invoice.premium.amount_minor,
            "vat": invoice.vat.amount_minor,
            "total": invoice.total.amount_minor,
        }
        if owed != expected or premium_only != round_half_up_percent(price, premium_bp):
            mismatches.append((price, premium_bp, vat_bp, on_price, owed, expected))
    assert mismatches == []


def test_the_half_up_rule_differs_from_rounding_up_where_the_panel_was_wrong():
    """2.5 % of 20,001 halalas is 500.025: the invoice says 500, the old panel said 501."""
    assert round_half_up_percent(20_001, 250) == 500
    assert round_half_up_percent(20_020, 250) == 501  # 500.5 rounds up
