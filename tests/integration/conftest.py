"""Integration fixtures: a real Neo4j over Bolt, never a mock.

With ``NEO4J_URI`` unset the tests use the embedded local server that
``corpgraph neo4j start`` manages (the test script starts it; if it is not
running, the session starts it here and stops it at the end).
"""

from __future__ import annotations

import logging
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from neo4j import Driver

from core.settings import Settings, get_settings
from graph import schema
from graph.compute_runs import published_runs
from graph.database import ConnectionInfo, Database, ServerInfo, create_driver
from graph.local_server import LocalNeo4j, resolve_connection

SERVER_INFO = pytest.StashKey[ServerInfo]()
CONNECTION = pytest.StashKey[ConnectionInfo]()


@pytest.fixture(scope="session")
def settings() -> Settings:
    return get_settings()


@pytest.fixture(scope="session")
def connection(settings: Settings, pytestconfig: pytest.Config) -> Iterator[ConnectionInfo]:
    started_here = False
    if settings.uses_local_server:
        local = LocalNeo4j(settings)
        if local.read_state() is None:
            local.start()
            started_here = True
    info = resolve_connection(settings)
    pytestconfig.stash[CONNECTION] = info
    yield info
    if started_here:
        LocalNeo4j(settings).stop()


@pytest.fixture(scope="session")
def driver(connection: ConnectionInfo, settings: Settings) -> Iterator[Driver]:
    drv = create_driver(connection, settings)
    yield drv
    drv.close()


@pytest.fixture(scope="session")
def database(driver: Driver, connection: ConnectionInfo, pytestconfig: pytest.Config) -> Database:
    db = Database(driver, connection.database)
    pytestconfig.stash[SERVER_INFO] = db.server_info()
    schema.apply_schema(db)
    return db


@pytest.fixture
def clean_db(database: Database) -> Database:
    """The shared database, emptied (schema kept) before the test."""
    schema.wipe(database)
    return database


@pytest.fixture(autouse=True)
def no_deprecated_cypher(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """Fail a test whose Cypher makes Neo4j report a deprecation or a warning."""
    yield
    notices = [
        r.getMessage()
        for r in caplog.records
        if r.name == "neo4j.notifications" and r.levelno >= logging.WARNING
    ]
    assert not notices, "Neo4j notifications:\n" + "\n".join(notices)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    info = terminalreporter.config.stash.get(SERVER_INFO, None)
    connection = terminalreporter.config.stash.get(CONNECTION, None)
    if info is not None and connection is not None:
        terminalreporter.write_line(
            f"integration tests ran against Neo4j {info.version} {info.edition} at "
            f"{connection.uri} (GDS: {info.gds_version or 'absent'})"
        )


# --- helpers for tests that drive the public CLI in a subprocess -------------------------------
def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def cli_env(**overrides: str) -> dict[str, str]:
    """The test process's environment with corpgraph overrides, for a CLI subprocess."""
    env = dict(os.environ)
    env.pop("NEO4J_URI", None)
    env.update(overrides)
    return env


def run_cli(
    *args: str, env: dict[str, str] | None = None, check: bool = True, timeout: float = 1500
) -> subprocess.CompletedProcess[str]:
    """Run ``python -m corpgraph ARGS`` and return its output."""
    completed = subprocess.run(
        [sys.executable, "-m", "corpgraph", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=timeout,
        check=False,
        cwd=Path(__file__).resolve().parents[2],
    )
    if check and completed.returncode != 0:
        raise AssertionError(
            f"corpgraph {' '.join(args)} exited {completed.returncode}\n"
            f"stdout:\n{completed.stdout}\nstderr:\n{completed.stderr}"
        )
    return completed


def java_processes_using(path: Path) -> list[int]:
    """Pids of live processes whose command line mentions ``path``."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmdline = (proc / "cmdline").read_bytes().decode("utf-8", "replace")
            stat = (proc / "stat").read_text()
        except OSError:
            continue
        if str(path) in cmdline and "java" in cmdline and ") Z " not in stat:
            found.append(int(proc.name))
    return found


def api_key(role: str, branch: str, name: str | None = None) -> str:
    """Create a user through the public CLI and return the key it prints once."""
    import re

    out = run_cli(
        "users",
        "add",
        "--name",
        name or f"{role}@{branch}",
        "--role",
        role,
        "--branch",
        branch,
        env=cli_env(),
    ).stdout
    keys = re.findall(r"cg_[0-9a-f]{12}_[A-Za-z0-9_-]{43}", out)
    assert len(keys) == 1, out
    return str(keys[0])


# --- group risk: everything compute stores about control, for comparisons ---------------------
CONTROL_CLAIMS = (
    "MATCH (a)-[r:CONTROL_CLAIM {run_id: $group_run}]->(c:Company) "
    "RETURN coalesce(a.company_id, a.person_id) AS claimant, c.company_id AS company, "
    "r.basis AS basis, r.effect AS effect, r.share_pct AS share_pct, "
    "r.contributor_ids AS contributor_ids, r.contributor_pcts AS contributor_pcts "
    "ORDER BY company, claimant"
)
COMPANY_CONTROL = (
    "MATCH (x:Company) "
    "OPTIONAL MATCH (c:ControlResult {run_id: $group_run, company_id: x.company_id}) "
    "RETURN x.company_id AS company, c.control_status AS status, "
    "c.ultimate_controller_ids AS controllers, c.control_cycle_id AS cycle, "
    "c.control_cycle_members AS cycle_members, c.ownership_cycle_members AS ownership_cycle, "
    "c.primary_group_id AS primary_group ORDER BY company"
)
GROUP_MEMBERSHIPS = (
    "MATCH (c:Company)-[m:MEMBER_OF]->(g:Group {run_id: $group_run}) "
    "RETURN g.group_id AS g, g.controller_id AS controller, g.controller_type AS type, "
    "g.rank AS rank, g.currencies AS currencies, g.outstanding_minor AS outstanding, "
    "g.control_cycles AS control_cycles, g.ownership_cycles AS ownership_cycles, "
    "c.company_id AS company, m.role AS role, m.depth AS depth, m.parent_id AS parent, "
    "m.basis AS basis, m.status AS status, m.controllers AS controllers, m.primary AS primary "
    "ORDER BY g, company"
)


def control_snapshot(db: Database) -> dict[str, list[dict[str, Any]]]:
    """Claims, per-company control and group memberships as ``compute`` published them."""
    runs = published(db)
    return {
        "claims": db.read(CONTROL_CLAIMS, runs),
        "companies": db.read(COMPANY_CONTROL, runs),
        "memberships": db.read(GROUP_MEMBERSHIPS, runs),
    }


def published(db: Database) -> dict[str, str | None]:
    """``$group_run``, ``$dependency_run``, ``$prospect_run``, ``$event_run``: what readers see."""
    return published_runs(db).parameters()
