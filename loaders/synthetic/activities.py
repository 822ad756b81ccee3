"""The synthetic bank's sales activities (``activities.csv``) and its lost customers.

What is planted, in business terms:

- every RM logs visits, calls, meetings, proposals sent and notes with their own
  customers over the two years of the data; how often differs from RM to RM (a
  diligence drawn per RM, from a steady caller to one who rarely logs anything), so
  the scorecards have something to rank;
- a few customers **leave the bank**: every product they hold is closed on one day of
  the data year (the ``closed`` column of ``holdings``), so they are lost customers
  from that day;
- one activity row names a kind that is no code (``lunch``): it must be rejected
  (``invalid_enum``), and the truth lists it with the other bad rows.

Everything is drawn from its own random stream (seed × prime + salt), after the rest
of the bank is built, so the other files' values are the same with and without it
(``holdings`` only gains its ``closed`` column). The truth (``lost_customers``) comes
from what was planted.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, Final

from loaders.contract import RejectReason

from .defects import BadRow, Row
from .scales import YEAR

SEED_SALT: Final = 0xAC71  # this module's random stream: seed × prime + salt
SEED_PRIME: Final = 1_000_033
#: The first and last day activities are dated: the two years of the data.
FIRST_DAY: Final = date(YEAR - 1, 1, 1)
LAST_DAY: Final = date(YEAR, 12, 31)
#: How often each kind is logged: contacts (visits, calls) most of all.
KIND_WEIGHTS: Final = {"visit": 35, "call": 40, "meeting": 10, "proposal_sent": 8, "note": 7}
#: Activities per customer over the two years, for the least and the most diligent RM.
PER_CUSTOMER: Final = (1, 9)
#: One customer in this many leaves the bank during the data year (at least two).
LOST_ONE_IN: Final = 40
NOTES: Final = (
    "拜访财务负责人，了解年度融资安排",
    "电话沟通结算账户使用情况",
    "介绍供应链金融方案",
    "跟进授信材料",
    "发送现金管理服务方案",
    "与企业负责人会谈",
)


@dataclass
class ActivityPlan:
    """The activity rows, the holdings rows with ``closed``, and what was planted."""

    activities: list[Row] = field(default_factory=list)
    holdings: list[Row] = field(default_factory=list)
    bad_rows: list[BadRow] = field(default_factory=list)
    lost_customers: dict[str, str] = field(default_factory=dict)

    def truth(self) -> dict[str, Any]:
        """``lost_customers``: customer id → the day its last holding closed."""
        return {"lost_customers": dict(sorted(self.lost_customers.items()))}


def _day_between(rng: random.Random, first: date, last: date) -> date:
    return first + timedelta(days=rng.randint(0, (last - first).days))


def plan_activities(
    tables: dict[str, list[Row]], bad_rows: list[BadRow], seed: int
) -> ActivityPlan:
    """Activities of every RM with their customers, and a few customers lost.

    ``tables`` holds the finished ``companies``, ``relationship_managers`` and
    ``holdings`` rows with the planted ``bad_rows`` among them; they are read, never
    changed, and no activity names a company or an RM of a bad row.
    """
    rng = random.Random(seed * SEED_PRIME + SEED_SALT)
    plan = ActivityPlan()
    bad = {(b.file, b.values) for b in bad_rows}
    customers_of: dict[str, list[str]] = {}
    for row in tables["companies"]:
        company_id, is_customer, rm_id = row[0], row[3], row[8]
        if is_customer == "true" and rm_id and ("companies", row) not in bad:
            customers_of.setdefault(rm_id, []).append(company_id)
    rms = sorted(
        {row[0] for row in tables["relationship_managers"]}
        - {b.values[0] for b in bad_rows if b.file == "relationship_managers"}
    )
    kinds = list(KIND_WEIGHTS)
    weights = [KIND_WEIGHTS[k] for k in kinds]
    number = 0
    for rm_id in rms:
        diligence = rng.randint(*PER_CUSTOMER)
        for company_id in sorted(customers_of.get(rm_id, [])):
            for _ in range(rng.randint(0, 2 * diligence)):
                number += 1
                plan.activities.append(
                    (
                        f"ACT{number:07d}",
                        rm_id,
                        company_id,
                        "",
                        rng.choices(kinds, weights)[0],
                        _day_between(rng, FIRST_DAY, LAST_DAY).isoformat(),
                        rng.choice(NOTES),
                    )
                )
    plan.activities.sort()
    if plan.activities:
        good = plan.activities[rng.randrange(len(plan.activities))]
        lunch = BadRow(
            "activities",
            RejectReason.INVALID_ENUM,
            values=(f"ACT{number + 1:07d}", good[1], good[2], "", "lunch", good[5], "午餐"),
        )
        position = rng.randint(0, len(plan.activities))
        plan.activities.insert(position, lunch.values)
        lunch.row = position + 2
        plan.bad_rows.append(lunch)

    opened: dict[str, list[str]] = {}
    for row in tables["holdings"]:
        opened.setdefault(row[0], []).append(row[4])
    held = sorted(opened)
    for customer in rng.sample(held, max(2, len(held) // LOST_ONE_IN)):
        latest = max((date.fromisoformat(d) for d in opened[customer] if d), default=FIRST_DAY)
        first = max(latest, date(YEAR, 1, 1))
        plan.lost_customers[customer] = _day_between(rng, first, LAST_DAY).isoformat()
    plan.holdings = [(*row, plan.lost_customers.get(row[0], "")) for row in tables["holdings"]]
    return plan
