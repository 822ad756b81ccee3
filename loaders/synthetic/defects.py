"""The planted bad rows: a documented handful the loader must reject, and nothing else.

Every bad row is an *extra* row: no good row is changed and nothing refers to a
bad row, so removing the bad rows leaves exactly the planted bank. Each breaks
one rule, and only that one:

============== ==================== =====================================================
file           reason               the row
============== ==================== =====================================================
companies      invalid_uscc         a new company whose USCC has a wrong check character
shareholdings  out_of_range         share_pct ``120``
shareholdings  out_of_range         share_pct ``0``
shareholdings  share_total_exceeded 15% more of a company already held 70% + 30%;
                                    placed after that company's other rows
supply_links   self_reference       a company supplying itself
guarantees     unknown_reference    a borrower id that no company has
guarantees     duplicate_key        a later copy of a guarantee with another amount
facilities     invalid_currency     currency ``CYN`` (a transposed CNY)
holdings       missing_required     an empty balance
transactions   invalid_date         ``2025-02-30``
transactions   invalid_decimal      amount ``1O8000.00`` (a letter O for a zero)
============== ==================== =====================================================
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field

from core.uscc import ALPHABET
from loaders.contract import RejectReason

from .scales import ScaleSpec
from .structure import StructureBuilder
from .transactions import ExtraRow
from .vocabulary import PRODUCTS

Row = tuple[str, ...]


@dataclass(frozen=True)
class IdBook:
    """Public ids, and spare ids that no good row uses."""

    spare_company_id: str  # the bad company's id
    unknown_company_id: str  # refers to nothing
    spare_guarantee_id: str
    spare_facility_id: str


@dataclass
class BadRow:
    """One planted bad row: where it is and why it must be rejected."""

    file: str
    reason: RejectReason
    row: int = 0  # line number, header = 1; set once the file's rows are final
    values: Row = ()


@dataclass
class DefectPlan:
    """Bad rows of the small files (already inserted) and of the transactions (to insert)."""

    bad_rows: list[BadRow] = field(default_factory=list)
    transaction_rows: list[tuple[BadRow, ExtraRow]] = field(default_factory=list)


def _insert(rows: list[Row], position: int, bad: BadRow) -> None:
    rows.insert(position, bad.values)


def plant_defects(
    tables: dict[str, list[Row]],
    structure: StructureBuilder,
    ids: IdBook,
    spec: ScaleSpec,
    rng: random.Random,
) -> DefectPlan:
    """Insert the bad rows into ``tables`` (sorted good rows) and plan the bad payments.

    ``tables`` maps contract file names to their rows; they are changed in place.
    """
    bank = structure.bank
    companies = bank.companies
    result = DefectPlan()
    placed: list[tuple[list[Row], BadRow]] = []

    def add(file: str, reason: RejectReason, values: Row, position: int) -> None:
        bad = BadRow(file, reason, values=values)
        _insert(tables[file], position, bad)
        placed.append((tables[file], bad))
        result.bad_rows.append(bad)

    def anywhere(file: str) -> int:
        return rng.randint(1, len(tables[file]))

    # companies: a well-formed company but for its USCC's check character.
    region = structure.customer_city()
    valid = structure.new_uscc(region)
    broken = valid[:17] + ALPHABET[(ALPHABET.index(valid[17]) + 1) % len(ALPHABET)]
    name = structure.forge.company_name(region, "trading")
    add(
        "companies",
        RejectReason.INVALID_USCC,
        (
            ids.spare_company_id,
            name,
            broken,
            "false",
            "",
            "trading",
            region,
            "",
            "",
            "5000000.00",
            "2016-05-12",
            "active",
        ),
        anywhere("companies"),
    )

    # shareholdings: two stakes out of range on companies without other owners, and
    # one stake too many on the company whose owners already hold 100%.
    unowned = [c for c in structure.counterparty_pool if c not in structure.owned]
    first, second = rng.sample(unowned, 2)
    investors = rng.sample(structure.investor_persons, 3)
    person_ids = [bank.persons[p].person_id for p in investors]
    for company, person, pct in ((first, person_ids[0], "120"), (second, person_ids[1], "0")):
        add(
            "shareholdings",
            RejectReason.OUT_OF_RANGE,
            (person, "person", companies[company].company_id, pct, "2025-06-30"),
            anywhere("shareholdings"),
        )
    if structure.full_share_company is None:
        raise RuntimeError("no company with shares totalling 100% to overfill")
    full = companies[structure.full_share_company].company_id
    rows = tables["shareholdings"]
    after_last = max(i for i, row in enumerate(rows) if row[2] == full) + 1
    add(
        "shareholdings",
        RejectReason.SHARE_TOTAL_EXCEEDED,
        (person_ids[2], "person", full, "15", "2025-06-30"),
        after_last,
    )

    # supply_links: a chain member that supplies itself.
    member = rng.choice(rng.choice(bank.supply_chains).tier1_suppliers)
    member_id = companies[member].company_id
    add(
        "supply_links",
        RejectReason.SELF_REFERENCE,
        (member_id, member_id, "12000000.00", "CNY", "零部件", "2020-03-01"),
        anywhere("supply_links"),
    )

    # guarantees: a key repeated with another amount (after its good original), and
    # an unknown borrower.
    rows = tables["guarantees"]
    original_position = rng.randrange(len(rows))
    original = rows[original_position]
    whole, cents = original[3].split(".")
    add(
        "guarantees",
        RejectReason.DUPLICATE_KEY,
        (*original[:3], f"{int(whole) + 1_000_000}.{cents}", *original[4:]),
        rng.randint(original_position + 1, len(rows)),
    )
    guarantor = companies[rng.choice(structure.counterparty_pool)].company_id
    add(
        "guarantees",
        RejectReason.UNKNOWN_REFERENCE,
        (
            ids.spare_guarantee_id,
            guarantor,
            ids.unknown_company_id,
            "30000000.00",
            "CNY",
            "2024-04-01",
            "2026-03-31",
        ),
        anywhere("guarantees"),
    )

    # facilities: a currency code that is not ISO 4217.
    customer = rng.choice(structure.plain_customers)
    add(
        "facilities",
        RejectReason.INVALID_CURRENCY,
        (
            ids.spare_facility_id,
            companies[customer].company_id,
            "LN-WC",
            "8000000.00",
            "5000000.00",
            "CYN",
            "2027-06-30",
        ),
        anywhere("facilities"),
    )

    # holdings: a product the customer does not hold yet, with no balance.
    customer_id = companies[customer].company_id
    held = {row[1] for row in tables["holdings"] if row[0] == customer_id}
    # No archetype bundle holds every product, so one is always left.
    product = rng.choice([code for code, _, _ in PRODUCTS if code not in held])
    add(
        "holdings",
        RejectReason.MISSING_REQUIRED,
        (customer_id, product, "", "CNY", "2023-09-15"),
        anywhere("holdings"),
    )

    for rows_of_file, bad in placed:
        bad.row = next(i for i, row in enumerate(rows_of_file) if row is bad.values) + 2

    # transactions: two payments in February, placed among the month's good rows.
    events = set(structure.event_customers)
    payer = companies[rng.choice([c for c in structure.plain_customers if c not in events])]
    payer_id = payer.company_id
    payee = companies[rng.choice(structure.counterparty_pool)].company_id
    february = max(1, spec.transactions // 12)
    for reason, date_text, amount in (
        (RejectReason.INVALID_DATE, "2025-02-30", "56000.00"),
        (RejectReason.INVALID_DECIMAL, "2025-02-14", "1O8000.00"),
    ):
        values = (
            date_text,
            amount,
            "CNY",
            payer_id,
            "",
            "",
            "",
            payee,
            "",
            "",
            "",
            "网上银行",
            "货款",
        )
        bad = BadRow("transactions", reason, values=values)
        extra = ExtraRow(reason.value, 2, rng.randint(0, february // 2), values)
        result.transaction_rows.append((bad, extra))
        result.bad_rows.append(bad)
    return result


def bad_rows_by_file(bad_rows: Sequence[BadRow]) -> dict[str, int]:
    """How many bad rows each file has."""
    counts: dict[str, int] = {}
    for bad in bad_rows:
        counts[bad.file] = counts.get(bad.file, 0) + 1
    return counts
