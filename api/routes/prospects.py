"""Prospects, core enterprises and supply chains.

Prospects are scoped by their *suggested* branch: a user sees the prospects
suggested to its branch subtree (head office sees all), in the list, the export and
the detail (another branch's prospect answers 404). Linked customers outside the
caller's scope are counted, not named.

Every export writes an ``(:ExportAudit {kind: 'prospects'})`` node: ``user_id``,
``at`` (UTC datetime), ``format``, ``filters`` (JSON) and ``row_count``.
"""

from __future__ import annotations

import logging
from datetime import date
from typing import Annotated, Any, Final, Literal, LiteralString

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import HTMLResponse, Response

from api.deps import Caller, DatabaseDep, get_app_settings, require_roles
from core.codes import Role
from core.errors import NotFoundError
from core.formatting import Language
from core.i18n import gettext
from core.settings import Settings
from graph.branches import read_branch_tree, read_branches, scope_predicate
from graph.database import Database
from services.customer_insights import recommendations_view, supply_chain_view
from services.exports import content_disposition, file_name, to_csv, to_xlsx
from services.prospects import (
    PROSPECT_TABLE,
    ProspectFilters,
    audit_export,
    export_rows,
    get_prospect,
    list_prospects,
)
from visualizations.builder import render_map
from visualizations.supply import supply_chain_map

logger = logging.getLogger(__name__)
router = APIRouter(prefix="/api/v1", tags=["prospects"])

ProspectReader = Annotated[Caller, Depends(require_roles(Role.RM, Role.PROSPECTING, Role.MANAGER))]
EXPORT_LIMIT: Final = 100_000

READ_CORES: Final[LiteralString] = (
    """
MATCH (c:Company)
WHERE c.core_enterprise = true AND (NOT c:Customer OR """
    + scope_predicate("c")
    + """)
RETURN c.company_id AS id, c.name AS name, c:Customer AS is_customer,
       c.branch_id AS branch_id, c.industry AS industry, c.region AS region,
       c.supply_chain_id AS chain_id, c.supply_chain_size AS size,
       c.influence_supply_pagerank AS influence, c.core_explanation_zh AS explanation_zh,
       c.core_explanation_en AS explanation_en, c.prospect_score AS prospect_score
ORDER BY size DESC, id
SKIP $offset LIMIT $limit
"""
)
COUNT_CORES: Final[LiteralString] = (
    """
MATCH (c:Company)
WHERE c.core_enterprise = true AND (NOT c:Customer OR """
    + scope_predicate("c")
    + """)
RETURN count(c) AS total
"""
)


def _filters(
    caller: Caller,
    db: Database,
    branch: str | None,
    industry: str | None,
    region: str | None,
    min_score: float | None,
    linked_customer: str | None,
) -> ProspectFilters:
    branch_ids: tuple[str, ...] | None = None
    if branch is not None:
        subtree = read_branch_tree(db).subtree(branch)
        if not subtree or not any(caller.scope.allows(b) for b in subtree):
            raise NotFoundError(f"branch {branch} not found")
        branch_ids = tuple(sorted(subtree))
    return ProspectFilters(branch_ids, industry, region, min_score, linked_customer)


Branch = Annotated[str | None, Query(max_length=64, description="Suggested branch (subtree)")]
Industry = Annotated[str | None, Query(max_length=40)]
Region = Annotated[str | None, Query(max_length=40)]
MinScore = Annotated[float | None, Query(ge=0, le=1)]
LinkedCustomer = Annotated[str | None, Query(max_length=64, description="Tied to this customer id")]
Sort = Literal["score", "name", "id"]


@router.get("/prospects")
def prospects(
    caller: ProspectReader,
    db: DatabaseDep,
    branch: Branch = None,
    industry: Industry = None,
    region: Region = None,
    min_score: MinScore = None,
    linked_customer: LinkedCustomer = None,
    sort: Sort = "score",
    order: Literal["asc", "desc"] = "desc",
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> dict[str, Any]:
    """Ranked prospects suggested to the caller's branch subtree, with reasons."""
    filters = _filters(caller, db, branch, industry, region, min_score, linked_customer)
    total, items = list_prospects(
        db, caller.scope, filters, sort=sort, descending=order == "desc", limit=limit, offset=offset
    )
    return {"total": total, "limit": limit, "offset": offset, "items": items}


@router.get("/prospects/export")
def export_prospects(
    caller: ProspectReader,
    db: DatabaseDep,
    format: Literal["csv", "xlsx"] = "csv",
    branch: Branch = None,
    industry: Industry = None,
    region: Region = None,
    min_score: MinScore = None,
    linked_customer: LinkedCustomer = None,
    sort: Sort = "score",
    order: Literal["asc", "desc"] = "desc",
    top: Annotated[int, Query(ge=1, le=EXPORT_LIMIT)] = EXPORT_LIMIT,
    lang: Annotated[Language, Query(description="Language of headers and reasons.")] = "zh",
) -> Response:
    """The same prospects as a CSV (UTF-8 with BOM) or xlsx file; every export is audited.

    Headers, reasons and industries are in ``lang`` (Chinese by default); the rank and
    every score component are columns; the xlsx has a frozen header, filters, column
    widths and number formats. The file is named after the scope and the date.
    """
    filters = _filters(caller, db, branch, industry, region, min_score, linked_customer)
    _, items = list_prospects(
        db, caller.scope, filters, sort=sort, descending=order == "desc", limit=top
    )
    rows = export_rows(items, lang)
    audit_export(
        db,
        user_id=caller.user.user_id,
        export_format=format,
        filters={
            "branch": branch,
            "industry": industry,
            "region": region,
            "min_score": min_score,
            "linked_customer": linked_customer,
            "sort": sort,
            "order": order,
            "top": top,
            "lang": lang,
        },
        rows=len(rows),
    )
    scope_name = _scope_name(db, branch or caller.scope.home_branch_id)
    name = file_name(gettext(lang, "Prospects"), scope_name, date.today(), format)
    headers = {"Content-Disposition": content_disposition(name)}
    if format == "xlsx":
        return Response(
            content=to_xlsx(PROSPECT_TABLE, rows, lang),
            media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            headers=headers,
        )
    return Response(
        content=to_csv(PROSPECT_TABLE, rows, lang),
        media_type="text/csv; charset=utf-8",
        headers=headers,
    )


def _scope_name(db: Database, branch_id: str) -> str:
    """The branch's name for a file name (its id if the branch has no name)."""
    names = {b.branch_id: b.name for b in read_branches(db)}
    return names.get(branch_id) or branch_id


@router.get("/prospects/{prospect_id}")
def prospect(
    prospect_id: Annotated[str, Path(max_length=64)],
    caller: ProspectReader,
    db: DatabaseDep,
) -> dict[str, Any]:
    """One prospect: score, components, reasons and the money paths to each linked customer."""
    return get_prospect(db, caller.scope, prospect_id)


@router.get("/core-enterprises")
def core_enterprises(
    caller: ProspectReader,
    db: DatabaseDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> dict[str, Any]:
    """Core enterprises of the supply chains (customers in scope, and non-customers)."""
    params = {**caller.scope.parameters(), "limit": limit, "offset": offset}
    total_row = db.read_one(COUNT_CORES, params)
    items = [
        {
            "id": r["id"],
            "name": r["name"],
            "is_customer": bool(r["is_customer"]),
            "industry": r["industry"],
            "region": r["region"],
            "supply_chain_id": r["chain_id"],
            "supply_chain_size": r["size"],
            "influence": r["influence"],
            "prospect_score": r["prospect_score"],
            "explanation": {"zh": r["explanation_zh"], "en": r["explanation_en"]},
        }
        for r in db.read(READ_CORES, params)
    ]
    total = int(total_row["total"]) if total_row else 0
    return {"total": total, "limit": limit, "offset": offset, "items": items}


@router.get("/customers/{customer_id}/supply-chain")
def supply_chain(
    customer_id: Annotated[str, Path(max_length=64)],
    caller: ProspectReader,
    db: DatabaseDep,
) -> dict[str, Any]:
    """Upstream and downstream tiers (two each) around a customer, with annual amounts."""
    return supply_chain_view(db, caller.scope, customer_id)


@router.get("/customers/{customer_id}/supply-chain/map", response_class=HTMLResponse)
def supply_chain_map_page(
    customer_id: Annotated[str, Path(max_length=64)],
    caller: ProspectReader,
    db: DatabaseDep,
    lang: Literal["zh", "en"] = "zh",
) -> HTMLResponse:
    """The supply tiers as an interactive, offline map: suppliers above, buyers below."""
    return HTMLResponse(render_map(supply_chain_map(db, caller.scope, customer_id), language=lang))


@router.get("/customers/{customer_id}/recommendations")
def recommendations(
    customer_id: Annotated[str, Path(max_length=64)],
    caller: ProspectReader,
    db: DatabaseDep,
    settings: Annotated[Settings, Depends(get_app_settings)],
) -> dict[str, Any]:
    """Products similar customers hold that this customer lacks, and its peer percentile.

    Balances count in ``prospect_currency`` (CNY) only, so no currencies are mixed.
    """
    return recommendations_view(db, caller.scope, customer_id, settings)
