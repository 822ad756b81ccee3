"""The audit trail of exports: one ``(:ExportAudit)`` node per file handed out."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Final, LiteralString

from .database import Database

WRITE_EXPORT_AUDIT: Final[LiteralString] = """
CREATE (:ExportAudit {export_id: randomUUID(), kind: $kind, user_id: $user_id, at: $at,
                      format: $format, filters: $filters, row_count: $rows})
"""


def record_export(
    db: Database,
    *,
    kind: str,
    user_id: str,
    export_format: str,
    filters: Mapping[str, object],
    rows: int,
) -> None:
    """Record that ``user_id`` exported ``rows`` rows of ``kind`` with these filters (JSON)."""
    db.write(
        WRITE_EXPORT_AUDIT,
        {
            "kind": kind,
            "user_id": user_id,
            "at": datetime.now(UTC),
            "format": export_format,
            "filters": json.dumps(
                {k: v for k, v in filters.items() if v is not None},
                sort_keys=True,
                ensure_ascii=False,
                default=str,
            ),
            "rows": rows,
        },
    )
