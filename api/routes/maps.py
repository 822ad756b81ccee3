"""Relationship maps beyond one customer's network: connection paths and neighbour lists.

``/paths`` answers "how is A connected to B" (JSON, and a map page); the
``/nodes/{id}/neighbours`` list is what a map's "+N more" node opens, page by page.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, Field

from api.deps import Caller, DatabaseDep, require_roles
from api.pagination import Limit, Offset, Page
from core.codes import Role
from graph.maps import MAX_PATH_DEPTH
from visualizations.builder import render_map
from visualizations.connections import (
    MAX_PATHS,
    PathsResponse,
    connection_paths,
    parse_relations,
)
from visualizations.network import (
    ALL_NETWORK_TYPES,
    MAX_LIMIT,
    NODE_ID_MAX,
    neighbour_page,
    spec_to_json,
)
from visualizations.ownership_map import MAX_OWNERSHIP_LEVELS, ownership_map
from visualizations.paths import path_map

router = APIRouter(prefix="/api/v1", tags=["maps"])

MapReader = Annotated[
    Caller, Depends(require_roles(Role.RM, Role.RISK, Role.PROSPECTING, Role.MANAGER))
]
Types = Annotated[
    str | None,
    Query(
        max_length=80,
        description="Comma-separated: OWNS,CONTROLS,SUPPLIES,GUARANTEES,PAYS "
        "(and, for neighbour lists, KEY_PERSON_OF,FAMILY_OF,HAS_CONTACT)",
    ),
]
PartyId = Annotated[str, Query(min_length=1, max_length=64)]
Depth = Annotated[int, Query(ge=1, le=MAX_PATH_DEPTH, description="Hops at most")]
PathLimit = Annotated[int, Query(ge=1, le=MAX_PATHS, description="Shortest paths at most")]
Lang = Literal["zh", "en"]


class NeighbourNode(BaseModel):
    """A neighbour as the map draws it."""

    id: str
    label: str
    kind: str
    level: int | None = None
    size: float | None = None
    details: dict[str, Any] = Field(default_factory=dict)


class NeighbourEdge(BaseModel):
    """A tie between the node and the neighbour."""

    source: str
    target: str
    relation: str
    label: str = ""
    weight: float | None = None


class MapFragment(BaseModel):
    """Nodes and edges as the map page draws them."""

    title: str
    nodes: list[NeighbourNode]
    edges: list[NeighbourEdge]


class NeighbourItem(BaseModel):
    """One neighbour: its node and its ties to the node asked about (a map fragment)."""

    nodes: list[NeighbourNode]
    edges: list[NeighbourEdge]


class NeighbourPage(Page[NeighbourItem]):
    """One page of a node's neighbours, strongest tie first."""

    outside_scope: int = Field(
        ge=0, description="Neighbours booked outside the caller's branches (not listed)."
    )


@router.get("/paths", response_model=PathsResponse)
def get_paths(
    caller: MapReader,
    db: DatabaseDep,
    source: PartyId,
    target: PartyId,
    depth: Depth = 4,
    types: Types = None,
    limit: PathLimit = 20,
) -> PathsResponse:
    """How two parties are connected: every shortest path up to ``depth`` hops.

    A customer booked outside the caller's branches that lies on a path is an
    anonymous placeholder (``outside-N``) with no name, id or amounts.
    """
    return connection_paths(
        db,
        caller.scope,
        source,
        target,
        max_depth=depth,
        relations=parse_relations(types),
        limit=limit,
    )


@router.get("/paths/map", response_class=HTMLResponse)
def get_paths_map(
    caller: MapReader,
    db: DatabaseDep,
    source: PartyId,
    target: PartyId,
    depth: Depth = 4,
    types: Types = None,
    limit: PathLimit = 20,
    lang: Lang = "zh",
) -> HTMLResponse:
    """The connection paths as an interactive map (one self-contained HTML page)."""
    answer = connection_paths(
        db,
        caller.scope,
        source,
        target,
        max_depth=depth,
        relations=parse_relations(types),
        limit=limit,
    )
    return HTMLResponse(render_map(path_map(answer, lang), language=lang))


@router.get("/nodes/{node_id}/neighbours", response_model=NeighbourPage)
def get_neighbours(
    node_id: Annotated[str, Path(max_length=NODE_ID_MAX)],
    caller: MapReader,
    db: DatabaseDep,
    types: Types = None,
    offset: Offset = 0,
    limit: Limit = 20,
    lang: Lang = "zh",
) -> NeighbourPage:
    """A node's visible neighbours, strongest tie first, a page at a time ("+N more")."""
    page = neighbour_page(
        db,
        caller.scope,
        node_id,
        parse_relations(types, ALL_NETWORK_TYPES),
        offset=offset,
        limit=limit,
        language=lang,
    )
    return NeighbourPage(
        total=page.total,
        limit=page.limit,
        offset=page.offset,
        items=[NeighbourItem.model_validate(spec_to_json(item)) for item in page.items],
        outside_scope=page.outside_scope,
    )


Levels = Annotated[int, Query(ge=0, le=MAX_OWNERSHIP_LEVELS)]


@router.get("/customers/{customer_id}/ownership", response_model=MapFragment)
def get_ownership(
    customer_id: Annotated[str, Path(max_length=64)],
    caller: MapReader,
    db: DatabaseDep,
    up: Levels = 2,
    down: Levels = 2,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 20,
    lang: Lang = "zh",
) -> MapFragment:
    """股权穿透: shareholders above, holdings below, with direct shares on the edges."""
    spec = ownership_map(
        db, caller.scope, customer_id, up=up, down=down, limit=limit, language=lang
    )
    return MapFragment.model_validate(spec_to_json(spec))


@router.get("/customers/{customer_id}/ownership/map", response_class=HTMLResponse)
def get_ownership_map(
    customer_id: Annotated[str, Path(max_length=64)],
    caller: MapReader,
    db: DatabaseDep,
    up: Levels = 2,
    down: Levels = 2,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 20,
    lang: Lang = "zh",
) -> HTMLResponse:
    """The look-through as an interactive top-down map (one self-contained HTML page)."""
    spec = ownership_map(
        db, caller.scope, customer_id, up=up, down=down, limit=limit, language=lang
    )
    return HTMLResponse(render_map(spec, language=lang))
