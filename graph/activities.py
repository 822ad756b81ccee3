"""Sales activities: visits, calls, meetings, proposals sent and notes RMs log.

An activity is one ``(:Activity {activity_id})`` node, loaded from the ``activities``
file or recorded through the API on an opportunity. It names its RM and is scoped by
the branch that RM works at (``branch_id``), so it counts for that RM and that branch
in the ``sales_activities`` metric and the scorecards. An activity recorded on an
opportunity also appears in the opportunity's own ``activities`` list, written in the
same transaction.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Final, LiteralString

from core.codes import ActivityKind
from core.errors import NotFoundError, OwnershipError

from .branches import BranchScope, scope_predicate
from .database import Database, Reader

#: The load's statement. The branch is the RM's (an activity counts where its RM works).
UPSERT_ACTIVITIES: Final[LiteralString] = """
UNWIND $rows AS row
MATCH (m:RelationshipManager {rm_id: row.rm_id})
MATCH (c:Company {company_id: row.company_id})
MERGE (a:Activity {activity_id: row.activity_id})
SET a.rm_id = row.rm_id, a.branch_id = m.branch_id, a.company_id = row.company_id,
    a.opportunity_id = row.opportunity_id, a.kind = row.kind, a.date = row.date,
    a.notes = row.notes, a.source = 'file'
MERGE (a)-[:ABOUT]->(c)
"""
#: Record one activity on an opportunity in scope: the node and the opportunity's list.
RECORD_ON_OPPORTUNITY: Final[LiteralString] = (
    "MATCH (o:Opportunity {opportunity_id: $opportunity_id}) WHERE "
    + scope_predicate("o")
    + " MATCH (m:RelationshipManager {rm_id: $rm_id}) "
    "OPTIONAL MATCH (c:Company {company_id: o.company_id}) "
    "MERGE (a:Activity {activity_id: $activity_id}) "
    "ON CREATE SET a.rm_id = $rm_id, a.branch_id = m.branch_id, a.company_id = o.company_id, "
    "a.opportunity_id = o.opportunity_id, a.kind = $kind, a.date = date($date), "
    "a.notes = $notes, a.source = 'api', a.recorded_by = $user_id, "
    "a.recorded_at = datetime($at), "
    "o.activities = coalesce(o.activities, []) + [$entry], o.updated_at = datetime($at) "
    "FOREACH (_ IN CASE WHEN c IS NULL THEN [] ELSE [1] END | MERGE (a)-[:ABOUT]->(c)) "
    "RETURN a.activity_id AS activity_id"
)
READ_OPPORTUNITY_OWNER: Final[LiteralString] = (
    "MATCH (o:Opportunity {opportunity_id: $opportunity_id}) WHERE "
    + scope_predicate("o")
    + " RETURN o.owner_rm_id AS owner_rm_id"
)
READ_RM_BRANCH: Final[LiteralString] = (
    "MATCH (m:RelationshipManager {rm_id: $rm_id}) RETURN m.branch_id AS branch_id"
)
#: Activities dated on or before a day, for the KPIs.
ACTIVITIES_ON: Final[LiteralString] = (
    "MATCH (a:Activity) WHERE a.date <= date($on) "
    "RETURN a.activity_id AS activity_id, a.rm_id AS rm_id, a.branch_id AS branch_id, "
    "a.kind AS kind, toString(a.date) AS date, a.opportunity_id AS opportunity_id"
)


@dataclass(frozen=True)
class ActivityFact:
    """One logged activity: who, where it counts, what and when."""

    activity_id: str
    rm_id: str
    branch_id: str | None
    kind: str
    on: date
    opportunity_id: str | None


def read_activities(db: Reader, on: date) -> tuple[ActivityFact, ...]:
    """Every activity dated on or before ``on``."""
    return tuple(
        ActivityFact(
            str(r["activity_id"]),
            str(r["rm_id"]),
            r["branch_id"],
            str(r["kind"]),
            date.fromisoformat(str(r["date"])),
            r["opportunity_id"],
        )
        for r in db.read(ACTIVITIES_ON, {"on": on.isoformat()})
    )


def record_activity(
    db: Database,
    scope: BranchScope,
    opportunity_id: str,
    *,
    rm_id: str,
    kind: ActivityKind,
    on: date,
    notes: str | None,
    user_id: str,
    caller_rm_id: str | None,
) -> str:
    """Record an activity of ``rm_id`` on an opportunity in ``scope``; its new id.

    An RM records only their own activities, on opportunities they own
    (``caller_rm_id``); a manager records for an RM of their subtree.

    Raises
    ------
    NotFoundError
        The opportunity is absent or outside ``scope``, or the RM is not in ``scope``.
    OwnershipError
        An RM recording on someone else's opportunity or for another RM.
    """
    owner = db.read_one(
        READ_OPPORTUNITY_OWNER, {**scope.parameters(), "opportunity_id": opportunity_id}
    )
    if owner is None:
        raise NotFoundError(f"opportunity {opportunity_id} not found")
    if caller_rm_id is not None and (rm_id != caller_rm_id or owner["owner_rm_id"] != rm_id):
        raise OwnershipError(
            "an RM records their own activities on the opportunities they own",
            details={"id": opportunity_id},
        )
    rm_branch = db.read_one(READ_RM_BRANCH, {"rm_id": rm_id})
    if rm_branch is None or not scope.allows(rm_branch["branch_id"]):
        raise NotFoundError(f"relationship manager {rm_id} not found")
    activity_id = f"ACT-{uuid.uuid4().hex[:16]}"
    at = datetime.now(UTC).isoformat()
    entry = json.dumps(
        {
            "activity_id": activity_id,
            "kind": kind,
            "date": on.isoformat(),
            "text": notes or "",
            "rm_id": rm_id,
            "by": user_id,
            "recorded_at": at,
        },
        ensure_ascii=False,
    )
    rows = db.write_returning(
        RECORD_ON_OPPORTUNITY,
        {
            **scope.parameters(),
            "opportunity_id": opportunity_id,
            "rm_id": rm_id,
            "activity_id": activity_id,
            "kind": kind,
            "date": on.isoformat(),
            "notes": notes,
            "user_id": user_id,
            "at": at,
            "entry": entry,
        },
    )
    if not rows:
        raise NotFoundError(f"opportunity {opportunity_id} not found")
    return activity_id
