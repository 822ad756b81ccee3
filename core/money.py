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

from dataclasses import dataclass
from decimal import Decimal
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
