"""Target aid (T1): a unit's history, trend and peer standing, and a suggested target.

Pure functions. The history is the metric over the periods before the target period,
of the same kind (8 quarters before a quarter); each period's figure is what it added
for a cumulative metric (:data:`core.kpis.CUMULATIVE_METRICS`), else the value at its
end. The suggestion, explained with catalogue messages:

1. the **trend**: the least-squares slope of the history per period;
2. the **projection**: the last period's figure plus that slope (never below zero);
3. the **catch-up**: a unit on the wrong side of its peers' median (the units of its
   level, for the same last period) is asked to close half of the gap as well.

Examples
--------
>>> least_squares_slope([Fraction(1), Fraction(3), Fraction(5)])
Fraction(2, 1)
>>> [p.code for p in previous_periods(parse_period("2026-Q1"), 3)]
['2025-Q2', '2025-Q3', '2025-Q4']
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from fractions import Fraction
from typing import Literal

from core.i18n import N_
from core.kpis import Period, parse_period
from core.messages import Message, Param

from .scorecards import mid_rank_percentiles

Trend = Literal["rising", "falling", "flat", "unknown"]


def previous_periods(period: Period, count: int) -> list[Period]:
    """The ``count`` periods of the same kind just before ``period``, oldest first."""
    found: list[Period] = []
    current = period
    for _ in range(count):
        before = current.start - timedelta(days=1)
        if len(current.code) == 4:
            code = str(before.year)
        elif "-Q" in current.code:
            code = f"{before.year}-Q{(before.month - 1) // 3 + 1}"
        else:
            code = f"{before.year}-{before.month:02d}"
        current = parse_period(code)
        found.append(current)
    return found[::-1]


def least_squares_slope(values: Sequence[Fraction]) -> Fraction | None:
    """The exact least-squares slope of ``values`` over 0, 1, 2...; ``None`` under two."""
    count = len(values)
    if count < 2:
        return None
    mean_x = Fraction(count - 1, 2)
    mean_y = sum(values, Fraction(0)) / count
    spread = sum(((x - mean_x) ** 2 for x in range(count)), Fraction(0))
    return sum(((x - mean_x) * (y - mean_y) for x, y in enumerate(values)), Fraction(0)) / spread


def median(values: Sequence[Fraction]) -> Fraction | None:
    """The median (the mean of the middle two for an even count); ``None`` when empty."""
    ordered = sorted(values)
    if not ordered:
        return None
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    return (ordered[middle - 1] + ordered[middle]) / 2


@dataclass(frozen=True)
class Suggestion:
    """The aid for one unit and metric: trend, standing, suggestion and why."""

    slope: Fraction | None
    trend: Trend
    percentile: Fraction | None
    peer_median: Fraction | None
    peers: int
    projection: Fraction | None
    suggested: Fraction | None
    reasons: tuple[Message, ...]


def suggest(
    history: Sequence[Fraction | None],
    peers_last: Mapping[str, Fraction],
    unit_key: str,
    *,
    higher_is_better: bool,
    show: Callable[[Fraction], Param],
) -> Suggestion:
    """A suggested target from a unit's ``history`` and its peers' last figures.

    ``peers_last`` holds the last period's figure of every unit of the level (the unit
    included, under ``unit_key``); ``show`` turns a figure into the parameter a reason
    shows (the caller's, so that money reads in 万/亿).
    """
    known = [v for v in history if v is not None]
    slope = least_squares_slope(known)
    trend: Trend = (
        "unknown"
        if slope is None
        else "rising"
        if slope > 0
        else "falling"
        if slope < 0
        else "flat"
    )
    ranked = mid_rank_percentiles(dict(peers_last), higher_is_better=higher_is_better)
    percentile = ranked.get(unit_key)
    peer_median = median(list(peers_last.values()))
    reasons: list[Message] = []
    if not known:
        reasons.append(
            Message(N_("No history for this unit and metric yet: set the target by hand."))
        )
        return Suggestion(
            slope, trend, percentile, peer_median, len(peers_last), None, None, tuple(reasons)
        )
    last = known[-1]
    projection = max(Fraction(0), last + (slope or 0))
    reasons.append(
        Message(
            N_("Over the last {periods} periods the figure moved by {slope} a period on average."),
            {"periods": len(known), "slope": show(slope)},
        )
        if slope is not None
        else Message(N_("Only one period of history: the trend is unknown."))
    )
    reasons.append(
        Message(
            N_("Following that trend, the next period reaches {projection}."),
            {"projection": show(projection)},
        )
    )
    suggested = projection
    behind = (
        peer_median is not None
        and percentile is not None
        and percentile < 50
        and (last < peer_median if higher_is_better else last > peer_median)
    )
    if behind and peer_median is not None and percentile is not None:
        suggested = max(Fraction(0), projection + (peer_median - last) / 2)
        reasons.append(
            Message(
                N_(
                    "It stands at percentile {percentile} of {peers} peers: half the gap to "
                    "their median ({median}) is added."
                ),
                {
                    "percentile": str(round(percentile)),
                    "peers": len(peers_last),
                    "median": show(peer_median),
                },
            )
        )
    elif percentile is not None:
        reasons.append(
            Message(
                N_(
                    "It stands at percentile {percentile} of {peers} peers, at or beyond "
                    "their median: the trend alone sets the target."
                ),
                {"percentile": str(round(percentile)), "peers": len(peers_last)},
            )
        )
    reasons.append(Message(N_("Suggested target: {suggested}."), {"suggested": show(suggested)}))
    return Suggestion(
        slope,
        trend,
        percentile,
        peer_median,
        len(peers_last),
        projection,
        suggested,
        tuple(reasons),
    )
