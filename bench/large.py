"""Benchmark: the large bank end to end — generate, first load, compute, effective ownership.

It starts its own embedded Neo4j (a temporary ``CORPGRAPH_HOME`` and a free port, or
``--reuse DIR`` to keep the generated files and the loaded database between runs)
and runs each stage in its own process, printing the stage's wall seconds, the rows
it handled per second and its peak resident memory, plus the Neo4j server's peak
(``VmHWM`` of the JVM):

- **generate**: ``corpgraph generate --scale large`` (about 500k companies and 20M
  transactions; the CSVs are several GB);
- **load --bulk**: the first load into the empty database through
  ``neo4j-admin database import`` (``corpgraph load --bulk``: validation, name
  resolution, the DuckDB flow aggregation, the importer, the remaining writes);
- **compute**: ``run_compute`` with each engine asked for (``--engines gds python``),
  each step's seconds;
- **effective ownership**: every company's effective owners as one sparse series
  (``algorithms.ownership.effective_ownership``) over the bank's shareholdings file,
  then the ultimate owners at or above 25%. Target: under 60 s.

The memory each stage may use is set here (see ``--heap``, ``--pagecache``,
``--duckdb-memory``) and printed with the figures: the machine has 24 GiB, shared with
the loader's DuckDB and Python.

A compute that fails is reported with its error and the run goes on to the next.

Run: ``.venv/bin/python bench/large.py [--scale large] [--engines gds python]
[--heap 8g] [--pagecache 6g] [--duckdb-memory 4GB] [--reuse DIR]``
"""

from __future__ import annotations

import argparse
import csv
import gc
import json
import resource
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from _common import CHILD_CONNECT, bench_env, count_rows, free_port, run_peak_rss

from algorithms.control import DEFAULT_THRESHOLD_PCT
from algorithms.ownership import Holding, OwnershipGraph, effective_ownership
from core.settings import Settings
from graph.local_server import LocalNeo4j

OWNERSHIP_TARGET_S = 60.0

#: One compute in a fresh interpreter: each step's seconds and result counts as JSON.
COMPUTE_CHILD = (
    """
import json, sys, time
from services.compute import run_compute
"""
    + CHILD_CONNECT
    + """
try:
    started = time.perf_counter()
    used, reports = run_compute(Database(driver, connection.database), settings, engine_mode=engine)
    steps = {r.step: {"seconds": r.seconds, "rows": sum(r.counts.values())} for r in reports}
    print(json.dumps({"engine": used, "total": time.perf_counter() - started, "steps": steps}))
finally:
    driver.close()
"""
)


@dataclass(frozen=True)
class StageFigures:
    """One stage's measured figures."""

    stage: str
    seconds: float
    rows: int
    peak_kib: int
    note: str = ""

    def line(self) -> str:
        rate = f"{self.rows / self.seconds:>12,.0f}" if self.seconds > 0 and self.rows else " " * 12
        return (
            f"{self.stage:<28}{self.seconds:>10.1f}{self.rows:>14,}{rate}"
            f"{self.peak_kib / 1_048_576:>10.2f}  {self.note}"
        )


def server_peak_gib(settings: Settings) -> float:
    """The embedded Neo4j's peak resident memory so far (GiB), 0 if it is not running."""
    state = LocalNeo4j(settings).read_state()
    if state is None:
        return 0.0
    try:
        status = Path(f"/proc/{state.pid}/status").read_text(encoding="utf-8")
    except OSError:
        return 0.0
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1_048_576
    return 0.0


def read_holdings(bank: Path) -> list[Holding]:
    """The bank's direct shareholdings (``shareholdings.csv``), as the loader reads them."""
    with (bank / "shareholdings.csv").open(encoding="utf-8") as handle:
        return [
            Holding(row["owner_id"], row["company_id"], float(row["share_pct"]))
            for row in csv.DictReader(handle)
        ]


def ownership_stage(bank: Path) -> StageFigures:
    """Effective ownership of every company, in this process (its peak RSS growth)."""
    holdings = read_holdings(bank)
    graph = OwnershipGraph.from_holdings(holdings)
    gc.collect()
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    everything = effective_ownership(graph)
    owners = everything.ultimate_owners_at_least(DEFAULT_THRESHOLD_PCT)
    seconds = time.perf_counter() - started
    grown = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
    verdict = "met" if seconds < OWNERSHIP_TARGET_S else "missed"
    return StageFigures(
        "effective ownership",
        seconds,
        len(holdings),
        grown,
        f"{len(graph.owners):,} owned companies, {len(owners):,} with a >=25% owner, "
        f"{everything.terms} terms; target {OWNERSHIP_TARGET_S:.0f} s {verdict}",
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scale", default="large")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--engines", nargs="*", default=["gds", "python"])
    parser.add_argument("--heap", default="8g", help="the embedded Neo4j's JVM heap")
    parser.add_argument("--pagecache", default="6g", help="the embedded Neo4j's page cache")
    parser.add_argument("--duckdb-memory", default="4GB", help="the loader's DuckDB limit")
    parser.add_argument("--reuse", type=Path, help="keep the bank and the database here")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="corpgraph-large-") as scratch:
        home = args.reuse or Path(scratch)
        home.mkdir(parents=True, exist_ok=True)
        bank = home / f"bank-{args.scale}-seed{args.seed}"
        env = bench_env(home, free_port(), heap=args.heap)
        env["CORPGRAPH_LOCAL_NEO4J_PAGECACHE"] = args.pagecache
        env["CORPGRAPH_FLOW_LEDGER_MEMORY"] = args.duckdb_memory
        settings = Settings(
            _env_file=None,
            home=home,
            local_neo4j_port=int(env["CORPGRAPH_LOCAL_NEO4J_PORT"]),
            neo4j_uri=None,
        )
        cli = [sys.executable, "-m", "corpgraph"]
        print(
            f"scale {args.scale}, seed {args.seed}; Neo4j heap {args.heap}, page cache "
            f"{args.pagecache}; DuckDB {args.duckdb_memory}; home {home}"
        )
        print(f"{'stage':<28}{'seconds':>10}{'rows':>14}{'rows/s':>12}{'peak GiB':>10}")
        figures: list[StageFigures] = []

        def report(stage: StageFigures) -> None:
            figures.append(stage)
            print(stage.line(), flush=True)

        generated = home / f"{bank.name}.generated"  # written once the bank is complete
        if not generated.exists():
            argv = [*cli, "generate", "--scale", args.scale, "--seed", str(args.seed)]
            seconds, peak, _ = run_peak_rss([*argv, "--out", str(bank)], env)
            report(StageFigures("generate", seconds, count_rows(bank), peak))
            generated.write_text("complete\n", encoding="utf-8")
        rows = count_rows(bank)

        run_peak_rss([*cli, "neo4j", "start"], env)
        loaded = home / "loaded"  # written once the first load finished
        if not loaded.exists():
            rejects = home / "rejects.csv"
            seconds, peak, _ = run_peak_rss(
                [*cli, "load", str(bank), "--bulk", "--rejects", str(rejects)], env
            )
            report(
                StageFigures(
                    "load --bulk",
                    seconds,
                    rows,
                    peak,
                    f"Neo4j peak {server_peak_gib(settings):.2f} GiB",
                )
            )
            loaded.write_text(f"{rows}\n", encoding="utf-8")

        for engine in args.engines:
            argv = [
                sys.executable,
                "-c",
                COMPUTE_CHILD,
                str(home),
                env["CORPGRAPH_LOCAL_NEO4J_PORT"],
            ]
            try:
                seconds, peak, out = run_peak_rss([*argv, engine], env)
            except SystemExit as failed:
                print(f"compute ({engine}) failed: {failed}", flush=True)
                continue
            result = json.loads(out.strip().splitlines()[-1])
            report(
                StageFigures(
                    f"compute ({result['engine']})",
                    seconds,
                    0,
                    peak,
                    f"Neo4j peak {server_peak_gib(settings):.2f} GiB",
                )
            )
            for step, step_figures in result["steps"].items():
                report(StageFigures(f"  {step}", step_figures["seconds"], step_figures["rows"], 0))

        report(ownership_stage(bank))
        if not args.reuse:
            run_peak_rss([*cli, "neo4j", "stop"], env)


if __name__ == "__main__":
    main()
