"""Constraints and indexes, applied idempotently by ``corpgraph db init``.

Labels and relationship types used anywhere in corpgraph are listed here; Cypher
that needs a label from data chooses it from these allowlists, never from input.

The company-name full-text index uses Lucene's ``cjk`` analyzer. It indexes
overlapping character bigrams, so any two or more consecutive characters of a
Chinese name find it (``华为`` finds ``华为技术有限公司``), which a whitespace
analyzer cannot do for text without spaces.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Final, LiteralString

from .database import Database, WriteCounters

logger = logging.getLogger(__name__)

#: Node labels and the business key each is unique on.
NODE_KEYS: Final[dict[str, str]] = {
    "Company": "company_id",
    "Person": "person_id",
    "Branch": "branch_id",
    "RelationshipManager": "rm_id",
    "Product": "product_code",
    "Facility": "facility_id",
    "Event": "event_id",
    "Opportunity": "opportunity_id",
    "ApiUser": "user_id",
    "SegmentSnapshot": "snapshot_id",
    "FxRate": "rate_id",
    "CorpgraphMeta": "key",
    "WebhookDelivery": "delivery_id",
    "ResolutionCandidate": "candidate_id",
    "ResolutionDecision": "decision_id",
    "KpiTarget": "target_id",
    "Contact": "contact_key",
    "RelatedPartyDecision": "decision_id",
    "RelatedPartyLink": "review_id",
}

#: Results of compute runs (:mod:`graph.compute_runs`): each is unique on its key *within
#: a run*, so the key and ``run_id`` together are unique (the same group exists once per run).
RUN_SCOPED_KEYS: Final[dict[str, str]] = {
    "Group": "group_id",
    "GuaranteeCircle": "circle_id",
    "GuaranteeChain": "chain_id",
    "ControlResult": "company_id",
    "CompanyResult": "company_id",
    "SuspectedRelation": "pair_id",
}

#: Relationship types corpgraph writes.
RELATIONSHIP_TYPES: Final[frozenset[str]] = frozenset(
    {
        "CHILD_OF",  # (:Branch)-[:CHILD_OF]->(:Branch parent)
        "WORKS_AT",  # (:RelationshipManager)-[:WORKS_AT]->(:Branch)
        "BOOKED_AT",  # (:Company customer)-[:BOOKED_AT]->(:Branch)
        "MANAGED_BY",  # (:Company customer)-[:MANAGED_BY]->(:RelationshipManager)
        "OWNS",  # (:Company|Person)-[:OWNS {share_pct}]->(:Company)
        "CONTROLS",  # (:Company|Person)-[:CONTROLS {basis}]->(:Company)
        "SUPPLIES",  # (:Company supplier)-[:SUPPLIES]->(:Company buyer)
        "GUARANTEES",  # (:Company guarantor)-[:GUARANTEES {guarantee_id}]->(:Company borrower)
        "HAS_FACILITY",  # (:Company)-[:HAS_FACILITY]->(:Facility)
        "HOLDS",  # (:Company)-[:HOLDS]->(:Product)
        "PAYS",  # (:Company)-[:PAYS {month, amount, count}]->(:Company)
        "MEMBER_OF",  # (:Company)-[:MEMBER_OF {role, depth}]->(:Group)
        "HAS_SEGMENT",  # (:Company)-[:HAS_SEGMENT]->(:SegmentSnapshot)
        "CONTROLS_DIRECTLY",  # (:Company|Person)-[:CONTROLS_DIRECTLY {basis}]->(:Company), derived
        "CONTROL_CLAIM",  # the same claims, published per compute run {run_id, basis, effect}
        "IN_CIRCLE",  # (:Company)-[:IN_CIRCLE]->(:GuaranteeCircle)
        "IN_CHAIN",  # (:Company)-[:IN_CHAIN {position}]->(:GuaranteeChain)
        "ABOUT",  # (:Event)-[:ABOUT]->(:Company customer)
        "DEPENDS_ON",  # (:Company dependent)-[:DEPENDS_ON {direction, basis, share}]->(:Company)
        "BRANCH_OF",  # (:Company branch office)-[:BRANCH_OF {place}]->(:Company head)
        "KEY_PERSON_OF",  # (:Person)-[:KEY_PERSON_OF {role, since, until}]->(:Company)
        "FAMILY_OF",  # (:Person)-[:FAMILY_OF {relation}]->(:Person)
        "HAS_CONTACT",  # (:Company)-[:HAS_CONTACT {kind, value}]->(:Contact)
    }
)


@dataclass(frozen=True)
class SchemaItem:
    """One named constraint or index and the statement that creates it."""

    name: str
    kind: str  # "constraint" or "index"
    statement: LiteralString


# Each statement is a literal: labels, properties and names are fixed in code.
SCHEMA: Final[tuple[SchemaItem, ...]] = (
    SchemaItem(
        "company_id_unique",
        "constraint",
        "CREATE CONSTRAINT company_id_unique IF NOT EXISTS "
        "FOR (n:Company) REQUIRE n.company_id IS UNIQUE",
    ),
    SchemaItem(
        "person_id_unique",
        "constraint",
        "CREATE CONSTRAINT person_id_unique IF NOT EXISTS "
        "FOR (n:Person) REQUIRE n.person_id IS UNIQUE",
    ),
    SchemaItem(
        "branch_id_unique",
        "constraint",
        "CREATE CONSTRAINT branch_id_unique IF NOT EXISTS "
        "FOR (n:Branch) REQUIRE n.branch_id IS UNIQUE",
    ),
    SchemaItem(
        "rm_id_unique",
        "constraint",
        "CREATE CONSTRAINT rm_id_unique IF NOT EXISTS "
        "FOR (n:RelationshipManager) REQUIRE n.rm_id IS UNIQUE",
    ),
    SchemaItem(
        "product_code_unique",
        "constraint",
        "CREATE CONSTRAINT product_code_unique IF NOT EXISTS "
        "FOR (n:Product) REQUIRE n.product_code IS UNIQUE",
    ),
    SchemaItem(
        "facility_id_unique",
        "constraint",
        "CREATE CONSTRAINT facility_id_unique IF NOT EXISTS "
        "FOR (n:Facility) REQUIRE n.facility_id IS UNIQUE",
    ),
    SchemaItem(
        "group_run_unique",
        "constraint",
        "CREATE CONSTRAINT group_run_unique IF NOT EXISTS "
        "FOR (n:Group) REQUIRE (n.group_id, n.run_id) IS UNIQUE",
    ),
    SchemaItem(
        "event_id_unique",
        "constraint",
        "CREATE CONSTRAINT event_id_unique IF NOT EXISTS "
        "FOR (n:Event) REQUIRE n.event_id IS UNIQUE",
    ),
    SchemaItem(
        "opportunity_id_unique",
        "constraint",
        "CREATE CONSTRAINT opportunity_id_unique IF NOT EXISTS "
        "FOR (n:Opportunity) REQUIRE n.opportunity_id IS UNIQUE",
    ),
    # One opportunity per event or prospect ("event:<id>", "prospect:<id>"), so turning
    # the same lead into an opportunity twice (two clicks, two users) finds the first.
    SchemaItem(
        "opportunity_origin_unique",
        "constraint",
        "CREATE CONSTRAINT opportunity_origin_unique IF NOT EXISTS "
        "FOR (n:Opportunity) REQUIRE n.origin_key IS UNIQUE",
    ),
    # A POST retried with the same Idempotency-Key (per user) finds the first result.
    SchemaItem(
        "opportunity_idempotency_unique",
        "constraint",
        "CREATE CONSTRAINT opportunity_idempotency_unique IF NOT EXISTS "
        "FOR (n:Opportunity) REQUIRE n.idempotency_key IS UNIQUE",
    ),
    SchemaItem(
        "api_user_id_unique",
        "constraint",
        "CREATE CONSTRAINT api_user_id_unique IF NOT EXISTS "
        "FOR (n:ApiUser) REQUIRE n.user_id IS UNIQUE",
    ),
    SchemaItem(
        "api_user_key_prefix_unique",
        "constraint",
        "CREATE CONSTRAINT api_user_key_prefix_unique IF NOT EXISTS "
        "FOR (n:ApiUser) REQUIRE n.key_prefix IS UNIQUE",
    ),
    SchemaItem(
        "segment_snapshot_id_unique",
        "constraint",
        "CREATE CONSTRAINT segment_snapshot_id_unique IF NOT EXISTS "
        "FOR (n:SegmentSnapshot) REQUIRE n.snapshot_id IS UNIQUE",
    ),
    SchemaItem(
        "fx_rate_id_unique",
        "constraint",
        "CREATE CONSTRAINT fx_rate_id_unique IF NOT EXISTS "
        "FOR (n:FxRate) REQUIRE n.rate_id IS UNIQUE",
    ),
    # A target is one node per unit, metric, category and period (graph.targets).
    SchemaItem(
        "kpi_target_id_unique",
        "constraint",
        "CREATE CONSTRAINT kpi_target_id_unique IF NOT EXISTS "
        "FOR (n:KpiTarget) REQUIRE n.target_id IS UNIQUE",
    ),
    # An activity is one node per id (graph.activities); the KPIs read them by date.
    SchemaItem(
        "activity_id_unique",
        "constraint",
        "CREATE CONSTRAINT activity_id_unique IF NOT EXISTS "
        "FOR (n:Activity) REQUIRE n.activity_id IS UNIQUE",
    ),
    SchemaItem(
        "corpgraph_meta_key_unique",
        "constraint",
        "CREATE CONSTRAINT corpgraph_meta_key_unique IF NOT EXISTS "
        "FOR (n:CorpgraphMeta) REQUIRE n.key IS UNIQUE",
    ),
    SchemaItem(
        "guarantee_id_unique",
        "constraint",
        "CREATE CONSTRAINT guarantee_id_unique IF NOT EXISTS "
        "FOR ()-[r:GUARANTEES]-() REQUIRE r.guarantee_id IS UNIQUE",
    ),
    # The 360 and the opportunities list filtered by company seek a company's
    # opportunities by this index, not by a scan of every opportunity.
    SchemaItem(
        "opportunity_company",
        "index",
        "CREATE INDEX opportunity_company IF NOT EXISTS FOR (n:Opportunity) ON (n.company_id)",
    ),
    SchemaItem(
        "company_uscc",
        "index",
        "CREATE INDEX company_uscc IF NOT EXISTS FOR (n:Company) ON (n.uscc)",
    ),
    SchemaItem(
        "company_name_key",
        "index",
        "CREATE INDEX company_name_key IF NOT EXISTS FOR (n:Company) ON (n.name_key)",
    ),
    SchemaItem(
        "company_branch",
        "index",
        "CREATE INDEX company_branch IF NOT EXISTS FOR (n:Company) ON (n.branch_id)",
    ),
    SchemaItem(
        "company_is_customer",
        "index",
        "CREATE INDEX company_is_customer IF NOT EXISTS FOR (n:Company) ON (n.is_customer)",
    ),
    SchemaItem(
        "company_introducer",
        "index",
        "CREATE INDEX company_introducer IF NOT EXISTS FOR (n:Company) ON (n.introducer_id)",
    ),
    SchemaItem(
        "pays_month",
        "index",
        "CREATE INDEX pays_month IF NOT EXISTS FOR ()-[r:PAYS]-() ON (r.month)",
    ),
    SchemaItem(
        "company_name_fulltext",
        "index",
        "CREATE FULLTEXT INDEX company_name_fulltext IF NOT EXISTS "
        "FOR (n:Company) ON EACH [n.name, n.name_key] "
        "OPTIONS {indexConfig: {`fulltext.analyzer`: 'cjk', "
        "`fulltext.eventually_consistent`: false}}",
    ),
    SchemaItem(
        "guarantee_circle_run_unique",
        "constraint",
        "CREATE CONSTRAINT guarantee_circle_run_unique IF NOT EXISTS "
        "FOR (n:GuaranteeCircle) REQUIRE (n.circle_id, n.run_id) IS UNIQUE",
    ),
    SchemaItem(
        "guarantee_chain_run_unique",
        "constraint",
        "CREATE CONSTRAINT guarantee_chain_run_unique IF NOT EXISTS "
        "FOR (n:GuaranteeChain) REQUIRE (n.chain_id, n.run_id) IS UNIQUE",
    ),
    # --- compute runs (graph.compute_runs): the pointers, and every lookup by run id --------
    SchemaItem(
        "compute_run_step_unique",
        "constraint",
        "CREATE CONSTRAINT compute_run_step_unique IF NOT EXISTS "
        "FOR (n:ComputeRun) REQUIRE n.step IS UNIQUE",
    ),
    SchemaItem(
        "compute_lease_key_unique",
        "constraint",
        "CREATE CONSTRAINT compute_lease_key_unique IF NOT EXISTS "
        "FOR (n:ComputeLease) REQUIRE n.key IS UNIQUE",
    ),
    SchemaItem(
        "control_result_run_unique",
        "constraint",
        "CREATE CONSTRAINT control_result_run_unique IF NOT EXISTS "
        "FOR (n:ControlResult) REQUIRE (n.company_id, n.run_id) IS UNIQUE",
    ),
    SchemaItem(
        "company_result_run_unique",
        "constraint",
        "CREATE CONSTRAINT company_result_run_unique IF NOT EXISTS "
        "FOR (n:CompanyResult) REQUIRE (n.company_id, n.run_id) IS UNIQUE",
    ),
    SchemaItem(
        "interdependence_rule_run_unique",
        "constraint",
        "CREATE CONSTRAINT interdependence_rule_run_unique IF NOT EXISTS "
        "FOR (n:InterdependenceRule) REQUIRE n.run_id IS UNIQUE",
    ),
    SchemaItem(
        "events_snapshot_run_unique",
        "constraint",
        "CREATE CONSTRAINT events_snapshot_run_unique IF NOT EXISTS "
        "FOR (n:EventsSnapshot) REQUIRE n.run_id IS UNIQUE",
    ),
    SchemaItem(
        "contact_key_unique",
        "constraint",
        "CREATE CONSTRAINT contact_key_unique IF NOT EXISTS "
        "FOR (n:Contact) REQUIRE n.contact_key IS UNIQUE",
    ),
    SchemaItem(
        "suspected_relation_run_unique",
        "constraint",
        "CREATE CONSTRAINT suspected_relation_run_unique IF NOT EXISTS "
        "FOR (n:SuspectedRelation) REQUIRE (n.pair_id, n.run_id) IS UNIQUE",
    ),
    SchemaItem(
        "suspected_relation_customer",
        "index",
        "CREATE INDEX suspected_relation_customer IF NOT EXISTS "
        "FOR (n:SuspectedRelation) ON (n.run_id, n.customer_id)",
    ),
    SchemaItem(
        "suspected_relation_review",
        "index",
        "CREATE INDEX suspected_relation_review IF NOT EXISTS "
        "FOR (n:SuspectedRelation) ON (n.run_id, n.review_id)",
    ),
    SchemaItem(
        "related_party_decision_id_unique",
        "constraint",
        "CREATE CONSTRAINT related_party_decision_id_unique IF NOT EXISTS "
        "FOR (n:RelatedPartyDecision) REQUIRE n.decision_id IS UNIQUE",
    ),
    SchemaItem(
        "related_party_link_review_id_unique",
        "constraint",
        "CREATE CONSTRAINT related_party_link_review_id_unique IF NOT EXISTS "
        "FOR (n:RelatedPartyLink) REQUIRE n.review_id IS UNIQUE",
    ),
    SchemaItem(
        "related_party_link_left",
        "index",
        "CREATE INDEX related_party_link_left IF NOT EXISTS "
        "FOR (n:RelatedPartyLink) ON (n.left_id, n.status)",
    ),
    SchemaItem(
        "related_party_link_right",
        "index",
        "CREATE INDEX related_party_link_right IF NOT EXISTS "
        "FOR (n:RelatedPartyLink) ON (n.right_id, n.status)",
    ),
    SchemaItem(
        "group_run",
        "index",
        "CREATE INDEX group_run IF NOT EXISTS FOR (n:Group) ON (n.run_id, n.rank)",
    ),
    SchemaItem(
        "guarantee_circle_run",
        "index",
        "CREATE INDEX guarantee_circle_run IF NOT EXISTS FOR (n:GuaranteeCircle) ON (n.run_id)",
    ),
    SchemaItem(
        "guarantee_chain_run",
        "index",
        "CREATE INDEX guarantee_chain_run IF NOT EXISTS FOR (n:GuaranteeChain) ON (n.run_id)",
    ),
    SchemaItem(
        "company_result_run",
        "index",
        "CREATE INDEX company_result_run IF NOT EXISTS FOR (n:CompanyResult) ON (n.run_id)",
    ),
    SchemaItem(
        "prospect_run_score",
        "index",
        "CREATE INDEX prospect_run_score IF NOT EXISTS "
        "FOR (n:Prospect) ON (n.run_id, n.prospect_score)",
    ),
    SchemaItem(
        "prospect_run_introducer",
        "index",
        "CREATE INDEX prospect_run_introducer IF NOT EXISTS "
        "FOR (n:Prospect) ON (n.run_id, n.introducer_id)",
    ),
    SchemaItem(
        "control_result_run",
        "index",
        "CREATE INDEX control_result_run IF NOT EXISTS FOR (n:ControlResult) ON (n.run_id)",
    ),
    SchemaItem(
        "event_run",
        "index",
        "CREATE INDEX event_run IF NOT EXISTS FOR (n:Event) ON (n.run_id)",
    ),
    SchemaItem(
        "depends_on_run",
        "index",
        "CREATE INDEX depends_on_run IF NOT EXISTS FOR ()-[r:DEPENDS_ON]-() ON (r.run_id)",
    ),
    SchemaItem(
        "control_claim_run",
        "index",
        "CREATE INDEX control_claim_run IF NOT EXISTS FOR ()-[r:CONTROL_CLAIM]-() ON (r.run_id)",
    ),
    SchemaItem(
        "resolution_candidate_id_unique",
        "constraint",
        "CREATE CONSTRAINT resolution_candidate_id_unique IF NOT EXISTS "
        "FOR (n:ResolutionCandidate) REQUIRE n.candidate_id IS UNIQUE",
    ),
    SchemaItem(
        "resolution_decision_id_unique",
        "constraint",
        "CREATE CONSTRAINT resolution_decision_id_unique IF NOT EXISTS "
        "FOR (n:ResolutionDecision) REQUIRE n.decision_id IS UNIQUE",
    ),
    SchemaItem(
        "webhook_delivery_id_unique",
        "constraint",
        "CREATE CONSTRAINT webhook_delivery_id_unique IF NOT EXISTS "
        "FOR (n:WebhookDelivery) REQUIRE n.delivery_id IS UNIQUE",
    ),
)

#: Items of earlier versions that the current schema replaces: a group or circle id was
#: unique before results were kept per compute run. Dropped by ``db init``; idempotent.
OBSOLETE: Final[tuple[LiteralString, ...]] = (
    "DROP CONSTRAINT group_id_unique IF EXISTS",
    "DROP CONSTRAINT guarantee_circle_id_unique IF EXISTS",
    "DROP INDEX company_prospect_score IF EXISTS",
)

LIST_CONSTRAINTS: Final[LiteralString] = "SHOW CONSTRAINTS YIELD name RETURN name"
LIST_INDEXES: Final[LiteralString] = "SHOW INDEXES YIELD name, state RETURN name, state"
AWAIT_INDEXES: Final[LiteralString] = "CALL db.awaitIndexes(300)"
# Relationships first: detaching a hub with a million edges in one batch would
# exceed the transaction memory limit.
WIPE_RELATIONSHIPS: Final[LiteralString] = (
    "MATCH ()-[r]->() CALL (r) { DELETE r } IN TRANSACTIONS OF 20000 ROWS"
)
WIPE_NODES: Final[LiteralString] = (
    "MATCH (n) CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 20000 ROWS"
)


@dataclass(frozen=True)
class SchemaStatus:
    """Which of corpgraph's constraints and indexes are missing or not online."""

    missing: tuple[str, ...]
    not_online: tuple[str, ...]

    @property
    def ready(self) -> bool:
        return not self.missing and not self.not_online


def expected_names() -> frozenset[str]:
    """Names of every constraint and index ``db init`` creates."""
    return frozenset(item.name for item in SCHEMA)


def compare_schema(
    constraints: set[str], index_states: dict[str, str], expected: frozenset[str]
) -> SchemaStatus:
    """Pure comparison of what the server reports with what corpgraph expects.

    Constraints own a backing index of the same name, so a name counts as present
    when it is a constraint or an index.

    Examples
    --------
    >>> compare_schema({"a"}, {"a": "ONLINE", "b": "POPULATING"}, frozenset({"a", "b", "c"}))
    SchemaStatus(missing=('c',), not_online=('b',))
    """
    present = constraints | set(index_states)
    missing = tuple(sorted(expected - present))
    not_online = tuple(
        sorted(name for name in expected & set(index_states) if index_states[name] != "ONLINE")
    )
    return SchemaStatus(missing=missing, not_online=not_online)


def schema_status(db: Database, *, probe: bool = False) -> SchemaStatus:
    """Ask the server which schema items exist and are online.

    With ``probe`` the queries run without retries, as health checks need.
    """
    if probe:
        constraint_rows = db.probe(LIST_CONSTRAINTS)
        index_rows = db.probe(LIST_INDEXES)
    else:
        constraint_rows = db.read(LIST_CONSTRAINTS)
        index_rows = db.read(LIST_INDEXES)
    return compare_schema(
        {str(r["name"]) for r in constraint_rows},
        {str(r["name"]): str(r["state"]) for r in index_rows},
        expected_names(),
    )


def apply_schema(db: Database) -> list[str]:
    """Create every missing constraint and index, then wait until all are online.

    Returns the names that did not exist before. Running it again is a no-op.
    """
    before = schema_status(db)
    for statement in OBSOLETE:
        db.run_autocommit(statement)
    for item in SCHEMA:
        db.run_autocommit(item.statement)
    db.run_autocommit(AWAIT_INDEXES)
    created = [name for name in before.missing]
    if created:
        logger.info("created %d schema items: %s", len(created), ", ".join(created))
    return created


def wipe(db: Database) -> WriteCounters:
    """Delete every node and relationship. Constraints and indexes stay."""
    return db.run_autocommit(WIPE_RELATIONSHIPS) + db.run_autocommit(WIPE_NODES)


DATA_VERSION: Final[LiteralString] = (
    "MATCH (m:CorpgraphMeta {key: 'instance'}) "
    "RETURN m.instance_id AS instance_id, m.data_version AS data_version"
)


def read_data_version(db: Database) -> tuple[str, str]:
    """``(instance id, data version)``: every load writes a new data version.

    Caches of loaded data (the cross-sell index, the branch tree) key on it. Both are
    ``"None"`` before the first load.
    """
    row = db.read_one(DATA_VERSION) or {}
    return str(row.get("instance_id")), str(row.get("data_version"))
