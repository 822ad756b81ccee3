"""Row and file validation against the contract.

Validation runs file by file in :data:`~loaders.contract.LOAD_ORDER`, so a row
that refers to a rejected row is itself rejected (``unknown_reference``) and
nothing dangling is ever written. One row gets at most one reject: its first
failure.

Examples
--------
>>> from loaders.contract import CONTRACT
>>> rows = [(2, {"product_code": "P1", "name": "存款", "category": "deposit"}),
...         (3, {"product_code": "", "name": "x", "category": "y"})]
>>> result = validate_rows(CONTRACT["products"], rows)
>>> [r["product_code"] for r in result.records], [(r.row, r.reason.value) for r in result.rejects]
(['P1'], [(3, 'missing_required')])
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Final

from core.contacts import ContactKind, is_usable, normalise_contact
from core.errors import InputValidationError
from core.kpis import METRICS, parse_period
from core.money import EQUIVALENT_CURRENCY
from core.uscc import validate_uscc

from .contract import SHARE_SUM_TOLERANCE_PCT, Column, FileSpec, Kind, RejectReason
from .parsing import (
    FieldError,
    clean,
    parse_bool,
    parse_currency,
    parse_date,
    parse_decimal,
    parse_id,
    parse_percent,
    parse_rate,
    to_minor_units,
)
from .reading import DEFAULT_MAX_FIELD_CHARS, MalformedRow

Record = dict[str, Any]
LINE: Final = "_line"


@dataclass(frozen=True)
class Reject:
    """One rejected row: where, which field, why."""

    file: str
    row: int
    field: str
    reason: RejectReason
    message: str


@dataclass
class FileResult:
    """Valid records (each with its ``_line``) and rejects of one file."""

    file: str
    records: list[Record] = field(default_factory=list)
    rejects: list[Reject] = field(default_factory=list)
    read: int = 0
    identical_duplicates: int = 0


def parse_field(column: Column, raw: str | None, max_chars: int) -> Any:
    """Parse one field; ``None`` for an empty optional field.

    A field longer than ``max_chars`` is rejected before anything else looks at it.
    """
    if raw is not None and len(raw) > max_chars:
        raise FieldError(
            RejectReason.FIELD_TOO_LONG,
            f"{column.name} has {len(raw):,} characters; at most {max_chars:,} are accepted",
        )
    text = clean(raw)
    if text is None:
        if column.required:
            raise FieldError(RejectReason.MISSING_REQUIRED, f"{column.name} is required")
        return None
    match column.kind:
        case Kind.ID:
            return parse_id(text)
        case Kind.TEXT:
            return text
        case Kind.BOOL:
            return parse_bool(text)
        case Kind.DECIMAL:
            value = parse_decimal(text)
            if value < 0:
                raise FieldError(RejectReason.OUT_OF_RANGE, f"{column.name} must not be negative")
            return value
        case Kind.PERCENT:
            return parse_percent(text)
        case Kind.RATE:
            return parse_rate(text)
        case Kind.DATE:
            return parse_date(text)
        case Kind.CURRENCY:
            return parse_currency(text)
        case Kind.USCC:
            check = validate_uscc(text)
            if not check.valid:
                raise FieldError(RejectReason.INVALID_USCC, f"invalid USCC: {check.reason}")
            return check.code
        case Kind.ENUM:
            lowered = text.casefold()
            if lowered not in column.choices:
                raise FieldError(
                    RejectReason.INVALID_ENUM,
                    f"{column.name} must be one of {', '.join(column.choices)}",
                )
            return lowered
    raise AssertionError(f"unhandled kind {column.kind}")  # pragma: no cover


def missing_columns(spec: FileSpec, header: Iterable[str]) -> list[str]:
    """Required columns absent from a header."""
    present = set(header)
    return [c.name for c in spec.columns if c.required and c.name not in present]


def validate_rows(
    spec: FileSpec,
    rows: Iterable[tuple[int, Mapping[str, str] | MalformedRow]],
    *,
    max_field_chars: int = DEFAULT_MAX_FIELD_CHARS,
) -> FileResult:
    """Parse every row of one file and reject duplicates of its key.

    An exact repeat of a row is counted as an identical duplicate, not rejected;
    a repeat of a key with other values is rejected as ``duplicate_key``. A row with
    the wrong number of fields is ``wrong_field_count``; a field longer than
    ``max_field_chars`` is ``field_too_long``.
    """
    result = FileResult(spec.name)
    seen: dict[tuple[Any, ...], Record] = {}
    for line, values in rows:
        result.read += 1
        if isinstance(values, MalformedRow):
            result.rejects.append(
                Reject(spec.name, line, "", RejectReason.WRONG_FIELD_COUNT, values.message)
            )
            continue
        record: Record = {LINE: line}
        try:
            for column in spec.columns:
                try:
                    record[column.name] = parse_field(
                        column, values.get(column.name), max_field_chars
                    )
                except FieldError as error:
                    result.rejects.append(
                        Reject(spec.name, line, column.name, error.reason, error.message)
                    )
                    raise
        except FieldError:
            continue
        problem = _row_rule(spec, record)
        if problem is not None:
            result.rejects.append(Reject(spec.name, line, *problem))
            continue
        key = tuple(record[k] for k in spec.key)
        previous = seen.get(key)
        if previous is not None:
            if _same_values(previous, record):
                result.identical_duplicates += 1
            else:
                result.rejects.append(
                    Reject(
                        spec.name,
                        line,
                        ",".join(spec.key),
                        RejectReason.DUPLICATE_KEY,
                        f"key {'/'.join(map(str, key))} repeats line {previous[LINE]} "
                        "with other values",
                    )
                )
            continue
        seen[key] = record
        result.records.append(record)
    return result


def _same_values(a: Record, b: Record) -> bool:
    return {k: v for k, v in a.items() if k != LINE} == {k: v for k, v in b.items() if k != LINE}


_SELF_PAIRS: Final = {
    "shareholdings": ("owner_id", "company_id"),
    "control_links": ("controller_id", "company_id"),
    "supply_links": ("supplier_id", "buyer_id"),
    "guarantees": ("guarantor_id", "borrower_id"),
    "person_relations": ("person_id", "related_person_id"),
}


def _row_rule(spec: FileSpec, record: Record) -> tuple[str, RejectReason, str] | None:
    """Rules that look at several fields of one row."""
    file = spec.name
    pair = _SELF_PAIRS.get(file)
    if pair is not None and record[pair[0]] == record[pair[1]]:
        return pair[0], RejectReason.SELF_REFERENCE, f"{pair[0]} equals {pair[1]}"
    if file == "supply_links" and record["annual_amount"] is not None and not record["currency"]:
        return "currency", RejectReason.MISSING_REQUIRED, "currency is required with an amount"
    if (
        file == "fx_rates"
        and record["currency"] == EQUIVALENT_CURRENCY
        and record["cny_per_unit"] != 1
    ):
        return "cny_per_unit", RejectReason.OUT_OF_RANGE, "a CNY rate must be 1"
    money = _money_problem(spec, record)
    if money is not None:
        return money
    if file == "targets":
        target = target_problem(record)
        if target is not None:
            return target
    if file == "opportunity_history":
        stages = opportunity_stage_problem(record)
        if stages is not None:
            return stages
    if (
        file == "guarantees"
        and record["end_date"] is not None
        and record["end_date"] < record["start_date"]
    ):
        return "end_date", RejectReason.OUT_OF_RANGE, "end_date is before start_date"
    if (
        file == "holdings"
        and record["closed"] is not None
        and record["opened"] is not None
        and record["closed"] < record["opened"]
    ):
        return "closed", RejectReason.OUT_OF_RANGE, "closed is before opened"
    if (
        file == "key_persons"
        and record["until"]
        and record["since"]
        and record["until"] < record["since"]
    ):
        return "until", RejectReason.OUT_OF_RANGE, "until is before since"
    if file == "company_contacts":
        kind = ContactKind(record["kind"])
        if not is_usable(kind, normalise_contact(kind, record["value"])):
            return "value", RejectReason.INVALID_CONTACT, f"no comparable {kind.value} in value"
    return None


def opportunity_stage_problem(record: Record) -> tuple[str, RejectReason, str] | None:
    """An imported opportunity's stage dates: in order, won or lost (not both), won
    only after a proposal."""
    if record["won"] is not None and record["lost"] is not None:
        return "lost", RejectReason.OUT_OF_RANGE, "an opportunity is won or lost, not both"
    if record["won"] is not None and record["proposal"] is None:
        return "won", RejectReason.OUT_OF_RANGE, "an opportunity is won only after a proposal"
    previous = record["created"]
    for stage in ("contacted", "proposal", "won", "lost"):
        day = record[stage]
        if day is None:
            continue
        if day < previous:
            return stage, RejectReason.INVALID_DATE, f"{stage} is before the stage before it"
        previous = day
    return None


def target_problem(record: Record) -> tuple[str, RejectReason, str] | None:
    """A target row's period, category and value checked against its metric."""
    try:
        record["period"] = parse_period(record["period"]).code
    except InputValidationError as error:
        return "period", RejectReason.INVALID_DATE, error.message
    definition = METRICS[record["metric"]]
    if record["category"] is not None and definition.dimension is None:
        return "category", RejectReason.OUT_OF_RANGE, f"{definition.code} has no categories"
    if (
        definition.unit == "count"
        and record["target_value"] != record["target_value"].to_integral()
    ):
        return "target_value", RejectReason.INVALID_DECIMAL, "a count target is a whole number"
    return None


def check_key_person_identities(result: FileResult, known_persons: set[str]) -> set[str]:
    """Reject key persons that are neither known persons nor named; return the new persons.

    A key person is the same identity as ``persons.person_id`` (exact id, never a name
    match). One that the persons file does not list is created from ``person_name``;
    without a name it is ``unknown_reference``.
    """
    kept: list[Record] = []
    created: set[str] = set()
    for record in result.records:
        person = record["person_id"]
        if person in known_persons or person in created or record["person_name"]:
            if person not in known_persons:
                created.add(person)
            kept.append(record)
            continue
        result.rejects.append(
            Reject(
                result.file,
                record[LINE],
                "person_id",
                RejectReason.UNKNOWN_REFERENCE,
                f"person_id {person} not found in persons.person_id and person_name is empty",
            )
        )
    result.records = kept
    return created


def _money_problem(spec: FileSpec, record: Record) -> tuple[str, RejectReason, str] | None:
    """An amount the writer could not store exactly: too many decimals for its currency,
    or minor units beyond the 64-bit range. Checked here so that the writer never meets one.
    """
    for column in spec.columns:
        amount = record.get(column.name)
        if column.kind is not Kind.DECIMAL or amount is None:
            continue
        currency = column.fixed_currency or record.get(column.currency_column or "")
        if currency is None:
            continue  # the currency rule above rejects this row
        try:
            to_minor_units(amount, str(currency))
        except FieldError as error:
            return column.name, error.reason, f"{column.name}: {error.message}"
    return None


#: Polymorphic references: (file, id column, type column) → file by type.
_TYPED_REFERENCES: Final = {
    ("shareholdings", "owner_id", "owner_type"),
    ("control_links", "controller_id", "controller_type"),
    ("targets", "scope_id", "scope_type"),
}
_TYPE_TARGET: Final = {
    "company": "companies.company_id",
    "person": "persons.person_id",
    "branch": "branches.branch_id",
    "rm": "relationship_managers.rm_id",
}


def check_references(result: FileResult, spec: FileSpec, known: Mapping[str, set[str]]) -> None:
    """Reject records whose references are not in ``known`` ("file.column" → ids)."""
    kept: list[Record] = []
    typed = {(c, t) for f, c, t in _TYPED_REFERENCES if f == spec.name}
    for record in result.records:
        problem: tuple[str, str] | None = None
        for column in spec.columns:
            value = record.get(column.name)
            if value is None or column.references is None:
                continue
            if column.references not in known or value not in known[column.references]:
                problem = (column.name, f"{column.name} {value} not found in {column.references}")
                break
        for id_column, type_column in typed:
            target = _TYPE_TARGET[record[type_column]]
            if problem is None and record[id_column] not in known.get(target, set()):
                problem = (id_column, f"{id_column} {record[id_column]} not found in {target}")
        if problem is not None:
            result.rejects.append(
                Reject(
                    spec.name, record[LINE], problem[0], RejectReason.UNKNOWN_REFERENCE, problem[1]
                )
            )
        else:
            kept.append(record)
    result.records = kept


def check_share_totals(result: FileResult) -> None:
    """Reject shareholdings that push one company's direct shares past 100%.

    Rows count in file order; the row that crosses ``100 + tolerance`` and every
    later row that would still exceed it are rejected.
    """
    limit = Decimal(100) + Decimal(SHARE_SUM_TOLERANCE_PCT)
    totals: dict[str, Decimal] = defaultdict(Decimal)
    kept: list[Record] = []
    for record in result.records:
        company = record["company_id"]
        new_total = totals[company] + record["share_pct"]
        if new_total > limit:
            result.rejects.append(
                Reject(
                    "shareholdings",
                    record[LINE],
                    "share_pct",
                    RejectReason.SHARE_TOTAL_EXCEEDED,
                    f"shares of {company} would total {new_total}% (limit 100%)",
                )
            )
            continue
        totals[company] = new_total
        kept.append(record)
    result.records = kept
