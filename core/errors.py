"""The one exception root of corpgraph and its domain subclasses.

Every error that crosses a package boundary is a :class:`CorpgraphError`. The API
maps them to RFC 9457 problem responses in one handler (``api.errors``) and the
CLI maps them to a one-line message and an exit code, so neither has to know
about driver exceptions or match on message text.

Examples
--------
>>> err = NotFoundError("customer C1 not found")
>>> (err.http_status, err.problem_type, isinstance(err, CorpgraphError))
(404, 'not-found', True)
"""

from __future__ import annotations

from typing import Any, ClassVar


class CorpgraphError(Exception):
    """Root of all corpgraph errors.

    Parameters
    ----------
    message
        A sentence a user can act on. It must not contain customer PII, because
        it is logged and returned to HTTP clients.
    details
        Optional structured context (field names, counts, ids) returned alongside.
    """

    http_status: ClassVar[int] = 500
    problem_type: ClassVar[str] = "internal-error"
    title: ClassVar[str] = "Internal error"
    exit_code: ClassVar[int] = 1

    def __init__(self, message: str, *, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details: dict[str, Any] = details or {}


class ConfigurationError(CorpgraphError):
    """The settings are inconsistent or a required tool (java, mvn) is missing."""

    problem_type = "configuration-error"
    title = "Configuration error"
    exit_code = 2


class InputValidationError(CorpgraphError):
    """Input from a user or a file breaks the contract."""

    http_status = 422
    problem_type = "invalid-input"
    title = "Invalid input"
    exit_code = 2


class NotFoundError(CorpgraphError):
    """A requested entity does not exist (or is outside the caller's scope)."""

    http_status = 404
    problem_type = "not-found"
    title = "Not found"
    exit_code = 4


class ConflictError(CorpgraphError):
    """The request conflicts with stored state, e.g. a uniqueness constraint."""

    http_status = 409
    problem_type = "conflict"
    title = "Conflict"
    exit_code = 5


class AuthenticationError(CorpgraphError):
    """No API key, an unknown key, or a revoked key."""

    http_status = 401
    problem_type = "unauthenticated"
    title = "Authentication required"
    exit_code = 6


class PermissionDeniedError(CorpgraphError):
    """The caller is known but their role may not do this."""

    http_status = 403
    problem_type = "forbidden"
    title = "Forbidden"
    exit_code = 6


class DatabaseUnavailableError(CorpgraphError):
    """Neo4j cannot be reached, or did not answer in time."""

    http_status = 503
    problem_type = "database-unavailable"
    title = "Database unavailable"
    exit_code = 3


class DatabaseAuthError(DatabaseUnavailableError):
    """Neo4j refused our credentials: a configuration problem, not a user's."""

    problem_type = "database-auth-failed"
    title = "Database refused the configured credentials"


class SchemaNotReadyError(DatabaseUnavailableError):
    """Constraints or indexes that corpgraph needs are missing or not online."""

    problem_type = "schema-not-ready"
    title = "Database schema not initialised"


class QueryError(CorpgraphError):
    """Neo4j rejected a statement for a reason that is a bug on our side."""

    problem_type = "query-error"
    title = "Database query failed"


class LocalServerError(CorpgraphError):
    """The embedded Neo4j launcher could not be built, started or stopped."""

    problem_type = "local-server-error"
    title = "Local Neo4j server error"
    exit_code = 3


class OwnershipError(PermissionDeniedError):
    """The caller may read this record; only its owner, their managers or an admin change it."""

    problem_type = "not-owner"
    title = "Only the owner may change this"


class PreconditionRequiredError(CorpgraphError):
    """A write that must say which version it read came without ``If-Match`` (RFC 6585)."""

    http_status = 428
    problem_type = "precondition-required"
    title = "Precondition required"
    exit_code = 5


class PreconditionFailedError(CorpgraphError):
    """The version a write read is no longer the stored one: someone changed it meanwhile."""

    http_status = 412
    problem_type = "precondition-failed"
    title = "Changed meanwhile"
    exit_code = 5


class IdempotencyKeyReusedError(InputValidationError):
    """An ``Idempotency-Key`` was sent again with a different request body."""

    problem_type = "idempotency-key-reused"
    title = "Idempotency key reused with another request"
