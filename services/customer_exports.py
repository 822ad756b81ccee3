"""The screening list as a file a banker opens in Excel (CSV or xlsx).

The columns are named once in :data:`CUSTOMER_TABLE` (headers from the message
catalogue, Chinese by default); code lists (segment, industry) are written as their
names in the reader's language, branches and RMs by name, exposure as a number in CNY.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any, Final

from core.formatting import Language
from core.i18n import N_
from core.i18n import pgettext as code_name

from .exports import Cell, Column, Table

CUSTOMER_TABLE: Final = Table(
    N_("Customers"),
    (
        Column(N_("Company name"), "text", 36),
        Column(N_("USCC"), "text", 22),
        Column(N_("Segment"), "text", 12),
        Column(N_("Industry"), "text", 14),
        Column(N_("Region"), "text", 10),
        Column(N_("Branch"), "text", 20),
        Column(N_("Relationship manager"), "text", 14),
        Column(N_("Exposure (CNY)"), "amount", 18),
    ),
)


def customer_rows(items: Iterable[Mapping[str, Any]], language: Language) -> list[list[Cell]]:
    """Screening rows as rows of :data:`CUSTOMER_TABLE`, in ``language``.

    ``items`` are screening rows: ``exposure`` is a :class:`core.money.MoneyOut`-shaped
    mapping (``amount`` an exact decimal string) or ``None``.
    """
    rows: list[list[Cell]] = []
    for item in items:
        exposure = item.get("exposure")
        rows.append(
            [
                item.get("name"),
                item.get("uscc"),
                code_name(language, "segment", item["segment"]) if item.get("segment") else None,
                code_name(language, "industry", item["industry"]) if item.get("industry") else None,
                item.get("region"),
                item.get("branch_name") or item.get("branch_id"),
                item.get("rm_name") or item.get("rm_id"),
                Decimal(str(exposure["amount"])) if exposure else None,
            ]
        )
    return rows
