"""Planning the year's fund flows as *lanes*, before any transaction is drawn.

A lane is one steady monthly flow between a customer and one counterparty in one
direction: a base amount per month, the months it runs, and how it changes
(planted events scale it from a month on). :mod:`.transactions` turns lanes into
payments month by month. Planning on lanes is what makes the truth exact:

- a **prospect** is a non-customer with lanes to at least four distinct
  customers all year; every other non-customer has lanes to at most two;
- **events** are planted on customers whose every lane is dedicated to them, so
  nothing else they do looks like an event;
- every active lane-month has at least one payment, so a lane that is planned to
  run never goes silent by chance.

Counterparties are companies of ``companies`` (by id or, in some payments, by a
spelling of their name) or *name-only parties* that exist only in payments; the
loader creates those with id ``counterparty_id(name_key(name))``.
"""

from __future__ import annotations

import logging
import math
import random
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Final

from .model import Company, PlantedDependence, SupplyLink
from .naming import formatting_variants
from .scales import ScaleSpec
from .structure import YUAN, StructureBuilder, log_uniform_cents
from .vocabulary import (
    PURPOSE_INTRAGROUP,
    PURPOSE_SUPPLY,
    PURPOSES_ONE_OFF,
    PURPOSES_REGULAR,
)

logger = logging.getLogger(__name__)

#: A customer's steady monthly flow (in plus out) in yuan, by segment.
BASELINE_RANGE: Final = {
    "strategic": (30_000_000, 150_000_000),
    "core": (8_000_000, 40_000_000),
    "growth": (1_500_000, 8_000_000),
    "basic": (200_000, 1_500_000),
}
#: How many steady counterparties a customer has, by segment.
LANES_PER_SEGMENT: Final = {"strategic": (7, 12), "core": (5, 8), "growth": (3, 6), "basic": (3, 4)}
#: How strongly the planted prospects' customers are drawn from each segment.
PROSPECT_SEGMENT_WEIGHT: Final = {"strategic": 6, "core": 4, "growth": 2, "basic": 1}
ONE_OFF_SHARE: Final = 0.04  # of all transactions: single small payments to unknown companies
PAYMENTS_PER_LANE_MONTH: Final = 1.3  # the least average that still leaves room for noise
NEVER: Final = 13  # a month after the year: "no change"
PURPOSES: Final = (*PURPOSES_REGULAR, PURPOSE_SUPPLY, PURPOSE_INTRAGROUP, *PURPOSES_ONE_OFF)
PROSPECT_SUPPLY_CATEGORIES: Final = ("原材料", "零部件", "包装材料", "物流服务", "设备")
EVENT_TYPES: Final = ("large_outflow", "counterparty_loss", "dormancy", "new_major_counterparty")


class LaneKind(IntEnum):
    """Why a lane exists."""

    REGULAR = 0
    SUPPLY = 1
    PROSPECT = 2
    DECOY = 3
    INTRAGROUP = 4
    EVENT = 5
    ONE_OFF = 6
    SPIKE = 7  # the one large payment of a large_outflow event


@dataclass(slots=True)
class NameOnlyParty:
    """A company known only from payments: name, account, sometimes a USCC."""

    name: str
    uscc: str
    account: str
    role: str  # prospect, regular, one_off


@dataclass(frozen=True, slots=True)
class PlantedEvent:
    """An event planted on a customer at a month (1-12)."""

    customer: int
    kind: str
    month: int
    counterparty: int  # party index, -1 for dormancy
    measure: str  # the planted share or multiple, as text for the truth file


@dataclass
class Lanes:
    """Lanes as parallel columns (one entry per lane)."""

    customer: list[int] = field(default_factory=list)
    party: list[int] = field(default_factory=list)
    outflow: list[bool] = field(default_factory=list)  # True: the customer pays
    base_cents: list[float] = field(default_factory=list)  # expected amount per month
    start: list[int] = field(default_factory=list)
    end: list[int] = field(default_factory=list)
    scale_from: list[int] = field(default_factory=list)
    scale_factor: list[float] = field(default_factory=list)
    trend: list[float] = field(default_factory=list)  # growth per month, as a fraction
    name_prob: list[float] = field(default_factory=list)  # chance a payment names the party
    purpose: list[int] = field(default_factory=list)  # index into PURPOSES
    kind: list[int] = field(default_factory=list)
    extra_rate: list[float] = field(default_factory=list)  # Poisson mean of extra payments

    def __len__(self) -> int:
        return len(self.customer)

    def append(
        self,
        customer: int,
        party: int,
        *,
        outflow: bool,
        base_cents: float,
        kind: LaneKind,
        purpose: int,
        name_prob: float,
        start: int = 1,
        end: int = 12,
        scale_from: int = NEVER,
        scale_factor: float = 1.0,
        trend: float = 0.0,
        extra_rate: float = 0.0,
    ) -> int:
        """Add one lane (its base at least one yuan); returns its index."""
        self.customer.append(customer)
        self.party.append(party)
        self.outflow.append(outflow)
        self.base_cents.append(max(float(YUAN), base_cents))
        self.start.append(start)
        self.end.append(end)
        self.scale_from.append(scale_from)
        self.scale_factor.append(scale_factor)
        self.trend.append(trend)
        self.name_prob.append(name_prob)
        self.purpose.append(purpose)
        self.kind.append(int(kind))
        self.extra_rate.append(extra_rate)
        return len(self.customer) - 1


@dataclass
class FlowPlan:
    """Everything :mod:`.transactions` needs, plus the planted prospects and events."""

    company_count: int  # parties below this index are companies; above, name-only
    parties: list[NameOnlyParty]
    lanes: Lanes
    events: list[PlantedEvent]
    prospects: list[int]  # party indexes
    prospect_ties: dict[int, list[int]]  # prospect party → its customers
    prospect_supply: set[int]  # prospects that also have supply links
    decoys: list[int]
    variants: dict[int, list[str]]  # party → spellings used in payments, canonical first
    dependence: list[PlantedDependence] = field(default_factory=list)  # economic dependence
    # Set by the hard bank only (``loaders.synthetic.hard``); ``None`` keeps the default draw.
    #: Month factors (12 per row; row 0 is all ones) and each lane's row. A factor of 0
    #: means no payment that month (a late payment, a month without a purchase).
    month_profiles: list[tuple[float, ...]] | None = None
    lane_profile: list[int] | None = None
    #: The account each spelling of ``variants`` is paid to (party → one per spelling).
    variant_accounts: dict[int, list[str]] | None = None


class FlowPlanner:
    """Plans lanes for one bank built by :class:`~.structure.StructureBuilder`."""

    def __init__(self, spec: ScaleSpec, structure: StructureBuilder, rng: random.Random) -> None:
        self.spec = spec
        self.structure = structure
        self.rng = rng
        self.companies: list[Company] = structure.bank.companies
        self.company_count = len(self.companies)
        self.parties: list[NameOnlyParty] = []
        self.lanes = Lanes()
        self.events: list[PlantedEvent] = []
        self.ties: dict[int, list[int]] = {}  # non-customer party → customers, in order
        self.baseline: dict[int, int] = {}
        self._pool_fresh = list(structure.counterparty_pool)
        rng.shuffle(self._pool_fresh)
        self._pool_once: list[int] = []  # used by one customer, may serve one more
        event_set = set(structure.event_customers)
        self.steady_customers = [
            c.index for c in self.companies if c.is_customer and c.index not in event_set
        ]

    # --- parties ---------------------------------------------------------------------------
    def _name_only(self, role: str, uscc_share: float) -> int:
        rng = self.rng
        region = self.structure.any_region()
        name = self.structure.forge.company_name(region, self.structure.random_industry())
        uscc = self.structure.new_uscc(region) if rng.random() < uscc_share else ""
        account = f"{rng.randint(1, 9)}{rng.randrange(10**18):018d}"
        self.parties.append(NameOnlyParty(name, uscc, account, role))
        return self.company_count + len(self.parties) - 1

    def is_customer(self, party: int) -> bool:
        return party < self.company_count and self.companies[party].is_customer

    def _company_name_prob(self, party: int) -> float:
        """How often payments name a registered company instead of giving its id."""
        roll = self.rng.random()
        if self.is_customer(party):
            return 0.3 if roll < 0.15 else 0.0
        return 1.0 if roll < 0.15 else 0.5 if roll < 0.35 else 0.0

    def _name_prob(self, party: int) -> float:
        return 1.0 if party >= self.company_count else self._company_name_prob(party)

    def _pool_party(self, customer: int, *, exclusive: bool, fallback: str = "name_only") -> int:
        """A non-customer counterparty from the pool; when it runs dry, the ``fallback``.

        A pool company serves at most two customers (one when ``exclusive``), so it
        never looks like a prospect. The fallback is a new name-only party, or
        (``"customer"``) another customer.
        """
        if self._pool_fresh:
            party = self._pool_fresh.pop()
            if not exclusive:
                self._pool_once.append(party)
            return party
        if not exclusive:
            while self._pool_once:
                party = self._pool_once.pop()
                if customer not in self.ties.get(party, []):
                    return party
        if fallback == "customer":
            return self._other_customer(customer)
        return self._name_only("regular", 0.5)

    # --- lanes -----------------------------------------------------------------------------
    def add_lane(
        self,
        customer: int,
        party: int,
        *,
        outflow: bool,
        base_cents: float,
        kind: LaneKind,
        purpose: int,
        start: int = 1,
        end: int = 12,
        scale_from: int = NEVER,
        scale_factor: float = 1.0,
        trend: float = 0.0,
        name_prob: float | None = None,
    ) -> int:
        """Add one lane; returns its index."""
        index = self.lanes.append(
            customer,
            party,
            outflow=outflow,
            base_cents=base_cents,
            kind=kind,
            purpose=purpose,
            name_prob=self._name_prob(party) if name_prob is None else name_prob,
            start=start,
            end=end,
            scale_from=scale_from,
            scale_factor=scale_factor,
            trend=trend,
        )
        if not self.is_customer(party) and kind not in (LaneKind.ONE_OFF, LaneKind.SPIKE):
            customers = self.ties.setdefault(party, [])
            if customer not in customers:
                customers.append(customer)
        return index

    def _baseline(self, customer: int) -> int:
        if customer not in self.baseline:
            low, high = BASELINE_RANGE[self.companies[customer].segment]
            self.baseline[customer] = log_uniform_cents(self.rng, low, high, 1_000)
        return self.baseline[customer]

    def _regular_purpose(self) -> int:
        return self.rng.randrange(len(PURPOSES_REGULAR))

    def _split(self, total: float, parts: int) -> list[float]:
        weights = [self.rng.gammavariate(3.0, 1.0) for _ in range(parts)]
        scale = total / sum(weights)
        return [w * scale for w in weights]

    # --- planted events --------------------------------------------------------------------
    def plan_events(self) -> None:
        """One event on each event customer: four types, ``events_per_type`` each."""
        customers = self.structure.event_customers
        per_type = self.spec.events_per_type
        for position, customer in enumerate(customers):
            self._plan_event(customer, EVENT_TYPES[position // per_type])

    def _dedicated_lanes(
        self,
        customer: int,
        amounts: list[float],
        outflow: bool,
        *,
        start: int = 1,
        end: int = 12,
        scale_from: int = NEVER,
        scale_factor: float = 1.0,
    ) -> list[int]:
        """Lanes to counterparties that trade with this customer only."""
        return [
            self.add_lane(
                customer,
                self._pool_party(customer, exclusive=True),
                outflow=outflow,
                base_cents=amount,
                kind=LaneKind.EVENT,
                purpose=self._regular_purpose(),
                start=start,
                end=end,
                scale_from=scale_from,
                scale_factor=scale_factor,
            )
            for amount in amounts
        ]

    def _plan_event(self, customer: int, kind: str) -> None:
        rng = self.rng
        base = self._baseline(customer)
        lanes = self.lanes
        if kind == "dormancy":
            month = rng.randint(4, 10)
            # Many small counterparties: no single one looks like a lost major one.
            while True:
                inflows = self._split(base * 0.5, 3)
                outflows = self._split(base * 0.5, rng.randint(3, 4))
                if max(inflows + outflows) < 0.22 * base:
                    break
            self._dedicated_lanes(customer, inflows, False, end=month - 1)
            self._dedicated_lanes(customer, outflows, True, end=month - 1)
            self.events.append(PlantedEvent(customer, kind, month, -1, ""))
        elif kind == "counterparty_loss":
            month = rng.randint(4, 10)
            share = rng.uniform(0.40, 0.50)
            lost_pays = rng.random() < 0.5  # the lost one is a supplier the customer pays
            lost = self._dedicated_lanes(customer, [share * base], lost_pays, end=month - 1)[0]
            same_side = self._split((0.55 - share) * base, rng.randint(1, 2))
            self._dedicated_lanes(customer, same_side, lost_pays)
            self._dedicated_lanes(
                customer, self._split(0.45 * base, rng.randint(2, 3)), not lost_pays
            )
            self.events.append(
                PlantedEvent(customer, kind, month, lanes.party[lost], f"{share:.2f}")
            )
        elif kind == "new_major_counterparty":
            month = rng.randint(4, 10)
            taken = rng.uniform(0.70, 0.85)  # of its side; the side is 55% of all flows
            new_pays = rng.random() < 0.5
            side_total = 0.55 * base
            self._dedicated_lanes(
                customer,
                self._split(side_total, rng.randint(2, 3)),
                new_pays,
                scale_from=month,
                scale_factor=1.0 - taken,
            )
            self._dedicated_lanes(
                customer, self._split(0.45 * base, rng.randint(2, 3)), not new_pays
            )
            new = self._dedicated_lanes(customer, [taken * side_total], new_pays, start=month)[0]
            self.events.append(
                PlantedEvent(customer, kind, month, lanes.party[new], f"{taken * 0.55:.2f}")
            )
        else:  # large_outflow
            month = rng.randint(4, 12)  # after at least three ordinary months
            self._dedicated_lanes(customer, self._split(0.5 * base, rng.randint(2, 3)), False)
            paid = self._dedicated_lanes(customer, self._split(0.5 * base, rng.randint(2, 3)), True)
            multiple = rng.uniform(5.0, 8.0)
            target = lanes.party[rng.choice(paid)]
            self.add_lane(
                customer,
                target,
                outflow=True,
                base_cents=multiple * 0.5 * base,
                kind=LaneKind.SPIKE,
                purpose=PURPOSES.index("设备款"),
                start=month,
                end=month,
            )
            self.events.append(PlantedEvent(customer, kind, month, target, f"{multiple:.1f}"))

    # --- supply chains, prospects, decoys, groups ------------------------------------------
    def plan_supply(self, links: list[SupplyLink]) -> None:
        """Buyers pay suppliers every month for every link the bank can see."""
        for link in links:
            supplier, buyer = link.supplier, link.buyer
            if not (self.is_customer(supplier) or self.is_customer(buyer)):
                continue  # neither side banks with us: the bank never sees these payments
            monthly = link.annual_cents / 12
            if self.is_customer(buyer):
                customer, party, outflow = buyer, supplier, True
            else:
                customer, party, outflow = supplier, buyer, False
            self.add_lane(
                customer,
                party,
                outflow=outflow,
                base_cents=monthly,
                kind=LaneKind.SUPPLY,
                purpose=PURPOSES.index(PURPOSE_SUPPLY),
            )

    def _weighted_customers(self, count: int, cumulative: list[float]) -> list[int]:
        chosen: list[int] = []
        while len(chosen) < count:
            for customer in self.rng.choices(
                self.steady_customers, cum_weights=cumulative, k=count
            ):
                if customer not in chosen and len(chosen) < count:
                    chosen.append(customer)
        return chosen

    def plan_prospects(self, name_only_count: int) -> tuple[list[int], set[int], list[SupplyLink]]:
        """Non-customers tied to several customers all year, some also by supply links."""
        rng = self.rng
        weights = [
            PROSPECT_SEGMENT_WEIGHT[self.companies[c].segment] for c in self.steady_customers
        ]
        cumulative: list[float] = []
        running = 0.0
        for weight in weights:
            running += weight
            cumulative.append(running)
        prospects = list(self.structure.prospect_companies)
        prospects += [self._name_only("prospect", 0.5) for _ in range(name_only_count)]
        with_supply: set[int] = set()
        new_links: list[SupplyLink] = []
        for prospect in prospects:
            customers = self._weighted_customers(
                rng.randint(*self.spec.prospect_customers), cumulative
            )
            supplies = rng.random() < 0.6  # the prospect sells to them, or buys from them
            trend = rng.uniform(0.0, 0.03)
            for position, customer in enumerate(customers):
                monthly = self._baseline(customer) * rng.uniform(0.10, 0.20)
                via_supply = prospect < self.company_count and position < 2 and rng.random() < 0.4
                self.add_lane(
                    customer,
                    prospect,
                    outflow=supplies,
                    base_cents=monthly,
                    kind=LaneKind.PROSPECT,
                    purpose=PURPOSES.index(PURPOSE_SUPPLY)
                    if via_supply
                    else self._regular_purpose(),
                    trend=trend,
                )
                if via_supply:
                    supplier, buyer = (prospect, customer) if supplies else (customer, prospect)
                    annual = int(monthly * 12) // (10_000 * YUAN) * (10_000 * YUAN) + 10_000 * YUAN
                    since = f"{rng.randint(2015, 2024)}-{rng.randint(1, 12):02d}-01"
                    category = rng.choice(PROSPECT_SUPPLY_CATEGORIES)
                    new_links.append(SupplyLink(supplier, buyer, annual, "CNY", category, since))
                    with_supply.add(prospect)
        return prospects, with_supply, new_links

    def plan_decoys(self) -> None:
        """Dissolved companies paid by several customers until they closed early in the year."""
        for decoy in self.structure.decoys:
            end = self.rng.randint(3, 5)
            for customer in self.rng.sample(self.steady_customers, self.rng.randint(4, 5)):
                self.add_lane(
                    customer,
                    decoy,
                    outflow=True,
                    base_cents=self._baseline(customer) * self.rng.uniform(0.03, 0.08),
                    kind=LaneKind.DECOY,
                    purpose=self._regular_purpose(),
                    end=end,
                )

    def plan_intragroup(self) -> None:
        """Settlements between customer subsidiaries and their customer parents."""
        structure = self.structure
        event_customers = set(structure.event_customers)
        for group in structure.bank.groups:
            for member in group.members:
                parent = structure.control_parent.get(member)
                if parent is None or not (self.is_customer(member) and self.is_customer(parent)):
                    continue
                if member in event_customers or self.rng.random() < 0.5:
                    continue
                self.add_lane(
                    member,
                    parent,
                    outflow=self.rng.random() < 0.5,
                    base_cents=self._baseline(member) * self.rng.uniform(0.05, 0.15),
                    kind=LaneKind.INTRAGROUP,
                    purpose=PURPOSES.index(PURPOSE_INTRAGROUP),
                    name_prob=0.0,
                )

    # --- everyday flows --------------------------------------------------------------------
    def plan_regular(self, target_transactions: int) -> None:
        """Each steady customer's own counterparties: pool companies, customers, name-only.

        Customers have more counterparties the bigger they are; at small scales the
        counts shrink so that each lane-month still averages more than one payment.
        """
        rng = self.rng
        steady = self.steady_customers
        planned_months = sum(
            e - s + 1 for s, e in zip(self.lanes.start, self.lanes.end, strict=True)
        )
        budget = target_transactions * (1 - ONE_OFF_SHARE) - planned_months
        affordable = max(0.0, budget / (12 * PAYMENTS_PER_LANE_MONTH))
        wanted = sum(sum(LANES_PER_SEGMENT[self.companies[c].segment]) / 2 for c in steady)
        shrink = min(1.0, affordable / wanted) if wanted else 1.0
        for customer in steady:
            base = self._baseline(customer)
            drawn = rng.randint(*LANES_PER_SEGMENT[self.companies[customer].segment])
            count = max(2, round(drawn * shrink))
            inflow_total = base * rng.uniform(0.45, 0.55)
            directions = [False, True] + [rng.random() < 0.5 for _ in range(count - 2)]
            inflow_count = directions.count(False)
            inflows = self._split(inflow_total, inflow_count)
            outflows = self._split(base - inflow_total, count - inflow_count)
            for outflow in directions:
                amount = outflows.pop() if outflow else inflows.pop()
                roll = rng.random()
                if roll < 0.2:
                    party = self._other_customer(customer)
                elif roll < 0.75:
                    party = self._pool_party(customer, exclusive=False, fallback="customer")
                else:
                    party = self._name_only("regular", 0.5)
                self.add_lane(
                    customer,
                    party,
                    outflow=outflow,
                    base_cents=amount,
                    kind=LaneKind.REGULAR,
                    purpose=self._regular_purpose(),
                )

    def _other_customer(self, customer: int) -> int:
        party = self.rng.choice(self.steady_customers)
        if party == customer:
            return self._name_only("regular", 0.5)
        return party

    def plan_one_offs(self, count: int) -> None:
        """Single small payments to companies seen once: the noise."""
        rng = self.rng
        event_month = {e.customer: e.month for e in self.events if e.kind == "dormancy"}
        customers = [c.index for c in self.companies if c.is_customer]
        for _ in range(count):
            customer = rng.choice(customers)
            last_month = event_month.get(customer, 13) - 1
            month = rng.randint(1, last_month)
            party = self._name_only("one_off", 0.3)
            self.add_lane(
                customer,
                party,
                outflow=rng.random() < 0.75,
                base_cents=self._baseline(customer) * rng.uniform(0.003, 0.03),
                kind=LaneKind.ONE_OFF,
                purpose=len(PURPOSES) - 1 - rng.randrange(len(PURPOSES_ONE_OFF)),
                start=month,
                end=month,
            )

    def calibrate(self, target_transactions: int) -> int:
        """Set each lane's extra-payment rate so the year has about ``target`` payments.

        Every active lane-month has one payment; the rest are spread over lanes in
        proportion to the square root of their amount (big flows are paid more often,
        but not proportionally more). Returns the expected number of payments.
        """
        lanes = self.lanes
        floor = 0
        weight_months = 0.0
        weights: list[float] = []
        for index in range(len(lanes)):
            months = lanes.end[index] - lanes.start[index] + 1
            floor += months
            if lanes.kind[index] in (LaneKind.ONE_OFF, LaneKind.SPIKE):
                weights.append(0.0)
                continue
            weight = math.sqrt(lanes.base_cents[index])
            weights.append(weight)
            weight_months += weight * months
        extra = max(0, target_transactions - floor)
        if extra == 0:
            logger.warning(
                "the lanes alone need %d payments, above the target %d", floor, target_transactions
            )
        for index, weight in enumerate(weights):
            lanes.extra_rate[index] = extra * weight / weight_months if weight_months else 0.0
        return floor + extra

    def variants(self) -> dict[int, list[str]]:
        """Spellings of each party that payments may use; the registered name first."""
        rng = self.rng
        named: dict[int, list[str]] = {}
        for index in range(len(self.lanes)):
            party = self.lanes.party[index]
            if self.lanes.name_prob[index] <= 0 or party in named:
                continue
            if party < self.company_count:
                name = self.companies[party].name
                extra = rng.randint(1, 3) if rng.random() < 0.7 else 0
            else:
                record = self.parties[party - self.company_count]
                name = record.name
                extra = 0 if record.role == "one_off" else rng.randint(0, 2)
            named[party] = [name, *formatting_variants(name, rng, extra)] if extra else [name]
        return named


def check_ties(planner: FlowPlanner, prospects: set[int], decoys: set[int]) -> None:
    """Prospects reach at least the minimum of customers; no other non-customer exceeds two."""
    minimum = planner.spec.prospect_customers[0]
    for party, customers in planner.ties.items():
        if party in prospects:
            if len(customers) < minimum:
                raise RuntimeError(f"planted prospect {party} has only {len(customers)} customers")
        elif party not in decoys and len(customers) > 2:
            raise RuntimeError(f"non-prospect {party} is tied to {len(customers)} customers")
