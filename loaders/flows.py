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

The ledger is a DuckDB file tied to one graph instance (see ``pipeline``).
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Final, LiteralString

import duckdb
import pyarrow as pa

from corpgraph.errors import InputValidationError

from .contract import CONTRACT, RejectReason
from .parsing import ISO_CURRENCIES, minor_exponent
from .reading import InputFile, read_header, transcode_to_utf8
from .resolution import CompanyIndex, Resolution
from .validation import Reject

logger = logging.getLogger(__name__)

SPEC = CONTRACT["transactions"]
_FULL_WIDTH: Final = "０１２３４５６７８９，．－＋ｅＥ"
_HALF_WIDTH: Final = "0123456789,.-+eE"
_INT64_MAX: Final = 2**63 - 1

LEDGER_SCHEMA: Final[LiteralString] = """
CREATE TABLE IF NOT EXISTS ledger (
    txn_id VARCHAR PRIMARY KEY,
    txn_date DATE NOT NULL,
    month VARCHAR NOT NULL,
    amount_minor HUGEINT NOT NULL,
    currency VARCHAR NOT NULL,
    payer VARCHAR NOT NULL,
    payee VARCHAR NOT NULL
)
"""

# Parsing and per-row checks, in the contract's column order; the first failure wins.
PARSE_SQL: Final[LiteralString] = r"""
CREATE OR REPLACE TEMP TABLE parsed AS
WITH cleaned AS (
    SELECT
        rowid + 2 AS line,
        nullif(trim(txn_id), '') AS txn_id,
        nullif(trim(date), '') AS date_text,
        nullif(trim(translate(amount, $full, $half)), '') AS amount_text,
        nullif(upper(trim(currency)), '') AS currency_text,
        nullif(trim(payer_id), '') AS payer_id,
        nullif(trim(payer_name), '') AS payer_name,
        nullif(upper(trim(payer_uscc)), '') AS payer_uscc,
        nullif(trim(payee_id), '') AS payee_id,
        nullif(trim(payee_name), '') AS payee_name,
        nullif(upper(trim(payee_uscc)), '') AS payee_uscc
    FROM raw
), typed AS (
    SELECT *,
        coalesce(
            try_strptime(date_text, '%Y-%m-%d'), try_strptime(date_text, '%Y/%m/%d'),
            try_strptime(date_text, '%Y%m%d'), try_strptime(date_text, '%Y.%m.%d')
        )::DATE AS txn_date,
        CASE WHEN regexp_full_match(
                amount_text, '[+-]?(\d{1,3}(,\d{3})+|\d+)?(\.\d+)?([eE][+-]?\d+)?')
              AND regexp_matches(amount_text, '\d')
             THEN try_cast(replace(amount_text, ',', '') AS DECIMAL(38, 10)) END AS amount,
        CASE currency_text WHEN 'RMB' THEN 'CNY' WHEN '人民币' THEN 'CNY'
             ELSE currency_text END AS currency
    FROM cleaned
)
SELECT t.*, c.exponent,
    CASE
        WHEN t.txn_id IS NULL THEN 'missing_required|txn_id|txn_id is required'
        WHEN length(t.txn_id) > 64 THEN 'invalid_id|txn_id|id must be at most 64 characters'
        WHEN t.date_text IS NULL THEN 'missing_required|date|date is required'
        WHEN t.txn_date IS NULL THEN 'invalid_date|date|not a date (YYYY-MM-DD): ' || t.date_text
        WHEN t.amount_text IS NULL THEN 'missing_required|amount|amount is required'
        WHEN t.amount IS NULL THEN 'invalid_decimal|amount|not a decimal number: ' || t.amount_text
        WHEN t.amount <= 0 THEN 'out_of_range|amount|amount must be positive'
        WHEN t.currency IS NULL THEN 'missing_required|currency|currency is required'
        WHEN c.code IS NULL THEN 'invalid_currency|currency|not an ISO 4217 currency: '
             || t.currency_text
        WHEN t.amount * pow10 <> floor(t.amount * pow10)
             THEN 'invalid_decimal|amount|more decimals than ' || t.currency || ' allows'
        WHEN t.payer_id IS NULL AND t.payer_name IS NULL
             THEN 'missing_required|payer_id|payer_id or payer_name is required'
        WHEN t.payee_id IS NULL AND t.payee_name IS NULL
             THEN 'missing_required|payee_id|payee_id or payee_name is required'
        WHEN t.payer_id IS NOT NULL AND pk.company_id IS NULL
             THEN 'unknown_reference|payer_id|payer_id ' || t.payer_id || ' not found in companies'
        WHEN t.payee_id IS NOT NULL AND ek.company_id IS NULL
             THEN 'unknown_reference|payee_id|payee_id ' || t.payee_id || ' not found in companies'
    END AS problem,
    CAST(t.amount * c.pow10 AS HUGEINT) AS amount_minor
FROM typed t
LEFT JOIN currencies c ON c.code = t.currency
LEFT JOIN known_companies pk ON pk.company_id = t.payer_id
LEFT JOIN known_companies ek ON ek.company_id = t.payee_id
"""

SIDES_SQL: Final[LiteralString] = """
SELECT DISTINCT payer_name AS name, payer_uscc AS uscc FROM parsed
WHERE problem IS NULL AND payer_id IS NULL
UNION
SELECT DISTINCT payee_name, payee_uscc FROM parsed
WHERE problem IS NULL AND payee_id IS NULL
"""

STAGE_SQL: Final[LiteralString] = """
CREATE OR REPLACE TEMP TABLE staged AS
WITH sided AS (
    SELECT p.line, p.txn_id, p.txn_date, strftime(p.txn_date, '%Y-%m') AS month,
        p.amount_minor, p.currency, p.problem,
        coalesce(p.payer_id, rp.company_id) AS payer,
        coalesce(p.payee_id, re.company_id) AS payee,
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
) k USING (payer, payee, month, currency)
GROUP BY ALL
ORDER BY l.payer, l.payee, l.month, l.currency
"""


@dataclass
class TransactionsResult:
    """What staging one transactions file found."""

    read: int = 0
    new: int = 0
    already_loaded: int = 0
    identical_duplicates: int = 0
    rejects: list[Reject] = field(default_factory=list)
    resolutions: list[Resolution] = field(default_factory=list)
    flow_keys: int = 0
    #: Payers and payees of the accepted rows: a counterparty seen only in rejected
    #: rows is resolved (and reported) but never becomes a company.
    accepted_company_ids: frozenset[str] = frozenset()

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
            if (
                resolution.method == "created"
                and resolution.company_id is not None
                and resolution.company_id in self.accepted_company_ids
            ):
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

    def __init__(self, path: Path, *, memory_limit: str = "4GB", threads: int = 2) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._tmp = tempfile.TemporaryDirectory(prefix="corpgraph-flows-")
        self.con = duckdb.connect(str(path))
        self.con.execute(f"SET memory_limit = '{memory_limit}'")  # validated by Settings
        self.con.execute(f"SET threads = {int(threads)}")
        self.con.execute("SET temp_directory = ?", [self._tmp.name])
        self.con.execute("SET preserve_insertion_order = true")
        self.con.execute(LEDGER_SCHEMA)
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

    def __enter__(self) -> FlowLedger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

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
    def _load_raw(self, source: InputFile) -> None:
        header = read_header(source)
        missing = [c for c in ("txn_id", "date", "amount", "currency") if c not in header]
        if missing:
            raise InputValidationError(
                f"{source.path.name} lacks required columns: {', '.join(missing)}"
            )
        select = ", ".join(
            (f'"{name}"::VARCHAR AS {name}' if name in header else f"NULL::VARCHAR AS {name}")
            for name in SPEC.column_names
        )
        if source.file_format == "parquet":
            self.con.execute(
                f"CREATE OR REPLACE TEMP TABLE raw AS SELECT {select} FROM read_parquet(?)",  # noqa: S608 - names from the contract
                [str(source.path)],
            )
            return
        path = source.path
        if source.encoding not in {"utf-8", "utf-8-sig"}:
            path = transcode_to_utf8(source, Path(self._tmp.name) / "transactions.utf8.csv")
        try:
            self.con.execute(
                f"CREATE OR REPLACE TEMP TABLE raw AS SELECT {select} FROM read_csv(?, "  # noqa: S608 - names from the contract
                "header = true, all_varchar = true, quote = '\"', escape = '\"', "
                "null_padding = true, strict_mode = false, normalize_names = true)",
                [str(path)],
            )
        except duckdb.Error as error:
            raise InputValidationError(
                f"{source.path.name} is not readable CSV: {error}"
            ) from error

    def stage(
        self, source: InputFile, index: CompanyIndex, known_company_ids: set[str]
    ) -> TransactionsResult:
        """Validate, resolve and de-duplicate a transactions file, then extend the ledger."""
        result = TransactionsResult()
        self._load_raw(source)
        self._replace_table("known_companies", {"company_id": sorted(known_company_ids)})
        self.con.execute(PARSE_SQL, {"full": _FULL_WIDTH, "half": _HALF_WIDTH})
        row = self.con.execute("SELECT count(*) FROM parsed").fetchone()
        result.read = int(row[0]) if row else 0

        # Sorted, so that resolution (which can add companies to the index) and the
        # choice of a new company's name do not depend on DuckDB's row order.
        sides = sorted(
            self.con.execute(SIDES_SQL).fetchall(), key=lambda s: (str(s[0]), s[1] or "")
        )
        resolutions = [index.resolve(str(name), uscc) for name, uscc in sides]
        for resolution in resolutions:
            if resolution.method == "created" and resolution.company_id is not None:
                index.add(resolution.company_id, resolution.name, resolution.uscc)
        result.resolutions = resolutions
        self._replace_table(
            "resolved",
            {
                "name": [str(name) for name, _ in sides],
                "uscc": [uscc for _, uscc in sides],
                "company_id": [r.company_id for r in resolutions],
                "method": [r.method for r in resolutions],
                "candidates": [", ".join(r.candidates) for r in resolutions],
            },
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
        result.accepted_company_ids = frozenset(
            str(company_id)
            for (company_id,) in self.con.execute(
                "SELECT payer FROM staged WHERE reject IS NULL AND occurrence = 1 "
                "UNION SELECT payee FROM staged WHERE reject IS NULL AND occurrence = 1"
            ).fetchall()
        )
        result.resolutions = [
            replace(r, note="; ".join(filter(None, (r.note, "only in rejected rows: not created"))))
            if r.method == "created" and r.company_id not in result.accepted_company_ids
            else r
            for r in result.resolutions
        ]
        self.con.execute("BEGIN TRANSACTION")
        try:
            before = self.ledger_size()
            self.con.execute(
                "INSERT INTO ledger SELECT txn_id, txn_date, month, amount_minor, currency, "
                "payer, payee FROM staged s WHERE reject IS NULL AND occurrence = 1 "
                "AND NOT EXISTS (SELECT 1 FROM ledger l WHERE l.txn_id = s.txn_id)"
            )
            result.new = self.ledger_size() - before
            self.con.execute("COMMIT")
        except BaseException:
            self.con.execute("ROLLBACK")
            raise
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

    def flows(self, batch_size: int = 10_000) -> Iterator[list[dict[str, Any]]]:
        """Monthly flows of every key the staged file touched, recomputed from the ledger."""
        cursor = self.con.execute(FLOWS_SQL)
        columns = [d[0] for d in cursor.description or []]
        while rows := cursor.fetchmany(batch_size):
            batch = []
            for values in rows:
                record = dict(zip(columns, values, strict=True))
                amount = int(record["amount_minor"])
                if amount > _INT64_MAX:
                    raise InputValidationError(
                        "a monthly flow exceeds the 64-bit range of minor units",
                        details={"payer": record["payer"], "month": record["month"]},
                    )
                record["amount_minor"] = amount
                batch.append(record)
            yield batch
