"""Prospects' repository: what the influence and prospect steps read and write under a
run id, and the published prospects the API and the CLI list.

The compute step, the scoring and the answers (scoped, in the caller's language) live
in :mod:`services.prospects`; this module holds the Cypher and returns typed rows.
Influence scores, supply-chain membership and prospect scores are properties of
``(:CompanyResult {run_id, company_id})`` (a prospect also has the ``:Prospect``
label); readers take the published run as ``$prospect_run``. A prospect's
components, facts, ties and reasons are stored as JSON strings, returned as stored.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, LiteralString

from .database import Database, Reader
from .scoping import visible_predicate

READ_CUSTOMERS: Final[LiteralString] = """
MATCH (c:Customer)
OPTIONAL MATCH (c)-[:MEMBER_OF]->(g:Group {run_id: $group_run})
RETURN c.company_id AS id, c.name AS name, c.branch_id AS branch_id, c.rm_id AS rm_id,
       collect(DISTINCT g.group_id) AS group_ids
"""

READ_CANDIDATES: Final[LiteralString] = """
MATCH (n:Company)
WHERE NOT n:Customer
  AND (EXISTS { (n)-[:PAYS]-(:Customer) } OR EXISTS { (n)-[:SUPPLIES]-(:Customer) })
RETURN [n.company_id, n.name, n.uscc, n.status, n.industry, n.region] AS candidate
"""

READ_SUPPLY: Final[LiteralString] = """
MATCH (s:Company)-[r:SUPPLIES]->(b:Company)
RETURN s.company_id AS supplier_id, b.company_id AS buyer_id,
       coalesce(r.annual_amount_minor, 0) AS amount_minor, coalesce(r.currency, 'CNY') AS currency,
       s.name AS supplier_name, b.name AS buyer_name,
       s:Customer AS supplier_is_customer, b:Customer AS buyer_is_customer
"""

#: Every company's id: each gets one result row, the isolated influence values (those
#: of a company without edges) when it has no edge.
READ_COMPANY_IDS: Final[LiteralString] = (
    "MATCH (c:Company) WHERE c.company_id IS NOT NULL RETURN c.company_id AS id"
)

#: A company's results of the run, created in one write (the run id is new: nothing to
#: merge with): influence, supply chain and, with :data:`_PROSPECT_SET`, prospect.
_RESULT_SET: Final[LiteralString] = """
SET c.influence_supply_pagerank = row.supply_pagerank,
    c.influence_supply_degree = row.supply_degree,
    c.influence_supply_betweenness = row.supply_betweenness,
    c.influence_flow_pagerank = row.flow_pagerank,
    c.influence_flow_degree = row.flow_degree,
    c.influence_flow_betweenness = row.flow_betweenness,
    c.supply_chain_id = row.chain_id, c.supply_chain_rank = row.chain_rank,
    c.core_enterprise = row.is_core, c.supply_chain_size = row.chain_size,
    c.core_explanation = row.core_explanation
"""
_PROSPECT_SET: Final[LiteralString] = """
SET c.prospect_score = row.score, c.prospect_rank = row.rank,
    c.prospect_components = row.components, c.prospect_facts = row.facts,
    c.prospect_ties = row.ties, c.prospect_reasons = row.reasons,
    c.prospect_linked_customers = row.linked_customers,
    c.suggested_branch_id = row.suggested_branch_id, c.suggested_rm_id = row.suggested_rm_id,
    c.introducer_id = row.introducer_id, c.prospect_computed_at = $computed_at
"""
WRITE_RESULTS: Final[LiteralString] = (
    "UNWIND $rows AS row CREATE (c:CompanyResult {run_id: $run_id, company_id: row.id})"
    + _RESULT_SET
)
WRITE_PROSPECT_RESULTS: Final[LiteralString] = (
    "UNWIND $rows AS row "
    "CREATE (c:CompanyResult:Prospect {run_id: $run_id, company_id: row.id})"
    + _RESULT_SET
    + _PROSPECT_SET
)


_PROSPECT_FILTER: Final[LiteralString] = (
    """
MATCH (r:Prospect {run_id: $prospect_run})
WHERE ($prospect_id IS NULL OR r.company_id = $prospect_id)
  AND ($scope_all OR r.suggested_branch_id IN $scope_branch_ids)
  AND ($branch_ids IS NULL OR r.suggested_branch_id IN $branch_ids)
  AND ($min_score IS NULL OR r.prospect_score >= $min_score)
MATCH (p:Company {company_id: r.company_id})
WHERE ($industry IS NULL OR p.industry = $industry)
  AND ($region IS NULL OR p.region = $region)
  AND ($linked_customer IS NULL OR ($linked_customer IN r.prospect_linked_customers
       AND EXISTS { MATCH (lc:Company {company_id: $linked_customer})
                    WHERE """
    + visible_predicate("lc")
    + """ }))
"""
)

COUNT_PROSPECTS: Final[LiteralString] = _PROSPECT_FILTER + "RETURN count(p) AS total"

_PROSPECT_PROJECTION: Final[LiteralString] = """
OPTIONAL MATCH (b:Branch {branch_id: r.suggested_branch_id})
OPTIONAL MATCH (m:RelationshipManager {rm_id: r.suggested_rm_id})
OPTIONAL MATCH (i:Company {company_id: r.introducer_id})
RETURN p.company_id AS id, p.name AS name, p.uscc AS uscc, r.prospect_score AS score,
       r.prospect_rank AS rank, p.industry AS industry, p.region AS region,
       r.prospect_components AS components, r.prospect_facts AS facts,
       r.prospect_ties AS ties, r.prospect_reasons AS reasons,
       COLLECT {
           MATCH (c:Company) WHERE c.company_id IN r.prospect_linked_customers AND c:Customer
           RETURN {id: c.company_id, branch_id: c.branch_id}
       } AS linked_branches,
       r.suggested_branch_id AS branch_id, b.name AS branch_name,
       r.suggested_rm_id AS rm_id, m.name AS rm_name,
       r.introducer_id AS introducer_id, i.name AS introducer_name,
       r.core_enterprise AS core_enterprise
"""

#: ORDER BY clauses by sort key and order (chosen from this table, never from input).
ORDERS: Final[dict[tuple[str, bool], LiteralString]] = {
    ("score", True): "ORDER BY r.prospect_score DESC, p.company_id ",
    ("score", False): "ORDER BY r.prospect_score ASC, p.company_id ",
    ("name", True): "ORDER BY p.name DESC, p.company_id ",
    ("name", False): "ORDER BY p.name ASC, p.company_id ",
    ("id", True): "ORDER BY p.company_id DESC ",
    ("id", False): "ORDER BY p.company_id ASC ",
}

READ_PROSPECT_FLOWS: Final[LiteralString] = """
MATCH (p:Company {company_id: $id})-[r:PAYS]-(c:Customer)
WHERE c.company_id IN $customer_ids
RETURN c.company_id AS customer_id,
       CASE WHEN startNode(r) = p THEN 'out' ELSE 'in' END AS direction,
       r.month AS month, r.currency AS currency, r.amount_minor AS amount_minor,
       r.txn_count AS txn_count
ORDER BY customer_id, month, direction
"""


READ_CORE_IDS: Final[LiteralString] = (
    "MATCH (c:CompanyResult {run_id: $prospect_run}) WHERE c.core_enterprise = true "
    "RETURN c.company_id AS id"
)


# --- rows -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class CustomerRow:
    """A customer with its booking and the groups of the published group-risk run."""

    company_id: str
    name: str | None
    branch_id: str | None
    rm_id: str | None
    group_ids: tuple[str, ...]


@dataclass(frozen=True)
class CandidateRow:
    """A non-customer tied to a customer by a payment or a supply link."""

    company_id: str
    name: str | None
    uscc: str | None
    status: str | None
    industry: str | None
    region: str | None


@dataclass(frozen=True)
class SupplyLinkRow:
    """``supplier_id`` supplies ``buyer_id`` (amount 0 and CNY when not recorded)."""

    supplier_id: str
    buyer_id: str
    amount_minor: int
    currency: str
    supplier_name: str | None
    buyer_name: str | None
    supplier_is_customer: bool
    buyer_is_customer: bool


@dataclass(frozen=True)
class LinkedCustomer:
    """A customer a prospect is linked to, and where it is booked."""

    company_id: str
    branch_id: str | None


@dataclass(frozen=True)
class ProspectRow:
    """A stored prospect of the published run, unscoped; JSON fields as stored."""

    company_id: str
    name: str | None
    uscc: str | None
    score: float | None
    rank: int | None
    industry: str | None
    region: str | None
    components: str | None
    facts: str | None
    ties: str | None
    reasons: str | None
    linked_customers: tuple[LinkedCustomer, ...]
    branch_id: str | None
    branch_name: str | None
    rm_id: str | None
    rm_name: str | None
    introducer_id: str | None
    introducer_name: str | None
    core_enterprise: bool


@dataclass(frozen=True)
class ProspectFlow:
    """A month of payments between a prospect and one customer (``out``: the prospect paid)."""

    customer_id: str
    direction: str
    month: str | None
    currency: str
    amount_minor: int
    txn_count: int | None


# --- inputs ---------------------------------------------------------------------------------
def read_customers(db: Reader, group_run: str | None) -> list[CustomerRow]:
    """Every customer, with its groups of run ``group_run``."""
    return [
        CustomerRow(
            str(r["id"]),
            r["name"],
            r["branch_id"],
            r["rm_id"],
            tuple(sorted(str(g) for g in r["group_ids"] if g is not None)),
        )
        for r in db.read(READ_CUSTOMERS, {"group_run": group_run})
    ]


def read_candidates(db: Database) -> list[CandidateRow]:
    """Every non-customer with a payment or a supply link to a customer.

    Read as one column (:meth:`Database.read_columns`) of one list per candidate (id,
    name, USCC, status, industry, region; any may be null): tens of thousands of rows.
    """
    return [
        CandidateRow(str(company_id), name, uscc, status, industry, region)
        for company_id, name, uscc, status, industry, region in db.read_columns(
            READ_CANDIDATES, ("candidate",)
        )["candidate"]
    ]


def read_supply_links(db: Reader) -> list[SupplyLinkRow]:
    """Every supply link with both parties' names and whether each is a customer."""
    return [
        SupplyLinkRow(
            str(r["supplier_id"]),
            str(r["buyer_id"]),
            int(r["amount_minor"]),
            str(r["currency"]),
            r["supplier_name"],
            r["buyer_name"],
            bool(r["supplier_is_customer"]),
            bool(r["buyer_is_customer"]),
        )
        for r in db.read(READ_SUPPLY)
    ]


# --- writes ---------------------------------------------------------------------------------
def read_company_ids(db: Database) -> list[str]:
    """Every company's id, sorted (read as one column)."""
    return sorted(map(str, db.read_columns(READ_COMPANY_IDS, ("id",))["id"]))


def write_results(
    db: Database,
    rows: Iterable[Mapping[str, Any]],
    run_id: str,
    computed_at: str,
    *,
    prospects: bool,
) -> None:
    """Create the run's company results, one node per company (:data:`WRITE_RESULTS`;
    with ``prospects``, :data:`WRITE_PROSPECT_RESULTS`, the ``Prospect`` label too)."""
    db.write_rows(
        WRITE_PROSPECT_RESULTS if prospects else WRITE_RESULTS,
        rows,
        extra_parameters={"computed_at": computed_at, "run_id": run_id},
    )


# --- reads of the published run -----------------------------------------------------------------
def _prospect(r: Mapping[str, Any]) -> ProspectRow:
    return ProspectRow(
        company_id=str(r["id"]),
        name=r["name"],
        uscc=r["uscc"],
        score=r["score"],
        rank=int(r["rank"]) if r["rank"] is not None else None,
        industry=r["industry"],
        region=r["region"],
        components=r["components"],
        facts=r["facts"],
        ties=r["ties"],
        reasons=r["reasons"],
        linked_customers=tuple(
            LinkedCustomer(str(c["id"]), c["branch_id"]) for c in r["linked_branches"]
        ),
        branch_id=r["branch_id"],
        branch_name=r["branch_name"],
        rm_id=r["rm_id"],
        rm_name=r["rm_name"],
        introducer_id=str(r["introducer_id"]) if r["introducer_id"] is not None else None,
        introducer_name=r["introducer_name"],
        core_enterprise=bool(r["core_enterprise"]),
    )


def _filter_parameters(
    scope: Mapping[str, Any],
    filters: Mapping[str, Any],
    prospect_run: str | None,
    prospect_id: str | None,
) -> dict[str, Any]:
    return {**scope, **filters, "prospect_run": prospect_run, "prospect_id": prospect_id}


def count_prospects(
    db: Reader, scope: Mapping[str, Any], filters: Mapping[str, Any], prospect_run: str | None
) -> int:
    """How many prospects of run ``prospect_run`` match ``filters`` in ``scope``.

    ``scope`` is :meth:`graph.branches.BranchScope.parameters`; ``filters`` gives
    ``$branch_ids``, ``$industry``, ``$region``, ``$min_score`` and ``$linked_customer``
    (``None``: no filter).
    """
    row = db.read_one(COUNT_PROSPECTS, _filter_parameters(scope, filters, prospect_run, None))
    return int(row["total"]) if row else 0


def list_prospect_rows(
    db: Reader,
    scope: Mapping[str, Any],
    filters: Mapping[str, Any],
    prospect_run: str | None,
    *,
    sort: str,
    descending: bool,
    limit: int,
    offset: int,
) -> list[ProspectRow] | None:
    """One page of the matching prospects in the order asked; ``None`` for an unknown
    sort key (the order comes from :data:`ORDERS`, never from input)."""
    order = ORDERS.get((sort, descending))
    if order is None:
        return None
    query: LiteralString = (
        _PROSPECT_FILTER
        + "WITH p, r "
        + order
        + "SKIP $offset LIMIT $limit "
        + _PROSPECT_PROJECTION
    )
    params = {
        **_filter_parameters(scope, filters, prospect_run, None),
        "offset": offset,
        "limit": limit,
    }
    return [_prospect(r) for r in db.read(query, params)]


def read_prospect(
    db: Reader,
    scope: Mapping[str, Any],
    filters: Mapping[str, Any],
    prospect_run: str | None,
    prospect_id: str,
) -> ProspectRow | None:
    """Prospect ``prospect_id`` of run ``prospect_run`` if suggested within ``scope``."""
    rows = db.read(
        _PROSPECT_FILTER + "WITH p, r " + _PROSPECT_PROJECTION,
        _filter_parameters(scope, filters, prospect_run, prospect_id),
    )
    return _prospect(rows[0]) if rows else None


def read_prospect_flows(
    db: Reader, prospect_id: str, customer_ids: Sequence[str]
) -> list[ProspectFlow]:
    """The monthly payments between a prospect and ``customer_ids``."""
    return [
        ProspectFlow(
            str(r["customer_id"]),
            str(r["direction"]),
            r["month"],
            str(r["currency"]),
            int(r["amount_minor"] or 0),
            r["txn_count"],
        )
        for r in db.read(
            READ_PROSPECT_FLOWS, {"id": prospect_id, "customer_ids": list(customer_ids)}
        )
    ]


def read_core_enterprise_ids(db: Reader, prospect_run: str | None) -> list[str]:
    """The core enterprises of run ``prospect_run``."""
    return [str(r["id"]) for r in db.read(READ_CORE_IDS, {"prospect_run": prospect_run})]
