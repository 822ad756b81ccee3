"""Group risk: controllers, groups and exposure, guarantee circles and chains, contagion.

A jointly controlled company is a member of every controller's group (its exposure
counts in each) and has one primary group; groups flag control cycles,
cross-shareholdings and jointly controlled members (see the README, "Control and
groups").

Roles risk, manager and admin. Branch scoping: a group (circle, chain) is visible
when at least one member is booked in the caller's subtree; its totals are
always whole, but members outside the subtree show no facility details. A group
(circle, chain) the caller may not see answers 404, exactly like an unknown id, so its
existence does not leak. Money is a decimal string with its currency.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Annotated, Literal, cast

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, Field

from algorithms.groups import Exposure
from api.deps import Caller, CallerLanguage, DatabaseDep, require_roles
from api.examples import GROUPS_PAGE_EXAMPLE
from api.pagination import Limit, Offset, Page
from api.routes.interdependence import GroupInterdependenceOut, group_view
from api.routes.related_review import GroupRelatedPartiesOut, group_related_view
from api.schemas import CnyEquivalentOut, EvidenceOut, MessageOut, PathCodeOut
from core.codes import Role
from core.errors import NotFoundError
from core.formatting import Language
from core.i18n import pgettext
from core.messages import render, render_clauses
from core.money import FxRate, from_minor_units
from core.money import Money as MoneyAmount
from graph.compute_runs import published_runs, run_fields
from graph.fx import read_latest_rates
from services import group_risk
from visualizations import risk_maps
from visualizations.builder import render_map

logger = logging.getLogger(__name__)
router = APIRouter(prefix="/api/v1", tags=["group risk"])

RiskReader = Annotated[Caller, Depends(require_roles(Role.RISK, Role.MANAGER))]
IdPath = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")]


class Money(BaseModel):
    currency: str
    limit: str
    outstanding: str


class ControllerOut(BaseModel):
    id: str
    name: str
    type: Literal["company", "person", "cycle"]
    members: list[str] = Field(description="A cycle controller's member companies")
    effective_pct: float
    control_pct: float
    by: list[Literal["effective", "control_chain"]]
    paths: list[list[str]]
    explanation: str = Field(description="Why it controls, in the caller's language")
    explanation_messages: list[MessageOut] = Field(
        description="The same clauses as catalogue keys and parameters, language-neutral"
    )


class OwnerOut(BaseModel):
    id: str
    effective_pct: float


class GroupRef(BaseModel):
    id: str
    primary: bool


class ControllersOut(BaseModel):
    company_id: str
    status: Literal["sole", "joint", "cycle", "none"] = Field(
        description="Control status: one ultimate controller, several (joint), a control "
        "cycle no one controls, or no controller"
    )
    controllers: list[ControllerOut]
    owners: list[OwnerOut]
    control_cycle: list[str] | None = Field(
        description="Members of the control cycle the company is on, if any"
    )
    ownership_cycle: list[str] | None = Field(
        description="Members of the cross-shareholding cycle the company is on, if any"
    )
    groups: list[GroupRef]


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
    control_cycle: bool = Field(description="Members control each other in a cycle")
    cross_holding: bool = Field(description="Members hold shares of each other in a cycle")
    joint_members: int = Field(description="Members jointly controlled with other groups")
    exposure: list[Money]
    limit_cny: CnyEquivalentOut | None = Field(None, description="The limits in CNY")
    outstanding_cny: CnyEquivalentOut | None = Field(None, description="The outstanding in CNY")


class MemberOut(BaseModel):
    id: str
    name: str | None
    role: str
    depth: int
    is_customer: bool
    parent_id: str | None
    basis: str | None
    share_pct: float | None
    status: Literal["sole", "joint", "cycle", "none"]
    controllers: list[str] = Field(description="Ultimate controllers (two or more: joint)")
    primary: bool = Field(description="This group is the member's primary group")
    visible: bool
    facilities: list[Money] | None


class GroupDetail(GroupSummary):
    max_depth: int
    explanation: str = Field(description="How the group is made up, in the caller's language")
    explanation_messages: list[MessageOut] = Field(
        description="The same clauses as catalogue keys and parameters, language-neutral"
    )
    controller_members: list[str]
    control_cycles: list[list[str]]
    ownership_cycles: list[list[str]]
    members: list[MemberOut]
    #: The second kind of connection: economic interdependence beyond control.
    economic_interdependence: GroupInterdependenceOut | None = None
    #: The third kind: related parties confirmed in the review (at once, no compute needed).
    confirmed_related_parties: GroupRelatedPartiesOut | None = None


class AmountOut(BaseModel):
    currency: str
    amount: str


class RelatedPairOut(BaseModel):
    """Two members suspected related parties, and why (evidence only in a circle's detail)."""

    first: str
    second: str
    kinds: list[PathCodeOut]
    evidence: list[EvidenceOut]


class HiddenRiskOut(BaseModel):
    """Mutual guarantees between companies run by one family, one person, or sharing
    contacts: members of the circle are suspected related parties."""

    kind: PathCodeOut
    explanation: str = Field(description="The flag in one sentence, in the caller's language")
    explanation_message: MessageOut = Field(
        description="The same sentence as a catalogue key and parameters, language-neutral"
    )
    related_members: list[str]
    pairs: list[RelatedPairOut]


class CircleSummary(BaseModel):
    id: str
    size: int
    members: list[str]
    amounts: list[AmountOut]
    amounts_cny: CnyEquivalentOut | None = Field(None, description="The amounts in CNY")
    hidden_risk: HiddenRiskOut | None = Field(
        None, description="Set when members are suspected related parties (疑似关联)"
    )


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
    #: ``None`` between two members outside the caller's branches.
    amount: str | None
    currency: str | None


class CircleDetail(BaseModel):
    id: str
    size: int
    members: list[CircleMember]
    cycles: list[list[str]]
    cycles_complete: bool
    mutual_pairs: list[list[str]]
    amounts: list[AmountOut]
    amounts_cny: CnyEquivalentOut | None = Field(None, description="The amounts in CNY")
    guarantees: list[GuaranteeOut]
    hidden_risk: HiddenRiskOut | None = Field(
        None, description="Set when members are suspected related parties, with the evidence"
    )


class ChainSummary(BaseModel):
    """A guarantee chain: ``members[0]`` guarantees ``members[1]``, …, the last member is
    the customer at its end."""

    id: str
    length: int = Field(description="The number of guarantees along the chain")
    members: list[str]
    amounts: list[AmountOut]
    amounts_cny: CnyEquivalentOut | None = Field(None, description="The amounts in CNY")
    hidden_risk: HiddenRiskOut | None = Field(
        None, description="Set when members are suspected related parties (疑似关联)"
    )


class ChainDetail(BaseModel):
    id: str
    length: int
    members: list[CircleMember] = Field(description="In chain order, the customer last")
    amounts: list[AmountOut]
    amounts_cny: CnyEquivalentOut | None = Field(None, description="The amounts in CNY")
    guarantees: list[GuaranteeOut] = Field(description="In chain order")
    hidden_risk: HiddenRiskOut | None = Field(
        None, description="Set when members are suspected related parties, with the evidence"
    )


def _code(language: Language, code_list: str, code: str) -> PathCodeOut:
    return PathCodeOut(code=code, name=pgettext(language, code_list, code))


def _hidden_risk(
    risk: group_risk.CircleHiddenRisk | None, language: Language
) -> HiddenRiskOut | None:
    if risk is None:
        return None
    return HiddenRiskOut(
        kind=_code(language, "hidden_guarantee_risk", risk.kind),
        explanation=render(risk.explanation, language),
        explanation_message=MessageOut.of(risk.explanation),
        related_members=list(risk.related_members),
        pairs=[
            RelatedPairOut(
                first=p.first,
                second=p.second,
                kinds=[_code(language, "related_evidence", k) for k in p.kinds],
                evidence=[EvidenceOut.model_validate(e) for e in p.evidence],
            )
            for p in risk.pairs
        ],
    )


def _money(exposures: Iterable[Exposure]) -> list[Money]:
    return [
        Money(
            currency=e.currency,
            limit=str(from_minor_units(e.limit_minor, e.currency)),
            outstanding=str(from_minor_units(e.outstanding_minor, e.currency)),
        )
        for e in exposures
    ]


def _summary(g: group_risk.StoredGroup, rates: dict[str, FxRate]) -> GroupSummary:
    return GroupSummary(
        id=g.group_id,
        controller=NodeRef(id=g.controller_id, name=g.controller_name, type=g.controller_type),
        size=g.size,
        rank=g.rank,
        over_concentration=g.over_concentration,
        control_cycle=bool(g.control_cycles),
        cross_holding=bool(g.ownership_cycles),
        joint_members=g.joint_members,
        exposure=_money(g.exposures),
        limit_cny=CnyEquivalentOut.of_money(
            (MoneyAmount(e.limit_minor, e.currency) for e in g.exposures), rates
        ),
        outstanding_cny=CnyEquivalentOut.of_money(
            (MoneyAmount(e.outstanding_minor, e.currency) for e in g.exposures), rates
        ),
    )


def _amounts_cny(
    circle: group_risk.StoredCircle | group_risk.StoredChain, rates: dict[str, FxRate]
) -> CnyEquivalentOut | None:
    return CnyEquivalentOut.of_money(
        (MoneyAmount(a.amount_minor, a.currency) for a in circle.amounts), rates
    )


def _amounts(circle: group_risk.StoredCircle | group_risk.StoredChain) -> list[AmountOut]:
    return [
        AmountOut(currency=a.currency, amount=str(from_minor_units(a.amount_minor, a.currency)))
        for a in circle.amounts
    ]


def _circle_members(members: Iterable[group_risk.CircleMemberRow]) -> list[CircleMember]:
    return [
        CircleMember(
            id=m.id,
            name=m.name,
            is_customer=m.is_customer,
            visible=m.visible,
            facilities=_money(m.facilities) if m.facilities is not None else None,
        )
        for m in members
    ]


def _guarantees(guarantees: Iterable[group_risk.CircleGuarantee]) -> list[GuaranteeOut]:
    return [
        GuaranteeOut(
            guarantee_id=e.guarantee_id,
            guarantor_id=e.guarantor_id,
            borrower_id=e.borrower_id,
            amount=(
                str(from_minor_units(e.amount_minor, e.currency))
                if e.amount_minor is not None and e.currency is not None
                else None
            ),
            currency=e.currency,
        )
        for e in guarantees
    ]


@router.get(
    "/companies/{company_id}/controllers",
    response_model=ControllersOut,
)
def controllers(
    company_id: IdPath,
    caller: RiskReader,
    db: DatabaseDep,
    language: CallerLanguage,
    threshold: Annotated[float, Query(gt=0, le=100, description="Effective-share %")] = 25.0,
    max_depth: Annotated[int, Query(ge=1, le=50)] = 10,
    max_paths: Annotated[int, Query(ge=1, le=5000)] = 200,
) -> ControllersOut:
    """Ultimate controllers by both measures, with paths, and every upstream owner.

    The control chain (consolidation control: status, ultimate controllers, the path
    with the basis of each step) is what ``compute`` stored, so it always names the
    groups the company is stored in (``groups``, one of them primary). Effective
    ownership is solved on the fly. ``control_cycle`` and ``ownership_cycle`` list the
    control or cross-shareholding cycle the company is on.
    """
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
    controllers = []
    for c in report.controllers:
        node = found.nodes.get(c.controller_id)
        controllers.append(
            ControllerOut(
                id=c.controller_id,
                name=node.name if node else "",
                type=cast(Literal["company", "person", "cycle"], node.type if node else "company"),
                members=list(node.members) if node else [],
                effective_pct=round(c.effective_pct, 6),
                control_pct=round(c.control_pct, 6),
                by=list(c.by),
                paths=[list(p) for p in c.paths],
                explanation=render_clauses(c.explanation, language),
                explanation_messages=[MessageOut.of(m) for m in c.explanation],
            )
        )
    return ControllersOut(
        company_id=company_id,
        status=report.status,
        controllers=controllers,
        owners=[OwnerOut(id=o, effective_pct=round(pct, 6)) for o, pct in report.owners],
        control_cycle=list(found.control_cycle) or None,
        ownership_cycle=list(found.ownership_cycle) or None,
        groups=[GroupRef(id=g.group_id, primary=g.primary) for g in found.groups],
    )


@router.get(
    "/groups",
    response_model=Page[GroupSummary],
    responses={200: {"content": {"application/json": {"example": GROUPS_PAGE_EXAMPLE}}}},
)
def groups(
    caller: RiskReader,
    db: DatabaseDep,
    sort: Annotated[Literal["exposure"], Query(description="Ranking: CNY outstanding")] = (
        "exposure"
    ),
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[GroupSummary]:
    """Visible groups ranked by exposure (CNY outstanding, largest first)."""
    run = published_runs(db, ("group_risk",))
    total, rows = group_risk.list_groups(db, caller.scope, limit=limit, offset=offset, runs=run)
    rates = read_latest_rates(db)
    return Page[GroupSummary](
        total=total,
        limit=limit,
        offset=offset,
        items=[_summary(g, rates) for g in rows],
        **run_fields(run, "group_risk"),
    )


@router.get(
    "/groups/{group_id}",
    response_model=GroupDetail,
)
def group(
    group_id: IdPath, caller: RiskReader, db: DatabaseDep, language: CallerLanguage
) -> GroupDetail:
    """A group: controller, members (role, depth, customer flag) and whole exposure totals."""
    found = group_risk.get_group(db, group_id, caller.scope)
    if found is None:
        raise NotFoundError(f"group {group_id} not found")
    return GroupDetail(
        **dict(_summary(found, read_latest_rates(db))),
        max_depth=found.max_depth,
        explanation=render_clauses(found.explanation, language),
        explanation_messages=[MessageOut.of(m) for m in found.explanation],
        controller_members=list(found.controller_members),
        control_cycles=[list(c) for c in found.control_cycles],
        ownership_cycles=[list(c) for c in found.ownership_cycles],
        members=[
            MemberOut(
                id=m.id,
                name=m.name,
                role=m.role,
                depth=m.depth,
                is_customer=m.is_customer,
                parent_id=m.parent_id,
                basis=m.basis,
                share_pct=m.share_pct,
                status=cast(Literal["sole", "joint", "cycle", "none"], m.status),
                controllers=list(m.controllers),
                primary=m.primary,
                visible=m.visible,
                facilities=_money(m.facilities) if m.facilities is not None else None,
            )
            for m in found.members
        ],
        economic_interdependence=group_view(db, group_id, caller.scope, language),
        confirmed_related_parties=group_related_view(db, group_id, caller.scope, language),
    )


@router.get("/guarantee-circles", response_model=Page[CircleSummary])
def circles(
    caller: RiskReader,
    db: DatabaseDep,
    language: CallerLanguage,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[CircleSummary]:
    """Visible guarantee circles, largest first; ``hidden_risk`` flags those whose members
    are suspected related parties (run by one family, one person, or sharing contacts)."""
    run = published_runs(db, ("group_risk",))
    total, rows = group_risk.list_circles(
        db, caller.scope, limit=limit, offset=offset, runs=run, language=language
    )
    rates = read_latest_rates(db)
    items = [
        CircleSummary(
            id=k.circle_id,
            size=k.size,
            members=list(k.members),
            amounts=_amounts(k),
            amounts_cny=_amounts_cny(k, rates),
            hidden_risk=_hidden_risk(k.hidden_risk, language),
        )
        for k in rows
    ]
    return Page[CircleSummary](
        total=total, limit=limit, offset=offset, items=items, **run_fields(run, "group_risk")
    )


@router.get(
    "/guarantee-circles/{circle_id}",
    response_model=CircleDetail,
)
def circle(
    circle_id: IdPath, caller: RiskReader, db: DatabaseDep, language: CallerLanguage
) -> CircleDetail:
    """A circle: members (with exposure when visible), elementary cycles, mutual pairs,
    amounts, and its hidden risk with the evidence when members are suspected related."""
    found = group_risk.get_circle(db, circle_id, caller.scope, language=language)
    if found is None:
        raise NotFoundError(f"guarantee circle {circle_id} not found")
    k = found.circle
    return CircleDetail(
        id=k.circle_id,
        size=k.size,
        members=_circle_members(found.members),
        cycles=[list(c) for c in k.cycles],
        cycles_complete=k.cycles_complete,
        mutual_pairs=[list(p) for p in k.mutual_pairs],
        amounts=_amounts(k),
        amounts_cny=_amounts_cny(k, read_latest_rates(db)),
        guarantees=_guarantees(found.guarantees),
        hidden_risk=_hidden_risk(k.hidden_risk, language),
    )


@router.get("/guarantee-chains", response_model=Page[ChainSummary])
def chains(
    caller: RiskReader,
    db: DatabaseDep,
    language: CallerLanguage,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[ChainSummary]:
    """Visible guarantee chains, longest first; ``hidden_risk`` flags those whose members
    are suspected related parties (run by one family, one person, or sharing contacts)."""
    run = published_runs(db, ("group_risk",))
    total, rows = group_risk.list_chains(
        db, caller.scope, limit=limit, offset=offset, runs=run, language=language
    )
    rates = read_latest_rates(db)
    items = [
        ChainSummary(
            id=k.chain_id,
            length=k.length,
            members=list(k.members),
            amounts=_amounts(k),
            amounts_cny=_amounts_cny(k, rates),
            hidden_risk=_hidden_risk(k.hidden_risk, language),
        )
        for k in rows
    ]
    return Page[ChainSummary](
        total=total, limit=limit, offset=offset, items=items, **run_fields(run, "group_risk")
    )


@router.get("/guarantee-chains/{chain_id}", response_model=ChainDetail)
def chain(
    chain_id: IdPath, caller: RiskReader, db: DatabaseDep, language: CallerLanguage
) -> ChainDetail:
    """A chain: members in order (with exposure when visible), its guarantees, amounts,
    and its hidden risk with the evidence when members are suspected related."""
    found = group_risk.get_chain(db, chain_id, caller.scope, language=language)
    if found is None:
        raise NotFoundError(f"guarantee chain {chain_id} not found")
    k = found.chain
    return ChainDetail(
        id=k.chain_id,
        length=k.length,
        members=_circle_members(found.members),
        amounts=_amounts(k),
        amounts_cny=_amounts_cny(k, read_latest_rates(db)),
        guarantees=_guarantees(found.guarantees),
        hidden_risk=_hidden_risk(k.hidden_risk, language),
    )


class ContagionIn(BaseModel):
    company_id: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")
    default_ratio: float = Field(default=0.5, gt=0, le=10)
    control: bool = True
    max_rounds: int = Field(default=10, ge=1, le=50)


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
    explanation: str = Field(description="The outcome in one sentence, in the caller's language")
    explanation_message: MessageOut = Field(
        description="The same sentence as a catalogue key and parameters, language-neutral"
    )
    total_guarantee_calls: list[AmountOut]
    total_guarantee_calls_cny: CnyEquivalentOut | None = Field(
        None, description="The guarantee calls in CNY (none when there are none)"
    )
    total_exposure_at_default: list[AmountOut]
    total_exposure_at_default_cny: CnyEquivalentOut | None = Field(
        None, description="The exposure at default in CNY (none when there is none)"
    )
    affected: list[AffectedOut]


def _pairs_cny(
    pairs: tuple[tuple[str, int], ...], rates: dict[str, FxRate]
) -> CnyEquivalentOut | None:
    return CnyEquivalentOut.of_money((MoneyAmount(a, c) for c, a in pairs), rates)


def _amount_list(pairs: tuple[tuple[str, int], ...]) -> list[AmountOut]:
    return [AmountOut(currency=c, amount=str(from_minor_units(a, c))) for c, a in pairs]


@router.post(
    "/contagion",
    response_model=ContagionOut,
)
def contagion(
    body: ContagionIn, caller: RiskReader, db: DatabaseDep, language: CallerLanguage
) -> ContagionOut:
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
    rates = read_latest_rates(db)
    return ContagionOut(
        seed=result.seed,
        rounds=result.rounds,
        explanation=render(result.explanation, language),
        explanation_message=MessageOut.of(result.explanation),
        total_guarantee_calls=_amount_list(result.total_calls),
        total_guarantee_calls_cny=_pairs_cny(result.total_calls, rates),
        total_exposure_at_default=_amount_list(result.total_exposure_at_default),
        total_exposure_at_default_cny=_pairs_cny(result.total_exposure_at_default, rates),
        affected=affected,
    )


@router.get(
    "/groups/{group_id}/map",
    response_class=HTMLResponse,
)
def group_map(
    group_id: IdPath, caller: RiskReader, db: DatabaseDep, lang: Literal["zh", "en"] = "zh"
) -> HTMLResponse:
    """The group's ownership tree: controller on top, % on the edges; interactive, offline."""
    found = group_risk.get_group(db, group_id, caller.scope)
    if found is None:
        raise NotFoundError(f"group {group_id} not found")
    return HTMLResponse(render_map(risk_maps.group_map(found), language=lang))


@router.get(
    "/guarantee-circles/{circle_id}/map",
    response_class=HTMLResponse,
)
def circle_map(
    circle_id: IdPath, caller: RiskReader, db: DatabaseDep, lang: Literal["zh", "en"] = "zh"
) -> HTMLResponse:
    """The guarantee circle and the guarantees between its members; interactive, offline."""
    found = group_risk.get_circle(db, circle_id, caller.scope)
    if found is None:
        raise NotFoundError(f"guarantee circle {circle_id} not found")
    return HTMLResponse(render_map(risk_maps.circle_map(found), language=lang))
