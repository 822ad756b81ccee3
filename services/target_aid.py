"""Target aid (T1) for a unit and a metric: history, trend, peer standing, a suggestion.

Reads the KPI tables at the edges of the history periods (one read per edge, so 9
for 8 quarters) and hands the figures to :func:`algorithms.target_aid.suggest`.
Peers are the units of the same level (every RM; the branches at the same depth),
bank-wide, as in the scorecards.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Final

from algorithms.kpis import KpiTable
from algorithms.target_aid import Suggestion, previous_periods, suggest
from core.errors import InputValidationError
from core.kpis import (
    CUMULATIVE_METRICS,
    LOWER_IS_BETTER,
    MetricDefinition,
    Period,
    metric,
    parse_period,
)
from core.messages import Param
from core.money import Money
from graph.database import Database

from .kpis import KpiUnit, kpi_tables, kpi_units
from .scorecards import unit_levels

#: Periods of history the aid shows (two years of quarters), as the plan asks.
HISTORY_PERIODS: Final = 8


@dataclass(frozen=True)
class PeriodFigure:
    """One history period and the unit's figure in it (``None``: a mean of nothing)."""

    period: Period
    value: Fraction | None


@dataclass(frozen=True)
class TargetAid:
    """The aid for one unit, metric and category before a target period."""

    unit: KpiUnit
    definition: MetricDefinition
    category: str | None
    period: Period
    history: tuple[PeriodFigure, ...]
    suggestion: Suggestion


def _figure(
    definition: MetricDefinition,
    end: KpiTable,
    before: KpiTable,
    key: tuple[str, str],
    category: str | None,
) -> Fraction | None:
    now = end.value(*key, definition.code, category)
    if definition.code in CUMULATIVE_METRICS:
        return Fraction(now.numerator - before.value(*key, definition.code, category).numerator)
    if definition.unit in ("money", "count"):
        return Fraction(now.numerator)
    return None if now.denominator == 0 else Fraction(now.numerator, now.denominator)


def to_display(definition: MetricDefinition, value: Fraction) -> Decimal:
    """A figure in the unit people read: yuan, a count, a ratio, % or hours (4 places)."""
    if definition.unit == "money":
        value = value / 100
    elif definition.unit == "share":
        value = value * 100
    elif definition.unit == "hours":
        value = value / 3600
    exact = Decimal(value.numerator) / Decimal(value.denominator)
    places = Decimal("0.01") if definition.unit == "money" else Decimal("0.0001")
    return exact.quantize(places, ROUND_HALF_UP)


def _shown(definition: MetricDefinition) -> Callable[[Fraction], Param]:
    def show(value: Fraction) -> Param:
        if definition.unit == "money":
            fen = (Decimal(value.numerator) / Decimal(value.denominator)).quantize(
                Decimal(1), ROUND_HALF_UP
            )
            return Money(int(fen), "CNY")
        return format(to_display(definition, value).normalize(), "f")

    return show


def target_aid(
    db: Database,
    unit: KpiUnit,
    metric_code: str,
    category: str | None,
    period_code: str,
) -> TargetAid:
    """History, trend, peer percentile and a suggested target for ``unit``.

    Raises
    ------
    InputValidationError
        An unknown metric, a category on a metric without categories, a bad period.
    """
    definition = metric(metric_code)
    if category is not None and definition.dimension is None:
        raise InputValidationError(f"{definition.code} has no categories")
    period = parse_period(period_code)
    history = previous_periods(period, HISTORY_PERIODS)
    edges = [history[0].start - timedelta(days=1), *(p.end for p in history)]
    tables = kpi_tables(db, edges)
    key = (unit.scope_type, unit.scope_id)
    figures = tuple(
        PeriodFigure(
            p,
            _figure(definition, tables[p.end], tables[p.start - timedelta(days=1)], key, category),
        )
        for p in history
    )
    units = kpi_units(db)
    levels = unit_levels(units)
    last = history[-1]
    peers: dict[str, Fraction] = {}
    for other in units:
        other_key = (other.scope_type, other.scope_id)
        if other.scope_type != unit.scope_type or levels[other_key] != levels[key]:
            continue
        value = _figure(
            definition,
            tables[last.end],
            tables[last.start - timedelta(days=1)],
            other_key,
            category,
        )
        if value is not None:
            peers[other.key] = value
    suggestion = suggest(
        [f.value for f in figures],
        peers,
        unit.key,
        higher_is_better=definition.code not in LOWER_IS_BETTER,
        show=_shown(definition),
    )
    return TargetAid(unit, definition, category, period, figures, suggestion)


def default_period(today: date) -> str:
    """The quarter ``today`` falls in: the one a target is usually being set for.

    Examples
    --------
    >>> default_period(date(2026, 5, 2))
    '2026-Q2'
    """
    return f"{today.year}-Q{(today.month - 1) // 3 + 1}"
