"""Benchmark: effective ownership of every company, one sparse series against per-company solves.

For each scale the synthetic bank's shareholdings are built in memory (no files, no
Neo4j, as ``bench/control.py`` does). It times, side by side in one run:

- ``effective_ownership``: ``E = Σ Aᵏ`` for every company at once (the Neumann
  series summed by repeated squaring), then the ultimate owners at or above 25%;
- the per-company solves (``effective_column``, one sparse LU solve on each
  company's upstream) on a random sample of the owned companies, extrapolated to
  all of them;

checks that both give the same shares on the sample (largest absolute difference,
as a fraction), and prints the ratio. Target: every company of the large bank in
under 60 s.

Run: ``.venv/bin/python bench/ownership.py [--scales small medium large] [--sample 2000]``
"""

from __future__ import annotations

import argparse
import gc
import random
import time

from algorithms.control import DEFAULT_THRESHOLD_PCT
from algorithms.ownership import (
    Holding,
    OwnershipGraph,
    effective_column,
    effective_ownership,
)
from loaders.synthetic.plans import build_structure
from loaders.synthetic.scales import SCALES

TARGET_S = 60.0


def holdings_of(scale: str) -> list[Holding]:
    """The shareholdings of one scale's synthetic structure."""
    bank = build_structure(SCALES[scale], random.Random(7), 0).bank

    def owner_id(kind: str, index: int) -> str:
        return f"C{index}" if kind == "company" else f"P{index}"

    return [
        Holding(owner_id(s.owner.kind, s.owner.index), f"C{s.company}", s.basis_points / 100)
        for s in bank.shareholdings
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", nargs="+", default=["small", "medium", "large"])
    parser.add_argument("--sample", type=int, default=2000, help="companies solved one by one")
    args = parser.parse_args()
    print(
        f"{'scale':<8}{'owned':>9}{'holdings':>10}{'terms':>7}{'series s':>10}"
        f"{'≥25% s':>8}{'solves s (extrap.)':>20}{'solves/series':>15}{'max diff':>10}"
    )
    for scale in args.scales:
        graph = OwnershipGraph.from_holdings(holdings_of(scale))
        owned = sorted(graph.owners)
        gc.collect()
        started = time.perf_counter()
        everything = effective_ownership(graph)
        summed = time.perf_counter()
        owners = everything.ultimate_owners_at_least(DEFAULT_THRESHOLD_PCT)
        thresholded = time.perf_counter()
        sample = random.Random(1).sample(owned, min(args.sample, len(owned)))
        solved_started = time.perf_counter()
        columns = {company: effective_column(graph, company) for company in sample}
        solved = time.perf_counter() - solved_started
        extrapolated = solved * len(owned) / len(sample)
        difference = max(
            (
                abs(everything.column(company).get(node, 0.0) - column.get(node, 0.0))
                for company, column in columns.items()
                for node in column.keys() | everything.column(company).keys()
            ),
            default=0.0,
        )
        series = thresholded - started
        print(
            f"{scale:<8}{len(owned):>9,}{sum(len(o) for o in graph.owners.values()):>10,}"
            f"{everything.terms:>7}{summed - started:>10.2f}{thresholded - summed:>8.2f}"
            f"{extrapolated:>20.1f}{extrapolated / series:>15.1f}{difference:>10.1e}"
        )
        if scale == "large":
            verdict = "met" if series < TARGET_S else "missed"
            print(f"target: every company of the large bank under {TARGET_S:.0f} s: {verdict}")
        print(f"  {len(owners):,} companies have an ultimate owner at or above 25%")


if __name__ == "__main__":
    main()
