"""The synthetic bank in memory: entities, relationships and what was planted.

Entities refer to each other by list index while the bank is built; the public
ids (``C0000123``, ``P0000045``...) are assigned at the end from a seeded
permutation, so an id says nothing about the role a company plays.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

OwnerKind = Literal["company", "person"]


@dataclass(slots=True)
class Company:
    """One company row, customer or not."""

    index: int
    name: str
    uscc: str  # "" when the registry has none
    is_customer: bool
    industry: str
    region: str
    role: str  # why the company exists, e.g. "group", "chain", "plain"; never written
    segment: str = ""
    branch_id: str = ""
    rm_id: str = ""
    capital_cents: int = 0
    founded: str = ""
    status: str = "active"
    company_id: str = ""
    account: str = ""


@dataclass(slots=True)
class Person:
    """A natural person: shareholder or controller."""

    index: int
    name: str
    person_id: str = ""


@dataclass(frozen=True, slots=True)
class Owner:
    """A company or a person, by index, as owner or controller."""

    kind: OwnerKind
    index: int


@dataclass(frozen=True, slots=True)
class Shareholding:
    """``owner`` holds ``basis_points`` / 100 percent of ``company``."""

    owner: Owner
    company: int
    basis_points: int
    as_of: str


@dataclass(frozen=True, slots=True)
class ControlLink:
    """Control without (enough) equity."""

    controller: Owner
    company: int
    basis: str


@dataclass(frozen=True, slots=True)
class SupplyLink:
    """``supplier`` sells to ``buyer`` about ``annual_cents`` a year."""

    supplier: int
    buyer: int
    annual_cents: int
    currency: str
    category: str
    since: str


@dataclass(frozen=True, slots=True)
class Guarantee:
    """``guarantor`` guarantees ``borrower``'s debt to the bank."""

    guarantor: int
    borrower: int
    amount_cents: int
    start_date: str
    end_date: str


@dataclass(slots=True)
class Facility:
    """A credit facility; mutable because group exposures are tuned after drawing."""

    customer: int
    product: str
    limit_cents: int
    outstanding_cents: int
    currency: str
    maturity: str


@dataclass(frozen=True, slots=True)
class ProductHolding:
    """A product a customer holds."""

    customer: int
    product: str
    balance_cents: int
    currency: str
    opened: str


@dataclass(frozen=True, slots=True)
class SegmentSnapshot:
    """A customer's segment on one date."""

    customer: int
    as_of: str
    segment: str


@dataclass(slots=True)
class PlantedGroup:
    """A group as built: its controller and every company under it."""

    controller: Owner
    members: list[int]  # companies; the controller too when it is a company
    levels: int
    top: int  # the top holding company


@dataclass
class PlantedControl:
    """The control cases of :mod:`.control_cases`, by index."""

    joint: dict[int, list[Owner]] = field(default_factory=dict)  # company → its controllers
    link_ventures: list[int] = field(default_factory=list)  # joint by two control links
    cycles: list[list[int]] = field(default_factory=list)  # companies that control each other
    sister_subsidiaries: list[tuple[int, list[int]]] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class SupplyChain:
    """A core enterprise and its tiers."""

    core: int
    tier1_suppliers: tuple[int, ...]
    tier2_suppliers: tuple[int, ...]
    tier1_buyers: tuple[int, ...]
    tier2_buyers: tuple[int, ...]


@dataclass
class Bank:
    """Everything the generator writes, before ids and files."""

    branches: list[tuple[str, str, str]] = field(default_factory=list)  # id, name, parent
    rms: list[tuple[str, str, str]] = field(default_factory=list)  # id, name, branch
    companies: list[Company] = field(default_factory=list)
    persons: list[Person] = field(default_factory=list)
    shareholdings: list[Shareholding] = field(default_factory=list)
    control_links: list[ControlLink] = field(default_factory=list)
    supply_links: list[SupplyLink] = field(default_factory=list)
    guarantees: list[Guarantee] = field(default_factory=list)
    facilities: list[Facility] = field(default_factory=list)
    holdings: list[ProductHolding] = field(default_factory=list)
    snapshots: list[SegmentSnapshot] = field(default_factory=list)
    # Public ids of guarantees and facilities, by position, once assigned.
    guarantee_ids: list[str] = field(default_factory=list)
    facility_ids: list[str] = field(default_factory=list)
    # What was planted, by index; the truth file is derived from these.
    groups: list[PlantedGroup] = field(default_factory=list)
    controllers: dict[int, Owner] = field(default_factory=dict)  # company → ultimate controller
    supply_chains: list[SupplyChain] = field(default_factory=list)
    guarantee_circles: list[list[int]] = field(default_factory=list)
    guarantee_chains: list[list[int]] = field(default_factory=list)  # guarantor → … → borrower
    joint_ventures: list[int] = field(default_factory=list)
    ownership_cycles: list[list[int]] = field(default_factory=list)
    over_concentrated: list[int] = field(default_factory=list)  # indexes into ``groups``
    control: PlantedControl = field(default_factory=PlantedControl)
    cross_sell_gaps: list[tuple[int, str]] = field(default_factory=list)
    segment_migrations: list[tuple[int, str, str, str]] = field(default_factory=list)

    def customers(self) -> list[Company]:
        """Customer companies, in index order."""
        return [c for c in self.companies if c.is_customer]


@dataclass(frozen=True)
class PlantedDependence:
    """One planted case, by company index."""

    dependent: int
    counterparty: int
    relationship: str
    direction: str
    share: float
    supply_link: bool
