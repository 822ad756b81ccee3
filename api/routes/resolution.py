"""Counterparty entity resolution: the review queue and its decisions (admin and risk).

``GET /api/v1/resolution/candidates`` lists candidate pairs (the review queue by
default: ``status=pending``), most probable first, with the evidence behind each
score. ``POST /api/v1/resolution/candidates`` records a decision on one pair:
``positive`` (one company: merge), ``negative`` (two companies: never merge) or
``unsure`` (keep apart, leave the queue), with a reason. A decision applies from the
next load (or ``corpgraph resolve apply``) and on every load after it.
``GET /api/v1/resolution/decisions`` is the audit log.

Scoping: a pair naming a customer outside the caller's branches is not listed and
answers 404, like an unknown id.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

from api.deps import Caller, DatabaseDep, require_roles
from api.pagination import Limit, Offset, Page
from core.codes import Role
from core.judgements import Judgement
from graph.resolution_store import (
    CandidateRow,
    DecisionRow,
    list_candidates,
    list_decisions,
    record_decision,
)

router = APIRouter(prefix="/api/v1/resolution", tags=["entity resolution"])

Reviewer = Annotated[Caller, Depends(require_roles(Role.RISK))]
CandidateStatus = Literal["pending", "merged", "accepted", "rejected", "unsure", "kept_apart"]


class RecordRef(BaseModel):
    """One side of a pair: a company id (or a counterparty's id) and its name."""

    id: str
    name: str


class RecordOut(RecordRef):
    """One side of a candidate pair: a registered company or a counterparty from payments."""

    registered: bool = Field(description="A company of the companies file.")


class EvidenceOut(BaseModel):
    """One piece of evidence with its match weight, in Chinese and English."""

    zh: str
    en: str


class CandidateOut(BaseModel):
    """A scored pair of counterparty records."""

    id: str = Field(description="Candidate id (RC-...), stable across loads.")
    left: RecordOut
    right: RecordOut
    probability: float = Field(description="Match probability of the model.")
    match_weight: float = Field(description="log2 odds; the sum of the evidence weights.")
    evidence: list[EvidenceOut] = Field(description="What made the score, strongest first.")
    status: CandidateStatus
    updated_at: datetime | None


class DecisionIn(BaseModel):
    """A reviewer's decision on one candidate pair."""

    candidate_id: str = Field(min_length=4, max_length=40, pattern=r"^RC-[0-9a-f]{16}$")
    judgement: Judgement
    reason: str = Field(min_length=1, max_length=2000, description="Why: kept in the audit log.")


class DecisionOut(BaseModel):
    """One decision of the audit log."""

    id: str
    candidate_id: str
    left: RecordRef
    right: RecordRef
    judgement: Judgement
    reason: str
    user_id: str
    user_name: str | None
    decided_at: datetime
    probability_at_decision: float | None
    applied_count: int = Field(description="Loads that have applied it since.")
    last_applied_at: datetime | None


def _candidate(row: CandidateRow) -> CandidateOut:
    return CandidateOut(
        id=row.candidate_id,
        left=RecordOut(id=row.left_id, name=row.left_name, registered=row.left_registered),
        right=RecordOut(id=row.right_id, name=row.right_name, registered=row.right_registered),
        probability=row.probability,
        match_weight=row.match_weight,
        evidence=[
            EvidenceOut(zh=zh, en=en)
            for zh, en in zip(row.features_zh or row.features, row.features, strict=False)
        ],
        status=row.status,
        updated_at=row.updated_at,
    )


def _decision(row: DecisionRow) -> DecisionOut:
    return DecisionOut(
        id=row.decision_id,
        candidate_id=row.candidate_id,
        left=RecordRef(id=row.left_id, name=row.left_name or row.left_id),
        right=RecordRef(id=row.right_id, name=row.right_name or row.right_id),
        judgement=row.judgement,
        reason=row.reason,
        user_id=row.user_id,
        user_name=row.user_name,
        decided_at=row.decided_at,
        probability_at_decision=row.probability,
        applied_count=row.applied_count,
        last_applied_at=row.last_applied_at,
    )


@router.get("/candidates", response_model=Page[CandidateOut])
def candidates(
    caller: Reviewer,
    db: DatabaseDep,
    status: CandidateStatus | Literal["all"] = "pending",
    min_probability: Annotated[float | None, Query(ge=0, le=1)] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[CandidateOut]:
    """Candidate pairs (the review queue by default), most probable first."""
    total, rows = list_candidates(
        db,
        caller.scope,
        status=None if status == "all" else status,
        min_probability=min_probability,
        limit=limit,
        offset=offset,
    )
    return Page[CandidateOut](
        total=total, limit=limit, offset=offset, items=[_candidate(r) for r in rows]
    )


@router.post(
    "/candidates",
    response_model=DecisionOut,
    status_code=201,
)
def decide(body: DecisionIn, caller: Reviewer, db: DatabaseDep) -> DecisionOut:
    """Record a decision on a candidate pair; who and when come from the caller."""
    row = record_decision(
        db,
        caller.scope,
        body.candidate_id,
        body.judgement,
        user_id=caller.user.user_id,
        user_name=caller.user.name,
        reason=body.reason,
    )
    return _decision(row)


@router.get("/decisions", response_model=Page[DecisionOut])
def decisions(
    caller: Reviewer,
    db: DatabaseDep,
    candidate_id: Annotated[str | None, Query(max_length=40)] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[DecisionOut]:
    """The audit log: decisions, newest first."""
    total, rows = list_decisions(
        db, caller.scope, candidate=candidate_id, limit=limit, offset=offset
    )
    return Page[DecisionOut](
        total=total, limit=limit, offset=offset, items=[_decision(r) for r in rows]
    )
