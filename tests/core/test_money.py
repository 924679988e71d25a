"""Money: integer minor units with the currency's exponent; parsing, formatting, Stripe's rules."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from core.forms import parse_money as parse
from core.money import (
    CARD_MAXIMUM_MINOR,
    Money,
    UnpayableByCard,
    card_payable,
    exponent,
    from_stripe_amount,
    stripe_amount,
)

CURRENCIES = ["SAR", "AED", "USD", "KWD", "BHD", "OMR", "JOD", "VND", "JPY", "ISK", "UGX", "EUR"]


@pytest.mark.parametrize(
    ("currency", "places"),
    [
        ("SAR", 2),
        ("AED", 2),
        ("USD", 2),
        ("KWD", 3),
        ("BHD", 3),
        ("OMR", 3),
        ("JOD", 3),
        ("VND", 0),
        ("JPY", 0),
    ],
)
def test_exponents_come_from_iso_4217(currency, places):
    assert exponent(currency) == places


def test_an_unknown_currency_is_refused():
    with pytest.raises(ValueError, match="unknown currency"):
        Money(1, "XYZ")


@pytest.mark.parametrize("amount", [1.5, 2.0, True, "100"])
def test_amounts_are_integers_never_floats_or_strings(amount):
    with pytest.raises(TypeError):
        Money(amount, "SAR")


@pytest.mark.parametrize(
    ("text", "currency", "minor"),
    [
        ("1,250.500", "KWD", 1_250_500),
        ("1250.5", "KWD", 1_250_500),
        ("١٢٥٠٫٥", "KWD", 1_250_500),
        ("0.01", "SAR", 1),
        ("150000", "VND", 150_000),
        ("12", "SAR", 1200),
    ],
)
def test_parsing_what_people_type(text, currency, minor):
    assert parse(text, currency) == Money(minor, currency)


@pytest.mark.parametrize(
    ("text", "currency", "code"),
    [
        ("1.2345", "KWD", "amount_decimals"),
        ("0.001", "SAR", "amount_decimals"),
        ("1.5", "VND", "amount_decimals"),
        ("-5", "SAR", "amount_format"),
        ("1e5", "SAR", "amount_format"),
        ("abc", "SAR", "amount_format"),
        ("", "SAR", "amount_format"),
        ("NaN", "SAR", "amount_format"),
        ("9" * 30, "SAR", "amount_too_large"),
    ],
)
def test_parsing_refuses_bad_input_with_a_named_rule(text, currency, code):
    with pytest.raises(ValidationError) as raised:
        parse(text, currency)

    assert raised.value.code == code


def test_too_many_decimals_is_explained_in_arabic():
    with translation.override("ar"), pytest.raises(ValidationError) as raised:
        parse("1.2345", "KWD")
    with translation.override("ar"):
        message = raised.value.messages[0]

    assert "3" in message
    assert "KWD" in message
    assert "الكسور" in message or "منازل" in message


def test_formatting_in_english_and_arabic_keeps_the_currencys_decimals():
    kwd = Money(1_234_500, "KWD")

    assert kwd.format("en") == "KWD\xa01,234.500"
    assert "1,234.500" in kwd.format("ar")
    assert "د.ك" in kwd.format("ar")
    assert Money(150_000, "VND").format("en") == "VND\xa0150,000"
    assert Money(123_450, "SAR").format("en") == "SAR\xa01,234.50"


def test_three_decimal_card_amounts_must_end_in_zero_for_stripe():
    assert stripe_amount(Money(1_234_560, "KWD")) == 1_234_560
    with pytest.raises(UnpayableByCard):
        stripe_amount(Money(1_234_567, "KWD"))
    assert stripe_amount(Money(1_234_567, "KWD"), for_card=False) == 1_234_567
    assert card_payable(Money(1_234_561, "KWD")) == Money(1_234_570, "KWD")
    assert card_payable(Money(1_234_560, "KWD")) == Money(1_234_560, "KWD")


def test_amounts_above_the_card_maximum_cannot_go_to_a_card():
    with pytest.raises(UnpayableByCard):
        stripe_amount(Money(CARD_MAXIMUM_MINOR + 1, "SAR"))


def test_isk_and_ugx_travel_to_stripe_with_two_decimals():
    assert stripe_amount(Money(500, "ISK")) == 50_000
    assert from_stripe_amount(50_000, "isk") == Money(500, "ISK")


@given(st.sampled_from(CURRENCIES), st.integers(min_value=0, max_value=CARD_MAXIMUM_MINOR // 100))
def test_stripe_amounts_round_trip_exactly(currency, minor):
    money = Money(minor * 10, currency)

    assert from_stripe_amount(stripe_amount(money, for_card=False), currency) == money


@given(st.sampled_from(CURRENCIES), st.integers(min_value=0, max_value=10**12))
def test_parsing_the_decimal_text_of_an_amount_gives_it_back(currency, minor):
    money = Money(minor, currency)

    assert parse(str(money.to_decimal()), currency) == money


@given(
    st.integers(min_value=0, max_value=10**12),
    st.lists(st.integers(min_value=0, max_value=1000), min_size=1, max_size=8).filter(
        lambda w: sum(w) > 0
    ),
)
def test_allocation_parts_sum_exactly_and_differ_by_at_most_one_from_the_exact_share(
    minor, weights
):
    parts = Money(minor, "KWD").allocate(weights)

    assert sum(p.amount_minor for p in parts) == minor
    for part, weight in zip(parts, weights, strict=True):
        exact_numerator = minor * weight
        assert abs(part.amount_minor * sum(weights) - exact_numerator) < sum(weights)


def test_money_of_different_currencies_does_not_mix():
    with pytest.raises(ValueError, match="cannot combine"):
        Money(1, "SAR") + Money(1, "KWD")


def test_percent_rounds_in_the_named_direction():
    assert Money(1001, "SAR").percent(1000, rounding="up") == Money(101, "SAR")
    assert Money(1001, "SAR").percent(1000, rounding="down") == Money(100, "SAR")
