"""Cypher that writes validated records, one named statement per input file.

Every statement is an idempotent ``MERGE`` on business keys with ``UNWIND $rows``;
re-running a load sets the same properties again and creates nothing. Money is
written as integer minor units (``*_minor``) next to its currency; Neo4j has no
decimal type and floats would not be exact.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Final, LiteralString

from core.contacts import ContactKind, contact_key, normalise_contact
from core.names import name_key
from graph.branches import UPSERT_BRANCHES
from graph.related_parties import (
    UPSERT_COMPANY_CONTACTS,
    UPSERT_KEY_PERSONS,
    UPSERT_PERSON_RELATIONS,
)
from graph.targets import UPSERT_TARGETS, target_id

from .parsing import to_minor_units
from .resolution import Resolution
from .validation import Record

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
SET h.balance_minor = row.balance_minor, h.currency = row.currency, h.opened = row.opened
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


def _minor(amount: Decimal | None, currency: str | None) -> int | None:
    if amount is None:
        return None
    return to_minor_units(amount, currency or "CNY")


def _plain(record: Record) -> dict[str, Any]:
    return {k: v for k, v in record.items() if not k.startswith("_")}


def _company_row(r: Record) -> dict[str, Any]:
    row = _plain(r)
    row["name_key"] = name_key(r["name"])
    row["registered_capital_minor"] = _minor(row.pop("registered_capital"), "CNY")
    return row


def _share_row(r: Record) -> dict[str, Any]:
    row = _plain(r)
    row["share_pct_exact"] = str(r["share_pct"])
    row["share_pct"] = float(r["share_pct"])
    return row


def _supply_row(r: Record) -> dict[str, Any]:
    row = _plain(r)
    row["annual_amount_minor"] = _minor(row.pop("annual_amount"), r["currency"])
    return row


def _guarantee_row(r: Record) -> dict[str, Any]:
    row = _plain(r)
    row["amount_minor"] = _minor(row.pop("amount"), r["currency"])
    return row


def _facility_row(r: Record) -> dict[str, Any]:
    row = _plain(r)
    row["limit_minor"] = _minor(row.pop("limit"), r["currency"])
    row["outstanding_minor"] = _minor(row.pop("outstanding"), r["currency"])
    return row


def _holding_row(r: Record) -> dict[str, Any]:
    row = _plain(r)
    row["balance_minor"] = _minor(row.pop("balance"), r["currency"])
    return row


def _snapshot_row(r: Record) -> dict[str, Any]:
    row = _plain(r)
    row["snapshot_id"] = f"{r['customer_id']}|{r['as_of'].isoformat()}"
    return row


def _fx_rate_row(r: Record) -> dict[str, Any]:
    row = _plain(r)
    row["rate_id"] = f"{r['currency']}|{r['rate_date'].isoformat()}"
    row["cny_per_unit"] = format(r["cny_per_unit"], "f")
    return row


def _target_row(r: Record) -> dict[str, Any]:
    row = _plain(r)
    row["target_id"] = target_id(
        r["scope_type"], r["scope_id"], r["metric"], r["category"], r["period"]
    )
    row["target_value"] = format(r["target_value"], "f")
    row.update(source="file", set_by=None, set_at=None, parent_target_id=None)
    return row


def _contact_row(r: Record) -> dict[str, Any]:
    row = _plain(r)
    kind = ContactKind(r["kind"])
    row["normalised"] = normalise_contact(kind, r["value"])
    row["contact_key"] = contact_key(kind, row["normalised"])
    row["contact_family"] = row["contact_key"].partition("|")[0]
    return row


@dataclass(frozen=True)
class Statement:
    """A write statement and how to turn a validated record into its row."""

    query: LiteralString
    to_row: Callable[[Record], dict[str, Any]]
    #: Only records for which this is true (e.g. owner_type == "person").
    applies: Callable[[Record], bool] = lambda _record: True


#: The statements for each contract file, run in order.
STATEMENTS: Final[dict[str, tuple[Statement, ...]]] = {
    "branches": (Statement(UPSERT_BRANCHES, _plain),),
    "relationship_managers": (Statement(UPSERT_RMS, _plain),),
    "companies": (Statement(UPSERT_COMPANIES, _company_row),),
    "persons": (Statement(UPSERT_PERSONS, _plain),),
    "products": (Statement(UPSERT_PRODUCTS, _plain),),
    "shareholdings": (
        Statement(UPSERT_COMPANY_SHAREHOLDINGS, _share_row, lambda r: r["owner_type"] == "company"),
        Statement(UPSERT_PERSON_SHAREHOLDINGS, _share_row, lambda r: r["owner_type"] == "person"),
    ),
    "control_links": (
        Statement(UPSERT_COMPANY_CONTROL, _plain, lambda r: r["controller_type"] == "company"),
        Statement(UPSERT_PERSON_CONTROL, _plain, lambda r: r["controller_type"] == "person"),
    ),
    "supply_links": (Statement(UPSERT_SUPPLY, _supply_row),),
    "guarantees": (Statement(UPSERT_GUARANTEES, _guarantee_row),),
    "facilities": (Statement(UPSERT_FACILITIES, _facility_row),),
    "holdings": (Statement(UPSERT_HOLDINGS, _holding_row),),
    "segment_snapshots": (Statement(UPSERT_SEGMENT_SNAPSHOTS, _snapshot_row),),
    "fx_rates": (Statement(UPSERT_FX_RATES, _fx_rate_row),),
    "targets": (Statement(UPSERT_TARGETS, _target_row),),
    "key_persons": (Statement(UPSERT_KEY_PERSONS, _plain),),
    "person_relations": (Statement(UPSERT_PERSON_RELATIONS, _plain),),
    "company_contacts": (Statement(UPSERT_COMPANY_CONTACTS, _contact_row),),
}


def statement_rows(statement: Statement, records: Iterable[Record]) -> Iterator[dict[str, Any]]:
    """The parameter rows of one statement."""
    return (statement.to_row(r) for r in records if statement.applies(r))


def counterparty_rows(created: Iterable[Resolution]) -> list[dict[str, Any]]:
    """Rows for :data:`UPSERT_COUNTERPARTIES`."""
    return [
        {"company_id": r.company_id, "name": r.name, "name_key": r.name_key, "uscc": r.uscc}
        for r in created
    ]
