"""Key persons, families and contacts of the synthetic bank, with planted hidden groups.

What is planted, in business terms:

- every company has a **legal representative**: the person who controls it (the same
  ``Person`` as in ``persons``, reused by id) or a new person; customers also have a
  financial controller, and some a director or a supervisor. Many legal
  representatives' spouses sit on the same company's board as supervisor (a family
  tie inside one company, which ties no two companies);
- every company has its own registered address, most have their own phone;
- **hidden groups**: a few sets of customers with no equity or control tie between
  them, run by one family (their legal representatives are spouse, siblings,
  parent and child), or by one financial controller, or from one office with one
  phone (written differently by each company: full-width digits, with or without
  the province, +86 or an area code in brackets);
- **registration agents**: an agent's address serves dozens of unrelated companies as
  their registered address, and an accounting firm's phone is given by dozens of
  its clients. They are not groups: nothing but the agent ties these companies.

Everything is drawn from its own random stream (seed × prime + salt), after the
rest of the bank is built, so the other files are byte-identical with and without it.
The truth names the hidden groups and the agents' contacts (``related_parties`` in
``truth.json``), from what was planted, never from a detector's threshold.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any, Final

from core.contacts import ContactKind, FamilyRelation, KeyPersonRole

from .defects import Row
from .model import Bank
from .naming import NameForge
from .vocabulary import BRANCH_CITIES

SEED_SALT: Final = 0x5E1A7  # this module's random stream: seed × prime + salt
SEED_PRIME: Final = 1_000_003

#: City → (province short name or "" for a municipality, area code).
CITY_FACTS: Final[dict[str, tuple[str, str]]] = {
    "北京": ("", "010"),
    "上海": ("", "021"),
    "天津": ("", "022"),
    "重庆": ("", "023"),
    "广州": ("广东", "020"),
    "深圳": ("广东", "0755"),
    "东莞": ("广东", "0769"),
    "佛山": ("广东", "0757"),
    "成都": ("四川", "028"),
    "杭州": ("浙江", "0571"),
    "宁波": ("浙江", "0574"),
    "南京": ("江苏", "025"),
    "苏州": ("江苏", "0512"),
    "无锡": ("江苏", "0510"),
    "武汉": ("湖北", "027"),
    "西安": ("陕西", "029"),
    "青岛": ("山东", "0532"),
    "济南": ("山东", "0531"),
    "厦门": ("福建", "0592"),
    "福州": ("福建", "0591"),
    "长沙": ("湖南", "0731"),
    "郑州": ("河南", "0371"),
    "合肥": ("安徽", "0551"),
    "昆明": ("云南", "0871"),
}
DISTRICTS: Final[dict[str, tuple[str, ...]]] = {c.name: c.districts for c in BRANCH_CITIES}
OTHER_DISTRICTS: Final = ("高新", "经开", "新城", "老城")
ROADS: Final = (
    "建设",
    "人民",
    "解放",
    "中山",
    "科技",
    "创业",
    "长江",
    "黄河",
    "光明",
    "新华",
    "工业",
    "滨江",
    "和平",
    "胜利",
    "文化",
)
FULL_WIDTH: Final = str.maketrans("0123456789", "０１２３４５６７８９")
MECHANISMS: Final = ("family", "shared_manager", "shared_office")


@dataclass(frozen=True)
class Address:
    """The parts of an address; :meth:`spell` writes it in one of several styles."""

    city: str
    district: str
    road: str
    number: int
    room: str = ""

    def spell(self, style: int) -> str:
        province, _ = CITY_FACTS.get(self.city, ("", ""))
        number = str(self.number)
        city, district = f"{self.city}市", f"{self.district}区"
        head = f"{province}省{city}" if province else city
        match style % 4:
            case 0:
                return f"{head}{district}{self.road}路{number}号{self.room}"
            case 1:
                return f"{city}{district} {self.road}路 {number.translate(FULL_WIDTH)}号{self.room}"
            case 2:
                return f"{province}{self.city}{district}{self.road}路{number}号 {self.room}".strip()
            case _:
                return f"中国{head}{district}{self.road}路{number}号{self.room}"


@dataclass(frozen=True)
class Phone:
    """A landline: area code and local number; :meth:`spell` writes it in several styles."""

    area: str
    local: str

    def spell(self, style: int) -> str:
        local, area = self.local, self.area
        match style % 5:
            case 0:
                return f"{area}-{local}"
            case 1:
                return f"+86 {area[1:]} {local[:4]} {local[4:]}"
            case 2:
                return f"({area}){local}"
            case 3:
                return f"0086-{area[1:]}-{local}"
            case _:
                return f"{area} {local[:4]}-{local[4:]}"


@dataclass
class RelationsPlan:
    """The three files' rows and their truth (no bad rows: the other files plant those)."""

    tables: dict[str, list[Row]] = field(default_factory=dict)
    truth: dict[str, Any] = field(default_factory=dict)


class _Planner:
    def __init__(self, bank: Bank, seed: int) -> None:
        self.bank = bank
        self.rng = random.Random(seed * SEED_PRIME + SEED_SALT)
        self.forge = NameForge(self.rng)
        self.key_persons: dict[tuple[str, str, str], Row] = {}
        self.relations: dict[tuple[str, str], Row] = {}
        self.contacts: dict[tuple[str, str, str], Row] = {}
        self.registered: dict[str, str] = {}  # company → its registered address as written
        self.new_persons = 0
        self.used_addresses: set[tuple[str, str, str, int]] = set()
        self.used_phones: set[str] = set()

    def person(self) -> tuple[str, str]:
        self.new_persons += 1
        return f"K{self.new_persons:07d}", self.forge.person_name()

    def role(self, company: str, person: tuple[str, str], role: KeyPersonRole) -> None:
        person_id, name = person
        since = f"{self.rng.randint(2008, 2023)}-{self.rng.randint(1, 12):02d}-01"
        self.key_persons[(company, person_id, role.value)] = (
            company,
            person_id,
            name,
            role.value,
            since,
            "",
        )

    def family(self, a: str, b: str, relation: FamilyRelation) -> None:
        self.relations[(a, b)] = (a, b, relation.value)

    def contact(self, company: str, kind: ContactKind, value: str) -> None:
        self.contacts[(company, kind.value, value)] = (company, kind.value, value)

    def address(self, city: str) -> Address:
        districts = DISTRICTS.get(city, OTHER_DISTRICTS)
        while True:
            parts = (
                city,
                self.rng.choice(districts),
                self.rng.choice(ROADS),
                self.rng.randint(1, 999),
            )
            if parts not in self.used_addresses:
                self.used_addresses.add(parts)
                return Address(*parts)

    def phone(self, city: str) -> Phone:
        area = CITY_FACTS.get(city, ("", "021"))[1]
        while True:
            local = str(self.rng.randint(20_000_000, 89_999_999))
            if area + local not in self.used_phones:
                self.used_phones.add(area + local)
                return Phone(area, local)


def plan_relations(bank: Bank, seed: int) -> RelationsPlan:
    """Plan ``key_persons``, ``person_relations`` and ``company_contacts`` (public ids assigned)."""
    planner = _Planner(bank, seed)
    rng = planner.rng
    companies = bank.companies
    controllers = {
        index: bank.persons[owner.index]
        for index, owner in bank.controllers.items()
        if owner.kind == "person"
    }
    legal: dict[str, tuple[str, str]] = {}
    for company in companies:
        controller = controllers.get(company.index)
        person = (controller.person_id, "") if controller else planner.person()
        legal[company.company_id] = person
        planner.role(company.company_id, person, KeyPersonRole.LEGAL_REPRESENTATIVE)
        if company.is_customer:
            planner.role(company.company_id, planner.person(), KeyPersonRole.FINANCIAL_CONTROLLER)
            if rng.random() < 0.4:
                planner.role(company.company_id, planner.person(), KeyPersonRole.DIRECTOR)
        if not controller and rng.random() < 0.2:  # the legal representative's spouse supervises
            spouse = planner.person()
            planner.role(company.company_id, spouse, KeyPersonRole.SUPERVISOR)
            planner.family(person[0], spouse[0], FamilyRelation.SPOUSE)
        region = company.region if company.region in CITY_FACTS else "上海"
        planner.registered[company.company_id] = planner.address(region).spell(rng.randrange(4))
        if rng.random() < 0.7:
            planner.contact(
                company.company_id, ContactKind.PHONE, planner.phone(region).spell(rng.randrange(5))
            )

    hidden = _plant_hidden_groups(planner, legal)
    agents = _plant_agents(planner, {m for group in hidden for m in group["members"]})
    for company_id, address in planner.registered.items():
        planner.contact(company_id, ContactKind.REGISTERED_ADDRESS, address)
    return RelationsPlan(
        tables={
            "key_persons": sorted(planner.key_persons.values()),
            "person_relations": sorted(planner.relations.values()),
            "company_contacts": sorted(planner.contacts.values()),
        },
        truth={"hidden_groups": hidden, "agent_contacts": agents},
    )


def _direct_ties(bank: Bank) -> set[frozenset[int]]:
    ties = {
        frozenset((s.owner.index, s.company))
        for s in bank.shareholdings
        if s.owner.kind == "company"
    }
    ties |= {
        frozenset((c.controller.index, c.company))
        for c in bank.control_links
        if c.controller.kind == "company"
    }
    return ties


def _plant_hidden_groups(
    planner: _Planner, legal: dict[str, tuple[str, str]]
) -> list[dict[str, Any]]:
    bank, rng = planner.bank, planner.rng
    ties = _direct_ties(bank)
    controlled = set(bank.controllers)
    pool = [
        c.index
        for c in bank.companies
        if c.is_customer and c.role == "plain" and c.index not in controlled
    ]
    rng.shuffle(pool)
    count = max(3, len(pool) // 25)
    groups: list[dict[str, Any]] = []
    for number in range(count):
        size = rng.randint(3, 4)
        members: list[int] = []
        while pool and len(members) < size:
            candidate = pool.pop()
            if all(frozenset((candidate, m)) not in ties for m in members):
                members.append(candidate)
        if len(members) < 3:
            break
        ids = [bank.companies[m].company_id for m in members]
        mechanism = MECHANISMS[number % len(MECHANISMS)]
        if mechanism == "family":  # the head's spouse, siblings and children run the others
            head = legal[ids[0]][0]
            for other, relation in zip(
                ids[1:],
                (FamilyRelation.SPOUSE, FamilyRelation.SIBLING, FamilyRelation.CHILD),
                strict=False,
            ):
                planner.family(head, legal[other][0], relation)
        elif mechanism == "shared_manager":  # one financial controller keeps all their books
            manager = planner.person()
            for company in ids:
                planner.role(company, manager, KeyPersonRole.FINANCIAL_CONTROLLER)
        else:  # one office and one phone, each company writing them its own way
            city = bank.companies[members[0]].region
            city = city if city in CITY_FACTS else "上海"
            office = planner.address(city)
            office = Address(office.city, office.district, office.road, office.number, "8楼")
            phone = planner.phone(city)
            for style, company in enumerate(ids):
                planner.contact(company, ContactKind.OFFICE_ADDRESS, office.spell(style))
                planner.contact(company, ContactKind.PHONE, phone.spell(style))
        groups.append({"members": sorted(ids), "ties": mechanism})
    return groups


def _plant_agents(planner: _Planner, excluded: set[str]) -> list[dict[str, Any]]:
    """Registration agents' addresses and an accounting firm's phone, each serving dozens."""
    bank, rng = planner.bank, planner.rng
    clients_pool = sorted(c.company_id for c in bank.companies if c.company_id not in excluded)
    agents: list[dict[str, Any]] = []
    for number in range(max(2, len(bank.companies) // 100)):
        clients = rng.sample(clients_pool, min(len(clients_pool), rng.randint(20, 36)))
        city = "深圳" if number % 2 else "上海"
        office = planner.address(city)
        office = Address(office.city, office.district, office.road, office.number, "3楼301室")
        taken = set(clients)
        clients_pool = [c for c in clients_pool if c not in taken]  # one agent per company
        for style, company in enumerate(sorted(clients)):
            planner.registered[company] = office.spell(style)  # replaces its own
        agents.append(
            {"kind": "registered_address", "value": office.spell(0), "companies": sorted(clients)}
        )
    every = sorted(c.company_id for c in bank.companies if c.company_id not in excluded)
    clients = rng.sample(every, min(len(every), rng.randint(20, 36)))
    phone = planner.phone("北京")
    for style, company in enumerate(sorted(clients)):
        planner.contact(company, ContactKind.PHONE, phone.spell(style))
    agents.append({"kind": "phone", "value": phone.spell(0), "companies": sorted(clients)})
    return agents
