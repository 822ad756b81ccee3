"""Atomic compute on a real Neo4j: readers see one whole run, never a mix of two.

The tiny synthetic bank is computed once (run A). Then the inputs change (every
facility's outstanding doubles, so every group's exposure changes) and so do the
prospect weights and the event threshold, and ``corpgraph compute`` runs again in a
subprocess (run B) while threads read groups, prospects and events through the
HTTP API in a loop (a customer's planted segment downgrade adds one event). Every
answer names its run (``run_id``) and must be exactly
the answer of that run, read when nothing was computing: a list that mixed two
runs would equal neither. A later run is killed in the middle of its prospects
step: the published prospects stay readable and unchanged, its partial rows are
collected by the next run, and so are the rows of runs older than the previous one.
"""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from core.settings import Settings
from graph import schema
from graph.branches import BranchScope
from graph.compute_runs import STEPS, published_runs
from graph.database import Database
from graph.events import get_event, set_status

from .conftest import api_key, cli_env, run_cli

pytestmark = pytest.mark.timeout(1800)  # a guard against a hang, not a speed check

ALL = BranchScope("HO", None)
#: The lists under test, each the one page a user would read (up to the page bound).
LISTS = {
    "group_risk": "/api/v1/groups?limit=500",
    "prospects": "/api/v1/prospects?limit=500",
    "events": "/api/v1/events?limit=500",
}
#: Run B's settings: other prospect weights, so that its prospects differ from run A's.
CHANGED = {"CORPGRAPH_PROSPECT_WEIGHT_AMOUNT": "0.6"}
#: Run B's inputs: other exposures (so other groups), and one customer who falls from the
#: top segment to the bottom one (so one more event).
DOUBLE_OUTSTANDING = "MATCH (f:Facility) SET f.outstanding_minor = f.outstanding_minor * 2 + 1"
PLANT_DOWNGRADE = """
MATCH (c:Customer) WITH c ORDER BY c.company_id LIMIT 1
UNWIND [['ATOMIC-1', date('2099-01-31'), 'strategic'], ['ATOMIC-2', date('2099-02-28'), 'basic']]
    AS snap
CREATE (c)-[:HAS_SEGMENT]->(:SegmentSnapshot {snapshot_id: snap[0], as_of: snap[1],
                                              segment: snap[2]})
"""
PROSPECT_RESULT_RUNS = "MATCH (c:CompanyResult) RETURN DISTINCT c.run_id AS run ORDER BY run"

NEW_PROSPECT_ROWS = (
    "MATCH (c:CompanyResult) WHERE NOT c.run_id IN $known RETURN c.run_id AS run LIMIT 1"
)


@pytest.fixture(scope="module")
def bank(
    database: Database, tmp_path_factory: pytest.TempPathFactory, settings: Settings
) -> Iterator[tuple[Database, TestClient, dict[str, str]]]:
    out = tmp_path_factory.mktemp("atomic-bank")
    run_cli("generate", "--out", str(out), "--scale", "tiny", "--seed", "3", env=cli_env())
    schema.wipe(database)
    run_cli("load", str(out), env=cli_env())
    run_cli("compute", "--engine", "python", env=cli_env())
    headers = {"X-API-Key": api_key("admin", "HO")}
    with TestClient(create_app(settings)) as client:
        yield database, client, headers


def answer(client: TestClient, headers: dict[str, str], step: str) -> dict[str, Any]:
    response = client.get(LISTS[step], headers=headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def start_compute(*args: str, **env: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "corpgraph", "compute", "--engine", "python", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=cli_env(**env),
        cwd=Path(__file__).resolve().parents[2],
    )


def test_readers_see_one_whole_run_while_compute_runs(
    bank: tuple[Database, TestClient, dict[str, str]],
) -> None:
    db, client, headers = bank
    before = published_runs(db)
    assert all(before.run_id(step) for step in STEPS)
    # A user acts on an event of run A: run B must keep it, acknowledged, not re-detect it.
    first_event = answer(client, headers, "events")["items"][0]["id"]
    set_status(db, ALL, first_event, "acknowledged", user_id="atomic-test")
    old = {step: answer(client, headers, step) for step in LISTS}
    for step, body in old.items():
        assert body["run_id"] == before.run_id(step), step
        assert body["computed_at"] is not None
        assert body["items"], step
    db.write(DOUBLE_OUTSTANDING)
    db.write(PLANT_DOWNGRADE)

    seen: dict[str, list[dict[str, Any]]] = {step: [] for step in LISTS}
    errors: list[BaseException] = []
    done = threading.Event()

    def read_loop(step: str) -> None:
        try:
            while not done.is_set():
                seen[step].append(answer(client, headers, step))
            seen[step].append(answer(client, headers, step))  # one more after the compute
        except BaseException as error:  # reported by the main thread
            errors.append(error)

    readers = [threading.Thread(target=read_loop, args=(step,)) for step in LISTS]
    for reader in readers:
        reader.start()
    compute = start_compute(**CHANGED)
    try:
        _, stderr = compute.communicate(timeout=1500)
    finally:
        done.set()
        for reader in readers:
            reader.join(timeout=120)
    assert compute.returncode == 0, stderr
    assert not errors, errors

    after = published_runs(db)
    new = {step: answer(client, headers, step) for step in LISTS}
    for step in LISTS:
        old_run, new_run = before.run_id(step), after.run_id(step)
        assert old_run is not None
        assert new_run is not None
        assert new_run > old_run, step  # run ids sort by time
        assert after.of(step).previous_run_id == old_run
        assert new[step]["run_id"] == new_run
        # The runs differ, so an answer that mixed them would equal neither.
        assert new[step]["items"] != old[step]["items"], step
        expected = {old_run: old[step], new_run: new[step]}
        runs_seen = [body["run_id"] for body in seen[step]]
        assert set(runs_seen) <= set(expected), step
        assert old_run in runs_seen, f"{step}: no answer from the old run"
        assert new_run in runs_seen, f"{step}: no answer from the new run"
        for body in seen[step]:
            assert body == expected[body["run_id"]], f"{step}: an answer mixes two runs"

    # Events keep their identity and state across runs.
    kept = get_event(db, ALL, first_event)
    assert kept["status"] == "acknowledged"
    assert [h["to"] for h in kept["history"]] == ["acknowledged"]
    new_ids = [e["id"] for e in new["events"]["items"]]
    assert new_ids.count(first_event) == 1
    assert new["events"]["total"] > old["events"]["total"]


def test_a_killed_run_changes_nothing_and_is_collected_later(
    bank: tuple[Database, TestClient, dict[str, str]],
) -> None:
    db, client, headers = bank
    before = published_runs(db)
    prospects_before = answer(client, headers, "prospects")
    known = [r["run"] for r in db.read(PROSPECT_RESULT_RUNS)]
    assert 1 <= len(known) <= 2  # the current run and the previous one, if any

    # One step at a time: the kill must find group risk published and prospects under way
    # (steps at once start prospects beside group risk; tests/integration/
    # test_compute_concurrency.py covers those).
    compute = start_compute(CORPGRAPH_COMPUTE_CONCURRENT_STEPS="1")
    killed_run = None
    try:
        deadline = time.monotonic() + 1200
        while killed_run is None and compute.poll() is None and time.monotonic() < deadline:
            row = db.read_one(NEW_PROSPECT_ROWS, {"known": known})
            if row is not None:
                killed_run = str(row["run"])
                compute.kill()  # mid-way through the prospects step
            else:
                time.sleep(0.05)
    finally:
        if compute.poll() is None:
            compute.kill()
        compute.communicate(timeout=120)
    assert killed_run is not None, "the compute never reached its prospects step"
    assert compute.returncode != 0

    # The published prospects are untouched: same run, same answer; the partial rows exist.
    killed = published_runs(db)
    assert killed.of("prospects") == before.of("prospects")
    assert answer(client, headers, "prospects") == prospects_before
    assert killed_run in [r["run"] for r in db.read(PROSPECT_RESULT_RUNS)]
    # Its group-risk step had finished, so that step did publish (steps publish one by one).
    assert killed.group_risk != before.group_risk

    # The next run of the step collects the killed run's rows; `--only prospects`
    # publishes that step alone. The run before the previous one (run A) is still the
    # previous one at that moment, so it goes at the run after.
    run_cli("compute", "--engine", "python", "--only", "prospects", env=cli_env())
    final = published_runs(db)
    for step in ("group_risk", "interdependence", "events"):
        assert final.of(step) == killed.of(step), step
    assert final.prospects != before.prospects
    assert final.of("prospects").previous_run_id == before.prospects
    older = before.of("prospects").previous_run_id
    assert [r["run"] for r in db.read(PROSPECT_RESULT_RUNS)] == sorted(
        str(run) for run in (older, before.prospects, final.prospects) if run is not None
    )
    assert answer(client, headers, "prospects")["run_id"] == final.prospects

    # One more run: now the runs before the previous one go (run A when there was one).
    run_cli("compute", "--engine", "python", "--only", "prospects", env=cli_env())
    last = published_runs(db)
    assert last.of("prospects").previous_run_id == final.prospects
    left = [r["run"] for r in db.read(PROSPECT_RESULT_RUNS)]
    assert left == sorted(
        str(run)
        for run in (final.of("prospects").previous_run_id, final.prospects, last.prospects)
        if run is not None
    )
    assert killed_run not in left
    if older is not None:
        assert older not in left
