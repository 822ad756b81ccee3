"""Groups: membership (also joint), roles, depths, primary group, cycles, exact exposure."""

from __future__ import annotations

from algorithms.control import ControlLink, consolidate, cycle_id_for, resolve_control
from algorithms.groups import Exposure, build_groups, rank_groups, with_exposure
from algorithms.ownership import Holding
from core.settings import Settings

#: The bank's default concentration threshold (Settings.group_concentration_cny).
THRESHOLDS = Settings(_env_file=None).group_concentration_minor


def groups_of(
    holdings: list[Holding], links: list[ControlLink], companies: set[str], **kwargs: float
) -> dict[str, list[tuple[str, str, int, bool]]]:
    result = resolve_control(consolidate(holdings, links, **kwargs), companies)
    return {
        g.group_id: [(m.company_id, m.role, m.depth, m.primary) for m in g.members]
        for g in build_groups(result)
    }


def test_groups_roles_depths_and_company_controller() -> None:
    holdings = [
        Holding("P", "H", 60),
        Holding("H", "S1", 51),
        Holding("S1", "S2", 100),
        Holding("W", "X", 70),  # a company controller is itself a member
        Holding("X", "Y", 80),
        Holding("Q", "LONE", 90),  # a person with one company forms no group
    ]
    links = [ControlLink("P", "V", "vie")]
    companies = {"H", "S1", "S2", "V", "W", "X", "Y", "LONE"}
    assert groups_of(holdings, links, companies) == {
        "GRP-P": [
            ("H", "parent", 1, True),
            ("S1", "subsidiary", 2, True),
            ("S2", "subsidiary", 3, True),
            ("V", "affiliate", 1, True),
        ],
        "GRP-W": [
            ("W", "parent", 0, True),
            ("X", "subsidiary", 1, True),
            ("Y", "subsidiary", 2, True),
        ],
    }


def test_joint_venture_is_in_both_groups_with_one_primary() -> None:
    holdings = [
        Holding("PA", "A", 100),
        Holding("PA", "A2", 100),
        Holding("PB", "B", 100),
        Holding("PB", "B2", 100),
        Holding("A", "JV", 50),
        Holding("B", "JV", 50),
        Holding("JV", "JS", 100),
    ]
    companies = {"A", "A2", "B", "B2", "JV", "JS"}
    groups = groups_of(holdings, [], companies)
    # Equal shares: the smaller group id is primary.
    assert groups["GRP-PA"] == [
        ("A", "parent", 1, True),
        ("A2", "affiliate", 1, True),
        ("JS", "subsidiary", 3, True),
        ("JV", "joint_venture", 2, True),
    ]
    assert groups["GRP-PB"] == [
        ("B", "parent", 1, True),
        ("B2", "affiliate", 1, True),
        ("JS", "subsidiary", 3, False),
        ("JV", "joint_venture", 2, False),
    ]
    # The larger side is primary, whatever the ids.
    holdings[4:6] = [Holding("A", "JV", 40), Holding("B", "JV", 45)]
    groups = groups_of(holdings, [], companies, joint_control_pct=40.0)
    assert ("JV", "joint_venture", 2, True) in groups["GRP-PB"]
    assert ("JV", "joint_venture", 2, False) in groups["GRP-PA"]


def test_exposure_of_a_joint_venture_counts_in_every_group() -> None:
    holdings = [
        Holding("PA", "A", 100),
        Holding("PB", "B", 100),
        Holding("A", "JV", 50),
        Holding("B", "JV", 50),
    ]
    result = resolve_control(consolidate(holdings, []), {"A", "B", "JV"})
    facilities = {"A": [Exposure("CNY", 10, 3)], "JV": [Exposure("CNY", 100, 70)]}
    groups = {
        g.group_id: g
        for g in with_exposure(
            build_groups(result), facilities, Settings(_env_file=None).group_concentration_minor
        )
    }
    assert groups["GRP-PA"].exposures == (Exposure("CNY", 110, 73),)
    assert groups["GRP-PB"].exposures == (Exposure("CNY", 100, 70),)


def test_cycles_on_groups() -> None:
    holdings = [
        Holding("A", "B", 60),
        Holding("B", "A", 30),
        Holding("H", "A", 20),
        Holding("H", "K", 100),
        Holding("K", "L", 10),  # a cross-holding that changes no control
        Holding("L", "K", 10),
        Holding("A", "L", 60),
    ]
    links = [ControlLink("H", "A", "regulator_filing"), ControlLink("B", "A", "agreement")]
    result = resolve_control(consolidate(holdings, links), {"A", "B", "H", "K", "L"})
    ownership = {"A": "A", "B": "A", "K": "K", "L": "K", "H": "H"}
    (group,) = build_groups(result, ownership_components=ownership)
    assert group.group_id == "GRP-H"
    assert group.member_ids() == ["A", "B", "H", "K", "L"]
    assert group.control_cycles == (("A", "B"),)
    assert group.ownership_cycles == (("A", "B"), ("K", "L"))


def test_a_cycle_no_one_controls_heads_its_group() -> None:
    holdings = [Holding("A", "B", 60), Holding("B", "A", 60), Holding("A", "C", 100)]
    result = resolve_control(consolidate(holdings, []), {"A", "B", "C"})
    (group,) = build_groups(result)
    assert group.group_id == "GRP-" + cycle_id_for(["A", "B"])
    assert group.controller_type == "cycle"
    assert group.controller_members == ("A", "B")
    assert [(m.company_id, m.depth, m.role) for m in group.members] == [
        ("A", 0, "parent"),
        ("B", 0, "parent"),
        ("C", 1, "subsidiary"),
    ]


def test_exposure_exact_per_currency_and_ranking() -> None:
    holdings = [
        Holding("P", "A", 60),
        Holding("A", "B", 60),
        Holding("Q", "C", 60),
        Holding("C", "D", 60),
    ]
    result = resolve_control(consolidate(holdings, []), {"A", "B", "C", "D"})
    facilities = {
        "A": [Exposure("CNY", 10, 1), Exposure("USD", 5, 5)],
        "B": [Exposure("CNY", 2_000_000_000_00, 1_999_999_999_98)],
        "D": [Exposure("CNY", 3_000_000_000_00, 2_000_000_000_00)],
    }
    ranked = rank_groups(
        with_exposure(
            build_groups(result), facilities, Settings(_env_file=None).group_concentration_minor
        )
    )
    assert [g.group_id for g in ranked] == ["GRP-Q", "GRP-P"]
    q, p = ranked
    assert q.over_concentration
    assert not p.over_concentration  # one fen below CNY 2,000,000,000.00
    assert p.exposures == (
        Exposure("CNY", 2_000_000_000_10, 1_999_999_999_99),
        Exposure("USD", 5, 5),
    )
