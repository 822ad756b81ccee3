"""Tracking targets: progress, run-rate, the pipeline forecast and the chance to make it.

Pure functions over :class:`graph.kpis.OpportunityFact` and the exact KPI values of
:mod:`algorithms.kpis`. The model, stated once:

**Actual.** For a *flow* metric (``opportunities_won``, ``opportunities_won_amount``:
counted cumulatively "on or before the date") the period's actual is the value at
the as-of date minus the value on the day before the period starts. For a *stock*
metric (balances, outstanding, customers) the actual is the level at the as-of
date, and the target is a level to hold at the period's end.

**Run-rate forecast.** What the period ends at if the change so far continues at
the same pace per day: ``start + (actual - start) * period_days / elapsed_days``
(``start`` is 0 for flows, the level on the day before the period for stocks).

**Stage probabilities, measured.** For each open stage *s*, of the opportunities
whose history reached *s* (or a later stage) and that were *closed* (won or lost)
by the as-of date, the share that were won. Opportunities still open are left out
of the measurement: their outcome is not known yet, and counting them as misses
would bias every probability down. A stage with no closed history has no measured
probability (``None``); its open opportunities then add nothing to the forecast.
Nothing is typed in.

**Pipeline-weighted expected additions.** For the opportunity metrics, each
opportunity open at the as-of date is won, independently, with the measured
probability of the stage it stands at: a Bernoulli variable worth 1 (count) or its
CNY amount. The expected addition is the sum of ``p * worth``.

**Fresh wins.** Wins the period will also see from opportunities not open yet: the
unit's own recent pace of opportunities opened *and* won within a window as long
as the days left (the last such window before the as-of date). The point forecast
is ``actual + pipeline-weighted additions + fresh wins``.

**Probability of reaching the target.** The exact distribution of the sum of those
independent Bernoulli wins, by convolution, and ``P(actual + wins >= target)``: a
Poisson-binomial for counts; for amounts, exact over the reachable sums (capped at
the shortfall) while they stay under :data:`EXACT_STATES`, else on a grid of
:data:`GRID_STEPS` steps of the shortfall with each amount rounded to the nearest
step (an error of a few steps' worth, far below any amount that matters).
The model is deliberately conservative: it credits only the pipeline open today,
not opportunities yet to be opened and won within the period (that is what the
run-rate shows beside it). Stock metrics have no pipeline model: their probability
is ``None`` and only the run-rate is given.

Examples
--------
>>> [round(p, 4) for p in win_count_distribution([0.5, 0.5])]
[0.25, 0.5, 0.25]
>>> round(probability_at_least([(0.5, 1), (0.5, 1)], 1), 4)
0.75
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from fractions import Fraction
from typing import Final

from core.codes import OPEN_STAGES, STAGES
from core.money import FxRate, Money, cny_equivalent
from graph.kpis import OpportunityFact

#: Metrics whose period actual is the change over the period (cumulative counts).
FLOW_METRICS: Final[frozenset[str]] = frozenset({"opportunities_won", "opportunities_won_amount"})
#: Metrics the open pipeline adds to when its opportunities are won.
PIPELINE_METRICS: Final[frozenset[str]] = FLOW_METRICS
#: Resolution of a large amount distribution: the shortfall is cut into this many steps.
GRID_STEPS: Final = 2000
#: Up to this many distinct partial sums the amount distribution is computed exactly.
EXACT_STATES: Final = 4096
_ORDER: Final[dict[str, int]] = {s: i for i, s in enumerate(STAGES) if s != "lost"}


def _end_of(on: date) -> datetime:
    return datetime.combine(on + timedelta(days=1), time(0), UTC)


@dataclass(frozen=True)
class StageProbability:
    """The measured chance that an opportunity standing at ``stage`` is won."""

    stage: str
    #: Closed opportunities (won or lost) whose history reached the stage.
    closed: int
    #: Of those, the ones won.
    won: int

    @property
    def probability(self) -> Fraction | None:
        """``won / closed``; ``None`` without closed history."""
        return Fraction(self.won, self.closed) if self.closed else None


def stage_at(opportunity: OpportunityFact, on: date) -> str | None:
    """The stage an opportunity stood at by the end of ``on``; ``None`` if not created yet."""
    end = _end_of(on)
    if opportunity.created_at >= end:
        return None
    stage = "identified"
    for change in opportunity.history:
        if change.at < end:
            stage = change.to
    return stage


def stage_probabilities(
    opportunities: Iterable[OpportunityFact], on: date
) -> dict[str, StageProbability]:
    """Each open stage's win probability, measured from the histories closed by ``on``.

    Examples
    --------
    >>> from graph.kpis import StatusChange
    >>> t = datetime(2025, 1, 1, tzinfo=UTC)
    >>> def opp(i, *stages):
    ...     return OpportunityFact(str(i), "B", "R", 100, "CNY", t,
    ...                            tuple(StatusChange(s, t) for s in stages))
    >>> probs = stage_probabilities([opp(1, "contacted", "proposal", "won"),
    ...                              opp(2, "contacted", "lost"), opp(3, "lost"),
    ...                              opp(4, "contacted")], date(2025, 1, 2))
    >>> [(s, str(p.probability)) for s, p in probs.items()]
    [('identified', '1/3'), ('contacted', '1/2'), ('proposal', '1')]
    """
    end = _end_of(on)
    closed = dict.fromkeys(OPEN_STAGES, 0)
    won = dict.fromkeys(OPEN_STAGES, 0)
    for opp in opportunities:
        if opp.created_at >= end:
            continue
        seen = ["identified", *(c.to for c in opp.history if c.at < end)]
        final = seen[-1]
        if final not in ("won", "lost"):
            continue
        highest = max(_ORDER[s] for s in seen if s in _ORDER)
        for stage in OPEN_STAGES:
            if highest >= _ORDER[stage]:
                closed[stage] += 1
                won[stage] += final == "won"
    return {s: StageProbability(s, closed[s], won[s]) for s in OPEN_STAGES}


def win_count_distribution(probabilities: Sequence[float]) -> list[float]:
    """``P(k wins)`` for ``k = 0..n`` of independent Bernoulli trials (Poisson-binomial)."""
    dist = [1.0]
    for p in probabilities:
        nxt = [0.0] * (len(dist) + 1)
        for k, mass in enumerate(dist):
            nxt[k] += mass * (1 - p)
            nxt[k + 1] += mass * p
        dist = nxt
    return dist


def amount_probability_at_least(wins: Sequence[tuple[float, int]], needed: int) -> float:
    """``P(sum of won amounts >= needed)``: exact while the distinct partial sums (capped
    at ``needed``) stay few, else on a grid of :data:`GRID_STEPS` steps of ``needed``.

    Examples
    --------
    >>> amount_probability_at_least([(0.5, 333_33), (0.5, 333_33)], 666_66)
    0.25
    """
    if needed <= 0:
        return 1.0
    states: dict[int, float] = {0: 1.0}
    for p, worth in wins:
        if p <= 0 or worth <= 0:
            continue
        nxt: dict[int, float] = {}
        for total, mass in states.items():
            nxt[total] = nxt.get(total, 0.0) + mass * (1 - p)
            reached = min(needed, total + worth)
            nxt[reached] = nxt.get(reached, 0.0) + mass * p
        states = nxt
        if len(states) > EXACT_STATES:
            step = max(1, needed // GRID_STEPS)
            return probability_at_least(
                [(q, (w + step // 2) // step) for q, w in wins], (needed + step // 2) // step
            )
    return states.get(needed, 0.0)


def probability_at_least(wins: Sequence[tuple[float, int]], needed: int) -> float:
    """``P(sum of won worths >= needed)`` for independent ``(probability, worth)`` wins.

    Exact by convolution over worths capped at ``needed`` (any more is as good as
    ``needed``). Worths are integers: counts, or amounts already put on a grid.
    """
    if needed <= 0:
        return 1.0
    dist = [0.0] * (needed + 1)
    dist[0] = 1.0
    for p, worth in wins:
        if p <= 0 or worth <= 0:
            continue
        nxt = [mass * (1 - p) for mass in dist]
        for total, mass in enumerate(dist):
            if mass:
                nxt[min(needed, total + worth)] += mass * p
        dist = nxt
    return dist[needed]


@dataclass(frozen=True)
class PipelineItem:
    """One open opportunity's part in the forecast."""

    opportunity_id: str
    branch_id: str | None
    rm_id: str | None
    stage: str
    #: Its CNY equivalent in fen (``None``: no amount, or no rate for its currency).
    amount_minor: int | None
    probability: Fraction | None

    def worth(self, metric: str) -> int:
        """What winning it adds to ``metric`` (1 for the count, its fen for the amount)."""
        if metric == "opportunities_won":
            return 1
        return self.amount_minor or 0


def open_pipeline(
    opportunities: Iterable[OpportunityFact],
    on: date,
    probabilities: Mapping[str, StageProbability],
    rates: Mapping[str, FxRate],
) -> list[PipelineItem]:
    """The opportunities open at ``on``, each with its stage's measured probability."""
    items: list[PipelineItem] = []
    for opp in opportunities:
        stage = stage_at(opp, on)
        if stage not in OPEN_STAGES:
            continue
        amount: int | None = None
        if opp.amount_minor is not None and opp.currency:
            equivalent = cny_equivalent([Money(opp.amount_minor, opp.currency)], rates)
            amount = equivalent.total.minor if equivalent.complete else None
        known = probabilities.get(stage)
        items.append(
            PipelineItem(
                opp.opportunity_id,
                opp.branch_id,
                opp.rm_id,
                stage,
                amount,
                known.probability if known else None,
            )
        )
    return sorted(items, key=lambda i: i.opportunity_id)


def fresh_wins(
    opportunities: Iterable[OpportunityFact],
    on: date,
    days: int,
    metric: str,
    rates: Mapping[str, FxRate],
) -> int:
    """What opportunities opened and won within the ``days`` up to ``on`` added to
    ``metric`` (a count, or their CNY fen): the pace of wins not yet in a pipeline.

    Examples
    --------
    >>> from graph.kpis import StatusChange
    >>> t = datetime(2025, 3, 1, tzinfo=UTC)
    >>> opp = OpportunityFact("O1", "B", "R", 100, "CNY", t,
    ...                       (StatusChange("won", t + timedelta(days=5)),))
    >>> fresh_wins([opp], date(2025, 3, 30), 30, "opportunities_won", {})
    1
    >>> fresh_wins([opp], date(2025, 3, 31), 10, "opportunities_won", {})
    0
    """
    if days <= 0:
        return 0
    end = _end_of(on)
    start = _end_of(on - timedelta(days=days))
    total = 0
    for opp in opportunities:
        if not start <= opp.created_at < end:
            continue
        if not any(c.to == "won" and c.at < end for c in opp.history):
            continue
        if metric == "opportunities_won":
            total += 1
        elif opp.amount_minor is not None and opp.currency:
            equivalent = cny_equivalent([Money(opp.amount_minor, opp.currency)], rates)
            total += equivalent.total.minor
    return total


@dataclass(frozen=True)
class Progress:
    """One unit's progress on one target (values in the metric's minor units: fen or ones)."""

    actual: int
    target: int
    #: ``actual / target`` for flows; for stocks, the same share of the level.
    share_done: Fraction | None
    elapsed_days: int
    period_days: int
    run_rate_forecast: int
    #: The pipeline's expected addition (``None``: the metric has no pipeline model).
    pipeline_expected: Fraction | None
    #: ``P(actual + pipeline wins >= target)`` (``None`` without a pipeline model).
    probability: float | None
    #: The 10th and 90th percentiles of ``actual + pipeline wins`` (the forecast band).
    band: tuple[int, int] | None
    #: Wins expected from opportunities not open yet (the unit's recent fresh-win pace).
    fresh_expected: int | None = None

    @property
    def forecast(self) -> Fraction | None:
        """``actual + pipeline-weighted additions + fresh wins`` (opportunity metrics)."""
        if self.pipeline_expected is None:
            return None
        return self.actual + self.pipeline_expected + (self.fresh_expected or 0)


def _quantiles(wins: Sequence[tuple[float, int]], base: int, step: int) -> tuple[int, int]:
    """10th and 90th percentile of ``base + step * sum(worth wins)`` (worths on the grid)."""
    top = sum(w for _p, w in wins)
    dist = [0.0] * (top + 1)
    dist[0] = 1.0
    for p, worth in wins:
        nxt = [mass * (1 - p) for mass in dist]
        for total, mass in enumerate(dist):
            if mass and total + worth <= top:
                nxt[total + worth] += mass * p
        dist = nxt
    cumulative, low, high = 0.0, None, top
    for k, mass in enumerate(dist):
        cumulative += mass
        if low is None and cumulative >= 0.1:
            low = k
        if cumulative >= 0.9:
            high = k
            break
    return base + step * (low or 0), base + step * high


def progress(
    metric: str,
    *,
    actual: int,
    start: int,
    target: int,
    period_start: date,
    period_end: date,
    on: date,
    pipeline: Sequence[PipelineItem] = (),
    fresh: int = 0,
) -> Progress:
    """Progress of one unit towards ``target`` at ``on`` (see the module's model).

    ``actual`` and ``target`` are in the metric's minor units; for a flow metric
    ``actual`` is already the period's change and ``start`` is ignored; ``pipeline``
    holds the unit's open opportunities.

    Examples
    --------
    >>> p = progress("opportunities_won", actual=5, start=0, target=10,
    ...              period_start=date(2025, 1, 1), period_end=date(2025, 12, 31),
    ...              on=date(2025, 7, 1))
    >>> p.run_rate_forecast, str(p.share_done), p.probability
    (10, '1/2', 0.0)
    """
    period_days = (period_end - period_start).days + 1
    elapsed = max(0, min(period_days, (on - period_start).days + 1))
    flow = metric in FLOW_METRICS
    base = 0 if flow else start
    change = actual - base
    run_rate = base + (change * period_days // elapsed if elapsed else 0)
    share = Fraction(actual, target) if target else None
    if metric not in PIPELINE_METRICS:
        return Progress(actual, target, share, elapsed, period_days, run_rate, None, None, None)
    if on >= period_end:
        pipeline = ()
    weighted = [
        (item.probability, item.worth(metric))
        for item in pipeline
        if item.probability is not None and item.worth(metric) > 0
    ]
    expected = sum((p * w for p, w in weighted), Fraction(0))
    needed = target - actual
    floats = [(float(p), w) for p, w in weighted]
    probability = (
        probability_at_least(floats, needed)
        if metric == "opportunities_won"
        else amount_probability_at_least(floats, needed)
    )
    # The band has its own grid: the whole pipeline's worth cut into GRID_STEPS steps.
    band_step = (
        1 if metric == "opportunities_won" else max(1, sum(w for _p, w in weighted) // GRID_STEPS)
    )
    band = _quantiles([(float(p), w // band_step) for p, w in weighted], actual, band_step)
    return Progress(
        actual,
        target,
        share,
        elapsed,
        period_days,
        run_rate,
        expected,
        probability,
        band,
        fresh if on < period_end else 0,
    )
