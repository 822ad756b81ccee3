"""Floors on the hard synthetic bank (small scale, seed 1), through the real pipeline.

``bench/quality.py`` prints the figures (README: "Quality"); this test holds the
acceptance floors, which those figures clear with margin: entity resolution pairwise
F1 ≥ 0.95 with a review queue under 2% of the counterparties; events F1 ≥ 0.85 for
every planted type; prospects precision@50 ≥ 0.8 with no hub in the top 50. Nothing
here reads a generator constant: only ``truth.json`` and what the loader and the
compute steps stored.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest

from graph.database import Database
from loaders.synthetic.scoring import (
    entity_of_companies,
    event_scores,
    ranking_quality,
    resolution_quality,
)

from .conftest import cli_env, published, run_cli

TYPES = ("large_outflow", "counterparty_loss", "new_major_counterparty", "dormancy")


@pytest.fixture(scope="module")
def hard_bank(
    database: Database, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, dict[str, Any], list[tuple[str, str, str]]]:
    out = tmp_path_factory.mktemp("hard-small")
    env = cli_env()
    run_cli(
        *("generate", "--scale", "small", "--seed", "1", "--difficulty", "hard"),
        *("--out", str(out)),
        env=env,
    )
    run_cli("db", "wipe", "--yes", env=env)
    run_cli("load", str(out), "--rejects", str(out / "rejects.csv"), env=env, timeout=3600)
    for step in ("group_risk", "prospects", "events"):
        run_cli("compute", "--only", step, env=env, timeout=3600)
    truth = json.loads((out / "truth.json").read_text(encoding="utf-8"))
    with (out / "rejects.resolutions.csv").open(encoding="utf-8-sig", newline="") as handle:
        resolved = [(r["name"], r["uscc"], r["company_id"]) for r in csv.DictReader(handle)]
    return out, truth, resolved


def test_entity_resolution_floor(
    database: Database, hard_bank: tuple[Path, dict[str, Any], list[tuple[str, str, str]]]
) -> None:
    _, truth, resolved = hard_bank
    pending = database.read(
        "MATCH (k:ResolutionCandidate {status: 'pending'}) RETURN count(k) AS n"
    )[0]["n"]
    quality = resolution_quality(truth, resolved, int(pending))
    print(f"\nentity resolution on the hard small bank: {quality}")  # noqa: T201
    assert quality.all_records.f1 >= 0.95
    assert quality.queue_share < 0.02
    # Branch offices are linked to their head, not merged into it.
    heads = {
        (str(r["branch"]), str(r["head"]))
        for r in database.read(
            "MATCH (b:Company)-[:BRANCH_OF]->(h:Company) "
            "RETURN b.company_id AS branch, h.company_id AS head"
        )
    }
    entity_of = entity_of_companies(truth, resolved)
    linked = {(entity_of.get(b, b), entity_of.get(h, h)) for b, h in heads}
    planted = {(o["id"], o["head_id"]) for o in truth["branch_offices"]}
    assert len(linked & planted) >= 0.8 * len(planted)


def test_event_floors(
    database: Database, hard_bank: tuple[Path, dict[str, Any], list[tuple[str, str, str]]]
) -> None:
    _, truth, _ = hard_bank
    found = {
        (str(r["customer"]), str(r["type"]), str(r["month"]))
        for r in database.read(
            "MATCH (e:Event)-[:ABOUT]->(c:Company) "
            "RETURN c.company_id AS customer, e.type AS type, e.month AS month"
        )
    }
    scores = event_scores(found, truth, TYPES)
    print(f"\nevents on the hard small bank: {scores}")  # noqa: T201
    for kind, score in scores.items():
        assert score.f1 >= 0.85, kind


def test_prospect_floors(
    database: Database, hard_bank: tuple[Path, dict[str, Any], list[tuple[str, str, str]]]
) -> None:
    _, truth, resolved = hard_bank
    ranked = [
        str(r["id"])
        for r in database.read(
            "MATCH (c:Prospect {run_id: $prospect_run}) "
            "RETURN c.company_id AS id ORDER BY c.prospect_rank",
            published(database),
        )
    ]
    quality = ranking_quality(ranked, truth, entity_of_companies(truth, resolved))
    print(f"\nprospects on the hard small bank: {quality}")  # noqa: T201
    assert quality.precision_at_50 >= 0.8
    assert quality.hubs_in_top_50 == 0
