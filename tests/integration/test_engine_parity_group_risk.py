"""GDS and Python engines give identical groups and guarantee circles on the same data."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from graph.database import Database

from .conftest import cli_env, run_cli

GROUPS = (
    "MATCH (c:Company)-[m:MEMBER_OF]->(g:Group) "
    "RETURN g.group_id AS g, g.controller_id AS controller, g.rank AS rank, "
    "g.currencies AS currencies, g.outstanding_minor AS outstanding, "
    "c.company_id AS company, m.role AS role, m.depth AS depth ORDER BY g, company"
)
CIRCLES = (
    "MATCH (c:Company)-[:IN_CIRCLE]->(k:GuaranteeCircle) "
    "RETURN k.circle_id AS k, k.cycles AS cycles, k.mutual_pairs AS pairs, "
    "k.amounts_minor AS amounts, c.company_id AS company ORDER BY k, company"
)


def snapshot(db: Database) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    return db.read(GROUPS), db.read(CIRCLES)


def test_gds_and_python_agree(clean_db: Database, tmp_path: Path) -> None:
    if clean_db.gds_version() is None:
        pytest.skip("this Neo4j has no Graph Data Science library")
    run_cli("generate", "--out", str(tmp_path), "--scale", "tiny", "--seed", "3", env=cli_env())
    run_cli("load", str(tmp_path), env=cli_env())
    truth = json.loads((tmp_path / "truth.json").read_text(encoding="utf-8"))

    run_cli("compute", "--engine", "python", "--only", "group_risk", env=cli_env())
    python_groups, python_circles = snapshot(clean_db)
    run_cli("compute", "--engine", "gds", "--only", "group_risk", env=cli_env())
    gds_groups, gds_circles = snapshot(clean_db)

    assert python_groups
    assert python_circles
    assert gds_groups == python_groups
    assert gds_circles == python_circles
    assert len({r["g"] for r in gds_groups}) == len(truth["groups"])
    assert len({r["k"] for r in gds_circles}) == len(truth["guarantee_circles"])
