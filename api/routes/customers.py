"""Screening and the single-customer view (360)."""

from __future__ import annotations

import logging
from dataclasses import replace
from decimal import Decimal
from typing import Annotated, Literal, TypeVar

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import HTMLResponse, Response

from api.deps import Caller, CallerLanguage, DatabaseDep, get_app_settings, require_roles
from api.downloads import FILE_RESPONSES, ExportFormat, scope_name, table_file
from api.examples import CUSTOMER_360_EXAMPLE, CUSTOMERS_PAGE_EXAMPLE, NETWORK_EXAMPLE
from api.pagination import Limit, Offset, Page
from api.schemas import (
    CnyEquivalentOut,
    Customer360,
    CustomerSummary,
    Facilities,
    GroupExposure,
    MoneyOut,
    NetworkOut,
)
from core.codes import Role
from core.errors import NotFoundError
from core.formatting import Language
from core.i18n import N_
from core.money import FxRate
from core.settings import Settings
from graph.customer_view import read_customer_view
from graph.customers import ScreeningFilters, money, screen_customers
from graph.export_audit import record_export
from graph.fx import read_latest_rates
from services.customer_exports import CUSTOMER_TABLE, customer_rows
from services.customer_insights import recommendations_view
from visualizations.builder import render_map
from visualizations.model import MapSpec
from visualizations.network import NODE_ID_MAX, NetworkRequest, network, spec_to_json

logger = logging.getLogger(__name__)

#: The sections with a multi-currency limit and outstanding total.
FacilitiesT = TypeVar("FacilitiesT", Facilities, GroupExposure)
router = APIRouter(prefix="/api/v1", tags=["customers"])

CustomerReader = Annotated[
    Caller, Depends(require_roles(Role.RM, Role.RISK, Role.PROSPECTING, Role.MANAGER))
]
#: Largest exposure filter (CNY): stored amounts are 64-bit minor units (fen), so
#: anything above about 9.2e16 CNY cannot match; 1e15 CNY is beyond any bank's book.
MAX_EXPOSURE_FILTER = Decimal(10) ** 15


def _filters(
    q: Annotated[
        str | None, Query(max_length=100, description="Name (Chinese, partial) or USCC")
    ] = None,
    segment: Annotated[str | None, Query(max_length=40)] = None,
    industry: Annotated[str | None, Query(max_length=40)] = None,
    region: Annotated[str | None, Query(max_length=40)] = None,
    branch: Annotated[
        str | None, Query(max_length=64, description="Branch id (its subtree)")
    ] = None,
    rm: Annotated[str | None, Query(max_length=64)] = None,
    min_exposure: Annotated[
        Decimal | None,
        Query(ge=0, le=MAX_EXPOSURE_FILTER, description="CNY outstanding, at least"),
    ] = None,
    max_exposure: Annotated[
        Decimal | None,
        Query(ge=0, le=MAX_EXPOSURE_FILTER, description="CNY outstanding, at most"),
    ] = None,
    holds: Annotated[
        str | None, Query(max_length=64, description="Holds this product code")
    ] = None,
    lacks: Annotated[
        str | None, Query(max_length=64, description="Lacks this product code")
    ] = None,
    has_open_events: Annotated[
        bool | None,
        Query(description="Only customers with (true) or without (false) new/acknowledged events"),
    ] = None,
    group: Annotated[
        str | None, Query(max_length=64, description="Member of this group id")
    ] = None,
) -> ScreeningFilters:
    return ScreeningFilters(
        q,
        segment,
        industry,
        region,
        branch,
        rm,
        min_exposure,
        max_exposure,
        holds,
        lacks,
        group,
        has_open_events,
    )


FiltersDep = Annotated[ScreeningFilters, Depends(_filters)]


def _branch_subtree(db: DatabaseDep, caller: Caller, branch: str | None) -> list[str]:
    if branch is None:
        return []
    subtree = caller.tree.subtree(branch)
    if not subtree or not any(caller.scope.allows(b) for b in subtree):
        raise NotFoundError(f"branch {branch} not found")
    return sorted(subtree)


@router.get(
    "/customers",
    response_model=Page[CustomerSummary],
    responses={200: {"content": {"application/json": {"example": CUSTOMERS_PAGE_EXAMPLE}}}},
)
def list_customers(
    caller: CustomerReader,
    db: DatabaseDep,
    filters: FiltersDep,
    sort: Literal["name", "exposure", "segment", "id"] = "name",
    order: Literal["asc", "desc"] = "asc",
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[CustomerSummary]:
    """Screen the customers in the caller's branch subtree."""
    total, items = screen_customers(
        db,
        caller.scope,
        filters,
        branch_subtree=_branch_subtree(db, caller, filters.branch),
        sort=sort,
        descending=order == "desc",
        limit=limit,
        offset=offset,
    )
    return Page[CustomerSummary](
        total=total,
        limit=limit,
        offset=offset,
        items=[CustomerSummary.model_validate(i) for i in items],
    )


@router.get(
    "/customers/export",
    response_class=Response,
    responses=FILE_RESPONSES,
)
def export_customers(
    caller: CustomerReader,
    db: DatabaseDep,
    filters: FiltersDep,
    sort: Literal["name", "exposure", "segment", "id"] = "name",
    format: ExportFormat = "csv",
    lang: Annotated[Language, Query(description="Language of headers and code names.")] = "zh",
) -> Response:
    """The screening result as a CSV (UTF-8 with BOM) or xlsx file; every export is audited.

    Headers, segments and industries are in ``lang`` (Chinese by default), branches and
    RMs by name, exposure as a CNY number; the file is named after the scope and the date.
    """
    _, items = screen_customers(
        db,
        caller.scope,
        filters,
        branch_subtree=_branch_subtree(db, caller, filters.branch),
        sort=sort,
        limit=100_000,
    )
    rows = customer_rows(items, lang)
    record_export(
        db,
        kind="customers",
        user_id=caller.user.user_id,
        export_format=format,
        filters={**vars(filters), "sort": sort, "lang": lang},
        rows=len(rows),
    )
    scope_id = filters.branch or caller.scope.home_branch_id
    return table_file(
        CUSTOMER_TABLE,
        rows,
        what=N_("Customers"),
        scope=scope_name(db, scope_id),
        export_format=format,
        language=lang,
    )


def _with_cny(section: FacilitiesT, rates: dict[str, FxRate]) -> FacilitiesT:
    """A multi-currency total section with its totals also in CNY (``*_cny``), marking
    amounts whose currency has no rate."""
    return section.model_copy(
        update={
            "limit_total_cny": CnyEquivalentOut.of(section.limit_total, rates),
            "outstanding_total_cny": CnyEquivalentOut.of(section.outstanding_total, rates),
        }
    )


@router.get(
    "/customers/{customer_id}",
    response_model=Customer360,
    responses={200: {"content": {"application/json": {"example": CUSTOMER_360_EXAMPLE}}}},
)
def get_customer(
    customer_id: Annotated[str, Path(max_length=64)],
    caller: CustomerReader,
    db: DatabaseDep,
    settings: Annotated[Settings, Depends(get_app_settings)],
    language: CallerLanguage,
) -> Customer360:
    """The single-customer view: every section present, empty when there is no data."""
    read = read_customer_view(db, caller.scope, customer_id, activity=20, language=language)
    sections = read.sections
    insights = recommendations_view(db, caller.scope, customer_id, settings, language)
    rates = read_latest_rates(db)
    group = sections.group
    if group is not None:
        group = group.model_copy(
            update={
                "exposure": _with_cny(group.exposure, rates),
                # The bank's concentration threshold, so that the group's use of it can be drawn.
                "concentration_threshold": [
                    MoneyOut.model_validate(money(minor, currency))
                    for currency, minor in sorted(settings.group_concentration_minor.items())
                ],
            }
        )
    guarantees = sections.guarantees.model_copy(
        update={
            "circles": [
                circle.model_copy(
                    update={"amounts_cny": CnyEquivalentOut.of(circle.amounts, rates)}
                )
                for circle in sections.guarantees.circles
            ]
        }
    )
    return Customer360.model_validate(
        {
            **dict(sections),
            "facilities": _with_cny(sections.facilities, rates),
            "group": group,
            "guarantees": guarantees,
            "events": list(read.events),
            "opportunities": list(read.opportunities),
            "key_persons": list(read.key_persons),
            "recommendations": insights["recommendations"],
            "contribution": {**insights["contribution"], "peers": insights["peers"]},
        }
    )


def _network_request(
    depth: Annotated[int, Query(ge=1, le=3)] = 1,
    types: Annotated[
        str | None,
        Query(
            max_length=80,
            description="Comma-separated: OWNS,CONTROLS,SUPPLIES,GUARANTEES,PAYS and the "
            "ties of people and contacts KEY_PERSON_OF,FAMILY_OF,HAS_CONTACT",
        ),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=200, description="Neighbours kept per node")] = 25,
    people: Annotated[
        bool,
        Query(description="Also follow key persons, family ties and shared contacts"),
    ] = False,
) -> NetworkRequest:
    return NetworkRequest.parse(depth, types, limit, people=people)


NetworkRequestDep = Annotated[NetworkRequest, Depends(_network_request)]


def _customer_network(
    db: DatabaseDep,
    caller: Caller,
    customer_id: str,
    request: NetworkRequest,
    language: Literal["zh", "en"] = "zh",
) -> MapSpec:
    spec = network(db, caller.scope, customer_id, request, language=language)
    if spec.nodes[0].kind != "customer":
        raise NotFoundError(f"customer {customer_id} not found")
    return spec


@router.get(
    "/customers/{customer_id}/network",
    response_model=NetworkOut,
    responses={200: {"content": {"application/json": {"example": NETWORK_EXAMPLE}}}},
)
def get_customer_network(
    customer_id: Annotated[str, Path(max_length=64)],
    caller: CustomerReader,
    db: DatabaseDep,
    request: NetworkRequestDep,
) -> NetworkOut:
    """Nodes and edges around a customer, supernodes capped with a "+k more" node."""
    return NetworkOut.model_validate(
        spec_to_json(_customer_network(db, caller, customer_id, request))
    )


@router.get("/customers/{customer_id}/map", response_class=HTMLResponse)
def get_customer_map(
    customer_id: Annotated[str, Path(max_length=64)],
    caller: CustomerReader,
    db: DatabaseDep,
    request: NetworkRequestDep,
    settings: Annotated[Settings, Depends(get_app_settings)],
    lang: Literal["zh", "en"] = "zh",
) -> HTMLResponse:
    """The customer's interactive relationship map: one self-contained HTML page."""
    spec = _customer_network(db, caller, customer_id, request, lang)
    spec = replace(spec, label_min_weight=float(settings.map_edge_label_min_cny * 100))
    return HTMLResponse(render_map(spec, language=lang))


@router.get("/nodes/{node_id}/network", response_model=NetworkOut)
def get_node_network(
    node_id: Annotated[str, Path(max_length=NODE_ID_MAX)],
    caller: CustomerReader,
    db: DatabaseDep,
    request: NetworkRequestDep,
    lang: Literal["zh", "en"] = "zh",
) -> NetworkOut:
    """Neighbours of any node the caller may see (the maps' "expand")."""
    return NetworkOut.model_validate(
        spec_to_json(network(db, caller.scope, node_id, request, language=lang))
    )
