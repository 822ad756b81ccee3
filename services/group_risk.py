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
   ``IN_CIRCLE``.

Every result is written under the run's id and published by the step's pointer
(:mod:`graph.compute_runs`): readers resolve the published run and read only its
groups, circles, claims and control results, so they never see half a run; runs
older than the previous published one are collected by the next run.

The read functions below serve the API and the CLI from what compute published (the
controllers answer reads the stored claims and statuses, so it always agrees with
the stored groups); each takes the caller's :class:`~graph.branches.BranchScope`
where results are scoped.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any, Final, LiteralString, cast

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
from algorithms.guarantees import Circle, GuaranteeEdge, build_circles, longest_chains
from algorithms.ownership import DEFAULT_MAX_DEPTH, DEFAULT_MAX_PATHS, Holding, OwnershipGraph
from core.ids import opaque_id
from core.messages import Message, from_json, rewrite_text, to_json
from core.settings import Settings
from graph.branches import BranchScope
from graph.compute_runs import PublishedRuns, published_runs
from graph.database import Database
from graph.scoping import Anonymiser, anonymiser_for, visible_predicate

from .engines import GraphEngine, Projection, RelationshipSpec
from .steps import StepReport

logger = logging.getLogger(__name__)

# --- inputs ---------------------------------------------------------------------------------
READ_COMPANIES: Final[LiteralString] = (
    "MATCH (c:Company) RETURN c.company_id AS id, c.name AS name, "
    "coalesce(c.is_customer, false) AS is_customer, c.branch_id AS branch_id"
)
READ_PERSONS: Final[LiteralString] = "MATCH (p:Person) RETURN p.person_id AS id, p.name AS name"
READ_HOLDINGS: Final[LiteralString] = (
    "MATCH (o)-[r:OWNS]->(c:Company) WHERE o:Company OR o:Person "
    "RETURN coalesce(o.company_id, o.person_id) AS owner_id, c.company_id AS company_id, "
    "r.share_pct_exact AS pct_exact, r.share_pct AS pct"
)
READ_CONTROL_LINKS: Final[LiteralString] = (
    "MATCH (o)-[r:CONTROLS]->(c:Company) WHERE o:Company OR o:Person "
    "RETURN coalesce(o.company_id, o.person_id) AS controller_id, c.company_id AS company_id, "
    "coalesce(r.basis, 'control_link') AS basis"
)
READ_FACILITY_TOTALS: Final[LiteralString] = (
    "MATCH (c:Company)-[:HAS_FACILITY]->(f:Facility) "
    "RETURN c.company_id AS company_id, f.currency AS currency, "
    "sum(coalesce(f.limit_minor, 0)) AS limit_minor, "
    "sum(coalesce(f.outstanding_minor, 0)) AS outstanding_minor"
)
READ_GUARANTEES: Final[LiteralString] = (
    "MATCH (g:Company)-[r:GUARANTEES]->(b:Company) "
    "RETURN r.guarantee_id AS guarantee_id, g.company_id AS guarantor_id, "
    "b.company_id AS borrower_id, coalesce(r.amount_minor, 0) AS amount_minor, "
    "coalesce(r.currency, 'CNY') AS currency"
)
#: Whether the store holds any relationship of one (allowlisted) type.
HAS_RELATIONSHIPS: Final[dict[str, LiteralString]] = {
    "CONTROLS_DIRECTLY": "RETURN EXISTS { ()-[:CONTROLS_DIRECTLY]->() } AS present",
    "OWNS": "RETURN EXISTS { ()-[:OWNS]->() } AS present",
    "GUARANTEES": "RETURN EXISTS { ()-[:GUARANTEES]->() } AS present",
}

# --- writes ---------------------------------------------------------------------------------
_CLAIM_SET: Final[LiteralString] = """
MERGE (o)-[r:CONTROLS_DIRECTLY]->(c)
SET r.basis = row.basis, r.effect = row.effect, r.share_pct = row.share_pct,
    r.contributor_ids = row.contributor_ids, r.contributor_pcts = row.contributor_pcts,
    r.run_id = $run_id
"""
WRITE_COMPANY_CLAIMS: Final[LiteralString] = (
    """
UNWIND $rows AS row
MATCH (o:Company {company_id: row.controller_id})
MATCH (c:Company {company_id: row.company_id})
"""
    + _CLAIM_SET
)
WRITE_PERSON_CLAIMS: Final[LiteralString] = (
    """
UNWIND $rows AS row
MATCH (o:Person {person_id: row.controller_id})
MATCH (c:Company {company_id: row.company_id})
"""
    + _CLAIM_SET
)
#: The published copy of the claims: the working ``CONTROLS_DIRECTLY`` edges above are the
#: engine's projection input (rewritten by every run); readers read these, of one run.
_RUN_CLAIM_SET: Final[LiteralString] = """
CREATE (o)-[r:CONTROL_CLAIM {run_id: $run_id}]->(c)
SET r.basis = row.basis, r.effect = row.effect, r.share_pct = row.share_pct,
    r.contributor_ids = row.contributor_ids, r.contributor_pcts = row.contributor_pcts
"""
WRITE_COMPANY_RUN_CLAIMS: Final[LiteralString] = (
    """
UNWIND $rows AS row
MATCH (o:Company {company_id: row.controller_id})
MATCH (c:Company {company_id: row.company_id})
"""
    + _RUN_CLAIM_SET
)
WRITE_PERSON_RUN_CLAIMS: Final[LiteralString] = (
    """
UNWIND $rows AS row
MATCH (o:Person {person_id: row.controller_id})
MATCH (c:Company {company_id: row.company_id})
"""
    + _RUN_CLAIM_SET
)
DELETE_STALE_CLAIMS: Final[LiteralString] = (
    "MATCH ()-[r:CONTROLS_DIRECTLY]->() WHERE r.run_id <> $run_id "
    "CALL (r) { DELETE r } IN TRANSACTIONS OF 10000 ROWS"
)
WRITE_COMPANY_CONTROL: Final[LiteralString] = """
UNWIND $rows AS row
CREATE (c:ControlResult {run_id: $run_id, company_id: row.company_id})
SET c.control_status = row.status, c.ultimate_controller_ids = row.controllers,
    c.control_cycle_id = row.cycle_id, c.control_cycle_members = row.cycle_members,
    c.ownership_cycle_members = row.ownership_cycle, c.primary_group_id = row.primary_group_id
"""
WRITE_GROUPS: Final[LiteralString] = """
UNWIND $rows AS row
MERGE (g:Group {group_id: row.group_id, run_id: $run_id})
SET g.controller_id = row.controller_id, g.controller_type = row.controller_type,
    g.controller_members = row.controller_members,
    g.size = row.size, g.max_depth = row.max_depth, g.currencies = row.currencies,
    g.limit_minor = row.limit_minor, g.outstanding_minor = row.outstanding_minor,
    g.rank_outstanding_minor = row.rank_outstanding_minor,
    g.over_concentration = row.over_concentration, g.rank = row.rank,
    g.control_cycles = row.control_cycles, g.ownership_cycles = row.ownership_cycles,
    g.joint_members = row.joint_members, g.explanation = row.explanation
"""
WRITE_MEMBERS: Final[LiteralString] = """
UNWIND $rows AS row
MATCH (c:Company {company_id: row.company_id})
MATCH (g:Group {group_id: row.group_id, run_id: $run_id})
MERGE (c)-[m:MEMBER_OF]->(g)
SET m.role = row.role, m.depth = row.depth, m.parent_id = row.parent_id,
    m.basis = row.basis, m.share_pct = row.share_pct, m.status = row.status,
    m.controllers = row.controllers, m.primary = row.primary, m.run_id = $run_id
"""
WRITE_CIRCLES: Final[LiteralString] = """
UNWIND $rows AS row
MERGE (k:GuaranteeCircle {circle_id: row.circle_id, run_id: $run_id})
SET k.size = row.size, k.cycles = row.cycles, k.cycles_complete = row.cycles_complete,
    k.mutual_pairs = row.mutual_pairs, k.currencies = row.currencies,
    k.amounts_minor = row.amounts_minor, k.guarantee_ids = row.guarantee_ids
"""
WRITE_CIRCLE_MEMBERS: Final[LiteralString] = """
UNWIND $rows AS row
MATCH (c:Company {company_id: row.company_id})
MATCH (k:GuaranteeCircle {circle_id: row.circle_id, run_id: $run_id})
MERGE (c)-[m:IN_CIRCLE]->(k)
SET m.run_id = $run_id
"""

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


def _pct(row: Mapping[str, Any]) -> float:
    exact = row.get("pct_exact")
    return float(Decimal(str(exact))) if exact is not None else float(row["pct"])


def read_inputs(db: Database) -> GroupRiskInputs:
    """Read companies, persons, holdings, control links, facilities and guarantees."""
    companies = db.read(READ_COMPANIES)
    facilities: dict[str, list[Exposure]] = {}
    for r in db.read(READ_FACILITY_TOTALS):
        facilities.setdefault(str(r["company_id"]), []).append(
            Exposure(str(r["currency"]), int(r["limit_minor"]), int(r["outstanding_minor"]))
        )
    return GroupRiskInputs(
        company_names={str(r["id"]): str(r["name"] or "") for r in companies},
        customers=frozenset(str(r["id"]) for r in companies if r["is_customer"]),
        person_names={str(r["id"]): str(r["name"] or "") for r in db.read(READ_PERSONS)},
        holdings=tuple(
            Holding(str(r["owner_id"]), str(r["company_id"]), _pct(r))
            for r in db.read(READ_HOLDINGS)
            if r["pct"] is not None or r["pct_exact"] is not None
        ),
        links=tuple(
            ControlLink(str(r["controller_id"]), str(r["company_id"]), str(r["basis"]))
            for r in db.read(READ_CONTROL_LINKS)
        ),
        facilities=facilities,
        guarantees=tuple(
            GuaranteeEdge(
                str(r["guarantee_id"]),
                str(r["guarantor_id"]),
                str(r["borrower_id"]),
                int(r["amount_minor"]),
                str(r["currency"]),
            )
            for r in db.read(READ_GUARANTEES)
        ),
    )


def _components(db: Database, engine: GraphEngine, projection: Projection) -> dict[str, str]:
    """The engine's SCCs of one projection; empty when the store has none of its edges."""
    for rel in projection.relationships:
        row = db.read_one(HAS_RELATIONSHIPS[rel.type])
        if row is None or not row["present"]:
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
    """Rows of :data:`WRITE_GROUPS` (``groups`` in rank order)."""
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
    """Rows of :data:`WRITE_MEMBERS`."""
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
    """Rows of :data:`WRITE_CIRCLES`."""
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


READ_ID_SALT: Final[LiteralString] = (
    "MATCH (m:CorpgraphMeta {key: 'instance'}) RETURN m.instance_id AS salt"
)


def read_id_salt(db: Database) -> str:
    """The key of :func:`core.ids.opaque_id`: the store's random instance id (set by the
    first load), so group and circle ids are stable across computes of one store and
    cannot be derived from guessed company ids."""
    row = db.read_one(READ_ID_SALT)
    return str(row["salt"]) if row and row["salt"] else "corpgraph"


def public_group_id(salt: str, controller_id: str) -> str:
    """The stored id of the group ``controller_id`` heads: stable, and naming no member."""
    return opaque_id("GRP", salt, group_id_for(controller_id))


def public_circle_id(salt: str, members: Iterable[str]) -> str:
    """The stored id of the guarantee circle of ``members``: stable, and naming no member."""
    return opaque_id("GC", salt, "\x1f".join(sorted(members)))


def compute_group_risk(
    db: Database, engine: GraphEngine, settings: Settings, run_id: str
) -> StepReport:
    """The ``group_risk`` compute step: control, groups, exposure and circles (under ``run_id``)."""

    extra = {"run_id": run_id}
    inputs = read_inputs(db)
    company_ids = set(inputs.company_names)

    graph = consolidate(inputs.holdings, inputs.links, joint_control_pct=settings.joint_control_pct)
    by_company = [c for c in graph.claims if c.claimant_id in company_ids]
    by_person = [c for c in graph.claims if c.claimant_id not in company_ids]
    db.write_rows(WRITE_COMPANY_CLAIMS, claim_rows(by_company), extra_parameters=extra)
    db.write_rows(WRITE_PERSON_CLAIMS, claim_rows(by_person), extra_parameters=extra)
    db.run_autocommit(DELETE_STALE_CLAIMS, extra)
    db.write_rows(WRITE_COMPANY_RUN_CLAIMS, claim_rows(by_company), extra_parameters=extra)
    db.write_rows(WRITE_PERSON_RUN_CLAIMS, claim_rows(by_person), extra_parameters=extra)

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
    db.write_rows(
        WRITE_COMPANY_CONTROL,
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
        extra_parameters=extra,
    )
    db.write_rows(WRITE_GROUPS, group_rows(groups), extra_parameters=extra)
    members = member_rows(groups)
    db.write_rows(WRITE_MEMBERS, members, extra_parameters=extra)

    scc = _components(db, engine, GUARANTEE_PROJECTION)
    circles = [
        replace(c, circle_id=public_circle_id(salt, c.members))
        for c in build_circles(scc, inputs.guarantees)
    ]
    db.write_rows(WRITE_CIRCLES, circle_rows(circles), extra_parameters=extra)
    db.write_rows(
        WRITE_CIRCLE_MEMBERS,
        [{"circle_id": c.circle_id, "company_id": m} for c in circles for m in c.members],
        extra_parameters=extra,
    )
    chains_found = longest_chains(scc, inputs.guarantees, inputs.customers)
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
READ_UPSTREAM_STEP: Final[LiteralString] = """
UNWIND $ids AS id
MATCH (o)-[r:OWNS|CONTROL_CLAIM]->(c:Company {company_id: id})
WHERE (o:Company OR o:Person) AND (r:OWNS OR r.run_id = $group_run)
OPTIONAL MATCH (oc:ControlResult {run_id: $group_run, company_id: o.company_id})
RETURN coalesce(o.company_id, o.person_id) AS owner_id, o:Person AS is_person,
       o.name AS name, oc.control_cycle_id AS cycle_id, c.company_id AS company_id,
       type(r) AS type, r.share_pct_exact AS pct_exact, r.share_pct AS pct, r.basis AS basis,
       r.effect AS effect, r.contributor_ids AS contributor_ids,
       r.contributor_pcts AS contributor_pcts
"""
COMPANY_VISIBLE: Final[LiteralString] = (
    """
MATCH (c:Company {company_id: $company_id})
OPTIONAL MATCH (cr:ControlResult {run_id: $group_run, company_id: $company_id})
RETURN c.name AS name, cr.control_status AS status,
       coalesce(cr.ultimate_controller_ids, []) AS controllers,
       cr.control_cycle_id AS cycle_id, cr.control_cycle_members AS cycle_members,
       cr.ownership_cycle_members AS ownership_cycle,
       [(c)-[m:MEMBER_OF]->(g:Group {run_id: $group_run})
           | [g.group_id, coalesce(m.primary, false)]] AS groups,
       coalesce("""
    + visible_predicate("c")
    + """, false) AS visible
"""
)


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


def _claim_from_row(row: Mapping[str, Any]) -> Claim:
    ids = list(row["contributor_ids"] or [])
    pcts = list(row["contributor_pcts"] or [])
    return Claim(
        claimant_id=str(row["owner_id"]),
        company_id=str(row["company_id"]),
        basis=str(row["basis"]),
        effect=cast(Effect, str(row["effect"])),
        share_pct=float(row["pct"]) if row["pct"] is not None else None,
        contributors=tuple((str(i), float(p)) for i, p in zip(ids, pcts, strict=True)),
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
    run = _run(db, None)
    row = db.read_one(COMPANY_VISIBLE, {"company_id": company_id, **scope.parameters(), **run})
    if row is None or not row["visible"]:
        return None
    nodes = {company_id: NamedNode(company_id, str(row["name"] or ""), "company")}
    holdings: list[Holding] = []
    claims: list[Claim] = []
    cycle_of: dict[str, str] = {}
    if row["cycle_id"] is not None:
        cycle_of[company_id] = str(row["cycle_id"])
    frontier = [company_id]
    seen = {company_id}
    while frontier:
        rows = db.read(READ_UPSTREAM_STEP, {"ids": frontier, **run})
        frontier = []
        for r in rows:
            owner = str(r["owner_id"])
            if r["type"] == "OWNS":
                holdings.append(Holding(owner, str(r["company_id"]), _pct(r)))
            else:
                claims.append(_claim_from_row(r))
            if owner not in seen:
                seen.add(owner)
                nodes[owner] = NamedNode(
                    owner, str(r["name"] or ""), "person" if r["is_person"] else "company"
                )
                if r["cycle_id"] is not None:
                    cycle_of[owner] = str(r["cycle_id"])
                if not r["is_person"]:
                    frontier.append(owner)
    status = cast(Status, str(row["status"] or "none"))
    controllers = tuple(str(c) for c in row["controllers"])
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
    cycle_id = str(row["cycle_id"]) if row["cycle_id"] is not None else None
    control = CompanyControl(company_id, status, controllers, tuple(paths), cycle_id)
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
            *(row["cycle_members"] or ()),
            *(row["ownership_cycle"] or ()),
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
        control_cycle=tuple(anon.keys(row["cycle_members"] or ())),
        ownership_cycle=tuple(anon.keys(row["ownership_cycle"] or ())),
        groups=tuple(
            GroupRef(str(g), bool(p)) for g, p in sorted(row["groups"], key=lambda x: str(x[0]))
        ),
    )


# --- groups for the API, the CLI and the maps ---------------------------------------------------
GROUP_SCOPE: Final[LiteralString] = (
    "EXISTS { MATCH (v:Company)-[:MEMBER_OF]->(g) "
    "WHERE $scope_all OR v.branch_id IN $scope_branch_ids }"
)
_GROUP_RETURN: Final[LiteralString] = (
    " OPTIONAL MATCH (pp:Person {person_id: g.controller_id}) "
    "OPTIONAL MATCH (pc:Company {company_id: g.controller_id}) "
    "CALL (g) { UNWIND coalesce(g.controller_members, []) AS member "
    "OPTIONAL MATCH (x:Company {company_id: member}) "
    "RETURN collect(coalesce(x.name, member)) AS controller_member_names } "
    "RETURN g {.*} AS g, coalesce(pp.name, pc.name) AS controller_name, controller_member_names"
)
LIST_GROUPS: Final[LiteralString] = (
    "MATCH (g:Group {run_id: $group_run}) WHERE "
    + GROUP_SCOPE
    + " WITH g ORDER BY g.rank, g.group_id SKIP $offset LIMIT $limit"
    + _GROUP_RETURN
    + " ORDER BY g.rank, g.group_id"
)
COUNT_GROUPS: Final[LiteralString] = (
    "MATCH (g:Group {run_id: $group_run}) WHERE " + GROUP_SCOPE + " RETURN count(g) AS total"
)
GET_GROUP: Final[LiteralString] = (
    "MATCH (g:Group {group_id: $group_id, run_id: $group_run}) WHERE " + GROUP_SCOPE + _GROUP_RETURN
)
GROUP_MEMBERS: Final[LiteralString] = """
MATCH (c:Company)-[m:MEMBER_OF]->(:Group {group_id: $group_id, run_id: $group_run})
OPTIONAL MATCH (c)-[:HAS_FACILITY]->(f:Facility)
WITH c, m, f.currency AS currency, sum(f.limit_minor) AS limit_minor,
     sum(f.outstanding_minor) AS outstanding_minor
RETURN c.company_id AS id, c.name AS name, coalesce(c.is_customer, false) AS is_customer,
       coalesce($scope_all OR c.branch_id IN $scope_branch_ids, false) AS visible,
       m.role AS role, m.depth AS depth, m.parent_id AS parent_id, m.basis AS basis,
       m.share_pct AS share_pct, coalesce(m.status, 'sole') AS status,
       coalesce(m.controllers, []) AS controllers, coalesce(m.primary, true) AS primary,
       collect(CASE WHEN currency IS NULL THEN null
               ELSE [currency, toString(limit_minor), toString(outstanding_minor)] END)
           AS facilities
ORDER BY depth, id
"""
CYCLE_CLAIMS: Final[LiteralString] = """
UNWIND $cycles AS cycle
MATCH (a:Company)-[r:CONTROL_CLAIM {run_id: $group_run}]->(b:Company)
WHERE a.company_id IN cycle AND b.company_id IN cycle
RETURN DISTINCT a.company_id AS source, b.company_id AS target, r.basis AS basis,
       r.share_pct AS share_pct
ORDER BY source, target
"""


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
    currencies: list[str], limits: list[int], outstanding: list[int]
) -> list[Exposure]:
    """Rebuild stored per-currency totals."""
    return [
        Exposure(c, int(lim), int(out))
        for c, lim, out in zip(currencies, limits, outstanding, strict=True)
    ]


def member_facilities(raw: list[list[str] | None]) -> list[Exposure]:
    """Per-currency facility sums of one member from :data:`GROUP_MEMBERS`."""
    return [Exposure(f[0], int(f[1]), int(f[2])) for f in raw if f]


def _cycles(raw: Sequence[str] | None) -> tuple[tuple[str, ...], ...]:
    return tuple(tuple(c.split(CYCLE_SEPARATOR)) for c in raw or ())


def _group_ids(row: Mapping[str, Any]) -> list[str]:
    """Every company id a stored group row mentions (controller, cycles)."""
    g = row["g"]
    ids = [str(g["controller_id"]), *(str(m) for m in g.get("controller_members") or ())]
    for cycle in (*_cycles(g.get("control_cycles")), *_cycles(g.get("ownership_cycles"))):
        ids.extend(cycle)
    return ids


def _stored_group(row: Mapping[str, Any], anon: Anonymiser) -> StoredGroup:
    g = row["g"]
    members = tuple(str(m) for m in g.get("controller_members") or ())
    raw_names = row["controller_member_names"]
    names = [anon.name(m, str(n)) for m, n in zip(members, raw_names, strict=True)]
    controller_id = str(g["controller_id"])
    controller_name = row.get("controller_name")
    group_controller = (
        anon.name(controller_id, str(controller_name)) if controller_name else "、".join(names)
    )
    return StoredGroup(
        group_id=str(g["group_id"]),
        controller_id=anon.key(controller_id),
        controller_type=str(g["controller_type"]),
        controller_name=group_controller,
        controller_members=tuple(anon.keys(members)),
        size=int(g["size"]),
        rank=int(g["rank"]),
        max_depth=int(g.get("max_depth") or 0),
        over_concentration=bool(g["over_concentration"]),
        exposures=tuple(
            exposures_from(
                list(g.get("currencies") or []),
                list(g.get("limit_minor") or []),
                list(g.get("outstanding_minor") or []),
            )
        ),
        control_cycles=tuple(tuple(anon.keys(c)) for c in _cycles(g.get("control_cycles"))),
        ownership_cycles=tuple(tuple(anon.keys(c)) for c in _cycles(g.get("ownership_cycles"))),
        joint_members=int(g.get("joint_members") or 0),
        explanation=_group_explanation(g.get("explanation"), group_controller, anon),
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


def _stored_member(m: Mapping[str, Any], anon: Anonymiser) -> StoredMember:
    member_id = str(m["id"])
    visible = anon.visible(member_id)
    return StoredMember(
        id=anon.key(member_id),
        name=anon.name(member_id, str(m["name"] or "")),
        is_customer=bool(m["is_customer"]),
        visible=visible,
        role=str(m["role"]),
        depth=int(m["depth"]),
        parent_id=anon.key(str(m["parent_id"])) if m["parent_id"] is not None else None,
        basis=str(m["basis"]) if m["basis"] is not None else None,
        share_pct=float(m["share_pct"]) if m["share_pct"] is not None else None,
        status=str(m["status"]),
        controllers=tuple(anon.keys(str(c) for c in m["controllers"])),
        primary=bool(m["primary"]),
        facilities=tuple(member_facilities(m["facilities"])) if visible else None,
    )


def _run(db: Database, runs: PublishedRuns | None) -> dict[str, str | None]:
    """``{"group_run": ...}``: the published group-risk run (resolved now unless given)."""
    return {"group_run": (runs or published_runs(db, ("group_risk",))).group_risk}


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
    run = _run(db, runs)
    params = {**scope.parameters(), **run, "limit": limit, "offset": offset}
    total_row = db.read_one(COUNT_GROUPS, {**scope.parameters(), **run})
    rows = db.read(LIST_GROUPS, params)
    anon = anonymiser_for(db, scope, (i for r in rows for i in _group_ids(r)))
    return int(total_row["total"]) if total_row else 0, [_stored_group(r, anon) for r in rows]


def get_group(
    db: Database, group_id: str, scope: BranchScope, *, runs: PublishedRuns | None = None
) -> StoredGroup | None:
    """A visible group with its members and cycle claims, or ``None`` (unknown or not visible)."""
    run = _run(db, runs)
    params = {**scope.parameters(), **run, "group_id": group_id}
    row = db.read_one(GET_GROUP, params)
    if row is None:
        return None
    member_rows = db.read(GROUP_MEMBERS, params)
    anon = anonymiser_for(
        db,
        scope,
        [*_group_ids(row), *(str(m["id"]) for m in member_rows)]
        + [str(m["parent_id"]) for m in member_rows if m["parent_id"] is not None]
        + [str(c) for m in member_rows for c in m["controllers"]],
    )
    group = _stored_group(row, anon)
    members = tuple(_stored_member(m, anon) for m in member_rows)
    raw_cycles = [list(c) for c in _cycles(row["g"].get("control_cycles"))]
    edges = tuple(
        CycleEdge(
            anon.key(str(r["source"])),
            anon.key(str(r["target"])),
            str(r["basis"]),
            float(r["share_pct"]) if r["share_pct"] is not None else None,
        )
        for r in db.read(CYCLE_CLAIMS, {"cycles": raw_cycles, **run})
    )
    return replace(group, members=members, cycle_edges=edges)


CIRCLE_SCOPE: Final[LiteralString] = (
    "EXISTS { MATCH (v:Company)-[:IN_CIRCLE]->(k) "
    "WHERE $scope_all OR v.branch_id IN $scope_branch_ids }"
)
LIST_CIRCLES: Final[LiteralString] = (
    "MATCH (k:GuaranteeCircle {run_id: $group_run}) WHERE "
    + CIRCLE_SCOPE
    + " RETURN k {.*} AS k, [(c:Company)-[:IN_CIRCLE]->(k) | c.company_id] AS members "
    "ORDER BY k.size DESC, k.circle_id SKIP $offset LIMIT $limit"
)
COUNT_CIRCLES: Final[LiteralString] = (
    "MATCH (k:GuaranteeCircle {run_id: $group_run}) WHERE "
    + CIRCLE_SCOPE
    + " RETURN count(k) AS total"
)
GET_CIRCLE: Final[LiteralString] = (
    "MATCH (k:GuaranteeCircle {circle_id: $circle_id, run_id: $group_run}) WHERE "
    + CIRCLE_SCOPE
    + " RETURN k {.*} AS k"
)
CIRCLE_MEMBERS: Final[LiteralString] = """
MATCH (c:Company)-[:IN_CIRCLE]->(:GuaranteeCircle {circle_id: $circle_id, run_id: $group_run})
OPTIONAL MATCH (c)-[:HAS_FACILITY]->(f:Facility)
WITH c, f.currency AS currency, sum(f.limit_minor) AS limit_minor,
     sum(f.outstanding_minor) AS outstanding_minor
RETURN c.company_id AS id, c.name AS name, coalesce(c.is_customer, false) AS is_customer,
       coalesce($scope_all OR c.branch_id IN $scope_branch_ids, false) AS visible,
       collect(CASE WHEN currency IS NULL THEN null
               ELSE [currency, toString(limit_minor), toString(outstanding_minor)] END)
           AS facilities
ORDER BY id
"""
CIRCLE_GUARANTEES: Final[LiteralString] = """
MATCH (g:Company)-[r:GUARANTEES]->(b:Company)
WHERE r.guarantee_id IN $guarantee_ids
RETURN r.guarantee_id AS guarantee_id, g.company_id AS guarantor_id,
       b.company_id AS borrower_id, r.amount_minor AS amount_minor, r.currency AS currency
ORDER BY guarantee_id
"""


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


def _stored_circle(k: Mapping[str, Any], members: Iterable[Any] = ()) -> StoredCircle:
    pairs = []
    for raw in k.get("mutual_pairs") or ():
        left, _, right = str(raw).partition(MUTUAL_PAIR_SEPARATOR)
        pairs.append((left, right))
    return StoredCircle(
        circle_id=str(k["circle_id"]),
        size=int(k.get("size") or 0),
        members=tuple(sorted(str(m) for m in members)),
        cycles=tuple(tuple(str(c).split(CIRCLE_CYCLE_SEPARATOR)) for c in k.get("cycles") or ()),
        cycles_complete=bool(k.get("cycles_complete")),
        mutual_pairs=tuple(pairs),
        amounts=tuple(
            CircleAmount(str(c), int(a))
            for c, a in zip(k.get("currencies") or [], k.get("amounts_minor") or [], strict=True)
        ),
        guarantee_ids=tuple(str(g) for g in k.get("guarantee_ids") or ()),
    )


def list_circles(
    db: Database,
    scope: BranchScope,
    *,
    limit: int,
    offset: int,
    runs: PublishedRuns | None = None,
) -> tuple[int, list[StoredCircle]]:
    """Visible guarantee circles, largest first: the total and one page.

    Members outside the caller's subtree are listed by their response-local
    placeholder key (:mod:`graph.scoping`), in members, cycles and mutual pairs.
    """
    run = _run(db, runs)
    params = {**scope.parameters(), **run, "limit": limit, "offset": offset}
    total_row = db.read_one(COUNT_CIRCLES, {**scope.parameters(), **run})
    rows = db.read(LIST_CIRCLES, params)
    anon = anonymiser_for(db, scope, (str(m) for r in rows for m in r["members"]))
    return int(total_row["total"]) if total_row else 0, [
        _stored_circle(_anonymised(r["k"], anon), anon.keys(str(m) for m in r["members"]))
        for r in rows
    ]


def _anonymised(k: Mapping[str, Any], anon: Anonymiser) -> dict[str, Any]:
    """A stored circle's cycles and mutual pairs with hidden members as their keys."""
    return {
        **k,
        "cycles": [
            CIRCLE_CYCLE_SEPARATOR.join(anon.keys(str(c).split(CIRCLE_CYCLE_SEPARATOR)))
            for c in k.get("cycles") or []
        ],
        "mutual_pairs": [
            MUTUAL_PAIR_SEPARATOR.join(anon.keys(str(p).split(MUTUAL_PAIR_SEPARATOR)))
            for p in k.get("mutual_pairs") or []
        ],
    }


def get_circle(
    db: Database, circle_id: str, scope: BranchScope, *, runs: PublishedRuns | None = None
) -> CircleDetail | None:
    """A visible circle, its members and its internal guarantees, or ``None``.

    Members outside the caller's subtree are placeholders (:mod:`graph.scoping`):
    their key, never their id, in members, cycles, mutual pairs and guarantees.
    """
    params = {**scope.parameters(), **_run(db, runs), "circle_id": circle_id}
    row = db.read_one(GET_CIRCLE, params)
    if row is None:
        return None
    rows = db.read(CIRCLE_MEMBERS, params)
    anon = anonymiser_for(db, scope, (str(m["id"]) for m in rows))
    members = tuple(
        CircleMemberRow(
            id=anon.key(str(m["id"])),
            name=anon.name(str(m["id"]), m["name"]),
            is_customer=bool(m["is_customer"]),
            visible=anon.visible(str(m["id"])),
            facilities=(
                tuple(member_facilities(m["facilities"])) if anon.visible(str(m["id"])) else None
            ),
        )
        for m in rows
    )
    circle = _stored_circle(_anonymised(row["k"], anon), (m.id for m in members))
    edges = []
    for r in db.read(CIRCLE_GUARANTEES, {"guarantee_ids": list(circle.guarantee_ids)}):
        guarantor, borrower = str(r["guarantor_id"]), str(r["borrower_id"])
        shown = anon.visible(guarantor) or anon.visible(borrower)
        edges.append(
            CircleGuarantee(
                str(r["guarantee_id"]),
                anon.key(guarantor),
                anon.key(borrower),
                int(r["amount_minor"] or 0) if shown else None,
                str(r["currency"] or "CNY") if shown else None,
            )
        )
    return CircleDetail(circle, members, tuple(edges))


READ_DECISIVE_CLAIMS: Final[LiteralString] = (
    "MATCH (o)-[r:CONTROL_CLAIM {effect: 'decisive', run_id: $group_run}]->(c:Company) "
    "WHERE o:Company OR o:Person "
    "RETURN coalesce(o.company_id, o.person_id) AS owner_id, c.company_id AS company_id, "
    "r.basis AS basis, r.effect AS effect, r.share_pct AS pct, "
    "r.contributor_ids AS contributor_ids, r.contributor_pcts AS contributor_pcts"
)
READ_CAPITAL: Final[LiteralString] = (
    "MATCH (c:Company) WHERE c.registered_capital_minor IS NOT NULL "
    "RETURN c.company_id AS id, coalesce(c.registered_capital_currency, 'CNY') AS currency, "
    "c.registered_capital_minor AS minor"
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
    run = _run(db, None)
    row = db.read_one(COMPANY_VISIBLE, {"company_id": company_id, **scope.parameters(), **run})
    if row is None or not row["visible"]:
        return None
    inputs = read_inputs(db)
    capital = {str(r["id"]): (str(r["currency"]), int(r["minor"])) for r in db.read(READ_CAPITAL)}
    result = propagate(
        company_id,
        inputs.guarantees,
        {c.company_id: c for c in map(_claim_from_row, db.read(READ_DECISIVE_CLAIMS, run))},
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
