"""``corpgraph load --bulk``: a first load through ``neo4j-admin database import``.

The load runs exactly as :func:`loaders.pipeline.load_directory` runs it (the same
validation, rejects, entity resolution and DuckDB flow ledger) against a
:class:`RecordingDatabase`: reads go to the (empty) database, and writes are kept
instead of sent. The entity and flow writes become the importer's CSV files
(:mod:`graph.bulk_import`); the server stops, Neo4j's importer writes the store, the
server starts again, the schema is applied and the remaining writes (matching outcome,
KPI targets, key persons, contacts, customer exposure, the data version) run with their
own Cypher, in the order the load made them.

Only for the embedded local server, and only into an empty database: the importer
replaces the whole store.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, LiteralString

from core.errors import ConfigurationError
from core.settings import Settings
from graph import bulk_import, schema
from graph.branches import write_new_auth_version
from graph.bulk_import import FLOW_STATEMENTS, TRANSLATED, ImportGraph
from graph.database import Database, Record, WriteCounters
from graph.load_writes import INSTANCE_ID
from graph.local_server import LocalNeo4j

from .pipeline import LoadReport, Progress, load_directory

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class _Deferred:
    """A write the load made that runs after the import, with its own statement."""

    kind: str
    query: LiteralString
    parameters: dict[str, Any]
    rows: list[Mapping[str, Any]] | None = None
    batch_size: int | None = None


class RecordingDatabase(Database):
    """A :class:`Database` whose writes are kept: entity and flow rows go into an
    :class:`ImportGraph`, every other write is deferred. Reads go to ``db``."""

    def __init__(self, db: Database) -> None:
        super().__init__(db.driver, db.database, write_batch_size=db.write_batch_size)
        self.graph = ImportGraph()
        self.deferred: list[_Deferred] = []
        self.instance_id: str | None = None

    def write(
        self, query: LiteralString, parameters: Mapping[str, Any] | None = None
    ) -> WriteCounters:
        self.deferred.append(_Deferred("write", query, dict(parameters or {})))
        return WriteCounters()

    def write_returning(
        self, query: LiteralString, parameters: Mapping[str, Any] | None = None
    ) -> list[Record]:
        if query != INSTANCE_ID:
            raise ConfigurationError("the bulk load cannot keep a write that returns rows")
        # The ledger is named after the instance id: made up here, imported with the graph.
        if self.instance_id is None:
            self.instance_id = _new_instance_id()
        return [{"instance_id": self.instance_id}]

    def write_rows(
        self,
        query: LiteralString,
        rows: Iterable[Mapping[str, Any]],
        *,
        batch_size: int | None = None,
        extra_parameters: Mapping[str, Any] | None = None,
        on_batch: Callable[[int], None] | None = None,
    ) -> WriteCounters:
        kept = list(rows)
        statement = TRANSLATED.get(query)
        if statement is not None and not extra_parameters:
            self.graph.apply(statement, kept)
        elif query in FLOW_STATEMENTS:
            self.graph.apply_flows(kept)
        else:
            self.deferred.append(
                _Deferred("rows", query, dict(extra_parameters or {}), kept, batch_size)
            )
        if on_batch is not None and kept:
            on_batch(len(kept))
        return WriteCounters()

    def run_autocommit(
        self, query: LiteralString, parameters: Mapping[str, Any] | None = None
    ) -> WriteCounters:
        self.deferred.append(_Deferred("autocommit", query, dict(parameters or {})))
        return WriteCounters()


def _new_instance_id() -> str:
    return str(uuid.uuid4())


def replay(db: Database, deferred: Iterable[_Deferred]) -> None:
    """Run the deferred writes, in the order the load made them."""
    for item in deferred:
        if item.kind == "rows":
            db.write_rows(
                item.query,
                item.rows or [],
                batch_size=item.batch_size,
                extra_parameters=item.parameters or None,
            )
        elif item.kind == "autocommit":
            db.run_autocommit(item.query, item.parameters)
        else:
            db.write(item.query, item.parameters)


@dataclass(frozen=True)
class BulkTimings:
    """Where a bulk load's time went, in seconds."""

    prepare: float
    write_files: float
    import_: float
    finish: float
    nodes: int
    relationships: int


def bulk_load_directory(
    db: Database,
    directory: Path,
    settings: Settings,
    *,
    rejects_path: Path,
    work_dir: Path,
    encoding: str | None = None,
    progress: Progress | None = None,
) -> tuple[LoadReport, BulkTimings]:
    """Load ``directory`` into the empty local database with Neo4j's importer.

    Raises
    ------
    ConfigurationError
        An external Neo4j is configured (``NEO4J_URI``): run its ``neo4j-admin`` there.
    ConflictError
        The database is not empty.
    InputValidationError
        As :func:`~loaders.pipeline.load_directory`; nothing is imported then.
    LocalServerError
        The importer failed; the server is started again on the store it left.
    """
    if not settings.uses_local_server:
        raise ConfigurationError(
            "load --bulk runs the importer of the embedded local Neo4j; for a Neo4j server, "
            "import the files with the server's own neo4j-admin (docs/scaling.md)"
        )
    bulk_import.require_empty(db)
    started = time.perf_counter()
    recorder = RecordingDatabase(db)
    report = load_directory(
        recorder,
        directory,
        settings,
        rejects_path=rejects_path,
        encoding=encoding,
        progress=progress,
    )
    if recorder.instance_id is None:  # no transactions file: no ledger asked for it
        recorder.instance_id = _new_instance_id()
    meta = recorder.graph.merge_node("CorpgraphMeta", "instance")
    meta.properties["instance_id"] = recorder.instance_id
    prepared = time.perf_counter()
    files = bulk_import.write_import_files(recorder.graph, work_dir)
    arguments = bulk_import.importer_arguments(
        files, max_off_heap=settings.bulk_import_max_off_heap, report=work_dir / "import.report"
    )
    # Kept with the files: the same import runs on a Neo4j server with its neo4j-admin.
    (work_dir / "import.args").write_text("\n".join(arguments) + "\n", encoding="utf-8")
    written = time.perf_counter()
    try:
        output = LocalNeo4j(settings).bulk_import(arguments)
    except BaseException:
        # The ledger says these flows are written; they are not: the next load starts over.
        if report.ledger_path is not None:
            report.ledger_path.unlink(missing_ok=True)
            report.ledger_path.with_name(report.ledger_path.name + ".wal").unlink(missing_ok=True)
        raise
    logger.info("importer: %s", " | ".join(output.strip().splitlines()[-6:]))
    # The restart left the driver's pooled connections dead (a retried read replaces
    # them) and its bookmarks pointing into the old store.
    db.forget_bookmarks()
    db.read(bulk_import.ANY_NODE)
    imported = time.perf_counter()
    schema.apply_schema(db)
    replay(db, recorder.deferred)
    # The importer wrote the branches without the auth version their upsert writes: a
    # new one, so the graph is the loader's and a running API rereads the tree.
    write_new_auth_version(db)
    finished = time.perf_counter()
    return report, BulkTimings(
        prepare=prepared - started,
        write_files=written - prepared,
        import_=imported - written,
        finish=finished - imported,
        nodes=files.node_count,
        relationships=files.relationship_count,
    )
