"""One place that turns errors into RFC 9457 problem responses.

Domain errors keep their status and message; request validation errors become
422 with the offending fields; anything unexpected becomes a bare 500 whose
details go to the log only, never to the client.
"""

from __future__ import annotations

import logging
from typing import Any, cast

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from core.errors import AuthenticationError, CorpgraphError, DatabaseUnavailableError

logger = logging.getLogger(__name__)

PROBLEM_MEDIA_TYPE = "application/problem+json"
PROBLEM_BASE = "https://corpgraph.invalid/problems/"


class Problem(BaseModel):
    """An RFC 9457 problem: what went wrong, for people and for programs.

    Some problems carry more members: ``errors`` (the invalid fields of a 422),
    ``details`` (for instance the roles an endpoint admits).
    """

    model_config = ConfigDict(
        extra="allow",
        json_schema_extra={
            "examples": [
                {
                    "type": PROBLEM_BASE + "not-found",
                    "title": "Not found",
                    "status": 404,
                    "detail": "customer C0000001 not found",
                    "instance": "/api/v1/customers/C0000001",
                }
            ]
        },
    )

    type: str = Field(description="A URI naming the kind of problem")
    title: str
    status: int = Field(ge=400, le=599)
    detail: str
    instance: str = Field(description="The request path")


def _problem_response(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "model": Problem,
        "content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}},
    }


#: The error answers every authenticated operation may give, declared once.
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: _problem_response("The request body is not well-formed JSON"),
    401: _problem_response("No API key, or an unknown or revoked one"),
    403: _problem_response("The caller's role may not use this operation"),
    404: _problem_response("Unknown id, or outside the caller's branch subtree"),
    422: _problem_response("The request does not match the API contract"),
    503: _problem_response("Neo4j is unavailable; retry later"),
}
#: The answers of a write that must name the version it read (If-Match).
VERSIONED_WRITE_RESPONSES: dict[int | str, dict[str, Any]] = {
    412: _problem_response("Changed by someone else since the version named in If-Match"),
    428: _problem_response("No If-Match: send the ETag you read"),
}


def problem(
    status: int,
    problem_type: str,
    title: str,
    detail: str,
    instance: str,
    extra: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    """A problem+json response."""
    body: dict[str, Any] = {
        "type": PROBLEM_BASE + problem_type,
        "title": title,
        "status": status,
        "detail": detail,
        "instance": instance,
    }
    if extra:
        body.update(extra)
    return JSONResponse(body, status_code=status, media_type=PROBLEM_MEDIA_TYPE, headers=headers)


def _jsonable(value: Any) -> Any:
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    return str(value)


async def _domain_error(request: Request, exc: Exception) -> JSONResponse:
    error = cast(CorpgraphError, exc)
    availability = getattr(request.app.state, "availability", None)
    if isinstance(error, DatabaseUnavailableError) and availability is not None:
        availability.mark_down()  # the readiness flag: later requests answer 503 at once
    if error.http_status >= 500:
        logger.warning("%s on %s: %s", type(error).__name__, request.url.path, error.message)
    headers = {"WWW-Authenticate": "Bearer"} if isinstance(error, AuthenticationError) else None
    # Internal details (driver codes, Maven output) stay in the log for 5xx errors.
    extra = (
        {"details": _jsonable(error.details)} if error.details and error.http_status < 500 else None
    )
    return problem(
        error.http_status,
        error.problem_type,
        error.title,
        error.message,
        request.url.path,
        extra,
        headers,
    )


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    error = cast(RequestValidationError, exc)
    errors = [
        {
            "loc": [str(p) for p in e.get("loc", ())],
            "msg": str(e.get("msg", "")),
            "type": e.get("type"),
        }
        for e in error.errors()
    ]
    return problem(
        422,
        "invalid-request",
        "Invalid request",
        "The request does not match the API contract.",
        request.url.path,
        {"errors": errors},
    )


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    error = cast(StarletteHTTPException, exc)
    return problem(
        error.status_code,
        "http-" + str(error.status_code),
        str(error.detail),
        str(error.detail),
        request.url.path,
        headers=dict(error.headers) if error.headers else None,
    )


async def _unexpected_error(request: Request, error: Exception) -> JSONResponse:
    logger.error("unhandled error on %s %s", request.method, request.url.path, exc_info=error)
    return problem(
        500,
        "internal-error",
        "Internal error",
        "An unexpected error occurred; it has been logged.",
        request.url.path,
    )


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers on ``app``."""
    app.add_exception_handler(CorpgraphError, _domain_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected_error)
