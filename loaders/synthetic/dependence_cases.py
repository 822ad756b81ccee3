"""Economic dependence planted in the synthetic bank, from business meaning.

Every case is a pair of customers joined by one steady monthly lane, sized so that
the lane is a chosen share of the *dependent's* receipts or expenditures as
planned so far. What a case is comes from the business story, never from a
detector's threshold:

``captive_supplier``
    A small manufacturer that sells most of its output (55–90% of its receipts)
    to one large customer, with a supply link; if the buyer fails, so does it.
``landlord``
    A small real-estate company most of whose income (55–85%) is the rent of one
    tenant (Basel's own example); no supply link.
``exclusive_distributor``
    A small trading company that buys most of its goods (55–90% of its
    expenditures) from one manufacturer, with a supply link.
``major_customer``
    The contrast: a small manufacturer with a customer that takes 20–40% of its
    receipts, with a supply link. An important customer, not dependence.

The dependent is a steady plain customer of a fitting industry in the ``growth``
or ``basic`` segment; the counterparty is a larger (``strategic`` or ``core``)
steady customer, a group member where one fits, so the connection reaches a group. Neither
has a supply link yet, so supply chains and their cores stay as planted, and the
new lane keeps the counterparty's own side below a quarter of its flows (it does
not depend back). Lanes run all year, so no event is planted by accident.

``truth.json`` lists the cases under ``economic_dependence`` with the planned
share; the realised share differs by the payments' noise (a few points).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any, Final

from .flows import PURPOSES, FlowPlanner, LaneKind
from .model import Company, PlantedDependence, SupplyLink
from .structure import YUAN
from .vocabulary import INDUSTRY_WORDS, PURPOSE_SUPPLY, SUPPLY_CATEGORIES

#: Cases of each relationship per scale.
CASES_PER_KIND: Final = {"tiny": 1, "small": 3, "medium": 10, "large": 30}
MAKERS: Final = frozenset(
    {"manufacturing", "electronics", "auto_parts", "machinery", "materials", "chemicals"}
)
#: Operating companies (a holding or investment company neither buys nor makes goods).
OPERATING: Final = frozenset(INDUSTRY_WORDS)
#: The most a case's lane may be of the counterparty's own side of flows.
COUNTERPARTY_SIDE_CAP: Final = 0.25


@dataclass(frozen=True)
class CaseKind:
    """How one kind of relationship is planted."""

    relationship: str
    direction: str  # receipts or expenditures, seen from the dependent
    industries: frozenset[str]
    share: tuple[float, float]  # planned share of the dependent's side, drawn uniformly
    supply_link: bool
    purpose: str
    counterparty_industries: frozenset[str] | None = None  # None: any


KINDS: Final = (
    CaseKind("captive_supplier", "receipts", MAKERS, (0.55, 0.90), True, PURPOSE_SUPPLY, OPERATING),
    CaseKind("landlord", "receipts", frozenset({"real_estate"}), (0.55, 0.85), False, "租金"),
    CaseKind(
        "exclusive_distributor",
        "expenditures",
        frozenset({"trading"}),
        (0.55, 0.90),
        True,
        PURPOSE_SUPPLY,
        MAKERS,
    ),
    CaseKind("major_customer", "receipts", MAKERS, (0.20, 0.40), True, PURPOSE_SUPPLY, OPERATING),
)


def _planned_sides(planner: FlowPlanner) -> dict[str, dict[int, float]]:
    """Each company's planned average monthly receipts and expenditures so far."""
    sides: dict[str, dict[int, float]] = {
        "receipts": defaultdict(float),
        "expenditures": defaultdict(float),
    }
    lanes = planner.lanes
    for index in range(len(lanes)):
        if lanes.kind[index] in (LaneKind.ONE_OFF, LaneKind.SPIKE):
            continue
        monthly = lanes.base_cents[index] * (lanes.end[index] - lanes.start[index] + 1) / 12
        customer, party = lanes.customer[index], lanes.party[index]
        payer, payee = (customer, party) if lanes.outflow[index] else (party, customer)
        sides["expenditures"][payer] += monthly
        sides["receipts"][payee] += monthly
    return sides


def plant_dependence(planner: FlowPlanner) -> list[PlantedDependence]:
    """Add the cases' lanes (and supply links) to a flow plan; returns what was planted."""
    rng = planner.rng
    bank = planner.structure.bank
    companies: list[Company] = planner.companies
    linked = {link.supplier for link in bank.supply_links}
    linked |= {link.buyer for link in bank.supply_links}
    steady = [c for c in planner.steady_customers if c not in linked]
    small = [
        c
        for c in steady
        if companies[c].role == "plain" and companies[c].segment in ("growth", "basic")
    ]
    large = [c for c in steady if companies[c].segment in ("strategic", "core")]
    rng.shuffle(small)
    rng.shuffle(large)
    large.sort(key=lambda c: companies[c].role != "group")  # group members first, still shuffled
    used: set[int] = set()
    sides = _planned_sides(planner)
    lanes = planner.lanes
    # A case's pair has no other lane: the planted one is the whole story between them.
    tied = {frozenset((lanes.customer[i], lanes.party[i])) for i in range(len(lanes))}
    planted: list[PlantedDependence] = []
    for kind in KINDS:
        for _ in range(CASES_PER_KIND.get(planner.spec.name, 1)):
            case = _plant_one(planner, kind, small, large, used, sides, tied)
            if case is not None:
                planted.append(case)
    return planted


def _plant_one(
    planner: FlowPlanner,
    kind: CaseKind,
    small: list[int],
    large: list[int],
    used: set[int],
    sides: dict[str, dict[int, float]],
    tied: set[frozenset[int]],
) -> PlantedDependence | None:
    """Plant one case on the first fitting dependent that some counterparty can carry."""
    rng = planner.rng
    companies = planner.companies
    other_side = "expenditures" if kind.direction == "receipts" else "receipts"
    share = rng.uniform(*kind.share)
    for dependent in small:
        own = sides[kind.direction][dependent]
        if dependent in used or companies[dependent].industry not in kind.industries or own <= 0:
            continue
        amount = share / (1 - share) * own
        counterparty = next(
            (
                c
                for c in large
                if c not in used
                and frozenset((dependent, c)) not in tied
                and (
                    kind.counterparty_industries is None
                    or companies[c].industry in kind.counterparty_industries
                )
                and amount / (sides[other_side][c] + amount) < COUNTERPARTY_SIDE_CAP
            ),
            None,
        )
        if counterparty is not None:
            return _add_case(planner, kind, dependent, counterparty, share, amount, used, sides)
    return None


def _add_case(
    planner: FlowPlanner,
    kind: CaseKind,
    dependent: int,
    counterparty: int,
    share: float,
    amount: float,
    used: set[int],
    sides: dict[str, dict[int, float]],
) -> PlantedDependence:
    rng = planner.rng
    companies = planner.companies
    other_side = "expenditures" if kind.direction == "receipts" else "receipts"
    used.update((dependent, counterparty))
    planner.add_lane(
        dependent,
        counterparty,
        outflow=kind.direction == "expenditures",
        base_cents=amount,
        kind=LaneKind.SUPPLY if kind.supply_link else LaneKind.REGULAR,
        purpose=PURPOSES.index(kind.purpose),
    )
    sides[kind.direction][dependent] += amount
    sides[other_side][counterparty] += amount
    if kind.supply_link:
        supplier, buyer = (
            (dependent, counterparty) if kind.direction == "receipts" else (counterparty, dependent)
        )
        categories = SUPPLY_CATEGORIES.get(companies[supplier].industry, ("原材料",))
        wan = 10_000 * YUAN
        annual = max(wan, round(amount * 12 / wan) * wan)
        since = f"{rng.randint(2012, 2023)}-{rng.randint(1, 12):02d}-01"
        planner.structure.bank.supply_links.append(
            SupplyLink(supplier, buyer, annual, "CNY", rng.choice(categories), since)
        )
    return PlantedDependence(
        dependent, counterparty, kind.relationship, kind.direction, share, kind.supply_link
    )


def dependence_truth(
    planted: list[PlantedDependence], companies: list[Company]
) -> list[dict[str, Any]]:
    """The ``economic_dependence`` entries of ``truth.json``, by public id."""
    return sorted(
        (
            {
                "dependent": companies[p.dependent].company_id,
                "counterparty": companies[p.counterparty].company_id,
                "relationship": p.relationship,
                "direction": p.direction,
                "planted_share": f"{p.share:.2f}",
                "supply_link": p.supply_link,
            }
            for p in planted
        ),
        key=lambda d: (str(d["relationship"]), str(d["dependent"])),
    )
