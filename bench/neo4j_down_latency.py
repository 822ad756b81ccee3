"""Benchmark: latency of authenticated requests while Neo4j is down (issue 12: p99 ≤ 2 s).

Starts its own embedded Neo4j in a temporary folder, loads the tiny synthetic
bank, serves the API with ``corpgraph serve``, then for each driver
configuration, side by side in one run:

1. measures authenticated requests with Neo4j up (a baseline);
2. stops Neo4j and sends ``--requests`` authenticated requests from ``--clients``
   concurrent clients: every answer must be 503; prints p50, p99 and max;
3. starts Neo4j again.

Configurations: the defaults (fail fast: 1 s connection acquisition, no driver
retries, the readiness flag) and the patient driver the API used before
(10 s acquisition, 15 s of retries, the flag effectively off).

Run: ``.venv/bin/python bench/neo4j_down_latency.py [--requests 200] [--clients 16]``
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import httpx
from _common import cli, free_port

#: A request that takes longer counts as a timeout, at this latency (a lower bound).
CLIENT_TIMEOUT_S = 60.0
KEY = re.compile(r"cg_[0-9a-f]{12}_[A-Za-z0-9_-]{43}")
PATHS = ("/api/v1/me", "/api/v1/customers?limit=5", "/api/v1/events?limit=5")
TARGET_P99_MS = 2000.0
CONFIGURATIONS: dict[str, dict[str, str]] = {
    "fail fast (defaults)": {},
    "patient (before)": {
        "CORPGRAPH_API_NEO4J_ACQUISITION_TIMEOUT_S": "10",
        "CORPGRAPH_API_NEO4J_MAX_RETRY_TIME_S": "15",
        "CORPGRAPH_API_UNAVAILABLE_RECHECK_S": "0.001",
    },
}


async def measure(base: str, key: str, n: int, clients: int) -> tuple[list[float], Counter[str]]:
    latencies: list[float] = []
    statuses: Counter[str] = Counter()
    queue: asyncio.Queue[str] = asyncio.Queue()
    for i in range(n):
        queue.put_nowait(PATHS[i % len(PATHS)])

    async def worker(client: httpx.AsyncClient) -> None:
        while not queue.empty():
            path = queue.get_nowait()
            start = time.perf_counter()
            try:
                response = await client.get(base + path)
            except httpx.TimeoutException:
                statuses[f"timeout >{CLIENT_TIMEOUT_S:.0f}s"] += 1
            else:
                statuses[str(response.status_code)] += 1
            latencies.append((time.perf_counter() - start) * 1000)

    async with httpx.AsyncClient(headers={"X-API-Key": key}, timeout=CLIENT_TIMEOUT_S) as client:
        await asyncio.gather(*(worker(client) for _ in range(clients)))
    return latencies, statuses


def p99(values: list[float]) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[98]


def wait_ready(base: str) -> None:
    for _ in range(120):
        try:
            if httpx.get(base + "/api/v1/ready", timeout=5).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(1)
    raise SystemExit("the API never became ready")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--requests", type=int, default=200, help="while Neo4j is down")
    parser.add_argument("--clients", type=int, default=16)
    args = parser.parse_args()
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]  # rows as measured

    home = Path(tempfile.mkdtemp(prefix="corpgraph-bench-down-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEO4J_")}
    env.update(
        CORPGRAPH_HOME=str(home),
        CORPGRAPH_LOCAL_NEO4J_PORT=str(free_port()),
        CORPGRAPH_LOG_LEVEL="ERROR",
    )
    cli(env, "neo4j", "start")
    try:
        bank = home / "bank"
        cli(env, "generate", "--scale", "tiny", "--out", str(bank))
        cli(env, "load", str(bank), "--rejects", str(home / "rejects.csv"))
        out = cli(env, "users", "add", "--name", "bench", "--role", "manager", "--branch", "HO")
        key = KEY.findall(out)[0]
        print(
            f"{'configuration':<22} {'up p50':>8} {'down p50':>9} {'down p99':>9} "
            f"{'down max':>9}  statuses while down (ms; target p99 ≤ {TARGET_P99_MS:.0f})"
        )
        results: dict[str, float] = {}
        for name, overrides in CONFIGURATIONS.items():
            port = free_port()
            server = subprocess.Popen(
                [sys.executable, "-m", "corpgraph", "serve", "--port", str(port)],
                env={**env, **overrides},
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            base = f"http://127.0.0.1:{port}"
            try:
                wait_ready(base)
                up, _ = asyncio.run(measure(base, key, 60, 4))
                cli(env, "neo4j", "stop")
                requests = args.requests if not overrides else min(args.requests, args.clients)
                down, statuses = asyncio.run(measure(base, key, requests, args.clients))
                results[name] = p99(down)
                print(
                    f"{name:<22} {statistics.median(up):>8.1f} {statistics.median(down):>9.1f} "
                    f"{p99(down):>9.1f} {max(down):>9.1f}  {dict(statuses)}"
                )
            finally:
                server.send_signal(signal.SIGTERM)
                try:
                    server.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    server.kill()
                    server.wait(timeout=30)
                cli(env, "neo4j", "start")
        fast, patient = results["fail fast (defaults)"], results["patient (before)"]
        verdict = "met" if fast <= TARGET_P99_MS else "missed"
        print(
            f"p99 while down: fail fast {fast:.0f} ms ({verdict}); "
            f"patient/fast = {patient / fast:.0f}x (at least, with timeouts)"
        )
    finally:
        cli(env, "neo4j", "stop")
        shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    main()
