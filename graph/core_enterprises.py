"""Core enterprises of the supply chains, as ``compute`` stored them, scoped.

A non-customer core enterprise is visible to everyone (it is public market
knowledge); a customer one only inside the caller's branch subtree.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, LiteralString

from core.messages import Message, from_json

from .branches import BranchScope, scope_predicate
from .compute_runs import published_runs
from .database import Database

_VISIBLE_CORES: Final[LiteralString] = (
    "MATCH (r:CompanyResult {run_id: $prospect_run}) WHERE r.core_enterprise = true "
    "MATCH (c:Company {company_id: r.company_id}) WHERE (NOT c:Customer OR "
    + scope_predicate("c")
    + ") "
)
READ_CORES: Final[LiteralString] = (
    _VISIBLE_CORES
    + """
RETURN c.company_id AS id, c.name AS name, c:Customer AS is_customer,
       c.industry AS industry, c.region AS region,
       r.supply_chain_id AS chain_id, r.supply_chain_size AS size,
       r.influence_supply_pagerank AS influence, r.core_explanation AS explanation,
       r.prospect_score AS prospect_score
ORDER BY size DESC, id
SKIP $offset LIMIT $limit
"""
)
COUNT_CORES: Final[LiteralString] = _VISIBLE_CORES + "RETURN count(c) AS total"


@dataclass(frozen=True)
class CoreEnterprise:
    """A core enterprise: the hub of a supply chain, with why it is one."""

    id: str
    name: str | None
    is_customer: bool
    industry: str | None
    region: str | None
    supply_chain_id: str | None
    supply_chain_size: int | None
    influence: float | None
    prospect_score: float | None
    explanation: tuple[Message, ...]  # language-neutral (core.messages); rendered when shown


def list_core_enterprises(
    db: Database, scope: BranchScope, *, limit: int, offset: int
) -> tuple[int, list[CoreEnterprise]]:
    """The visible core enterprises, largest supply chain first: the total and one page."""
    params = {
        **scope.parameters(),
        "limit": limit,
        "offset": offset,
        "prospect_run": published_runs(db, ("prospects",)).prospects,
    }
    total_row = db.read_one(COUNT_CORES, params)
    items = [
        CoreEnterprise(
            id=str(r["id"]),
            name=r["name"],
            is_customer=bool(r["is_customer"]),
            industry=r["industry"],
            region=r["region"],
            supply_chain_id=r["chain_id"],
            supply_chain_size=r["size"],
            influence=r["influence"],
            prospect_score=r["prospect_score"],
            explanation=tuple(from_json(r["explanation"])),
        )
        for r in db.read(READ_CORES, params)
    ]
    return int(total_row["total"]) if total_row else 0, items
