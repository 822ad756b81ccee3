"""``load --bulk`` writes the graph the normal loader writes, through Neo4j's importer.

The tiny synthetic bank (it has bad rows in several files) is loaded once with the
normal loader and once with the bulk path into the emptied database; the two graphs
must have the same nodes per label, relationships per type and every property with
its type, the same rejects, and ``compute`` followed by a 360 must give the same answer.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from core.settings import Settings
from graph import schema
from graph.database import Database
from loaders.bulk import bulk_load_directory
from loaders.pipeline import forget_ledger, load_directory

from .conftest import cli_env, run_cli

NODE_COUNTS = "MATCH (n) UNWIND labels(n) AS label RETURN label, count(*) AS n ORDER BY label"
REL_COUNTS = "MATCH ()-[r]->() RETURN type(r) AS type, count(*) AS n ORDER BY type"
NODES = "MATCH (n) WHERE NOT n:CorpgraphMeta RETURN labels(n) AS labels, properties(n) AS props"
RELATIONSHIPS = (
    "MATCH (a)-[r]->(b) RETURN type(r) AS type, properties(r) AS props, "
    "labels(a) AS a_labels, properties(a) AS a, labels(b) AS b_labels, properties(b) AS b"
)
META = "MATCH (m:CorpgraphMeta {key: 'instance'}) RETURN m.instance_id AS i, m.data_version AS v"
# Written with the wall clock of the load (the matching outcome's timestamps).
CLOCK_PROPERTIES = frozenset({"created_at", "updated_at", "scored_at", "applied_at"})


def _typed(props: dict[str, Any]) -> str:
    """Each property with its value and its type (a date is not its ISO string)."""
    return repr(
        sorted((k, type(v).__name__, str(v)) for k, v in props.items() if k not in CLOCK_PROPERTIES)
    )


def _key(labels: list[str], props: dict[str, Any]) -> str:
    return repr((sorted(labels), sorted((k, str(v)) for k, v in props.items() if "id" in k)))


def snapshot(db: Database) -> dict[str, Any]:
    """Counts and a content checksum of every node and relationship property."""
    nodes = sorted(repr((sorted(r["labels"]), _typed(r["props"]))) for r in db.read(NODES))
    rels = sorted(
        repr(
            (
                r["type"],
                _typed(r["props"]),
                _key(r["a_labels"], r["a"]),
                _key(r["b_labels"], r["b"]),
            )
        )
        for r in db.read(RELATIONSHIPS)
    )
    return {
        "nodes": {r["label"]: r["n"] for r in db.read(NODE_COUNTS)},
        "relationships": {r["type"]: r["n"] for r in db.read(REL_COUNTS)},
        "checksum": hashlib.sha256("\n".join(nodes + rels).encode()).hexdigest(),
        "rows": (nodes, rels),
    }


def compute_and_360(settings: Settings, member: str) -> dict[str, Any]:
    run_cli("compute", "--engine", "python", "--only", "group_risk", env=cli_env())
    key = run_cli(
        "users", "add", "--name", "risk", "--role", "risk", "--branch", "HO", env=cli_env()
    ).stdout
    token = next(word for word in key.split() if word.startswith("cg_"))
    with TestClient(create_app(settings)) as client:
        response = client.get(f"/api/v1/customers/{member}", headers={"X-API-Key": token})
    assert response.status_code == 200, response.text
    view: dict[str, Any] = response.json()
    return view


def _without_run_ids(value: Any) -> Any:
    """The 360 without what differs between two runs of the same data (ids of runs,
    salted group ids, times)."""
    if isinstance(value, dict):
        return {
            k: _without_run_ids(v)
            for k, v in value.items()
            if k not in {"group_id", "run_id", "computed_at", "as_of_run", "generated_at"}
        }
    if isinstance(value, list):
        return [_without_run_ids(v) for v in value]
    if isinstance(value, str) and value.startswith(("GRP-", "GC-", "SC-")):
        return "keyed id"  # HMAC keyed with the store's own instance id
    return value


@pytest.fixture(scope="module")
def bank(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("bulk") / "bank"
    run_cli("generate", "--scale", "tiny", "--seed", "7", "--out", str(out), env=cli_env())
    return out


def test_bulk_load_writes_the_graph_the_loader_writes(
    database: Database, settings: Settings, bank: Path, tmp_path: Path
) -> None:
    forget_ledger(database, settings)
    schema.wipe(database)
    normal = load_directory(database, bank, settings, rejects_path=tmp_path / "normal.csv")
    expected = snapshot(database)
    member = next(
        r["id"]
        for r in database.read(
            "MATCH (c:Customer)<-[:GUARANTEES]-() RETURN c.company_id AS id ORDER BY id LIMIT 1"
        )
    )
    expected_view = compute_and_360(settings, member)

    forget_ledger(database, settings)
    schema.wipe(database)
    bulk, timings = bulk_load_directory(
        database,
        bank,
        settings,
        rejects_path=tmp_path / "bulk.csv",
        work_dir=tmp_path / "import",
    )
    got = snapshot(database)

    assert timings.relationships > 0
    assert got["nodes"] == expected["nodes"]
    assert got["relationships"] == expected["relationships"]
    if got["checksum"] != expected["checksum"]:  # show what differs
        nodes, rels = got["rows"]
        want_nodes, want_rels = expected["rows"]
        assert sorted(set(nodes) ^ set(want_nodes))[:5] == []
        assert sorted(set(rels) ^ set(want_rels))[:5] == []
    assert got["checksum"] == expected["checksum"]
    [meta] = database.read(META)
    assert meta["i"]
    assert meta["v"]

    # Bad input still goes to the rejects, the same rows for the same reasons.
    assert normal.rejects
    assert (tmp_path / "bulk.csv").read_bytes() == (tmp_path / "normal.csv").read_bytes()
    assert bulk.flows_written == normal.flows_written
    assert _without_run_ids(compute_and_360(settings, member)) == _without_run_ids(expected_view)
    # The imported store has the schema, and a second load runs the normal way on it.
    assert schema.schema_status(database).ready
    again = load_directory(database, bank, settings, rejects_path=tmp_path / "again.csv")
    assert again.flows_written == 0 or again.flows_updated == again.flows_written
    # (compute added its results and the API user: only the loaded labels are compared)
    after = snapshot(database)["nodes"]
    assert {label: after[label] for label in expected["nodes"]} == expected["nodes"]


def test_bulk_load_refuses_a_database_with_data(
    database: Database, bank: Path, tmp_path: Path
) -> None:
    schema.wipe(database)
    database.write("MERGE (:Branch {branch_id: 'HO', name: 'head office'})")
    completed = run_cli(
        "load",
        str(bank),
        "--bulk",
        "--rejects",
        str(tmp_path / "r.csv"),
        env=cli_env(),
        check=False,
    )
    assert completed.returncode != 0
    assert "empty database" in completed.stderr
    assert "Traceback" not in completed.stderr + completed.stdout
    assert database.read_one("MATCH (n:Company) RETURN count(n) AS n") == {"n": 0}
