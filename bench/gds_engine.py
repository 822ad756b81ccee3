"""Benchmark: the GDS engine's algorithm calls before and after, side by side, in one run.

``bench/compute.py`` times whole compute steps, where the GDS engine's calls are a
small share on the small bank; this times the calls alone. It starts its own
embedded Neo4j (``--reuse DIR`` keeps the loaded bank: pass the folder of a
``bench/compute.py --reuse`` run to skip the load), exports the ``--baseline``
commit's tree, and, interleaved, runs in a fresh process per tree the calls one
compute makes (the group-risk circles and every influence projection of the
prospects step, with the flow betweenness), each timed, then the engine's clean-up.
Before (20e54c8): one projection per call, one streamed row per node filtered in
Cypher. After: one in-memory graph per projection, mutate mode, only the nodes with
an edge streamed back.

Run: ``.venv/bin/python bench/gds_engine.py [--baseline REF] [--scale small] [--repeat 3]
[--reuse DIR] [--port N]``
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

from _common import CHILD_CONNECT, ROOT, bench_env, cli, free_port, load_bank_without_supply
from compute import declares_rust_extension, export_tree

#: Run in a fresh interpreter inside one tree: every GDS call of one compute, timed.
CHILD = (
    """
import json, sys, time
from services.engines import GdsEngine
from services.group_risk import GUARANTEE_PROJECTION
from services.prospects import (
    FLOW_UNDIRECTED, FLOW_UNWEIGHTED, FLOW_WEIGHTED, SUPPLY_DIRECTED, SUPPLY_UNDIRECTED,
)
"""
    + CHILD_CONNECT
    + """
calls = [
    ("scc guarantees", "scc", GUARANTEE_PROJECTION),
    ("pagerank supply", "pagerank", SUPPLY_UNDIRECTED),
    ("degree supply", "degree", SUPPLY_UNDIRECTED),
    ("betweenness supply", "betweenness", SUPPLY_DIRECTED),
    ("pagerank flows", "pagerank", FLOW_WEIGHTED),
    ("degree flows", "degree", FLOW_UNDIRECTED),
    ("betweenness flows", "betweenness", FLOW_UNWEIGHTED),
    ("wcc supply", "wcc", SUPPLY_DIRECTED),
]
try:
    engine = GdsEngine(Database(driver, connection.database))
    seconds, rows = {}, {}
    started = time.perf_counter()
    for label, method, projection in calls:
        call_started = time.perf_counter()
        result = getattr(engine, method)(projection)
        seconds[label] = time.perf_counter() - call_started
        rows[label] = len(result if isinstance(result, dict) else result.values)
    close_started = time.perf_counter()
    getattr(engine, "close", lambda: None)()  # the baseline drops each graph per call
    seconds["close"] = time.perf_counter() - close_started
    seconds["total"] = time.perf_counter() - started
finally:
    driver.close()
print(json.dumps({"seconds": seconds, "rows": rows}))
"""
)


def timed_calls(
    tree: Path, env: dict[str, str], home: Path, port: int
) -> dict[str, dict[str, float]]:
    """Each GDS call's seconds and result size, ``tree``'s code, in a fresh process."""
    child_env = {**env, "PYTHONPATH": str(tree)}
    if not declares_rust_extension(tree):
        raise SystemExit(f"{tree}: the baseline must declare neo4j-rust-ext like this tree")
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(home), str(port)],
        env=child_env,
        cwd=tree,
        check=True,
        capture_output=True,
        text=True,
    )
    result: dict[str, dict[str, float]] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--baseline", default="20e54c8", help="git ref of the code before")
    parser.add_argument("--scale", default="small")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=3, help="runs of each (best kept)")
    parser.add_argument("--reuse", type=Path, help="keep the loaded bank in this folder")
    parser.add_argument("--port", type=int, help="the embedded Neo4j's Bolt port")
    args = parser.parse_args()

    home = args.reuse.resolve() if args.reuse else Path(tempfile.mkdtemp(prefix="cg-gds-"))
    home.mkdir(parents=True, exist_ok=True)
    port = args.port or free_port()
    env = bench_env(home, port)
    with tempfile.TemporaryDirectory(prefix="cg-baseline-") as baseline_dir:
        before = Path(baseline_dir)
        commit = export_tree(args.baseline, before)
        cli(env, "neo4j", "start")
        try:
            load_bank_without_supply(env, home, args.scale, args.seed)
            trees = {"before": before, "after": ROOT}
            runs: dict[str, list[dict[str, dict[str, float]]]] = {code: [] for code in trees}
            for _ in range(args.repeat):  # interleaved, so that noise hits both alike
                for code, tree in trees.items():
                    runs[code].append(timed_calls(tree, env, home, port))
        finally:
            cli(env, "neo4j", "stop")
    best = {code: min(r, key=lambda run: run["seconds"]["total"]) for code, r in runs.items()}
    print(f"before: {commit} ({args.baseline}); after: this tree; best of {args.repeat}")
    print(f"{'call':<20}{'rows':>8}{'before s':>10}{'after s':>10}{'ratio':>7}")
    for call, after in best["after"]["seconds"].items():
        rows = best["after"]["rows"].get(call)
        b = best["before"]["seconds"].get(call, float("nan"))
        shown = f"{rows:,.0f}" if rows is not None else ""
        print(f"{call:<20}{shown:>8}{b:>10.2f}{after:>10.2f}{b / max(after, 1e-9):>7.1f}")
    for call, count in best["after"]["rows"].items():
        if best["before"]["rows"].get(call) != count:
            raise SystemExit(
                f"{call}: {best['before']['rows'].get(call)} rows before, {count} after"
            )


if __name__ == "__main__":
    main()
