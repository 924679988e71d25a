"""Money: an integer amount in the currency's minor unit plus its ISO 4217 code. No floats.

The exponent of each currency comes from one table, py-moneyed's ISO 4217 data
(SAR, AED, USD 2; KWD, BHD, OMR, JOD 3; VND, JPY 0). Stripe's own rules for
amounts (three-decimal currencies must end in 0 for cards; ISK and UGX are sent
with two decimals) live in `stripe_amount` and nowhere else.

Pure: no Django here, so the pure engines may compute with Money. Reading what a person typed
(`core.forms.parse_money`) raises form errors and lives with the forms; the reader's language
for `Money.format()` is Django's active one once core's app is ready (`use_reader_language`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from babel.numbers import format_currency
from moneyed import CurrencyDoesNotExist, get_currency

# Stripe accepts at most 8 digits in minor units for a card payment by default.
CARD_MAXIMUM_MINOR = 99_999_999
# Currencies Stripe expects with two decimals although ISO gives them none.
STRIPE_TWO_DECIMAL_OVERRIDES = frozenset({"ISK", "UGX"})
MAX_DIGITS = 18  # fits a PostgreSQL bigint with room to spare


def _no_language() -> str | None:
    return None


_reader_language: Callable[[], str | None] = _no_language


def use_reader_language(source: Callable[[], str | None]) -> None:
    """Where `Money.format()` learns the reader's language when its caller names none
    (core/apps.py passes Django's `get_language`); Arabic until then."""
    global _reader_language
    _reader_language = source


def exponent(currency: str) -> int:
    """The number of decimals of `currency` (ISO 4217). Raises ValueError when unknown."""
    try:
        sub_unit = get_currency(currency).sub_unit
    except CurrencyDoesNotExist as error:
        raise ValueError(f"unknown currency {currency!r}") from error
    return len(str(sub_unit)) - 1


@dataclass(frozen=True, slots=True, order=False)
class Money:
    amount_minor: int
    currency: str

    def __post_init__(self) -> None:
        if type(self.amount_minor) is not int:
            raise TypeError("amount_minor must be an int (minor units), never a float or Decimal")
        if len(str(abs(self.amount_minor))) > MAX_DIGITS:
            raise ValueError("amount too large")
        exponent(self.currency)  # validates the code

    @classmethod
    def zero(cls, currency: str) -> Money:
        return cls(0, currency)

    @property
    def exponent(self) -> int:
        return exponent(self.currency)

    def to_decimal(self) -> Decimal:
        return Decimal(self.amount_minor).scaleb(-self.exponent)

    def _check(self, other: Money) -> None:
        if not isinstance(other, Money):
            raise TypeError("only Money can be combined with Money")
        if other.currency != self.currency:
            raise ValueError(f"cannot combine {self.currency} with {other.currency}")

    def __add__(self, other: Money) -> Money:
        self._check(other)
        return Money(self.amount_minor + other.amount_minor, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._check(other)
        return Money(self.amount_minor - other.amount_minor, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.amount_minor, self.currency)

    def __lt__(self, other: Money) -> bool:
        self._check(other)
        return self.amount_minor < other.amount_minor

    def __le__(self, other: Money) -> bool:
        self._check(other)
        return self.amount_minor <= other.amount_minor

    def __gt__(self, other: Money) -> bool:
        self._check(other)
        return self.amount_minor > other.amount_minor

    def __ge__(self, other: Money) -> bool:
        self._check(other)
        return self.amount_minor >= other.amount_minor

    def percent(self, basis_points: int, *, rounding: str = "up") -> Money:
        """`basis_points`/10000 of this amount, rounded up or down to a whole minor unit."""
        if rounding not in ("up", "down"):
            raise ValueError("rounding is 'up' or 'down'")
        numerator = self.amount_minor * basis_points
        quotient = -(-numerator // 10_000) if rounding == "up" else numerator // 10_000
        return Money(quotient, self.currency)

    def allocate(self, weights: list[int]) -> list[Money]:
        """Split into parts proportional to `weights` by largest remainder; parts sum exactly."""
        if not weights or any(w < 0 for w in weights) or sum(weights) == 0:
            raise ValueError("weights must be non-negative with a positive sum")
        total = sum(weights)
        shares = [self.amount_minor * w // total for w in weights]
        remainders = [self.amount_minor * w % total for w in weights]
        leftover = self.amount_minor - sum(shares)
        for index in sorted(range(len(weights)), key=lambda i: (-remainders[i], i))[:leftover]:
            shares[index] += 1
        return [Money(share, self.currency) for share in shares]

    def format(self, locale: str | None = None) -> str:
        """Locale-aware text with the currency's own decimals, e.g. "KWD 1,234.500"."""
        language = locale or _reader_language() or "ar"
        if language.startswith("ar"):
            return str(
                format_currency(self.to_decimal(), self.currency, locale="ar", currency_digits=True)
            )
        return str(
            format_currency(
                self.to_decimal(),
                self.currency,
                format="¤¤\xa0#,##0.00",
                locale="en",
                currency_digits=True,
            )
        )

    def as_json(self) -> dict[str, Any]:
        """The shape sent to browsers: integers and a code, never a float."""
        return {"amount_minor": self.amount_minor, "currency": self.currency}

    def __str__(self) -> str:
        return f"{self.to_decimal()} {self.currency}"


class UnpayableByCard(ValueError):
    """The amount cannot be charged to a card through the payment API."""


def stripe_amount(money: Money, *, for_card: bool = True) -> int:
    """The integer Stripe's API expects for `money`.

    Three-decimal currencies are sent in minor units but must end in 0 for
    card payments; ISK and UGX are sent with two decimals. Raises
    UnpayableByCard when a card cannot carry the amount.
    """
    amount = money.amount_minor
    if money.currency in STRIPE_TWO_DECIMAL_OVERRIDES:
        amount *= 100
    if for_card and money.exponent == 3 and amount % 10:
        raise UnpayableByCard(f"{money}: three-decimal card amounts must end in 0")
    if for_card and amount > CARD_MAXIMUM_MINOR:
        raise UnpayableByCard(f"{money}: above the card maximum")
    return amount


def from_stripe_amount(amount: int, currency: str) -> Money:
    """Inverse of `stripe_amount` for amounts Stripe reports back."""
    code = currency.upper()
    if code in STRIPE_TWO_DECIMAL_OVERRIDES:
        if amount % 100:
            raise ValueError(f"{code} amounts from Stripe must be whole units")
        amount //= 100
    return Money(amount, code)


def card_payable(money: Money) -> Money:
    """The smallest amount ≥ `money` a card can carry (three-decimal currencies end in 0)."""
    if money.exponent == 3 and money.amount_minor % 10:
        return Money((money.amount_minor // 10 + 1) * 10, money.currency)
    return money
