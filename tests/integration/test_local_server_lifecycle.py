"""The acceptance walk of the local server through the public CLI and HTTP.

This test runs its own embedded Neo4j (own home, port and data folder), because it
stops and restarts it.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from .conftest import cli_env, free_port, java_processes_using, run_cli


def wait_for(url: str, status: int, timeout: float = 60) -> httpx.Response:
    deadline = time.monotonic() + timeout
    last: httpx.Response | None = None
    while time.monotonic() < deadline:
        try:
            last = httpx.get(url, timeout=10)
            if last.status_code == status:
                return last
        except httpx.TransportError:
            pass
        time.sleep(0.5)
    raise AssertionError(f"{url} never answered {status}; last: {last and last.status_code}")


def test_start_init_status_driver_serve_ready_recovery_stop(tmp_path: Path) -> None:
    home = tmp_path / "home"
    data_dir = tmp_path / "data"
    port = free_port()
    env = cli_env(CORPGRAPH_HOME=str(home), CORPGRAPH_LOCAL_NEO4J_HEAP="1g")

    started = run_cli("neo4j", "start", "--port", str(port), "--data-dir", str(data_dir), env=env)
    assert f"bolt://127.0.0.1:{port}" in started.stdout
    try:
        first = run_cli("db", "init", env=env)
        assert "created" in first.stdout
        second = run_cli("db", "init", env=env)
        assert "already up to date" in second.stdout

        status = run_cli("neo4j", "status", env=env).stdout
        assert "running" in status
        assert "5.26" in status
        assert "gds" in status

        # A plain script with the official driver creates and reads back a node.
        password = (home / "local-neo4j.secret").read_text().strip()
        script = (
            "from neo4j import GraphDatabase\n"
            f"d = GraphDatabase.driver('bolt://127.0.0.1:{port}', auth=('neo4j', {password!r}))\n"
            "d.execute_query(\"MERGE (:Company {company_id: 'S1', name: '测试有限公司'})\")\n"
            "r, _, _ = d.execute_query(\n"
            "    \"MATCH (c:Company {company_id: 'S1'}) RETURN c.name AS n\")\n"
            "print(r[0]['n'])\n"
            "d.close()\n"
        )
        out = subprocess.run(
            [sys.executable, "-c", script], capture_output=True, text=True, check=True
        )
        assert out.stdout.strip() == "测试有限公司"

        api_port = free_port()
        api_log = (tmp_path / "api.log").open("wb")
        api = subprocess.Popen(
            [sys.executable, "-m", "corpgraph", "serve", "--port", str(api_port)],
            env=env,
            stdout=api_log,
            stderr=subprocess.STDOUT,
        )
        base = f"http://127.0.0.1:{api_port}/api/v1"
        try:
            assert wait_for(f"{base}/health", 200).json()["status"] == "ok"
            assert wait_for(f"{base}/ready", 200).json()["neo4j_version"].startswith("5.26")

            run_cli("neo4j", "stop", env=env)
            down = wait_for(f"{base}/ready", 503)
            assert down.headers["content-type"].startswith("application/problem+json")
            assert httpx.get(f"{base}/health").status_code == 200

            run_cli("neo4j", "start", "--port", str(port), "--data-dir", str(data_dir), env=env)
            back = wait_for(f"{base}/ready", 200)  # the same API process recovers
            assert back.json()["status"] == "ready"
        finally:
            api.send_signal(signal.SIGTERM)
            api.wait(timeout=30)
            api_log.close()
    finally:
        run_cli("neo4j", "stop", env=env)

    assert java_processes_using(data_dir) == []
    assert "stopped" in run_cli("neo4j", "status", env=env, check=False).stdout
