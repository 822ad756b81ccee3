"""Ultimate controllers by both measures."""

from __future__ import annotations

import pytest

from algorithms.control import (
    ControlLink,
    controlled_by,
    direct_controllers,
    find_controllers,
    ultimate_controllers,
)
from algorithms.ownership import Holding, OwnershipGraph


def test_control_is_50_while_cash_flow_is_42() -> None:
    """30% direct + 20% through a 60%-owned subsidiary: control 50%, cash flow 42%."""
    holdings = [Holding("P", "T", 30), Holding("P", "X", 60), Holding("X", "T", 20)]
    g = OwnershipGraph.from_holdings(holdings)
    chains = ultimate_controllers(direct_controllers(holdings, []))
    report = find_controllers(g, chains, "T")
    (p,) = report.controllers
    assert p.controller_id == "P"
    assert p.effective_pct == pytest.approx(42.0, abs=1e-9)
    assert p.control_pct == pytest.approx(50.0, abs=1e-9)
    assert p.by == ("effective",)  # 50% is not a strict majority: no control chain
    assert "T" not in chains
    assert sorted(p.paths) == [("P", "T"), ("P", "X", "T")]


def test_joint_venture_has_no_controller_at_strict_majority() -> None:
    holdings = [
        Holding("PA", "A", 100),
        Holding("PB", "B", 100),
        Holding("A", "JV", 50),
        Holding("B", "JV", 50),
    ]
    chains = ultimate_controllers(direct_controllers(holdings, []))
    assert "JV" not in chains
    report = find_controllers(
        OwnershipGraph.from_holdings(holdings), chains, "JV", threshold_pct=50.1
    )
    assert not report.has_controller
    both = find_controllers(OwnershipGraph.from_holdings(holdings), chains, "JV")
    assert [(c.controller_id, c.by) for c in both.controllers] == [
        ("PA", ("effective",)),
        ("PB", ("effective",)),
    ]


def test_chain_through_majority_and_control_link() -> None:
    holdings = [Holding("P", "H", 60), Holding("H", "S", 30), Holding("Q", "S", 40)]
    links = [ControlLink("H", "S", "agreement")]
    direct = direct_controllers(holdings, links)
    chains = ultimate_controllers(direct)
    assert chains["S"].controller_id == "P"
    assert chains["S"].path == ("P", "H", "S")
    assert "by agreement" in chains["S"].explanation
    report = find_controllers(OwnershipGraph.from_holdings(holdings), chains, "S")
    by_id = {c.controller_id: c for c in report.controllers}
    assert by_id["P"].by == ("control_chain",)  # 18% effective only
    assert by_id["P"].effective_pct == pytest.approx(18.0)
    assert by_id["Q"].by == ("effective",)
    assert controlled_by(chains)["P"] == {"H", "S"}


def test_vie_controller_without_equity_and_control_cycle() -> None:
    direct = direct_controllers([], [ControlLink("P", "V", "vie")])
    assert ultimate_controllers(direct)["V"].controller_id == "P"
    cyc = [Holding("A", "B", 60), Holding("B", "A", 60), Holding("A", "C", 60)]
    assert ultimate_controllers(direct_controllers(cyc, [])) == {}


def test_three_parents_no_majority_no_chain_controller() -> None:
    holdings = [Holding("X", "C", 50), Holding("Y", "C", 30), Holding("Z", "C", 20)]
    chains = ultimate_controllers(direct_controllers(holdings, []))
    report = find_controllers(OwnershipGraph.from_holdings(holdings), chains, "C")
    assert [c.controller_id for c in report.controllers] == ["X", "Y"]
    assert [pct for _, pct in report.owners] == pytest.approx([50.0, 30.0, 20.0])
