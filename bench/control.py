"""Benchmark: consolidation control on the synthetic bank's ownership, by scale.

For each scale the synthetic bank's structure is built in memory (no files, no
Neo4j) and its shareholdings and control links go through the three pure steps of
the ``group_risk`` compute step:

- ``consolidate``: the claims graph to a fixpoint (union-find units, synchronous
  rounds, only changed companies re-examined);
- ``resolve_control``: strongly connected components, roots, every company's
  status, ultimate controllers and path;
- ``build_groups``: groups from the roots' reach, roles, depths, primary groups.

It prints the time per entity side by side, and its ratio to the smallest scale:
a ratio near 1 means the cost grows linearly with the registry.

Run: ``.venv/bin/python bench/control.py [--scales tiny small medium large]``
"""

from __future__ import annotations

import argparse
import gc
import random
import time

from algorithms.control import ControlLink, consolidate, resolve_control
from algorithms.groups import build_groups
from algorithms.ownership import Holding
from loaders.synthetic.plans import build_structure
from loaders.synthetic.scales import SCALES


def inputs(scale: str) -> tuple[list[Holding], list[ControlLink], set[str], int]:
    """Holdings, links, company ids and entity count of one scale's structure."""
    builder = build_structure(SCALES[scale], random.Random(7), 0)
    bank = builder.bank

    def owner_id(kind: str, index: int) -> str:
        return f"C{index}" if kind == "company" else f"P{index}"

    holdings = [
        Holding(owner_id(s.owner.kind, s.owner.index), f"C{s.company}", s.basis_points / 100)
        for s in bank.shareholdings
    ]
    links = [
        ControlLink(
            owner_id(link.controller.kind, link.controller.index), f"C{link.company}", link.basis
        )
        for link in bank.control_links
    ]
    companies = {f"C{c.index}" for c in bank.companies}
    return holdings, links, companies, len(bank.companies) + len(bank.persons)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", nargs="+", default=["tiny", "small", "medium"])
    args = parser.parse_args()
    rows = []
    for scale in args.scales:
        holdings, links, companies, entities = inputs(scale)
        gc.collect()
        start = time.perf_counter()
        graph = consolidate(holdings, links)
        consolidated = time.perf_counter()
        result = resolve_control(graph, companies)
        resolved = time.perf_counter()
        groups = build_groups(result)
        done = time.perf_counter()
        rows.append(
            (
                scale,
                entities,
                len(holdings),
                graph.rounds,
                len(groups),
                consolidated - start,
                resolved - consolidated,
                done - resolved,
            )
        )
    base = (rows[0][5] + rows[0][6] + rows[0][7]) / rows[0][1]
    print(
        f"{'scale':<8}{'entities':>10}{'holdings':>10}{'rounds':>7}{'groups':>8}"
        f"{'consolidate s':>15}{'resolve s':>11}{'groups s':>10}{'µs/entity':>11}{'ratio':>7}"
    )
    for scale, entities, held, rounds, group_count, c, r, g in rows:
        per = (c + r + g) / entities
        print(
            f"{scale:<8}{entities:>10,}{held:>10,}{rounds:>7}{group_count:>8,}"
            f"{c:>15.2f}{r:>11.2f}{g:>10.2f}{per * 1e6:>11.1f}{per / base:>7.2f}"
        )


if __name__ == "__main__":
    main()
