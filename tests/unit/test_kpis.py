"""KPIs without a database: the registry, the exact roll-up, decomposition, the targets file."""

from __future__ import annotations

import dataclasses
import json
import random
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from fractions import Fraction

import pytest

from algorithms.kpis import Contribution, contributions, decompose, roll_up
from core.errors import InputValidationError
from core.kpis import METRIC_CODES, METRICS, Rollup, display_value, parse_period
from core.money import FxRate
from graph.activities import ActivityFact
from graph.kpis import (
    CustomerFact,
    EventFact,
    KpiFacts,
    OpportunityFact,
    Position,
    StatusChange,
    _history,
)
from loaders.contract import CONTRACT
from loaders.validation import validate_rows

pytestmark = pytest.mark.unit
#: The dimensions whose categories add up to a total (category None).
TOTALLED = ("product_category", "activity_kind")


# --- decomposition --------------------------------------------------------------------------
@pytest.mark.parametrize("seed", range(40))
def test_a_decomposed_target_sums_back_exactly_and_stays_within_one_of_its_quota(
    seed: int,
) -> None:
    rng = random.Random(seed)
    for _ in range(50):
        count = rng.randint(1, 12)
        weights = {
            f"u{i:02d}": rng.choice([0, 0, 1, rng.randint(0, 10 ** rng.randint(1, 15))])
            for i in range(count)
        }
        total = rng.choice([0, 1, rng.randint(0, 10 ** rng.randint(1, 18))])
        parts = decompose(total, weights)
        assert set(parts) == set(weights)
        assert sum(parts.values()) == total
        assert all(p >= 0 for p in parts.values())
        whole = sum(weights.values())
        for key, part in parts.items():
            quota = Fraction(total * weights[key], whole) if whole else Fraction(total, count)
            assert abs(part - quota) < 1, (key, part, quota)


def test_decomposition_is_deterministic_and_refuses_nonsense() -> None:
    assert decompose(10, {"b": 1, "a": 1, "c": 1}) == {"a": 4, "b": 3, "c": 3}
    assert decompose(10, {"b": 1, "a": 1, "c": 1}) == decompose(10, {"c": 1, "a": 1, "b": 1})
    assert decompose(5, {"x": 0, "y": 3}) == {"x": 0, "y": 5}
    for total, weights in ((-1, {"a": 1}), (1, {"a": -1}), (1, {})):
        with pytest.raises(InputValidationError):
            decompose(total, weights)


# --- roll-up --------------------------------------------------------------------------------
def _random_tree(rng: random.Random) -> dict[str, str | None]:
    parents: dict[str, str | None] = {"HO": None}
    for number in range(rng.randint(1, 15)):
        parents[f"B{number}"] = rng.choice(list(parents))
    return parents


@pytest.mark.parametrize("seed", range(20))
def test_every_branch_is_its_direct_book_plus_its_children(seed: int) -> None:
    rng = random.Random(seed)
    parents = _random_tree(rng)
    branches = [*parents, None, "UNKNOWN"]
    rms = ["R1", "R2", "R3", None]
    items = []
    for _ in range(rng.randint(0, 300)):
        code = rng.choice(METRIC_CODES)
        category = {
            "product_category": rng.choice(["deposit", "loan"]),
            "activity_kind": rng.choice(["visit", "call"]),
            "stage": "won",
        }.get(str(METRICS[code].dimension))
        items.append(
            Contribution(
                code,
                category,
                rng.choice(branches),
                rng.choice(rms),
                rng.randint(0, 10**12),
                rng.randint(1, 5),  # a mean's contribution always counts something
            )
        )
    table = roll_up(items, parents, date(2025, 12, 31))
    children: dict[str, list[str]] = {b: [] for b in parents}
    for branch, parent in parents.items():
        if parent is not None:
            children[parent].append(branch)
    keys = {(code, cat) for (_t, _i, code, cat) in table.values}
    for code, category in keys:
        for branch in parents:
            value = table.value("branch", branch, code, category)
            direct = table.direct.get(("branch", branch, code, category))
            parts = [table.value("branch", c, code, category) for c in children[branch]]
            if direct is not None:
                parts.append(direct)
            assert value.numerator == sum(p.numerator for p in parts)
            assert value.denominator == sum(p.denominator for p in parts)
            if METRICS[code].rollup is Rollup.WEIGHTED_MEAN and value.denominator:
                weighted = sum(
                    (
                        Fraction(p.numerator, p.denominator) * p.denominator
                        for p in parts
                        if p.denominator
                    ),
                    Fraction(0),
                )
                assert Fraction(value.numerator, value.denominator) == weighted / value.denominator
        # the head office holds everything booked at a known branch, and nothing else
        booked = [i for i in items if i.metric == code and i.branch_id in parents]
        matching = [
            i
            for i in booked
            if i.category == category or (category is None and METRICS[code].dimension in TOTALLED)
        ]
        assert table.value("branch", "HO", code, category).numerator == sum(
            i.numerator for i in matching
        )
        for rm in ("R1", "R2", "R3"):
            mine = [
                i
                for i in items
                if i.metric == code
                and i.rm_id == rm
                and (
                    i.category == category
                    or (category is None and METRICS[code].dimension in TOTALLED)
                )
            ]
            assert table.value("rm", rm, code, category).numerator == sum(i.numerator for i in mine)


# --- contributions from facts ---------------------------------------------------------------
def _at(day: date, hour: int = 9) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def _facts(on: date) -> KpiFacts:
    usd = FxRate("USD", date(2025, 6, 30), Decimal("7.1"))
    later_usd = FxRate("USD", date(2025, 12, 31), Decimal("7.0"))
    d = date(2025, 9, 1)
    return KpiFacts(
        on=on,
        holdings=(
            Position("C1", "BJ", "R1", "DEP-CUR", "deposit", "CNY", 100_00),
            Position("C1", "BJ", "R1", "DEP-TIME", "deposit", "USD", 10_01),
            Position("C2", "SH", "R2", "DEP-CUR", "deposit", "JPY", 500),
        ),
        facilities=(Position("C1", "BJ", "R1", "LN-WC", "loan", "CNY", 5_00),),
        customers=(
            CustomerFact("C1", "BJ", "R1", date(2020, 1, 1)),
            CustomerFact("C2", "SH", "R2", None),
            CustomerFact("C3", "SH", "R2", date(2026, 1, 1)),
        ),
        rates=(usd, later_usd),
        opportunities=(
            OpportunityFact(
                "O1",
                "BJ",
                "R1",
                1_000_00,
                "USD",
                _at(d),
                (StatusChange("proposal", _at(d, 10)), StatusChange("won", _at(d + timedelta(5)))),
            ),
            OpportunityFact(
                "O2", "BJ", "R1", None, None, _at(d), (StatusChange("contacted", _at(d, 11)),)
            ),
        ),
        events=(
            EventFact("E1", "BJ", "R1", _at(d), (StatusChange("acknowledged", _at(d, 11)),)),
            EventFact(
                "E2",
                "BJ",
                "R1",
                _at(d),
                (StatusChange("acknowledged", _at(d, 10)), StatusChange("actioned", _at(d, 12))),
            ),
            EventFact("E3", "SH", "R2", _at(date(2026, 2, 1)), ()),
        ),
    )


def test_contributions_follow_the_definitions_at_the_date() -> None:
    on = date(2025, 9, 30)
    table = roll_up(contributions(_facts(on)), {"HO": None, "BJ": "HO", "SH": "HO"}, on)

    def value(unit: str, code: str, category: str | None = None) -> tuple[int, int]:
        agg = table.value("branch", unit, code, category)
        return agg.numerator, agg.denominator

    # 100.00 CNY + 10.01 USD at the 2025-06-30 rate (the one in force): 171.071 → 171.07
    assert value("BJ", "holding_balance", "deposit")[0] == 171_07
    assert table.value("branch", "SH", "holding_balance", None).no_rate[0].currency == "JPY"
    assert value("HO", "facility_outstanding")[0] == 5_00
    assert value("HO", "customers")[0] == 2  # C3 begins in 2026
    assert value("BJ", "products_per_customer") == (2, 1)
    assert value("BJ", "opportunities_won")[0] == 1
    assert value("BJ", "opportunities_won_amount")[0] == 7_100_00
    assert value("BJ", "stage_conversion", "contacted") == (2, 2)  # proposal skips contacted
    assert value("BJ", "stage_conversion", "proposal") == (1, 2)
    assert value("BJ", "stage_conversion", "won") == (1, 1)
    assert value("BJ", "event_response_hours") == (2 * 3600 + 3600, 2)
    assert value("HO", "events_actioned_share") == (1, 2)  # E3 is detected later
    earlier = date(2025, 9, 3)
    table = roll_up(contributions(_facts(earlier)), {"HO": None, "BJ": "HO", "SH": "HO"}, earlier)
    assert table.value("branch", "BJ", "opportunities_won", None).numerator == 0
    assert table.value("branch", "BJ", "stage_conversion", "won").denominator == 1


def test_histories_are_read_in_time_order() -> None:
    raw = [
        json.dumps({"from": "a", "to": "actioned", "at": "2025-09-01T12:00:00+00:00"}),
        json.dumps({"from": "new", "to": "acknowledged", "at": "2025-09-01T10:00:00Z"}),
    ]
    assert [c.to for c in _history(raw)] == ["acknowledged", "actioned"]


# --- registry, periods, values --------------------------------------------------------------
def test_the_registry_defines_every_metric_once_with_a_unit_and_a_rollup() -> None:
    assert len(set(METRIC_CODES)) == len(METRIC_CODES) >= 9
    for definition in METRICS.values():
        assert definition.name
        assert definition.description
        money_like = definition.unit in ("money", "count")
        assert (definition.rollup is Rollup.SUM) == money_like, definition.code


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("2026", date(2026, 1, 1), date(2026, 12, 31)),
        ("2024-q1", date(2024, 1, 1), date(2024, 3, 31)),
        ("2024-02", date(2024, 2, 1), date(2024, 2, 29)),
    ],
)
def test_periods(text: str, start: date, end: date) -> None:
    period = parse_period(text)
    assert (period.start, period.end) == (start, end)


@pytest.mark.parametrize("text", ["2026-13", "26", "2026-Q5", "2026/01", ""])
def test_bad_periods_are_refused(text: str) -> None:
    with pytest.raises(InputValidationError):
        parse_period(text)


def test_display_values_are_in_the_metric_unit() -> None:
    assert display_value(METRICS["customers"], 7, 7) == Decimal(7)
    assert display_value(METRICS["products_per_customer"], 5, 2) == Decimal("2.5000")
    assert display_value(METRICS["stage_conversion"], 2, 3) == Decimal("66.6667")


# --- the targets file -----------------------------------------------------------------------
def test_targets_rows_are_validated_against_their_metric() -> None:
    header = ("scope_type", "scope_id", "metric", "category", "period", "target_value")
    rows = [
        ("branch", "BJ", "customers", "", "2026", "120"),  # good
        ("rm", "R1", "holding_balance", "deposit", "2026-q1", "1,000,000.50"),  # good
        ("branch", "BJ", "customers", "", "2026", "12.5"),  # a count with decimals
        ("branch", "BJ", "customers", "deposit", "2026", "12"),  # no categories
        ("branch", "BJ", "customers", "", "2026-13", "12"),  # bad period
        ("branch", "BJ", "nonsense", "", "2026", "12"),  # unknown metric
        ("team", "BJ", "customers", "", "2026", "12"),  # unknown scope type
        ("branch", "BJ", "holding_balance", "", "2027", "1.001"),  # 3 decimals
    ]
    result = validate_rows(
        CONTRACT["targets"],
        [(n, dict(zip(header, row, strict=True))) for n, row in enumerate(rows, start=2)],
    )
    assert [r["period"] for r in result.records] == ["2026", "2026-Q1"]
    assert [(r.row, r.reason.value) for r in result.rejects] == [
        (4, "invalid_decimal"),
        (5, "out_of_range"),
        (6, "invalid_date"),
        (7, "invalid_enum"),
        (8, "invalid_enum"),
        (9, "invalid_decimal"),
    ]


# --- customers won and lost, activities, stage moves (issue 15, T14) ------------------------
def test_customers_won_and_lost_activities_and_advances_count_to_the_date() -> None:
    d = date(2025, 9, 1)
    facts = KpiFacts(
        on=date(2025, 9, 30),
        holdings=(),
        facilities=(),
        customers=(
            CustomerFact("C1", "BJ", "R1", date(2020, 1, 1)),
            CustomerFact("C2", "SH", "R2", None),  # always a customer, never "won"
            CustomerFact("C3", "SH", "R2", date(2025, 9, 30), None),
            CustomerFact("C4", "BJ", "R1", date(2019, 5, 1), date(2025, 3, 1)),  # lost
            CustomerFact("C5", "BJ", "R1", date(2019, 5, 1), date(2025, 10, 1)),  # lost later
        ),
        rates=(),
        opportunities=(
            OpportunityFact(
                "O1",
                "BJ",
                "R1",
                None,
                None,
                _at(d),
                (
                    StatusChange("identified", _at(d)),
                    StatusChange("proposal", _at(d, 10)),
                    StatusChange("contacted", _at(d, 11)),  # back: not an advance
                    StatusChange("proposal", _at(d, 12)),
                    StatusChange("won", _at(date(2025, 10, 2))),  # after the date
                ),
            ),
            OpportunityFact("O2", "SH", "R2", None, None, _at(d), (StatusChange("lost", _at(d)),)),
        ),
        events=(),
        activities=(
            ActivityFact("A1", "R1", "BJ", "visit", date(2025, 9, 30), None),
            ActivityFact("A2", "R1", "BJ", "call", date(2025, 1, 2), "O1"),
            ActivityFact("A3", "R1", "BJ", "note", date(2025, 1, 2), None),  # no contact
            ActivityFact("A4", "R2", "SH", "call", date(2025, 2, 2), None),
            ActivityFact("A5", "R2", "SH", "visit", date(2025, 10, 1), None),  # later
        ),
    )
    parents: dict[str, str | None] = {"HO": None, "BJ": "HO", "SH": "HO"}
    table = roll_up(contributions(facts), parents, facts.on)

    def value(scope_type: str, unit: str, code: str, category: str | None = None) -> int:
        return table.value(scope_type, unit, code, category).numerator

    assert value("branch", "HO", "new_customers_won") == 4  # C1, C3, C4, C5
    assert value("branch", "HO", "lost_customers") == 1  # C4
    assert value("branch", "HO", "customers") == 4  # C1, C2, C3, C5 (C4 lost)
    assert value("rm", "R1", "customers") == 2
    assert value("rm", "R1", "sales_activities") == 2
    assert value("rm", "R1", "sales_activities", "visit") == 1
    assert value("branch", "HO", "sales_activities") == 3
    assert value("branch", "SH", "sales_activities", "call") == 1
    assert value("branch", "BJ", "opportunities_advanced") == 2  # to proposal, proposal again
    assert value("branch", "SH", "opportunities_advanced") == 0
    later = roll_up(
        contributions(dataclasses.replace(facts, on=date(2025, 12, 31))),
        parents,
        date(2025, 12, 31),
    )
    assert later.value("branch", "HO", "lost_customers", None).numerator == 2
    assert later.value("branch", "BJ", "opportunities_advanced", None).numerator == 3
    assert later.value("branch", "HO", "sales_activities", None).numerator == 4


def test_activity_rows_are_validated() -> None:
    header = CONTRACT["activities"].column_names
    rows = [
        ("A1", "R1", "C1", "", "visit", "2025-03-01", "拜访"),  # good
        ("A2", "R1", "C1", "O9", "proposal_sent", "2025/03/02", ""),  # good
        ("A3", "R1", "C1", "", "lunch", "2025-03-01", ""),  # not a kind
        ("A4", "R1", "C1", "", "call", "2025-02-30", ""),  # no such day
        ("A5", "", "C1", "", "call", "2025-03-01", ""),  # no RM
        ("A1", "R1", "C1", "", "call", "2025-03-01", ""),  # the key again, other values
    ]
    result = validate_rows(
        CONTRACT["activities"],
        [(n, dict(zip(header, row, strict=True))) for n, row in enumerate(rows, start=2)],
    )
    assert [r["activity_id"] for r in result.records] == ["A1", "A2"]
    assert [(r.row, r.reason.value) for r in result.rejects] == [
        (4, "invalid_enum"),
        (5, "invalid_date"),
        (6, "missing_required"),
        (7, "duplicate_key"),
    ]


def test_a_holding_cannot_close_before_it_opened() -> None:
    header = CONTRACT["holdings"].column_names
    rows = [
        ("C1", "DEP", "1.00", "CNY", "2025-01-01", "2025-06-30"),
        ("C1", "LN", "1.00", "CNY", "2025-01-01", "2024-12-31"),
    ]
    result = validate_rows(
        CONTRACT["holdings"],
        [(n, dict(zip(header, row, strict=True))) for n, row in enumerate(rows, start=2)],
    )
    assert [(r.row, r.field, r.reason.value) for r in result.rejects] == [
        (3, "closed", "out_of_range")
    ]


def test_roll_up_keeps_unconverted_amounts_per_currency_up_the_tree() -> None:
    """Amounts without a rate add up per currency for the RM, the booking branch's
    direct book and every ancestor, and never mix with the converted numerator."""
    from core.money import Money

    parents = {"HO": None, "BJ": "HO", "BJ1": "BJ", "SH": "HO"}
    items = [
        Contribution("holding_balance", "deposit", "BJ1", "R1", 100, 1, (Money(5, "USD"),)),
        Contribution("holding_balance", "deposit", "BJ1", "R1", 50, 1, (Money(7, "USD"),)),
        Contribution("holding_balance", "deposit", "SH", "R2", 10, 1, (Money(3, "EUR"),)),
        Contribution("holding_balance", "loan", "BJ", None, 1, 1),
    ]
    table = roll_up(items, parents, date(2025, 12, 31))
    head = table.value("branch", "HO", "holding_balance", None)
    assert (head.numerator, head.denominator) == (161, 4)
    assert head.no_rate == (Money(3, "EUR"), Money(12, "USD"))
    assert table.value("branch", "BJ", "holding_balance", "deposit").no_rate == (Money(12, "USD"),)
    assert table.value("branch", "BJ", "holding_balance", "loan").no_rate == ()
    assert table.direct[("branch", "BJ", "holding_balance", "loan")].numerator == 1
    assert ("branch", "BJ", "holding_balance", "deposit") not in table.direct
    assert table.value("rm", "R1", "holding_balance", "deposit").no_rate == (Money(12, "USD"),)
    assert table.value("rm", "R2", "holding_balance", None).numerator == 10
