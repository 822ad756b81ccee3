from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from loaders.contract import CONTRACT, RejectReason
from loaders.parsing import (
    FieldError,
    from_minor_units,
    parse_currency,
    parse_date,
    parse_decimal,
    to_minor_units,
)
from loaders.validation import check_references, check_share_totals, validate_rows


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        ("1234.56", Decimal("1234.56")),
        ("1,234.56", Decimal("1234.56")),
        ("12,345,678", Decimal("12345678")),
        ("1.2345E3", Decimal("1234.5")),
        ("5e-2", Decimal("0.05")),
        ("１，２３４．５", Decimal("1234.5")),
        (" 7 ", Decimal("7")),
    ],
)
def test_decimals_are_exact(raw: str, value: Decimal) -> None:
    assert parse_decimal(raw) == value


@pytest.mark.parametrize("raw", ["abc", "1,2,3", "1.2.3", "12,34", "--1", "NaN", "inf", "1e"])
def test_bad_decimals(raw: str) -> None:
    with pytest.raises(FieldError) as caught:
        parse_decimal(raw)
    assert caught.value.reason is RejectReason.INVALID_DECIMAL


def test_minor_units_follow_the_currency() -> None:
    assert to_minor_units(Decimal("0.1") + Decimal("0.2"), "CNY") == 30
    assert to_minor_units(Decimal("1.234"), "KWD") == 1234
    with pytest.raises(FieldError):
        to_minor_units(Decimal("1.234"), "CNY")
    with pytest.raises(FieldError):
        to_minor_units(Decimal("1.5"), "JPY")
    assert from_minor_units(to_minor_units(Decimal("12345678.91"), "USD"), "USD") == Decimal(
        "12345678.91"
    )


def test_currency_aliases_and_errors() -> None:
    assert parse_currency("rmb") == "CNY"
    assert parse_currency("人民币") == "CNY"
    with pytest.raises(FieldError) as caught:
        parse_currency("XXQ")
    assert caught.value.reason is RejectReason.INVALID_CURRENCY


def test_dates() -> None:
    assert parse_date("2025-03-01") == parse_date("2025/03/01") == parse_date("20250301")
    assert parse_date("2025-3-1") == date(2025, 3, 1)
    with pytest.raises(FieldError):
        parse_date("2025-02-30")


def company(line: int, company_id: str, **overrides: str) -> tuple[int, dict[str, str]]:
    row = {"company_id": company_id, "name": f"公司{company_id}有限公司", "is_customer": "true"}
    row.update(overrides)
    return line, row


def test_one_reject_per_row_with_its_first_failure() -> None:
    result = validate_rows(
        CONTRACT["companies"],
        [
            company(2, "C1"),
            company(3, "C2", uscc="91350100M000100Y44", founded="not a date"),
            company(4, "", name=""),
            company(5, "C3", is_customer="maybe"),
            company(6, "C4", status="bankrupt"),
        ],
    )
    assert [r["company_id"] for r in result.records] == ["C1"]
    assert [(r.row, r.field, r.reason) for r in result.rejects] == [
        (3, "uscc", RejectReason.INVALID_USCC),
        (4, "company_id", RejectReason.MISSING_REQUIRED),
        (5, "is_customer", RejectReason.INVALID_BOOL),
        (6, "status", RejectReason.INVALID_ENUM),
    ]
    assert "check character" in result.rejects[0].message


def test_duplicate_keys() -> None:
    result = validate_rows(
        CONTRACT["companies"],
        [company(2, "C1"), company(3, "C1"), company(4, "C1", name="别的名字")],
    )
    assert len(result.records) == 1
    assert result.identical_duplicates == 1
    assert [(r.row, r.reason) for r in result.rejects] == [(4, RejectReason.DUPLICATE_KEY)]


def shareholding(line: int, owner: str, company_id: str, pct: str, owner_type: str = "person"):  # type: ignore[no-untyped-def]
    return line, {
        "owner_id": owner,
        "owner_type": owner_type,
        "company_id": company_id,
        "share_pct": pct,
    }


def test_share_rules() -> None:
    result = validate_rows(
        CONTRACT["shareholdings"],
        [
            shareholding(2, "P1", "C1", "60"),
            shareholding(3, "P2", "C1", "40.3"),
            shareholding(4, "P3", "C1", "5"),  # would total 105.3
            shareholding(5, "P4", "C1", "120"),
            shareholding(6, "P4", "C2", "0"),
            shareholding(7, "C1", "C1", "10", "company"),
            shareholding(8, "P5", "C9", "10"),
        ],
    )
    known = {"companies.company_id": {"C1", "C2"}, "persons.person_id": {"P1", "P2", "P3", "P5"}}
    check_references(result, CONTRACT["shareholdings"], known)
    check_share_totals(result)
    assert [(r["owner_id"], r["company_id"]) for r in result.records] == [
        ("P1", "C1"),
        ("P2", "C1"),
    ]
    reasons = sorted((r.row, r.reason) for r in result.rejects)
    assert reasons == [
        (4, RejectReason.SHARE_TOTAL_EXCEEDED),
        (5, RejectReason.OUT_OF_RANGE),
        (6, RejectReason.OUT_OF_RANGE),
        (7, RejectReason.SELF_REFERENCE),
        (8, RejectReason.UNKNOWN_REFERENCE),
    ]
