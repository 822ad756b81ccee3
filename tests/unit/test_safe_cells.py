"""The one export cell rule: no formula, no character xlsx cannot hold (pure)."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from openpyxl import Workbook, load_workbook  # type: ignore[import-untyped]

from core.spreadsheet import FORMULA_TRIGGERS, safe_cell, safe_row


@pytest.mark.parametrize(
    "hostile",
    ['=HYPERLINK("http://x","y")', "+cmd|' /C calc'!A0", "-1+1", "@SUM(1+1)", "\t=1", "\r=1"],
)
def test_formula_cells_get_a_leading_quote(hostile: str) -> None:
    assert safe_cell(hostile) == "'" + hostile


def test_illegal_characters_go_before_the_formula_check() -> None:
    assert safe_cell("\x00=1+1") == "'=1+1"
    assert safe_cell("华信\x00\x0b有限公司") == "华信有限公司"
    assert safe_cell("第一行\n第二行") == "第一行\n第二行"  # a line feed is legal


def test_numbers_and_plain_text_are_unchanged() -> None:
    row = [-5, Decimal("-1.50"), 0.25, None, "A-1", "北京华信", ""]
    assert safe_row(row) == row


def test_every_safe_cell_opens_as_text_in_openpyxl() -> None:
    cells = ["=1+1", "+1", "-1", "@A1", "\t=1", "\x00=1", "＝1+1", "ok"]
    book = Workbook(write_only=True)
    sheet = book.create_sheet("x")
    sheet.append(safe_row(cells))
    out = io.BytesIO()
    book.save(out)
    read = load_workbook(io.BytesIO(out.getvalue())).active
    values = [c for c in next(read.iter_rows())]
    assert all(c.data_type == "s" for c in values)
    assert not any(str(c.value).startswith(FORMULA_TRIGGERS) for c in values)
