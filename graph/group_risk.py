"""Group risk in Neo4j: read the inputs, run the pure algorithms, store and serve results.

``corpgraph compute`` runs :func:`compute_group_risk`:

1. reads shareholdings (``OWNS``) and ``control_links`` (``CONTROLS``), derives each
   company's direct control (:mod:`algorithms.control`) and stores it as
   ``(:Company|Person)-[:CONTROLS_DIRECTLY {basis, share_pct}]->(:Company)``;
2. runs the engine's **WCC** over ``CONTROLS_DIRECTLY`` and builds the groups from
   its components (:mod:`algorithms.groups`), with exact exposure per currency;
3. runs the engine's **SCC** over ``GUARANTEES`` and builds the guarantee circles
   (:mod:`algorithms.guarantees`);
4. stores ``(:Group)``, ``(:Company)-[:MEMBER_OF {role, depth}]->(:Group)``,
   ``(:GuaranteeCircle)`` and ``(:Company)-[:IN_CIRCLE]->(:GuaranteeCircle)``.

Every write is a ``MERGE`` stamped with the run's id; whatever an earlier run
wrote and this one did not is deleted at the end, so recomputing is idempotent
and stale groups and circles disappear.

The read functions below serve the API and the CLI; each takes the caller's
:class:`~graph.branches.BranchScope` where results are scoped.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Final, LiteralString

from algorithms.contagion import ContagionResult, propagate
from algorithms.control import (
    DEFAULT_THRESHOLD_PCT,
    ControllerReport,
    ControlLink,
    DirectControl,
    direct_controllers,
    find_controllers,
    ultimate_controllers,
)
from algorithms.groups import (
    RANKING_CURRENCY,
    Exposure,
    Group,
    build_groups,
    rank_groups,
    with_exposure,
)
from algorithms.guarantees import Circle, GuaranteeEdge, build_circles, longest_chains
from algorithms.ownership import DEFAULT_MAX_DEPTH, DEFAULT_MAX_PATHS, Holding, OwnershipGraph

from .branches import BranchScope
from .database import Database
from .engines import GraphEngine, Projection, RelationshipSpec
from .settings import Settings

if TYPE_CHECKING:  # compute imports this module to register the step
    from .compute import StepReport

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

# --- writes ---------------------------------------------------------------------------------
WRITE_COMPANY_DIRECT_CONTROL: Final[LiteralString] = """
UNWIND $rows AS row
MATCH (o:Company {company_id: row.controller_id})
MATCH (c:Company {company_id: row.company_id})
MERGE (o)-[r:CONTROLS_DIRECTLY]->(c)
SET r.basis = row.basis, r.share_pct = row.share_pct, r.run_id = $run_id
"""
WRITE_PERSON_DIRECT_CONTROL: Final[LiteralString] = """
UNWIND $rows AS row
MATCH (o:Person {person_id: row.controller_id})
MATCH (c:Company {company_id: row.company_id})
MERGE (o)-[r:CONTROLS_DIRECTLY]->(c)
SET r.basis = row.basis, r.share_pct = row.share_pct, r.run_id = $run_id
"""
DELETE_STALE_DIRECT_CONTROL: Final[LiteralString] = (
    "MATCH ()-[r:CONTROLS_DIRECTLY]->() WHERE r.run_id <> $run_id "
    "CALL (r) { DELETE r } IN TRANSACTIONS OF 10000 ROWS"
)
WRITE_GROUPS: Final[LiteralString] = """
UNWIND $rows AS row
MERGE (g:Group {group_id: row.group_id})
SET g.controller_id = row.controller_id, g.controller_type = row.controller_type,
    g.size = row.size, g.max_depth = row.max_depth, g.currencies = row.currencies,
    g.limit_minor = row.limit_minor, g.outstanding_minor = row.outstanding_minor,
    g.rank_outstanding_minor = row.rank_outstanding_minor,
    g.over_concentration = row.over_concentration, g.rank = row.rank,
    g.explanation = row.explanation, g.run_id = $run_id
"""
WRITE_MEMBERS: Final[LiteralString] = """
UNWIND $rows AS row
MATCH (c:Company {company_id: row.company_id})
MATCH (g:Group {group_id: row.group_id})
MERGE (c)-[m:MEMBER_OF]->(g)
SET m.role = row.role, m.depth = row.depth, m.parent_id = row.parent_id,
    m.basis = row.basis, m.share_pct = row.share_pct, m.run_id = $run_id
"""
DELETE_STALE_MEMBERS: Final[LiteralString] = (
    "MATCH (:Company)-[m:MEMBER_OF]->(:Group) WHERE m.run_id <> $run_id "
    "CALL (m) { DELETE m } IN TRANSACTIONS OF 10000 ROWS"
)
DELETE_STALE_GROUPS: Final[LiteralString] = (
    "MATCH (g:Group) WHERE g.run_id <> $run_id "
    "CALL (g) { DETACH DELETE g } IN TRANSACTIONS OF 10000 ROWS"
)
WRITE_CIRCLES: Final[LiteralString] = """
UNWIND $rows AS row
MERGE (k:GuaranteeCircle {circle_id: row.circle_id})
SET k.size = row.size, k.cycles = row.cycles, k.cycles_complete = row.cycles_complete,
    k.mutual_pairs = row.mutual_pairs, k.currencies = row.currencies,
    k.amounts_minor = row.amounts_minor, k.guarantee_ids = row.guarantee_ids,
    k.run_id = $run_id
"""
WRITE_CIRCLE_MEMBERS: Final[LiteralString] = """
UNWIND $rows AS row
MATCH (c:Company {company_id: row.company_id})
MATCH (k:GuaranteeCircle {circle_id: row.circle_id})
MERGE (c)-[m:IN_CIRCLE]->(k)
SET m.run_id = $run_id
"""
DELETE_STALE_CIRCLE_MEMBERS: Final[LiteralString] = (
    "MATCH (:Company)-[m:IN_CIRCLE]->(:GuaranteeCircle) WHERE m.run_id <> $run_id "
    "CALL (m) { DELETE m } IN TRANSACTIONS OF 10000 ROWS"
)
DELETE_STALE_CIRCLES: Final[LiteralString] = (
    "MATCH (k:GuaranteeCircle) WHERE k.run_id <> $run_id "
    "CALL (k) { DETACH DELETE k } IN TRANSACTIONS OF 10000 ROWS"
)

CONTROL_PROJECTION: Final = Projection(
    "direct-control", ("Company", "Person"), (RelationshipSpec("CONTROLS_DIRECTLY"),)
)
GUARANTEE_PROJECTION: Final = Projection(
    "guarantees", ("Company",), (RelationshipSpec("GUARANTEES"),)
)


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


def _direct_rows(direct: Iterable[DirectControl]) -> list[dict[str, Any]]:
    return [
        {
            "controller_id": d.controller_id,
            "company_id": d.company_id,
            "basis": d.basis,
            "share_pct": d.share_pct,
        }
        for d in direct
    ]


def group_rows(groups: list[Group]) -> list[dict[str, Any]]:
    """Rows of :data:`WRITE_GROUPS` (``groups`` in rank order)."""
    return [
        {
            "group_id": g.group_id,
            "controller_id": g.controller_id,
            "controller_type": "company" if g.controller_is_company else "person",
            "size": g.size,
            "max_depth": g.max_depth,
            "currencies": [e.currency for e in g.exposures],
            "limit_minor": [e.limit_minor for e in g.exposures],
            "outstanding_minor": [e.outstanding_minor for e in g.exposures],
            "rank_outstanding_minor": g.outstanding(RANKING_CURRENCY),
            "over_concentration": g.over_concentration,
            "rank": rank,
            "explanation": g.explanation,
        }
        for rank, g in enumerate(groups, start=1)
    ]


def circle_rows(circles: list[Circle]) -> list[dict[str, Any]]:
    """Rows of :data:`WRITE_CIRCLES`."""
    return [
        {
            "circle_id": c.circle_id,
            "size": len(c.members),
            "cycles": [">".join(cycle) for cycle in c.cycles],
            "cycles_complete": c.cycles_complete,
            "mutual_pairs": [f"{a}|{b}" for a, b in c.mutual_pairs],
            "currencies": [cur for cur, _ in c.amounts],
            "amounts_minor": [amount for _, amount in c.amounts],
            "guarantee_ids": list(c.guarantee_ids),
        }
        for c in circles
    ]


def compute_group_risk(db: Database, engine: GraphEngine, settings: Settings) -> StepReport:
    """The ``group_risk`` compute step: controllers, groups, exposure and circles."""
    from .compute import StepReport

    run_id = uuid.uuid4().hex
    extra = {"run_id": run_id}
    inputs = read_inputs(db)
    company_ids = set(inputs.company_names)

    direct = direct_controllers(inputs.holdings, inputs.links)
    chains = ultimate_controllers(direct)
    by_company = [d for d in direct.values() if d.controller_id in company_ids]
    by_person = [d for d in direct.values() if d.controller_id not in company_ids]
    db.write_rows(WRITE_COMPANY_DIRECT_CONTROL, _direct_rows(by_company), extra_parameters=extra)
    db.write_rows(WRITE_PERSON_DIRECT_CONTROL, _direct_rows(by_person), extra_parameters=extra)
    db.run_autocommit(DELETE_STALE_DIRECT_CONTROL, extra)

    components = engine.wcc(CONTROL_PROJECTION)
    groups = rank_groups(
        with_exposure(
            build_groups(components, direct, company_ids),
            inputs.facilities,
            settings.group_concentration_minor,
        )
    )
    db.write_rows(WRITE_GROUPS, group_rows(groups), extra_parameters=extra)
    member_rows = [
        {
            "group_id": g.group_id,
            "company_id": m.company_id,
            "role": m.role,
            "depth": m.depth,
            "parent_id": m.parent_id,
            "basis": m.basis,
            "share_pct": m.share_pct,
        }
        for g in groups
        for m in g.members
    ]
    db.write_rows(WRITE_MEMBERS, member_rows, extra_parameters=extra)
    db.run_autocommit(DELETE_STALE_MEMBERS, extra)
    db.run_autocommit(DELETE_STALE_GROUPS, extra)

    scc = engine.scc(GUARANTEE_PROJECTION)
    circles = build_circles(scc, inputs.guarantees)
    db.write_rows(WRITE_CIRCLES, circle_rows(circles), extra_parameters=extra)
    db.write_rows(
        WRITE_CIRCLE_MEMBERS,
        [{"circle_id": c.circle_id, "company_id": m} for c in circles for m in c.members],
        extra_parameters=extra,
    )
    db.run_autocommit(DELETE_STALE_CIRCLE_MEMBERS, extra)
    db.run_autocommit(DELETE_STALE_CIRCLES, extra)
    chains_found = longest_chains(scc, inputs.guarantees, inputs.customers)
    logger.info(
        "group risk (%s engine): %d controlled companies, %d groups, %d circles, %d chains",
        engine.name,
        len(chains),
        len(groups),
        len(circles),
        len(chains_found),
    )
    return StepReport(
        "group_risk",
        {
            "controlled companies": len(chains),
            "groups": len(groups),
            "group members": len(member_rows),
            "over-concentrated groups": sum(g.over_concentration for g in groups),
            "guarantee circles": len(circles),
            "guarantee chains": len(chains_found),
        },
    )


# --- reads for the API and the CLI --------------------------------------------------------------
READ_UPSTREAM_STEP: Final[LiteralString] = """
UNWIND $ids AS id
MATCH (o)-[r:OWNS|CONTROLS]->(c:Company {company_id: id})
WHERE o:Company OR o:Person
RETURN coalesce(o.company_id, o.person_id) AS owner_id, o:Person AS is_person,
       o.name AS name, c.company_id AS company_id, type(r) AS type,
       r.share_pct_exact AS pct_exact, r.share_pct AS pct,
       coalesce(r.basis, 'control_link') AS basis
"""
COMPANY_VISIBLE: Final[LiteralString] = """
MATCH (c:Company {company_id: $company_id})
RETURN c.name AS name,
       coalesce($scope_all OR c.branch_id IN $scope_branch_ids, false) OR EXISTS {
           MATCH (c)-[:MEMBER_OF]->(:Group)<-[:MEMBER_OF]-(o:Company)
           WHERE $scope_all OR o.branch_id IN $scope_branch_ids
       } AS visible
"""


@dataclass(frozen=True)
class NamedNode:
    """An id with its name and type (``company`` or ``person``)."""

    id: str
    name: str
    type: str


@dataclass(frozen=True)
class CompanyControllers:
    """The controllers report of one company plus the names of everyone in it."""

    report: ControllerReport
    nodes: dict[str, NamedNode]


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

    A company is visible when it is booked in the caller's subtree or belongs to a
    group with a member booked there. Only the company's upstream (owners and
    controllers, transitively) is read, level by level.
    """
    row = db.read_one(COMPANY_VISIBLE, {"company_id": company_id, **scope.parameters()})
    if row is None or not row["visible"]:
        return None
    nodes = {company_id: NamedNode(company_id, str(row["name"] or ""), "company")}
    holdings: list[Holding] = []
    links: list[ControlLink] = []
    frontier = [company_id]
    seen = {company_id}
    while frontier:
        rows = db.read(READ_UPSTREAM_STEP, {"ids": frontier})
        frontier = []
        for r in rows:
            owner = str(r["owner_id"])
            if r["type"] == "OWNS":
                holdings.append(Holding(owner, str(r["company_id"]), _pct(r)))
            else:
                links.append(ControlLink(owner, str(r["company_id"]), str(r["basis"])))
            if owner not in seen:
                seen.add(owner)
                nodes[owner] = NamedNode(
                    owner, str(r["name"] or ""), "person" if r["is_person"] else "company"
                )
                if not r["is_person"]:
                    frontier.append(owner)
    graph = OwnershipGraph.from_holdings(holdings)
    chains = ultimate_controllers(direct_controllers(holdings, links))
    report = find_controllers(
        graph,
        chains,
        company_id,
        threshold_pct=threshold_pct,
        max_depth=max_depth,
        max_paths=max_paths,
    )
    return CompanyControllers(report, nodes)


GROUP_SCOPE: Final[LiteralString] = (
    "EXISTS { MATCH (v:Company)-[:MEMBER_OF]->(g) "
    "WHERE $scope_all OR v.branch_id IN $scope_branch_ids }"
)
LIST_GROUPS: Final[LiteralString] = (
    "MATCH (g:Group) WHERE "
    + GROUP_SCOPE
    + " OPTIONAL MATCH (pp:Person {person_id: g.controller_id}) "
    "OPTIONAL MATCH (pc:Company {company_id: g.controller_id}) "
    "RETURN g {.*} AS g, coalesce(pp.name, pc.name) AS controller_name "
    "ORDER BY g.rank, g.group_id SKIP $offset LIMIT $limit"
)
COUNT_GROUPS: Final[LiteralString] = (
    "MATCH (g:Group) WHERE " + GROUP_SCOPE + " RETURN count(g) AS total"
)
GET_GROUP: Final[LiteralString] = (
    "MATCH (g:Group {group_id: $group_id}) WHERE "
    + GROUP_SCOPE
    + " OPTIONAL MATCH (pp:Person {person_id: g.controller_id}) "
    "OPTIONAL MATCH (pc:Company {company_id: g.controller_id}) "
    "RETURN g {.*} AS g, coalesce(pp.name, pc.name) AS controller_name"
)
GROUP_MEMBERS: Final[LiteralString] = """
MATCH (c:Company)-[m:MEMBER_OF]->(:Group {group_id: $group_id})
OPTIONAL MATCH (c)-[:HAS_FACILITY]->(f:Facility)
WITH c, m, f.currency AS currency, sum(f.limit_minor) AS limit_minor,
     sum(f.outstanding_minor) AS outstanding_minor
RETURN c.company_id AS id, c.name AS name, coalesce(c.is_customer, false) AS is_customer,
       coalesce($scope_all OR c.branch_id IN $scope_branch_ids, false) AS visible,
       m.role AS role, m.depth AS depth, m.parent_id AS parent_id, m.basis AS basis,
       m.share_pct AS share_pct,
       collect(CASE WHEN currency IS NULL THEN null
               ELSE [currency, toString(limit_minor), toString(outstanding_minor)] END)
           AS facilities
ORDER BY depth, id
"""
CIRCLE_SCOPE: Final[LiteralString] = (
    "EXISTS { MATCH (v:Company)-[:IN_CIRCLE]->(k) "
    "WHERE $scope_all OR v.branch_id IN $scope_branch_ids }"
)
LIST_CIRCLES: Final[LiteralString] = (
    "MATCH (k:GuaranteeCircle) WHERE "
    + CIRCLE_SCOPE
    + " RETURN k {.*} AS k, [(c:Company)-[:IN_CIRCLE]->(k) | c.company_id] AS members "
    "ORDER BY k.size DESC, k.circle_id SKIP $offset LIMIT $limit"
)
COUNT_CIRCLES: Final[LiteralString] = (
    "MATCH (k:GuaranteeCircle) WHERE " + CIRCLE_SCOPE + " RETURN count(k) AS total"
)
GET_CIRCLE: Final[LiteralString] = (
    "MATCH (k:GuaranteeCircle {circle_id: $circle_id}) WHERE "
    + CIRCLE_SCOPE
    + " RETURN k {.*} AS k"
)
CIRCLE_MEMBERS: Final[LiteralString] = """
MATCH (c:Company)-[:IN_CIRCLE]->(:GuaranteeCircle {circle_id: $circle_id})
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


def list_groups(
    db: Database, scope: BranchScope, *, limit: int, offset: int
) -> tuple[int, list[dict[str, Any]]]:
    """Visible groups in rank order (by CNY outstanding): the total and one page."""
    params = {**scope.parameters(), "limit": limit, "offset": offset}
    total_row = db.read_one(COUNT_GROUPS, scope.parameters())
    rows = db.read(LIST_GROUPS, params)
    return int(total_row["total"]) if total_row else 0, rows


def get_group(
    db: Database, group_id: str, scope: BranchScope
) -> tuple[dict[str, Any], list[dict[str, Any]]] | None:
    """A visible group and its members, or ``None`` (unknown or not visible)."""
    params = {**scope.parameters(), "group_id": group_id}
    row = db.read_one(GET_GROUP, params)
    if row is None:
        return None
    return row, db.read(GROUP_MEMBERS, params)


def list_circles(
    db: Database, scope: BranchScope, *, limit: int, offset: int
) -> tuple[int, list[dict[str, Any]]]:
    """Visible guarantee circles, largest first: the total and one page."""
    params = {**scope.parameters(), "limit": limit, "offset": offset}
    total_row = db.read_one(COUNT_CIRCLES, scope.parameters())
    return int(total_row["total"]) if total_row else 0, db.read(LIST_CIRCLES, params)


def get_circle(
    db: Database, circle_id: str, scope: BranchScope
) -> tuple[dict[str, Any], list[dict[str, Any]], list[GuaranteeEdge]] | None:
    """A visible circle, its members and its internal guarantees, or ``None``."""
    params = {**scope.parameters(), "circle_id": circle_id}
    row = db.read_one(GET_CIRCLE, params)
    if row is None:
        return None
    members = db.read(CIRCLE_MEMBERS, params)
    edges = [
        GuaranteeEdge(
            str(r["guarantee_id"]),
            str(r["guarantor_id"]),
            str(r["borrower_id"]),
            int(r["amount_minor"] or 0),
            str(r["currency"] or "CNY"),
        )
        for r in db.read(CIRCLE_GUARANTEES, {"guarantee_ids": row["k"]["guarantee_ids"]})
    ]
    return row, members, edges


READ_CAPITAL: Final[LiteralString] = (
    "MATCH (c:Company) WHERE c.registered_capital_minor IS NOT NULL "
    "RETURN c.company_id AS id, coalesce(c.registered_capital_currency, 'CNY') AS currency, "
    "c.registered_capital_minor AS minor"
)
READ_VISIBLE_AMONG: Final[LiteralString] = (
    "UNWIND $ids AS id MATCH (c:Company {company_id: id}) "
    "RETURN c.company_id AS id, c.name AS name, "
    "coalesce($scope_all OR c.branch_id IN $scope_branch_ids, false) AS visible"
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
    Reads the whole guarantee and control graph (fine for a bank's corporate book).
    """
    row = db.read_one(COMPANY_VISIBLE, {"company_id": company_id, **scope.parameters()})
    if row is None or not row["visible"]:
        return None
    inputs = read_inputs(db)
    capital = {str(r["id"]): (str(r["currency"]), int(r["minor"])) for r in db.read(READ_CAPITAL)}
    result = propagate(
        company_id,
        inputs.guarantees,
        direct_controllers(inputs.holdings, inputs.links),
        inputs.facilities,
        capital=capital,
        company_ids=inputs.company_names,
        default_ratio=default_ratio,
        control=control,
        max_rounds=max_rounds,
    )
    ids = [a.company_id for a in result.affected]
    seen = {
        str(r["id"]): (str(r["name"] or ""), bool(r["visible"]))
        for r in db.read(READ_VISIBLE_AMONG, {"ids": ids, **scope.parameters()})
    }
    return result, seen
