"""Plan targets: ``(:KpiTarget)`` nodes, from the ``targets`` file or the API.

A target is one value for one unit (a branch or an RM), one metric (and category),
and one period. Its key is those four together (``target_id``), so loading the same
file again, or posting the same target again, overwrites and creates nothing. The
value is kept as exact decimal text in the metric's display unit (yuan for money,
a count, a ratio, a percentage, hours): Neo4j has no decimal type.

A target is scoped by ``branch_id``: the branch itself, or the RM's branch.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Final, LiteralString

from .branches import BranchScope, scope_predicate
from .database import Database, Reader

#: Idempotent: one node per unit, metric, category and period.
UPSERT_TARGETS: Final[LiteralString] = """
UNWIND $rows AS row
OPTIONAL MATCH (m:RelationshipManager {rm_id: row.scope_id}) WHERE row.scope_type = 'rm'
MERGE (t:KpiTarget {target_id: row.target_id})
SET t.scope_type = row.scope_type, t.scope_id = row.scope_id,
    t.branch_id = CASE row.scope_type WHEN 'branch' THEN row.scope_id ELSE m.branch_id END,
    t.metric = row.metric, t.category = row.category, t.period = row.period,
    t.target_value = row.target_value, t.source = row.source, t.set_by = row.set_by,
    t.set_at = datetime(row.set_at), t.parent_target_id = row.parent_target_id
"""
LIST_TARGETS: Final[LiteralString] = (
    "MATCH (t:KpiTarget) WHERE "
    + scope_predicate("t")
    + " AND ($rm IS NULL OR (t.scope_type = 'rm' AND t.scope_id = $rm)) "
    "AND ($metric IS NULL OR t.metric = $metric) "
    "AND ($period IS NULL OR t.period = $period) "
    "RETURN t.target_id AS target_id, t.scope_type AS scope_type, t.scope_id AS scope_id, "
    "t.branch_id AS branch_id, t.metric AS metric, t.category AS category, "
    "t.period AS period, t.target_value AS target_value, t.source AS source, "
    "t.set_by AS set_by, toString(t.set_at) AS set_at, t.parent_target_id AS parent_target_id "
    "ORDER BY t.period, t.metric, t.scope_type, t.scope_id, coalesce(t.category, '')"
)


def target_id(
    scope_type: str, scope_id: str, metric: str, category: str | None, period: str
) -> str:
    """The key of a target: ``scope_type|scope_id|metric|category|period``."""
    return "|".join((scope_type, scope_id, metric, category or "", period))


@dataclass(frozen=True)
class Target:
    """One stored target."""

    target_id: str
    scope_type: str
    scope_id: str
    branch_id: str | None
    metric: str
    category: str | None
    period: str
    target_value: Decimal
    source: str
    set_by: str | None
    set_at: str | None
    parent_target_id: str | None = None


def target_row(target: Target) -> dict[str, Any]:
    """The parameter row :data:`UPSERT_TARGETS` writes."""
    return {
        "target_id": target.target_id,
        "scope_type": target.scope_type,
        "scope_id": target.scope_id,
        "metric": target.metric,
        "category": target.category,
        "period": target.period,
        "target_value": format(target.target_value, "f"),
        "source": target.source,
        "set_by": target.set_by,
        "set_at": target.set_at,
        "parent_target_id": target.parent_target_id,
    }


def write_targets(db: Database, targets: list[Target]) -> None:
    """Upsert targets (idempotent ``MERGE``\\s: a retried write completes the same set)."""
    db.write_rows(UPSERT_TARGETS, (target_row(t) for t in targets))


def list_targets(
    db: Reader,
    scope: BranchScope,
    *,
    rm: str | None = None,
    metric: str | None = None,
    period: str | None = None,
) -> list[Target]:
    """Targets of units in ``scope`` (only ``rm``'s own when given), in a stable order."""
    rows = db.read(
        LIST_TARGETS, {**scope.parameters(), "rm": rm, "metric": metric, "period": period}
    )
    return [
        Target(
            str(r["target_id"]),
            str(r["scope_type"]),
            str(r["scope_id"]),
            r["branch_id"],
            str(r["metric"]),
            r["category"],
            str(r["period"]),
            Decimal(str(r["target_value"])),
            str(r["source"] or ""),
            r["set_by"],
            r["set_at"],
            r["parent_target_id"],
        )
        for r in rows
    ]
