"""Hidden guarantee risk: guarantee circles between companies run by one family.

Why
---
A guarantee circle (担保圈) is a risk because each member's guarantee is worth only
what the others are worth. It is worse when the "independent" guarantors are run by
one family, one person, or from one office: the guarantees then add no independent
support at all, and one family's trouble brings down the whole circle. The regulator
and every risk officer look for exactly this (互保联保 between 关联企业).

The rule
--------
The suspected related parties (:mod:`algorithms.related_parties`) are computed once,
with their evidence; this module does not re-derive them. It takes the members of a
circle (or of a chain: any set of companies tied by guarantees) and the suspected
relations between pairs of them, and flags the set when at least one pair of its
members is suspected related through people or contacts (a shared key person, family
of key persons, a shared contact: :data:`~algorithms.related_parties.SUSPICION_KINDS`).
An equity, control or guarantee tie alone flags nothing: those are the groups and the
circle itself.

The flag's kind is the closest tie among the related pairs: **one family** when a
pair's key persons are family, else **one person** when a pair shares a key person,
else **shared contacts**.

Examples
--------
>>> risk = hidden_guarantee_risk(
...     ["A", "B", "C"],
...     [RelatedPair("A", "B", frozenset({"family_of_key_persons", "guarantee"})),
...      RelatedPair("B", "X", frozenset({"shared_contact"}))],
... )
>>> risk.kind.value, risk.related_members, [(p.first, p.second) for p in risk.pairs]
('one_family', ('A', 'B'), [('A', 'B')])
>>> hidden_guarantee_risk(["A", "B"], [RelatedPair("A", "B", frozenset({"equity"}))]) is None
True
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from core.i18n import N_
from core.messages import Message

from .related_parties import SUSPICION_KINDS, EvidenceKind

__all__ = [
    "HiddenGuaranteeRisk",
    "HiddenRiskKind",
    "RelatedPair",
    "hidden_guarantee_risk",
]


class HiddenRiskKind(StrEnum):
    """Who runs the related members of a guarantee circle."""

    ONE_FAMILY = "one_family"
    ONE_PERSON = "one_person"
    SHARED_CONTACTS = "shared_contacts"


#: The evidence kind that makes each flag, closest tie first.
_KIND_BY_EVIDENCE: Final[tuple[tuple[EvidenceKind, HiddenRiskKind], ...]] = (
    (EvidenceKind.FAMILY_OF_KEY_PERSONS, HiddenRiskKind.ONE_FAMILY),
    (EvidenceKind.SHARED_KEY_PERSON, HiddenRiskKind.ONE_PERSON),
    (EvidenceKind.SHARED_CONTACT, HiddenRiskKind.SHARED_CONTACTS),
)

#: The flag's sentence, by kind (catalogue keys).
EXPLANATIONS: Final[dict[HiddenRiskKind, str]] = {
    HiddenRiskKind.ONE_FAMILY: N_(
        "Mutual guarantees between companies run by one family: {related} of the {size} "
        "companies are tied by their key persons' family."
    ),
    HiddenRiskKind.ONE_PERSON: N_(
        "Mutual guarantees between companies run by one person: {related} of the {size} "
        "companies share a key person."
    ),
    HiddenRiskKind.SHARED_CONTACTS: N_(
        "Mutual guarantees between companies sharing contacts: {related} of the {size} "
        "companies share an address, a phone or an e-mail address."
    ),
}


@dataclass(frozen=True)
class RelatedPair:
    """Two companies suspected related, with the kinds of their evidence (as stored)."""

    first: str
    second: str
    kinds: frozenset[str]


@dataclass(frozen=True)
class HiddenGuaranteeRisk:
    """The flag of one circle: its kind, the related pairs among its members, and why."""

    kind: HiddenRiskKind
    size: int
    pairs: tuple[RelatedPair, ...]
    related_members: tuple[str, ...]

    @property
    def explanation(self) -> Message:
        """The flag as one language-neutral sentence."""
        return Message(
            EXPLANATIONS[self.kind], {"related": len(self.related_members), "size": self.size}
        )


def hidden_guarantee_risk(
    members: Iterable[str], related: Iterable[RelatedPair]
) -> HiddenGuaranteeRisk | None:
    """The hidden risk of the companies ``members``, or ``None`` when no pair is related.

    Parameters
    ----------
    members
        The circle's (or chain's) companies.
    related
        Suspected relations; pairs with an end outside ``members``, pairs given twice
        (once from each side) and pairs with no people or contact evidence are ignored.

    Returns
    -------
    HiddenGuaranteeRisk or None
        The pairs ordered by their ids (first < second), the related members sorted.
    """
    inside = set(members)
    pairs: dict[tuple[str, str], set[str]] = {}
    for pair in related:
        if pair.first == pair.second or not {pair.first, pair.second} <= inside:
            continue
        if not pair.kinds & SUSPICION_KINDS:
            continue
        key = (min(pair.first, pair.second), max(pair.first, pair.second))
        pairs.setdefault(key, set()).update(pair.kinds)
    if not pairs:
        return None
    kinds = set().union(*pairs.values())
    kind = next(flag for evidence, flag in _KIND_BY_EVIDENCE if evidence in kinds)
    return HiddenGuaranteeRisk(
        kind=kind,
        size=len(inside),
        pairs=tuple(RelatedPair(a, b, frozenset(k)) for (a, b), k in sorted(pairs.items())),
        related_members=tuple(sorted({m for pair in pairs for m in pair})),
    )
