"""The synthetic bank's two plans, in order: its structure, then a year of flows.

Each plan runs its builder's steps in order and plants the special cases on top
(control cases after the groups, dependence cases after the regular lanes), so the
case modules build on the builders without the builders knowing them.
"""

from __future__ import annotations

import logging
import random

from .control_cases import plant_control_cases
from .dependence_cases import plant_dependence
from .flows import ONE_OFF_SHARE, FlowPlan, FlowPlanner, check_ties
from .scales import ScaleSpec
from .structure import StructureBuilder

logger = logging.getLogger(__name__)


def build_structure(
    spec: ScaleSpec, rng: random.Random, prospects_in_companies: int
) -> StructureBuilder:
    """Run every structural step in order and return the builder with its roles."""
    builder = StructureBuilder(spec, rng)
    builder.build_branches()
    builder.build_investors()
    builder.build_groups()
    builder.build_joint_ventures()
    builder.build_ownership_cycles()
    plant_control_cases(builder)
    builder.build_supply_chains()
    builder.build_plain_customers()
    builder.build_prospects_and_decoys(prospects_in_companies)
    builder.build_counterparties()
    builder.build_independent_ownership()
    builder.build_guarantees()
    builder.build_credit_and_products()
    builder.build_segment_history()
    logger.debug(
        "structure: %d companies, %d persons, %d groups",
        len(builder.bank.companies),
        len(builder.bank.persons),
        len(builder.bank.groups),
    )
    return builder


def plan_flows(spec: ScaleSpec, structure: StructureBuilder, rng: random.Random) -> FlowPlan:
    """Plan every lane of the year for a built bank."""
    planner = FlowPlanner(spec, structure, rng)
    planner.plan_events()
    planner.plan_supply(structure.bank.supply_links)
    chain_cores = [
        chain.core
        for chain in structure.bank.supply_chains
        if not structure.bank.companies[chain.core].is_customer
    ]
    name_only = max(0, spec.prospects - len(chain_cores) - len(structure.prospect_companies))
    prospects, with_supply, new_links = planner.plan_prospects(name_only)
    structure.bank.supply_links.extend(new_links)
    planner.plan_decoys()
    planner.plan_intragroup()
    planner.plan_regular(spec.transactions)
    dependence = plant_dependence(planner)
    planner.plan_one_offs(round(ONE_OFF_SHARE * spec.transactions))
    expected = planner.calibrate(spec.transactions)
    all_prospects = chain_cores + prospects
    ties = {p: list(planner.ties.get(p, [])) for p in all_prospects}
    check_ties(planner, set(all_prospects), set(structure.decoys))
    logger.info(
        "planned %d lanes, %d name-only parties, about %d payments",
        len(planner.lanes),
        len(planner.parties),
        expected,
    )
    return FlowPlan(
        company_count=planner.company_count,
        parties=planner.parties,
        lanes=planner.lanes,
        events=planner.events,
        prospects=all_prospects,
        prospect_ties=ties,
        prospect_supply=with_supply | set(chain_cores),
        decoys=list(structure.decoys),
        variants=planner.variants(),
        dependence=dependence,
    )
