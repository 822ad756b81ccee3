"""How big each scale of the synthetic bank is.

Examples
--------
>>> SCALES["tiny"].companies, SCALES["tiny"].transactions
(200, 5000)
>>> sorted(SCALES)
['large', 'medium', 'small', 'tiny']
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Final


@dataclass(frozen=True)
class ScaleSpec:
    """The sizes of one scale. Company and transaction counts are targets, not exact."""

    name: str
    companies: int
    transactions: int
    branches: int
    sub_branches_per_branch: int
    rms_per_office: int
    groups: int
    group_size: tuple[int, int]  # members, inclusive range
    big_group_size: int  # one extra large group of this many members; 0 for none
    supply_chains: int
    tier1_suppliers: tuple[int, int]  # per chain, inclusive range
    tier2_per_tier1: tuple[int, int]
    prospects: int  # planted prospects, non-customer chain cores included
    prospect_customers: tuple[int, int]  # distinct customers tied to each prospect
    mutual_pairs: int
    guarantee_loops: int
    nested_circles: int
    guarantee_chains: int
    isolated_guarantees: int
    events_per_type: int
    over_concentrated_groups: int
    joint_ventures: int
    ownership_cycles: int  # no-controller cycles among companies outside groups
    dissolved_decoys: int  # dissolved non-customers paid by several customers early in the year


SCALES: Final[dict[str, ScaleSpec]] = {
    "tiny": ScaleSpec(
        name="tiny",
        companies=200,
        transactions=5_000,
        branches=3,
        sub_branches_per_branch=2,
        rms_per_office=2,
        groups=4,
        group_size=(5, 8),
        big_group_size=0,
        supply_chains=2,
        tier1_suppliers=(5, 6),
        tier2_per_tier1=(1, 1),
        prospects=6,
        prospect_customers=(4, 5),
        mutual_pairs=2,
        guarantee_loops=2,
        nested_circles=1,
        guarantee_chains=2,
        isolated_guarantees=4,
        events_per_type=2,
        over_concentrated_groups=1,
        joint_ventures=1,
        ownership_cycles=1,
        dissolved_decoys=1,
    ),
    "small": ScaleSpec(
        name="small",
        companies=5_000,
        transactions=300_000,
        branches=5,
        sub_branches_per_branch=4,
        rms_per_office=3,
        groups=60,
        group_size=(6, 20),
        big_group_size=60,
        supply_chains=15,
        tier1_suppliers=(5, 10),
        tier2_per_tier1=(1, 3),
        prospects=60,
        prospect_customers=(4, 8),
        mutual_pairs=10,
        guarantee_loops=10,
        nested_circles=4,
        guarantee_chains=12,
        isolated_guarantees=60,
        events_per_type=12,
        over_concentrated_groups=3,
        joint_ventures=3,
        ownership_cycles=3,
        dissolved_decoys=2,
    ),
    "medium": ScaleSpec(
        name="medium",
        companies=50_000,
        transactions=3_000_000,
        branches=8,
        sub_branches_per_branch=6,
        rms_per_office=5,
        groups=500,
        group_size=(6, 25),
        big_group_size=400,
        supply_chains=120,
        tier1_suppliers=(5, 12),
        tier2_per_tier1=(1, 3),
        prospects=300,
        prospect_customers=(4, 10),
        mutual_pairs=60,
        guarantee_loops=60,
        nested_circles=20,
        guarantee_chains=80,
        isolated_guarantees=500,
        events_per_type=40,
        over_concentrated_groups=8,
        joint_ventures=10,
        ownership_cycles=10,
        dissolved_decoys=5,
    ),
    "large": ScaleSpec(
        name="large",
        companies=500_000,
        transactions=20_000_000,
        branches=12,
        sub_branches_per_branch=8,
        rms_per_office=8,
        groups=4_000,
        group_size=(6, 25),
        big_group_size=2_000,
        supply_chains=800,
        tier1_suppliers=(5, 12),
        tier2_per_tier1=(1, 3),
        prospects=1_500,
        prospect_customers=(4, 10),
        mutual_pairs=400,
        guarantee_loops=400,
        nested_circles=100,
        guarantee_chains=500,
        isolated_guarantees=4_000,
        events_per_type=100,
        over_concentrated_groups=20,
        joint_ventures=30,
        ownership_cycles=30,
        dissolved_decoys=10,
    ),
}

#: The year of the transactions and of the segment snapshots.
YEAR: Final = 2025
MONTHS: Final = tuple(f"{YEAR}-{m:02d}" for m in range(1, 13))
SNAPSHOT_DATES: Final = (f"{YEAR}-03-31", f"{YEAR}-06-30", f"{YEAR}-09-30", f"{YEAR}-12-31")
#: A group is over-concentrated when its members' CNY outstanding reaches this, at every scale.
CONCENTRATION_THRESHOLD_CNY: Final = Decimal("2000000000.00")
#: Non-planted groups are kept below this share of the threshold, so the planted ones stand out.
ORDINARY_GROUP_CEILING: Final = Decimal("0.5")
#: The bank's rates at each snapshot date (CNY per unit; round figures near the 2025
#: central parities, not quotes): the loader's ``fx_rates`` file. The facilities are in
#: CNY and USD; HKD and EUR show that a rate without amounts is harmless.
FX_RATES: Final = tuple(
    (currency, day, rate)
    for currency, rates in {
        "USD": ("7.1782", "7.1586", "7.1055", "7.0288"),
        "HKD": ("0.9226", "0.9119", "0.9131", "0.9033"),
        "EUR": ("7.7640", "8.4024", "8.3410", "8.2600"),
    }.items()
    for day, rate in zip(SNAPSHOT_DATES, rates, strict=True)
)
#: The rate used only to keep USD facilities of ordinary groups under that ceiling.
USD_CNY_PRUDENT_RATE: Final = 8
