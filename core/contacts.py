"""Key persons, family ties and company contacts: their code lists and their normal forms.

Two companies share a contact when their normalised values are equal, so the
normal form decides what counts as "the same address" or "the same phone". The
rules below remove what only formatting changes and keep everything that could
tell two places or two lines apart.

Addresses (:func:`normalise_address`)
    1. Unicode NFKC: full-width digits, letters and brackets become half-width
       (``１２号`` → ``12号``, ``（`` → ``(``).
    2. Traditional characters become simplified (OpenCC ``t2s``, as for names).
    3. Whitespace and punctuation (ASCII and CJK: ``,.-#()、，。·—`` ...) are dropped:
       ``A座 1201室`` and ``A座1201室`` are one address.
    4. A leading ``中国`` is dropped, then a leading province-level name with or
       without its suffix (``广东省``/``广东``, ``北京市``/``北京``, ``内蒙古自治区``...),
       then the ``市`` of a city name of two to four characters at the start
       (``深圳市南山区`` → ``深圳南山区``). Registries and clerks write these prefixes
       inconsistently; the district and street that follow carry the identity. The
       price: two addresses that differ only by province (the same district name and
       street in two provinces, with no city written) would match; the street and
       number make that rare, and a match is only evidence for review, never a merge.
    5. Latin letters are lower-cased (``A座`` = ``a座``).

Phones (:func:`normalise_phone`)
    1. NFKC, then an extension (``转``, ``分机``, ``ext``, ``x`` followed by digits) is
       cut off: the shared thing is the line, not the desk.
    2. Every character but digits and a leading ``+`` is dropped (spaces, ``-``,
       brackets, dots).
    3. The country code ``+86``, ``0086`` or a bare ``86`` before a mobile number is
       dropped.
    4. A mobile number is its 11 digits (``1`` then 10 digits). A landline written
       without its trunk ``0`` after a country code (``+86 10 1234 5678``) gets it
       back: ``01012345678``. A local number without area code stays as written (its
       area is unknown, so it can only match the same local number).

E-mail addresses are NFKC, trimmed and lower-cased.

Examples
--------
>>> normalise_address("广东省深圳市南山区 科技园 A座１２０１室")
'深圳南山区科技园a座1201室'
>>> same = normalise_address("深圳市南山区科技园A座1201室")
>>> same == normalise_address("广东深圳南山区科技园A座1201室")
True
>>> normalise_phone("+86 (10) 8888-6666"), normalise_phone("010-88886666 转 123")
('01088886666', '01088886666')
>>> normalise_phone("0086 138 0013 8000"), normalise_phone("8613800138000")
('13800138000', '13800138000')
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from .names import PROVINCES, to_simplified


class KeyPersonRole(StrEnum):
    """A person's role at a company (the ``role`` column of ``key_persons``)."""

    LEGAL_REPRESENTATIVE = "legal_representative"  # 法定代表人
    DIRECTOR = "director"  # 董事
    SUPERVISOR = "supervisor"  # 监事
    EXECUTIVE = "executive"  # 高级管理人员
    FINANCIAL_CONTROLLER = "financial_controller"  # 财务负责人
    OTHER = "other"


class FamilyRelation(StrEnum):
    """A family tie between two persons (``person_relations.relation``), read symmetrically."""

    SPOUSE = "spouse"
    PARENT = "parent"  # person_id is a parent of related_person_id
    CHILD = "child"  # person_id is a child of related_person_id
    SIBLING = "sibling"
    OTHER_FAMILY = "other_family"


class ContactKind(StrEnum):
    """A kind of company contact (``company_contacts.kind``)."""

    REGISTERED_ADDRESS = "registered_address"  # 注册地址
    OFFICE_ADDRESS = "office_address"  # 办公地址
    PHONE = "phone"
    EMAIL = "email"


#: Contact kinds compared as addresses: a registered and an office address match.
ADDRESS_KINDS: Final = frozenset({ContactKind.REGISTERED_ADDRESS, ContactKind.OFFICE_ADDRESS})

_PROVINCE_SUFFIX: Final = r"(?:省|市|特别行政区|壮族自治区|回族自治区|维吾尔自治区|自治区)?"
_PROVINCE: Final = re.compile(
    "^(?:" + "|".join(sorted(PROVINCES, key=len, reverse=True)) + ")" + _PROVINCE_SUFFIX
)
_CITY: Final = re.compile(r"^([\u4e00-\u9fff]{2,4}?)市")
_DROP: Final = re.compile(r"[\s\W_]+", re.UNICODE)
_EXTENSION: Final = re.compile(r"(?:转|分机|ext\.?|x)\s*\d+\s*$", re.IGNORECASE)
_MOBILE: Final = re.compile(r"^1\d{10}$")


def normalise_address(raw: str) -> str:
    """The comparable form of an address (rules in the module docstring); ``""`` if nothing is left.

    Examples
    --------
    >>> normalise_address("北京市朝阳区建国路８８号") == normalise_address("朝阳区 建国路88号")
    True
    >>> normalise_address("內蒙古自治區呼和浩特市新城區")
    '呼和浩特新城区'
    """
    text = to_simplified(unicodedata.normalize("NFKC", raw)).casefold()
    text = _DROP.sub("", text)
    text = text.removeprefix("中国")
    text = _PROVINCE.sub("", text, count=1)
    return _CITY.sub(r"\1", text, count=1)


def normalise_phone(raw: str) -> str:
    """The comparable form of a phone number (rules in the module docstring); digits only.

    Examples
    --------
    >>> normalise_phone("(0755) 2688-0000"), normalise_phone("+86-755-26880000")
    ('075526880000', '075526880000')
    >>> normalise_phone("８８８８ ６６６６")
    '88886666'
    """
    text = unicodedata.normalize("NFKC", raw).strip()
    text = _EXTENSION.sub("", text)
    international = text.startswith("+")
    digits = "".join(ch for ch in text if ch.isdigit())
    if international and digits.startswith("86"):
        digits = digits[2:]
        international = False
    elif digits.startswith("0086"):
        digits = digits[4:]
        international = False
    elif digits.startswith("86") and _MOBILE.match(digits[2:]):
        return digits[2:]
    else:
        return digits if not international else "+" + digits
    if _MOBILE.match(digits) or digits.startswith("0") or len(digits) < 10:
        return digits
    return "0" + digits  # a landline written after +86 without its trunk 0


def normalise_email(raw: str) -> str:
    """The comparable form of an e-mail address: NFKC, trimmed, lower-cased.

    >>> normalise_email(" Finance@Example.COM ")
    'finance@example.com'
    """
    return unicodedata.normalize("NFKC", raw).strip().casefold()


def normalise_contact(kind: ContactKind, raw: str) -> str:
    """The comparable form of a contact of ``kind``; ``""`` when nothing comparable is left."""
    match kind:
        case ContactKind.PHONE:
            return normalise_phone(raw)
        case ContactKind.EMAIL:
            return normalise_email(raw)
        case _:
            return normalise_address(raw)


def contact_key(kind: ContactKind, normalised: str) -> str:
    """The identity of a shared contact: addresses of both kinds compare with each other.

    >>> contact_key(ContactKind.OFFICE_ADDRESS, "x")
    'address|x'
    >>> contact_key(ContactKind.REGISTERED_ADDRESS, "x"), contact_key(ContactKind.PHONE, "1")
    ('address|x', 'phone|1')
    """
    family = "address" if kind in ADDRESS_KINDS else kind.value
    return f"{family}|{normalised}"


#: The shortest normal forms that can identify anything: a shorter one is rejected.
MIN_PHONE_DIGITS: Final = 7
MIN_ADDRESS_CHARS: Final = 4


def is_usable(kind: ContactKind, normalised: str) -> bool:
    """Whether a normal form is specific enough to compare (else the row is rejected).

    >>> is_usable(ContactKind.PHONE, "12345"), is_usable(ContactKind.EMAIL, "a@b.cn")
    (False, True)
    """
    if kind is ContactKind.PHONE:
        return normalised.lstrip("+").isdigit() and len(normalised.lstrip("+")) >= MIN_PHONE_DIGITS
    if kind is ContactKind.EMAIL:
        return "@" in normalised and len(normalised) >= 3
    return len(normalised) >= MIN_ADDRESS_CHARS


# --- the ties between companies, persons and contacts (read from the graph) -----------------
@dataclass(frozen=True)
class KeyPersonTie:
    """A person's current role at a company."""

    company_id: str
    person_id: str
    role: str


@dataclass(frozen=True)
class FamilyTie:
    """Two persons are family (read both ways)."""

    person_id: str
    related_person_id: str
    relation: str


@dataclass(frozen=True)
class ContactTie:
    """A company uses a contact; ``contact_key`` is its normal form (:func:`contact_key`)."""

    company_id: str
    contact_key: str
    kind: str


@dataclass(frozen=True)
class CompanyTie:
    """A direct tie: ``from_id`` owns (``equity``), controls or guarantees ``to_id``."""

    from_id: str
    to_id: str
    kind: str
