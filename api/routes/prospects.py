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
from typing import Annotated, Final, Literal

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import HTMLResponse, Response

from api.deps import Caller, CallerLanguage, DatabaseDep, get_app_settings, require_roles
from api.downloads import FILE_RESPONSES, ExportFormat, scope_name, table_file
from api.examples import PROSPECT_EXAMPLE, PROSPECTS_PAGE_EXAMPLE
from api.pagination import Limit, Offset, Page
from api.schemas import (
    CoreEnterpriseOut,
    MessageOut,
    ProspectDetail,
    ProspectSummary,
    RecommendationsOut,
    SupplyChainOut,
)
from core.codes import Role
from core.errors import NotFoundError
from core.formatting import Language
from core.i18n import N_
from core.messages import render_sentences
from core.settings import Settings
from graph.compute_runs import published_runs, run_fields
from graph.core_enterprises import list_core_enterprises
from graph.database import Database
from graph.export_audit import record_export
from services.customer_insights import recommendations_view, supply_chain_view
from services.prospects import (
    PROSPECT_TABLE,
    ProspectFilters,
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
        subtree = caller.tree.subtree(branch)
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


@router.get(
    "/prospects",
    response_model=Page[ProspectSummary],
    responses={200: {"content": {"application/json": {"example": PROSPECTS_PAGE_EXAMPLE}}}},
)
def prospects(
    caller: ProspectReader,
    db: DatabaseDep,
    language: CallerLanguage,
    branch: Branch = None,
    industry: Industry = None,
    region: Region = None,
    min_score: MinScore = None,
    linked_customer: LinkedCustomer = None,
    sort: Sort = "score",
    order: Literal["asc", "desc"] = "desc",
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[ProspectSummary]:
    """Ranked prospects suggested to the caller's branch subtree, with reasons."""
    filters = _filters(caller, db, branch, industry, region, min_score, linked_customer)
    run = published_runs(db, ("prospects",))
    total, items = list_prospects(
        db,
        caller.scope,
        filters,
        language=language,
        sort=sort,
        descending=order == "desc",
        limit=limit,
        offset=offset,
        runs=run,
    )
    return Page[ProspectSummary](
        total=total,
        limit=limit,
        offset=offset,
        items=[ProspectSummary.model_validate(i) for i in items],
        **run_fields(run, "prospects"),
    )


@router.get(
    "/prospects/export",
    response_class=Response,
    responses=FILE_RESPONSES,
)
def export_prospects(
    caller: ProspectReader,
    db: DatabaseDep,
    format: ExportFormat = "csv",
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
        db, caller.scope, filters, language=lang, sort=sort, descending=order == "desc", limit=top
    )
    rows = export_rows(items, lang)
    record_export(
        db,
        kind="prospects",
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
    return table_file(
        PROSPECT_TABLE,
        rows,
        what=N_("Prospects"),
        scope=scope_name(db, branch or caller.scope.home_branch_id),
        export_format=format,
        language=lang,
    )


@router.get(
    "/prospects/{prospect_id}",
    response_model=ProspectDetail,
    responses={200: {"content": {"application/json": {"example": PROSPECT_EXAMPLE}}}},
)
def prospect(
    prospect_id: Annotated[str, Path(max_length=64)],
    caller: ProspectReader,
    db: DatabaseDep,
    language: CallerLanguage,
) -> ProspectDetail:
    """One prospect: score, components, reasons (in the caller's language) and the money
    paths to each linked customer."""
    return ProspectDetail.model_validate(get_prospect(db, caller.scope, prospect_id, language))


@router.get("/core-enterprises", response_model=Page[CoreEnterpriseOut])
def core_enterprises(
    caller: ProspectReader,
    db: DatabaseDep,
    language: CallerLanguage,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[CoreEnterpriseOut]:
    """Core enterprises of the supply chains (customers in scope, and non-customers)."""
    total, cores = list_core_enterprises(db, caller.scope, limit=limit, offset=offset)
    items = [
        CoreEnterpriseOut(
            id=c.id,
            name=c.name,
            is_customer=c.is_customer,
            industry=c.industry,
            region=c.region,
            supply_chain_id=c.supply_chain_id,
            supply_chain_size=c.supply_chain_size,
            influence=c.influence,
            prospect_score=c.prospect_score,
            explanation=render_sentences(c.explanation, language),
            explanation_messages=[MessageOut.of(m) for m in c.explanation],
        )
        for c in cores
    ]
    return Page[CoreEnterpriseOut](total=total, limit=limit, offset=offset, items=items)


@router.get("/customers/{customer_id}/supply-chain", response_model=SupplyChainOut)
def supply_chain(
    customer_id: Annotated[str, Path(max_length=64)],
    caller: ProspectReader,
    db: DatabaseDep,
) -> SupplyChainOut:
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


@router.get("/customers/{customer_id}/recommendations", response_model=RecommendationsOut)
def recommendations(
    customer_id: Annotated[str, Path(max_length=64)],
    caller: ProspectReader,
    db: DatabaseDep,
    settings: Annotated[Settings, Depends(get_app_settings)],
    language: CallerLanguage,
) -> RecommendationsOut:
    """Products similar customers hold that this customer lacks, and its peer percentile.

    Balances count in ``prospect_currency`` (CNY) only, so no currencies are mixed.
    """
    return RecommendationsOut.model_validate(
        recommendations_view(db, caller.scope, customer_id, settings, language)
    )
