"""Loading the synthetic bank into the real Neo4j, through the public CLI and Python API."""

from __future__ import annotations

import csv
import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from core.errors import InputValidationError
from core.settings import Settings
from graph.database import Database
from loaders.pipeline import load_directory

from .conftest import cli_env, run_cli

NODE_COUNTS = "MATCH (n) UNWIND labels(n) AS label RETURN label, count(*) AS n ORDER BY label"
REL_COUNTS = "MATCH ()-[r]->() RETURN type(r) AS type, count(*) AS n ORDER BY type"
# Every property of every node and relationship, as a stable fingerprint.
NODE_PROPS = (
    "MATCH (n) WHERE NOT n:CorpgraphMeta RETURN labels(n) AS labels, properties(n) AS props"
)
REL_PROPS = (
    "MATCH (a)-[r]->(b) RETURN type(r) AS type, properties(r) AS props, "
    "coalesce(a.company_id, a.person_id, a.branch_id, a.rm_id) AS a, "
    "coalesce(b.company_id, b.branch_id, b.rm_id, b.product_code, b.facility_id, "
    "b.snapshot_id) AS b"
)


def counts(db: Database) -> dict[str, int]:
    nodes = {r["label"]: r["n"] for r in db.read(NODE_COUNTS)}
    rels = {r["type"]: r["n"] for r in db.read(REL_COUNTS)}
    return {**nodes, **rels}


def fingerprint(db: Database) -> str:
    rows = [repr(sorted((k, str(v)) for k, v in r.items())) for r in db.read(NODE_PROPS)]
    rows += [repr(sorted((k, str(v)) for k, v in r.items())) for r in db.read(REL_PROPS)]
    return hashlib.sha256("\n".join(sorted(rows)).encode()).hexdigest()


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def tiny_bank(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("tiny")
    run_cli("generate", "--scale", "tiny", "--seed", "7", "--out", str(out), env=cli_env())
    return out


def load(directory: Path, rejects: Path, *extra: str) -> str:
    return run_cli("load", str(directory), "--rejects", str(rejects), *extra, env=cli_env()).stdout


def expected_counts(bank: Path, truth: dict[str, Any], rejects: Path) -> dict[str, int]:
    valid = truth["counts"]["valid_rows"]
    rejected = {(r["file"], int(r["row"])) for r in read_csv(rejects)}

    def good(file: str) -> list[dict[str, str]]:
        rows = read_csv(bank / f"{file}.csv")
        return [row for line, row in enumerate(rows, start=2) if (file, line) not in rejected]

    companies = good("companies")
    shareholdings = good("shareholdings")
    control = good("control_links")
    branches = good("branches")
    key_persons = good("key_persons")
    contacts = good("company_contacts")
    resolutions = {
        (r["name"], r["uscc"]): r["company_id"]
        for r in read_csv(rejects.with_name(rejects.stem + ".resolutions.csv"))
    }
    flows = set()
    for t in good("transactions"):
        payer = t["payer_id"] or resolutions[(t["payer_name"], t["payer_uscc"])]
        payee = t["payee_id"] or resolutions[(t["payee_name"], t["payee_uscc"])]
        flows.add((payer, payee, t["date"][:7], t["currency"]))
    return {
        "Branch": valid["branches"],
        "RelationshipManager": valid["relationship_managers"],
        "Company": valid["companies"] + truth["new_counterparties"]["count"],
        "Customer": sum(c["is_customer"] == "true" for c in companies),
        # Key persons not in persons are created from their name (one node per id).
        "Person": len(
            {p["person_id"] for p in good("persons")} | {k["person_id"] for k in key_persons}
        ),
        "KEY_PERSON_OF": len({(k["company_id"], k["person_id"], k["role"]) for k in key_persons}),
        "FAMILY_OF": valid["person_relations"],
        "HAS_CONTACT": len({(c["company_id"], c["kind"], c["value"]) for c in contacts}),
        "Product": valid["products"],
        "Facility": valid["facilities"],
        "SegmentSnapshot": valid["segment_snapshots"],
        "CHILD_OF": sum(bool(b["parent_branch_id"]) for b in branches),
        "WORKS_AT": valid["relationship_managers"],
        "BOOKED_AT": sum(bool(c["branch_id"]) for c in companies),
        "MANAGED_BY": sum(bool(c["rm_id"]) for c in companies),
        "OWNS": len(shareholdings),
        "CONTROLS": len(control),
        "SUPPLIES": valid["supply_links"],
        "GUARANTEES": valid["guarantees"],
        "HAS_FACILITY": valid["facilities"],
        "HOLDS": valid["holdings"],
        # One node per valid activity row; the planted unknown kind is rejected.
        "Activity": valid["activities"],
        "HAS_SEGMENT": valid["segment_snapshots"],
        "PAYS": len(flows),
    }


def test_tiny_bank_loads_exactly_and_idempotently(
    clean_db: Database, tiny_bank: Path, tmp_path: Path
) -> None:
    truth = json.loads((tiny_bank / "truth.json").read_text(encoding="utf-8"))
    rejects = tmp_path / "rejects.csv"
    out = load(tiny_bank, rejects)
    assert "transactions" in out

    got = {(r["file"], int(r["row"]), r["reason"]) for r in read_csv(rejects)}
    planted = {(b["file"], b["row"], b["reason"]) for b in truth["bad_rows"]}
    assert got == planted

    after_first = counts(clean_db)
    expected = expected_counts(tiny_bank, truth, rejects)
    assert {k: after_first.get(k, 0) for k in expected} == expected
    first_fingerprint = fingerprint(clean_db)

    again = load(tiny_bank, tmp_path / "rejects-2.csv")
    assert "already" in again
    assert counts(clean_db) == after_first
    assert fingerprint(clean_db) == first_fingerprint
    assert read_csv(tmp_path / "rejects-2.csv") == read_csv(rejects)


def test_flows_are_exact_sums(clean_db: Database, tiny_bank: Path, tmp_path: Path) -> None:
    load(tiny_bank, tmp_path / "rejects.csv")
    rejected = {
        int(r["row"]) for r in read_csv(tmp_path / "rejects.csv") if r["file"] == "transactions"
    }
    rows = read_csv(tiny_bank / "transactions.csv")
    by_id = [
        t
        for line, t in enumerate(rows, start=2)
        if line not in rejected and t["payer_id"] and t["payee_id"]
    ]
    payer, payee, month = by_id[0]["payer_id"], by_id[0]["payee_id"], by_id[0]["date"][:7]
    from decimal import Decimal

    expected = sum(
        (
            Decimal(t["amount"].replace(",", ""))
            for t in by_id
            if (t["payer_id"], t["payee_id"], t["date"][:7]) == (payer, payee, month)
        ),
        Decimal(0),
    )
    stored = clean_db.read(
        "MATCH (:Company {company_id: $a})-[r:PAYS {month: $m}]->(:Company {company_id: $b}) "
        "RETURN r.amount_minor AS minor, r.currency AS currency",
        {"a": payer, "b": payee, "m": month},
    )
    assert stored == [{"minor": int(expected * 100), "currency": "CNY"}]


def test_gbk_bank_loads_like_utf8(clean_db: Database, tiny_bank: Path, tmp_path: Path) -> None:
    gbk = tmp_path / "gbk"
    run_cli(
        "generate",
        "--scale",
        "tiny",
        "--seed",
        "7",
        "--out",
        str(gbk),
        "--encoding",
        "gbk",
        env=cli_env(),
    )
    with pytest.raises(UnicodeDecodeError):
        (gbk / "companies.csv").read_text(encoding="utf-8")
    load(gbk, tmp_path / "gbk-rejects.csv")
    via_gbk = counts(clean_db)
    gbk_fingerprint = fingerprint(clean_db)
    run_cli("db", "wipe", "--yes", env=cli_env())
    load(tiny_bank, tmp_path / "utf8-rejects.csv")
    assert counts(clean_db) == via_gbk
    assert fingerprint(clean_db) == gbk_fingerprint


class CrashAt:
    """A progress sink that simulates a crash when a step starts."""

    def __init__(self, step: str) -> None:
        self.step = step

    def task(self, label: str, total: int | None) -> Callable[[int], None]:
        if label == self.step:
            raise KeyboardInterrupt(f"simulated crash at {label}")
        return lambda _n: None


@pytest.mark.parametrize("step", ["writing shareholdings", "writing monthly flows"])
def test_a_killed_load_completes_on_rerun(
    clean_db: Database, tiny_bank: Path, tmp_path: Path, settings: Settings, step: str
) -> None:
    load(tiny_bank, tmp_path / "reference.csv")
    reference_counts, reference_fingerprint = counts(clean_db), fingerprint(clean_db)
    run_cli("db", "wipe", "--yes", env=cli_env())

    with pytest.raises(KeyboardInterrupt):
        load_directory(
            clean_db,
            tiny_bank,
            settings,
            rejects_path=tmp_path / "crashed.csv",
            progress=CrashAt(step),
        )
    assert counts(clean_db) != reference_counts  # it really stopped half way
    load(tiny_bank, tmp_path / "resumed.csv")
    assert counts(clean_db) == reference_counts
    assert fingerprint(clean_db) == reference_fingerprint


def test_missing_companies_file_is_fatal_and_clear(clean_db: Database, tmp_path: Path) -> None:
    (tmp_path / "persons.csv").write_text("person_id,name\nP1,张三\n", encoding="utf-8")
    result = run_cli("load", str(tmp_path), env=cli_env(), check=False)
    assert result.returncode != 0
    assert "companies" in result.stderr
    assert "Traceback" not in result.stderr
    assert counts(clean_db) == {}


def test_missing_required_column_is_fatal(clean_db: Database, tmp_path: Path) -> None:
    (tmp_path / "companies.csv").write_text("company_id,is_customer\nC1,true\n", encoding="utf-8")
    with pytest.raises(InputValidationError, match="name"):
        load_directory(
            clean_db, tmp_path, Settings(_env_file=None), rejects_path=tmp_path / "r.csv"
        )


def test_gbk_name_variants_resolve_to_one_company(clean_db: Database, tmp_path: Path) -> None:
    (tmp_path / "companies.csv").write_bytes(
        "company_id,name,uscc,is_customer\n"
        "C1,华东精密机械（苏州）有限公司,91350100M000100Y43,true\n"
        "C2,华东精密机械（无锡）有限公司,,false\n"
        "C3,坏代码有限公司,91350100M000100Y44,false\n".encode("gbk")
    )
    (tmp_path / "transactions.csv").write_bytes(
        "txn_id,date,amount,currency,payer_id,payee_name,payee_account\n"
        "T1,2025-01-02,100.00,CNY,C2,华东精密机械(苏州)有限公司,6222001\n"
        "T2,2025-01-03,200.00,CNY,C2,华东精密机械 （苏州）,6222001\n"
        "T3,2025-01-04,300.00,CNY,C2,华东精密机械（苏州）有限责任公司,6222001\n"
        "T4,2025-01-05,400.00,CNY,C2,华东精密机械（苏州）股份有限公司,6222001\n".encode("gbk")
    )
    rejects = tmp_path / "rejects.csv"
    out = load(tmp_path, rejects)
    assert "name 4" in out  # four distinct spellings, all resolved by name
    flows = clean_db.read(
        "MATCH (a:Company)-[r:PAYS]->(b:Company) "
        "RETURN a.company_id AS payer, b.company_id AS payee, r.amount_minor AS minor"
    )
    assert flows == [{"payer": "C2", "payee": "C1", "minor": 100_000}]
    assert clean_db.read("MATCH (c:Company) RETURN count(c) AS n") == [{"n": 2}]
    [reject] = read_csv(rejects)
    assert (reject["file"], reject["row"], reject["reason"]) == ("companies", "4", "invalid_uscc")
    assert "check character" in reject["message"]


def test_a_rejected_row_creates_no_company(clean_db: Database, tmp_path: Path) -> None:
    (tmp_path / "companies.csv").write_text(
        "company_id,name,is_customer\n"
        "C1,华北重工有限公司,true\n"
        "C3,重名实业有限公司,false\n"
        "C4,重名实业有限公司,false\n",
        encoding="utf-8",
    )
    (tmp_path / "transactions.csv").write_text(
        "txn_id,date,amount,currency,payer_id,payer_name,payee_id,payee_name\n"
        "T1,2025-01-02,100.00,CNY,C1,,,新客户甲有限公司\n"  # accepted: 甲 is created
        "T2,2025-01-03,200.00,CNY,,孤立乙有限公司,,孤立乙有限公司\n"  # pays itself
        "T3,2025-01-04,300.00,CNY,,丙贸易有限公司,,重名实业有限公司\n"  # ambiguous payee
        "T1,2025-01-02,100.00,CNY,C1,,,丁物流有限公司\n"  # T1 again, other values
        "T5,2025-01-05,abc,CNY,,戊商贸有限公司,C1,\n",  # bad amount
        encoding="utf-8",
    )
    (tmp_path / "supply_links.csv").write_text(
        "supplier_id,buyer_id\nX9,C1\n",  # unknown supplier
        encoding="utf-8",
    )
    rejects = tmp_path / "rejects.csv"
    load(tmp_path, rejects)
    names = {
        r["name"] for r in clean_db.read("MATCH (c:Company) RETURN c.name AS name, c.source AS s")
    }
    assert names == {"华北重工有限公司", "重名实业有限公司", "新客户甲有限公司"}
    assert clean_db.read("MATCH (c:Company) RETURN count(c) AS n") == [{"n": 4}]
    assert {(r["file"], r["reason"]) for r in read_csv(rejects)} == {
        ("transactions", "self_reference"),
        ("transactions", "ambiguous_counterparty"),
        ("transactions", "duplicate_key"),
        ("transactions", "invalid_decimal"),
        ("supply_links", "unknown_reference"),
    }
    resolutions = {r["name"]: r for r in read_csv(rejects.with_name("rejects.resolutions.csv"))}
    assert resolutions["新客户甲有限公司"]["method"] == "created"
    # A side seen only in rejected rows is not kept: the reject file names its row.
    assert not {"孤立乙有限公司", "丙贸易有限公司", "丁物流有限公司"} & set(resolutions)
