"""Scorecards (T14): each RM and branch ranked against its peers on results and diligence.

Pure functions over two :class:`algorithms.kpis.KpiTable`\\s: the snapshot date and
the start of the scoring window (``window_months`` before it). A scorecard has one
line per :data:`core.scorecards.COMPONENTS` entry:

- its **value**: a metric at the date (``level``), or what it added over the window
  (``window``: the value at the date less the value at the window's start), per
  month for the diligence counts;
- its **peer percentile**: where the value stands among the units of the same level
  (every RM; the branches at the same depth of the tree), by mid-rank: 100 is best,
  0 worst, ties share the mean of their places. For a "lower is better" component
  (losses, response time) the order is reversed. A unit without a value (a mean
  over nothing) has no percentile on that line and is left out of its peers' ranking;
- the **score**: the weighted mean of the percentiles, by the weights in Settings
  (``scorecard_weights``), over the lines that have one.

Units are then ranked by score among their peers (1 is best; equal scores share the
better rank).

Examples
--------
>>> mid_rank_percentiles({"a": 1, "b": 2, "c": 2, "d": 5}, higher_is_better=True)
{'a': Fraction(0, 1), 'b': Fraction(50, 1), 'c': Fraction(50, 1), 'd': Fraction(100, 1)}
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction

from core.scorecards import COMPONENTS, Component

from .kpis import KpiTable


@dataclass(frozen=True)
class ScoreLine:
    """One component of one unit: its exact value, its percentile and its weight."""

    component: Component
    #: Money in fen, counts, hours; ``None`` when a mean has nothing to average.
    value: Fraction | None
    percentile: Fraction | None
    weight: int


@dataclass(frozen=True)
class Scorecard:
    """A unit's scorecard: its lines, its score, and its rank among its peers."""

    scope_type: str
    scope_id: str
    level: int
    lines: tuple[ScoreLine, ...]
    score: Fraction | None
    rank: int | None
    peers: int


def mid_rank_percentiles(
    values: Mapping[str, Fraction | int], *, higher_is_better: bool
) -> dict[str, Fraction]:
    """Each key's percentile among ``values``: 0 the worst, 100 the best, ties averaged.

    A single unit has nobody to be compared with: it is in the middle (50).
    """
    ordered = sorted(values.values(), reverse=not higher_is_better)
    count = len(ordered)
    out: dict[str, Fraction] = {}
    for key, value in values.items():
        below = sum(1 for v in ordered if (v < value if higher_is_better else v > value))
        ties = sum(1 for v in ordered if v == value)
        if count == 1:
            out[key] = Fraction(50)
            continue
        out[key] = Fraction(100) * (Fraction(below) + Fraction(ties - 1, 2)) / (count - 1)
    return out


def _value(
    component: Component,
    at: KpiTable,
    start: KpiTable,
    scope_type: str,
    scope_id: str,
    window_months: int,
) -> Fraction | None:
    now = at.value(scope_type, scope_id, component.metric, None)
    if component.basis == "level":
        if component.metric == "holding_balance":
            return Fraction(now.numerator)
        return None if now.denominator == 0 else Fraction(now.numerator, now.denominator)
    before = start.value(scope_type, scope_id, component.metric, None)
    added = Fraction(now.numerator - before.numerator)
    return added / window_months if component.basis == "window_per_month" else added


def score_units(
    at: KpiTable,
    start: KpiTable,
    units: Sequence[tuple[str, str]],
    levels: Mapping[tuple[str, str], int],
    weights: Mapping[str, int],
    window_months: int,
) -> list[Scorecard]:
    """The scorecard of every unit ``(scope_type, scope_id)`` in ``units``.

    ``levels`` gives each unit's peer group (RMs one level, branches their depth);
    ``at`` and ``start`` are the KPI tables at the date and ``window_months`` before.
    """
    values = {
        unit: {c.code: _value(c, at, start, *unit, window_months) for c in COMPONENTS}
        for unit in units
    }
    groups: dict[tuple[str, int], list[tuple[str, str]]] = {}
    for unit in units:
        groups.setdefault((unit[0], levels[unit]), []).append(unit)
    percentiles: dict[tuple[tuple[str, str], str], Fraction] = {}
    for members in groups.values():
        for component in COMPONENTS:
            present: dict[str, Fraction | int] = {}
            for unit in members:
                value = values[unit][component.code]
                if value is not None:
                    present[f"{unit[0]}:{unit[1]}"] = value
            ranked = mid_rank_percentiles(present, higher_is_better=component.higher_is_better)
            for unit in members:
                key = f"{unit[0]}:{unit[1]}"
                if key in ranked:
                    percentiles[(unit, component.code)] = ranked[key]
    scores: dict[tuple[str, str], Fraction | None] = {}
    lines: dict[tuple[str, str], tuple[ScoreLine, ...]] = {}
    for unit in units:
        unit_lines = tuple(
            ScoreLine(
                c,
                values[unit][c.code],
                percentiles.get((unit, c.code)),
                int(weights.get(c.code, 0)),
            )
            for c in COMPONENTS
        )
        lines[unit] = unit_lines
        weighted = [
            (line.percentile, line.weight) for line in unit_lines if line.percentile is not None
        ]
        total = sum(w for _p, w in weighted)
        scores[unit] = sum((p * w for p, w in weighted), Fraction(0)) / total if total else None
    cards: list[Scorecard] = []
    for (scope_type, level), members in groups.items():
        scored = [scores[u] for u in members if scores[u] is not None]
        for unit in members:
            score = scores[unit]
            rank = (
                None if score is None else 1 + sum(1 for s in scored if s is not None and s > score)
            )
            cards.append(
                Scorecard(scope_type, unit[1], level, lines[unit], score, rank, len(members))
            )
    order = {unit: i for i, unit in enumerate(units)}
    return sorted(cards, key=lambda c: order[(c.scope_type, c.scope_id)])
