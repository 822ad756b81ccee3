"""Drawing the year's payments from the planned lanes, one month at a time.

Each month is drawn with numpy from the lanes active in it and written in slices,
so memory stays bounded by one month of payments whatever the scale. For lane
*l* in month *t* the amount is::

    base[l] × season[t] × (scale_factor[l] if t ≥ scale_from[l] else 1)
            × (1 + trend[l] × (t − 1)) × lognormal(0, 0.08)

split over ``1 + Poisson(extra_rate[l])`` payments with random weights, on
random days. Amounts are integer cents, written as exact two-place decimals.
"""

from __future__ import annotations

import calendar
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Final

import numpy as np
import numpy.typing as npt

from .flows import PURPOSES, FlowPlan
from .model import Company
from .output import TableWriter
from .scales import YEAR
from .vocabulary import CHANNELS

logger = logging.getLogger(__name__)

#: Monthly seasonality, shared by all customers: a dip at the Spring Festival, a year-end peak.
SEASON: Final = (0.97, 0.88, 1.0, 1.0, 1.01, 1.03, 0.99, 1.0, 1.02, 0.98, 1.03, 1.1)
LANE_NOISE_SIGMA: Final = 0.08  # month-to-month noise of one lane's amount
SPLIT_SIGMA: Final = 0.35  # how unevenly a month's amount splits over its payments
VARIANT_SHARE: Final = (
    0.5  # of named payments, those using a spelling other than the registered one
)
USCC_SHARE: Final = 0.35  # of named payments to a party that has a USCC, those that carry it
MIN_PAYMENT_CENTS: Final = 100
SLICE_ROWS: Final = 200_000

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
ObjectArray = npt.NDArray[np.object_]


@dataclass(frozen=True)
class LaneArrays:
    """The plan's lanes as numpy columns."""

    customer: IntArray
    party: IntArray
    outflow: BoolArray
    base: FloatArray
    start: IntArray
    end: IntArray
    scale_from: IntArray
    scale_factor: FloatArray
    trend: FloatArray
    extra_rate: FloatArray
    name_prob: FloatArray
    purpose: IntArray
    #: Per-lane month factors (lanes × 12), or ``None`` for the default draw.
    month_factor: FloatArray | None = None


@dataclass(frozen=True)
class PartyArrays:
    """Companies and name-only parties as numpy columns, indexed by party."""

    ids: ObjectArray  # company id; "" for a name-only party
    accounts: ObjectArray
    usccs: ObjectArray
    has_uscc: BoolArray
    variant_start: IntArray
    variant_count: IntArray
    variants: ObjectArray  # all spellings, flat
    variant_accounts: ObjectArray | None = None  # the account of each spelling, or None


@dataclass
class TransactionStats:
    """What the transactions file contains, for the report and the truth file."""

    rows: int = 0
    named_sides: int = 0
    rows_per_month: dict[str, int] = field(default_factory=dict)
    extra_lines: dict[str, int] = field(default_factory=dict)  # extra row key → line
    used_variants: BoolArray = field(default_factory=lambda: np.zeros(0, dtype=np.bool_))


@dataclass(frozen=True)
class ExtraRow:
    """A row inserted into a month's payments (a planted bad row)."""

    key: str  # names the row in TransactionStats.extra_lines
    month: int
    position: int  # inserted before this good row of the month
    values: tuple[str, ...]  # without the txn_id, which is assigned on writing


def lane_arrays(plan: FlowPlan) -> LaneArrays:
    """Convert the planned lanes to numpy arrays."""
    lanes = plan.lanes
    return LaneArrays(
        customer=np.asarray(lanes.customer, dtype=np.int64),
        party=np.asarray(lanes.party, dtype=np.int64),
        outflow=np.asarray(lanes.outflow, dtype=np.bool_),
        base=np.asarray(lanes.base_cents, dtype=np.float64),
        start=np.asarray(lanes.start, dtype=np.int64),
        end=np.asarray(lanes.end, dtype=np.int64),
        scale_from=np.asarray(lanes.scale_from, dtype=np.int64),
        scale_factor=np.asarray(lanes.scale_factor, dtype=np.float64),
        trend=np.asarray(lanes.trend, dtype=np.float64),
        extra_rate=np.asarray(lanes.extra_rate, dtype=np.float64),
        name_prob=np.asarray(lanes.name_prob, dtype=np.float64),
        purpose=np.asarray(lanes.purpose, dtype=np.int64),
        month_factor=None
        if plan.month_profiles is None or plan.lane_profile is None
        else np.asarray(plan.month_profiles, dtype=np.float64)[
            np.asarray(plan.lane_profile, dtype=np.int64)
        ],
    )


def party_arrays(plan: FlowPlan, companies: Sequence[Company]) -> PartyArrays:
    """Companies (with their ids) and name-only parties as numpy arrays."""
    count = plan.company_count + len(plan.parties)
    ids = np.empty(count, dtype=object)
    accounts = np.empty(count, dtype=object)
    usccs = np.empty(count, dtype=object)
    for company in companies[: plan.company_count]:
        ids[company.index] = company.company_id
        accounts[company.index] = company.account
        usccs[company.index] = company.uscc
    for offset, name_only in enumerate(plan.parties):
        index = plan.company_count + offset
        ids[index] = ""
        accounts[index] = name_only.account
        usccs[index] = name_only.uscc
    variant_start = np.zeros(count, dtype=np.int64)
    variant_count = np.zeros(count, dtype=np.int64)
    flat: list[str] = [""]  # never empty, so indexing it is always safe
    for party, spellings in plan.variants.items():
        variant_start[party] = len(flat)
        variant_count[party] = len(spellings)
        flat.extend(spellings)
    variants = np.empty(len(flat), dtype=object)
    variants[:] = flat
    has_uscc = np.asarray([bool(u) for u in usccs], dtype=np.bool_)
    variant_accounts = None
    if plan.variant_accounts is not None:
        variant_accounts = np.empty(len(flat), dtype=object)
        variant_accounts[:] = ""
        for party, spellings in plan.variants.items():
            own = plan.variant_accounts.get(party) or [accounts[party]] * len(spellings)
            start = int(variant_start[party])
            variant_accounts[start : start + len(spellings)] = own
    return PartyArrays(
        ids, accounts, usccs, has_uscc, variant_start, variant_count, variants, variant_accounts
    )


@dataclass(frozen=True)
class MonthDraw:
    """One month's payments, sorted by day."""

    lane: IntArray
    day: IntArray
    cents: IntArray
    by_name: BoolArray
    variant: IntArray
    with_uscc: BoolArray
    channel: IntArray


def draw_month(
    month: int, lanes: LaneArrays, parties: PartyArrays, rng: np.random.Generator
) -> MonthDraw:
    """Draw the payments of one month (1-12)."""
    active = np.flatnonzero((lanes.start <= month) & (lanes.end >= month))
    if lanes.month_factor is not None:
        active = active[lanes.month_factor[active, month - 1] > 0]
    counts = 1 + rng.poisson(lanes.extra_rate[active])
    scale = np.where(month >= lanes.scale_from[active], lanes.scale_factor[active], 1.0)
    lane_amount = (
        lanes.base[active]
        * SEASON[month - 1]
        * scale
        * (1.0 + lanes.trend[active] * (month - 1))
        * rng.lognormal(0.0, LANE_NOISE_SIGMA, active.size)
    )
    if lanes.month_factor is not None:
        lane_amount = lane_amount * lanes.month_factor[active, month - 1]
    position = np.repeat(np.arange(active.size), counts)
    size = int(position.size)
    weights = rng.lognormal(0.0, SPLIT_SIGMA, size)
    totals = np.bincount(position, weights=weights, minlength=active.size)
    amounts = lane_amount[position] * weights / totals[position]
    cents = np.maximum(np.rint(amounts), MIN_PAYMENT_CENTS).astype(np.int64)
    lane = active[position]
    day = rng.integers(1, calendar.monthrange(YEAR, month)[1] + 1, size)
    by_name = rng.random(size) < lanes.name_prob[lane]
    party = lanes.party[lane]
    count = parties.variant_count[party]
    pick = rng.random(size)
    # Half of the named payments use the registered spelling, the rest one of the variants.
    other = 1 + np.minimum(
        ((pick - VARIANT_SHARE) / (1 - VARIANT_SHARE) * (count - 1)).astype(np.int64),
        np.maximum(count - 2, 0),
    )
    variant = parties.variant_start[party] + np.where(
        (pick < VARIANT_SHARE) | (count <= 1), 0, other
    )
    with_uscc = by_name & parties.has_uscc[party] & (rng.random(size) < USCC_SHARE)
    weights_channel = np.asarray([w for _, w in CHANNELS], dtype=np.float64)
    channel = rng.choice(len(CHANNELS), size, p=weights_channel / weights_channel.sum())
    order = np.lexsort((rng.random(size), day))
    return MonthDraw(
        lane=lane[order],
        day=day[order],
        cents=cents[order],
        by_name=by_name[order],
        variant=variant[order],
        with_uscc=with_uscc[order],
        channel=channel[order].astype(np.int64),
    )


def _format_slice(
    draw: MonthDraw,
    begin: int,
    stop: int,
    month: int,
    first_sequence: int,
    lanes: LaneArrays,
    parties: PartyArrays,
) -> list[list[str]]:
    """The columns (contract order) of payments ``begin:stop`` of a month."""
    month_text = f"{YEAR}{month:02d}"
    dates = np.asarray([f"{YEAR}-{month:02d}-{d:02d}" for d in range(1, 32)], dtype=object)
    lane = draw.lane[begin:stop]
    by_name = draw.by_name[begin:stop]
    party = lanes.party[lane]
    customer_ids = parties.ids[lanes.customer[lane]]
    party_ids = np.where(by_name, "", parties.ids[party])
    party_names = np.where(by_name, parties.variants[draw.variant[begin:stop]], "")
    if parties.variant_accounts is None:
        party_accounts = np.where(by_name, parties.accounts[party], "")
    else:
        party_accounts = np.where(by_name, parties.variant_accounts[draw.variant[begin:stop]], "")
    party_usccs = np.where(draw.with_uscc[begin:stop], parties.usccs[party], "")
    pays = lanes.outflow[lane]
    cents = draw.cents[begin:stop]
    channel_names = np.asarray([name for name, _ in CHANNELS], dtype=object)
    purpose_names = np.asarray(PURPOSES, dtype=object)
    count = stop - begin
    return [
        [f"T{month_text}{n:07d}" for n in range(first_sequence, first_sequence + count)],
        dates[draw.day[begin:stop] - 1].tolist(),
        list(map("{}.{:02d}".format, (cents // 100).tolist(), (cents % 100).tolist())),
        ["CNY"] * count,
        np.where(pays, customer_ids, party_ids).tolist(),
        np.where(pays, "", party_names).tolist(),
        np.where(pays, "", party_accounts).tolist(),
        np.where(pays, "", party_usccs).tolist(),
        np.where(pays, party_ids, customer_ids).tolist(),
        np.where(pays, party_names, "").tolist(),
        np.where(pays, party_accounts, "").tolist(),
        np.where(pays, party_usccs, "").tolist(),
        channel_names[draw.channel[begin:stop]].tolist(),
        purpose_names[lanes.purpose[lane]].tolist(),
    ]


def write_transactions(
    writer: TableWriter,
    plan: FlowPlan,
    companies: Sequence[Company],
    rng: np.random.Generator,
    extra_rows: Sequence[ExtraRow] = (),
) -> TransactionStats:
    """Draw and write all twelve months; extra rows go in at their planned positions.

    Good payments of a month get sequence numbers 1, 2, … in file order; an extra
    row takes the next number after them, so every ``txn_id`` stays unique.
    """
    lanes = lane_arrays(plan)
    parties = party_arrays(plan, companies)
    stats = TransactionStats(used_variants=np.zeros(parties.variants.size, dtype=np.bool_))
    for month in range(1, 13):
        draw = draw_month(month, lanes, parties, rng)
        size = int(draw.lane.size)
        stats.used_variants[draw.variant[draw.by_name]] = True
        stats.named_sides += int(draw.by_name.sum())
        inserts = sorted((r for r in extra_rows if r.month == month), key=lambda r: r.position)
        written = 0
        for number, row in enumerate(inserts, 1):
            position = min(row.position, size)
            _write_good(writer, draw, written, position, month, lanes, parties)
            written = position
            stats.extra_lines[row.key] = writer.rows_written + 2  # line 1 is the header
            writer.write_rows([(f"T{YEAR}{month:02d}{size + number:07d}", *row.values)])
        _write_good(writer, draw, written, size, month, lanes, parties)
        stats.rows_per_month[f"{YEAR}-{month:02d}"] = size
        logger.debug("month %d: %d payments", month, size)
    stats.rows = writer.rows_written
    return stats


def _write_good(
    writer: TableWriter,
    draw: MonthDraw,
    begin: int,
    stop: int,
    month: int,
    lanes: LaneArrays,
    parties: PartyArrays,
) -> None:
    """Write payments ``begin:stop`` of a month in slices; payment *i* is number *i + 1*."""
    for slice_begin in range(begin, stop, SLICE_ROWS):
        slice_stop = min(stop, slice_begin + SLICE_ROWS)
        writer.write_columns(
            _format_slice(draw, slice_begin, slice_stop, month, slice_begin + 1, lanes, parties)
        )
