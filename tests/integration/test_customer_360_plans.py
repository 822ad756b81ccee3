"""Every query of the 360 anchors on an index: no scan of every Event, Company or Opportunity.

The plans are read with ``EXPLAIN`` through :meth:`graph.database.Database.explain`
on a small book with events, opportunities and payments, so that the planner has
statistics to weigh. The unanchored events list is checked too, to show that the
check does see a label scan when there is one.

"""

from __future__ import annotations

from typing import Any, LiteralString

import pytest

from graph import auth_cache, customers, events, opportunities, schema, scoping, supply
from graph.branches import BranchScope, BranchTree
from graph.database import Database, PlanStep, folded_query

SCANNED_LABELS = (":Event", ":Company", ":Opportunity", ":Customer")

BOOK: LiteralString = """
UNWIND range(1, 300) AS i
MERGE (c:Company {company_id: 'C' + i})
SET c.name = 'company ' + i, c.is_customer = i % 3 = 0, c.branch_id = 'A'
WITH c, i WHERE i % 3 = 0
SET c:Customer
CREATE (e:Event {event_id: 'E' + i, type: 'inflow_drop', month: '2026-0' + (i % 9 + 1),
                 status: 'new', severity: 'high', created_ms: i})-[:ABOUT]->(c)
CREATE (:Opportunity {opportunity_id: 'O' + i, company_id: c.company_id, branch_id: 'A',
                      stage: 'lead', created_at: i})
WITH c, i
MATCH (o:Company {company_id: 'C' + (i - 1)})
CREATE (c)-[:PAYS {month: '2026-0' + (i % 9 + 1), amount_minor: i, currency: 'CNY'}]->(o)
"""


def bad_steps(plan: tuple[PlanStep, ...]) -> list[PlanStep]:
    """Steps that read every node, or every node of a large label, or every payment."""
    return [
        step
        for step in plan
        if step.operator == "AllNodesScan"
        or (
            step.operator in ("NodeByLabelScan", "IntersectionNodeByLabelsScan")
            and any(label in step.details for label in SCANNED_LABELS)
        )
        or (step.operator.endswith("RelationshipTypeScan") and ":PAYS" in step.details)
    ]


@pytest.fixture
def book(clean_db: Database) -> Database:
    schema.apply_schema(clean_db)
    clean_db.write(BOOK)
    return clean_db


def test_every_query_of_the_360_anchors_on_an_index(book: Database) -> None:
    scope = BranchScope.for_home_branch(BranchTree.from_parents({"HO": None, "A": "HO"}), "A")
    one = {"id": "C3", **scope.parameters()}
    window = {"id": "C3", "from_month": "2026-01", "to_month": "2026-09"}
    listing: dict[str, Any] = {
        **scope.parameters(),
        "type": None,
        "status": None,
        "severity": None,
        "month": None,
        "rm": None,
        "branch_ids": None,
        "limit": 20,
        "offset": 0,
    }
    queries: dict[str, tuple[LiteralString, dict[str, Any]]] = {
        "profile": (customers.PROFILE, one),
        "segment_history": (customers.SEGMENT_HISTORY, one),
        "holdings": (customers.HOLDINGS, one),
        "facilities": (customers.FACILITIES, one),
        "guarantees_given": (customers.GUARANTEES_GIVEN, one),
        "guarantees_received": (customers.GUARANTEES_RECEIVED, one),
        "suppliers": (customers.SUPPLIERS, {"id": "C3", "top": 10}),
        "buyers": (customers.BUYERS, {"id": "C3", "top": 10}),
        "latest_month": (customers.LATEST_MONTH, {}),
        "counterparties_out": (customers.COUNTERPARTIES_OUT, window),
        "counterparties_in": (customers.COUNTERPARTIES_IN, window),
        "group": (customers.GROUP_OF, one),
        "circles": (customers.CIRCLES_OF, one),
        "introduced_prospects": (customers.INTRODUCED_PROSPECTS, {"id": "C3", "top": 10}),
        "events_count": (events.LIST_COUNT_CUSTOMER, {**listing, "customer": "C3"}),
        "events_page": (events.LIST_PAGE_CUSTOMER, {**listing, "customer": "C3"}),
        "opportunities_count": (
            opportunities.LIST_COUNT_COMPANY,
            {**listing, "stage": None, "company": "C3"},
        ),
        "opportunities_page": (
            opportunities.LIST_PAGE_COMPANY,
            {**listing, "stage": None, "company": "C3"},
        ),
        "customer_in_scope": (supply.READ_CUSTOMER_IN_SCOPE, one),
        "anonymiser": (scoping.READ_COMPANIES, {"ids": ["C1", "C2"]}),
        "data_version": (schema.DATA_VERSION, {}),
        "auth_version": (auth_cache.READ_AUTH_VERSION, {}),
        # What the 360 runs: the sections above folded into one statement, and the
        # counterparties into another (graph.database.read_folded).
        "sections_folded": (
            folded_query(customers.SECTION_QUERIES),
            {**one, "top": 10, "group_run": "g", "prospect_run": "p"},
        ),
        "counterparties_folded": (folded_query(customers.COUNTERPARTY_QUERIES), window),
    }
    found = {
        name: bad
        for name, (query, parameters) in queries.items()
        if (bad := bad_steps(book.explain(query, parameters)))
    }
    assert found == {}


def test_the_check_sees_the_scan_of_the_unanchored_events_list(book: Database) -> None:
    scope = BranchScope.for_home_branch(BranchTree.from_parents({"HO": None, "A": "HO"}), "A")
    plan = book.explain(
        events.LIST_PAGE,
        {
            **scope.parameters(),
            "type": None,
            "status": None,
            "severity": None,
            "month": None,
            "customer": "C3",
            "rm": None,
            "branch_ids": None,
            "limit": 20,
            "offset": 0,
        },
    )
    assert bad_steps(plan), [step.operator for step in plan]
