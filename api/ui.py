"""The web UI: server-rendered page shells, a little JavaScript, no build step.

Pages carry no customer data. Their script asks the JSON API for it with the API
key the user logged in with (kept in ``sessionStorage``), so every piece of data
passes the same authentication and branch scoping as any API client. Everything
(CSS, JS, the maps' vis-network) is served by the app; nothing loads from the
internet.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Annotated, Final

import jinja2
from fastapi import APIRouter
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from corpgraph import __version__

HERE: Final = Path(__file__).resolve().parent
STATIC_DIR: Final = HERE / "static"

router = APIRouter(include_in_schema=False)

#: page name → (template, Chinese title, English title)
PAGES: Final[dict[str, tuple[str, str, str]]] = {
    "login": ("login.html.j2", "登录", "Log in"),
    "search": ("search.html.j2", "客户筛选", "Customer search"),
    "customer": ("customer.html.j2", "客户视图", "Customer 360"),
    "map": ("map.html.j2", "关系图谱", "Relationship map"),
    "prospects": ("prospects.html.j2", "潜在客户", "Prospects"),
    "groups": ("groups.html.j2", "集团与担保圈", "Groups and guarantee circles"),
    "events": ("events.html.j2", "事件收件箱", "Events inbox"),
    "pipeline": ("pipeline.html.j2", "商机看板", "Opportunity pipeline"),
    "reports": ("reports.html.j2", "监控报表", "Reports"),
}


@lru_cache(maxsize=1)
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(HERE / "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )


def _render(page: str, **context: str) -> HTMLResponse:
    template, title_zh, title_en = PAGES[page]
    html = (
        _environment()
        .get_template(template)
        .render(page=page, title_zh=title_zh, title_en=title_en, version=__version__, **context)
    )
    return HTMLResponse(html, headers={"Cache-Control": "no-store"})


def static_files() -> StaticFiles:
    """The UI's own CSS and JavaScript, mounted at ``/static``."""
    return StaticFiles(directory=STATIC_DIR)


@router.get("/", response_class=HTMLResponse)
def login_page() -> HTMLResponse:
    return _render("login")


@router.get("/ui/search", response_class=HTMLResponse)
def search_page() -> HTMLResponse:
    return _render("search")


@router.get("/ui/customers/{customer_id}", response_class=HTMLResponse)
def customer_page(customer_id: Annotated[str, PathParam(max_length=64)]) -> HTMLResponse:
    return _render("customer", subject_id=customer_id)


@router.get("/ui/customers/{customer_id}/map", response_class=HTMLResponse)
def map_page(customer_id: Annotated[str, PathParam(max_length=64)]) -> HTMLResponse:
    return _render("map", subject_id=customer_id)


@router.get("/ui/prospects", response_class=HTMLResponse)
def prospects_page() -> HTMLResponse:
    return _render("prospects")


@router.get("/ui/groups", response_class=HTMLResponse)
def groups_page() -> HTMLResponse:
    return _render("groups")


@router.get("/ui/events", response_class=HTMLResponse)
def events_page() -> HTMLResponse:
    return _render("events")


@router.get("/ui/pipeline", response_class=HTMLResponse)
def pipeline_page() -> HTMLResponse:
    return _render("pipeline")


@router.get("/ui/reports", response_class=HTMLResponse)
def reports_page() -> HTMLResponse:
    return _render("reports")
