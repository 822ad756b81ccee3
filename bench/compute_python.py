"""Benchmark: ``corpgraph compute`` with the Python engine on a 5,000-company bank.

The bank is the synthetic ``small`` scale (5,000 companies in ``companies.csv``,
300k transactions, which also bring in the counterparties they pay) with its
``supply_links.csv`` left out, like a real bank whose supply chain is unknown.
The benchmark starts its own embedded Neo4j (a temporary CORPGRAPH_HOME and a free
port, so it never touches your data), loads the bank, then runs every compute step
with the Python engine and with GDS, side by side in one run, and prints each
step's seconds and the ratio. Target: the Python compute under 15 s.

With ``--flow-betweenness`` it also times exact betweenness on the whole flow
graph with each engine (the optional ``CORPGRAPH_INFLUENCE_FLOW_BETWEENNESS``).

Run: ``.venv/bin/python bench/compute_python.py [--scale small] [--seed 7] [--repeat 2]``
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from _common import bench_env, cli, free_port

from core.settings import Settings
from graph.database import Database, create_driver
from graph.local_server import resolve_connection
from services.compute import run_compute
from services.engines import EngineMode, GdsEngine, GraphEngine, PythonEngine
from services.prospects import FLOW_UNWEIGHTED

TARGET_S = 15.0
COUNTS = (
    "MATCH (c:Company) WITH count(c) AS companies "
    "MATCH ()-[r:PAYS]->() RETURN companies, count(r) AS flows"
)


def timed_compute(db: Database, settings: Settings, engine: EngineMode) -> dict[str, float]:
    """Seconds per compute step and in total (wall clock of the whole run)."""
    started = time.perf_counter()
    _, reports = run_compute(db, settings, engine_mode=engine)
    seconds = {r.step: r.seconds for r in reports}
    seconds["total"] = time.perf_counter() - started
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scale", default="small")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=2, help="runs per engine (best kept)")
    parser.add_argument("--flow-betweenness", action="store_true")
    args = parser.parse_args()

    home = Path(tempfile.mkdtemp(prefix="corpgraph-bench-compute-"))
    port = free_port()
    env = bench_env(home, port)
    bank = home / "bank"
    cli(env, "neo4j", "start")
    try:
        cli(env, "generate", "--scale", args.scale, "--seed", str(args.seed), "--out", str(bank))
        (bank / "supply_links.csv").unlink()
        started = time.perf_counter()
        cli(env, "load", str(bank), "--rejects", str(home / "rejects.csv"))
        print(
            f"loaded the {args.scale} bank without supply links in "
            f"{time.perf_counter() - started:.0f}s"
        )
        settings = Settings(_env_file=None, home=home, local_neo4j_port=port, neo4j_uri=None)
        connection = resolve_connection(settings)
        driver = create_driver(connection, settings)
        try:
            db = Database(driver, connection.database)
            counts = db.read_one(COUNTS) or {}
            with (bank / "companies.csv").open(encoding="utf-8") as handle:
                registered = sum(1 for _ in handle) - 1
            print(
                f"{registered:,} companies in companies.csv, {counts.get('companies', 0):,} "
                f"in the graph with the counterparties, {counts.get('flows', 0):,} monthly flows"
            )
            runs: dict[EngineMode, list[dict[str, float]]] = {"python": [], "gds": []}
            for _ in range(args.repeat):  # interleaved, so that noise hits both engines
                for engine in runs:
                    runs[engine].append(timed_compute(db, settings, engine))
            best = {e: min(r, key=lambda s: s["total"]) for e, r in runs.items()}
            print(f"{'step':<12} {'python s':>9} {'gds s':>9} {'python/gds':>11}")
            for step in best["python"]:
                p, g = best["python"][step], best["gds"][step]
                print(f"{step:<12} {p:>9.1f} {g:>9.1f} {p / g if g else float('nan'):>11.2f}")
            total = best["python"]["total"]
            verdict = "met" if total < TARGET_S else "missed"
            print(f"target: Python compute under {TARGET_S:.0f} s: {total:.1f} s, {verdict}")
            if args.flow_betweenness:
                engines: list[GraphEngine] = [PythonEngine(db), GdsEngine(db)]
                for graph_engine in engines:
                    started = time.perf_counter()
                    scores = graph_engine.betweenness(FLOW_UNWEIGHTED)
                    graph_engine.close()
                    print(
                        f"flow betweenness ({graph_engine.name}): {len(scores.values):,} "
                        f"nodes with edges in {time.perf_counter() - started:.1f}s"
                    )
        finally:
            driver.close()
    finally:
        cli(env, "neo4j", "stop")


if __name__ == "__main__":
    main()
