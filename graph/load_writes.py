"""The writes of ``corpgraph load``: one named statement per kind of record, the
monthly flows, and the graph's instance id and data version.

Every entity statement is an idempotent ``MERGE`` on business keys with ``UNWIND
$rows``; re-running a load sets the same properties again and creates nothing. Money
is written as integer minor units (``*_minor``) next to its currency; Neo4j has no
decimal type and floats would not be exact. The rows come from
:mod:`loaders.writers`, which turns validated records into them; this module only
knows the statements, picked by name from :data:`UPSERTS` (never built from input).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from enum import StrEnum
from typing import Any, Final, LiteralString

from .activities import UPSERT_ACTIVITIES
from .branches import UPSERT_BRANCHES
from .database import Database
from .opportunity_history import UPSERT_OPPORTUNITY_HISTORY
from .related_parties import (
    UPSERT_COMPANY_CONTACTS,
    UPSERT_KEY_PERSONS,
    UPSERT_PERSON_RELATIONS,
)
from .targets import UPSERT_TARGETS

UPSERT_RMS: Final[LiteralString] = """
UNWIND $rows AS row
MERGE (m:RelationshipManager {rm_id: row.rm_id})
SET m.name = row.name, m.branch_id = row.branch_id
WITH m, row
CALL (m, row) {
    MATCH (m)-[old:WORKS_AT]->(b:Branch) WHERE b.branch_id <> row.branch_id
    DELETE old
}
MATCH (b:Branch {branch_id: row.branch_id})
MERGE (m)-[:WORKS_AT]->(b)
"""

UPSERT_COMPANIES: Final[LiteralString] = """
UNWIND $rows AS row
MERGE (c:Company {company_id: row.company_id})
SET c.name = row.name, c.name_key = row.name_key, c.uscc = row.uscc,
    c.is_customer = row.is_customer, c.segment = row.segment, c.industry = row.industry,
    c.region = row.region, c.branch_id = row.branch_id, c.rm_id = row.rm_id,
    c.registered_capital_minor = row.registered_capital_minor,
    c.registered_capital_currency = CASE WHEN row.registered_capital_minor IS NULL
                                         THEN null ELSE 'CNY' END,
    c.founded = row.founded, c.status = row.status, c.source = 'companies'
WITH c, row
CALL (c, row) {
    WITH c, row WHERE row.is_customer
    SET c:Customer
}
CALL (c, row) {
    WITH c, row WHERE NOT row.is_customer
    REMOVE c:Customer
}
CALL (c, row) {
    MATCH (c)-[old:BOOKED_AT]->(b:Branch)
    WHERE row.branch_id IS NULL OR b.branch_id <> row.branch_id
    DELETE old
}
CALL (c, row) {
    MATCH (c)-[old:MANAGED_BY]->(m:RelationshipManager)
    WHERE row.rm_id IS NULL OR m.rm_id <> row.rm_id
    DELETE old
}
CALL (c, row) {
    MATCH (b:Branch {branch_id: row.branch_id})
    MERGE (c)-[:BOOKED_AT]->(b)
}
CALL (c, row) {
    MATCH (m:RelationshipManager {rm_id: row.rm_id})
    MERGE (c)-[:MANAGED_BY]->(m)
}
"""

# Counterparties first seen in payments: the first name seen stays their name.
UPSERT_COUNTERPARTIES: Final[LiteralString] = """
UNWIND $rows AS row
MERGE (c:Company {company_id: row.company_id})
ON CREATE SET c.name = row.name, c.name_key = row.name_key, c.uscc = row.uscc,
    c.is_customer = false, c.source = 'transactions'
"""

UPSERT_PERSONS: Final[LiteralString] = """
UNWIND $rows AS row
MERGE (p:Person {person_id: row.person_id})
SET p.name = row.name
"""

UPSERT_PRODUCTS: Final[LiteralString] = """
UNWIND $rows AS row
MERGE (p:Product {product_code: row.product_code})
SET p.name = row.name, p.category = row.category
"""

UPSERT_COMPANY_SHAREHOLDINGS: Final[LiteralString] = """
UNWIND $rows AS row
MATCH (o:Company {company_id: row.owner_id})
MATCH (c:Company {company_id: row.company_id})
MERGE (o)-[r:OWNS]->(c)
SET r.share_pct = row.share_pct, r.share_pct_exact = row.share_pct_exact, r.as_of = row.as_of
"""

UPSERT_PERSON_SHAREHOLDINGS: Final[LiteralString] = """
UNWIND $rows AS row
MATCH (o:Person {person_id: row.owner_id})
MATCH (c:Company {company_id: row.company_id})
MERGE (o)-[r:OWNS]->(c)
SET r.share_pct = row.share_pct, r.share_pct_exact = row.share_pct_exact, r.as_of = row.as_of
"""

UPSERT_COMPANY_CONTROL: Final[LiteralString] = """
UNWIND $rows AS row
MATCH (o:Company {company_id: row.controller_id})
MATCH (c:Company {company_id: row.company_id})
MERGE (o)-[r:CONTROLS]->(c)
SET r.basis = row.basis
"""

UPSERT_PERSON_CONTROL: Final[LiteralString] = """
UNWIND $rows AS row
MATCH (o:Person {person_id: row.controller_id})
MATCH (c:Company {company_id: row.company_id})
MERGE (o)-[r:CONTROLS]->(c)
SET r.basis = row.basis
"""

UPSERT_SUPPLY: Final[LiteralString] = """
UNWIND $rows AS row
MATCH (s:Company {company_id: row.supplier_id})
MATCH (b:Company {company_id: row.buyer_id})
MERGE (s)-[r:SUPPLIES]->(b)
SET r.annual_amount_minor = row.annual_amount_minor, r.currency = row.currency,
    r.category = row.category, r.since = row.since
"""

UPSERT_GUARANTEES: Final[LiteralString] = """
UNWIND $rows AS row
MATCH (g:Company {company_id: row.guarantor_id})
MATCH (b:Company {company_id: row.borrower_id})
CALL (g, b, row) {
    MATCH (x)-[old:GUARANTEES {guarantee_id: row.guarantee_id}]->(y)
    WHERE x <> g OR y <> b
    DELETE old
}
MERGE (g)-[r:GUARANTEES {guarantee_id: row.guarantee_id}]->(b)
SET r.amount_minor = row.amount_minor, r.currency = row.currency,
    r.start_date = row.start_date, r.end_date = row.end_date
"""

UPSERT_FACILITIES: Final[LiteralString] = """
UNWIND $rows AS row
MATCH (c:Company {company_id: row.customer_id})
MERGE (f:Facility {facility_id: row.facility_id})
SET f.customer_id = row.customer_id, f.product = row.product,
    f.limit_minor = row.limit_minor, f.outstanding_minor = row.outstanding_minor,
    f.currency = row.currency, f.maturity = row.maturity
WITH c, f
CALL (c, f) {
    MATCH (x)-[old:HAS_FACILITY]->(f) WHERE x <> c
    DELETE old
}
MERGE (c)-[:HAS_FACILITY]->(f)
"""

UPSERT_HOLDINGS: Final[LiteralString] = """
UNWIND $rows AS row
MATCH (c:Company {company_id: row.customer_id})
MATCH (p:Product {product_code: row.product_code})
MERGE (c)-[h:HOLDS]->(p)
SET h.balance_minor = row.balance_minor, h.currency = row.currency, h.opened = row.opened,
    h.closed = row.closed
"""

UPSERT_SEGMENT_SNAPSHOTS: Final[LiteralString] = """
UNWIND $rows AS row
MATCH (c:Company {company_id: row.customer_id})
MERGE (s:SegmentSnapshot {snapshot_id: row.snapshot_id})
SET s.customer_id = row.customer_id, s.as_of = row.as_of, s.segment = row.segment
MERGE (c)-[:HAS_SEGMENT]->(s)
"""

# Rates are kept as exact decimal text: Neo4j has no decimal type, and a float would
# change the CNY equivalents. One node per currency and date.
UPSERT_FX_RATES: Final[LiteralString] = """
UNWIND $rows AS row
MERGE (r:FxRate {rate_id: row.rate_id})
SET r.currency = row.currency, r.rate_date = row.rate_date, r.cny_per_unit = row.cny_per_unit
"""

# Monthly flows are never MERGEd: MERGE on a relationship with properties may be planned as
# a scan of the whole pays_month index for every row (LockingMerge <- Filter <-
# DirectedRelationshipIndexScan), a plan that stays cached for minutes, and even a good MERGE
# plan is the slowest way to write them. The ledger knows which keys the graph may hold
# (loaders.flows.FlowLedger.flow_writes): the others are created; these are updated.
# Both statements find the endpoints through the company_id constraint and never name a
# property of the relationship in a pattern, so no plan can start from a relationship index
# (tests/integration/test_flow_writes.py checks the plans). One load writes at a time: the
# ledger is a DuckDB file that one process opens for writing.
CREATE_FLOWS: Final[LiteralString] = """
UNWIND $rows AS row
MATCH (a:Company {company_id: row.payer})
USING INDEX a:Company(company_id)
MATCH (b:Company {company_id: row.payee})
USING INDEX b:Company(company_id)
CREATE (a)-[:PAYS {month: row.month, currency: row.currency, amount_minor: row.amount_minor,
                   txn_count: row.txn_count, first_date: date(row.first_date),
                   last_date: date(row.last_date)}]->(b)
"""

# The flows between a and b are read from a's relationships (Expand(Into) with both ends
# bound) and filtered in a list, outside any pattern: a key that is missing is created.
UPDATE_FLOWS: Final[LiteralString] = """
UNWIND $rows AS row
MATCH (a:Company {company_id: row.payer})
USING INDEX a:Company(company_id)
MATCH (b:Company {company_id: row.payee})
USING INDEX b:Company(company_id)
WITH a, b, row, [(a)-[pays:PAYS]->(b) | pays] AS between
WITH a, b, row,
     [r IN between WHERE r.month = row.month AND r.currency = row.currency] AS found
FOREACH (r IN found |
    SET r.amount_minor = row.amount_minor, r.txn_count = row.txn_count,
        r.first_date = date(row.first_date), r.last_date = date(row.last_date))
WITH a, b, row, found WHERE size(found) = 0
CREATE (a)-[:PAYS {month: row.month, currency: row.currency, amount_minor: row.amount_minor,
                   txn_count: row.txn_count, first_date: date(row.first_date),
                   last_date: date(row.last_date)}]->(b)
"""

# From the count store: O(1).
COUNT_FLOWS: Final[LiteralString] = "MATCH ()-[r:PAYS]->() RETURN count(r) AS edges"


# A derived property, kept so screening can filter and sort customers by exposure
# without summing facilities per request. Recomputed for every customer on each load.
DERIVE_CUSTOMER_EXPOSURE: Final[LiteralString] = """
MATCH (c:Customer)
CALL (c) {
    OPTIONAL MATCH (c)-[:HAS_FACILITY]->(f:Facility {currency: 'CNY'})
    WITH c, coalesce(sum(f.outstanding_minor), 0) AS exposure
    SET c.exposure_cny_minor = exposure
} IN TRANSACTIONS OF 10000 ROWS
"""


class Upsert(StrEnum):
    """The entity statements of a load, by what they write."""

    BRANCHES = "branches"
    RELATIONSHIP_MANAGERS = "relationship_managers"
    COMPANIES = "companies"
    COUNTERPARTIES = "counterparties"
    PERSONS = "persons"
    PRODUCTS = "products"
    COMPANY_SHAREHOLDINGS = "company_shareholdings"
    PERSON_SHAREHOLDINGS = "person_shareholdings"
    COMPANY_CONTROL = "company_control"
    PERSON_CONTROL = "person_control"
    SUPPLY = "supply"
    GUARANTEES = "guarantees"
    FACILITIES = "facilities"
    HOLDINGS = "holdings"
    SEGMENT_SNAPSHOTS = "segment_snapshots"
    FX_RATES = "fx_rates"
    TARGETS = "targets"
    ACTIVITIES = "activities"
    KEY_PERSONS = "key_persons"
    PERSON_RELATIONS = "person_relations"
    COMPANY_CONTACTS = "company_contacts"
    OPPORTUNITY_HISTORY = "opportunity_history"


#: The statement of each :class:`Upsert`.
UPSERTS: Final[dict[Upsert, LiteralString]] = {
    Upsert.BRANCHES: UPSERT_BRANCHES,
    Upsert.RELATIONSHIP_MANAGERS: UPSERT_RMS,
    Upsert.COMPANIES: UPSERT_COMPANIES,
    Upsert.COUNTERPARTIES: UPSERT_COUNTERPARTIES,
    Upsert.PERSONS: UPSERT_PERSONS,
    Upsert.PRODUCTS: UPSERT_PRODUCTS,
    Upsert.COMPANY_SHAREHOLDINGS: UPSERT_COMPANY_SHAREHOLDINGS,
    Upsert.PERSON_SHAREHOLDINGS: UPSERT_PERSON_SHAREHOLDINGS,
    Upsert.COMPANY_CONTROL: UPSERT_COMPANY_CONTROL,
    Upsert.PERSON_CONTROL: UPSERT_PERSON_CONTROL,
    Upsert.SUPPLY: UPSERT_SUPPLY,
    Upsert.GUARANTEES: UPSERT_GUARANTEES,
    Upsert.FACILITIES: UPSERT_FACILITIES,
    Upsert.HOLDINGS: UPSERT_HOLDINGS,
    Upsert.SEGMENT_SNAPSHOTS: UPSERT_SEGMENT_SNAPSHOTS,
    Upsert.FX_RATES: UPSERT_FX_RATES,
    Upsert.TARGETS: UPSERT_TARGETS,
    Upsert.ACTIVITIES: UPSERT_ACTIVITIES,
    Upsert.KEY_PERSONS: UPSERT_KEY_PERSONS,
    Upsert.PERSON_RELATIONS: UPSERT_PERSON_RELATIONS,
    Upsert.COMPANY_CONTACTS: UPSERT_COMPANY_CONTACTS,
    Upsert.OPPORTUNITY_HISTORY: UPSERT_OPPORTUNITY_HISTORY,
}

INSTANCE_ID: Final[LiteralString] = (
    "MERGE (m:CorpgraphMeta {key: 'instance'}) "
    "ON CREATE SET m.instance_id = randomUUID() RETURN m.instance_id AS instance_id"
)
READ_INSTANCE_ID: Final[LiteralString] = (
    "MATCH (m:CorpgraphMeta {key: 'instance'}) RETURN m.instance_id AS instance_id"
)
# Each load gets a new data version: caches built from the data (the cross-sell
# index) notice it and rebuild.
NEW_DATA_VERSION: Final[LiteralString] = (
    "MERGE (m:CorpgraphMeta {key: 'instance'}) "
    "ON CREATE SET m.instance_id = randomUUID() SET m.data_version = randomUUID()"
)

#: The ids already in the graph that a file's references may name, by ``file.column``.
EXISTING_IDS: Final[dict[str, LiteralString]] = {
    "branches.branch_id": "MATCH (n:Branch) RETURN n.branch_id AS id",
    "relationship_managers.rm_id": "MATCH (n:RelationshipManager) RETURN n.rm_id AS id",
    "companies.company_id": "MATCH (n:Company) RETURN n.company_id AS id",
    "persons.person_id": "MATCH (n:Person) RETURN n.person_id AS id",
    "products.product_code": "MATCH (n:Product) RETURN n.product_code AS id",
}
READ_BRANCH_PARENTS: Final[LiteralString] = (
    "MATCH (b:Branch) RETURN b.branch_id AS id, b.parent_branch_id AS parent"
)


def upsert(
    db: Database,
    statement: Upsert,
    rows: Iterable[Mapping[str, Any]],
    *,
    on_batch: Callable[[int], None] | None = None,
) -> None:
    """Write ``rows`` with the statement of ``statement``, in ``UNWIND $rows`` batches."""
    db.write_rows(UPSERTS[statement], rows, on_batch=on_batch)


def write_flows(
    db: Database,
    rows: Iterable[Mapping[str, Any]],
    *,
    may_exist: bool,
    on_batch: Callable[[int], None] | None = None,
) -> None:
    """Write monthly flows: created, or updated when the graph may hold their key."""
    db.write_rows(UPDATE_FLOWS if may_exist else CREATE_FLOWS, rows, on_batch=on_batch)


def count_flows(db: Database) -> int:
    """How many ``PAYS`` relationships the graph holds (from the count store)."""
    row = db.read_one(COUNT_FLOWS)
    return int(row["edges"]) if row else 0


def derive_customer_exposure(db: Database) -> None:
    """Recompute every customer's ``exposure_cny_minor`` from its facilities."""
    db.run_autocommit(DERIVE_CUSTOMER_EXPOSURE)


def graph_instance_id(db: Database) -> str:
    """A random id stored in the graph; a wiped graph gets a new one (and a new ledger)."""
    rows = db.write_returning(INSTANCE_ID)
    return str(rows[0]["instance_id"])


def read_instance_id(db: Database) -> str | None:
    """The graph's instance id, or ``None`` before anything was loaded."""
    row = db.read_one(READ_INSTANCE_ID)
    return None if row is None else str(row["instance_id"])


def new_data_version(db: Database) -> None:
    """Mark the graph's data as changed (caches built from it rebuild)."""
    db.write(NEW_DATA_VERSION)


def read_existing_ids(db: Database, reference: str) -> set[str]:
    """The ids of ``reference`` (a key of :data:`EXISTING_IDS`) already in the graph."""
    return {str(r["id"]) for r in db.read(EXISTING_IDS[reference])}


def read_branch_parents(db: Database) -> dict[str, str | None]:
    """Every stored branch and its parent branch (``None`` for a root)."""
    return {str(r["id"]): r["parent"] for r in db.read(READ_BRANCH_PARENTS)}
