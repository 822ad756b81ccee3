"""Major-event detection: pure functions over monthly flows and snapshot tables.

Every detector takes plain data (a :class:`pandas.DataFrame` of monthly flows, a
table of segment snapshots, controller maps) and returns :class:`DetectedEvent`
records with the evidence numbers that triggered them. Nothing here reads or
writes a database; :mod:`graph.events` does that.

Event types (the identifiers of ``truth.json`` and the API):

``large_outflow`` / ``large_inflow``
    A month's outflow (inflow) far above the customer's own baseline: the median of
    the months before it. Rule ``ratio``: amount > ``flow_ratio`` × baseline. Rule
    ``zscore``: robust z-score ``0.6745 (x − median) / MAD`` ≥ ``flow_zscore`` *and*
    amount ≥ ``zscore_min_ratio`` × baseline (a steady customer has a tiny MAD, so the
    ratio floor keeps ordinary noise out). Either way the month must also exceed the
    largest month before it by ``history_margin``: a customer whose own history has
    months that large (quarter-end peaks, capital goods bought in lumps) is doing
    what it always does. Two amounts are taken out of the month first, as explained
    by ordinary business: late payments (half of what a regular counterparty unpaid
    the month before gets: two months in one) and recurring lumps (payments to an
    irregular counterparty that was paid at least a third as much once before).
``counterparty_loss``
    A *major* counterparty stops for good, for at least ``loss_min_months`` months,
    while the customer itself stays active. Major: ≥ ``counterparty_share`` of the
    customer's flows (in + out), or ≥ ``side_share`` of the side it trades on (its
    main supplier or buyer), over the months up to its last payment. It must also
    have been a *regular* partner, paid in at least ``loss_min_regularity`` of the
    customer's months up to its last payment: an occasional partner (equipment bought
    now and then, a project that came and went) going quiet is not a lost
    relationship. The month is the first month without it.
``new_major_counterparty``
    A counterparty first seen after ``min_history_months`` of the customer's history
    is major (as above: of all flows, or of its side) from then on, in at least
    ``new_min_months`` months. The month is its first month.
``dormancy``
    No payment at all for the last ``dormancy_months`` months (or more). The month is
    the first silent month; the evidence's usual monthly amount is the median of the
    months with payments before it (silent months are not a usual month).
``segment_downgrade``
    Consecutive segment snapshots where the segment falls in
    :data:`SEGMENT_ORDER` (strategic > core > growth > basic).
``controller_change``
    The ultimate controller stored at the previous compute differs from today's.
``group_risk``
    Another member of the customer's group or guarantee circle has a risk event
    (:data:`RISK_TYPES`).

Event ids are deterministic (a hash of type, customer, month and, where one
customer can have several events of a type in a month, the subject), so detecting
again on the same data yields the same ids.

Examples
--------
>>> import pandas as pd
>>> rows = [("C1", "S1", f"2025-{m:02d}", "out", 100_00) for m in range(1, 7)]
>>> rows.append(("C1", "S1", "2025-07", "out", 900_00))
>>> flows = pd.DataFrame(rows, columns=list(FLOW_COLUMNS))
>>> [(e.type, e.month, e.evidence["ratio"]) for e in detect_flow_events(flows)]
[('large_outflow', '2025-07', 9.0)]
"""

from __future__ import annotations

import hashlib
import itertools
import statistics
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final, Literal, cast

import numpy as np
import pandas as pd

from core.codes import (
    SEGMENT_ORDER,
    Action,
    EventType,
    Severity,
)
from core.i18n import N_
from core.messages import Code, Message

from .prospects import exact_amounts

FlowRule = Literal["ratio", "zscore"]

#: Event types that spread to the other members of a group or guarantee circle.
RISK_TYPES: Final[frozenset[str]] = frozenset(
    {"large_outflow", "counterparty_loss", "dormancy", "controller_change"}
)
SUGGESTED_ACTIONS: Final[dict[str, Action]] = {
    "large_outflow": "retention_visit",  # money leaving: find out where it goes
    "large_inflow": "cross_sell",  # new money: deposits, cash management, investment
    "counterparty_loss": "risk_review",  # revenue concentration just broke
    "new_major_counterparty": "cross_sell",  # new trade: trade finance, supply-chain finance
    "dormancy": "retention_visit",
    "segment_downgrade": "retention_visit",
    "controller_change": "risk_review",
    "group_risk": "risk_review",
}
FLOW_COLUMNS: Final[tuple[str, ...]] = (
    "customer_id",
    "counterparty_id",
    "month",
    "direction",
    "amount_minor",
)
SNAPSHOT_COLUMNS: Final[tuple[str, ...]] = ("customer_id", "as_of", "segment")


@dataclass(frozen=True)
class EventConfig:
    """Thresholds of the detectors (``core.settings.Settings`` supplies them)."""

    flow_rule: FlowRule = "ratio"
    flow_ratio: float = 3.0
    flow_zscore: float = 5.0
    zscore_min_ratio: float = 1.5
    high_ratio: float = 5.0
    min_history_months: int = 3
    counterparty_share: float = 0.30
    high_share: float = 0.40
    loss_min_months: int = 2
    new_min_months: int = 2
    dormancy_months: int = 3
    currency: str = "CNY"
    history_margin: float = 1.5
    side_share: float = 0.5
    loss_min_regularity: float = 0.75


@dataclass(frozen=True)
class DetectedEvent:
    """One detected event with the numbers behind it.

    Money in ``evidence`` is integer minor units under keys ending in ``_minor``, in
    ``evidence["currency"]``; shares and ratios are rounded floats.
    """

    event_id: str
    type: EventType
    customer_id: str
    month: str
    severity: Severity
    suggested_action: Action
    evidence: dict[str, str | int | float | None]
    explanation: Message  # a catalogue key and its parameters (core.messages)
    counterparty_id: str | None = None
    related: tuple[str, ...] = field(default=())


def event_id(event_type: str, customer_id: str, month: str, subject: str = "") -> str:
    """The deterministic id of an event.

    Examples
    --------
    >>> event_id("dormancy", "C1", "2025-10") == event_id("dormancy", "C1", "2025-10")
    True
    >>> event_id("dormancy", "C1", "2025-10")[:3]
    'EV-'
    """
    key = "|".join((event_type, customer_id, month, subject))
    return "EV-" + hashlib.sha256(key.encode("utf-8")).hexdigest()[:20]


def month_axis(first: str, last: str) -> list[str]:
    """Every calendar month from ``first`` to ``last`` (``YYYY-MM``), inclusive.

    Examples
    --------
    >>> month_axis("2025-11", "2026-02")
    ['2025-11', '2025-12', '2026-01', '2026-02']
    """
    year, month = int(first[:4]), int(first[5:7])
    end = (int(last[:4]), int(last[5:7]))
    months = []
    while (year, month) <= end:
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


# Why each event was raised: catalogue keys (core.messages), rendered in the reader's language.
_EXPLAIN_FLOW: Final[dict[str, str]] = {
    "large_outflow": N_("Outflow in {month} was {ratio}× the median of the {months} months before"),
    "large_inflow": N_("Inflow in {month} was {ratio}× the median of the {months} months before"),
}
_EXPLAIN_LOSS: Final = N_(
    "Counterparty {counterparty} held {share} of the flows until {month} and has paid nothing "
    "for {months} months"
)
_EXPLAIN_NEWCOMER: Final = N_(
    "New counterparty {counterparty} took {share} of the flows since {month}"
)
_EXPLAIN_DORMANCY: Final = N_("No payment since {month} ({months} silent months)")
_EXPLAIN_DOWNGRADE: Final = N_("Segment fell from {previous} to {current} on {date}")
_EXPLAIN_CONTROLLER: Final = N_("Ultimate controller changed from {previous} to {current}")
_EXPLAIN_GROUP_RISK: Final = N_("{customer} in {unit} has a {event_type} event in {month}")


def _make(
    event_type: EventType,
    customer_id: str,
    month: str,
    severity: Severity,
    evidence: dict[str, str | int | float | None],
    explanation: Message,
    *,
    counterparty_id: str | None = None,
    subject: str = "",
    related: tuple[str, ...] = (),
) -> DetectedEvent:
    return DetectedEvent(
        event_id=event_id(event_type, customer_id, month, subject),
        type=event_type,
        customer_id=customer_id,
        month=month,
        severity=severity,
        suggested_action=SUGGESTED_ACTIONS[event_type],
        evidence=evidence,
        explanation=explanation,
        counterparty_id=counterparty_id,
        related=related,
    )


@dataclass
class _Customer:
    """One customer's flows on the month axis."""

    out: list[int]
    inflow: list[int]
    by_counterparty: dict[str, list[int]]
    paid_to: dict[str, list[int]]
    paid_by: dict[str, list[int]]

    @property
    def total(self) -> list[int]:
        return [a + b for a, b in zip(self.out, self.inflow, strict=True)]

    def side_share(self, counterparty: str, start: int, stop: int) -> float:
        """The counterparty's share of the side it mostly trades on, months ``start:stop``."""
        paid_to = sum(self.paid_to.get(counterparty, ())[start:stop])
        paid_by = sum(self.paid_by.get(counterparty, ())[start:stop])
        side = self.out if paid_to >= paid_by else self.inflow
        total = sum(side[start:stop])
        return max(paid_to, paid_by) / total if total else 0.0


def _is_major(share: float, side_share: float, config: EventConfig) -> bool:
    """Major: a share of all the customer's flows, or of the side it trades on."""
    return share >= config.counterparty_share or side_share >= config.side_share


def _regularity(present: Sequence[int], since: int | None = None) -> float:
    """Share of the months from ``since`` (default: the first payment) to the last
    payment that have one; ``present`` are the sorted months with a payment."""
    if not present:
        return 0.0
    first = present[0] if since is None else min(since, present[0])
    return len(present) / (present[-1] - first + 1)


def _customers_exact(flows: pd.DataFrame, axis: Sequence[str]) -> dict[str, _Customer]:
    """:func:`_customers` in Python integers, row by row (any amount, any column type)."""
    index = {m: i for i, m in enumerate(axis)}
    size = len(axis)
    found: dict[str, _Customer] = {}
    exact = flows.assign(amount_minor=exact_amounts(flows["amount_minor"]))
    grouped = exact.groupby(["customer_id", "counterparty_id", "month", "direction"], sort=True)[
        "amount_minor"
    ].sum()
    for key, amount in grouped.items():
        customer, counterparty, month, direction = (str(p) for p in cast(tuple[object, ...], key))
        cust = found.get(customer)
        if cust is None:
            cust = found[customer] = _Customer([0] * size, [0] * size, {}, {}, {})
        i = index[month]
        value = int(amount)
        if direction == "out":
            cust.out[i] += value
            cust.paid_to.setdefault(counterparty, [0] * size)[i] += value
        else:
            cust.inflow[i] += value
            cust.paid_by.setdefault(counterparty, [0] * size)[i] += value
        series = cust.by_counterparty.setdefault(counterparty, [0] * size)
        series[i] += value
    return found


#: Amounts whose absolute values sum below this are summed in int64 without overflow,
#: with room to spare (the float estimate of the sum, three times a month, a share sum).
_INT64_SAFE: Final = 2**58


def _customers(flows: pd.DataFrame, axis: Sequence[str]) -> dict[str, _Customer]:
    """Every customer's flows on the month axis.

    Summed in int64 arrays when the amounts are integers too small to overflow it
    (every real ledger); otherwise row by row in Python integers. Both give the
    same customers with the same series.
    """
    found = _customers_int64(flows, axis)
    return found if found is not None else _customers_exact(flows, axis)


def _customers_int64(flows: pd.DataFrame, axis: Sequence[str]) -> dict[str, _Customer] | None:
    """:func:`_customers` as int64 group sums, or ``None`` where only Python integers
    give the same answer (non-integer or huge amounts, missing keys, months off the axis)."""
    amounts = flows["amount_minor"]
    keys = flows.loc[:, ["customer_id", "counterparty_id", "month", "direction"]]
    if not pd.api.types.is_signed_integer_dtype(amounts.dtype) or keys.isna().to_numpy().any():
        return None
    values = amounts.to_numpy(dtype=np.int64)
    if float(np.abs(values.astype(np.float64)).sum()) >= _INT64_SAFE:
        return None
    index = {m: i for i, m in enumerate(axis)}
    month_codes, month_names = pd.factorize(keys["month"].astype(str))
    if any(m not in index for m in month_names):
        return None
    size = len(axis)
    positions = np.array([index[m] for m in month_names], dtype=np.intp)[month_codes]
    customer_codes, customer_names = pd.factorize(keys["customer_id"].astype(str))
    counterparty_codes, counterparty_names = pd.factorize(keys["counterparty_id"].astype(str))
    is_out = (keys["direction"].astype(str) == "out").to_numpy()
    width = max(len(counterparty_names), 1)
    pair_codes, pairs = pd.factorize(customer_codes.astype(np.int64) * width + counterparty_codes)
    pairs = np.asarray(pairs, dtype=np.int64)
    sums: list[np.ndarray] = []
    seen: list[np.ndarray] = []
    for rows in (is_out, ~is_out):
        matrix = np.zeros((len(pairs), size), dtype=np.int64)
        np.add.at(matrix, (pair_codes[rows], positions[rows]), values[rows])
        present = np.zeros(len(pairs), dtype=bool)
        present[pair_codes[rows]] = True
        sums.append(matrix)
        seen.append(present)
    pair_customer = pairs // width
    totals: list[list[list[int]]] = []
    for matrix in sums:
        by_customer = np.zeros((len(customer_names), size), dtype=np.int64)
        np.add.at(by_customer, pair_customer, matrix)
        totals.append(by_customer.tolist())
    customers = [
        _Customer(out, inflow, {}, {}, {}) for out, inflow in zip(totals[0], totals[1], strict=True)
    ]
    out_rows, in_rows, both_rows = sums[0].tolist(), sums[1].tolist(), (sums[0] + sums[1]).tolist()
    names = [str(n) for n in counterparty_names]
    for p, (c, k, has_out, has_in) in enumerate(
        zip(
            pair_customer.tolist(),
            (pairs % width).tolist(),
            seen[0].tolist(),
            seen[1].tolist(),
            strict=True,
        )
    ):
        cust, name = customers[c], names[k]
        cust.by_counterparty[name] = both_rows[p]
        if has_out:
            cust.paid_to[name] = out_rows[p]
        if has_in:
            cust.paid_by[name] = in_rows[p]
    return {str(n): cust for n, cust in zip(customer_names, customers, strict=True)}


def _spikes(
    customer_id: str,
    series: list[int],
    start: int,
    axis: Sequence[str],
    event_type: EventType,
    config: EventConfig,
    counterparties: Mapping[str, list[int]],
) -> list[DetectedEvent]:
    found = []
    explained_in = _explained(counterparties, start, len(series), config)
    for i in range(start + config.min_history_months, len(series)):
        history = series[start:i]
        baseline = statistics.median(history)
        explained = explained_in[i]
        amount = series[i] - explained
        if baseline <= 0 or amount <= 0:
            continue
        ratio = amount / baseline
        if config.flow_rule == "ratio" and not ratio > config.flow_ratio:
            continue  # the z-score below only matters to a hit
        mad = statistics.median(abs(h - baseline) for h in history)
        z = 0.6745 * (amount - baseline) / mad if mad > 0 else float("inf")
        if config.flow_rule == "ratio":
            hit = ratio > config.flow_ratio
        else:
            hit = z >= config.flow_zscore and ratio >= config.zscore_min_ratio
        largest = max(history)
        if not hit or amount <= config.history_margin * largest:
            continue
        top = max(counterparties.items(), key=lambda kv: (kv[1][i], kv[0]), default=None)
        top_id = top[0] if top is not None else None
        severity: Severity = "high" if ratio >= config.high_ratio else "medium"
        found.append(
            _make(
                event_type,
                customer_id,
                axis[i],
                severity,
                {
                    "amount_minor": amount,
                    "baseline_minor": round(baseline),
                    "ratio": round(ratio, 2),
                    "robust_z": None if z == float("inf") else round(z, 2),
                    "baseline_months": len(history),
                    "largest_before_minor": largest,
                    "explained_minor": explained,
                    "rule": config.flow_rule,
                    "top_counterparty_id": top_id,
                    "top_counterparty_minor": top[1][i] if top is not None else None,
                    "currency": config.currency,
                },
                Message(
                    _EXPLAIN_FLOW[event_type],
                    {"month": axis[i], "ratio": f"{ratio:.1f}", "months": len(history)},
                ),
                counterparty_id=top_id,
            )
        )
    return found


def _explained(
    counterparties: Mapping[str, list[int]], start: int, size: int, config: EventConfig
) -> list[int]:
    """What each month ``i`` from ``start + min_history_months`` on pays late
    (:func:`_late_catch_up`) or in recurring lumps (:func:`_recurring_lumps`); 0 before.

    All months at once over an int64 counterparty × month matrix when its amounts
    cannot overflow it, else month by month in Python integers: the same numbers.
    """
    explained = [0] * size
    first = start + config.min_history_months
    if first >= size or not counterparties:
        return explained
    rows = list(counterparties.values())
    try:
        matrix = np.array(rows, dtype=np.int64)
    except OverflowError:
        matrix = None
    if matrix is None or 3.0 * np.abs(matrix, dtype=np.float64).max() * (len(rows) + 1) >= (
        _INT64_SAFE
    ):
        for i in range(first, size):
            explained[i] = _late_catch_up(counterparties, i, config) + _recurring_lumps(
                counterparties, start, i, config
            )
        return explained
    window = matrix[:, start:]
    paid = window != 0
    # Before month start + j: how many months had a payment, and the largest month.
    paid_before = np.cumsum(paid, axis=1) - paid
    largest_before = np.empty_like(window)
    largest_before[:, 0] = 0  # no month before: paid_before is 0 there
    largest_before[:, 1:] = np.maximum.accumulate(window, axis=1)[:, :-1]
    months_so_far = np.arange(1, window.shape[1] + 1)
    lumps = (
        paid
        & (paid_before > 0)
        & ((paid_before + 1) / months_so_far < config.loss_min_regularity)
        & (3 * largest_before >= window)
    )
    lumped = np.where(lumps, window, 0).sum(axis=0).tolist()
    for i in range(first, size):
        explained[i] = lumped[i - start]
    # Late payments: paid in month i, not in i - 1 (the rest of the rule per candidate).
    paid_ever = matrix != 0
    late = np.zeros_like(paid_ever)
    late[:, 1:] = paid_ever[:, 1:] & ~paid_ever[:, :-1]
    late[:, : max(first, 3)] = False
    for r, i in zip(*(a.tolist() for a in np.nonzero(late)), strict=True):
        explained[i] += _late_catch_up([rows[r]], i, config)
    return explained


def _late_catch_up(
    counterparties: Mapping[str, list[int]] | Sequence[list[int]], i: int, config: EventConfig
) -> int:
    """What month ``i`` pays late for month ``i - 1``: what a regular counterparty unpaid
    in ``i - 1`` gets in ``i`` beyond its usual month (at least half: a late payment is
    two months in one, and the missed month may have been a seasonal peak)."""
    late = 0
    for series in (
        counterparties.values() if isinstance(counterparties, Mapping) else counterparties
    ):
        if i < 3 or not series[i] or series[i - 1]:
            continue
        before = _nonzero(series[: i - 1])
        if len(before) >= 2 and _regularity(before) >= config.loss_min_regularity:
            usual = statistics.median(series[m] for m in before)
            late += max(series[i] // 2, series[i] - round(usual))
    return late


def _recurring_lumps(
    counterparties: Mapping[str, list[int]], start: int, i: int, config: EventConfig
) -> int:
    """What month ``i`` pays to counterparties the customer pays in lumps: paid in fewer
    than ``loss_min_regularity`` of the customer's months so far (equipment, projects),
    and at least a third as much once before. Buying in lumps is how such customers
    buy, not an event."""
    lumps = 0
    for series in counterparties.values():
        amount = series[i]
        before = _nonzero(series[start:i])
        if not amount or not before:
            continue
        irregular = (len(before) + 1) / (i - start + 1) < config.loss_min_regularity
        if irregular and 3 * max(series[start:i]) >= amount:
            lumps += amount
    return lumps


def _nonzero(series: Sequence[int]) -> list[int]:
    return [i for i, v in enumerate(series) if v]


def _losses(
    customer_id: str, cust: _Customer, start: int, axis: Sequence[str], config: EventConfig
) -> list[DetectedEvent]:
    total = cust.total
    active = _nonzero(total)
    last_active = active[-1]
    found = []
    for counterparty, series in sorted(cust.by_counterparty.items()):
        present = _nonzero(series)
        if len(present) < config.min_history_months:
            continue
        last = present[-1]
        silent = len(axis) - 1 - last
        if silent < config.loss_min_months or last_active <= last:
            continue
        window_total = sum(total[start : last + 1])
        share = sum(series[start : last + 1]) / window_total if window_total else 0.0
        side_share = cust.side_share(counterparty, start, last + 1)
        if not _is_major(share, side_share, config):
            continue
        if _regularity(present, start) < config.loss_min_regularity:
            continue
        severity: Severity = "high" if share >= config.high_share else "medium"
        found.append(
            _make(
                "counterparty_loss",
                customer_id,
                axis[last + 1],
                severity,
                {
                    "share": round(share, 4),
                    "side_share": round(side_share, 4),
                    "regularity": round(_regularity(present, start), 4),
                    "counterparty_minor": sum(series[start : last + 1]),
                    "customer_total_minor": window_total,
                    "last_month": axis[last],
                    "silent_months": silent,
                    "currency": config.currency,
                },
                Message(
                    _EXPLAIN_LOSS,
                    {
                        "counterparty": counterparty,
                        "share": f"{share:.0%}",
                        "month": axis[last],
                        "months": silent,
                    },
                ),
                counterparty_id=counterparty,
                subject=counterparty,
            )
        )
    return found


def _newcomers(
    customer_id: str, cust: _Customer, start: int, axis: Sequence[str], config: EventConfig
) -> list[DetectedEvent]:
    total = cust.total
    found = []
    for counterparty, series in sorted(cust.by_counterparty.items()):
        present = _nonzero(series)
        first = present[0]
        if first - start < config.min_history_months or len(present) < config.new_min_months:
            continue
        window_total = sum(total[first:])
        share = sum(series[first:]) / window_total if window_total else 0.0
        side_share = cust.side_share(counterparty, first, len(axis))
        if not _is_major(share, side_share, config):
            continue
        severity: Severity = "high" if share >= config.high_share else "medium"
        found.append(
            _make(
                "new_major_counterparty",
                customer_id,
                axis[first],
                severity,
                {
                    "share": round(share, 4),
                    "side_share": round(side_share, 4),
                    "counterparty_minor": sum(series[first:]),
                    "customer_total_minor": window_total,
                    "months_seen": len(present),
                    "history_months": first - start,
                    "currency": config.currency,
                },
                Message(
                    _EXPLAIN_NEWCOMER,
                    {"counterparty": counterparty, "share": f"{share:.0%}", "month": axis[first]},
                ),
                counterparty_id=counterparty,
                subject=counterparty,
            )
        )
    return found


def _dormancy(
    customer_id: str, cust: _Customer, start: int, axis: Sequence[str], config: EventConfig
) -> list[DetectedEvent]:
    total = cust.total
    last = _nonzero(total)[-1]
    silent = len(axis) - 1 - last
    if silent < config.dormancy_months:
        return []
    # The usual month of an active customer: months without any payment are not
    # part of its usual business (a quarterly payer's usual month is not 0).
    usual = statistics.median(v for v in total[start : last + 1] if v)
    return [
        _make(
            "dormancy",
            customer_id,
            axis[last + 1],
            "high",
            {
                "last_active_month": axis[last],
                "silent_months": silent,
                "usual_monthly_minor": round(usual),
                "currency": config.currency,
            },
            Message(_EXPLAIN_DORMANCY, {"month": axis[last], "months": silent}),
        )
    ]


def detect_flow_events(
    flows: pd.DataFrame,
    config: EventConfig | None = None,
    *,
    months: Sequence[str] | None = None,
) -> list[DetectedEvent]:
    """Detect flow events for every customer in ``flows``.

    Parameters
    ----------
    flows
        Columns :data:`FLOW_COLUMNS`: one row per customer, counterparty, month
        (``YYYY-MM``), direction (``out`` or ``in``) and amount (integer minor units,
        one currency). A payment between two customers appears once for each.
    config
        Thresholds; the defaults are the documented ones.
    months
        The month axis; default: every calendar month from the first to the last
        month in ``flows`` (the data's end, not today, defines "silent").

    Returns
    -------
    list[DetectedEvent]
        Sorted by customer, month and type.
    """
    cfg = config or EventConfig()
    if flows.empty:
        return []
    axis = (
        list(months) if months else month_axis(str(flows["month"].min()), str(flows["month"].max()))
    )
    found: list[DetectedEvent] = []
    for customer_id, cust in sorted(_customers(flows, axis).items()):
        active = _nonzero(cust.total)
        if not active:
            continue
        start = active[0]
        found += _spikes(customer_id, cust.out, start, axis, "large_outflow", cfg, cust.paid_to)
        found += _spikes(customer_id, cust.inflow, start, axis, "large_inflow", cfg, cust.paid_by)
        found += _losses(customer_id, cust, start, axis, cfg)
        found += _newcomers(customer_id, cust, start, axis, cfg)
        found += _dormancy(customer_id, cust, start, axis, cfg)
    return sorted(found, key=lambda e: (e.customer_id, e.month, e.type, e.event_id))


def detect_segment_downgrades(snapshots: pd.DataFrame) -> list[DetectedEvent]:
    """One event per fall between consecutive segment snapshots of a customer.

    Parameters
    ----------
    snapshots
        Columns :data:`SNAPSHOT_COLUMNS`; ``as_of`` is an ISO date (string or date).
        Segments not in :data:`SEGMENT_ORDER` are ignored.

    Examples
    --------
    >>> import pandas as pd
    >>> snaps = pd.DataFrame(
    ...     [("C1", "2025-03-31", "core"), ("C1", "2025-06-30", "growth")],
    ...     columns=list(SNAPSHOT_COLUMNS),
    ... )
    >>> [(e.month, e.evidence["from"], e.evidence["to"]) for e in detect_segment_downgrades(snaps)]
    [('2025-06', 'core', 'growth')]
    """
    rank = {s: i for i, s in enumerate(SEGMENT_ORDER)}
    found: list[DetectedEvent] = []
    rows = sorted(
        (str(r.customer_id), str(r.as_of)[:10], str(r.segment))
        for r in snapshots.itertuples(index=False)
        if str(r.segment) in rank
    )
    for (c1, d1, s1), (c2, d2, s2) in itertools.pairwise(rows):
        if c1 != c2 or rank[s2] <= rank[s1]:
            continue
        drop = rank[s2] - rank[s1]
        severity: Severity = "high" if drop >= 2 or s1 == SEGMENT_ORDER[0] else "medium"
        found.append(
            _make(
                "segment_downgrade",
                c2,
                d2[:7],
                severity,
                {"from": s1, "to": s2, "as_of": d2, "previous_as_of": d1, "levels": drop},
                Message(
                    _EXPLAIN_DOWNGRADE,
                    {"previous": Code("segment", s1), "current": Code("segment", s2), "date": d2},
                ),
                subject=d2,
            )
        )
    return found


def diff_controllers(
    previous: Mapping[str, str], current: Mapping[str, str], month: str
) -> list[DetectedEvent]:
    """``controller_change`` events: companies whose ultimate controller changed.

    Only companies with a controller in both loads count; gaining or losing one is
    a group-membership change, not a change of hands.

    Examples
    --------
    >>> [e.evidence["to"] for e in diff_controllers({"C1": "P1", "C2": "P2"},
    ...                                            {"C1": "P9", "C2": "P2"}, "2025-12")]
    ['P9']
    """
    found = []
    for company, before in sorted(previous.items()):
        after = current.get(company)
        if after is None or after == before:
            continue
        found.append(
            _make(
                "controller_change",
                company,
                month,
                "high",
                {"from": before, "to": after},
                Message(_EXPLAIN_CONTROLLER, {"previous": before, "current": after}),
                subject=after,
            )
        )
    return found


def group_risk_events(
    events: Iterable[DetectedEvent],
    memberships: Mapping[str, Iterable[str]],
) -> list[DetectedEvent]:
    """``group_risk`` events: other members of a group or circle of a risky customer.

    Parameters
    ----------
    events
        Detected events; those of :data:`RISK_TYPES` spread.
    memberships
        ``{customer_id: [unit id]}`` where a unit is a group or a guarantee circle.

    Examples
    --------
    >>> src = diff_controllers({"C1": "P1"}, {"C1": "P2"}, "2025-12")
    >>> [(e.customer_id, e.evidence["via"]) for e in
    ...  group_risk_events(src, {"C1": ["G1"], "C2": ["G1"], "C3": ["G2"]})]
    [('C2', 'G1')]
    """
    members: dict[str, set[str]] = defaultdict(set)
    for customer, units in memberships.items():
        for unit in units:
            members[unit].add(customer)
    found: dict[str, DetectedEvent] = {}
    for source in events:
        if source.type not in RISK_TYPES:
            continue
        for unit in sorted(memberships.get(source.customer_id, ())):
            for other in sorted(members[unit] - {source.customer_id}):
                event = _make(
                    "group_risk",
                    other,
                    source.month,
                    "medium",
                    {
                        "source_event_id": source.event_id,
                        "source_customer_id": source.customer_id,
                        "source_type": source.type,
                        "via": unit,
                    },
                    Message(
                        _EXPLAIN_GROUP_RISK,
                        {
                            "customer": source.customer_id,
                            "unit": unit,
                            "event_type": Code("event_type", source.type),
                            "month": source.month,
                        },
                    ),
                    subject=source.event_id,
                    related=(source.event_id,),
                )
                found.setdefault(event.event_id, event)
    return sorted(found.values(), key=lambda e: (e.customer_id, e.month, e.event_id))


def precision_recall(
    found: Iterable[tuple[str, str, str]], planted: Iterable[tuple[str, str, str]]
) -> tuple[float, float]:
    """Precision and recall of ``(customer, type, month)`` triples.

    Examples
    --------
    >>> precision_recall([("C1", "dormancy", "2025-10")], [("C1", "dormancy", "2025-10")])
    (1.0, 1.0)
    """
    got, want = set(found), set(planted)
    hits = len(got & want)
    return (hits / len(got) if got else 1.0, hits / len(want) if want else 1.0)
