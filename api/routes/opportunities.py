"""Opportunities (商机库): create from a prospect, an event or a recommendation; move stages."""

from __future__ import annotations

import logging
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Path, Query, Response
from pydantic import BaseModel, Field

from api.deps import Caller, DatabaseDep, require_roles
from api.errors import VERSIONED_WRITE_RESPONSES
from api.examples import OPPORTUNITIES_PAGE_EXAMPLE
from api.pagination import Limit, Offset, Page
from api.schemas import OpportunityOut
from core.codes import ActivityKind, OpportunitySource, OpportunityStage, Role
from core.errors import (
    InputValidationError,
    PreconditionFailedError,
    PreconditionRequiredError,
)
from graph.activities import record_activity
from graph.assignments import AssigneeKind, reassign
from graph.opportunities import (
    Editor,
    NewOpportunity,
    create_opportunity,
    get_opportunity,
    list_opportunities,
    update_opportunity,
)

from .events import branch_subtree

logger = logging.getLogger(__name__)
router = APIRouter(prefix="/api/v1", tags=["opportunities"])

OpportunityUser = Annotated[Caller, Depends(require_roles(Role.RM, Role.MANAGER, Role.RISK))]
ActivityRecorder = Annotated[Caller, Depends(require_roles(Role.RM, Role.MANAGER))]
Reassigner = Annotated[Caller, Depends(require_roles(Role.MANAGER))]
Stage = OpportunityStage
AMOUNT_PATTERN = r"^\d{1,15}(\.\d{1,4})?$"
#: An Idempotency-Key is an opaque client token (a UUID in practice).
IDEMPOTENCY_KEY_PATTERN = r"^[\x21-\x7e]{1,255}$"


def etag(version: int) -> str:
    """The strong ETag of an opportunity's version.

    Examples
    --------
    >>> etag(3)
    '"3"'
    """
    return f'"{version}"'


def version_of(if_match: str | None) -> int:
    """The version an ``If-Match`` header names.

    A write without it cannot prove it read the current version (428); ``*`` or a
    tag that is no version of ours cannot match any (412).

    Examples
    --------
    >>> version_of('"7"')
    7
    """
    if if_match is None or not if_match.strip():
        raise PreconditionRequiredError(
            "send the ETag you read in If-Match, so that no other change is overwritten"
        )
    tags = [tag.strip() for tag in if_match.split(",")]
    for tag in tags:
        if len(tag) > 2 and tag[0] == tag[-1] == '"' and tag[1:-1].isdigit():
            return int(tag[1:-1])
    if tags == ["*"]:
        raise PreconditionRequiredError(
            "If-Match: * does not name the version you read; send the ETag"
        )
    raise PreconditionFailedError("If-Match names no current version of this opportunity")


def _editor(caller: Caller) -> Editor:
    return Editor(caller.user.user_id, caller.user.role, caller.user.rm_id)


class Amount(BaseModel):
    """An exact amount: a decimal string and its ISO currency."""

    amount: str = Field(pattern=AMOUNT_PATTERN, examples=["1500000.00"])
    currency: str = Field(default="CNY", min_length=2, max_length=8)


class Activity(BaseModel):
    """A visit, call, meeting, proposal sent or note recorded on an opportunity."""

    kind: ActivityKind
    date: date
    text: str = Field(max_length=4000)


class ActivityIn(BaseModel):
    """An activity to record: what, when, notes, and (for a manager) whose it is."""

    kind: ActivityKind
    date: date
    notes: str | None = Field(default=None, max_length=4000)
    rm_id: str | None = Field(
        default=None,
        max_length=64,
        description="The RM whose activity it is: an RM records their own (the default); "
        "a manager names an RM of their branches (default: the opportunity's owner).",
    )


class OpportunityCreate(BaseModel):
    """A new opportunity; ``source_id`` is the prospect, event or recommendation id."""

    source: OpportunitySource
    source_id: str | None = Field(default=None, max_length=64)
    company_id: str | None = Field(default=None, max_length=64)
    product: str | None = Field(default=None, max_length=64)
    expected_amount: Amount | None = None
    owner_rm_id: str | None = Field(default=None, max_length=64)
    due_date: date | None = None
    notes: str | None = Field(default=None, max_length=4000)


class OpportunityPatch(BaseModel):
    """Changes to an opportunity; moving a stage back needs ``reason``."""

    stage: Stage | None = None
    reason: str | None = Field(default=None, max_length=2000)
    product: str | None = Field(default=None, max_length=64)
    expected_amount: Amount | None = None
    owner_rm_id: str | None = Field(default=None, max_length=64)
    due_date: date | None = None
    notes: str | None = Field(default=None, max_length=4000)
    activity: Activity | None = None


@router.get(
    "/opportunities",
    response_model=Page[OpportunityOut],
    responses={200: {"content": {"application/json": {"example": OPPORTUNITIES_PAGE_EXAMPLE}}}},
)
def get_opportunities(
    caller: OpportunityUser,
    db: DatabaseDep,
    stage: Stage | None = None,
    rm: Annotated[str | None, Query(max_length=64)] = None,
    company: Annotated[str | None, Query(max_length=64)] = None,
    branch: Annotated[str | None, Query(max_length=64)] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[OpportunityOut]:
    """Opportunities in the caller's branch subtree, newest first."""
    total, items = list_opportunities(
        db,
        caller.scope,
        stage=stage,
        rm=rm,
        company=company,
        branch_ids=branch_subtree(db, caller, branch),
        limit=limit,
        offset=offset,
    )
    return Page[OpportunityOut](
        total=total,
        limit=limit,
        offset=offset,
        items=items,
    )


@router.post("/opportunities", status_code=201, response_model=OpportunityOut)
def post_opportunity(
    body: OpportunityCreate,
    caller: OpportunityUser,
    db: DatabaseDep,
    response: Response,
    idempotency_key: Annotated[
        str | None,
        Header(
            pattern=IDEMPOTENCY_KEY_PATTERN,
            description="Retry-safe create: the same key and body answer the first result.",
        ),
    ] = None,
) -> OpportunityOut:
    """Create an opportunity (stage ``identified``) for a customer or prospect in scope.

    An event or a prospect becomes one opportunity: a second create answers the
    first with 200 (the event is then ``actioned`` and names it). 201 when created.
    """
    amount = body.expected_amount
    result = create_opportunity(
        db,
        caller.scope,
        NewOpportunity(
            source=body.source,
            source_id=body.source_id,
            company_id=body.company_id,
            product=body.product,
            amount=amount.amount if amount else None,
            currency=amount.currency if amount else None,
            owner_rm_id=body.owner_rm_id,
            due_date=body.due_date,
            notes=body.notes,
        ),
        editor=_editor(caller),
        idempotency_key=idempotency_key,
    )
    if not result.created:
        response.status_code = 200
    response.headers["ETag"] = etag(result.opportunity["version"])
    response.headers["Location"] = f"/api/v1/opportunities/{result.opportunity['id']}"
    return OpportunityOut.model_validate(result.opportunity)


@router.get("/opportunities/{opportunity_id}", response_model=OpportunityOut)
def get_one_opportunity(
    opportunity_id: Annotated[str, Path(max_length=64)],
    caller: OpportunityUser,
    db: DatabaseDep,
    response: Response,
) -> OpportunityOut:
    """One opportunity with its stage history and activities; its ETag is its version."""
    item = get_opportunity(db, caller.scope, opportunity_id)
    response.headers["ETag"] = etag(item["version"])
    return OpportunityOut.model_validate(item)


@router.patch(
    "/opportunities/{opportunity_id}",
    response_model=OpportunityOut,
    responses=VERSIONED_WRITE_RESPONSES,
)
def patch_opportunity(
    opportunity_id: Annotated[str, Path(max_length=64)],
    body: OpportunityPatch,
    caller: OpportunityUser,
    db: DatabaseDep,
    response: Response,
    if_match: Annotated[
        str | None,
        Header(max_length=200, description="The ETag of the version the change was made on."),
    ] = None,
) -> OpportunityOut:
    """Move the stage (illegal moves: 422), edit fields, or add an activity.

    Only the owner RM, their managers or an admin may (403). ``If-Match`` must
    carry the ETag read (428 without it); a change made since answers 412.
    """
    expected = version_of(if_match)
    changes = body.model_dump(exclude_unset=True)
    item = update_opportunity(
        db,
        caller.scope,
        opportunity_id,
        changes,
        editor=_editor(caller),
        expected_version=expected,
    )
    response.headers["ETag"] = etag(item["version"])
    return OpportunityOut.model_validate(item)


@router.post(
    "/opportunities/{opportunity_id}/activities",
    status_code=201,
    response_model=OpportunityOut,
)
def post_activity(
    opportunity_id: Annotated[str, Path(max_length=64)],
    body: ActivityIn,
    caller: ActivityRecorder,
    db: DatabaseDep,
    response: Response,
) -> OpportunityOut:
    """Record a visit, call, meeting, proposal sent or note on an opportunity in scope.

    An RM records their own activities on the opportunities they own (403 otherwise);
    a manager records one for an RM of their branches. The activity counts in the
    ``sales_activities`` metric and the scorecards. No ``If-Match``: an activity adds
    to the opportunity and overwrites nothing.
    """
    own_rm = caller.user.rm_id if caller.user.role == Role.RM else None
    if caller.user.role == Role.RM and own_rm is None:
        raise InputValidationError("this RM user names no relationship manager")
    current = get_opportunity(db, caller.scope, opportunity_id)
    rm_id = body.rm_id or own_rm or current["owner_rm_id"]
    if rm_id is None:
        raise InputValidationError("the opportunity has no owner: name the RM (rm_id)")
    record_activity(
        db,
        caller.scope,
        opportunity_id,
        rm_id=str(rm_id),
        kind=body.kind,
        on=body.date,
        notes=body.notes,
        user_id=caller.user.user_id,
        caller_rm_id=own_rm,
    )
    item = get_opportunity(db, caller.scope, opportunity_id)
    response.headers["ETag"] = etag(item["version"])
    return OpportunityOut.model_validate(item)


class ReassignIn(BaseModel):
    """Whom to hand the opportunity to: an RM (the new owner) or a product specialist."""

    assignee_kind: AssigneeKind
    assignee_id: str = Field(
        min_length=1,
        max_length=64,
        description="An RM id (rm) or a corpgraph user id (product_specialist) of your branches.",
    )
    reason: str | None = Field(default=None, max_length=2000)


@router.post(
    "/opportunities/{opportunity_id}/reassign",
    response_model=OpportunityOut,
    responses=VERSIONED_WRITE_RESPONSES,
)
def post_reassign(
    opportunity_id: Annotated[str, Path(max_length=64)],
    body: ReassignIn,
    caller: Reassigner,
    db: DatabaseDep,
    response: Response,
    if_match: Annotated[
        str | None,
        Header(max_length=200, description="The ETag of the version the change was made on."),
    ] = None,
) -> OpportunityOut:
    """Hand an opportunity to another RM or a product specialist, and back.

    Managers of the owner's branch only (403 otherwise); the assignee must be of the
    caller's branches (422). ``If-Match`` as for a PATCH (428 without, 412 when stale).
    The change is kept in the opportunity's ``assignments`` history.
    """
    expected = version_of(if_match)
    item = reassign(
        db,
        caller.scope,
        opportunity_id,
        kind=body.assignee_kind,
        assignee_id=body.assignee_id,
        reason=body.reason,
        editor=_editor(caller),
        expected_version=expected,
    )
    response.headers["ETag"] = etag(item["version"])
    return OpportunityOut.model_validate(item)
