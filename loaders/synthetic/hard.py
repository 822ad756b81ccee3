"""The hard synthetic bank (``generate_bank(..., difficulty="hard")``).

The standard bank plants what the detectors look for, well clear of their
thresholds, on a background where everyone else is steady. The hard bank starts
from the same plan and adds what real payment data does. Every label is set by
what happened in the business, never by a detector's threshold:

**Hubs** (name-only counterparties that many customers pay; *not prospects*): the
tax bureau, social-security fund, power grid and water company of each branch city
(paid by most customers there), and nationwide payroll agents, logistics platforms
and e-commerce platforms (the last also pay customers their sales settlements). Tax
has quarterly income-tax instalments, power a summer and winter peak, payroll a
Spring Festival bonus, e-commerce the 618 and Double-11 peaks.

**Seasonal customers**: about a third of the steady customers have a Spring
Festival dip (a busy January, a quiet February) and some also quarter-end spikes
(1.3–3.5× in March, June, September and December), on all their flows.

**Lumpy capital purchases**: some customers of capital-intensive industries pay an
equipment supplier in lumps (1.5–4× a usual month's outflow) in three to five
months of the year, one of them in the first quarter. That is how they buy, not an
event.

**Late payments**: some lanes pay one month late once or twice in the year (nothing
in one month, two months' worth in the next).

**Events with spread magnitudes** (the customers and types of the standard plan,
re-planned): a large outflow of 2.7–15× the usual monthly outflow (log-uniform); a
lost counterparty that held 25–65% of the flows; a new counterparty taking 22–55%;
dormancy from April to November. Some of each are below the detectors' default
thresholds, some far above: what is planted is what the business did.

**Name noise** on payment counterparties, with the true company of every spelling
in ``truth.json`` (``name_identities``): one-character typos (homophones first, as
a pinyin keyboard makes them), traditional characters, English names of Chinese
companies, old names of renamed companies (the companies file has the new name),
and branch offices (…分公司), which are companies of their own with a head company
(``branch_offices``). Noisy spellings are paid to the company's usual account three
times in four, otherwise to a second account of the company.

Everything is drawn from its own random stream (derived from the seed), after the
standard plan, so the standard bank's files do not change.
"""

from __future__ import annotations

import logging
import math
import random
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Final

import opencc
from pypinyin import Style, lazy_pinyin

from core.names import name_key
from core.uscc import make_uscc

from .flows import (
    BASELINE_RANGE,
    NEVER,
    PURPOSES,
    FlowPlan,
    LaneKind,
    Lanes,
    NameOnlyParty,
    PlantedEvent,
)
from .scales import ScaleSpec
from .structure import StructureBuilder, log_uniform_cents
from .vocabulary import (
    BRANCH_CITIES,
    CAPEX_INDUSTRIES,
    INDUSTRY_WORDS,
    OTHER_REGIONS,
    PURPOSES_REGULAR,
)

logger = logging.getLogger(__name__)

SEED_SALT: Final = 0x48A2D  # the hard bank's random stream: seed × prime + salt
ONES: Final = (1.0,) * 12

# --- hubs ------------------------------------------------------------------------------------
#: Per branch city: (kind, name pattern, share of customers there that pay it, share of the
#: customer's monthly flow, USCC authority code).
CITY_HUBS: Final = (
    ("tax", "国家税务总局{city}市税务局", 0.95, (0.02, 0.06), "11"),
    ("social_security", "{city}市社会保险基金管理中心", 0.90, (0.02, 0.06), "12"),
    ("power", "国网{city}市电力公司", 0.80, (0.005, 0.03), "91"),
    ("water", "{city}市自来水有限公司", 0.60, (0.002, 0.01), "91"),
)
#: Nationwide: (kind, how many, industries whose customers use them (empty: all),
#: share of those customers, share of flow, outflow?).
NATIONAL_HUBS: Final = (
    ("payroll", 3, (), 0.20, (0.05, 0.15), True),
    (
        "logistics",
        3,
        (
            "manufacturing",
            "trading",
            "electronics",
            "food",
            "textiles",
            "auto_parts",
            "chemicals",
            "machinery",
        ),
        0.40,
        (0.01, 0.05),
        True,
    ),
    ("ecommerce", 2, ("food", "textiles", "electronics", "technology"), 0.30, (0.05, 0.20), False),
)
NATIONAL_HUB_WORDS: Final = {
    "payroll": ("人力资源服务", "人力资源", "企业服务外包"),
    "logistics": ("供应链物流科技", "物流科技", "速运"),
    "ecommerce": ("电子商务", "网络科技", "数字商务"),
}
#: Month factors of hub payments.
HUB_PROFILES: Final[dict[str, tuple[float, ...]]] = {
    # Monthly VAT plus the corporate income-tax instalment after each quarter.
    "tax": (1.0, 1.0, 1.0, 1.9, 1.0, 1.0, 1.9, 1.0, 1.0, 1.9, 1.0, 1.0),
    "social_security": ONES,
    "power": (1.2, 1.1, 1.0, 0.9, 0.9, 1.0, 1.25, 1.3, 1.0, 0.9, 1.0, 1.15),
    "water": ONES,
    # The Spring Festival bonus goes out with January's payroll.
    "payroll": (1.8, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.05),
    "logistics": ONES,
    # 618 and Double 11.
    "ecommerce": (1.0, 0.7, 0.9, 0.9, 1.0, 1.6, 0.9, 0.9, 1.0, 1.0, 2.5, 1.4),
}

# --- events ------------------------------------------------------------------------------------
OUTFLOW_RATIO: Final = (2.7, 15.0)  # month's outflow over the usual, log-uniform
LOSS_SHARE: Final = (0.25, 0.65)  # of the customer's total flows
NEW_SHARE: Final = (0.22, 0.55)
DORMANCY_MONTHS: Final = (4, 11)  # first silent month
LOSS_MONTHS: Final = (4, 11)  # first month without the lost counterparty
NEW_MONTHS: Final = (4, 10)
OUTFLOW_MONTHS: Final = (4, 12)

# --- behaviour ------------------------------------------------------------------------------
SEASONAL_SHARE: Final = 0.33
QUARTER_END_SHARE: Final = 0.5  # of seasonal customers
QUARTER_END_FACTOR: Final = (1.3, 3.5)
LUMPY_SHARE: Final = 0.12  # of steady customers in capital-intensive industries
LUMP_FACTOR: Final = (1.5, 4.0)
LATE_LANE_SHARE: Final = 0.08

# --- names ------------------------------------------------------------------------------------
TYPO_SHARE: Final = 0.08
TRADITIONAL_SHARE: Final = 0.06
ENGLISH_SHARE: Final = 0.05
RENAME_SHARE: Final = 0.08  # of registered non-customers paid by name
BRANCH_SHARE: Final = 0.03
SAME_ACCOUNT_SHARE: Final = 0.75
#: English renderings the generator uses for industry words (several per word, as
#: companies choose them; not the matcher's glossary).
ENGLISH_WORDS: Final[dict[str, tuple[str, ...]]] = {
    "科技": ("Technology", "Tech", "Science & Technology", "Sci-Tech"),
    "信息技术": ("Information Technology", "Infotech"),
    "智能科技": ("Intelligent Technology", "Smart Tech", "Intelligent Tech"),
    "网络科技": ("Network Technology", "Networks"),
    "软件": ("Software",),
    "贸易": ("Trading", "Trade"),
    "商贸": ("Trading", "Commerce"),
    "国际贸易": ("International Trading", "Intl Trade"),
    "进出口": ("Import & Export", "Imp. & Exp."),
    "物流": ("Logistics",),
    "供应链管理": ("Supply Chain Management", "Supply Chain"),
    "国际货运代理": ("International Freight Forwarding", "Freight Forwarding"),
    "仓储": ("Warehousing", "Storage"),
    "制造": ("Manufacturing",),
    "精密制造": ("Precision Manufacturing",),
    "工业": ("Industrial", "Industry"),
    "化工": ("Chemical", "Chemicals"),
    "精细化工": ("Fine Chemical", "Fine Chemicals"),
    "化学": ("Chemical",),
    "电子": ("Electronics", "Electronic"),
    "电子科技": ("Electronic Technology", "Electronics Tech"),
    "光电": ("Optoelectronics", "Photoelectric"),
    "微电子": ("Microelectronics",),
    "建设": ("Construction",),
    "建筑工程": ("Construction Engineering",),
    "建工": ("Construction", "Construction Engineering"),
    "路桥": ("Road & Bridge",),
    "能源": ("Energy",),
    "新能源": ("New Energy", "Renewable Energy"),
    "电力": ("Electric Power", "Power"),
    "燃气": ("Gas",),
    "医药": ("Pharmaceutical", "Pharma"),
    "生物医药": ("Biopharmaceutical", "Bio-Pharma"),
    "药业": ("Pharmaceutical", "Pharmaceuticals"),
    "医疗器械": ("Medical Devices", "Medical Equipment"),
    "食品": ("Food", "Foods"),
    "农产品": ("Agricultural Products",),
    "粮油": ("Grain & Oil", "Cereals & Oils"),
    "乳业": ("Dairy",),
    "纺织": ("Textile", "Textiles"),
    "服饰": ("Apparel", "Garments", "Fashion"),
    "织造": ("Weaving",),
    "机械": ("Machinery",),
    "重工": ("Heavy Industry", "Heavy Industries"),
    "装备": ("Equipment",),
    "机电": ("Mechanical & Electrical", "Electromechanical"),
    "汽车零部件": ("Auto Parts", "Automotive Parts"),
    "汽车配件": ("Auto Parts", "Auto Accessories"),
    "车用电子": ("Automotive Electronics",),
    "新材料": ("New Materials", "Advanced Materials"),
    "材料科技": ("Material Technology", "Materials Tech"),
    "金属材料": ("Metal Materials", "Metals"),
    "环保科技": ("Environmental Technology", "Enviro-Tech"),
    "环境工程": ("Environmental Engineering",),
    "水务": ("Water", "Water Services"),
    "农业发展": ("Agricultural Development",),
    "农牧": ("Agriculture & Animal Husbandry", "Farming"),
    "种业": ("Seed", "Seeds"),
    "置业": ("Property", "Real Estate"),
    "房地产开发": ("Real Estate Development", "Property Development"),
    "物业管理": ("Property Management",),
}
ENGLISH_SUFFIXES: Final = ("Co., Ltd.", "Co.,Ltd.", "Limited", "Corporation", "Company Limited")
_REGIONS: Final = tuple(
    sorted({c.name for c in BRANCH_CITIES} | {n for n, _ in OTHER_REGIONS}, key=lambda r: -len(r))
)
_INDUSTRY_WORDS_LONGEST: Final = tuple(
    sorted({w for words in INDUSTRY_WORDS.values() for w in words}, key=lambda w: -len(w))
)
_SUFFIXES: Final = ("股份有限公司", "有限责任公司", "有限公司")


@dataclass
class Identity:
    """The true company of one spelling used in payments."""

    party: int
    kind: str  # canonical, formatting, typo, traditional, english, old_name


@dataclass
class HardPlan:
    """What the hard bank added, for ``truth.json`` (ids are resolved at the end)."""

    spellings: dict[str, Identity] = field(default_factory=dict)
    branches: dict[int, int] = field(default_factory=dict)  # branch party → head party
    hubs: dict[int, str] = field(default_factory=dict)  # party → kind
    renamed: list[tuple[int, str, str]] = field(default_factory=list)  # company, old, new
    seasonal: list[int] = field(default_factory=list)
    lumpy: list[int] = field(default_factory=list)
    late_lanes: int = 0
    noise: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    def truth(self, party_id: Callable[[int], str], used: set[str]) -> dict[str, Any]:
        """The hard bank's truth keys; ``used`` are the spellings that payments used."""
        identities = {
            name: {"id": party_id(identity.party), "kind": identity.kind}
            for name, identity in sorted(self.spellings.items())
            if name in used
        }
        return {
            "difficulty": "hard",
            "name_identities": identities,
            "branch_offices": sorted(
                (
                    {"id": party_id(branch), "head_id": party_id(head)}
                    for branch, head in self.branches.items()
                ),
                key=lambda b: b["id"],
            ),
            "hubs": sorted(
                ({"id": party_id(p), "kind": kind} for p, kind in self.hubs.items()),
                key=lambda h: h["id"],
            ),
            "renamed": sorted(
                (
                    {"company_id": party_id(c), "old_name": old, "new_name": new}
                    for c, old, new in self.renamed
                ),
                key=lambda r: r["company_id"],
            ),
            "seasonal_customers": sorted(party_id(c) for c in self.seasonal),
            "lumpy_customers": sorted(party_id(c) for c in self.lumpy),
            "name_noise": dict(sorted(self.noise.items())),
            "late_lanes": self.late_lanes,
        }


class Hardener:
    """Adds the hard bank's behaviour to a planned standard bank."""

    def __init__(
        self, spec: ScaleSpec, structure: StructureBuilder, plan: FlowPlan, rng: random.Random
    ) -> None:
        self.spec = spec
        self.structure = structure
        self.plan = plan
        self.rng = rng
        self.forge = structure.forge.fork(rng)
        self.companies = structure.bank.companies
        self.out = HardPlan()
        self.profiles: list[tuple[float, ...]] = [ONES]
        self.lane_profile: list[int] = [0] * len(plan.lanes)
        self.customers = [c.index for c in self.companies if c.is_customer]
        self.event_customers = {e.customer for e in plan.events}
        lanes = plan.lanes
        ratios = [
            lanes.extra_rate[i] / math.sqrt(lanes.base_cents[i])
            for i in range(len(lanes))
            if lanes.kind[i] == LaneKind.REGULAR and lanes.base_cents[i] > 0
        ]
        self.extra_per_sqrt = ratios[0] if ratios else 0.0
        self.baseline: dict[int, float] = defaultdict(float)
        for i in range(len(lanes)):
            if lanes.kind[i] not in (LaneKind.ONE_OFF, LaneKind.SPIKE):
                self.baseline[lanes.customer[i]] += lanes.base_cents[i]

    # --- plumbing ---------------------------------------------------------------------------
    def new_party(self, name: str, role: str, uscc: str = "") -> int:
        account = f"{self.rng.randint(1, 9)}{self.rng.randrange(10**18):018d}"
        self.plan.parties.append(NameOnlyParty(name, uscc, account, role))
        return self.plan.company_count + len(self.plan.parties) - 1

    def uscc(self, region: str, authority: str = "91") -> str:
        prefix = self.structure.division_prefix.get(region, "1101")
        while True:
            division = f"{prefix}{self.rng.randint(1, 12):02d}"
            code = make_uscc(self.rng, division=division, authority=authority)
            if code not in self.structure._usccs:
                self.structure._usccs.add(code)
                return code

    def profile(self, factors: tuple[float, ...]) -> int:
        self.profiles.append(tuple(round(f, 4) for f in factors))
        return len(self.profiles) - 1

    def add_lane(
        self,
        customer: int,
        party: int,
        *,
        outflow: bool,
        base: float,
        kind: LaneKind,
        start: int = 1,
        end: int = 12,
        scale_from: int = NEVER,
        scale_factor: float = 1.0,
        profile: int = 0,
        purpose: int | None = None,
        monthly_debit: bool = False,
    ) -> int:
        single = kind == LaneKind.SPIKE or monthly_debit
        index = self.plan.lanes.append(
            customer,
            party,
            outflow=outflow,
            base_cents=base,
            kind=kind,
            purpose=self.rng.randrange(len(PURPOSES_REGULAR)) if purpose is None else purpose,
            name_prob=1.0 if party >= self.plan.company_count else 0.0,
            start=start,
            end=end,
            scale_from=scale_from,
            scale_factor=scale_factor,
            extra_rate=0.0 if single else self.extra_per_sqrt * math.sqrt(base),
        )
        self.lane_profile.append(profile)
        if self.plan.lanes.name_prob[index] > 0 and party not in self.plan.variants:
            self.plan.variants[party] = [self.plan.parties[party - self.plan.company_count].name]
        return index

    def keep_lanes(self, keep: list[bool]) -> None:
        lanes = self.plan.lanes
        for name in Lanes.__dataclass_fields__:
            column = getattr(lanes, name)
            setattr(lanes, name, [v for v, k in zip(column, keep, strict=True) if k])
        self.lane_profile = [v for v, k in zip(self.lane_profile, keep, strict=True) if k]

    def split(self, total: float, parts: int) -> list[float]:
        weights = [self.rng.gammavariate(3.0, 1.0) for _ in range(parts)]
        scale = total / sum(weights)
        return [w * scale for w in weights]

    # --- hubs ------------------------------------------------------------------------------
    def plan_hubs(self) -> dict[int, list[tuple[int, float, bool, str]]]:
        """Hub parties and, per customer, its hub lanes (hub, share of flow, outflow, kind)."""
        rng = self.rng
        per_customer: dict[int, list[tuple[int, float, bool, str]]] = defaultdict(list)
        cities = [c.name for c in self.structure.cities]
        by_city: dict[str, list[int]] = defaultdict(list)
        for customer in self.customers:
            by_city[self.companies[customer].region].append(customer)
        for kind, pattern, reach, share, authority in CITY_HUBS:
            for city in cities:
                name = pattern.format(city=city)
                self.forge.claim(name)
                hub = self.new_party(name, "hub", self.uscc(city, authority))
                self.out.hubs[hub] = kind
                for customer in by_city[city]:
                    if rng.random() < reach:
                        per_customer[customer].append((hub, rng.uniform(*share), True, kind))
        for kind, count, industries, reach, share, outflow in NATIONAL_HUBS:
            hubs = []
            for _ in range(count):
                region = rng.choice(cities)
                word = rng.choice(NATIONAL_HUB_WORDS[kind])
                for _attempt in range(200):
                    name = f"{self.forge.trade_name()}{word}有限公司"
                    if self.forge.claim(name):
                        break
                hub = self.new_party(name, "hub", self.uscc(region))
                self.out.hubs[hub] = kind
                hubs.append(hub)
            for customer in self.customers:
                industry = self.companies[customer].industry
                if industries and industry not in industries:
                    continue
                if rng.random() < reach:
                    per_customer[customer].append(
                        (rng.choice(hubs), rng.uniform(*share), outflow, kind)
                    )
        return per_customer

    def add_hub_lanes(
        self, hub_plan: dict[int, list[tuple[int, float, bool, str]]], ends: dict[int, int]
    ) -> None:
        hub_profiles = {kind: self.profile(f) for kind, f in HUB_PROFILES.items()}
        for customer in self.customers:
            base = self.baseline[customer]
            for hub, share, outflow, kind in hub_plan.get(customer, []):
                self.add_lane(
                    customer,
                    hub,
                    outflow=outflow,
                    base=share * base,
                    kind=LaneKind.REGULAR,
                    end=ends.get(customer, 12),
                    profile=hub_profiles[kind],
                    monthly_debit=True,
                )
                if kind == "ecommerce":  # the platform's fees, paid back to it
                    self.add_lane(
                        customer,
                        hub,
                        outflow=True,
                        base=0.03 * share * base,
                        kind=LaneKind.REGULAR,
                        end=ends.get(customer, 12),
                        monthly_debit=True,
                    )

    # --- events ----------------------------------------------------------------------------
    def dedicated(self, count: int) -> list[int]:
        parties = []
        for _ in range(count):
            region = self.structure.cities[self.rng.randrange(len(self.structure.cities))].name
            industry = self.rng.choice(tuple(INDUSTRY_WORDS))
            name = self.forge.company_name(region, industry)
            uscc = self.uscc(region) if self.rng.random() < 0.5 else ""
            parties.append(self.new_party(name, "regular", uscc))
        return parties

    def replan_events(
        self, hub_plan: dict[int, list[tuple[int, float, bool, str]]]
    ) -> dict[int, int]:
        """Events of the standard plan's customers and types, magnitudes spread; returns
        the last month of activity of dormant customers."""
        rng, lanes = self.rng, self.plan.lanes
        dormant_from = {}
        events = []
        kinds = {e.customer: e.kind for e in self.plan.events}
        months: dict[int, int] = {}
        for customer, kind in kinds.items():
            low, high = {
                "dormancy": DORMANCY_MONTHS,
                "counterparty_loss": LOSS_MONTHS,
                "new_major_counterparty": NEW_MONTHS,
                "large_outflow": OUTFLOW_MONTHS,
            }[kind]
            months[customer] = rng.randint(low, high)
            if kind == "dormancy":
                dormant_from[customer] = months[customer]
        keep = []
        for i in range(len(lanes)):
            customer = lanes.customer[i]
            dropped = customer in kinds and lanes.kind[i] in (LaneKind.EVENT, LaneKind.SPIKE)
            if customer in dormant_from and lanes.end[i] >= dormant_from[customer]:
                dropped = True
            keep.append(not dropped)
        self.keep_lanes(keep)
        for customer, kind in kinds.items():
            month = months[customer]
            segment = self.companies[customer].segment
            low, high = BASELINE_RANGE[segment]
            base = float(log_uniform_cents(rng, low, high, 1_000))
            self.baseline[customer] = base
            hubs = hub_plan.get(customer, [])
            hub_out = sum(share for _, share, outflow, _ in hubs if outflow) * base
            hub_in = sum(share for _, share, outflow, _ in hubs if not outflow) * base
            room = base - hub_out - hub_in
            events.append(self._plan_event(customer, kind, month, base, room, hub_out))
        self.plan.events[:] = events
        return {c: m - 1 for c, m in dormant_from.items()}

    def _plan_event(
        self, customer: int, kind: str, month: int, base: float, room: float, hub_out: float
    ) -> PlantedEvent:
        rng = self.rng
        if kind == "dormancy":
            end = month - 1
            for amount, outflow in [(a, False) for a in self.split(0.5 * room, 3)] + [
                (a, True) for a in self.split(0.5 * room, rng.randint(3, 4))
            ]:
                party = self.dedicated(1)[0]
                self.add_lane(
                    customer, party, outflow=outflow, base=amount, kind=LaneKind.EVENT, end=end
                )
            return PlantedEvent(customer, kind, month, -1, "")
        if kind == "counterparty_loss":
            share = min(rng.uniform(*LOSS_SHARE), room / base - 0.15)
            lost_pays = rng.random() < 0.5
            lost = self.dedicated(1)[0]
            self.add_lane(
                customer,
                lost,
                outflow=lost_pays,
                base=share * base,
                kind=LaneKind.EVENT,
                end=month - 1,
            )
            rest = room - share * base
            for amount in self.split(0.4 * rest, rng.randint(1, 2)):
                self.add_lane(
                    customer,
                    self.dedicated(1)[0],
                    outflow=lost_pays,
                    base=amount,
                    kind=LaneKind.EVENT,
                )
            for amount in self.split(0.6 * rest, rng.randint(2, 3)):
                self.add_lane(
                    customer,
                    self.dedicated(1)[0],
                    outflow=not lost_pays,
                    base=amount,
                    kind=LaneKind.EVENT,
                )
            return PlantedEvent(customer, kind, month, lost, f"{share:.2f}")
        if kind == "new_major_counterparty":
            share = rng.uniform(*NEW_SHARE)
            new_pays = rng.random() < 0.5
            side = max(0.6 * room, share * base / 0.85)
            side = min(side, room - 0.1 * base)
            share = min(share, 0.85 * side / base)
            for amount in self.split(side, rng.randint(2, 3)):
                self.add_lane(
                    customer,
                    self.dedicated(1)[0],
                    outflow=new_pays,
                    base=amount,
                    kind=LaneKind.EVENT,
                    scale_from=month,
                    scale_factor=1.0 - share * base / side,
                )
            for amount in self.split(room - side, rng.randint(2, 3)):
                self.add_lane(
                    customer,
                    self.dedicated(1)[0],
                    outflow=not new_pays,
                    base=amount,
                    kind=LaneKind.EVENT,
                )
            new = self.dedicated(1)[0]
            self.add_lane(
                customer, new, outflow=new_pays, base=share * base, kind=LaneKind.EVENT, start=month
            )
            return PlantedEvent(customer, kind, month, new, f"{share:.2f}")
        # large_outflow: one payment that makes the month's outflow `ratio` × the usual.
        ratio = math.exp(rng.uniform(math.log(OUTFLOW_RATIO[0]), math.log(OUTFLOW_RATIO[1])))
        for amount in self.split(0.5 * room, rng.randint(2, 3)):
            self.add_lane(
                customer, self.dedicated(1)[0], outflow=False, base=amount, kind=LaneKind.EVENT
            )
        suppliers = self.dedicated(rng.randint(2, 3))
        for amount, party in zip(self.split(0.5 * room, len(suppliers)), suppliers, strict=True):
            self.add_lane(customer, party, outflow=True, base=amount, kind=LaneKind.EVENT)
        usual_out = 0.5 * room + hub_out
        target = rng.choice(suppliers)
        self.add_lane(
            customer,
            target,
            outflow=True,
            base=(ratio - 1.0) * usual_out,
            kind=LaneKind.SPIKE,
            start=month,
            end=month,
            purpose=PURPOSES.index("设备款"),
        )
        return PlantedEvent(customer, kind, month, target, f"{ratio:.1f}")

    # --- behaviour -------------------------------------------------------------------------
    def seasonality(self) -> None:
        rng, lanes = self.rng, self.plan.lanes
        chosen: dict[int, int] = {}
        for customer in self.customers:
            if rng.random() >= SEASONAL_SHARE:
                continue
            factors = [1.0] * 12
            factors[0] = rng.uniform(1.1, 1.4)  # stocking up and paying bonuses before the holiday
            factors[1] = rng.uniform(0.35, 0.7)  # the Spring Festival
            if rng.random() < QUARTER_END_SHARE:
                spike = rng.uniform(*QUARTER_END_FACTOR)
                for month in (3, 6, 9, 12):
                    factors[month - 1] *= spike * rng.uniform(0.9, 1.1)
            chosen[customer] = self.profile(tuple(factors))
            self.out.seasonal.append(customer)
        seasonal_kinds = (
            LaneKind.REGULAR,
            LaneKind.SUPPLY,
            LaneKind.PROSPECT,
            LaneKind.EVENT,
            LaneKind.INTRAGROUP,
        )
        for i in range(len(lanes)):
            customer = lanes.customer[i]
            if self.lane_profile[i] == 0 and customer in chosen and lanes.kind[i] in seasonal_kinds:
                self.lane_profile[i] = chosen[customer]

    def lumpy_purchases(self) -> None:
        rng = self.rng
        for customer in self.customers:
            company = self.companies[customer]
            if customer in self.event_customers or company.industry not in CAPEX_INDUSTRIES:
                continue
            if rng.random() >= LUMPY_SHARE:
                continue
            months = {rng.randint(1, 3)} | set(rng.sample(range(4, 13), rng.randint(2, 4)))
            factors = tuple(rng.uniform(*LUMP_FACTOR) if m in months else 0.0 for m in range(1, 13))
            supplier = self.dedicated(1)[0]
            usual_out = 0.5 * self.baseline[customer]
            self.add_lane(
                customer,
                supplier,
                outflow=True,
                base=usual_out,
                kind=LaneKind.REGULAR,
                profile=self.profile(factors),
                purpose=PURPOSES.index("设备款"),
            )
            self.out.lumpy.append(customer)

    def late_payments(self) -> None:
        rng, lanes = self.rng, self.plan.lanes
        for i in range(len(lanes)):
            if lanes.kind[i] not in (LaneKind.REGULAR, LaneKind.SUPPLY, LaneKind.PROSPECT):
                continue
            if lanes.start[i] != 1 or lanes.end[i] != 12 or rng.random() >= LATE_LANE_SHARE:
                continue
            factors = list(self.profiles[self.lane_profile[i]])
            if 0.0 in factors:
                continue
            for month in sorted(rng.sample(range(1, 11), rng.randint(1, 2))):
                factors[month] += factors[month - 1]  # paid with the next month's payment
                factors[month - 1] = 0.0
            self.lane_profile[i] = self.profile(tuple(factors))
            self.out.late_lanes += 1

    # --- names -----------------------------------------------------------------------------
    def _party_name(self, party: int) -> str:
        if party < self.plan.company_count:
            return self.companies[party].name
        return self.plan.parties[party - self.plan.company_count].name

    def name_noise(self) -> None:
        rng, plan = self.rng, self.plan
        to_simplified = opencc.OpenCC("t2s")
        to_traditional = opencc.OpenCC("s2t")
        owner: dict[str, int] = {}
        for party, spellings in plan.variants.items():
            for spelling in spellings:
                owner.setdefault(name_key(spelling), party)
        roles = {
            plan.company_count + i: p.role for i, p in enumerate(plan.parties)
        }  # name-only party → role
        accounts: dict[int, list[str]] = {}
        protected = set(plan.prospects) | set(plan.decoys) | set(self.out.hubs)
        for party in list(plan.variants):
            role = roles.get(party, "company")
            if role == "one_off":
                continue
            spellings = plan.variants[party]
            kinds = ["canonical"] + ["formatting"] * (len(spellings) - 1)
            canonical = spellings[0]
            if (
                role == "company"
                and party not in protected
                and not self.companies[party].is_customer
                and rng.random() < RENAME_SHARE
            ):
                renamed = self._rename(party)
                if renamed is not None:
                    canonical = renamed
                    spellings.insert(0, renamed)
                    kinds = ["canonical"] + ["old_name"] * (len(kinds))
                    owner[name_key(renamed)] = party
                    self.out.noise["old_name"] += 1
            noisy: list[tuple[str, str]] = []
            if rng.random() < TYPO_SHARE:
                noisy.append((self._typo(canonical), "typo"))
            if rng.random() < TRADITIONAL_SHARE:
                converted = to_traditional.convert(canonical)
                if to_simplified.convert(converted) == canonical and _gbk(converted):
                    noisy.append((converted, "traditional"))
            if not canonical.isascii() and rng.random() < ENGLISH_SHARE:
                noisy.append((self._english(canonical), "english"))
            base_account = self._account(party)
            second = f"{rng.randint(1, 9)}{rng.randrange(10**18):018d}"
            own = [base_account] * len(spellings)
            for spelling, kind in noisy:
                key = name_key(spelling) if spelling else ""
                if not spelling or spelling in spellings or owner.get(key, party) != party:
                    continue  # no change, or it would read as another company
                owner[key] = party
                spellings.append(spelling)
                kinds.append(kind)
                own.append(base_account if rng.random() < SAME_ACCOUNT_SHARE else second)
                self.out.noise[kind] += 1
            accounts[party] = own
            for spelling, kind in zip(spellings, kinds, strict=True):
                self.out.spellings.setdefault(spelling, Identity(party, kind))
        self.branch_offices(owner, accounts)
        for party, spellings in plan.variants.items():
            accounts.setdefault(party, [self._account(party)] * len(spellings))
            for position, spelling in enumerate(spellings):
                self.out.spellings.setdefault(
                    spelling, Identity(party, "canonical" if position == 0 else "formatting")
                )
        plan.variant_accounts = accounts

    def _account(self, party: int) -> str:
        if party < self.plan.company_count:
            return self.companies[party].account
        return self.plan.parties[party - self.plan.company_count].account

    def _rename(self, company: int) -> str | None:
        record = self.companies[company]
        old = record.name
        if "（" in old or not old.endswith(_SUFFIXES):
            return None
        new = self.forge.company_name(record.region, record.industry)
        record.name = new
        self.out.renamed.append((company, old, new))
        return new

    def _typo(self, name: str) -> str:
        rng = self.rng
        if name.isascii():
            letters = [i for i, ch in enumerate(name) if ch.isalpha()]
            if not letters:
                return ""
            i = rng.choice(letters[1:] or letters)
            roll = rng.random()
            if roll < 0.5:
                swap = rng.choice("aeiounrst")
                return name[:i] + swap + name[i + 1 :]
            if roll < 0.8:
                return name[:i] + name[i] + name[i:]
            return name[:i] + name[i + 1 :]
        region = next((r for r in _REGIONS if name.startswith(r)), "")
        body_start = len(region) + (1 if name[len(region) : len(region) + 1] == "市" else 0)
        word = next((w for w in _INDUSTRY_WORDS_LONGEST if w in name[body_start:]), "")
        body_end = name.index(word, body_start) if word else body_start + 2
        if body_end - body_start < 1:
            return ""
        i = rng.randrange(body_start, body_end)
        roll = rng.random()
        if roll < 0.6:
            sound = _pinyin_of(name[i])
            homophones = [c for c in _HOMOPHONE_POOL if c != name[i] and _pinyin_of(c) == sound]
            replacement = rng.choice(homophones) if homophones else rng.choice(_HOMOPHONE_POOL)
            return name[:i] + replacement + name[i + 1 :]
        if roll < 0.85 and i + 1 < body_end:
            return name[:i] + name[i + 1] + name[i] + name[i + 2 :]
        return name[:i] + rng.choice(_HOMOPHONE_POOL) + name[i + 1 :]

    def _english(self, name: str) -> str:
        rng = self.rng
        body = name
        suffix = next((s for s in _SUFFIXES if body.endswith(s)), "")
        body = body[: len(body) - len(suffix)] if suffix else body
        region = ""
        bracket = ""
        if body.endswith("）") and "（" in body:
            bracket = body[body.rindex("（") + 1 : -1]
            body = body[: body.rindex("（")]
        for r in _REGIONS:
            if body.startswith(r):
                region, body = r, body[len(r) :].removeprefix("市")
                break
        word = next((w for w in _INDUSTRY_WORDS_LONGEST if body.endswith(w)), "")
        trade = body[: len(body) - len(word)] if word else body
        english_word = rng.choice(ENGLISH_WORDS.get(word, ("Industrial",))) if word else ""
        trade_roman = "".join(lazy_pinyin(trade, style=Style.NORMAL)).capitalize()
        place = region or bracket
        place_roman = "".join(lazy_pinyin(place, style=Style.NORMAL)).capitalize()
        ending = rng.choice(ENGLISH_SUFFIXES)
        words = [trade_roman, english_word]
        if place and rng.random() < 0.8:
            if bracket or rng.random() < 0.3:
                return " ".join([*words, f"({place_roman})", ending]).replace("  ", " ")
            words = [place_roman, *words]
        return " ".join(w for w in [*words, ending] if w)

    def branch_offices(self, owner: dict[str, int], accounts: dict[int, list[str]]) -> None:
        rng, plan, lanes = self.rng, self.plan, self.plan.lanes
        heads: dict[int, list[int]] = defaultdict(list)
        for i in range(len(lanes)):
            if lanes.kind[i] in (LaneKind.REGULAR, LaneKind.SUPPLY):
                heads[lanes.party[i]].append(i)
        roles = {plan.company_count + i: p.role for i, p in enumerate(plan.parties)}
        cities = [c.name for c in self.structure.cities]
        protected = set(plan.prospects) | set(plan.decoys) | set(self.out.hubs)
        for head, head_lanes in heads.items():
            if len(head_lanes) < 2 or roles.get(head, "company") not in ("company", "regular"):
                continue
            if head in protected:
                continue
            if head < plan.company_count and self.companies[head].is_customer:
                continue
            if head not in plan.variants or rng.random() >= BRANCH_SHARE:
                continue
            head_name = plan.variants[head][0]
            if not head_name.endswith(_SUFFIXES):
                continue
            city = rng.choice(cities)
            name = f"{head_name}{city}分公司"
            if name_key(name) in owner or not self.forge.claim(name):
                continue
            branch = self.new_party(name, "branch", self.uscc(city) if rng.random() < 0.5 else "")
            owner[name_key(name)] = branch
            lane = rng.choice(head_lanes)
            lanes.party[lane] = branch
            lanes.name_prob[lane] = 1.0
            plan.variants[branch] = [name]
            accounts[branch] = [self._account(branch)]
            self.out.branches[branch] = head
            self.out.spellings[name] = Identity(branch, "branch_office")
            self.out.noise["branch_office"] += 1


def _gbk(text: str) -> bool:
    try:
        text.encode("gbk")
    except UnicodeEncodeError:
        return False
    return True


#: Characters a typo may put in: those of trade names and their common homophones.
_HOMOPHONE_POOL: Final = tuple(
    dict.fromkeys(
        "华化花话信新欣心鑫兴星行达大答盛胜圣泰太台恒衡横宏红鸿远元源圆嘉佳家加瑞锐睿德得丰风峰锋"
        "隆龙荣容祥翔详博波柏创川传诚成城和合河联连通同瀚汉海天田金今银印富福正政中忠永勇利力立"
        "万湾汇惠美梅明名光广辉晖耀腾飞凯开越悦卓鼎顶尚上雅亚舜顺禹宇宁康健建祺琪晟昊浩昕晨辰"
    )
)


@lru_cache(maxsize=4096)
def _pinyin_of(ch: str) -> str:
    return str(lazy_pinyin(ch, style=Style.NORMAL)[0])


def used_spellings(plan: FlowPlan, used: Any) -> set[str]:
    """The spellings payments used (``used`` is the flat used-variant mask of the draw)."""
    names: set[str] = set()
    start = 1  # the flat variant table's first entry is a placeholder
    for spellings in plan.variants.values():
        names.update(s for offset, s in enumerate(spellings) if used[start + offset])
        start += len(spellings)
    return names


def harden(spec: ScaleSpec, structure: StructureBuilder, plan: FlowPlan, seed: int) -> HardPlan:
    """Turn a planned standard bank into the hard bank (see the module docstring)."""
    rng = random.Random(seed * 1_000_003 + SEED_SALT)
    hardener = Hardener(spec, structure, plan, rng)
    hub_plan = hardener.plan_hubs()
    last_active = hardener.replan_events(hub_plan)
    hardener.add_hub_lanes(hub_plan, last_active)
    hardener.seasonality()
    hardener.lumpy_purchases()
    hardener.late_payments()
    hardener.name_noise()
    plan.month_profiles = hardener.profiles
    plan.lane_profile = hardener.lane_profile
    logger.info(
        "hard bank: %d hubs, %d seasonal and %d lumpy customers, %d late lanes, noise %s",
        len(hardener.out.hubs),
        len(hardener.out.seasonal),
        len(hardener.out.lumpy),
        hardener.out.late_lanes,
        dict(hardener.out.noise),
    )
    return hardener.out
