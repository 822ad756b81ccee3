"""Pure event detection on hand-made monthly flows (no Neo4j)."""

from __future__ import annotations

import pandas as pd
import pytest

from algorithms.events import (
    FLOW_COLUMNS,
    SNAPSHOT_COLUMNS,
    EventConfig,
    detect_flow_events,
    detect_segment_downgrades,
    diff_controllers,
    event_id,
    group_risk_events,
    month_axis,
    precision_recall,
)

MONTHS = [f"2025-{m:02d}" for m in range(1, 13)]


Row = tuple[str, str, str, str, int]


def _steady(customer: str, partners: dict[str, int], months: list[str] = MONTHS) -> list[Row]:
    """Alternating in/out lanes with a small deterministic wobble."""
    rows = []
    for i, month in enumerate(months):
        for j, (partner, amount) in enumerate(sorted(partners.items())):
            wobble = 1 + ((i + j) % 3 - 1) * 0.05
            direction = "out" if j % 2 == 0 else "in"
            rows.append((customer, partner, month, direction, int(amount * wobble)))
    return rows


def _frame(rows: list[Row]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=list(FLOW_COLUMNS))


def _types(frame: pd.DataFrame, config: EventConfig | None = None) -> set[tuple[str, str, str]]:
    return {(e.customer_id, e.type, e.month) for e in detect_flow_events(frame, config)}


PARTNERS = {"A": 100_000, "B": 80_000, "C": 60_000, "D": 50_000, "E": 40_000}


def test_a_steady_customer_has_no_event() -> None:
    assert _types(_frame(_steady("C1", PARTNERS))) == set()


@pytest.mark.parametrize("rule", ["ratio", "zscore"])
def test_large_outflow_against_own_baseline(rule: str) -> None:
    rows = _steady("C1", PARTNERS)
    rows.append(("C1", "A", "2025-07", "out", 1_000_000))
    events = detect_flow_events(_frame(rows), EventConfig(flow_rule=rule))  # type: ignore[arg-type]
    assert [(e.type, e.month) for e in events] == [("large_outflow", "2025-07")]
    event = events[0]
    assert float(event.evidence["ratio"] or 0) > 5
    assert int(event.evidence["baseline_minor"] or 0) > 0
    assert event.severity == "high"
    assert event.suggested_action == "retention_visit"
    assert event.counterparty_id == "A"


def test_large_inflow_is_its_own_type() -> None:
    rows = _steady("C1", PARTNERS)
    rows.append(("C1", "B", "2025-09", "in", 1_000_000))
    assert _types(_frame(rows)) == {("C1", "large_inflow", "2025-09")}
    (event,) = detect_flow_events(_frame(rows))
    assert event.counterparty_id == "B"  # the payer of the spike, not an outflow partner
    assert event.suggested_action == "cross_sell"


def test_counterparty_loss_needs_share_and_silence() -> None:
    partners = {"A": 300_000, "B": 80_000, "C": 60_000, "D": 50_000}
    rows = [r for r in _steady("C1", partners) if not (r[1] == "A" and r[2] >= "2025-08")]
    events = detect_flow_events(_frame(rows))
    assert [(e.type, e.month, e.counterparty_id) for e in events] == [
        ("counterparty_loss", "2025-08", "A")
    ]
    assert 0.5 < float(events[0].evidence["share"]) < 0.7  # type: ignore[arg-type]
    # A minor partner stopping is churn, not an event.
    rows = [r for r in _steady("C1", partners) if not (r[1] == "D" and r[2] >= "2025-08")]
    assert _types(_frame(rows)) == set()
    # One missing month at the very end is not yet a loss.
    rows = [r for r in _steady("C1", partners) if not (r[1] == "A" and r[2] == "2025-12")]
    assert _types(_frame(rows)) == set()


def test_new_major_counterparty() -> None:
    # The newcomer replaces the inflow partners B and D, so the totals stay level. B was
    # 24% of all flows but 62% of what the customer sold: losing its main buyer is an
    # event too; D (38% of sales) is not major.
    rows = [r for r in _steady("C1", PARTNERS) if not (r[1] in "BD" and r[2] >= "2025-06")]
    rows += [("C1", "NEW", m, "in", 130_000) for m in MONTHS[5:]]
    events = detect_flow_events(_frame(rows))
    assert [(e.type, e.month, e.counterparty_id) for e in events] == [
        ("counterparty_loss", "2025-06", "B"),
        ("new_major_counterparty", "2025-06", "NEW"),
    ]
    assert float(events[0].evidence["share"]) < 0.3 < 0.5 < float(events[0].evidence["side_share"])  # type: ignore[arg-type]
    # A single payment from a newcomer is not a relationship yet.
    rows = [*_steady("C1", PARTNERS), ("C1", "ONE", "2025-12", "in", 400000)]
    assert ("C1", "new_major_counterparty", "2025-12") not in _types(_frame(rows))


def test_dormancy_is_reported_at_the_first_silent_month() -> None:
    other = _steady("C2", PARTNERS)  # the data runs to December
    rows = [r for r in _steady("C1", PARTNERS) if r[2] <= "2025-08"] + other
    events = [e for e in detect_flow_events(_frame(rows)) if e.customer_id == "C1"]
    assert [(e.type, e.month) for e in events] == [("dormancy", "2025-09")]
    assert events[0].evidence["silent_months"] == 4
    # Two silent months are not dormancy with the default of three.
    rows = [r for r in _steady("C1", PARTNERS) if r[2] <= "2025-10"] + other
    assert _types(_frame(rows)) == set()


def test_event_ids_are_deterministic_and_detection_is_repeatable() -> None:
    rows = [*_steady("C1", PARTNERS), ("C1", "A", "2025-07", "out", 700000)]
    first = detect_flow_events(_frame(rows))
    again = detect_flow_events(_frame(list(reversed(rows))))
    assert [e.event_id for e in first] == [e.event_id for e in again]
    assert first[0].event_id == event_id("large_outflow", "C1", "2025-07")


def test_a_new_month_adds_only_its_own_event() -> None:
    rows = _steady("C1", PARTNERS) + _steady("C2", PARTNERS)
    before = {e.event_id for e in detect_flow_events(_frame(rows))}
    rows.append(("C1", "A", "2026-01", "out", 900_000))  # only C1 has January data
    after = detect_flow_events(_frame(rows))
    added = [e for e in after if e.event_id not in before]
    assert [(e.customer_id, e.type, e.month) for e in added] == [("C1", "large_outflow", "2026-01")]


def test_month_axis_crosses_years() -> None:
    assert month_axis("2025-12", "2026-01") == ["2025-12", "2026-01"]


def test_segment_downgrades_only() -> None:
    snaps = pd.DataFrame(
        [
            ("C1", "2025-03-31", "core"),
            ("C1", "2025-06-30", "growth"),
            ("C1", "2025-09-30", "core"),  # an upgrade: no event
            ("C2", "2025-03-31", "strategic"),
            ("C2", "2025-06-30", "core"),
            ("C3", "2025-03-31", "basic"),
        ],
        columns=list(SNAPSHOT_COLUMNS),
    )
    events = detect_segment_downgrades(snaps)
    assert [(e.customer_id, e.month, e.severity) for e in events] == [
        ("C1", "2025-06", "medium"),
        ("C2", "2025-06", "high"),
    ]


def test_controller_diff_and_group_spread() -> None:
    changes = diff_controllers({"C1": "P1", "C2": "P2", "C3": "P3"}, {"C1": "P9", "C2": "P2"}, "m")
    assert [(e.customer_id, e.evidence["from"], e.evidence["to"]) for e in changes] == [
        ("C1", "P1", "P9")
    ]
    spread = group_risk_events(
        changes, {"C1": ["group:G1", "circle:K1"], "C2": ["group:G1"], "C4": ["circle:K1"]}
    )
    assert sorted(e.customer_id for e in spread) == ["C2", "C4"]
    assert all(e.related == (changes[0].event_id,) for e in spread)
    # Cross-sell signals do not spread.
    rows = [*_steady("C1", PARTNERS), ("C1", "B", "2025-09", "in", 1000000)]
    inflow = detect_flow_events(_frame(rows))
    assert group_risk_events(inflow, {"C1": ["group:G1"], "C2": ["group:G1"]}) == []


def test_precision_recall() -> None:
    found = [("C1", "dormancy", "m"), ("C2", "dormancy", "m")]
    assert precision_recall(found, [("C1", "dormancy", "m")]) == (0.5, 1.0)


def test_dormancy_baseline_ignores_silent_months() -> None:
    # A quarterly payer that stops: its usual month is what it pays when it pays, not
    # the median with the silent months in (which would be 0 here).
    active = {"2025-01": 300_000, "2025-04": 500_000, "2025-07": 400_000}
    rows: list[Row] = [("C1", "S1", month, "out", amount) for month, amount in active.items()]
    rows += _steady("C2", PARTNERS)  # the data runs to December
    (event,) = [e for e in detect_flow_events(_frame(rows)) if e.customer_id == "C1"]
    assert (event.type, event.month) == ("dormancy", "2025-08")
    assert event.evidence["usual_monthly_minor"] == 400_000
