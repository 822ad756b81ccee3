"""GDS and Python engines give identical control, groups and guarantee circles on the same data.

The tiny bank holds every planted control case: a sister-company subsidiary, 50/50
joint ventures and one by two control links (members of two groups each), a
control cycle under a holding company, cross-shareholdings and ownership rings.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from graph.database import Database

from .conftest import cli_env, control_snapshot, published, run_cli

CIRCLES = (
    "MATCH (c:Company)-[:IN_CIRCLE]->(k:GuaranteeCircle {run_id: $group_run}) "
    "RETURN k.circle_id AS k, k.cycles AS cycles, k.mutual_pairs AS pairs, "
    "k.amounts_minor AS amounts, c.company_id AS company ORDER BY k, company"
)


def snapshot(db: Database) -> tuple[dict[str, list[dict[str, Any]]], list[dict[str, Any]]]:
    return control_snapshot(db), db.read(CIRCLES, published(db))


def test_gds_and_python_agree(clean_db: Database, tmp_path: Path) -> None:
    if clean_db.gds_version() is None:
        pytest.skip("this Neo4j has no Graph Data Science library")
    run_cli("generate", "--out", str(tmp_path), "--scale", "tiny", "--seed", "3", env=cli_env())
    run_cli("load", str(tmp_path), env=cli_env())
    truth = json.loads((tmp_path / "truth.json").read_text(encoding="utf-8"))

    run_cli("compute", "--engine", "python", "--only", "group_risk", env=cli_env())
    python_control, python_circles = snapshot(clean_db)
    run_cli("compute", "--engine", "gds", "--only", "group_risk", env=cli_env())
    gds_control, gds_circles = snapshot(clean_db)

    assert python_control["memberships"]
    assert python_circles
    assert gds_control == python_control
    assert gds_circles == python_circles
    assert len({r["g"] for r in gds_control["memberships"]}) == len(truth["groups"])
    assert len({r["k"] for r in gds_circles}) == len(truth["guarantee_circles"])
    # The new cases are in what both engines agree on.
    statuses = {r["status"] for r in gds_control["companies"]}
    assert {"sole", "joint", "none"} <= statuses
    assert any(r["control_cycles"] for r in gds_control["memberships"])
    assert any(r["ownership_cycles"] for r in gds_control["memberships"])
    assert {r["effect"] for r in gds_control["claims"]} >= {"decisive", "joint", "circular"}
