"""Exports: formula cells neutralised, unwritable characters dropped, Excel niceties present."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal

import openpyxl  # type: ignore[import-untyped]
import pytest

from services.exports import Column, Table, content_disposition, file_name, to_csv, to_xlsx

pytestmark = pytest.mark.unit

TABLE = Table(
    "Prospects",
    (Column("Rank", "integer", 8), Column("Company name", "text", 36), Column("Score", "score")),
)
HOSTILE = [
    '=HYPERLINK("http://evil.example","点我")',
    "+cmd|' /C calc'!A0",
    "-1+1",
    "@SUM(1+1)",
    "\tTAB",
    "\rCR",
    "名称\x00带空字符\x07",
]


def _rows() -> list[list[int | str | Decimal | None]]:
    return [[i + 1, name, Decimal("-0.5")] for i, name in enumerate(HOSTILE)]


def test_csv_cells_never_start_a_formula() -> None:
    data = to_csv(TABLE, _rows(), "zh")
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0] == ["排名", "企业名称", "评分"]
    names = [r[1] for r in rows[1:]]
    assert all(not n.startswith(("=", "+", "-", "@", "\t", "\r")) for n in names)
    assert names[0] == "'" + HOSTILE[0]
    assert names[-1] == "名称带空字符"
    assert [r[2] for r in rows[1:]] == ["-0.5"] * len(HOSTILE)  # numbers stay numbers


def test_xlsx_holds_hostile_names_as_text_with_a_frozen_filtered_header() -> None:
    book = openpyxl.load_workbook(io.BytesIO(to_xlsx(TABLE, _rows(), "en")))
    sheet = book.worksheets[0]
    assert sheet.title == "Prospects"
    assert [c.value for c in sheet[1]] == ["Rank", "Company name", "Score"]
    names = [sheet.cell(row=r, column=2) for r in range(2, len(HOSTILE) + 2)]
    assert all(
        c.data_type == "s" and not str(c.value).startswith(("=", "+", "-", "@")) for c in names
    )
    assert names[-1].value == "名称带空字符"
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == f"A1:C{len(HOSTILE) + 1}"
    assert sheet.column_dimensions["B"].width == 36
    assert sheet.cell(row=2, column=3).number_format == "0.00"
    assert sheet.cell(row=2, column=3).value == -0.5


def test_a_row_of_the_wrong_shape_or_text_in_a_number_column_is_refused() -> None:
    with pytest.raises(ValueError, match="3 columns"):
        to_csv(TABLE, [[1, "甲"]], "zh")
    with pytest.raises(ValueError, match="numbers"):
        to_xlsx(TABLE, [["=1+1", "甲", Decimal(1)]], "zh")


def test_file_names_carry_what_scope_and_date() -> None:
    name = file_name("潜在客户", "北京/朝阳 支行", date(2026, 12, 1), "xlsx")
    assert name == "潜在客户_北京-朝阳-支行_20261201.xlsx"
    header = content_disposition(name)
    assert header.startswith('attachment; filename="')
    assert "filename*=UTF-8''%E6%BD%9C" in header
    assert header.isascii()


def test_prospect_export_headers_are_distinct_in_both_languages() -> None:
    from services.prospects import PROSPECT_TABLE

    for language in ("zh", "en"):
        headers = PROSPECT_TABLE.headers(language)
        assert len(set(headers)) == len(headers), headers
    assert "关联客户数得分" in PROSPECT_TABLE.headers("zh")
