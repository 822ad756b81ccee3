"""What every benchmark script needs: a free port and the corpgraph CLI in a subprocess.

The scripts run as ``python bench/<name>.py``, so this folder is on ``sys.path``.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from loaders.contract import LOAD_ORDER

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


def run_peak_rss(argv: list[str], env: dict[str, str]) -> tuple[float, int, str]:
    """Run ``argv`` from the repository root; its wall seconds, peak RSS (KiB) and stdout.

    Raises ``SystemExit`` with the command's last error lines if it fails.
    """
    start = time.perf_counter()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        process = subprocess.Popen(argv, env=env, stdout=out, stderr=err, cwd=ROOT)
        _, status, usage = os.wait4(process.pid, 0)  # the rusage of exactly this child
        process.returncode = os.waitstatus_to_exitcode(status)
        seconds = time.perf_counter() - start
        out.seek(0)
        err.seek(0)
        if process.returncode != 0:
            tail = err.read().decode("utf-8", "replace").strip().splitlines()[-5:]
            raise SystemExit(f"{' '.join(argv[1:])} failed ({process.returncode}): {tail}")
        return seconds, usage.ru_maxrss, out.read().decode("utf-8", "replace")


def cli_peak_rss(env: dict[str, str], *args: str) -> tuple[float, int]:
    """Run the corpgraph CLI; return wall seconds and that process's peak RSS in KiB."""
    seconds, peak, _ = run_peak_rss([sys.executable, "-m", "corpgraph", *args], env)
    return seconds, peak


def count_rows(bank: Path) -> int:
    """The input rows of the bank in ``bank`` (every contract file's CSV, headers excluded)."""
    total = 0
    for name in LOAD_ORDER:
        path = bank / f"{name}.csv"
        if path.exists():
            with path.open(encoding="utf-8") as handle:
                total += sum(1 for _ in handle) - 1
    return total


#: The start of a benchmark's child script: the arguments ``HOME PORT [ENGINE]`` and a
#: driver to the embedded Neo4j in ``HOME`` on ``PORT`` (the script closes ``driver``).
CHILD_CONNECT = """
from pathlib import Path
from core.settings import Settings
from graph.database import Database, create_driver
from graph.local_server import resolve_connection
home, port = Path(sys.argv[1]), int(sys.argv[2])
engine = sys.argv[3] if len(sys.argv) > 3 else "auto"
settings = Settings(_env_file=None, home=home, local_neo4j_port=port, neo4j_uri=None)
connection = resolve_connection(settings)
driver = create_driver(connection, settings)
"""


def load_bank_without_supply(env: dict[str, str], home: Path, scale: str, seed: int) -> None:
    """Generate and load the ``scale`` bank into ``home``'s Neo4j once (a mark remembers it),
    its ``supply_links.csv`` left out like a real bank whose supply chain is unknown."""
    loaded_mark = home / "loaded.txt"
    if loaded_mark.exists():
        return
    bank = home / "bank"
    cli(env, "generate", "--scale", scale, "--seed", str(seed), "--out", str(bank))
    (bank / "supply_links.csv").unlink()
    started = time.perf_counter()
    cli(env, "load", str(bank), "--rejects", str(home / "rejects.csv"))
    loaded_mark.write_text(f"{scale} {seed}\n", encoding="utf-8")
    print(f"loaded the {scale} bank without supply links in {time.perf_counter() - started:.0f}s")
