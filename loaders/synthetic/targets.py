"""The synthetic bank's plan targets (``targets.csv``): next year's customer numbers.

Every branch (its whole subtree) and every RM gets a target for the number of
customers in the year after the data, :data:`TARGET_PERIOD`: the customers it has
now, grown by :data:`GROWTH_PERCENT` and rounded up to a whole customer. Targets are
business input, so they come from the book, never from a detector's threshold.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Final

from .model import Bank

#: The plan year: the year after the synthetic bank's last month (2025).
TARGET_PERIOD: Final = "2026"
#: Planned growth of the customer base, a typical annual plan for a corporate book.
GROWTH_PERCENT: Final = 10


def _grown(count: int) -> str:
    return f"{-(-count * (100 + GROWTH_PERCENT) // 100)}.00"  # a ceiling, written as a decimal


def _ancestors(branch_id: str, parents: dict[str, str]) -> Iterable[str]:
    current: str | None = branch_id
    while current:
        yield current
        current = parents.get(current) or None


def target_rows(bank: Bank) -> list[tuple[str, ...]]:
    """Rows of ``targets.csv`` in contract column order, sorted."""
    parents = {branch_id: parent for branch_id, _name, parent in bank.branches}
    by_branch: Counter[str] = Counter()
    by_rm: Counter[str] = Counter()
    for company in bank.companies:
        if not company.is_customer:
            continue
        if company.branch_id in parents:
            by_branch.update(_ancestors(company.branch_id, parents))
        if company.rm_id:
            by_rm[company.rm_id] += 1
    rows = [
        ("branch", branch_id, "customers", "", TARGET_PERIOD, _grown(by_branch[branch_id]))
        for branch_id in parents
    ]
    rows += [
        ("rm", rm_id, "customers", "", TARGET_PERIOD, _grown(by_rm[rm_id]))
        for rm_id, _name, _branch in bank.rms
    ]
    return sorted(rows)
