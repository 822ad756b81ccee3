"""What every benchmark script needs: a free port and the corpgraph CLI in a subprocess.

The scripts run as ``python bench/<name>.py``, so this folder is on ``sys.path``.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

#: The repository root: the CLI runs from it, as ``bin/corpgraph`` does.
ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def cli(env: dict[str, str], *args: str) -> str:
    """Run ``corpgraph ARGS`` with ``env``; its standard output (raises on failure)."""
    done = subprocess.run(
        [sys.executable, "-m", "corpgraph", *args],
        env=env,
        check=True,
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    return done.stdout


def timed_cli(env: dict[str, str], *args: str) -> float:
    """Run ``corpgraph ARGS`` with ``env``, output discarded; its wall seconds."""
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "corpgraph", *args],
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        cwd=ROOT,
    )
    return time.perf_counter() - start


def bench_env(home: Path, port: int, heap: str = "2g") -> dict[str, str]:
    """This environment for a private embedded Neo4j in ``home`` on ``port`` (no NEO4J_*)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEO4J_")}
    env.update(
        CORPGRAPH_HOME=str(home),
        CORPGRAPH_LOCAL_NEO4J_PORT=str(port),
        CORPGRAPH_LOCAL_NEO4J_HEAP=heap,
        CORPGRAPH_LOG_LEVEL="WARNING",
    )
    return env
