"""Reads behind a customer's supply-chain tiers and the book's cross-sell profiles.

The supply neighbourhood is every ``SUPPLIES`` relationship within two hops of a
customer, each with both parties' names and scope fields, so the caller can replace
companies outside the caller's branches by placeholders before anything is built.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final, LiteralString

from .branches import BranchScope, scope_predicate
from .database import Database

READ_CUSTOMER_IN_SCOPE: Final[LiteralString] = (
    "MATCH (c:Company {company_id: $id}) WHERE c:Customer AND "
    + scope_predicate("c")
    + " RETURN c.company_id AS id, c.name AS name"
)

READ_SUPPLY_NEIGHBOURHOOD: Final[LiteralString] = """
MATCH (c:Company {company_id: $id})
MATCH path = (c)-[:SUPPLIES*1..2]-(:Company)
UNWIND relationships(path) AS r
WITH DISTINCT r
WITH startNode(r) AS s, endNode(r) AS b, r
RETURN s.company_id AS supplier_id, b.company_id AS buyer_id,
       coalesce(r.annual_amount_minor, 0) AS amount_minor, coalesce(r.currency, 'CNY') AS currency,
       s.name AS supplier_name, b.name AS buyer_name,
       s:Customer AS supplier_is_customer, b:Customer AS buyer_is_customer,
       s.branch_id AS supplier_branch, b.branch_id AS buyer_branch
"""

READ_HOLDINGS: Final[LiteralString] = """
MATCH (c:Customer)
OPTIONAL MATCH (c)-[h:HOLDS]->(p:Product)
RETURN c.company_id AS id, c.industry AS industry, c.segment AS segment,
       collect({code: p.product_code, balance: h.balance_minor, currency: h.currency}) AS holdings
"""


@dataclass(frozen=True)
class CustomerRef:
    """A customer the caller may see: its id and name."""

    company_id: str
    name: str


@dataclass(frozen=True)
class SupplyParty:
    """One end of a supply relationship, with what scoping needs to decide on it."""

    company_id: str
    name: str | None
    is_customer: bool
    branch_id: str | None


@dataclass(frozen=True)
class SupplyTie:
    """``supplier`` supplies ``buyer`` for ``amount_minor`` a year (0 when unknown)."""

    supplier: SupplyParty
    buyer: SupplyParty
    amount_minor: int
    currency: str


@dataclass(frozen=True)
class Holding:
    """A product a customer holds, with its balance (``None`` when not recorded)."""

    product_code: str
    balance_minor: int | None
    currency: str | None


@dataclass(frozen=True)
class CustomerHoldings:
    """A customer's industry, segment and the products it holds."""

    company_id: str
    industry: str | None
    segment: str | None
    holdings: tuple[Holding, ...]


def read_customer_in_scope(db: Database, scope: BranchScope, company_id: str) -> CustomerRef | None:
    """The customer ``company_id`` if it is booked in the caller's branches, else ``None``."""
    row = db.read_one(READ_CUSTOMER_IN_SCOPE, {"id": company_id, **scope.parameters()})
    return None if row is None else CustomerRef(str(row["id"]), str(row["name"]))


def read_supply_neighbourhood(db: Database, company_id: str) -> list[SupplyTie]:
    """Every supply relationship within two hops of ``company_id``, each once (unscoped)."""
    return [
        SupplyTie(
            supplier=SupplyParty(
                str(r["supplier_id"]),
                r["supplier_name"],
                bool(r["supplier_is_customer"]),
                r["supplier_branch"],
            ),
            buyer=SupplyParty(
                str(r["buyer_id"]),
                r["buyer_name"],
                bool(r["buyer_is_customer"]),
                r["buyer_branch"],
            ),
            amount_minor=int(r["amount_minor"]),
            currency=str(r["currency"]),
        )
        for r in db.read(READ_SUPPLY_NEIGHBOURHOOD, {"id": company_id})
    ]


def read_holdings(db: Database) -> list[CustomerHoldings]:
    """Every customer's holdings (the input of the book's cross-sell index)."""
    return [
        CustomerHoldings(
            str(r["id"]),
            r["industry"],
            r["segment"],
            tuple(
                Holding(str(h["code"]), h["balance"], h["currency"])
                for h in r["holdings"]
                if h["code"] is not None
            ),
        )
        for r in db.read(READ_HOLDINGS)
    ]


READ_PRODUCT_NAMES: Final[LiteralString] = (
    "MATCH (p:Product) WHERE p.product_code IN $codes RETURN p.product_code AS code, p.name AS name"
)


def read_product_names(db: Database, codes: Iterable[str]) -> dict[str, str]:
    """The name of each product of ``codes`` that has one (a product is shown by name)."""
    return {
        str(r["code"]): str(r["name"])
        for r in db.read(READ_PRODUCT_NAMES, {"codes": sorted(set(codes))})
        if r["name"]
    }
