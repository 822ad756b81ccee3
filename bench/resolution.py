"""Benchmark: counterparty entity resolution at scale, exact only vs probabilistic.

Generates (or reuses) a synthetic bank, stages its transactions into a temporary
DuckDB flow ledger (no Neo4j), and resolves every payment side known by name twice,
side by side in one run:

- **exact**: USCC and normalised name only (what the loader did before splink);
- **probabilistic**: the same, then blocking and scoring with splink on DuckDB
  (:mod:`loaders.entity_resolution`).

It prints the sides and records resolved, the blocked candidate pairs scored, the
pairs merged and queued, seconds for each, their ratio, and the process's peak RSS.

Run: ``.venv/bin/python bench/resolution.py [--scale medium] [--difficulty hard] [--reuse DIR]``
"""

from __future__ import annotations

import argparse
import csv
import resource
import tempfile
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path

from core.name_forms import Gazetteer
from loaders.entity_resolution import (
    RegisteredCompany,
    ResolutionConfig,
    ResolutionOutcome,
    Side,
    resolve_sides,
)
from loaders.flows import FlowLedger
from loaders.reading import find_input_files
from loaders.synthetic import generate_bank


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scale", default="medium")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--difficulty", default="hard")
    parser.add_argument("--reuse", type=Path, help="a generated bank folder to reuse")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="corpgraph-er-") as tmp:
        bank = args.reuse or Path(tmp) / "bank"
        if not (bank / "companies.csv").exists():
            started = time.perf_counter()
            generate_bank(args.scale, args.seed, bank, difficulty=args.difficulty)
            seconds = time.perf_counter() - started
            print(f"generated the {args.scale} {args.difficulty} bank in {seconds:.0f}s")
        with (bank / "companies.csv").open(encoding="utf-8", newline="") as handle:
            registered = {
                r["company_id"]: RegisteredCompany(
                    r["company_id"], r["name"], r["uscc"] or None, r["region"] or None
                )
                for r in csv.DictReader(handle)
            }
        places = Gazetteer.build(r.region for r in registered.values() if r.region)
        captured: dict[str, tuple[list[Side], dict[str, tuple[str, ...]]]] = {}

        def capture(
            sides: Sequence[Side], partners: Mapping[str, tuple[str, ...]]
        ) -> ResolutionOutcome:
            captured["input"] = (list(sides), dict(partners))
            return resolve_sides(
                sides, registered, {}, config=ResolutionConfig(fuzzy=False), gazetteer=places
            )

        started = time.perf_counter()
        source = find_input_files(bank, ("transactions",))["transactions"]
        with FlowLedger(Path(tmp) / "ledger.duckdb") as ledger:
            ledger.stage(source, capture, set(registered))
        print(f"staged the transactions in {time.perf_counter() - started:.0f}s")
        sides, partners = captured["input"]
        with_partners = {
            cid: replace(company, partners=partners.get(cid, ()))
            for cid, company in registered.items()
        }

        timings: dict[str, float] = {}
        outcomes: dict[str, ResolutionOutcome] = {}
        for label, fuzzy in (("exact", False), ("probabilistic", True)):
            started = time.perf_counter()
            outcomes[label] = resolve_sides(
                sides,
                with_partners,
                {},
                existing_ids=set(registered),
                config=ResolutionConfig(fuzzy=fuzzy),
                gazetteer=places,
            )
            timings[label] = time.perf_counter() - started
        probabilistic = outcomes["probabilistic"]
        statuses = Counter(c.status for c in probabilistic.candidates)
        companies = {
            label: len({r.company_id for r in outcome.resolutions})
            for label, outcome in outcomes.items()
        }
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(
            f"{args.scale} {args.difficulty} bank: {len(sides):,} named sides, "
            f"{len(registered):,} registered companies, {probabilistic.records:,} "
            "counterparty records"
        )
        print(f"exact:         {timings['exact']:7.1f}s  → {companies['exact']:,} companies")
        print(
            f"probabilistic: {timings['probabilistic']:7.1f}s  → {companies['probabilistic']:,} "
            f"companies; candidate pairs scored ≥ review: {len(probabilistic.candidates):,} "
            f"({dict(statuses)}); branch links {len(probabilistic.branch_links):,}"
        )
        print(
            f"ratio: probabilistic takes {timings['probabilistic'] / timings['exact']:.1f}x "
            f"the exact pass; peak RSS {peak:,.0f} MiB"
        )


if __name__ == "__main__":
    main()
