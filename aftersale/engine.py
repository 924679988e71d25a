"""Pure rules after the hammer: what the buyer owes, and the distribution waterfall. No I/O.

Every amount is an integer in minor units. Rounding is named where it
happens: the buyer's premium and VAT round half up to the minor unit; shares
of one step are split by largest remainder, weighted by what each payee is
still owed, so that nobody ever receives more than they are owed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from core.money import Money

PREMIUM_BASE = "PREMIUM"
PRICE_AND_PREMIUM_BASE = "PRICE_AND_PREMIUM"


def round_half_up_percent(amount_minor: int, basis_points: int) -> int:
    """`basis_points`/10000 of a non-negative amount, rounded half up to a minor unit."""
    if amount_minor < 0 or basis_points < 0:
        raise ValueError("amounts and rates are not negative here")
    return (amount_minor * basis_points + 5_000) // 10_000


@dataclass(frozen=True)
class Breakdown:
    """What a buyer pays: price + premium + VAT − deposit = balance."""

    price: Money
    premium: Money
    vat: Money
    deposit: Money

    @property
    def total(self) -> Money:
        return self.price + self.premium + self.vat

    @property
    def balance(self) -> Money:
        return self.total - self.deposit


def breakdown(*, price: Money, deposit: Money, rules: dict[str, Any]) -> Breakdown:
    """The balance due under an auction's snapshotted rules (premium_bp, vat_bp, vat_base).

    A deposit larger than the total is applied only up to the total (the rest
    is the buyer's, refunded); the balance is then zero. Raises ValueError
    when the currencies differ.
    """
    premium = Money(
        round_half_up_percent(price.amount_minor, int(rules["premium_bp"])), price.currency
    )
    base = premium if rules.get("vat_base", PREMIUM_BASE) == PREMIUM_BASE else price + premium
    vat = Money(round_half_up_percent(base.amount_minor, int(rules["vat_bp"])), price.currency)
    total = price + premium + vat
    return Breakdown(price=price, premium=premium, vat=vat, deposit=min(deposit, total))


# -- the waterfall ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Received:
    """One amount in custody: a sale (with its premium and VAT) or other money for the file."""

    key: str
    amount: int
    premium: int = 0
    vat: int = 0
    asset: str | None = None  # the asset sold, whose secured creditors it pays first


@dataclass(frozen=True)
class Claimant:
    """A payee of a step: an applicant or debtor with a share, or a secured creditor.

    `costs_owed` and `claim_owed` are what the applicant is still owed of the
    file's costs and claim; `owed` is what a secured creditor is still owed.
    """

    key: str
    share: int = 1
    costs_owed: int = 0
    claim_owed: int = 0
    owed: int = 0
    asset: str | None = None
    rank: int = 0


@dataclass(frozen=True)
class Part:
    step: str  # FEES, VAT, COSTS, SECURED, CLAIM, SURPLUS
    payee: str  # "court" or the claimant's key
    amount: int
    owed: int | None = None
    source: str | None = None  # the custody item it came from (secured creditors only)


@dataclass
class Waterfall:
    total: int
    parts: list[Part] = field(default_factory=list)

    def add(self, part: Part) -> None:
        if part.amount > 0:
            self.parts.append(part)

    def by_step(self, step: str) -> int:
        return sum(p.amount for p in self.parts if p.step == step)

    def to(self, payee: str) -> int:
        return sum(p.amount for p in self.parts if p.payee == payee)


def split(amount: int, weights: Sequence[int]) -> list[int]:
    """Split `amount` by largest remainder over non-negative `weights`; all zero gives zeros."""
    if amount == 0 or not any(weights):
        return [0] * len(weights)
    return [part.amount_minor for part in Money(amount, "XXX").allocate(list(weights))]


def pay_owed(remaining: int, owed: Sequence[int]) -> list[int]:
    """Pay up to what each is owed, in proportion to it; never above anyone's own amount."""
    return split(min(remaining, sum(owed)), owed)


def waterfall(
    *,
    received: Sequence[Received],
    applicants: Sequence[Claimant],
    creditors: Sequence[Claimant],
    debtors: Sequence[Claimant],
) -> Waterfall:
    """Distribute the custody of a file in the order of the law, exactly to the minor unit.

    1. the buyer's premium to the court's fees, VAT to the tax account;
    2. the file's enforcement costs, to the applicants who advanced them;
    3. secured creditors of each sold asset by rank, up to what they are owed,
       from that asset's proceeds only;
    4. the applicants' claim, up to what each is still owed;
    5. what is left, to the debtors by their shares.

    The parts sum exactly to the total received. Raises ValueError when
    something is left for the debtor but the file names none.
    """
    result = Waterfall(total=sum(item.amount for item in received))
    left = {item.key: item.amount for item in received}
    for item in received:
        fees, vat = min(item.premium, left[item.key]), 0
        left[item.key] -= fees
        vat = min(item.vat, left[item.key])
        left[item.key] -= vat
        result.add(Part("FEES", "court", fees, source=item.key))
        result.add(Part("VAT", "court", vat, source=item.key))
    _costs(result, left, applicants)
    _secured(result, left, received, creditors)
    pool = sum(left.values())
    claims = pay_owed(pool, [a.claim_owed for a in applicants])
    for applicant, amount in zip(applicants, claims, strict=True):
        result.add(Part("CLAIM", applicant.key, amount, owed=applicant.claim_owed))
    pool -= sum(claims)
    if pool:
        if not debtors:
            raise ValueError("a surplus is left but the file names no debtor")
        for debtor, amount in zip(debtors, split(pool, [d.share for d in debtors]), strict=True):
            result.add(Part("SURPLUS", debtor.key, amount))
    assert sum(p.amount for p in result.parts) == result.total
    return result


def _take(left: dict[str, int], amount: int, keys: Sequence[str]) -> None:
    """Take `amount` from the custody items `keys`, in order."""
    for key in keys:
        taken = min(left[key], amount)
        left[key] -= taken
        amount -= taken
    assert amount == 0


def _costs(result: Waterfall, left: dict[str, int], applicants: Sequence[Claimant]) -> None:
    pool = sum(left.values())
    costs = pay_owed(pool, [a.costs_owed for a in applicants])
    for applicant, amount in zip(applicants, costs, strict=True):
        result.add(Part("COSTS", applicant.key, amount, owed=applicant.costs_owed))
    _take(left, sum(costs), list(left))


def _secured(
    result: Waterfall,
    left: dict[str, int],
    received: Sequence[Received],
    creditors: Sequence[Claimant],
) -> None:
    owed = {creditor.key: creditor.owed for creditor in creditors}
    for item in received:
        if item.asset is None:
            continue
        ranked = sorted(
            (c for c in creditors if c.asset == item.asset), key=lambda c: (c.rank, c.key)
        )
        for creditor in ranked:
            amount = min(left[item.key], owed[creditor.key])
            result.add(
                Part("SECURED", creditor.key, amount, owed=owed[creditor.key], source=item.key)
            )
            owed[creditor.key] -= amount
            left[item.key] -= amount
