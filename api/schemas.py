"""Response models of the JSON endpoints.

Each model states the JSON an endpoint returns (``/openapi.json`` shows it, and
FastAPI checks every answer against it). Field names are the ones the web
workbench (``api/static/ui.js``) and API clients read. Money is always
``{"amount": "<exact decimal>", "currency": "<ISO 4217>"}``. The models of answers
that repositories return as they are (the 360's sections, events, opportunities,
supply-chain tiers) live in :mod:`graph.models` and are re-exported here.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, JsonValue

from core.pagination import Page
from graph.models import (
    ActivityOut,
    ApiModel,
    CircleMemberRef,
    CircleSection,
    CnyEquivalentOut,
    CodeOut,
    ControllerRef,
    Counterparties,
    Counterparty,
    CustomerSections,
    EventCustomer,
    EventHistoryEntry,
    EventOut,
    Facilities,
    FacilityOut,
    FxRateOut,
    GroupExposure,
    GroupSection,
    GuaranteeLine,
    Guarantees,
    IntroducedProspect,
    KeyPersonCompany,
    KeyPersonOut,
    KeyPersonRelative,
    MessageOut,
    MoneyOut,
    MonthlyTotals,
    OpportunityCompany,
    OpportunityOut,
    OpportunitySource,
    ProductHolding,
    Profile,
    Ref,
    SegmentPoint,
    StageChange,
    SupplyChainOut,
    SupplyPartner,
    SupplySection,
    SupplyTierMember,
    Window,
)

#: Scalar attributes of a map node (``uscc``, ``segment``, ``branch_id``...).
Scalar = str | int | float | bool | None


# --- customers ------------------------------------------------------------------------------
class CustomerSummary(ApiModel):
    """One row of the screening list."""

    id: str
    name: str | None
    uscc: str | None
    segment: str | None
    industry: str | None
    region: str | None
    branch_id: str | None
    branch_name: str | None = None
    rm_id: str | None
    rm_name: str | None = None
    exposure: MoneyOut | None = Field(description="CNY outstanding")


class Recommendation(ApiModel):
    product_code: str
    peer_count: int
    peers: int
    share: float
    lift: float
    product_name: str | None = Field(description="The product's name (null when it has none)")
    reason: str = Field(description="Why, in the caller's language")
    reason_message: MessageOut = Field(
        description="The same reason as a catalogue key and parameters, language-neutral"
    )


class Contribution(ApiModel):
    balance: str
    currency: str
    peer_group_size: int
    percentile: float | None


class ContributionWithPeers(Contribution):
    peers: int


class RecommendationsOut(ApiModel):
    customer: Ref
    peers: int
    recommendations: list[Recommendation]
    contribution: Contribution


# --- the 360 --------------------------------------------------------------------------------
class Customer360(CustomerSections):
    """Every section of the single-customer view: present, and empty without data."""

    events: list[EventOut]
    opportunities: list[OpportunityOut]
    recommendations: list[Recommendation]
    contribution: ContributionWithPeers
    key_persons: list[KeyPersonOut] = Field(
        description="Who runs the customer: roles, other seats (placeholders for companies "
        "of other branches) and family ties to key persons of other visible companies."
    )


# --- network --------------------------------------------------------------------------------
class NetworkNode(ApiModel):
    id: str
    label: str
    kind: str
    level: int | None
    size: float | None = Field(default=None, description="Drawn size; follows exposure")
    details: dict[str, Scalar]


class NetworkEdge(ApiModel):
    source: str
    target: str
    relation: str
    label: str | None
    weight: float | None


class NetworkOut(ApiModel):
    """Nodes and edges of a relationship map (the first node is the centre)."""

    title: str
    nodes: list[NetworkNode]
    edges: list[NetworkEdge]


# --- prospects and supply chains ------------------------------------------------------------
class LinkedCustomer(ApiModel):
    id: str
    name: str | None
    paid_in: MoneyOut
    paid_out: MoneyOut
    months: int | None
    txn_count: int | None
    supply_roles: list[str] | None


# --- evidence paths (suspected related parties, hidden guarantee risk, warm introductions) ---
class PathCodeOut(ApiModel):
    """A code and its name in the caller's language."""

    code: str
    name: str


class PathNodeOut(ApiModel):
    """One node of an evidence path: a company, a person or a contact."""

    kind: Literal["company", "person", "contact"]
    id: str | None
    key: str
    name: str
    visible: bool
    is_customer: bool = False
    contact_kind: PathCodeOut | None = None


class EvidenceOut(ApiModel):
    """One evidence path from the customer to the related company."""

    kind: PathCodeOut
    nodes: list[PathNodeOut]
    links: list[PathCodeOut]


class CompanyRefOut(ApiModel):
    """A company as the caller may see it: no id and the placeholder name when hidden."""

    id: str | None
    key: str
    name: str
    is_customer: bool
    visible: bool


class IntroducerOut(ApiModel):
    """A customer that can introduce the bank to a prospect (a placeholder outside the
    caller's branches), and the paths of people between them."""

    customer: CompanyRefOut
    direct: bool = Field(description="One person is a key person at both (no relative between)")
    paths: list[EvidenceOut] = Field(
        description="Prospect – person – [relative –] customer, with the roles and the relation"
    )


class ProspectSummary(ApiModel):
    """A ranked prospect with its reasons and the customers it is tied to."""

    id: str
    name: str | None
    uscc: str | None
    score: float | None
    rank: int | None
    industry: str | None
    region: str | None
    core_enterprise: bool
    components: dict[str, float] = Field(description="Score components, each 0 to 1")
    reasons: list[str] = Field(
        description="Why, in the caller's language (`lang`, else Accept-Language; zh-CN default)"
    )
    reason_messages: list[MessageOut] = Field(
        description="The same reasons as catalogue keys and parameters, language-neutral"
    )
    linked_customers: list[LinkedCustomer]
    linked_customers_outside_scope: int
    suggested_branch: Ref
    suggested_rm: Ref
    introducer: Ref
    facts: dict[str, JsonValue] = Field(description="The facts behind the score")
    warm_introducers: list[IntroducerOut] = Field(
        default_factory=list,
        description="Customers whose key person is a key person of the prospect, or a "
        "relative of one (warm introductions), with the paths",
    )


class MonthlyFlow(ApiModel):
    month: str
    direction: str
    amount: str
    currency: str
    txn_count: int | None


class MoneyPath(ApiModel):
    customer: Ref
    path_en: str | None
    paid_in: MoneyOut
    paid_out: MoneyOut
    supply_roles: list[str] | None
    monthly: list[MonthlyFlow]


class ProspectDetail(ProspectSummary):
    money_paths: list[MoneyPath]
    explanation: str = Field(description="The reasons as one sentence, in the caller's language")


class CoreEnterpriseOut(ApiModel):
    """The hub of a supply chain, with why it is one."""

    id: str
    name: str | None
    is_customer: bool
    industry: str | None
    region: str | None
    supply_chain_id: str | None
    supply_chain_size: int | None
    influence: float | None
    prospect_score: float | None
    explanation: str = Field(description="Why it is a core enterprise, in the caller's language")
    explanation_messages: list[MessageOut] = Field(
        description="The same explanation as catalogue keys and parameters, language-neutral"
    )


# --- reports --------------------------------------------------------------------------------
class EventCounts(ApiModel):
    total: int
    by_type: dict[str, int]
    by_severity: dict[str, int]
    by_status: dict[str, int]
    unhandled_ageing: dict[str, int]
    actioned_rate: float


class BranchEventCounts(EventCounts):
    branch_id: str


class EventsReport(ApiModel):
    overall: EventCounts
    branches: list[BranchEventCounts]


class MigrationCell(ApiModel):
    from_: str = Field(alias="from")
    to: str
    count: int
    exposure: list[MoneyOut]
    exposure_cny: CnyEquivalentOut | None = None


class SegmentMigration(ApiModel):
    from_: str = Field(alias="from")
    to: str
    segments: list[str]
    customers: int
    upgraded: int
    downgraded: int
    matrix: list[MigrationCell]


class StageAmount(ApiModel):
    stage: str
    amount: str
    currency: str


class PipelineRow(ApiModel):
    branch_id: str
    rm_id: str
    stages: dict[str, int]
    count: int
    expected_amounts: list[StageAmount]
    expected_amount_cny: CnyEquivalentOut | None = Field(
        default=None, description="The row's expected amounts over every stage, in CNY"
    )


class Pipeline(ApiModel):
    stages: list[str]
    totals: dict[str, int]
    items: list[PipelineRow]


__all__ = [
    "ActivityOut",
    "ApiModel",
    "CircleMemberRef",
    "CircleSection",
    "CnyEquivalentOut",
    "CodeOut",
    "ControllerRef",
    "Counterparties",
    "Counterparty",
    "CustomerSections",
    "EventCustomer",
    "EventHistoryEntry",
    "EventOut",
    "Facilities",
    "FacilityOut",
    "FxRateOut",
    "GroupExposure",
    "GroupSection",
    "GuaranteeLine",
    "Guarantees",
    "IntroducedProspect",
    "KeyPersonCompany",
    "KeyPersonOut",
    "KeyPersonRelative",
    "MessageOut",
    "MoneyOut",
    "MonthlyTotals",
    "OpportunityCompany",
    "OpportunityOut",
    "OpportunitySource",
    "Page",
    "ProductHolding",
    "Profile",
    "Ref",
    "SegmentPoint",
    "StageChange",
    "SupplyChainOut",
    "SupplyPartner",
    "SupplySection",
    "SupplyTierMember",
    "Window",
]
