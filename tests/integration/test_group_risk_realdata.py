"""Group risk on real corporate structures: US bank holding companies (FR Y-10, NIC).

``shared/realdata/nic-bhc/`` (next to the project, never copied into it) holds the
organisation hierarchies of Citigroup (1,018 entities, 92 with more than one parent,
13 tiers) and Citizens Financial (41). Under FR Y-10 a parent is listed when it
controls the entity, and only the Tier-1 holding company has no parent, so a correct
engine finds, in each file, **one group with every entity, under the Tier-1**.

Each file is converted into contract files in two forms:

- ``links``: a ``control_links`` row per parent → child;
- ``shares``: a ``shareholdings`` row per parent → child, the parents of an entity
  splitting 100% equally (one parent 100%, two parents 50% each, ...). Every parent
  is itself under the Tier-1, so together they hold all of it: only the
  consolidation rule (stakes of controlled companies count) keeps the group whole.

Each form is loaded with ``corpgraph load`` and computed with both engines, then
checked through the API (the groups; every entity's controllers after the first
engine, the entities with several parents after the second, whose whole stored
result must equal the first's) and through ``corpgraph groups list|show``.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal
from pathlib import Path
from typing import cast

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.app import create_app
from core.settings import Settings
from graph.database import Database
from graph.group_results import read_id_salt
from services.group_risk import public_group_id

from .conftest import api_key, cli_env, control_snapshot, run_cli

FILES = {"citigroup": "1951350-20161228.csv", "citizens": "1132449-20161228.csv"}


def realdata_folder() -> Path | None:
    """``shared/realdata/nic-bhc`` in the project's folder or one above it."""
    root = Path(__file__).resolve().parents[2]
    for parent in (root, *root.parents):
        candidate = parent / "shared" / "realdata" / "nic-bhc"
        if candidate.is_dir():
            return candidate
    return None


@dataclass(frozen=True)
class Structure:
    """One holding company's structure as the regulator lists it."""

    top: str
    names: dict[str, str]
    parents: dict[str, set[str]]
    tiers: dict[str, int]


def read_structure(path: Path) -> Structure:
    """Entities (by RSSD id) and their distinct parents; ``Parent`` is a row's ``Idx``."""
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    rssd_of_row = {row["Idx"]: row["Id_Rssd"] for row in rows}
    names: dict[str, str] = {}
    parents: dict[str, set[str]] = {}
    tiers: dict[str, int] = {}
    tops = set()
    for row in rows:
        entity = f"RSSD{row['Id_Rssd']}"
        names.setdefault(entity, row["Name"])
        parents.setdefault(entity, set())
        tiers[entity] = max(tiers.get(entity, 0), int(row["Tier"]))
        if row["Parent"]:
            parents[entity].add(f"RSSD{rssd_of_row[row['Parent']]}")
        else:
            tops.add(entity)
    (top,) = tops
    return Structure(top, names, parents, tiers)


def write_bank(structures: list[Structure], form: str, folder: Path) -> None:
    """Contract files: companies plus control links, or plus equal-split shareholdings.

    The bank's head office is the one branch (API users are booked at a branch).
    """
    folder.mkdir(parents=True)
    (folder / "branches.csv").write_text(
        "branch_id,name,parent_branch_id\nHO,总行,\n", encoding="utf-8"
    )
    names = {e: n for s in structures for e, n in s.names.items()}
    parents = {e: p for s in structures for e, p in s.parents.items()}
    with (folder / "companies.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["company_id", "name", "is_customer"])
        for entity, name in sorted(names.items()):
            writer.writerow([entity, name, "false"])
    if form == "links":
        with (folder / "control_links.csv").open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(["controller_id", "controller_type", "company_id", "basis"])
            for entity, owners in sorted(parents.items()):
                for parent in sorted(owners):
                    writer.writerow([parent, "company", entity, "regulator_filing"])
    else:
        with (folder / "shareholdings.csv").open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(["owner_id", "owner_type", "company_id", "share_pct"])
            for entity, owners in sorted(parents.items()):
                if not owners:
                    continue
                share = (Decimal(100) / len(owners)).quantize(Decimal("0.0001"), ROUND_DOWN)
                for parent in sorted(owners):
                    writer.writerow([parent, "company", entity, f"{share.normalize():f}"])


FOLDER = realdata_folder()
pytestmark = pytest.mark.skipif(
    FOLDER is None,
    reason="the real-data folder shared/realdata/nic-bhc is absent (it is never copied "
    "into the project; see shared/realdata/README.md)",
)


def test_the_conversion_reads_what_the_regulator_lists() -> None:
    """The figures of the data's README: entities, multi-parent entities, tiers."""
    assert FOLDER is not None
    citi = read_structure(FOLDER / FILES["citigroup"])
    assert len(citi.names) == 1018
    assert sum(len(p) > 1 for p in citi.parents.values()) == 92
    assert max(citi.tiers.values()) == 13
    assert sum(len(p) for p in citi.parents.values()) == 1125
    citizens = read_structure(FOLDER / FILES["citizens"])
    assert len(citizens.names) == 41
    assert citi.parents[citi.top] == set()


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as test_client:
        yield test_client


@pytest.mark.parametrize("form", ["links", "shares"])
def test_each_file_is_one_complete_group_under_its_tier_1(
    clean_db: Database, client: TestClient, tmp_path: Path, form: str
) -> None:
    """Both structures in one bank: exactly two groups, each one file's entities whole."""
    assert FOLDER is not None
    structures = [read_structure(FOLDER / FILES[name]) for name in sorted(FILES)]
    citi, citizens = structures
    assert not set(citi.names) & set(citizens.names)
    write_bank(structures, form, tmp_path / form)
    run_cli("load", str(tmp_path / form), env=cli_env())
    headers = {"X-API-Key": api_key("risk", "HO")}
    snapshots = []
    for engine in ("gds", "python"):
        if engine == "gds" and clean_db.gds_version() is None:
            continue
        run_cli("compute", "--engine", engine, "--only", "group_risk", env=cli_env())
        snapshots.append(control_snapshot(clean_db))
        listed = client.get("/api/v1/groups", headers=headers).json()
        assert sorted(g["id"] for g in listed["items"]) == sorted(
            public_group_id(read_id_salt(clean_db), s.top) for s in structures
        ), (engine, listed)
        assert listed["total"] == len(structures)
        cli_list = run_cli("groups", "list", env=cli_env()).stdout
        assert f"\n{len(structures)} groups\n" in cli_list
        for structure in structures:
            check_one_structure(client, headers, structure, first=len(snapshots) == 1)
    assert all(s == snapshots[0] for s in snapshots)


def check_one_structure(
    client: TestClient, headers: dict[str, str], structure: Structure, *, first: bool
) -> None:
    """One complete group under the Tier-1, through the API and ``corpgraph groups show``."""
    entities = sorted(structure.names)
    group_id = public_group_id(
        read_id_salt(cast(Database, cast(FastAPI, client.app).state.database)), structure.top
    )
    detail = client.get(f"/api/v1/groups/{group_id}", headers=headers).json()
    assert detail["controller"]["id"] == structure.top
    assert detail["size"] == len(entities)
    assert sorted(m["id"] for m in detail["members"]) == entities
    assert {m["status"] for m in detail["members"]} <= {"sole", "none"}

    # Every entity's ultimate controller is the Tier-1. The answer is read from what
    # compute stored: after the first engine, the entities with several parents are
    # asked again and the caller compares the whole stored result.
    several = [e for e in entities if len(structure.parents[e]) > 1]
    for entity in entities if first or not several else several:
        body = client.get(f"/api/v1/companies/{entity}/controllers", headers=headers).json()
        chain = [c for c in body["controllers"] if "control_chain" in c["by"]]
        assert body["groups"] == [{"id": group_id, "primary": True}], entity
        if entity == structure.top:
            assert (body["status"], chain) == ("none", []), entity
            continue
        assert body["status"] == "sole", (entity, body)
        assert [c["id"] for c in chain] == [structure.top], entity
        path = chain[0]["paths"][0]  # the control path; ownership paths follow
        assert path[0] == structure.top
        assert path[-1] == entity
        assert all(step in structure.names for step in path)

    shown = run_cli("groups", "show", group_id, env=cli_env(COLUMNS="200")).stdout
    assert f"controller {structure.top}" in shown
    assert f"{len(entities)} members" in shown
    missing = [e for e in entities if e not in shown]
    assert missing == [], missing[:5]
