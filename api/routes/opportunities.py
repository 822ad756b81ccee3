"""Opportunities (商机库): create from a prospect, an event or a recommendation; move stages."""

from __future__ import annotations

import logging
from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query
from pydantic import BaseModel, Field

from api.deps import Caller, DatabaseDep, require_roles
from api.examples import OPPORTUNITIES_PAGE_EXAMPLE
from api.pagination import Limit, Offset, Page
from api.schemas import OpportunityOut
from graph.opportunities import (
    NewOpportunity,
    create_opportunity,
    get_opportunity,
    list_opportunities,
    update_opportunity,
)
from graph.users import Role

from .events import branch_subtree

logger = logging.getLogger(__name__)
router = APIRouter(prefix="/api/v1", tags=["opportunities"])

OpportunityUser = Annotated[Caller, Depends(require_roles(Role.RM, Role.MANAGER, Role.RISK))]
Stage = Literal["identified", "contacted", "proposal", "won", "lost"]
AMOUNT_PATTERN = r"^\d{1,15}(\.\d{1,4})?$"


class Amount(BaseModel):
    """An exact amount: a decimal string and its ISO currency."""

    amount: str = Field(pattern=AMOUNT_PATTERN, examples=["1500000.00"])
    currency: str = Field(default="CNY", min_length=2, max_length=8)


class Activity(BaseModel):
    """A visit, call or note recorded on an opportunity."""

    kind: Literal["visit", "call", "meeting", "note"]
    date: date
    text: str = Field(max_length=4000)


class OpportunityCreate(BaseModel):
    """A new opportunity; ``source_id`` is the prospect, event or recommendation id."""

    source: Literal["prospect", "event", "recommendation", "manual"]
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
        items=[OpportunityOut.model_validate(i) for i in items],
    )


@router.post("/opportunities", status_code=201, response_model=OpportunityOut)
def post_opportunity(
    body: OpportunityCreate, caller: OpportunityUser, db: DatabaseDep
) -> OpportunityOut:
    """Create an opportunity (stage ``identified``) for a customer or prospect in scope."""
    amount = body.expected_amount
    created = create_opportunity(
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
        user_id=caller.user.user_id,
    )
    return OpportunityOut.model_validate(created)


@router.get("/opportunities/{opportunity_id}", response_model=OpportunityOut)
def get_one_opportunity(
    opportunity_id: Annotated[str, Path(max_length=64)], caller: OpportunityUser, db: DatabaseDep
) -> OpportunityOut:
    """One opportunity with its stage history and activities."""
    return OpportunityOut.model_validate(get_opportunity(db, caller.scope, opportunity_id))


@router.patch("/opportunities/{opportunity_id}", response_model=OpportunityOut)
def patch_opportunity(
    opportunity_id: Annotated[str, Path(max_length=64)],
    body: OpportunityPatch,
    caller: OpportunityUser,
    db: DatabaseDep,
) -> OpportunityOut:
    """Move the stage (illegal moves: 422), edit fields, or add an activity."""
    changes = body.model_dump(exclude_unset=True)
    return OpportunityOut.model_validate(
        update_opportunity(db, caller.scope, opportunity_id, changes, user_id=caller.user.user_id)
    )
