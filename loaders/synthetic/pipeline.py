"""The synthetic bank's CRM pipeline (``opportunity_history.csv``) and its tracked targets.

Every RM works a steady stream of opportunities with their customers from
:data:`HISTORY_START` to the end of the data (:data:`DATA_END`): each is identified,
then contacted, given a proposal and won — or lost at some stage — days or weeks
apart, so the file holds the stage history that stage win probabilities are
measured from.

Each RM has a plan target for the last quarter of the data (:data:`TRACKED_PERIOD`):
the opportunities won per quarter, on average, over the four quarters before the
third quarter (their usual pace, which a plan is set from). Then, by business
meaning — never by a tracking threshold — each RM's second half goes one of two ways:

- **pipeline dried up** (at risk): from :data:`TURN` the RM's key customers stop
  (no new opportunities but a trickle) and the open opportunities are lost;
- **new business** (on track): from :data:`TURN` the RM wins a new large customer
  and opens more opportunities than before.

``truth.json`` lists the at-risk and on-track RMs under ``target_tracking``. Drawn
from its own random stream, after every other file, so the other files are the same
with or without it (``targets.csv`` gains the tracked rows).
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, Final

from .defects import Row
from .model import Bank

SEED_SALT: Final = 0x71A9  # this module's random stream: seed × prime + salt
SEED_PRIME: Final = 1_000_033

HISTORY_START: Final = date(2024, 1, 1)
DATA_END: Final = date(2025, 12, 31)
#: When each RM's second half turns (dried up or new business).
TURN: Final = date(2025, 7, 1)
TRACKED_PERIOD: Final = "2025-Q4"
TRACKED_START: Final = date(2025, 10, 1)
#: The four quarters whose mean pace sets the plan (2024-Q3 .. 2025-Q2).
PLAN_BASIS: Final = (date(2024, 7, 1), date(2025, 6, 30))
#: The date the truth's at-risk units are judged at: the middle of the tracked quarter.
ASSESSED_ON: Final = date(2025, 11, 15)
#: Share of RMs whose pipeline dries up.
DRIED_UP_SHARE: Final = 0.3
#: New opportunities per RM per month, usual pace; the two halves' multipliers.
MONTHLY_NEW: Final = 12
DRIED_UP_PACE: Final = 0.1
NEW_BUSINESS_PACE: Final = 1.6
#: Chance to move on from each open stage (else lost), and the days each step takes.
ADVANCE: Final = {"identified": 0.75, "contacted": 0.7, "proposal": 0.6}
STEP_DAYS: Final = (4, 21)
AMOUNTS_WAN: Final = (50, 3000)


@dataclass
class PipelinePlan:
    """The rows of ``opportunity_history.csv``, the tracked targets, and the truth."""

    opportunities: list[Row] = field(default_factory=list)
    targets: list[Row] = field(default_factory=list)
    truth: dict[str, Any] = field(default_factory=dict)


def _day(rng: random.Random, start: date, end: date) -> date:
    return start + timedelta(days=rng.randrange((end - start).days + 1))


def _month_starts() -> list[date]:
    months, current = [], HISTORY_START
    while current <= DATA_END:
        months.append(current)
        current = date(current.year + current.month // 12, current.month % 12 + 1, 1)
    return months


def plan_pipeline(bank: Bank, seed: int) -> PipelinePlan:
    """Plan the CRM history and the tracked targets (public ids assigned)."""
    rng = random.Random(seed * SEED_PRIME + SEED_SALT)
    customers: dict[str, list[str]] = {}
    for company in bank.companies:
        if company.is_customer and company.rm_id:
            customers.setdefault(company.rm_id, []).append(company.company_id)
    rms = [rm_id for rm_id, _name, _branch in bank.rms if customers.get(rm_id)]
    dried = set(rng.sample(rms, max(1, round(len(rms) * DRIED_UP_SHARE)))) if rms else set()
    plan = PipelinePlan()
    won_days: dict[str, list[date]] = {rm: [] for rm in rms}
    number = 0
    for rm_id in rms:
        for month in _month_starts():
            pace = 1.0
            if month >= TURN:
                pace = DRIED_UP_PACE if rm_id in dried else NEW_BUSINESS_PACE
            expected = MONTHLY_NEW * pace
            count = int(expected) + (rng.random() < expected - int(expected))
            month_end = date(month.year + month.month // 12, month.month % 12 + 1, 1)
            for _ in range(count):
                number += 1
                created = _day(rng, month, min(DATA_END, month_end - timedelta(days=1)))
                row = _opportunity(rng, f"OPP{number:06d}", rm_id, customers[rm_id], created)
                if rm_id in dried:
                    row = _dry_up(rng, row)
                plan.opportunities.append(row)
                if row[9]:
                    won_days[rm_id].append(date.fromisoformat(str(row[9])))
    for rm_id in rms:
        basis = sum(1 for d in won_days[rm_id] if PLAN_BASIS[0] <= d <= PLAN_BASIS[1])
        plan.targets.append(
            ("rm", rm_id, "opportunities_won", "", TRACKED_PERIOD, f"{basis // 4}.00")
        )
    wins = Counter(
        rm for rm, days in won_days.items() for d in days if TRACKED_START <= d <= DATA_END
    )
    plan.truth = {
        "period": TRACKED_PERIOD,
        "metric": "opportunities_won",
        "assessed_on": ASSESSED_ON.isoformat(),
        "at_risk": sorted(dried),
        "on_track": sorted(set(rms) - dried),
        "won_in_period": dict(sorted(wins.items())),
    }
    plan.opportunities.sort()
    plan.targets.sort()
    return plan


def _opportunity(
    rng: random.Random, opportunity_id: str, rm_id: str, customers: list[str], created: date
) -> Row:
    """One opportunity's row: it advances stage by stage or is lost, dated as it goes."""
    dates: dict[str, date | None] = dict.fromkeys(("contacted", "proposal", "won", "lost"))
    day = created
    for stage, following in (
        ("identified", "contacted"),
        ("contacted", "proposal"),
        ("proposal", "won"),
    ):
        day = day + timedelta(days=rng.randint(*STEP_DAYS))
        if day > DATA_END:
            break
        if rng.random() < ADVANCE[stage]:
            dates[following] = day
        else:
            dates["lost"] = day
            break
    amount = f"{rng.randint(*AMOUNTS_WAN) * 10_000}.00"
    return (
        opportunity_id,
        rng.choice(customers),
        rm_id,
        "",
        amount,
        "CNY",
        created.isoformat(),
        *(
            "" if dates[s] is None else str(dates[s])
            for s in ("contacted", "proposal", "won", "lost")
        ),
    )


def _dry_up(rng: random.Random, row: Row) -> Row:
    """After :data:`TURN`, an opportunity the dried-up RM had not closed is lost soon after:
    its stages before the turn stay, nothing advances after it."""
    closed = [str(row[i]) for i in (9, 10) if row[i]]
    if closed and date.fromisoformat(closed[0]) < TURN:
        return row
    kept = [
        str(row[i]) if row[i] and date.fromisoformat(str(row[i])) < TURN else "" for i in (7, 8)
    ]
    latest = max(date.fromisoformat(d) for d in (str(row[6]), *kept) if d)
    loss = max(latest, TURN) + timedelta(days=rng.randint(*STEP_DAYS))
    return (*row[:7], *kept, "", loss.isoformat() if loss <= DATA_END else "")
