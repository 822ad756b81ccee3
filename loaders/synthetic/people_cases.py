"""Guarantee circles run by one family, and warm introductions, in the synthetic bank.

What is planted, in business terms:

- **a family-run guarantee circle**: three customers with no equity or control tie
  guarantee each other around a loop, and their legal representatives are one family
  (the head's spouse and sibling run the two others). Mutual guarantees between
  companies run by one family support nothing independent;
- **an unrelated guarantee circle** (the hard negative): three customers guarantee
  each other around a loop, and nothing but a registration agent's address ties any
  two of them (two are clients of the same agent), which is no tie at all;
- **warm introductions**: prospects (non-customers trading with customers) whose director
  is a customer's legal representative, or whose legal representative is a close
  relative (parent, sibling) of a customer's legal representative. That customer can
  introduce the bank;
- **a contact is no introduction**: a prospect that only shares an office address with
  a customer has no introducer;
- **a family-run guarantee chain**: three customers, the first guarantees the second and
  the second the third, and their legal representatives are one family (a parent and
  two children); and **an unrelated chain** of three customers tied by nothing else.

Everything is drawn from its own random stream (seed × prime + salt), after the rest
of the bank and its people are planned, so every other row is unchanged: only rows
are added (guarantees, key persons, family ties, contacts). The truth
(``people_cases`` in ``truth.json``, the two circles in ``guarantee_circles`` and the
two chains in ``guarantee_chains``) says what was planted, never what a detector would find.
"""

from __future__ import annotations

import itertools
import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, Final

from core.contacts import ContactKind, FamilyRelation, KeyPersonRole

from .defects import Row
from .model import Bank
from .output import format_cents
from .structure import log_uniform_cents

SEED_SALT: Final = 0x1A77E  # this module's random stream: seed × prime + salt
SEED_PRIME: Final = 1_000_033
#: Public ids of the planted guarantees: far above the generator's own numbers.
GUARANTEE_ID_BASE: Final = 9_000_000
CIRCLE_SIZE: Final = 3
#: The chains' own random stream (drawn after everything else, so nothing else moves).
CHAIN_SEED_SALT: Final = 0x1A77F
CHAIN_SIZE: Final = 3
#: The customers a planted chain is made of, in order of preference.
CHAIN_ROLES: Final = ("plain", "chain")
WARM_INTRODUCTIONS: Final = 4
#: Non-customers that trade with customers: what the bank prospects.
PROSPECT_ROLES: Final = frozenset({"prospect", "counterparty"})


@dataclass
class PeopleCases:
    """Rows to add to each file, and the truth of what they plant."""

    rows: dict[str, list[Row]] = field(default_factory=dict)
    circles: list[list[str]] = field(default_factory=list)
    chains: list[list[str]] = field(default_factory=list)
    truth: dict[str, Any] = field(default_factory=dict)


def plant_people_cases(
    bank: Bank,
    tables: dict[str, list[Row]],
    related_truth: dict[str, Any],
    avoid: set[str],
    seed: int,
) -> PeopleCases:
    """Plan the family-run and the unrelated guarantee circles and the warm introductions.

    Parameters
    ----------
    bank, tables
        The planned bank and its rows (public ids assigned, people and contacts planned).
    related_truth
        The related parties' truth (hidden groups and agents' contacts) of
        :func:`.relations.plan_relations`: their companies are not reused.
    avoid
        Company ids no case may use (customers with planted events, whose circle peers
        would get events too).
    """
    rng = random.Random(seed * SEED_PRIME + SEED_SALT)
    guaranteed = {r[1] for r in tables["guarantees"]} | {r[2] for r in tables["guarantees"]}
    hidden = {m for g in related_truth["hidden_groups"] for m in g["members"]}
    agent_clients = {
        c: number
        for number, a in enumerate(related_truth["agent_contacts"])
        for c in a["companies"]
    }
    controlled = {bank.companies[i].company_id for i in bank.controllers}
    legal = {
        r[0]: r[1] for r in tables["key_persons"] if r[3] == KeyPersonRole.LEGAL_REPRESENTATIVE
    }
    taken = controlled | guaranteed | hidden | avoid  # once: in the loop it was quadratic
    free = [
        c.company_id
        for c in bank.companies
        if c.is_customer
        and c.role == "plain"
        and c.company_id not in taken
        and c.company_id in legal
    ]
    rng.shuffle(free)
    cases = PeopleCases(
        rows={"guarantees": [], "key_persons": [], "person_relations": [], "company_contacts": []}
    )
    used: set[str] = set()

    def take(count: int, accept: Any = lambda _c: True) -> list[str]:
        """``count`` unused customers (fewer than that in a bank too small: none)."""
        chosen = [c for c in free if c not in used and accept(c)][:count]
        if len(chosen) < count:
            return []
        used.update(chosen)
        return chosen

    # The family-run circle: no agent client, so that the family is the only tie.
    family = take(CIRCLE_SIZE, lambda c: c not in agent_clients)
    if family:
        head = legal[family[0]]
        for other, relation in zip(
            family[1:], (FamilyRelation.SPOUSE, FamilyRelation.SIBLING), strict=True
        ):
            cases.rows["person_relations"].append((head, legal[other], relation.value))
        _loop(cases, family, rng)

    # The unrelated circle: two clients of one agent (if the bank has such a pair), one other.
    by_agent: dict[int, list[str]] = {}
    for company in free:
        if company not in used and company in agent_clients:
            by_agent.setdefault(agent_clients[company], []).append(company)
    pair = next((sorted(cs)[:2] for _, cs in sorted(by_agent.items()) if len(cs) >= 2), [])
    rest = take(CIRCLE_SIZE - len(pair), lambda c: c not in agent_clients and c not in pair)
    unrelated = pair + rest if rest else []
    if unrelated:
        used.update(pair)
        _loop(cases, unrelated, rng)
    planted = [
        (sorted(m), run_by) for m, run_by in ((family, "one_family"), (unrelated, None)) if m
    ]
    circles = [{"members": members, "run_by": run_by} for members, run_by in planted]
    cases.circles = [members for members, _ in planted]

    # Warm introductions: prospects run by no one else, each with its own customer.
    persons = {r[1]: r[2] for r in tables["key_persons"]}
    prospects = sorted(
        c.company_id
        for c in bank.companies
        if c.role in PROSPECT_ROLES
        and c.status == "active"
        and c.company_id in legal
        and c.company_id not in controlled
    )
    rng.shuffle(prospects)
    introductions: list[dict[str, Any]] = []
    for number, prospect in enumerate(prospects[:WARM_INTRODUCTIONS]):
        chosen = take(1)
        if not chosen:
            break
        customer = chosen[0]
        if number % 2 == 0:  # the customer's legal representative sits on its board
            person = legal[customer]
            since = f"{rng.randint(2015, 2023)}-{rng.randint(1, 12):02d}-01"
            cases.rows["key_persons"].append(
                (prospect, person, persons.get(person, ""), KeyPersonRole.DIRECTOR.value, since, "")
            )
            via = "same_person"
        else:  # the prospect's legal representative is the customer's one's child or sibling
            relation = (FamilyRelation.PARENT, FamilyRelation.SIBLING)[number // 2 % 2]
            cases.rows["person_relations"].append(
                (legal[customer], legal[prospect], relation.value)
            )
            via = "relative"
        introductions.append({"prospect": prospect, "introducer": customer, "via": via})

    # A shared office address is no introduction.
    not_introductions: list[dict[str, Any]] = []
    chosen = (
        take(1, lambda c: c not in agent_clients) if len(prospects) > len(introductions) else []
    )
    if chosen:
        prospect, customer = prospects[len(introductions)], chosen[0]
        address = next(
            r[2]
            for r in tables["company_contacts"]
            if r[0] == customer and r[1] == ContactKind.REGISTERED_ADDRESS
        )
        cases.rows["company_contacts"].append((prospect, ContactKind.OFFICE_ADDRESS.value, address))
        not_introductions.append({"prospect": prospect, "customer": customer, "tie": "address"})

    # The chains, last: a family-run one (a parent heads it, the two others are their
    # children, so siblings), and one between customers tied by nothing but the chain.
    # A tiny bank has too few plain customers left, so supply-chain customers serve too
    # (plain ones first): a supply tie relates no one.
    chain_rng = random.Random(seed * SEED_PRIME + CHAIN_SEED_SALT)
    chain_taken = taken | used
    pool = {
        role: sorted(
            c.company_id
            for c in bank.companies
            if c.is_customer
            and c.role == role
            and c.company_id in legal
            and c.company_id not in chain_taken
            and c.company_id not in agent_clients
        )
        for role in CHAIN_ROLES
    }
    for companies in pool.values():
        chain_rng.shuffle(companies)
    chain_free = [c for role in CHAIN_ROLES for c in pool[role]]

    def take_chain() -> list[str]:
        """``CHAIN_SIZE`` unused customers of ``chain_free`` (none in a bank too small)."""
        chosen = [c for c in chain_free if c not in used][:CHAIN_SIZE]
        if len(chosen) < CHAIN_SIZE:
            return []
        used.update(chosen)
        return chosen

    chains: list[dict[str, Any]] = []
    family_chain = take_chain()
    if family_chain:
        head = legal[family_chain[0]]
        for other in family_chain[1:]:
            cases.rows["person_relations"].append((head, legal[other], FamilyRelation.PARENT.value))
        _path(cases, family_chain, chain_rng)
        chains.append({"members": family_chain, "run_by": "one_family"})
    unrelated_chain = take_chain()
    if unrelated_chain:
        _path(cases, unrelated_chain, chain_rng)
        chains.append({"members": unrelated_chain, "run_by": None})
    cases.chains = [c["members"] for c in chains]

    cases.truth = {
        "guarantee_circles": circles,
        "guarantee_chains": chains,
        "warm_introductions": sorted(introductions, key=lambda i: str(i["prospect"])),
        "not_introductions": not_introductions,
    }
    return cases


def _loop(cases: PeopleCases, members: list[str], rng: random.Random) -> None:
    """Guarantees around the loop ``members[0] → members[1] → … → members[0]``."""
    for position, guarantor in enumerate(members):
        _guarantee(cases, guarantor, members[(position + 1) % len(members)], rng)


def _path(cases: PeopleCases, members: list[str], rng: random.Random) -> None:
    """Guarantees along the path ``members[0] → members[1] → … → members[-1]``."""
    for guarantor, borrower in itertools.pairwise(members):
        _guarantee(cases, guarantor, borrower, rng)


def _guarantee(cases: PeopleCases, guarantor: str, borrower: str, rng: random.Random) -> None:
    """One guarantee of ``guarantor`` for ``borrower``, numbered after the planted ones."""
    number = GUARANTEE_ID_BASE + len(cases.rows["guarantees"]) + 1
    start = date(2023, 1, 1) + timedelta(days=rng.randint(0, 700))
    amount = log_uniform_cents(rng, 5_000_000, 300_000_000, 10_000)
    cases.rows["guarantees"].append(
        (
            f"G{number:07d}",
            guarantor,
            borrower,
            format_cents(amount),
            "CNY",
            start.isoformat(),
            "",
        )
    )
