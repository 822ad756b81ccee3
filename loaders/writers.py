"""Validated records as the rows of the load's write statements, per input file.

The statements themselves are in :mod:`graph.load_writes` (idempotent ``MERGE`` on
business keys with ``UNWIND $rows``); this module decides which statement a record
goes to and shapes its row. Money becomes integer minor units (``*_minor``) next to
its currency; Neo4j has no decimal type and floats would not be exact.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Final

from core.contacts import ContactKind, contact_key, normalise_contact
from core.names import name_key
from graph.load_writes import Upsert
from graph.opportunity_history import DATED_STAGES, history_entries
from graph.targets import target_id

from .parsing import to_minor_units
from .resolution import Resolution
from .validation import Record


def _minor(amount: Decimal | None, currency: str | None) -> int | None:
    if amount is None:
        return None
    return to_minor_units(amount, currency or "CNY")


def _plain(record: Record) -> dict[str, Any]:
    return {k: v for k, v in record.items() if not k.startswith("_")}


def _company_row(r: Record) -> dict[str, Any]:
    row = _plain(r)
    row["name_key"] = name_key(r["name"])
    row["registered_capital_minor"] = _minor(row.pop("registered_capital"), "CNY")
    return row


def _share_row(r: Record) -> dict[str, Any]:
    row = _plain(r)
    row["share_pct_exact"] = str(r["share_pct"])
    row["share_pct"] = float(r["share_pct"])
    return row


def _supply_row(r: Record) -> dict[str, Any]:
    row = _plain(r)
    row["annual_amount_minor"] = _minor(row.pop("annual_amount"), r["currency"])
    return row


def _guarantee_row(r: Record) -> dict[str, Any]:
    row = _plain(r)
    row["amount_minor"] = _minor(row.pop("amount"), r["currency"])
    return row


def _facility_row(r: Record) -> dict[str, Any]:
    row = _plain(r)
    row["limit_minor"] = _minor(row.pop("limit"), r["currency"])
    row["outstanding_minor"] = _minor(row.pop("outstanding"), r["currency"])
    return row


def _holding_row(r: Record) -> dict[str, Any]:
    row = _plain(r)
    row["balance_minor"] = _minor(row.pop("balance"), r["currency"])
    return row


def _snapshot_row(r: Record) -> dict[str, Any]:
    row = _plain(r)
    row["snapshot_id"] = f"{r['customer_id']}|{r['as_of'].isoformat()}"
    return row


def _fx_rate_row(r: Record) -> dict[str, Any]:
    row = _plain(r)
    row["rate_id"] = f"{r['currency']}|{r['rate_date'].isoformat()}"
    row["cny_per_unit"] = format(r["cny_per_unit"], "f")
    return row


def _target_row(r: Record) -> dict[str, Any]:
    row = _plain(r)
    row["target_id"] = target_id(
        r["scope_type"], r["scope_id"], r["metric"], r["category"], r["period"]
    )
    row["target_value"] = format(r["target_value"], "f")
    row.update(source="file", set_by=None, set_at=None, parent_target_id=None)
    return row


def _contact_row(r: Record) -> dict[str, Any]:
    row = _plain(r)
    kind = ContactKind(r["kind"])
    row["normalised"] = normalise_contact(kind, r["value"])
    row["contact_key"] = contact_key(kind, row["normalised"])
    row["contact_family"] = row["contact_key"].partition("|")[0]
    return row


def _opportunity_row(r: Record) -> dict[str, Any]:
    stages = {stage: r[stage] for stage in DATED_STAGES}
    stage, history = history_entries(r["created"], stages)
    return {
        "opportunity_id": r["opportunity_id"],
        "company_id": r["company_id"],
        "rm_id": r["rm_id"],
        "product": r["product"],
        "amount_minor": _minor(r["amount"], r["currency"]),
        "currency": r["currency"] or ("CNY" if r["amount"] is not None else None),
        "stage": stage,
        "history": history,
        "created_at": json.loads(history[0])["at"],
        "updated_at": json.loads(history[-1])["at"],
    }


@dataclass(frozen=True)
class Statement:
    """A write statement and how to turn a validated record into its row."""

    target: Upsert
    to_row: Callable[[Record], dict[str, Any]]
    #: Only records for which this is true (e.g. owner_type == "person").
    applies: Callable[[Record], bool] = lambda _record: True


#: The statements for each contract file, run in order.
STATEMENTS: Final[dict[str, tuple[Statement, ...]]] = {
    "branches": (Statement(Upsert.BRANCHES, _plain),),
    "relationship_managers": (Statement(Upsert.RELATIONSHIP_MANAGERS, _plain),),
    "companies": (Statement(Upsert.COMPANIES, _company_row),),
    "persons": (Statement(Upsert.PERSONS, _plain),),
    "products": (Statement(Upsert.PRODUCTS, _plain),),
    "shareholdings": (
        Statement(Upsert.COMPANY_SHAREHOLDINGS, _share_row, lambda r: r["owner_type"] == "company"),
        Statement(Upsert.PERSON_SHAREHOLDINGS, _share_row, lambda r: r["owner_type"] == "person"),
    ),
    "control_links": (
        Statement(Upsert.COMPANY_CONTROL, _plain, lambda r: r["controller_type"] == "company"),
        Statement(Upsert.PERSON_CONTROL, _plain, lambda r: r["controller_type"] == "person"),
    ),
    "supply_links": (Statement(Upsert.SUPPLY, _supply_row),),
    "guarantees": (Statement(Upsert.GUARANTEES, _guarantee_row),),
    "facilities": (Statement(Upsert.FACILITIES, _facility_row),),
    "holdings": (Statement(Upsert.HOLDINGS, _holding_row),),
    "segment_snapshots": (Statement(Upsert.SEGMENT_SNAPSHOTS, _snapshot_row),),
    "fx_rates": (Statement(Upsert.FX_RATES, _fx_rate_row),),
    "targets": (Statement(Upsert.TARGETS, _target_row),),
    "activities": (Statement(Upsert.ACTIVITIES, _plain),),
    "key_persons": (Statement(Upsert.KEY_PERSONS, _plain),),
    "person_relations": (Statement(Upsert.PERSON_RELATIONS, _plain),),
    "company_contacts": (Statement(Upsert.COMPANY_CONTACTS, _contact_row),),
    "opportunity_history": (Statement(Upsert.OPPORTUNITY_HISTORY, _opportunity_row),),
}


def statement_rows(statement: Statement, records: Iterable[Record]) -> Iterator[dict[str, Any]]:
    """The parameter rows of one statement."""
    return (statement.to_row(r) for r in records if statement.applies(r))


def counterparty_rows(created: Iterable[Resolution]) -> list[dict[str, Any]]:
    """Rows for :attr:`graph.load_writes.Upsert.COUNTERPARTIES`."""
    return [
        {"company_id": r.company_id, "name": r.name, "name_key": r.name_key, "uscc": r.uscc}
        for r in created
    ]
