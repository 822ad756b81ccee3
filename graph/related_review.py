"""The related-party review (疑似关联复核): the queue, the decisions and their audit, in Neo4j.

Nodes:

``(:SuspectedRelation {run_id, review_id})``
    Written by the ``related_parties`` compute step (:mod:`graph.related_parties`), one
    per customer and suspected party; ``review_id`` names the unordered pair
    (:func:`core.judgements.related_pair_id`), so both directions of a pair of customers
    are one review item. The queue is the published run's pairs with no decision.
``(:RelatedPartyDecision {decision_id})``
    One reviewer decision, never changed or deleted by corpgraph: the pair
    (``review_id``, ``left_id``, ``right_id`` with their names), the ``verdict``
    (confirmed or dismissed), who (``user_id``, ``user_name``), when (``decided_at``),
    why (``note``), the run it was read from, and the evidence the reviewer saw (the
    strength and the paths). The decisions are the audit log.
``(:RelatedPartyLink {review_id})``
    The decision in force on a pair (the latest), with that decision's evidence: the
    one node the queue, the customer view and the groups read. A confirmed link joins
    the group of connected counterparties of every control group one of its companies
    belongs to, from the moment of the decision (it is read live, never computed).

Neither loads nor computes touch the decisions or the links: the pair id depends only
on the two company ids, so a decision holds across reloads of the same files and
every later compute. ``corpgraph db wipe`` deletes them with everything else, as it
does the entity-resolution decisions.

Scoping: a reviewer sees and decides only pairs whose two companies they may see
(:func:`graph.scoping.visible_predicate`); any other pair answers 404, exactly like an
unknown id.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final, LiteralString

from core.errors import NotFoundError
from core.judgements import RelatedVerdict

from .branches import BranchScope
from .database import Database, Reader
from .related_parties import StoredEvidence, StoredRelation, read_path_names, stored_relation
from .scoping import visible_predicate

_SIDES: Final[LiteralString] = (
    "a.name AS left_name, b.name AS right_name, "
    "coalesce(a.is_customer, false) OR a:Customer AS left_customer, "
    "coalesce(b.is_customer, false) OR b:Customer AS right_customer"
)
_BOTH_VISIBLE: Final[LiteralString] = (
    "WHERE " + visible_predicate("a") + " AND " + visible_predicate("b") + " "
)

# --- the queue: the published run's pairs without a decision ---------------------------------
# A pair of two customers is stored once per direction: the queue keeps the row whose
# customer comes first, or the only row when the other company is no customer.
_PENDING: Final[LiteralString] = (
    "MATCH (s:SuspectedRelation {run_id: $run_id}) "
    "WHERE s.review_id IS NOT NULL "
    "AND (s.customer_id < s.other_id OR NOT EXISTS { "
    "MATCH (t:SuspectedRelation {run_id: $run_id, customer_id: s.other_id}) "
    "WHERE t.other_id = s.customer_id }) "
    "AND NOT EXISTS { MATCH (l:RelatedPartyLink {review_id: s.review_id}) } "
    "MATCH (a:Company {company_id: s.customer_id}), (b:Company {company_id: s.other_id}) "
    + _BOTH_VISIBLE
)
COUNT_PENDING: Final[LiteralString] = _PENDING + "RETURN count(s) AS total"
LIST_PENDING: Final[LiteralString] = (
    _PENDING + "RETURN s.review_id AS review_id, s.customer_id AS left_id, "
    "s.other_id AS right_id, s.evidence_kinds AS evidence_kinds, "
    "s.evidence_counts AS evidence_counts, s.evidence_total AS evidence_total, "
    "s.tied_by_ownership AS tied_by_ownership, s.paths AS paths, "
    + _SIDES
    + ", null AS status, null AS decision_id, null AS decided_at, null AS user_id, "
    "null AS user_name, null AS note "
    "ORDER BY s.rank, s.review_id SKIP $offset LIMIT $limit"
)

# --- decided pairs: the decision in force -----------------------------------------------------
_LINK_FIELDS: Final[LiteralString] = (
    "l.review_id AS review_id, l.left_id AS left_id, l.right_id AS right_id, "
    "l.evidence_kinds AS evidence_kinds, l.evidence_counts AS evidence_counts, "
    "l.evidence_total AS evidence_total, l.tied_by_ownership AS tied_by_ownership, "
    "l.paths AS paths, " + _SIDES + ", l.status AS status, l.decision_id AS decision_id, "
    "l.decided_at AS decided_at, l.user_id AS user_id, l.user_name AS user_name, "
    "l.note AS note"
)
_DECIDED: Final[LiteralString] = (
    "MATCH (l:RelatedPartyLink {status: $status}) "
    "MATCH (a:Company {company_id: l.left_id}), (b:Company {company_id: l.right_id}) "
    + _BOTH_VISIBLE
)
COUNT_DECIDED: Final[LiteralString] = _DECIDED + "RETURN count(l) AS total"
LIST_DECIDED: Final[LiteralString] = (
    _DECIDED
    + "RETURN "
    + _LINK_FIELDS
    + " ORDER BY l.decided_at DESC, l.review_id SKIP $offset LIMIT $limit"
)

# A customer's decided pairs (its own scope is checked by the caller; the other side is
# anonymised by the caller, as in the suspected list).
_CUSTOMER_LINKS: Final[LiteralString] = """
CALL () {
    MATCH (l:RelatedPartyLink {left_id: $id, status: $status}) RETURN l
    UNION
    MATCH (l:RelatedPartyLink {right_id: $id, status: $status}) RETURN l
}
MATCH (a:Company {company_id: l.left_id}), (b:Company {company_id: l.right_id})
"""
COUNT_CUSTOMER_LINKS: Final[LiteralString] = _CUSTOMER_LINKS + "RETURN count(l) AS total"
LIST_CUSTOMER_LINKS: Final[LiteralString] = (
    _CUSTOMER_LINKS
    + "RETURN "
    + _LINK_FIELDS
    + " ORDER BY l.decided_at DESC, l.review_id SKIP $offset LIMIT $limit"
)

# --- deciding ---------------------------------------------------------------------------------
# The pair as the published run suspects it (preferred: the evidence is current), else as
# the decision in force left it; only when the caller may see both companies.
FIND_PAIR: Final[LiteralString] = (
    """
CALL () {
    MATCH (s:SuspectedRelation {run_id: $run_id, review_id: $review_id})
    RETURN s.customer_id AS left_id, s.other_id AS right_id, s.evidence_kinds AS evidence_kinds,
           s.evidence_counts AS evidence_counts, s.evidence_total AS evidence_total,
           s.tied_by_ownership AS tied_by_ownership, s.paths AS paths, 0 AS source
    UNION ALL
    MATCH (l:RelatedPartyLink {review_id: $review_id})
    RETURN l.left_id AS left_id, l.right_id AS right_id, l.evidence_kinds AS evidence_kinds,
           l.evidence_counts AS evidence_counts, l.evidence_total AS evidence_total,
           l.tied_by_ownership AS tied_by_ownership, l.paths AS paths, 1 AS source
}
WITH * ORDER BY source, left_id LIMIT 1
MATCH (a:Company {company_id: left_id}), (b:Company {company_id: right_id})
"""
    + _BOTH_VISIBLE
    + "RETURN left_id, right_id, evidence_kinds, evidence_counts, evidence_total, "
    "tied_by_ownership, paths, a.name AS left_name, b.name AS right_name"
)
RECORD_DECISION: Final[LiteralString] = """
CREATE (d:RelatedPartyDecision {
    decision_id: $decision_id, review_id: $review_id, left_id: $left_id, right_id: $right_id,
    left_name: $left_name, right_name: $right_name, verdict: $verdict, note: $note,
    user_id: $user_id, user_name: $user_name, decided_at: $now, run_id: $run_id,
    evidence_kinds: $evidence_kinds, evidence_counts: $evidence_counts,
    evidence_total: $evidence_total, tied_by_ownership: $tied_by_ownership, paths: $paths
})
MERGE (l:RelatedPartyLink {review_id: $review_id})
SET l.left_id = $left_id, l.right_id = $right_id, l.status = $verdict,
    l.decision_id = $decision_id, l.decided_at = $now, l.user_id = $user_id,
    l.user_name = $user_name, l.note = $note, l.evidence_kinds = $evidence_kinds,
    l.evidence_counts = $evidence_counts, l.evidence_total = $evidence_total,
    l.tied_by_ownership = $tied_by_ownership, l.paths = $paths
"""

# --- the audit log ----------------------------------------------------------------------------
_DECISIONS: Final[LiteralString] = (
    "MATCH (d:RelatedPartyDecision) "
    "WHERE ($review_id IS NULL OR d.review_id = $review_id) "
    "MATCH (a:Company {company_id: d.left_id}), (b:Company {company_id: d.right_id}) "
    "WITH d, a, b " + _BOTH_VISIBLE
)
COUNT_DECISIONS: Final[LiteralString] = _DECISIONS + "RETURN count(d) AS total"
LIST_DECISIONS: Final[LiteralString] = (
    _DECISIONS + "RETURN d.decision_id AS decision_id, d.review_id AS review_id, "
    "d.left_id AS left_id, d.right_id AS right_id, "
    + _SIDES
    + ", d.verdict AS verdict, d.note AS note, d.user_id AS user_id, d.user_name AS user_name, "
    "d.decided_at AS decided_at, d.run_id AS run_id "
    "ORDER BY d.decided_at DESC, d.decision_id DESC SKIP $offset LIMIT $limit"
)

# --- groups: the third kind of connection -------------------------------------------------------
GROUP_CONFIRMED_LINKS: Final[LiteralString] = """
MATCH (m:Company)-[:MEMBER_OF]->(:Group {group_id: $group_id, run_id: $group_run})
WITH collect(m.company_id) AS ids
UNWIND ids AS member_id
CALL (member_id) {
    MATCH (l:RelatedPartyLink {left_id: member_id, status: 'confirmed'})
    RETURN l, l.right_id AS other_id
    UNION
    MATCH (l:RelatedPartyLink {right_id: member_id, status: 'confirmed'})
    RETURN l, l.left_id AS other_id
}
WITH ids, member_id, l, other_id WHERE NOT other_id IN ids
MATCH (m:Company {company_id: member_id}), (o:Company {company_id: other_id})
RETURN l.review_id AS review_id, l.decision_id AS decision_id, l.decided_at AS decided_at,
       l.user_id AS user_id, l.user_name AS user_name, l.note AS note,
       l.evidence_kinds AS evidence_kinds, l.evidence_counts AS evidence_counts,
       m.company_id AS member_id, m.name AS member_name,
       coalesce(m.is_customer, false) OR m:Customer AS member_customer,
       m.branch_id AS member_branch,
       o.company_id AS other_id, o.name AS other_name,
       coalesce(o.is_customer, false) OR o:Customer AS other_customer,
       o.branch_id AS other_branch
ORDER BY l.decided_at, l.review_id
"""


@dataclass(frozen=True)
class Side:
    """One company of a pair: id, name and whether it is a customer."""

    company_id: str
    name: str
    is_customer: bool


@dataclass(frozen=True)
class Decision:
    """Who decided what on a pair, when and why."""

    decision_id: str
    verdict: RelatedVerdict
    decided_at: datetime
    user_id: str
    user_name: str | None
    note: str


@dataclass(frozen=True)
class ReviewItem:
    """A pair of the review: its two companies, the evidence, and the decision in force."""

    review_id: str
    left: Side
    right: Side
    relation: StoredRelation  # oriented from ``left`` to ``right``
    decision: Decision | None


@dataclass(frozen=True)
class ReviewPage:
    """A page of review items with the names their evidence paths need."""

    total: int
    items: tuple[ReviewItem, ...]
    person_names: dict[str, str]
    contact_values: dict[str, str]


@dataclass(frozen=True)
class DecisionRecord:
    """One decision of the audit log."""

    review_id: str
    left: Side
    right: Side
    decision: Decision
    run_id: str | None


@dataclass(frozen=True)
class GroupLink:
    """A confirmed related party of a group member, outside the group."""

    review_id: str
    decision: Decision
    strength: dict[str, int]
    member_id: str
    member_name: str
    member_customer: bool
    member_branch: str | None
    other_id: str
    other_name: str
    other_customer: bool
    other_branch: str | None


def _now() -> datetime:
    return datetime.now(UTC)


def _datetime(value: Any) -> datetime:
    converted = value.to_native() if hasattr(value, "to_native") else value
    if not isinstance(converted, datetime):
        raise ValueError(f"not a time: {value!r}")
    return converted


def _decision(row: Mapping[str, Any], verdict_field: str = "status") -> Decision | None:
    if row.get("decision_id") is None:
        return None
    return Decision(
        decision_id=str(row["decision_id"]),
        verdict=RelatedVerdict(str(row[verdict_field])),
        decided_at=_datetime(row["decided_at"]),
        user_id=str(row["user_id"]),
        user_name=row["user_name"],
        note=str(row["note"] or ""),
    )


def _side(row: Mapping[str, Any], prefix: str) -> Side:
    return Side(
        str(row[f"{prefix}_id"]),
        str(row[f"{prefix}_name"] or ""),
        bool(row[f"{prefix}_customer"]),
    )


def _item(row: Mapping[str, Any]) -> ReviewItem:
    return ReviewItem(
        review_id=str(row["review_id"]),
        left=_side(row, "left"),
        right=_side(row, "right"),
        relation=stored_relation({**row, "other_id": row["right_id"]}),
        decision=_decision(row),
    )


def reversed_relation(relation: StoredRelation, other_id: str) -> StoredRelation:
    """The same relation seen from the other company (paths run the other way)."""
    return StoredRelation(
        other_id=other_id,
        strength=relation.strength,
        evidence_total=relation.evidence_total,
        tied_by_ownership=relation.tied_by_ownership,
        evidence=tuple(
            StoredEvidence(e.kind, e.nodes[::-1], e.links[::-1]) for e in relation.evidence
        ),
        review_id=relation.review_id,
    )


def _page(db: Reader, total: int, items: Sequence[ReviewItem]) -> ReviewPage:
    persons, contacts = read_path_names(db, [i.relation for i in items])
    return ReviewPage(total, tuple(items), persons, contacts)


def list_review(
    db: Reader,
    scope: BranchScope,
    run_id: str | None,
    *,
    status: RelatedVerdict | None,
    limit: int,
    offset: int,
) -> ReviewPage:
    """The queue (``status`` None: pairs of run ``run_id`` without a decision) or decided pairs.

    Only pairs whose two companies the caller may see.
    """
    params: dict[str, Any] = {**scope.parameters(), "limit": limit, "offset": offset}
    if status is None:
        if run_id is None:
            return ReviewPage(0, (), {}, {})
        params["run_id"] = run_id
        counted = db.read_one(COUNT_PENDING, params)
        rows = db.read(LIST_PENDING, params)
    else:
        params["status"] = status.value
        counted = db.read_one(COUNT_DECIDED, params)
        rows = db.read(LIST_DECIDED, params)
    return _page(db, int(counted["total"]) if counted else 0, [_item(r) for r in rows])


def list_customer_links(
    db: Reader, customer_id: str, status: RelatedVerdict, *, limit: int, offset: int
) -> ReviewPage:
    """A customer's decided pairs, oriented from the customer (scope: the caller's job)."""
    params = {"id": customer_id, "status": status.value, "limit": limit, "offset": offset}
    counted = db.read_one(COUNT_CUSTOMER_LINKS, params)
    items = []
    for row in db.read(LIST_CUSTOMER_LINKS, params):
        item = _item(row)
        if item.left.company_id != customer_id:
            item = ReviewItem(
                item.review_id,
                item.right,
                item.left,
                reversed_relation(item.relation, item.left.company_id),
                item.decision,
            )
        items.append(item)
    return _page(db, int(counted["total"]) if counted else 0, items)


def record_decision(
    db: Database,
    scope: BranchScope,
    review_id: str,
    verdict: RelatedVerdict,
    *,
    run_id: str | None,
    user_id: str,
    user_name: str | None,
    note: str,
) -> DecisionRecord:
    """Record a reviewer's decision on pair ``review_id``; it is in force at once.

    Raises
    ------
    NotFoundError
        A pair neither suspected by run ``run_id`` nor decided before, or one with a
        company the caller may not see.
    """
    found = db.read_one(FIND_PAIR, {"review_id": review_id, "run_id": run_id, **scope.parameters()})
    if found is None:
        raise NotFoundError(f"related-party pair {review_id} not found")
    decision_id = "RPD-" + uuid.uuid4().hex[:16]
    now = _now()
    db.write(
        RECORD_DECISION,
        {
            "decision_id": decision_id,
            "review_id": review_id,
            "left_id": found["left_id"],
            "right_id": found["right_id"],
            "left_name": found["left_name"],
            "right_name": found["right_name"],
            "verdict": verdict.value,
            "note": note.strip(),
            "user_id": user_id,
            "user_name": user_name,
            "now": now,
            "run_id": run_id,
            "evidence_kinds": found["evidence_kinds"],
            "evidence_counts": found["evidence_counts"],
            "evidence_total": found["evidence_total"],
            "tied_by_ownership": found["tied_by_ownership"],
            "paths": found["paths"],
        },
    )
    total, records = list_decisions(db, scope, review_id=review_id, limit=1, offset=0)
    del total
    return records[0]


def list_decisions(
    db: Reader, scope: BranchScope, *, review_id: str | None, limit: int, offset: int
) -> tuple[int, list[DecisionRecord]]:
    """The audit log, newest first: decisions on pairs whose companies the caller may see."""
    params = {"review_id": review_id, **scope.parameters(), "limit": limit, "offset": offset}
    counted = db.read_one(COUNT_DECISIONS, params)
    records = []
    for row in db.read(LIST_DECISIONS, params):
        decision = _decision(row, "verdict")
        if decision is None:  # pragma: no cover - every decision node has an id
            continue
        records.append(
            DecisionRecord(
                str(row["review_id"]),
                _side(row, "left"),
                _side(row, "right"),
                decision,
                row["run_id"],
            )
        )
    return (int(counted["total"]) if counted else 0), records


def read_group_links(db: Reader, group_id: str, group_run: str | None) -> list[GroupLink]:
    """Confirmed links between a member of the group and a company outside it."""
    links = []
    for row in db.read(GROUP_CONFIRMED_LINKS, {"group_id": group_id, "group_run": group_run}):
        decision = _decision({**row, "status": RelatedVerdict.CONFIRMED.value})
        if decision is None:  # pragma: no cover - a link always names its decision
            continue
        links.append(
            GroupLink(
                review_id=str(row["review_id"]),
                decision=decision,
                strength=dict(
                    zip(row["evidence_kinds"] or (), row["evidence_counts"] or (), strict=True)
                ),
                member_id=str(row["member_id"]),
                member_name=str(row["member_name"] or ""),
                member_customer=bool(row["member_customer"]),
                member_branch=row["member_branch"],
                other_id=str(row["other_id"]),
                other_name=str(row["other_name"] or ""),
                other_customer=bool(row["other_customer"]),
                other_branch=row["other_branch"],
            )
        )
    return links
