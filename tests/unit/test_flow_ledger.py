"""The transactions pipeline in DuckDB: validation, resolution, ledger, monthly flows.

Local files and an embedded DuckDB only; no Neo4j.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pytest

from core.errors import InputValidationError
from core.names import counterparty_id, name_key
from loaders.contract import CONTRACT, RejectReason
from loaders.flows import FlowLedger
from loaders.reading import InputFile, detect_encoding
from loaders.resolution import CompanyIndex

COLUMNS = CONTRACT["transactions"].column_names
KNOWN = {"C1", "C2", "C3", "D1", "D2"}


def index() -> CompanyIndex:
    return CompanyIndex.build(
        [
            ("C1", "甲科技（北京）有限公司", "91350100M000100Y43"),
            ("C2", "乙贸易有限公司", None),
            ("C3", "丙物流有限公司", None),
            ("D1", "重名实业有限公司", None),
            ("D2", "重名实业股份有限公司", None),
        ]
    )


def write(path: Path, rows: list[dict[str, str]], encoding: str = "utf-8") -> InputFile:
    with path.open("w", encoding=encoding, newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS)
        writer.writeheader()
        for row in rows:
            writer.writerow({c: row.get(c, "") for c in COLUMNS})
    return InputFile("transactions", path, "csv", detect_encoding(path))


def txn(txn_id: str, day: str, amount: str, **sides: str) -> dict[str, str]:
    return {"txn_id": txn_id, "date": day, "amount": amount, "currency": "CNY", **sides}


JANUARY = [
    txn("T1", "2025-01-03", "1,000.50", payer_id="C1", payee_id="C2"),  # line 2
    txn("T2", "2025-01-20", "2.5E2", payer_id="C1", payee_id="C2"),  # line 3
    txn("T3", "2025-01-21", "300", payer_id="C1", payee_name="乙贸易 有限公司"),  # 4: by name
    txn("T4", "2025-01-22", "400", payer_id="C1", payee_name="甲科技(北京)"),  # 5: self
    txn("T5", "2025-01-23", "50", payer_id="C2", payee_name="丁新公司有限公司"),  # 6: created
    txn("T6", "2025-13-01", "50", payer_id="C2", payee_id="C3"),  # 7: bad date
    txn("T7", "2025-01-05", "-5", payer_id="C2", payee_id="C3"),  # 8: negative
    txn("T8", "2025-01-05", "5", payer_id="C9", payee_id="C3"),  # 9: unknown payer
    txn("T9", "2025-01-05", "5", payer_id="C2", payee_name="重名实业"),  # 10: ambiguous
    {**txn("T10", "2025-01-05", "5", payer_id="C2", payee_id="C3"), "currency": "XYZ"},  # 11
    txn("T1", "2025-01-03", "1,000.50", payer_id="C1", payee_id="C2"),  # 12: identical repeat
    txn("T2", "2025-01-20", "999", payer_id="C1", payee_id="C2"),  # 13: conflicting repeat
    txn("T11", "2025-01-06", "0.001", payer_id="C2", payee_id="C3"),  # 14: sub-fen
    txn("", "2025-01-06", "1", payer_id="C2", payee_id="C3"),  # 15: no id
    txn("T12", "2025-01-07", "10", payee_id="C3"),  # 16: no payer at all
    txn(
        "T13", "2025-01-08", "70", payer_name="某某", payer_uscc="91350100M000100Y43", payee_id="C3"
    ),  # 17: by USCC → C1
]


def flows(ledger: FlowLedger) -> dict[tuple[str, str, str], dict[str, Any]]:
    return {(f["payer"], f["payee"], f["month"]): f for batch in ledger.flows() for f in batch}


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk"])
def test_stage_validates_resolves_and_aggregates(tmp_path: Path, encoding: str) -> None:
    source = write(tmp_path / "transactions.csv", JANUARY, encoding)
    with FlowLedger(tmp_path / "ledger.duckdb") as ledger:
        result = ledger.stage(source, index(), KNOWN)
        assert result.read == 16
        rejects = {(r.row, r.reason) for r in result.rejects}
        assert rejects == {
            (5, RejectReason.SELF_REFERENCE),
            (7, RejectReason.INVALID_DATE),
            (8, RejectReason.OUT_OF_RANGE),
            (9, RejectReason.UNKNOWN_REFERENCE),
            (10, RejectReason.AMBIGUOUS_COUNTERPARTY),
            (11, RejectReason.INVALID_CURRENCY),
            (13, RejectReason.DUPLICATE_KEY),
            (14, RejectReason.INVALID_DECIMAL),
            (15, RejectReason.MISSING_REQUIRED),
            (16, RejectReason.MISSING_REQUIRED),
        }
        assert result.identical_duplicates == 1
        assert result.new == 5  # T1, T2, T3, T5, T13
        created = counterparty_id(name_key("丁新公司"))
        assert [r.company_id for r in result.created_companies] == [created]
        got = flows(ledger)
        assert got[("C1", "C2", "2025-01")]["amount_minor"] == 100_050 + 25_000 + 30_000
        assert got[("C1", "C2", "2025-01")]["txn_count"] == 3
        assert got[("C1", "C2", "2025-01")]["first_date"] == "2025-01-03"
        assert got[("C1", "C2", "2025-01")]["last_date"] == "2025-01-21"
        assert got[("C2", created, "2025-01")]["amount_minor"] == 5_000
        assert got[("C1", "C3", "2025-01")]["amount_minor"] == 7_000


def test_restaging_counts_nothing_twice_and_months_add_up(tmp_path: Path) -> None:
    ledger_path = tmp_path / "ledger.duckdb"
    january = write(tmp_path / "jan.csv", JANUARY)
    with FlowLedger(ledger_path) as ledger:
        ledger.stage(january, index(), KNOWN)
        first = flows(ledger)
    with FlowLedger(ledger_path) as ledger:
        again = ledger.stage(january, index(), KNOWN)
        assert again.new == 0
        assert again.already_loaded == 5
        assert flows(ledger) == first
    february = write(
        tmp_path / "feb.csv",
        [
            txn("F1", "2025-02-02", "10", payer_id="C1", payee_id="C2"),
            txn("T1", "2025-01-03", "1,000.50", payer_id="C1", payee_id="C2"),  # seen before
        ],
    )
    with FlowLedger(ledger_path) as ledger:
        result = ledger.stage(february, index(), KNOWN)
        assert (result.new, result.already_loaded) == (1, 1)
        got = flows(ledger)
        assert got[("C1", "C2", "2025-02")]["amount_minor"] == 1_000
        assert got[("C1", "C2", "2025-01")]["amount_minor"] == 155_050  # unchanged
        assert ledger.ledger_size() == 6


def test_a_loaded_txn_id_with_new_values_is_rejected(tmp_path: Path) -> None:
    ledger_path = tmp_path / "ledger.duckdb"
    with FlowLedger(ledger_path) as ledger:
        ledger.stage(write(tmp_path / "a.csv", JANUARY[:1]), index(), KNOWN)
    changed = [txn("T1", "2025-01-03", "2000", payer_id="C1", payee_id="C2")]
    with FlowLedger(ledger_path) as ledger:
        result = ledger.stage(write(tmp_path / "b.csv", changed), index(), KNOWN)
        assert [(r.row, r.reason) for r in result.rejects] == [(2, RejectReason.DUPLICATE_KEY)]
        assert result.new == 0
        assert flows(ledger) == {}


def test_missing_required_column_is_fatal(tmp_path: Path) -> None:

    path = tmp_path / "transactions.csv"
    path.write_text("txn_id,date,currency\nT1,2025-01-01,CNY\n", encoding="utf-8")
    with FlowLedger(tmp_path / "l.duckdb") as ledger, pytest.raises(InputValidationError):
        ledger.stage(InputFile("transactions", path, "csv", "utf-8"), index(), KNOWN)


def test_a_later_resolution_moves_earlier_rows_and_their_flows(tmp_path: Path) -> None:
    """Sides are kept; when one resolves elsewhere later (a review decision), its rows move."""
    from collections.abc import Mapping, Sequence

    from loaders.entity_resolution import ResolutionOutcome, Side
    from loaders.resolution import Resolution

    rows = [
        txn("T1", "2025-01-03", "100", payer_id="C1", payee_name="Alpha Ltd", payee_account="9"),
        txn("T2", "2025-01-04", "10", payer_id="C1", payee_name="Alpha Ltdd", payee_account="9"),
    ]
    alpha, typo = counterparty_id(name_key("Alpha Ltd")), counterparty_id(name_key("Alpha Ltdd"))
    seen: list[list[Side]] = []

    def resolver(merged: bool) -> Any:
        def resolve(
            sides: Sequence[Side], company_partners: Mapping[str, tuple[str, ...]]
        ) -> ResolutionOutcome:
            seen.append(list(sides))
            out = []
            for side in sides:
                company = alpha if merged or side.name == "Alpha Ltd" else typo
                method = "created" if company == counterparty_id(name_key(side.name)) else "fuzzy"
                out.append(Resolution(side.name, None, company, method, name_key(side.name)))  # type: ignore[arg-type]
            return ResolutionOutcome(out)

        return resolve

    path = tmp_path / "ledger.duckdb"
    source = write(tmp_path / "t.csv", rows)
    with FlowLedger(path) as ledger:
        first = ledger.stage(source, resolver(merged=False), KNOWN)
        assert first.affected == set()
        assert {(f["payee"], f["amount_minor"]) for f in flows(ledger).values()} == {
            (alpha, 10_000),
            (typo, 1_000),
        }
        ledger.flows_written()
    # Both sides were kept with what the file said about them.
    assert {(s.name, s.accounts, s.partners) for s in seen[0]} == {
        ("Alpha Ltd", ("9",), ("C1",)),
        ("Alpha Ltdd", ("9",), ("C1",)),
    }
    with FlowLedger(path) as ledger:  # the same file again, now one company
        again = ledger.stage(source, resolver(merged=True), KNOWN)
        assert again.new == 0
        assert again.already_loaded == 2
        assert again.affected == {alpha, typo}
        assert typo not in again.live_ids
        assert {(f["payee"], f["amount_minor"]) for f in flows(ledger).values()} == {
            (alpha, 11_000)
        }
        ledger.flows_written()
    with FlowLedger(path) as ledger:  # a decision splits them again
        split = ledger.stage(write(tmp_path / "empty.csv", []), resolver(merged=False), KNOWN)
        assert split.read == 0
        assert split.affected == {alpha, typo}
        assert {(f["payee"], f["amount_minor"]) for f in flows(ledger).values()} == {
            (alpha, 10_000),
            (typo, 1_000),
        }


# --- hardening: every bad amount, field and row is a reject, checked before the commit --------
MAX_FEN = "92233720368547758.07"  # 2^63 - 1 fen


def test_amounts_are_checked_on_their_digits(tmp_path: Path) -> None:
    rows = [
        txn("A1", "2025-02-01", "1.234", payer_id="C1", payee_id="C2"),  # 2: sub-fen
        txn("A2", "2025-02-01", "1E30", payer_id="C1", payee_id="C2"),  # 3: beyond 64 bits
        txn("A3", "2025-02-01", "1.00000000001", payer_id="C1", payee_id="C2"),  # 4: was rounded
        txn("A4", "2025-02-01", "92233720368547758.08", payer_id="C1", payee_id="C3"),  # 5: 2^63
        txn("A5", "2025-02-01", "1E-99999999999999999999", payer_id="C1", payee_id="C2"),  # 6
        txn("A6", "2025-02-01", "1E99999999999999999999", payer_id="C1", payee_id="C2"),  # 7
        txn("A7", "2025-02-01", "0.00", payer_id="C1", payee_id="C2"),  # 8: zero
        txn("A8", "2025-02-02", MAX_FEN, payer_id="C2", payee_id="C3"),  # 9: the maximum
        txn("A9", "2025-02-03", "100E-3", payer_id="C1", payee_id="C2"),  # 10: 0.10
        txn("A10", "2025-02-03", "1,200.5e1", payer_id="C1", payee_id="C2"),  # 11: 12005
    ]
    with FlowLedger(tmp_path / "ledger.duckdb") as ledger:
        result = ledger.stage(write(tmp_path / "t.csv", rows), index(), KNOWN)
        assert {(r.row, r.field, r.reason) for r in result.rejects} == {
            (2, "amount", RejectReason.INVALID_DECIMAL),
            (3, "amount", RejectReason.OUT_OF_RANGE),
            (4, "amount", RejectReason.INVALID_DECIMAL),
            (5, "amount", RejectReason.OUT_OF_RANGE),
            (6, "amount", RejectReason.INVALID_DECIMAL),
            (7, "amount", RejectReason.OUT_OF_RANGE),
            (8, "amount", RejectReason.OUT_OF_RANGE),
        }
        got = flows(ledger)
        assert got[("C2", "C3", "2025-02")]["amount_minor"] == 2**63 - 1
        assert got[("C1", "C2", "2025-02")]["amount_minor"] == 10 + 1_200_500


def test_a_monthly_flow_past_64_bits_is_rejected_before_the_ledger_commits(
    tmp_path: Path,
) -> None:
    path = tmp_path / "ledger.duckdb"
    first = [txn("M1", "2025-03-01", "90000000000000000", payer_id="C1", payee_id="C2")]
    second = [
        txn("M2", "2025-03-02", "1", payer_id="C1", payee_id="C2"),  # 2: fits
        txn("M3", "2025-03-03", "2233720368547758.07", payer_id="C1", payee_id="C2"),  # 3: over
        txn("M4", "2025-03-04", "0.01", payer_id="C1", payee_id="C2"),  # 4: later, same flow
        txn("M5", "2025-04-01", "5", payer_id="C1", payee_id="C2"),  # 5: another month
    ]
    with FlowLedger(path) as ledger:
        ledger.stage(write(tmp_path / "a.csv", first), index(), KNOWN)
        list(ledger.flows())
    for _ in range(2):  # loading the file again works: nothing overflowing was committed
        with FlowLedger(path) as ledger:
            result = ledger.stage(write(tmp_path / "b.csv", second), index(), KNOWN)
            assert {(r.row, r.reason) for r in result.rejects} == {
                (3, RejectReason.OUT_OF_RANGE),
                (4, RejectReason.OUT_OF_RANGE),
            }
            got = flows(ledger)  # raised "exceeds the 64-bit range" before
            assert got[("C1", "C2", "2025-03")]["amount_minor"] == 9_000_000_000_000_000_100
            assert got[("C1", "C2", "2025-04")]["amount_minor"] == 500


def test_long_fields_and_rows_of_the_wrong_shape_are_rejects(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    header = ",".join(COLUMNS)
    good = "T{n},2025-05-01,10,CNY,C1,,,,C2,,,,网银,货款"
    lines = [
        header,
        good.format(n=1),  # 2
        good.format(n=2).replace("货款", "x" * 3000),  # 3: past the bound of 2,000 below
        "T3,2025-05-01,10,CNY,C1",  # 4: short
        good.format(n=4) + ",extra",  # 5: long
        'T5,2025-05-01,"1"0,CNY,C1,,,,C2,,,,网银,货款',  # 6: text after a closing quote
        good.format(n=6),  # 7
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    source = InputFile("transactions", path, "csv", "utf-8")
    with FlowLedger(tmp_path / "ledger.duckdb") as ledger:
        result = ledger.stage(source, index(), KNOWN, max_field_chars=2_000)
        assert result.read == 6
        assert {(r.row, r.field, r.reason) for r in result.rejects} == {
            (3, "purpose", RejectReason.FIELD_TOO_LONG),
            (4, "", RejectReason.WRONG_FIELD_COUNT),
            (5, "", RejectReason.WRONG_FIELD_COUNT),
            (6, "", RejectReason.MALFORMED_ROW),
        }
        assert result.new == 2
        rows = ledger.con.execute("SELECT line, txn_id FROM parsed ORDER BY line").fetchall()
        assert rows == [(2, "T1"), (3, "T2"), (7, "T6")]  # good rows keep their file line


def test_a_line_past_the_line_bound_is_a_reject(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    good = "T{n},2025-05-01,10,CNY,C1,,,,C2,,,,网银,"
    path.write_text(
        "\n".join([",".join(COLUMNS), good.format(n=1) + "x" * 3_000_000, good.format(n=2)]) + "\n",
        encoding="utf-8",
    )
    source = InputFile("transactions", path, "csv", "utf-8")
    with FlowLedger(tmp_path / "ledger.duckdb") as ledger:
        result = ledger.stage(source, index(), KNOWN, max_line_bytes=2 * 1024 * 1024)
    assert [(r.row, r.reason) for r in result.rejects] == [(2, RejectReason.FIELD_TOO_LONG)]
    assert "longer than 2,097,152 bytes" in result.rejects[0].message
    assert result.new == 1
