"""CNY equivalents of multi-currency totals: exact products, one rounding, no silent gaps."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from api.schemas import CnyEquivalentOut
from core.money import FxRate, Money, cny_equivalent, latest_rates
from loaders.contract import CONTRACT, RejectReason
from loaders.parsing import FieldError, parse_rate
from loaders.validation import validate_rows

DAY = date(2025, 12, 31)


def rate(currency: str, value: str, day: date = DAY) -> FxRate:
    return FxRate(currency, day, Decimal(value))


def test_cny_amounts_pass_through_without_a_rate() -> None:
    equivalent = cny_equivalent([Money(123_456, "CNY"), Money(44, "CNY")], {})
    assert equivalent.total == Money(123_500, "CNY")
    assert equivalent.complete
    assert equivalent.rates == ()


def test_products_are_exact_and_only_the_sum_is_rounded() -> None:
    # Three cents at 0.5 are 0.015 CNY: rounding each product first would give 0.03.
    half = rate("USD", "0.5")
    assert cny_equivalent([Money(1, "USD")] * 3, {"USD": half}).total == Money(2, "CNY")
    # Half up at the fen, on the exact sum: 0.005 → 0.01, 0.0049999 → 0.00.
    assert cny_equivalent([Money(1, "USD")], {"USD": half}).total == Money(1, "CNY")
    tiny = rate("USD", "0.49999")
    assert cny_equivalent([Money(1, "USD")], {"USD": tiny}).total == Money(0, "CNY")


def test_currency_exponents_are_respected() -> None:
    rates = {"JPY": rate("JPY", "0.0469"), "KWD": rate("KWD", "23.4567")}
    # 10,000 JPY (no minor unit) = 469.00 CNY; 1.234 KWD (3 places) = 28.9455678 → 28.95.
    got = cny_equivalent([Money(10_000, "JPY"), Money(1_234, "KWD")], rates)
    assert got.total == Money(46_900 + 2_895, "CNY")
    assert [r.currency for r in got.rates] == ["JPY", "KWD"]


def test_the_largest_amounts_convert_exactly() -> None:
    big = 2**63 - 1  # the largest amount a load accepts
    got = cny_equivalent([Money(big, "USD"), Money(big, "USD")], {"USD": rate("USD", "7.0288")})
    exact = Decimal(2 * big) / 100 * Decimal("7.0288")
    assert Decimal(got.total.minor) == (exact * 100).to_integral_value()
    assert got.total.minor > 2**63  # a display figure: wider than any stored amount


def test_an_amount_without_a_rate_is_kept_apart_not_dropped() -> None:
    amounts = [Money(100_000, "CNY"), Money(5_000, "JPY"), Money(10_001, "USD"), Money(1, "JPY")]
    got = cny_equivalent(amounts, {"USD": rate("USD", "7.0288")})
    assert got.total == Money(100_000 + 70_295, "CNY")  # 100.01 × 7.0288 = 702.950288
    assert got.no_rate == (Money(5_001, "JPY"),)
    assert not got.complete


def test_the_latest_rate_of_each_currency_is_used() -> None:
    rates = latest_rates(
        [
            rate("USD", "7.1586", date(2025, 6, 30)),
            rate("USD", "7.0288", date(2025, 12, 31)),
            rate("USD", "7.1782", date(2025, 3, 31)),
            rate("EUR", "8.26", date(2025, 9, 30)),
        ]
    )
    assert rates["USD"].cny_per_unit == Decimal("7.0288")
    assert rates["EUR"].rate_date == date(2025, 9, 30)


def test_the_api_model_states_amount_gaps_and_rates() -> None:
    out = CnyEquivalentOut.of(
        [
            {"amount": "1000000.00", "currency": "CNY"},
            None,
            {"amount": "100.01", "currency": "USD"},
            {"amount": "5000", "currency": "JPY"},
        ],
        {"USD": rate("USD", "7.0288")},
    )
    assert out is not None
    assert out.model_dump() == {
        "amount": {"amount": "1000702.95", "currency": "CNY"},
        "complete": False,
        "no_rate": [{"amount": "5000", "currency": "JPY"}],
        "rates": [{"currency": "USD", "rate_date": "2025-12-31", "cny_per_unit": "7.0288"}],
    }
    assert CnyEquivalentOut.of([], {}) is None


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("0", RejectReason.OUT_OF_RANGE),
        ("-7.1", RejectReason.OUT_OF_RANGE),
        ("7.12345678901", RejectReason.INVALID_DECIMAL),
        ("1E40", RejectReason.OUT_OF_RANGE),
        ("seven", RejectReason.INVALID_DECIMAL),
    ],
)
def test_bad_rates_are_rejected(text: str, reason: RejectReason) -> None:
    with pytest.raises(FieldError) as raised:
        parse_rate(text)
    assert raised.value.reason is reason


def test_fx_rates_rows_are_validated_like_every_file() -> None:
    spec = CONTRACT["fx_rates"]
    rows = [
        (2, {"currency": "usd", "rate_date": "2025-12-31", "cny_per_unit": "7.0288"}),
        (3, {"currency": "人民币", "rate_date": "2025-12-31", "cny_per_unit": "1"}),
        (4, {"currency": "CNY", "rate_date": "2025-06-30", "cny_per_unit": "7"}),
        (5, {"currency": "XXY", "rate_date": "2025-12-31", "cny_per_unit": "1"}),
        (6, {"currency": "USD", "rate_date": "2025-12-31", "cny_per_unit": "7.1"}),
        (7, {"currency": "EUR", "rate_date": "31/12/2025", "cny_per_unit": "8.26"}),
    ]
    result = validate_rows(spec, rows)
    assert [(r["currency"], r["cny_per_unit"]) for r in result.records] == [
        ("USD", Decimal("7.0288")),
        ("CNY", Decimal("1")),
    ]
    assert {(r.row, r.reason) for r in result.rejects} == {
        (4, RejectReason.OUT_OF_RANGE),
        (5, RejectReason.INVALID_CURRENCY),
        (6, RejectReason.DUPLICATE_KEY),
        (7, RejectReason.INVALID_DATE),
    }
