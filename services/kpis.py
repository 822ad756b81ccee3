"""KPIs and plan targets for the API and the CLI: units, values at a date, targets.

- :func:`kpi_table` computes every metric of :data:`core.kpis.METRICS` for every
  unit at a snapshot date (:mod:`graph.kpis` reads, :mod:`algorithms.kpis` adds up);
- :func:`kpi_rows` lays it out for the units a caller may see (:func:`visible_units`:
  an RM sees their own unit; others the branches of their subtree and the RMs who
  work there);
- :func:`set_target` stores a target and, on request, splits it down to the child
  units in proportion to their history (the metric at the day before the period) or
  to given weights; the parts add back to the target exactly.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Final, Literal

from algorithms.kpis import KpiTable, contributions, decompose, is_decomposable, roll_up
from core.errors import InputValidationError, NotFoundError
from core.kpis import CONVERSION_STAGES, METRICS, display_value, metric, parse_period
from core.money import Money, exact_minor_units
from graph.branches import BranchScope, read_branches, read_relationship_managers
from graph.database import Database
from graph.kpis import read_kpi_facts_on
from graph.targets import Target, target_id, write_targets
from loaders.validation import target_problem

#: How a target reaches the child units: not at all, by their history, or by weights.
Decomposition = Literal["none", "history", "weights"]
#: Minor units per display unit: targets of money metrics split in fen, counts in ones.
_SPLIT_SCALE: Final = {"money": 100, "count": 1}


@dataclass(frozen=True)
class KpiUnit:
    """A unit KPIs are reported for: a branch (its subtree) or an RM (their customers)."""

    scope_type: str
    scope_id: str
    name: str
    #: The parent branch (of a branch), or the branch an RM works at.
    parent_id: str | None

    @property
    def key(self) -> str:
        return f"{self.scope_type}:{self.scope_id}"


@dataclass(frozen=True)
class KpiRow:
    """One metric of one unit at one date, exact, with its value in the metric's unit."""

    unit: KpiUnit
    metric: str
    category: str | None
    on: date
    numerator: int
    denominator: int
    value: Decimal | None
    no_rate: tuple[Money, ...]


def kpi_units(db: Database) -> list[KpiUnit]:
    """Every branch and every RM, branches first."""
    units = [KpiUnit("branch", b.branch_id, b.name, b.parent_branch_id) for b in read_branches(db)]
    units += [KpiUnit("rm", m.rm_id, m.name, m.branch_id) for m in read_relationship_managers(db)]
    return units


def visible_units(units: list[KpiUnit], scope: BranchScope, own_rm: str | None) -> list[KpiUnit]:
    """The units a caller may see: only their own RM unit when they are an RM."""
    if own_rm is not None:
        return [u for u in units if u.scope_type == "rm" and u.scope_id == own_rm]
    return [
        u for u in units if scope.allows(u.scope_id if u.scope_type == "branch" else u.parent_id)
    ]


def kpi_table(db: Database, on: date) -> KpiTable:
    """Every metric for every unit at ``on``."""
    return kpi_tables(db, [on])[on]


def kpi_tables(db: Database, dates: Iterable[date]) -> dict[date, KpiTable]:
    """Every metric for every unit at each of ``dates`` (the dated facts read once)."""
    parents = {b.branch_id: b.parent_branch_id for b in read_branches(db)}
    return {
        on: roll_up(contributions(facts), parents, on)
        for on, facts in read_kpi_facts_on(db, dates).items()
    }


def kpi_rows(
    table: KpiTable,
    units: list[KpiUnit],
    *,
    metric_code: str | None = None,
    category: str | None = None,
) -> list[KpiRow]:
    """Rows for ``units``: every metric (or one) and every category it has on that date.

    A metric broken down by product category has a row for all categories
    (``category`` ``None``) and one per category; ``stage_conversion`` one per stage.
    """
    codes = [metric(metric_code).code] if metric_code else list(METRICS)
    # Every stage is listed even before any opportunity reached it, so a plan page always
    # has its rows; product categories are those the data has on that date.
    categories: dict[str, set[str | None]] = {
        code: ({None} if METRICS[code].dimension != "stage" else set(CONVERSION_STAGES))
        for code in codes
    }
    for _type, _id, code, cat in table.values:
        if code in categories:
            categories[code].add(cat)
    rows: list[KpiRow] = []
    for unit in units:
        for code in codes:
            definition = METRICS[code]
            for cat in sorted(categories[code], key=lambda c: (c is not None, c or "")):
                if category is not None and cat != category:
                    continue
                agg = table.value(unit.scope_type, unit.scope_id, code, cat)
                rows.append(
                    KpiRow(
                        unit,
                        code,
                        cat,
                        table.on,
                        agg.numerator,
                        agg.denominator,
                        display_value(definition, agg.numerator, agg.denominator),
                        agg.no_rate,
                    )
                )
    return rows


# --- targets --------------------------------------------------------------------------------
def _find_unit(units: list[KpiUnit], scope_type: str, scope_id: str) -> KpiUnit:
    for unit in units:
        if unit.scope_type == scope_type and unit.scope_id == scope_id:
            return unit
    raise NotFoundError(f"{scope_type} {scope_id} not found")


def _children(units: list[KpiUnit], branch_id: str) -> list[KpiUnit]:
    """A branch's child branches and the RMs who work at it."""
    return [u for u in units if u.parent_id == branch_id]


def set_target(
    db: Database,
    scope: BranchScope,
    *,
    scope_type: str,
    scope_id: str,
    metric_code: str,
    category: str | None,
    period: str,
    value: Decimal,
    decomposition: Decomposition = "none",
    weights: Mapping[str, int] | None = None,
    set_by: str,
) -> list[Target]:
    """Store a target for a unit in ``scope`` and, when asked, its split over the children.

    Raises
    ------
    NotFoundError
        The unit does not exist or lies outside ``scope`` (the same answer for both).
    InputValidationError
        A bad period, category or value, or a split the metric or unit does not allow.
    """
    definition = metric(metric_code)
    if not value.is_finite() or value < 0:
        raise InputValidationError("a target value must be a non-negative number")
    try:
        exact = exact_minor_units(value, "CNY")
    except OverflowError as error:
        raise InputValidationError("the target value is out of range") from error
    if exact is None:
        raise InputValidationError("a target value has at most 2 decimals")
    record: dict[str, object] = {
        "period": period,
        "metric": definition.code,
        "category": category,
        "target_value": value,
    }
    problem = target_problem(record)
    if problem is not None:
        raise InputValidationError(problem[2], details={"field": problem[0]})
    period_code = str(record["period"])
    units = visible_units(kpi_units(db), scope, None)
    unit = _find_unit(units, scope_type, scope_id)
    at = datetime.now(UTC).isoformat()
    parent = Target(
        target_id(scope_type, scope_id, definition.code, category, period_code),
        scope_type,
        scope_id,
        None,
        definition.code,
        category,
        period_code,
        value,
        "api",
        set_by,
        at,
    )
    written = [parent]
    if decomposition != "none":
        written += _split(
            db, units, unit, parent, decomposition, dict(weights or {}), period_code, at
        )
    write_targets(db, written)
    return written


def _split(
    db: Database,
    units: list[KpiUnit],
    unit: KpiUnit,
    parent: Target,
    decomposition: Decomposition,
    weights: dict[str, int],
    period_code: str,
    at: str,
) -> list[Target]:
    definition = METRICS[parent.metric]
    if not is_decomposable(parent.metric) or definition.unit not in _SPLIT_SCALE:
        raise InputValidationError(
            f"{parent.metric} is a mean or a share: it applies to each unit as it is, "
            "it does not split"
        )
    if unit.scope_type != "branch":
        raise InputValidationError("only a branch's target splits over its units")
    children = _children(units, unit.scope_id)
    if not children:
        raise InputValidationError(f"branch {unit.scope_id} has no units to split over")
    by_key = {c.key: c for c in children}
    if decomposition == "weights":
        unknown = sorted(set(weights) - set(by_key))
        if unknown or not weights:
            raise InputValidationError(
                "weights name the child units of the branch (branch:ID or rm:ID)",
                details={"unknown": unknown, "children": sorted(by_key)},
            )
        shares = weights
    else:
        history_on = parse_period(period_code).start - timedelta(days=1)
        table = kpi_table(db, history_on)
        shares = {
            c.key: table.value(c.scope_type, c.scope_id, parent.metric, parent.category).numerator
            for c in children
        }
    scale = _SPLIT_SCALE[definition.unit]
    total = int(parent.target_value * scale)
    parts = decompose(total, shares)
    return [
        Target(
            target_id(
                by_key[key].scope_type,
                by_key[key].scope_id,
                parent.metric,
                parent.category,
                period_code,
            ),
            by_key[key].scope_type,
            by_key[key].scope_id,
            None,
            parent.metric,
            parent.category,
            period_code,
            Decimal(part) / scale if scale != 1 else Decimal(part),
            "decomposition",
            parent.set_by,
            at,
            parent.target_id,
        )
        for key, part in parts.items()
    ]
