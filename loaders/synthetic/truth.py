"""Deriving ultimate controllers, groups and guarantee circles from rows.

The generator plants these structures on purpose; the functions here re-derive
them from the rows it is about to write (the good rows only), with the
definitions ``truth.json`` promises. The generator fails if the two disagree, so
a truth file never describes data it does not match.

Control is consolidation control (README, "Control and groups"): a company is
controlled by the unit whose stakes (its own and those of the companies it already
controls) exceed 50%, or by the one unit whose members hold control links over it;
links of two units, or two 50% blocs, make it jointly controlled. This derivation
is deliberately plain (whole passes until nothing changes) and independent of
:mod:`algorithms.control`.

Examples
--------
>>> shares = [("person", "P1", "H", "60"), ("company", "H", "S1", "100"),
...           ("company", "H", "S2", "100"), ("company", "S1", "J", "50"),
...           ("company", "S2", "J", "50")]
>>> controllers = ultimate_controllers(shares, [])
>>> controllers == {"H": ["P1"], "S1": ["P1"], "S2": ["P1"], "J": ["P1"]}
True
>>> derive_groups(controllers, company_ids={"H", "S1", "S2", "J"})
[{'controller': 'P1', 'members': ['H', 'J', 'S1', 'S2']}]
>>> strongly_connected_components([("A", "B"), ("B", "A"), ("B", "C")])
[['A', 'B']]
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

MAJORITY_PCT = Decimal(50)
JOINT_PCT = Decimal(50)


def ultimate_controllers(
    shareholdings: Iterable[tuple[str, str, str, str]],
    control_links: Iterable[tuple[str, str, str]],
) -> dict[str, list[str]]:
    """Company → its ultimate controllers (sorted; two or more when jointly controlled).

    ``shareholdings`` are ``(owner_type, owner_id, company_id, share_pct)`` and
    ``control_links`` are ``(controller_type, controller_id, company_id)``.
    Companies no one controls are absent.

    Raises
    ------
    ValueError
        On a control cycle that nobody outside controls (the generator plants none).
    """
    owners: dict[str, dict[str, Decimal]] = defaultdict(dict)
    for _, owner, company, pct in shareholdings:
        owners[company][owner] = owners[company].get(owner, Decimal(0)) + Decimal(pct)
    links: dict[str, set[str]] = defaultdict(set)
    for _, controller, company in control_links:
        links[company].add(controller)
    companies = sorted(set(owners) | set(links))
    parent: dict[str, str] = {}  # company → the top of the unit that controls it
    tops: dict[str, str] = {}  # memo, valid while ``parent`` does not change

    def top(node: str) -> str:
        if node in tops:
            return tops[node]
        start, seen = node, {node}
        while node in parent:
            node = parent[node]
            if node in seen:
                raise ValueError(f"a control cycle through {node} that no one controls")
            seen.add(node)
        tops[start] = node
        return node

    def sides(company: str) -> tuple[set[str], dict[str, Decimal]]:
        own = top(company)
        link_tops = {top(x) for x in links[company]} - {own}
        blocs: dict[str, Decimal] = defaultdict(Decimal)
        for owner, pct in owners[company].items():
            if top(owner) != own:
                blocs[top(owner)] += pct
        return link_tops, blocs

    while True:
        found: dict[str, str] = {}
        for company in companies:
            if company in parent:
                continue
            link_tops, blocs = sides(company)
            if len(link_tops) == 1:
                found[company] = next(iter(link_tops))
            elif not link_tops:
                majority = [t for t, pct in blocs.items() if pct > MAJORITY_PCT]
                if majority:
                    found[company] = majority[0]
        if not found:
            break
        parent.update(found)
        tops.clear()

    joint: dict[str, set[str]] = {}
    for company in companies:
        if company not in parent:
            link_tops, blocs = sides(company)
            if not link_tops:
                link_tops = {t for t, pct in blocs.items() if pct >= JOINT_PCT}
            if len(link_tops) >= 2:
                joint[company] = link_tops

    def of_top(node: str) -> set[str]:
        if node in joint:
            return set().union(*(of_top(t) for t in joint[node]))
        return {node}

    result = {}
    for company in companies:
        if company in parent:
            result[company] = sorted(of_top(top(company)))
        elif company in joint:
            result[company] = sorted(of_top(company))
    return result


def derive_groups(controllers: dict[str, list[str]], company_ids: set[str]) -> list[dict[str, Any]]:
    """Groups: every controller with at least two member companies.

    Members are the companies among whose ultimate controllers it is (a jointly
    controlled company is in each of its controllers' groups), plus the controller
    itself when it is a company (``company_ids`` tells which).
    """
    members: dict[str, set[str]] = defaultdict(set)
    for company, ultimate in controllers.items():
        for controller in ultimate:
            members[controller].add(company)
    groups = []
    for controller, companies in members.items():
        if controller in company_ids:
            companies = companies | {controller}
        if len(companies) >= 2:
            groups.append({"controller": controller, "members": sorted(companies)})
    return sorted(groups, key=lambda g: str(g["controller"]))


def strongly_connected_components(edges: Iterable[tuple[str, str]]) -> list[list[str]]:
    """Components of two or more nodes, each sorted, sorted by first member (iterative Tarjan)."""
    graph: dict[str, list[str]] = {}
    for source, target in edges:
        graph.setdefault(source, []).append(target)
        graph.setdefault(target, [])
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    components: list[list[str]] = []
    counter = 0
    for root in graph:
        if root in index:
            continue
        work: list[tuple[str, int]] = [(root, 0)]
        while work:
            node, child_position = work.pop()
            if child_position == 0:
                index[node] = low[node] = counter
                counter += 1
                stack.append(node)
                on_stack.add(node)
            children = graph[node]
            if child_position < len(children):
                work.append((node, child_position + 1))
                child = children[child_position]
                if child not in index:
                    work.append((child, 0))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) >= 2:
                    components.append(sorted(component))
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
    return sorted(components)
