"""Group risk's repository: the inputs it reads, the results it writes under a run id,
and the published results the API, the CLI and the maps read back.

The compute step and the answers built from these rows (control, groups, circles,
contagion) live in :mod:`services.group_risk`; this module holds the Cypher and
returns typed rows. Every result is written under the run's id (a ``run_id`` on the
node or relationship, :mod:`graph.compute_runs`); every read of results takes the
published run as ``$group_run``.

Storage conventions decoded here: a holding's share is ``share_pct_exact`` (a decimal
string, exact) when present, else ``share_pct``; a member's facility sums come back
from Cypher as ``[currency, limit, outstanding]`` string triples (minor units as
strings, so no integer leaves Cypher as a float).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Final, LiteralString

from .database import Database, Reader
from .scoping import visible_predicate

# --- inputs ---------------------------------------------------------------------------------
#: Read as columns (:meth:`Database.read_columns`: no nulls); a branch id may be null,
#: so it comes in a one-element list.
READ_COMPANIES: Final[LiteralString] = (
    "MATCH (c:Company) RETURN c.company_id AS id, coalesce(c.name, '') AS name, "
    "coalesce(c.is_customer, false) AS is_customer, [c.branch_id] AS branch_id"
)
COMPANY_COLUMNS: Final[tuple[LiteralString, ...]] = ("id", "name", "is_customer", "branch_id")
READ_PERSONS: Final[LiteralString] = (
    "MATCH (p:Person) RETURN p.person_id AS id, coalesce(p.name, '') AS name"
)
PERSON_COLUMNS: Final[tuple[LiteralString, ...]] = ("id", "name")
#: Read as columns; the share's two forms (either may be null) in one list.
READ_HOLDINGS: Final[LiteralString] = (
    "MATCH (o)-[r:OWNS]->(c:Company) WHERE o:Company OR o:Person "
    "RETURN coalesce(o.company_id, o.person_id) AS owner_id, c.company_id AS company_id, "
    "[r.share_pct_exact, r.share_pct] AS pct"
)
HOLDING_COLUMNS: Final[tuple[LiteralString, ...]] = ("owner_id", "company_id", "pct")
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
READ_ID_SALT: Final[LiteralString] = (
    "MATCH (m:CorpgraphMeta {key: 'instance'}) RETURN m.instance_id AS salt"
)
READ_CAPITAL: Final[LiteralString] = (
    "MATCH (c:Company) WHERE c.registered_capital_minor IS NOT NULL "
    "RETURN c.company_id AS id, coalesce(c.registered_capital_currency, 'CNY') AS currency, "
    "c.registered_capital_minor AS minor"
)

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
#: A guarantee chain: its members in order (guarantor first, the customer borrower last),
#: its guarantees in the same order, and the guaranteed amounts per currency.
WRITE_CHAINS: Final[LiteralString] = """
UNWIND $rows AS row
MERGE (k:GuaranteeChain {chain_id: row.chain_id, run_id: $run_id})
SET k.length = row.length, k.members = row.members, k.guarantee_ids = row.guarantee_ids,
    k.currencies = row.currencies, k.amounts_minor = row.amounts_minor
"""
WRITE_CHAIN_MEMBERS: Final[LiteralString] = """
UNWIND $rows AS row
MATCH (c:Company {company_id: row.company_id})
MATCH (k:GuaranteeChain {chain_id: row.chain_id, run_id: $run_id})
MERGE (c)-[m:IN_CHAIN]->(k)
SET m.run_id = $run_id, m.position = row.position
"""

# --- reads of the published run -----------------------------------------------------------------
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
READ_DECISIVE_CLAIMS: Final[LiteralString] = (
    "MATCH (o)-[r:CONTROL_CLAIM {effect: 'decisive', run_id: $group_run}]->(c:Company) "
    "WHERE o:Company OR o:Person "
    "RETURN coalesce(o.company_id, o.person_id) AS owner_id, c.company_id AS company_id, "
    "r.basis AS basis, r.effect AS effect, r.share_pct AS pct, "
    "r.contributor_ids AS contributor_ids, r.contributor_pcts AS contributor_pcts"
)

#: A group is visible when one of its members is booked in the caller's subtree.
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
    + " RETURN k {.*} AS k, [] AS members"
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
#: A chain is visible when one of its members is booked in the caller's subtree.
CHAIN_SCOPE: Final[LiteralString] = (
    "EXISTS { MATCH (v:Company)-[:IN_CHAIN]->(k) "
    "WHERE $scope_all OR v.branch_id IN $scope_branch_ids }"
)
LIST_CHAINS: Final[LiteralString] = (
    "MATCH (k:GuaranteeChain {run_id: $group_run}) WHERE "
    + CHAIN_SCOPE
    + " RETURN k {.*} AS k ORDER BY k.length DESC, k.chain_id SKIP $offset LIMIT $limit"
)
COUNT_CHAINS: Final[LiteralString] = (
    "MATCH (k:GuaranteeChain {run_id: $group_run}) WHERE "
    + CHAIN_SCOPE
    + " RETURN count(k) AS total"
)
GET_CHAIN: Final[LiteralString] = (
    "MATCH (k:GuaranteeChain {chain_id: $chain_id, run_id: $group_run}) WHERE "
    + CHAIN_SCOPE
    + " RETURN k {.*} AS k"
)
CHAIN_MEMBERS: Final[LiteralString] = """
MATCH (c:Company)-[m:IN_CHAIN]->(:GuaranteeChain {chain_id: $chain_id, run_id: $group_run})
OPTIONAL MATCH (c)-[:HAS_FACILITY]->(f:Facility)
WITH c, m.position AS position, f.currency AS currency, sum(f.limit_minor) AS limit_minor,
     sum(f.outstanding_minor) AS outstanding_minor
RETURN c.company_id AS id, c.name AS name, coalesce(c.is_customer, false) AS is_customer,
       coalesce($scope_all OR c.branch_id IN $scope_branch_ids, false) AS visible,
       position,
       collect(CASE WHEN currency IS NULL THEN null
               ELSE [currency, toString(limit_minor), toString(outstanding_minor)] END)
           AS facilities
ORDER BY position
"""
CIRCLE_GUARANTEES: Final[LiteralString] = """
MATCH (g:Company)-[r:GUARANTEES]->(b:Company)
WHERE r.guarantee_id IN $guarantee_ids
RETURN r.guarantee_id AS guarantee_id, g.company_id AS guarantor_id,
       b.company_id AS borrower_id, coalesce(r.amount_minor, 0) AS amount_minor,
       coalesce(r.currency, 'CNY') AS currency
ORDER BY guarantee_id
"""


# --- rows -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class CompanyRow:
    """A company as group risk reads it."""

    company_id: str
    name: str
    is_customer: bool
    branch_id: str | None


@dataclass(frozen=True)
class PersonRow:
    """A person (a possible controller)."""

    person_id: str
    name: str


@dataclass(frozen=True)
class HoldingRow:
    """``owner_id`` holds ``share_pct`` percent of ``company_id`` (exact share when stored)."""

    owner_id: str
    company_id: str
    share_pct: float


@dataclass(frozen=True)
class ControlLinkRow:
    """A declared control link (``CONTROLS``) and its basis."""

    controller_id: str
    company_id: str
    basis: str


@dataclass(frozen=True)
class FacilitySum:
    """A company's facility limits and outstanding in one currency (minor units)."""

    currency: str
    limit_minor: int
    outstanding_minor: int


@dataclass(frozen=True)
class FacilityTotal:
    """:class:`FacilitySum` of one company."""

    company_id: str
    sums: FacilitySum


@dataclass(frozen=True)
class GuaranteeRow:
    """A guarantee: ``guarantor_id`` guarantees ``borrower_id`` for ``amount_minor``."""

    guarantee_id: str
    guarantor_id: str
    borrower_id: str
    amount_minor: int
    currency: str


@dataclass(frozen=True)
class CapitalRow:
    """A company's registered capital."""

    company_id: str
    currency: str
    minor: int


@dataclass(frozen=True)
class ClaimRow:
    """A stored control claim of the published run."""

    owner_id: str
    company_id: str
    basis: str
    effect: str
    share_pct: float | None
    contributor_ids: tuple[str, ...]
    contributor_pcts: tuple[float, ...]


@dataclass(frozen=True)
class UpstreamRow:
    """One shareholding (``claim`` ``None``) or control claim upstream of a company."""

    owner_id: str
    is_person: bool
    name: str
    cycle_id: str | None
    company_id: str
    share_pct: float | None
    claim: ClaimRow | None


@dataclass(frozen=True)
class CompanyControlRow:
    """A company's stored control result, its groups and whether the caller may see it."""

    name: str
    status: str | None
    controllers: tuple[str, ...]
    cycle_id: str | None
    cycle_members: tuple[str, ...]
    ownership_cycle: tuple[str, ...]
    groups: tuple[tuple[str, bool], ...]
    visible: bool


@dataclass(frozen=True)
class GroupRow:
    """A stored group, raw: cycles are strings of ids joined by the writer's separator."""

    group_id: str
    controller_id: str
    controller_type: str
    controller_name: str | None
    controller_members: tuple[str, ...]
    controller_member_names: tuple[str, ...]
    size: int
    rank: int
    max_depth: int
    over_concentration: bool
    currencies: tuple[str, ...]
    limit_minor: tuple[int, ...]
    outstanding_minor: tuple[int, ...]
    control_cycles: tuple[str, ...]
    ownership_cycles: tuple[str, ...]
    joint_members: int
    explanation: str


@dataclass(frozen=True)
class MemberRow:
    """A member of a stored group or circle, with its facility sums per currency.

    The membership fields (``role`` to ``primary``) are those of a group member; a
    circle member has their defaults.
    """

    company_id: str
    name: str | None
    is_customer: bool
    visible: bool
    facilities: tuple[FacilitySum, ...]
    role: str = ""
    depth: int = 0
    parent_id: str | None = None
    basis: str | None = None
    share_pct: float | None = None
    status: str = "sole"
    controllers: tuple[str, ...] = ()
    primary: bool = True


@dataclass(frozen=True)
class CycleClaimRow:
    """A control claim between two members of one control cycle."""

    source: str
    target: str
    basis: str
    share_pct: float | None


@dataclass(frozen=True)
class CircleRow:
    """A stored guarantee circle, raw: cycles and pairs are strings joined by separators."""

    circle_id: str
    size: int
    members: tuple[str, ...]
    cycles: tuple[str, ...]
    cycles_complete: bool
    mutual_pairs: tuple[str, ...]
    currencies: tuple[str, ...]
    amounts_minor: tuple[int, ...]
    guarantee_ids: tuple[str, ...]


@dataclass(frozen=True)
class ChainRow:
    """A stored guarantee chain: members and guarantees in chain order."""

    chain_id: str
    length: int
    members: tuple[str, ...]
    guarantee_ids: tuple[str, ...]
    currencies: tuple[str, ...]
    amounts_minor: tuple[int, ...]


def _float(value: object) -> float | None:
    return None if value is None else float(str(value))


def share_pct(exact: object, pct: object) -> float | None:
    """A stored share: the exact decimal string when present, else the float."""
    if exact is not None:
        return float(Decimal(str(exact)))
    return _float(pct)


def _strs(values: Iterable[object] | None) -> tuple[str, ...]:
    return tuple(str(v) for v in values or ())


# --- inputs ---------------------------------------------------------------------------------
def read_companies(db: Database) -> list[CompanyRow]:
    """Every company (read as columns: tens of thousands of rows)."""
    read = db.read_columns(READ_COMPANIES, COMPANY_COLUMNS)
    return [
        CompanyRow(str(company_id), str(name or ""), bool(is_customer), branch[0])
        for company_id, name, is_customer, branch in zip(
            read["id"], read["name"], read["is_customer"], read["branch_id"], strict=True
        )
    ]


def read_persons(db: Database) -> list[PersonRow]:
    """Every person (read as columns)."""
    read = db.read_columns(READ_PERSONS, PERSON_COLUMNS)
    return [
        PersonRow(str(person_id), str(name or ""))
        for person_id, name in zip(read["id"], read["name"], strict=True)
    ]


def read_holdings(db: Database) -> list[HoldingRow]:
    """Every shareholding with a recorded share (read as columns)."""
    read = db.read_columns(READ_HOLDINGS, HOLDING_COLUMNS)
    out = []
    for owner_id, company_id, (pct_exact, pct_float) in zip(
        read["owner_id"], read["company_id"], read["pct"], strict=True
    ):
        pct = share_pct(pct_exact, pct_float)
        if pct is not None:
            out.append(HoldingRow(str(owner_id), str(company_id), pct))
    return out


def read_control_links(db: Reader) -> list[ControlLinkRow]:
    """Every declared control link."""
    return [
        ControlLinkRow(str(r["controller_id"]), str(r["company_id"]), str(r["basis"]))
        for r in db.read(READ_CONTROL_LINKS)
    ]


def read_facility_totals(db: Reader) -> list[FacilityTotal]:
    """Every company's facility sums, one row per currency."""
    return [
        FacilityTotal(
            str(r["company_id"]),
            FacilitySum(str(r["currency"]), int(r["limit_minor"]), int(r["outstanding_minor"])),
        )
        for r in db.read(READ_FACILITY_TOTALS)
    ]


def _guarantee(r: Mapping[str, Any]) -> GuaranteeRow:
    return GuaranteeRow(
        str(r["guarantee_id"]),
        str(r["guarantor_id"]),
        str(r["borrower_id"]),
        int(r["amount_minor"]),
        str(r["currency"]),
    )


def read_guarantees(db: Reader) -> list[GuaranteeRow]:
    """Every guarantee (amount 0 and CNY when not recorded)."""
    return [_guarantee(r) for r in db.read(READ_GUARANTEES)]


def has_relationships(db: Reader, rel_type: str) -> bool:
    """Whether the store holds any relationship of ``rel_type`` (one of
    :data:`HAS_RELATIONSHIPS`; any other type raises ``KeyError``)."""
    row = db.read_one(HAS_RELATIONSHIPS[rel_type])
    return row is not None and bool(row["present"])


def read_id_salt(db: Reader) -> str:
    """The key of :func:`core.ids.opaque_id`: the store's random instance id (set by the
    first load), so group and circle ids are stable across computes of one store and
    cannot be derived from guessed company ids."""
    row = db.read_one(READ_ID_SALT)
    return str(row["salt"]) if row and row["salt"] else "corpgraph"


def read_capital(db: Reader) -> list[CapitalRow]:
    """Every company's registered capital, where recorded."""
    return [
        CapitalRow(str(r["id"]), str(r["currency"]), int(r["minor"])) for r in db.read(READ_CAPITAL)
    ]


# --- writes ---------------------------------------------------------------------------------
def write_control_claims(
    db: Database,
    by_company: Sequence[Mapping[str, Any]],
    by_person: Sequence[Mapping[str, Any]],
    run_id: str,
) -> None:
    """Store the run's claims: the engine's working ``CONTROLS_DIRECTLY`` edges (the
    previous run's are deleted) and the published ``CONTROL_CLAIM`` copies."""
    extra = {"run_id": run_id}
    db.write_rows(WRITE_COMPANY_CLAIMS, by_company, extra_parameters=extra)
    db.write_rows(WRITE_PERSON_CLAIMS, by_person, extra_parameters=extra)
    db.run_autocommit(DELETE_STALE_CLAIMS, extra)
    db.write_rows(WRITE_COMPANY_RUN_CLAIMS, by_company, extra_parameters=extra)
    db.write_rows(WRITE_PERSON_RUN_CLAIMS, by_person, extra_parameters=extra)


def write_control_results(db: Database, rows: Iterable[Mapping[str, Any]], run_id: str) -> None:
    """Store every company's ``(:ControlResult)`` of the run."""
    db.write_rows(WRITE_COMPANY_CONTROL, rows, extra_parameters={"run_id": run_id})


def write_groups(
    db: Database,
    groups: Iterable[Mapping[str, Any]],
    members: Iterable[Mapping[str, Any]],
    run_id: str,
) -> None:
    """Store the run's groups, then their ``MEMBER_OF`` memberships."""
    db.write_rows(WRITE_GROUPS, groups, extra_parameters={"run_id": run_id})
    db.write_rows(WRITE_MEMBERS, members, extra_parameters={"run_id": run_id})


def write_circles(
    db: Database,
    circles: Iterable[Mapping[str, Any]],
    members: Iterable[Mapping[str, Any]],
    run_id: str,
) -> None:
    """Store the run's guarantee circles, then their ``IN_CIRCLE`` memberships."""
    db.write_rows(WRITE_CIRCLES, circles, extra_parameters={"run_id": run_id})
    db.write_rows(WRITE_CIRCLE_MEMBERS, members, extra_parameters={"run_id": run_id})


# --- reads of the published run -----------------------------------------------------------------
def _claim(r: Mapping[str, Any]) -> ClaimRow:
    return ClaimRow(
        owner_id=str(r["owner_id"]),
        company_id=str(r["company_id"]),
        basis=str(r["basis"]),
        effect=str(r["effect"]),
        share_pct=_float(r["pct"]),
        contributor_ids=_strs(r["contributor_ids"]),
        contributor_pcts=tuple(float(p) for p in r["contributor_pcts"] or ()),
    )


def read_company_control(
    db: Reader, company_id: str, scope: Mapping[str, Any], group_run: str | None
) -> CompanyControlRow | None:
    """A company's stored control result of run ``group_run``; ``None`` when unknown.

    ``scope`` is :meth:`graph.branches.BranchScope.parameters`.
    """
    row = db.read_one(COMPANY_VISIBLE, {"company_id": company_id, **scope, "group_run": group_run})
    if row is None:
        return None
    return CompanyControlRow(
        name=str(row["name"] or ""),
        status=row["status"],
        controllers=_strs(row["controllers"]),
        cycle_id=str(row["cycle_id"]) if row["cycle_id"] is not None else None,
        cycle_members=_strs(row["cycle_members"]),
        ownership_cycle=_strs(row["ownership_cycle"]),
        groups=tuple((str(g), bool(p)) for g, p in row["groups"]),
        visible=bool(row["visible"]),
    )


def read_upstream_step(
    db: Reader, company_ids: Sequence[str], group_run: str | None
) -> list[UpstreamRow]:
    """The shareholdings and published claims one step upstream of ``company_ids``."""
    return [
        UpstreamRow(
            owner_id=str(r["owner_id"]),
            is_person=bool(r["is_person"]),
            name=str(r["name"] or ""),
            cycle_id=str(r["cycle_id"]) if r["cycle_id"] is not None else None,
            company_id=str(r["company_id"]),
            share_pct=share_pct(r["pct_exact"], r["pct"]),
            claim=None if r["type"] == "OWNS" else _claim(r),
        )
        for r in db.read(READ_UPSTREAM_STEP, {"ids": list(company_ids), "group_run": group_run})
    ]


def read_decisive_claims(db: Reader, group_run: str | None) -> list[ClaimRow]:
    """Every decisive control claim of run ``group_run``."""
    return [_claim(r) for r in db.read(READ_DECISIVE_CLAIMS, {"group_run": group_run})]


def _group(row: Mapping[str, Any]) -> GroupRow:
    g = row["g"]
    return GroupRow(
        group_id=str(g["group_id"]),
        controller_id=str(g["controller_id"]),
        controller_type=str(g["controller_type"]),
        controller_name=(
            str(row["controller_name"]) if row.get("controller_name") is not None else None
        ),
        controller_members=_strs(g.get("controller_members")),
        controller_member_names=_strs(row["controller_member_names"]),
        size=int(g["size"]),
        rank=int(g["rank"]),
        max_depth=int(g.get("max_depth") or 0),
        over_concentration=bool(g["over_concentration"]),
        currencies=_strs(g.get("currencies")),
        limit_minor=tuple(int(v) for v in g.get("limit_minor") or ()),
        outstanding_minor=tuple(int(v) for v in g.get("outstanding_minor") or ()),
        control_cycles=_strs(g.get("control_cycles")),
        ownership_cycles=_strs(g.get("ownership_cycles")),
        joint_members=int(g.get("joint_members") or 0),
        explanation=str(g.get("explanation") or ""),
    )


def _facilities(raw: Iterable[Sequence[str] | None]) -> tuple[FacilitySum, ...]:
    return tuple(FacilitySum(f[0], int(f[1]), int(f[2])) for f in raw if f)


def _member(m: Mapping[str, Any]) -> MemberRow:
    return MemberRow(
        company_id=str(m["id"]),
        name=m["name"],
        is_customer=bool(m["is_customer"]),
        visible=bool(m["visible"]),
        facilities=_facilities(m["facilities"]),
        role=str(m.get("role") or ""),
        depth=int(m.get("depth") or 0),
        parent_id=str(m["parent_id"]) if m.get("parent_id") is not None else None,
        basis=str(m["basis"]) if m.get("basis") is not None else None,
        share_pct=_float(m.get("share_pct")),
        status=str(m.get("status") or "sole"),
        controllers=_strs(m.get("controllers")),
        primary=bool(m.get("primary", True)),
    )


def count_groups(db: Reader, scope: Mapping[str, Any], group_run: str | None) -> int:
    """How many groups of run ``group_run`` the caller may see."""
    row = db.read_one(COUNT_GROUPS, {**scope, "group_run": group_run})
    return int(row["total"]) if row else 0


def list_group_rows(
    db: Reader, scope: Mapping[str, Any], group_run: str | None, *, limit: int, offset: int
) -> list[GroupRow]:
    """One page of the visible groups of run ``group_run``, in rank order."""
    params = {**scope, "group_run": group_run, "limit": limit, "offset": offset}
    return [_group(r) for r in db.read(LIST_GROUPS, params)]


def read_group_row(
    db: Reader, group_id: str, scope: Mapping[str, Any], group_run: str | None
) -> GroupRow | None:
    """A visible group of run ``group_run``, or ``None``."""
    row = db.read_one(GET_GROUP, {**scope, "group_run": group_run, "group_id": group_id})
    return None if row is None else _group(row)


def read_group_members(
    db: Reader, group_id: str, scope: Mapping[str, Any], group_run: str | None
) -> list[MemberRow]:
    """A group's members, shallowest first, with whether the caller may see each."""
    params = {**scope, "group_run": group_run, "group_id": group_id}
    return [_member(m) for m in db.read(GROUP_MEMBERS, params)]


def read_cycle_claims(
    db: Reader, cycles: Sequence[Sequence[str]], group_run: str | None
) -> list[CycleClaimRow]:
    """The published claims between members of each of ``cycles``."""
    return [
        CycleClaimRow(str(r["source"]), str(r["target"]), str(r["basis"]), _float(r["share_pct"]))
        for r in db.read(
            CYCLE_CLAIMS, {"cycles": [list(c) for c in cycles], "group_run": group_run}
        )
    ]


def _circle(row: Mapping[str, Any]) -> CircleRow:
    k = row["k"]
    return CircleRow(
        circle_id=str(k["circle_id"]),
        size=int(k.get("size") or 0),
        members=_strs(row["members"]),
        cycles=_strs(k.get("cycles")),
        cycles_complete=bool(k.get("cycles_complete")),
        mutual_pairs=_strs(k.get("mutual_pairs")),
        currencies=_strs(k.get("currencies")),
        amounts_minor=tuple(int(a) for a in k.get("amounts_minor") or ()),
        guarantee_ids=_strs(k.get("guarantee_ids")),
    )


def count_circles(db: Reader, scope: Mapping[str, Any], group_run: str | None) -> int:
    """How many guarantee circles of run ``group_run`` the caller may see."""
    row = db.read_one(COUNT_CIRCLES, {**scope, "group_run": group_run})
    return int(row["total"]) if row else 0


def list_circle_rows(
    db: Reader, scope: Mapping[str, Any], group_run: str | None, *, limit: int, offset: int
) -> list[CircleRow]:
    """One page of the visible circles of run ``group_run``, largest first, with members."""
    params = {**scope, "group_run": group_run, "limit": limit, "offset": offset}
    return [_circle(r) for r in db.read(LIST_CIRCLES, params)]


def read_circle_row(
    db: Reader, circle_id: str, scope: Mapping[str, Any], group_run: str | None
) -> CircleRow | None:
    """A visible circle of run ``group_run`` (``members`` empty: see
    :func:`read_circle_members`), or ``None``."""
    row = db.read_one(GET_CIRCLE, {**scope, "group_run": group_run, "circle_id": circle_id})
    return None if row is None else _circle(row)


def read_circle_members(
    db: Reader, circle_id: str, scope: Mapping[str, Any], group_run: str | None
) -> list[MemberRow]:
    """A circle's members by id, with whether the caller may see each."""
    params = {**scope, "group_run": group_run, "circle_id": circle_id}
    return [_member(m) for m in db.read(CIRCLE_MEMBERS, params)]


def write_chains(
    db: Database,
    chains: Iterable[Mapping[str, Any]],
    members: Iterable[Mapping[str, Any]],
    run_id: str,
) -> None:
    """Store the run's guarantee chains, then their ``IN_CHAIN {position}`` memberships."""
    db.write_rows(WRITE_CHAINS, chains, extra_parameters={"run_id": run_id})
    db.write_rows(WRITE_CHAIN_MEMBERS, members, extra_parameters={"run_id": run_id})


def _chain(row: Mapping[str, Any]) -> ChainRow:
    k = row["k"]
    return ChainRow(
        chain_id=str(k["chain_id"]),
        length=int(k.get("length") or 0),
        members=_strs(k.get("members")),
        guarantee_ids=_strs(k.get("guarantee_ids")),
        currencies=_strs(k.get("currencies")),
        amounts_minor=tuple(int(a) for a in k.get("amounts_minor") or ()),
    )


def count_chains(db: Reader, scope: Mapping[str, Any], group_run: str | None) -> int:
    """How many guarantee chains of run ``group_run`` the caller may see."""
    row = db.read_one(COUNT_CHAINS, {**scope, "group_run": group_run})
    return int(row["total"]) if row else 0


def list_chain_rows(
    db: Reader, scope: Mapping[str, Any], group_run: str | None, *, limit: int, offset: int
) -> list[ChainRow]:
    """One page of the visible chains of run ``group_run``, longest first."""
    params = {**scope, "group_run": group_run, "limit": limit, "offset": offset}
    return [_chain(r) for r in db.read(LIST_CHAINS, params)]


def read_chain_row(
    db: Reader, chain_id: str, scope: Mapping[str, Any], group_run: str | None
) -> ChainRow | None:
    """A visible chain of run ``group_run``, or ``None``."""
    row = db.read_one(GET_CHAIN, {**scope, "group_run": group_run, "chain_id": chain_id})
    return None if row is None else _chain(row)


def read_chain_members(
    db: Reader, chain_id: str, scope: Mapping[str, Any], group_run: str | None
) -> list[MemberRow]:
    """A chain's members in chain order, with whether the caller may see each."""
    params = {**scope, "group_run": group_run, "chain_id": chain_id}
    return [_member(m) for m in db.read(CHAIN_MEMBERS, params)]


def read_guarantees_by_id(db: Reader, guarantee_ids: Sequence[str]) -> list[GuaranteeRow]:
    """The guarantees of ``guarantee_ids``, by id."""
    return [
        _guarantee(r) for r in db.read(CIRCLE_GUARANTEES, {"guarantee_ids": list(guarantee_ids)})
    ]
