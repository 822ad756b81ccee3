"""Company-name normalisation for counterparty entity resolution.

Bank exports spell one company many ways: full-width or half-width characters,
（）or (), stray spaces, with or without 有限公司 / Co., Ltd. :func:`name_key`
folds all of that away and keeps what tells companies apart, including the
content of brackets: 某某（北京）有限公司 and 某某(北京)有限公司 are one company,
某某（上海）有限公司 is a sister subsidiary.

Examples
--------
>>> name_key("某某（北京）有限公司") == name_key("某某(北京)有限公司") == name_key(" 某某 (北京) ")
True
>>> name_key("某某（上海）有限公司") == name_key("某某（北京）有限公司")
False
>>> name_key("ACME Trading Co., Ltd.")
'acmetrading'
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from typing import Final

# Longest first, so 股份有限公司 is removed whole rather than leaving 股份.
_CHINESE_SUFFIXES: Final = (
    "股份有限公司",
    "有限责任公司",
    "有限公司",
    "股份公司",
    "有限合伙",
    "责任公司",
)
# Matched on the folded text (lower case, no spaces), again longest first.
_LATIN_SUFFIXES: Final = (
    "companylimited",
    "co.,ltd.",
    "co.,ltd",
    "co.ltd.",
    "co.ltd",
    "co,ltd",
    "corporation",
    "incorporated",
    "limited",
    "ltd.",
    "ltd",
    "llc.",
    "llc",
    "inc.",
    "inc",
    "corp.",
    "corp",
    "co.",
)
_OPEN_BRACKETS: Final = "([{【〔〖「『［｛〈《"
_CLOSE_BRACKETS: Final = ")]}】〕〗」』］｝〉》"
_BRACKETS: Final = str.maketrans(
    {**dict.fromkeys(_OPEN_BRACKETS, "("), **dict.fromkeys(_CLOSE_BRACKETS, ")")}
)
_SPACE: Final = re.compile(r"\s+")
_TRAILING_PUNCT: Final = ".,;:·、，。"


def fold(raw: str) -> str:
    """Full-width to half-width, one bracket style, no whitespace, lower case.

    Examples
    --------
    >>> fold("ＡＢＣ　贸易【深圳】")
    'abc贸易(深圳)'
    """
    text = unicodedata.normalize("NFKC", raw).translate(_BRACKETS)
    return _SPACE.sub("", text).casefold()


def name_key(raw: str) -> str:
    """The matching key of a company name: folded, legal suffixes removed.

    The key is never empty: a name that is only a suffix keeps its folded form.
    """
    folded = fold(raw)
    key = folded
    changed = True
    while changed:
        changed = False
        stripped = key.rstrip(_TRAILING_PUNCT + ",")
        for suffix in (*_CHINESE_SUFFIXES, *_LATIN_SUFFIXES):
            if stripped.endswith(suffix) and len(stripped) > len(suffix):
                stripped = stripped[: -len(suffix)]
                changed = True
                break
        stripped = stripped.rstrip(_TRAILING_PUNCT + ",")
        changed = changed or stripped != key
        key = stripped
    return key or folded


def counterparty_id(key: str) -> str:
    """A stable company id for a counterparty known only by name.

    Examples
    --------
    >>> counterparty_id(name_key("某某贸易有限公司")) == counterparty_id(name_key("某某贸易"))
    True
    >>> counterparty_id("abc")
    'CP-a9993e364706816a'
    """
    return "CP-" + hashlib.sha1(key.encode("utf-8"), usedforsecurity=False).hexdigest()[:16]
