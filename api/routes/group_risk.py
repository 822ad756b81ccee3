"""Group risk: controllers, groups and exposure, guarantee circles, contagion.

Roles risk, manager and admin. Branch scoping: a group (or circle) is visible
when at least one member is booked in the caller's subtree; its totals are
always whole, but members outside the subtree show no facility details. A group
or circle the caller may not see answers 404, exactly like an unknown id, so its
existence does not leak. Money is a decimal string with its currency.
"""

from __future__ import annotations

import logging
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, Field

from algorithms.groups import Exposure
from api.deps import Caller, DatabaseDep, require_roles
from api.routes.interdependence import GroupInterdependenceOut, group_view
from corpgraph.errors import NotFoundError
from graph import group_risk, risk_maps
from graph.users import Role
from loaders.parsing import from_minor_units
from visualizations.builder import render_map

logger = logging.getLogger(__name__)
router = APIRouter(prefix="/api/v1", tags=["group risk"])

RiskReader = Annotated[Caller, Depends(require_roles(Role.RISK, Role.MANAGER))]
IdPath = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")]
Limit = Annotated[int, Query(ge=1, le=500)]
Offset = Annotated[int, Query(ge=0, le=1_000_000)]


class Money(BaseModel):
    currency: str
    limit: str
    outstanding: str


class ControllerOut(BaseModel):
    id: str
    name: str
    type: str
    effective_pct: float
    control_pct: float
    by: list[Literal["effective", "control_chain"]]
    paths: list[list[str]]


class OwnerOut(BaseModel):
    id: str
    effective_pct: float


class ControllersOut(BaseModel):
    company_id: str
    controllers: list[ControllerOut]
    owners: list[OwnerOut]


class NodeRef(BaseModel):
    id: str
    name: str | None
    type: str


class GroupSummary(BaseModel):
    id: str
    controller: NodeRef
    size: int
    rank: int
    over_concentration: bool
    exposure: list[Money]


class GroupPage(BaseModel):
    total: int
    limit: int
    offset: int
    items: list[GroupSummary]


class MemberOut(BaseModel):
    id: str
    name: str | None
    role: str
    depth: int
    is_customer: bool
    parent_id: str | None
    visible: bool
    facilities: list[Money] | None


class GroupDetail(GroupSummary):
    max_depth: int
    explanation: str
    members: list[MemberOut]
    #: The second kind of connection: economic interdependence beyond control.
    economic_interdependence: GroupInterdependenceOut | None = None


class CircleSummary(BaseModel):
    id: str
    size: int
    members: list[str]
    amounts: list[dict[str, str]]


class CirclePage(BaseModel):
    total: int
    limit: int
    offset: int
    items: list[CircleSummary]


class CircleMember(BaseModel):
    id: str
    name: str | None
    is_customer: bool
    visible: bool
    facilities: list[Money] | None


class GuaranteeOut(BaseModel):
    guarantee_id: str
    guarantor_id: str
    borrower_id: str
    amount: str
    currency: str


class CircleDetail(BaseModel):
    id: str
    size: int
    members: list[CircleMember]
    cycles: list[list[str]]
    cycles_complete: bool
    mutual_pairs: list[list[str]]
    amounts: list[dict[str, str]]
    guarantees: list[GuaranteeOut]


def _money(exposures: list[Exposure]) -> list[Money]:
    return [
        Money(
            currency=e.currency,
            limit=str(from_minor_units(e.limit_minor, e.currency)),
            outstanding=str(from_minor_units(e.outstanding_minor, e.currency)),
        )
        for e in exposures
    ]


def _summary(row: dict[str, Any]) -> dict[str, Any]:
    g = row["g"]
    return {
        "id": g["group_id"],
        "controller": NodeRef(
            id=g["controller_id"], name=row.get("controller_name"), type=g["controller_type"]
        ),
        "size": g["size"],
        "rank": g["rank"],
        "over_concentration": g["over_concentration"],
        "exposure": _money(
            group_risk.exposures_from(
                list(g.get("currencies") or []),
                list(g.get("limit_minor") or []),
                list(g.get("outstanding_minor") or []),
            )
        ),
    }


def _amounts(k: dict[str, Any]) -> list[dict[str, str]]:
    return [
        {"currency": c, "amount": str(from_minor_units(int(a), c))}
        for c, a in zip(k.get("currencies") or [], k.get("amounts_minor") or [], strict=True)
    ]


@router.get(
    "/companies/{company_id}/controllers",
    response_model=ControllersOut,
    responses={404: {"description": "Unknown company or outside the caller's branches"}},
)
def controllers(
    company_id: IdPath,
    caller: RiskReader,
    db: DatabaseDep,
    threshold: Annotated[float, Query(gt=0, le=100, description="Effective-share %")] = 25.0,
    max_depth: Annotated[int, Query(ge=1, le=50)] = 10,
    max_paths: Annotated[int, Query(ge=1, le=5000)] = 200,
) -> ControllersOut:
    """Ultimate controllers by both measures, with paths, and every upstream owner."""
    found = group_risk.company_controllers(
        db,
        company_id,
        caller.scope,
        threshold_pct=threshold,
        max_depth=max_depth,
        max_paths=max_paths,
    )
    if found is None:
        raise NotFoundError(f"company {company_id} not found")
    report = found.report
    return ControllersOut(
        company_id=company_id,
        controllers=[
            ControllerOut(
                id=c.controller_id,
                name=found.nodes[c.controller_id].name if c.controller_id in found.nodes else "",
                type=found.nodes[c.controller_id].type
                if c.controller_id in found.nodes
                else "company",
                effective_pct=round(c.effective_pct, 6),
                control_pct=round(c.control_pct, 6),
                by=list(c.by),
                paths=[list(p) for p in c.paths],
            )
            for c in report.controllers
        ],
        owners=[OwnerOut(id=o, effective_pct=round(pct, 6)) for o, pct in report.owners],
    )


@router.get("/groups", response_model=GroupPage)
def groups(
    caller: RiskReader,
    db: DatabaseDep,
    sort: Annotated[Literal["exposure"], Query(description="Ranking: CNY outstanding")] = (
        "exposure"
    ),
    limit: Limit = 50,
    offset: Offset = 0,
) -> GroupPage:
    """Visible groups ranked by exposure (CNY outstanding, largest first)."""
    total, rows = group_risk.list_groups(db, caller.scope, limit=limit, offset=offset)
    return GroupPage(
        total=total,
        limit=limit,
        offset=offset,
        items=[GroupSummary(**_summary(r)) for r in rows],
    )


@router.get(
    "/groups/{group_id}",
    response_model=GroupDetail,
    responses={404: {"description": "Unknown group or no member in the caller's branches"}},
)
def group(group_id: IdPath, caller: RiskReader, db: DatabaseDep) -> GroupDetail:
    """A group: controller, members (role, depth, customer flag) and whole exposure totals."""
    found = group_risk.get_group(db, group_id, caller.scope)
    if found is None:
        raise NotFoundError(f"group {group_id} not found")
    row, members = found
    return GroupDetail(
        **_summary(row),
        max_depth=row["g"].get("max_depth") or 0,
        explanation=row["g"].get("explanation") or "",
        members=[
            MemberOut(
                id=m["id"],
                name=m["name"],
                role=m["role"],
                depth=m["depth"],
                is_customer=m["is_customer"],
                parent_id=m["parent_id"],
                visible=m["visible"],
                facilities=_money(group_risk.member_facilities(m["facilities"]))
                if m["visible"]
                else None,
            )
            for m in members
        ],
        economic_interdependence=group_view(db, group_id, caller.scope),
    )


@router.get("/guarantee-circles", response_model=CirclePage)
def circles(
    caller: RiskReader, db: DatabaseDep, limit: Limit = 50, offset: Offset = 0
) -> CirclePage:
    """Visible guarantee circles, largest first."""
    total, rows = group_risk.list_circles(db, caller.scope, limit=limit, offset=offset)
    items = []
    for r in rows:
        k = r["k"]
        members = sorted(str(m) for m in r["members"])
        items.append(
            CircleSummary(id=k["circle_id"], size=k["size"], members=members, amounts=_amounts(k))
        )
    return CirclePage(total=total, limit=limit, offset=offset, items=items)


@router.get(
    "/guarantee-circles/{circle_id}",
    response_model=CircleDetail,
    responses={404: {"description": "Unknown circle or no member in the caller's branches"}},
)
def circle(circle_id: IdPath, caller: RiskReader, db: DatabaseDep) -> CircleDetail:
    """A circle: members (with exposure when visible), elementary cycles, mutual pairs, amounts."""
    found = group_risk.get_circle(db, circle_id, caller.scope)
    if found is None:
        raise NotFoundError(f"guarantee circle {circle_id} not found")
    row, members, edges = found
    k = row["k"]
    return CircleDetail(
        id=k["circle_id"],
        size=k["size"],
        members=[
            CircleMember(
                id=m["id"],
                name=m["name"],
                is_customer=m["is_customer"],
                visible=m["visible"],
                facilities=_money(group_risk.member_facilities(m["facilities"]))
                if m["visible"]
                else None,
            )
            for m in members
        ],
        cycles=[c.split(">") for c in k.get("cycles") or []],
        cycles_complete=bool(k.get("cycles_complete")),
        mutual_pairs=[p.split("|") for p in k.get("mutual_pairs") or []],
        amounts=_amounts(k),
        guarantees=[
            GuaranteeOut(
                guarantee_id=e.guarantee_id,
                guarantor_id=e.guarantor_id,
                borrower_id=e.borrower_id,
                amount=str(from_minor_units(e.amount_minor, e.currency)),
                currency=e.currency,
            )
            for e in edges
        ],
    )


class ContagionIn(BaseModel):
    company_id: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")
    default_ratio: float = Field(default=0.5, gt=0, le=10)
    control: bool = True
    max_rounds: int = Field(default=10, ge=1, le=50)


class AmountOut(BaseModel):
    currency: str
    amount: str


class AffectedOut(BaseModel):
    id: str
    name: str | None
    visible: bool
    status: str
    round: int
    via: str
    path: list[str]
    guarantee_calls: list[AmountOut] | None
    exposure_at_default: list[AmountOut] | None


class ContagionOut(BaseModel):
    seed: str
    rounds: int
    explanation: str
    total_guarantee_calls: list[AmountOut]
    total_exposure_at_default: list[AmountOut]
    affected: list[AffectedOut]


def _amount_list(pairs: tuple[tuple[str, int], ...]) -> list[AmountOut]:
    return [AmountOut(currency=c, amount=str(from_minor_units(a, c))) for c, a in pairs]


@router.post(
    "/contagion",
    response_model=ContagionOut,
    responses={404: {"description": "Unknown company or outside the caller's branches"}},
)
def contagion(body: ContagionIn, caller: RiskReader, db: DatabaseDep) -> ContagionOut:
    """Propagate a default through guarantees and control (threshold model, see docs).

    Totals are whole; affected companies outside the caller's branches show no amounts.
    """
    found = group_risk.company_contagion(
        db,
        body.company_id,
        caller.scope,
        default_ratio=body.default_ratio,
        control=body.control,
        max_rounds=body.max_rounds,
    )
    if found is None:
        raise NotFoundError(f"company {body.company_id} not found")
    result, seen = found
    affected = []
    for a in result.affected:
        name, visible = seen.get(a.company_id, (None, False))
        affected.append(
            AffectedOut(
                id=a.company_id,
                name=name if visible else None,
                visible=visible,
                status=a.status,
                round=a.round,
                via=a.via,
                path=list(a.path),
                guarantee_calls=_amount_list(a.guarantee_calls) if visible else None,
                exposure_at_default=_amount_list(a.exposure_at_default) if visible else None,
            )
        )
    return ContagionOut(
        seed=result.seed,
        rounds=result.rounds,
        explanation=result.explanation,
        total_guarantee_calls=_amount_list(result.total_calls),
        total_exposure_at_default=_amount_list(result.total_exposure_at_default),
        affected=affected,
    )


@router.get(
    "/groups/{group_id}/map",
    response_class=HTMLResponse,
    responses={404: {"description": "Unknown group or no member in the caller's branches"}},
)
def group_map(
    group_id: IdPath, caller: RiskReader, db: DatabaseDep, lang: Literal["zh", "en"] = "zh"
) -> HTMLResponse:
    """The group's ownership tree: controller on top, % on the edges; interactive, offline."""
    found = group_risk.get_group(db, group_id, caller.scope)
    if found is None:
        raise NotFoundError(f"group {group_id} not found")
    row, members = found
    spec = risk_maps.group_map(row["g"], row.get("controller_name"), members)
    return HTMLResponse(render_map(spec, language=lang))


@router.get(
    "/guarantee-circles/{circle_id}/map",
    response_class=HTMLResponse,
    responses={404: {"description": "Unknown circle or no member in the caller's branches"}},
)
def circle_map(
    circle_id: IdPath, caller: RiskReader, db: DatabaseDep, lang: Literal["zh", "en"] = "zh"
) -> HTMLResponse:
    """The guarantee circle and the guarantees between its members; interactive, offline."""
    found = group_risk.get_circle(db, circle_id, caller.scope)
    if found is None:
        raise NotFoundError(f"guarantee circle {circle_id} not found")
    row, members, edges = found
    return HTMLResponse(render_map(risk_maps.circle_map(row["k"], members, edges), language=lang))
