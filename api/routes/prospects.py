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
from typing import Annotated, Any, Final, Literal, LiteralString

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import Response

from algorithms.cross_sell import CustomerProfile, cross_sell
from algorithms.influence import supply_tiers
from algorithms.prospects import SupplyLink
from api.deps import Caller, DatabaseDep, get_app_settings, require_roles
from corpgraph.errors import NotFoundError
from graph.branches import read_branch_tree, scope_predicate
from graph.database import Database
from graph.prospects_store import (
    ProspectFilters,
    audit_export,
    export_rows,
    get_prospect,
    list_prospects,
    render_csv,
    render_xlsx,
)
from graph.settings import Settings
from graph.users import Role
from loaders.parsing import from_minor_units

logger = logging.getLogger(__name__)
router = APIRouter(prefix="/api/v1", tags=["prospects"])

ProspectReader = Annotated[Caller, Depends(require_roles(Role.RM, Role.PROSPECTING, Role.MANAGER))]
EXPORT_LIMIT: Final = 100_000
OUTSIDE_SCOPE_NAME: Final = "（其他机构客户）"

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

READ_CUSTOMER_IN_SCOPE: Final[LiteralString] = (
    "MATCH (c:Customer {company_id: $id}) WHERE "
    + scope_predicate("c")
    + " RETURN c.company_id AS id, c.name AS name"
)

READ_SUPPLY_NEIGHBOURHOOD: Final[LiteralString] = """
MATCH (c:Company {company_id: $id})
MATCH path = (c)-[:SUPPLIES*1..2]-(:Company)
UNWIND relationships(path) AS r
WITH DISTINCT r
WITH startNode(r) AS s, endNode(r) AS b, r
RETURN s.company_id AS supplier_id, b.company_id AS buyer_id,
       coalesce(r.annual_amount_minor, 0) AS amount_minor, coalesce(r.currency, 'CNY') AS currency,
       s.name AS supplier_name, b.name AS buyer_name,
       s:Customer AS supplier_is_customer, b:Customer AS buyer_is_customer,
       s.branch_id AS supplier_branch, b.branch_id AS buyer_branch
"""

READ_PROFILES: Final[LiteralString] = """
MATCH (c:Customer)
OPTIONAL MATCH (c)-[h:HOLDS]->(p:Product)
RETURN c.company_id AS id, c.industry AS industry, c.segment AS segment,
       collect({code: p.product_code, balance: h.balance_minor, currency: h.currency}) AS holdings
"""


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
) -> Response:
    """The same prospects as a CSV (UTF-8 with BOM) or xlsx file; every export is audited."""
    filters = _filters(caller, db, branch, industry, region, min_score, linked_customer)
    _, items = list_prospects(
        db, caller.scope, filters, sort=sort, descending=order == "desc", limit=top
    )
    rows = export_rows(items)
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
        },
        rows=len(rows),
    )
    if format == "xlsx":
        return Response(
            content=render_xlsx(rows),
            media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            headers={"Content-Disposition": 'attachment; filename="prospects.xlsx"'},
        )
    return Response(
        content=render_csv(rows),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="prospects.csv"'},
    )


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
    center = db.read_one(READ_CUSTOMER_IN_SCOPE, {"id": customer_id, **caller.scope.parameters()})
    if center is None:
        raise NotFoundError(f"customer {customer_id} not found")
    links: list[SupplyLink] = []
    names: dict[str, str] = {customer_id: str(center["name"])}
    customers: set[str] = set()
    for r in db.read(READ_SUPPLY_NEIGHBOURHOOD, {"id": customer_id}):
        links.append(
            SupplyLink(
                str(r["supplier_id"]), str(r["buyer_id"]), int(r["amount_minor"]), r["currency"]
            )
        )
        for side in ("supplier", "buyer"):
            cid = str(r[f"{side}_id"])
            is_customer = bool(r[f"{side}_is_customer"])
            if is_customer:
                customers.add(cid)
            hidden = is_customer and not caller.scope.allows(r[f"{side}_branch"])
            if cid != customer_id:
                names[cid] = OUTSIDE_SCOPE_NAME if hidden else str(r[f"{side}_name"] or cid)
    tiers = supply_tiers(customer_id, links, names, customers)

    def tier_out(members: tuple[Any, ...]) -> list[dict[str, Any]]:
        return [
            {
                "id": m.company_id if m.name != OUTSIDE_SCOPE_NAME else None,
                "name": m.name,
                "is_customer": m.is_customer,
                "tier": m.tier,
                "via": m.via if names.get(m.via) != OUTSIDE_SCOPE_NAME else None,
                "annual_amount": str(from_minor_units(m.annual_amount_minor, m.currency)),
                "currency": m.currency,
            }
            for m in members
        ]

    return {
        "customer": {"id": customer_id, "name": center["name"]},
        "upstream": [tier_out(t) for t in tiers.upstream],
        "downstream": [tier_out(t) for t in tiers.downstream],
    }


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
    center = db.read_one(READ_CUSTOMER_IN_SCOPE, {"id": customer_id, **caller.scope.parameters()})
    if center is None:
        raise NotFoundError(f"customer {customer_id} not found")
    currency = settings.prospect_currency
    profiles = {
        str(r["id"]): CustomerProfile(
            str(r["id"]),
            r["industry"],
            r["segment"],
            {
                str(h["code"]): int(h["balance"] or 0) if h["currency"] == currency else 0
                for h in r["holdings"]
                if h["code"] is not None
            },
        )
        for r in db.read(READ_PROFILES)
    }
    result = cross_sell(
        customer_id,
        profiles,
        peers=settings.cross_sell_peers,
        min_share=settings.cross_sell_min_peer_share,
    )
    return {
        "customer": {"id": customer_id, "name": center["name"]},
        "peers": len(result.peers),
        "recommendations": [
            {
                "product_code": r.product_code,
                "peer_count": r.peer_count,
                "peers": r.peers,
                "share": r.share,
                "lift": r.lift,
                "reasons": {"zh": r.reason_zh, "en": r.reason_en},
            }
            for r in result.recommendations
        ],
        "contribution": {
            "balance": str(from_minor_units(result.contribution_minor, currency)),
            "currency": currency,
            "peer_group_size": result.peer_group_size,
            "percentile": result.contribution_percentile,
        },
    }
