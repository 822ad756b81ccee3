"""Target tracking's model: measured stage probabilities, the exact chance, run-rate."""

from __future__ import annotations

import itertools
import random
from datetime import UTC, date, datetime, timedelta
from fractions import Fraction

import pytest

from algorithms.kpi_tracking import (
    PipelineItem,
    open_pipeline,
    probability_at_least,
    progress,
    stage_at,
    stage_probabilities,
    win_count_distribution,
)
from graph.kpis import OpportunityFact, StatusChange

pytestmark = pytest.mark.unit

T0 = datetime(2025, 1, 10, 9, tzinfo=UTC)


def _opp(i: int, *moves: tuple[str, int], amount: int = 100_00) -> OpportunityFact:
    """An opportunity created at T0 whose history moves to each stage ``days`` after T0."""
    return OpportunityFact(
        f"O{i}",
        "B1",
        "R1",
        amount,
        "CNY",
        T0,
        tuple(StatusChange(stage, T0 + timedelta(days=d)) for stage, d in moves),
    )


def _brute_force(wins: list[tuple[float, int]], needed: int) -> float:
    total = 0.0
    for outcome in itertools.product((0, 1), repeat=len(wins)):
        mass = 1.0
        worth = 0
        for won, (p, w) in zip(outcome, wins, strict=True):
            mass *= p if won else 1 - p
            worth += w * won
        if worth >= needed:
            total += mass
    return total


def test_probability_at_least_equals_enumeration_of_every_outcome() -> None:
    rng = random.Random(7)
    for _ in range(300):
        n = rng.randint(0, 9)
        wins = [(rng.random(), rng.randint(0, 6)) for _ in range(n)]
        needed = rng.randint(-2, 30)
        assert probability_at_least(wins, needed) == pytest.approx(_brute_force(wins, needed))


def test_win_count_distribution_is_a_distribution_with_the_right_mean() -> None:
    rng = random.Random(3)
    probs = [rng.random() for _ in range(40)]
    dist = win_count_distribution(probs)
    assert sum(dist) == pytest.approx(1.0)
    assert sum(k * m for k, m in enumerate(dist)) == pytest.approx(sum(probs))


def test_stage_probabilities_are_measured_from_closed_histories_only() -> None:
    opps = [
        _opp(1, ("contacted", 1), ("proposal", 2), ("won", 3)),
        _opp(2, ("contacted", 1), ("proposal", 2), ("lost", 3)),
        _opp(3, ("contacted", 1), ("lost", 2)),
        _opp(4, ("lost", 1)),
        # still open: not evidence of a loss
        _opp(5, ("contacted", 1), ("proposal", 2)),
        # went back from proposal to contacted, then won: it reached proposal
        _opp(6, ("contacted", 1), ("proposal", 2), ("contacted", 3), ("proposal", 4), ("won", 5)),
        # won only after the as-of date: open on it
        _opp(7, ("contacted", 1), ("proposal", 2), ("won", 40)),
    ]
    probs = stage_probabilities(opps, (T0 + timedelta(days=10)).date())
    assert (probs["identified"].closed, probs["identified"].won) == (5, 2)
    assert (probs["contacted"].closed, probs["contacted"].won) == (4, 2)
    assert probs["proposal"].probability == Fraction(2, 3)
    later = stage_probabilities(opps, (T0 + timedelta(days=50)).date())
    assert later["proposal"].probability == Fraction(3, 4)
    # Before anything closed, nothing is measured.
    assert stage_probabilities(opps, T0.date())["proposal"].probability is None


def test_open_pipeline_takes_each_opportunity_at_its_stage_on_the_date() -> None:
    opps = [
        _opp(1, ("contacted", 1), ("proposal", 2), ("won", 3)),
        _opp(2, ("contacted", 1), ("lost", 2)),
        _opp(3, ("contacted", 1), ("proposal", 20)),
    ]
    on = (T0 + timedelta(days=5)).date()
    probs = stage_probabilities(opps, on)
    items = open_pipeline(opps, on, probs, {})
    assert [(i.opportunity_id, i.stage, i.probability) for i in items] == [
        ("O3", "contacted", Fraction(1, 2))
    ]
    assert stage_at(opps[2], T0.date() - timedelta(days=1)) is None


def _item(i: int, p: Fraction | None, amount: int | None = 1_000_00) -> PipelineItem:
    return PipelineItem(f"O{i}", "B1", "R1", "proposal", amount, p)


def test_progress_of_a_count_target_is_the_exact_poisson_binomial_tail() -> None:
    pipeline = [_item(i, Fraction(1, 2)) for i in range(4)] + [_item(9, None)]
    p = progress(
        "opportunities_won",
        actual=6,
        start=0,
        target=8,
        period_start=date(2025, 1, 1),
        period_end=date(2025, 3, 31),
        on=date(2025, 2, 14),
        pipeline=pipeline,
    )
    assert p.pipeline_expected == 2
    # P(at least 2 of 4 fair wins) = 11/16; the item without a measured probability adds nothing.
    assert p.probability == pytest.approx(11 / 16)
    assert p.share_done == Fraction(6, 8)
    assert p.elapsed_days == 45
    assert p.period_days == 90
    assert p.run_rate_forecast == 12
    assert p.band == (7, 9)


def test_progress_of_an_amount_target_never_overstates_the_chance() -> None:
    pipeline = [_item(1, Fraction(1, 2), 333_33), _item(2, Fraction(1, 2), 333_33)]
    p = progress(
        "opportunities_won_amount",
        actual=400_00,
        start=0,
        target=1_066_66,
        period_start=date(2025, 1, 1),
        period_end=date(2025, 12, 31),
        on=date(2025, 6, 30),
        pipeline=pipeline,
    )
    # Both must be won (400 + 333.33 * 2 = 1066.66 exactly): 1/4, and the grid must not
    # round an amount up into reaching it with one win.
    assert p.probability == pytest.approx(0.25)
    assert p.pipeline_expected == 333_33


def test_stock_progress_runs_the_change_forward_and_has_no_pipeline_model() -> None:
    p = progress(
        "customers",
        actual=110,
        start=100,
        target=130,
        period_start=date(2026, 1, 1),
        period_end=date(2026, 12, 31),
        on=date(2026, 4, 10),
    )
    assert p.run_rate_forecast == 100 + 10 * 365 // 100
    assert p.probability is None
    assert p.pipeline_expected is None
    assert p.band is None


def test_after_the_period_only_the_actual_counts() -> None:
    p = progress(
        "opportunities_won",
        actual=3,
        start=0,
        target=5,
        period_start=date(2025, 1, 1),
        period_end=date(2025, 3, 31),
        on=date(2025, 4, 2),
        pipeline=[_item(1, Fraction(1))] * 3,
    )
    assert p.probability == 0.0
    assert p.run_rate_forecast == 3
