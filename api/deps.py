"""FastAPI dependencies every endpoint uses: the database, the caller and their scope."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, cast

from fastapi import Depends, Query, Request, Security
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from core.codes import Role
from core.errors import DatabaseUnavailableError, PermissionDeniedError
from core.formatting import Language
from core.i18n import negotiate
from core.settings import Settings
from graph.auth_cache import AuthCache
from graph.availability import Availability
from graph.branches import BranchScope, BranchTree
from graph.database import Database
from graph.users import ApiUser, key_prefix_of

_bearer = HTTPBearer(auto_error=False, description="API key as a bearer token")
_api_key_header = APIKeyHeader(name="X-API-Key", auto_error=False, description="API key")


def get_database(request: Request) -> Database:
    """The process's :class:`Database`, created by the app lifespan."""
    return cast(Database, request.app.state.database)


def get_app_settings(request: Request) -> Settings:
    """The settings the app was created with."""
    return cast(Settings, request.app.state.settings)


def get_availability(request: Request) -> Availability:
    """The process's readiness flag (is Neo4j answering?), created with the app."""
    return cast(Availability, request.app.state.availability)


def get_auth_cache(request: Request) -> AuthCache:
    """The process's cache of API keys and the branch tree, created with the app."""
    return cast(AuthCache, request.app.state.auth_cache)


DatabaseDep = Annotated[Database, Depends(get_database)]


@dataclass(frozen=True)
class Caller:
    """The authenticated user and the branches whose customers they may see."""

    user: ApiUser
    scope: BranchScope
    #: The whole branch tree (for ``branch`` filters), as cached for this data version.
    tree: BranchTree


def get_caller(
    db: DatabaseDep,
    availability: Annotated[Availability, Depends(get_availability)],
    cache: Annotated[AuthCache, Depends(get_auth_cache)],
    bearer: Annotated[HTTPAuthorizationCredentials | None, Security(_bearer)],
    api_key: Annotated[str | None, Security(_api_key_header)],
) -> Caller:
    """Authenticate the request's API key and compute the caller's branch scope.

    Either ``Authorization: Bearer <key>`` or ``X-API-Key: <key>`` is accepted. A
    missing or malformed key is refused (401) without touching Neo4j; while Neo4j is
    known to be down, the request is refused (503) at once, see
    :class:`~graph.availability.Availability`.
    """
    key = bearer.credentials if bearer is not None else api_key
    key_prefix_of(key)
    if not availability.admit():
        raise DatabaseUnavailableError("Neo4j is unavailable; retry in a moment")
    try:
        user, tree = cache.caller(db, key)
    except DatabaseUnavailableError:
        availability.mark_down()
        raise
    availability.mark_up()
    return Caller(user, BranchScope.for_home_branch(tree, user.branch_id), tree)


CallerDep = Annotated[Caller, Depends(get_caller)]


class RoleGate:
    """A dependency that admits only ``allowed`` roles; see :func:`require_roles`.

    The web UI reads ``allowed`` from the routes, so its menus offer a page only to
    the roles whose API calls would succeed.
    """

    def __init__(self, allowed: frozenset[Role]) -> None:
        self.allowed = allowed

    def __call__(self, caller: CallerDep) -> Caller:
        if caller.user.role not in self.allowed:
            raise PermissionDeniedError(
                f"role {caller.user.role.value} may not use this endpoint",
                details={"allowed_roles": sorted(r.value for r in self.allowed)},
            )
        return caller


def require_roles(*roles: Role) -> Callable[[Caller], Caller]:
    """A dependency that admits only the given roles (``admin`` is always admitted).

    Examples
    --------
    ``def endpoint(caller: Annotated[Caller, Depends(require_roles(Role.RISK))]): ...``
    """
    return RoleGate(frozenset(roles) | {Role.ADMIN})


def caller_language(
    request: Request,
    lang: Annotated[
        str | None,
        Query(
            max_length=35,
            description="Language of sentences: zh (default) or en; else Accept-Language",
        ),
    ] = None,
) -> Language:
    """The language a caller reads: ``lang``, else the Accept-Language header, else Chinese."""
    return negotiate(lang or request.headers.get("accept-language"))


#: The caller's language, for sentences rendered from the message catalogue.
CallerLanguage = Annotated[Language, Depends(caller_language)]
