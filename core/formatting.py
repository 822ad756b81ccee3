"""How money and dates are shown to a user: one rule each, in both languages.

Money
    Chinese readers count in 万 (10⁴) and 亿 (10⁸): from 1万 up an amount is shown
    in 万 or 亿 with two decimals (``¥6,765.60万``, ``¥3.60亿``). English readers get
    the whole amount with thousands separators (``CNY 67,656,000.00``), or millions
    and billions where space is short (``compact``: ``CNY 67.66M``). The currency is
    always shown: ``¥`` for CNY in Chinese, the ISO code otherwise. Rounding is half
    up on exact decimals, never on floats.
Dates
    Shown in the bank's time zone (Asia/Shanghai) whatever the server's zone:
    ``2026年12月1日 18:22`` / ``1 Dec 2026, 18:22``.

The browser applies the same rules in ``api/static/format.js``; a unit test runs
both on one table of cases, so the two cannot drift apart. Babel supplies the
month names and date patterns.

Examples
--------
>>> format_money("67656000.00", "CNY", "zh"), format_money("360000000", "CNY", "zh")
('¥6,765.60万', '¥3.60亿')
>>> format_money("67656000.00", "CNY", "en"), format_money("67656000.00", "USD", "en", compact=True)
('CNY 67,656,000.00', 'USD 67.66M')
>>> format_money("1234.5", "USD", "zh")
'USD 1,234.50'
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Final, Literal
from zoneinfo import ZoneInfo

from babel.dates import format_date as babel_format_date
from babel.dates import format_datetime as babel_format_datetime

Language = Literal["zh", "en"]
LANGUAGES: Final[tuple[Language, ...]] = ("zh", "en")
#: Babel's locale for each UI language.
BABEL_LOCALES: Final[dict[Language, str]] = {"zh": "zh_CN", "en": "en"}
#: The bank's staff read times in Beijing time, wherever the server runs.
DISPLAY_TIMEZONE: Final = ZoneInfo("Asia/Shanghai")

WAN: Final = Decimal(10) ** 4
YI: Final = Decimal(10) ** 8
MILLION: Final = Decimal(10) ** 6
BILLION: Final = Decimal(10) ** 9
#: Decimals shown for an amount in 万/亿 or in millions/billions.
SCALED_DECIMALS: Final = 2
#: Decimals shown at least for a whole amount (cents); more when the amount has them.
MIN_DECIMALS: Final = 2

_DATETIME_PATTERNS: Final[dict[Language, str]] = {"zh": "y年M月d日 HH:mm", "en": "d MMM y, HH:mm"}
_DATE_PATTERNS: Final[dict[Language, str]] = {"zh": "y年M月d日", "en": "d MMM y"}
_MONTH_PATTERNS: Final[dict[Language, str]] = {"zh": "y年M月", "en": "MMM y"}


def _language(language: str) -> Language:
    if language not in LANGUAGES:
        raise ValueError(f"unknown language {language!r}; use one of {', '.join(LANGUAGES)}")
    return language


def _decimal(amount: Decimal | str | int) -> Decimal:
    try:
        value = amount if isinstance(amount, Decimal) else Decimal(str(amount))
    except InvalidOperation as error:
        raise ValueError(f"not a decimal amount: {amount!r}") from error
    if not value.is_finite():
        raise ValueError(f"not a finite amount: {amount!r}")
    return value


def _grouped(value: Decimal, decimals: int) -> str:
    """``|value|`` (already rounded to ``decimals``) grouped by thousands: ``6,765.60``.

    Chinese and English both group by three with a comma (CLDR zh_CN and en agree).
    ``Decimal.__format__`` is exact, and some ten times faster than Babel's pattern
    formatter, which matters when a compute writes reasons for every prospect.
    """
    return format(abs(value), f",.{decimals}f")


def _round(value: Decimal, decimals: int) -> Decimal:
    return value.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)


def _scaled(
    value: Decimal, units: tuple[tuple[Decimal, str], ...], plain_decimals: int
) -> tuple[Decimal, str] | None:
    """The amount in the largest unit it reaches, as the next smaller unit would show it.

    So ``9,999.999万`` (which would round to ``10,000.00万``) becomes ``1.00亿``, while
    ``9,999.99`` stays as it is rather than becoming ``1.00万``.
    """
    magnitude = abs(value)
    for index, (size, suffix) in enumerate(units):
        if index + 1 < len(units):
            lower = units[index + 1][0]
            shown_below = _round(magnitude / lower, SCALED_DECIMALS) * lower
        else:
            shown_below = _round(magnitude, plain_decimals)
        if shown_below >= size:
            return _round(value / size, SCALED_DECIMALS), suffix
    return None


def format_money(
    amount: Decimal | str | int, currency: str, language: str = "zh", *, compact: bool = False
) -> str:
    """An exact amount as a user reads it.

    Parameters
    ----------
    amount
        The amount in major units, exact: a :class:`~decimal.Decimal` or the decimal
        string the API carries (``"67656000.00"``).
    currency
        ISO 4217 code.
    language
        ``"zh"`` (万/亿) or ``"en"`` (thousands separators).
    compact
        English only: millions and billions (``CNY 67.66M``) for charts and labels.
        Chinese is always compact.

    Raises
    ------
    ValueError
        An unknown language or an amount that is not a finite decimal.

    Examples
    --------
    >>> format_money("99999999.999", "CNY", "zh"), format_money("9999.99", "CNY", "zh")
    ('¥1.00亿', '¥9,999.99')
    >>> format_money("-1234.5", "CNY", "zh"), format_money("0", "USD", "en")
    ('-¥1,234.50', 'USD 0.00')
    """
    lang = _language(language)
    value = _decimal(amount)
    code = currency.strip().upper()
    prefix = "¥" if lang == "zh" and code == "CNY" else f"{code} "
    units = (
        ((YI, "亿"), (WAN, "万"))
        if lang == "zh"
        else ((BILLION, "B"), (MILLION, "M"))
        if compact
        else ()
    )
    exponent = value.as_tuple().exponent
    decimals = max(MIN_DECIMALS, -exponent) if isinstance(exponent, int) else MIN_DECIMALS
    scaled = _scaled(value, units, decimals)
    if scaled is not None:
        shown, suffix = scaled
        text = _grouped(shown, SCALED_DECIMALS) + suffix
    else:
        shown = value
        text = _grouped(value, decimals)
    sign = "-" if shown < 0 else ""
    return f"{sign}{prefix}{text}"


def format_datetime(value: datetime | str, language: str = "zh") -> str:
    """A moment in Beijing time: ``2026年12月1日 18:22`` / ``1 Dec 2026, 18:22``.

    A naive datetime (or ISO string without an offset) is taken as UTC, as Neo4j
    and the API store times.

    Examples
    --------
    >>> format_datetime("2026-12-01T10:22:07.441000+00:00", "zh")
    '2026年12月1日 18:22'
    >>> format_datetime(datetime(2026, 9, 30, 23, 5), "en")
    '1 Oct 2026, 07:05'
    """
    lang = _language(language)
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return babel_format_datetime(
        moment, _DATETIME_PATTERNS[lang], tzinfo=DISPLAY_TIMEZONE, locale=BABEL_LOCALES[lang]
    )


def format_date(value: date | str, language: str = "zh") -> str:
    """A calendar date (no time zone): ``2025年12月31日`` / ``31 Dec 2025``.

    Examples
    --------
    >>> format_date("2025-09-30", "zh"), format_date(date(2025, 9, 30), "en")
    ('2025年9月30日', '30 Sep 2025')
    """
    lang = _language(language)
    day = date.fromisoformat(value) if isinstance(value, str) else value
    return babel_format_date(day, _DATE_PATTERNS[lang], locale=BABEL_LOCALES[lang])


def format_month(value: str, language: str = "zh") -> str:
    """A month ``YYYY-MM``: ``2025年12月`` / ``Dec 2025``.

    Examples
    --------
    >>> format_month("2025-12", "zh"), format_month("2025-09", "en")
    ('2025年12月', 'Sep 2025')
    """
    lang = _language(language)
    day = date.fromisoformat(value + "-01")
    return babel_format_date(day, _MONTH_PATTERNS[lang], locale=BABEL_LOCALES[lang])
