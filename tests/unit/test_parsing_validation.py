from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from core.errors import InputValidationError
from loaders.contract import CONTRACT, FileSpec, Kind, RejectReason
from loaders.parsing import (
    FieldError,
    from_minor_units,
    parse_currency,
    parse_date,
    parse_decimal,
    parse_percent,
    to_minor_units,
)
from loaders.reading import InputFile, has_data_rows, iter_rows
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


# --- hardening: the writer never meets a value it cannot write ---------------------------------
_VALID_TEXT = {
    Kind.ID: "X",
    Kind.TEXT: "文本",
    Kind.BOOL: "true",
    Kind.DECIMAL: "1",
    Kind.PERCENT: "10",
    Kind.DATE: "2025-01-01",
    Kind.CURRENCY: "CNY",
    Kind.USCC: "91350100M000100Y43",
}
MONEY_COLUMNS = [
    (spec.name, column.name)
    for spec in CONTRACT.values()
    for column in spec.columns
    if column.kind is Kind.DECIMAL
]


#: Text columns whose rows check their form (a target's period).
_VALID_FORMS = {("targets", "period"): "2026"}


#: Optional columns left empty in a valid row (an opportunity is won or lost, not both).
_EMPTY = {("opportunity_history", "lost")}


def _valid_row(spec: FileSpec) -> dict[str, str]:
    row = {
        c.name: _VALID_FORMS.get((spec.name, c.name))
        or (
            c.choices[0]
            if c.kind is Kind.ENUM
            else f"{_VALID_TEXT[c.kind]}{i}"
            if c.kind is Kind.ID
            else _VALID_TEXT[c.kind]
        )
        for i, c in enumerate(spec.columns)
    }
    return {name: "" if (spec.name, name) in _EMPTY else text for name, text in row.items()}


def test_every_amount_column_has_a_currency() -> None:
    # registered capital, supply, guarantee, limit, outstanding, balance, payment, a
    # target's value (at most 2 decimals, checked as CNY) and an opportunity's amount
    assert len(MONEY_COLUMNS) == 9
    for file, name in MONEY_COLUMNS:
        column = CONTRACT[file].column(name)
        assert (column.currency_column is None) != (column.fixed_currency is None), name
        if column.currency_column is not None:
            assert CONTRACT[file].column(column.currency_column).kind is Kind.CURRENCY


@pytest.mark.parametrize(("file", "column"), MONEY_COLUMNS)
@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("1.234", RejectReason.INVALID_DECIMAL),
        ("1E30", RejectReason.OUT_OF_RANGE),
        ("92233720368547758.08", RejectReason.OUT_OF_RANGE),
        ("1.0000000000000000000000000000001", RejectReason.INVALID_DECIMAL),
    ],
)
def test_every_amount_column_rejects_what_cannot_be_stored(
    file: str, column: str, text: str, reason: RejectReason
) -> None:
    spec = CONTRACT[file]
    good = _valid_row(spec)
    assert validate_rows(spec, [(2, good)]).rejects == []
    result = validate_rows(spec, [(2, good), (3, {**good, column: text})])
    assert [(r.row, r.field, r.reason) for r in result.rejects] == [(3, column, reason)]


def test_the_largest_amount_is_accepted() -> None:
    assert to_minor_units(Decimal("92233720368547758.07"), "CNY") == 2**63 - 1
    assert to_minor_units(Decimal("9223372036854775807"), "JPY") == 2**63 - 1
    with pytest.raises(FieldError):
        to_minor_units(Decimal("9223372036854775.808"), "KWD")


@pytest.mark.parametrize(
    ("text", "ok"), [("33.33333333", True), ("33.333333333", False), ("50.000000000000", True)]
)
def test_percent_decimals_are_bounded(text: str, ok: bool) -> None:
    if ok:
        assert parse_percent(text) == Decimal(text)
    else:
        with pytest.raises(FieldError) as caught:
            parse_percent(text)
        assert caught.value.reason is RejectReason.INVALID_DECIMAL


def test_long_fields_and_rows_of_the_wrong_shape_are_rejects(tmp_path: Path) -> None:
    path = tmp_path / "products.csv"
    path.write_text(
        "product_code,name,category\nP1,存款,deposit\nP2,贷款\nP3,x,y,z\n"
        f"P4,{'长' * 300},loan\n\nP5,理财,wealth\n",
        encoding="utf-8",
    )
    source = InputFile("products", path, "csv", "utf-8")
    result = validate_rows(CONTRACT["products"], iter_rows(source), max_field_chars=256)
    assert [r["product_code"] for r in result.records] == ["P1", "P5"]
    assert [(r.row, r.field, r.reason) for r in result.rejects] == [
        (3, "", RejectReason.WRONG_FIELD_COUNT),
        (4, "", RejectReason.WRONG_FIELD_COUNT),
        (5, "name", RejectReason.FIELD_TOO_LONG),
    ]
    assert result.read == 5


def test_a_field_past_the_csv_module_default_is_read_and_rejected(tmp_path: Path) -> None:
    """The csv module stops at 128 KiB fields by default: one field aborted the load."""
    path = tmp_path / "products.csv"
    path.write_text(f"product_code,name,category\nP1,{'x' * 200_000},c\n", encoding="utf-8")
    source = InputFile("products", path, "csv", "utf-8")
    result = validate_rows(CONTRACT["products"], iter_rows(source))
    assert [(r.field, r.reason) for r in result.rejects] == [("name", RejectReason.FIELD_TOO_LONG)]


def test_a_line_past_the_line_bound_is_one_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "products.csv"
    path.write_text(f"product_code,name,category\nP1,{'x' * 2_000_000},c\n", encoding="utf-8")
    source = InputFile("products", path, "csv", "utf-8")
    with pytest.raises(InputValidationError, match=r"products\.csv") as caught:
        list(iter_rows(source, max_line=1024 * 1024))
    assert len(str(caught.value)) < 500


@pytest.mark.parametrize(
    ("content", "has_rows"),
    [
        (b"", False),
        (b"product_code,name,category\n", False),
        (b"product_code,name,category\n\n , ,\n", False),
        (b"product_code,name,category\nP1,a,b\n", True),
    ],
)
def test_empty_files_have_no_rows(tmp_path: Path, content: bytes, has_rows: bool) -> None:
    path = tmp_path / "products.csv"
    path.write_bytes(content)
    assert has_data_rows(InputFile("products", path, "csv", "utf-8")) is has_rows
