"""Cells that are safe to open in Excel: the one rule every CSV and xlsx export applies.

A spreadsheet runs a cell that starts with ``=``, ``+``, ``-`` or ``@`` as a formula,
and tab or carriage return can smuggle one in, so a company or payee named
``=HYPERLINK(...)`` would become a live link in a banker's workbook (CSV injection).
Following OWASP's guidance, such a text cell gets a leading single quote, which
spreadsheets show as text. The full-width forms (＝＋－＠), which Chinese input
methods type and some spreadsheet versions also accept, are treated the same way.

xlsx (XML 1.0) cannot hold NUL and most other C0 control characters; openpyxl
refuses them (and an export would fail), so they are removed, in CSV as well so that
both formats say the same.

Numbers are left alone: a negative amount is a number, not a formula.

Examples
--------
>>> safe_cell("=HYPERLINK(\\"http://x\\")")
'\\'=HYPERLINK("http://x")'
>>> safe_cell("华信\\x00有限公司"), safe_cell(-5), safe_cell("A-1")
('华信有限公司', -5, 'A-1')
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import cache
from typing import Final

#: First characters that make a spreadsheet read a cell as a formula (OWASP).
FORMULA_TRIGGERS: Final[tuple[str, ...]] = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")


@cache
def _illegal_characters() -> re.Pattern[str]:
    """openpyxl's own pattern, imported on first use (openpyxl is slow to import)."""
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE  # type: ignore[import-untyped]

    pattern: re.Pattern[str] = ILLEGAL_CHARACTERS_RE
    return pattern


def safe_cell(value: object) -> object:
    """``value`` as an export cell: text without illegal characters, never a formula."""
    if not isinstance(value, str):
        return value
    text: str = _illegal_characters().sub("", value)
    return "'" + text if text.startswith(FORMULA_TRIGGERS) else text


def safe_row(row: Iterable[object]) -> list[object]:
    """Every cell of ``row`` through :func:`safe_cell`."""
    return [safe_cell(value) for value in row]
