"""Building the bank's structure: branches, companies, ownership, supply chains,
guarantees, credit, products and segments.

Each structure is planted on companies created for it, so structures never touch
by accident: a guarantee circle is made of plain customers that no other circle,
chain or group uses, which is why the strongly connected components of the
guarantee graph are exactly the planted circles. :mod:`.truth` re-derives all of
it from the rows and fails the generation if anything disagrees.
"""

from __future__ import annotations

import itertools
import logging
import math
import random
from datetime import date, timedelta
from typing import Final

from core.uscc import make_uscc

from .model import (
    Bank,
    Company,
    ControlLink,
    Facility,
    Guarantee,
    Owner,
    Person,
    PlantedGroup,
    ProductHolding,
    SegmentSnapshot,
    Shareholding,
    SupplyChain,
    SupplyLink,
)
from .naming import NameForge
from .scales import (
    CONCENTRATION_THRESHOLD_CNY,
    ORDINARY_GROUP_CEILING,
    SNAPSHOT_DATES,
    USD_CNY_PRUDENT_RATE,
    ScaleSpec,
)
from .vocabulary import (
    BRANCH_CITIES,
    CAPEX_INDUSTRIES,
    CHAIN_INDUSTRIES,
    CONTROL_BASES,
    CREDIT_PRODUCTS,
    DOWNSTREAM_CATEGORY,
    FOREIGN_REGIONS,
    INDUSTRY_WORDS,
    OTHER_REGIONS,
    PRODUCTS,
    SEGMENTS,
    SERVICE_PRODUCTS,
    SUPPLY_CATEGORIES,
    TRADE_INDUSTRIES,
)

logger = logging.getLogger(__name__)

FULL_SHARE: Final = 10_000  # basis points: shares are kept as integer hundredths of a percent
MAJORITY: Final = 5_001  # a strict majority, 50.01%
YUAN: Final = 100  # cents per yuan
WAN: Final = 10_000 * YUAN  # cents per 万元, the unit capital and limits are rounded to
CUSTOMER_SHARE: Final = 0.45  # of all companies
#: Share of customers per segment, highest first (strategic, core, growth, basic).
SEGMENT_WEIGHTS: Final = (6, 16, 30, 48)
#: Facility limit range in yuan by segment, before the per-product factor.
LIMIT_RANGE: Final = {
    "strategic": (200_000_000, 1_200_000_000),
    "core": (30_000_000, 300_000_000),
    "growth": (5_000_000, 50_000_000),
    "basic": (500_000, 5_000_000),
}
PRODUCT_LIMIT_FACTOR: Final = {
    "LN-SYN": 1.5,
    "GT-LG": 0.3,
    "TF-LC": 0.5,
    "TF-BA": 0.5,
    "TF-FACT": 0.5,
}
DEPOSIT_RANGE: Final = {
    "strategic": (50_000_000, 500_000_000),
    "core": (5_000_000, 80_000_000),
    "growth": (500_000, 10_000_000),
    "basic": (50_000, 2_000_000),
}
CAPITAL_RANGE: Final = {
    "strategic": (500_000_000, 5_000_000_000),
    "core": (50_000_000, 500_000_000),
    "growth": (10_000_000, 100_000_000),
    "basic": (1_000_000, 20_000_000),
    "": (1_000_000, 200_000_000),
}
USD_PER_CNY_FOR_LIMITS: Final = 7  # to size USD facilities like their CNY peers
SHARE_AS_OF: Final = (("2025-06-30", 70), ("", 15), ("2024-12-31", 15))


def _date_between(rng: random.Random, first: date, last: date) -> str:
    return (first + timedelta(days=rng.randint(0, (last - first).days))).isoformat()


def log_uniform_cents(rng: random.Random, low_yuan: int, high_yuan: int, step_yuan: int) -> int:
    """An amount in cents, log-uniform between the bounds, rounded to ``step_yuan``."""
    value = math.exp(rng.uniform(math.log(low_yuan), math.log(high_yuan)))
    return max(step_yuan, round(value / step_yuan) * step_yuan) * YUAN


def _percent_points(rng: random.Random, low: int, high: int) -> int:
    """Basis points in [low, high]; mostly whole percents, sometimes with decimals (66.67%)."""
    if high <= low:
        return high
    if rng.random() < 0.6 and high - low >= 100:
        first, last = -(-low // 100), high // 100
        return rng.randint(first, last) * 100
    return rng.randint(low, high)


class StructureBuilder:
    """Creates every entity and structural relationship of one synthetic bank.

    Parameters
    ----------
    spec
        The scale.
    rng
        The one source of randomness for the structure (seeded by the caller).
    """

    def __init__(self, spec: ScaleSpec, rng: random.Random) -> None:
        self.spec = spec
        self.rng = rng
        self.bank = Bank()
        self.forge = NameForge(rng)
        self.cities = BRANCH_CITIES[: spec.branches]
        self.division_prefix = {c.name: c.division_prefix for c in BRANCH_CITIES}
        self.division_prefix.update(dict(OTHER_REGIONS))
        self.offices_by_city: dict[str, list[str]] = {}
        self.rms_by_office: dict[str, list[str]] = {}
        self._usccs: set[str] = set()
        # Roles the flow planner and the defects need.
        self.plain_customers: list[int] = []
        self.event_customers: list[int] = []
        self.counterparty_pool: list[int] = []  # non-customers that trade with customers
        self.prospect_companies: list[int] = []  # planted prospects that are in `companies`
        self.decoys: list[int] = []  # dissolved non-customers paid early in the year
        self.investor_persons: list[int] = []
        self.investor_companies: list[int] = []
        self.control_parent: dict[int, int] = {}  # company → the company that controls it
        self.borrowers: set[int] = set()
        self.owned: set[int] = set()  # companies that have shareholders
        self.full_share_company: int | None = None  # shares add up to exactly 100%

    # --- entities --------------------------------------------------------------------------
    def new_person(self, name: str | None = None) -> int:
        index = len(self.bank.persons)
        self.bank.persons.append(Person(index, name or self.forge.person_name()))
        return index

    def new_uscc(self, region: str) -> str:
        prefix = self.division_prefix.get(region, "1101")
        while True:
            code = make_uscc(self.rng, division=f"{prefix}{self.rng.randint(1, 12):02d}")
            if code not in self._usccs:
                self._usccs.add(code)
                return code

    def _segment(self) -> str:
        return self.rng.choices(SEGMENTS, SEGMENT_WEIGHTS)[0]

    def add_company(
        self,
        *,
        is_customer: bool,
        industry: str,
        region: str,
        role: str,
        name: str | None = None,
        segment: str = "",
        uscc_share: float = 0.92,
        status: str = "active",
    ) -> int:
        """Create a company (booked at a branch of ``region`` when a customer); its index."""
        rng = self.rng
        index = len(self.bank.companies)
        company = Company(
            index=index,
            name=name or self.forge.company_name(region, industry),
            uscc=self.new_uscc(region) if rng.random() < uscc_share else "",
            is_customer=is_customer,
            industry=industry,
            region=region,
            role=role,
            status=status,
        )
        if is_customer:
            company.segment = segment or self._segment()
            offices = self.offices_by_city[region]
            # Most customers are booked at a sub-branch; the rest at the city branch itself.
            office = (
                offices[0] if rng.random() < 0.2 or len(offices) == 1 else rng.choice(offices[1:])
            )
            company.branch_id = office
            company.rm_id = rng.choice(self.rms_by_office[office])
        low, high = CAPITAL_RANGE[company.segment]
        company.capital_cents = log_uniform_cents(rng, low, high, 10_000)
        company.founded = _date_between(rng, date(1992, 1, 1), date(2022, 12, 31))
        company.account = f"{rng.randint(1, 9)}{rng.randrange(10**18):018d}"
        self.bank.companies.append(company)
        return index

    def customer_city(self) -> str:
        return self.rng.choice(self.cities).name

    def any_region(self) -> str:
        if self.rng.random() < 0.15:
            return self.rng.choice(OTHER_REGIONS)[0]
        return self.customer_city()

    def random_industry(self) -> str:
        return self.rng.choice(tuple(INDUSTRY_WORDS))

    def _as_of(self) -> str:
        return self.rng.choices([d for d, _ in SHARE_AS_OF], [w for _, w in SHARE_AS_OF])[0]

    def hold(self, owner: Owner, company: int, basis_points: int) -> None:
        """Record a shareholding."""
        self.bank.shareholdings.append(Shareholding(owner, company, basis_points, self._as_of()))
        self.owned.add(company)

    # --- branches --------------------------------------------------------------------------
    def build_branches(self) -> None:
        """Head office, one branch per city, sub-branches per district; RMs at each office."""
        bank, spec = self.bank, self.spec
        bank.branches.append(("HO", "总行", ""))
        for city in self.cities:
            branch_id = f"BR-{city.code}"
            bank.branches.append((branch_id, f"{city.name}分行", "HO"))
            offices = [branch_id]
            for number, district in enumerate(city.districts[: spec.sub_branches_per_branch], 1):
                sub_id = f"{branch_id}-{number:02d}"
                bank.branches.append((sub_id, f"{city.name}{district}支行", branch_id))
                offices.append(sub_id)
            self.offices_by_city[city.name] = offices
        for offices in self.offices_by_city.values():
            for office in offices:
                ids = []
                for _ in range(spec.rms_per_office):
                    rm_id = f"RM{len(bank.rms) + 1:05d}"
                    bank.rms.append((rm_id, self.forge.person_name(), office))
                    ids.append(rm_id)
                self.rms_by_office[office] = ids

    # --- ownership -------------------------------------------------------------------------
    def build_investors(self) -> None:
        """Persons and investment companies that hold minority stakes in many companies."""
        count = max(3, self.spec.companies // 150)
        self.investor_persons = [self.new_person() for _ in range(count)]
        for _ in range(max(2, self.spec.companies // 400)):
            region = self.customer_city()
            index = self.add_company(
                is_customer=False,
                industry="trading",
                region=region,
                role="investor",
                name=self.forge.investment_name(region),
            )
            self.bank.companies[index].industry = "investment"
            self.investor_companies.append(index)

    def _minority_owner(self) -> Owner:
        """An owner that never controls anything: a new person, or an investor."""
        roll = self.rng.random()
        if roll < 0.5:
            return Owner("person", self.new_person())
        if roll < 0.8:
            return Owner("company", self.rng.choice(self.investor_companies))
        return Owner("person", self.rng.choice(self.investor_persons))

    def _fill_minorities(self, company: int, room: int, owners: int, cap: int) -> None:
        """Give up to ``owners`` minority holders stakes of at most ``cap`` within ``room``."""
        taken: list[Owner] = []
        for _ in range(owners):
            if room < 100:
                return
            stake = _percent_points(self.rng, min(100, room), min(cap, room))
            owner = self._minority_owner()
            if owner in taken:  # one row per owner and company: the contract's key
                continue
            taken.append(owner)
            self.hold(owner, company, stake)
            room -= stake

    def build_groups(self) -> None:
        """Multi-level groups under a person (or, for a few, an uncontrolled company)."""
        spec, rng = self.spec, self.rng
        sizes = [rng.randint(*spec.group_size) for _ in range(spec.groups)]
        if spec.big_group_size:
            sizes.append(spec.big_group_size)
        for number, size in enumerate(sizes):
            # Group 1 (and about one in eight) is controlled by a company no one controls.
            by_company = number == 1 or (number > 3 and rng.random() < 0.12)
            self._build_group(number, size, by_company)

    def _build_group(self, number: int, size: int, by_company: bool) -> None:
        rng, bank = self.rng, self.bank
        levels = 6 if size >= 60 else rng.randint(3, min(6, max(3, size - 2)))
        # The tree: a spine that reaches the full depth, then members under shallower ones.
        parent: list[int] = [-1]
        depth = [1]
        for level in range(2, levels + 1):
            parent.append(len(parent) - 1)
            depth.append(level)
        spine = list(range(levels))
        while len(parent) < size:
            candidates = [n for n in range(len(parent)) if depth[n] < levels]
            weights = [1.0 / depth[n] for n in candidates]
            chosen = rng.choices(candidates, weights)[0]
            parent.append(chosen)
            depth.append(depth[chosen] + 1)
        children: dict[int, list[int]] = {n: [] for n in range(len(parent))}
        for node, up in enumerate(parent):
            if up >= 0:
                children[up].append(node)

        # How each member is controlled: a majority by its parent, an agreement, or a VIE.
        kind = ["majority"] * len(parent)
        kind[0] = "top"
        leaves_off_spine = [n for n in range(levels, len(parent)) if not children[n]]
        if not by_company and leaves_off_spine and (number == 2 or rng.random() < 0.05):
            kind[rng.choice(leaves_off_spine)] = "person_vie"

        # Cross-holdings: two members that are not in one line hold 10-20% of each other.
        # Group 0 always has one, group 3 always a subsidiary holding its top company.
        reserved = [0] * len(parent)
        cross_pairs: list[tuple[int, int, int]] = []  # holder, held, basis points
        off_spine = [n for n in range(levels, len(parent)) if kind[n] == "majority"]
        if off_spine and (number == 0 or rng.random() < 0.35):
            first = rng.choice(off_spine)
            partner = spine[depth[first] - 1]  # the spine member at the same depth
            for holder, held in ((first, partner), (partner, first)):
                stake = _percent_points(rng, 1_000, 2_000)
                cross_pairs.append((holder, held, stake))
                reserved[held] += stake
        # A subsidiary holding a little of the top company: a cycle through the parent.
        deep = [n for n in range(len(parent)) if depth[n] >= 3 and kind[n] == "majority"]
        if deep and (number == 3 or rng.random() < 0.2):
            holder = rng.choice(deep)
            stake = _percent_points(rng, 500, 1_000)
            cross_pairs.append((holder, 0, stake))
            reserved[0] += stake
        # Control by agreement (group 0 always): the parent holds a minority.
        if number == 0 or rng.random() < 0.07:
            kind[rng.choice([n for n in range(1, len(parent)) if kind[n] == "majority"])] = (
                "agreement"
            )

        # Companies: the top holding company, then members sharing its 字号.
        city = self.customer_city()
        trade_name = self.forge.trade_name()
        top_is_customer = rng.random() < 0.6
        members: list[int] = []
        for node in range(len(parent)):
            if node == 0:
                region = city
                index = self.add_company(
                    is_customer=top_is_customer,
                    industry="holding",
                    region=region,
                    role="group",
                    name=self.forge.holding_name(region, trade_name),
                    segment=rng.choice(("strategic", "core")),
                )
            else:
                is_customer = rng.random() < 0.5
                region = city if rng.random() < 0.7 else self.customer_city()
                if not is_customer and rng.random() < 0.1:
                    region = rng.choice(OTHER_REGIONS)[0]
                industry = self.random_industry()
                style = "bracket" if rng.random() < 0.4 else "prefix"
                index = self.add_company(
                    is_customer=is_customer,
                    industry=industry,
                    region=region,
                    role="group",
                    name=self.forge.company_name(
                        region, industry, trade_name=trade_name, style=style
                    ),
                    segment=rng.choice(("core", "growth", "growth", "basic")),
                )
            members.append(index)
        self._ensure_customers(members, 2)

        controller_person = -1 if by_company else self.new_person()
        top = members[0]
        for node, index in enumerate(members):
            room = FULL_SHARE - reserved[node]
            if kind[node] == "top":
                if by_company:
                    # Widely held: no owner reaches a majority.
                    self._fill_minorities(index, room, rng.randint(3, 5), 3_500)
                else:
                    stake = room if rng.random() < 0.2 else _percent_points(rng, MAJORITY, room)
                    self.hold(Owner("person", controller_person), index, stake)
                    if room - stake >= 100 and rng.random() < 0.7:
                        family = self.new_person()
                        self.hold(Owner("person", family), index, room - stake)
                continue
            up = members[parent[node]]
            if kind[node] == "majority":
                stake = room if rng.random() < 0.3 else _percent_points(rng, MAJORITY, room)
                self.hold(Owner("company", up), index, stake)
                self.control_parent[index] = up
                if rng.random() < 0.7:
                    self._fill_minorities(index, room - stake, rng.randint(1, 2), 4_900)
            elif kind[node] == "agreement":
                stake = _percent_points(rng, 2_000, 4_500)
                self.hold(Owner("company", up), index, stake)
                self._fill_minorities(index, room - stake, 3, 3_000)
                basis = rng.choice(CONTROL_BASES[::2])  # agreement or regulator_filing
                bank.control_links.append(ControlLink(Owner("company", up), index, basis))
                self.control_parent[index] = up
            else:  # person_vie: the controller runs it by contract, nominees hold the equity
                self._fill_minorities(index, room, 3, 3_000)
                bank.control_links.append(
                    ControlLink(Owner("person", controller_person), index, "vie")
                )
        for holder, held, stake in cross_pairs:
            self.hold(Owner("company", members[holder]), members[held], stake)

        controller = Owner("company", top) if by_company else Owner("person", controller_person)
        for index in members:
            if index != top or not by_company:
                bank.controllers[index] = controller
        bank.groups.append(PlantedGroup(controller, members, levels, top))

    def _ensure_customers(self, members: list[int], minimum: int) -> None:
        companies = self.bank.companies
        customers = [m for m in members if companies[m].is_customer]
        others = [m for m in members if not companies[m].is_customer]
        self.rng.shuffle(others)
        for index in others[: max(0, minimum - len(customers))]:
            company = companies[index]
            if company.region not in self.offices_by_city:
                company.region = self.customer_city()
            self._make_customer(index, company.segment or "growth")

    def _make_customer(self, index: int, segment: str) -> None:
        company = self.bank.companies[index]
        company.is_customer = True
        company.segment = segment
        offices = self.offices_by_city[company.region]
        company.branch_id = self.rng.choice(offices)
        company.rm_id = self.rng.choice(self.rms_by_office[company.branch_id])

    def build_joint_ventures(self) -> None:
        """50/50 joint ventures of two groups: no one controls them."""
        person_groups = [g for g in self.bank.groups if g.controller.kind == "person"]
        if len(person_groups) < 2:
            return
        for _ in range(self.spec.joint_ventures):
            first, second = self.rng.sample(person_groups, 2)
            a, b = self.rng.choice(first.members), self.rng.choice(second.members)
            region = self.customer_city()
            venture = self.add_company(
                is_customer=self.rng.random() < 0.5,
                industry=self.random_industry(),
                region=region,
                role="joint_venture",
            )
            self.hold(Owner("company", a), venture, FULL_SHARE // 2)
            self.hold(Owner("company", b), venture, FULL_SHARE // 2)
            self.bank.joint_ventures.append(venture)

    def build_ownership_cycles(self) -> None:
        """Companies outside groups that own each other in a ring, none with a majority."""
        for number in range(self.spec.ownership_cycles):
            length = 3 if number % 2 == 0 else 2
            ring = [
                self.add_company(
                    is_customer=self.rng.random() < 0.5,
                    industry=self.random_industry(),
                    region=self.customer_city(),
                    role="cycle",
                )
                for _ in range(length)
            ]
            ring_stake = 3_000 if length == 3 else 4_000
            for position, company in enumerate(ring):
                holder = ring[position - 1]
                self.hold(Owner("company", holder), company, ring_stake)
                for stake in (3_000, 2_500) if length == 3 else (3_500, 1_500):
                    self.hold(Owner("person", self.new_person()), company, stake)
            self.bank.ownership_cycles.append(ring)

    def build_independent_ownership(self) -> None:
        """Founders with a majority of one company each, or dispersed owners; many have none."""
        rng = self.rng
        candidates = [
            c.index
            for c in self.bank.companies
            if c.role in {"plain", "counterparty"} and c.index not in self.owned
        ]
        for index in candidates:
            if rng.random() >= 0.35:
                continue
            if rng.random() < 0.6:
                founder = self.new_person()
                if self.full_share_company is None:
                    # One company whose shares add up to exactly 100%, for the
                    # share_total_exceeded defect.
                    self.full_share_company = index
                    self.hold(Owner("person", founder), index, 7_000)
                    self.hold(Owner("person", self.new_person()), index, 3_000)
                else:
                    stake = _percent_points(rng, MAJORITY, FULL_SHARE)
                    self.hold(Owner("person", founder), index, stake)
                    self._fill_minorities(index, FULL_SHARE - stake, 2, 4_900)
                self.bank.controllers[index] = Owner("person", founder)
            else:
                self._fill_minorities(index, FULL_SHARE, rng.randint(2, 4), 4_500)

    # --- supply chains ---------------------------------------------------------------------
    def build_supply_chains(self) -> None:
        """Core enterprises with tier-1 and tier-2 suppliers and buyers."""
        for number in range(self.spec.supply_chains):
            self._build_chain(number)

    def _chain_member(self, industry: str, role: str, customer: bool) -> int:
        region = self.customer_city() if customer else self.any_region()
        return self.add_company(
            is_customer=customer,
            industry=industry,
            region=region,
            role=role,
            segment=self.rng.choice(("core", "growth", "growth", "basic")),
        )

    def _foreign_buyer(self) -> int:
        return self.add_company(
            is_customer=False,
            industry="trading",
            region=self.rng.choice(FOREIGN_REGIONS),
            role="chain",
            name=self.forge.foreign_name(),
            uscc_share=0.0,  # foreign companies have no USCC
        )

    def _build_chain(self, number: int) -> None:
        spec, rng, bank = self.spec, self.rng, self.bank
        industry = CHAIN_INDUSTRIES[number % len(CHAIN_INDUSTRIES)]
        # About one chain in four is built around a company that is not (yet) a customer.
        core_is_customer = number % 4 != 1
        city = self.customer_city()
        core = self.add_company(
            is_customer=core_is_customer,
            industry=industry,
            region=city,
            role="chain_core",
            name=self.forge.company_name(city, industry, style=rng.choice(("plain", "prefix"))),
            segment=rng.choice(("strategic", "core")),
        )
        tier1_count = rng.randint(*spec.tier1_suppliers)
        buyer_count = max(2, tier1_count // 2)
        flags = [rng.random() < 0.5 for _ in range(tier1_count + buyer_count)]
        if not core_is_customer:
            # A core outside the bank must be tied to enough customers to be a prospect.
            needed = spec.prospect_customers[0] - sum(flags)
            for position in range(len(flags)):
                if needed <= 0:
                    break
                if not flags[position]:
                    flags[position] = True
                    needed -= 1
        categories = SUPPLY_CATEGORIES[industry]
        tier1_suppliers, tier2_suppliers, tier1_buyers, tier2_buyers = [], [], [], []
        for position in range(tier1_count):
            supplier = self._chain_member(industry, "chain", flags[position])
            tier1_suppliers.append(supplier)
            self._supply(supplier, core, 50_000_000, 600_000_000, rng.choice(categories))
            # A non-customer may trade with at most two customers, or it would be a prospect.
            customer_subs = 0
            for _ in range(rng.randint(*spec.tier2_per_tier1)):
                wants_customer = rng.random() < 0.3
                if not bank.companies[supplier].is_customer:
                    wants_customer = wants_customer and customer_subs == 0
                customer_subs += wants_customer
                sub = self._chain_member(self.random_industry(), "chain", wants_customer)
                tier2_suppliers.append(sub)
                self._supply(sub, supplier, 5_000_000, 60_000_000, rng.choice(categories))
        for position in range(buyer_count):
            is_customer = flags[tier1_count + position]
            if not is_customer and rng.random() < 0.15:
                buyer = self._foreign_buyer()
                self._supply(core, buyer, 20_000_000, 200_000_000, DOWNSTREAM_CATEGORY)
            else:
                buyer = self._chain_member(industry, "chain", is_customer)
                self._supply(core, buyer, 30_000_000, 400_000_000, DOWNSTREAM_CATEGORY)
            tier1_buyers.append(buyer)
            customer_subs = 0
            for _ in range(rng.randint(0, 1 if spec.tier2_per_tier1[1] <= 1 else 2)):
                wants_customer = rng.random() < 0.3
                if not bank.companies[buyer].is_customer:
                    wants_customer = wants_customer and customer_subs == 0
                customer_subs += wants_customer
                sub = self._chain_member(self.random_industry(), "chain", wants_customer)
                tier2_buyers.append(sub)
                self._supply(buyer, sub, 3_000_000, 40_000_000, DOWNSTREAM_CATEGORY)
        bank.supply_chains.append(
            SupplyChain(
                core,
                tuple(tier1_suppliers),
                tuple(tier2_suppliers),
                tuple(tier1_buyers),
                tuple(tier2_buyers),
            )
        )

    def _supply(
        self, supplier: int, buyer: int, low_yuan: int, high_yuan: int, category: str
    ) -> None:
        """A supply link with an annual amount in CNY (export contracts included)."""
        annual = log_uniform_cents(self.rng, low_yuan, high_yuan, 10_000)
        since = _date_between(self.rng, date(2012, 1, 1), date(2024, 6, 30))
        self.bank.supply_links.append(SupplyLink(supplier, buyer, annual, "CNY", category, since))

    # --- customers and counterparties -------------------------------------------------------
    def build_plain_customers(self) -> None:
        """Customers outside groups and chains: the pool for circles, events and flows."""
        spec = self.spec
        customers_now = sum(c.is_customer for c in self.bank.companies)
        minimum = (
            4 * spec.events_per_type
            + 3
            * (
                2 * spec.mutual_pairs
                + 5 * spec.guarantee_loops
                + 7 * spec.nested_circles
                + 4 * spec.guarantee_chains
                + spec.isolated_guarantees
            )
            // 2
        )
        count = max(minimum, round(CUSTOMER_SHARE * spec.companies) - customers_now)
        for _ in range(count):
            self.plain_customers.append(
                self.add_company(
                    is_customer=True,
                    industry=self.random_industry(),
                    region=self.customer_city(),
                    role="plain",
                )
            )
        self.event_customers = self.rng.sample(self.plain_customers, 4 * spec.events_per_type)

    def build_prospects_and_decoys(self, in_companies: int) -> None:
        """Non-customers planted as prospects, and dissolved look-alikes that are not."""
        for _ in range(in_companies):
            self.prospect_companies.append(
                self.add_company(
                    is_customer=False,
                    industry=self.random_industry(),
                    region=self.any_region(),
                    role="prospect",
                )
            )
        for _ in range(self.spec.dissolved_decoys):
            self.decoys.append(
                self.add_company(
                    is_customer=False,
                    industry=self.random_industry(),
                    region=self.any_region(),
                    role="decoy",
                    status="dissolved",
                )
            )

    def build_counterparties(self) -> None:
        """Non-customers that trade with one or two customers, up to the company budget."""
        rng = self.rng
        count = max(10, self.spec.companies - len(self.bank.companies))
        for _ in range(count):
            status = "active"
            roll = rng.random()
            if roll < 0.01:
                status = "revoked"
            elif roll < 0.02:
                status = "dissolved"
            index = self.add_company(
                is_customer=False,
                industry=self.random_industry(),
                region=self.any_region(),
                role="counterparty" if status == "active" else "inactive",
                status=status,
            )
            if status == "active":
                self.counterparty_pool.append(index)

    # --- guarantees -------------------------------------------------------------------------
    def build_guarantees(self) -> None:
        """Circles (pairs, loops, nested loops), chains, isolated and intra-group guarantees."""
        spec, rng, bank = self.spec, self.rng, self.bank
        event_set = set(self.event_customers)
        pool = [c for c in self.plain_customers if c not in event_set]
        rng.shuffle(pool)

        def take(count: int) -> list[int]:
            if len(pool) < count:
                raise RuntimeError("not enough plain customers for the guarantee structures")
            return [pool.pop() for _ in range(count)]

        for _ in range(spec.mutual_pairs):
            pair = take(2)
            self._guarantee(pair[0], pair[1])
            self._guarantee(pair[1], pair[0])
            bank.guarantee_circles.append(pair)
        # One circle reaches into a group: a customer member and a plain customer guarantee
        # each other, so a group member's view shows its group and its circle together.
        # Guarantees never close a control cycle, so the groups stay as planted.
        linked = [m for g in bank.groups for m in g.members if bank.companies[m].is_customer]
        if linked:
            member, partner = linked[0], take(1)[0]
            self._guarantee(member, partner)
            self._guarantee(partner, member)
            bank.guarantee_circles.append([member, partner])
        for _ in range(spec.guarantee_loops):
            loop = take(rng.randint(3, 6))
            for position, member in enumerate(loop):
                self._guarantee(member, loop[(position + 1) % len(loop)])
            bank.guarantee_circles.append(loop)
        for _ in range(spec.nested_circles):
            # Two loops sharing one member, sometimes with a chord: one circle.
            first = take(rng.randint(3, 4))
            second = [first[0], *take(rng.randint(2, 3))]
            for loop in (first, second):
                for position, member in enumerate(loop):
                    self._guarantee(member, loop[(position + 1) % len(loop)])
            if rng.random() < 0.5:
                self._guarantee(second[-1], first[1])
            bank.guarantee_circles.append(first + second[1:])
        for _ in range(spec.guarantee_chains):
            length = rng.randint(2, 4)  # guarantees in the chain
            path = take(length)
            if rng.random() < 0.5:
                # The first guarantor is often a non-customer (an owner or a partner).
                path[0] = rng.choice(self.counterparty_pool)
            if bank.guarantee_circles and rng.random() < 0.3:
                # A chain that feeds into a circle, which does not grow the circle.
                path.append(rng.choice(rng.choice(bank.guarantee_circles)))
            for guarantor, borrower in itertools.pairwise(path):
                self._guarantee(guarantor, borrower)
            bank.guarantee_chains.append(path)
        for _ in range(spec.isolated_guarantees):
            borrower = take(1)[0]
            guarantor = rng.choice(self.counterparty_pool) if rng.random() < 0.5 else take(1)[0]
            self._guarantee(guarantor, borrower)
        # Parents guarantee their subsidiaries: edges down a control tree never close a cycle.
        for group in bank.groups:
            subsidiaries = [
                m
                for m in group.members
                if m in self.control_parent and bank.companies[m].is_customer
            ]
            for borrower in rng.sample(subsidiaries, min(len(subsidiaries), rng.randint(0, 2))):
                self._guarantee(self.control_parent[borrower], borrower)

    def _guarantee(self, guarantor: int, borrower: int) -> None:
        rng = self.rng
        amount = log_uniform_cents(rng, 5_000_000, 300_000_000, 10_000)
        start = date(2022, 1, 1) + timedelta(days=rng.randint(0, 1276))
        end = ""
        if rng.random() < 0.8:
            end = (start + timedelta(days=365 * rng.randint(1, 3))).isoformat()
        self.bank.guarantees.append(Guarantee(guarantor, borrower, amount, start.isoformat(), end))
        self.borrowers.add(borrower)

    # --- credit and products ----------------------------------------------------------------
    def _bundle(self, company: Company, in_chain: bool) -> list[str]:
        """The products customers of this segment and industry hold (the archetype)."""
        segment, industry = company.segment, company.industry
        upper = segment in {"core", "strategic"}
        bundle = ["DEP-CUR", "IB-EBANK", "CM-PAYROLL"]
        if segment != "basic":
            bundle += ["LN-WC", "DEP-TIME"]
        if upper:
            bundle += ["TF-BA", "CM-POOL"]
        if segment == "strategic":
            bundle += ["LN-SYN", "BD-UW", "DEP-NOTICE"]
        if industry in TRADE_INDUSTRIES:
            bundle.append("FX-SPOT")
            if segment != "basic":
                bundle.append("TF-LC")
            if upper:
                bundle.append("FX-FWD")
        if industry in CAPEX_INDUSTRIES and segment != "basic":
            bundle.append("GT-LG")
            if upper:
                bundle.append("LN-FA")
        if in_chain and segment != "basic":
            bundle.append("TF-FACT")
        return bundle

    def build_credit_and_products(self) -> None:
        """Bundles with planted gaps, facilities, group concentration, then holdings."""
        rng, bank = self.rng, self.bank
        chain_members: set[int] = set()
        for chain in bank.supply_chains:
            chain_members.update(
                (
                    chain.core,
                    *chain.tier1_suppliers,
                    *chain.tier2_suppliers,
                    *chain.tier1_buyers,
                    *chain.tier2_buyers,
                )
            )
        bundles: dict[int, list[str]] = {}
        all_codes = [code for code, _, _ in PRODUCTS]
        for company in bank.customers():
            bundle = self._bundle(company, company.index in chain_members)
            if company.index in self.borrowers and not CREDIT_PRODUCTS.intersection(bundle):
                bundle.append("LN-WC")  # a borrower has a loan to guarantee
            if rng.random() < 0.05:
                extra = rng.choice([c for c in all_codes if c not in bundle])
                bundle.append(extra)
            elif len(bundle) >= 5 and rng.random() < 0.12:
                # A planted cross-sell gap: the customer lacks one product its peers hold.
                removable = [
                    p
                    for p in bundle
                    if p not in {"DEP-CUR", "IB-EBANK"}
                    and not (p in CREDIT_PRODUCTS and company.index in self.borrowers)
                ]
                if removable:
                    gap = rng.choice(removable)
                    bundle.remove(gap)
                    bank.cross_sell_gaps.append((company.index, gap))
            bundles[company.index] = bundle
        for customer, bundle in bundles.items():
            for product in bundle:
                if product in CREDIT_PRODUCTS:
                    bank.facilities.append(self._facility(customer, product))
        by_customer: dict[int, list[Facility]] = {}
        for facility in bank.facilities:
            by_customer.setdefault(facility.customer, []).append(facility)
        self._tune_group_exposure(bundles, by_customer)
        for customer, bundle in bundles.items():
            self._holdings(customer, bundle, by_customer.get(customer, []))

    def _facility(self, customer: int, product: str) -> Facility:
        rng = self.rng
        low, high = LIMIT_RANGE[self.bank.companies[customer].segment]
        factor = PRODUCT_LIMIT_FACTOR.get(product, 1.0)
        currency = "USD" if product == "TF-LC" and rng.random() < 0.5 else "CNY"
        divisor = USD_PER_CNY_FOR_LIMITS if currency == "USD" else 1
        limit = log_uniform_cents(
            rng, max(10_000, int(low * factor / divisor)), int(high * factor / divisor), 10_000
        )
        outstanding = int(limit * rng.uniform(0.2, 0.95))
        maturity = _date_between(rng, date(2026, 1, 1), date(2030, 12, 31))
        return Facility(customer, product, limit, outstanding, currency, maturity)

    def group_outstanding(
        self, group: PlantedGroup, by_customer: dict[int, list[Facility]], *, prudent: bool
    ) -> int:
        """The CNY outstanding of a group's customers (plus USD at a prudent rate if asked)."""
        total = 0
        for member in group.members:
            for facility in by_customer.get(member, []):
                if facility.currency == "CNY":
                    total += facility.outstanding_cents
                elif prudent:
                    total += facility.outstanding_cents * USD_CNY_PRUDENT_RATE
        return total

    def _tune_group_exposure(
        self, bundles: dict[int, list[str]], by_customer: dict[int, list[Facility]]
    ) -> None:
        """Keep ordinary groups well below the threshold; push the planted ones over it."""
        rng, bank = self.rng, self.bank
        threshold = int(CONCENTRATION_THRESHOLD_CNY * YUAN)
        ceiling = int(threshold * ORDINARY_GROUP_CEILING)
        for group in bank.groups:
            total = self.group_outstanding(group, by_customer, prudent=True)
            if total < ceiling:
                continue
            factor = ceiling * 0.8 / total
            for member in group.members:
                for facility in by_customer.get(member, []):
                    facility.limit_cents = max(WAN, int(facility.limit_cents * factor) // WAN * WAN)
                    facility.outstanding_cents = min(
                        facility.limit_cents, int(facility.outstanding_cents * factor)
                    )
        eligible = [
            n
            for n, g in enumerate(bank.groups)
            if any(bank.companies[m].is_customer and m not in bank.control.joint for m in g.members)
        ]
        chosen = sorted(
            rng.sample(eligible, min(len(eligible), self.spec.over_concentrated_groups))
        )
        segment_rank = {s: r for r, s in enumerate(SEGMENTS)}
        for number in chosen:
            group = bank.groups[number]
            target = int(threshold * rng.uniform(1.1, 1.6))
            missing = target - self.group_outstanding(group, by_customer, prudent=False)
            # A jointly controlled member is in another group too: never push it over.
            customers = [
                m
                for m in group.members
                if bank.companies[m].is_customer and m not in bank.control.joint
            ]
            borrower = min(customers, key=lambda m: (segment_rank[bank.companies[m].segment], m))
            limit = -(-int(missing / 0.9) // WAN) * WAN
            maturity = _date_between(rng, date(2027, 1, 1), date(2032, 12, 31))
            pushed = Facility(borrower, "LN-SYN", limit, missing, "CNY", maturity)
            bank.facilities.append(pushed)
            by_customer.setdefault(borrower, []).append(pushed)
            if "LN-SYN" not in bundles[borrower]:
                bundles[borrower].append("LN-SYN")
            bank.cross_sell_gaps[:] = [g for g in bank.cross_sell_gaps if g != (borrower, "LN-SYN")]
            bank.over_concentrated.append(number)

    def _holdings(self, customer: int, bundle: list[str], facilities: list[Facility]) -> None:
        rng, bank = self.rng, self.bank
        segment = bank.companies[customer].segment
        outstanding: dict[str, tuple[int, str]] = {}
        for facility in facilities:
            total, _ = outstanding.get(facility.product, (0, facility.currency))
            outstanding[facility.product] = (total + facility.outstanding_cents, facility.currency)
        for product in sorted(bundle):
            currency = "CNY"
            if product in CREDIT_PRODUCTS:
                balance, currency = outstanding[product]
            elif product in SERVICE_PRODUCTS:
                balance = 0
            else:
                low, high = DEPOSIT_RANGE[segment]
                balance = int(log_uniform_cents(rng, low, high, 1) * rng.uniform(0.3, 1.0))
            opened = _date_between(rng, date(2010, 1, 1), date(2024, 12, 31))
            bank.holdings.append(ProductHolding(customer, product, balance, currency, opened))

    # --- segments ---------------------------------------------------------------------------
    def build_segment_history(self) -> None:
        """Quarter-end snapshots; about one customer in ten moves one segment up or down."""
        rng, bank = self.rng, self.bank
        for company in bank.customers():
            final = company.segment
            path = [final] * len(SNAPSHOT_DATES)
            roll = rng.random()
            changes = 2 if roll < 0.015 else 1 if roll < 0.095 else 0
            positions = sorted(rng.sample(range(1, len(SNAPSHOT_DATES)), changes))
            current = final
            # Walk back in time: before each change the customer sat one segment away.
            for position in reversed(positions):
                rank = SEGMENTS.index(current)
                options = [r for r in (rank - 1, rank + 1) if 0 <= r < len(SEGMENTS)]
                previous = SEGMENTS[rng.choice(options)]
                for earlier in range(position):
                    path[earlier] = previous
                current = previous
            for position, (as_of, segment) in enumerate(zip(SNAPSHOT_DATES, path, strict=True)):
                bank.snapshots.append(SegmentSnapshot(company.index, as_of, segment))
                if position and path[position - 1] != segment:
                    bank.segment_migrations.append(
                        (company.index, path[position - 1], segment, as_of)
                    )
