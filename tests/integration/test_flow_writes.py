"""The monthly flows write: CREATE what the ledger knows is new, update the rest through
the endpoints, never a plan that starts from the ``pays_month`` index."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, LiteralString

import pytest

from core.settings import Settings
from graph.customers import LATEST_MONTH
from graph.database import Database
from graph.load_writes import CREATE_FLOWS, UPDATE_FLOWS, graph_instance_id
from loaders.pipeline import ledger_path, load_directory

from .conftest import cli_env, run_cli
from .test_load_bank import counts, fingerprint, load

pytestmark = pytest.mark.integration

COMPANIES = (
    "UNWIND $ids AS id MERGE (c:Company {company_id: id}) SET c.name = id, c.is_customer = false"
)
FLOWS = (
    "MATCH (a:Company)-[r:PAYS]->(b:Company) RETURN a.company_id AS payer, "
    "b.company_id AS payee, r.month AS month, r.currency AS currency, "
    "r.amount_minor AS amount_minor, r.txn_count AS txn_count, "
    "toString(r.first_date) AS first_date, toString(r.last_date) AS last_date "
    "ORDER BY payer, payee, month, currency"
)


def flow(payer: str, payee: str, month: str, amount: int, count: int = 1) -> dict[str, Any]:
    return {
        "payer": payer,
        "payee": payee,
        "month": month,
        "currency": "CNY",
        "amount_minor": amount,
        "txn_count": count,
        "first_date": f"{month}-02",
        "last_date": f"{month}-20",
    }


def operators(plan: dict[str, Any]) -> Iterator[str]:
    yield str(plan["operatorType"]).split("@", 1)[0]
    for child in plan.get("children", []):
        yield from operators(child)


def plan_of(db: Database, query: LiteralString, parameters: dict[str, Any]) -> list[str]:
    with db.driver.session(database=db.database) as session:
        summary = session.run("EXPLAIN " + query, parameters).consume()
    assert summary.plan is not None
    return list(operators(summary.plan))


@pytest.fixture
def graph_with_flows(clean_db: Database) -> Database:
    """Companies with many monthly flows, so that the pays_month index has entries to
    tempt a planner."""
    ids = [f"C{i}" for i in range(40)]
    clean_db.write(COMPANIES, {"ids": ids})
    rows = [
        flow(ids[i], ids[(i + step) % 40], f"2024-{month:02d}", 100 * month)
        for i in range(40)
        for step in (1, 2, 3)
        for month in range(1, 13)
    ]
    clean_db.write_rows(CREATE_FLOWS, rows)
    return clean_db


@pytest.mark.parametrize("query", [CREATE_FLOWS, UPDATE_FLOWS], ids=["create", "update"])
def test_flow_writes_never_plan_from_a_relationship_index(
    graph_with_flows: Database, query: LiteralString
) -> None:
    rows = [flow("C1", "C2", "2024-03", 5), flow("C3", "C9", "2025-01", 7)]
    plan = plan_of(graph_with_flows, query, {"rows": rows})
    assert not [op for op in plan if "Relationship" in op and ("Index" in op or "Scan" in op)]
    assert not [op for op in plan if "Merge" in op]
    # Both endpoints come from the company_id constraint's index.
    assert len([op for op in plan if op.startswith("NodeUniqueIndexSeek")]) == 2, plan


def test_the_latest_month_keeps_its_index(graph_with_flows: Database) -> None:
    plan = plan_of(graph_with_flows, LATEST_MONTH, {})
    assert [op for op in plan if "RelationshipIndex" in op], plan
    assert graph_with_flows.read(LATEST_MONTH) == [{"month": "2024-12"}]


def test_the_update_path_updates_what_is_there_and_creates_what_is_not(
    graph_with_flows: Database,
) -> None:
    before = graph_with_flows.read(FLOWS)
    changed = flow("C1", "C2", "2024-03", 999, 4)
    missing = flow("C1", "C2", "2025-01", 55, 2)
    graph_with_flows.write_rows(UPDATE_FLOWS, [changed, missing])
    after = graph_with_flows.read(FLOWS)
    assert len(after) == len(before) + 1
    assert changed in after
    assert missing in after
    untouched = [
        f for f in before if (f["payer"], f["payee"], f["month"]) != ("C1", "C2", "2024-03")
    ]
    assert all(f in after for f in untouched)
    # Again: the same store, nothing created twice.
    graph_with_flows.write_rows(UPDATE_FLOWS, [changed, missing])
    assert graph_with_flows.read(FLOWS) == after


def test_a_second_load_creates_new_keys_and_updates_known_ones(
    clean_db: Database, tmp_path: Path, settings: Settings
) -> None:
    (tmp_path / "companies.csv").write_text(
        "company_id,name,is_customer\nC1,甲有限公司,true\nC2,乙有限公司,false\n",
        encoding="utf-8",
    )
    january = "txn_id,date,amount,currency,payer_id,payee_id\nT1,2025-01-02,1.00,CNY,C1,C2\n"
    (tmp_path / "transactions.csv").write_text(january, encoding="utf-8")
    first = load_directory(clean_db, tmp_path, settings, rejects_path=tmp_path / "r1.csv")
    assert (first.flows_written, first.flows_updated) == (1, 0)

    (tmp_path / "transactions.csv").write_text(
        january + "T2,2025-01-09,2.00,CNY,C1,C2\nT3,2025-02-01,3.00,CNY,C1,C2\n",
        encoding="utf-8",
    )
    second = load_directory(clean_db, tmp_path, settings, rejects_path=tmp_path / "r2.csv")
    assert (second.flows_written, second.flows_updated) == (2, 1)  # January known, February new
    assert [(f["month"], f["amount_minor"], f["txn_count"]) for f in clean_db.read(FLOWS)] == [
        ("2025-01", 300, 2),
        ("2025-02", 300, 1),
    ]


def test_flows_the_ledger_did_not_write_are_updated_not_duplicated(
    clean_db: Database, tmp_path: Path, settings: Settings
) -> None:
    (tmp_path / "companies.csv").write_text(
        "company_id,name,is_customer\nC1,甲有限公司,true\nC2,乙有限公司,false\n",
        encoding="utf-8",
    )
    (tmp_path / "transactions.csv").write_text(
        "txn_id,date,amount,currency,payer_id,payee_id\nT1,2025-01-02,1.00,CNY,C1,C2\n",
        encoding="utf-8",
    )
    load_directory(clean_db, tmp_path, settings, rejects_path=tmp_path / "r1.csv")
    # The ledger is lost while the graph keeps its flows.
    path = ledger_path(settings, graph_instance_id(clean_db))
    path.unlink()
    path.with_name(path.name + ".wal").unlink(missing_ok=True)
    again = load_directory(clean_db, tmp_path, settings, rejects_path=tmp_path / "r2.csv")
    assert again.flows_updated == again.flows_written == 1
    assert clean_db.read("MATCH ()-[r:PAYS]->() RETURN count(r) AS n") == [{"n": 1}]


class CrashAfterFirstFlowBatch:
    """A progress sink that dies once the first batch of flows is committed."""

    def task(self, label: str, total: int | None) -> Callable[[int], None]:
        if label != "writing monthly flows":
            return lambda _n: None

        def advance(_n: int) -> None:
            raise KeyboardInterrupt("simulated crash after the first flows batch")

        return advance


def test_a_load_killed_between_flow_batches_completes_on_rerun(
    clean_db: Database, tmp_path: Path, settings: Settings, database: Database
) -> None:
    tiny_bank = tmp_path / "tiny"
    run_cli("generate", "--scale", "tiny", "--seed", "7", "--out", str(tiny_bank), env=cli_env())
    load(tiny_bank, tmp_path / "reference.csv")
    reference_counts, reference_fingerprint = counts(clean_db), fingerprint(clean_db)
    flow_edges = reference_counts["PAYS"]
    run_cli("db", "wipe", "--yes", env=cli_env())  # a new graph instance, a new ledger

    small = Database(database.driver, database.database, write_batch_size=max(flow_edges // 3, 1))
    with pytest.raises(KeyboardInterrupt):
        load_directory(
            small,
            tiny_bank,
            settings,
            rejects_path=tmp_path / "c.csv",
            progress=CrashAfterFirstFlowBatch(),
        )
    partial = counts(clean_db).get("PAYS", 0)
    assert 0 < partial < flow_edges  # it really stopped between flow batches
    report = load_directory(clean_db, tiny_bank, settings, rejects_path=tmp_path / "r.csv")
    assert report.flows_updated == report.flows_written  # every key was recorded first
    assert counts(clean_db) == reference_counts
    assert fingerprint(clean_db) == reference_fingerprint
