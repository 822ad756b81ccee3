"""Pydantic models of the repository answers that the API serves as they are.

The 360's sections, events, opportunities and supply-chain tiers are read here and
answered by the API unchanged (:mod:`api.schemas` re-exports these models as the
endpoints' response models), so the JSON has one definition. Field names are the
ones the web workbench (``api/static/ui.js``) and API clients read. Money is always
``{"amount": "<exact decimal>", "currency": "<ISO 4217>"}``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field, JsonValue

from core.contacts import FamilyRelation, KeyPersonRole
from core.messages import Message, params_json
from core.money import FxRate, Money, cny_equivalent, exact_minor_units, from_minor_units


class ApiModel(BaseModel):
    """Base of the response models: ``from``/``to`` keys use aliases."""

    model_config = ConfigDict(populate_by_name=True, extra="forbid")


class MoneyOut(ApiModel):
    """An exact amount: a decimal string in the currency's minor-unit precision."""

    amount: str = Field(examples=["1500000.00"])
    currency: str = Field(examples=["CNY"])


class FxRateOut(ApiModel):
    """The rate a CNY equivalent used."""

    currency: str
    rate_date: str = Field(examples=["2025-12-31"])
    cny_per_unit: str = Field(examples=["7.0288"], description="CNY per unit, exact")


class CnyEquivalentOut(ApiModel):
    """A multi-currency total in CNY (``core.money.cny_equivalent``: exact, rounded once).

    ``amount`` converts the amounts that have a rate; ``no_rate`` lists the others
    unconverted ("无汇率"), so ``complete`` is false when the CNY figure leaves some out.
    """

    amount: MoneyOut
    complete: bool
    no_rate: list[MoneyOut]
    rates: list[FxRateOut]

    @classmethod
    def of(
        cls, amounts: Iterable[Mapping[str, str] | MoneyOut | None], rates: Mapping[str, FxRate]
    ) -> CnyEquivalentOut | None:
        """The equivalent of exact ``{"amount", "currency"}`` amounts; ``None`` for none."""
        exact: list[Money] = []
        for item in amounts:
            if item is None:
                continue
            amount, currency = (
                (item.amount, item.currency)
                if isinstance(item, MoneyOut)
                else (item["amount"], item["currency"])
            )
            minor = exact_minor_units(Decimal(amount), currency)
            if minor is None:  # pragma: no cover - every amount out is in minor units
                raise ValueError(f"{amount} is finer than a minor unit of {currency}")
            exact.append(Money(minor, currency))
        return cls.of_money(exact, rates)

    @classmethod
    def of_money(
        cls, amounts: Iterable[Money], rates: Mapping[str, FxRate]
    ) -> CnyEquivalentOut | None:
        """The equivalent of exact amounts; ``None`` for none."""
        exact = list(amounts)
        if not exact:
            return None
        equivalent = cny_equivalent(exact, rates)
        return cls(
            amount=_money_out(equivalent.total),
            complete=equivalent.complete,
            no_rate=[_money_out(m) for m in equivalent.no_rate],
            rates=[
                FxRateOut(
                    currency=r.currency,
                    rate_date=r.rate_date.isoformat(),
                    cny_per_unit=format(r.cny_per_unit, "f"),
                )
                for r in equivalent.rates
            ],
        )


def _money_out(money: Money) -> MoneyOut:
    return MoneyOut(
        amount=str(from_minor_units(money.minor, money.currency)), currency=money.currency
    )


class CodeOut(ApiModel):
    """A code of a code list (named by the message catalogue, ``pgettext(code_list, code)``)."""

    code_list: str = Field(examples=["segment"])
    code: str = Field(examples=["strategic"])


class MessageOut(ApiModel):
    """A language-neutral sentence: its catalogue key and typed parameters (a name or
    text, a count, an amount ``{"amount", "currency"}`` or a code ``{"code_list", "code"}``)."""

    key: str = Field(examples=["linked to {groups} customer groups"])
    params: dict[str, str | int | MoneyOut | CodeOut] = Field(examples=[{"groups": 2}])

    @classmethod
    def of(cls, message: Message) -> MessageOut:
        """The message as the API shows it (amounts exact, as ``{"amount", "currency"}``)."""
        return cls.model_validate({"key": message.key, "params": params_json(message)})


class Ref(ApiModel):
    """An id and its display name (``id`` is null for a company hidden from the caller)."""

    id: str | None
    name: str | None


class Profile(ApiModel):
    id: str
    name: str | None
    uscc: str | None
    segment: str | None
    industry: str | None
    region: str | None
    status: str | None
    founded: str | None
    branch_id: str | None
    branch_name: str | None
    rm_id: str | None
    rm_name: str | None
    registered_capital: MoneyOut | None


class SegmentPoint(ApiModel):
    as_of: str
    segment: str | None


class ProductHolding(ApiModel):
    product_code: str
    name: str | None
    category: str | None
    currency: str | None
    opened: str | None
    balance: MoneyOut | None


class FacilityOut(ApiModel):
    facility_id: str
    product: str | None
    currency: str | None
    maturity: str | None
    limit: MoneyOut | None
    outstanding: MoneyOut | None


class Facilities(ApiModel):
    items: list[FacilityOut]
    limit_total: list[MoneyOut]
    outstanding_total: list[MoneyOut]
    limit_total_cny: CnyEquivalentOut | None = None
    outstanding_total_cny: CnyEquivalentOut | None = None


class ControllerRef(ApiModel):
    id: str | None
    name: str | None
    type: str | None


class GroupExposure(ApiModel):
    limit_total: list[MoneyOut | None]
    outstanding_total: list[MoneyOut | None]
    limit_total_cny: CnyEquivalentOut | None = None
    outstanding_total_cny: CnyEquivalentOut | None = None


class GroupSection(ApiModel):
    """The customer's primary group; null when it belongs to none."""

    group_id: str
    role: str | None
    depth: int | None
    size: int | None
    over_concentration: bool | None
    rank: int | None
    controller: ControllerRef
    exposure: GroupExposure
    concentration_threshold: list[MoneyOut] = Field(
        default_factory=list, description="The bank's group concentration threshold"
    )


class GuaranteeLine(ApiModel):
    """A guarantee given or received; the other party is hidden outside the caller's scope."""

    guarantee_id: str | None
    company_id: str | None = Field(
        description="null when the party is outside the caller's branches"
    )
    name: str | None
    visible: bool = Field(default=True, description="false: a placeholder, no id or amount")
    currency: str | None
    start_date: str | None
    end_date: str | None
    amount: MoneyOut | None


class CircleMemberRef(ApiModel):
    id: str | None
    name: str | None


class CircleSection(ApiModel):
    circle_id: str
    size: int
    members: list[CircleMemberRef]
    members_in_other_branches: int
    amounts: list[MoneyOut | None]
    amounts_cny: CnyEquivalentOut | None = None


class Guarantees(ApiModel):
    given: list[GuaranteeLine]
    received: list[GuaranteeLine]
    circles: list[CircleSection]


class SupplyPartner(ApiModel):
    company_id: str | None
    name: str | None
    is_customer: bool | None
    currency: str | None
    category: str | None
    amount: MoneyOut | None


class SupplySection(ApiModel):
    suppliers: list[SupplyPartner]
    buyers: list[SupplyPartner]


class Window(ApiModel):
    from_: str = Field(alias="from")
    to: str


class Counterparty(ApiModel):
    company_id: str | None
    name: str | None
    is_customer: bool
    total: MoneyOut | None
    txn_count: int
    months_active: int
    trend: str
    monthly: list[MoneyOut | None]


class MonthlyTotals(ApiModel):
    """The customer's receipts and payments per month of the window, in one currency."""

    currency: str
    inflow: list[MoneyOut]
    outflow: list[MoneyOut]


class Counterparties(ApiModel):
    window: Window | None
    top_in: list[Counterparty]
    top_out: list[Counterparty]
    monthly_totals: list[MonthlyTotals] = Field(
        default_factory=list, description="Largest currency first"
    )


class IntroducedProspect(ApiModel):
    id: str
    name: str | None
    score: float | None
    rank: int | None


class EventCustomer(ApiModel):
    id: str | None
    name: str | None
    branch_id: str | None
    rm_id: str | None


class EventHistoryEntry(ApiModel):
    from_: str | None = Field(alias="from")
    to: str
    by: str | None
    at: str | None
    note: str | None = None
    opportunity_id: str | None = Field(
        default=None, description="The opportunity this change made the event into"
    )


class EventOut(ApiModel):
    """A major event with its evidence and status history."""

    id: str
    type: str
    severity: str
    month: str | None
    status: str
    customer: EventCustomer
    owner_rm_id: str | None
    counterparty_id: str | None
    suggested_action: str | None
    explanation: str | None = Field(
        description="Why it was raised, in the caller's language (`lang`, else Accept-Language)"
    )
    explanation_message: MessageOut | None = Field(
        default=None, description="The same explanation as a catalogue key and parameters"
    )
    evidence: dict[str, JsonValue] = Field(description="The figures behind the event")
    related_event_ids: list[str]
    opportunity_id: str | None = Field(
        default=None, description="The opportunity made from this event, once made"
    )
    created_at: str | None
    history: list[EventHistoryEntry]


class OpportunityCompany(ApiModel):
    id: str | None
    name: str | None
    is_customer: bool | None


class OpportunitySource(ApiModel):
    kind: str
    id: str | None


class ActivityOut(ApiModel):
    kind: str
    date: str
    text: str
    activity_id: str | None = None
    rm_id: str | None = Field(default=None, description="The RM whose activity it is")
    by: str | None = None
    recorded_at: str | None = None


class StageChange(ApiModel):
    from_: str | None = Field(alias="from")
    to: str
    by: str | None
    at: str | None
    reason: str | None = None
    backwards: bool | None = Field(default=None, description="A move back to an earlier stage")


class Assignment(ApiModel):
    kind: str = Field(description="rm or product_specialist: who it was handed to")
    from_: str | None = Field(alias="from")
    to: str
    by: str | None
    at: str | None
    reason: str | None = None


class OpportunityOut(ApiModel):
    """An opportunity with its stage history and activities."""

    id: str
    company: OpportunityCompany
    source: OpportunitySource
    product: str | None
    expected_amount: MoneyOut | None
    stage: str
    owner_rm_id: str | None
    branch_id: str | None
    due_date: str | None
    notes: str | None
    activities: list[ActivityOut]
    history: list[StageChange]
    created_by: str | None
    created_at: str | None
    updated_at: str | None
    version: int = Field(description="Changes with every write; send it back as If-Match")
    specialist_id: str | None = Field(
        default=None, description="The product specialist working it with the owner RM"
    )
    assignments: list[Assignment] = Field(
        default_factory=list, description="Reassignments, oldest first: who, when, from, to"
    )


class SupplyTierMember(ApiModel):
    id: str | None
    name: str
    is_customer: bool
    tier: int
    via: str | None
    annual_amount: str | None  # None for a company outside the caller's branches
    currency: str


class SupplyChainOut(ApiModel):
    """Two tiers upstream and downstream, each a list of companies."""

    customer: Ref
    upstream: list[list[SupplyTierMember]]
    downstream: list[list[SupplyTierMember]]


class CustomerSections(ApiModel):
    """The 360's sections read from the graph (:func:`graph.customers.customer_360`);
    the API adds the customer's activity, recommendations and CNY equivalents."""

    profile: Profile
    segment_history: list[SegmentPoint]
    products: list[ProductHolding]
    facilities: Facilities
    group: GroupSection | None
    guarantees: Guarantees
    supply_chain: SupplySection
    counterparties: Counterparties
    introduced_prospects: list[IntroducedProspect]


# --- key persons (the 360's people section) --------------------------------------------------
class KeyPersonCompany(ApiModel):
    """Another company a key person (or a relative) sits at, as the caller may see it.

    A company booked outside the caller's subtree is the anonymous placeholder: no id,
    the placeholder's name, ``key`` its response-local reference (``hidden-N``), and
    neither the role nor its dates.
    """

    id: str | None
    key: str
    name: str
    is_customer: bool
    visible: bool
    role: KeyPersonRole | None = None
    role_name: str | None = None
    since: str | None = None
    until: str | None = None


class KeyPersonRelative(ApiModel):
    """A close relative of a key person who is a key person of other visible companies.

    ``relation`` is what the relative is to the key person (``child``: the relative is
    the key person's child), named in the caller's language by ``relation_name``.
    """

    person_id: str
    name: str
    relation: FamilyRelation
    relation_name: str
    companies: list[KeyPersonCompany]


class KeyPersonOut(ApiModel):
    """A key person of the customer: the role, its dates, the person's other seats and
    the family ties that lead to other companies the caller may see."""

    person_id: str
    name: str
    role: KeyPersonRole
    role_name: str
    since: str | None
    until: str | None
    current: bool
    other_companies: list[KeyPersonCompany]
    family: list[KeyPersonRelative]
