"""The small port through which all of corpgraph talks to Neo4j.

One :class:`neo4j.Driver` is created per process (by the CLI or the API lifespan)
and wrapped in a :class:`Database`. Reads go through ``execute_query`` with
``routing_=READ``; writes through managed ``execute_write`` transactions, so the
driver retries transient errors (and only those). Driver exceptions are
translated to the :mod:`core.errors` hierarchy by their ``code`` and
``is_retryable()``, never by message text.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, LiteralString, Protocol, TypeVar

import neo4j
from neo4j import Driver, GraphDatabase, ManagedTransaction, RoutingControl
from neo4j import exceptions as neo4j_errors

from core.errors import (
    ConflictError,
    CorpgraphError,
    DatabaseAuthError,
    DatabaseUnavailableError,
    QueryError,
)
from core.settings import Settings

logger = logging.getLogger(__name__)

T = TypeVar("T")
Record = dict[str, Any]


@dataclass(frozen=True)
class ConnectionInfo:
    """Where and how to connect: resolved from settings (see ``graph.local_server``)."""

    uri: str
    user: str
    password: str
    database: str
    is_local: bool


@dataclass(frozen=True)
class ServerInfo:
    """What a Neo4j server says about itself."""

    version: str
    edition: str
    gds_version: str | None


class Reader(Protocol):
    """What a read-only repository function needs: :class:`Database`, or one open read
    transaction (:class:`TransactionReader`) when a request reads several things at once."""

    def read(
        self, query: LiteralString, parameters: Mapping[str, Any] | None = None
    ) -> list[Record]: ...

    def read_one(
        self, query: LiteralString, parameters: Mapping[str, Any] | None = None
    ) -> Record | None: ...


class TransactionReader:
    """``read``/``read_one`` over one managed read transaction (:meth:`Database.read_tx`):
    a request's reads share one session and see one consistent snapshot."""

    def __init__(self, tx: ManagedTransaction) -> None:
        self.tx = tx

    def read(
        self, query: LiteralString, parameters: Mapping[str, Any] | None = None
    ) -> list[Record]:
        return [_row(record) for record in self.tx.run(query, dict(parameters or {}))]

    def read_one(
        self, query: LiteralString, parameters: Mapping[str, Any] | None = None
    ) -> Record | None:
        rows = self.read(query, parameters)
        return rows[0] if rows else None


_RETURN_ALIAS = re.compile(r"\bAS\s+(\w+)")


def returned_columns(query: str) -> list[str]:
    """The aliases of ``query``'s last ``RETURN`` (every column must be ``... AS name``).

    Examples
    --------
    >>> returned_columns("MATCH (c) RETURN c.id AS id, count(*) AS n ORDER BY n DESC")
    ['id', 'n']
    """
    return _RETURN_ALIAS.findall(query[query.rindex("RETURN") :])


def folded_query(queries: Mapping[str, LiteralString]) -> LiteralString:
    """One statement that runs every read of ``queries`` and returns each one's rows as a
    list of maps in the column named by its key (see :func:`read_folded`).

    Each query runs in its own subquery with no imported variables, so it plans and
    anchors as it does alone; the inner ``collect`` gives one row even when the query
    finds none, so an empty section does not empty the others.

    Examples
    --------
    >>> folded_query({"a": "MATCH (c:C {id: $id}) RETURN c.name AS name"})
    'CALL () { CALL () { MATCH (c:C {id: $id}) RETURN c.name AS name } RETURN collect({name: name}) AS a } RETURN a'
    """  # noqa: E501
    parts = []
    for name, query in queries.items():
        columns = returned_columns(query)
        if not name.isidentifier() or not columns:
            raise ValueError(f"cannot fold {name!r}: a plain name and aliased columns needed")
        row = ", ".join(f"{column}: {column}" for column in columns)
        parts.append(f"CALL () {{ CALL () {{ {query} }} RETURN collect({{{row}}}) AS {name} }}")
    # Built only from the in-code queries and their aliases (checked above): no values,
    # so still a literal query.
    return " ".join(parts) + " RETURN " + ", ".join(queries)


def read_folded(
    db: Reader, queries: Mapping[str, LiteralString], parameters: Mapping[str, Any]
) -> dict[str, list[Record]]:
    """The rows of several reads fetched in one round trip: ``{name: rows}``.

    ``parameters`` serves them all, so the queries must agree on what each name means.
    """
    row = db.read_one(folded_query(queries), parameters) or {}
    return {name: [dict(item) for item in row.get(name) or []] for name in queries}


@dataclass(frozen=True)
class PlanStep:
    """One operator of a query plan: its type (``NodeIndexSeek``...) and its details."""

    operator: str
    details: str


@dataclass(frozen=True)
class WriteCounters:
    """Summed counters of one or more write statements."""

    nodes_created: int = 0
    nodes_deleted: int = 0
    relationships_created: int = 0
    relationships_deleted: int = 0
    properties_set: int = 0

    def __add__(self, other: WriteCounters) -> WriteCounters:
        return WriteCounters(
            self.nodes_created + other.nodes_created,
            self.nodes_deleted + other.nodes_deleted,
            self.relationships_created + other.relationships_created,
            self.relationships_deleted + other.relationships_deleted,
            self.properties_set + other.properties_set,
        )

    @classmethod
    def from_summary(cls, summary: neo4j.ResultSummary) -> WriteCounters:
        c = summary.counters
        return cls(
            c.nodes_created,
            c.nodes_deleted,
            c.relationships_created,
            c.relationships_deleted,
            c.properties_set,
        )


CONSTRAINT_VIOLATION = "Neo.ClientError.Schema.ConstraintValidationFailed"

SERVER_INFO_QUERY: LiteralString = (
    "CALL dbms.components() YIELD name, versions, edition "
    "WHERE name = 'Neo4j Kernel' RETURN versions[0] AS version, edition"
)
GDS_VERSION_QUERY: LiteralString = "RETURN gds.version() AS version"


def translate_driver_error(error: Exception) -> CorpgraphError:
    """Map a driver exception to the corpgraph hierarchy.

    Decisions use the exception class, the Neo4j status ``code`` and
    ``is_retryable()`` only.

    Examples
    --------
    >>> from neo4j.exceptions import ServiceUnavailable
    >>> type(translate_driver_error(ServiceUnavailable("down"))).__name__
    'DatabaseUnavailableError'
    """
    if isinstance(error, neo4j_errors.AuthError):
        return DatabaseAuthError("Neo4j refused the configured user name or password.")
    if isinstance(error, neo4j_errors.ServiceUnavailable | neo4j_errors.SessionExpired):
        return DatabaseUnavailableError("Neo4j is not reachable.")
    if isinstance(error, neo4j_errors.Neo4jError):
        if error.code == CONSTRAINT_VIOLATION:
            return ConflictError("The write conflicts with a uniqueness constraint.")
        if error.is_retryable():
            return DatabaseUnavailableError(
                "Neo4j is busy and the retry budget ran out.", details={"code": error.code}
            )
        return QueryError("Neo4j rejected a statement.", details={"code": error.code})
    if isinstance(error, neo4j_errors.DriverError):
        return DatabaseUnavailableError("The Neo4j driver failed.")
    return CorpgraphError("Unexpected database failure.")


@contextmanager
def _translated() -> Iterator[None]:
    try:
        yield
    except (neo4j_errors.Neo4jError, neo4j_errors.DriverError) as error:
        raise translate_driver_error(error) from error


def create_driver(
    connection: ConnectionInfo, settings: Settings, *, fail_fast: bool = False
) -> Driver:
    """Create the process's one driver. It connects lazily, on first use.

    ``fail_fast`` (the API's driver) bounds the wait for a connection by
    ``api_neo4j_acquisition_timeout_s`` and retries by ``api_neo4j_max_retry_time_s``,
    so requests answer 503 quickly while Neo4j is down; the CLI's long jobs keep the
    patient defaults.
    """
    if fail_fast:
        acquisition = settings.api_neo4j_acquisition_timeout_s
        connect = min(settings.neo4j_connection_timeout_s, acquisition)
        retry = settings.api_neo4j_max_retry_time_s
    else:
        acquisition = settings.neo4j_connection_timeout_s * 2
        connect = settings.neo4j_connection_timeout_s
        retry = settings.neo4j_max_retry_time_s
    return GraphDatabase.driver(
        connection.uri,
        auth=(connection.user, connection.password),
        connection_timeout=connect,
        connection_acquisition_timeout=acquisition,
        max_transaction_retry_time=retry,
        user_agent="corpgraph",
        # Keep deprecations and performance warnings; "property key does not exist"
        # (UNRECOGNIZED) is normal for optional properties and only noise.
        notifications_min_severity="WARNING",
        notifications_disabled_classifications=["UNRECOGNIZED"],
    )


_SCALARS: frozenset[type] = frozenset({str, int, float, bool, type(None)})


def _plain(value: Any) -> bool:
    """Whether ``value`` holds only scalars, lists and maps (no node, relationship, path).

    Examples
    --------
    >>> _plain([["2025-01", "CNY", 3]]), _plain({"a": [1, None]}), _plain(object())
    (True, True, False)
    """
    kind = type(value)
    if kind in _SCALARS:
        return True
    if kind is list:
        return all(_plain(item) for item in value)
    if kind is dict:
        return all(_plain(item) for item in value.values())
    return False


def _row(record: neo4j.Record) -> Record:
    """A record as a dict, as :meth:`neo4j.Record.data` gives it.

    ``data()`` walks every value through a chain of ``isinstance`` checks to turn nodes,
    relationships and paths into dicts; for plain values (almost every read) it
    returns them unchanged, at several times the cost of this check, which is what a
    large read spends most of its Python time on.
    """
    values = record.values()
    if all(_plain(value) for value in values):
        return dict(zip(record.keys(), values, strict=True))
    return record.data()


def batched(rows: Iterable[T], size: int) -> Iterator[list[T]]:
    """Yield lists of at most ``size`` rows.

    Examples
    --------
    >>> [len(b) for b in batched(range(25), 10)]
    [10, 10, 5]
    """
    if size < 1:
        raise ValueError("batch size must be positive")
    batch: list[T] = []
    for row in rows:
        batch.append(row)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


class Database:
    """The port: named reads and writes against one Neo4j database.

    Parameters
    ----------
    driver
        The process's driver; this class never closes it (its owner does).
    database
        The database name every call targets.
    write_batch_size
        Default rows per ``UNWIND $rows`` batch in :meth:`write_rows`.
    """

    def __init__(self, driver: Driver, database: str, *, write_batch_size: int = 10_000) -> None:
        self.driver = driver
        self.database = database
        self.write_batch_size = write_batch_size
        # Reads chain on the driver's bookmarks, until a bulk import replaces the store.
        self._bookmarks = driver.execute_query_bookmark_manager

    # --- reads ---------------------------------------------------------------------------
    def read(
        self, query: LiteralString, parameters: Mapping[str, Any] | None = None
    ) -> list[Record]:
        """Run a read query (routed to readers) and return its records as dicts."""
        with _translated():
            records, _, _ = self.driver.execute_query(
                query,
                parameters_=dict(parameters or {}),
                routing_=RoutingControl.READ,
                database_=self.database,
                bookmark_manager_=self._bookmarks,
            )
        return [_row(record) for record in records]

    def read_one(
        self, query: LiteralString, parameters: Mapping[str, Any] | None = None
    ) -> Record | None:
        """Run a read query and return its first record, or ``None``."""
        rows = self.read(query, parameters)
        return rows[0] if rows else None

    def read_columns(
        self,
        query: LiteralString,
        columns: Sequence[LiteralString],
        parameters: Mapping[str, Any] | None = None,
    ) -> dict[str, list[Any]]:
        """Run a read query and return each of its ``columns`` as one list.

        For large results (flows, edges): the server collects the rows into one
        record, which the driver decodes several times faster than one record per
        row. ``collect`` skips nulls, so every listed column of ``query`` must be
        non-null (use ``coalesce``); a null would misalign the lists and raises
        :class:`QueryError`.
        """
        collected = ", ".join(f"collect({c}) AS {c}" for c in columns)
        with _translated():
            records, _, _ = self.driver.execute_query(
                f"CALL () {{ {query} }} RETURN {collected}",
                parameters_=dict(parameters or {}),
                routing_=RoutingControl.READ,
                database_=self.database,
                bookmark_manager_=self._bookmarks,
            )
        # The lists hold plain values: taken as they are, not through Record.data(),
        # which walks every element of every list again (a third of a large read).
        row = records[0] if records else None
        result = {c: list(row[c]) if row else [] for c in columns}
        if len({len(values) for values in result.values()}) > 1:
            raise QueryError(
                "a column read returned lists of different lengths (a null value)",
                details={"columns": list(columns)},
            )
        return result

    def forget_bookmarks(self) -> None:
        """Stop chaining reads on bookmarks of a store that was replaced.

        After ``neo4j-admin database import`` the store's transaction ids start over:
        a read chained to a bookmark of the old store would wait for a transaction
        that never comes.
        """
        self._bookmarks = GraphDatabase.bookmark_manager()

    def read_tx(self, work: Callable[[ManagedTransaction], T]) -> T:
        """Run several reads in one managed read transaction (a consistent snapshot)."""
        with _translated(), self.driver.session(database=self.database) as session:
            return session.execute_read(work)

    # --- writes --------------------------------------------------------------------------
    def write(
        self, query: LiteralString, parameters: Mapping[str, Any] | None = None
    ) -> WriteCounters:
        """Run one write statement in a managed write transaction."""
        params = dict(parameters or {})

        def work(tx: ManagedTransaction) -> WriteCounters:
            return WriteCounters.from_summary(tx.run(query, params).consume())

        with _translated(), self.driver.session(database=self.database) as session:
            return session.execute_write(work)

    def write_returning(
        self, query: LiteralString, parameters: Mapping[str, Any] | None = None
    ) -> list[Record]:
        """Run one write statement and return its records."""
        params = dict(parameters or {})

        def work(tx: ManagedTransaction) -> list[Record]:
            return [record.data() for record in tx.run(query, params)]

        with _translated(), self.driver.session(database=self.database) as session:
            return session.execute_write(work)

    def write_rows(
        self,
        query: LiteralString,
        rows: Iterable[Mapping[str, Any]],
        *,
        batch_size: int | None = None,
        extra_parameters: Mapping[str, Any] | None = None,
        on_batch: Callable[[int], None] | None = None,
    ) -> WriteCounters:
        """Write rows with ``UNWIND $rows`` in batches, one managed transaction per batch.

        Each batch is idempotent on its own (queries MERGE on business keys), so a
        retried or re-run batch never duplicates anything.
        """
        total = WriteCounters()
        size = batch_size or self.write_batch_size
        with _translated(), self.driver.session(database=self.database) as session:
            for batch in batched(rows, size):
                params = {**(extra_parameters or {}), "rows": list(batch)}

                def work(tx: ManagedTransaction, p: dict[str, Any] = params) -> WriteCounters:
                    return WriteCounters.from_summary(tx.run(query, p).consume())

                total = total + session.execute_write(work)
                if on_batch is not None:
                    on_batch(len(batch))
        return total

    def run_autocommit(
        self, query: LiteralString, parameters: Mapping[str, Any] | None = None
    ) -> WriteCounters:
        """Run a statement in an auto-commit transaction.

        Needed for schema statements and ``CALL { } IN TRANSACTIONS``, which may not
        run inside a managed transaction. Not retried: callers use it for idempotent
        statements only.
        """
        with _translated(), self.driver.session(database=self.database) as session:
            result = session.run(query, dict(parameters or {}))
            return WriteCounters.from_summary(result.consume())

    # --- server ----------------------------------------------------------------------------
    def explain(
        self, query: LiteralString, parameters: Mapping[str, Any] | None = None
    ) -> tuple[PlanStep, ...]:
        """The operators of ``query``'s plan (``EXPLAIN``: planned, not run), depth first.

        Tests check with it that a request's queries anchor on an index: no
        ``AllNodesScan`` or label scan over a large label.
        """
        with _translated():
            _, summary, _ = self.driver.execute_query(
                "EXPLAIN " + query,
                parameters_=dict(parameters or {}),
                routing_=RoutingControl.READ,
                database_=self.database,
                bookmark_manager_=self._bookmarks,
            )
        steps: list[PlanStep] = []
        stack: list[Mapping[str, Any]] = [summary.plan] if summary.plan else []
        while stack:
            node = stack.pop()
            arguments = node.get("args") or node.get("arguments") or {}
            steps.append(
                PlanStep(
                    str(node.get("operatorType", "")).split("@")[0],
                    str(arguments.get("Details", "")),
                )
            )
            stack.extend(reversed(list(node.get("children") or [])))
        return tuple(steps)

    def probe(self, query: LiteralString = "RETURN 1 AS ok") -> list[Record]:
        """Run a read in an auto-commit transaction *without* retries.

        Health checks must answer fast when Neo4j is down instead of spending the
        managed-transaction retry budget.
        """
        with (
            _translated(),
            self.driver.session(
                database=self.database, default_access_mode=neo4j.READ_ACCESS
            ) as session,
        ):
            return [record.data() for record in session.run(query)]

    def server_info(self) -> ServerInfo:
        """Version and edition of the server, and the GDS version if GDS is installed."""
        row = self.probe(SERVER_INFO_QUERY)[0]
        return ServerInfo(
            version=str(row["version"]), edition=str(row["edition"]), gds_version=self.gds_version()
        )

    def gds_version(self) -> str | None:
        """The installed GDS version, or ``None`` when the procedure does not exist."""
        try:
            with self.driver.session(database=self.database) as session:
                record = session.run(GDS_VERSION_QUERY).single()
        except neo4j_errors.ClientError as error:
            # gds.version() unknown: GDS is absent. Anything else is a real failure.
            if error.code in {
                "Neo.ClientError.Statement.SyntaxError",
                "Neo.ClientError.Procedure.ProcedureNotFound",
            }:
                return None
            raise translate_driver_error(error) from error
        except (neo4j_errors.Neo4jError, neo4j_errors.DriverError) as error:
            raise translate_driver_error(error) from error
        return None if record is None else str(record["version"])


def column(rows: Sequence[Record], name: str) -> list[Any]:
    """Return one column of a list of records.

    Examples
    --------
    >>> column([{"a": 1}, {"a": 2}], "a")
    [1, 2]
    """
    return [row[name] for row in rows]
