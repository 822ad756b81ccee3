"""Normal forms of addresses and phones: formats never hide a match, places stay apart."""

from __future__ import annotations

import pytest

from core.contacts import (
    ContactKind,
    contact_key,
    is_usable,
    normalise_address,
    normalise_contact,
    normalise_email,
    normalise_phone,
)

pytestmark = pytest.mark.unit

SAME_ADDRESS = (
    "广东省深圳市南山区科技园路1号A座1201室",
    "深圳市南山区 科技园路 １号 A座 1201室",
    "广东深圳南山区科技园路1号a座1201室",
    "中国广东省深圳市南山区科技园路1号，A座1201室",
    "深圳南山区科技园路1号A座-1201室",
    "廣東省深圳市南山區科技園路1號A座1201室",
)


def test_spellings_of_one_address_have_one_normal_form() -> None:
    assert len({normalise_address(a) for a in SAME_ADDRESS}) == 1


@pytest.mark.parametrize(
    "other",
    [
        "广东省深圳市南山区科技园路2号A座1201室",  # another number
        "广东省深圳市福田区科技园路1号A座1201室",  # another district
        "广东省深圳市南山区科技园路1号A座1202室",  # another room
        "广东省广州市南山区科技园路1号A座1201室",  # another city
    ],
)
def test_other_places_stay_apart(other: str) -> None:
    assert normalise_address(other) != normalise_address(SAME_ADDRESS[0])


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("北京市朝阳区建国路88号", "朝阳区建国路88号"),
        ("北京朝阳区建国路88号", "朝阳区建国路88号"),
        ("上海市浦东新区世纪大道100号", "浦东新区世纪大道100号"),
        ("内蒙古自治区呼和浩特市新城区", "呼和浩特新城区"),
        ("新疆维吾尔自治区乌鲁木齐市天山区", "乌鲁木齐天山区"),
        ("浙江省杭州市西湖区", "杭州西湖区"),
    ],
)
def test_province_and_city_prefixes(raw: str, expected: str) -> None:
    assert normalise_address(raw) == expected


SAME_LANDLINE = (
    "0755-26880000",
    "(0755)26880000",
    "（0755）2688 0000",
    "+86 755 2688 0000",
    "+86-755-26880000",
    "0086 755 26880000",
    "0755 2688-0000 转 8001",
    "0755-26880000 ext. 12",
    "０７５５－２６８８００００",
)
SAME_MOBILE = (
    "13800138000",
    "138 0013 8000",
    "138-0013-8000",
    "+86 138 0013 8000",
    "0086-13800138000",
    "8613800138000",
)


def test_spellings_of_one_landline_have_one_normal_form() -> None:
    assert {normalise_phone(p) for p in SAME_LANDLINE} == {"075526880000"}


def test_spellings_of_one_mobile_have_one_normal_form() -> None:
    assert {normalise_phone(p) for p in SAME_MOBILE} == {"13800138000"}


def test_other_lines_stay_apart() -> None:
    assert normalise_phone("0755-26880001") != normalise_phone("0755-26880000")
    assert normalise_phone("021-26880000") != normalise_phone("0755-26880000")
    # Without its area code a local number can only match the same local number.
    assert normalise_phone("26880000") == "26880000"
    # A foreign number keeps its country code.
    assert normalise_phone("+852 2345 6789") == "+85223456789"


def test_email_and_contact_keys() -> None:
    assert normalise_email(" Finance@Example.COM ") == "finance@example.com"
    office = contact_key(ContactKind.OFFICE_ADDRESS, normalise_address(SAME_ADDRESS[0]))
    registered = contact_key(ContactKind.REGISTERED_ADDRESS, normalise_address(SAME_ADDRESS[1]))
    assert office == registered  # an office address matches a registered one
    phone = contact_key(ContactKind.PHONE, "075526880000")
    assert phone != contact_key(ContactKind.EMAIL, "075526880000")


@pytest.mark.parametrize(
    ("kind", "raw", "usable"),
    [
        (ContactKind.PHONE, "12-3", False),
        (ContactKind.PHONE, "电话待补", False),
        (ContactKind.PHONE, "2688 0000", True),
        (ContactKind.EMAIL, "finance", False),
        (ContactKind.EMAIL, "a@b.cn", True),
        (ContactKind.REGISTERED_ADDRESS, "北京市", False),
        (ContactKind.REGISTERED_ADDRESS, "— —", False),
        (ContactKind.OFFICE_ADDRESS, "朝阳区建国路88号", True),
    ],
)
def test_usable_contacts(kind: ContactKind, raw: str, usable: bool) -> None:
    assert is_usable(kind, normalise_contact(kind, raw)) is usable
