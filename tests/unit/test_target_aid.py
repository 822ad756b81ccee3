"""Target aid without a database: periods, the trend, the suggestion and its reasons."""

from __future__ import annotations

import random
from decimal import Decimal
from fractions import Fraction
from itertools import pairwise
from pathlib import Path

import pytest

from algorithms.target_aid import least_squares_slope, median, previous_periods, suggest
from core.errors import InputValidationError
from core.kpis import parse_period
from core.messages import Param, render
from corpgraph.cli.kpi_cmd import read_weights

pytestmark = pytest.mark.unit


def _show(value: Fraction) -> Param:
    return str(Decimal(value.numerator) / Decimal(value.denominator))


@pytest.mark.parametrize(
    ("period", "first", "last"),
    [
        ("2026-Q1", "2024-Q1", "2025-Q4"),
        ("2026-03", "2025-07", "2026-02"),
        ("2026", "2018", "2025"),
    ],
)
def test_the_history_is_the_eight_periods_before(period: str, first: str, last: str) -> None:
    found = previous_periods(parse_period(period), 8)
    assert [found[0].code, found[-1].code, len(found)] == [first, last, 8]
    for before, after in pairwise(found):
        assert (after.start - before.end).days == 1


@pytest.mark.parametrize("seed", range(10))
def test_the_slope_recovers_a_line_exactly(seed: int) -> None:
    rng = random.Random(seed)
    a, b = Fraction(rng.randint(-100, 100)), Fraction(rng.randint(-50, 50), rng.randint(1, 9))
    values = [a + b * x for x in range(rng.randint(2, 12))]
    assert least_squares_slope(values) == b
    assert least_squares_slope(values[:1]) is None
    assert median([Fraction(3), Fraction(1), Fraction(2), Fraction(10)]) == Fraction(5, 2)


def test_a_unit_behind_its_peers_is_asked_to_catch_up_half_the_gap() -> None:
    history = [Fraction(v) for v in (10, 12, 14, 16)]  # +2 a period
    peers = {"me": Fraction(16), "a": Fraction(30), "b": Fraction(40), "c": Fraction(10)}
    aid = suggest(history, peers, "me", higher_is_better=True, show=_show)
    assert aid.trend == "rising"
    assert aid.slope == 2
    assert aid.projection == 18
    assert aid.peer_median == 23  # (16 + 30) / 2
    assert aid.percentile == Fraction(100, 3)
    assert aid.suggested == 18 + Fraction(23 - 16, 2)
    text = [render(m, "en") for m in aid.reasons]
    assert text[0] == "Over the last 4 periods the figure moved by 2 a period on average."
    assert "half the gap" in text[2]
    assert text[-1] == "Suggested target: 21.5."
    assert all(render(m, "zh") != render(m, "en") for m in aid.reasons)


def test_a_leader_follows_its_trend_and_a_ceiling_never_goes_below_zero() -> None:
    peers = {"me": Fraction(50), "a": Fraction(10)}
    aid = suggest([Fraction(40), Fraction(50)], peers, "me", higher_is_better=True, show=_show)
    assert aid.suggested == 60
    assert aid.percentile == 100
    falling = suggest(
        [Fraction(3), Fraction(1)], {"me": Fraction(1)}, "me", higher_is_better=False, show=_show
    )
    assert falling.trend == "falling"
    assert falling.suggested == 0  # 1 - 2 is floored at zero
    nothing = suggest([None, None], {}, "me", higher_is_better=True, show=_show)
    assert nothing.suggested is None
    assert nothing.trend == "unknown"


def test_a_weights_file_is_read_and_checked(tmp_path: Path) -> None:
    good = tmp_path / "w.csv"
    good.write_text("\ufeffscope_type,scope_id,weight\nbranch,BJ,3\nrm,RM1,1\n", encoding="utf-8")
    assert read_weights(good) == {"branch:BJ": 3, "rm:RM1": 1}
    for body in (
        "unit,weight\nBJ,1\n",
        "scope_type,scope_id,weight\nteam,BJ,1\n",
        "scope_type,scope_id,weight\nbranch,BJ,1.5\n",
    ):
        bad = tmp_path / "bad.csv"
        bad.write_text(body, encoding="utf-8")
        with pytest.raises(InputValidationError):
            read_weights(bad)
    with pytest.raises(InputValidationError):
        read_weights(tmp_path / "missing.csv")
