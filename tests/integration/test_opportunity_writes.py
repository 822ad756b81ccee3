"""Opportunity writes: owners, versions (ETag / If-Match), idempotent creates, one per lead.

Runs on the tiny synthetic bank with its events computed. The concurrency tests use
real threads against the app and a real Neo4j: two editors read the same version,
then both write; exactly one wins and the other gets 412, and nothing either
of them wrote is lost.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from core.settings import Settings
from graph.database import Database
from graph.users import UserStore

from .conftest import cli_env, run_cli

EVENTS = (
    "MATCH (e:Event)-[:ABOUT]->(c:Company) "
    "RETURN e.event_id AS id, c.branch_id AS branch, e.owner_rm_id AS owner, "
    "e.status AS status ORDER BY id"
)
RMS = "MATCH (m:RelationshipManager) RETURN m.rm_id AS rm_id, m.branch_id AS branch ORDER BY rm_id"
COUNT_BY_SOURCE = (
    "MATCH (o:Opportunity {source: $source, source_id: $source_id}) RETURN count(o) AS n"
)
EVENT_STATE = (
    "MATCH (e:Event {event_id: $id}) RETURN e.status AS status, e.opportunity_id AS opportunity_id"
)
ROUNDS = 12


@dataclass(frozen=True)
class Bank:
    db: Database
    truth: dict[str, Any]
    events: list[dict[str, Any]]
    rms: list[dict[str, Any]]


@pytest.fixture(scope="module")
def bank(database: Database, tmp_path_factory: pytest.TempPathFactory) -> Bank:
    import json

    out = tmp_path_factory.mktemp("tiny-bank-opportunity-writes")
    env = cli_env()
    run_cli("generate", "--out", str(out), "--scale", "tiny", "--seed", "3", env=env)
    run_cli("db", "wipe", "--yes", env=env)
    run_cli("load", str(out), env=env)
    run_cli("compute", "--only", "events", env=env)
    truth = json.loads((out / "truth.json").read_text(encoding="utf-8"))
    return Bank(database, truth, database.read(EVENTS), database.read(RMS))


@pytest.fixture(scope="module")
def client(bank: Bank) -> Iterator[TestClient]:
    with TestClient(create_app(Settings())) as test_client:
        yield test_client


def _key(db: Database, role: str, branch: str, rm_id: str | None = None) -> dict[str, str]:
    _, key = UserStore(db).add(f"{role}-{branch}-{rm_id}", role, branch, rm_id=rm_id)
    return {"X-API-Key": key}


@dataclass(frozen=True)
class Cast:
    """Users around one event's owner RM."""

    event: dict[str, Any]
    branch: str
    owner: dict[str, str]  # the owner RM
    colleague: dict[str, str]  # another RM of the same branch
    colleague_rm: str
    manager: dict[str, str]  # a manager of the owner's branch
    head: dict[str, str]  # a manager at head office
    foreign_manager: dict[str, str]  # a manager of another branch (sees nothing)
    risk: dict[str, str]
    admin: dict[str, str]
    foreign_rm: str  # an RM of another branch


def _cast(bank: Bank, index: int) -> Cast:
    """The users around the ``index``-th event whose owner's branch has two RMs."""
    rm_branch = {str(r["rm_id"]): str(r["branch"]) for r in bank.rms}
    candidates = [
        e
        for e in bank.events
        if e["owner"] is not None
        and rm_branch.get(str(e["owner"])) == e["branch"]
        and sum(1 for b in rm_branch.values() if b == e["branch"]) >= 2
    ]
    owners = list(dict.fromkeys(str(e["owner"]) for e in candidates))
    owner = owners[index % len(owners)]
    event = next(e for e in candidates if e["owner"] == owner)
    branch = str(event["branch"])
    colleague = next(r for r, b in sorted(rm_branch.items()) if b == branch and r != owner)
    foreign = next(
        (r, b)
        for r, b in sorted(rm_branch.items())
        if not b.startswith(branch) and not branch.startswith(b)
    )
    db = bank.db
    return Cast(
        event=event,
        branch=branch,
        owner=_key(db, "rm", branch, owner),
        colleague=_key(db, "rm", branch, colleague),
        colleague_rm=colleague,
        manager=_key(db, "manager", branch),
        head=_key(db, "manager", "HO"),
        foreign_manager=_key(db, "manager", foreign[1]),
        risk=_key(db, "risk", branch),
        admin=_key(db, "admin", "HO"),
        foreign_rm=foreign[0],
    )


def _problem_type(response: Any) -> str:
    return str(response.json()["type"]).rsplit("/", 1)[-1]


def _new(client: TestClient, cast: Cast, **extra: Any) -> dict[str, Any]:
    created = client.post(
        "/api/v1/opportunities",
        json={"source": "recommendation", "company_id": _customer(client, cast), **extra},
        headers=cast.owner,
    )
    assert created.status_code == 201, created.text
    return dict(created.json())


def _customer(client: TestClient, cast: Cast) -> str:
    event = client.get(f"/api/v1/events/{cast.event['id']}", headers=cast.owner).json()
    return str(event["customer"]["id"])


def _patch(
    client: TestClient, url: str, body: dict[str, Any], headers: dict[str, str], version: Any
) -> Any:
    return client.patch(url, json=body, headers={**headers, "If-Match": f'"{version}"'})


# --- owners -------------------------------------------------------------------------------------
def test_only_the_owner_their_managers_or_an_admin_change_it(
    client: TestClient, bank: Bank
) -> None:
    cast = _cast(bank, 0)
    opp = _new(client, cast, product="TF-LC")
    url = f"/api/v1/opportunities/{opp['id']}"
    assert opp["owner_rm_id"] == cast.event["owner"]
    version = opp["version"]
    # Everyone in scope reads it; those who may not change it get 403 "not-owner".
    for reader in (cast.colleague, cast.risk):
        assert client.get(url, headers=reader).status_code == 200
        refused = _patch(client, url, {"notes": "not mine"}, reader, version)
        assert refused.status_code == 403, refused.text
        assert _problem_type(refused) == "not-owner"
    # Outside the scope it does not exist.
    assert client.get(url, headers=cast.foreign_manager).status_code == 404
    assert _patch(client, url, {"notes": "x"}, cast.foreign_manager, version).status_code == 404
    assert client.get(url, headers=cast.owner).json()["notes"] is None
    for editor, note in (
        (cast.owner, "owner"),
        (cast.manager, "branch manager"),
        (cast.head, "head office"),
        (cast.admin, "admin"),
    ):
        changed = _patch(client, url, {"notes": note}, editor, version)
        assert changed.status_code == 200, changed.text
        assert changed.json()["notes"] == note
        assert changed.json()["version"] == version + 1
        assert changed.headers["ETag"] == f'"{version + 1}"'
        version += 1
    # Reassigned to a colleague: the colleague may now change it, the first owner not.
    moved = _patch(client, url, {"owner_rm_id": cast.colleague_rm}, cast.manager, version)
    assert moved.status_code == 200, moved.text
    version += 1
    assert _patch(client, url, {"notes": "x"}, cast.owner, version).status_code == 403
    assert _patch(client, url, {"notes": "mine now"}, cast.colleague, version).status_code == 200


def test_owner_must_be_an_rm_within_the_callers_branches(client: TestClient, bank: Bank) -> None:
    cast = _cast(bank, 1)
    customer = _customer(client, cast)
    refusals = []
    for owner in ("RM-DOES-NOT-EXIST", cast.foreign_rm):
        bad = client.post(
            "/api/v1/opportunities",
            json={"source": "recommendation", "company_id": customer, "owner_rm_id": owner},
            headers=cast.owner,
        )
        assert bad.status_code == 422, bad.text
        refusals.append(bad.json()["detail"])
    # An unknown RM and an RM of another branch are refused alike: nothing leaks.
    assert refusals[0] == refusals[1]
    opp = _new(client, cast, owner_rm_id=cast.colleague_rm)
    assert opp["owner_rm_id"] == cast.colleague_rm
    url = f"/api/v1/opportunities/{opp['id']}"
    bad = _patch(client, url, {"owner_rm_id": cast.foreign_rm}, cast.manager, opp["version"])
    assert bad.status_code == 422
    assert client.get(url, headers=cast.owner).json()["owner_rm_id"] == cast.colleague_rm


# --- versions -----------------------------------------------------------------------------------
def test_every_patch_names_the_version_it_read(client: TestClient, bank: Bank) -> None:
    cast = _cast(bank, 0)
    opp = _new(client, cast, expected_amount={"amount": "100.00", "currency": "CNY"})
    url = f"/api/v1/opportunities/{opp['id']}"
    read = client.get(url, headers=cast.owner)
    assert read.headers["ETag"] == '"1"'
    missing = client.patch(url, json={"notes": "n"}, headers=cast.owner)
    assert missing.status_code == 428
    assert _problem_type(missing) == "precondition-required"
    star = client.patch(url, json={"notes": "n"}, headers={**cast.owner, "If-Match": "*"})
    assert star.status_code == 428
    # User A changes the amount; user B, who read version 1, only edits the notes.
    amount = _patch(
        client, url, {"expected_amount": {"amount": "250.00", "currency": "CNY"}}, cast.owner, 1
    )
    assert amount.status_code == 200
    stale = _patch(client, url, {"notes": "B's note"}, cast.manager, 1)
    assert stale.status_code == 412, stale.text
    assert _problem_type(stale) == "precondition-failed"
    after = client.get(url, headers=cast.owner).json()
    assert after["expected_amount"] == {"amount": "250.00", "currency": "CNY"}
    assert after["notes"] is None
    assert after["version"] == 2
    garbage = client.patch(url, json={"notes": "n"}, headers={**cast.owner, "If-Match": '"x"'})
    assert garbage.status_code == 412


def _race(*work: Callable[[], Any]) -> list[Any]:
    """Run each callable in its own thread, all released at once; their responses."""
    barrier = threading.Barrier(len(work))
    results: list[Any | None] = [None] * len(work)

    def run(index: int) -> None:
        barrier.wait()
        results[index] = work[index]()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(work))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(r is not None for r in results)
    return [r for r in results if r is not None]


def test_two_concurrent_patches_never_lose_an_update(client: TestClient, bank: Bank) -> None:
    cast = _cast(bank, 0)
    opp = _new(client, cast, expected_amount={"amount": "1.00", "currency": "CNY"})
    url = f"/api/v1/opportunities/{opp['id']}"
    amount, notes = "1.00", None
    wins = {"amount": 0, "notes": 0}
    for round_ in range(ROUNDS):
        version = client.get(url, headers=cast.owner).json()["version"]
        new_amount = f"{1000 + round_}.00"
        new_notes = f"round {round_}"
        amount_body = {"expected_amount": {"amount": new_amount, "currency": "CNY"}}
        by_owner, by_manager = _race(
            partial(_patch, client, url, amount_body, cast.owner, version),
            partial(_patch, client, url, {"notes": new_notes}, cast.manager, version),
        )
        codes = sorted([by_owner.status_code, by_manager.status_code])
        assert codes == [200, 412], (by_owner.text, by_manager.text)
        if by_owner.status_code == 200:
            amount, wins["amount"] = new_amount, wins["amount"] + 1
        else:
            notes, wins["notes"] = new_notes, wins["notes"] + 1
        stored = client.get(url, headers=cast.owner).json()
        # The winner's change is there, and the loser did not revert the previous winner's.
        assert stored["expected_amount"]["amount"] == amount
        assert stored["notes"] == notes
        assert stored["version"] == version + 1
    print(f"\nconcurrent PATCH rounds: {ROUNDS}, wins {wins}")  # noqa: T201


# --- creates ------------------------------------------------------------------------------------
def test_an_idempotency_key_replays_the_same_create(client: TestClient, bank: Bank) -> None:
    cast = _cast(bank, 1)
    customer = _customer(client, cast)
    key = str(uuid.uuid4())
    body = {"source": "manual", "company_id": customer, "notes": "retry-safe"}
    headers = {**cast.owner, "Idempotency-Key": key}
    first = client.post("/api/v1/opportunities", json=body, headers=headers)
    again = client.post("/api/v1/opportunities", json=body, headers=headers)
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"]
    other = client.post("/api/v1/opportunities", json={**body, "notes": "other"}, headers=headers)
    assert other.status_code == 422
    assert _problem_type(other) == "idempotency-key-reused"
    # The key belongs to its user: another user's same key is another request.
    theirs = client.post(
        "/api/v1/opportunities", json=body, headers={**cast.manager, "Idempotency-Key": key}
    )
    assert theirs.status_code == 201
    assert theirs.json()["id"] != first.json()["id"]
    # Concurrent retries with one fresh key make one opportunity.
    race_key = str(uuid.uuid4())
    post = partial(
        client.post,
        "/api/v1/opportunities",
        json={**body, "notes": "raced"},
        headers={**cast.owner, "Idempotency-Key": race_key},
    )
    racing = _race(post, post, post, post)
    assert sorted(r.status_code for r in racing) == [200, 200, 200, 201]
    assert len({r.json()["id"] for r in racing}) == 1


def test_an_event_becomes_one_opportunity_and_is_actioned(client: TestClient, bank: Bank) -> None:
    cast = _cast(bank, 2)
    event_id = str(cast.event["id"])
    assert bank.db.read_one(EVENT_STATE, {"id": event_id}) == {
        "status": "new",
        "opportunity_id": None,
    }
    body = {"source": "event", "source_id": event_id, "product": "TF-LC"}
    racing = _race(
        *[
            partial(client.post, "/api/v1/opportunities", json=body, headers=h)
            for h in (cast.owner, cast.manager, cast.owner)
        ]
    )
    assert sorted(r.status_code for r in racing) == [200, 200, 201]
    ids = {r.json()["id"] for r in racing}
    assert len(ids) == 1
    count = bank.db.read_one(COUNT_BY_SOURCE, {"source": "event", "source_id": event_id})
    assert count == {"n": 1}
    shown = client.get(f"/api/v1/events/{event_id}", headers=cast.owner).json()
    assert shown["status"] == "actioned"
    assert shown["opportunity_id"] in ids
    assert shown["history"][-1]["to"] == "actioned"
    later = client.post("/api/v1/opportunities", json=body, headers=cast.head)
    assert later.status_code == 200
    assert later.json()["id"] in ids


def test_a_prospect_becomes_one_opportunity(client: TestClient, bank: Bank) -> None:
    cast = _cast(bank, 0)
    prospect_id = bank.truth["prospects"][1]
    body = {"source": "prospect", "source_id": prospect_id}
    first = client.post("/api/v1/opportunities", json=body, headers=cast.owner)
    second = client.post(
        "/api/v1/opportunities", json={**body, "product": "CM-CASHPOOL"}, headers=cast.owner
    )
    assert (first.status_code, second.status_code) == (201, 200), second.text
    assert first.json()["id"] == second.json()["id"]
    count = bank.db.read_one(COUNT_BY_SOURCE, {"source": "prospect", "source_id": prospect_id})
    assert count == {"n": 1}
