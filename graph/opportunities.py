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
"""

from __future__ import annotations

import json
import logging
import uuid
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Final, LiteralString

from core.codes import CLOSED_STAGES, OPEN_STAGES, SOURCES, STAGES
from core.errors import InputValidationError, NotFoundError
from core.money import currency_code, exact_minor_units, from_minor_units

from .branches import BranchScope, scope_predicate
from .customers import money
from .database import Database
from .events import get_event

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
READ_COMPANY: Final[LiteralString] = (
    "MATCH (c:Company {company_id: $company_id}) "
    "RETURN c.company_id AS id, c.name AS name, coalesce(c.is_customer, false) AS is_customer, "
    "c.branch_id AS branch_id, c.rm_id AS rm_id, c.suggested_branch_id AS suggested_branch_id, "
    "c.suggested_rm_id AS suggested_rm_id"
)
CREATE_OPPORTUNITY: Final[LiteralString] = """
CREATE (o:Opportunity {opportunity_id: $id})
SET o.company_id = $company_id, o.company_name = $company_name, o.is_customer = $is_customer,
    o.source = $source, o.source_id = $source_id, o.product = $product,
    o.amount_minor = $amount_minor, o.currency = $currency, o.stage = 'identified',
    o.owner_rm_id = $owner_rm_id, o.branch_id = $branch_id, o.due_date = $due_date,
    o.notes = $notes, o.activities = [], o.history = [$entry], o.created_by = $user_id,
    o.created_at = datetime($at), o.updated_at = datetime($at)
"""
OPP_FIELDS: Final[LiteralString] = (
    "o.opportunity_id AS id, o.company_id AS company_id, o.company_name AS company_name, "
    "o.is_customer AS is_customer, o.source AS source, o.source_id AS source_id, "
    "o.product AS product, o.amount_minor AS amount_minor, o.currency AS currency, "
    "o.stage AS stage, o.owner_rm_id AS owner_rm_id, o.branch_id AS branch_id, "
    "o.due_date AS due_date, o.notes AS notes, o.activities AS activities, "
    "o.history AS history, o.created_by AS created_by, toString(o.created_at) AS created_at, "
    "toString(o.updated_at) AS updated_at"
)
GET_OPPORTUNITY: Final[LiteralString] = (
    "MATCH (o:Opportunity {opportunity_id: $id}) WHERE "
    + scope_predicate("o")
    + " RETURN "
    + OPP_FIELDS
)
LIST_MATCH: Final[LiteralString] = (
    "MATCH (o:Opportunity) WHERE " + scope_predicate("o") + " "
    "AND ($stage IS NULL OR o.stage = $stage) "
    "AND ($rm IS NULL OR o.owner_rm_id = $rm) "
    "AND ($company IS NULL OR o.company_id = $company) "
    "AND ($branch_ids IS NULL OR o.branch_id IN $branch_ids) "
)
LIST_COUNT: Final[LiteralString] = LIST_MATCH + "RETURN count(o) AS total"
LIST_PAGE: Final[LiteralString] = (
    LIST_MATCH + "RETURN " + OPP_FIELDS + " ORDER BY o.created_at DESC, o.opportunity_id "
    "SKIP $offset LIMIT $limit"
)
#: Optimistic update: applies only if the stage is still the one the move was checked against.
UPDATE_OPPORTUNITY: Final[LiteralString] = (
    "MATCH (o:Opportunity {opportunity_id: $id}) WHERE "
    + scope_predicate("o")
    + " AND o.stage = $expected_stage "
    "SET o.stage = $stage, o.product = $product, o.amount_minor = $amount_minor, "
    "o.currency = $currency, o.owner_rm_id = $owner_rm_id, o.due_date = $due_date, "
    "o.notes = $notes, o.history = o.history + $entries, "
    "o.activities = o.activities + $activities, o.updated_at = datetime($at) "
    "RETURN o.opportunity_id AS id"
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
    row = db.read_one(READ_COMPANY, {"company_id": company_id})
    if row is None:
        raise NotFoundError(f"company {company_id} not found")
    branch = row["branch_id"] if row["is_customer"] else row["suggested_branch_id"]
    if (row["is_customer"] or branch is not None) and not scope.allows(branch):
        raise NotFoundError(f"company {company_id} not found")
    return row


def create_opportunity(
    db: Database, scope: BranchScope, new: NewOpportunity, *, user_id: str
) -> dict[str, Any]:
    """Create an opportunity in ``identified``; the company must be in ``scope``."""
    if new.source not in SOURCES:
        raise InputValidationError(f"unknown source {new.source}", details={"allowed": SOURCES})
    company_id = new.company_id
    owner = new.owner_rm_id
    if new.source == "event":
        if not new.source_id:
            raise InputValidationError("an opportunity from an event needs source_id")
        event = get_event(db, scope, new.source_id)
        company_id = event["customer"]["id"]
        owner = owner or event["owner_rm_id"]
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
    db.write(
        CREATE_OPPORTUNITY,
        {
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
        },
    )
    logger.info("opportunity %s created from %s by %s", opportunity_id, new.source, user_id)
    return get_opportunity(db, scope, opportunity_id)


def get_opportunity(db: Database, scope: BranchScope, opportunity_id: str) -> dict[str, Any]:
    """One opportunity; 404 when absent or outside ``scope``."""
    row = db.read_one(GET_OPPORTUNITY, {**scope.parameters(), "id": opportunity_id})
    if row is None:
        raise NotFoundError(f"opportunity {opportunity_id} not found")
    return _item(row)


def list_opportunities(
    db: Database,
    scope: BranchScope,
    *,
    stage: str | None = None,
    rm: str | None = None,
    company: str | None = None,
    branch_ids: list[str] | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[int, list[dict[str, Any]]]:
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
    total = db.read_one(LIST_COUNT, params)
    return int(total["total"] if total else 0), [_item(r) for r in db.read(LIST_PAGE, params)]


def update_opportunity(
    db: Database,
    scope: BranchScope,
    opportunity_id: str,
    changes: Mapping[str, Any],
    *,
    user_id: str,
) -> dict[str, Any]:
    """Apply a PATCH: stage (checked), fields, and an optional new activity."""
    current = get_opportunity(db, scope, opportunity_id)
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
    amount = current["expected_amount"]
    amount_minor, currency = (
        parse_money(amount["amount"], amount["currency"]) if amount else (None, None)
    )
    if changes.get("expected_amount") is not None:
        new_amount = changes["expected_amount"]
        amount_minor, currency = parse_money(str(new_amount["amount"]), str(new_amount["currency"]))
    activities: list[str] = []
    if changes.get("activity") is not None:
        activity = dict(changes["activity"])
        activity.update({"by": user_id, "recorded_at": at})
        activities.append(json.dumps(activity, ensure_ascii=False, default=str))
    due = changes.get("due_date", current["due_date"])
    updated = db.write_returning(
        UPDATE_OPPORTUNITY,
        {
            **scope.parameters(),
            "id": opportunity_id,
            "expected_stage": current["stage"],
            "stage": stage,
            "product": changes.get("product", current["product"]),
            "amount_minor": amount_minor,
            "currency": currency,
            "owner_rm_id": changes.get("owner_rm_id", current["owner_rm_id"]),
            "due_date": due.isoformat() if isinstance(due, date) else due,
            "notes": changes.get("notes", current["notes"]),
            "entries": entries,
            "activities": activities,
            "at": at,
        },
    )
    if not updated:
        raise InputValidationError(
            "the opportunity changed meanwhile; reload it and try again",
            details={"id": opportunity_id},
        )
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
