"""Money: exact integer minor units with a currency, and the currency rules.

Amounts are never floats. A :class:`Money` holds integer minor units (fen, cents)
and an ISO 4217 code; its exact decimal value comes from the currency's minor-unit
exponent. How an amount is *shown* to a person is one rule in
:func:`core.formatting.format_money` (万/亿 in Chinese).

Examples
--------
>>> Money(123450, "CNY").amount
Decimal('1234.50')
>>> exact_minor_units(Decimal("1.234"), "CNY") is None, exact_minor_units(Decimal("1200"), "JPY")
(True, 1200)
>>> currency_code("人民币"), currency_code("xyz")
('CNY', None)
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, Inexact, localcontext
from typing import Final

from .formatting import Language, format_money

#: Active ISO 4217 currency codes.
ISO_CURRENCIES: Final = frozenset(
    [
        "AED",
        "AFN",
        "ALL",
        "AMD",
        "ANG",
        "AOA",
        "ARS",
        "AUD",
        "AWG",
        "AZN",
        "BAM",
        "BBD",
        "BDT",
        "BGN",
        "BHD",
        "BIF",
        "BMD",
        "BND",
        "BOB",
        "BRL",
        "BSD",
        "BTN",
        "BWP",
        "BYN",
        "BZD",
        "CAD",
        "CDF",
        "CHF",
        "CLP",
        "CNY",
        "COP",
        "CRC",
        "CUP",
        "CVE",
        "CZK",
        "DJF",
        "DKK",
        "DOP",
        "DZD",
        "EGP",
        "ERN",
        "ETB",
        "EUR",
        "FJD",
        "FKP",
        "GBP",
        "GEL",
        "GHS",
        "GIP",
        "GMD",
        "GNF",
        "GTQ",
        "GYD",
        "HKD",
        "HNL",
        "HTG",
        "HUF",
        "IDR",
        "ILS",
        "INR",
        "IQD",
        "IRR",
        "ISK",
        "JMD",
        "JOD",
        "JPY",
        "KES",
        "KGS",
        "KHR",
        "KMF",
        "KPW",
        "KRW",
        "KWD",
        "KYD",
        "KZT",
        "LAK",
        "LBP",
        "LKR",
        "LRD",
        "LSL",
        "LYD",
        "MAD",
        "MDL",
        "MGA",
        "MKD",
        "MMK",
        "MNT",
        "MOP",
        "MRU",
        "MUR",
        "MVR",
        "MWK",
        "MXN",
        "MYR",
        "MZN",
        "NAD",
        "NGN",
        "NIO",
        "NOK",
        "NPR",
        "NZD",
        "OMR",
        "PAB",
        "PEN",
        "PGK",
        "PHP",
        "PKR",
        "PLN",
        "PYG",
        "QAR",
        "RON",
        "RSD",
        "RUB",
        "RWF",
        "SAR",
        "SBD",
        "SCR",
        "SDG",
        "SEK",
        "SGD",
        "SHP",
        "SLE",
        "SOS",
        "SRD",
        "SSP",
        "STN",
        "SVC",
        "SYP",
        "SZL",
        "THB",
        "TJS",
        "TMT",
        "TND",
        "TOP",
        "TRY",
        "TTD",
        "TWD",
        "TZS",
        "UAH",
        "UGX",
        "USD",
        "UYU",
        "UZS",
        "VES",
        "VND",
        "VUV",
        "WST",
        "XAF",
        "XCD",
        "XOF",
        "XPF",
        "YER",
        "ZAR",
        "ZMW",
        "ZWG",
    ]
)
#: Currencies whose minor unit is not 1/100 (ISO 4217 exponent).
_MINOR_EXPONENT: Final = {
    **dict.fromkeys(
        [
            "BIF",
            "CLP",
            "DJF",
            "GNF",
            "ISK",
            "JPY",
            "KMF",
            "KRW",
            "PYG",
            "RWF",
            "UGX",
            "VND",
            "VUV",
            "XAF",
            "XOF",
            "XPF",
        ],
        0,
    ),
    **dict.fromkeys(["BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"], 3),
}
#: The largest amount in minor units: Neo4j stores integers as signed 64-bit.
MAX_MINOR_UNITS: Final = 2**63 - 1
#: Names bank staff write for common currencies.
_CURRENCY_ALIASES: Final = {
    "RMB": "CNY",
    "人民币": "CNY",
    "美元": "USD",
    "港币": "HKD",
    "欧元": "EUR",
}


def minor_exponent(currency: str) -> int:
    """Decimal places of a currency's minor unit (2 unless ISO 4217 says otherwise)."""
    return _MINOR_EXPONENT.get(currency, 2)


def exact_minor_units(amount: Decimal, currency: str) -> int | None:
    """Integer minor units of ``amount``, or ``None`` when it is finer than the unit.

    Works on the decimal's digits, never in a rounding context, so
    ``1.0000000000000000000000000000001`` is not taken for ``1``.

    Raises
    ------
    OverflowError
        The minor units do not fit a signed 64-bit integer (what Neo4j stores).

    Examples
    --------
    >>> exact_minor_units(Decimal("92233720368547758.07"), "CNY") == MAX_MINOR_UNITS
    True
    >>> exact_minor_units(Decimal("1.0000000000000000000000000000001"), "CNY") is None
    True
    """
    places = minor_exponent(currency)
    sign, digit_tuple, exponent = amount.as_tuple()
    if not isinstance(exponent, int):
        raise ValueError(f"not a finite number: {amount}")
    digits = list(digit_tuple)
    while len(digits) > 1 and digits[-1] == 0:  # trailing zeros carry no precision
        digits.pop()
        exponent += 1
    if digits == [0]:
        return 0
    shift = exponent + places
    if shift < 0:
        return None
    if len(digits) + shift > len(str(MAX_MINOR_UNITS)):  # out of range without building it
        raise OverflowError(f"{amount} {currency} is beyond the 64-bit range of minor units")
    minor: int = int("".join(map(str, digits))) * 10**shift
    if minor > MAX_MINOR_UNITS:
        raise OverflowError(f"{amount} {currency} is beyond the 64-bit range of minor units")
    return -minor if sign else minor


def from_minor_units(minor: int, currency: str) -> Decimal:
    """The exact decimal amount of ``minor`` units.

    Examples
    --------
    >>> from_minor_units(123450, "CNY")
    Decimal('1234.50')
    """
    return Decimal(minor).scaleb(-minor_exponent(currency))


def currency_code(text: str) -> str | None:
    """The ISO 4217 code for ``text`` (``rmb`` and ``人民币`` are CNY), or ``None``."""
    code = _CURRENCY_ALIASES.get(text.strip().upper(), text.strip().upper())
    return code if code in ISO_CURRENCIES else None


@dataclass(frozen=True, slots=True)
class Money:
    """An exact amount: integer minor units of one currency."""

    minor: int
    currency: str

    @property
    def amount(self) -> Decimal:
        """The exact decimal amount."""
        return from_minor_units(self.minor, self.currency)

    def format(self, language: Language = "zh", *, compact: bool = False) -> str:
        """The amount as people read it (the one money rule of :mod:`core.formatting`)."""
        return format_money(self.amount, self.currency, language, compact=compact)


#: The currency every multi-currency total is also shown in.
EQUIVALENT_CURRENCY: Final = "CNY"
#: Decimals a rate may have (a bank's published rates have 4 to 6; more is noise or an error).
MAX_RATE_DECIMALS: Final = 10


@dataclass(frozen=True, slots=True)
class FxRate:
    """How many CNY one unit of ``currency`` was worth on ``rate_date`` (exact)."""

    currency: str
    rate_date: date
    cny_per_unit: Decimal


@dataclass(frozen=True, slots=True)
class CnyEquivalent:
    """The CNY equivalent of amounts in several currencies.

    ``total`` converts every amount that has a rate; ``no_rate`` lists, unconverted,
    those whose currency has none, so a total is never silently short.
    """

    total: Money
    no_rate: tuple[Money, ...]
    rates: tuple[FxRate, ...]

    @property
    def complete(self) -> bool:
        """Every amount had a rate."""
        return not self.no_rate


def latest_rates(rates: Iterable[FxRate]) -> dict[str, FxRate]:
    """The most recent rate of each currency: totals are current positions.

    Examples
    --------
    >>> rows = [FxRate("USD", date(2025, 6, 30), Decimal("7.1")),
    ...         FxRate("USD", date(2025, 12, 31), Decimal("7.0288"))]
    >>> latest_rates(rows)["USD"].cny_per_unit
    Decimal('7.0288')
    """
    latest: dict[str, FxRate] = {}
    for rate in rates:
        known = latest.get(rate.currency)
        if known is None or rate.rate_date > known.rate_date:
            latest[rate.currency] = rate
    return latest


def cny_equivalent(amounts: Iterable[Money], rates: Mapping[str, FxRate]) -> CnyEquivalent:
    """The exact CNY equivalent of ``amounts``, rounded once.

    Each amount is multiplied by its currency's rate exactly (decimal arithmetic wide
    enough for any 64-bit amount times any rate, checked: an inexact step raises);
    the products are added exactly, and only the sum is rounded to the fen, half up
    (the rounding rule of :mod:`core.formatting`). CNY converts at 1 without a rate.
    An amount whose currency has no rate is kept apart in ``no_rate``.

    Examples
    --------
    >>> usd = FxRate("USD", date(2025, 12, 31), Decimal("7.0288"))
    >>> eq = cny_equivalent([Money(100_000, "CNY"), Money(1, "USD"), Money(1, "USD")],
    ...                     {"USD": usd})
    >>> eq.total.amount, eq.complete
    (Decimal('1000.14'), True)
    >>> cny_equivalent([Money(5, "JPY")], {}).no_rate
    (Money(minor=5, currency='JPY'),)
    """
    exact = Decimal(0)
    no_rate: list[Money] = []
    used: dict[str, FxRate] = {}
    with localcontext() as context:
        context.prec = _EXACT_PRECISION
        context.traps[Inexact] = True
        for money in amounts:
            if money.currency == EQUIVALENT_CURRENCY:
                exact += money.amount
                continue
            rate = rates.get(money.currency)
            if rate is None:
                no_rate.append(money)
                continue
            used[rate.currency] = rate
            exact += money.amount * rate.cny_per_unit
    places = minor_exponent(EQUIVALENT_CURRENCY)
    with localcontext() as context:
        context.prec = _EXACT_PRECISION  # the one rounding: to the fen, half up
        minor = int(exact.scaleb(places).quantize(Decimal(1), ROUND_HALF_UP))
    return CnyEquivalent(
        Money(minor, EQUIVALENT_CURRENCY),
        _merged(no_rate),
        tuple(used[code] for code in sorted(used)),
    )


def _merged(amounts: Iterable[Money]) -> tuple[Money, ...]:
    """One amount per currency, sorted by currency."""
    sums: dict[str, int] = {}
    for money in amounts:
        sums[money.currency] = sums.get(money.currency, 0) + money.minor
    return tuple(Money(minor, code) for code, minor in sorted(sums.items()))


#: Digits for exact conversion: a 64-bit amount (19 digits) times a rate of up to 28
#: digits, summed over many amounts, stays well inside this.
_EXACT_PRECISION: Final = 100
