"""Groups: membership, roles, depths, exact exposure, ranking."""

from __future__ import annotations

from algorithms.control import DirectControl, direct_controllers
from algorithms.groups import (
    Exposure,
    build_groups,
    control_components,
    group_map_spec,
    rank_groups,
    with_exposure,
)
from algorithms.ownership import Holding


def test_groups_roles_depths_and_company_controller() -> None:
    holdings = [
        Holding("P", "H", 60),
        Holding("H", "S1", 51),
        Holding("S1", "S2", 100),
        Holding("W", "X", 70),  # a company controller is itself a member
        Holding("X", "Y", 80),
        Holding("Q", "LONE", 90),  # a person with one company forms no group
    ]
    direct = direct_controllers(holdings, [])
    direct["V"] = DirectControl("P", "V", "vie")
    companies = {"H", "S1", "S2", "V", "W", "X", "Y", "LONE"}
    groups = build_groups(control_components(direct), direct, companies)
    assert [(g.group_id, g.member_ids()) for g in groups] == [
        ("GRP-P", ["H", "S1", "S2", "V"]),
        ("GRP-W", ["W", "X", "Y"]),
    ]
    p = {m.company_id: (m.role, m.depth) for m in groups[0].members}
    assert p == {
        "H": ("parent", 1),
        "S1": ("subsidiary", 2),
        "S2": ("subsidiary", 3),
        "V": ("affiliate", 1),
    }
    w = {m.company_id: (m.role, m.depth) for m in groups[1].members}
    assert w == {"W": ("parent", 0), "X": ("subsidiary", 1), "Y": ("subsidiary", 2)}
    spec = group_map_spec(groups[0], {"P": "张三"})
    assert spec.nodes[0].kind == "person"
    assert spec.hierarchical
    assert {(e.source, e.target, e.label) for e in spec.edges} >= {
        ("P", "H", "60%"),
        ("P", "V", "vie"),
    }


def test_exposure_exact_per_currency_and_ranking() -> None:
    direct = direct_controllers(
        [
            Holding("P", "A", 60),
            Holding("A", "B", 60),
            Holding("Q", "C", 60),
            Holding("C", "D", 60),
        ],
        [],
    )
    groups = build_groups(control_components(direct), direct, {"A", "B", "C", "D"})
    facilities = {
        "A": [Exposure("CNY", 10, 1), Exposure("USD", 5, 5)],
        "B": [Exposure("CNY", 2_000_000_000_00, 1_999_999_999_98)],
        "D": [Exposure("CNY", 3_000_000_000_00, 2_000_000_000_00)],
    }
    ranked = rank_groups(with_exposure(groups, facilities))
    assert [g.group_id for g in ranked] == ["GRP-Q", "GRP-P"]
    q, p = ranked
    assert q.over_concentration
    assert not p.over_concentration  # one fen below CNY 2,000,000,000.00
    assert p.exposures == (
        Exposure("CNY", 2_000_000_000_10, 1_999_999_999_99),
        Exposure("USD", 5, 5),
    )
