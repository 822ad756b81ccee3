"""The importer's files: the statements' MERGE/SET meaning, typed headers, quoting."""

from __future__ import annotations

import csv
import re
from datetime import date
from pathlib import Path

import pytest

from core.errors import QueryError
from graph.bulk_import import TRANSLATED, ImportGraph, write_import_files
from graph.load_writes import UPSERTS, Upsert


def company(company_id: str, **overrides: object) -> dict[str, object]:
    row: dict[str, object] = {
        "company_id": company_id,
        "name": '甲,有限公司 "总部"',
        "name_key": "甲",
        "uscc": None,
        "is_customer": True,
        "segment": None,
        "industry": "C",
        "region": "",
        "branch_id": "B1",
        "rm_id": None,
        "registered_capital_minor": 123,
        "founded": date(2020, 1, 2),
        "status": "active",
    }
    row.update(overrides)
    return row


def read(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.reader(handle))


def test_statements_merge_and_set_like_their_cypher() -> None:
    graph = ImportGraph()
    graph.apply(Upsert.BRANCHES, [{"branch_id": "B1", "name": "总行", "parent_branch_id": None}])
    graph.apply(Upsert.COMPANIES, [company("C1"), company("C2", is_customer=False, branch_id="X")])
    # A counterparty never overwrites a company (ON CREATE only).
    graph.apply(
        Upsert.COUNTERPARTIES,
        [
            {"company_id": "C1", "name": "other", "name_key": "o", "uscc": None},
            {"company_id": "N1", "name": "新", "name_key": "新", "uscc": None},
        ],
    )
    # A second row for the same company sets again; null removes.
    graph.apply(Upsert.COMPANIES, [company("C1", industry=None)])
    graph.apply_flows(
        [
            {
                "payer": "C1",
                "payee": "N1",
                "month": "2024-01",
                "currency": "CNY",
                "amount_minor": 5,
                "txn_count": 1,
                "first_date": "2024-01-03",
                "last_date": "2024-01-03",
            },
            {  # an endpoint that is not a company: MATCH drops the row
                "payer": "C1",
                "payee": "nobody",
                "month": "2024-01",
                "currency": "CNY",
                "amount_minor": 5,
                "txn_count": 1,
                "first_date": "2024-01-03",
                "last_date": "2024-01-03",
            },
        ]
    )
    c1 = graph.nodes[("Company", "C1")]
    assert c1.labels == {"Company", "Customer"}
    assert "industry" not in c1.properties
    assert c1.properties["registered_capital_currency"] == "CNY"
    assert graph.nodes[("Company", "N1")].properties["source"] == "transactions"
    assert graph.nodes[("Company", "C2")].labels == {"Company"}
    types = sorted(r.type for r in graph.relationships.values())
    # C2's branch X does not exist: no BOOKED_AT for it (MATCH), one for C1.
    assert types == ["BOOKED_AT", "PAYS"]
    [pays] = [r for r in graph.relationships.values() if r.type == "PAYS"]
    assert pays.properties["first_date"] == date(2024, 1, 3)


def test_files_have_typed_headers_and_keep_empty_strings_apart_from_nulls(
    tmp_path: Path,
) -> None:
    graph = ImportGraph()
    graph.apply(Upsert.BRANCHES, [{"branch_id": "B1", "name": "总行", "parent_branch_id": None}])
    graph.apply(Upsert.COMPANIES, [company("C1")])
    files = write_import_files(graph, tmp_path)
    [company_file] = [p for p in files.nodes if "Company" in p.name]
    header, row = read(company_file)
    fields = dict(zip(header, row, strict=True))
    assert fields["company_id:ID(Company)"] == "C1"
    assert fields["registered_capital_minor:long"] == "123"
    assert fields["founded:date"] == "2020-01-02"
    assert fields["is_customer:boolean"] == "true"
    assert fields["name:string"] == '甲,有限公司 "总部"'
    assert fields[":LABEL"] == "Company;Customer"
    raw = company_file.read_text(encoding="utf-8").splitlines()[1]
    assert ',"",' in raw  # region is an empty string: quoted, so the importer keeps it
    assert "uscc:string" not in header  # never set on any node: no column
    [booked] = files.relationships
    assert read(booked)[0] == [":START_ID(Company)", ":END_ID(Branch)", ":TYPE"]
    assert (files.node_count, files.relationship_count) == (2, 1)


def test_a_property_with_two_types_is_an_error(tmp_path: Path) -> None:
    graph = ImportGraph()
    graph.apply(Upsert.PRODUCTS, [{"product_code": "P1", "name": "a", "category": "x"}])
    graph.apply(Upsert.PRODUCTS, [{"product_code": "P2", "name": "b", "category": 3}])
    with pytest.raises(QueryError):
        write_import_files(graph, tmp_path)


class _RecordingRow(dict[str, object]):
    """A row that answers every column with a value and remembers which were read."""

    def __init__(self) -> None:
        super().__init__()
        self.read: set[str] = set()

    def __getitem__(self, key: str) -> object:
        self.read.add(key)
        return "1"


class _EveryNodeExists(ImportGraph):
    def has(self, label: str, key: object) -> bool:
        return True


@pytest.mark.parametrize("statement", sorted(TRANSLATED.values()))
def test_each_translation_reads_every_column_its_statement_writes(statement: Upsert) -> None:
    """The importer's translation of a statement reads every ``row.x`` the Cypher uses, so
    a column added to the loader's statement (and not to its translation) fails here
    rather than as a store that differs from the loader's."""
    wanted = set(re.findall(r"\brow\.(\w+)", UPSERTS[statement]))
    seen: set[str] = set()
    for graph in (ImportGraph(), _EveryNodeExists()):  # both sides of every MATCH
        row = _RecordingRow()
        graph.apply(statement, [row])
        seen |= row.read
    assert wanted <= seen, sorted(wanted - seen)
