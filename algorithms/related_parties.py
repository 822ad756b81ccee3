"""Suspected related parties (疑似关联): companies tied to a customer through people and contacts.

Why
---
Equity and control make groups; hidden groups run through the people who manage
the companies and the contacts they share. Two companies are *suspected related*
when at least one of these links them:

- **a shared key person**: one person (the same ``person_id``, never a name match)
  holds a current role at both (legal representative, director, supervisor,
  executive, financial controller...);
- **family of key persons**: a key person of one and a key person of the other are
  family (spouse, parent, child, sibling, other family);
- **a shared contact**: both use the same address (registered and office addresses
  compare with each other), phone or e-mail, in its normal form
  (:mod:`core.contacts`).

A direct equity (``OWNS``), control (``CONTROLS``) or guarantee tie between the two
is added as further evidence, but alone it makes no suspicion: those ties are already
the groups and guarantee circles. A pair with no equity or control tie is
*hidden* (``tied_by_ownership`` false): the groups cannot see it.

The agent rule
--------------
A contact used by more than ``max_companies_per_contact`` companies is excluded: a
registration agent's address (注册代理地址) or an accounting firm's phone serves
dozens of unrelated clients, and treating it as a tie would join them all. The
excluded contacts are returned so that they can be shown and audited. The threshold
is ``Settings.related_party_max_companies_per_contact``.

Each suspected relation carries its **strength** (how many pieces of evidence of
each kind) and every **evidence path**, from the customer to the other company.

Examples
--------
>>> result = suspected_related_parties(
...     customers={"A", "B"},
...     key_persons=[KeyPersonTie("A", "P1", "legal_representative"),
...                  KeyPersonTie("B", "P2", "director")],
...     family=[FamilyTie("P1", "P2", "spouse")],
...     contacts=[ContactTie("A", "phone|01088886666", "phone"),
...               ContactTie("B", "phone|01088886666", "phone")],
...     company_ties=[],
...     max_companies_per_contact=5,
... )
>>> first = result.relations[0]
>>> first.customer_id, first.other_id, first.strength, first.tied_by_ownership
('A', 'B', {'family_of_key_persons': 1, 'shared_contact': 1}, False)
>>> [n.id for n in first.evidence[0].nodes]
['A', 'P1', 'P2', 'B']
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from itertools import combinations
from typing import Final, Literal

from core.contacts import CompanyTie, ContactTie, FamilyTie, KeyPersonTie

__all__ = [
    "CompanyTie",
    "ContactTie",
    "Evidence",
    "EvidenceKind",
    "ExcludedContact",
    "FamilyTie",
    "KeyPersonTie",
    "PathNode",
    "RelatedPartiesResult",
    "SuspectedRelation",
    "suspected_related_parties",
]


class EvidenceKind(StrEnum):
    """A kind of evidence that two companies are related."""

    SHARED_KEY_PERSON = "shared_key_person"
    FAMILY_OF_KEY_PERSONS = "family_of_key_persons"
    SHARED_CONTACT = "shared_contact"
    EQUITY = "equity"
    CONTROL = "control"
    GUARANTEE = "guarantee"


#: Evidence that makes a suspicion on its own; the others only corroborate one.
SUSPICION_KINDS: Final = frozenset(
    {
        EvidenceKind.SHARED_KEY_PERSON,
        EvidenceKind.FAMILY_OF_KEY_PERSONS,
        EvidenceKind.SHARED_CONTACT,
    }
)
#: Ties that the groups already see: a pair with none of them is hidden.
OWNERSHIP_KINDS: Final = frozenset({EvidenceKind.EQUITY, EvidenceKind.CONTROL})

NodeKind = Literal["company", "person", "contact"]


@dataclass(frozen=True)
class PathNode:
    """One node of an evidence path."""

    kind: NodeKind
    id: str


@dataclass(frozen=True)
class Evidence:
    """One piece of evidence: a path from the customer to the other company.

    ``links[i]`` names the tie between ``nodes[i]`` and ``nodes[i + 1]``: a role, a
    family relation, a contact kind, or the evidence kind of a company tie.
    """

    kind: EvidenceKind
    nodes: tuple[PathNode, ...]
    links: tuple[str, ...]


@dataclass(frozen=True)
class SuspectedRelation:
    """A company suspected to be related to a customer, with all its evidence."""

    customer_id: str
    other_id: str
    evidence: tuple[Evidence, ...]

    @property
    def strength(self) -> dict[str, int]:
        """How many pieces of evidence of each kind, by kind name (sorted)."""
        counts: dict[str, int] = defaultdict(int)
        for item in self.evidence:
            counts[item.kind.value] += 1
        return dict(sorted(counts.items()))

    @property
    def tied_by_ownership(self) -> bool:
        """Whether a direct equity or control tie is among the evidence (else hidden)."""
        return any(e.kind in OWNERSHIP_KINDS for e in self.evidence)


@dataclass(frozen=True)
class ExcludedContact:
    """A contact shared by too many companies to mean anything (an agent's)."""

    contact_key: str
    companies: int


@dataclass(frozen=True)
class RelatedPartiesResult:
    """Every customer's suspected related parties, and the contacts the agent rule excluded."""

    relations: tuple[SuspectedRelation, ...]
    excluded_contacts: tuple[ExcludedContact, ...]


def _rank(relation: SuspectedRelation) -> tuple[str, int, int, str]:
    kinds = {e.kind for e in relation.evidence}
    return (relation.customer_id, -len(kinds), -len(relation.evidence), relation.other_id)


def suspected_related_parties(
    *,
    customers: Iterable[str],
    key_persons: Iterable[KeyPersonTie],
    family: Iterable[FamilyTie],
    contacts: Iterable[ContactTie],
    company_ties: Iterable[CompanyTie],
    max_companies_per_contact: int,
) -> RelatedPartiesResult:
    """Compute every customer's suspected related parties (see the module docstring).

    Parameters
    ----------
    customers
        Ids of the customers to compute for; the other side may be any company.
    key_persons, family, contacts, company_ties
        The ties, as read from the graph.
    max_companies_per_contact
        A contact used by more companies than this is excluded (the agent rule).

    Returns
    -------
    RelatedPartiesResult
        Relations ordered by customer, then by the number of evidence kinds and of
        pieces of evidence (most first), then by the other company's id. A pair of two
        customers appears once from each side.
    """
    customer_set = set(customers)
    # (a, b) with a < b → evidence oriented from a to b
    found: dict[tuple[str, str], list[Evidence]] = defaultdict(list)

    def add(a: str, b: str, kind: EvidenceKind, nodes: list[PathNode], links: list[str]) -> None:
        if a == b or (a not in customer_set and b not in customer_set):
            return
        if a > b:
            a, b, nodes, links = b, a, nodes[::-1], links[::-1]
        found[(a, b)].append(Evidence(kind, tuple(nodes), tuple(links)))

    roles: dict[str, dict[str, str]] = defaultdict(dict)  # person → company → role
    for tie in sorted(key_persons, key=lambda t: (t.person_id, t.company_id, t.role)):
        roles[tie.person_id].setdefault(tie.company_id, tie.role)  # one role per pair

    for person, held in sorted(roles.items()):
        for a, b in combinations(sorted(held), 2):
            add(
                a,
                b,
                EvidenceKind.SHARED_KEY_PERSON,
                [PathNode("company", a), PathNode("person", person), PathNode("company", b)],
                [held[a], held[b]],
            )

    seen_family: set[tuple[str, str]] = set()
    for family_tie in sorted(family, key=lambda t: (t.person_id, t.related_person_id)):
        first, second = family_tie.person_id, family_tie.related_person_id
        pair = (min(first, second), max(first, second))
        if pair in seen_family or first == second:
            continue
        seen_family.add(pair)
        for a, role_a in sorted(roles.get(first, {}).items()):
            for b, role_b in sorted(roles.get(second, {}).items()):
                add(
                    a,
                    b,
                    EvidenceKind.FAMILY_OF_KEY_PERSONS,
                    [
                        PathNode("company", a),
                        PathNode("person", first),
                        PathNode("person", second),
                        PathNode("company", b),
                    ],
                    [role_a, family_tie.relation, role_b],
                )

    users: dict[str, dict[str, str]] = defaultdict(dict)  # contact → company → kind
    for contact in sorted(contacts, key=lambda c: (c.contact_key, c.company_id, c.kind)):
        users[contact.contact_key].setdefault(contact.company_id, contact.kind)
    excluded: list[ExcludedContact] = []
    for key, companies in sorted(users.items()):
        if len(companies) > max_companies_per_contact:
            excluded.append(ExcludedContact(key, len(companies)))
            continue
        for a, b in combinations(sorted(companies), 2):
            add(
                a,
                b,
                EvidenceKind.SHARED_CONTACT,
                [PathNode("company", a), PathNode("contact", key), PathNode("company", b)],
                [companies[a], companies[b]],
            )

    for company_tie in sorted(set(company_ties), key=lambda t: (t.from_id, t.to_id, t.kind)):
        a, b = company_tie.from_id, company_tie.to_id
        pair = (min(a, b), max(a, b))
        if pair not in found:
            continue  # corroborates a suspicion, never makes one
        kind = EvidenceKind(company_tie.kind)
        add(a, b, kind, [PathNode("company", a), PathNode("company", b)], [kind.value])

    relations: list[SuspectedRelation] = []
    for (a, b), evidence in found.items():
        if a in customer_set:
            relations.append(SuspectedRelation(a, b, tuple(evidence)))
        if b in customer_set:
            reverse = tuple(Evidence(e.kind, e.nodes[::-1], e.links[::-1]) for e in evidence)
            relations.append(SuspectedRelation(b, a, reverse))
    return RelatedPartiesResult(tuple(sorted(relations, key=_rank)), tuple(excluded))
