"""Groups (集团客户): the companies under one ultimate controller, and their exposure.

Definitions
-----------
- A **group** is everything one ultimate controller (a root of the claims graph,
  see :mod:`algorithms.control`) reaches: the companies it controls alone or
  jointly, through any number of levels, with at least two member companies. A
  company controller is itself a member, and so are the members of a control cycle
  that is its own top; a person never is. The group id is ``GRP-`` + the
  controller's id (a person, a company, or a cycle's hash id), stable across
  recomputes.
- **Membership policy for joint control.** The Basel large-exposures standard
  (LEX10: groups of connected counterparties) defines groups by relationships, not
  as a partition, so one counterparty can be connected to several groups. A jointly
  controlled company, and everything it solely controls, is therefore a member of
  *every* controller's group and its exposure counts in each of those groups. One
  of them is its **primary** group: the side with the largest share where control
  is shared (the bloc at the last joint step of the path; a link counts 0), then the
  smallest group id. A company in one group has that group as its primary group.
- **Depth** is the number of control steps from the controller along its tree (a
  company controller, or a root cycle's members, have depth 0). **Parent** is the
  claimant of the step into the member in this group's tree (in each group of a
  joint venture, that group's side). **Role**: ``parent`` for the controller's own
  companies, and for a company a person controls directly that itself controls
  members; ``joint_venture`` for a company whose control is shared at that step;
  ``affiliate`` for a member joined by a control link (agreement, VIE, filing)
  rather than equity, or held directly by the person without subsidiaries;
  ``subsidiary`` for every other member.
- **Cycles.** A group lists its control cycles (strongly connected components of
  the claims graph among its members) and its cross-shareholding cycles (strongly
  connected components of the shareholdings that touch its members).
- **Exposure** is the exact sum, per currency, of the members' facility limits and
  outstanding (integer minor units). Members that are not customers stay in the
  group with zero exposure. A group is **over-concentrated** when its outstanding
  in some currency is at or above that currency's threshold. Ranking is by
  outstanding in the ranking currency (CNY by default), largest first, then group
  id: amounts in different currencies are never added.
- ``connections`` is reserved for connections other than control (economic
  interdependence); control alone never fills it.

Examples
--------
>>> from algorithms.control import ControlLink, consolidate, resolve_control
>>> from algorithms.ownership import Holding
>>> result = resolve_control(consolidate(
...     [Holding("P", "H", 60.0), Holding("H", "S", 51.0), Holding("A", "JV", 50.0),
...      Holding("H", "JV", 50.0), Holding("Q", "A", 70.0), Holding("Q", "B", 70.0)],
...     [ControlLink("P", "V", "vie")]), {"H", "S", "V", "JV", "A", "B"})
>>> groups = build_groups(result)
>>> [(g.group_id, g.member_ids()) for g in groups]
[('GRP-P', ['H', 'JV', 'S', 'V']), ('GRP-Q', ['A', 'B', 'JV'])]
>>> [(m.company_id, m.role, m.depth, m.primary) for m in groups[0].members]
[('H', 'parent', 1, True), ('JV', 'joint_venture', 2, True), ('S', 'subsidiary', 2, True), \
('V', 'affiliate', 1, True)]
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Final, Literal

from core.i18n import N_
from core.messages import Message

from .control import Claim, ControlResult, RootKind, Status

Role = Literal["parent", "subsidiary", "affiliate", "joint_venture"]

RANKING_CURRENCY = "CNY"


@dataclass(frozen=True)
class Exposure:
    """Limit and outstanding in one currency, integer minor units."""

    currency: str
    limit_minor: int
    outstanding_minor: int


@dataclass(frozen=True)
class Member:
    """A member company: role, depth and the claim that joins it in this group.

    ``status`` is the company's control status; ``controllers`` its ultimate
    controllers (two or more when jointly controlled); ``primary`` whether this group
    is its primary group.
    """

    company_id: str
    role: Role
    depth: int
    parent_id: str | None
    basis: str | None
    share_pct: float | None = None
    status: Status = "sole"
    controllers: tuple[str, ...] = ()
    primary: bool = True


# How a group is explained: clauses as catalogue keys (core.messages).
_EXPLAIN_GROUP: Final = N_(
    "{members} companies controlled by {controller} through {levels} levels of control"
)
_EXPLAIN_JOINT: Final = N_("{joint} jointly controlled with other groups")
_EXPLAIN_CONTROL_CYCLES: Final = N_("{cycles} control cycles")
_EXPLAIN_RINGS: Final = N_("{cycles} cross-shareholding cycles")


@dataclass(frozen=True)
class GroupConnection:
    """A connection between two members other than control (e.g. economic interdependence)."""

    kind: str
    company_ids: tuple[str, str]
    explanation: str


@dataclass(frozen=True)
class Group:
    """One group under one ultimate controller."""

    group_id: str
    controller_id: str
    controller_type: RootKind
    members: tuple[Member, ...]
    controller_members: tuple[str, ...] = ()
    control_cycles: tuple[tuple[str, ...], ...] = ()
    ownership_cycles: tuple[tuple[str, ...], ...] = ()
    exposures: tuple[Exposure, ...] = ()
    over_concentration: bool = False
    #: Clauses (catalogue keys, :mod:`core.messages`); ``{controller}`` is the controller's id.
    explanation: tuple[Message, ...] = ()
    max_depth: int = field(default=0)
    connections: tuple[GroupConnection, ...] = ()

    @property
    def controller_is_company(self) -> bool:
        return self.controller_type == "company"

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


def _role(
    depth: int,
    claim: Claim | None,
    root_kind: RootKind,
    has_children: bool,
) -> Role:
    if claim is None:
        return "parent"
    if claim.effect == "joint":
        return "joint_venture"
    if not claim.from_shares:
        return "affiliate"
    if root_kind == "person" and depth == 1:
        return "parent" if has_children else "affiliate"
    return "subsidiary"


def ownership_cycles(components: Mapping[str, str]) -> list[tuple[str, ...]]:
    """Strongly connected components of two or more nodes, each sorted, sorted.

    Examples
    --------
    >>> ownership_cycles({"A": "A", "B": "A", "C": "C"})
    [('A', 'B')]
    """
    by_label: dict[str, list[str]] = defaultdict(list)
    for node, label in components.items():
        by_label[label].append(node)
    return sorted(tuple(sorted(m)) for m in by_label.values() if len(m) > 1)


def build_groups(
    result: ControlResult,
    *,
    ownership_components: Mapping[str, str] | None = None,
) -> list[Group]:
    """Groups from the ultimate controllers' reach, with roles, depths and primary flags.

    Parameters
    ----------
    result
        :func:`algorithms.control.resolve_control` over every company.
    ownership_components
        Strongly connected components of the shareholding graph (node → label),
        for the cross-shareholding cycles each group reports.
    """
    companies = result.companies
    candidates = []
    for root in result.roots.values():
        member_ids = sorted(n for n in root.tree if n in companies)
        if len(member_ids) >= 2:
            candidates.append((root, member_ids))
    share: dict[str, list[tuple[float, str]]] = defaultdict(list)
    for root, member_ids in candidates:
        gid = group_id_for(root.root_id)
        for m in member_ids:
            share[m].append((-root.path_to(m).share_pct, gid))
    primary = {m: min(options)[1] for m, options in share.items()}

    cross = ownership_cycles(ownership_components or {})
    cycles_by_member: dict[str, list[tuple[str, ...]]] = defaultdict(list)
    for ring in cross:
        for m in ring:
            cycles_by_member[m].append(ring)

    groups = []
    for root, member_ids in candidates:
        gid = group_id_for(root.root_id)
        children: dict[str, int] = defaultdict(int)
        for m in member_ids:
            claim = root.tree[m][1]
            if claim is not None:
                children[claim.claimant_id] += 1
        members = []
        for m in member_ids:
            depth, claim = root.tree[m]
            control = companies[m]
            members.append(
                Member(
                    company_id=m,
                    role=_role(depth, claim, root.kind, children[m] > 0),
                    depth=depth,
                    parent_id=claim.claimant_id if claim else None,
                    basis=claim.basis if claim else None,
                    share_pct=claim.share_pct if claim else None,
                    status=control.status,
                    controllers=control.controllers,
                    primary=primary[m] == gid,
                )
            )
        member_set = set(member_ids)
        control_cycles = tuple(c.members for c in result.cycles if set(c.members) & member_set)
        rings = tuple(sorted({ring for m in member_ids for ring in cycles_by_member[m]}))
        max_depth = max(m.depth for m in members)
        joint = sum(1 for m in members if m.status == "joint")
        explanation = (
            Message(
                _EXPLAIN_GROUP,
                {"members": len(members), "controller": root.root_id, "levels": max_depth},
            ),
            *((Message(_EXPLAIN_JOINT, {"joint": joint}),) if joint else ()),
            *(
                (Message(_EXPLAIN_CONTROL_CYCLES, {"cycles": len(control_cycles)}),)
                if control_cycles
                else ()
            ),
            *((Message(_EXPLAIN_RINGS, {"cycles": len(rings)}),) if rings else ()),
        )
        groups.append(
            Group(
                group_id=gid,
                controller_id=root.root_id,
                controller_type=root.kind,
                members=tuple(members),
                controller_members=root.members if root.kind == "cycle" else (),
                control_cycles=control_cycles,
                ownership_cycles=rings,
                explanation=explanation,
                max_depth=max_depth,
            )
        )
    return sorted(groups, key=lambda g: g.group_id)


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


def is_over_concentrated(exposures: Iterable[Exposure], thresholds: Mapping[str, int]) -> bool:
    """True when the outstanding in some currency is at or above its threshold.

    The thresholds (minor units per currency) are the bank's, from
    :meth:`core.settings.Settings.concentration_thresholds_minor`.

    Examples
    --------
    >>> is_over_concentrated([Exposure("CNY", 0, 2_000_000_000_00)], {"CNY": 2_000_000_000_00})
    True
    >>> is_over_concentrated([Exposure("USD", 0, 2_000_000_000_00)], {"CNY": 2_000_000_000_00})
    False
    """
    return any(
        e.currency in thresholds and e.outstanding_minor >= thresholds[e.currency]
        for e in exposures
    )


def with_exposure(
    groups: Iterable[Group],
    facilities: Mapping[str, Sequence[Exposure]],
    thresholds: Mapping[str, int],
) -> list[Group]:
    """The groups with their exposure totals and concentration flag filled in.

    A jointly controlled member counts in full in every group it belongs to.
    """
    result = []
    for g in groups:
        exposures = sum_exposures(g.member_ids(), facilities)
        result.append(
            replace(
                g,
                exposures=exposures,
                over_concentration=is_over_concentrated(exposures, thresholds),
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
