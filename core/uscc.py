"""Unified Social Credit Codes (统一社会信用代码, GB 32100-2015).

A USCC has 18 characters from a 31-character alphabet (digits and capitals without
I, O, S, V, Z):

====== =============================================================
 pos    meaning
====== =============================================================
 1      registration authority (1 = 机构编制, 5 = 民政, 9 = 工商, ...)
 2      entity type within that authority
 3-8    administrative division code (行政区划码)
 9-17   organisation code (组织机构代码, GB 11714, with its own check)
 18     check character over positions 1-17
====== =============================================================

The check character is ``31 - (Σ value(cᵢ)·wᵢ mod 31)`` with weights
``wᵢ = 3^(i-1) mod 31``, a result of 31 being written as ``0``.

``python-stdnum``'s ``stdnum.cn.uscc`` computes the same check character but is not
used: it requires positions 1-8 to be digits, so it rejects codes of the
registration authorities GB 32100 writes as letters (``A`` 中央军委改革和编制办公室,
``N`` 农业, ``Y`` 其他), and it does not fold full-width characters, which bank files
contain.

Examples
--------
>>> check_character("91350100M000100Y4")
'3'
>>> validate_uscc("91350100M000100Y43").valid
True
>>> validate_uscc("91350100M000100Y44").reason
'check character is 4, expected 3'
"""

from __future__ import annotations

import random
import unicodedata
from dataclasses import dataclass
from typing import Final

ALPHABET: Final = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_VALUE: Final = {c: i for i, c in enumerate(ALPHABET)}
WEIGHTS: Final = tuple(pow(3, i, 31) for i in range(17))

# GB 11714 organisation code: 8 body characters (digits or A-Z) and a check.
_ORG_WEIGHTS: Final = (3, 7, 9, 10, 5, 8, 4, 2)


@dataclass(frozen=True)
class UsccCheck:
    """The verdict on one code: ``valid`` and, when not, a reason a person can read."""

    code: str
    valid: bool
    reason: str | None = None


def normalise_uscc(raw: str) -> str:
    """Upper-case, full-width to half-width, and strip spaces and dashes.

    Examples
    --------
    >>> normalise_uscc(" ９１３５０１００m０００１００y４３ ")
    '91350100M000100Y43'
    """
    text = unicodedata.normalize("NFKC", raw)
    return "".join(ch for ch in text.upper() if not ch.isspace() and ch != "-")


def check_character(first17: str) -> str:
    """The GB 32100 check character for the first 17 characters."""
    if len(first17) != 17 or any(c not in _VALUE for c in first17):
        raise ValueError("need 17 characters from the USCC alphabet")
    total = sum(_VALUE[c] * w for c, w in zip(first17, WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def organisation_check(body8: str) -> str:
    """The GB 11714 check character of an 8-character organisation-code body.

    Examples
    --------
    >>> organisation_check("M000100Y")
    '4'
    """

    def value(c: str) -> int:
        return int(c) if c.isdigit() else ord(c) - ord("A") + 10

    remainder = 11 - sum(value(c) * w for c, w in zip(body8, _ORG_WEIGHTS, strict=True)) % 11
    return {10: "X", 11: "0"}.get(remainder, str(remainder))


def validate_uscc(raw: str) -> UsccCheck:
    """Validate format, alphabet and the GB 32100 check character.

    The embedded organisation code's own GB 11714 check is not enforced: codes
    issued during the 2015-2017 migration exist whose positions 9-17 were assigned
    by the registry rather than derived from an old organisation code.
    """
    code = normalise_uscc(raw)
    if len(code) != 18:
        return UsccCheck(code, False, f"must have 18 characters, has {len(code)}")
    bad = sorted({c for c in code if c not in _VALUE})
    if bad:
        return UsccCheck(code, False, f"characters not allowed in a USCC: {''.join(bad)}")
    if not code[2:8].isdigit():
        return UsccCheck(code, False, "positions 3-8 must be a numeric division code")
    expected = check_character(code[:17])
    if code[17] != expected:
        return UsccCheck(code, False, f"check character is {code[17]}, expected {expected}")
    return UsccCheck(code, True)


def is_valid_uscc(raw: str) -> bool:
    """True when :func:`validate_uscc` accepts ``raw``."""
    return validate_uscc(raw).valid


def make_uscc(rng: random.Random, division: str = "110108", authority: str = "91") -> str:
    """Generate a valid USCC (both check characters correct), for synthetic data.

    Examples
    --------
    >>> is_valid_uscc(make_uscc(random.Random(7)))
    True
    """
    body = "".join(rng.choice(ALPHABET) for _ in range(8))
    first17 = authority + division + body + organisation_check(body)
    return first17 + check_character(first17)
