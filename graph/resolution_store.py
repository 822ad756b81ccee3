"""Entity resolution in Neo4j: the review queue, the decisions and their audit, branch links.

Nodes and relationships:

``(:ResolutionCandidate {candidate_id})``
    A scored pair of counterparty records (``left_id``/``right_id``: a company id or
    the id a name-only counterparty gets), with ``probability``, ``match_weight``,
    ``features`` (the evidence, strongest first) and ``status``: ``pending`` (the
    review queue), ``merged`` (scored above the auto-merge threshold), ``accepted``,
    ``rejected``, ``unsure`` or ``kept_apart`` (scored high, but merging would join
    a rejected pair). Every load rewrites them; pairs that are no longer candidates
    go, unless a decision names them.
``(:ResolutionDecision {decision_id})``
    One reviewer decision, never changed or deleted by corpgraph: ``candidate_id``,
    ``left_id``, ``right_id``, ``judgement`` (positive, negative, unsure), who
    (``user_id``, ``user_name``), when (``decided_at``) and why (``reason``). The
    latest decision on a pair is in force; every load re-applies it and counts that
    on the decision (``applied_count``, ``last_applied_at``). The decisions are the
    audit log.
``(:Company)-[:BRANCH_OF {place}]->(:Company)``
    A branch office and its head company.

Decisions live in the graph with the data they judge: ``corpgraph db wipe`` deletes
them with everything else (a wiped graph starts over, and its new flow ledger has
no sides the old decisions could name). ``corpgraph resolve export`` keeps them in a
file and ``resolve import`` brings them back.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final, LiteralString, Protocol

from core.errors import InputValidationError, NotFoundError
from core.judgements import Judgement, candidate_id, ordered_pair

from .branches import BranchScope, scope_predicate
from .database import Database

#: Statuses a candidate can have; ``pending`` is the review queue.
CANDIDATE_STATUSES: Final = ("pending", "merged", "accepted", "rejected", "unsure", "kept_apart")
_STATUS_OF: Final = {
    Judgement.POSITIVE: "accepted",
    Judgement.NEGATIVE: "rejected",
    Judgement.UNSURE: "unsure",
}

WRITE_CANDIDATES: Final[LiteralString] = """
UNWIND $rows AS row
MERGE (k:ResolutionCandidate {candidate_id: row.candidate_id})
SET k.left_id = row.left_id, k.right_id = row.right_id,
    k.left_name = row.left_name, k.right_name = row.right_name,
    k.probability = row.probability, k.match_weight = row.match_weight,
    k.features = row.features, k.features_zh = row.features_zh, k.status = row.status,
    k.updated_at = $now
"""
CLEAR_STALE_CANDIDATES: Final[LiteralString] = """
MATCH (k:ResolutionCandidate)
WHERE NOT k.candidate_id IN $ids
  AND NOT EXISTS { MATCH (d:ResolutionDecision) WHERE d.candidate_id = k.candidate_id }
DETACH DELETE k
"""
WRITE_BRANCH_LINKS: Final[LiteralString] = """
UNWIND $rows AS row
MATCH (b:Company {company_id: row.branch_id})
MATCH (h:Company {company_id: row.head_id})
MERGE (b)-[r:BRANCH_OF]->(h)
SET r.place = row.place
"""
CLEAR_STALE_BRANCH_LINKS: Final[LiteralString] = """
MATCH (b:Company)-[r:BRANCH_OF]->(h:Company)
WHERE NOT (b.company_id + '|' + h.company_id) IN $keys
DELETE r
"""
READ_DECISIONS_IN_FORCE: Final[LiteralString] = """
MATCH (d:ResolutionDecision)
WITH d ORDER BY d.decided_at DESC, d.decision_id DESC
WITH d.candidate_id AS candidate_id, collect(d)[0] AS latest
RETURN latest.decision_id AS decision_id, latest.left_id AS left_id,
       latest.right_id AS right_id, latest.judgement AS judgement
"""
MARK_APPLIED: Final[LiteralString] = """
MATCH (d:ResolutionDecision) WHERE d.decision_id IN $ids
SET d.applied_count = coalesce(d.applied_count, 0) + 1, d.last_applied_at = $now
"""
DELETE_FLOWS_OF: Final[LiteralString] = """
MATCH (c:Company)-[r:PAYS]-() WHERE c.company_id IN $ids
DELETE r
"""
DELETE_RETIRED: Final[LiteralString] = """
MATCH (c:Company) WHERE c.company_id IN $ids AND c.source = 'transactions'
  AND NOT EXISTS { (c)-[:PAYS]-() }
DETACH DELETE c
"""

READ_COMPANIES_FOR_MATCHING: Final[LiteralString] = """
MATCH (c:Company)
RETURN c.company_id AS id, c.name AS name, c.uscc AS uscc, c.region AS region,
       c.source AS source
"""

_CANDIDATE_FILTER: Final[LiteralString] = (
    "MATCH (k:ResolutionCandidate) "
    "WHERE ($status IS NULL OR k.status = $status) "
    "AND ($min_probability IS NULL OR k.probability >= $min_probability) "
    # A pair naming a customer outside the caller's branches is not shown at all.
    "AND NOT EXISTS { MATCH (c:Customer) WHERE c.company_id IN [k.left_id, k.right_id] "
    "AND NOT " + scope_predicate("c") + " } "
)
COUNT_CANDIDATES: Final[LiteralString] = _CANDIDATE_FILTER + "RETURN count(k) AS total"
LIST_CANDIDATES: Final[LiteralString] = (
    _CANDIDATE_FILTER + "OPTIONAL MATCH (l:Company {company_id: k.left_id}) "
    "OPTIONAL MATCH (r:Company {company_id: k.right_id}) "
    "RETURN k.candidate_id AS candidate_id, k.left_id AS left_id, k.right_id AS right_id, "
    "coalesce(l.name, k.left_name) AS left_name, coalesce(r.name, k.right_name) AS right_name, "
    "k.probability AS probability, k.match_weight AS match_weight, k.features AS features, "
    "k.features_zh AS features_zh, "
    "k.status AS status, k.updated_at AS updated_at, "
    "l IS NOT NULL AND l.source = 'companies' AS left_registered, "
    "r IS NOT NULL AND r.source = 'companies' AS right_registered "
    "ORDER BY k.probability DESC, k.candidate_id SKIP $offset LIMIT $limit"
)
GET_CANDIDATE: Final[LiteralString] = (
    "MATCH (k:ResolutionCandidate {candidate_id: $candidate_id}) "
    "WHERE NOT EXISTS { MATCH (c:Customer) WHERE c.company_id IN [k.left_id, k.right_id] "
    "AND NOT " + scope_predicate("c") + " } "
    "RETURN k.left_id AS left_id, k.right_id AS right_id, k.status AS status"
)
RECORD_DECISION: Final[LiteralString] = """
MATCH (k:ResolutionCandidate {candidate_id: $candidate_id})
CREATE (d:ResolutionDecision {
    decision_id: $decision_id, candidate_id: $candidate_id, left_id: k.left_id,
    right_id: k.right_id, left_name: k.left_name, right_name: k.right_name,
    judgement: $judgement, reason: $reason, user_id: $user_id, user_name: $user_name,
    decided_at: $now, probability_at_decision: k.probability, applied_count: 0
})
SET k.status = $status, k.updated_at = $now
RETURN d.decision_id AS decision_id
"""
_DECISION_FIELDS: Final[LiteralString] = (
    "d.decision_id AS decision_id, d.candidate_id AS candidate_id, d.left_id AS left_id, "
    "d.right_id AS right_id, d.left_name AS left_name, d.right_name AS right_name, "
    "d.judgement AS judgement, d.reason AS reason, d.user_id AS user_id, "
    "d.user_name AS user_name, d.decided_at AS decided_at, "
    "d.probability_at_decision AS probability, coalesce(d.applied_count, 0) AS applied_count, "
    "d.last_applied_at AS last_applied_at"
)
_DECISION_FILTER: Final[LiteralString] = (
    "MATCH (d:ResolutionDecision) "
    "WHERE ($candidate_id IS NULL OR d.candidate_id = $candidate_id) "
    "AND NOT EXISTS { MATCH (c:Customer) WHERE c.company_id IN [d.left_id, d.right_id] "
    "AND NOT " + scope_predicate("c") + " } "
)
COUNT_DECISIONS: Final[LiteralString] = _DECISION_FILTER + "RETURN count(d) AS total"
LIST_DECISIONS: Final[LiteralString] = (
    _DECISION_FILTER + "RETURN " + _DECISION_FIELDS + " "
    "ORDER BY d.decided_at DESC, d.decision_id DESC SKIP $offset LIMIT $limit"
)
IMPORT_DECISION: Final[LiteralString] = """
UNWIND $rows AS row
MERGE (d:ResolutionDecision {decision_id: row.decision_id})
ON CREATE SET d += row
"""
ALL_DECISIONS: Final[LiteralString] = (
    "MATCH (d:ResolutionDecision) RETURN properties(d) AS props ORDER BY d.decided_at, "
    "d.decision_id"
)


class ScoredPair(Protocol):
    """What a load found about a pair (``loaders.entity_resolution.ReviewCandidate``)."""

    @property
    def candidate_id(self) -> str: ...
    @property
    def left_id(self) -> str: ...
    @property
    def right_id(self) -> str: ...
    @property
    def left_name(self) -> str: ...
    @property
    def right_name(self) -> str: ...
    @property
    def probability(self) -> float: ...
    @property
    def match_weight(self) -> float: ...
    @property
    def features(self) -> tuple[str, ...]: ...
    @property
    def features_zh(self) -> tuple[str, ...]: ...
    @property
    def status(self) -> str: ...


class BranchOf(Protocol):
    """A branch office and its head (``loaders.entity_resolution.BranchLink``)."""

    @property
    def branch_id(self) -> str: ...
    @property
    def head_id(self) -> str: ...
    @property
    def place(self) -> str: ...


@dataclass(frozen=True)
class CandidateRow:
    """A candidate pair as the queue shows it."""

    candidate_id: str
    left_id: str
    right_id: str
    left_name: str
    right_name: str
    probability: float
    match_weight: float
    features: tuple[str, ...]
    features_zh: tuple[str, ...]
    status: str
    updated_at: datetime | None
    left_registered: bool
    right_registered: bool


@dataclass(frozen=True)
class DecisionRow:
    """One decision of the audit log."""

    decision_id: str
    candidate_id: str
    left_id: str
    right_id: str
    left_name: str | None
    right_name: str | None
    judgement: Judgement
    reason: str
    user_id: str
    user_name: str | None
    decided_at: datetime
    probability: float | None
    applied_count: int
    last_applied_at: datetime | None


def _now() -> datetime:
    return datetime.now(UTC)


def _datetime(value: Any) -> datetime | None:
    if value is None:
        return None
    converted = value.to_native() if hasattr(value, "to_native") else value
    return converted if isinstance(converted, datetime) else None


# --- what a load reads and writes --------------------------------------------------------------
@dataclass(frozen=True)
class StoredCompany:
    """A company in the graph as matching sees it."""

    company_id: str
    name: str
    uscc: str | None
    region: str | None
    from_payments: bool  # created from a payment side, not registered


def read_companies_for_matching(db: Database) -> list[StoredCompany]:
    """Every company: id, name, USCC, region and whether payments created it."""
    return [
        StoredCompany(
            str(r["id"]),
            str(r["name"] or r["id"]),
            r["uscc"],
            r["region"],
            r["source"] == "transactions",
        )
        for r in db.read(READ_COMPANIES_FOR_MATCHING)
    ]


def read_judgements(db: Database) -> tuple[dict[tuple[str, str], Judgement], list[str]]:
    """The decisions in force by ordered pair, and their decision ids."""
    judgements: dict[tuple[str, str], Judgement] = {}
    ids: list[str] = []
    for row in db.read(READ_DECISIONS_IN_FORCE):
        judgements[ordered_pair(str(row["left_id"]), str(row["right_id"]))] = Judgement(
            str(row["judgement"])
        )
        ids.append(str(row["decision_id"]))
    return judgements, ids


def write_candidates(db: Database, candidates: Sequence[ScoredPair]) -> None:
    """Store this load's candidate pairs; drop undecided pairs that are no longer candidates."""
    rows = [
        {
            "candidate_id": c.candidate_id,
            "left_id": c.left_id,
            "right_id": c.right_id,
            "left_name": c.left_name,
            "right_name": c.right_name,
            "probability": c.probability,
            "match_weight": c.match_weight,
            "features": list(c.features),
            "features_zh": list(c.features_zh),
            "status": c.status,
        }
        for c in candidates
    ]
    db.write_rows(WRITE_CANDIDATES, rows, extra_parameters={"now": _now()})
    db.write(CLEAR_STALE_CANDIDATES, {"ids": [c.candidate_id for c in candidates]})


def write_branch_links(db: Database, links: Sequence[BranchOf]) -> None:
    """``BRANCH_OF`` edges exactly as resolved (stale ones removed)."""
    rows = [{"branch_id": k.branch_id, "head_id": k.head_id, "place": k.place} for k in links]
    db.write_rows(WRITE_BRANCH_LINKS, rows)
    db.write(CLEAR_STALE_BRANCH_LINKS, {"keys": [f"{k.branch_id}|{k.head_id}" for k in links]})


def mark_applied(db: Database, decision_ids: Sequence[str]) -> None:
    """Count one more application of every decision in force (the audit of re-application)."""
    if decision_ids:
        db.write(MARK_APPLIED, {"ids": list(decision_ids), "now": _now()})


def delete_flows_of(db: Database, company_ids: Iterable[str]) -> None:
    """Remove every ``PAYS`` edge of these companies (their flows are written again)."""
    ids = sorted(set(company_ids))
    for start in range(0, len(ids), 5_000):
        db.write(DELETE_FLOWS_OF, {"ids": ids[start : start + 5_000]})


def delete_retired(db: Database, company_ids: Iterable[str]) -> None:
    """Delete counterparties created from payments that no side resolves to any more."""
    ids = sorted(set(company_ids))
    if ids:
        db.write(DELETE_RETIRED, {"ids": ids})


# --- the review queue ------------------------------------------------------------------------
def _candidate(row: Mapping[str, Any]) -> CandidateRow:
    return CandidateRow(
        candidate_id=str(row["candidate_id"]),
        left_id=str(row["left_id"]),
        right_id=str(row["right_id"]),
        left_name=str(row["left_name"] or row["left_id"]),
        right_name=str(row["right_name"] or row["right_id"]),
        probability=float(row["probability"] or 0.0),
        match_weight=float(row["match_weight"] or 0.0),
        features=tuple(str(f) for f in row["features"] or ()),
        features_zh=tuple(str(f) for f in row["features_zh"] or ()),
        status=str(row["status"]),
        updated_at=_datetime(row["updated_at"]),
        left_registered=bool(row["left_registered"]),
        right_registered=bool(row["right_registered"]),
    )


def list_candidates(
    db: Database,
    scope: BranchScope,
    *,
    status: str | None = "pending",
    min_probability: float | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[int, list[CandidateRow]]:
    """Candidate pairs (the queue by default), most probable first."""
    if status is not None and status not in CANDIDATE_STATUSES:
        raise InputValidationError(
            f"unknown status {status}", details={"statuses": list(CANDIDATE_STATUSES)}
        )
    params = {"status": status, "min_probability": min_probability, **scope.parameters()}
    total_row = db.read_one(COUNT_CANDIDATES, params)
    rows = db.read(LIST_CANDIDATES, {**params, "limit": limit, "offset": offset})
    return int(total_row["total"]) if total_row else 0, [_candidate(r) for r in rows]


def record_decision(
    db: Database,
    scope: BranchScope,
    candidate: str,
    judgement: Judgement,
    *,
    user_id: str,
    user_name: str | None,
    reason: str,
) -> DecisionRow:
    """Record a reviewer's decision on a candidate pair; it applies from the next load on.

    Raises
    ------
    NotFoundError
        An unknown candidate, or one naming a customer outside the caller's branches.
    InputValidationError
        An empty reason: every decision says why.
    """
    if not reason.strip():
        raise InputValidationError("a decision needs a reason", details={"field": "reason"})
    found = db.read_one(GET_CANDIDATE, {"candidate_id": candidate, **scope.parameters()})
    if found is None:
        raise NotFoundError(f"candidate pair {candidate} not found")
    decision_id = "RD-" + uuid.uuid4().hex[:16]
    db.write(
        RECORD_DECISION,
        {
            "candidate_id": candidate,
            "decision_id": decision_id,
            "judgement": judgement.value,
            "status": _STATUS_OF[judgement],
            "reason": reason.strip(),
            "user_id": user_id,
            "user_name": user_name,
            "now": _now(),
        },
    )
    total, rows = list_decisions(db, scope, candidate=candidate, limit=1)
    del total
    return rows[0]


def _decision(row: Mapping[str, Any]) -> DecisionRow:
    decided = _datetime(row["decided_at"])
    if decided is None:
        raise ValueError("a decision without a time")
    return DecisionRow(
        decision_id=str(row["decision_id"]),
        candidate_id=str(row["candidate_id"]),
        left_id=str(row["left_id"]),
        right_id=str(row["right_id"]),
        left_name=row["left_name"],
        right_name=row["right_name"],
        judgement=Judgement(str(row["judgement"])),
        reason=str(row["reason"] or ""),
        user_id=str(row["user_id"]),
        user_name=row["user_name"],
        decided_at=decided,
        probability=float(row["probability"]) if row["probability"] is not None else None,
        applied_count=int(row["applied_count"]),
        last_applied_at=_datetime(row["last_applied_at"]),
    )


def list_decisions(
    db: Database,
    scope: BranchScope,
    *,
    candidate: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[int, list[DecisionRow]]:
    """The audit log: decisions, newest first."""
    params = {"candidate_id": candidate, **scope.parameters()}
    total_row = db.read_one(COUNT_DECISIONS, params)
    rows = db.read(LIST_DECISIONS, {**params, "limit": limit, "offset": offset})
    return int(total_row["total"]) if total_row else 0, [_decision(r) for r in rows]


# --- keeping decisions across a wipe -----------------------------------------------------------
def export_decisions(db: Database) -> list[dict[str, Any]]:
    """Every decision as plain JSON-ready dicts (times as ISO text), oldest first."""
    out = []
    for row in db.read(ALL_DECISIONS):
        props = dict(row["props"])
        for key in ("decided_at", "last_applied_at"):
            value = _datetime(props.get(key))
            props[key] = value.isoformat() if value is not None else None
        out.append(props)
    return out


def import_decisions(db: Database, decisions: Iterable[Mapping[str, Any]]) -> int:
    """Bring back exported decisions (idempotent: a decision id already stored is kept).

    Raises
    ------
    InputValidationError
        A decision without ids, judgement, reason, user or time.
    """
    rows = []
    for number, item in enumerate(decisions, start=1):
        try:
            left, right = ordered_pair(str(item["left_id"]), str(item["right_id"]))
            row = {
                "decision_id": str(item["decision_id"]),
                "candidate_id": candidate_id(left, right),
                "left_id": left,
                "right_id": right,
                "left_name": item.get("left_name"),
                "right_name": item.get("right_name"),
                "judgement": Judgement(str(item["judgement"])).value,
                "reason": str(item["reason"]),
                "user_id": str(item["user_id"]),
                "user_name": item.get("user_name"),
                "decided_at": datetime.fromisoformat(str(item["decided_at"])),
                "applied_count": 0,
            }
        except (KeyError, ValueError) as error:
            raise InputValidationError(
                f"decision {number} of the file is incomplete or invalid: {error}"
            ) from error
        rows.append(row)
    if rows:
        db.write_rows(IMPORT_DECISION, rows)
    return len(rows)


def decisions_file_text(decisions: Sequence[Mapping[str, Any]]) -> str:
    """The export as indented JSON (UTF-8, Chinese kept readable)."""
    return json.dumps(list(decisions), ensure_ascii=False, indent=2, sort_keys=True) + "\n"
