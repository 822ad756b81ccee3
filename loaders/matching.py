"""Probabilistic counterparty matching with splink on DuckDB.

Exact evidence (a valid USCC, then the normalised name) is used before this module
runs (:mod:`loaders.entity_resolution`). What is left are *records*: registered
companies, and counterparties known only from payments (one record per normalised
name). This module finds the pairs of records that may be one company and scores
them with a Fellegi–Sunter model, using `splink <https://moj-analytical-services.github.io/splink/>`_
on an in-memory DuckDB (the engine of the flow ledger; splink's Spark backend is
the scale-out path).

Blocking (which pairs are compared at all), each an exact join, so the work grows
with the data rather than with its square:

- the name key or any key one character shorter (a SymSpell deletion neighbourhood:
  every pair within one typed character of each other);
- the same core (the name without its region) or the same romanised core (a
  homophone typo, or a Chinese name and its English rendering);
- a payment account seen with both.

The records go to DuckDB as one Arrow table built batch by batch (``TABLE_BATCH``
records analysed at a time), so a large bank's records are held once, in Arrow's
compact columns, never as Python lists of every record.

Pairs of two registered companies are never compared (the bank's registry keeps
them apart), nor a branch office with a company that is not one.

Comparisons, each scored by a fixed match weight ``log2(m/u)`` (*m*: how often true
matches fall in the level; *u*: how often two different companies do):

============ ============================================================ =========
comparison   levels (first that applies)                                  why
============ ============================================================ =========
name         same core · same romanised core · one character apart in a    typing,
             long name · one character apart · romanised Jaro–Winkler ≥    English
             0.92 · key Jaro–Winkler ≥ 0.85 · else                         renderings
uscc         both valid and different (strong evidence against)           registry
region       same · different (sister subsidiaries differ only here)      the name
accounts     an account in common (near proof) · none in common           payments
partners     a customer in common · none in common                        payments
============ ============================================================ =========

The parameters are set, not trained: re-estimating them on every load would make
a pair's score (and so whether it merges) drift from one load to the next, and the
bank's review decisions rest on those scores. They express how company names,
registries and payment files behave in general; they were not fitted to the
synthetic bank. A bank with labelled pairs can re-estimate them with splink's EM
and random-sampling tools and put them here.

Why splink and not a hand-rolled scorer (rapidfuzz): splink's blocking and scoring
are SQL that DuckDB runs in parallel and out of core, the same model runs on Spark,
and each score comes with its per-comparison weights, which is what a reviewer
needs to see. Its weakness, that company records are mostly one name column, is
met by adding the payment evidence (accounts, partners) that real payment files
carry and that is independent of how a name is typed.

Examples
--------
>>> pairs = find_candidates(
...     [MatchRecord("A", "Rigensis Bank AS", region="拉脱维亚"),
...      MatchRecord("B", "Rigenesis Bank AS", region="拉脱维亚")],
...     Gazetteer.build(), min_probability=0.1,
... )
>>> [(p.left_id, p.right_id) for p in pairs], pairs[0].evidence[0].level
([('A', 'B')], 'one character apart in a long name')
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

import duckdb
import pyarrow as pa

from core.name_forms import Gazetteer, analyse, deletion_neighbourhood

logger = logging.getLogger(__name__)

#: Prior probability that two records of one blocked dataset are the same company.
#: One in 100,000: a bank's counterparty table has few duplicates per company.
PRIOR: Final = 1e-5


@dataclass(frozen=True)
class Level:
    """One comparison level: its SQL condition (on ``_l``/``_r`` columns), m and u, and
    its label in English and Chinese (what a reviewer reads)."""

    label: str
    sql: str
    m: float
    u: float
    label_zh: str = ""

    @property
    def weight(self) -> float:
        return math.log2(self.m / self.u)


@dataclass(frozen=True)
class Comparison:
    """A comparison: a null condition (no evidence either way) and ordered levels."""

    name: str
    null_sql: str | None
    levels: tuple[Level, ...]


_SAME_CORE = "core_l = core_r"
_NAME_LEVELS: Final = (
    # Region aside, the same words: the region is weighed by its own comparison.
    Level("same name apart from the region", _SAME_CORE, 0.15, 1e-4, label_zh="除地区外名称相同"),
    # 华信 / 化信 (a pinyin keyboard's commonest slip), or 华信科技 / Huaxin Technology.
    Level("same romanised name", "roman_l = roman_r", 0.20, 2e-5, label_zh="拼音或英文名相同"),
    # One typed character is strong evidence when the distinctive part of the name
    # (outside common business words) is long, and weak when it is a two-character
    # 字号, where one character is half of what tells companies apart.
    Level(
        "one character apart in a long name",
        "damerau_levenshtein(core_l, core_r) <= 1 AND least(strength_l, strength_r) >= 8",
        0.15,
        1e-7,
        label_zh="长名称仅差一字",
    ),
    Level(
        "one character apart",
        "damerau_levenshtein(core_l, core_r) <= 1",
        0.10,
        3e-5,
        label_zh="名称仅差一字",
    ),
    Level(
        "romanised names alike (Jaro-Winkler ≥ 0.92)",
        "jaro_winkler_similarity(roman_l, roman_r) >= 0.92",
        0.15,
        2e-4,
        label_zh="拼音名称高度相似",
    ),
    Level(
        "names alike (Jaro-Winkler ≥ 0.85)",
        "jaro_winkler_similarity(key_l, key_r) >= 0.85",
        0.10,
        2e-3,
        label_zh="名称相似",
    ),
    # Renamed companies and unrelated names: no evidence from the name.
    Level("names differ", "ELSE", 0.15, 0.9977, label_zh="名称不同"),
)
#: The model (see the module docstring for the reasons).
COMPARISONS: Final = (
    Comparison("name", "key_l IS NULL OR key_r IS NULL", _NAME_LEVELS),
    Comparison(
        "uscc",
        "uscc_l IS NULL OR uscc_r IS NULL",
        (
            Level("same USCC", "uscc_l = uscc_r", 0.98, 1e-8, label_zh="统一社会信用代码相同"),
            # A typed USCC is rarely wrong; two different valid ones mean two companies.
            Level("different USCCs", "ELSE", 0.02, 1.0, label_zh="统一社会信用代码不同"),
        ),
    ),
    Comparison(
        "region",
        "region_l IS NULL OR region_r IS NULL",
        (
            Level("same region", "region_l = region_r", 0.95, 0.15, label_zh="同一地区"),
            Level("different regions", "ELSE", 0.05, 0.85, label_zh="地区不同"),
        ),
    ),
    Comparison(
        "accounts",
        "len(accounts_l) = 0 OR len(accounts_r) = 0",
        (
            # One account belongs to one company; a shared one is near proof.
            Level(
                "an account in common",
                "len(list_intersect(accounts_l, accounts_r)) > 0",
                0.85,
                1e-6,
                label_zh="有共同账户",
            ),
            # Companies keep several accounts, so different ones are weak evidence against.
            Level("no account in common", "ELSE", 0.15, 1.0, label_zh="无共同账户"),
        ),
    ),
    Comparison(
        "partners",
        "len(partners_l) = 0 OR len(partners_r) = 0",
        (
            Level(
                "a customer in common",
                "len(list_intersect(partners_l, partners_r)) > 0",
                0.80,
                1e-3,
                label_zh="有共同客户",
            ),
            Level("no customer in common", "ELSE", 0.20, 0.999, label_zh="无共同客户"),
        ),
    ),
)

_PAIR_FILTER: Final = "(NOT l.registered OR NOT r.registered) AND l.is_branch = r.is_branch"
BLOCKING_RULES: Final = (
    ("l.dels = r.dels", ("dels",)),
    ("l.core = r.core", ()),
    ("l.roman = r.roman", ()),
    ("l.accounts = r.accounts", ("accounts",)),
)


@dataclass(frozen=True, slots=True)  # one per side or company: millions on a large bank
class MatchRecord:
    """One record to match.

    ``registered`` marks a company of the companies file: two of those are never
    paired. ``region`` is the companies file's region when known; otherwise the
    region the name states is used.
    """

    record_id: str
    name: str
    registered: bool = False
    uscc: str | None = None
    region: str | None = None
    accounts: tuple[str, ...] = ()
    partners: tuple[str, ...] = ()


@dataclass(frozen=True)
class Evidence:
    """How one comparison came out for a pair, and its match weight."""

    comparison: str
    level: str
    weight: float
    level_zh: str = ""


@dataclass(frozen=True)
class CandidatePair:
    """Two records that may be one company (``left_id < right_id``)."""

    left_id: str
    right_id: str
    probability: float
    match_weight: float
    evidence: tuple[Evidence, ...] = field(default=())

    def features(self) -> tuple[str, ...]:
        """The evidence as short texts, strongest first: ``"an account in common (+19.4)"``."""
        ranked = sorted(self.evidence, key=lambda e: -abs(e.weight))
        return tuple(f"{e.level} ({e.weight:+.1f})" for e in ranked)

    def features_zh(self) -> tuple[str, ...]:
        """The evidence in Chinese, strongest first: ``"有共同账户（+19.4）"``."""
        ranked = sorted(self.evidence, key=lambda e: -abs(e.weight))
        return tuple(f"{e.level_zh}（{e.weight:+.1f}）" for e in ranked)


def _level_dict(level: Level, index: int, count: int) -> dict[str, Any]:
    return {
        "sql_condition": level.sql,
        "label_for_charts": level.label,
        "m_probability": level.m,
        "u_probability": level.u,
    }


def splink_settings(prior: float = PRIOR) -> dict[str, Any]:
    """The splink settings of the model: blocking rules, comparisons, fixed m and u."""
    from splink.blocking_rule_library import CustomRule

    comparisons = []
    for comparison in COMPARISONS:
        levels: list[dict[str, Any]] = []
        if comparison.null_sql is not None:
            levels.append(
                {
                    "sql_condition": comparison.null_sql,
                    "label_for_charts": "not known",
                    "is_null_level": True,
                }
            )
        levels += [
            _level_dict(level, i, len(comparison.levels))
            for i, level in enumerate(comparison.levels)
        ]
        comparisons.append({"output_column_name": comparison.name, "comparison_levels": levels})
    return {
        "link_type": "dedupe_only",
        "unique_id_column_name": "record_id",
        "probability_two_random_records_match": prior,
        "blocking_rules_to_generate_predictions": [
            CustomRule(f"{rule} AND {_PAIR_FILTER}", arrays_to_explode=list(explode) or None)
            for rule, explode in BLOCKING_RULES
        ],
        "comparisons": comparisons,
        "retain_intermediate_calculation_columns": True,
        "retain_matching_columns": True,
    }


#: Records analysed and converted to Arrow at a time: the Python objects of one batch are
#: freed before the next, so the table of a large bank is held once, in Arrow's compact
#: columns, never as Python lists of every record.
TABLE_BATCH: Final = 50_000

_SCHEMA: Final = pa.schema(
    [
        ("record_id", pa.string()),
        ("registered", pa.bool_()),
        ("is_branch", pa.bool_()),
        ("strength", pa.int32()),
        ("key", pa.string()),
        ("core", pa.string()),
        ("roman", pa.string()),
        ("region", pa.string()),
        ("uscc", pa.string()),
        ("accounts", pa.list_(pa.string())),
        ("partners", pa.list_(pa.string())),
        ("dels", pa.list_(pa.string())),
    ]
)


def _batch(records: Sequence[MatchRecord], gazetteer: Gazetteer) -> pa.RecordBatch:
    columns: dict[str, list[Any]] = {name: [] for name in _SCHEMA.names}
    for record in records:
        form = analyse(record.name, gazetteer)
        columns["record_id"].append(record.record_id)
        columns["registered"].append(record.registered)
        columns["is_branch"].append(form.branch is not None)
        columns["strength"].append(form.strength)
        columns["key"].append(form.key)
        columns["core"].append(form.core or form.key)
        columns["roman"].append(form.roman or form.key)
        columns["region"].append(record.region or form.region)
        columns["uscc"].append(record.uscc or None)
        columns["accounts"].append(sorted(set(record.accounts)))
        columns["partners"].append(sorted(set(record.partners)))
        columns["dels"].append(deletion_neighbourhood(form.key))
    return pa.RecordBatch.from_pydict(columns, schema=_SCHEMA)


def _table(records: Iterable[MatchRecord], gazetteer: Gazetteer) -> tuple[pa.Table, int]:
    """The records as one Arrow table (built batch by batch), and how many there are.

    Raises ``ValueError`` if a record id repeats.
    """
    seen: set[str] = set()
    batches: list[pa.RecordBatch] = []
    pending: list[MatchRecord] = []
    for record in records:
        if record.record_id in seen:
            raise ValueError("record ids must be unique")
        seen.add(record.record_id)
        pending.append(record)
        if len(pending) >= TABLE_BATCH:
            batches.append(_batch(pending, gazetteer))
            pending = []
    if pending or not batches:
        batches.append(_batch(pending, gazetteer))
    return pa.Table.from_batches(batches, schema=_SCHEMA), len(seen)


def find_candidates(
    records: Iterable[MatchRecord],
    gazetteer: Gazetteer,
    *,
    min_probability: float,
    threads: int = 2,
    memory_limit: str = "2GB",
) -> list[CandidatePair]:
    """Score every blocked pair of records; keep those at or above ``min_probability``.

    Record ids must be unique. ``records`` may be a generator: they are read once and
    held as Arrow columns only. Returns pairs sorted by probability (highest first),
    then ids, so the result does not depend on DuckDB's row order.
    """
    table, count = _table(records, gazetteer)
    if count < 2:
        return []
    from splink import DuckDBAPI, Linker

    connection = duckdb.connect()
    try:
        connection.execute(f"SET threads = {int(threads)}")
        connection.execute("SET memory_limit = ?", [memory_limit])
        db_api = DuckDBAPI(connection)
        frame = db_api.register(table, table_name="counterparty_records")
        linker = Linker(frame, splink_settings(), log_level=logging.WARNING)
        scored = linker.inference.predict(
            threshold_match_probability=min_probability, warning_mode="never"
        )
        rows = scored.as_record_list()
    finally:
        connection.close()
    pairs = []
    for row in rows:
        left, right = str(row["record_id_l"]), str(row["record_id_r"])
        evidence = []
        for comparison in COMPARISONS:
            gamma = int(row[f"gamma_{comparison.name}"])
            if gamma < 0:
                continue
            level = comparison.levels[len(comparison.levels) - 1 - gamma]
            evidence.append(
                Evidence(comparison.name, level.label, round(level.weight, 2), level.label_zh)
            )
        if left > right:
            left, right = right, left
        pairs.append(
            CandidatePair(
                left,
                right,
                float(row["match_probability"]),
                float(row["match_weight"]),
                tuple(evidence),
            )
        )
    pairs.sort(key=lambda p: (-p.probability, p.left_id, p.right_id))
    logger.info("scored %d candidate pairs among %d records", len(pairs), count)
    return pairs
