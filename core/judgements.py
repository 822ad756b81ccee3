"""Review judgements on candidate pairs of counterparty records (entity resolution).

Modelled on nomenklatura's judgements: a reviewer says of two records that they
are one company (``positive``), two companies (``negative``), or cannot tell
(``unsure``: the pair stays apart and leaves the review queue). The pair's id does
not depend on the order of its two record ids, so a decision keeps applying however
a later load lists them.

Examples
--------
>>> candidate_id("C2", "C1") == candidate_id("C1", "C2")
True
>>> candidate_id("C1", "C2")
'RC-8db2f017b0760a0c'
>>> Judgement("negative").merges
False
"""

from __future__ import annotations

import hashlib
from enum import StrEnum


class Judgement(StrEnum):
    """A reviewer's verdict on a candidate pair."""

    POSITIVE = "positive"
    NEGATIVE = "negative"
    UNSURE = "unsure"

    @property
    def merges(self) -> bool:
        """Whether the two records become one company."""
        return self is Judgement.POSITIVE


def ordered_pair(first: str, second: str) -> tuple[str, str]:
    """The two record ids, smaller first."""
    return (first, second) if first <= second else (second, first)


def candidate_id(first: str, second: str) -> str:
    """The stable id of the pair of two record ids (``RC-`` + 16 hex digits)."""
    left, right = ordered_pair(first, second)
    digest = hashlib.sha1(f"{left}|{right}".encode(), usedforsecurity=False).hexdigest()
    return "RC-" + digest[:16]


class RelatedVerdict(StrEnum):
    """A risk reviewer's verdict on a suspected related-party pair (疑似关联).

    ``confirmed``: the two companies are related; the link joins the group of connected
    counterparties with the other company's exposure. ``dismissed``: they are not; the
    pair leaves the review queue for good (until a reviewer decides again).
    """

    CONFIRMED = "confirmed"
    DISMISSED = "dismissed"


def related_pair_id(first: str, second: str) -> str:
    """The stable id of a suspected related-party pair (``RP-`` + 16 hex digits).

    It depends only on the two company ids, whatever their order, so a decision on the
    pair holds across reloads of the same files and every later compute.

    >>> related_pair_id("C2", "C1") == related_pair_id("C1", "C2")
    True
    >>> related_pair_id("C1", "C2").startswith("RP-"), len(related_pair_id("C1", "C2"))
    (True, 19)
    """
    left, right = ordered_pair(first, second)
    digest = hashlib.sha1(f"related|{left}|{right}".encode(), usedforsecurity=False).hexdigest()
    return "RP-" + digest[:16]
