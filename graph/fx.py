"""Exchange rates (the ``fx_rates`` contract file): the latest rate of each currency.

Rates are stored as exact decimal text on ``(:FxRate {rate_id, currency, rate_date,
cny_per_unit})`` nodes; the CNY equivalents of totals are computed from them by
:func:`core.money.cny_equivalent`.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Final, LiteralString

from core.money import FxRate, latest_rates

from .database import Database

LATEST_RATES: Final[LiteralString] = (
    "MATCH (r:FxRate) "
    "WITH r.currency AS currency, r ORDER BY r.rate_date DESC "
    "WITH currency, collect(r)[0] AS r "
    "RETURN currency, r.rate_date AS rate_date, r.cny_per_unit AS cny_per_unit"
)


def read_latest_rates(db: Database) -> dict[str, FxRate]:
    """The latest stored rate of each currency (empty when no ``fx_rates`` was loaded)."""
    return latest_rates(
        FxRate(
            str(row["currency"]),
            row["rate_date"].to_native(),
            Decimal(str(row["cny_per_unit"])),
        )
        for row in db.read(LATEST_RATES)
    )
