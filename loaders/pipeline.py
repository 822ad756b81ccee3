"""``corpgraph load``: validate a folder of bank files and load it into Neo4j.

Valid rows load; rejected rows go to the rejects file with file, row, field and
reason. A load is idempotent (MERGE on business keys, flows recomputed from the
ledger) and resumable (run it again after a kill and it completes with nothing
duplicated).
"""

from __future__ import annotations

import csv
import logging
import tempfile
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, Protocol

from core.errors import InputValidationError
from core.settings import Settings
from core.spreadsheet import safe_row
from graph import load_writes
from graph.branches import BranchTree
from graph.database import Database
from graph.load_writes import EXISTING_IDS, Upsert, graph_instance_id

from . import resolution_load
from .contract import CONTRACT, LOAD_ORDER, FileSpec
from .flows import FlowLedger, TransactionsResult
from .reading import InputFile, find_input_files, has_data_rows, iter_rows, read_header
from .resolution import Resolution
from .validation import (
    FileResult,
    Record,
    Reject,
    check_key_person_identities,
    check_references,
    check_share_totals,
    missing_columns,
    validate_rows,
)
from .writers import STATEMENTS, counterparty_rows, statement_rows

logger = logging.getLogger(__name__)

REJECT_COLUMNS: Final = ("file", "row", "field", "reason", "message")


class Progress(Protocol):
    """Where a load reports progress: one task per step, advanced by rows."""

    def task(self, label: str, total: int | None) -> Callable[[int], None]: ...


class NoProgress:
    """Progress that goes nowhere (library use, tests)."""

    def task(self, label: str, total: int | None) -> Callable[[int], None]:
        return lambda _n: None


@dataclass
class FileSummary:
    """Counts for one input file."""

    file: str
    read: int = 0
    loaded: int = 0
    rejected: int = 0
    identical_duplicates: int = 0
    already_loaded: int = 0


@dataclass
class LoadReport:
    """Everything a load did."""

    directory: Path
    files: list[FileSummary] = field(default_factory=list)
    rejects: list[Reject] = field(default_factory=list)
    rejects_path: Path | None = None
    resolutions_path: Path | None = None
    resolution_methods: Counter[str] = field(default_factory=Counter)
    created_counterparties: int = 0
    flows_written: int = 0
    #: Of those, the flows written through the update path (their key may have been there).
    flows_updated: int = 0
    ledger_path: Path | None = None
    matching: resolution_load.MatchingSummary | None = None

    def summary(self, name: str) -> FileSummary | None:
        return next((f for f in self.files if f.file == name), None)


def ledger_path(settings: Settings, instance_id: str) -> Path:
    """Where the flow ledger of one graph instance lives."""
    return settings.home.expanduser() / "ledgers" / f"{instance_id}.duckdb"


def forget_ledger(db: Database, settings: Settings) -> Path | None:
    """Delete the flow ledger of the graph (call it when the graph is wiped)."""
    instance_id = load_writes.read_instance_id(db)
    if instance_id is None:
        return None
    path = ledger_path(settings, instance_id)
    path.unlink(missing_ok=True)
    path.with_name(path.name + ".wal").unlink(missing_ok=True)
    return path


def _check_headers(files: dict[str, InputFile]) -> None:
    for name, source in files.items():
        missing = missing_columns(CONTRACT[name], read_header(source))
        if missing:
            raise InputValidationError(
                f"{source.path.name} lacks required columns: {', '.join(missing)}",
                details={"file": source.path.name, "missing_columns": missing},
            )


def _validate_file(
    spec: FileSpec,
    source: InputFile,
    known: dict[str, set[str]],
    db: Database,
    settings: Settings,
) -> FileResult:
    result = validate_rows(
        spec,
        iter_rows(source, max_line=settings.max_csv_line_bytes),
        max_field_chars=settings.max_field_chars,
    )
    if spec.name == "branches":
        # Parents may come later in the same file, or from an earlier load.
        own = {r["branch_id"] for r in result.records}
        known["branches.branch_id"] = known.get("branches.branch_id", set()) | own
        parents = load_writes.read_branch_parents(db)
        check_references(result, spec, known)
        parents.update({r["branch_id"]: r["parent_branch_id"] for r in result.records})
        BranchTree.from_parents(parents)  # a cycle is fatal: the tree would be meaningless
        known["branches.branch_id"] = set(parents)
        return result
    check_references(result, spec, known)
    if spec.name == "shareholdings":
        check_share_totals(result)
    if spec.name == "key_persons":
        persons = known.setdefault("persons.person_id", set())
        persons |= check_key_person_identities(result, persons)
    for column in spec.key[:1]:
        reference = f"{spec.name}.{column}"
        if reference in EXISTING_IDS:
            known[reference] = known.get(reference, set()) | {r[column] for r in result.records}
    return result


def _write_records(db: Database, name: str, records: Sequence[Record], progress: Progress) -> None:
    for statement in STATEMENTS[name]:
        rows = list(statement_rows(statement, records))
        if not rows:
            continue
        advance = progress.task(f"writing {name}", len(rows))
        load_writes.upsert(db, statement.target, rows, on_batch=advance)


def _load_transactions(
    db: Database,
    source: InputFile,
    settings: Settings,
    companies: Sequence[Record],
    known_companies: set[str],
    report: LoadReport,
    progress: Progress,
) -> TransactionsResult:
    path = ledger_path(settings, graph_instance_id(db))
    report.ledger_path = path
    existing = load_writes.read_existing_ids(db, "companies.company_id")
    with FlowLedger(
        path,
        memory_limit=settings.flow_ledger_memory,
        resolving_memory_limit=settings.flow_ledger_memory_resolving,
    ) as ledger:
        progress.task("resolving counterparties", None)
        matcher = resolution_load.ledger_resolver(db, settings, companies, ledger)
        staged = ledger.stage(
            source,
            matcher,
            known_companies | existing,
            max_field_chars=settings.max_field_chars,
            max_line_bytes=settings.max_csv_line_bytes,
        )
        created = staged.created_companies
        if created:
            advance = progress.task("creating counterparties", len(created))
            load_writes.upsert(
                db, Upsert.COUNTERPARTIES, counterparty_rows(created), on_batch=advance
            )
        resolution_load.forget_moved_flows(db, staged)
        advance = progress.task("writing monthly flows", staged.flow_keys)
        for batch in ledger.flow_writes(
            db.write_batch_size, graph_pays_edges=load_writes.count_flows(db)
        ):
            load_writes.write_flows(db, batch.rows, may_exist=batch.may_exist, on_batch=advance)
            report.flows_written += len(batch.rows)
            if batch.may_exist:
                report.flows_updated += len(batch.rows)
        report.matching = resolution_load.store_outcome(db, staged, matcher)
        ledger.flows_written()
    return staged


def _write_rejects(path: Path, rejects: Sequence[Reject]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    # UTF-8 with BOM so that Excel shows the Chinese messages correctly.
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(REJECT_COLUMNS)
        for r in sorted(rejects, key=lambda r: (LOAD_ORDER.index(r.file), r.row)):
            writer.writerow(safe_row([r.file, r.row, r.field, r.reason.value, r.message]))


def _write_resolutions(path: Path, resolutions: Sequence[Resolution]) -> None:
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["name", "uscc", "company_id", "method", "candidates", "note"])
        for r in sorted(resolutions, key=lambda r: (r.method, r.name)):
            writer.writerow(
                safe_row(
                    [
                        r.name,
                        r.uscc or "",
                        r.company_id or "",
                        r.method,
                        " ".join(r.candidates),
                        r.note,
                    ]
                )
            )


def load_directory(
    db: Database,
    directory: Path,
    settings: Settings,
    *,
    rejects_path: Path,
    encoding: str | None = None,
    progress: Progress | None = None,
) -> LoadReport:
    """Validate and load every contract file found in ``directory``.

    Raises
    ------
    InputValidationError
        Fatal input problems: no ``companies`` file, an unreadable file, a file
        missing required columns, or a cyclic branch tree. Nothing is written then.
    DatabaseUnavailableError
        Neo4j is down.
    """
    sink = progress or NoProgress()
    files = find_input_files(directory, LOAD_ORDER, encoding)
    for name in [n for n, source in files.items() if not CONTRACT[n].required_file]:
        if not has_data_rows(files[name]):
            # An optional file with no rows (0 bytes, or a header only) is absent.
            logger.info("%s has no rows; treated as absent", files[name].path.name)
            del files[name]
    if "companies" not in files:
        raise InputValidationError(
            f"{directory} has no companies.csv or companies.parquet; it is required"
        )
    _check_headers(files)
    report = LoadReport(directory=directory)
    known: dict[str, set[str]] = {
        ref: load_writes.read_existing_ids(db, ref) for ref in EXISTING_IDS
    }
    results: dict[str, FileResult] = {}
    for name in LOAD_ORDER:
        if name == "transactions" or name not in files:
            continue
        sink.task(f"validating {name}", None)
        results[name] = _validate_file(CONTRACT[name], files[name], known, db, settings)
    for name, result in results.items():
        _write_records(db, name, result.records, sink)
        report.files.append(
            FileSummary(
                name,
                read=result.read,
                loaded=len(result.records),
                rejected=len(result.rejects),
                identical_duplicates=result.identical_duplicates,
            )
        )
        report.rejects.extend(result.rejects)
    resolutions: list[Resolution] = []
    if "transactions" in files:
        companies = results["companies"].records
        staged = _load_transactions(
            db,
            files["transactions"],
            settings,
            companies,
            known["companies.company_id"],
            report,
            sink,
        )
        resolutions = staged.resolutions
        report.files.append(
            FileSummary(
                "transactions",
                read=staged.read,
                loaded=staged.new,
                rejected=len(staged.rejects),
                identical_duplicates=staged.identical_duplicates,
                already_loaded=staged.already_loaded,
            )
        )
        report.rejects.extend(staged.rejects)
        report.created_counterparties = len(staged.created_companies)
        report.resolution_methods = Counter(r.method for r in resolutions)
    load_writes.derive_customer_exposure(db)
    load_writes.new_data_version(db)
    _write_rejects(rejects_path, report.rejects)
    report.rejects_path = rejects_path
    if resolutions:
        report.resolutions_path = rejects_path.with_name(rejects_path.stem + ".resolutions.csv")
        _write_resolutions(report.resolutions_path, resolutions)
    logger.info(
        "loaded %s: %d rejects, %d flows written",
        directory.name,
        len(report.rejects),
        report.flows_written,
    )
    return report


def apply_resolution(
    db: Database, settings: Settings, *, progress: Progress | None = None
) -> LoadReport:
    """Resolve every kept counterparty side again, with the decisions now in force, and
    rewrite the flows of the companies that change: a load without new data."""
    sink = progress or NoProgress()
    with tempfile.TemporaryDirectory(prefix="corpgraph-resolve-") as folder:
        empty = Path(folder) / "transactions.csv"
        empty.write_text(",".join(CONTRACT["transactions"].column_names) + "\n", encoding="utf-8")
        report = LoadReport(directory=Path(folder))
        staged = _load_transactions(
            db, InputFile("transactions", empty, "csv", "utf-8"), settings, [], set(), report, sink
        )
    report.created_counterparties = len(staged.created_companies)
    report.resolution_methods = Counter(r.method for r in staged.resolutions)
    load_writes.new_data_version(db)
    return report


def report_rows(report: LoadReport) -> list[dict[str, Any]]:
    """The summary table as plain rows (for the CLI and for JSON output)."""
    return [
        {
            "file": f.file,
            "read": f.read,
            "loaded": f.loaded,
            "rejected": f.rejected,
            "duplicates": f.identical_duplicates,
            "already_loaded": f.already_loaded,
        }
        for f in report.files
    ]
