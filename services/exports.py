"""Tabular exports (CSV and xlsx) that a banker opens in Excel: one way for every list.

A :class:`Table` names its columns once: the header (an English ``msgid`` of the
message catalogue, so the file is in the reader's language), the kind of value, and
the width in Excel. :func:`to_csv` and :func:`to_xlsx` write the same rows:

- headers in the reader's language (Chinese by default);
- text cells through the one safe-cell rule (:func:`core.spreadsheet.safe_cell`:
  no formula, no character an xlsx cannot hold). A number column holds numbers,
  never text, so a negative amount stays a number;
- the xlsx has a frozen header row, filters on every column, column widths and
  number formats (scores with two decimals, amounts with thousands separators).

The file name carries what the file is, its scope and the date (:func:`file_name`),
and :func:`content_disposition` sends it with an ASCII fallback (RFC 6266).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Final, Literal
from urllib.parse import quote

from core.formatting import Language
from core.i18n import gettext, pgettext
from core.spreadsheet import safe_cell

#: How a column's values are written: text, or numbers with an Excel number format.
ColumnKind = Literal["text", "integer", "score", "amount"]
Cell = str | int | Decimal | None

#: The media type of an xlsx workbook.
XLSX_MEDIA_TYPE: Final = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
#: Excel number formats by column kind.
_NUMBER_FORMATS: Final[dict[ColumnKind, str]] = {
    "integer": "0",
    "score": "0.00",
    "amount": "#,##0.00",
}


@dataclass(frozen=True)
class Column:
    """One column: its header (a catalogue ``msgid``), the kind of value, the width."""

    header: str
    kind: ColumnKind = "text"
    #: Width in Excel character units.
    width: int = 14
    #: The code list whose code ``header`` is (``pgettext``), or ``None`` for plain text.
    context: str | None = None
    #: A catalogue template the code's name fills (``{name}``), e.g. ``"{name} (score)"``.
    template: str | None = None

    def title(self, language: Language) -> str:
        """The header in ``language``."""
        if self.context is None:
            return gettext(language, self.header)
        name = pgettext(language, self.context, self.header)
        return gettext(language, self.template).format(name=name) if self.template else name


@dataclass(frozen=True)
class Table:
    """What an export holds: a sheet name (a catalogue ``msgid``) and its columns."""

    sheet: str
    columns: tuple[Column, ...]

    def headers(self, language: Language) -> list[str]:
        """The column headers in ``language``."""
        return [column.title(language) for column in self.columns]


def _cells(table: Table, row: Sequence[Cell]) -> list[Cell]:
    if len(row) != len(table.columns):
        raise ValueError(f"a row of {len(row)} cells for {len(table.columns)} columns")
    cells: list[Cell] = []
    for column, value in zip(table.columns, row, strict=True):
        if value is None:
            cells.append(None)
        elif column.kind == "text":
            cells.append(str(safe_cell(str(value))))
        elif isinstance(value, str):
            raise ValueError(f"column {column.header!r} holds numbers, not {value!r}")
        else:
            cells.append(value)
    return cells


def to_csv(table: Table, rows: Iterable[Sequence[Cell]], language: Language) -> bytes:
    """CSV in UTF-8 with a BOM (Excel then reads Chinese correctly), CRLF line ends."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(table.headers(language))
    for row in rows:
        writer.writerow(["" if cell is None else cell for cell in _cells(table, row)])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def to_xlsx(table: Table, rows: Iterable[Sequence[Cell]], language: Language) -> bytes:
    """An xlsx workbook: frozen header, filters, widths and number formats."""
    # openpyxl takes a second or more to import; only an xlsx export needs it.
    from openpyxl import Workbook  # type: ignore[import-untyped]
    from openpyxl.styles import Font  # type: ignore[import-untyped]
    from openpyxl.utils import get_column_letter  # type: ignore[import-untyped]

    header_font = Font(bold=True)  # the header row stands out from the data
    book = Workbook()
    sheet = book.active
    sheet.title = str(safe_cell(gettext(language, table.sheet)))[:31]  # Excel's limit
    sheet.append(table.headers(language))
    count = 0
    for row in rows:
        sheet.append(_cells(table, row))
        count += 1
    for index, column in enumerate(table.columns, start=1):
        letter = get_column_letter(index)
        sheet.column_dimensions[letter].width = column.width
        number_format = _NUMBER_FORMATS.get(column.kind)
        if number_format is not None:
            for (cell,) in sheet.iter_rows(min_row=2, min_col=index, max_col=index):
                cell.number_format = number_format
        sheet.cell(row=1, column=index).font = header_font
    sheet.freeze_panes = "A2"
    last = get_column_letter(len(table.columns))
    sheet.auto_filter.ref = f"A1:{last}{count + 1}"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def file_name(what: str, scope: str, on: date, extension: Literal["csv", "xlsx"]) -> str:
    """``<what>_<scope>_<yyyymmdd>.<ext>``, safe as a file name on every system."""
    parts = [re.sub(r'[\\/:*?"<>|\s]+', "-", part).strip("-") for part in (what, scope)]
    return f"{'_'.join(p for p in parts if p)}_{on:%Y%m%d}.{extension}"


def content_disposition(name: str) -> str:
    """An ``attachment`` header with the UTF-8 name and an ASCII fallback (RFC 6266)."""
    fallback = name.encode("ascii", "replace").decode("ascii").replace("?", "_")
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name)}"
