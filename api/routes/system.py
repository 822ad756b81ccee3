"""Liveness, readiness and who-am-I."""

from __future__ import annotations

import logging

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from api.deps import CallerDep, DatabaseDep, get_availability
from api.errors import ERROR_RESPONSES, PROBLEM_MEDIA_TYPE, Problem, problem
from core.errors import DatabaseUnavailableError, SchemaNotReadyError
from core.version import __version__
from graph import schema
from graph.branches import read_branches, read_relationship_managers

logger = logging.getLogger(__name__)
router = APIRouter(prefix="/api/v1", tags=["system"])


class Health(BaseModel):
    status: str
    version: str


class Readiness(BaseModel):
    status: str
    neo4j_version: str
    neo4j_edition: str
    gds_version: str | None


class BranchOut(BaseModel):
    branch_id: str
    name: str
    parent_branch_id: str | None


class RelationshipManagerOut(BaseModel):
    rm_id: str
    name: str
    branch_id: str | None


class Me(BaseModel):
    user_id: str
    name: str
    role: str
    branch_id: str
    sees_all_branches: bool
    visible_branch_ids: list[str]


@router.get("/health", response_model=Health)
def health() -> Health:
    """Liveness: the process answers. Does not touch Neo4j."""
    return Health(status="ok", version=__version__)


@router.get(
    "/ready",
    response_model=Readiness,
    responses={
        503: {
            "description": "Neo4j unreachable or schema missing",
            "model": Problem,
            "content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}},
        }
    },
)
def ready(request: Request, db: DatabaseDep) -> Readiness | JSONResponse:
    """Readiness: Neo4j answers and corpgraph's schema is present and online.

    Each call probes afresh without retries, so the answer turns back to 200 by
    itself once Neo4j returns.
    """
    availability = get_availability(request)
    try:
        info = db.server_info()
        status = schema.schema_status(db, probe=True)
    except DatabaseUnavailableError as error:
        availability.mark_down()
        return problem(503, error.problem_type, error.title, error.message, request.url.path)
    availability.mark_up()
    if not status.ready:
        return problem(
            503,
            SchemaNotReadyError.problem_type,
            SchemaNotReadyError.title,
            "Run `corpgraph db init`.",
            request.url.path,
            {"missing": list(status.missing), "not_online": list(status.not_online)},
        )
    return Readiness(
        status="ready",
        neo4j_version=info.version,
        neo4j_edition=info.edition,
        gds_version=info.gds_version,
    )


@router.get("/me", response_model=Me, tags=["auth"], responses=ERROR_RESPONSES)
def me(caller: CallerDep) -> Me:
    """The authenticated user and the branches whose customers they may see."""
    ids = caller.scope.branch_ids
    return Me(
        user_id=caller.user.user_id,
        name=caller.user.name,
        role=caller.user.role.value,
        branch_id=caller.user.branch_id,
        sees_all_branches=ids is None,
        visible_branch_ids=sorted(ids) if ids is not None else [],
    )


@router.get("/branches", response_model=list[BranchOut], tags=["auth"], responses=ERROR_RESPONSES)
def branches(caller: CallerDep, db: DatabaseDep) -> list[BranchOut]:
    """The branches in the caller's scope (the whole tree for head office)."""
    return [
        BranchOut(branch_id=b.branch_id, name=b.name, parent_branch_id=b.parent_branch_id)
        for b in read_branches(db)
        if caller.scope.allows(b.branch_id)
    ]


@router.get(
    "/relationship-managers",
    response_model=list[RelationshipManagerOut],
    tags=["auth"],
    responses=ERROR_RESPONSES,
)
def relationship_managers(caller: CallerDep, db: DatabaseDep) -> list[RelationshipManagerOut]:
    """The relationship managers of the branches in the caller's scope (names for the UI)."""
    return [
        RelationshipManagerOut(rm_id=m.rm_id, name=m.name, branch_id=m.branch_id)
        for m in read_relationship_managers(db)
        if caller.scope.allows(m.branch_id)
    ]
