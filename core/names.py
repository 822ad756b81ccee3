"""Company-name normalisation for counterparty entity resolution.

Bank exports spell one company many ways: full-width or half-width characters,
（）or (), stray spaces, traditional or simplified characters (華信 / 华信), with or
without 有限公司 / Co., Ltd. :func:`name_key` folds all of that away and keeps what
tells companies apart, including the content of brackets: 某某（北京）有限公司 and
某某(北京)有限公司 are one company, 某某（上海）有限公司 is a sister subsidiary.

Traditional characters are folded to simplified ones with OpenCC's ``t2s``
conversion (phrase-aware, so 乾元 stays 乾元 while 乾燥 would not), the same
conversion every Chinese bank system uses for 簡繁 matching.

Examples
--------
>>> name_key("某某（北京）有限公司") == name_key("某某(北京)有限公司") == name_key(" 某某 (北京) ")
True
>>> name_key("某某（上海）有限公司") == name_key("某某（北京）有限公司")
False
>>> name_key("ACME Trading Co., Ltd.")
'acmetrading'
>>> name_key("上海華信科技有限公司") == name_key("上海华信科技有限公司")
True
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from functools import lru_cache
from typing import Final

import opencc

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


@lru_cache(maxsize=1)
def _traditional_to_simplified() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


def to_simplified(text: str) -> str:
    """Traditional Chinese characters to simplified (OpenCC ``t2s``); other text unchanged.

    Examples
    --------
    >>> to_simplified("國際貿易 ABC")
    '国际贸易 ABC'
    """
    converted: str = _traditional_to_simplified().convert(text)
    return converted


def fold(raw: str) -> str:
    """Full-width to half-width, simplified characters, one bracket style, no whitespace,
    lower case.

    Examples
    --------
    >>> fold("ＡＢＣ　貿易【深圳】")
    'abc贸易(深圳)'
    """
    text = to_simplified(unicodedata.normalize("NFKC", raw)).translate(_BRACKETS)
    return _SPACE.sub("", text).casefold()


@lru_cache(maxsize=1 << 20)
def name_key(raw: str) -> str:
    """The matching key of a company name: folded, legal suffixes removed.

    The key is never empty: a name that is only a suffix keeps its folded form.
    Keys are cached: a load asks for the same names many times.
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


#: China's provincial divisions, short forms (the name gazetteer and the address normal
#: form add the 省/市/自治区 variants).
PROVINCES: Final = (
    "北京",
    "天津",
    "上海",
    "重庆",
    "河北",
    "山西",
    "辽宁",
    "吉林",
    "黑龙江",
    "江苏",
    "浙江",
    "安徽",
    "福建",
    "江西",
    "山东",
    "河南",
    "湖北",
    "湖南",
    "广东",
    "海南",
    "四川",
    "贵州",
    "云南",
    "陕西",
    "甘肃",
    "青海",
    "台湾",
    "内蒙古",
    "广西",
    "西藏",
    "宁夏",
    "新疆",
    "香港",
    "澳门",
)
