"""The scorecard's lines (T14), defined once: the metric each reads, how, and which way is better.

:mod:`algorithms.scorecards` computes them; the weights are ``Settings.scorecard_weights``
(keyed by :data:`SCORECARD_LINES`); the names are catalogue ``msgid``\\s.

Examples
--------
>>> SCORECARD_LINES[:2]
('new_customers', 'lost_customers')
>>> COMPONENTS[1].higher_is_better
False
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

from .i18n import N_

#: ``level``: the metric at the date; ``window``: what it added over the scoring window;
#: ``window_per_month``: the same per month of the window.
Basis = Literal["level", "window", "window_per_month"]
Group = Literal["results", "diligence"]


@dataclass(frozen=True)
class Component:
    """One line of a scorecard: a metric, how it is read, and which way is better."""

    code: str
    name: str
    metric: str
    basis: Basis
    higher_is_better: bool
    group: Group


#: Results first, then diligence (activities logged, event response time, opportunities
#: advanced per month), as the plan's T14 asks.
COMPONENTS: Final[tuple[Component, ...]] = (
    Component(
        "new_customers", N_("New customers won"), "new_customers_won", "window", True, "results"
    ),
    Component("lost_customers", N_("Customers lost"), "lost_customers", "window", False, "results"),
    Component(
        "won_amount",
        N_("Amount of opportunities won"),
        "opportunities_won_amount",
        "window",
        True,
        "results",
    ),
    Component("balances", N_("Product balances"), "holding_balance", "level", True, "results"),
    Component(
        "activities",
        N_("Visits and calls per month"),
        "sales_activities",
        "window_per_month",
        True,
        "diligence",
    ),
    Component(
        "response_time",
        N_("Event response time (hours)"),
        "event_response_hours",
        "level",
        False,
        "diligence",
    ),
    Component(
        "advanced",
        N_("Opportunities advanced per month"),
        "opportunities_advanced",
        "window_per_month",
        True,
        "diligence",
    ),
)
SCORECARD_LINES: Final[tuple[str, ...]] = tuple(c.code for c in COMPONENTS)
GROUP_NAMES: Final[dict[str, str]] = {"results": N_("Results"), "diligence": N_("Diligence")}
