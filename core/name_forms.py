"""What a company name says beyond its key: region, core, romanisation, branch office.

Fuzzy counterparty matching (:mod:`loaders.matching`) compares names by several
*forms*, each computed here by pure functions:

``key``
    :func:`core.names.name_key`: folded (full/half width, traditional to
    simplified, brackets, spaces, case) and without the legal suffix.
``region``
    The place the name states: a leading 上海 / 上海市, a bracketed （上海）, or in an
    English name a romanised place (``Shanghai``). Places come from a
    :class:`Gazetteer`: China's provinces and municipalities, the regions of the
    bank's own registered companies, and the usual English names of places abroad.
``core``
    The key without its region: 上海华信科技 and 华信科技（上海） share the core 华信科技.
``roman``
    The core in Latin letters, so that a Chinese name and its English rendering
    compare: words of a business glossary become one canonical English word
    (科技, *Technology*, *Tech* and *Science & Technology* all become
    ``technology``), the other Chinese characters become pinyin, and English legal
    forms and places are dropped. 上海华信科技有限公司 and *Shanghai Huaxin Technology
    Co., Ltd.* both give ``huaxintechnology``. Pinyin also makes a homophone typo
    (华信 / 化信, the commonest typing error of a pinyin keyboard) visible.
``branch``
    A branch office (…分公司, …分行, *… Beijing Branch*) names its head company and
    a place. corpgraph links a branch to its head (``BRANCH_OF``), never merges them.

Examples
--------
>>> g = Gazetteer.build(["上海", "北京"])
>>> form = analyse("上海華信科技有限公司", g)
>>> form.region, form.core, form.roman
('上海', '华信科技', 'huaxintechnology')
>>> english = analyse("Shanghai Huaxin Technology Co., Ltd.", g)
>>> english.region, english.roman
('上海', 'huaxintechnology')
>>> branch = analyse("华信科技有限公司北京分公司", g).branch
>>> branch.head, branch.place
('华信科技有限公司', '北京')
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Final, Literal

from pypinyin.contrib.tone_convert import to_normal
from pypinyin.phrases_dict import phrases_dict
from pypinyin.pinyin_dict import pinyin_dict

from .names import PROVINCES, fold, name_key, to_simplified

Script = Literal["cjk", "latin"]

#: Places whose English name is not their pinyin.
EXONYMS: Final[dict[str, tuple[str, ...]]] = {
    "香港": ("hongkong", "hk"),
    "澳门": ("macau", "macao"),
    "台湾": ("taiwan",),
    "内蒙古": ("innermongolia",),
    "西藏": ("tibet",),
    "陕西": ("shaanxi",),
    "新加坡": ("singapore",),
    "美国": ("usa", "us", "america", "unitedstates"),
    "英国": ("uk", "britain", "unitedkingdom"),
    "德国": ("germany",),
    "法国": ("france",),
    "日本": ("japan",),
    "韩国": ("korea", "southkorea"),
    "越南": ("vietnam",),
    "泰国": ("thailand",),
    "马来西亚": ("malaysia",),
    "印度": ("india",),
    "澳大利亚": ("australia",),
    "加拿大": ("canada",),
    "荷兰": ("netherlands", "holland"),
    "瑞士": ("switzerland",),
    "意大利": ("italy",),
    "俄罗斯": ("russia",),
}
_REGION_SUFFIXES: Final = ("维吾尔自治区", "壮族自治区", "回族自治区", "自治区", "省", "市")

#: Business words: Chinese forms, one canonical English word, and the English forms
#: companies use for them. Conventional translations, as in the English names that
#: Chinese companies register; a word missing here still compares by its pinyin.
# fmt: off
GLOSSARY: Final[tuple[tuple[tuple[str, ...], str, tuple[str, ...]], ...]] = (
    (("科技", "技术"), "technology", ("technology", "technologies", "tech", "sci tech",
                                   "scitech", "science and technology", "sci and tech")),
    (("信息技术", "信息科技"), "infotech", ("information technology", "infotech", "info tech")),
    (("网络科技", "网络技术"), "networktech", ("network technology", "network tech", "networks")),
    (("智能科技",), "smarttech", ("intelligent technology", "smart technology", "smart tech")),
    (("软件",), "software", ("software",)),
    (("国际贸易",), "intltrade",
     ("international trading", "international trade", "intl trading")),
    (("贸易", "商贸", "商业"), "trade", ("trading", "trade", "commerce", "commercial")),
    (("进出口",), "importexport", ("import and export", "import export", "imp and exp", "i e")),
    (("物流",), "logistics", ("logistics", "logistic")),
    (("供应链管理", "供应链"), "supplychain", ("supply chain management", "supply chain", "scm")),
    (("国际货运代理", "货运代理", "货代"), "forwarding",
     ("international freight forwarding", "freight forwarding", "forwarding", "forwarders")),
    (("仓储",), "warehousing", ("warehousing", "storage", "warehouse")),
    (("精密制造",), "precision", ("precision manufacturing", "precision")),
    (("制造",), "manufacturing", ("manufacturing", "manufacture", "mfg")),
    (("工业", "实业"), "industrial", ("industrial", "industry", "industries")),
    (("精细化工",), "finechemical", ("fine chemical", "fine chemicals")),
    (("化工", "化学"), "chemical", ("chemical", "chemicals", "chemical industry")),
    (("电子科技",), "electronictech", ("electronic technology", "electronics technology")),
    (("微电子",), "microelectronic", ("microelectronics", "microelectronic")),
    (("光电",), "optoelectronic", ("optoelectronics", "optoelectronic", "photoelectric")),
    (("电子",), "electronic", ("electronics", "electronic")),
    (("建筑工程",), "constructioneng", ("construction engineering",)),
    (("建设", "建筑", "建工"), "construction", ("construction", "builders", "building")),
    (("路桥",), "roadbridge", ("road and bridge", "road bridge", "roads and bridges")),
    (("新能源",), "newenergy", ("new energy", "renewable energy")),
    (("能源",), "energy", ("energy",)),
    (("电力",), "power", ("electric power", "power")),
    (("燃气",), "gas", ("gas",)),
    (("生物医药",), "biopharma", ("biopharmaceutical", "biopharma", "bio pharmaceutical")),
    (("医药", "药业", "制药"), "pharma", ("pharmaceutical", "pharmaceuticals", "pharma",
                                        "medicine")),
    (("医疗器械",), "meddevice", ("medical device", "medical devices", "medical equipment")),
    (("食品",), "food", ("food", "foods", "foodstuff", "foodstuffs")),
    (("农产品",), "agriproduct",
     ("agricultural products", "agricultural product", "agri products")),
    (("粮油",), "grainoil", ("grain and oil", "grain oil", "cereals and oils")),
    (("乳业",), "dairy", ("dairy",)),
    (("纺织",), "textile", ("textile", "textiles")),
    (("服饰", "服装"), "apparel", ("apparel", "garment", "garments", "clothing", "fashion")),
    (("织造",), "weaving", ("weaving",)),
    (("机械",), "machinery", ("machinery", "machine", "machines", "mechanical")),
    (("重工",), "heavyindustry", ("heavy industry", "heavy industries")),
    (("装备",), "equipment", ("equipment",)),
    (("机电",), "mecheng", ("mechanical and electrical", "electromechanical", "m and e")),
    (("汽车零部件", "汽车配件", "汽配"), "autoparts",
     ("auto parts", "automotive parts", "automobile parts", "auto accessories")),
    (("车用电子",), "autoelectronic", ("automotive electronics", "auto electronics")),
    (("新材料",), "newmaterial", ("new material", "new materials", "advanced materials")),
    (("材料科技",), "materialtech", ("material technology", "materials technology")),
    (("金属材料",), "metal", ("metal materials", "metal material", "metals")),
    (("材料",), "material", ("material", "materials")),
    (("环保科技",), "envirotech",
     ("environmental technology", "environmental protection technology", "envirotech")),
    (("环境工程",), "enviroeng", ("environmental engineering",)),
    (("环保",), "environmental", ("environmental protection", "environmental")),
    (("水务",), "water", ("water", "water affairs", "water services")),
    (("农业发展",), "agridev", ("agricultural development", "agriculture development")),
    (("农业",), "agriculture", ("agriculture", "agricultural")),
    (("农牧",), "husbandry", ("agriculture and animal husbandry", "husbandry", "farming")),
    (("种业",), "seed", ("seed", "seeds", "seed industry")),
    (("置业", "地产"), "property", ("property", "properties", "real estate")),
    (("房地产开发",), "realestatedev", ("real estate development", "property development")),
    (("物业管理",), "propertymgmt", ("property management",)),
    (("控股",), "holding", ("holding", "holdings")),
    (("集团",), "group", ("group",)),
    (("创业投资",), "venture", ("venture capital", "venture investment")),
    (("股权投资",), "equityinvest", ("equity investment",)),
    (("资本管理",), "capital", ("capital management", "capital")),
    (("投资",), "investment", ("investment", "investments", "invest")),
    (("发展",), "development", ("development",)),
    (("国际",), "international", ("international", "intl", "global")),
    (("电子商务", "电商"), "ecommerce", ("e commerce", "ecommerce")),
    (("人力资源",), "hr", ("human resources", "human resource", "hr")),
    (("服务",), "services", ("service", "services")),
    (("管理",), "management", ("management",)),
    (("咨询",), "consulting", ("consulting", "consultancy", "advisory")),
    (("银行",), "bank", ("bank", "banking")),
    (("证券",), "securities", ("securities",)),
    (("保险",), "insurance", ("insurance",)),
    (("航运", "船务"), "shipping", ("shipping",)),
    (("电器",), "appliance", ("electric appliance", "appliances", "electrical appliance")),
)
# fmt: on
#: English legal forms and filler words dropped from an English name before comparing.
LATIN_LEGAL_WORDS: Final = frozenset(
    {
        "co",
        "ltd",
        "limited",
        "company",
        "corp",
        "corporation",
        "inc",
        "incorporated",
        "llc",
        "plc",
        "gmbh",
        "ag",
        "sa",
        "as",
        "asa",
        "ab",
        "oy",
        "bv",
        "nv",
        "srl",
        "spa",
        "pte",
        "pty",
        "kk",
        "lp",
        "llp",
        "sarl",
        "sas",
        "the",
        "of",
        "jsc",
        "ojsc",
        "pjsc",
    }
)
#: The words that end a branch office's name.
BRANCH_MARKERS: Final = ("分公司", "分厂", "分店", "分行", "支行", "办事处", "营业部", "分部")
#: Characters every branch marker has, in simplified and traditional writing (a quick test).
_BRANCH_HINTS: Final = frozenset("分支办辦营營")
_HEAD_SUFFIXES: Final = ("有限责任公司", "股份有限公司", "有限公司", "公司", "集团", "银行")
_LATIN_TOKEN: Final = re.compile(r"[a-z0-9]+")
_CJK: Final = re.compile(r"[\u3400-\u9fff]")
_MAX_PHRASE: Final = 4


@dataclass(frozen=True)
class BranchOffice:
    """A branch office's head company (as written) and its place."""

    head: str
    place: str


@dataclass(frozen=True)
class NameForm:
    """The forms of one name that fuzzy matching compares."""

    name: str
    key: str
    script: Script
    region: str | None
    core: str
    roman: str
    branch: BranchOffice | None
    #: How distinctive the core is: Latin letters plus twice the Chinese characters
    #: outside glossary words (a Chinese character carries about twice the information).
    strength: int = 0


@dataclass(frozen=True)
class Gazetteer:
    """Known places: Chinese names (canonical short form) and their Latin spellings."""

    chinese: tuple[str, ...]  # every written form, longest first
    canonical: dict[str, str]  # written form → canonical short form
    latin: dict[str, str]  # latin spelling (no spaces) → canonical short form
    longest: int  # characters of the longest written form

    @classmethod
    def build(cls, regions: Iterable[str] = ()) -> Gazetteer:
        """Provinces, the given regions (e.g. the companies' ``region`` column) and exonyms."""
        canonical: dict[str, str] = {}
        for region in (*PROVINCES, *EXONYMS, *regions):
            short = fold(region)
            if not short or not _CJK.search(short):
                continue
            for suffix in _REGION_SUFFIXES:
                if short.endswith(suffix) and len(short) > len(suffix) + 1:
                    short = short[: -len(suffix)]
                    break
            canonical[short] = short
            for suffix in _REGION_SUFFIXES:
                canonical[short + suffix] = short
        latin: dict[str, str] = {}
        for short in canonical.values():
            latin[_pinyin(short)] = short
            for spelling in EXONYMS.get(short, ()):
                latin[spelling] = short
        forms = tuple(sorted(canonical, key=lambda r: (-len(r), r)))
        return cls(forms, canonical, latin, max((len(f) for f in forms), default=0))


def _pinyin(text: str) -> str:
    """Pinyin without tones, phrase-aware (forward maximum match over pypinyin's phrases)."""
    return "".join(_pinyin_syllables(text))


def _pinyin_syllables(text: str) -> list[str]:
    out: list[str] = []
    i = 0
    while i < len(text):
        for size in range(min(_MAX_PHRASE, len(text) - i), 1, -1):
            phrase = phrases_dict.get(text[i : i + size])
            if phrase is not None:
                out.extend(to_normal(p[0]) for p in phrase)
                i += size
                break
        else:
            out.append(_char_pinyin(text[i]))
            i += 1
    return out


@lru_cache(maxsize=65536)
def _char_pinyin(ch: str) -> str:
    readings = pinyin_dict.get(ord(ch))
    return str(to_normal(readings.split(",")[0])) if readings else ch


def _glossary_tables() -> tuple[dict[str, str], dict[tuple[str, ...], str], int, int]:
    chinese: dict[str, str] = {}
    english: dict[tuple[str, ...], str] = {}
    for words, canonical, phrases in GLOSSARY:
        for word in words:
            chinese[word] = canonical
        for phrase in phrases:
            english[tuple(phrase.split())] = canonical
    return (
        chinese,
        english,
        max(len(w) for w in chinese),
        max(len(p) for p in english),
    )


_CHINESE_WORDS, _ENGLISH_PHRASES, _MAX_CHINESE_WORD, _MAX_ENGLISH_PHRASE = _glossary_tables()


def _romanise_chinese(core: str) -> tuple[str, int]:
    """Glossary words to their canonical English word, other characters to pinyin;
    and the strength of what is left outside the glossary."""
    parts: list[str] = []
    run: list[str] = []
    strength = 0
    i = 0
    while i < len(core):
        for size in range(min(_MAX_CHINESE_WORD, len(core) - i), 1, -1):
            canonical = _CHINESE_WORDS.get(core[i : i + size])
            if canonical is not None:
                if run:
                    parts.append(_pinyin("".join(run)))
                    run = []
                parts.append(canonical)
                i += size
                break
        else:
            ch = core[i]
            if _CJK.match(ch):
                run.append(ch)
                strength += 2
            else:
                if run:
                    parts.append(_pinyin("".join(run)))
                    run = []
                if ch.isalnum():
                    parts.append(ch)
                    strength += 1
            i += 1
    if run:
        parts.append(_pinyin("".join(run)))
    return "".join(parts), strength


def _latin_tokens(text: str) -> list[str]:
    folded = unicodedata.normalize("NFKC", text).casefold().replace("&", " and ")
    return _LATIN_TOKEN.findall(folded.replace("'", ""))


def _romanise_latin(tokens: list[str]) -> tuple[str, int]:
    """English glossary phrases to their canonical word, legal forms dropped; and the
    strength (letters outside the glossary)."""
    parts: list[str] = []
    strength = 0
    i = 0
    while i < len(tokens):
        for size in range(min(_MAX_ENGLISH_PHRASE, len(tokens) - i), 0, -1):
            canonical = _ENGLISH_PHRASES.get(tuple(tokens[i : i + size]))
            if canonical is not None:
                parts.append(canonical)
                i += size
                break
        else:
            if tokens[i] not in LATIN_LEGAL_WORDS or i == 0:
                parts.append(tokens[i])
                strength += len(tokens[i])
            i += 1
    return "".join(parts), strength


def _chinese_region(key: str, gazetteer: Gazetteer) -> tuple[str | None, str]:
    """The stated region and the key without it (leading place or bracketed place)."""
    region: str | None = None
    core = key
    for size in range(min(gazetteer.longest, len(core) - 1), 1, -1):
        form = core[:size]
        if form in gazetteer.canonical:
            region = gazetteer.canonical[form]
            core = core[size:]
            break
    for match in re.finditer(r"\(([^()]*)\)", core):
        inner = match.group(1)
        if inner in gazetteer.canonical:
            region = region or gazetteer.canonical[inner]
            core = core[: match.start()] + core[match.end() :]
            break
    if region is None:
        # A place inside the name, marked as one: 国网北京市电力公司, 国家税务总局上海市税务局.
        found = _marked_place(core, gazetteer)
        if found is not None:
            region, start, stop = found
            core = core[:start] + core[stop:]
    return region, core.replace("(", "").replace(")", "")


def _marked_place(text: str, gazetteer: Gazetteer) -> tuple[str, int, int] | None:
    """The first place followed by 市, 省 or 区 inside ``text`` (not at its start)."""
    for start in range(1, len(text) - 2):
        for size in range(min(gazetteer.longest, len(text) - start), 2, -1):
            form = text[start : start + size]
            if form[-1] in "市省区" and form in gazetteer.canonical:
                return gazetteer.canonical[form], start, start + size
    return None


def _latin_region(tokens: list[str], gazetteer: Gazetteer) -> tuple[str | None, list[str]]:
    """A place among the tokens (one word or two, e.g. ``hong kong``) and the tokens without it."""
    for i in range(len(tokens)):
        for size in (2, 1):
            joined = "".join(tokens[i : i + size])
            if len(tokens[i : i + size]) == size and joined in gazetteer.latin:
                if i == 0 and len(tokens) <= size:
                    continue
                return gazetteer.latin[joined], tokens[:i] + tokens[i + size :]
    return None, tokens


def branch_office(name: str, gazetteer: Gazetteer) -> BranchOffice | None:
    """Head company and place of a branch office's name, or ``None``.

    Examples
    --------
    >>> branch_office("中国工商银行股份有限公司北京分行", Gazetteer.build())
    BranchOffice(head='中国工商银行股份有限公司', place='北京')
    >>> branch_office("Huaxin Technology Co., Ltd. Beijing Branch", Gazetteer.build())
    BranchOffice(head='Huaxin Technology Co., Ltd.', place='北京')
    """
    if _BRANCH_HINTS.isdisjoint(name) and "branch" not in name.casefold():
        return None
    text = to_simplified(unicodedata.normalize("NFKC", name)).strip()
    compact = re.sub(r"\s+", "", text)
    for marker in BRANCH_MARKERS:
        if not compact.endswith(marker):
            continue
        rest = compact[: -len(marker)].rstrip("()（）")
        bracketed = re.search(r"[(（]([^()（）]*)$", rest)
        if bracketed:
            place, head = bracketed.group(1), rest[: bracketed.start()]
        else:
            place, head = "", rest
            for form in gazetteer.chinese:
                if rest.endswith(form) and len(rest) > len(form):
                    place, head = form, rest[: -len(form)]
                    break
            else:
                for suffix in _HEAD_SUFFIXES:
                    position = rest.rfind(suffix)
                    if position > 0:
                        head = rest[: position + len(suffix)]
                        place = rest[position + len(suffix) :]
                        break
        if len(name_key(head)) >= 2:
            return BranchOffice(head, gazetteer.canonical.get(place, place))
        return None
    tokens = _latin_tokens(text)
    if len(tokens) >= 3 and tokens[-1] == "branch":
        region, _ = _latin_region(tokens[-3:-1], gazetteer)
        cut = re.search(r"[\s,(]+(?:[A-Za-z]+\s+){0,2}branch\)?\s*$", text, re.IGNORECASE)
        if cut is not None and cut.start() > 0:
            head = text[: cut.start()]
            place = region or " ".join(tokens[-3:-1])
            return BranchOffice(head, place)
    return None


def analyse(name: str, gazetteer: Gazetteer) -> NameForm:
    """All forms of one name (see the module docstring)."""
    key = name_key(name)
    branch = branch_office(name, gazetteer)
    if _CJK.search(key):
        region, core = _chinese_region(key, gazetteer)
        roman, strength = _romanise_chinese(core)
        return NameForm(name, key, "cjk", region, core, roman, branch, strength)
    tokens = _latin_tokens(name)
    region, rest = _latin_region(tokens, gazetteer)
    roman, strength = _romanise_latin(rest)
    return NameForm(name, key, "latin", region, roman or key, roman or key, branch, strength)


def deletion_neighbourhood(text: str, minimum: int = 3) -> list[str]:
    """The text and every string one character shorter (SymSpell-style blocking keys).

    Two strings within one edit (substitution, insertion, deletion or adjacent
    swap) share at least one of these, so an exact join on them finds every such
    pair without comparing all pairs.

    Examples
    --------
    >>> deletion_neighbourhood("华信科技")
    ['华信科技', '信科技', '华科技', '华信技', '华信科']
    >>> set(deletion_neighbourhood("华信科技")) & set(deletion_neighbourhood("华兴科技"))
    {'华科技'}
    """
    keys = [text]
    if len(text) - 1 >= minimum:
        keys.extend(text[:i] + text[i + 1 :] for i in range(len(text)))
    return list(dict.fromkeys(keys))
