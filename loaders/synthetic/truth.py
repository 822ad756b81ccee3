"""Deriving ultimate controllers, groups and guarantee circles from rows.

The generator plants these structures on purpose; the functions here re-derive
them from the rows it is about to write (the good rows only), with the
definitions ``truth.json`` promises. The generator fails if the two disagree, so
a truth file never describes data it does not match.

Examples
--------
>>> shares = [("person", "P1", "H", "60"), ("company", "H", "S", "51"), ("company", "S", "H", "10")]
>>> controllers = ultimate_controllers(shares, [])
>>> controllers == {"H": "P1", "S": "P1"}
True
>>> derive_groups(controllers, company_ids={"H", "S"})
[{'controller': 'P1', 'members': ['H', 'S']}]
>>> strongly_connected_components([("A", "B"), ("B", "A"), ("B", "C")])
[['A', 'B']]
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

MAJORITY_PCT = Decimal(50)


def direct_controllers(
    shareholdings: Iterable[tuple[str, str, str, str]],
    control_links: Iterable[tuple[str, str, str]],
) -> dict[str, str]:
    """Company → the one owner holding a strict majority, or its ``control_links`` controller.

    ``shareholdings`` are ``(owner_type, owner_id, company_id, share_pct)`` and
    ``control_links`` are ``(controller_type, controller_id, company_id)``.

    Raises
    ------
    ValueError
        When a company would have two different direct controllers.
    """
    direct: dict[str, str] = {}

    def claim(company: str, controller: str) -> None:
        if direct.get(company, controller) != controller:
            raise ValueError(f"{company} has two direct controllers")
        direct[company] = controller

    for _, owner, company, pct in shareholdings:
        if Decimal(pct) > MAJORITY_PCT:
            claim(company, owner)
    for _, controller, company in control_links:
        claim(company, controller)
    return direct


def ultimate_controllers(
    shareholdings: Iterable[tuple[str, str, str, str]],
    control_links: Iterable[tuple[str, str, str]],
) -> dict[str, str]:
    """Company → its ultimate controller by the control-chain measure.

    Follow direct control upwards until a person, or a company no one controls.
    Companies nobody controls are absent. A control cycle (which the generator
    never plants) would leave its members without a controller.
    """
    direct = direct_controllers(shareholdings, control_links)
    result: dict[str, str] = {}
    for company in direct:
        seen = {company}
        current = direct[company]
        while current in direct and current not in seen:
            seen.add(current)
            current = direct[current]
        if current not in seen:
            result[company] = current
    return result


def derive_groups(controllers: dict[str, str], company_ids: set[str]) -> list[dict[str, Any]]:
    """Groups: every controller with at least two member companies.

    Members are the companies whose ultimate controller it is, plus the
    controller itself when it is a company (``company_ids`` tells which).
    """
    members: dict[str, set[str]] = {}
    for company, controller in controllers.items():
        members.setdefault(controller, set()).add(company)
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
