"""Scorecards without a database: peer percentiles, weighted scores, ranks by level."""

from __future__ import annotations

import random
from datetime import date
from fractions import Fraction

import pytest

from algorithms.kpis import Contribution, roll_up
from algorithms.scorecards import mid_rank_percentiles, score_units
from core.scorecards import COMPONENTS, SCORECARD_LINES
from core.settings import Settings
from services.kpis import KpiUnit
from services.scorecards import months_before, unit_levels

pytestmark = pytest.mark.unit

PARENTS: dict[str, str | None] = {"HO": None, "BJ": "HO", "SH": "HO"}
START, ON = date(2025, 6, 30), date(2025, 9, 30)


@pytest.mark.parametrize("seed", range(20))
def test_percentiles_run_from_worst_to_best_and_ties_share(seed: int) -> None:
    rng = random.Random(seed)
    values = {f"u{i}": rng.randint(0, 5) for i in range(rng.randint(2, 12))}
    high = mid_rank_percentiles(values, higher_is_better=True)
    low = mid_rank_percentiles(values, higher_is_better=False)
    for a in values:
        assert high[a] + low[a] == 100
        for b in values:
            if values[a] > values[b]:
                assert high[a] > high[b]
            if values[a] == values[b]:
                assert high[a] == high[b]
    assert min(high.values()) >= 0
    assert max(high.values()) <= 100
    # the mean percentile is always the middle
    assert sum(high.values()) / len(high) == 50


def test_scores_weigh_percentiles_and_rank_within_the_level() -> None:
    def c(
        metric: str, branch: str, rm: str, n: int, d: int = 1, cat: str | None = None
    ) -> Contribution:
        return Contribution(metric, cat, branch, rm, n, d)

    before = [c("new_customers_won", "BJ", "R1", 1), c("new_customers_won", "SH", "R2", 1)]
    at = [
        *before,
        c("new_customers_won", "BJ", "R1", 5),  # R1 won 5 in the window
        c("new_customers_won", "SH", "R2", 1),  # R2 won 1
        c("sales_activities", "SH", "R2", 9, cat="call"),  # R2 called 9 times
        c("event_response_hours", "BJ", "R1", 3600, 1),  # R1 answered in an hour
    ]
    now, then = roll_up(at, PARENTS, ON), roll_up(before, PARENTS, START)
    units = [
        ("rm", "R1"),
        ("rm", "R2"),
        ("rm", "R3"),
        ("branch", "HO"),
        ("branch", "BJ"),
        ("branch", "SH"),
    ]
    levels = {u: (0 if u[0] == "rm" else (0 if u[1] == "HO" else 1)) for u in units}
    weights = {"new_customers": 3, "activities": 1}
    cards = {
        (x.scope_type, x.scope_id): x for x in score_units(now, then, units, levels, weights, 3)
    }
    r1 = {line.component.code: line for line in cards[("rm", "R1")].lines}
    assert r1["new_customers"].value == 5
    assert r1["new_customers"].percentile == 100
    assert r1["activities"].value == 0
    assert r1["activities"].percentile == 25  # tied with R3
    assert r1["response_time"].percentile == 50  # the only RM with a response time
    # (3*100 + 1*25 + 0*50) / (3 + 1 + 0)
    assert cards[("rm", "R1")].score == Fraction(325, 4)
    r2 = {line.component.code: line for line in cards[("rm", "R2")].lines}
    assert r2["activities"].value == 3  # 9 calls over 3 months
    assert r2["response_time"].percentile is None  # nothing to average: no line, no weight
    assert (cards[("rm", "R1")].rank, cards[("rm", "R1")].peers) == (1, 3)
    assert (cards[("branch", "HO")].rank, cards[("branch", "HO")].peers) == (1, 1)
    assert cards[("branch", "BJ")].peers == 2  # BJ and SH are peers; HO is not


def test_levels_and_windows() -> None:
    units = [
        KpiUnit("branch", "HO", "总行", None),
        KpiUnit("branch", "BJ", "北京分行", "HO"),
        KpiUnit("branch", "BJ1", "北京一支行", "BJ"),
        KpiUnit("rm", "R1", "张三", "BJ1"),
    ]
    assert unit_levels(units) == {
        ("branch", "HO"): 0,
        ("branch", "BJ"): 1,
        ("branch", "BJ1"): 2,
        ("rm", "R1"): 0,
    }
    assert months_before(date(2024, 3, 31), 1) == date(2024, 2, 29)
    assert months_before(date(2025, 1, 15), 3) == date(2024, 10, 15)


def test_weights_name_known_lines_only() -> None:
    assert set(Settings().scorecard_weights) == set(SCORECARD_LINES)
    assert len({c.metric for c in COMPONENTS}) == len(COMPONENTS)
    for bad in ({"nonsense": 1}, {"activities": -1}, {"activities": 0}):
        with pytest.raises(ValueError, match="scorecard"):
            Settings(scorecard_weights=bad)
