"""Benchmark: corpgraph's loader against one MERGE per row, side by side in one run.

It starts its own embedded Neo4j (a temporary CORPGRAPH_HOME and a free port, so it
never touches your data), generates the synthetic bank, and measures rows per
second for:

- **corpgraph**: ``corpgraph load`` on the whole bank (validation, resolution,
  DuckDB flows, batched ``UNWIND`` writes);
- **naive**: one ``MERGE`` per row in its own transaction through the official
  driver, on a stratified sample of the same files (every k-th row of every file,
  so the mix of row kinds is the same), for a fixed number of rows;
- **py2neo**: not run; the project does not use py2neo (end-of-life since 2023).

Then the monthly flows write alone, on the flows the load aggregated (read back from
its DuckDB ledger), batches of 10k, into the same graph:

- **MERGE**: the statement the loader used before (``MERGE (a)-[r:PAYS {month,
  currency}]->(b)``), into a graph without flows;
- **CREATE**: what the loader does for keys the ledger knows are new;
- **update**: what it does for keys the graph may hold (all of them, here), anchored on
  the endpoints.

Then the bulk path, on the same bank, into the emptied database:

- **corpgraph --bulk**: ``corpgraph load --bulk`` end to end (the same validation,
  resolution and ledger; the importer's files; server stop, import, restart; schema and
  the remaining writes);
- **bulk importer**: ``neo4j-admin database import full`` alone (run by the launcher)
  on the files corpgraph wrote, the server stopped: the physical limit of a first load.

All of them are rows/s over the same count: the bank's input rows.

Each flows line gives rows/s and this process's CPU seconds (the driver's share of the work:
``neo4j-rust-ext``, if installed, lowers it).

With ``--medium`` it also loads the medium bank and reports the loader's peak
resident memory (the Python process with DuckDB in it; Neo4j runs in its own JVM).

Run: ``.venv/bin/python bench/load.py [--scale small] [--naive-rows 20000] [--medium]
[--flows-only] [--no-bulk] [--no-flows]``
"""

from __future__ import annotations

import argparse
import csv
import importlib.metadata
import os
import resource
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any, LiteralString

from _common import cli_peak_rss, count_rows, free_port, timed_cli

from core.settings import Settings
from graph.database import Database, create_driver
from graph.load_writes import CREATE_FLOWS, UPDATE_FLOWS, graph_instance_id
from graph.local_server import LocalNeo4j, resolve_connection
from graph.schema import apply_schema, wipe
from loaders.contract import LOAD_ORDER
from loaders.pipeline import forget_ledger, ledger_path

# The flows statement the loader used before it knew which keys were new (for comparison).
MERGE_FLOWS: LiteralString = """
UNWIND $rows AS row
MATCH (a:Company {company_id: row.payer})
MATCH (b:Company {company_id: row.payee})
MERGE (a)-[r:PAYS {month: row.month, currency: row.currency}]->(b)
SET r.amount_minor = row.amount_minor, r.txn_count = row.txn_count,
    r.first_date = date(row.first_date), r.last_date = date(row.last_date)
"""
DELETE_FLOWS: LiteralString = (
    "MATCH ()-[r:PAYS]->() CALL (r) { DELETE r } IN TRANSACTIONS OF 10000 ROWS"
)
LEDGER_FLOWS = """
SELECT payer, payee, month, currency, CAST(sum(amount_minor) AS BIGINT) AS amount_minor,
    count(*) AS txn_count, strftime(min(txn_date), '%Y-%m-%d') AS first_date,
    strftime(max(txn_date), '%Y-%m-%d') AS last_date
FROM ledger WHERE payer <> payee GROUP BY ALL ORDER BY payer, payee, month, currency
"""

NAIVE: dict[str, LiteralString] = {
    "branches": "MERGE (b:Branch {branch_id: $branch_id}) SET b.name = $name",
    "relationship_managers": "MERGE (m:RelationshipManager {rm_id: $rm_id}) SET m.name = $name",
    "companies": (
        "MERGE (c:Company {company_id: $company_id}) "
        "SET c.name = $name, c.uscc = $uscc, c.branch_id = $branch_id"
    ),
    "persons": "MERGE (p:Person {person_id: $person_id}) SET p.name = $name",
    "products": "MERGE (p:Product {product_code: $product_code}) SET p.name = $name",
    "shareholdings": (
        "MATCH (c:Company {company_id: $company_id}) "
        "OPTIONAL MATCH (oc:Company {company_id: $owner_id}) "
        "OPTIONAL MATCH (op:Person {person_id: $owner_id}) "
        "WITH c, coalesce(oc, op) AS o WHERE o IS NOT NULL "
        "MERGE (o)-[r:OWNS]->(c) SET r.share_pct = toFloat($share_pct)"
    ),
    "control_links": (
        "MATCH (c:Company {company_id: $company_id}) "
        "OPTIONAL MATCH (oc:Company {company_id: $controller_id}) "
        "OPTIONAL MATCH (op:Person {person_id: $controller_id}) "
        "WITH c, coalesce(oc, op) AS o WHERE o IS NOT NULL MERGE (o)-[:CONTROLS]->(c)"
    ),
    "supply_links": (
        "MATCH (s:Company {company_id: $supplier_id}), (b:Company {company_id: $buyer_id}) "
        "MERGE (s)-[:SUPPLIES]->(b)"
    ),
    "guarantees": (
        "MATCH (g:Company {company_id: $guarantor_id}), (b:Company {company_id: $borrower_id}) "
        "MERGE (g)-[r:GUARANTEES {guarantee_id: $guarantee_id}]->(b)"
    ),
    "facilities": (
        "MATCH (c:Company {company_id: $customer_id}) "
        "MERGE (f:Facility {facility_id: $facility_id}) MERGE (c)-[:HAS_FACILITY]->(f)"
    ),
    "holdings": (
        "MATCH (c:Company {company_id: $customer_id}), (p:Product {product_code: $product_code}) "
        "MERGE (c)-[:HOLDS]->(p)"
    ),
    "segment_snapshots": (
        "MATCH (c:Company {company_id: $customer_id}) "
        "MERGE (s:SegmentSnapshot {snapshot_id: $customer_id + '|' + $as_of}) "
        "MERGE (c)-[:HAS_SEGMENT]->(s)"
    ),
    "transactions": (
        "MERGE (a:Company {company_id: coalesce(nullif($payer_id, ''), $payer_name)}) "
        "MERGE (b:Company {company_id: coalesce(nullif($payee_id, ''), $payee_name)}) "
        "MERGE (a)-[r:PAYS {month: substring($date, 0, 7), currency: $currency}]->(b) "
        "ON CREATE SET r.amount = toFloat($amount), r.txn_count = 1 "
        "ON MATCH SET r.amount = r.amount + toFloat($amount), r.txn_count = r.txn_count + 1"
    ),
}


def naive_sample(bank: Path, rows: int, total: int) -> list[tuple[str, dict[str, Any]]]:
    step = max(total // rows, 1)
    sample = []
    for name in LOAD_ORDER:
        path = bank / f"{name}.csv"
        if not path.exists():
            continue
        with path.open(encoding="utf-8", newline="") as handle:
            for index, row in enumerate(csv.DictReader(handle)):
                if index % step == 0:
                    sample.append((name, row))
    return sample


def run_naive(db: Database, sample: list[tuple[str, dict[str, Any]]]) -> float:
    start = time.perf_counter()
    for name, row in sample:
        try:
            db.driver.execute_query(NAIVE[name], row, database_=db.database)
        except Exception:  # noqa: S112 - bad rows fail as they would for a naive loader
            continue
    return time.perf_counter() - start


def ledger_flows(path: Path) -> list[dict[str, Any]]:
    """Every monthly flow of the ledger, as the loader writes them."""
    import duckdb

    with duckdb.connect(str(path), read_only=True) as con:
        cursor = con.execute(LEDGER_FLOWS)
        columns = [d[0] for d in cursor.description or []]
        return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]


def timed_write(
    db: Database, query: LiteralString, rows: list[dict[str, Any]], budget: float | None = None
) -> tuple[int, float, float]:
    """Write the rows in batches of 10k (1k with a time budget, stopping once it is spent);
    return the rows written, wall seconds and this process's CPU seconds."""
    cpu = resource.getrusage(resource.RUSAGE_SELF)
    start = time.perf_counter()
    size = 10_000 if budget is None else 1_000
    written = 0
    for offset in range(0, len(rows), size):
        db.write_rows(query, rows[offset : offset + size], batch_size=size)
        written += len(rows[offset : offset + size])
        if budget is not None and time.perf_counter() - start > budget:
            break
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_SELF)
    return written, wall, (after.ru_utime - cpu.ru_utime) + (after.ru_stime - cpu.ru_stime)


def bench_flows(db: Database, settings: Settings, merge_budget: float) -> None:
    """The flows write alone: MERGE, then CREATE, then the update path."""
    rows = ledger_flows(ledger_path(settings, graph_instance_id(db)))
    try:
        driver_kind = f"with neo4j-rust-ext {importlib.metadata.version('neo4j-rust-ext')}"
    except importlib.metadata.PackageNotFoundError:
        driver_kind = "pure-Python driver"
    print(f"flows write: {len(rows):,} monthly flows, batches of 10k, {driver_kind}")
    results = {}
    # MERGE may be planned as a scan of the pays_month index per row: it gets a time budget
    # (batches of 1k) and its rows/s is over what it wrote in it.
    for label, query, empty_first, budget in (
        ("MERGE (before)", MERGE_FLOWS, True, merge_budget),
        ("CREATE (new keys)", CREATE_FLOWS, True, None),
        ("update (known keys)", UPDATE_FLOWS, False, None),
    ):
        if empty_first:
            db.run_autocommit(DELETE_FLOWS)
        written, wall, cpu = timed_write(db, query, rows, budget)
        results[label] = written / wall
        print(
            f"  {label:<20} {written:,} rows in {wall:6.1f}s = {written / wall:8,.0f} rows/s; "
            f"{cpu:5.1f}s CPU here"
        )
    edges = db.read_one("MATCH ()-[r:PAYS]->() RETURN count(r) AS n")
    if edges is None or edges["n"] != len(rows):
        raise SystemExit("the update path did not leave exactly one edge per flow")
    merge = results["MERGE (before)"]
    print(
        f"  CREATE is {results['CREATE (new keys)'] / merge:.1f}x MERGE; "
        f"update is {results['update (known keys)'] / merge:.1f}x MERGE"
    )


def bench_bulk(
    env: dict[str, str], db: Database, settings: Settings, bank: Path, tmp: str
) -> tuple[float, float]:
    """``load --bulk`` end to end, then the importer alone on the files it wrote; the
    wall seconds of each."""
    forget_ledger(db, settings)
    wipe(db)
    seconds = timed_cli(env, "load", str(bank), "--bulk", "--rejects", f"{tmp}/rejects-b.csv")
    db.forget_bookmarks()  # the import replaced the store under this driver
    [work] = sorted((settings.home / "bulk").iterdir())
    arguments = (work / "import.args").read_text(encoding="utf-8").split()
    local = LocalNeo4j(settings)
    state = local.read_state()
    if state is None:
        raise SystemExit("the bulk load left no server running")
    local.stop()
    start = time.perf_counter()
    subprocess.run(
        [
            "java",
            f"-Xmx{env['CORPGRAPH_LOCAL_NEO4J_HEAP']}",
            "-jar",
            str(local.jar_path),
            "import",
            "--data-dir",
            state.data_dir,
            "--",
            *arguments,
        ],
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    importer = time.perf_counter() - start
    local.start(state.port, Path(state.data_dir))
    return seconds, importer


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scale", default="small")
    parser.add_argument("--naive-rows", type=int, default=20_000)
    parser.add_argument("--medium", action="store_true", help="also measure the medium load")
    parser.add_argument("--merge-budget", type=float, default=120.0, help="seconds for MERGE")
    parser.add_argument(
        "--flows-only", action="store_true", help="the load and the flows write, no naive run"
    )
    parser.add_argument("--no-bulk", action="store_true", help="skip the bulk path")
    parser.add_argument("--no-flows", action="store_true", help="skip the flows write alone")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="corpgraph-bench-") as tmp:
        env = {k: v for k, v in os.environ.items() if not k.startswith("NEO4J_")}
        env.update(
            CORPGRAPH_HOME=f"{tmp}/home",
            CORPGRAPH_LOCAL_NEO4J_PORT=str(free_port()),
            CORPGRAPH_LOCAL_NEO4J_HEAP="3g",
            CORPGRAPH_LOCAL_NEO4J_PAGECACHE="1g",
        )
        settings = Settings(
            _env_file=None,
            home=Path(f"{tmp}/home"),
            local_neo4j_port=int(env["CORPGRAPH_LOCAL_NEO4J_PORT"]),
        )
        local = LocalNeo4j(settings)
        local.start()
        connection = resolve_connection(settings)
        driver = create_driver(connection, settings)
        db = Database(driver, connection.database)
        try:
            bank = Path(tmp) / args.scale
            timed_cli(env, "generate", "--scale", args.scale, "--out", str(bank))
            total = count_rows(bank)
            apply_schema(db)

            seconds = timed_cli(env, "load", str(bank), "--rejects", f"{tmp}/rejects.csv")
            fast = total / seconds
            print(
                f"corpgraph loader: {total:,} rows of the {args.scale} bank in {seconds:.1f}s "
                f"= {fast:,.0f} rows/s"
            )

            if not args.no_flows:
                bench_flows(db, settings, args.merge_budget)
            if args.flows_only:
                return

            wipe(db)
            sample = naive_sample(bank, args.naive_rows, total)
            naive_seconds = run_naive(db, sample)
            slow = len(sample) / naive_seconds
            print(
                f"one MERGE per row: {len(sample):,} rows (a stratified sample of the same "
                f"files) in {naive_seconds:.1f}s = {slow:,.0f} rows/s"
            )
            print(
                "py2neo bulk API: not run; corpgraph does not depend on py2neo, which has "
                "been end-of-life since 2023 (use the official neo4j driver)"
            )
            if args.no_bulk:
                print(f"ratio: corpgraph is {fast / slow:.1f}x faster than one MERGE per row")
            else:
                bulk_seconds, importer_seconds = bench_bulk(env, db, settings, bank, tmp)
                bulk = total / bulk_seconds
                importer = total / importer_seconds
                print(
                    f"corpgraph load --bulk: {total:,} rows in {bulk_seconds:.1f}s = "
                    f"{bulk:,.0f} rows/s (validation, resolution, files, stop, import, "
                    "restart, schema)"
                )
                print(
                    f"bulk importer alone (neo4j-admin database import full on corpgraph's "
                    f"files): {importer_seconds:.1f}s = {importer:,.0f} rows/s"
                )
                print(f"{'':<24}{'vs one MERGE per row':>22}{'vs the bulk importer':>22}")
                for label, rate in (("corpgraph load", fast), ("corpgraph load --bulk", bulk)):
                    print(f"{label:<24}{rate / slow:>21.1f}x{rate / importer:>21.2f}x")
            print(f"load average: {' '.join(f'{v:.1f}' for v in os.getloadavg())}")

            if args.medium:
                wipe(db)
                medium = Path(tmp) / "medium"
                timed_cli(env, "generate", "--scale", "medium", "--out", str(medium))
                seconds, peak_kib = cli_peak_rss(
                    env, "load", str(medium), "--rejects", f"{tmp}/rejects-m.csv"
                )
                rows = count_rows(medium)
                print(
                    f"medium load: {rows:,} rows in {seconds:.0f}s = {rows / seconds:,.0f} "
                    f"rows/s; loader peak RSS {peak_kib / 1024:,.0f} MiB"
                )
        finally:
            driver.close()
            local.stop()


if __name__ == "__main__":
    main()
