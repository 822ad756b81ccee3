"""Authentication and scoping through HTTP, with users made by the public CLI."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from core.settings import Settings
from graph.branches import Branch, upsert_branches
from graph.database import Database
from graph.load_writes import new_data_version

from .conftest import cli_env, run_cli

KEY_PATTERN = re.compile(r"cg_[0-9a-f]{12}_[A-Za-z0-9_-]{43}")


@pytest.fixture
def client(clean_db: Database, settings: Settings) -> Iterator[TestClient]:
    upsert_branches(
        clean_db,
        [
            Branch("HO", "总行", None),
            Branch("BJ", "北京分行", "HO"),
            Branch("BJ-01", "北京海淀支行", "BJ"),
            Branch("SH", "上海分行", "HO"),
        ],
    )
    # With the key and branch-tree cache (the default): these tests revoke a key, or move
    # a branch, from another process (the CLI) and expect the very next request to see it.
    assert settings.api_auth_cache
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def add_user(name: str, role: str, branch: str) -> str:
    out = run_cli("users", "add", "--name", name, "--role", role, "--branch", branch, env=cli_env())
    keys = KEY_PATTERN.findall(out.stdout)
    assert len(keys) == 1, out.stdout
    return str(keys[0])


def test_health_needs_no_key(client: TestClient) -> None:
    response = client.get("/api/v1/health")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"


def test_ready_with_schema(client: TestClient) -> None:
    response = client.get("/api/v1/ready")
    assert response.status_code == 200, response.text
    assert response.json()["neo4j_version"].startswith("5.26")


def test_protected_endpoint_401_without_or_with_bad_key(client: TestClient) -> None:
    for headers in [
        {},
        {"Authorization": "Bearer nonsense"},
        {"X-API-Key": "cg_000000000000_" + "a" * 43},
    ]:
        response = client.get("/api/v1/me", headers=headers)
        assert response.status_code == 401
        assert response.headers["content-type"].startswith("application/problem+json")
        assert response.headers["www-authenticate"] == "Bearer"
        assert "Traceback" not in response.text


def test_valid_key_200_then_revoked_401(client: TestClient, clean_db: Database) -> None:
    key = add_user("王经理", "rm", "BJ-01")
    bearer = client.get("/api/v1/me", headers={"Authorization": f"Bearer {key}"})
    assert bearer.status_code == 200, bearer.text
    me = bearer.json()
    assert (me["role"], me["branch_id"], me["sees_all_branches"]) == ("rm", "BJ-01", False)
    assert me["visible_branch_ids"] == ["BJ-01"]
    assert client.get("/api/v1/me", headers={"X-API-Key": key}).status_code == 200

    listed = run_cli("users", "list", env=cli_env()).stdout
    assert me["user_id"] in listed
    assert key not in listed

    run_cli("users", "revoke", me["user_id"], env=cli_env())
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {key}"}).status_code == 401


def test_a_branch_write_rescopes_the_next_request(client: TestClient, clean_db: Database) -> None:
    key = add_user("北京分行经理", "manager", "BJ")
    headers = {"X-API-Key": key}
    assert client.get("/api/v1/me", headers=headers).json()["visible_branch_ids"] == [
        "BJ",
        "BJ-01",
    ]  # the tree and the key are cached now
    upsert_branches(clean_db, [Branch("BJ-02", "北京朝阳支行", "BJ")])  # a new sub-branch
    assert client.get("/api/v1/me", headers=headers).json()["visible_branch_ids"] == [
        "BJ",
        "BJ-01",
        "BJ-02",
    ]


def test_a_load_retires_the_cached_tree(client: TestClient, clean_db: Database) -> None:
    key = add_user("北京分行经理", "manager", "BJ")
    headers = {"X-API-Key": key}
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    # A branch written without the auth version (as a bulk import would), then a new
    # data version (as every load ends with).
    clean_db.write(
        "MATCH (p:Branch {branch_id: 'BJ'}) "
        "CREATE (:Branch {branch_id: 'BJ-02', name: '北京朝阳支行', parent_branch_id: 'BJ'})"
        "-[:CHILD_OF]->(p)"
    )
    assert "BJ-02" not in client.get("/api/v1/me", headers=headers).json()["visible_branch_ids"]
    new_data_version(clean_db)
    assert "BJ-02" in client.get("/api/v1/me", headers=headers).json()["visible_branch_ids"]


def test_stored_users_hold_no_clear_text_key(client: TestClient, clean_db: Database) -> None:
    keys = [add_user("张三", "risk", "HO"), add_user("李四", "prospecting", "SH")]
    stored = clean_db.read("MATCH (u:ApiUser) RETURN properties(u) AS p")
    assert len(stored) == 2
    blob = repr(stored)
    for key in keys:
        assert key not in blob
        assert key.split("_", 2)[2] not in blob  # not even the secret part


def test_branch_listing_is_scoped(client: TestClient) -> None:
    head_office = add_user("总行管理员", "admin", "HO")
    branch = add_user("北京客户经理", "rm", "BJ")
    all_ids = {
        b["branch_id"]
        for b in client.get("/api/v1/branches", headers={"X-API-Key": head_office}).json()
    }
    bj_ids = {
        b["branch_id"] for b in client.get("/api/v1/branches", headers={"X-API-Key": branch}).json()
    }
    assert all_ids == {"HO", "BJ", "BJ-01", "SH"}
    assert bj_ids == {"BJ", "BJ-01"}


def test_users_add_rejects_unknown_branch_and_role(client: TestClient) -> None:
    bad_branch = run_cli(
        "users",
        "add",
        "--name",
        "x",
        "--role",
        "rm",
        "--branch",
        "NOPE",
        env=cli_env(),
        check=False,
    )
    assert bad_branch.returncode != 0
    assert "unknown branch" in bad_branch.stderr
    assert "Traceback" not in bad_branch.stderr
    bad_role = run_cli(
        "users",
        "add",
        "--name",
        "x",
        "--role",
        "boss",
        "--branch",
        "HO",
        env=cli_env(),
        check=False,
    )
    assert bad_role.returncode != 0


def test_validation_errors_are_problem_json(client: TestClient) -> None:
    response = client.get("/api/v1/nope")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")


def test_openapi_docs_served(client: TestClient) -> None:
    assert client.get("/docs").status_code == 200
    spec = client.get("/openapi.json").json()
    assert "/api/v1/me" in spec["paths"]
