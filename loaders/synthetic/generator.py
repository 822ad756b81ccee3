"""``generate_bank``: build a synthetic bank, write its files and its ``truth.json``."""

from __future__ import annotations

import json
import logging
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from core.errors import InputValidationError
from core.names import counterparty_id, name_key
from loaders.contract import CONTRACT, LOAD_ORDER

from .activities import plan_activities
from .control_cases import control_case_truth
from .defects import DefectPlan, IdBook, Row, bad_rows_by_file, plant_defects
from .dependence_cases import dependence_truth
from .flows import FlowPlan
from .hard import harden, used_spellings
from .model import Bank
from .output import ENCODINGS, FILE_FORMATS, TableWriter, format_basis_points, format_cents
from .people_cases import plant_people_cases
from .pipeline import plan_pipeline
from .plans import build_structure, plan_flows
from .relations import plan_relations
from .scales import (
    CONCENTRATION_THRESHOLD_CNY,
    FX_RATES,
    MONTHS,
    SCALES,
    SNAPSHOT_DATES,
    ScaleSpec,
)
from .structure import StructureBuilder
from .targets import target_rows
from .transactions import TransactionStats, write_transactions
from .truth import derive_groups, strongly_connected_components, ultimate_controllers
from .vocabulary import PRODUCTS

logger = logging.getLogger(__name__)

TRUTH_FILE = "truth.json"
DIFFICULTIES = ("standard", "hard")


@dataclass(frozen=True)
class GenerationReport:
    """What :func:`generate_bank` wrote.

    ``rows`` counts every data row of each file (header excluded), ``valid_rows``
    the same less the planted bad rows.
    """

    scale: str
    seed: int
    out_dir: Path
    file_format: str
    encoding: str
    files: dict[str, Path]
    rows: dict[str, int]
    valid_rows: dict[str, int]
    truth_path: Path
    seconds: float


def generate_bank(
    scale: str,
    seed: int,
    out_dir: Path,
    *,
    encoding: str = "utf-8",
    file_format: str = "csv",
    difficulty: str = "standard",
) -> GenerationReport:
    """Generate the synthetic bank of ``scale`` into ``out_dir``.

    Parameters
    ----------
    scale
        ``tiny``, ``small``, ``medium`` or ``large`` (see :data:`~.scales.SCALES`).
    seed
        Everything is drawn from this seed: the same seed writes byte-identical files.
    out_dir
        Created if missing. Files of the contract names in the other format, and an
        old ``truth.json``, are replaced or removed so the folder loads unambiguously.
    encoding
        CSV encoding: ``utf-8``, ``utf-8-sig``, ``gbk`` or ``gb18030``.
    file_format
        ``csv`` or ``parquet`` (every Parquet column is a string).
    difficulty
        ``standard`` (the planted answers stand out) or ``hard`` (hubs, seasonality,
        lumpy purchases, late payments, events of every magnitude, name noise; see
        :mod:`.hard`). The standard bank does not change with this option.

    Returns
    -------
    GenerationReport
        Files, row counts and the path of ``truth.json``.

    Raises
    ------
    InputValidationError
        For an unknown scale, encoding, format or difficulty.
    """
    spec = _checked_spec(scale, encoding, file_format)
    if difficulty not in DIFFICULTIES:
        raise InputValidationError(
            f"unknown difficulty {difficulty!r}; use one of {', '.join(DIFFICULTIES)}"
        )
    started = time.perf_counter()
    rng = random.Random(seed)
    outside_cores = sum(1 for number in range(spec.supply_chains) if number % 4 == 1)
    structure = build_structure(spec, rng, max(0, (spec.prospects - outside_cores) // 2))
    plan = plan_flows(spec, structure, rng)
    hard = harden(spec, structure, plan, seed) if difficulty == "hard" else None
    ids = _assign_ids(structure.bank, rng)
    tables = _tables(structure.bank)
    planted = _verified_truth(structure, tables)
    defects = plant_defects(tables, structure, ids, spec, rng)
    # Its own random stream, drawn last: every other file is the same with or without it.
    relations = plan_relations(structure.bank, seed)
    tables.update(relations.tables)
    # Activities and lost customers: their own stream too, drawn after the rest.
    activities = plan_activities(tables, defects.bad_rows, seed)
    tables["activities"] = activities.activities
    tables["holdings"] = activities.holdings
    defects.bad_rows.extend(activities.bad_rows)
    # Its own stream too, drawn after the people: it only adds rows.
    people = plant_people_cases(
        structure.bank,
        tables,
        relations.truth,
        {structure.bank.companies[i].company_id for i in structure.event_customers}
        | {structure.bank.companies[e.customer].company_id for e in plan.events},
        seed,
    )
    for name, added in people.rows.items():
        tables[name] = [*tables[name], *added]  # after the rows (and bad rows) of the bank
    planted["guarantee_circles"] = sorted([*planted["guarantee_circles"], *people.circles])
    planted["guarantee_chains"] = sorted([*planted["guarantee_chains"], *people.chains])
    # The CRM pipeline and its tracked targets: also a stream of its own, drawn after.
    pipeline = plan_pipeline(structure.bank, seed)
    tables["opportunity_history"] = pipeline.opportunities
    tables["targets"] = sorted([*tables["targets"], *pipeline.targets])
    logger.info("planned the %s bank in %.1f s", scale, time.perf_counter() - started)

    out_dir.mkdir(parents=True, exist_ok=True)
    files = _clear_stale_files(out_dir, file_format)
    rows: dict[str, int] = {}
    for name in LOAD_ORDER:
        if name == "transactions":
            continue
        with TableWriter(files[name], CONTRACT[name].column_names, file_format, encoding) as writer:
            writer.write_rows(tables[name])
            rows[name] = writer.rows_written
    with TableWriter(
        files["transactions"], CONTRACT["transactions"].column_names, file_format, encoding
    ) as writer:
        stats = write_transactions(
            writer,
            plan,
            structure.bank.companies,
            np.random.default_rng(seed),
            [extra for _, extra in defects.transaction_rows],
        )
    rows["transactions"] = stats.rows
    for bad, extra in defects.transaction_rows:
        bad.row = stats.extra_lines[extra.key]
    bad_counts = bad_rows_by_file(defects.bad_rows)
    valid_rows = {name: count - bad_counts.get(name, 0) for name, count in rows.items()}

    truth = {
        **planted,
        **_flow_truth(structure, plan, stats),
        "scale": scale,
        "seed": seed,
        "file_format": file_format,
        "encoding": encoding,
        "months": list(MONTHS),
        "snapshot_dates": list(SNAPSHOT_DATES),
        "counts": {"rows": rows, "valid_rows": valid_rows},
        "bad_rows": _bad_rows_truth(defects),
        "related_parties": relations.truth,
        **activities.truth(),
        "people_cases": people.truth,
        "target_tracking": pipeline.truth,
    }
    if hard is not None:
        truth.update(
            hard.truth(
                lambda party: _party_id(plan, structure, party),
                used_spellings(plan, stats.used_variants),
            )
        )
    truth_path = out_dir / TRUTH_FILE
    truth_path.write_text(
        json.dumps(truth, ensure_ascii=False, sort_keys=True, indent=2) + "\n", encoding="utf-8"
    )
    seconds = time.perf_counter() - started
    logger.info(
        "wrote the %s bank (seed %d): %d companies, %d transactions in %.1f s",
        scale,
        seed,
        rows["companies"],
        rows["transactions"],
        seconds,
    )
    return GenerationReport(
        scale=scale,
        seed=seed,
        out_dir=out_dir,
        file_format=file_format,
        encoding=encoding,
        files=files,
        rows=rows,
        valid_rows=valid_rows,
        truth_path=truth_path,
        seconds=seconds,
    )


def _checked_spec(scale: str, encoding: str, file_format: str) -> ScaleSpec:
    if scale not in SCALES:
        raise InputValidationError(f"unknown scale {scale!r}; use one of {', '.join(SCALES)}")
    if file_format not in FILE_FORMATS:
        raise InputValidationError(
            f"unknown format {file_format!r}; use one of {', '.join(FILE_FORMATS)}"
        )
    if encoding not in ENCODINGS:
        raise InputValidationError(
            f"unsupported encoding {encoding!r}; use one of {', '.join(ENCODINGS)}"
        )
    return SCALES[scale]


def _clear_stale_files(out_dir: Path, file_format: str) -> dict[str, Path]:
    """Paths to write; removes same-named files of the other format (the loader refuses both)."""
    other = "parquet" if file_format == "csv" else "csv"
    files = {}
    for name in LOAD_ORDER:
        stale = out_dir / f"{name}.{other}"
        if stale.is_file():
            logger.info("removing %s: this folder now holds %s files", stale.name, file_format)
            stale.unlink()
        files[name] = out_dir / f"{name}.{file_format}"
    return files


def _shuffled_numbers(count: int, rng: random.Random) -> list[int]:
    numbers = list(range(1, count + 1))
    rng.shuffle(numbers)
    return numbers


def _assign_ids(bank: Bank, rng: random.Random) -> IdBook:
    """Public ids from seeded permutations, so an id reveals nothing about a role.

    One number of each kind is kept back for the bad rows.
    """
    numbers = _shuffled_numbers(len(bank.companies) + 1, rng)
    for company, number in zip(bank.companies, numbers, strict=False):
        company.company_id = f"C{number:07d}"
    for person, number in zip(bank.persons, _shuffled_numbers(len(bank.persons), rng), strict=True):
        person.person_id = f"P{number:07d}"
    guarantee_numbers = _shuffled_numbers(len(bank.guarantees) + 1, rng)
    facility_numbers = _shuffled_numbers(len(bank.facilities) + 1, rng)
    bank.guarantee_ids = [f"G{n:07d}" for n in guarantee_numbers[:-1]]
    bank.facility_ids = [f"F{n:07d}" for n in facility_numbers[:-1]]
    return IdBook(
        spare_company_id=f"C{numbers[-1]:07d}",
        unknown_company_id=f"C{len(numbers) + rng.randint(100, 999):07d}",
        spare_guarantee_id=f"G{guarantee_numbers[-1]:07d}",
        spare_facility_id=f"F{facility_numbers[-1]:07d}",
    )


def _tables(bank: Bank) -> dict[str, list[Row]]:
    """Every file but transactions as sorted rows of text, in contract column order."""
    companies, persons = bank.companies, bank.persons

    def owner_id(kind: str, index: int) -> str:
        return companies[index].company_id if kind == "company" else persons[index].person_id

    tables: dict[str, list[Row]] = {
        "branches": list(bank.branches),
        "relationship_managers": sorted(bank.rms),
        "companies": sorted(
            (
                c.company_id,
                c.name,
                c.uscc,
                "true" if c.is_customer else "false",
                c.segment,
                c.industry,
                c.region,
                c.branch_id,
                c.rm_id,
                format_cents(c.capital_cents),
                c.founded,
                c.status,
            )
            for c in companies
        ),
        "persons": sorted((p.person_id, p.name) for p in persons),
        "products": sorted(PRODUCTS),
        "shareholdings": sorted(
            (
                (
                    owner_id(s.owner.kind, s.owner.index),
                    s.owner.kind,
                    companies[s.company].company_id,
                    format_basis_points(s.basis_points),
                    s.as_of,
                )
                for s in bank.shareholdings
            ),
            key=lambda row: (row[2], row[0]),
        ),
        "control_links": sorted(
            (
                (
                    owner_id(link.controller.kind, link.controller.index),
                    link.controller.kind,
                    companies[link.company].company_id,
                    link.basis,
                )
                for link in bank.control_links
            ),
            key=lambda row: (row[2], row[0]),
        ),
        "supply_links": sorted(
            (
                companies[s.supplier].company_id,
                companies[s.buyer].company_id,
                format_cents(s.annual_cents),
                s.currency,
                s.category,
                s.since,
            )
            for s in bank.supply_links
        ),
        "guarantees": sorted(
            (
                guarantee_id,
                companies[g.guarantor].company_id,
                companies[g.borrower].company_id,
                format_cents(g.amount_cents),
                "CNY",
                g.start_date,
                g.end_date,
            )
            for guarantee_id, g in zip(bank.guarantee_ids, bank.guarantees, strict=True)
        ),
        "facilities": sorted(
            (
                facility_id,
                companies[f.customer].company_id,
                f.product,
                format_cents(f.limit_cents),
                format_cents(f.outstanding_cents),
                f.currency,
                f.maturity,
            )
            for facility_id, f in zip(bank.facility_ids, bank.facilities, strict=True)
        ),
        "holdings": sorted(
            (
                companies[h.customer].company_id,
                h.product,
                format_cents(h.balance_cents),
                h.currency,
                h.opened,
            )
            for h in bank.holdings
        ),
        "segment_snapshots": sorted(
            (companies[s.customer].company_id, s.as_of, s.segment) for s in bank.snapshots
        ),
        "fx_rates": sorted(FX_RATES),
        "targets": target_rows(bank),
    }
    return tables


def _verified_truth(structure: StructureBuilder, tables: dict[str, list[Row]]) -> dict[str, Any]:
    """The structural truth as planted, after checking it against the good rows.

    Raises
    ------
    RuntimeError
        When the rows do not say what was planted: a bug in the generator.
    """
    bank = structure.bank
    companies = bank.companies

    def public(kind: str, index: int) -> str:
        return companies[index].company_id if kind == "company" else bank.persons[index].person_id

    planted_controllers = {
        companies[company].company_id: [public(owner.kind, owner.index)]
        for company, owner in bank.controllers.items()
    }
    for company, owners in bank.control.joint.items():
        planted_controllers[companies[company].company_id] = sorted(
            public(o.kind, o.index) for o in owners
        )
    derived = ultimate_controllers(
        [(r[1], r[0], r[2], r[3]) for r in tables["shareholdings"]],
        [(r[1], r[0], r[2]) for r in tables["control_links"]],
    )
    if derived != planted_controllers:
        raise RuntimeError("ultimate controllers in the rows differ from the planted ones")
    planted_groups = sorted(
        (
            {
                "controller": public(g.controller.kind, g.controller.index),
                "members": sorted(companies[m].company_id for m in g.members),
            }
            for g in bank.groups
        ),
        key=lambda g: str(g["controller"]),
    )
    company_ids = {c.company_id for c in companies}
    if derive_groups(derived, company_ids) != planted_groups:
        raise RuntimeError("groups in the rows differ from the planted ones")
    circles = sorted(sorted(companies[m].company_id for m in c) for c in bank.guarantee_circles)
    if strongly_connected_components((r[1], r[2]) for r in tables["guarantees"]) != circles:
        raise RuntimeError("guarantee circles in the rows differ from the planted ones")

    threshold = CONCENTRATION_THRESHOLD_CNY
    outstanding: dict[str, int] = {}
    for row in tables["facilities"]:
        if row[5] == "CNY":
            whole, cents = row[4].split(".")
            outstanding[row[1]] = outstanding.get(row[1], 0) + int(whole) * 100 + int(cents)
    over = []
    planted_over = {
        public(bank.groups[n].controller.kind, bank.groups[n].controller.index)
        for n in bank.over_concentrated
    }
    for entry in planted_groups:
        total = sum(outstanding.get(m, 0) for m in entry["members"])
        is_over = total >= threshold * 100
        if is_over != (entry["controller"] in planted_over):
            raise RuntimeError(f"concentration of group {entry['controller']} is not as planned")
        if is_over:
            over.append({"controller": entry["controller"], "outstanding_cny": format_cents(total)})

    details = []
    for group in bank.groups:
        details.append(
            {
                "controller": public(group.controller.kind, group.controller.index),
                "controller_type": group.controller.kind,
                "top_company": companies[group.top].company_id,
                "levels": group.levels,
                "size": len(group.members),
                "customers": sum(companies[m].is_customer for m in group.members),
            }
        )
    chains = [
        {
            "core": companies[chain.core].company_id,
            "tier1_suppliers": sorted(companies[m].company_id for m in chain.tier1_suppliers),
            "tier2_suppliers": sorted(companies[m].company_id for m in chain.tier2_suppliers),
            "tier1_buyers": sorted(companies[m].company_id for m in chain.tier1_buyers),
            "tier2_buyers": sorted(companies[m].company_id for m in chain.tier2_buyers),
        }
        for chain in bank.supply_chains
    ]
    return {
        "ultimate_controllers": dict(sorted(planted_controllers.items())),
        **control_case_truth(bank, public),
        "groups": planted_groups,
        "group_details": sorted(details, key=lambda d: str(d["controller"])),
        "joint_ventures": sorted(companies[j].company_id for j in bank.joint_ventures),
        "ownership_cycles": sorted(
            sorted(companies[m].company_id for m in ring) for ring in bank.ownership_cycles
        ),
        "guarantee_circles": circles,
        "guarantee_chains": sorted(
            [companies[m].company_id for m in path] for path in bank.guarantee_chains
        ),
        "concentration_threshold_cny": format_cents(int(threshold * 100)),
        "over_concentration": sorted(over, key=lambda o: o["controller"]),
        "core_enterprises": sorted(
            companies[chain.core].company_id for chain in bank.supply_chains
        ),
        "supply_chains": sorted(chains, key=lambda c: str(c["core"])),
        "segment_migrations": sorted(
            (
                {"customer_id": companies[c].company_id, "from": old, "to": new, "as_of": as_of}
                for c, old, new, as_of in bank.segment_migrations
            ),
            key=lambda m: (m["customer_id"], m["as_of"]),
        ),
        "cross_sell_gaps": sorted(
            (
                {"customer_id": companies[c].company_id, "product_code": product}
                for c, product in bank.cross_sell_gaps
            ),
            key=lambda g: (g["customer_id"], g["product_code"]),
        ),
    }


def _party_id(plan: FlowPlan, structure: StructureBuilder, party: int) -> str:
    """A party's company id; a name-only party gets the loader's id for its name."""
    if party < plan.company_count:
        return structure.bank.companies[party].company_id
    return counterparty_id(name_key(plan.parties[party - plan.company_count].name))


def _flow_truth(
    structure: StructureBuilder, plan: FlowPlan, stats: TransactionStats
) -> dict[str, Any]:
    """Prospects, events, name variants and the counterparties the loader will create."""
    companies = structure.bank.companies

    def pid(party: int) -> str:
        return _party_id(plan, structure, party)

    prospects = []
    for party in plan.prospects:
        name = (
            companies[party].name
            if party < plan.company_count
            else plan.parties[party - plan.company_count].name
        )
        prospects.append(
            {
                "id": pid(party),
                "name": name,
                "in_companies": party < plan.company_count,
                "customers": sorted(pid(c) for c in plan.prospect_ties[party]),
                "via_supply_links": party in plan.prospect_supply,
            }
        )
    events = sorted(plan.events, key=lambda e: pid(e.customer))
    duplicates = []
    created: set[str] = set()
    used = stats.used_variants
    start = 1  # the variant table's first entry is a placeholder
    for party, spellings in plan.variants.items():
        seen = [s for offset, s in enumerate(spellings) if used[start + offset]]
        start += len(spellings)
        if party >= plan.company_count and seen:
            created.add(pid(party))
        others = sorted({s for s in seen if s != spellings[0]})
        if others:
            duplicates.append(
                {"company_id": pid(party), "name": spellings[0], "variant_names": others}
            )
    total_rows = max(1, sum(stats.rows_per_month.values()))
    return {
        "prospects": sorted(p["id"] for p in prospects),
        "prospect_details": sorted(prospects, key=lambda p: str(p["id"])),
        "dissolved_decoys": sorted(pid(d) for d in plan.decoys),
        "events": [
            {"customer_id": pid(e.customer), "type": e.kind, "month": MONTHS[e.month - 1]}
            for e in events
        ],
        "event_details": [
            {
                "customer_id": pid(e.customer),
                "type": e.kind,
                "month": MONTHS[e.month - 1],
                "counterparty_id": pid(e.counterparty) if e.counterparty >= 0 else None,
                "planted_measure": e.measure,
            }
            for e in events
        ],
        "duplicates": sorted(duplicates, key=lambda d: str(d["company_id"])),
        "new_counterparties": {"count": len(created), "ids": sorted(created)},
        "name_only_sides": {
            "count": stats.named_sides,
            "share_of_transactions": f"{stats.named_sides / total_rows:.3f}",
        },
        "transactions_per_month": stats.rows_per_month,
        "economic_dependence": dependence_truth(plan.dependence, companies),
    }


def _bad_rows_truth(defects: DefectPlan) -> list[dict[str, Any]]:
    return sorted(
        ({"file": b.file, "row": b.row, "reason": b.reason.value} for b in defects.bad_rows),
        key=lambda b: (LOAD_ORDER.index(str(b["file"])), int(b["row"])),
    )


def scale_names() -> Sequence[str]:
    """The scales, smallest first (for a CLI's choices)."""
    return tuple(SCALES)
