"""Effective ownership: exact numbers on hand-built cases."""

from __future__ import annotations

import numpy as np
import pytest

from algorithms.ownership import Holding, OwnershipGraph, owners_of, ownership_paths
from core.errors import InputValidationError, NotFoundError


def test_two_paths_multiply_and_add() -> None:
    """100% × 20% + 80% × 40% = 52%."""
    g = OwnershipGraph.from_holdings(
        [
            Holding("P", "A", 100),
            Holding("A", "T", 20),
            Holding("P", "B", 80),
            Holding("B", "T", 40),
        ]
    )
    result = owners_of(g, "T")
    assert result.owner("P").effective_pct == pytest.approx(52.0, abs=1e-9)
    assert result.owner("A").effective_pct == pytest.approx(20.0, abs=1e-9)
    assert result.owner("B").effective_pct == pytest.approx(40.0, abs=1e-9)
    assert [p.nodes for p in result.owner("P").paths] == [("P", "A", "T"), ("P", "B", "T")]
    assert [p.pct for p in result.owner("P").paths] == pytest.approx([20.0, 32.0])
    assert result.owner("P").ultimate
    assert not result.owner("A").ultimate


def test_two_company_cross_holding_is_solved_exactly() -> None:
    """P 50% A, B 50% A, A 50% B, Q 50% B: P holds 2/3 of A, Q 1/3, together 100%."""
    g = OwnershipGraph.from_holdings(
        [Holding("P", "A", 50), Holding("B", "A", 50), Holding("A", "B", 50), Holding("Q", "B", 50)]
    )
    result = owners_of(g, "A")
    assert result.owner("P").effective_pct == pytest.approx(200 / 3, abs=1e-9)
    assert result.owner("Q").effective_pct == pytest.approx(100 / 3, abs=1e-9)
    assert result.owner("B").effective_pct == pytest.approx(200 / 3, abs=1e-9)
    assert result.self_pct == pytest.approx(100 / 3, abs=1e-9)
    assert result.ultimate_total_pct == pytest.approx(100.0, abs=1e-9)
    # Simple paths only: the cycle never loops in the listing.
    assert [p.nodes for p in result.owner("Q").paths] == [("Q", "B", "A")]


def test_matches_dense_definition_on_a_random_graph() -> None:
    rng = np.random.default_rng(3)
    n = 30
    holdings = []
    for j in range(n):
        owners = rng.choice([i for i in range(n) if i != j], size=3, replace=False)
        for i in owners:
            holdings.append(Holding(f"N{i:02d}", f"N{j:02d}", float(rng.integers(1, 30))))
    g = OwnershipGraph.from_holdings(holdings)
    a = np.zeros((n, n))
    for h in holdings:
        a[int(h.owner_id[1:]), int(h.company_id[1:])] += h.pct / 100
    e = a @ np.linalg.inv(np.eye(n) - a)
    result = owners_of(g, "N07", max_paths=5)
    assert result.paths_truncated
    for share in result.owners:
        assert share.effective_pct == pytest.approx(e[int(share.owner_id[1:]), 7] * 100)
    # Limiting paths never changes percentages.
    full = owners_of(g, "N07", max_paths=100_000, max_depth=3)
    assert [o.effective_pct for o in full.owners] == [o.effective_pct for o in result.owners]


def test_three_parents_sum_to_100() -> None:
    g = OwnershipGraph.from_holdings(
        [Holding("X", "C", 50), Holding("Y", "C", 30), Holding("Z", "C", 20)]
    )
    result = owners_of(g, "C")
    assert [o.owner_id for o in result.owners] == ["X", "Y", "Z"]
    assert [o.effective_pct for o in result.owners] == pytest.approx([50.0, 30.0, 20.0])
    assert result.ultimate_total_pct == pytest.approx(100.0, abs=1e-9)


def test_depth_limit_reports_truncation() -> None:
    chain = [Holding(f"L{i}", f"L{i + 1}", 100) for i in range(6)]
    paths, truncated = ownership_paths(OwnershipGraph.from_holdings(chain), "L6", max_depth=3)
    assert truncated
    assert max(len(p.nodes) for ps in paths.values() for p in ps) == 4
    assert owners_of(OwnershipGraph.from_holdings(chain), "L6", max_depth=3).owner(
        "L0"
    ).effective_pct == pytest.approx(100.0)


def test_bad_inputs() -> None:
    with pytest.raises(InputValidationError):
        OwnershipGraph.from_holdings([Holding("A", "B", 120)])
    with pytest.raises(InputValidationError):
        OwnershipGraph.from_holdings([Holding("A", "B", 70), Holding("C", "B", 40)])
    with pytest.raises(InputValidationError):
        OwnershipGraph.from_holdings([Holding("A", "A", 10)])
    with pytest.raises(NotFoundError):
        owners_of(OwnershipGraph.from_holdings([Holding("A", "B", 10)]), "B").owner("Z")
    assert owners_of(OwnershipGraph.from_holdings([]), "B").owners == ()
