"""Effective ownership of every company at once equals the per-company solves."""

from __future__ import annotations

import numpy as np
import pytest

from algorithms.ownership import (
    EPSILON_PCT,
    Holding,
    OwnershipGraph,
    effective_column,
    effective_ownership,
    owners_of,
)
from core.errors import InputValidationError

pytestmark = pytest.mark.unit

#: What the all-companies computation must agree with the solves within (fractions).
AGREEMENT = 1e-9


def random_registry(seed: int, companies: int, persons: int, cyclic: bool) -> list[Holding]:
    """A random shareholding registry; with ``cyclic``, companies also hold their owners.

    Each company has two to five owners: one person, the others drawn from any other
    company when ``cyclic``, else only from companies of a lower number (a DAG). They
    hold 50-100% of it together, the person at least 1%, so every cycle leaks equity
    to the outside and the series converges.
    """
    rng = np.random.default_rng(seed)
    holdings: list[Holding] = []
    for j in range(companies):
        pool = [f"C{i}" for i in range(companies) if i != j and (cyclic or i < j)]
        count = min(int(rng.integers(1, 5)), len(pool))
        owners = [f"P{int(rng.integers(0, persons))}"]
        owners += rng.choice(pool, size=count, replace=False).tolist() if count else []
        split = rng.dirichlet(np.ones(len(owners))) * float(rng.uniform(50.0, 99.0))
        for owner, share in zip(owners, split.tolist(), strict=True):
            holdings.append(Holding(owner, f"C{j}", round(share + 1.0 / len(owners), 4)))
    return holdings


def assert_same_as_solves(graph: OwnershipGraph) -> None:
    everything = effective_ownership(graph)
    for company in graph.owners:
        solved = effective_column(graph, company)
        summed = everything.column(company)
        for node in solved.keys() | summed.keys():
            expected = pytest.approx(solved.get(node, 0.0), abs=AGREEMENT)
            assert summed.get(node, 0.0) == expected, (company, node)


@pytest.mark.parametrize("seed", range(6))
def test_equals_the_per_company_solves_on_random_registries_with_cycles(seed: int) -> None:
    holdings = random_registry(seed, companies=60, persons=15, cyclic=True)
    graph = OwnershipGraph.from_holdings(holdings)
    # The registries really do hold cycles: some company owns part of itself.
    assert any(effective_column(graph, c).get(c, 0.0) > 0 for c in graph.owners)
    assert_same_as_solves(graph)


@pytest.mark.parametrize("seed", range(3))
def test_equals_the_per_company_solves_on_random_acyclic_registries(seed: int) -> None:
    graph = OwnershipGraph.from_holdings(random_registry(seed, 80, 20, cyclic=False))
    assert_same_as_solves(graph)
    # Exact once A^k is empty: no more terms than twice the deepest chain.
    assert effective_ownership(graph).terms <= 2 * 80


def test_a_cycle_that_leaks_little_still_converges_to_the_solve() -> None:
    """A and B hold 99% of each other: the plain series needs thousands of terms."""
    graph = OwnershipGraph.from_holdings(
        [
            Holding("A", "B", 99.0),
            Holding("B", "A", 99.0),
            Holding("P", "A", 1.0),
            Holding("Q", "B", 1.0),
            Holding("B", "T", 60.0),
        ]
    )
    assert_same_as_solves(graph)
    assert effective_ownership(graph).column("T")["P"] == pytest.approx(
        owners_of(graph, "T").owner("P").effective_pct / 100.0, abs=AGREEMENT
    )


def test_ultimate_owners_at_a_threshold_match_the_per_company_answer() -> None:
    graph = OwnershipGraph.from_holdings(random_registry(11, 60, 10, cyclic=True))
    found = effective_ownership(graph).ultimate_owners_at_least(25.0)
    for company in graph.owners:
        expected = [
            (o.owner_id, o.effective_pct)
            for o in owners_of(graph, company).owners
            if o.ultimate and o.effective_pct >= 25.0 - EPSILON_PCT
        ]
        got = list(found.get(company, ()))
        assert [o for o, _ in got] == [o for o, _ in expected], company
        assert [p for _, p in got] == pytest.approx([p for _, p in expected], abs=1e-7)
    assert found, "the registry has owners at or above 25%"


def test_a_cycle_that_owns_all_of_itself_is_an_error_as_for_the_solve() -> None:
    graph = OwnershipGraph.from_holdings([Holding("A", "B", 100.0), Holding("B", "A", 100.0)])
    with pytest.raises(InputValidationError):
        effective_ownership(graph)


def test_an_empty_registry_owns_nothing() -> None:
    everything = effective_ownership(OwnershipGraph.from_holdings([]))
    assert everything.nodes == ()
    assert everything.column("X") == {}
    assert everything.ultimate_owners_at_least(25.0) == {}
