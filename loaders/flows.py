"""Transactions → monthly flow edges, through a DuckDB ledger.

Raw transactions do not live in Neo4j. They are validated and resolved in DuckDB
(chosen by ``bench/flows``: see the README), appended to a *ledger* of loaded
``txn_id`` s, and aggregated into one ``PAYS`` edge per payer, payee, month and
currency with exact amount (integer minor units), count and first and last date.

Idempotency and resumption come from the ledger:

- a ``txn_id`` already in the ledger is never counted again;
- the flows written are always *recomputed from the ledger* for every
  (payer, payee, month, currency) key the file touches, and written with ``SET``,
  so re-running a load, or finishing one that was killed after the ledger commit,
  writes the same values;
- a new month's file adds its keys; the keys of earlier months stay.

The ledger also keeps every payment side known by name (``sides``: name, USCC,
the accounts and partners seen with it, and the company it resolved to) and, on
each ledger row, which side it came from. Every load resolves *all* sides again
(:mod:`loaders.entity_resolution`), so a review decision made after a load, or a
new name that links two old ones, moves the rows of the sides it changes: their
ledger rows are re-pointed and the flows of every company touched are recomputed.

The ledger is a DuckDB file tied to one graph instance (see ``pipeline``).

Memory: the sides and the partners of companies known by id are read into Python in
batches, every partner id being the one string of the known company ids; while they
are read and resolved, the ledger's DuckDB limit drops to ``resolving_memory_limit`` so that
its staged tables spill to disk rather than sit beside the resolution's objects and
its splink DuckDB (``bench/resolution_load.py`` measures it).

The ledger also knows which flow keys the graph may already hold (``graph_flows``),
so the flows write never needs a ``MERGE``: a key the graph cannot hold is
``CREATE`` d, the others are updated through their endpoints
(:func:`FlowLedger.flow_writes`). A key is recorded before its flow is written, so a
load killed in between writes it again through the update path, never twice.
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, LiteralString, Protocol

import duckdb
import pyarrow as pa

from core.errors import InputValidationError
from core.private_files import private_dir, restrict_file

from .contract import CONTRACT, RejectReason
from .entity_resolution import ResolutionOutcome, Side
from .parsing import ISO_CURRENCIES, MAX_MINOR_UNITS, minor_exponent
from .reading import (
    DEFAULT_MAX_FIELD_CHARS,
    DEFAULT_MAX_LINE,
    InputFile,
    read_header,
    transcode_to_utf8,
)
from .resolution import CompanyIndex, Resolution
from .validation import Reject

logger = logging.getLogger(__name__)

SPEC = CONTRACT["transactions"]
_FULL_WIDTH: Final = "０１２３４５６７８９，．－＋ｅＥ"
_HALF_WIDTH: Final = "0123456789,.-+eE"
#: Rows fetched from DuckDB into Python at a time (bounds the fetch's own copy).
_FETCH_BATCH: Final = 50_000

LEDGER_SCHEMA: Final[LiteralString] = """
CREATE TABLE IF NOT EXISTS ledger (
    txn_id VARCHAR PRIMARY KEY,
    txn_date DATE NOT NULL,
    month VARCHAR NOT NULL,
    amount_minor HUGEINT NOT NULL,
    currency VARCHAR NOT NULL,
    payer VARCHAR NOT NULL,
    payee VARCHAR NOT NULL
);
ALTER TABLE ledger ADD COLUMN IF NOT EXISTS payer_side INTEGER;
ALTER TABLE ledger ADD COLUMN IF NOT EXISTS payee_side INTEGER;
CREATE TABLE IF NOT EXISTS sides (
    side_no INTEGER PRIMARY KEY,
    name VARCHAR NOT NULL,
    uscc VARCHAR NOT NULL,  -- '' when the side had none
    company_id VARCHAR,
    method VARCHAR,
    UNIQUE (name, uscc)
);
CREATE TABLE IF NOT EXISTS side_accounts (side_no INTEGER, account VARCHAR, PRIMARY KEY (side_no, account));
CREATE TABLE IF NOT EXISTS side_partners (side_no INTEGER, partner VARCHAR, PRIMARY KEY (side_no, partner));
-- Companies whose flows must be rewritten in the graph (kept until the load finishes).
CREATE TABLE IF NOT EXISTS pending_affected (company_id VARCHAR PRIMARY KEY);
CREATE TABLE IF NOT EXISTS ledger_meta (key VARCHAR PRIMARY KEY, value VARCHAR);
-- Every flow key the graph may hold: recorded *before* its flow is written, never removed,
-- so it is always a superset of the graph's PAYS keys (see FlowLedger.flow_writes).
CREATE TABLE IF NOT EXISTS graph_flows (
    payer VARCHAR NOT NULL, payee VARCHAR NOT NULL, month VARCHAR NOT NULL, currency VARCHAR NOT NULL
);
"""  # noqa: E501

# Parsing and per-row checks, in the contract's column order; the first failure wins.
# An amount is checked on its digits, never through a fixed-scale DECIMAL (which would
# round 1.00000000001 to 1 and could not hold 1E30): ``shift`` is the power of ten that
# turns the amount's significant digits into minor units; negative means more decimals
# than the currency has, and more than 19 digits cannot be a 64-bit integer.
PARSE_SQL: Final[LiteralString] = r"""
CREATE OR REPLACE TEMP TABLE parsed AS
WITH cleaned AS (
    SELECT
        line,
        CASE
            WHEN length(txn_id) > $max_chars THEN 'txn_id'
            WHEN length(date) > $max_chars THEN 'date'
            WHEN length(amount) > $max_chars THEN 'amount'
            WHEN length(currency) > $max_chars THEN 'currency'
            WHEN length(payer_id) > $max_chars THEN 'payer_id'
            WHEN length(payer_name) > $max_chars THEN 'payer_name'
            WHEN length(payer_account) > $max_chars THEN 'payer_account'
            WHEN length(payer_uscc) > $max_chars THEN 'payer_uscc'
            WHEN length(payee_id) > $max_chars THEN 'payee_id'
            WHEN length(payee_name) > $max_chars THEN 'payee_name'
            WHEN length(payee_account) > $max_chars THEN 'payee_account'
            WHEN length(payee_uscc) > $max_chars THEN 'payee_uscc'
            WHEN length(channel) > $max_chars THEN 'channel'
            WHEN length(purpose) > $max_chars THEN 'purpose'
        END AS too_long,
        nullif(trim(txn_id), '') AS txn_id,
        nullif(trim(date), '') AS date_text,
        nullif(trim(translate(amount, $full, $half)), '') AS amount_text,
        nullif(upper(trim(currency)), '') AS currency_text,
        nullif(trim(payer_id), '') AS payer_id,
        nullif(trim(payer_name), '') AS payer_name,
        nullif(upper(trim(payer_uscc)), '') AS payer_uscc,
        nullif(trim(payee_id), '') AS payee_id,
        nullif(trim(payee_name), '') AS payee_name,
        nullif(upper(trim(payee_uscc)), '') AS payee_uscc,
        nullif(trim(payer_account), '') AS payer_account,
        nullif(trim(payee_account), '') AS payee_account
    FROM raw
), typed AS (
    SELECT *,
        coalesce(
            try_strptime(date_text, '%Y-%m-%d'), try_strptime(date_text, '%Y/%m/%d'),
            try_strptime(date_text, '%Y%m%d'), try_strptime(date_text, '%Y.%m.%d')
        )::DATE AS txn_date,
        coalesce(regexp_full_match(
                amount_text, '[+-]?(\d{1,3}(,\d{3})+|\d+)?(\.\d+)?([eE][+-]?\d+)?')
              AND regexp_matches(amount_text, '\d'), false) AS amount_ok,
        replace(amount_text, ',', '') AS amount_plain,
        CASE currency_text WHEN 'RMB' THEN 'CNY' WHEN '人民币' THEN 'CNY'
             ELSE currency_text END AS currency
    FROM cleaned
), parts AS (
    SELECT *,
        starts_with(amount_plain, '-') AS negative,
        regexp_extract(amount_plain, '^[+-]?(\d*)', 1)
            || regexp_extract(amount_plain, '\.(\d*)', 1) AS digits,
        length(regexp_extract(amount_plain, '\.(\d*)', 1)) AS fraction_places,
        CASE WHEN regexp_matches(amount_plain, '[eE]')
             THEN try_cast(regexp_extract(amount_plain, '[eE]([+-]?\d+)$', 1) AS BIGINT)
             ELSE 0 END AS exponent10,
        regexp_matches(amount_plain, '[eE]-') AS negative_exponent
    FROM typed
), sized AS (
    SELECT p.*, c.code, c.exponent,
        ltrim(rtrim(p.digits, '0'), '0') AS significant,
        p.exponent10 - p.fraction_places + (length(p.digits) - length(rtrim(p.digits, '0')))
            + c.exponent AS shift
    FROM parts p
    LEFT JOIN currencies c ON c.code = p.currency
), minor AS (
    SELECT *,
        CASE WHEN amount_ok AND significant <> '' AND shift BETWEEN 0 AND 19
                  AND length(significant) + shift <= 19
             THEN try_cast(significant AS HUGEINT)
                  * try_cast('1' || repeat('0', CAST(shift AS INTEGER)) AS HUGEINT)
        END AS amount_minor
    FROM sized
)
SELECT t.* EXCLUDE (code),
    CASE
        WHEN t.too_long IS NOT NULL
             THEN 'field_too_long|' || t.too_long || '|' || t.too_long || ' has more than '
                  || $max_chars || ' characters'
        WHEN t.txn_id IS NULL THEN 'missing_required|txn_id|txn_id is required'
        WHEN length(t.txn_id) > 64 THEN 'invalid_id|txn_id|id must be at most 64 characters'
        WHEN t.date_text IS NULL THEN 'missing_required|date|date is required'
        WHEN t.txn_date IS NULL THEN 'invalid_date|date|not a date (YYYY-MM-DD): ' || t.date_text
        WHEN t.amount_text IS NULL THEN 'missing_required|amount|amount is required'
        WHEN NOT t.amount_ok THEN 'invalid_decimal|amount|not a decimal number: ' || t.amount_text
        WHEN t.negative OR t.significant = ''
             THEN 'out_of_range|amount|amount must be positive'
        WHEN t.currency IS NULL THEN 'missing_required|currency|currency is required'
        WHEN t.code IS NULL THEN 'invalid_currency|currency|not an ISO 4217 currency: '
             || t.currency_text
        WHEN t.shift < 0 OR (t.shift IS NULL AND t.negative_exponent)
             THEN 'invalid_decimal|amount|' || t.amount_text || ' has more decimals than '
                  || t.currency || ' allows (' || t.exponent || ')'
        WHEN t.amount_minor IS NULL OR t.amount_minor > $max_minor
             THEN 'out_of_range|amount|' || t.amount_text || ' ' || t.currency
                  || ' is beyond the 64-bit range of minor units'
        WHEN t.payer_id IS NULL AND t.payer_name IS NULL
             THEN 'missing_required|payer_id|payer_id or payer_name is required'
        WHEN t.payee_id IS NULL AND t.payee_name IS NULL
             THEN 'missing_required|payee_id|payee_id or payee_name is required'
        WHEN t.payer_id IS NOT NULL AND pk.company_id IS NULL
             THEN 'unknown_reference|payer_id|payer_id ' || t.payer_id || ' not found in companies'
        WHEN t.payee_id IS NOT NULL AND ek.company_id IS NULL
             THEN 'unknown_reference|payee_id|payee_id ' || t.payee_id || ' not found in companies'
    END AS problem
FROM minor t
LEFT JOIN known_companies pk ON pk.company_id = t.payer_id
LEFT JOIN known_companies ek ON ek.company_id = t.payee_id
"""

#: Rows this load adds whose monthly flow (payer, payee, month, currency) would pass the
#: 64-bit range of minor units, with what the ledger already holds for that flow. Rows
#: count in file order: the row that crosses the limit and every later row of that flow
#: are rejected, before the ledger commits, so the flows written can always be stored.
OVERFLOW_SQL: Final[LiteralString] = """
WITH fresh AS (
    SELECT s.line, s.payer, s.payee, s.month, s.currency, s.amount_minor FROM staged s
    WHERE s.reject IS NULL AND s.occurrence = 1
      AND NOT EXISTS (SELECT 1 FROM ledger l WHERE l.txn_id = s.txn_id)
), held AS (
    SELECT l.payer, l.payee, l.month, l.currency, sum(l.amount_minor) AS total FROM ledger l
    SEMI JOIN fresh f USING (payer, payee, month, currency)
    GROUP BY ALL
), running AS (
    SELECT f.line, f.payer, f.payee, f.month, f.currency,
        coalesce(h.total, 0) + sum(f.amount_minor) OVER (
            PARTITION BY f.payer, f.payee, f.month, f.currency ORDER BY f.line
            ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS total
    FROM fresh f LEFT JOIN held h USING (payer, payee, month, currency)
)
SELECT line, payer, payee, month, currency FROM running WHERE total > $max_minor ORDER BY line
"""

INCOMING_SIDES_SQL: Final[LiteralString] = """
CREATE OR REPLACE TEMP TABLE incoming_sides AS
WITH named AS (
    SELECT payer_name AS name, coalesce(payer_uscc, '') AS uscc,
        payer_account AS account, payee_id AS partner
    FROM parsed WHERE problem IS NULL AND payer_id IS NULL
    UNION ALL
    SELECT payee_name, coalesce(payee_uscc, ''), payee_account, payer_id
    FROM parsed WHERE problem IS NULL AND payee_id IS NULL
)
SELECT name, uscc,
    coalesce(list_sort(list_distinct(list(account) FILTER (WHERE account IS NOT NULL))), [])
        AS accounts,
    coalesce(list_sort(list_distinct(list(partner) FILTER (WHERE partner IS NOT NULL))), [])
        AS partners
FROM named GROUP BY name, uscc
"""

# Every side: those of earlier loads (with what they resolved to) and this file's new ones,
# numbered after them in name order.
ALL_SIDES_SQL: Final[LiteralString] = """
CREATE OR REPLACE TEMP TABLE all_sides AS
WITH stored AS (
    SELECT s.side_no, s.name, s.uscc, s.company_id AS previous,
        coalesce((SELECT list_sort(list(account)) FROM side_accounts a
                  WHERE a.side_no = s.side_no), []) AS accounts,
        coalesce((SELECT list_sort(list(partner)) FROM side_partners p
                  WHERE p.side_no = s.side_no), []) AS partners
    FROM sides s
), fresh AS (
    SELECT (SELECT coalesce(max(side_no), 0) FROM sides)
        + row_number() OVER (ORDER BY i.name, i.uscc) AS side_no,
        i.name, i.uscc, NULL::VARCHAR AS previous, i.accounts, i.partners
    FROM incoming_sides i ANTI JOIN sides s USING (name, uscc)
)
SELECT st.side_no, st.name, st.uscc, st.previous, true AS stored,
    list_sort(list_distinct(list_concat(st.accounts, coalesce(i.accounts, [])))) AS accounts,
    list_sort(list_distinct(list_concat(st.partners, coalesce(i.partners, [])))) AS partners
FROM stored st LEFT JOIN incoming_sides i USING (name, uscc)
UNION ALL
SELECT side_no, name, uscc, previous, false, accounts, partners FROM fresh
"""

#: Partners (companies on the other side of their payments, by id) of companies known
#: by id: from earlier loads' ledger rows and this file. Capped per company, so a hub
#: with thousands of payers stays cheap to compare.
COMPANY_PARTNERS_SQL: Final[LiteralString] = """
WITH pairs AS (
    SELECT payer AS company_id, payee AS partner FROM ledger
    UNION SELECT payee, payer FROM ledger
    UNION SELECT payer_id, payee_id FROM parsed
        WHERE problem IS NULL AND payer_id IS NOT NULL AND payee_id IS NOT NULL
    UNION SELECT payee_id, payer_id FROM parsed
        WHERE problem IS NULL AND payer_id IS NOT NULL AND payee_id IS NOT NULL
)
SELECT company_id, list_sort(list(partner))[1:$cap] AS partners
FROM pairs SEMI JOIN known_companies USING (company_id)
WHERE partner IN (SELECT company_id FROM known_companies)
GROUP BY company_id
"""

STAGE_SQL: Final[LiteralString] = """
CREATE OR REPLACE TEMP TABLE staged AS
WITH sided AS (
    SELECT p.line, p.txn_id, p.txn_date, strftime(p.txn_date, '%Y-%m') AS month,
        p.amount_minor, p.currency, p.problem,
        coalesce(p.payer_id, rp.company_id) AS payer,
        coalesce(p.payee_id, re.company_id) AS payee,
        rp.side_no AS payer_side, re.side_no AS payee_side,
        rp.method AS payer_method, re.method AS payee_method,
        rp.candidates AS payer_candidates, re.candidates AS payee_candidates
    FROM parsed p
    LEFT JOIN resolved rp ON p.payer_id IS NULL AND rp.name = p.payer_name
        AND rp.uscc IS NOT DISTINCT FROM p.payer_uscc
    LEFT JOIN resolved re ON p.payee_id IS NULL AND re.name = p.payee_name
        AND re.uscc IS NOT DISTINCT FROM p.payee_uscc
), checked AS (
    SELECT *,
        coalesce(problem,
            CASE
                WHEN payer_method = 'ambiguous'
                    THEN 'ambiguous_counterparty|payer_name|payer name matches several companies: '
                         || payer_candidates
                WHEN payee_method = 'ambiguous'
                    THEN 'ambiguous_counterparty|payee_name|payee name matches several companies: '
                         || payee_candidates
                WHEN payer = payee THEN 'self_reference|payer_id|payer and payee are one company'
            END) AS reject
    FROM sided
)
SELECT *,
    row_number() OVER w AS occurrence,
    first_value(line) OVER w AS first_line,
    (txn_date, amount_minor, currency, payer, payee)
        = first_value((txn_date, amount_minor, currency, payer, payee)) OVER w AS same_as_first
FROM checked
WINDOW w AS (PARTITION BY txn_id, reject IS NULL ORDER BY line)
"""

FLOWS_SQL: Final[LiteralString] = """
SELECT l.payer, l.payee, l.month, l.currency,
    CAST(sum(l.amount_minor) AS VARCHAR) AS amount_minor,
    count(*) AS txn_count,
    strftime(min(l.txn_date), '%Y-%m-%d') AS first_date,
    strftime(max(l.txn_date), '%Y-%m-%d') AS last_date
FROM ledger l
SEMI JOIN (
    SELECT DISTINCT payer, payee, month, currency FROM staged
    WHERE reject IS NULL AND occurrence = 1
    UNION
    SELECT DISTINCT payer, payee, month, currency FROM ledger
    WHERE payer IN (SELECT company_id FROM pending_affected)
       OR payee IN (SELECT company_id FROM pending_affected)
) k USING (payer, payee, month, currency)
WHERE l.payer <> l.payee
GROUP BY ALL
ORDER BY l.payer, l.payee, l.month, l.currency
"""

#: The flows to write, each with whether the graph may already hold its key.
FLOW_WRITES_SQL: Final[LiteralString] = (
    "SELECT f.*, g.payer IS NOT NULL AS may_exist FROM ("  # noqa: S608 - constants only
    + FLOWS_SQL
    + ") f LEFT JOIN (SELECT DISTINCT payer, payee, month, currency FROM graph_flows) g "
    "USING (payer, payee, month, currency)"
)


@dataclass(frozen=True)
class FlowBatch:
    """One batch of monthly flows to write."""

    rows: list[dict[str, Any]]
    #: False: the graph holds none of these keys (``CREATE``); true: it may hold some.
    may_exist: bool


class SideResolver(Protocol):
    """Resolves every side at once (:func:`loaders.entity_resolution.resolve_sides`)."""

    def __call__(
        self, sides: Sequence[Side], company_partners: Mapping[str, tuple[str, ...]]
    ) -> ResolutionOutcome: ...


def exact_resolver(index: CompanyIndex) -> SideResolver:
    """Exact evidence only, as :meth:`CompanyIndex.resolve` gives it; a created company
    joins the index, so later sides with its USCC or name resolve to it."""

    def resolve(
        sides: Sequence[Side], company_partners: Mapping[str, tuple[str, ...]]
    ) -> ResolutionOutcome:
        order = sorted(range(len(sides)), key=lambda i: (sides[i].name, sides[i].uscc or ""))
        found: dict[int, Resolution] = {}
        for position in order:
            side = sides[position]
            resolution = index.resolve(side.name, side.uscc)
            if resolution.method == "created" and resolution.company_id is not None:
                index.add(resolution.company_id, resolution.name, resolution.uscc)
            found[position] = resolution
        return ResolutionOutcome([found[i] for i in range(len(sides))])

    return resolve


@dataclass
class TransactionsResult:
    """What staging one transactions file found."""

    read: int = 0
    new: int = 0
    already_loaded: int = 0
    identical_duplicates: int = 0
    rejects: list[Reject] = field(default_factory=list)
    #: Every side known by name that the ledger keeps (this file's and earlier ones).
    resolutions: list[Resolution] = field(default_factory=list)
    flow_keys: int = 0
    outcome: ResolutionOutcome | None = None
    #: Companies whose ledger rows moved to another company (and those they moved to).
    affected: set[str] = field(default_factory=set)

    @property
    def live_ids(self) -> set[str]:
        """Companies that some kept side resolves to."""
        return {r.company_id for r in self.resolutions if r.company_id is not None}

    @property
    def created_companies(self) -> list[Resolution]:
        """Counterparties that became new companies, one per id.

        Only sides of accepted rows count: a rejected row creates nothing. One new
        company may be seen under several spellings, with and without a USCC. Its
        name is the smallest spelling and its USCC the smallest one seen, so that
        every load of the same data writes the same values.
        """
        by_id: dict[str, list[Resolution]] = {}
        for resolution in self.resolutions:
            if resolution.method == "created" and resolution.company_id is not None:
                by_id.setdefault(resolution.company_id, []).append(resolution)
        chosen = []
        for company_id in sorted(by_id):
            sides = by_id[company_id]
            usccs = sorted(r.uscc for r in sides if r.uscc)
            first = min(sides, key=lambda r: r.name)
            chosen.append(
                Resolution(
                    first.name, usccs[0] if usccs else None, company_id, "created", first.name_key
                )
            )
        return chosen


class FlowLedger:
    """The DuckDB ledger of loaded transactions for one graph instance."""

    def __init__(
        self,
        path: Path,
        *,
        memory_limit: str = "4GB",
        threads: int = 2,
        resolving_memory_limit: str | None = None,
    ) -> None:
        private_dir(path.parent)  # the ledger holds every payment: 700 / 600
        self.path = path
        self._tmp = tempfile.TemporaryDirectory(prefix="corpgraph-flows-")
        self.con = duckdb.connect(str(path))
        restrict_file(path)
        restrict_file(path.with_name(path.name + ".wal"))
        self.con.execute(f"SET memory_limit = '{memory_limit}'")  # validated by Settings
        self._memory_limit = memory_limit
        self._resolving_memory_limit = resolving_memory_limit
        self.con.execute(f"SET threads = {int(threads)}")
        self.con.execute("SET temp_directory = ?", [self._tmp.name])
        self.con.execute("SET preserve_insertion_order = true")
        fresh = not self.con.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = 'ledger'"
        ).fetchall()[0][0]
        self.con.execute(LEDGER_SCHEMA)
        if fresh:
            self.con.execute("INSERT INTO ledger_meta VALUES ('keeps_sides', 'true')")
        if not self._has_meta("tracks_graph_flows"):
            # A ledger from before the keys were tracked: every key it ever aggregated may
            # be in the graph (a superset is always safe; it only costs the update path).
            self.con.execute("BEGIN TRANSACTION")
            self.con.execute(
                "INSERT INTO graph_flows SELECT DISTINCT payer, payee, month, currency FROM ledger"
            )
            self.con.execute("INSERT INTO ledger_meta VALUES ('tracks_graph_flows', 'true')")
            self.con.execute("COMMIT")
        self.con.execute(
            "CREATE OR REPLACE TEMP TABLE currencies "
            "(code VARCHAR, exponent INT, pow10 DECIMAL(38, 0))"
        )
        self.con.executemany(
            "INSERT INTO currencies VALUES (?, ?, ?)",
            [(c, minor_exponent(c), 10 ** minor_exponent(c)) for c in sorted(ISO_CURRENCIES)],
        )

    def close(self) -> None:
        self.con.close()
        self._tmp.cleanup()
        restrict_file(self.path)

    def __enter__(self) -> FlowLedger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _has_meta(self, key: str) -> bool:
        row = self.con.execute("SELECT count(*) FROM ledger_meta WHERE key = ?", [key]).fetchone()
        return bool(row and row[0])

    def has_sides(self) -> bool:
        """Whether this ledger kept the sides of all its rows (older versions did not)."""
        return self._has_meta("keeps_sides")

    def graph_flow_keys(self) -> int:
        """How many flow keys the graph may hold (an upper bound on its PAYS edges)."""
        row = self.con.execute("SELECT count(*) FROM graph_flows").fetchone()
        return int(row[0]) if row else 0

    def ledger_size(self) -> int:
        row = self.con.execute("SELECT count(*) FROM ledger").fetchone()
        return int(row[0]) if row else 0

    def _replace_table(self, name: LiteralString, columns: dict[str, list[Any]]) -> None:
        """(Re)create a temp table of VARCHAR columns from Python lists, via Arrow."""
        table = pa.table({k: pa.array(v, type=pa.string()) for k, v in columns.items()})
        self.con.register("_incoming", table)
        try:
            self.con.execute(
                f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT * FROM _incoming"  # noqa: S608 - name is a literal in code
            )
        finally:
            self.con.unregister("_incoming")

    # --- staging ------------------------------------------------------------------------------
    def _load_raw(self, source: InputFile, max_line_bytes: int) -> list[Reject]:
        """Read the file into the temp table ``raw`` (every contract column as text, and
        ``line``); rows that are not CSV, have the wrong number of fields or a line longer
        than ``max_line_bytes`` come back as rejects instead (DuckDB's ``store_rejects``)."""
        header = read_header(source)
        missing = [c for c in ("txn_id", "date", "amount", "currency") if c not in header]
        if missing:
            raise InputValidationError(
                f"{source.path.name} lacks required columns: {', '.join(missing)}"
            )
        # Columns by position (c0, c1...), never by the file's own names, which may be
        # anything; the contract's names come from code.
        select = ", ".join(
            (
                f"c{header.index(name)}::VARCHAR AS {name}"
                if name in header
                else f"NULL::VARCHAR AS {name}"
            )
            for name in SPEC.column_names
        )
        if source.file_format == "parquet":
            aliases = ", ".join(f"c{i}" for i in range(len(header)))
            self.con.execute(
                f"CREATE OR REPLACE TEMP TABLE raw_rows AS SELECT {select} "  # noqa: S608 - names from the contract
                f"FROM read_parquet(?) AS p({aliases})",
                [str(source.path)],
            )
            self.con.execute(
                "CREATE OR REPLACE TEMP TABLE raw AS SELECT rowid + 2 AS line, * FROM raw_rows"
            )
            return []
        path = source.path
        if source.encoding not in {"utf-8", "utf-8-sig"}:
            path = transcode_to_utf8(source, Path(self._tmp.name) / "transactions.utf8.csv")
        columns = "{" + ", ".join(f"'c{i}': 'VARCHAR'" for i in range(len(header))) + "}"
        self.con.execute("DROP TABLE IF EXISTS csv_reject_errors")
        self.con.execute("DROP TABLE IF EXISTS csv_reject_scans")
        try:
            self.con.execute(
                f"CREATE OR REPLACE TEMP TABLE raw_rows AS SELECT {select} FROM read_csv(?, "  # noqa: S608 - names from the contract
                f"header = true, auto_detect = false, columns = {columns}, delim = ',', "
                "quote = '\"', escape = '\"', strict_mode = true, null_padding = false, "
                "store_rejects = true, rejects_table = 'csv_reject_errors', "
                "rejects_scan = 'csv_reject_scans', max_line_size = ?, buffer_size = ?)",
                [str(path), max_line_bytes, 2 * max_line_bytes],
            )
        except duckdb.Error as error:
            first_line = str(error).splitlines()[0][:300] if str(error) else ""
            raise InputValidationError(
                f"{source.path.name} is not readable CSV (no line may be longer than "
                f"{max_line_bytes:,} bytes): {first_line}",
                details={"file": source.path.name},
            ) from error
        bad = self.con.execute(
            "SELECT line, CAST(arg_min(error_type, coalesce(column_idx, 0)) AS VARCHAR), "
            "arg_min(error_message, coalesce(column_idx, 0)) "
            "FROM csv_reject_errors GROUP BY line ORDER BY line"
        ).fetchall()
        if any(str(kind) == "INVALID ENCODING" for _, kind, _ in bad):
            raise InputValidationError(
                f"{source.path.name} is not valid {source.encoding}; pass --encoding",
                details={"file": source.path.name},
            )
        # The file line of each good row: the data lines (from 2) that are not rejects, in
        # order (as before, a row is taken to be one line).
        self._replace_table("bad_lines", {"line": [str(line) for line, _, _ in bad]})
        self.con.execute(
            "CREATE OR REPLACE TEMP TABLE raw AS "
            "WITH good AS (SELECT rowid AS k, * FROM raw_rows), "
            "lines AS (SELECT l AS line, row_number() OVER (ORDER BY l) - 1 AS k "
            "FROM range(2, (SELECT count(*) FROM raw_rows) + ? + 2) r(l) "
            "WHERE l NOT IN (SELECT CAST(line AS BIGINT) FROM bad_lines)) "
            "SELECT lines.line, good.* EXCLUDE (k) FROM good JOIN lines USING (k) ORDER BY line",
            [len(bad)],
        )
        rejects = []
        for line, kind, message in bad:
            if str(kind) in {"MISSING COLUMNS", "TOO MANY COLUMNS"}:
                reason = RejectReason.WRONG_FIELD_COUNT
                text = f"the row does not have the header's {len(header)} fields: {message}"
            elif str(kind) == "LINE SIZE OVER MAXIMUM":
                reason = RejectReason.FIELD_TOO_LONG
                text = f"the line is longer than {max_line_bytes:,} bytes, the line bound"
            else:
                reason = RejectReason.MALFORMED_ROW
                text = f"not a CSV row ({str(kind).lower()})"
            rejects.append(Reject("transactions", int(line), "", reason, text[:300]))
        return rejects

    def stage(
        self,
        source: InputFile,
        resolver: SideResolver | CompanyIndex,
        known_company_ids: set[str],
        *,
        max_field_chars: int = DEFAULT_MAX_FIELD_CHARS,
        max_line_bytes: int = DEFAULT_MAX_LINE,
        partner_cap: int = 500,
    ) -> TransactionsResult:
        """Validate, resolve and de-duplicate a transactions file, then extend the ledger.

        ``resolver`` resolves every side known by name, this file's and earlier
        loads' (a :class:`CompanyIndex` resolves by exact evidence only).
        """
        resolve = exact_resolver(resolver) if isinstance(resolver, CompanyIndex) else resolver
        result = TransactionsResult()
        malformed = self._load_raw(source, max_line_bytes)
        self._replace_table("known_companies", {"company_id": sorted(known_company_ids)})
        self.con.execute(
            PARSE_SQL,
            {
                "full": _FULL_WIDTH,
                "half": _HALF_WIDTH,
                "max_chars": max_field_chars,
                "max_minor": MAX_MINOR_UNITS,
            },
        )
        row = self.con.execute("SELECT count(*) FROM parsed").fetchone()
        result.read = (int(row[0]) if row else 0) + len(malformed)
        result.rejects.extend(malformed)

        self.con.execute(INCOMING_SIDES_SQL)
        self.con.execute(ALL_SIDES_SQL)
        # The partners are aggregated with the full memory limit; from here on DuckDB only
        # hands rows to Python, which holds them while it resolves.
        self.con.execute(
            "CREATE OR REPLACE TEMP TABLE company_partners AS " + COMPANY_PARTNERS_SQL,
            {"cap": partner_cap},
        )
        with self._memory_lowered():
            sides, partners = self._resolution_inputs(known_company_ids)
            outcome = resolve(sides, partners)
            del partners  # only the resolution needs them
        result.outcome = outcome
        resolutions = outcome.resolutions
        self._replace_table(
            "resolved",
            {
                "side_no": [str(side.side_no) for side in sides],
                "name": [side.name for side in sides],
                "uscc": [side.uscc for side in sides],
                "company_id": [r.company_id for r in resolutions],
                "method": [r.method for r in resolutions],
                "candidates": [", ".join(r.candidates) for r in resolutions],
            },
        )
        self.con.execute(
            "CREATE OR REPLACE TEMP TABLE changed AS "
            "SELECT a.side_no, a.previous AS old_id, r.company_id AS new_id "
            "FROM all_sides a JOIN resolved r ON CAST(r.side_no AS INTEGER) = a.side_no "
            "WHERE a.stored AND r.company_id IS NOT NULL AND a.previous <> r.company_id"
        )
        self.con.execute(STAGE_SQL)

        for line, reject in self.con.execute(
            "SELECT line, reject FROM staged WHERE reject IS NOT NULL ORDER BY line"
        ).fetchall():
            reason, column, message = str(reject).split("|", 2)
            result.rejects.append(
                Reject("transactions", int(line), column, RejectReason(reason), message)
            )
        for line, first_line, txn_id in self.con.execute(
            "SELECT line, first_line, txn_id FROM staged "
            "WHERE reject IS NULL AND occurrence > 1 AND NOT same_as_first ORDER BY line"
        ).fetchall():
            result.rejects.append(
                Reject(
                    "transactions",
                    int(line),
                    "txn_id",
                    RejectReason.DUPLICATE_KEY,
                    f"txn_id {txn_id} repeats line {first_line} with other values",
                )
            )
        counts = self.con.execute(
            "SELECT count(*) FILTER (WHERE reject IS NULL AND occurrence > 1 AND same_as_first) "
            "FROM staged"
        ).fetchone()
        result.identical_duplicates = int(counts[0]) if counts else 0

        # Rows of sides that now resolve elsewhere move first, so that a re-loaded file
        # compares with the ledger as it is now. Idempotent if interrupted.
        self.con.execute("BEGIN TRANSACTION")
        try:
            self._move_changed_sides()
            self.con.execute("COMMIT")
            restrict_file(self.path.with_name(self.path.name + ".wal"))
        except BaseException:
            self.con.execute("ROLLBACK")
            raise
        conflicts = self.con.execute(
            "SELECT s.line, s.txn_id FROM staged s JOIN ledger l USING (txn_id) "
            "WHERE s.reject IS NULL AND s.occurrence = 1 AND "
            "(l.txn_date, l.amount_minor, l.currency, l.payer, l.payee) <> "
            "(s.txn_date, s.amount_minor, s.currency, s.payer, s.payee) ORDER BY s.line"
        ).fetchall()
        conflict_lines = {int(line) for line, _ in conflicts}
        for line, txn_id in conflicts:
            result.rejects.append(
                Reject(
                    "transactions",
                    int(line),
                    "txn_id",
                    RejectReason.DUPLICATE_KEY,
                    f"txn_id {txn_id} was loaded before with other values",
                )
            )
        if conflict_lines:
            self.con.execute(
                "UPDATE staged SET reject = 'duplicate_key' WHERE line IN (SELECT unnest(?))",
                [sorted(conflict_lines)],
            )
        overflowing = self.con.execute(OVERFLOW_SQL, {"max_minor": MAX_MINOR_UNITS}).fetchall()
        for line, payer, payee, month, currency in overflowing:
            result.rejects.append(
                Reject(
                    "transactions",
                    int(line),
                    "amount",
                    RejectReason.OUT_OF_RANGE,
                    f"the {month} {currency} flow from {payer} to {payee} would pass the "
                    "64-bit range of minor units",
                )
            )
        if overflowing:
            self.con.execute(
                "UPDATE staged SET reject = 'out_of_range' WHERE line IN (SELECT unnest(?))",
                [[int(line) for line, *_ in overflowing]],
            )
        self.con.execute("BEGIN TRANSACTION")
        try:
            before = self.ledger_size()
            self.con.execute(
                "INSERT INTO ledger (txn_id, txn_date, month, amount_minor, currency, payer, "
                "payee, payer_side, payee_side) SELECT txn_id, txn_date, month, amount_minor, "
                "currency, payer, payee, CAST(payer_side AS INTEGER), "
                "CAST(payee_side AS INTEGER) FROM staged s "
                "WHERE reject IS NULL AND occurrence = 1 "
                "AND NOT EXISTS (SELECT 1 FROM ledger l WHERE l.txn_id = s.txn_id)"
            )
            result.new = self.ledger_size() - before
            self._keep_sides()
            self.con.execute("COMMIT")
            restrict_file(self.path.with_name(self.path.name + ".wal"))
        except BaseException:
            self.con.execute("ROLLBACK")
            raise
        affected = self.con.execute("SELECT company_id FROM pending_affected").fetchall()
        result.affected = {str(company_id) for (company_id,) in affected}
        kept = self.con.execute("SELECT side_no FROM sides ORDER BY side_no").fetchall()
        by_number = {side.side_no: r for side, r in zip(sides, resolutions, strict=True)}
        result.resolutions = [by_number[int(n)] for (n,) in kept]
        accepted = self.con.execute(
            "SELECT count(*) FROM staged WHERE reject IS NULL AND occurrence = 1"
        ).fetchone()
        result.already_loaded = (int(accepted[0]) if accepted else 0) - result.new
        keys = self.con.execute(
            "SELECT count(*) FROM (SELECT DISTINCT payer, payee, month, currency FROM staged "
            "WHERE reject IS NULL AND occurrence = 1)"
        ).fetchone()
        result.flow_keys = int(keys[0]) if keys else 0
        return result

    @contextmanager
    def _memory_lowered(self) -> Iterator[None]:
        """Lower the ledger's memory limit while Python resolves the sides: DuckDB spills
        its staged tables to the temp directory instead of holding them beside the
        resolution's objects (``resolving_memory_limit``; unchanged when None)."""
        if self._resolving_memory_limit is None:
            yield
            return
        try:
            self.con.execute(f"SET memory_limit = '{self._resolving_memory_limit}'")
        except duckdb.Error as error:  # it could not spill enough: carry on with the full limit
            logger.warning("the flow ledger kept its memory while resolving: %s", error)
        try:
            yield
        finally:
            self.con.execute(f"SET memory_limit = '{self._memory_limit}'")

    def _resolution_inputs(
        self, known_company_ids: set[str]
    ) -> tuple[list[Side], dict[str, tuple[str, ...]]]:
        """Every side (``all_sides``) and the partners of companies known by id
        (``company_partners``).

        Read in batches, and every partner id is the one string of ``known_company_ids``
        (partners are always known companies): a large bank has millions of partner
        entries over a few hundred thousand companies, and a fresh string per entry
        would cost gigabytes.
        """
        shared = {company_id: company_id for company_id in known_company_ids}

        def ids(values: Sequence[str] | None) -> tuple[str, ...]:
            return tuple(shared.get(value, value) for value in values or ())

        sides: list[Side] = []
        cursor = self.con.execute(
            "SELECT side_no, name, uscc, accounts, partners FROM all_sides ORDER BY side_no"
        )
        while rows := cursor.fetchmany(_FETCH_BATCH):
            sides.extend(
                Side(int(no), str(name), str(uscc) or None, tuple(accounts or ()), ids(listed))
                for no, name, uscc, accounts, listed in rows
            )
        partners: dict[str, tuple[str, ...]] = {}
        cursor = self.con.execute("SELECT company_id, partners FROM company_partners")
        while rows := cursor.fetchmany(_FETCH_BATCH):
            for company, listed in rows:
                partners[shared.get(company, company)] = ids(listed)
        return sides, partners

    def _move_changed_sides(self) -> None:
        """Re-point the ledger rows of sides that now resolve to another company."""
        self.con.execute(
            "UPDATE ledger SET payer = c.new_id FROM changed c WHERE ledger.payer_side = c.side_no"
        )
        self.con.execute(
            "UPDATE ledger SET payee = c.new_id FROM changed c WHERE ledger.payee_side = c.side_no"
        )
        self.con.execute(
            "INSERT OR IGNORE INTO pending_affected "
            "SELECT old_id FROM changed UNION SELECT new_id FROM changed"
        )

    def _keep_sides(self) -> None:
        """Store this file's sides that accepted rows use, and every side's resolution."""
        self.con.execute(
            "INSERT INTO sides SELECT a.side_no, a.name, a.uscc, r.company_id, r.method "
            "FROM all_sides a JOIN resolved r ON CAST(r.side_no AS INTEGER) = a.side_no "
            "WHERE NOT a.stored AND a.side_no IN ("
            "SELECT CAST(payer_side AS INTEGER) FROM staged WHERE reject IS NULL "
            "AND occurrence = 1 UNION SELECT CAST(payee_side AS INTEGER) FROM staged "
            "WHERE reject IS NULL AND occurrence = 1)"
        )
        self.con.execute(
            "UPDATE sides SET company_id = r.company_id, method = r.method FROM resolved r "
            "WHERE sides.side_no = CAST(r.side_no AS INTEGER) AND r.company_id IS NOT NULL "
            "AND (sides.company_id IS DISTINCT FROM r.company_id "
            "OR sides.method IS DISTINCT FROM r.method)"
        )
        self.con.execute(
            "INSERT OR IGNORE INTO side_accounts SELECT a.side_no, unnest(a.accounts) "
            "FROM all_sides a SEMI JOIN sides s USING (side_no)"
        )
        self.con.execute(
            "INSERT OR IGNORE INTO side_partners SELECT a.side_no, unnest(a.partners) "
            "FROM all_sides a SEMI JOIN sides s USING (side_no)"
        )

    def flows_written(self) -> None:
        """The graph has every flow of the affected companies: forget them."""
        self.con.execute("DELETE FROM pending_affected")

    def flows(self, batch_size: int = 10_000) -> Iterator[list[dict[str, Any]]]:
        """Monthly flows of every key the staged file touched, and every flow of an
        affected company, recomputed from the ledger (see :meth:`flow_writes`)."""
        for batch in self.flow_writes(batch_size):
            yield batch.rows

    def flow_writes(
        self, batch_size: int = 10_000, *, graph_pays_edges: int | None = None
    ) -> Iterator[FlowBatch]:
        """The flows to write, split by whether the graph may already hold their key.

        Keys the graph cannot hold come first (``may_exist`` false: plain ``CREATE``),
        then the others (update through the endpoints, create if missing). Before the
        first batch is yielded, every new key is recorded in ``graph_flows`` and
        committed, so a load killed while writing finds them there and takes the update
        path: nothing is ever created twice.

        ``graph_pays_edges`` is the graph's count of ``PAYS`` edges: if it is larger than
        the keys the ledger knows of, the graph holds flows this ledger did not write (a
        restored graph, a lost ledger) and every key takes the update path.
        """
        self.con.execute(f"CREATE OR REPLACE TEMP TABLE flows_out AS {FLOW_WRITES_SQL}")
        if graph_pays_edges is not None and graph_pays_edges > self.graph_flow_keys():
            logger.warning(
                "the graph holds %d PAYS edges, more than the %d flow keys this ledger wrote: "
                "every flow is written through the update path",
                graph_pays_edges,
                self.graph_flow_keys(),
            )
            self.con.execute("UPDATE flows_out SET may_exist = true")
        self.con.execute("BEGIN TRANSACTION")
        try:
            self.con.execute(
                "INSERT INTO graph_flows SELECT payer, payee, month, currency FROM flows_out "
                "WHERE NOT may_exist"
            )
            self.con.execute("COMMIT")
            restrict_file(self.path.with_name(self.path.name + ".wal"))
        except BaseException:
            self.con.execute("ROLLBACK")
            raise
        for may_exist in (False, True):
            cursor = self.con.execute(
                "SELECT * EXCLUDE (may_exist) FROM flows_out WHERE may_exist = ? "
                "ORDER BY payer, payee, month, currency",
                [may_exist],
            )
            columns = [d[0] for d in cursor.description or []]
            while rows := cursor.fetchmany(batch_size):
                batch = []
                for values in rows:
                    record = dict(zip(columns, values, strict=True))
                    amount = int(record["amount_minor"])
                    if amount > MAX_MINOR_UNITS:  # stage() rejects the rows that would do it
                        raise InputValidationError(
                            "a monthly flow exceeds the 64-bit range of minor units",
                            details={"payer": record["payer"], "month": record["month"]},
                        )
                    record["amount_minor"] = amount
                    batch.append(record)
                yield FlowBatch(batch, may_exist)
