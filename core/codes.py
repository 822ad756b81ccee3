"""The code lists of the domain: one definition each, imported by every layer.

The UI names each code through the message catalogue (``api/vocabulary.py`` lists
them for extraction), so a code never reaches a user as it is written here.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final, Literal

EventType = Literal[
    "large_outflow",
    "large_inflow",
    "counterparty_loss",
    "new_major_counterparty",
    "dormancy",
    "group_risk",
    "controller_change",
    "segment_downgrade",
    "target_at_risk",
]
Severity = Literal["low", "medium", "high"]
Action = Literal["retention_visit", "cross_sell", "risk_review"]

EVENT_TYPES: Final[tuple[EventType, ...]] = (
    "large_outflow",
    "large_inflow",
    "counterparty_loss",
    "new_major_counterparty",
    "dormancy",
    "group_risk",
    "controller_change",
    "segment_downgrade",
    # A unit (branch or RM) likely to miss a plan target, raised to its manager
    # (services.kpi_tracking); about the unit, not a customer.
    "target_at_risk",
)
EventStatus = Literal["new", "acknowledged", "actioned", "dismissed"]
#: Event statuses, in their usual order.
STATUSES: Final[tuple[EventStatus, ...]] = ("new", "acknowledged", "actioned", "dismissed")
SEVERITIES: Final[tuple[Severity, ...]] = ("low", "medium", "high")
#: Segments, highest first (the synthetic bank and the loader use these names).
SEGMENT_ORDER: Final[tuple[str, ...]] = ("strategic", "core", "growth", "basic")


class Role(StrEnum):
    """What a user does; endpoints allow roles, not users."""

    RM = "rm"
    RISK = "risk"
    PROSPECTING = "prospecting"
    MANAGER = "manager"
    ADMIN = "admin"


OpportunityStage = Literal["identified", "contacted", "proposal", "won", "lost"]
#: Opportunity stages, in pipeline order.
STAGES: Final[tuple[OpportunityStage, ...]] = ("identified", "contacted", "proposal", "won", "lost")
OPEN_STAGES: Final[tuple[OpportunityStage, ...]] = ("identified", "contacted", "proposal")
CLOSED_STAGES: Final[frozenset[OpportunityStage]] = frozenset({"won", "lost"})
OpportunitySource = Literal["prospect", "event", "recommendation", "manual"]
#: Where an opportunity comes from.
SOURCES: Final[tuple[OpportunitySource, ...]] = ("prospect", "event", "recommendation", "manual")

ActivityKind = Literal["visit", "call", "meeting", "proposal_sent", "note"]
#: What an RM records on an opportunity or a customer (the ``activities`` file's ``kind``).
ACTIVITY_KINDS: Final[tuple[ActivityKind, ...]] = (
    "visit",
    "call",
    "meeting",
    "proposal_sent",
    "note",
)
#: The kinds that count as sales activities (the ``sales_activities`` metric): the RM's
#: own contacts with the customer, as the plan measures diligence (visits and calls).
SALES_ACTIVITY_KINDS: Final[tuple[ActivityKind, ...]] = ("visit", "call")
