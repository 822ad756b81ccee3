"""KPIs as a file a manager opens in Excel (CSV or xlsx), in the reader's language.

One row per unit, metric and category, as ``GET /api/v1/kpis`` answers them: the
metric by its name, the value in its unit (yuan for money), and the exact sum and
count the value comes from, so a reader can check any roll-up by hand.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Final

from core.formatting import Language
from core.i18n import N_, gettext
from core.kpis import METRICS

from .exports import Cell, Column, Table
from .kpis import KpiRow

KPI_TABLE: Final = Table(
    N_("KPIs"),
    (
        Column(N_("Unit type"), "text", 10),
        Column(N_("Unit id"), "text", 14),
        Column(N_("Unit"), "text", 20),
        Column(N_("Metric"), "text", 30),
        Column(N_("Category"), "text", 16),
        Column(N_("Date"), "text", 12),
        Column(N_("Value"), "amount", 18),
        Column(N_("Numerator"), "integer", 18),
        Column(N_("Denominator"), "integer", 14),
    ),
)

_SCOPE_TYPE_NAMES: Final = {"branch": N_("Branch"), "rm": N_("Relationship manager")}


def kpi_export_rows(rows: Iterable[KpiRow], language: Language) -> Iterator[list[Cell]]:
    """The cells of :data:`KPI_TABLE` for each row."""
    for row in rows:
        yield [
            gettext(language, _SCOPE_TYPE_NAMES[row.unit.scope_type]),
            row.unit.scope_id,
            row.unit.name,
            gettext(language, METRICS[row.metric].name),
            row.category or gettext(language, N_("All")),
            row.on.isoformat(),
            row.value,
            row.numerator,
            row.denominator,
        ]
