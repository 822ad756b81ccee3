"""Groups (集团客户): the companies under one ultimate controller, and their exposure.

Definitions
-----------
- The *direct-control graph* has an edge controller → company for every direct
  control (strict majority or a ``control_links`` row, see
  :mod:`algorithms.control`). Every company has at most one direct controller,
  so each weakly connected component is a tree under one root (its ultimate
  controller) or holds a control cycle (no root, no controller, no group).
- A **group** is one such tree with at least two member companies. Members are
  the companies of the tree; a company controller is itself a member (a person
  never is). The group id is ``GRP-`` + the controller id, stable across
  recomputes.
- **Depth** is the number of control steps from the controller (a company
  controller has depth 0). **Role**: ``parent`` for a company controller, and for
  a company a person controls directly that itself controls members;
  ``affiliate`` for a member joined by a control link (agreement, VIE, filing)
  rather than equity, or held directly by the person without subsidiaries;
  ``subsidiary`` for every other member (controlled by a member through a
  majority holding).
- **Exposure** is the exact sum, per currency, of the members' facility limits
  and outstanding (integer minor units). Members that are not customers stay in
  the group with zero exposure. A group is **over-concentrated** when its
  outstanding in some currency is at or above that currency's threshold.
  Ranking is by outstanding in the ranking currency (CNY by default), largest
  first, then group id: amounts in different currencies are never added.

Examples
--------
>>> direct = {
...     "H": DirectControl("P", "H", "majority", 60.0),
...     "S": DirectControl("H", "S", "majority", 51.0),
...     "V": DirectControl("P", "V", "vie"),
... }
>>> groups = build_groups(control_components(direct), direct, {"H", "S", "V"})
>>> [(m.company_id, m.role, m.depth) for m in groups[0].members]
[('H', 'parent', 1), ('S', 'subsidiary', 2), ('V', 'affiliate', 1)]
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Literal

from corpgraph.errors import InputValidationError
from visualizations.model import MapEdge, MapNode, MapSpec

from .control import DirectControl

Role = Literal["parent", "subsidiary", "affiliate"]

#: Default concentration threshold: CNY 2,000,000,000.00 in fen.
DEFAULT_CONCENTRATION_MINOR: Mapping[str, int] = {"CNY": 2_000_000_000_00}
RANKING_CURRENCY = "CNY"


@dataclass(frozen=True)
class Exposure:
    """Limit and outstanding in one currency, integer minor units."""

    currency: str
    limit_minor: int
    outstanding_minor: int


@dataclass(frozen=True)
class Member:
    """A member company, its role, depth and the direct control that joins it."""

    company_id: str
    role: Role
    depth: int
    parent_id: str | None
    basis: str | None
    share_pct: float | None = None


@dataclass(frozen=True)
class Group:
    """One group under one ultimate controller."""

    group_id: str
    controller_id: str
    controller_is_company: bool
    members: tuple[Member, ...]
    exposures: tuple[Exposure, ...] = ()
    over_concentration: bool = False
    explanation: str = ""
    max_depth: int = field(default=0)

    @property
    def size(self) -> int:
        return len(self.members)

    def outstanding(self, currency: str) -> int:
        """Outstanding in one currency (minor units), 0 when none."""
        return sum(e.outstanding_minor for e in self.exposures if e.currency == currency)

    def member_ids(self) -> list[str]:
        return [m.company_id for m in self.members]


def group_id_for(controller_id: str) -> str:
    """The stable id of the group a controller heads.

    Examples
    --------
    >>> group_id_for("P0001")
    'GRP-P0001'
    """
    return f"GRP-{controller_id}"


def control_components(direct: Mapping[str, DirectControl]) -> dict[str, str]:
    """Weakly connected components of the direct-control graph (labelled by smallest key).

    The pure equivalent of the engine's WCC over direct-control edges; handy in tests.
    """
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for company, step in direct.items():
        a, b = find(company), find(step.controller_id)
        if a != b:
            parent[max(a, b)] = min(a, b)
    return {node: find(node) for node in list(parent)}


def build_groups(
    components: Mapping[str, str],
    direct: Mapping[str, DirectControl],
    company_ids: Iterable[str],
) -> list[Group]:
    """Groups from the WCC components of the direct-control graph.

    Parameters
    ----------
    components
        Node → component label over the direct-control graph (nodes outside it may
        be present or absent).
    direct
        Company → its direct control.
    company_ids
        Which nodes are companies (the rest are persons).

    Raises
    ------
    InputValidationError
        When a direct control crosses components (the components do not match
        the edges).
    """
    companies = set(company_ids)
    by_component: dict[str, list[str]] = {}
    for company, step in direct.items():
        label = components.get(company)
        if label is None or components.get(step.controller_id) != label:
            raise InputValidationError(
                f"direct control {step.controller_id}→{company} crosses components"
            )
        by_component.setdefault(label, []).append(company)
    children: dict[str, list[str]] = {}
    for company, step in direct.items():
        children.setdefault(step.controller_id, []).append(company)
    groups = []
    for controlled in by_component.values():
        nodes = set(controlled) | {direct[c].controller_id for c in controlled}
        roots = [n for n in nodes if n not in direct]
        if len(roots) != 1:
            continue  # a control cycle: nobody in it has a controller
        root = roots[0]
        root_is_company = root in companies
        depth = {root: 0}
        queue = deque([root])
        while queue:
            node = queue.popleft()
            for child in sorted(children.get(node, ())):
                if child not in depth:
                    depth[child] = depth[node] + 1
                    queue.append(child)
        member_ids = sorted(n for n in depth if n in companies)
        if len(member_ids) < 2:
            continue
        members = tuple(
            _member(m, root, root_is_company, depth[m], direct, children) for m in member_ids
        )
        groups.append(
            Group(
                group_id=group_id_for(root),
                controller_id=root,
                controller_is_company=root_is_company,
                members=members,
                explanation=(
                    f"{len(members)} companies controlled by {root} through "
                    f"{max(depth.values())} levels of direct control"
                ),
                max_depth=max(depth.values()),
            )
        )
    return sorted(groups, key=lambda g: g.group_id)


def _member(
    company: str,
    root: str,
    root_is_company: bool,
    depth: int,
    direct: Mapping[str, DirectControl],
    children: Mapping[str, list[str]],
) -> Member:
    step = direct.get(company)
    role: Role
    if company == root:
        role = "parent"
    elif step is not None and step.basis != "majority":
        role = "affiliate"
    elif not root_is_company and depth == 1:
        role = "parent" if children.get(company) else "affiliate"
    else:
        role = "subsidiary"
    return Member(
        company_id=company,
        role=role,
        depth=depth,
        parent_id=step.controller_id if step else None,
        basis=step.basis if step else None,
        share_pct=step.share_pct if step else None,
    )


def sum_exposures(
    member_ids: Iterable[str], facilities: Mapping[str, Sequence[Exposure]]
) -> tuple[Exposure, ...]:
    """Exact per-currency totals of the members' facilities.

    Examples
    --------
    >>> f = {"A": [Exposure("CNY", 100, 50)], "B": [Exposure("CNY", 7, 7), Exposure("USD", 3, 1)]}
    >>> sum_exposures(["A", "B", "C"], f)
    (Exposure(currency='CNY', limit_minor=107, outstanding_minor=57), \
Exposure(currency='USD', limit_minor=3, outstanding_minor=1))
    """
    limits: dict[str, int] = {}
    outstanding: dict[str, int] = {}
    for member in member_ids:
        for e in facilities.get(member, ()):
            limits[e.currency] = limits.get(e.currency, 0) + int(e.limit_minor)
            outstanding[e.currency] = outstanding.get(e.currency, 0) + int(e.outstanding_minor)
    return tuple(Exposure(c, limits[c], outstanding[c]) for c in sorted(limits))


def is_over_concentrated(
    exposures: Iterable[Exposure], thresholds: Mapping[str, int] = DEFAULT_CONCENTRATION_MINOR
) -> bool:
    """True when the outstanding in some currency is at or above its threshold.

    Examples
    --------
    >>> is_over_concentrated([Exposure("CNY", 0, 2_000_000_000_00)])
    True
    >>> is_over_concentrated([Exposure("USD", 0, 2_000_000_000_00)])
    False
    """
    return any(
        e.currency in thresholds and e.outstanding_minor >= thresholds[e.currency]
        for e in exposures
    )


def with_exposure(
    groups: Iterable[Group],
    facilities: Mapping[str, Sequence[Exposure]],
    thresholds: Mapping[str, int] = DEFAULT_CONCENTRATION_MINOR,
) -> list[Group]:
    """The groups with their exposure totals and concentration flag filled in."""
    result = []
    for g in groups:
        exposures = sum_exposures(g.member_ids(), facilities)
        result.append(
            Group(
                group_id=g.group_id,
                controller_id=g.controller_id,
                controller_is_company=g.controller_is_company,
                members=g.members,
                exposures=exposures,
                over_concentration=is_over_concentrated(exposures, thresholds),
                explanation=g.explanation,
                max_depth=g.max_depth,
            )
        )
    return result


def rank_groups(groups: Iterable[Group], currency: str = RANKING_CURRENCY) -> list[Group]:
    """Groups by outstanding in ``currency`` (largest first), then by id."""
    return sorted(groups, key=lambda g: (-g.outstanding(currency), g.group_id))


def format_minor(minor: int, exponent: int = 2) -> str:
    """A minor-unit amount as an exact decimal string.

    Examples
    --------
    >>> format_minor(123450)
    '1234.50'
    >>> format_minor(-5)
    '-0.05'
    """
    return str(Decimal(minor).scaleb(-exponent).quantize(Decimal(1).scaleb(-exponent)))


def group_map_spec(
    group: Group,
    names: Mapping[str, str],
    customers: Iterable[str] = (),
) -> MapSpec:
    """The ownership tree of a group as a :class:`MapSpec` (controller on top, % on edges)."""
    customer_set = set(customers)
    nodes = [
        MapNode(
            id=group.controller_id,
            label=names.get(group.controller_id, group.controller_id),
            kind=(
                ("customer" if group.controller_id in customer_set else "non_customer")
                if group.controller_is_company
                else "person"
            ),
            level=0,
            details={"role": "controller"},
        )
    ]
    edges = []
    for m in group.members:
        if m.company_id != group.controller_id:
            nodes.append(
                MapNode(
                    id=m.company_id,
                    label=names.get(m.company_id, m.company_id),
                    kind="customer" if m.company_id in customer_set else "non_customer",
                    level=m.depth,
                    details={"role": m.role, "depth": m.depth},
                )
            )
        if m.parent_id is not None:
            majority = m.basis == "majority"
            edges.append(
                MapEdge(
                    source=m.parent_id,
                    target=m.company_id,
                    relation="OWNS" if majority else "CONTROLS",
                    label=f"{m.share_pct:g}%" if majority and m.share_pct else str(m.basis),
                    weight=m.share_pct,
                )
            )
    return MapSpec(
        title=f"Group {group.group_id}",
        nodes=tuple(nodes),
        edges=tuple(edges),
        hierarchical=True,
    )
