"""The graph facts KPIs are computed from, as of a snapshot date (all reads).

Each read returns one row per atomic fact — a position, a customer, an opportunity,
an event — with the booking branch and the RM it is attributed to, so that
:mod:`algorithms.kpis` can add them up the branch tree exactly. Nothing here
aggregates: the one definition of every metric is :data:`core.kpis.METRICS` and its
computation lives in :func:`algorithms.kpis.contributions`.

Dates: a holding counts from its ``opened`` date until its ``closed`` date; a
facility counts until its ``maturity`` (the contract keeps no history of balances,
so a past date sees the current balance of what was open then); opportunities and
events are dated by their stage and status histories.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, Final, LiteralString

from core.money import FxRate

from .activities import ActivityFact, read_activities
from .compute_runs import EVENT_PUBLISHED, published_runs
from .database import Reader

HOLDINGS_ON: Final[LiteralString] = (
    "MATCH (c:Customer)-[h:HOLDS]->(p:Product) "
    "WHERE (h.opened IS NULL OR h.opened <= date($on)) "
    "AND (h.closed IS NULL OR h.closed > date($on)) "
    "RETURN c.company_id AS customer_id, c.branch_id AS branch_id, c.rm_id AS rm_id, "
    "p.product_code AS product_code, coalesce(p.category, p.product_code) AS category, "
    "h.currency AS currency, coalesce(h.balance_minor, 0) AS amount_minor"
)
#: A facility's ``product`` is a product code when the catalogue has it; its category
#: is then the catalogue's, else the product text itself.
FACILITIES_ON: Final[LiteralString] = (
    "MATCH (c:Customer)-[:HAS_FACILITY]->(f:Facility) "
    "WHERE f.maturity IS NULL OR f.maturity >= date($on) "
    "OPTIONAL MATCH (p:Product {product_code: f.product}) "
    "RETURN c.company_id AS customer_id, c.branch_id AS branch_id, c.rm_id AS rm_id, "
    "f.product AS product_code, coalesce(p.category, f.product) AS category, "
    "f.currency AS currency, coalesce(f.outstanding_minor, 0) AS amount_minor"
)
CUSTOMERS: Final[LiteralString] = (
    "MATCH (c:Customer) "
    "OPTIONAL MATCH (c)-[h:HOLDS]->(:Product) "
    "WITH c, min(h.opened) AS since, count(h) AS held, count(h.closed) AS closed, "
    "max(h.closed) AS last_closed "
    "RETURN c.company_id AS customer_id, c.branch_id AS branch_id, c.rm_id AS rm_id, "
    "CASE WHEN since IS NULL THEN null ELSE toString(since) END AS since, "
    "CASE WHEN held > 0 AND closed = held THEN toString(last_closed) END AS lost_on"
)
RATES: Final[LiteralString] = (
    "MATCH (r:FxRate) RETURN r.currency AS currency, toString(r.rate_date) AS rate_date, "
    "r.cny_per_unit AS cny_per_unit"
)
OPPORTUNITIES: Final[LiteralString] = (
    "MATCH (o:Opportunity) "
    "RETURN o.opportunity_id AS opportunity_id, o.branch_id AS branch_id, "
    "o.owner_rm_id AS rm_id, o.amount_minor AS amount_minor, o.currency AS currency, "
    "toString(o.created_at) AS created_at, o.history AS history"
)
EVENTS: Final[LiteralString] = (
    "MATCH (e:Event)-[:ABOUT]->(c:Company) WHERE "
    + EVENT_PUBLISHED
    + " RETURN e.event_id AS event_id, c.branch_id AS branch_id, e.owner_rm_id AS rm_id, "
    "e.created_ms AS created_ms, e.history AS history"
)


@dataclass(frozen=True)
class Position:
    """One holding or facility amount of a customer, in its own currency."""

    customer_id: str
    branch_id: str | None
    rm_id: str | None
    product_code: str
    category: str
    currency: str
    amount_minor: int


@dataclass(frozen=True)
class CustomerFact:
    """A customer, where it is booked, and when its relationship began (if known)."""

    customer_id: str
    branch_id: str | None
    rm_id: str | None
    since: date | None
    #: The day its last holding closed, when every holding it had is closed.
    lost_on: date | None = None


@dataclass(frozen=True)
class StatusChange:
    """One entry of a stage or status history: the new state and when."""

    to: str
    at: datetime


@dataclass(frozen=True)
class OpportunityFact:
    """An opportunity: where it is attributed, its amount and its stage history."""

    opportunity_id: str
    branch_id: str | None
    rm_id: str | None
    amount_minor: int | None
    currency: str | None
    created_at: datetime
    history: tuple[StatusChange, ...]


@dataclass(frozen=True)
class EventFact:
    """A published event: where it is attributed, when it was detected, its history."""

    event_id: str
    branch_id: str | None
    rm_id: str | None
    detected_at: datetime
    history: tuple[StatusChange, ...]


@dataclass(frozen=True)
class KpiFacts:
    """Everything the metrics need at one snapshot date."""

    on: date
    holdings: tuple[Position, ...]
    facilities: tuple[Position, ...]
    customers: tuple[CustomerFact, ...]
    rates: tuple[FxRate, ...]
    opportunities: tuple[OpportunityFact, ...]
    events: tuple[EventFact, ...]
    activities: tuple[ActivityFact, ...] = ()


def _moment(text: str) -> datetime:
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _history(entries: list[str] | None) -> tuple[StatusChange, ...]:
    changes: list[StatusChange] = []
    for raw in entries or []:
        entry: dict[str, Any] = json.loads(raw)
        if entry.get("to") and entry.get("at"):
            changes.append(StatusChange(str(entry["to"]), _moment(str(entry["at"]))))
    return tuple(sorted(changes, key=lambda change: change.at))


def _position(row: dict[str, Any]) -> Position:
    return Position(
        str(row["customer_id"]),
        row["branch_id"],
        row["rm_id"],
        str(row["product_code"]),
        str(row["category"]),
        str(row["currency"]),
        int(row["amount_minor"]),
    )


def read_kpi_facts(db: Reader, on: date) -> KpiFacts:
    """Every fact the metrics read, as of ``on`` (positions filtered by their dates)."""
    return read_kpi_facts_on(db, [on])[on]


def read_kpi_facts_on(db: Reader, dates: Iterable[date]) -> dict[date, KpiFacts]:
    """The facts of :func:`read_kpi_facts` for each of ``dates``.

    Customers, rates, opportunities and events carry their own dates and are read
    once for all of them (they are most of the rows: every opportunity's and event's
    history); only the positions and activities are read per date.
    """
    event_run = published_runs(db, ("events",)).events
    customers = tuple(
        CustomerFact(
            str(r["customer_id"]),
            r["branch_id"],
            r["rm_id"],
            date.fromisoformat(r["since"]) if r["since"] else None,
            date.fromisoformat(r["lost_on"]) if r["lost_on"] else None,
        )
        for r in db.read(CUSTOMERS)
    )
    rates = tuple(
        FxRate(str(r["currency"]), date.fromisoformat(r["rate_date"]), Decimal(r["cny_per_unit"]))
        for r in db.read(RATES)
    )
    opportunities = tuple(
        OpportunityFact(
            str(r["opportunity_id"]),
            r["branch_id"],
            r["rm_id"],
            r["amount_minor"],
            r["currency"],
            _moment(str(r["created_at"])),
            _history(r["history"]),
        )
        for r in db.read(OPPORTUNITIES)
        if r["created_at"]
    )
    events = tuple(
        EventFact(
            str(r["event_id"]),
            r["branch_id"],
            r["rm_id"],
            datetime.fromtimestamp(int(r["created_ms"]) / 1000, UTC),
            _history(r["history"]),
        )
        for r in db.read(EVENTS, {"event_run": event_run})
        if r["created_ms"] is not None
    )
    facts: dict[date, KpiFacts] = {}
    for on in sorted(set(dates)):
        params = {"on": on.isoformat()}
        facts[on] = KpiFacts(
            on=on,
            holdings=tuple(_position(r) for r in db.read(HOLDINGS_ON, params)),
            facilities=tuple(_position(r) for r in db.read(FACILITIES_ON, params)),
            customers=customers,
            rates=rates,
            opportunities=opportunities,
            events=events,
            activities=read_activities(db, on),
        )
    return facts
