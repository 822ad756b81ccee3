"""Warm introductions for prospects: customers whose people know the prospect's people.

Why
---
A prospect (a non-customer) is far easier to win through someone who knows its
management. When a prospect's key person (legal representative, director...) is also
a key person at one of our customers, or a close relative of one, that customer can
introduce us: the customer is the prospect's **introducer**.

The ties are the suspected related parties' evidence
(:mod:`algorithms.related_parties`), not derived again: a relation between a customer
and the prospect whose evidence includes a *shared key person*
(customer – person – prospect) or *family of key persons*
(customer – person – relative – prospect) is an introduction, read from the prospect's
side: prospect – person – [relative –] customer, with the roles on the way.

Introducers are ranked: one person at both companies before a relative, then more
paths first, then by the customer's id.

Examples
--------
>>> path = IntroPath("family_of_key_persons",
...                  (("company", "C1"), ("person", "P1"), ("person", "P2"), ("company", "X")),
...                  ("director", "spouse", "legal_representative"))
>>> intro = warm_introductions([("C1", "X", [path])])["X"][0]
>>> intro.customer_id, intro.direct, [n for _, n in intro.paths[0].nodes]
('C1', False, ['X', 'P2', 'P1', 'C1'])
>>> intro.paths[0].links
('legal_representative', 'spouse', 'director')
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Final

from .related_parties import EvidenceKind

__all__ = ["INTRODUCTION_KINDS", "IntroPath", "Introducer", "warm_introductions"]

#: The evidence kinds that make an introduction (people, never contacts or money).
INTRODUCTION_KINDS: Final = frozenset(
    {EvidenceKind.SHARED_KEY_PERSON.value, EvidenceKind.FAMILY_OF_KEY_PERSONS.value}
)


@dataclass(frozen=True)
class IntroPath:
    """One path: ``nodes`` are ``(kind, id)``; ``links[i]`` ties ``nodes[i]`` to ``nodes[i+1]``."""

    kind: str
    nodes: tuple[tuple[str, str], ...]
    links: tuple[str, ...]

    def reversed(self) -> IntroPath:
        """The same path read from its other end."""
        return IntroPath(self.kind, self.nodes[::-1], self.links[::-1])


@dataclass(frozen=True)
class Introducer:
    """A customer that can introduce the bank to a prospect, with every path."""

    prospect_id: str
    customer_id: str
    paths: tuple[IntroPath, ...]

    @property
    def direct(self) -> bool:
        """Whether one person is a key person at both (no relative on the way)."""
        return any(p.kind == EvidenceKind.SHARED_KEY_PERSON for p in self.paths)


def warm_introductions(
    relations: Iterable[tuple[str, str, Sequence[IntroPath]]],
) -> dict[str, tuple[Introducer, ...]]:
    """Each prospect's introducers, from suspected relations of customers to prospects.

    Parameters
    ----------
    relations
        ``(customer_id, prospect_id, evidence)``: a relation as stored from the
        customer's side, its paths running from the customer to the prospect. Evidence
        of other kinds (contacts, equity...) is ignored; a relation left with none is no
        introduction.

    Returns
    -------
    dict
        Prospect id → its introducers, ranked (direct first, then more paths, then by
        the customer's id); each path runs from the prospect to the customer.
    """
    found: dict[str, list[Introducer]] = {}
    for customer_id, prospect_id, evidence in relations:
        if customer_id == prospect_id:
            continue
        paths = tuple(
            path.reversed()
            for path in evidence
            if path.kind in INTRODUCTION_KINDS
            and path.nodes
            and path.nodes[0] == ("company", customer_id)
            and path.nodes[-1] == ("company", prospect_id)
        )
        if paths:
            paths = tuple(sorted(paths, key=lambda p: (len(p.nodes), p.nodes, p.links)))
            found.setdefault(prospect_id, []).append(Introducer(prospect_id, customer_id, paths))
    return {
        prospect: tuple(sorted(items, key=lambda i: (not i.direct, -len(i.paths), i.customer_id)))
        for prospect, items in sorted(found.items())
    }
