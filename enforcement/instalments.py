"""Pure rules of instalment plans and of letter follow-ups: schedules, checks, steps. No I/O.

A plan is a first payment then `count` equal monthly instalments of what is left; amounts are
integer minor units, split by largest remainder so they always add up to the total exactly.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any


@dataclass(frozen=True)
class PlanTerms:
    """What a person types: the total, the first payment and when, and how many instalments."""

    total_minor: int
    first_minor: int
    first_due_on: date
    count: int


@dataclass(frozen=True)
class Limits:
    """What the court allows and what the file owes, on the day the plan is made."""

    owed_minor: int
    today: date
    max_instalments: int
    max_first_due_days: int


@dataclass(frozen=True)
class ScheduledPayment:
    number: int
    due_on: date
    amount_minor: int


class PlanRefused(ValueError):
    """A plan broke a rule: `code` names the rule, `field` the input, `params` the figures."""

    def __init__(self, code: str, field: str, **params: Any) -> None:
        super().__init__(code)
        self.code = code
        self.field = field
        self.params = params


@dataclass(frozen=True)
class Plan:
    terms: PlanTerms
    payments: tuple[ScheduledPayment, ...] = field(default_factory=tuple)

    @property
    def total_minor(self) -> int:
        return sum(payment.amount_minor for payment in self.payments)


def add_months(day: date, months: int) -> date:
    """The same day `months` later, or the month's last day when it is shorter (31 Jan → 28 Feb)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def split(amount_minor: int, parts: int) -> list[int]:
    """`amount_minor` in `parts` whole minor units differing by at most one, larger ones first."""
    base, remainder = divmod(amount_minor, parts)
    return [base + (1 if index < remainder else 0) for index in range(parts)]


def check_terms(terms: PlanTerms, limits: Limits) -> None:
    """Raise PlanRefused naming the first broken rule (field by field, in the form's order)."""
    if limits.owed_minor <= 0:
        raise PlanRefused("nothing_owed", "total")
    if terms.total_minor < limits.owed_minor:
        raise PlanRefused("total_below_owed", "total", owed_minor=limits.owed_minor)
    if terms.first_minor <= 0:
        raise PlanRefused("amount_positive", "first_amount")
    if terms.first_due_on < limits.today:
        raise PlanRefused("date_past", "first_due_on")
    if terms.first_due_on > limits.today + timedelta(days=limits.max_first_due_days):
        raise PlanRefused("first_due_too_late", "first_due_on", days=limits.max_first_due_days)
    if terms.count < 0 or terms.count > limits.max_instalments:
        raise PlanRefused("instalment_count", "count", maximum=limits.max_instalments)
    rest = terms.total_minor - terms.first_minor
    if terms.count == 0 and rest != 0:
        raise PlanRefused("first_is_not_total", "first_amount")
    if terms.count > 0 and rest < terms.count:
        raise PlanRefused("first_leaves_too_little", "first_amount")


def build_plan(terms: PlanTerms, limits: Limits) -> Plan:
    """The schedule of valid `terms`: the first payment, then monthly instalments of the rest."""
    check_terms(terms, limits)
    payments = [ScheduledPayment(1, terms.first_due_on, terms.first_minor)]
    if terms.count:
        amounts = split(terms.total_minor - terms.first_minor, terms.count)
        for index, amount in enumerate(amounts, start=1):
            payments.append(
                ScheduledPayment(index + 1, add_months(terms.first_due_on, index), amount)
            )
    return Plan(terms=terms, payments=tuple(payments))


def follow_up_steps_due(*, due_on: date, today: date, interval_days: int, reminders: int) -> int:
    """How many follow-up steps of an unanswered letter are due by `today`.

    Reminder 1 is due the day after the letter's due date, each further one `interval_days`
    later; after `reminders` reminders the next step (reminders + 1) is the escalation.
    """
    if today <= due_on:
        return 0
    days_overdue = (today - due_on).days
    return min(reminders + 1, 1 + (days_overdue - 1) // interval_days)
