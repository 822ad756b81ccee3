"""Economic interdependence's repository: the customers and supply links the rule reads
(the flows come from the run's one read, :mod:`graph.flow_cells`),
the dependencies and rule it writes under a run id, and the published results.

The compute step and the scoped answers live in :mod:`services.interdependence`; this
module holds the Cypher and returns typed rows. Dependencies are
``(:Company dependent)-[:DEPENDS_ON {direction, basis, run_id, share, ...}]->(:Company)``;
the rule a run used is ``(:InterdependenceRule {run_id})``. Shares and thresholds are
stored as decimal strings (exact); readers take the published run as
``$dependency_run`` (and ``$group_run`` for a group's connections).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final, LiteralString

from .database import Database, Reader
from .group_results import GROUP_SCOPE

# --- inputs ---------------------------------------------------------------------------------
READ_CUSTOMERS: Final[LiteralString] = "MATCH (c:Customer) RETURN c.company_id AS id"
READ_SUPPLY: Final[LiteralString] = """
MATCH (s:Company)-[r:SUPPLIES]->(b:Company)
WHERE r.annual_amount_minor IS NOT NULL AND r.currency = $currency
  AND (s:Customer OR b:Customer)
RETURN s.company_id AS supplier, b.company_id AS buyer,
       r.annual_amount_minor AS annual_minor, r.currency AS currency
"""

# --- writes ---------------------------------------------------------------------------------
#: CREATE, not MERGE: the run id is new, and the rule gives each dependent, counterparty,
#: direction and basis once; a MERGE would walk the dependent's relationships (a customer
#: has hundreds of monthly ``PAYS``) for every row.
WRITE_DEPENDENCIES: Final[LiteralString] = """
UNWIND $rows AS row
MATCH (d:Company {company_id: row.dependent_id})
MATCH (k:Company {company_id: row.counterparty_id})
CREATE (d)-[r:DEPENDS_ON {direction: row.direction, basis: row.basis, run_id: $run_id}]->(k)
SET r.share = row.share, r.threshold = row.threshold, r.currency = row.currency,
    r.counterparty_minor = row.counterparty_minor, r.total_minor = row.total_minor,
    r.months_observed = row.months_observed, r.months_above = row.months_above,
    r.window_start = row.window_start, r.window_end = row.window_end,
    r.other_currencies = row.other_currencies, r.explanation = row.explanation
"""
WRITE_RULE: Final[LiteralString] = """
MERGE (m:InterdependenceRule {run_id: $run_id})
SET m.share = $share, m.window_months = $window_months, m.min_months = $min_months,
    m.currency = $currency, m.window_start = $window_start, m.window_end = $window_end
"""

# --- reads for the API and the CLI ------------------------------------------------------------
READ_RULE: Final[LiteralString] = (
    "MATCH (m:InterdependenceRule {run_id: $dependency_run}) "
    "RETURN m.share AS share, m.window_months AS window_months, m.min_months AS min_months, "
    "m.currency AS currency, m.window_start AS window_start, m.window_end AS window_end"
)
_SIDES: Final[LiteralString] = """
RETURN r {.*} AS r,
       d.company_id AS d_id, d.name AS d_name, coalesce(d.is_customer, false) AS d_customer,
       d.branch_id AS d_branch,
       k.company_id AS k_id, k.name AS k_name, coalesce(k.is_customer, false) AS k_customer,
       k.branch_id AS k_branch
"""
READ_COMPANY: Final[LiteralString] = (
    "MATCH (c:Company {company_id: $company_id}) "
    "RETURN c.name AS name, coalesce(c.is_customer, false) AS is_customer, "
    "c.branch_id AS branch_id"
)
COMPANY_DEPENDENCIES: Final[LiteralString] = (
    """
MATCH (x:Company {company_id: $company_id})
CALL (x) {
    MATCH (x)-[r:DEPENDS_ON {run_id: $dependency_run}]->(k:Company) RETURN r, x AS d, k
    UNION
    MATCH (d:Company)-[r:DEPENDS_ON {run_id: $dependency_run}]->(x) RETURN r, d, x AS k
}
WITH r, d, k
"""
    + _SIDES
    + " ORDER BY toFloat(r.share) DESC, d_id, k_id, r.direction, r.basis"
)
GROUP_VISIBLE: Final[LiteralString] = (
    "MATCH (g:Group {group_id: $group_id, run_id: $group_run}) WHERE "
    + GROUP_SCOPE
    + " RETURN g.group_id AS id"
)
GROUP_CONNECTIONS: Final[LiteralString] = (
    """
MATCH (m:Company)-[:MEMBER_OF]->(g:Group {group_id: $group_id, run_id: $group_run})
MATCH (m)-[r:DEPENDS_ON {run_id: $dependency_run}]-(o:Company)
WHERE NOT EXISTS { (o)-[:MEMBER_OF]->(g) }
WITH DISTINCT r, startNode(r) AS d, endNode(r) AS k, g
"""
    + _SIDES
    + ", EXISTS { (d)-[:MEMBER_OF]->(g) } AS member_depends"
    + " ORDER BY toFloat(r.share) DESC, d_id, k_id, r.direction, r.basis"
)
_FACILITY_SUMS: Final[LiteralString] = """
WITH DISTINCT c
OPTIONAL MATCH (c)-[:HAS_FACILITY]->(f:Facility)
RETURN c.company_id AS id, coalesce(c.is_customer, false) AS is_customer,
       f.currency AS currency, sum(f.limit_minor) AS limit_minor,
       sum(f.outstanding_minor) AS outstanding_minor
"""
GROUP_MEMBER_FACILITIES: Final[LiteralString] = (
    "MATCH (c:Company)-[:MEMBER_OF]->(:Group {group_id: $group_id, run_id: $group_run})"
    + _FACILITY_SUMS
)
GROUP_CONNECTED_FACILITIES: Final[LiteralString] = (
    """
MATCH (m:Company)-[:MEMBER_OF]->(g:Group {group_id: $group_id, run_id: $group_run})
MATCH (m)-[:DEPENDS_ON {run_id: $dependency_run}]-(c:Company)
WHERE NOT EXISTS { (c)-[:MEMBER_OF]->(g) }
"""
    + _FACILITY_SUMS
)
COMPANY_FACILITIES: Final[LiteralString] = (
    "UNWIND $ids AS id MATCH (c:Company {company_id: id})" + _FACILITY_SUMS
)
SUMMARY: Final[LiteralString] = """
MATCH (d:Company)-[r:DEPENDS_ON {run_id: $dependency_run}]->(k:Company)
RETURN r.direction AS direction, r.basis AS basis, count(r) AS dependencies,
       count(DISTINCT d) AS dependents, sum(CASE WHEN k:Customer THEN 1 ELSE 0 END) AS on_customers
ORDER BY direction, basis
"""
PAIRS: Final[LiteralString] = """
MATCH (d:Company)-[:DEPENDS_ON {run_id: $dependency_run}]->(k:Company)
WITH CASE WHEN d.company_id < k.company_id THEN [d.company_id, k.company_id]
          ELSE [k.company_id, d.company_id] END AS pair,
     d:Customer AND k:Customer AS customers
WITH DISTINCT pair, customers
RETURN count(*) AS pairs, sum(CASE WHEN customers THEN 1 ELSE 0 END) AS customer_pairs
"""
TOP_DEPENDENCIES: Final[LiteralString] = (
    """
MATCH (d:Company)-[r:DEPENDS_ON {run_id: $dependency_run}]->(k:Company)
WITH r, d, k ORDER BY toFloat(r.share) DESC, d.company_id, k.company_id LIMIT $limit
"""
    + _SIDES
)


# --- rows -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class SupplyRow:
    """``supplier`` supplies ``buyer`` for ``annual_minor`` a year."""

    supplier: str
    buyer: str
    annual_minor: int
    currency: str


@dataclass(frozen=True)
class RuleRow:
    """The rule a run used (``share`` a decimal string) and its window."""

    share: str
    window_months: int
    min_months: int
    currency: str
    window_start: str | None
    window_end: str | None


@dataclass(frozen=True)
class CompanySide:
    """A company at one end of a dependency, with what scoping needs."""

    company_id: str
    name: str | None
    is_customer: bool
    branch_id: str | None


@dataclass(frozen=True)
class DependencyRow:
    """A stored dependency, unscoped. ``member_depends`` is set for a group's connections:
    whether the group member is the dependent."""

    dependent: CompanySide
    counterparty: CompanySide
    direction: str
    basis: str
    share: str
    threshold: str
    currency: str
    counterparty_minor: int | None
    total_minor: int | None
    months_observed: int
    months_above: int | None
    window_start: str
    window_end: str
    other_currencies: tuple[str, ...]
    explanation: str | None  # language-neutral JSON (core.messages)
    member_depends: bool | None = None


@dataclass(frozen=True)
class CompanyFacilities:
    """A company's facility sums in one currency (``currency`` ``None``: no facility)."""

    company_id: str
    is_customer: bool
    currency: str | None
    limit_minor: int
    outstanding_minor: int


@dataclass(frozen=True)
class KindCountRow:
    """How many dependencies of one direction and basis, by how many dependents."""

    direction: str
    basis: str
    dependencies: int
    dependents: int
    on_customers: int


@dataclass(frozen=True)
class PairCounts:
    """Connected pairs, and those between two customers."""

    pairs: int
    customer_pairs: int


def _int_or_none(value: object) -> int | None:
    return None if value is None else int(str(value))


# --- inputs ---------------------------------------------------------------------------------
def read_customer_ids(db: Reader) -> frozenset[str]:
    """Every customer's id."""
    return frozenset(str(r["id"]) for r in db.read(READ_CUSTOMERS))


def read_supply(db: Reader, currency: str) -> list[SupplyRow]:
    """Supply links touching a customer with an annual amount in ``currency``."""
    return [
        SupplyRow(str(r["supplier"]), str(r["buyer"]), int(r["annual_minor"]), str(r["currency"]))
        for r in db.read(READ_SUPPLY, {"currency": currency})
    ]


# --- writes ---------------------------------------------------------------------------------
def write_dependencies(db: Database, rows: Iterable[Mapping[str, Any]], run_id: str) -> None:
    """Store the run's dependencies (rows of :data:`WRITE_DEPENDENCIES`)."""
    db.write_rows(WRITE_DEPENDENCIES, rows, extra_parameters={"run_id": run_id})


def write_rule(db: Database, rule: RuleRow, run_id: str) -> None:
    """Store the rule the run used."""
    db.write(
        WRITE_RULE,
        {
            "share": rule.share,
            "window_months": rule.window_months,
            "min_months": rule.min_months,
            "currency": rule.currency,
            "window_start": rule.window_start,
            "window_end": rule.window_end,
            "run_id": run_id,
        },
    )


# --- reads of the published run -----------------------------------------------------------------
def _side(row: Mapping[str, Any], prefix: str) -> CompanySide:
    return CompanySide(
        str(row[f"{prefix}_id"]),
        row[f"{prefix}_name"],
        bool(row[f"{prefix}_customer"]),
        row[f"{prefix}_branch"],
    )


def _dependency(row: Mapping[str, Any]) -> DependencyRow:
    r = row["r"]
    member_depends = row.get("member_depends")
    return DependencyRow(
        dependent=_side(row, "d"),
        counterparty=_side(row, "k"),
        direction=str(r["direction"]),
        basis=str(r["basis"]),
        share=str(r["share"]),
        threshold=str(r["threshold"]),
        currency=str(r["currency"]),
        counterparty_minor=_int_or_none(r.get("counterparty_minor")),
        total_minor=_int_or_none(r.get("total_minor")),
        months_observed=int(r["months_observed"]),
        months_above=_int_or_none(r.get("months_above")),
        window_start=str(r["window_start"]),
        window_end=str(r["window_end"]),
        other_currencies=tuple(str(c) for c in r.get("other_currencies") or ()),
        explanation=r.get("explanation"),
        member_depends=None if member_depends is None else bool(member_depends),
    )


def read_rule(db: Reader, dependency_run: str | None) -> RuleRow | None:
    """The rule of run ``dependency_run``, or ``None`` (no such run)."""
    row = db.read_one(READ_RULE, {"dependency_run": dependency_run})
    if row is None or row["share"] is None:
        return None
    return RuleRow(
        share=str(row["share"]),
        window_months=int(row["window_months"]),
        min_months=int(row["min_months"]),
        currency=str(row["currency"]),
        window_start=row["window_start"],
        window_end=row["window_end"],
    )


def read_company(db: Reader, company_id: str) -> CompanySide | None:
    """A company's name and scope fields, or ``None`` when unknown."""
    row = db.read_one(READ_COMPANY, {"company_id": company_id})
    if row is None:
        return None
    return CompanySide(company_id, row["name"], bool(row["is_customer"]), row["branch_id"])


def read_company_dependencies(
    db: Reader, company_id: str, dependency_run: str | None
) -> list[DependencyRow]:
    """A company's dependencies of run ``dependency_run``, both ways, strongest first."""
    params = {"company_id": company_id, "dependency_run": dependency_run}
    return [_dependency(r) for r in db.read(COMPANY_DEPENDENCIES, params)]


def group_visible(
    db: Reader, group_id: str, scope: Mapping[str, Any], group_run: str | None
) -> bool:
    """Whether group ``group_id`` of run ``group_run`` exists and the caller may see it."""
    params = {"group_id": group_id, **scope, "group_run": group_run}
    return db.read_one(GROUP_VISIBLE, params) is not None


def _runs(group_id: str, group_run: str | None, dependency_run: str | None) -> dict[str, Any]:
    return {"group_id": group_id, "group_run": group_run, "dependency_run": dependency_run}


def read_group_connections(
    db: Reader, group_id: str, group_run: str | None, dependency_run: str | None
) -> list[DependencyRow]:
    """Dependencies between a group's members and companies outside the group."""
    return [
        _dependency(r)
        for r in db.read(GROUP_CONNECTIONS, _runs(group_id, group_run, dependency_run))
    ]


def _facilities(rows: Iterable[Mapping[str, Any]]) -> list[CompanyFacilities]:
    return [
        CompanyFacilities(
            str(r["id"]),
            bool(r["is_customer"]),
            str(r["currency"]) if r["currency"] is not None else None,
            int(r["limit_minor"] or 0),
            int(r["outstanding_minor"] or 0),
        )
        for r in rows
    ]


def read_group_member_facilities(
    db: Reader, group_id: str, group_run: str | None
) -> list[CompanyFacilities]:
    """Each member's facility sums per currency (each member once)."""
    return _facilities(
        db.read(GROUP_MEMBER_FACILITIES, {"group_id": group_id, "group_run": group_run})
    )


def read_group_connected_facilities(
    db: Reader, group_id: str, group_run: str | None, dependency_run: str | None
) -> list[CompanyFacilities]:
    """The facility sums of each company outside the group connected to a member."""
    return _facilities(
        db.read(GROUP_CONNECTED_FACILITIES, _runs(group_id, group_run, dependency_run))
    )


def read_company_facilities(db: Reader, company_ids: Iterable[str]) -> list[CompanyFacilities]:
    """The facility sums of each of these companies (each once), e.g. confirmed related parties."""
    return _facilities(db.read(COMPANY_FACILITIES, {"ids": sorted(set(company_ids))}))


def read_kind_counts(db: Reader, dependency_run: str | None) -> list[KindCountRow]:
    """Dependencies of run ``dependency_run`` counted by direction and basis."""
    return [
        KindCountRow(
            str(r["direction"]),
            str(r["basis"]),
            int(r["dependencies"]),
            int(r["dependents"]),
            int(r["on_customers"]),
        )
        for r in db.read(SUMMARY, {"dependency_run": dependency_run})
    ]


def read_pair_counts(db: Reader, dependency_run: str | None) -> PairCounts:
    """Connected pairs of run ``dependency_run``."""
    row = db.read_one(PAIRS, {"dependency_run": dependency_run})
    if row is None:
        return PairCounts(0, 0)
    return PairCounts(int(row["pairs"] or 0), int(row["customer_pairs"] or 0))


def read_top_dependencies(
    db: Reader, dependency_run: str | None, limit: int
) -> list[DependencyRow]:
    """The ``limit`` strongest dependencies of run ``dependency_run`` (by share)."""
    params = {"dependency_run": dependency_run, "limit": limit}
    return [_dependency(r) for r in db.read(TOP_DEPENDENCIES, params)]
