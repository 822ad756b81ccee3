"""KPI definitions, once: what each metric measures, its unit and how it rolls up.

Every plan, target and report reads metrics from :data:`METRICS`. A metric is
computed at a snapshot date from what the graph holds (:mod:`services.kpis`) as
*contributions* of integers (a numerator and a denominator) attributed to a booking
branch and an RM, so that rolling up the branch tree is exact:

- ``sum`` metrics (balances, counts) add their numerators; the denominator is 1
  per contribution and means nothing;
- ``weighted_mean`` metrics (products per customer, response time, shares) add
  numerators and denominators separately; a unit's value is their quotient, which
  is the mean of its children's values weighted by their denominators.

Money metrics hold CNY minor units (fen). Each customer's (or opportunity's)
amounts are converted once, at the rates in force on the snapshot date, and rounded
once to the fen (:func:`core.money.cny_equivalent`); units then add fen exactly, so a
parent always equals the sum of its children. An amount whose currency had no rate
on that date is never added at a guess: it is listed apart (``no_rate``).

Names are catalogue ``msgid``\\s (English), shown in the reader's language.

Examples
--------
>>> METRICS["holding_balance"].rollup.value, METRICS["products_per_customer"].rollup.value
('sum', 'weighted_mean')
>>> METRICS["customers"].unit, METRICS["event_response_hours"].unit
('count', 'hours')
>>> parse_period("2026-Q2")
Period(code='2026-Q2', start=datetime.date(2026, 4, 1), end=datetime.date(2026, 6, 30))
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from fractions import Fraction
from typing import Final, Literal

from .errors import InputValidationError
from .i18n import N_


class Rollup(StrEnum):
    """How a parent unit's value comes from its children's."""

    SUM = "sum"
    WEIGHTED_MEAN = "weighted_mean"


#: What a value is measured in. ``money`` is CNY fen; ``share`` is a fraction shown as a
#: percentage; ``hours`` is a mean of seconds shown in hours.
MetricUnit = Literal["money", "count", "ratio", "share", "hours"]


@dataclass(frozen=True)
class MetricDefinition:
    """One KPI: its code, its name and explanation (catalogue msgids), unit and roll-up."""

    code: str
    name: str
    description: str
    unit: MetricUnit
    rollup: Rollup
    #: The categories its values are broken down by (product category, stage), if any.
    #: ``None`` as a category is the metric over every category.
    dimension: str | None = None


#: Customers won and lost, and the sales diligence the scorecards read (issue 15, T14).
#: Counts that grow with time are cumulative to the date, like ``opportunities_won``: a
#: period's figure is the value at its end less the value the day before it began.
_ACQUISITION_AND_DILIGENCE: Final[tuple[MetricDefinition, ...]] = (
    MetricDefinition(
        "new_customers_won",
        N_("New customers won"),
        N_(
            "Customers whose relationship began (their first holding was opened) on or "
            "before the date; a period's new customers are the difference across it."
        ),
        "count",
        Rollup.SUM,
    ),
    MetricDefinition(
        "lost_customers",
        N_("Lost customers"),
        N_(
            "Customers whose every holding was closed on or before the date, counted from "
            "the last closing; a period's losses are the difference across it."
        ),
        "count",
        Rollup.SUM,
    ),
    MetricDefinition(
        "sales_activities",
        N_("Sales activities (visits and calls)"),
        N_(
            "Visits and calls the RMs logged on or before the date, by kind, counted for "
            "the RM and the branch the RM works at."
        ),
        "count",
        Rollup.SUM,
        "activity_kind",
    ),
    MetricDefinition(
        "opportunities_advanced",
        N_("Opportunities advanced"),
        N_(
            "Forward stage moves of opportunities (to a later stage, won included) made "
            "on or before the date."
        ),
        "count",
        Rollup.SUM,
    ),
)

METRICS: Final[dict[str, MetricDefinition]] = {
    m.code: m
    for m in (
        MetricDefinition(
            "holding_balance",
            N_("Product balances (CNY equivalent)"),
            N_(
                "Balances of the products customers hold (deposits, cash management...), "
                "by product category, converted at the rates in force on the date; "
                "holdings opened after the date are left out."
            ),
            "money",
            Rollup.SUM,
            "product_category",
        ),
        MetricDefinition(
            "facility_outstanding",
            N_("Loans outstanding (CNY equivalent)"),
            N_(
                "Outstanding of the credit facilities not matured on the date, by product "
                "category, converted at the rates in force on the date. The data holds "
                "each facility's current outstanding, not its history."
            ),
            "money",
            Rollup.SUM,
            "product_category",
        ),
        MetricDefinition(
            "customers",
            N_("Customers"),
            N_(
                "Customers whose relationship had begun on the date: their first holding "
                "was opened on or before it (customers without a dated holding always count), "
                "and had not ended: not every holding closed by then."
            ),
            "count",
            Rollup.SUM,
        ),
        MetricDefinition(
            "products_per_customer",
            N_("Products per customer"),
            N_("Distinct products held on the date per customer counted on the date."),
            "ratio",
            Rollup.WEIGHTED_MEAN,
        ),
        MetricDefinition(
            "opportunities_won",
            N_("Opportunities won"),
            N_("Opportunities moved to won on or before the date."),
            "count",
            Rollup.SUM,
        ),
        MetricDefinition(
            "opportunities_won_amount",
            N_("Amount of opportunities won (CNY equivalent)"),
            N_(
                "Expected amounts of the opportunities won on or before the date, "
                "converted at the rates in force on the date."
            ),
            "money",
            Rollup.SUM,
        ),
        MetricDefinition(
            "stage_conversion",
            N_("Conversion by stage"),
            N_(
                "Of the opportunities that reached the previous stage by the date, the share "
                "that reached this stage (or a later one) by the date."
            ),
            "share",
            Rollup.WEIGHTED_MEAN,
            "stage",
        ),
        MetricDefinition(
            "event_response_hours",
            N_("Event response time (hours)"),
            N_(
                "Mean time from an event's detection to its first handling "
                "(acknowledged, actioned or dismissed), over the events handled by the date."
            ),
            "hours",
            Rollup.WEIGHTED_MEAN,
        ),
        MetricDefinition(
            "events_actioned_share",
            N_("Share of events actioned"),
            N_("Of the events detected by the date, the share actioned by the date."),
            "share",
            Rollup.WEIGHTED_MEAN,
        ),
        *_ACQUISITION_AND_DILIGENCE,
    )
}
#: The metric codes, in the registry's order (the ``targets`` file's ``metric`` values).
METRIC_CODES: Final[tuple[str, ...]] = tuple(METRICS)
#: The stages whose conversion is measured, each from the stage before it.
CONVERSION_STAGES: Final[tuple[str, ...]] = ("contacted", "proposal", "won")

#: Counts and amounts that grow with time (cumulative to the date): a period's figure is
#: the value at its end less the value the day before it began. Other metrics are read as
#: they stand at a period's end (balances, customers) or as its mean (ratios, shares).
CUMULATIVE_METRICS: Final[frozenset[str]] = frozenset(
    {
        "opportunities_won",
        "opportunities_won_amount",
        "new_customers_won",
        "lost_customers",
        "sales_activities",
        "opportunities_advanced",
    }
)
#: Metrics where less is better (a target is a ceiling): losses and response time.
LOWER_IS_BETTER: Final[frozenset[str]] = frozenset({"lost_customers", "event_response_hours"})

#: Scope types of a KPI unit or a target.
ScopeType = Literal["branch", "rm"]
SCOPE_TYPES: Final[tuple[ScopeType, ...]] = ("branch", "rm")


def metric(code: str) -> MetricDefinition:
    """The definition of ``code``; 422 for an unknown metric."""
    found = METRICS.get(code)
    if found is None:
        raise InputValidationError(
            f"unknown metric {code}", details={"allowed": list(METRIC_CODES)}
        )
    return found


def display_value(definition: MetricDefinition, numerator: int, denominator: int) -> Decimal | None:
    """A value in the unit people read: yuan, a count, a ratio, a percentage or hours.

    ``None`` when a weighted mean has nothing to average (a zero denominator). Ratios
    are rounded half up to 4 decimals; money, counts and sums are exact.

    Examples
    --------
    >>> display_value(METRICS["holding_balance"], 123456, 1)
    Decimal('1234.56')
    >>> display_value(METRICS["events_actioned_share"], 1, 3)
    Decimal('33.3333')
    >>> display_value(METRICS["event_response_hours"], 5400, 1)
    Decimal('1.5000')
    >>> display_value(METRICS["products_per_customer"], 0, 0) is None
    True
    """
    if definition.unit == "money":
        return Decimal(numerator).scaleb(-2)
    if definition.unit == "count":
        return Decimal(numerator)
    if denominator == 0:
        return None
    quotient = Fraction(numerator, denominator)
    if definition.unit == "share":
        quotient *= 100
    elif definition.unit == "hours":
        quotient /= 3600
    value = Decimal(quotient.numerator) / Decimal(quotient.denominator)
    return value.quantize(Decimal("0.0001"), ROUND_HALF_UP)


# --- periods --------------------------------------------------------------------------------
_PERIOD: Final = re.compile(r"^(\d{4})(?:-(Q[1-4]|0[1-9]|1[0-2]))?$")


@dataclass(frozen=True)
class Period:
    """A plan period: a year (``2026``), a quarter (``2026-Q1``) or a month (``2026-03``)."""

    code: str
    start: date
    end: date


def parse_period(text: str) -> Period:
    """The period named by ``text``; 422 for anything else.

    Examples
    --------
    >>> parse_period("2026").end, parse_period("2026-02").end
    (datetime.date(2026, 12, 31), datetime.date(2026, 2, 28))
    """
    match = _PERIOD.match(text.strip().upper())
    if match is None:
        raise InputValidationError(
            f"period {text!r} is not a year (2026), a quarter (2026-Q1) or a month (2026-03)",
            details={"period": text},
        )
    year = int(match.group(1))
    part = match.group(2)
    if part is None:
        return Period(str(year), date(year, 1, 1), date(year, 12, 31))
    if part.startswith("Q"):
        quarter = int(part[1])
        first, last = 3 * quarter - 2, 3 * quarter
        return Period(
            f"{year}-{part}",
            date(year, first, 1),
            date(year, last, calendar.monthrange(year, last)[1]),
        )
    month = int(part)
    return Period(
        f"{year}-{part}",
        date(year, month, 1),
        date(year, month, calendar.monthrange(year, month)[1]),
    )
