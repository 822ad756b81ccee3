"""Compute steps run at once and give what one step after another gives, on a real Neo4j.

The tiny synthetic bank is computed with one step at a time
(``CORPGRAPH_COMPUTE_CONCURRENT_STEPS=1``) and then with every step at once (5):
every stored result of the published runs (control, groups, dependencies, influence
and prospects, suspected related parties, events) is the same. A failing first step
stops the steps that read it (prospects wait for the groups): the compute raises the
step's own error and publishes nothing.
"""

from __future__ import annotations

from typing import Any, Final

import pytest

from core.errors import QueryError
from core.settings import Settings
from graph import schema
from graph.compute_runs import published_runs
from graph.database import Database
from services import compute
from services.compute import run_compute
from services.compute_inputs import ComputeInputs
from services.engines import GraphEngine
from services.steps import StepReport

from .conftest import cli_env, control_snapshot, published, run_cli

pytestmark = [pytest.mark.integration, pytest.mark.timeout(1800)]

#: Values that name the run or the moment, not the result.
VOLATILE: Final = frozenset(
    {"run_id", "computed_at", "prospect_computed_at", "created_ms", "created_at"}
)

RESULTS: Final = {
    "influence and prospects": "MATCH (n:CompanyResult {run_id: $prospect_run}) "
    "RETURN properties(n) AS row",
    "dependencies": "MATCH (a:Company)-[r:DEPENDS_ON {run_id: $dependency_run}]->(b:Company) "
    "RETURN a.company_id AS a, b.company_id AS b, properties(r) AS row",
    "groups": "MATCH (n:Group {run_id: $group_run}) RETURN properties(n) AS row",
    "events": "MATCH (e:Event)-[:ABOUT]->(c:Company) WHERE e.run_id <= $event_run "
    "RETURN c.company_id AS c, e.event_id AS id, e.type AS type, e.evidence_json AS evidence",
}
RELATED = (
    "MATCH (s:SuspectedRelation {run_id: $run}) RETURN properties(s) AS row "
    "ORDER BY s.pair_id, s.customer_id"
)


def stored_results(db: Database) -> dict[str, Any]:
    """Every published result, without run ids and times, in a stable order."""
    runs = published(db)
    found: dict[str, Any] = {"control": control_snapshot(db)}
    for name, query in RESULTS.items():
        rows = [
            {
                k: ({p: v for p, v in value.items() if p not in VOLATILE} if k == "row" else value)
                for k, value in record.items()
            }
            for record in db.read(query, runs)
        ]
        found[name] = sorted(rows, key=repr)
    related_run = published_runs(db).run_id("related_parties")
    found["related parties"] = [
        {p: v for p, v in r["row"].items() if p not in VOLATILE}
        for r in db.read(RELATED, {"run": related_run})
    ]
    return found


def test_steps_at_once_store_what_steps_one_by_one_store(
    database: Database, tmp_path_factory: pytest.TempPathFactory
) -> None:
    bank = tmp_path_factory.mktemp("concurrency-bank")
    run_cli("generate", "--out", str(bank), "--scale", "tiny", "--seed", "5", env=cli_env())
    schema.wipe(database)
    run_cli("load", str(bank), env=cli_env())

    results = {}
    for concurrent in ("1", "5"):
        env = cli_env(CORPGRAPH_COMPUTE_CONCURRENT_STEPS=concurrent)
        run_cli("compute", "--engine", "python", env=env)
        results[concurrent] = stored_results(database)
    for name, rows in results["1"].items():
        assert rows, f"the tiny bank has {name}"  # a comparison of nothing proves nothing
        assert results["5"][name] == rows, name


def test_a_failed_first_step_stops_the_steps_that_read_it(
    database: Database, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = published_runs(database)
    assert before.group_risk is not None  # the bank of the test above, computed

    def failing_group_risk(
        db: Database,
        engine: GraphEngine,
        settings: Settings,
        run_id: str,
        /,
        *,
        run_inputs: ComputeInputs | None = None,
    ) -> StepReport:
        raise QueryError("group risk failed (planted)")

    steps = tuple(
        (name, failing_group_risk if name == "group_risk" else step)
        for name, step in compute.COMPUTE_STEPS
    )
    monkeypatch.setattr(compute, "COMPUTE_STEPS", steps)
    two_at_once = settings.model_copy(update={"compute_concurrent_steps": 2})
    with pytest.raises(QueryError, match="planted"):  # its own error, not its dependants'
        run_compute(database, two_at_once, engine_mode="python", only={"group_risk", "prospects"})
    after = published_runs(database)
    assert after.of("group_risk") == before.of("group_risk")
    assert after.of("prospects") == before.of("prospects")  # it waited, then stopped
