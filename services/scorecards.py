"""RM and branch scorecards (T14) for the API, the CLI, the workbench and the exports.

:func:`scorecards` scores every unit of the bank at a date (peers are compared
bank-wide: every RM with every RM, each branch with the branches at its depth of
the tree) and :func:`services.kpis.visible_units` decides which of them a caller
sees. The lines, their metrics and their direction are :data:`core.scorecards.COMPONENTS`;
the weights and the window are in Settings.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Final

from algorithms.scorecards import Scorecard, ScoreLine, score_units
from core.formatting import Language, format_money
from core.i18n import N_, gettext
from core.scorecards import GROUP_NAMES
from graph.database import Database

from .exports import Cell, Column, Table
from .kpis import KpiUnit, kpi_tables, kpi_units


@dataclass(frozen=True)
class UnitScorecard:
    """A unit and its scorecard over the window ``start`` (exclusive) to ``on``."""

    unit: KpiUnit
    card: Scorecard
    on: date
    start: date


def months_before(on: date, months: int) -> date:
    """The same day ``months`` earlier (the month's last day when it is shorter).

    Examples
    --------
    >>> months_before(date(2025, 5, 31), 3), months_before(date(2025, 3, 31), 1)
    (datetime.date(2025, 2, 28), datetime.date(2025, 2, 28))
    """
    month_index = on.year * 12 + on.month - 1 - months
    year, month = divmod(month_index, 12)
    day = min(on.day, calendar.monthrange(year, month + 1)[1])
    return date(year, month + 1, day)


def unit_levels(units: Iterable[KpiUnit]) -> dict[tuple[str, str], int]:
    """Each unit's peer level: 0 for every RM; a branch's depth in the tree (root 0)."""
    listed = list(units)
    parents = {u.scope_id: u.parent_id for u in listed if u.scope_type == "branch"}
    levels: dict[tuple[str, str], int] = {}
    for unit in listed:
        if unit.scope_type == "rm":
            levels[("rm", unit.scope_id)] = 0
            continue
        depth, current, seen = 0, parents.get(unit.scope_id), {unit.scope_id}
        while current is not None and current in parents and current not in seen:
            seen.add(current)
            depth += 1
            current = parents[current]
        levels[("branch", unit.scope_id)] = depth
    return levels


def scorecards(
    db: Database, on: date, weights: Mapping[str, int], window_months: int
) -> list[UnitScorecard]:
    """The scorecard of every branch and RM at ``on``, over ``window_months``."""
    units = kpi_units(db)
    start = months_before(on, window_months)
    tables = kpi_tables(db, [on, start])
    cards = score_units(
        tables[on],
        tables[start],
        [(u.scope_type, u.scope_id) for u in units],
        unit_levels(units),
        weights,
        window_months,
    )
    by_key = {(u.scope_type, u.scope_id): u for u in units}
    return [UnitScorecard(by_key[(c.scope_type, c.scope_id)], c, on, start) for c in cards]


def rounded(value: Fraction | None, places: int = 1) -> Decimal | None:
    """A fraction as a decimal rounded half up (``None`` stays ``None``).

    Examples
    --------
    >>> rounded(Fraction(200, 3)), rounded(None)
    (Decimal('66.7'), None)
    """
    if value is None:
        return None
    exact = Decimal(value.numerator) / Decimal(value.denominator)
    return exact.quantize(Decimal(1).scaleb(-places), ROUND_HALF_UP)


def line_text(line: ScoreLine, language: Language) -> str:
    """A line's value as a reader sees it: money in 万/亿 (Chinese), counts, hours."""
    if line.value is None:
        return "—"
    if line.component.metric in {"holding_balance", "opportunities_won_amount"}:
        yuan = rounded(line.value / 100, 2)
        return format_money(yuan if yuan is not None else Decimal(0), "CNY", language)
    places = 0 if line.component.basis == "window" else 1
    return format(rounded(line.value, places), ",f")


_SCOPE_TYPE_NAMES: Final = {"branch": N_("Branch"), "rm": N_("Relationship manager")}


SCORECARD_TABLE: Final = Table(
    N_("Scorecards"),
    (
        Column(N_("Unit type"), "text", 10),
        Column(N_("Unit"), "text", 20),
        Column(N_("Date"), "text", 12),
        Column(N_("Score"), "amount", 10),
        Column(N_("Rank"), "integer", 8),
        Column(N_("Peers"), "integer", 8),
        Column(N_("Area"), "text", 10),
        Column(N_("Line"), "text", 28),
        Column(N_("Value"), "text", 18),
        Column(N_("Peer percentile"), "amount", 12),
        Column(N_("Weight"), "integer", 8),
    ),
)


def scorecard_export_rows(
    cards: Iterable[UnitScorecard], language: Language
) -> Iterator[list[Cell]]:
    """The cells of :data:`SCORECARD_TABLE`: one row per unit and line (names, never ids)."""
    for item in cards:
        head: list[Cell] = [
            gettext(language, _SCOPE_TYPE_NAMES[item.unit.scope_type]),
            item.unit.name,
            item.on.isoformat(),
            rounded(item.card.score),
            item.card.rank,
            item.card.peers,
        ]
        for line in item.card.lines:
            yield [
                *head,
                gettext(language, GROUP_NAMES[line.component.group]),
                gettext(language, line.component.name),
                line_text(line, language),
                rounded(line.percentile),
                line.weight,
            ]
