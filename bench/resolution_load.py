"""Benchmark: the load's counterparty resolution (``FlowLedger.stage``) on a large bank.

Stages one transactions file (for instance a slice of the large bank's, ``head -n``) into
a temporary flow ledger with the resolver a load uses (fuzzy matching on, no review
decisions, no Neo4j), and prints the seconds, the process's peak RSS and a digest of the
answer (every side's company and method, every candidate pair), so that two versions of
the code can be run side by side on the same input and compared.

Run: ``.venv/bin/python bench/resolution_load.py BANK_DIR [TRANSACTIONS_CSV] [--memory 4GB]``
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import resource
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from loaders.entity_resolution import RegisteredCompany, ResolutionConfig
from loaders.flows import FlowLedger
from loaders.reading import find_input_files
from loaders.resolution_load import LedgerResolver


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("bank", type=Path, help="a generated bank folder (its companies.csv)")
    parser.add_argument("transactions", type=Path, nargs="?", help="default: the bank's")
    parser.add_argument("--memory", default="4GB", help="the ledger's DuckDB memory limit")
    parser.add_argument(
        "--resolving-memory",
        default="512MB",
        help="the ledger's limit while resolving ('none': keep --memory; older code)",
    )
    args = parser.parse_args()

    with (args.bank / "companies.csv").open(encoding="utf-8", newline="") as handle:
        registered = {
            r["company_id"]: RegisteredCompany(
                r["company_id"], r["name"], r["uscc"] or None, r["region"] or None
            )
            for r in csv.DictReader(handle)
        }
    source = find_input_files(args.bank, ("transactions",))["transactions"]
    if args.transactions is not None:
        source = replace(source, path=args.transactions)
    resolver = LedgerResolver(registered, {}, [], set(registered), ResolutionConfig())
    with tempfile.TemporaryDirectory(prefix="corpgraph-er-load-") as tmp:
        started = time.perf_counter()
        options = {"memory_limit": args.memory}
        if args.resolving_memory != "none":
            options["resolving_memory_limit"] = args.resolving_memory
        with FlowLedger(Path(tmp) / "ledger.duckdb", **options) as ledger:
            staged = ledger.stage(source, resolver, set(registered))
        seconds = time.perf_counter() - started
    outcome = staged.outcome
    digest = hashlib.sha256()
    for resolution in staged.resolutions:
        digest.update(f"{resolution.name}|{resolution.company_id}|{resolution.method}\n".encode())
    candidates = outcome.candidates if outcome else []
    for candidate in candidates:
        digest.update(f"{candidate.candidate_id}|{candidate.status}\n".encode())
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"{source.path.name}: {staged.read:,} rows, {len(staged.resolutions):,} named sides, "
        f"{len(candidates):,} candidate pairs, {staged.new:,} new ledger rows"
    )
    print(f"stage: {seconds:.1f}s, peak RSS {peak:,.0f} MiB, answer {digest.hexdigest()[:16]}")


if __name__ == "__main__":
    main()
