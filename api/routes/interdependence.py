"""Economic interdependence: who depends on whom, for a company and for a group.

The second kind of connection between counterparties, besides control (Basel
LEX10.10): a customer depends on a counterparty when most of its receipts or
expenditures come from it (the rule: ``algorithms.interdependence``).

Scoping: a company outside the caller's branch subtree (a customer booked
elsewhere) is an anonymous placeholder, with no id and no name. Amounts and
explanations are the dependent's own flows, so they are shown only when the
dependent is visible; shares and months always are. A company the caller may not
see answers 404, exactly like an unknown id. A group's connected exposure is
a separate, labelled figure and never part of the group's own total.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path
from pydantic import BaseModel, Field

from algorithms.groups import Exposure
from api.deps import Caller, CallerLanguage, DatabaseDep, require_roles
from api.schemas import CnyEquivalentOut, MessageOut
from core.codes import Role
from core.errors import NotFoundError
from core.formatting import Language
from core.i18n import N_, gettext
from core.messages import render_sentences
from core.money import FxRate, Money, from_minor_units
from graph.branches import BranchScope
from graph.database import Database
from graph.fx import read_latest_rates
from services import interdependence

router = APIRouter(prefix="/api/v1", tags=["economic interdependence"])

CompanyReader = Annotated[Caller, Depends(require_roles(Role.RM, Role.RISK, Role.MANAGER))]
RiskReader = Annotated[Caller, Depends(require_roles(Role.RISK, Role.MANAGER))]
IdPath = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")]


class CompanyRefOut(BaseModel):
    id: str | None = Field(description="null when the company is outside the caller's branches")
    name: str | None
    is_customer: bool
    visible: bool


class AmountOut(BaseModel):
    currency: str
    amount: str


class ExposureOut(BaseModel):
    currency: str
    limit: str
    outstanding: str


class RuleOut(BaseModel):
    share_threshold: str = Field(description="e.g. 0.5: half of receipts or expenditures")
    window_months: int
    min_months: int
    currency: str
    window_start: str | None
    window_end: str | None


class DependencyOut(BaseModel):
    dependent: CompanyRefOut
    counterparty: CompanyRefOut
    direction: Literal["receipts", "expenditures"]
    basis: Literal["flows", "supply"]
    share: str = Field(description="Share of the dependent's receipts or expenditures, 4 decimals")
    threshold: str
    months_observed: int = Field(description="Months of the window with receipts/expenditures")
    months_above: int | None = Field(description="Months at or above the threshold (flows only)")
    window_start: str
    window_end: str
    counterparty_amount: AmountOut | None = Field(
        description="From/to the counterparty in the window (flows) or a year (supply link)"
    )
    dependent_total: AmountOut | None = Field(
        description="The dependent's gross receipts/expenditures in the window (or a year)"
    )
    other_currencies: list[str] = Field(description="Currencies not counted (no exchange rate)")
    explanation: str | None = Field(
        description="Why, in the caller's language (null when the dependent is not shown)"
    )
    explanation_messages: list[MessageOut] | None = Field(
        description="The same sentences as catalogue keys and parameters, language-neutral"
    )


class CompanyInterdependenceOut(BaseModel):
    company: CompanyRefOut
    rule: RuleOut | None
    depends_on: list[DependencyOut] = Field(description="Counterparties this company depends on")
    depended_on_by: list[DependencyOut] = Field(description="Companies that depend on this one")


class GroupConnectionOut(BaseModel):
    member_side: Literal["dependent", "counterparty"] = Field(
        description="Whether the group member is the dependent or the counterparty"
    )
    dependency: DependencyOut


class GroupInterdependenceOut(BaseModel):
    """A group's economic connections beyond control, with their exposure shown apart."""

    rule: RuleOut | None
    connections: list[GroupConnectionOut]
    connected_companies: int = Field(description="Distinct companies outside the group")
    connected_customers: int
    connected_exposure: list[ExposureOut] = Field(
        description="Facilities of the connected companies outside the group (each once)"
    )
    connected_limit_cny: CnyEquivalentOut | None = Field(None, description="Their limits in CNY")
    connected_outstanding_cny: CnyEquivalentOut | None = Field(
        None, description="Their outstanding in CNY"
    )
    group_exposure: list[ExposureOut] = Field(description="Facilities of the group's members")
    group_limit_cny: CnyEquivalentOut | None = Field(None, description="The limits in CNY")
    group_outstanding_cny: CnyEquivalentOut | None = Field(
        None, description="The outstanding in CNY"
    )
    combined_exposure: list[ExposureOut] = Field(
        description="Group plus connected: the group of connected counterparties"
    )
    combined_limit_cny: CnyEquivalentOut | None = Field(None, description="The limits in CNY")
    combined_outstanding_cny: CnyEquivalentOut | None = Field(
        None, description="The outstanding in CNY"
    )
    label: str = Field(description="How to read the connected exposure, in the caller's language")


CONNECTED_LABEL = N_(
    "Exposure to economically dependent counterparties is shown apart and is not included "
    "in the group's (control) total; the combined figure is the group of connected "
    "counterparties including them."
)


def _ref(ref: interdependence.CompanyRef) -> CompanyRefOut:
    return CompanyRefOut(id=ref.id, name=ref.name, is_customer=ref.is_customer, visible=ref.visible)


def _amount(minor: int | None, currency: str) -> AmountOut | None:
    if minor is None:
        return None
    return AmountOut(currency=currency, amount=str(from_minor_units(minor, currency)))


def _exposures(exposures: Iterable[Exposure]) -> list[ExposureOut]:
    return [
        ExposureOut(
            currency=e.currency,
            limit=str(from_minor_units(e.limit_minor, e.currency)),
            outstanding=str(from_minor_units(e.outstanding_minor, e.currency)),
        )
        for e in exposures
    ]


def _limit_cny(exposures: Iterable[Exposure], rates: dict[str, FxRate]) -> CnyEquivalentOut | None:
    return CnyEquivalentOut.of_money((Money(e.limit_minor, e.currency) for e in exposures), rates)


def _outstanding_cny(
    exposures: Iterable[Exposure], rates: dict[str, FxRate]
) -> CnyEquivalentOut | None:
    return CnyEquivalentOut.of_money(
        (Money(e.outstanding_minor, e.currency) for e in exposures), rates
    )


def _rule(rule: interdependence.RuleSnapshot | None) -> RuleOut | None:
    if rule is None:
        return None
    return RuleOut(
        share_threshold=str(rule.share),
        window_months=rule.window_months,
        min_months=rule.min_months,
        currency=rule.currency,
        window_start=rule.window_start,
        window_end=rule.window_end,
    )


def _dependency(d: interdependence.StoredDependency, language: Language) -> DependencyOut:
    return DependencyOut(
        dependent=_ref(d.dependent),
        counterparty=_ref(d.counterparty),
        direction=d.direction,
        basis=d.basis,
        share=f"{d.share:.4f}",
        threshold=str(d.threshold),
        months_observed=d.months_observed,
        months_above=d.months_above,
        window_start=d.window_start,
        window_end=d.window_end,
        counterparty_amount=_amount(d.counterparty_minor, d.currency),
        dependent_total=_amount(d.total_minor, d.currency),
        other_currencies=list(d.other_currencies),
        explanation=(
            render_sentences(d.explanation, language) if d.explanation is not None else None
        ),
        explanation_messages=(
            [MessageOut.of(m) for m in d.explanation] if d.explanation is not None else None
        ),
    )


def group_view(
    db: Database, group_id: str, scope: BranchScope, language: Language
) -> GroupInterdependenceOut | None:
    """The group's interdependence view, or ``None`` when unknown or not visible.

    The group detail endpoint embeds this, so both answers are one computation.
    """
    found = interdependence.group_interdependence(db, group_id, scope)
    if found is None:
        return None
    rates = read_latest_rates(db)
    return GroupInterdependenceOut(
        rule=_rule(found.rule),
        connections=[
            GroupConnectionOut(
                member_side=c.member_side, dependency=_dependency(c.dependency, language)
            )
            for c in found.connections
        ],
        connected_companies=found.connected_companies,
        connected_customers=found.connected_customers,
        connected_exposure=_exposures(found.connected_exposure),
        connected_limit_cny=_limit_cny(found.connected_exposure, rates),
        connected_outstanding_cny=_outstanding_cny(found.connected_exposure, rates),
        group_exposure=_exposures(found.group_exposure),
        group_limit_cny=_limit_cny(found.group_exposure, rates),
        group_outstanding_cny=_outstanding_cny(found.group_exposure, rates),
        combined_exposure=_exposures(found.combined_exposure),
        combined_limit_cny=_limit_cny(found.combined_exposure, rates),
        combined_outstanding_cny=_outstanding_cny(found.combined_exposure, rates),
        label=gettext(language, CONNECTED_LABEL),
    )


@router.get(
    "/companies/{company_id}/interdependence",
    response_model=CompanyInterdependenceOut,
)
def company(
    company_id: IdPath, caller: CompanyReader, db: DatabaseDep, language: CallerLanguage
) -> CompanyInterdependenceOut:
    """Whom the company depends on economically, and who depends on it, with evidence."""
    found = interdependence.company_interdependence(db, company_id, caller.scope)
    if found is None:
        raise NotFoundError(f"company {company_id} not found")
    return CompanyInterdependenceOut(
        company=_ref(found.company),
        rule=_rule(found.rule),
        depends_on=[_dependency(d, language) for d in found.depends_on],
        depended_on_by=[_dependency(d, language) for d in found.depended_on_by],
    )


@router.get(
    "/groups/{group_id}/interdependence",
    response_model=GroupInterdependenceOut,
)
def group(
    group_id: IdPath, caller: RiskReader, db: DatabaseDep, language: CallerLanguage
) -> GroupInterdependenceOut:
    """The group's economic connections beyond control and the exposure they add, apart."""
    found = group_view(db, group_id, caller.scope, language)
    if found is None:
        raise NotFoundError(f"group {group_id} not found")
    return found
