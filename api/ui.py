"""The web workbench: server-rendered page shells in the user's language, data from the API.

Pages carry no customer data. Their script asks the JSON API for it with the API
key the user logged in with (kept in ``sessionStorage``), so every piece of data
passes the same authentication and branch scoping as any API client. Everything
(Tabler, ECharts, the maps' vis-network, the API docs' Swagger UI and ReDoc) is
served by the app; nothing loads from the internet.

Language: ``?lang=zh|en`` chooses and remembers it (a cookie); Chinese by default.
Labels come from the message catalogue (:mod:`core.i18n`): templates through
Jinja2's i18n extension, the script through ``/ui/i18n/<lang>.json``.

Roles: each page names the API operations it reads; a role sees a page in the
menus only when every one of them admits the role (read from the routes' own
:class:`api.deps.RoleGate`), so no menu entry leads to a 403.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Final

import jinja2
from fastapi import APIRouter, FastAPI, Request
from fastapi import Path as PathParam
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse, Response
from fastapi.routing import APIRoute
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, Field
from starlette.routing import BaseRoute

from core.codes import Role
from core.formatting import LANGUAGES, Language
from core.i18n import HTML_LANGS, N_, catalogue, negotiate, translations
from core.version import __version__
from visualizations.builder import render_map
from visualizations.model import MapNode, MapSpec

from .deps import RoleGate
from .vocabulary import CODE_LISTS

HERE: Final = Path(__file__).resolve().parent
STATIC_DIR: Final = HERE / "static"
LANGUAGE_COOKIE: Final = "corpgraph_lang"
#: A year: the language is a lasting preference of the person at this browser.
LANGUAGE_COOKIE_AGE_S: Final = 365 * 24 * 3600

router = APIRouter(include_in_schema=False)


@dataclass(frozen=True)
class Page:
    """A page of the workbench.

    ``reads`` are the API operations the page needs: a path (GET) or ``"POST <path>"``;
    ``menu`` puts it in the navbar.
    """

    name: str
    template: str
    title: str
    reads: tuple[str, ...] = ()
    menu: bool = False


PAGES: Final[dict[str, Page]] = {
    p.name: p
    for p in (
        Page("login", "login.html.j2", N_("Log in")),
        Page("home", "home.html.j2", N_("Home"), menu=True),
        Page("search", "search.html.j2", N_("Customers"), ("/api/v1/customers",), menu=True),
        Page(
            "customer", "customer.html.j2", N_("Customer 360"), ("/api/v1/customers/{customer_id}",)
        ),
        Page(
            "map", "map.html.j2", N_("Relationship map"), ("/api/v1/customers/{customer_id}/map",)
        ),
        Page("prospects", "prospects.html.j2", N_("Prospects"), ("/api/v1/prospects",), menu=True),
        Page("prospect", "prospect.html.j2", N_("Prospect"), ("/api/v1/prospects/{prospect_id}",)),
        Page(
            "groups",
            "groups.html.j2",
            N_("Groups and guarantee circles"),
            ("/api/v1/groups", "/api/v1/guarantee-circles", "/api/v1/guarantee-chains"),
            menu=True,
        ),
        Page("group", "group.html.j2", N_("Group"), ("/api/v1/groups/{group_id}",)),
        Page(
            "circle",
            "circle.html.j2",
            N_("Guarantee circle"),
            ("/api/v1/guarantee-circles/{circle_id}",),
        ),
        Page(
            "contagion",
            "contagion.html.j2",
            N_("Default contagion"),
            ("POST /api/v1/contagion", "/api/v1/customers"),
            menu=True,
        ),
        Page(
            "related",
            "related.html.j2",
            N_("Related-party review"),
            (
                "/api/v1/related-parties/review",
                "POST /api/v1/related-parties/review/{review_id}/confirm",
                "POST /api/v1/related-parties/review/{review_id}/dismiss",
            ),
            menu=True,
        ),
        Page("events", "events.html.j2", N_("Events"), ("/api/v1/events",), menu=True),
        Page("pipeline", "pipeline.html.j2", N_("Pipeline"), ("/api/v1/opportunities",), menu=True),
        Page("reports", "reports.html.j2", N_("Reports"), ("/api/v1/reports/events",), menu=True),
        Page(
            "scorecards",
            "scorecards.html.j2",
            N_("Scorecards"),
            ("/api/v1/scorecards",),
            menu=True,
        ),
        Page(
            "plan",
            "plan.html.j2",
            N_("Plan"),
            ("/api/v1/kpis/progress", "/api/v1/kpis", "/api/v1/targets/aid"),
            menu=True,
        ),
    )
}
#: Pages that host a map document (a ``srcdoc`` frame, which inherits their policy).
MAP_HOSTS: Final = frozenset({"map", "groups", "group", "circle"})


def _route_roles(route: APIRoute) -> frozenset[Role]:
    """The roles a route admits: those of its :class:`RoleGate`, or all."""
    pending = list(route.dependant.dependencies)
    allowed = frozenset(Role)
    while pending:
        dependency = pending.pop()
        if isinstance(dependency.call, RoleGate):
            allowed &= dependency.call.allowed
        pending.extend(dependency.dependencies)
    return allowed


def _api_routes(routes: Iterable[BaseRoute], prefix: str = "") -> Iterator[tuple[str, APIRoute]]:
    """Every API route with its full path, including those of included routers.

    FastAPI keeps an included router as one entry (``original_router``) rather than
    copying its routes into the app, so the walk descends into it.
    """
    for route in routes:
        if isinstance(route, APIRoute):
            yield prefix + route.path, route
        nested = getattr(route, "original_router", None)
        if nested is not None:
            context = getattr(route, "include_context", None)
            yield from _api_routes(nested.routes, prefix + str(getattr(context, "prefix", "")))


def page_roles(app: FastAPI) -> dict[str, tuple[str, ...]]:
    """Page name → the roles that may use it (every API path it reads admits them)."""
    cached: dict[str, tuple[str, ...]] | None = getattr(app.state, "page_roles", None)
    if cached is not None:
        return cached
    by_path: dict[str, frozenset[Role]] = {}
    for path, route in _api_routes(app.routes):
        for method in route.methods or ():
            # A page reads with GET (the plain path) or acts with another method ("POST /...").
            by_path[path if method == "GET" else f"{method} {path}"] = _route_roles(route)
    roles = {}
    for page in PAGES.values():
        allowed = frozenset(Role)
        for path in page.reads:
            allowed &= by_path[path]  # a KeyError here is a page naming an unknown endpoint
        roles[page.name] = tuple(r.value for r in Role if r in allowed)
    app.state.page_roles = roles
    return roles


@lru_cache(maxsize=1)
def _map_script_hashes() -> tuple[str, ...]:
    """CSP hashes of the map document's inline scripts (the same in every map)."""
    html = render_map(MapSpec("", (MapNode("x", "x", "customer"),), ()))
    scripts = re.findall(r"<script>(.*?)</script>", html, flags=re.DOTALL)
    return tuple(
        "'sha256-" + base64.b64encode(hashlib.sha256(s.encode()).digest()).decode() + "'"
        for s in scripts
    )


def content_security_policy(page: str) -> str:
    """The page's policy: only this origin; a map host also admits the map's own scripts."""
    scripts = " ".join(("'self'", *_map_script_hashes())) if page in MAP_HOSTS else "'self'"
    return (
        f"default-src 'self'; script-src {scripts}; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; object-src 'none'; "
        "base-uri 'self'; form-action 'self'; frame-ancestors 'self'"
    )


@lru_cache(maxsize=len(LANGUAGES))
def _environment(language: Language) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(HERE / "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        extensions=["jinja2.ext.i18n"],
    )
    env.install_gettext_translations(translations(language), newstyle=True)  # type: ignore[attr-defined]
    return env


def request_language(request: Request) -> Language:
    """``?lang=`` if given, else the remembered choice, else Chinese."""
    return negotiate(request.query_params.get("lang") or request.cookies.get(LANGUAGE_COOKIE))


def _render(request: Request, page: str, **context: str) -> HTMLResponse:
    language = request_language(request)
    roles = page_roles(request.app)
    html = (
        _environment(language)
        .get_template(PAGES[page].template)
        .render(
            page=PAGES[page],
            language=language,
            html_lang=HTML_LANGS[language],
            other_language="en" if language == "zh" else "zh",
            menu=[(p, roles[p.name]) for p in PAGES.values() if p.menu],
            page_roles=roles[page],
            version=__version__,
            **context,
        )
    )
    response = HTMLResponse(
        html,
        headers={
            "Cache-Control": "no-store",
            "Content-Security-Policy": content_security_policy(page),
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "same-origin",
        },
    )
    if "lang" in request.query_params:
        response.set_cookie(
            LANGUAGE_COOKIE, language, max_age=LANGUAGE_COOKIE_AGE_S, samesite="lax"
        )
    return response


def static_files() -> StaticFiles:
    """The UI's own CSS and JavaScript and the vendored libraries, mounted at ``/static``."""
    return StaticFiles(directory=STATIC_DIR)


IdPath = Annotated[str, PathParam(max_length=64)]


@router.get("/", response_class=HTMLResponse)
def login_page(request: Request) -> HTMLResponse:
    return _render(request, "login")


@router.get("/ui/home", response_class=HTMLResponse)
def home_page(request: Request) -> HTMLResponse:
    return _render(request, "home")


@router.get("/ui/search", response_class=HTMLResponse)
def search_page(request: Request) -> HTMLResponse:
    return _render(request, "search")


@router.get("/ui/customers/{customer_id}", response_class=HTMLResponse)
def customer_page(request: Request, customer_id: IdPath) -> HTMLResponse:
    return _render(request, "customer", subject_id=customer_id)


@router.get("/ui/customers/{customer_id}/map", response_class=HTMLResponse)
def map_page(request: Request, customer_id: IdPath) -> HTMLResponse:
    return _render(request, "map", subject_id=customer_id)


@router.get("/ui/prospects", response_class=HTMLResponse)
def prospects_page(request: Request) -> HTMLResponse:
    return _render(request, "prospects")


@router.get("/ui/prospects/{prospect_id}", response_class=HTMLResponse)
def prospect_page(request: Request, prospect_id: IdPath) -> HTMLResponse:
    return _render(request, "prospect", subject_id=prospect_id)


@router.get("/ui/contagion", response_class=HTMLResponse)
def contagion_page(request: Request) -> HTMLResponse:
    return _render(request, "contagion")


@router.get("/ui/groups", response_class=HTMLResponse)
def groups_page(request: Request) -> HTMLResponse:
    return _render(request, "groups")


@router.get("/ui/groups/{group_id}", response_class=HTMLResponse)
def group_page(request: Request, group_id: IdPath) -> HTMLResponse:
    return _render(request, "group", subject_id=group_id)


@router.get("/ui/circles/{circle_id}", response_class=HTMLResponse)
def circle_page(request: Request, circle_id: IdPath) -> HTMLResponse:
    return _render(request, "circle", subject_id=circle_id)


@router.get("/ui/related", response_class=HTMLResponse)
def related_review_page(request: Request) -> HTMLResponse:
    return _render(request, "related")


@router.get("/ui/events", response_class=HTMLResponse)
def events_page(request: Request) -> HTMLResponse:
    return _render(request, "events")


@router.get("/ui/pipeline", response_class=HTMLResponse)
def pipeline_page(request: Request) -> HTMLResponse:
    return _render(request, "pipeline")


@router.get("/ui/reports", response_class=HTMLResponse)
def reports_page(request: Request) -> HTMLResponse:
    return _render(request, "reports")


@router.get("/ui/scorecards", response_class=HTMLResponse)
def scorecards_page(request: Request) -> HTMLResponse:
    return _render(request, "scorecards")


@router.get("/ui/plan", response_class=HTMLResponse)
def plan_page(request: Request) -> HTMLResponse:
    """A unit's plan: ``?unit=branch:<id>`` or ``rm:<id>`` (the caller's own by default)."""
    return _render(request, "plan")


class Catalogue(BaseModel):
    """The browser's message catalogue: ``messages`` maps each source string to its text."""

    language: Language
    messages: dict[str, str]
    code_lists: dict[str, list[str]] = Field(
        description="Each code list's codes in their order (stages, segments...)"
    )


@router.get("/ui/i18n/{language}.json", response_model=Catalogue)
def catalogue_json(
    language: Annotated[str, PathParam(max_length=16)], response: Response
) -> Catalogue:
    """The message catalogue of ``language`` for the browser (same .mo as the templates).

    ``code_lists`` gives each code list's codes in their order (stages, segments...).
    """
    response.headers["Cache-Control"] = "no-cache"
    return Catalogue(
        language=negotiate(language),
        messages=catalogue(negotiate(language)),
        code_lists={k: list(v) for k, v in CODE_LISTS.items()},
    )


# --- API docs, served with their own assets (an intranet has no CDN) ------------------
DOCS_POLICY: Final = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; worker-src 'self' blob:; "
    "object-src 'none'; base-uri 'self'; frame-ancestors 'self'"
)


def _docs_response(response: HTMLResponse) -> HTMLResponse:
    response.headers["Content-Security-Policy"] = DOCS_POLICY
    return response


@router.get("/docs", response_class=HTMLResponse)
def swagger_ui(request: Request) -> HTMLResponse:
    app: Any = request.app
    return _docs_response(
        get_swagger_ui_html(
            openapi_url=app.openapi_url,
            title=f"{app.title} · API",
            swagger_js_url="/static/vendor/swagger-ui/swagger-ui-bundle.js",
            swagger_css_url="/static/vendor/swagger-ui/swagger-ui.css",
            swagger_favicon_url="data:,",
            swagger_ui_parameters={"validatorUrl": None},
        )
    )


@router.get("/redoc", response_class=HTMLResponse)
def redoc(request: Request) -> HTMLResponse:
    app: Any = request.app
    return _docs_response(
        get_redoc_html(
            openapi_url=app.openapi_url,
            title=f"{app.title} · API",
            redoc_js_url="/static/vendor/redoc/redoc.standalone.js",
            redoc_favicon_url="data:,",
            with_google_fonts=False,
        )
    )
