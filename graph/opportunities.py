"""Opportunities (商机库): created from a prospect, an event or a recommendation.

Stages run identified → contacted → proposal → won / lost. The rules
(:func:`check_stage_move`) are pure:

- forward moves between open stages are allowed (a first meeting can bring a
  proposal straight away);
- moving **back** to an earlier open stage needs a ``reason`` (never silent);
- ``won`` only from ``proposal``; ``lost`` from any open stage;
- ``won`` and ``lost`` are final: nothing leaves them.

Every move appends ``{from, to, by, at, reason}`` to the stage history. An
opportunity is scoped by its ``branch_id``: the customer's booking branch, or for
a prospect its suggested branch (or the creator's home branch).

Everyone in scope reads an opportunity; only its owner RM, a manager whose branch
subtree holds the owner's branch, or an admin changes it (:func:`may_change`).
Every stored opportunity has a ``version`` that each change increments: a change
names the version it read and is refused (412) when another change came first,
so no edit silently undoes another. An event or a prospect becomes at most one
opportunity (``origin_key``), and a create retried with the same idempotency key
finds the first result.
"""

from __future__ import annotations

import hashlib
import json
import logging
import uuid
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Final, LiteralString

from core.codes import CLOSED_STAGES, OPEN_STAGES, SOURCES, STAGES, Role
from core.errors import (
    ConflictError,
    IdempotencyKeyReusedError,
    InputValidationError,
    NotFoundError,
    OwnershipError,
    PreconditionFailedError,
)
from core.money import currency_code, exact_minor_units, from_minor_units

from .branches import BranchScope, scope_predicate
from .compute_runs import published_runs
from .customers import money
from .database import Database, Reader
from .events import get_event
from .models import OpportunityOut

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class StageMove:
    """An allowed stage move and whether it goes backwards."""

    from_stage: str
    to_stage: str
    backwards: bool


def check_stage_move(current: str, target: str, reason: str | None = None) -> StageMove:
    """Validate a stage move; raise :class:`InputValidationError` (422) when illegal.

    Examples
    --------
    >>> check_stage_move("identified", "contacted").backwards
    False
    >>> check_stage_move("proposal", "contacted", "client asked to restart").backwards
    True
    """
    if target not in STAGES:
        raise InputValidationError(f"unknown stage {target}", details={"allowed": list(STAGES)})
    if current in CLOSED_STAGES:
        raise InputValidationError(
            f"the opportunity is {current}; a closed opportunity cannot change stage",
            details={"from": current, "to": target},
        )
    if target == "won" and current != "proposal":
        raise InputValidationError(
            "an opportunity is won only from the proposal stage",
            details={"from": current, "to": target},
        )
    backwards = target in OPEN_STAGES and OPEN_STAGES.index(target) < OPEN_STAGES.index(current)
    if backwards and not (reason and reason.strip()):
        raise InputValidationError(
            f"moving back from {current} to {target} needs a reason",
            details={"from": current, "to": target},
        )
    return StageMove(current, target, backwards)


def parse_money(amount: str, currency: str) -> tuple[int, str]:
    """Exact minor units and the ISO code of a decimal string amount.

    Examples
    --------
    >>> parse_money("1234.50", "cny")
    (123450, 'CNY')
    """
    problem = InputValidationError(
        "expected_amount must be a non-negative decimal in a known currency",
        details={"amount": amount, "currency": currency},
    )
    try:
        value = Decimal(amount)
    except InvalidOperation as error:
        raise problem from error
    code = currency_code(currency)
    try:
        minor = (
            exact_minor_units(value, code) if code and value.is_finite() and value >= 0 else None
        )
    except OverflowError as error:
        raise problem from error
    if code is None or minor is None:
        raise problem
    return minor, code


# --- Cypher ---------------------------------------------------------------------------------
#: A prospect's suggested branch and RM are those of the published prospects run.
READ_COMPANY: Final[LiteralString] = (
    "MATCH (c:Company {company_id: $company_id}) "
    "OPTIONAL MATCH (r:Prospect {run_id: $prospect_run, company_id: $company_id}) "
    "RETURN c.company_id AS id, c.name AS name, coalesce(c.is_customer, false) AS is_customer, "
    "c.branch_id AS branch_id, c.rm_id AS rm_id, r.suggested_branch_id AS suggested_branch_id, "
    "r.suggested_rm_id AS suggested_rm_id"
)
#: The properties of a new opportunity; each CREATE_BY_* below merges on one unique key.
_ON_CREATE: Final[LiteralString] = """
ON CREATE SET o.opportunity_id = $id, o.company_id = $company_id, o.company_name = $company_name,
    o.is_customer = $is_customer, o.source = $source, o.source_id = $source_id,
    o.product = $product, o.amount_minor = $amount_minor, o.currency = $currency,
    o.stage = 'identified', o.owner_rm_id = $owner_rm_id, o.branch_id = $branch_id,
    o.due_date = $due_date, o.notes = $notes, o.activities = [], o.history = [$entry],
    o.created_by = $user_id, o.created_at = datetime($at), o.updated_at = datetime($at),
    o.version = 1, o.origin_key = $origin_key, o.idempotency_key = $idempotency_key,
    o.idempotency_hash = $idempotency_hash
WITH o, o.opportunity_id = $id AS created
// An event turned into its opportunity is actioned and links it, in the same transaction.
OPTIONAL MATCH (e:Event {event_id: $event_id})
FOREACH (_ IN CASE WHEN created AND e IS NOT NULL THEN [1] ELSE [] END |
    SET e.opportunity_id = o.opportunity_id, e.status = 'actioned',
        e.history = coalesce(e.history, []) + [$event_entry],
        e.status_changed_at = datetime($at), e.status_changed_by = $user_id)
RETURN o.opportunity_id AS id, created, o.idempotency_key AS idempotency_key,
    o.idempotency_hash AS idempotency_hash
"""
#: MERGE under a uniqueness constraint locks the key, so concurrent creates meet one node.
CREATE_BY_ORIGIN: Final[LiteralString] = (
    "MERGE (o:Opportunity {origin_key: $origin_key})" + _ON_CREATE
)
CREATE_BY_IDEMPOTENCY_KEY: Final[LiteralString] = (
    "MERGE (o:Opportunity {idempotency_key: $idempotency_key})" + _ON_CREATE
)
CREATE_NEW: Final[LiteralString] = "MERGE (o:Opportunity {opportunity_id: $id})" + _ON_CREATE
FIND_BY_IDEMPOTENCY_KEY: Final[LiteralString] = (
    "MATCH (o:Opportunity {idempotency_key: $idempotency_key}) "
    "RETURN o.opportunity_id AS id, o.idempotency_hash AS idempotency_hash"
)
READ_RM: Final[LiteralString] = (
    "MATCH (m:RelationshipManager {rm_id: $rm_id}) RETURN m.branch_id AS branch_id"
)
OPP_FIELDS: Final[LiteralString] = (
    "o.opportunity_id AS id, o.company_id AS company_id, o.company_name AS company_name, "
    "o.is_customer AS is_customer, o.source AS source, o.source_id AS source_id, "
    "o.product AS product, o.amount_minor AS amount_minor, o.currency AS currency, "
    "o.stage AS stage, o.owner_rm_id AS owner_rm_id, o.branch_id AS branch_id, "
    "o.due_date AS due_date, o.notes AS notes, o.activities AS activities, "
    "o.history AS history, o.created_by AS created_by, toString(o.created_at) AS created_at, "
    "toString(o.updated_at) AS updated_at, coalesce(o.version, 1) AS version, "
    "o.specialist_id AS specialist_id, o.assignments AS assignments"
)
GET_OPPORTUNITY: Final[LiteralString] = (
    "MATCH (o:Opportunity {opportunity_id: $id}) WHERE "
    + scope_predicate("o")
    + " RETURN "
    + OPP_FIELDS
)
#: The list's filters other than the company. A company's opportunities (the 360, the
#: list filtered by company) anchor on the ``opportunity_company`` index instead of
#: ``$company IS NULL OR ...``, which the planner cannot use for a seek.
LIST_FILTERS: Final[LiteralString] = (
    scope_predicate("o") + " "
    "AND ($stage IS NULL OR o.stage = $stage) "
    "AND ($rm IS NULL OR o.owner_rm_id = $rm) "
    "AND ($branch_ids IS NULL OR o.branch_id IN $branch_ids) "
)
LIST_MATCH: Final[LiteralString] = "MATCH (o:Opportunity) WHERE " + LIST_FILTERS
LIST_MATCH_COMPANY: Final[LiteralString] = (
    "MATCH (o:Opportunity {company_id: $company}) WHERE " + LIST_FILTERS
)
_LIST_ORDER: Final[LiteralString] = (
    " ORDER BY o.created_at DESC, o.opportunity_id SKIP $offset LIMIT $limit"
)
LIST_COUNT: Final[LiteralString] = LIST_MATCH + "RETURN count(o) AS total"
LIST_PAGE: Final[LiteralString] = LIST_MATCH + "RETURN " + OPP_FIELDS + _LIST_ORDER
LIST_COUNT_COMPANY: Final[LiteralString] = LIST_MATCH_COMPANY + "RETURN count(o) AS total"
LIST_PAGE_COMPANY: Final[LiteralString] = LIST_MATCH_COMPANY + "RETURN " + OPP_FIELDS + _LIST_ORDER
#: Optimistic update. ``SET o._lock`` takes the node's write lock first, so the version
#: is read after any concurrent change committed (Neo4j reads committed data, and
#: without the lock two writers could both see the old version); the change applies
#: only when that version is the one the caller read, and increments it.
UPDATE_OPPORTUNITY: Final[LiteralString] = (
    "MATCH (o:Opportunity {opportunity_id: $id}) WHERE "
    + scope_predicate("o")
    + " SET o._lock = true "
    "WITH o, coalesce(o.version, 1) = $expected_version AS fresh "
    "FOREACH (_ IN CASE WHEN fresh THEN [1] ELSE [] END | "
    "SET o.stage = $stage, o.product = $product, o.amount_minor = $amount_minor, "
    "o.currency = $currency, o.owner_rm_id = $owner_rm_id, o.due_date = $due_date, "
    "o.notes = $notes, o.history = o.history + $entries, "
    "o.activities = o.activities + $activities, o.updated_at = datetime($at), "
    "o.version = coalesce(o.version, 1) + 1) "
    # An activity is also its own node (graph.activities), which the KPIs count.
    "FOREACH (a IN CASE WHEN fresh THEN $activity_nodes ELSE [] END | "
    "MERGE (n:Activity {activity_id: a.activity_id}) "
    "SET n += a, n.date = date(a.date), n.recorded_at = datetime($at), "
    "n.opportunity_id = o.opportunity_id, n.company_id = o.company_id) "
    "REMOVE o._lock "
    "RETURN fresh AS applied, o.version AS version"
)
PIPELINE: Final[LiteralString] = (
    "MATCH (o:Opportunity) WHERE " + scope_predicate("o") + " "
    "RETURN o.branch_id AS branch_id, o.owner_rm_id AS rm_id, o.stage AS stage, "
    "o.currency AS currency, count(o) AS count, sum(coalesce(o.amount_minor, 0)) AS amount_minor "
    "ORDER BY branch_id, rm_id, stage, currency"
)


def _item(row: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "id": row["id"],
        "company": {
            "id": row["company_id"],
            "name": row["company_name"],
            "is_customer": row["is_customer"],
        },
        "source": {"kind": row["source"], "id": row["source_id"]},
        "product": row["product"],
        "expected_amount": money(row["amount_minor"], row["currency"]),
        "stage": row["stage"],
        "owner_rm_id": row["owner_rm_id"],
        "branch_id": row["branch_id"],
        "due_date": row["due_date"],
        "notes": row["notes"],
        "activities": [json.loads(a) for a in row["activities"] or []],
        "history": [json.loads(h) for h in row["history"] or []],
        "created_by": row["created_by"],
        "created_at": row["created_at"],
        "updated_at": row["updated_at"],
        "version": int(row["version"]),
        "specialist_id": row["specialist_id"],
        "assignments": [json.loads(a) for a in row["assignments"] or []],
    }


@dataclass(frozen=True)
class NewOpportunity:
    """What a caller supplies to create an opportunity."""

    source: str
    source_id: str | None = None
    company_id: str | None = None
    product: str | None = None
    amount: str | None = None
    currency: str | None = None
    owner_rm_id: str | None = None
    due_date: date | None = None
    notes: str | None = None


def _company_in_scope(db: Database, scope: BranchScope, company_id: str) -> dict[str, Any]:
    row = db.read_one(
        READ_COMPANY,
        {"company_id": company_id, "prospect_run": published_runs(db, ("prospects",)).prospects},
    )
    if row is None:
        raise NotFoundError(f"company {company_id} not found")
    branch = row["branch_id"] if row["is_customer"] else row["suggested_branch_id"]
    if (row["is_customer"] or branch is not None) and not scope.allows(branch):
        raise NotFoundError(f"company {company_id} not found")
    return row


@dataclass(frozen=True)
class Editor:
    """Who writes: the user, their role and the relationship manager they are (if any)."""

    user_id: str
    role: Role
    rm_id: str | None = None


@dataclass(frozen=True)
class Created:
    """The outcome of a create: the opportunity, and whether this request made it."""

    opportunity: dict[str, Any]
    created: bool


def may_change(
    editor: Editor, scope: BranchScope, owner_rm_id: str | None, owner_branch: str | None
) -> bool:
    """Whether ``editor`` may change an opportunity owned by ``owner_rm_id``.

    ``owner_branch`` is the owner RM's branch (the opportunity's branch when it has
    no owner). The owner RM, a manager whose subtree holds that branch, or an admin.

    Examples
    --------
    >>> from graph.branches import BranchTree
    >>> tree = BranchTree.from_parents({"HO": None, "BJ": "HO", "BJ01": "BJ", "SH": "HO"})
    >>> bj = BranchScope.for_home_branch(tree, "BJ")
    >>> may_change(Editor("u1", Role.RM, "RM-1"), bj, "RM-1", "BJ01")
    True
    >>> may_change(Editor("u2", Role.RM, "RM-2"), bj, "RM-1", "BJ01")
    False
    >>> may_change(Editor("u3", Role.MANAGER), bj, "RM-1", "BJ01")
    True
    >>> sh = BranchScope.for_home_branch(tree, "SH")
    >>> may_change(Editor("u4", Role.MANAGER), sh, "RM-1", "BJ01")
    False
    >>> may_change(Editor("u5", Role.RISK), bj, "RM-1", "BJ01")
    False
    """
    if editor.role is Role.ADMIN:
        return True
    if editor.role is Role.RM:
        return owner_rm_id is not None and editor.rm_id == owner_rm_id
    if editor.role is Role.MANAGER:
        return scope.allows(owner_branch)
    return False


def _check_owner(db: Database, scope: BranchScope, rm_id: str) -> None:
    """An ``owner_rm_id`` a caller sets must be an RM within their branch subtree.

    An RM of another branch is refused exactly like an unknown id, so the answer
    does not reveal which RM ids exist elsewhere.
    """
    row = db.read_one(READ_RM, {"rm_id": rm_id})
    if row is None or row["branch_id"] is None or not scope.allows(row["branch_id"]):
        raise InputValidationError(
            "owner_rm_id is not a relationship manager within your branches",
            details={"owner_rm_id": rm_id},
        )


def request_hash(new: NewOpportunity) -> str:
    """A stable digest of a create request: an idempotency key replays only the same one.

    Examples
    --------
    >>> request_hash(NewOpportunity("manual")) == request_hash(NewOpportunity("manual"))
    True
    >>> request_hash(NewOpportunity("manual")) == request_hash(NewOpportunity("manual", notes="x"))
    False
    """
    canonical = json.dumps(asdict(new), sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _replay(
    db: Database, scope: BranchScope, opportunity_id: str, stored_hash: Any, wanted_hash: str
) -> Created:
    if stored_hash != wanted_hash:
        raise IdempotencyKeyReusedError(
            "this Idempotency-Key was already used with a different request",
        )
    return Created(get_opportunity(db, scope, opportunity_id), created=False)


def create_opportunity(
    db: Database,
    scope: BranchScope,
    new: NewOpportunity,
    *,
    editor: Editor,
    idempotency_key: str | None = None,
) -> Created:
    """Create an opportunity in ``identified``; the company must be in ``scope``.

    An event or a prospect becomes one opportunity: asking again answers the first
    (``created`` is false), and the event is marked ``actioned`` and linked to it.
    With ``idempotency_key`` (scoped to the user), the same request answers the
    first result and a different request with the same key is refused (422).
    """
    if new.source not in SOURCES:
        raise InputValidationError(f"unknown source {new.source}", details={"allowed": SOURCES})
    user_id = editor.user_id
    wanted_hash = request_hash(new)
    key = f"{user_id}:{idempotency_key}" if idempotency_key else None
    if key is not None:
        seen = db.read_one(FIND_BY_IDEMPOTENCY_KEY, {"idempotency_key": key})
        if seen is not None:
            return _replay(db, scope, str(seen["id"]), seen["idempotency_hash"], wanted_hash)
    company_id = new.company_id
    owner = new.owner_rm_id
    if owner is not None:
        _check_owner(db, scope, owner)
    event: dict[str, Any] | None = None
    if new.source == "event":
        if not new.source_id:
            raise InputValidationError("an opportunity from an event needs source_id")
        event = get_event(db, scope, new.source_id)
        company_id = event["customer"]["id"]
        owner = owner or event["owner_rm_id"]
        if event.get("opportunity_id"):  # linked before origin keys existed
            try:
                return Created(get_opportunity(db, scope, event["opportunity_id"]), created=False)
            except NotFoundError:
                pass
    elif new.source == "prospect":
        company_id = company_id or new.source_id
    if not company_id:
        raise InputValidationError("company_id (a customer or prospect) is required")
    company = _company_in_scope(db, scope, company_id)
    if new.source == "prospect" and company["is_customer"]:
        raise InputValidationError(f"{company_id} is already a customer, not a prospect")
    branch = company["branch_id"] if company["is_customer"] else company["suggested_branch_id"]
    branch = branch or scope.home_branch_id
    owner = owner or (company["rm_id"] if company["is_customer"] else company["suggested_rm_id"])
    amount_minor, currency = (None, None)
    if new.amount is not None:
        amount_minor, currency = parse_money(new.amount, new.currency or "CNY")
    at = datetime.now(UTC).isoformat()
    opportunity_id = "OPP-" + uuid.uuid4().hex[:16]
    entry = json.dumps({"from": None, "to": "identified", "by": user_id, "at": at, "reason": None})
    origin_key: str | None = None
    if event is not None:
        origin_key = f"event:{event['id']}"
    elif new.source == "prospect":
        origin_key = f"prospect:{company_id}"
    event_entry = (
        json.dumps(
            {
                "from": event["status"],
                "to": "actioned",
                "by": user_id,
                "at": at,
                "note": None,
                "opportunity_id": opportunity_id,
            },
            ensure_ascii=False,
        )
        if event is not None
        else None
    )
    query = (
        CREATE_BY_ORIGIN
        if origin_key is not None
        else CREATE_BY_IDEMPOTENCY_KEY
        if key is not None
        else CREATE_NEW
    )
    parameters = {
        "id": opportunity_id,
        "company_id": company_id,
        "company_name": company["name"],
        "is_customer": bool(company["is_customer"]),
        "source": new.source,
        "source_id": new.source_id,
        "product": new.product,
        "amount_minor": amount_minor,
        "currency": currency,
        "owner_rm_id": owner,
        "branch_id": branch,
        "due_date": new.due_date.isoformat() if new.due_date else None,
        "notes": new.notes,
        "entry": entry,
        "user_id": user_id,
        "at": at,
        "origin_key": origin_key,
        "idempotency_key": key,
        "idempotency_hash": wanted_hash if key is not None else None,
        "event_id": event["id"] if event is not None else None,
        "event_entry": event_entry,
    }
    try:
        rows = db.write_returning(query, parameters)
    except ConflictError:
        # The same idempotency key won a race with another origin: answer as a replay.
        seen = db.read_one(FIND_BY_IDEMPOTENCY_KEY, {"idempotency_key": key}) if key else None
        if seen is None:
            raise
        return _replay(db, scope, str(seen["id"]), seen["idempotency_hash"], wanted_hash)
    row = rows[0]
    if not row["created"] and key is not None and row["idempotency_key"] == key:
        return _replay(db, scope, str(row["id"]), row["idempotency_hash"], wanted_hash)
    if row["created"]:
        logger.info("opportunity %s created from %s by %s", opportunity_id, new.source, user_id)
    return Created(get_opportunity(db, scope, str(row["id"])), created=bool(row["created"]))


def get_opportunity(db: Database, scope: BranchScope, opportunity_id: str) -> dict[str, Any]:
    """One opportunity; 404 when absent or outside ``scope``."""
    row = db.read_one(GET_OPPORTUNITY, {**scope.parameters(), "id": opportunity_id})
    if row is None:
        raise NotFoundError(f"opportunity {opportunity_id} not found")
    return _item(row)


def list_opportunities(
    db: Reader,
    scope: BranchScope,
    *,
    stage: str | None = None,
    rm: str | None = None,
    company: str | None = None,
    branch_ids: list[str] | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[int, list[OpportunityOut]]:
    """Opportunities in ``scope``, newest first, and their total."""
    params = {
        **scope.parameters(),
        "stage": stage,
        "rm": rm,
        "company": company,
        "branch_ids": branch_ids,
        "limit": limit,
        "offset": offset,
    }
    count, page = (
        (LIST_COUNT, LIST_PAGE)
        if company is None
        else (
            LIST_COUNT_COMPANY,
            LIST_PAGE_COMPANY,
        )
    )
    total = db.read_one(count, params)
    return int(total["total"] if total else 0), [
        OpportunityOut.model_validate(_item(r)) for r in db.read(page, params)
    ]


def update_opportunity(
    db: Database,
    scope: BranchScope,
    opportunity_id: str,
    changes: Mapping[str, Any],
    *,
    editor: Editor,
    expected_version: int,
) -> dict[str, Any]:
    """Apply a PATCH: stage (checked), fields, and an optional new activity.

    Raises
    ------
    NotFoundError
        Absent or outside ``scope`` (404).
    OwnershipError
        The editor may read but not change it (403).
    PreconditionFailedError
        ``expected_version`` is not the stored version: it changed meanwhile (412).
    InputValidationError
        An illegal stage move, amount or owner (422).
    """
    current = get_opportunity(db, scope, opportunity_id)
    owner = current["owner_rm_id"]
    owner_row = db.read_one(READ_RM, {"rm_id": owner}) if owner else None
    owner_branch = (owner_row or {}).get("branch_id") or current["branch_id"]
    if not may_change(editor, scope, owner, owner_branch):
        raise OwnershipError(
            "only the owner RM, their managers or an admin may change this opportunity",
            details={"id": opportunity_id},
        )
    if current["version"] != expected_version:
        raise PreconditionFailedError(
            "the opportunity changed since you read it; reload it and try again",
            details={"id": opportunity_id, "version": current["version"]},
        )
    user_id = editor.user_id
    at = datetime.now(UTC).isoformat()
    entries: list[str] = []
    stage = current["stage"]
    target = changes.get("stage")
    if target is not None and target != stage:
        move = check_stage_move(stage, str(target), changes.get("reason"))
        entries.append(
            json.dumps(
                {
                    "from": stage,
                    "to": move.to_stage,
                    "by": user_id,
                    "at": at,
                    "reason": changes.get("reason"),
                    "backwards": move.backwards,
                },
                ensure_ascii=False,
            )
        )
        stage = move.to_stage
    elif current["stage"] in CLOSED_STAGES and any(
        k in changes for k in ("product", "expected_amount", "owner_rm_id", "due_date")
    ):
        raise InputValidationError(f"the opportunity is {current['stage']} and cannot change")
    new_owner = changes.get("owner_rm_id") or owner
    if new_owner != owner:
        _check_owner(db, scope, str(new_owner))
    amount = current["expected_amount"]
    amount_minor, currency = (
        parse_money(amount["amount"], amount["currency"]) if amount else (None, None)
    )
    if changes.get("expected_amount") is not None:
        new_amount = changes["expected_amount"]
        amount_minor, currency = parse_money(str(new_amount["amount"]), str(new_amount["currency"]))
    activities: list[str] = []
    activity_nodes: list[dict[str, Any]] = []
    if changes.get("activity") is not None:
        activity = dict(changes["activity"])
        activity_rm = editor.rm_id if editor.role is Role.RM else owner
        activity_id = f"ACT-{uuid.uuid4().hex[:16]}"
        activity.update(
            {"activity_id": activity_id, "rm_id": activity_rm, "by": user_id, "recorded_at": at}
        )
        activities.append(json.dumps(activity, ensure_ascii=False, default=str))
        if activity_rm is not None:
            activity_nodes.append(
                {
                    "activity_id": activity_id,
                    "rm_id": activity_rm,
                    "branch_id": owner_branch,
                    "kind": str(activity["kind"]),
                    "date": str(activity["date"]),
                    "notes": activity.get("text"),
                    "source": "api",
                    "recorded_by": user_id,
                }
            )
    due = changes.get("due_date", current["due_date"])
    # Fields the PATCH leaves out are written back as read: safe, because the write
    # applies only while the stored version is still the one they were read at.
    rows = db.write_returning(
        UPDATE_OPPORTUNITY,
        {
            **scope.parameters(),
            "id": opportunity_id,
            "expected_version": expected_version,
            "stage": stage,
            "product": changes.get("product", current["product"]),
            "amount_minor": amount_minor,
            "currency": currency,
            "owner_rm_id": new_owner,
            "due_date": due.isoformat() if isinstance(due, date) else due,
            "notes": changes.get("notes", current["notes"]),
            "entries": entries,
            "activities": activities,
            "activity_nodes": activity_nodes,
            "at": at,
        },
    )
    require_applied(rows, opportunity_id)
    return get_opportunity(db, scope, opportunity_id)


def pipeline_summary(db: Database, scope: BranchScope) -> dict[str, Any]:
    """Counts and exact expected amounts per branch, RM and stage."""
    rows = db.read(PIPELINE, scope.parameters())
    groups: dict[tuple[str, str], dict[str, Any]] = {}
    totals: dict[str, int] = defaultdict(int)
    amounts: dict[tuple[str, str, str, str], int] = defaultdict(int)
    for r in rows:
        key = (str(r["branch_id"] or ""), str(r["rm_id"] or ""))
        group = groups.setdefault(
            key, {"branch_id": key[0], "rm_id": key[1], "stages": dict.fromkeys(STAGES, 0)}
        )
        group["stages"][r["stage"]] += int(r["count"])
        totals[r["stage"]] += int(r["count"])
        if r["currency"]:
            amounts[(*key, str(r["stage"]), str(r["currency"]))] += int(r["amount_minor"])
    items = []
    for key, group in sorted(groups.items()):
        group["count"] = sum(group["stages"].values())
        group["expected_amounts"] = [
            {
                "stage": stage,
                "amount": str(from_minor_units(value, cur)),
                "currency": cur,
            }
            for (b, rm, stage, cur), value in sorted(amounts.items())
            if (b, rm) == key
        ]
        items.append(group)
    return {
        "stages": list(STAGES),
        "totals": {s: totals.get(s, 0) for s in STAGES},
        "items": items,
    }


@dataclass(frozen=True)
class OpportunityCompany:
    """The company an opportunity is for, as its list shows it (name, customer or not)."""

    opportunity_id: str
    company_id: str
    company_name: str
    is_customer: bool


OPPORTUNITY_COMPANIES: Final[LiteralString] = (
    "UNWIND $ids AS id MATCH (o:Opportunity {opportunity_id: id}) WHERE "
    + scope_predicate("o")
    + " RETURN o.opportunity_id AS id, o.company_id AS company_id, "
    "o.company_name AS company_name, coalesce(o.is_customer, false) AS is_customer"
)


def opportunity_companies(
    db: Reader, scope: BranchScope, opportunity_ids: list[str]
) -> dict[str, OpportunityCompany]:
    """Opportunity id → its company, for the opportunities in ``scope`` among the ids.

    A forecast names its pipeline by the opportunities' customers (the plan page).
    """
    if not opportunity_ids:
        return {}
    rows = db.read(OPPORTUNITY_COMPANIES, {**scope.parameters(), "ids": opportunity_ids})
    return {
        str(r["id"]): OpportunityCompany(
            str(r["id"]), str(r["company_id"]), str(r["company_name"]), bool(r["is_customer"])
        )
        for r in rows
    }


def require_applied(rows: list[dict[str, Any]], opportunity_id: str) -> None:
    """The outcome of a versioned write: 404 when no row matched, 412 when the version
    the caller read is no longer the stored one (optimistic concurrency)."""
    if not rows:
        raise NotFoundError(f"opportunity {opportunity_id} not found")
    if not rows[0]["applied"]:
        raise PreconditionFailedError(
            "the opportunity changed since you read it; reload it and try again",
            details={"id": opportunity_id, "version": rows[0]["version"]},
        )
