"""Chinese company and person names, unique after normalisation, and their formatting variants.

Every company name the forge hands out has a :func:`~core.names.name_key` no
other name has, so a name in a payment can only ever mean one company. Sister
subsidiaries share a 字号 but differ in the region in their name
(华信科技（上海）有限公司 and 华信科技（北京）有限公司), which the key keeps.

Examples
--------
>>> import random
>>> forge = NameForge(random.Random(1))
>>> name = forge.company_name("上海", "technology")
>>> forge.company_name("上海", "technology") != name
True
>>> from core.names import name_key
>>> all(name_key(v) == name_key(name) for v in formatting_variants(name, random.Random(2), 3))
True
"""

from __future__ import annotations

import random
from typing import Final

from core.names import name_key

from .vocabulary import (
    BRANCH_CITIES,
    FOREIGN_FIRST,
    FOREIGN_SECOND,
    FOREIGN_SUFFIXES,
    GIVEN_NAME_CHARS,
    HOLDING_PATTERNS,
    INDUSTRY_WORDS,
    INVESTMENT_WORDS,
    LATIN_LETTERS,
    LEGAL_SUFFIXES,
    OTHER_REGIONS,
    SURNAMES,
    TRADE_NAME_CHARS,
)

_MAX_ATTEMPTS: Final = 200
_SUFFIX_CHOICES: Final = tuple(s for s, _ in LEGAL_SUFFIXES)
_SUFFIX_WEIGHTS: Final = tuple(w for _, w in LEGAL_SUFFIXES)
# Longest first so that 股份有限公司 is not read as 有限公司.
_KNOWN_SUFFIXES: Final = ("股份有限公司", "有限责任公司", "有限公司")
# Longest first, so that 上海市 is found before 上海.
_REGION_PREFIXES: Final = tuple(
    sorted(
        {f"{c.name}市" for c in BRANCH_CITIES}
        | {c.name for c in BRANCH_CITIES}
        | {f"{n}市" for n, _ in OTHER_REGIONS}
        | {n for n, _ in OTHER_REGIONS},
        key=lambda r: (-len(r), r),
    )
)
_HALF_TO_FULL: Final = {
    **{chr(c): chr(c + 0xFEE0) for c in range(ord("A"), ord("Z") + 1)},
    **{chr(c): chr(c + 0xFEE0) for c in range(ord("a"), ord("z") + 1)},
    **{chr(c): chr(c + 0xFEE0) for c in range(ord("0"), ord("9") + 1)},
}


class NameForge:
    """Hands out names whose normalised keys are all different."""

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng
        self._taken_keys: set[str] = set()

    def fork(self, rng: random.Random) -> NameForge:
        """A forge drawing from ``rng`` that shares this one's taken keys (both see all claims)."""
        forked = NameForge(rng)
        forked._taken_keys = self._taken_keys
        return forked

    def claim(self, name: str) -> bool:
        """Reserve ``name``'s key; False when another name already has it."""
        key = name_key(name)
        if key in self._taken_keys:
            return False
        self._taken_keys.add(key)
        return True

    def trade_name(self) -> str:
        """A 字号 of two (mostly) or three characters, sometimes Latin letters."""
        rng = self._rng
        if rng.random() < 0.05:
            return "".join(rng.choice(LATIN_LETTERS) for _ in range(rng.randint(2, 4)))
        length = 3 if rng.random() < 0.15 else 2
        return "".join(rng.choice(TRADE_NAME_CHARS) for _ in range(length))

    def _suffix(self) -> str:
        return self._rng.choices(_SUFFIX_CHOICES, _SUFFIX_WEIGHTS)[0]

    def company_name(
        self, region: str, industry: str, *, trade_name: str | None = None, style: str = ""
    ) -> str:
        """A unique company name in ``region`` and ``industry``.

        ``style`` is one of ``prefix`` (上海华信科技有限公司), ``city`` (上海市…),
        ``bracket`` (华信科技（上海）有限公司) or ``plain`` (华信科技有限公司); empty
        picks one at random. A given ``trade_name`` is kept on the first attempts
        and replaced only when every combination with it is taken.
        """
        rng = self._rng
        for attempt in range(_MAX_ATTEMPTS):
            core = trade_name if trade_name and attempt < 20 else self.trade_name()
            word = rng.choice(INDUSTRY_WORDS[industry])
            chosen = (
                style or rng.choices(("prefix", "city", "bracket", "plain"), (55, 10, 20, 15))[0]
            )
            suffix = self._suffix()
            if chosen == "city":
                name = f"{region}市{core}{word}{suffix}"
            elif chosen == "bracket":
                name = f"{core}{word}（{region}）{suffix}"
            elif chosen == "plain":
                name = f"{core}{word}{suffix}"
            else:
                name = f"{region}{core}{word}{suffix}"
            if self.claim(name):
                return name
        raise RuntimeError(f"no free company name left for {region}/{industry}")

    def holding_name(self, region: str, trade_name: str) -> str:
        """The name of a group's top holding company."""
        rng = self._rng
        for attempt in range(_MAX_ATTEMPTS):
            core = trade_name if attempt < 10 else self.trade_name()
            name = rng.choice(HOLDING_PATTERNS).format(core=core, region=region)
            if self.claim(name):
                return name
        raise RuntimeError("no free holding-company name left")

    def investment_name(self, region: str) -> str:
        """An investment company (a minority owner of many companies)."""
        for _ in range(_MAX_ATTEMPTS):
            word = self._rng.choice(INVESTMENT_WORDS)
            name = f"{region}{self.trade_name()}{word}{self._suffix()}"
            if self.claim(name):
                return name
        raise RuntimeError("no free investment-company name left")

    def foreign_name(self) -> str:
        """An English company name, e.g. ``Golden Harbour Trading Co., Ltd.``."""
        rng = self._rng
        for _ in range(_MAX_ATTEMPTS):
            extra = rng.choice(FOREIGN_FIRST)
            first = rng.choice(FOREIGN_FIRST)
            words = [first] if extra == first or rng.random() < 0.5 else [first, extra]
            second = rng.choice(FOREIGN_SECOND)
            name = " ".join([*words, second, rng.choice(FOREIGN_SUFFIXES)])
            if self.claim(name):
                return name
        raise RuntimeError("no free foreign company name left")

    def person_name(self) -> str:
        """A Chinese personal name: surname and one or two given-name characters (not unique)."""
        rng = self._rng
        given = "".join(rng.choice(GIVEN_NAME_CHARS) for _ in range(rng.choice((1, 2, 2))))
        return rng.choice(SURNAMES) + given


def _strip_suffix(name: str) -> tuple[str, str]:
    for suffix in _KNOWN_SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)], suffix
    return name, ""


def _candidate_variants(name: str, rng: random.Random) -> list[str]:
    """Spellings a payment file might use for ``name``; some may not keep its key."""
    body, suffix = _strip_suffix(name)
    candidates: list[str] = []
    if "（" in name or "(" in name:
        swapped = name.replace("（", "(").replace("）", ")")
        if swapped == name:
            swapped = name.replace("(", "（").replace(")", "）")
        candidates.append(swapped)
    if suffix:
        candidates.append(body)  # 有限公司 dropped
        others = [s for s in _KNOWN_SUFFIXES if s != suffix]
        candidates.append(body + rng.choice(others))
    if name.isascii():
        if " " in name:
            candidates.append(name.replace(" ", "  ", 1))  # a doubled space
    else:
        # Spaces where a clerk would put them: after the city, around brackets, before
        # the legal suffix; half-width or full-width (U+3000).
        cuts = [len(r) for r in _REGION_PREFIXES if body.startswith(r) and len(body) > len(r)]
        cuts += [i for i, ch in enumerate(name) if ch in "（("]
        cuts += [i + 1 for i, ch in enumerate(name) if ch in "）)" and i + 1 < len(name)]
        if suffix:
            cuts.append(len(body))
        if cuts:
            cut = rng.choice(cuts)
            space = rng.choice((" ", "\u3000"))
            candidates.append(name[:cut] + space + name[cut:])
    if any(ch.isascii() and ch.isalnum() for ch in name):
        candidates.append("".join(_HALF_TO_FULL.get(ch, ch) for ch in name))
        candidates.append(name.upper() if name != name.upper() else name.lower())
    if name.endswith("Co., Ltd."):
        stem = name[: -len("Co., Ltd.")]
        candidates.extend([stem + "Co.,Ltd.", stem + "Limited", stem.rstrip()])
    return candidates


def formatting_variants(name: str, rng: random.Random, count: int) -> list[str]:
    """Up to ``count`` other spellings of ``name`` with the same normalised key.

    They differ only by formatting: bracket width, spaces, the legal suffix,
    full-width letters or letter case. Each candidate is checked with
    :func:`~core.names.name_key`, so a variant can never point at another company.
    """
    key = name_key(name)
    variants: list[str] = []
    candidates = _candidate_variants(name, rng)
    rng.shuffle(candidates)
    for candidate in candidates:
        if len(variants) >= count:
            break
        if candidate != name and candidate not in variants and name_key(candidate) == key:
            variants.append(candidate)
    return variants
