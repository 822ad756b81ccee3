"""Consolidation control: claims, fixpoint, joint control, cycles, both measures."""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Sequence

import pytest

from algorithms.control import (
    DEFAULT_JOINT_CONTROL_PCT,
    Claim,
    ControlGraph,
    ControlLink,
    ControlResult,
    consolidate,
    control_tree,
    cycle_id_for,
    find_controllers,
    index_path_claims,
    path_in,
    resolve_control,
)
from algorithms.ownership import Holding, OwnershipGraph
from core.messages import render_clauses


def solve(
    holdings: Sequence[Holding],
    links: Sequence[ControlLink] = (),
    *,
    joint_control_pct: float = DEFAULT_JOINT_CONTROL_PCT,
) -> ControlResult:
    """Consolidate and resolve; ids starting with ``P`` are persons."""
    companies = {h.company_id for h in holdings} | {link.company_id for link in links}
    companies |= {h.owner_id for h in holdings if not h.owner_id.startswith("P")}
    companies |= {link.controller_id for link in links if not link.controller_id.startswith("P")}
    graph = consolidate(holdings, links, joint_control_pct=joint_control_pct)
    return resolve_control(graph, companies)


def status(result: ControlResult, company: str) -> tuple[str, tuple[str, ...]]:
    c = result.companies[company]
    return c.status, c.controllers


def test_control_is_50_while_cash_flow_is_42() -> None:
    """30% direct + 20% through a 60%-owned subsidiary: control 50%, cash flow 42%."""
    holdings = [Holding("P", "T", 30), Holding("P", "X", 60), Holding("X", "T", 20)]
    result = solve(holdings)
    assert status(result, "T") == ("none", ())  # 50% is not a strict majority
    report = find_controllers(
        OwnershipGraph.from_holdings(holdings), result.companies["T"], result.graph.decisive
    )
    (p,) = report.controllers
    assert p.controller_id == "P"
    assert p.effective_pct == pytest.approx(42.0, abs=1e-9)
    assert p.control_pct == pytest.approx(50.0, abs=1e-9)
    assert p.by == ("effective",)
    assert sorted(p.paths) == [("P", "T"), ("P", "X", "T")]


def test_sister_companies_vote_together() -> None:
    """Two wholly owned sisters with 50% each: the parent consolidates the subsidiary."""
    holdings = [
        Holding("PA", "TOP", 70),
        Holding("TOP", "S1", 100),
        Holding("TOP", "S2", 100),
        Holding("S1", "SUB", 50),
        Holding("S2", "SUB", 50),
        Holding("SUB", "LEAF", 51),
    ]
    result = solve(holdings)
    assert status(result, "SUB") == ("sole", ("PA",))
    assert status(result, "LEAF") == ("sole", ("PA",))
    path = result.companies["LEAF"].paths[0]
    assert path.nodes == ("PA", "TOP", "SUB", "LEAF")
    bloc = path.steps[1]
    assert (bloc.claimant_id, bloc.basis, bloc.share_pct) == ("TOP", "bloc", 100.0)
    assert bloc.contributors == (("S1", 50.0), ("S2", 50.0))
    assert path.steps[2].basis == "majority"


def test_control_reached_only_after_several_rounds() -> None:
    """Control that appears as blocs merge: right at any depth, in as many rounds as needed."""
    holdings = [Holding("P", "A0", 60)]
    for level in range(1, 8):
        # Level L is held 30% by level L-1 and 30% by B_L, a wholly owned subsidiary of
        # level L-2: the two stakes vote together only once level L-1 is controlled.
        above = f"A{level - 2}" if level >= 2 else "P"
        holdings += [
            Holding(f"A{level - 1}", f"A{level}", 30),
            Holding(f"B{level}", f"A{level}", 30),
            Holding(above, f"B{level}", 100),
        ]
    result = solve(holdings)
    for level in range(8):
        assert status(result, f"A{level}") == ("sole", ("P",)), level
    assert result.graph.rounds >= 8


def test_link_overrides_another_partys_majority() -> None:
    holdings = [Holding("Q", "C", 60)]
    result = solve(holdings, [ControlLink("X", "C", "vie")])
    assert status(result, "C") == ("sole", ("X",))
    assert [(c.claimant_id, c.effect) for c in result.graph.claims] == [("X", "decisive")]


def test_two_links_of_unrelated_parties_are_joint_in_any_order() -> None:
    holdings = [Holding("P", "X", 100), Holding("Q", "Y", 100)]
    links = [ControlLink("X", "J", "agreement"), ControlLink("Y", "J", "regulator_filing")]
    forward = solve(holdings, links)
    backward = solve(holdings[::-1], links[::-1])
    assert status(forward, "J") == status(backward, "J") == ("joint", ("P", "Q"))
    assert forward == backward
    assert {c.effect for c in forward.graph.claims if c.company_id == "J"} == {"joint"}


def test_links_from_one_controller_are_no_conflict() -> None:
    holdings = [Holding("P", "X", 100), Holding("P", "Y", 100)]
    links = [ControlLink("X", "J", "agreement"), ControlLink("Y", "J", "agreement")]
    result = solve(holdings, links)
    assert status(result, "J") == ("sole", ("P",))
    effects = sorted(c.effect for c in result.graph.claims if c.company_id == "J")
    assert effects == ["decisive", "supporting"]


def test_joint_venture_of_two_groups_and_its_subsidiary() -> None:
    holdings = [
        Holding("PA", "A", 100),
        Holding("PB", "B", 100),
        Holding("A", "JV", 50),
        Holding("B", "JV", 50),
        Holding("JV", "JS", 100),
        # The venture's own stake does not count in either venturer's bloc.
        Holding("JV", "X", 30),
        Holding("A", "X", 30),
    ]
    result = solve(holdings)
    assert status(result, "JV") == ("joint", ("PA", "PB"))
    assert status(result, "JS") == ("joint", ("PA", "PB"))
    assert status(result, "X") == ("none", ())
    joint = [c for c in result.graph.claims if c.company_id == "JV"]
    assert [(c.claimant_id, c.basis, c.effect, c.share_pct) for c in joint] == [
        ("A", "joint_bloc", "joint", 50.0),
        ("B", "joint_bloc", "joint", 50.0),
    ]
    assert [p.nodes for p in result.companies["JS"].paths] == [
        ("PA", "A", "JV", "JS"),
        ("PB", "B", "JV", "JS"),
    ]


def test_joint_control_threshold() -> None:
    holdings = [Holding("P", "C", 40), Holding("Q", "C", 40), Holding("R", "C", 20)]
    assert status(solve(holdings), "C") == ("none", ())
    assert status(solve(holdings, joint_control_pct=40.0), "C") == ("joint", ("P", "Q"))
    assert status(solve(holdings, joint_control_pct=20.0), "C") == ("joint", ("P", "Q", "R"))


def test_control_cycle_under_a_holding_company() -> None:
    """A and B control each other (majority one way, agreement the other), under H."""
    holdings = [Holding("A", "B", 60), Holding("B", "A", 30), Holding("H", "A", 20)]
    links = [ControlLink("H", "A", "regulator_filing"), ControlLink("B", "A", "agreement")]
    result = solve(holdings, links)
    assert status(result, "A") == ("sole", ("H",))
    assert status(result, "B") == ("sole", ("H",))
    (cycle,) = result.cycles
    assert cycle.members == ("A", "B")
    assert not cycle.is_root
    assert result.companies["A"].cycle_id == result.companies["B"].cycle_id == cycle.cycle_id
    assert {(c.claimant_id, c.effect) for c in cycle.claims} == {
        ("A", "decisive"),
        ("B", "circular"),
    }


def test_control_cycle_no_one_controls_is_its_own_top() -> None:
    holdings = [Holding("A", "B", 60), Holding("B", "A", 60), Holding("A", "C", 100)]
    result = solve(holdings)
    cycle_id = cycle_id_for(["A", "B"])
    assert "A" not in cycle_id
    assert "B" not in cycle_id.removeprefix("CYC-")
    assert status(result, "A") == ("cycle", (cycle_id,))
    assert status(result, "B") == ("cycle", (cycle_id,))
    assert status(result, "C") == ("sole", (cycle_id,))
    assert result.roots[cycle_id].members == ("A", "B")
    assert result.cycles[0].is_root


def test_companies_controlled_by_their_own_subsidiaries() -> None:
    """Two subsidiaries together hold 60% of their parent: a circular claim, a cycle of one."""
    holdings = [
        Holding("C", "S1", 100),
        Holding("C", "S2", 100),
        Holding("S1", "C", 30),
        Holding("S2", "C", 30),
    ]
    result = solve(holdings)
    (cycle,) = result.cycles
    assert cycle.members == ("C",)
    assert status(result, "S1") == ("sole", (cycle.cycle_id,))


def test_no_controller_is_a_valid_answer() -> None:
    holdings = [Holding("X", "C", 50), Holding("Y", "C", 30), Holding("Z", "C", 20)]
    result = solve(holdings)
    assert status(result, "C") == ("none", ())
    report = find_controllers(
        OwnershipGraph.from_holdings(holdings), result.companies["C"], result.graph.decisive
    )
    assert [c.controller_id for c in report.controllers] == ["X", "Y"]
    assert [pct for _, pct in report.owners] == pytest.approx([50.0, 30.0, 20.0])


def test_both_measures_merge_per_controller() -> None:
    holdings = [Holding("P", "H", 60), Holding("H", "S", 30), Holding("Q", "S", 40)]
    result = solve(holdings, [ControlLink("H", "S", "agreement")])
    report = find_controllers(
        OwnershipGraph.from_holdings(holdings), result.companies["S"], result.graph.decisive
    )
    by_id = {c.controller_id: c for c in report.controllers}
    assert by_id["P"].by == ("control_chain",)  # 18% effective only
    assert by_id["P"].effective_pct == pytest.approx(18.0)
    assert by_id["P"].control_pct == pytest.approx(30.0)
    assert by_id["P"].paths == (("P", "H", "S"),)
    assert "H controls S by agreement" in render_clauses(by_id["P"].explanation, "en")
    assert "H通过协议控制S" in render_clauses(by_id["P"].explanation, "zh")
    assert by_id["Q"].by == ("effective",)
    assert report.status == "sole"


# --- properties on random structures -------------------------------------------------------------
def random_structure(seed: int, size: int = 150) -> tuple[list[Holding], list[ControlLink]]:
    """Company structures with chains, split stakes (blocs), cross-holdings and a few links.

    Each company has 0–3 owners: mostly recent companies (so chains and sister
    companies form), sometimes any company (cross-holdings, cycles) or a person.
    One owner gets a large stake; several owners get 20–50% each, which only
    controls when stakes of one unit add up. Links come from any company or from a
    company just below (often a subsidiary: a circular claim).
    """
    rng = random.Random(seed)
    holdings: list[Holding] = []
    links: list[ControlLink] = []
    for i in range(size):
        company = f"C{i:03d}"
        count = rng.choice((0, 1, 1, 2, 2, 3))
        room = 100.0
        owners: set[str] = set()
        for _ in range(count):
            roll = rng.random()
            if roll < 0.6 and i > 0:
                owner = f"C{rng.randrange(max(0, i - 6), i):03d}"
            elif roll < 0.75:
                owner = f"C{rng.randrange(size):03d}"
            else:
                owner = f"P{rng.randrange(size // 5):03d}"
            if owner == company or owner in owners or room < 1:
                continue
            owners.add(owner)
            choices = (100.0, 70.0, 60.0, 51.0, 50.0) if count == 1 else (20.0, 25.0, 30.0, 50.0)
            pct = min(room, rng.choice(choices))
            holdings.append(Holding(owner, company, pct))
            room -= pct
        if rng.random() < 0.1:
            links.append(ControlLink(f"C{rng.randrange(size):03d}", company, "agreement"))
        if rng.random() < 0.1 and i + 1 < size:  # from a likely subsidiary: circular
            later = f"C{rng.randrange(i + 1, min(size, i + 7)):03d}"
            links.append(ControlLink(later, company, "agreement"))
    return holdings, links


def naive_decisive(
    holdings: list[Holding], links: list[ControlLink], majority: float = 50.0
) -> dict[str, tuple[str, str]]:
    """The same rules, re-evaluated for every company every round, units rebuilt from scratch."""
    owners: dict[str, dict[str, float]] = defaultdict(dict)
    for h in holdings:
        owners[h.company_id][h.owner_id] = owners[h.company_id].get(h.owner_id, 0.0) + h.pct
    linked: dict[str, dict[str, str]] = defaultdict(dict)
    for link in sorted(links, key=lambda x: (x.company_id, x.controller_id, x.basis)):
        if link.controller_id != link.company_id:
            linked[link.company_id].setdefault(link.controller_id, link.basis)
    decisive: dict[str, str] = {}

    def chain(node: str) -> list[str]:
        out = [node]
        while out[-1] in decisive and decisive[out[-1]] not in out:
            out.append(decisive[out[-1]])
        return out

    def unit(node: str) -> str:
        seen: list[str] = []
        while node in decisive and node not in seen:
            seen.append(node)
            node = decisive[node]
        if node not in decisive:
            return node
        return min(seen[seen.index(node) :])  # a closed cycle: its smallest member

    result: dict[str, tuple[str, str]] = {}
    while True:
        decisions: dict[str, tuple[str, str]] = {}
        for company in sorted(set(owners) | set(linked)):
            if company in decisive:
                continue
            own = unit(company)
            by_unit: dict[str, list[str]] = defaultdict(list)
            for controller in sorted(linked[company]):
                if unit(controller) != own:
                    by_unit[unit(controller)].append(controller)
            if by_unit:
                if len(by_unit) == 1:
                    (claimants,) = by_unit.values()
                    chosen = min(claimants, key=lambda c: (len(chain(c)), c))
                    decisions[company] = (chosen, linked[company][chosen])
                continue
            blocs: dict[str, dict[str, float]] = defaultdict(dict)
            for owner, pct in owners[company].items():
                if unit(owner) != own:
                    blocs[unit(owner)][owner] = pct
            for stakes in blocs.values():
                if sum(stakes.values()) > majority + 1e-9:
                    total: dict[str, float] = defaultdict(float)
                    depth: dict[str, int] = {}
                    for owner, pct in stakes.items():
                        path = chain(owner)
                        for position, node in enumerate(path):
                            total[node] += pct
                            depth[node] = len(path) - position
                    meets = [n for n, v in total.items() if v > majority + 1e-9]
                    decisions[company] = (min(meets, key=lambda n: (-depth[n], n)), "shares")
        if not decisions:
            return result
        for company, (claimant, basis) in decisions.items():
            decisive[company] = claimant
            result[company] = (claimant, basis)


@pytest.mark.parametrize("seed", range(12))
def test_fixpoint_matches_a_naive_full_re_evaluation(seed: int) -> None:
    holdings, links = random_structure(seed)
    graph = consolidate(holdings, links)
    found = {
        company: (claim.claimant_id, "shares" if claim.from_shares else claim.basis)
        for company, claim in graph.decisive.items()
    }
    assert found == naive_decisive(holdings, links)


@pytest.mark.parametrize("seed", range(12))
def test_result_does_not_depend_on_input_order(seed: int) -> None:
    holdings, links = random_structure(seed)
    reference = solve(holdings, links)
    rng = random.Random(seed + 1000)
    for _ in range(3):
        shuffled_holdings, shuffled_links = holdings[:], links[:]
        rng.shuffle(shuffled_holdings)
        rng.shuffle(shuffled_links)
        assert solve(shuffled_holdings, shuffled_links) == reference


def upstream_claims(graph: ControlGraph, company: str) -> list[Claim]:
    """The claims whose company is ``company`` or upstream of it (what the API reads)."""
    into: dict[str, list[Claim]] = defaultdict(list)
    for claim in graph.claims:
        into[claim.company_id].append(claim)
    seen, frontier, found = {company}, [company], []
    while frontier:
        node = frontier.pop()
        for claim in into[node]:
            found.append(claim)
            if claim.claimant_id not in seen:
                seen.add(claim.claimant_id)
                frontier.append(claim.claimant_id)
    return found


@pytest.mark.parametrize("seed", range(6))
def test_paths_from_the_upstream_alone_equal_the_whole_graphs(seed: int) -> None:
    """The API rebuilds paths from a company's upstream claims: they must be the same paths."""
    holdings, links = random_structure(seed)
    result = solve(holdings, links)
    controlled = [c for c in result.companies.values() if c.status in ("sole", "joint")]
    assert controlled
    for company in controlled:
        out = index_path_claims(upstream_claims(result.graph, company.company_id))
        for path in company.paths:
            starts = result.roots[path.controller_id].members
            tree = control_tree(starts, out)
            assert path_in(path.controller_id, tree, company.company_id) == path
    statuses = {c.status for c in result.companies.values()}
    assert {"sole", "none"} <= statuses
