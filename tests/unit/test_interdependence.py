"""The economic-interdependence rule: shares of receipts and expenditures, months, supply links."""

from __future__ import annotations

import random
from fractions import Fraction

import pytest

from algorithms.interdependence import (
    Dependency,
    InterdependenceRule,
    MonthlyFlow,
    SupplyAmount,
    find_dependencies,
    percent_text,
    window_of,
)
from core.messages import render_sentences

YEAR = [f"2025-{m:02d}" for m in range(1, 13)]
RULE = InterdependenceRule(Fraction(1, 2), window_months=12, min_months=6, currency="CNY")
CUSTOMERS = frozenset({"SUP", "BIG", "SHOP"})


def monthly(
    payer: str, payee: str, amount: int, months: list[str], currency: str = "CNY"
) -> list[MonthlyFlow]:
    return [MonthlyFlow(payer, payee, m, currency, amount) for m in months]


def only(found: list[Dependency], dependent: str, counterparty: str) -> list[Dependency]:
    return [d for d in found if d.dependent_id == dependent and d.counterparty_id == counterparty]


def test_a_captive_supplier_depends_on_its_buyer_with_exact_evidence() -> None:
    flows = monthly("BIG", "SUP", 700_000_00, YEAR) + monthly("X", "SUP", 300_000_00, YEAR)
    [dep] = only(find_dependencies(flows, [], CUSTOMERS, RULE), "SUP", "BIG")
    assert (dep.direction, dep.basis) == ("receipts", "flows")
    assert dep.share == Fraction(7, 10)
    assert (dep.counterparty_minor, dep.total_minor) == (12 * 700_000_00, 12 * 1_000_000_00)
    assert (dep.months_observed, dep.months_above) == (12, 12)
    assert (dep.window_start, dep.window_end) == ("2025-01", "2025-12")
    assert "70%" in render_sentences(dep.explanation, "en")
    assert "70%" in render_sentences(dep.explanation, "zh")
    assert "12" in render_sentences(dep.explanation, "zh")
    assert not only(find_dependencies(flows, [], CUSTOMERS, RULE), "SUP", "X")


def test_a_share_exactly_at_the_threshold_counts_and_one_unit_below_does_not() -> None:
    at = monthly("BIG", "SUP", 500, YEAR) + monthly("X", "SUP", 500, YEAR)
    [dep] = only(find_dependencies(at, [], CUSTOMERS, RULE), "SUP", "BIG")
    assert dep.share == Fraction(1, 2)
    below = monthly("BIG", "SUP", 500, YEAR) + monthly("X", "SUP", 501, YEAR)
    assert only(find_dependencies(below, [], CUSTOMERS, RULE), "SUP", "BIG") == []


def test_silent_months_are_neither_observed_nor_above() -> None:
    active = YEAR[:7]  # a seasonal business: nothing from August on
    flows = monthly("BIG", "SUP", 900, active) + monthly("X", "SUP", 100, active)
    [dep] = only(find_dependencies(flows, [], CUSTOMERS, RULE), "SUP", "BIG")
    assert (dep.months_observed, dep.months_above) == (7, 7)
    too_short = monthly("BIG", "SUP", 900, YEAR[:5]) + monthly("X", "SUP", 100, YEAR[:5])
    assert only(find_dependencies(too_short, [], CUSTOMERS, RULE), "SUP", "BIG") == []


def test_one_lumpy_payment_is_not_a_dependency() -> None:
    flows = [*monthly("X", "SUP", 1000, YEAR), MonthlyFlow("BIG", "SUP", "2025-06", "CNY", 60000)]
    assert Fraction(60_000, 72_000) > RULE.share  # the window's share alone would say yes
    assert only(find_dependencies(flows, [], CUSTOMERS, RULE), "SUP", "BIG") == []


def test_the_share_must_hold_over_the_window_as_well_as_in_enough_months() -> None:
    # Above half in six months, but the window's share is below half.
    flows = monthly("BIG", "SUP", 600, YEAR[:6]) + monthly("X", "SUP", 400, YEAR[:6])
    flows += monthly("X", "SUP", 5_000, YEAR[6:])
    found = find_dependencies(flows, [], CUSTOMERS, RULE)
    assert only(found, "SUP", "BIG") == []
    # Above half over the window, but in five months only.
    flows = monthly("BIG", "SUP", 2_000, YEAR[:5]) + monthly("X", "SUP", 1_500, YEAR[:5])
    flows += monthly("BIG", "SUP", 400, YEAR[5:]) + monthly("X", "SUP", 600, YEAR[5:])
    from_big = sum(f.amount_minor for f in flows if f.payer_id == "BIG")
    assert Fraction(from_big, sum(f.amount_minor for f in flows)) > RULE.share
    assert only(find_dependencies(flows, [], CUSTOMERS, RULE), "SUP", "BIG") == []


def test_expenditures_make_a_buyer_depend_on_its_one_supplier() -> None:
    flows = monthly("SHOP", "MAKER", 800, YEAR) + monthly("SHOP", "RENT", 200, YEAR)
    [dep] = find_dependencies(flows, [], CUSTOMERS, RULE)
    assert (dep.dependent_id, dep.counterparty_id, dep.direction) == (
        "SHOP",
        "MAKER",
        "expenditures",
    )
    assert dep.share == Fraction(4, 5)
    assert "expenditures" in render_sentences(dep.explanation, "en")
    assert "支出" in render_sentences(dep.explanation, "zh")


def test_only_customers_can_depend_but_on_anyone() -> None:
    # A non-customer paid only by one customer: the bank sees only that part of its business.
    flows = monthly("BIG", "OUTSIDER", 1_000, YEAR) + monthly("BIG", "SUP", 10, YEAR)
    found = find_dependencies(flows, [], CUSTOMERS, RULE)
    assert [(d.dependent_id, d.counterparty_id, d.direction) for d in found] == [
        ("BIG", "OUTSIDER", "expenditures"),
        ("SUP", "BIG", "receipts"),
    ]


def test_other_currencies_are_left_out_and_named() -> None:
    flows = monthly("BIG", "SUP", 600, YEAR) + monthly("X", "SUP", 400, YEAR)
    flows += monthly("FOREIGN", "SUP", 1_000_000, YEAR, currency="USD")
    [dep] = only(find_dependencies(flows, [], CUSTOMERS, RULE), "SUP", "BIG")
    assert dep.share == Fraction(3, 5)  # the USD receipts are not converted
    assert dep.other_currencies == ("USD",)
    assert "USD" in render_sentences(dep.explanation, "en")
    assert "USD" in render_sentences(dep.explanation, "zh")
    assert only(find_dependencies(flows, [], CUSTOMERS, RULE), "SUP", "FOREIGN") == []
    usd = InterdependenceRule(Fraction(1, 2), 12, 6, "USD")
    [in_usd] = only(find_dependencies(flows, [], CUSTOMERS, usd), "SUP", "FOREIGN")
    assert (in_usd.share, in_usd.other_currencies) == (Fraction(1), ("CNY",))


def test_the_window_ends_at_the_latest_month_and_ignores_older_flows() -> None:
    old = monthly("OLD", "SUP", 1_000, [f"2024-{m:02d}" for m in range(1, 13)])
    recent = monthly("NEW", "SUP", 1_000, YEAR)
    found = find_dependencies(old + recent, [], CUSTOMERS, RULE)
    assert [(d.counterparty_id, d.share) for d in found] == [("NEW", Fraction(1))]
    found = find_dependencies(old + recent, [], CUSTOMERS, RULE, last_month="2024-12")
    assert [(d.counterparty_id, d.window_end) for d in found] == [("OLD", "2024-12")]
    assert find_dependencies([], [], CUSTOMERS, RULE) == []


def test_supply_links_against_annual_receipts_and_expenditures() -> None:
    flows = monthly("X", "SUP", 100_00, YEAR) + monthly("SHOP", "Y", 100_00, YEAR)
    links = [
        SupplyAmount("SUP", "OEM", 960_00, "CNY"),  # 80% of SUP's 1,200.00 a year
        SupplyAmount("MAKER", "SHOP", 600_00, "CNY"),  # exactly half of SHOP's purchases
    ]
    found = find_dependencies(flows, links, CUSTOMERS, RULE)
    supply = [
        (d.dependent_id, d.counterparty_id, d.direction, d.share)
        for d in found
        if d.basis == "supply"
    ]
    assert supply == [
        ("SHOP", "MAKER", "expenditures", Fraction(1, 2)),
        ("SUP", "OEM", "receipts", Fraction(4, 5)),
    ]
    [sup] = [d for d in found if d.dependent_id == "SUP" and d.basis == "supply"]
    assert (sup.counterparty_minor, sup.total_minor, sup.months_above) == (960_00, 1_200_00, None)


def test_a_supply_link_is_used_only_where_the_annual_figure_is_known() -> None:
    short = monthly("X", "SUP", 100_00, YEAR[:5])  # five months seen: not enough to know the year
    link = [SupplyAmount("SUP", "OEM", 900_00, "CNY")]
    assert find_dependencies(short, link, CUSTOMERS, RULE) == []
    year = monthly("X", "SUP", 100_00, YEAR)
    larger = [SupplyAmount("SUP", "OEM", 1_300_00, "CNY")]  # more than it is seen to receive
    assert [
        d for d in find_dependencies(year, larger, CUSTOMERS, RULE) if d.basis == "supply"
    ] == []
    usd = [SupplyAmount("SUP", "OEM", 900_00, "USD")]
    assert [d for d in find_dependencies(year, usd, CUSTOMERS, RULE) if d.basis == "supply"] == []
    half_year = InterdependenceRule(Fraction(1, 2), 6, 6, "CNY")
    # Six months of 100.00 make 1,200.00 a year: 900.00 is three quarters of it.
    [annualised] = [
        d for d in find_dependencies(year, link, CUSTOMERS, half_year) if d.basis == "supply"
    ]
    assert (annualised.share, annualised.total_minor) == (Fraction(3, 4), 1_200_00)


def test_the_result_does_not_depend_on_input_order() -> None:
    flows = monthly("BIG", "SUP", 700, YEAR) + monthly("X", "SUP", 300, YEAR)
    flows += monthly("SHOP", "MAKER", 900, YEAR) + monthly("SHOP", "SUP", 100, YEAR)
    expected = find_dependencies(flows, [], CUSTOMERS, RULE)
    shuffled = list(flows)
    random.Random(4).shuffle(shuffled)
    assert find_dependencies(shuffled, [], CUSTOMERS, RULE) == expected
    # BIG pays only SUP: the two depend on each other, each by its own side.
    assert [(d.dependent_id, d.counterparty_id, d.direction) for d in expected] == [
        ("BIG", "SUP", "expenditures"),
        ("SHOP", "MAKER", "expenditures"),
        ("SUP", "BIG", "receipts"),
    ]


def test_the_rule_rejects_impossible_thresholds() -> None:
    with pytest.raises(ValueError, match="share"):
        InterdependenceRule(Fraction(0), 12, 6, "CNY")
    with pytest.raises(ValueError, match="share"):
        InterdependenceRule(Fraction(3, 2), 12, 6, "CNY")
    with pytest.raises(ValueError, match="min_months"):
        InterdependenceRule(Fraction(1, 2), 6, 7, "CNY")


def test_helpers() -> None:
    assert window_of("2025-02", 3) == ["2024-12", "2025-01", "2025-02"]
    assert percent_text(Fraction(623, 1000)) == "62.3%"
    assert percent_text(Fraction(1)) == "100%"
