"""The 360 with its recent activity, read in one transaction.

The 360's sections (:func:`graph.customers.customer_360`), the customer's latest
events and its opportunities used to be three separate reads of several auto-commit
transactions each. One managed read transaction runs them all: one session from the
pool, one snapshot, and each query anchored on the customer's index seek.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from neo4j import ManagedTransaction

from core.formatting import Language

from .branches import BranchScope
from .customers import read_customer_360_sections
from .database import Database, TransactionReader
from .events import list_events
from .key_persons import read_key_persons
from .models import CustomerSections, EventOut, KeyPersonOut, OpportunityOut
from .opportunities import list_opportunities


@dataclass(frozen=True)
class CustomerView:
    """Every section of the 360, and the customer's latest events and opportunities.

    ``sections`` are those of :func:`graph.customers.customer_360`; ``events`` and
    ``opportunities`` are the list items of their own endpoints; ``key_persons`` those
    of :func:`graph.key_persons.read_key_persons`.
    """

    sections: CustomerSections
    events: tuple[EventOut, ...]
    events_total: int
    opportunities: tuple[OpportunityOut, ...]
    opportunities_total: int
    key_persons: tuple[KeyPersonOut, ...] = ()


def read_customer_view(
    db: Database,
    scope: BranchScope,
    company_id: str,
    *,
    top: int = 10,
    activity: int = 20,
    language: Language = "zh",
    today: date | None = None,
) -> CustomerView:
    """The 360 of ``company_id`` with its ``activity`` latest events and opportunities
    (their explanations in ``language``), and its key persons (roles current on
    ``today``, by default the date it is read).

    Raises
    ------
    NotFoundError
        Unknown id, not a customer, or booked outside the caller's subtree.
    """

    def work(tx: ManagedTransaction) -> CustomerView:
        reader = TransactionReader(tx)
        sections = read_customer_360_sections(reader, scope, company_id, top)
        events_total, events = list_events(
            reader, scope, customer=company_id, limit=activity, language=language
        )
        opportunities_total, opportunities = list_opportunities(
            reader, scope, company=company_id, limit=activity
        )
        # After the sections: they raise NotFoundError for a customer out of scope.
        key_persons = read_key_persons(
            reader, scope, company_id, today=today or date.today(), language=language
        )
        return CustomerView(
            sections,
            tuple(events),
            events_total,
            tuple(opportunities),
            opportunities_total,
            tuple(key_persons),
        )

    return db.read_tx(work)
