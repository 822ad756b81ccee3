"""Opportunities imported with their stage history (the ``opportunity_history`` file).

The bank's CRM already holds opportunities and the dates they reached each stage;
loading them gives the stage history that tracking measures stage win probabilities
from (:mod:`algorithms.kpi_tracking`). Each becomes an ``(:Opportunity)`` like one
created in corpgraph — scoped by its customer's booking branch, owned by its RM, its
``history`` the same ``{from, to, by, at, reason}`` entries — with ``source``
``manual`` and ``created_by`` ``import``. Loading the file again overwrites the same
nodes (``MERGE`` on the id) and keeps their version and activities.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Final, LiteralString

UPSERT_OPPORTUNITY_HISTORY: Final[LiteralString] = """
UNWIND $rows AS row
MATCH (c:Company {company_id: row.company_id})
OPTIONAL MATCH (m:RelationshipManager {rm_id: row.rm_id})
MERGE (o:Opportunity {opportunity_id: row.opportunity_id})
SET o.company_id = row.company_id, o.company_name = c.name, o.is_customer = c:Customer,
    o.source = 'manual', o.source_id = null, o.product = row.product,
    o.amount_minor = row.amount_minor, o.currency = row.currency, o.stage = row.stage,
    o.owner_rm_id = row.rm_id, o.branch_id = coalesce(c.branch_id, m.branch_id),
    o.history = row.history, o.created_by = 'import',
    o.created_at = datetime(row.created_at), o.updated_at = datetime(row.updated_at),
    o.version = coalesce(o.version, 1), o.activities = coalesce(o.activities, [])
"""

#: The stages a history file dates, in pipeline order.
DATED_STAGES: Final = ("contacted", "proposal", "won", "lost")


def _at(day: date) -> str:
    # A stage dated by day is taken at noon Beijing time (04:00 UTC), inside the day
    # in either zone.
    return f"{day.isoformat()}T04:00:00+00:00"


def history_entries(created: date, stages: dict[str, date | None]) -> tuple[str, list[str]]:
    """The current stage and the stage history entries of one imported opportunity.

    Examples
    --------
    >>> stage, entries = history_entries(date(2025, 1, 2), {"contacted": date(2025, 1, 9),
    ...     "proposal": None, "won": None, "lost": date(2025, 2, 1)})
    >>> stage, [json.loads(e)["to"] for e in entries]
    ('lost', ['identified', 'contacted', 'lost'])
    """
    entries = [
        json.dumps(
            {"from": None, "to": "identified", "by": "import", "at": _at(created), "reason": None}
        )
    ]
    current = "identified"
    for stage in DATED_STAGES:
        day = stages.get(stage)
        if day is None:
            continue
        entries.append(
            json.dumps(
                {"from": current, "to": stage, "by": "import", "at": _at(day), "reason": None}
            )
        )
        current = stage
    return current, entries
