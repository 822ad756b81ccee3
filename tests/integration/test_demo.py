"""The main job, as the README runs it: ``corpgraph demo`` brings up a usable API."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from graph.database import Database

from .conftest import cli_env, free_port

KEY = re.compile(r"cg_[0-9a-f]{12}_[A-Za-z0-9_-]{43}")


def test_demo_loads_the_bank_and_serves_with_a_working_key(
    clean_db: Database, tmp_path: Path
) -> None:
    port = free_port()
    log_path = tmp_path / "demo.log"
    with log_path.open("wb") as log:
        demo = subprocess.Popen(
            [sys.executable, "-m", "corpgraph", "demo", "--scale", "tiny", "--port", str(port)],
            env=cli_env(),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            base = f"http://127.0.0.1:{port}/api/v1"
            deadline = time.monotonic() + 300
            ready = None
            while time.monotonic() < deadline and demo.poll() is None:
                try:
                    ready = httpx.get(f"{base}/ready", timeout=5)
                    if ready.status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                time.sleep(1)
            output = log_path.read_text(encoding="utf-8", errors="replace")
            assert ready is not None, output
            assert ready.status_code == 200, output
            keys = KEY.findall(output)
            assert keys, output
            me = httpx.get(f"{base}/me", headers={"X-API-Key": keys[-1]})
            assert me.status_code == 200
            assert me.json()["role"] == "admin"
            assert me.json()["sees_all_branches"] is True
            assert httpx.get(f"{base}/me").status_code == 401
            branches = httpx.get(f"{base}/branches", headers={"X-API-Key": keys[-1]}).json()
            assert len(branches) > 5  # the synthetic bank's tree was loaded
        finally:
            demo.send_signal(signal.SIGTERM)
            demo.wait(timeout=60)
    customers = clean_db.read("MATCH (c:Customer) RETURN count(c) AS n")[0]["n"]
    assert customers > 50
