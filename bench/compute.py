"""Benchmark: ``compute`` before and after, both engines, each step's seconds, in one run.

It starts its own embedded Neo4j (a temporary CORPGRAPH_HOME and a free port, or
``--reuse DIR`` to keep the loaded bank between runs), loads the synthetic bank
(``small``: 5,000 companies in ``companies.csv``, with its ``supply_links.csv``
left out like a real bank whose supply chain is unknown), and exports the
``--baseline`` commit's tree with ``git archive`` into a temporary folder. Then,
interleaved so that the shared machine's noise hits all of them alike, it runs
``compute`` with the Python and the GDS engine from the baseline tree and from
this tree, each in a fresh Python process, on the same database, ``--repeat``
times, and prints each step's seconds (best run), the ratio before/after, and the
seconds a process spends importing the CLI. Target: the Python compute under 15 s.

Each tree runs with the driver it declares: when the baseline's ``uv.lock`` lacks
``neo4j-rust-ext``, its runs block the extension (the driver then packs Bolt in
pure Python, as it did at that commit), so the ratio includes the extension's share.

Run: ``.venv/bin/python bench/compute.py [--baseline main] [--scale small] [--repeat 2]
[--reuse DIR]``
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tarfile
import tempfile
from io import BytesIO
from pathlib import Path

from _common import CHILD_CONNECT, ROOT, bench_env, cli, free_port, load_bank_without_supply

TARGET_S = 15.0
ENGINES = ("python", "gds")

#: Run in a fresh interpreter inside one tree: import the CLI (timed), then compute.
CHILD = (
    """
import json, sys, time
if sys.argv[4] == "pure":  # the driver's own fallback when neo4j-rust-ext is absent
    sys.modules["neo4j._rust"] = None
started = time.perf_counter()
import corpgraph.cli.main  # noqa: F401  (what every CLI command imports first)
imported = time.perf_counter() - started
from services.compute import run_compute
"""
    + CHILD_CONNECT
    + """
try:
    started = time.perf_counter()
    _, reports = run_compute(Database(driver, connection.database), settings, engine_mode=engine)
    seconds = {r.step: r.seconds for r in reports}
    seconds["total"] = time.perf_counter() - started
    seconds["cli import"] = imported
finally:
    driver.close()
print(json.dumps(seconds))
"""
)


def export_tree(ref: str, into: Path) -> str:
    """Extract ``ref``'s tracked files into ``into``; return its commit hash."""
    commit = subprocess.run(
        ["git", "rev-parse", "--short", ref], cwd=ROOT, check=True, capture_output=True, text=True
    ).stdout.strip()
    archive = subprocess.run(
        ["git", "archive", "--format=tar", commit], cwd=ROOT, check=True, capture_output=True
    ).stdout
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    return commit


def declares_rust_extension(tree: Path) -> bool:
    """Whether ``tree``'s lock file installs ``neo4j-rust-ext``."""
    lock = tree / "uv.lock"
    return lock.exists() and 'name = "neo4j-rust-ext"' in lock.read_text(encoding="utf-8")


def timed_compute(
    tree: Path, env: dict[str, str], home: Path, port: int, engine: str
) -> dict[str, float]:
    """Each step's seconds of one compute run of ``tree``'s code, in a fresh process."""
    child_env = {**env, "PYTHONPATH": str(tree)}
    codec = "rust" if declares_rust_extension(tree) else "pure"
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(home), str(port), engine, codec],
        env=child_env,
        cwd=tree,
        check=True,
        capture_output=True,
        text=True,
    )
    seconds: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--baseline", default="main", help="git ref of the code before")
    parser.add_argument("--scale", default="small")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=2, help="runs of each (best kept)")
    parser.add_argument("--engines", nargs="+", default=list(ENGINES), choices=ENGINES)
    parser.add_argument("--reuse", type=Path, help="keep the loaded bank in this folder")
    parser.add_argument(
        "--port", type=int, help="the embedded Neo4j's Bolt port (default: a free one)"
    )
    args = parser.parse_args()

    home = args.reuse.resolve() if args.reuse else Path(tempfile.mkdtemp(prefix="cg-compute-"))
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
            # Asked while the baseline's tree exists (it is removed with its folder).
            codecs = {code: declares_rust_extension(tree) for code, tree in trees.items()}
            runs: dict[tuple[str, str], list[dict[str, float]]] = {
                (engine, code): [] for engine in args.engines for code in trees
            }
            for _ in range(args.repeat):  # interleaved, so that noise hits every variant
                for engine, code in runs:
                    runs[(engine, code)].append(timed_compute(trees[code], env, home, port, engine))
        finally:
            cli(env, "neo4j", "stop")
    best = {key: min(r, key=lambda s: s["total"]) for key, r in runs.items()}
    print(f"before: {commit} ({args.baseline}); after: this tree; best of {args.repeat}")
    print(
        "Bolt packing: "
        + ", ".join(f"{c} {'rust' if r else 'pure Python'}" for c, r in codecs.items())
    )
    header = f"{'step':<16}"
    for engine in args.engines:
        header += f"{engine + ' before':>15}{engine + ' after':>14}{'ratio':>7}"
    print(header)
    steps = list(best[(args.engines[0], "after")])
    for step in steps:
        line = f"{step:<16}"
        for engine in args.engines:
            b = best[(engine, "before")].get(step, float("nan"))
            a = best[(engine, "after")].get(step, float("nan"))
            line += f"{b:>15.1f}{a:>14.1f}{b / a if a else float('nan'):>7.1f}"
        print(line)
    if "python" in args.engines:
        total = best[("python", "after")]["total"]
        verdict = "met" if total < TARGET_S else "missed"
        print(f"target: Python compute under {TARGET_S:.0f} s: {total:.1f} s, {verdict}")


if __name__ == "__main__":
    main()
