"""Major events: the inbox, acknowledgements and status changes, and the live stream (SSE)."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import AsyncIterator
from typing import Annotated, Final, Literal

from fastapi import APIRouter, Depends, Header, Path, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field

from api.deps import Caller, CallerLanguage, DatabaseDep, get_app_settings, require_roles
from api.examples import EVENTS_PAGE_EXAMPLE
from api.pagination import Limit, Offset, Page
from api.schemas import EventOut
from core.codes import EventStatus, EventType, Role
from core.errors import NotFoundError
from core.settings import Settings
from graph.compute_runs import published_runs, run_fields
from graph.events import events_since, get_event, list_events, set_status

logger = logging.getLogger(__name__)
router = APIRouter(prefix="/api/v1", tags=["events"])

EventUser = Annotated[Caller, Depends(require_roles(Role.RM, Role.MANAGER, Role.RISK))]
SettingsDep = Annotated[Settings, Depends(get_app_settings)]
Status = EventStatus
#: The stream re-reads this many milliseconds before its cursor, so an event whose
#: transaction committed a little after a later one is still seen (ids de-duplicate).
STREAM_OVERLAP_MS = 10_000
#: The last millisecond of year 9999: the largest ``since`` (and ``Last-Event-ID``) a
#: stream accepts. Larger values would overflow Neo4j's 64-bit integers and mean nothing.
MAX_EPOCH_MS: Final = 253_402_300_799_999


class StatusChange(BaseModel):
    """A status change of one event."""

    status: Status
    note: str | None = Field(default=None, max_length=2000)


class Acknowledgement(BaseModel):
    """An optional note with an acknowledgement."""

    note: str | None = Field(default=None, max_length=2000)


def branch_subtree(db: DatabaseDep, caller: Caller, branch: str | None) -> list[str] | None:
    """The subtree of a ``branch`` filter; 404 when the caller may see none of it."""
    if branch is None:
        return None
    subtree = caller.tree.subtree(branch)
    if not subtree or not any(caller.scope.allows(b) for b in subtree):
        raise NotFoundError(f"branch {branch} not found")
    return sorted(subtree)


@router.get(
    "/events",
    response_model=Page[EventOut],
    responses={200: {"content": {"application/json": {"example": EVENTS_PAGE_EXAMPLE}}}},
)
def get_events(
    caller: EventUser,
    db: DatabaseDep,
    language: CallerLanguage,
    type: EventType | None = None,
    status: Status | None = None,
    severity: Literal["low", "medium", "high"] | None = None,
    month: Annotated[str | None, Query(pattern=r"^\d{4}-(0[1-9]|1[0-2])$")] = None,
    customer: Annotated[str | None, Query(max_length=64)] = None,
    rm: Annotated[str | None, Query(max_length=64)] = None,
    branch: Annotated[str | None, Query(max_length=64)] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[EventOut]:
    """Events about customers in the caller's branch subtree, newest month first."""
    run = published_runs(db, ("events",))
    total, items = list_events(
        db,
        caller.scope,
        runs=run,
        event_type=type,
        status=status,
        severity=severity,
        month=month,
        customer=customer,
        rm=rm,
        branch_ids=branch_subtree(db, caller, branch),
        limit=limit,
        offset=offset,
        language=language,
    )
    return Page[EventOut](
        total=total,
        limit=limit,
        offset=offset,
        items=items,
        **run_fields(run, "events"),
    )


async def _stream(
    request: Request,
    db: DatabaseDep,
    caller: Caller,
    settings: Settings,
    since_ms: int,
    max_seconds: float | None,
) -> AsyncIterator[str]:
    cursor = since_ms
    seen: dict[str, int] = {}
    started = last_sent = time.monotonic()
    yield "retry: 5000\n: connected\n\n"
    while True:
        if await request.is_disconnected():
            logger.debug("event stream of %s closed by the client", caller.user.user_id)
            return
        rows = await run_in_threadpool(
            events_since, db, caller.scope, max(cursor - STREAM_OVERLAP_MS, since_ms)
        )
        for row in rows:
            created = int(row.pop("created_ms"))
            if row["id"] in seen:
                continue
            seen[row["id"]] = created
            cursor = max(cursor, created)
            data = json.dumps(row, ensure_ascii=False)
            yield f"id: {created}\nevent: event\ndata: {data}\n\n"
            last_sent = time.monotonic()
        # Forget ids that fell out of the overlap window.
        seen = {k: v for k, v in seen.items() if v >= cursor - STREAM_OVERLAP_MS}
        now = time.monotonic()
        if max_seconds is not None and now - started >= max_seconds:
            return
        if now - last_sent >= settings.events_stream_heartbeat_s:
            yield ": heartbeat\n\n"
            last_sent = now
        await asyncio.sleep(settings.events_stream_poll_s)


@router.get(
    "/events/stream",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {"schema": {"type": "string"}}}}},
)
async def stream_events(
    request: Request,
    caller: EventUser,
    db: DatabaseDep,
    settings: SettingsDep,
    since: Annotated[
        int | None,
        Query(
            ge=0, le=MAX_EPOCH_MS, description="Epoch milliseconds; default: now (new events only)"
        ),
    ] = None,
    max_seconds: Annotated[
        float | None, Query(gt=0, le=86_400, description="End the stream after this long")
    ] = None,
    last_event_id: Annotated[str | None, Header(max_length=32)] = None,
) -> StreamingResponse:
    """Server-sent events: each new event in the caller's scope, with heartbeats.

    A reconnecting client sends ``Last-Event-ID`` (the ``id`` of the last message,
    its creation time) and resumes from there.
    """
    start = int(time.time() * 1000) if since is None else since
    if (
        last_event_id is not None
        and last_event_id.isascii()
        and last_event_id.isdigit()
        and int(last_event_id) <= MAX_EPOCH_MS
    ):
        start = int(last_event_id)
    return StreamingResponse(
        _stream(request, db, caller, settings, start, max_seconds),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


@router.get("/events/{event_id}", response_model=EventOut)
def get_one_event(
    event_id: Annotated[str, Path(max_length=64)],
    caller: EventUser,
    db: DatabaseDep,
    language: CallerLanguage,
) -> EventOut:
    """One event with its evidence and status history; 404 outside the caller's scope."""
    return EventOut.model_validate(get_event(db, caller.scope, event_id, language))


@router.post("/events/{event_id}/ack", response_model=EventOut)
def acknowledge_event(
    event_id: Annotated[str, Path(max_length=64)],
    caller: EventUser,
    db: DatabaseDep,
    body: Acknowledgement | None = None,
) -> EventOut:
    """Acknowledge an event; who and when go into its history."""
    changed = set_status(
        db,
        caller.scope,
        event_id,
        "acknowledged",
        user_id=caller.user.user_id,
        note=body.note if body else None,
    )
    return EventOut.model_validate(changed)


@router.patch("/events/{event_id}", response_model=EventOut)
def change_event(
    event_id: Annotated[str, Path(max_length=64)],
    change: StatusChange,
    caller: EventUser,
    db: DatabaseDep,
) -> EventOut:
    """Change an event's status (new, acknowledged, actioned, dismissed), recorded in history."""
    return EventOut.model_validate(
        set_status(
            db, caller.scope, event_id, change.status, user_id=caller.user.user_id, note=change.note
        )
    )
