"""Benchmark: detection and ranking quality on the standard and the hard synthetic bank.

It starts its own embedded Neo4j (a temporary CORPGRAPH_HOME and a free port), and
for each bank (same scale and seed): generates it, loads it, computes group risk,
prospects and events at the default settings, and scores against ``truth.json``:

- **events**: precision, recall and F1 per planted type at the defaults, and a
  precision-recall curve over each type's main threshold (large outflow: the
  outflow ratio; counterparty loss and new major counterparty: the counterparty
  share; dormancy: the silent months), from the same flows read back from Neo4j;
- **prospects**: precision@50, precision@100, NDCG@100, and hubs in the top 50;
- **entity resolution**: pairwise precision, recall and F1 over every payment side
  known by name, the same over the companies with noisy spellings only, and the
  review queue (pending pairs, and their share of the counterparties).

The standard bank's name truth is its own definition: a spelling belongs to the
registered company with its normalised name, else to the counterparty with that
name; there, any fuzzy merge is a false one.

Writes ``bench/results/quality.json``, ``quality.md`` (the tables) and
``quality-pr.png`` (the curves; matplotlib is a dev dependency).

Run: ``.venv/bin/python bench/quality.py [--scale small] [--seed 1] [--out bench/results]``
"""

from __future__ import annotations

import argparse
import csv
import json
import tempfile
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

from _common import free_port

from algorithms.events import EventConfig, detect_flow_events
from core.names import counterparty_id, name_key
from core.settings import Settings
from graph.compute_runs import published_runs
from graph.database import Database, create_driver
from graph.local_server import LocalNeo4j, resolve_connection
from graph.schema import apply_schema, wipe
from loaders.pipeline import forget_ledger, load_directory
from loaders.synthetic import generate_bank
from loaders.synthetic.scoring import (
    entity_of_companies,
    event_scores,
    ranking_quality,
    resolution_quality,
)
from services.compute import run_compute
from services.events import event_config, read_flows

TYPES = ("large_outflow", "counterparty_loss", "new_major_counterparty", "dormancy")
#: The main threshold of each type and the values the curve visits.
CURVES: dict[str, tuple[str, list[float]]] = {
    "large_outflow": (
        "flow_ratio",
        [1.5, 1.75, 2.0, 2.25, 2.5, 2.75, 3.0, 3.5, 4.0, 5.0, 6.0, 8.0],
    ),
    "counterparty_loss": (
        "counterparty_share",
        [0.1, 0.15, 0.2, 0.225, 0.25, 0.275, 0.3, 0.35, 0.4, 0.5, 0.6],
    ),
    "new_major_counterparty": (
        "counterparty_share",
        [0.1, 0.15, 0.2, 0.225, 0.25, 0.275, 0.3, 0.35, 0.4, 0.5, 0.6],
    ),
    "dormancy": ("dormancy_months", [1, 2, 3, 4, 5, 6]),
}
EVENTS = (
    "MATCH (e:Event)-[:ABOUT]->(c:Company) "
    "RETURN c.company_id AS customer, e.type AS type, e.month AS month"
)
PROSPECTS = (
    "MATCH (c:Prospect {run_id: $prospect_run}) RETURN c.company_id AS id ORDER BY c.prospect_rank"
)
PENDING = "MATCH (k:ResolutionCandidate {status: 'pending'}) RETURN count(k) AS n"


def standard_identities(bank: Path, names: set[str]) -> dict[str, dict[str, str]]:
    """The standard bank's own name truth: registered by normalised name, else by name."""
    with (bank / "companies.csv").open(encoding="utf-8", newline="") as handle:
        registered = {name_key(r["name"]): r["company_id"] for r in csv.DictReader(handle)}
    return {
        n: {"id": registered.get(name_key(n), counterparty_id(name_key(n))), "kind": "canonical"}
        for n in names
    }


def evaluate(db: Database, settings: Settings, bank: Path, difficulty: str) -> dict[str, Any]:
    truth = json.loads((bank / "truth.json").read_text(encoding="utf-8"))
    forget_ledger(db, settings)
    wipe(db)
    started = time.perf_counter()
    report = load_directory(db, bank, settings, rejects_path=bank / "rejects.csv")
    load_seconds = time.perf_counter() - started
    started = time.perf_counter()
    run_compute(db, settings, only={"group_risk", "prospects", "events"})
    compute_seconds = time.perf_counter() - started

    with (bank / "rejects.resolutions.csv").open(encoding="utf-8-sig", newline="") as handle:
        resolved = [(r["name"], r["uscc"], r["company_id"]) for r in csv.DictReader(handle)]
    if "name_identities" not in truth:
        truth["name_identities"] = standard_identities(bank, {n for n, _, _ in resolved})
    pending = db.read_one(PENDING)
    resolution = resolution_quality(truth, resolved, int(pending["n"]) if pending else 0)

    found = {
        (str(r["customer"]), str(r["type"]), str(r["month"]))
        for r in db.read(EVENTS)
        if r["type"] in TYPES
    }
    events = event_scores(found, truth, TYPES)

    entity_of = entity_of_companies(truth, resolved)
    ranked = [str(r["id"]) for r in db.read(PROSPECTS, published_runs(db).parameters())]
    ranking = ranking_quality(ranked, truth, entity_of)

    flows = read_flows(db, settings.events_currency)
    defaults = event_config(settings)
    curves: dict[str, list[dict[str, float]]] = {}
    for kind, (parameter, values) in CURVES.items():
        points = []
        for value in values:
            config = EventConfig(**{**asdict(defaults), parameter: value})
            detected = {
                (e.customer_id, e.type, e.month)
                for e in detect_flow_events(flows, config)
                if e.type == kind
            }
            score = event_scores(detected, truth, (kind,))[kind]
            points.append(
                {"threshold": value, "precision": score.precision, "recall": score.recall}
            )
        curves[kind] = points
    return {
        "difficulty": difficulty,
        "load_seconds": round(load_seconds, 1),
        "compute_seconds": round(compute_seconds, 1),
        "events": {k: asdict(v) for k, v in events.items()},
        "prospects": asdict(ranking),
        "resolution": {
            "all": asdict(resolution.all_records),
            "noisy": asdict(resolution.noisy_records),
            "records": resolution.records,
            "counterparties": resolution.counterparties,
            "review_queue": resolution.review_queue,
            "queue_share": round(resolution.queue_share, 5),
            "matching": asdict(report.matching) if report.matching else None,
        },
        "curves": curves,
    }


def markdown(results: list[dict[str, Any]], scale: str, seed: int) -> str:
    lines = [
        f"Quality on the {scale} synthetic bank, seed {seed}, default settings "
        "(`bench/quality.py`).",
        "",
        "| figure | " + " | ".join(r["difficulty"] for r in results) + " |",
        "|---|" + "---|" * len(results),
    ]
    for kind in TYPES:
        cells = [
            f"{r['events'][kind]['precision']:.2f} / {r['events'][kind]['recall']:.2f} / "
            f"**{r['events'][kind]['f1']:.2f}**"
            for r in results
        ]
        lines.append(f"| events `{kind}`: P / R / F1 | " + " | ".join(cells) + " |")
    for key, label in (
        ("precision_at_50", "prospects precision@50"),
        ("precision_at_100", "prospects precision@100"),
        ("ndcg_at_100", "prospects NDCG@100"),
        ("hubs_in_top_50", "hubs in the top 50"),
    ):
        lines.append(f"| {label} | " + " | ".join(str(r["prospects"][key]) for r in results) + " |")
    for key, label in (("all", "every named side"), ("noisy", "companies with noisy names")):
        cells = [
            f"{r['resolution'][key]['precision']:.3f} / {r['resolution'][key]['recall']:.3f} / "
            f"**{r['resolution'][key]['f1']:.3f}**"
            for r in results
        ]
        lines.append(f"| entity resolution, {label}: P / R / F1 | " + " | ".join(cells) + " |")
    cells = [
        f"{r['resolution']['review_queue']:,} of {r['resolution']['counterparties']:,} "
        f"({100 * r['resolution']['queue_share']:.2f}%)"
        for r in results
    ]
    lines.append("| review queue (pending pairs of counterparties) | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def plot(results: list[dict[str, Any]], path: Path) -> None:
    """Per type: the precision-recall curve (top) and both against the threshold (bottom)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    defaults = {kind: getattr(EventConfig(), CURVES[kind][0]) for kind in TYPES}
    figure, axes = plt.subplots(2, len(TYPES), figsize=(4.0 * len(TYPES), 7.2))
    for column, kind in enumerate(TYPES):
        parameter = CURVES[kind][0]
        top, bottom = axes[0][column], axes[1][column]
        for result, colour in zip(results, ("tab:blue", "tab:orange"), strict=False):
            points = result["curves"][kind]
            label = result["difficulty"]
            precision = [p["precision"] for p in points]
            recall = [p["recall"] for p in points]
            thresholds = [p["threshold"] for p in points]
            top.plot(recall, precision, "o-", color=colour, label=label, markersize=4)
            bottom.plot(
                thresholds, precision, "o-", color=colour, markersize=3, label=f"{label}: precision"
            )
            bottom.plot(
                thresholds, recall, "s--", color=colour, markersize=3, label=f"{label}: recall"
            )
            for p in points:
                if p["threshold"] == defaults[kind]:
                    top.plot(p["recall"], p["precision"], "*", color=colour, markersize=14)
        top.set_title(f"{kind}\n(curve over {parameter}; star: the default)", fontsize=9)
        top.set_xlabel("recall")
        top.set_ylabel("precision")
        top.set_xlim(-0.02, 1.02)
        top.set_ylim(-0.02, 1.02)
        top.grid(alpha=0.3)
        top.legend(fontsize=7, loc="lower left")
        bottom.axvline(defaults[kind], color="grey", linestyle=":", linewidth=1)
        bottom.set_xlabel(f"{parameter} (dotted: the default)")
        bottom.set_ylim(-0.02, 1.02)
        bottom.grid(alpha=0.3)
        bottom.legend(fontsize=6, loc="lower left")
    figure.tight_layout()
    figure.savefig(path, dpi=100)


def curve_table(results: list[dict[str, Any]]) -> str:
    """The curves as tables: precision / recall at each threshold, per bank."""
    lines = []
    for kind in TYPES:
        parameter = CURVES[kind][0]
        lines += [
            "",
            f"`{kind}` over `{parameter}` (precision / recall):",
            "",
            f"| {parameter} | " + " | ".join(r["difficulty"] for r in results) + " |",
            "|---|" + "---|" * len(results),
        ]
        for position, value in enumerate(CURVES[kind][1]):
            cells = [
                f"{r['curves'][kind][position]['precision']:.2f} / "
                f"{r['curves'][kind][position]['recall']:.2f}"
                for r in results
            ]
            lines.append(f"| {value:g} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scale", default="small")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results")
    parser.add_argument(
        "--replot", action="store_true", help="only redraw the tables and plot from quality.json"
    )
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    if args.replot:
        saved = json.loads((args.out / "quality.json").read_text(encoding="utf-8"))
        write_reports(saved["results"], saved["scale"], saved["seed"], args.out)
        return

    with tempfile.TemporaryDirectory(prefix="corpgraph-quality-") as tmp:
        settings = Settings(
            _env_file=None,
            home=Path(f"{tmp}/home"),
            local_neo4j_port=free_port(),
            local_neo4j_heap="3g",
            local_neo4j_pagecache="1g",
        )
        local = LocalNeo4j(settings)
        local.start()
        connection = resolve_connection(settings)
        driver = create_driver(connection, settings)
        db = Database(driver, connection.database)
        results = []
        try:
            apply_schema(db)
            for difficulty in ("standard", "hard"):
                bank = Path(tmp) / difficulty
                generate_bank(args.scale, args.seed, bank, difficulty=difficulty)
                result = evaluate(db, settings, bank, difficulty)
                results.append(result)
                print(json.dumps({k: v for k, v in result.items() if k != "curves"}, indent=1))
        finally:
            driver.close()
            local.stop()
    (args.out / "quality.json").write_text(
        json.dumps({"scale": args.scale, "seed": args.seed, "results": results}, indent=1) + "\n",
        encoding="utf-8",
    )
    write_reports(results, args.scale, args.seed, args.out)


def write_reports(results: list[dict[str, Any]], scale: str, seed: int, out: Path) -> None:
    """The tables (printed and ``quality.md``) and the plot."""
    table = markdown(results, scale, seed)
    print(table)
    (out / "quality.md").write_text(table + curve_table(results), encoding="utf-8")
    plot(results, out / "quality-pr.png")
    print(f"wrote {out / 'quality.md'}, quality.json and quality-pr.png")


if __name__ == "__main__":
    main()
