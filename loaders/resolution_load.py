"""Entity resolution inside a load: what it reads from the graph and the ledger, and
what it writes back (candidates, branch links, the audit of re-applied decisions).

:func:`loaders.entity_resolution.resolve_sides` decides; this module feeds it and
stores its answer, so that the decision logic stays free of I/O.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace

from core.judgements import Judgement
from core.name_forms import Gazetteer
from core.settings import Settings
from graph import resolution_store
from graph.database import Database

from .entity_resolution import (
    RegisteredCompany,
    ResolutionConfig,
    ResolutionOutcome,
    Side,
    resolve_sides,
)
from .flows import FlowLedger, TransactionsResult
from .validation import Record

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class MatchingSummary:
    """What counterparty matching did in one load."""

    records: int  # counterparty records (name-only) compared
    registered: int
    statuses: dict[str, int]  # candidate pairs by status
    branch_links: int
    decisions_applied: int
    moved_companies: int  # companies whose flows moved (merges and splits)
    retired_companies: int

    @property
    def review_queue(self) -> int:
        return self.statuses.get("pending", 0)


class LedgerResolver:
    """The resolver a load hands to :meth:`FlowLedger.stage`."""

    def __init__(
        self,
        registered: Mapping[str, RegisteredCompany],
        judgements: Mapping[tuple[str, str], Judgement],
        decision_ids: Sequence[str],
        existing_ids: set[str],
        config: ResolutionConfig,
    ) -> None:
        self.registered = dict(registered)
        self.judgements = dict(judgements)
        self.decision_ids = list(decision_ids)
        self.existing_ids = existing_ids
        self.config = config
        self.gazetteer = Gazetteer.build(r.region for r in registered.values() if r.region)

    def __call__(
        self, sides: Sequence[Side], company_partners: Mapping[str, tuple[str, ...]]
    ) -> ResolutionOutcome:
        registered = {
            cid: replace(company, partners=company_partners.get(cid, ()))
            for cid, company in self.registered.items()
        }
        return resolve_sides(
            sides,
            registered,
            self.judgements,
            existing_ids=self.existing_ids,
            config=self.config,
            gazetteer=self.gazetteer,
        )


def resolution_config(settings: Settings) -> ResolutionConfig:
    """The matching thresholds from settings."""
    return ResolutionConfig(
        auto_merge_probability=settings.resolution_auto_merge_probability,
        review_probability=settings.resolution_review_probability,
        fuzzy=settings.resolution_fuzzy,
    )


def ledger_resolver(
    db: Database, settings: Settings, companies: Iterable[Record], ledger: FlowLedger
) -> LedgerResolver:
    """A resolver over the registered companies (graph and this load) and the decisions.

    Companies created from payments are not targets: they are re-derived from the
    ledger's sides on every load, unless the ledger predates kept sides (then they
    are matched exactly, as they were created).
    """
    stored = resolution_store.read_companies_for_matching(db)
    legacy = not ledger.has_sides()
    registered: dict[str, RegisteredCompany] = {
        c.company_id: RegisteredCompany(c.company_id, c.name, c.uscc, c.region)
        for c in stored
        if legacy or not c.from_payments
    }
    for record in companies:
        registered[record["company_id"]] = RegisteredCompany(
            record["company_id"], record["name"], record["uscc"], record.get("region")
        )
    judgements, decision_ids = resolution_store.read_judgements(db)
    return LedgerResolver(
        registered,
        judgements,
        decision_ids,
        {c.company_id for c in stored} | set(registered),
        resolution_config(settings),
    )


def forget_moved_flows(db: Database, staged: TransactionsResult) -> None:
    """Delete the flows of companies whose ledger rows moved; the load writes them again."""
    if staged.affected:
        resolution_store.delete_flows_of(db, staged.affected)


def store_outcome(
    db: Database, staged: TransactionsResult, resolver: LedgerResolver
) -> MatchingSummary:
    """Candidates, branch links, retired counterparties, and the re-application audit."""
    outcome = staged.outcome or ResolutionOutcome([])
    retired = staged.affected - staged.live_ids
    resolution_store.delete_retired(db, retired)
    resolution_store.write_candidates(db, outcome.candidates)
    resolution_store.write_branch_links(db, outcome.branch_links)
    resolution_store.mark_applied(db, resolver.decision_ids)
    statuses = Counter(c.status for c in outcome.candidates)
    summary = MatchingSummary(
        records=outcome.records,
        registered=outcome.registered_records,
        statuses=dict(sorted(statuses.items())),
        branch_links=len(outcome.branch_links),
        decisions_applied=len(resolver.decision_ids),
        moved_companies=len(staged.affected),
        retired_companies=len(retired),
    )
    logger.info("counterparty matching: %s", summary)
    return summary
