"""Parsing of contract values from text: exact decimals, dates, booleans, codes.

Every parser takes the raw text of a field and returns the typed value or raises
:class:`FieldError` carrying a :class:`~loaders.contract.RejectReason` and a
message for the rejects file.

Money is exact. Amounts parse to :class:`~decimal.Decimal` (thousands separators
and E-notation allowed) and are stored as integer minor units of their currency.

Examples
--------
>>> parse_decimal("1,234.50"), parse_decimal("1.2345E3"), parse_decimal("１２３")
(Decimal('1234.50'), Decimal('1234.5'), Decimal('123'))
>>> to_minor_units(Decimal("1234.5"), "CNY"), to_minor_units(Decimal("1200"), "JPY")
(123450, 1200)
>>> parse_bool("是"), parse_bool("N")
(True, False)
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Final

from core.money import (
    ISO_CURRENCIES,
    MAX_MINOR_UNITS,
    MAX_RATE_DECIMALS,
    currency_code,
    exact_minor_units,
    from_minor_units,
    minor_exponent,
)

from .contract import RejectReason

__all__ = ["ISO_CURRENCIES", "MAX_MINOR_UNITS", "from_minor_units", "minor_exponent"]


class FieldError(ValueError):
    """A field that breaks the contract."""

    def __init__(self, reason: RejectReason, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message


_DECIMAL: Final = re.compile(r"^[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)?(?:\.\d+)?(?:[eE][+-]?\d+)?$")
MAX_ID_LENGTH: Final = 64
#: Decimals a percentage may carry. Registries publish shares to at most 6 decimals, and
#: a share is stored as a float too, which holds about 15 significant digits.
MAX_PERCENT_DECIMALS: Final = 8

_TRUE: Final = frozenset({"true", "t", "1", "yes", "y", "是", "真"})
_FALSE: Final = frozenset({"false", "f", "0", "no", "n", "否", "假"})
_DATE_FORMATS: Final = ("%Y-%m-%d", "%Y/%m/%d", "%Y%m%d", "%Y.%m.%d")


def clean(raw: str | None) -> str | None:
    """Full-width to half-width and trimmed; empty text is ``None``.

    Examples
    --------
    >>> clean("  ＡＢＣ　"), clean("   ")
    ('ABC', None)
    """
    if raw is None:
        return None
    text = unicodedata.normalize("NFKC", raw).strip()
    return text or None


def parse_id(raw: str) -> str:
    """An identifier: trimmed, half-width, at most 64 printable characters."""
    text = clean(raw)
    if text is None:
        raise FieldError(RejectReason.MISSING_REQUIRED, "empty id")
    if len(text) > MAX_ID_LENGTH or not text.isprintable():
        raise FieldError(
            RejectReason.INVALID_ID, f"id must be at most {MAX_ID_LENGTH} printable characters"
        )
    return text


def parse_decimal(raw: str) -> Decimal:
    """An exact decimal; ``1,234.5`` and ``1.2345E3`` are both 1234.5."""
    text = clean(raw)
    if text is None:
        raise FieldError(RejectReason.MISSING_REQUIRED, "empty number")
    if not _DECIMAL.match(text) or not any(ch.isdigit() for ch in text):
        raise FieldError(RejectReason.INVALID_DECIMAL, f"not a decimal number: {text!r}")
    try:
        value = Decimal(text.replace(",", ""))
    except InvalidOperation as error:
        raise FieldError(RejectReason.INVALID_DECIMAL, f"not a decimal number: {text!r}") from error
    if not value.is_finite():
        raise FieldError(RejectReason.INVALID_DECIMAL, f"not a finite number: {text!r}")
    return value


def to_minor_units(amount: Decimal, currency: str) -> int:
    """Exact integer minor units (cents, fen...) of ``amount``.

    Finer precision than the currency's minor unit is ``invalid_decimal``; a value whose
    minor units do not fit a 64-bit integer (what Neo4j stores) is ``out_of_range``
    (:func:`core.money.exact_minor_units`).

    Examples
    --------
    >>> to_minor_units(Decimal("92233720368547758.07"), "CNY") == MAX_MINOR_UNITS
    True
    >>> to_minor_units(Decimal("1.234"), "CNY")
    Traceback (most recent call last):
    ...
    loaders.parsing.FieldError: 1.234 has more decimals than CNY allows (2)
    >>> to_minor_units(Decimal("1E30"), "CNY")
    Traceback (most recent call last):
    ...
    loaders.parsing.FieldError: 1E+30 CNY is beyond the 64-bit range of minor units
    """
    try:
        minor = exact_minor_units(amount, currency)
    except OverflowError as error:
        raise FieldError(RejectReason.OUT_OF_RANGE, str(error)) from error
    except ValueError as error:
        raise FieldError(RejectReason.INVALID_DECIMAL, str(error)) from error
    if minor is None:
        raise FieldError(
            RejectReason.INVALID_DECIMAL,
            f"{amount} has more decimals than {currency} allows ({minor_exponent(currency)})",
        )
    return minor


def parse_currency(raw: str) -> str:
    """An ISO 4217 code; ``rmb`` and ``人民币`` are read as CNY."""
    text = clean(raw)
    if text is None:
        raise FieldError(RejectReason.MISSING_REQUIRED, "empty currency")
    code = currency_code(text)
    if code is None:
        raise FieldError(RejectReason.INVALID_CURRENCY, f"not an ISO 4217 currency: {text!r}")
    return code


def parse_date(raw: str) -> date:
    """A calendar date in YYYY-MM-DD (or YYYY/MM/DD, YYYYMMDD, YYYY.MM.DD)."""
    text = clean(raw)
    if text is None:
        raise FieldError(RejectReason.MISSING_REQUIRED, "empty date")
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise FieldError(RejectReason.INVALID_DATE, f"not a date (YYYY-MM-DD): {text!r}")


def parse_bool(raw: str) -> bool:
    """true/false, 1/0, yes/no, y/n, 是/否."""
    text = clean(raw)
    if text is None:
        raise FieldError(RejectReason.MISSING_REQUIRED, "empty boolean")
    lowered = text.casefold()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise FieldError(RejectReason.INVALID_BOOL, f"not a boolean: {text!r}")


def parse_percent(raw: str) -> Decimal:
    """A share in percent, in (0, 100], with at most :data:`MAX_PERCENT_DECIMALS` decimals.

    Examples
    --------
    >>> parse_percent("33.333333")
    Decimal('33.333333')
    >>> parse_percent("1E-30")
    Traceback (most recent call last):
    ...
    loaders.parsing.FieldError: share_pct has more than 8 decimals: 1E-30
    """
    value = parse_decimal(raw)
    if not Decimal(0) < value <= Decimal(100):
        raise FieldError(RejectReason.OUT_OF_RANGE, f"share_pct must be in (0, 100], is {value}")
    _, digits, exponent = value.as_tuple()
    if isinstance(exponent, int) and exponent < 0:
        significant = list(digits)
        places = -exponent
        while significant and significant[-1] == 0 and places > 0:
            significant.pop()
            places -= 1
        if places > MAX_PERCENT_DECIMALS:
            raise FieldError(
                RejectReason.INVALID_DECIMAL,
                f"share_pct has more than {MAX_PERCENT_DECIMALS} decimals: {value}",
            )
    return value


#: Significant digits a rate may have: its product with any 64-bit amount stays exact
#: in the conversion's precision (:func:`core.money.cny_equivalent`).
MAX_RATE_DIGITS: Final = 28


def parse_rate(raw: str) -> Decimal:
    """An exchange rate: a positive exact decimal, at most ``MAX_RATE_DECIMALS`` decimals.

    Examples
    --------
    >>> parse_rate("7.1884"), parse_rate("0.0469")
    (Decimal('7.1884'), Decimal('0.0469'))
    >>> parse_rate("0")
    Traceback (most recent call last):
    ...
    loaders.parsing.FieldError: cny_per_unit must be positive, is 0
    >>> parse_rate("1E-11")
    Traceback (most recent call last):
    ...
    loaders.parsing.FieldError: cny_per_unit has more than 10 decimals: 1E-11
    """
    value = parse_decimal(raw).normalize()
    if value <= 0:
        raise FieldError(RejectReason.OUT_OF_RANGE, f"cny_per_unit must be positive, is {value}")
    _, digits, exponent = value.as_tuple()
    if isinstance(exponent, int) and -exponent > MAX_RATE_DECIMALS:
        raise FieldError(
            RejectReason.INVALID_DECIMAL,
            f"cny_per_unit has more than {MAX_RATE_DECIMALS} decimals: {value}",
        )
    if len(digits) + max(0, exponent if isinstance(exponent, int) else 0) > MAX_RATE_DIGITS:
        raise FieldError(RejectReason.OUT_OF_RANGE, f"cny_per_unit is too large: {value}")
    return value
