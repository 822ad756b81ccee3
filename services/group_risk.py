"""Group risk in Neo4j: read the inputs, run the pure algorithms, store and serve results.

``corpgraph compute`` runs :func:`compute_group_risk`:

1. reads shareholdings (``OWNS``) and ``control_links`` (``CONTROLS``) and computes
   consolidation control (:mod:`algorithms.control`); every claim of the claims
   graph is stored as ``(:Company|Person)-[:CONTROLS_DIRECTLY {basis, effect,
   share_pct, contributor_ids, contributor_pcts}]->(:Company)`` (the engine's
   projection input, rewritten by every run) and published as the run's
   ``CONTROL_CLAIM {run_id, ...}`` relationships, which readers read;
2. runs the engine's **SCC** over ``CONTROLS_DIRECTLY`` (control cycles) and over
   ``OWNS`` (cross-shareholding cycles), and derives every company's status and
   ultimate controllers, stored on ``(:ControlResult {run_id, company_id})``
   (``control_status``, ``ultimate_controller_ids``, ``control_cycle_id``,
   ``control_cycle_members``, ``ownership_cycle_members``, ``primary_group_id``);
3. builds the groups from the ultimate controllers' reach (:mod:`algorithms.groups`),
   with exact exposure per currency, and stores ``(:Group {group_id, run_id})`` and
   ``(:Company)-[:MEMBER_OF {role, depth, parent_id, basis, share_pct, status,
   controllers, primary}]->(:Group)``: a jointly controlled company is a member of
   every controller's group, one of them primary;
4. runs the engine's **SCC** over ``GUARANTEES`` and stores the guarantee circles
   (:mod:`algorithms.guarantees`): ``(:GuaranteeCircle {circle_id, run_id})`` and
   ``IN_CIRCLE``;
5. finds the longest guarantee chains ending at customers outside the circles and
   stores them: ``(:GuaranteeChain {chain_id, run_id, length, members,
   guarantee_ids, currencies, amounts_minor})`` and ``IN_CHAIN {position}``.

Every result is written under the run's id and published by the step's pointer
(:mod:`graph.compute_runs`): readers resolve the published run and read only its
groups, circles, claims and control results, so they never see half a run; runs
older than the previous published one are collected by the next run.

The read functions below serve the API and the CLI from what compute published (the
controllers answer reads the stored claims and statuses, so it always agrees with
the stored groups); each takes the caller's :class:`~graph.branches.BranchScope`
where results are scoped. The Cypher of every read and write is
:mod:`graph.group_results`; this module runs the algorithms, decodes the stored
cycles and pairs, and scopes the answers.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Final, cast

from algorithms.contagion import ContagionResult, propagate
from algorithms.control import (
    DEFAULT_THRESHOLD_PCT,
    Claim,
    CompanyControl,
    ControllerReport,
    ControlLink,
    ControlPath,
    Effect,
    Status,
    consolidate,
    control_tree,
    find_controllers,
    index_path_claims,
    path_in,
    resolve_control,
)
from algorithms.groups import (
    RANKING_CURRENCY,
    Exposure,
    Group,
    build_groups,
    group_id_for,
    rank_groups,
    with_exposure,
)
from algorithms.guarantees import (
    Chain,
    Circle,
    GuaranteeEdge,
    build_circles,
    guaranteed_amounts,
    longest_chains,
)
from algorithms.hidden_guarantees import RelatedPair, hidden_guarantee_risk
from algorithms.ownership import DEFAULT_MAX_DEPTH, DEFAULT_MAX_PATHS, Holding, OwnershipGraph
from core.formatting import Language
from core.ids import opaque_id
from core.messages import Message, from_json, rewrite_text, to_json
from core.settings import Settings
from graph import group_results as results
from graph.branches import BranchScope
from graph.compute_runs import PublishedRuns, published_runs
from graph.database import Database
from graph.group_results import read_id_salt
from graph.related_parties import StoredRelation, read_relations_among
from graph.scoping import Anonymiser, anonymiser_for

from .compute_inputs import ComputeInputs
from .engines import GraphEngine, Projection, RelationshipSpec
from .related_parties import scoped_evidence
from .steps import StepReport

logger = logging.getLogger(__name__)

CONTROL_PROJECTION: Final = Projection(
    "control-claims", ("Company", "Person"), (RelationshipSpec("CONTROLS_DIRECTLY"),)
)
OWNERSHIP_PROJECTION: Final = Projection(
    "ownership", ("Company", "Person"), (RelationshipSpec("OWNS"),)
)
GUARANTEE_PROJECTION: Final = Projection(
    "guarantees", ("Company",), (RelationshipSpec("GUARANTEES"),)
)
#: Separator of the member ids of one cycle in a stored list of cycles.
CYCLE_SEPARATOR: Final = "|"
#: How a guarantee circle's elementary cycles and mutual pairs are stored: Neo4j
#: properties hold lists of strings, not lists of lists. Only this module decodes them.
CIRCLE_CYCLE_SEPARATOR: Final = ">"
MUTUAL_PAIR_SEPARATOR: Final = "|"


@dataclass(frozen=True)
class GroupRiskInputs:
    """Everything group risk reads from Neo4j."""

    company_names: dict[str, str]
    customers: frozenset[str]
    person_names: dict[str, str]
    holdings: tuple[Holding, ...]
    links: tuple[ControlLink, ...]
    facilities: dict[str, list[Exposure]]
    guarantees: tuple[GuaranteeEdge, ...]


def read_inputs(db: Database) -> GroupRiskInputs:
    """Read companies, persons, holdings, control links, facilities and guarantees."""
    companies = results.read_companies(db)
    facilities: dict[str, list[Exposure]] = {}
    for f in results.read_facility_totals(db):
        facilities.setdefault(f.company_id, []).append(_exposure(f.sums))
    return GroupRiskInputs(
        company_names={c.company_id: c.name for c in companies},
        customers=frozenset(c.company_id for c in companies if c.is_customer),
        person_names={p.person_id: p.name for p in results.read_persons(db)},
        holdings=tuple(
            Holding(h.owner_id, h.company_id, h.share_pct) for h in results.read_holdings(db)
        ),
        links=tuple(
            ControlLink(link.controller_id, link.company_id, link.basis)
            for link in results.read_control_links(db)
        ),
        facilities=facilities,
        guarantees=tuple(
            GuaranteeEdge(g.guarantee_id, g.guarantor_id, g.borrower_id, g.amount_minor, g.currency)
            for g in results.read_guarantees(db)
        ),
    )


def _exposure(sums: results.FacilitySum) -> Exposure:
    return Exposure(sums.currency, sums.limit_minor, sums.outstanding_minor)


def _components(db: Database, engine: GraphEngine, projection: Projection) -> dict[str, str]:
    """The engine's SCCs of one projection; empty when the store has none of its edges."""
    for rel in projection.relationships:
        if not results.has_relationships(db, rel.type):
            return {}
    return engine.scc(projection)


def claim_rows(claims: Iterable[Claim]) -> list[dict[str, Any]]:
    """Rows of the claim writes."""
    return [
        {
            "controller_id": c.claimant_id,
            "company_id": c.company_id,
            "basis": c.basis,
            "effect": c.effect,
            "share_pct": c.share_pct,
            "contributor_ids": [owner for owner, _ in c.contributors],
            "contributor_pcts": [pct for _, pct in c.contributors],
        }
        for c in claims
    ]


def group_rows(groups: list[Group]) -> list[dict[str, Any]]:
    """Rows of :data:`graph.group_results.WRITE_GROUPS` (``groups`` in rank order)."""
    return [
        {
            "group_id": g.group_id,
            "controller_id": g.controller_id,
            "controller_type": g.controller_type,
            "controller_members": list(g.controller_members),
            "size": g.size,
            "max_depth": g.max_depth,
            "currencies": [e.currency for e in g.exposures],
            "limit_minor": [e.limit_minor for e in g.exposures],
            "outstanding_minor": [e.outstanding_minor for e in g.exposures],
            "rank_outstanding_minor": g.outstanding(RANKING_CURRENCY),
            "over_concentration": g.over_concentration,
            "rank": rank,
            "control_cycles": [CYCLE_SEPARATOR.join(c) for c in g.control_cycles],
            "ownership_cycles": [CYCLE_SEPARATOR.join(c) for c in g.ownership_cycles],
            "joint_members": sum(1 for m in g.members if m.status == "joint"),
            "explanation": to_json(g.explanation),
        }
        for rank, g in enumerate(groups, start=1)
    ]


def member_rows(groups: Iterable[Group]) -> list[dict[str, Any]]:
    """Rows of :data:`graph.group_results.WRITE_MEMBERS`."""
    return [
        {
            "group_id": g.group_id,
            "company_id": m.company_id,
            "role": m.role,
            "depth": m.depth,
            "parent_id": m.parent_id,
            "basis": m.basis,
            "share_pct": m.share_pct,
            "status": m.status,
            "controllers": list(m.controllers),
            "primary": m.primary,
        }
        for g in groups
        for m in g.members
    ]


def circle_rows(circles: list[Circle]) -> list[dict[str, Any]]:
    """Rows of :data:`graph.group_results.WRITE_CIRCLES`."""
    return [
        {
            "circle_id": c.circle_id,
            "size": len(c.members),
            "cycles": [CIRCLE_CYCLE_SEPARATOR.join(cycle) for cycle in c.cycles],
            "cycles_complete": c.cycles_complete,
            "mutual_pairs": [MUTUAL_PAIR_SEPARATOR.join(pair) for pair in c.mutual_pairs],
            "currencies": [cur for cur, _ in c.amounts],
            "amounts_minor": [amount for _, amount in c.amounts],
            "guarantee_ids": list(c.guarantee_ids),
        }
        for c in circles
    ]


def chain_rows(
    chains: list[Chain], edges: Sequence[GuaranteeEdge], salt: str
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Rows of :data:`graph.group_results.WRITE_CHAINS` and of ``WRITE_CHAIN_MEMBERS``."""
    chains_out: list[dict[str, Any]] = []
    members: list[dict[str, Any]] = []
    for c in chains:
        chain_id = public_chain_id(salt, c.nodes)
        amounts = guaranteed_amounts(c.guarantee_ids, edges)
        chains_out.append(
            {
                "chain_id": chain_id,
                "length": c.length,
                "members": list(c.nodes),
                "guarantee_ids": list(c.guarantee_ids),
                "currencies": [cur for cur, _ in amounts],
                "amounts_minor": [amount for _, amount in amounts],
            }
        )
        members.extend(
            {"chain_id": chain_id, "company_id": m, "position": position}
            for position, m in enumerate(c.nodes)
        )
    return chains_out, members


def public_chain_id(salt: str, nodes: Iterable[str]) -> str:
    """The stored id of the guarantee chain ``nodes`` (in order): stable, naming no member."""
    return opaque_id("GCH", salt, "\x1f".join(nodes))


def public_group_id(salt: str, controller_id: str) -> str:
    """The stored id of the group ``controller_id`` heads: stable, and naming no member."""
    return opaque_id("GRP", salt, group_id_for(controller_id))


def public_circle_id(salt: str, members: Iterable[str]) -> str:
    """The stored id of the guarantee circle of ``members``: stable, and naming no member."""
    return opaque_id("GC", salt, "\x1f".join(sorted(members)))


def compute_group_risk(
    db: Database,
    engine: GraphEngine,
    settings: Settings,
    run_id: str,
    /,
    *,
    run_inputs: ComputeInputs | None = None,  # the flows: this step does not read them
) -> StepReport:
    """The ``group_risk`` compute step: control, groups, exposure and circles (under ``run_id``)."""

    inputs = read_inputs(db)
    company_ids = set(inputs.company_names)

    graph = consolidate(inputs.holdings, inputs.links, joint_control_pct=settings.joint_control_pct)
    by_company = [c for c in graph.claims if c.claimant_id in company_ids]
    by_person = [c for c in graph.claims if c.claimant_id not in company_ids]
    results.write_control_claims(db, claim_rows(by_company), claim_rows(by_person), run_id)

    result = resolve_control(
        graph, company_ids, components=_components(db, engine, CONTROL_PROJECTION)
    )
    ownership_components = _components(db, engine, OWNERSHIP_PROJECTION)
    salt = read_id_salt(db)
    groups = [
        replace(g, group_id=public_group_id(salt, g.controller_id))
        for g in rank_groups(
            with_exposure(
                build_groups(result, ownership_components=ownership_components),
                inputs.facilities,
                settings.group_concentration_minor,
            )
        )
    ]
    primary = {m.company_id: g.group_id for g in groups for m in g.members if m.primary}
    cycle_members = {c.cycle_id: list(c.members) for c in result.cycles}
    rings: dict[str, list[str]] = {}
    by_label: dict[str, list[str]] = {}
    for node, label in ownership_components.items():
        by_label.setdefault(label, []).append(node)
    for ring in by_label.values():
        if len(ring) > 1:
            for node in ring:
                rings[node] = sorted(ring)
    results.write_control_results(
        db,
        [
            {
                "company_id": c.company_id,
                "status": c.status,
                "controllers": list(c.controllers),
                "cycle_id": c.cycle_id,
                "cycle_members": cycle_members.get(c.cycle_id) if c.cycle_id else None,
                "ownership_cycle": rings.get(c.company_id),
                "primary_group_id": primary.get(c.company_id),
            }
            for c in result.companies.values()
            if c.company_id in company_ids
        ],
        run_id,
    )
    members = member_rows(groups)
    results.write_groups(db, group_rows(groups), members, run_id)

    scc = _components(db, engine, GUARANTEE_PROJECTION)
    circles = [
        replace(c, circle_id=public_circle_id(salt, c.members))
        for c in build_circles(scc, inputs.guarantees)
    ]
    results.write_circles(
        db,
        circle_rows(circles),
        [{"circle_id": c.circle_id, "company_id": m} for c in circles for m in c.members],
        run_id,
    )
    chains_found = longest_chains(scc, inputs.guarantees, inputs.customers)
    results.write_chains(db, *chain_rows(chains_found, inputs.guarantees, salt), run_id)
    statuses = [c.status for c in result.companies.values()]
    logger.info(
        "group risk (%s engine): control in %d rounds, %d controlled companies "
        "(%d jointly), %d control cycles, %d groups, %d circles, %d chains",
        engine.name,
        graph.rounds,
        sum(s in ("sole", "joint") for s in statuses),
        statuses.count("joint"),
        len(result.cycles),
        len(groups),
        len(circles),
        len(chains_found),
    )
    return StepReport(
        "group_risk",
        {
            "controlled companies": sum(s in ("sole", "joint") for s in statuses),
            "jointly controlled companies": statuses.count("joint"),
            "control cycles": len(result.cycles),
            "groups": len(groups),
            "group members": len(members),
            "over-concentrated groups": sum(g.over_concentration for g in groups),
            "guarantee circles": len(circles),
            "guarantee chains": len(chains_found),
        },
    )


# --- the controllers answer -------------------------------------------------------------------
@dataclass(frozen=True)
class NamedNode:
    """An id with its name and type (``company``, ``person`` or ``cycle``)."""

    id: str
    name: str
    type: str
    members: tuple[str, ...] = ()


@dataclass(frozen=True)
class GroupRef:
    """A group a company belongs to, and whether it is the company's primary group."""

    group_id: str
    primary: bool


@dataclass(frozen=True)
class CompanyControllers:
    """The controllers report of one company, the names in it, its cycles and groups."""

    report: ControllerReport
    nodes: dict[str, NamedNode]
    control_cycle: tuple[str, ...] = ()
    ownership_cycle: tuple[str, ...] = ()
    groups: tuple[GroupRef, ...] = ()


def _claim_from_row(row: results.ClaimRow) -> Claim:
    return Claim(
        claimant_id=row.owner_id,
        company_id=row.company_id,
        basis=row.basis,
        effect=cast(Effect, row.effect),
        share_pct=row.share_pct,
        contributors=tuple(zip(row.contributor_ids, row.contributor_pcts, strict=True)),
    )


def company_controllers(
    db: Database,
    company_id: str,
    scope: BranchScope,
    *,
    threshold_pct: float = DEFAULT_THRESHOLD_PCT,
    max_depth: int = DEFAULT_MAX_DEPTH,
    max_paths: int = DEFAULT_MAX_PATHS,
) -> CompanyControllers | None:
    """Both controller measures for one company, or ``None`` if unknown or not visible.

    The control-chain measure is what ``compute`` stored (status, ultimate
    controllers, claims): the paths are rebuilt from the stored claims upstream of
    the company with the same tree rule as the groups'. Effective ownership is
    solved on the fly over the company's upstream shareholdings. A company is
    visible when it is booked in the caller's subtree or belongs to a group with a
    member booked there.
    """
    group_run = _run(db, None)
    row = results.read_company_control(db, company_id, scope.parameters(), group_run)
    if row is None or not row.visible:
        return None
    nodes = {company_id: NamedNode(company_id, row.name, "company")}
    holdings: list[Holding] = []
    claims: list[Claim] = []
    cycle_of: dict[str, str] = {}
    if row.cycle_id is not None:
        cycle_of[company_id] = row.cycle_id
    frontier = [company_id]
    seen = {company_id}
    while frontier:
        rows = results.read_upstream_step(db, frontier, group_run)
        frontier = []
        for r in rows:
            owner = r.owner_id
            if r.claim is not None:
                claims.append(_claim_from_row(r.claim))
            elif r.share_pct is not None:
                holdings.append(Holding(owner, r.company_id, r.share_pct))
            if owner not in seen:
                seen.add(owner)
                nodes[owner] = NamedNode(owner, r.name, "person" if r.is_person else "company")
                if r.cycle_id is not None:
                    cycle_of[owner] = r.cycle_id
                if not r.is_person:
                    frontier.append(owner)
    status = cast(Status, row.status or "none")
    controllers = row.controllers
    out_claims = index_path_claims(claims)
    paths: list[ControlPath] = []
    cycle_members: dict[str, tuple[str, ...]] = {}
    for controller in controllers:
        starts = tuple(sorted(n for n, cid in cycle_of.items() if cid == controller))
        if starts:
            cycle_members[controller] = starts
            nodes[controller] = NamedNode(
                controller, "、".join(nodes[m].name for m in starts), "cycle", starts
            )
        tree = control_tree(starts or (controller,), out_claims)
        if company_id in tree:
            paths.append(path_in(controller, tree, company_id))
    control = CompanyControl(company_id, status, controllers, tuple(paths), row.cycle_id)
    report = find_controllers(
        OwnershipGraph.from_holdings(holdings),
        control,
        {c.company_id: c for c in claims if c.effect == "decisive"},
        cycle_members=cycle_members,
        threshold_pct=threshold_pct,
        max_depth=max_depth,
        max_paths=max_paths,
    )
    anon = anonymiser_for(
        db,
        scope,
        [
            *(n for n, node in nodes.items() if node.type == "company"),
            *row.cycle_members,
            *row.ownership_cycle,
        ],
    )

    def named(text: str) -> str:
        """A company or person id of the explanation as its name (or the placeholder)."""
        node = nodes.get(text)
        return anon.name(text, node.name) if node is not None else str(anon.scrub(text))

    report = replace(
        report,
        controllers=tuple(
            replace(
                c,
                controller_id=anon.key(c.controller_id),
                paths=tuple(tuple(anon.keys(p)) for p in c.paths),
                explanation=tuple(rewrite_text(m, named) for m in c.explanation),
            )
            for c in report.controllers
        ),
        owners=tuple((anon.key(o), pct) for o, pct in report.owners),
    )
    shown: dict[str, NamedNode] = {}
    for node_id, node in nodes.items():
        members = tuple(anon.keys(node.members))
        name = (
            "、".join(anon.name(m) for m in node.members)
            if node.type == "cycle"
            else anon.name(node_id, node.name)
        )
        shown[anon.key(node_id)] = NamedNode(anon.key(node_id), name, node.type, members)
    return CompanyControllers(
        report,
        shown,
        control_cycle=tuple(anon.keys(row.cycle_members)),
        ownership_cycle=tuple(anon.keys(row.ownership_cycle)),
        groups=tuple(GroupRef(g, p) for g, p in sorted(row.groups, key=lambda x: x[0])),
    )


# --- groups for the API, the CLI and the maps ---------------------------------------------------
@dataclass(frozen=True)
class StoredMember:
    """A member of a stored group as the API, the CLI and the map show it.

    ``facilities`` are ``None`` for a member outside the caller's branches.
    """

    id: str
    name: str
    is_customer: bool
    visible: bool
    role: str
    depth: int
    parent_id: str | None
    basis: str | None
    share_pct: float | None
    status: str
    controllers: tuple[str, ...]
    primary: bool
    facilities: tuple[Exposure, ...] | None


@dataclass(frozen=True)
class CycleEdge:
    """A control claim inside one of a group's control cycles (highlighted on its map)."""

    source: str
    target: str
    basis: str
    share_pct: float | None


@dataclass(frozen=True)
class StoredGroup:
    """A stored group: controller, exposure, flags and (for one group) its members."""

    group_id: str
    controller_id: str
    controller_type: str
    controller_name: str
    controller_members: tuple[str, ...]
    size: int
    rank: int
    max_depth: int
    over_concentration: bool
    exposures: tuple[Exposure, ...]
    control_cycles: tuple[tuple[str, ...], ...]
    ownership_cycles: tuple[tuple[str, ...], ...]
    joint_members: int
    explanation: tuple[Message, ...]  # language-neutral clauses; the controller named
    members: tuple[StoredMember, ...] = ()
    cycle_edges: tuple[CycleEdge, ...] = field(default=())


def exposures_from(
    currencies: Sequence[str], limits: Sequence[int], outstanding: Sequence[int]
) -> list[Exposure]:
    """Rebuild stored per-currency totals."""
    return [
        Exposure(c, int(lim), int(out))
        for c, lim, out in zip(currencies, limits, outstanding, strict=True)
    ]


def member_facilities(sums: Iterable[results.FacilitySum]) -> list[Exposure]:
    """Per-currency facility sums of one member."""
    return [_exposure(f) for f in sums]


def _cycles(raw: Sequence[str]) -> tuple[tuple[str, ...], ...]:
    return tuple(tuple(c.split(CYCLE_SEPARATOR)) for c in raw)


def _group_ids(g: results.GroupRow) -> list[str]:
    """Every company id a stored group row mentions (controller, cycles)."""
    ids = [g.controller_id, *g.controller_members]
    for cycle in (*_cycles(g.control_cycles), *_cycles(g.ownership_cycles)):
        ids.extend(cycle)
    return ids


def _stored_group(g: results.GroupRow, anon: Anonymiser) -> StoredGroup:
    members = g.controller_members
    names = [anon.name(m, n) for m, n in zip(members, g.controller_member_names, strict=True)]
    controller_id = g.controller_id
    group_controller = (
        anon.name(controller_id, g.controller_name) if g.controller_name else "、".join(names)
    )
    return StoredGroup(
        group_id=g.group_id,
        controller_id=anon.key(controller_id),
        controller_type=g.controller_type,
        controller_name=group_controller,
        controller_members=tuple(anon.keys(members)),
        size=g.size,
        rank=g.rank,
        max_depth=g.max_depth,
        over_concentration=g.over_concentration,
        exposures=tuple(exposures_from(g.currencies, g.limit_minor, g.outstanding_minor)),
        control_cycles=tuple(tuple(anon.keys(c)) for c in _cycles(g.control_cycles)),
        ownership_cycles=tuple(tuple(anon.keys(c)) for c in _cycles(g.ownership_cycles)),
        joint_members=g.joint_members,
        explanation=_group_explanation(g.explanation, group_controller, anon),
    )


def _group_explanation(
    stored: str | None, controller: str, anon: Anonymiser
) -> tuple[Message, ...]:
    """The stored clauses with the controller named (or the placeholder) and any other
    hidden company's id or name replaced."""
    if not stored or not stored.startswith("["):  # stored before explanations were keys
        return ()
    clauses = []
    for message in from_json(stored):
        message = rewrite_text(message, lambda text: str(anon.scrub(text)))
        if "controller" in message.params:
            message = Message(message.key, {**message.params, "controller": controller})
        clauses.append(message)
    return tuple(clauses)


def _stored_member(m: results.MemberRow, anon: Anonymiser) -> StoredMember:
    member_id = m.company_id
    visible = anon.visible(member_id)
    return StoredMember(
        id=anon.key(member_id),
        name=anon.name(member_id, m.name or ""),
        is_customer=m.is_customer,
        visible=visible,
        role=m.role,
        depth=m.depth,
        parent_id=anon.key(m.parent_id) if m.parent_id is not None else None,
        basis=m.basis,
        share_pct=m.share_pct,
        status=m.status,
        controllers=tuple(anon.keys(m.controllers)),
        primary=m.primary,
        facilities=tuple(member_facilities(m.facilities)) if visible else None,
    )


def _run(db: Database, runs: PublishedRuns | None) -> str | None:
    """The published group-risk run (resolved now unless given)."""
    return (runs or published_runs(db, ("group_risk",))).group_risk


def list_groups(
    db: Database,
    scope: BranchScope,
    *,
    limit: int,
    offset: int,
    runs: PublishedRuns | None = None,
) -> tuple[int, list[StoredGroup]]:
    """Visible groups in rank order (by CNY outstanding): the total and one page.

    Both come from the published run of ``runs`` (resolved here when not given).
    """
    group_run = _run(db, runs)
    total = results.count_groups(db, scope.parameters(), group_run)
    rows = results.list_group_rows(db, scope.parameters(), group_run, limit=limit, offset=offset)
    anon = anonymiser_for(db, scope, (i for r in rows for i in _group_ids(r)))
    return total, [_stored_group(r, anon) for r in rows]


def get_group(
    db: Database, group_id: str, scope: BranchScope, *, runs: PublishedRuns | None = None
) -> StoredGroup | None:
    """A visible group with its members and cycle claims, or ``None`` (unknown or not visible)."""
    group_run = _run(db, runs)
    row = results.read_group_row(db, group_id, scope.parameters(), group_run)
    if row is None:
        return None
    member_rows = results.read_group_members(db, group_id, scope.parameters(), group_run)
    anon = anonymiser_for(
        db,
        scope,
        [*_group_ids(row), *(m.company_id for m in member_rows)]
        + [m.parent_id for m in member_rows if m.parent_id is not None]
        + [c for m in member_rows for c in m.controllers],
    )
    group = _stored_group(row, anon)
    members = tuple(_stored_member(m, anon) for m in member_rows)
    edges = tuple(
        CycleEdge(anon.key(r.source), anon.key(r.target), r.basis, r.share_pct)
        for r in results.read_cycle_claims(db, _cycles(row.control_cycles), group_run)
    )
    return replace(group, members=members, cycle_edges=edges)


@dataclass(frozen=True)
class CircleAmount:
    """The sum of a circle's internal guarantees in one currency (minor units)."""

    currency: str
    amount_minor: int


@dataclass(frozen=True)
class StoredCircle:
    """A guarantee circle as ``compute`` stored it, decoded."""

    circle_id: str
    size: int
    members: tuple[str, ...]
    cycles: tuple[tuple[str, ...], ...] = ()
    cycles_complete: bool = False
    mutual_pairs: tuple[tuple[str, str], ...] = ()
    amounts: tuple[CircleAmount, ...] = ()
    guarantee_ids: tuple[str, ...] = ()
    hidden_risk: CircleHiddenRisk | None = None


@dataclass(frozen=True)
class HiddenRiskPair:
    """Two members suspected related: their keys, the evidence kinds and (in a circle's
    detail) the evidence paths as the caller may see them."""

    first: str
    second: str
    kinds: tuple[str, ...]
    evidence: tuple[dict[str, Any], ...] = ()


@dataclass(frozen=True)
class CircleHiddenRisk:
    """The hidden guarantee risk of a circle (:mod:`algorithms.hidden_guarantees`)."""

    kind: str
    explanation: Message
    related_members: tuple[str, ...]
    pairs: tuple[HiddenRiskPair, ...]


def hidden_risks(
    db: Database,
    circles: Sequence[tuple[str, Sequence[str]]],
    anon: Anonymiser,
    language: Language,
    *,
    with_evidence: bool,
) -> dict[str, CircleHiddenRisk]:
    """Circle id → its hidden guarantee risk, for the circles whose members are suspected
    related parties in the published ``related_parties`` run (the stored evidence, never
    derived again). Members are shown through ``anon``; evidence paths are scoped."""
    related_run = published_runs(db, ("related_parties",)).run_id("related_parties")
    found = read_relations_among(db, related_run, {m for _, ms in circles for m in ms})
    by_pair: dict[tuple[str, str], tuple[str, StoredRelation]] = {}
    for customer, relation in found.relations:
        key = (min(customer, relation.other_id), max(customer, relation.other_id))
        if key not in by_pair or customer == key[0]:  # a pair of customers: from the first
            by_pair[key] = (customer, relation)
    related = [RelatedPair(a, b, frozenset(r.strength)) for (a, b), (_, r) in by_pair.items()]
    risks: dict[str, CircleHiddenRisk] = {}
    for circle_id, members in circles:
        risk = hidden_guarantee_risk(members, related)
        if risk is None:
            continue
        pairs = []
        for pair in risk.pairs:
            _, relation = by_pair[(pair.first, pair.second)]
            evidence = (
                tuple(
                    scoped_evidence(e, found.person_names, found.contact_values, anon, language)
                    for e in relation.evidence
                )
                if with_evidence
                else ()
            )
            pairs.append(
                HiddenRiskPair(
                    anon.key(pair.first), anon.key(pair.second), tuple(sorted(pair.kinds)), evidence
                )
            )
        risks[circle_id] = CircleHiddenRisk(
            kind=risk.kind.value,
            explanation=risk.explanation,
            related_members=tuple(anon.keys(risk.related_members)),
            pairs=tuple(pairs),
        )
    return risks


@dataclass(frozen=True)
class CircleMemberRow:
    """A member of a circle; ``facilities`` per currency, ``None`` outside the scope."""

    id: str
    name: str | None
    is_customer: bool
    visible: bool
    facilities: tuple[Exposure, ...] | None


@dataclass(frozen=True)
class CircleGuarantee:
    """A guarantee inside a circle as the caller may see it.

    Between two members outside the caller's subtree it is a tie of placeholders with
    no amount (``amount_minor`` and ``currency`` ``None``): the amount is a datum of
    two companies the caller may not see. With one end visible, it is that
    customer's own guarantee, amount included.
    """

    guarantee_id: str
    guarantor_id: str
    borrower_id: str
    amount_minor: int | None
    currency: str | None


@dataclass(frozen=True)
class CircleDetail:
    """A visible circle with its members and the guarantees between them."""

    circle: StoredCircle
    members: tuple[CircleMemberRow, ...]
    guarantees: tuple[CircleGuarantee, ...]


def _stored_circle(k: results.CircleRow, members: Iterable[str] = ()) -> StoredCircle:
    pairs = []
    for raw in k.mutual_pairs:
        left, _, right = raw.partition(MUTUAL_PAIR_SEPARATOR)
        pairs.append((left, right))
    return StoredCircle(
        circle_id=k.circle_id,
        size=k.size,
        members=tuple(sorted(members)),
        cycles=tuple(tuple(c.split(CIRCLE_CYCLE_SEPARATOR)) for c in k.cycles),
        cycles_complete=k.cycles_complete,
        mutual_pairs=tuple(pairs),
        amounts=tuple(
            CircleAmount(c, a) for c, a in zip(k.currencies, k.amounts_minor, strict=True)
        ),
        guarantee_ids=k.guarantee_ids,
    )


def list_circles(
    db: Database,
    scope: BranchScope,
    *,
    limit: int,
    offset: int,
    runs: PublishedRuns | None = None,
    language: Language = "zh",
) -> tuple[int, list[StoredCircle]]:
    """Visible guarantee circles, largest first: the total and one page.

    Members outside the caller's subtree are listed by their response-local
    placeholder key (:mod:`graph.scoping`), in members, cycles and mutual pairs. A
    circle whose members are suspected related parties carries its hidden risk
    (without the evidence paths, which its detail shows).
    """
    group_run = _run(db, runs)
    total = results.count_circles(db, scope.parameters(), group_run)
    rows = results.list_circle_rows(db, scope.parameters(), group_run, limit=limit, offset=offset)
    anon = anonymiser_for(db, scope, (m for r in rows for m in r.members), language=language)
    risks = hidden_risks(
        db, [(r.circle_id, r.members) for r in rows], anon, language, with_evidence=False
    )
    return total, [
        replace(
            _stored_circle(_anonymised(r, anon), anon.keys(r.members)),
            hidden_risk=risks.get(r.circle_id),
        )
        for r in rows
    ]


def _anonymised(k: results.CircleRow, anon: Anonymiser) -> results.CircleRow:
    """A stored circle's cycles and mutual pairs with hidden members as their keys."""
    return replace(
        k,
        cycles=tuple(
            CIRCLE_CYCLE_SEPARATOR.join(anon.keys(c.split(CIRCLE_CYCLE_SEPARATOR)))
            for c in k.cycles
        ),
        mutual_pairs=tuple(
            MUTUAL_PAIR_SEPARATOR.join(anon.keys(p.split(MUTUAL_PAIR_SEPARATOR)))
            for p in k.mutual_pairs
        ),
    )


def get_circle(
    db: Database,
    circle_id: str,
    scope: BranchScope,
    *,
    runs: PublishedRuns | None = None,
    language: Language = "zh",
) -> CircleDetail | None:
    """A visible circle, its members and its internal guarantees, or ``None``.

    Members outside the caller's subtree are placeholders (:mod:`graph.scoping`):
    their key, never their id, in members, cycles, mutual pairs and guarantees. Its
    hidden risk, if any, comes with the evidence paths (persons and contacts shown
    only through visible companies).
    """
    group_run = _run(db, runs)
    row = results.read_circle_row(db, circle_id, scope.parameters(), group_run)
    if row is None:
        return None
    rows = results.read_circle_members(db, circle_id, scope.parameters(), group_run)
    anon = anonymiser_for(db, scope, (m.company_id for m in rows), language=language)
    risk = hidden_risks(
        db, [(circle_id, [m.company_id for m in rows])], anon, language, with_evidence=True
    ).get(circle_id)
    members = _scoped_members(rows, anon)
    circle = replace(
        _stored_circle(_anonymised(row, anon), (m.id for m in members)), hidden_risk=risk
    )
    return CircleDetail(circle, members, _scoped_guarantees(db, circle.guarantee_ids, anon))


def _scoped_members(
    rows: Iterable[results.MemberRow], anon: Anonymiser
) -> tuple[CircleMemberRow, ...]:
    """Circle or chain members as the caller may see them (placeholders outside the scope)."""
    return tuple(
        CircleMemberRow(
            id=anon.key(m.company_id),
            name=anon.name(m.company_id, m.name),
            is_customer=m.is_customer,
            visible=anon.visible(m.company_id),
            facilities=(
                tuple(member_facilities(m.facilities)) if anon.visible(m.company_id) else None
            ),
        )
        for m in rows
    )


def _scoped_guarantees(
    db: Database, guarantee_ids: Sequence[str], anon: Anonymiser
) -> tuple[CircleGuarantee, ...]:
    """The guarantees ``guarantee_ids`` as the caller may see them (:class:`CircleGuarantee`),
    in the order given."""
    by_id = {r.guarantee_id: r for r in results.read_guarantees_by_id(db, guarantee_ids)}
    edges = []
    for guarantee_id in guarantee_ids:
        if (r := by_id.get(guarantee_id)) is None:
            continue
        shown = anon.visible(r.guarantor_id) or anon.visible(r.borrower_id)
        edges.append(
            CircleGuarantee(
                r.guarantee_id,
                anon.key(r.guarantor_id),
                anon.key(r.borrower_id),
                r.amount_minor if shown else None,
                r.currency if shown else None,
            )
        )
    return tuple(edges)


@dataclass(frozen=True)
class StoredChain:
    """A guarantee chain as ``compute`` stored it: members and guarantees in chain order
    (the first member guarantees the second, …, the last is the customer borrower)."""

    chain_id: str
    length: int
    members: tuple[str, ...]
    amounts: tuple[CircleAmount, ...] = ()
    guarantee_ids: tuple[str, ...] = ()
    hidden_risk: CircleHiddenRisk | None = None


@dataclass(frozen=True)
class ChainDetail:
    """A visible chain with its members and its guarantees, in chain order."""

    chain: StoredChain
    members: tuple[CircleMemberRow, ...]
    guarantees: tuple[CircleGuarantee, ...]


def _stored_chain(
    k: results.ChainRow, anon: Anonymiser, risk: CircleHiddenRisk | None
) -> StoredChain:
    return StoredChain(
        chain_id=k.chain_id,
        length=k.length,
        members=tuple(anon.keys(k.members)),
        amounts=tuple(
            CircleAmount(c, a) for c, a in zip(k.currencies, k.amounts_minor, strict=True)
        ),
        guarantee_ids=k.guarantee_ids,
        hidden_risk=risk,
    )


def list_chains(
    db: Database,
    scope: BranchScope,
    *,
    limit: int,
    offset: int,
    runs: PublishedRuns | None = None,
    language: Language = "zh",
) -> tuple[int, list[StoredChain]]:
    """Visible guarantee chains, longest first: the total and one page.

    Scoped like the circles (:func:`list_circles`): a chain is listed when one of its
    members is in the caller's subtree, the others are placeholders; a chain whose
    members are suspected related parties carries its hidden risk (without evidence).
    """
    group_run = _run(db, runs)
    total = results.count_chains(db, scope.parameters(), group_run)
    rows = results.list_chain_rows(db, scope.parameters(), group_run, limit=limit, offset=offset)
    anon = anonymiser_for(db, scope, (m for r in rows for m in r.members), language=language)
    risks = hidden_risks(
        db, [(r.chain_id, r.members) for r in rows], anon, language, with_evidence=False
    )
    return total, [_stored_chain(r, anon, risks.get(r.chain_id)) for r in rows]


def get_chain(
    db: Database,
    chain_id: str,
    scope: BranchScope,
    *,
    runs: PublishedRuns | None = None,
    language: Language = "zh",
) -> ChainDetail | None:
    """A visible chain, its members and its guarantees in order, or ``None``; its hidden
    risk, if any, with the scoped evidence paths (as :func:`get_circle`)."""
    group_run = _run(db, runs)
    row = results.read_chain_row(db, chain_id, scope.parameters(), group_run)
    if row is None:
        return None
    rows = results.read_chain_members(db, chain_id, scope.parameters(), group_run)
    anon = anonymiser_for(db, scope, (m.company_id for m in rows), language=language)
    risk = hidden_risks(db, [(chain_id, row.members)], anon, language, with_evidence=True).get(
        chain_id
    )
    return ChainDetail(
        _stored_chain(row, anon, risk),
        _scoped_members(rows, anon),
        _scoped_guarantees(db, row.guarantee_ids, anon),
    )


def company_contagion(
    db: Database,
    company_id: str,
    scope: BranchScope,
    *,
    default_ratio: float,
    control: bool,
    max_rounds: int,
) -> tuple[ContagionResult, dict[str, tuple[str, bool]]] | None:
    """Propagate a default from a visible company; ``None`` when unknown or not visible.

    Returns the result and ``{company_id: (name, visible)}`` of the affected companies.
    Reads the whole guarantee graph and the stored direct (decisive) control claims
    (fine for a bank's corporate book).
    """
    group_run = _run(db, None)
    row = results.read_company_control(db, company_id, scope.parameters(), group_run)
    if row is None or not row.visible:
        return None
    inputs = read_inputs(db)
    capital = {c.company_id: (c.currency, c.minor) for c in results.read_capital(db)}
    result = propagate(
        company_id,
        inputs.guarantees,
        {
            c.company_id: c
            for c in map(_claim_from_row, results.read_decisive_claims(db, group_run))
        },
        inputs.facilities,
        capital=capital,
        company_ids=inputs.company_names,
        default_ratio=default_ratio,
        control=control,
        max_rounds=max_rounds,
    )
    ids = {a.company_id for a in result.affected} | {
        step for a in result.affected for step in a.path
    }
    anon = anonymiser_for(db, scope, ids)
    result = replace(
        result,
        affected=tuple(
            replace(a, company_id=anon.key(a.company_id), path=tuple(anon.keys(a.path)))
            for a in result.affected
        ),
        # The seed is named (or is the placeholder outside the caller's branches).
        explanation=Message(
            result.explanation.key,
            {**result.explanation.params, "seed": anon.name(company_id)},
        ),
    )
    seen = {anon.key(cid): (anon.name(cid), anon.visible(cid)) for cid in ids}
    return result, seen
