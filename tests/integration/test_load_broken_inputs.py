"""Every broken input of the hardening issue is a reject (or one clear error), never a crash.

One copy of the tiny synthetic bank is broken in several places at once, each in a
different file or row, and loaded through the public CLI; a clean copy is loaded first
as the reference. Each test checks one broken input: its reject (file, row, field,
reason) and that the graph holds exactly what the clean load holds minus that row: the
load is complete, not half-written. ``corpgraph load`` exits 0 with rejects, 2 on a
fatal input error (nothing of that file written), and never prints a traceback.
"""

from __future__ import annotations

import csv
import re
import shutil
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from graph import schema
from graph.database import Database
from loaders.parsing import MAX_MINOR_UNITS, parse_decimal, to_minor_units

from .conftest import cli_env, run_cli

MAX_PAYMENT = "92233720368547758.07"  # 2^63 - 1 fen: the largest amount Neo4j can hold
OVERFLOW_MONTH = "2025-06"

FACILITIES = (
    "MATCH (c:Company)-[:HAS_FACILITY]->(f:Facility) "
    "RETURN f.facility_id AS id, c.company_id AS customer, f.limit_minor AS limit_minor, "
    "f.outstanding_minor AS outstanding_minor, f.currency AS currency"
)
SNAPSHOTS = (
    "MATCH (c:Company)-[:HAS_SEGMENT]->(s:SegmentSnapshot) "
    "RETURN s.snapshot_id AS id, s.segment AS segment"
)
GUARANTEES = "MATCH ()-[g:GUARANTEES]->() RETURN g.guarantee_id AS id, g.amount_minor AS amount"
HOLDINGS = (
    "MATCH (c:Company)-[h:HOLDS]->(p:Product) RETURN c.company_id + '|' + p.product_code AS id"
)
PAYS = (
    "MATCH (a:Company)-[r:PAYS]->(b:Company) "
    "RETURN a.company_id AS payer, b.company_id AS payee, r.month AS month, "
    "r.currency AS currency, r.amount_minor AS amount, r.txn_count AS txn_count"
)
COMPANIES = "MATCH (c:Company) RETURN c.company_id AS id"


@dataclass
class Graph:
    """What a load stored, keyed for exact comparison."""

    facilities: dict[str, tuple[Any, ...]]
    snapshots: dict[str, str]
    guarantees: dict[str, int]
    holdings: set[str]
    pays: dict[tuple[str, str, str, str], tuple[int, int]]
    companies: set[str]


def read_graph(db: Database) -> Graph:
    return Graph(
        facilities={
            r["id"]: (r["customer"], r["limit_minor"], r["outstanding_minor"], r["currency"])
            for r in db.read(FACILITIES)
        },
        snapshots={r["id"]: r["segment"] for r in db.read(SNAPSHOTS)},
        guarantees={r["id"]: r["amount"] for r in db.read(GUARANTEES)},
        holdings={r["id"] for r in db.read(HOLDINGS)},
        pays={
            (r["payer"], r["payee"], r["month"], r["currency"]): (r["amount"], r["txn_count"])
            for r in db.read(PAYS)
        },
        companies={r["id"] for r in db.read(COMPANIES)},
    )


@dataclass
class Breakage:
    """Where the broken bank was broken: line numbers and ids, for the tests to check."""

    facility_decimals: tuple[int, str] = (0, "")
    facility_huge: tuple[int, str] = (0, "")
    facility_long_row: tuple[int, str] = (0, "")
    snapshot_long_field: tuple[int, str] = (0, "")
    txn_long_field: tuple[int, dict[str, str]] = (0, {})
    txn_short_row: tuple[int, dict[str, str]] = (0, {})
    max_payment: tuple[int, tuple[str, str]] = (0, ("", ""))
    overflowing_payment: int = 0
    rejects: list[dict[str, str]] = field(default_factory=list)


def _read(path: Path) -> tuple[list[str], list[list[str]]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    return rows[0], rows[1:]


def _write(path: Path, header: list[str], rows: list[list[str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)


def _first_good(rows: list[list[str]], header: list[str], skip: set[int], **want: str) -> int:
    """Index of the first row with every ``want`` column non-empty (or equal) not in skip."""
    for index, row in enumerate(rows):
        values = dict(zip(header, row, strict=True))
        if index in skip:
            continue
        if all((values[k] == v) if v else bool(values[k]) for k, v in want.items()):
            return index
    raise AssertionError(f"no row with {want}")


def _by_id_pair_shared_month(header: list[str], rows: list[list[str]]) -> list[int]:
    """Rows paid between two ids whose payer, payee, month and currency has other rows too
    (removing one changes the flow's sum and count, never whether the flow exists)."""
    keys: dict[tuple[str, ...], list[int]] = {}
    for index, row in enumerate(rows):
        v = dict(zip(header, row, strict=True))
        if (
            v["payer_id"]
            and v["payee_id"]
            and v["currency"] == "CNY"
            and re.fullmatch(r"\d{4}-\d{2}-\d{2}", v["date"])
            and re.fullmatch(r"\d+\.\d{2}", v["amount"])
        ):
            keys.setdefault((v["payer_id"], v["payee_id"], v["date"][:7]), []).append(index)
    return [lines[0] for lines in keys.values() if len(lines) >= 3]


def break_bank(source: Path, target: Path, clean: Graph) -> Breakage:
    shutil.copytree(source, target)
    broken = Breakage()

    header, rows = _read(target / "facilities.csv")
    a = _first_good(rows, header, set(), currency="CNY")
    b = _first_good(rows, header, {a}, currency="CNY")
    c = _first_good(rows, header, {a, b}, limit="")
    rows[a][header.index("limit")] = "1.234"
    rows[b][header.index("limit")] = "1E30"
    rows[c] = [*rows[c], "extra"]
    broken.facility_decimals = (a + 2, rows[a][0])
    broken.facility_huge = (b + 2, rows[b][0])
    broken.facility_long_row = (c + 2, rows[c][0])
    _write(target / "facilities.csv", header, rows)

    header, rows = _read(target / "segment_snapshots.csv")
    rows[0][header.index("segment")] = "长" * 200_000
    broken.snapshot_long_field = (2, f"{rows[0][0]}|{rows[0][1]}")
    _write(target / "segment_snapshots.csv", header, rows)

    (target / "guarantees.csv").write_bytes(b"")
    header, _ = _read(target / "holdings.csv")
    _write(target / "holdings.csv", header, [])

    header, rows = _read(target / "transactions.csv")
    long_field, short_row = _by_id_pair_shared_month(header, rows)[:2]
    broken.txn_long_field = (long_field + 2, dict(zip(header, rows[long_field], strict=True)))
    broken.txn_short_row = (short_row + 2, dict(zip(header, rows[short_row], strict=True)))
    rows[long_field][header.index("purpose")] = "x" * (3 * 1024 * 1024)
    rows[short_row] = rows[short_row][:6]
    payer, payee = sorted(c for c in clean.companies if c.startswith("C"))[:2]
    assert not any(k[:2] == (payer, payee) for k in clean.pays)
    for number, amount in ((1, MAX_PAYMENT), (2, "0.01")):
        row = dict.fromkeys(header, "")
        row.update(
            txn_id=f"TMAX{number}",
            date=f"{OVERFLOW_MONTH}-15",
            amount=amount,
            currency="CNY",
            payer_id=payer,
            payee_id=payee,
        )
        rows.append([row[h] for h in header])
    broken.max_payment = (len(rows), (payer, payee))
    broken.overflowing_payment = len(rows) + 1
    _write(target / "transactions.csv", header, rows)
    return broken


def _load(folder: Path, rejects: Path) -> Any:
    done = run_cli("load", str(folder), "--rejects", str(rejects), env=cli_env(), check=False)
    assert "Traceback" not in done.stderr + done.stdout
    return done


@dataclass
class Loaded:
    clean: Graph
    broken: Graph
    breakage: Breakage
    exit_code: int
    folder: Path
    rejects: list[dict[str, str]]


@pytest.fixture(scope="module")
def loaded(database: Database, tmp_path_factory: pytest.TempPathFactory) -> Loaded:
    root = tmp_path_factory.mktemp("broken-inputs")
    bank = root / "clean"
    run_cli("generate", "--scale", "tiny", "--seed", "3", "--out", str(bank), env=cli_env())
    schema.wipe(database)
    assert _load(bank, root / "clean-rejects.csv").returncode == 0
    clean = read_graph(database)
    breakage = break_bank(bank, root / "broken", clean)
    schema.wipe(database)
    done = _load(root / "broken", root / "rejects.csv")
    with (root / "rejects.csv").open(encoding="utf-8-sig", newline="") as handle:
        rejects = list(csv.DictReader(handle))
    return Loaded(clean, read_graph(database), breakage, done.returncode, root / "broken", rejects)


def _reject(loaded: Loaded, file: str, row: int) -> dict[str, str]:
    found = [r for r in loaded.rejects if r["file"] == file and int(r["row"]) == row]
    assert len(found) == 1, (file, row, loaded.rejects)
    return found[0]


def _without(mapping: dict[str, Any], *keys: str) -> dict[str, Any]:
    return {k: v for k, v in mapping.items() if k not in keys}


def test_a_broken_bank_loads_with_rejects_and_exit_code_0(loaded: Loaded) -> None:
    assert loaded.exit_code == 0
    assert loaded.broken.companies == loaded.clean.companies


def test_too_many_decimals_is_a_reject(loaded: Loaded) -> None:
    line, facility = loaded.breakage.facility_decimals
    reject = _reject(loaded, "facilities", line)
    assert (reject["field"], reject["reason"]) == ("limit", "invalid_decimal")
    assert "more decimals than CNY allows" in reject["message"]
    assert facility not in loaded.broken.facilities


def test_an_amount_beyond_64_bits_is_a_reject(loaded: Loaded) -> None:
    line, facility = loaded.breakage.facility_huge
    reject = _reject(loaded, "facilities", line)
    assert (reject["field"], reject["reason"]) == ("limit", "out_of_range")
    assert "64-bit" in reject["message"]
    assert facility not in loaded.broken.facilities


def test_a_long_row_is_a_reject(loaded: Loaded) -> None:
    line, facility = loaded.breakage.facility_long_row
    assert _reject(loaded, "facilities", line)["reason"] == "wrong_field_count"
    assert facility not in loaded.broken.facilities
    # Every other facility is written exactly as in the clean load.
    broken_ids = (
        loaded.breakage.facility_decimals[1],
        loaded.breakage.facility_huge[1],
        facility,
    )
    assert loaded.broken.facilities == _without(loaded.clean.facilities, *broken_ids)


def test_a_200k_character_field_is_a_reject(loaded: Loaded) -> None:
    line, snapshot = loaded.breakage.snapshot_long_field
    reject = _reject(loaded, "segment_snapshots", line)
    assert (reject["field"], reject["reason"]) == ("segment", "field_too_long")
    assert "200,000 characters" in reject["message"]
    assert loaded.broken.snapshots == _without(loaded.clean.snapshots, snapshot)


def test_empty_optional_files_count_as_absent(loaded: Loaded) -> None:
    assert loaded.clean.guarantees
    assert loaded.clean.holdings
    assert loaded.broken.guarantees == {}
    assert loaded.broken.holdings == set()
    assert not [r for r in loaded.rejects if r["file"] in {"guarantees", "holdings"}]


def _expected_pays(loaded: Loaded) -> dict[tuple[str, str, str, str], tuple[int, int]]:
    expected = dict(loaded.clean.pays)
    for _, row in (loaded.breakage.txn_long_field, loaded.breakage.txn_short_row):
        key = (row["payer_id"], row["payee_id"], row["date"][:7], "CNY")
        amount, count = expected[key]
        minor = to_minor_units(parse_decimal(row["amount"]), "CNY")
        expected[key] = (amount - minor, count - 1)
    payer, payee = loaded.breakage.max_payment[1]
    expected[(payer, payee, OVERFLOW_MONTH, "CNY")] = (MAX_MINOR_UNITS, 1)
    return expected


def test_a_3mb_transaction_field_and_a_short_row_are_rejects(loaded: Loaded) -> None:
    long_line, _ = loaded.breakage.txn_long_field
    reject = _reject(loaded, "transactions", long_line)
    assert (reject["field"], reject["reason"]) == ("purpose", "field_too_long")
    short_line, _ = loaded.breakage.txn_short_row
    assert _reject(loaded, "transactions", short_line)["reason"] == "wrong_field_count"
    # The flows hold every other payment exactly: sums and counts.
    assert loaded.broken.pays == _expected_pays(loaded)


def test_a_payment_at_the_64_bit_maximum_loads_and_an_overflowing_flow_is_a_reject(
    loaded: Loaded,
) -> None:
    payer, payee = loaded.breakage.max_payment[1]
    assert loaded.broken.pays[(payer, payee, OVERFLOW_MONTH, "CNY")] == (MAX_MINOR_UNITS, 1)
    reject = _reject(loaded, "transactions", loaded.breakage.overflowing_payment)
    assert (reject["field"], reject["reason"]) == ("amount", "out_of_range")
    assert "would pass the 64-bit range" in reject["message"]


def test_loading_the_broken_bank_again_changes_nothing(
    loaded: Loaded, database: Database, tmp_path: Path
) -> None:
    """The overflowing flow was caught before the ledger committed: later loads work."""
    done = _load(loaded.folder, tmp_path / "again.csv")
    assert done.returncode == 0, done.stderr
    assert read_graph(database) == loaded.broken


def test_compute_runs_with_a_payment_at_the_64_bit_maximum(loaded: Loaded) -> None:
    """int64 sums of it wrapped negative and compute died in ``log1p``."""
    done = run_cli("compute", "--engine", "python", env=cli_env(), check=False)
    assert "Traceback" not in done.stderr
    assert done.returncode == 0, done.stderr[-3000:]


def test_a_line_past_the_line_bound_is_one_clear_error_and_writes_nothing(
    clean_db: Database, tmp_path: Path
) -> None:
    folder = tmp_path / "bank"
    folder.mkdir()
    huge = "名" * (2 * 1024 * 1024)  # 2 Mi characters, past a 1 MiB bound
    (folder / "companies.csv").write_text(
        f"company_id,name,is_customer\nC1,甲公司,true\nC2,{huge},false\n", encoding="utf-8"
    )
    done = run_cli(
        "load",
        str(folder),
        "--rejects",
        str(tmp_path / "rejects.csv"),
        env=cli_env(CORPGRAPH_MAX_CSV_LINE_BYTES=str(1024 * 1024)),
        check=False,
    )
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert "companies.csv" in done.stderr + done.stdout
    assert clean_db.read("MATCH (c:Company) RETURN count(c) AS n")[0]["n"] == 0


def test_only_the_money_sum_changes_by_the_rejected_amounts(loaded: Loaded) -> None:
    """Money sums of the flows: the clean total minus the two rejected payments, plus the
    maximum payment, exactly (Python integers, no 64-bit wrap)."""
    clean_total = sum(amount for amount, _ in loaded.clean.pays.values())
    broken_total = sum(amount for amount, _ in loaded.broken.pays.values())
    removed = sum(
        to_minor_units(parse_decimal(row["amount"]), "CNY")
        for _, row in (loaded.breakage.txn_long_field, loaded.breakage.txn_short_row)
    )
    assert broken_total == clean_total - removed + MAX_MINOR_UNITS
    assert Decimal(MAX_PAYMENT).scaleb(2) == MAX_MINOR_UNITS
