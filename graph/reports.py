"""Head-office and branch reports: event monitoring and segment migration.

Both are branch-scoped. Event counts group by the booking branch of the
customer the event is about; "unhandled" means ``new`` or ``acknowledged``; the
actioned rate is ``actioned / total``.
"""

from __future__ import annotations

import time
from collections import defaultdict
from datetime import date
from typing import Any, Final, LiteralString

from core.codes import EVENT_TYPES, SEGMENT_ORDER, SEVERITIES, STATUSES
from core.money import from_minor_units

from .branches import BranchScope, scope_predicate
from .compute_runs import EVENT_PUBLISHED, published_runs
from .database import Database

#: Ageing buckets of unhandled events, by whole days since detection: (label, max days).
AGE_BUCKETS: Final[tuple[tuple[str, int | None], ...]] = (
    ("0-7d", 7),
    ("8-30d", 30),
    ("31-90d", 90),
    (">90d", None),
)
UNHANDLED: Final[frozenset[str]] = frozenset({"new", "acknowledged"})

EVENT_ROWS: Final[LiteralString] = (
    "MATCH (e:Event)-[:ABOUT]->(c:Company) WHERE " + scope_predicate("c") + " "
    "AND " + EVENT_PUBLISHED + " "
    "AND ($branch_ids IS NULL OR c.branch_id IN $branch_ids) "
    "RETURN c.branch_id AS branch_id, e.type AS type, e.severity AS severity, "
    "e.status AS status, e.created_ms AS created_ms"
)
SEGMENT_AT: Final[LiteralString] = (
    "MATCH (c:Customer)-[:HAS_SEGMENT]->(s:SegmentSnapshot) WHERE " + scope_predicate("c") + " "
    "AND s.as_of <= date($on) "
    "WITH c, s ORDER BY s.as_of DESC "
    "WITH c, collect(s.segment)[0] AS segment "
    "RETURN c.company_id AS customer_id, segment"
)
EXPOSURE: Final[LiteralString] = (
    "MATCH (c:Customer)-[:HAS_FACILITY]->(f:Facility) WHERE c.company_id IN $ids "
    "RETURN c.company_id AS customer_id, f.currency AS currency, "
    "sum(coalesce(f.outstanding_minor, 0)) AS outstanding_minor"
)


def _bucket(age_days: float) -> str:
    for label, limit in AGE_BUCKETS:
        if limit is None or age_days <= limit:
            return label
    return AGE_BUCKETS[-1][0]


def _counts() -> dict[str, Any]:
    return {
        "total": 0,
        "by_type": dict.fromkeys(EVENT_TYPES, 0),
        "by_severity": dict.fromkeys(SEVERITIES, 0),
        "by_status": dict.fromkeys(STATUSES, 0),
        "unhandled_ageing": {label: 0 for label, _ in AGE_BUCKETS},
    }


def _add(counts: dict[str, Any], row: dict[str, Any], now_ms: int) -> None:
    counts["total"] += 1
    for key, field in (("by_type", "type"), ("by_severity", "severity"), ("by_status", "status")):
        counts[key][row[field]] = counts[key].get(row[field], 0) + 1
    if row["status"] in UNHANDLED:
        age = (now_ms - int(row["created_ms"] or now_ms)) / 86_400_000
        counts["unhandled_ageing"][_bucket(age)] += 1


def _rate(counts: dict[str, Any]) -> None:
    total = counts["total"]
    counts["actioned_rate"] = round(counts["by_status"]["actioned"] / total, 4) if total else 0.0


def events_report(
    db: Database, scope: BranchScope, branch_ids: list[str] | None = None
) -> dict[str, Any]:
    """Counts by type, severity and status per branch and in all, ageing, actioned rate."""
    now_ms = int(time.time() * 1000)
    rows = db.read(
        EVENT_ROWS,
        {
            **scope.parameters(),
            "branch_ids": branch_ids,
            "event_run": published_runs(db, ("events",)).events,
        },
    )
    overall = _counts()
    per_branch: dict[str, dict[str, Any]] = defaultdict(_counts)
    for row in rows:
        _add(overall, row, now_ms)
        _add(per_branch[str(row["branch_id"] or "")], row, now_ms)
    _rate(overall)
    branches = []
    for branch_id, counts in sorted(per_branch.items()):
        _rate(counts)
        branches.append({"branch_id": branch_id, **counts})
    return {"overall": overall, "branches": branches}


def events_report_csv_rows(report: dict[str, Any]) -> list[list[Any]]:
    """Long-format rows: branch, dimension, key, value (``ALL`` is the overall line)."""
    out: list[list[Any]] = [["branch_id", "dimension", "key", "value"]]
    for branch_id, counts in [("ALL", report["overall"])] + [
        (b["branch_id"], b) for b in report["branches"]
    ]:
        out.append([branch_id, "total", "", counts["total"]])
        for dim in ("by_type", "by_severity", "by_status", "unhandled_ageing"):
            out.extend([branch_id, dim, k, v] for k, v in counts[dim].items())
        out.append([branch_id, "actioned_rate", "", counts["actioned_rate"]])
    return out


def segment_migration(
    db: Database, scope: BranchScope, from_date: date, to_date: date
) -> dict[str, Any]:
    """Transition matrix of customer segments between two dates, with counts and exposure.

    A customer's segment on a date is its latest snapshot on or before it; customers
    without a snapshot on either date are left out. Exposure is the customers'
    current outstanding, exact per currency.
    """
    params = scope.parameters()
    before = {
        str(r["customer_id"]): r["segment"]
        for r in db.read(SEGMENT_AT, {**params, "on": from_date.isoformat()})
    }
    after = {
        str(r["customer_id"]): r["segment"]
        for r in db.read(SEGMENT_AT, {**params, "on": to_date.isoformat()})
    }
    both = sorted(set(before) & set(after))
    exposure: dict[str, dict[str, int]] = defaultdict(dict)
    for r in db.read(EXPOSURE, {"ids": both}):
        exposure[str(r["customer_id"])][str(r["currency"])] = int(r["outstanding_minor"])
    cells: dict[tuple[str, str], dict[str, Any]] = {}
    for customer in both:
        key = (str(before[customer]), str(after[customer]))
        cell = cells.setdefault(key, {"count": 0, "minor": defaultdict(int)})
        cell["count"] += 1
        for currency, minor in exposure[customer].items():
            cell["minor"][currency] += minor
    segments = list(SEGMENT_ORDER) + sorted(
        {s for pair in cells for s in pair} - set(SEGMENT_ORDER)
    )
    matrix = []
    for s_from in segments:
        for s_to in segments:
            found = cells.get((s_from, s_to))
            if found is None:
                continue
            matrix.append(
                {
                    "from": s_from,
                    "to": s_to,
                    "count": found["count"],
                    "exposure": [
                        {"amount": str(from_minor_units(v, cur)), "currency": cur}
                        for cur, v in sorted(found["minor"].items())
                    ],
                }
            )
    rank = {s: i for i, s in enumerate(segments)}
    moved = [c for c in matrix if c["from"] != c["to"]]
    return {
        "from": from_date.isoformat(),
        "to": to_date.isoformat(),
        "segments": segments,
        "customers": len(both),
        "upgraded": sum(c["count"] for c in moved if rank[c["to"]] < rank[c["from"]]),
        "downgraded": sum(c["count"] for c in moved if rank[c["to"]] > rank[c["from"]]),
        "matrix": matrix,
    }
