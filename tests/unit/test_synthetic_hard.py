"""The hard synthetic bank: deterministic, the standard bank untouched, and a truth file
that says what every noisy spelling, hub and event is."""

from __future__ import annotations

import csv
import json
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest

from core.errors import InputValidationError
from core.names import counterparty_id, name_key
from loaders.synthetic import generate_bank

SEED = 11


def rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def hard(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    folder = tmp_path_factory.mktemp("hard")
    report = generate_bank("tiny", SEED, folder, difficulty="hard")
    return folder, json.loads(report.truth_path.read_text(encoding="utf-8"))


def test_the_standard_bank_does_not_change_and_the_hard_one_is_deterministic(
    hard: tuple[Path, dict[str, Any]], tmp_path: Path
) -> None:
    folder, truth = hard
    generate_bank("tiny", SEED, tmp_path / "default")
    generate_bank("tiny", SEED, tmp_path / "standard", difficulty="standard")
    generate_bank("tiny", SEED, tmp_path / "again", difficulty="hard")
    for path in sorted((tmp_path / "default").iterdir()):
        assert (tmp_path / "standard" / path.name).read_bytes() == path.read_bytes()
    for path in sorted(folder.iterdir()):
        assert (tmp_path / "again" / path.name).read_bytes() == path.read_bytes()
    standard = json.loads((tmp_path / "default" / "truth.json").read_text(encoding="utf-8"))
    assert "name_identities" not in standard
    assert truth["difficulty"] == "hard"
    assert (folder / "transactions.csv").read_bytes() != (
        tmp_path / "default" / "transactions.csv"
    ).read_bytes()
    with pytest.raises(InputValidationError, match="difficulty"):
        generate_bank("tiny", SEED, tmp_path / "x", difficulty="extreme")


def test_every_named_side_has_a_true_company(hard: tuple[Path, dict[str, Any]]) -> None:
    folder, truth = hard
    identities = truth["name_identities"]
    companies = {r["company_id"]: r for r in rows(folder / "companies.csv")}
    bad_lines = {b["row"] for b in truth["bad_rows"] if b["file"] == "transactions"}
    named = set()
    for line, row in enumerate(rows(folder / "transactions.csv"), start=2):
        if line in bad_lines:
            continue
        for side in ("payer", "payee"):
            if not row[f"{side}_id"]:
                named.add(row[f"{side}_name"])
    assert named == set(identities)
    for name, identity in identities.items():
        entity = identity["id"]
        assert entity in companies or entity.startswith("CP-"), name
    # One normalised name never means two companies.
    by_key: dict[str, set[str]] = defaultdict(set)
    for name, identity in identities.items():
        by_key[name_key(name)].add(identity["id"])
    for company in companies.values():
        by_key[name_key(company["name"])].add(company["company_id"])
    assert {k: v for k, v in by_key.items() if len(v) > 1} == {}
    kinds = {identity["kind"] for identity in identities.values()}
    assert {"canonical", "typo", "traditional"} <= kinds


def test_renamed_branch_offices_and_hubs_are_consistent(hard: tuple[Path, dict[str, Any]]) -> None:
    folder, truth = hard
    companies = {r["company_id"]: r for r in rows(folder / "companies.csv")}
    for renamed in truth["renamed"]:
        assert companies[renamed["company_id"]]["name"] == renamed["new_name"]
    entities = {identity["id"] for identity in truth["name_identities"].values()}
    for office in truth["branch_offices"]:
        assert office["head_id"] in entities | set(companies)
    # A hub is paid by many customers; a prospect by a few.
    customers = {c for c, r in companies.items() if r["is_customer"] == "true"}
    payers: dict[str, set[str]] = defaultdict(set)
    for row in rows(folder / "transactions.csv"):
        if row["payer_id"] in customers and row["payee_name"]:
            payers[counterparty_id(name_key(row["payee_name"]))].add(row["payer_id"])
    hubs = {h["id"] for h in truth["hubs"] if h["kind"] == "tax"}
    assert hubs
    widest_prospect = max(len(p["customers"]) for p in truth["prospect_details"])
    assert min(len(payers[h]) for h in hubs) > 2 * widest_prospect


def test_events_are_spread_across_magnitudes(tmp_path: Path) -> None:
    report = generate_bank("small", 5, tmp_path, difficulty="hard")
    truth = json.loads(report.truth_path.read_text(encoding="utf-8"))
    measures: dict[str, list[float]] = defaultdict(list)
    for event in truth["event_details"]:
        if event["planted_measure"]:
            measures[event["type"]].append(float(event["planted_measure"]))
    assert min(measures["large_outflow"]) < 4 < 8 < max(measures["large_outflow"])
    assert min(measures["counterparty_loss"]) < 0.35 < 0.5 < max(measures["counterparty_loss"])
    assert (
        min(measures["new_major_counterparty"])
        < 0.3
        < 0.4
        < max(measures["new_major_counterparty"])
    )


def test_the_hard_bank_writes_gbk(tmp_path: Path) -> None:
    report = generate_bank("tiny", SEED, tmp_path, difficulty="hard", encoding="gbk")
    text = report.files["transactions"].read_bytes().decode("gbk")
    assert "分公司" in text or "有限" in text
