"""One way to answer with a file: an export :class:`~services.exports.Table` as CSV or xlsx."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any, Final, Literal

from fastapi.responses import Response

from core.formatting import Language
from core.i18n import gettext
from graph.branches import read_branches
from graph.database import Database
from services.exports import (
    XLSX_MEDIA_TYPE,
    Cell,
    Table,
    content_disposition,
    file_name,
    to_csv,
    to_xlsx,
)

ExportFormat = Literal["csv", "xlsx"]

#: What an export endpoint declares for its 200 answer in OpenAPI.
FILE_RESPONSES: Final[dict[int | str, dict[str, Any]]] = {
    200: {
        "content": {
            "text/csv": {"schema": {"type": "string"}},
            XLSX_MEDIA_TYPE: {"schema": {"type": "string", "format": "binary"}},
        }
    }
}


def scope_name(db: Database, branch_id: str) -> str:
    """The branch's name for a file name (its id if the branch has no name)."""
    names = {b.branch_id: b.name for b in read_branches(db)}
    return names.get(branch_id) or branch_id


def table_file(
    table: Table,
    rows: Iterable[Sequence[Cell]],
    *,
    what: str,
    scope: str,
    export_format: ExportFormat,
    language: Language,
) -> Response:
    """``rows`` as a download named ``<what>_<scope>_<date>`` (``what`` a catalogue msgid)."""
    name = file_name(gettext(language, what), scope, date.today(), export_format)
    headers = {"Content-Disposition": content_disposition(name)}
    if export_format == "xlsx":
        return Response(to_xlsx(table, rows, language), media_type=XLSX_MEDIA_TYPE, headers=headers)
    return Response(
        to_csv(table, rows, language), media_type="text/csv; charset=utf-8", headers=headers
    )
