"""The ``prospects`` compute step: influence, supply chains and prospect scores in Neo4j.

It reads its inputs with Cypher (payments between non-customers and customers as
one row per pair, direction, month and currency, which is what ``PAYS`` already
holds; supply links; customers and their groups), runs the pure functions of
:mod:`algorithms.influence` and :mod:`algorithms.prospects`, and stores:

Everything is stored under the run's id (:mod:`graph.compute_runs`) on one
``(:CompanyResult {run_id, company_id})`` node per company, never on the company
itself, so the run is published by the step's pointer and a reader sees one run:

- on every company's result: ``influence_supply_pagerank``, ``influence_supply_degree``,
  ``influence_supply_betweenness``, ``influence_flow_pagerank``,
  ``influence_flow_degree`` and, when ``influence_flow_betweenness`` is set (exact
  Brandes over the whole flow graph is slow), ``influence_flow_betweenness``.
  Every company gets one row, in one pass: a company without edges holds the
  isolated values;
- on supply-chain members: ``supply_chain_id`` and ``supply_chain_rank``; on cores
  also ``core_enterprise = true``, ``supply_chain_size`` and
  ``core_explanation`` (language-neutral JSON, :mod:`core.messages`);
- on prospects (which also get the ``Prospect`` label): ``prospect_score``,
  ``prospect_rank``, ``prospect_components``, ``prospect_facts``, ``prospect_ties`` and
  ``prospect_reasons`` (JSON strings; the reasons language-neutral, :mod:`core.messages`),
  ``prospect_linked_customers`` (a list), ``suggested_branch_id``, ``suggested_rm_id`` and
  ``introducer_id``.

A company that no longer qualifies simply has no such property in the new run. The
Cypher of every read and write is :mod:`graph.prospect_results`.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, Final

import pandas as pd

from algorithms.flow_views import prospect_flows
from algorithms.graph_algorithms import NodeScores
from algorithms.influence import SupplyChain, core_enterprises
from algorithms.introductions import INTRODUCTION_KINDS, IntroPath, warm_introductions
from algorithms.prospects import (
    COMPONENTS,
    FLOW_COLUMNS,
    Candidate,
    CustomerInfo,
    ProspectConfig,
    ProspectRanking,
    ProspectWeights,
    SupplyLink,
    score_prospects,
)
from core.errors import ConfigurationError, InputValidationError, NotFoundError
from core.formatting import Language
from core.i18n import N_
from core.i18n import pgettext as code_name
from core.ids import opaque_id
from core.messages import from_json, params_json, render, rewrite_text, to_json
from core.settings import Settings
from graph import prospect_results as store
from graph.branches import BranchScope
from graph.compute_runs import PublishedRuns, published_runs
from graph.customers import money_of
from graph.database import Database
from graph.group_results import read_id_salt
from graph.related_parties import StoredEvidence, read_relations_to
from graph.scoping import Anonymiser, anonymiser_for

from .compute_inputs import ComputeInputs
from .engines import GraphEngine, Projection, RelationshipSpec
from .exports import Cell, Column, Table
from .related_parties import scoped_evidence
from .steps import StepReport

logger = logging.getLogger(__name__)

SUPPLY_UNDIRECTED: Final = Projection(
    "supply-undirected",
    ("Company",),
    (RelationshipSpec("SUPPLIES", "annual_amount_minor"),),
    undirected=True,
)
SUPPLY_DIRECTED: Final = Projection("supply", ("Company",), (RelationshipSpec("SUPPLIES"),))
FLOW_WEIGHTED: Final = Projection(
    "flows", ("Company",), (RelationshipSpec("PAYS", "amount_minor"),)
)
FLOW_UNDIRECTED: Final = Projection(
    "flows-undirected", ("Company",), (RelationshipSpec("PAYS", "amount_minor"),), undirected=True
)
FLOW_UNWEIGHTED: Final = Projection("flows-unweighted", ("Company",), (RelationshipSpec("PAYS"),))


def read_blocklist(path: Path | None) -> frozenset[str]:
    """Company ids or USCCs from the blocklist file (one a line, ``#`` comments).

    Raises
    ------
    ConfigurationError
        When a configured file cannot be read.
    """
    if path is None:
        return frozenset()
    try:
        text = path.expanduser().read_text(encoding="utf-8-sig")
    except OSError as error:
        raise ConfigurationError(
            "the prospect blocklist file cannot be read", details={"path": str(path)}
        ) from error
    entries = (line.split("#", 1)[0].strip() for line in text.splitlines())
    return frozenset(e for e in entries if e)


def prospect_config(settings: Settings, months: tuple[str, ...] = ()) -> ProspectConfig:
    """The scoring configuration from settings."""
    return ProspectConfig(
        weights=ProspectWeights(
            customers=settings.prospect_weight_customers,
            months=settings.prospect_weight_months,
            amount=settings.prospect_weight_amount,
            count=settings.prospect_weight_count,
            trend=settings.prospect_weight_trend,
            supply=settings.prospect_weight_supply,
            groups=settings.prospect_weight_groups,
            influence=settings.prospect_weight_influence,
        ),
        customer_saturation=settings.prospect_customer_saturation,
        supply_saturation=settings.prospect_supply_saturation,
        group_saturation=settings.prospect_group_saturation,
        trend_scale=settings.prospect_trend_scale,
        min_customers=settings.prospect_min_customers,
        currency=settings.prospect_currency,
        excluded_statuses=frozenset(settings.prospect_excluded_statuses),
        blocklist=read_blocklist(settings.prospect_blocklist_path),
        months=months,
        hub_customer_share=settings.prospect_hub_customer_share,
        hub_min_customers=settings.prospect_hub_min_customers,
    )


def read_supply_links(db: Database) -> tuple[list[SupplyLink], dict[str, str], set[str]]:
    """Every supply link, company names and the customers among the linked companies."""
    links: list[SupplyLink] = []
    names: dict[str, str] = {}
    customers: set[str] = set()
    for r in store.read_supply_links(db):
        s, b = r.supplier_id, r.buyer_id
        links.append(SupplyLink(s, b, r.amount_minor, r.currency))
        names[s], names[b] = r.supplier_name or s, r.buyer_name or b
        if r.supplier_is_customer:
            customers.add(s)
        if r.buyer_is_customer:
            customers.add(b)
    return links, names, customers


def read_flows(db: Database, run_inputs: ComputeInputs | None = None) -> pd.DataFrame:
    """Monthly payments between non-customers and customers (:data:`FLOW_COLUMNS`), cut
    from the run's one read of the flows (``run_inputs``; read here when not given)."""
    return prospect_flows((run_inputs or ComputeInputs(db)).flows()).loc[:, list(FLOW_COLUMNS)]


@dataclass(frozen=True)
class Influence:
    """The influence part of the step, computed before anything is written.

    ``rows`` holds each company's influence scores (the isolated values when it has
    no edge) and, for supply-chain members, its chain; ``connected`` counts the
    companies with a supply link or a payment.
    """

    chains: list[SupplyChain]
    flow_pagerank: NodeScores
    rows: dict[str, dict[str, Any]]
    connected: int


#: Every :data:`graph.prospect_results.WRITE_RESULTS` row has these keys (``None``: unset).
_INFLUENCE_KEYS: Final = (
    "supply_pagerank",
    "supply_degree",
    "supply_betweenness",
    "flow_pagerank",
    "flow_degree",
    "flow_betweenness",
)
_CHAIN_KEYS: Final = ("chain_id", "chain_rank", "is_core", "chain_size", "core_explanation")
_PROSPECT_KEYS: Final = (
    "score",
    "rank",
    "components",
    "facts",
    "ties",
    "reasons",
    "linked_customers",
    "suggested_branch_id",
    "suggested_rm_id",
    "introducer_id",
)


def compute_influence(db: Database, engine: GraphEngine, settings: Settings) -> Influence:
    """Centralities on the supply and flow graphs and the supply chains (no writes)."""
    supply_pr = engine.pagerank(SUPPLY_UNDIRECTED)
    supply_degree = engine.degree(SUPPLY_UNDIRECTED)
    supply_btw = engine.betweenness(SUPPLY_DIRECTED)
    flow_pr = engine.pagerank(FLOW_WEIGHTED)
    flow_degree = engine.degree(FLOW_UNDIRECTED)
    flow_btw = engine.betweenness(FLOW_UNWEIGHTED) if settings.influence_flow_betweenness else None
    scores = (supply_pr, supply_degree, supply_btw, flow_pr, flow_degree, flow_btw)
    columns = dict(zip(_INFLUENCE_KEYS, scores, strict=True))
    ids = {cid for s in columns.values() if s is not None for cid in s.values}
    rows: dict[str, dict[str, Any]] = {
        cid: {
            "id": cid,
            **{name: None if s is None else s.get(cid) for name, s in columns.items()},
            **dict.fromkeys(_CHAIN_KEYS),
        }
        for cid in store.read_company_ids(db)
    }
    links, names, customers = read_supply_links(db)
    communities = engine.wcc(SUPPLY_DIRECTED)
    chains = core_enterprises(
        communities,
        supply_pr.values,
        links,
        names,
        customers,
        min_size=settings.supply_chain_min_size,
    )
    salt = read_id_salt(db)
    for chain in chains:
        for rank, (cid, _) in enumerate(chain.ranking, start=1):
            is_core = cid == chain.core_id
            rows[cid].update(
                # The algorithm names a chain by its smallest member id; stored, that
                # would name a company to everyone who sees the chain (graph.scoping).
                chain_id=opaque_id("SC", salt, chain.chain_id),
                chain_rank=rank,
                is_core=is_core,
                chain_size=chain.size if is_core else None,
                core_explanation=to_json([chain.explanation]) if is_core else None,
            )
    return Influence(chains, flow_pr, rows, len(ids))


# json.dumps(..., sort_keys=True) and json.dumps(..., ensure_ascii=False) without building
# an encoder per call (three per prospect, tens of thousands of prospects).
_SORTED_JSON: Final = json.JSONEncoder(sort_keys=True)
_TEXT_JSON: Final = json.JSONEncoder(ensure_ascii=False)


def _prospect_rows(ranking: ProspectRanking) -> Iterable[dict[str, Any]]:
    for rank, p in enumerate(ranking.prospects, start=1):
        yield {
            "id": p.company_id,
            "score": p.score,
            "rank": rank,
            "components": _SORTED_JSON.encode(p.components),
            "facts": _SORTED_JSON.encode(p.facts),
            "ties": _TEXT_JSON.encode(
                [
                    {
                        "customer_id": t.customer_id,
                        "name": t.customer_name,
                        "paid_in_minor": t.paid_in_minor,
                        "paid_out_minor": t.paid_out_minor,
                        "txn_count": t.txn_count,
                        "months": t.months,
                        "supply_roles": list(t.supply_roles),
                    }
                    for t in p.ties
                ]
            ),
            "reasons": to_json(p.reasons),
            "linked_customers": list(p.linked_customer_ids),
            "suggested_branch_id": p.suggested_branch_id,
            "suggested_rm_id": p.suggested_rm_id,
            "introducer_id": p.introducer_id,
        }


def _without_prospect(row: dict[str, Any]) -> dict[str, Any]:
    """A company's result row with every prospect value unset."""
    return {**row, **dict.fromkeys(_PROSPECT_KEYS)}


def read_candidates(db: Database) -> list[Candidate]:
    """Every non-customer with a payment or a supply link to a customer."""
    return [
        Candidate(r.company_id, r.name or r.company_id, r.uscc, r.status, r.industry, r.region)
        for r in store.read_candidates(db)
    ]


def _no_influence(company_id: str) -> dict[str, Any]:
    """The row of a prospect that :func:`compute_influence` did not list (a company loaded
    meanwhile): every influence and chain value unset."""
    return {"id": company_id, **dict.fromkeys((*_INFLUENCE_KEYS, *_CHAIN_KEYS))}


def rank_prospects(
    db: Database,
    settings: Settings,
    chains: list[SupplyChain],
    flow_pagerank: NodeScores,
    run_inputs: ComputeInputs | None = None,
    *,
    candidates: list[Candidate] | None = None,
) -> ProspectRanking:
    """Read the inputs and score every non-customer (no writes).

    Customers' groups are those of the published group-risk run; the flows are the
    run's (``run_inputs``); the candidates are read unless given.
    """
    if run_inputs is not None:  # steps run at once: the groups of this run first
        run_inputs.await_published("group_risk")
    group_run = published_runs(db, ("group_risk",)).group_risk
    customers = {
        r.company_id: CustomerInfo(
            r.company_id, r.name or r.company_id, r.branch_id, r.rm_id, r.group_ids
        )
        for r in store.read_customers(db, group_run)
    }
    if candidates is None:
        candidates = read_candidates(db)
    flows = read_flows(db, run_inputs)
    links, _, _ = read_supply_links(db)
    months = tuple(sorted(flows["month"].unique().tolist())) if not flows.empty else ()
    return score_prospects(
        candidates,
        customers,
        flows,
        links,
        core_enterprises={c.core_id: c.core_name for c in chains},
        influence={c.company_id: flow_pagerank.get(c.company_id) for c in candidates},
        config=prospect_config(settings, months),
    )


def compute_prospects(
    db: Database,
    engine: GraphEngine,
    settings: Settings,
    run_id: str,
    /,
    *,
    run_inputs: ComputeInputs | None = None,
) -> StepReport:
    """The compute step: influence, supply chains and prospects, stored under ``run_id``."""

    influence = compute_influence(db, engine, settings)
    chains = influence.chains
    candidates = read_candidates(db)
    computed_at = datetime.now(UTC).isoformat(timespec="seconds")
    # One write per company, influence, chain and prospect together: a pass per kind
    # wrote most companies two or three times. Companies that cannot be prospects
    # (customers, companies without a tie to one) are written before the scoring.
    maybe = {c.company_id for c in candidates}
    store.write_results(
        db,
        (_without_prospect(row) for cid, row in influence.rows.items() if cid not in maybe),
        run_id,
        computed_at,
        prospects=False,
    )
    ranking = rank_prospects(
        db, settings, chains, influence.flow_pagerank, run_inputs, candidates=candidates
    )
    prospects = {row["id"]: row for row in _prospect_rows(ranking)}
    store.write_results(
        db,
        (
            _without_prospect(row)
            for cid, row in influence.rows.items()
            if cid in maybe and cid not in prospects
        ),
        run_id,
        computed_at,
        prospects=False,
    )
    store.write_results(
        db,
        ({**influence.rows.get(cid, _no_influence(cid)), **row} for cid, row in prospects.items()),
        run_id,
        computed_at,
        prospects=True,
    )
    logger.info(
        "stored %d prospects (%d excluded) and %d supply chains",
        len(ranking.prospects),
        len(ranking.excluded),
        len(chains),
    )
    return StepReport(
        "prospects",
        {
            "prospects": len(ranking.prospects),
            "excluded": len(ranking.excluded),
            "supply_chains": len(chains),
            "companies_with_influence": influence.connected,
        },
    )


# --- reading stored prospects (API and CLI) ------------------------------------------------
#: The prospect export (CSV and xlsx): what a prospecting team works a list from.
PROSPECT_TABLE: Final = Table(
    N_("Prospects"),
    (
        Column(N_("Rank"), "integer", 8),
        Column(N_("Company name"), "text", 36),
        Column(N_("USCC"), "text", 22),
        Column(N_("Score"), "score", 9),
        *(
            Column(name, "score", 14, context="score_component", template=N_("{name} (score)"))
            for name in COMPONENTS
        ),
        Column(N_("Industry"), "text", 14),
        Column(N_("Region"), "text", 10),
        Column(N_("Linked customers"), "integer", 12),
        Column(N_("Linked customer names"), "text", 40),
        Column(N_("Reasons"), "text", 80),
        Column(N_("Suggested branch"), "text", 20),
        Column(N_("Suggested RM"), "text", 14),
        Column(N_("Introducer"), "text", 30),
        Column(N_("Warm introductions"), "text", 60),
    ),
)


@dataclass(frozen=True)
class ProspectFilters:
    """Filters of the prospect list and export (``None``: no filter)."""

    branch_ids: tuple[str, ...] | None = None
    industry: str | None = None
    region: str | None = None
    min_score: float | None = None
    linked_customer: str | None = None

    def parameters(self) -> dict[str, Any]:
        return {
            "branch_ids": list(self.branch_ids) if self.branch_ids is not None else None,
            "industry": self.industry,
            "region": self.region,
            "min_score": self.min_score,
            "linked_customer": self.linked_customer,
        }


def _anonymiser(
    db: Database,
    scope: BranchScope,
    rows: list[store.ProspectRow],
    prospect_run: str | None,
    language: Language,
) -> Anonymiser:
    """Knows every company a page of prospects may mention: ties, introducers, and the core
    enterprises their reasons may name."""
    ids = store.read_core_enterprise_ids(db, prospect_run)
    for row in rows:
        ids.extend(str(t["customer_id"]) for t in json.loads(row.ties or "[]"))
        if row.introducer_id is not None:
            ids.append(row.introducer_id)
    return anonymiser_for(db, scope, ids, language=language)


def _item(
    row: store.ProspectRow, scope: BranchScope, anon: Anonymiser, language: Language
) -> dict[str, Any]:
    visible = {c.company_id for c in row.linked_customers if scope.allows(c.branch_id)}
    visible = {c for c in visible if anon.visible(c)}
    ties = json.loads(row.ties or "[]")
    facts = json.loads(row.facts or "{}")
    # A name in a reason of a company outside the caller's branches is the placeholder.
    reasons = [rewrite_text(m, _scrubber(anon)) for m in from_json(row.reasons)]
    currency = str(facts.get("currency", "CNY"))
    linked = [
        {
            "id": t["customer_id"],
            "name": t["name"],
            "paid_in": money_of(int(t["paid_in_minor"]), currency),
            "paid_out": money_of(int(t["paid_out_minor"]), currency),
            "months": t["months"],
            "txn_count": t["txn_count"],
            "supply_roles": t["supply_roles"],
        }
        for t in ties
        if t["customer_id"] in visible
    ]
    return {
        "id": row.company_id,
        "name": row.name,
        "uscc": row.uscc,
        "score": row.score,
        "rank": row.rank,
        "industry": row.industry,
        "region": row.region,
        "core_enterprise": row.core_enterprise,
        "components": json.loads(row.components or "{}"),
        "reasons": [render(m, language) for m in reasons],
        "reason_messages": [{"key": m.key, "params": params_json(m)} for m in reasons],
        "linked_customers": linked,
        "linked_customers_outside_scope": len(ties) - len(linked),
        "suggested_branch": {"id": row.branch_id, "name": row.branch_name},
        "suggested_rm": {"id": row.rm_id, "name": row.rm_name},
        "introducer": {
            "id": anon.id(row.introducer_id),
            "name": (
                anon.name(row.introducer_id, row.introducer_name)
                if row.introducer_id is not None
                else None
            ),
        },
        "facts": facts,
    }


def _scrubber(anon: Anonymiser) -> Callable[[str], str]:
    return lambda text: str(anon.scrub(text))


def list_prospects(
    db: Database,
    scope: BranchScope,
    filters: ProspectFilters,
    *,
    language: Language = "zh",
    sort: str = "score",
    descending: bool = True,
    limit: int = 50,
    offset: int = 0,
    runs: PublishedRuns | None = None,
) -> tuple[int, list[dict[str, Any]]]:
    """The stored prospects in ``scope`` (suggested to its branches) that match the filters.

    Count and page come from one published run (``runs``, resolved here when not given).
    """
    if (sort, descending) not in store.ORDERS:
        raise InputValidationError(f"unknown sort {sort!r}")
    prospect_run = _run(db, runs)
    total = store.count_prospects(db, scope.parameters(), filters.parameters(), prospect_run)
    rows = store.list_prospect_rows(
        db,
        scope.parameters(),
        filters.parameters(),
        prospect_run,
        sort=sort,
        descending=descending,
        limit=limit,
        offset=offset,
    )
    if rows is None:
        raise InputValidationError(f"unknown sort {sort!r}")
    anon = _anonymiser(db, scope, rows, prospect_run, language)
    items = [_item(r, scope, anon, language) for r in rows]
    return total, with_warm_introducers(db, items, anon, language)


def get_prospect(
    db: Database, scope: BranchScope, prospect_id: str, language: Language = "zh"
) -> dict[str, Any]:
    """One prospect with the money paths to each linked customer in scope.

    Raises
    ------
    NotFoundError
        When it is not a stored prospect or is suggested to a branch outside ``scope``.
    """
    prospect_run = _run(db, None)
    row = store.read_prospect(
        db, scope.parameters(), ProspectFilters().parameters(), prospect_run, prospect_id
    )
    if row is None:
        raise NotFoundError(f"prospect {prospect_id} not found")
    anon = _anonymiser(db, scope, [row], prospect_run, language)
    (item,) = with_warm_introducers(db, [_item(row, scope, anon, language)], anon, language)
    visible = [c["id"] for c in item["linked_customers"]]
    monthly: dict[str, list[dict[str, Any]]] = {}
    for r in store.read_prospect_flows(db, prospect_id, visible):
        monthly.setdefault(r.customer_id, []).append(
            {
                "month": r.month,
                "direction": r.direction,
                **money_of(r.amount_minor, r.currency),
                "txn_count": r.txn_count,
            }
        )
    item["money_paths"] = [
        {
            "customer": {"id": c["id"], "name": c["name"]},
            "path_en": (
                f"{c['name']} → {item['name']}" if c["paid_in"]["amount"] != "0.00" else None
            ),
            "paid_in": c["paid_in"],
            "paid_out": c["paid_out"],
            "supply_roles": c["supply_roles"],
            "monthly": monthly.get(c["id"], []),
        }
        for c in item["linked_customers"]
    ]
    item["explanation"] = ("；" if language == "zh" else "; ").join(item["reasons"])
    return item


def with_warm_introducers(
    db: Database, items: list[dict[str, Any]], anon: Anonymiser, language: Language
) -> list[dict[str, Any]]:
    """``items`` with each prospect's ``warm_introducers``: customers where a key person of
    the prospect, or a relative of one, is a key person (:mod:`algorithms.introductions`).

    Read from the published ``related_parties`` run's evidence. An introducer outside the
    caller's branches is the placeholder; persons are shown only through visible
    companies (:func:`services.related_parties.scoped_evidence`).
    """
    related_run = published_runs(db, ("related_parties",)).run_id("related_parties")
    found = read_relations_to(db, related_run, (i["id"] for i in items), INTRODUCTION_KINDS)
    introducers = warm_introductions(
        (customer, r.other_id, [IntroPath(e.kind, e.nodes, e.links) for e in r.evidence])
        for customer, r in found.relations
    )
    anon.load(db, [c for customer, r in found.relations for c in (customer, r.other_id)])
    for item in items:
        shown = []
        for intro in introducers.get(item["id"], ()):
            ref = anon.ref(intro.customer_id)
            shown.append(
                {
                    "customer": {
                        "id": ref.id,
                        "key": ref.key,
                        "name": ref.name,
                        "is_customer": ref.is_customer,
                        "visible": ref.visible,
                    },
                    "direct": intro.direct,
                    "paths": [
                        scoped_evidence(
                            StoredEvidence(p.kind, p.nodes, p.links),
                            found.person_names,
                            found.contact_values,
                            anon,
                            language,
                        )
                        for p in intro.paths
                    ],
                }
            )
        item["warm_introducers"] = shown
    return items


def introduction_text(introducer: Mapping[str, Any], language: Language) -> str:
    """One introducer as text: its first path, each node with the tie to the next.

    >>> introduction_text({"customer": {"name": "甲公司"}, "paths": [{"nodes": [
    ...     {"name": "乙公司"}, {"name": "张三"}, {"name": "甲公司"}],
    ...     "links": [{"name": "董事"}, {"name": "法定代表人"}]}]}, "zh")
    '甲公司：乙公司 —董事— 张三 —法定代表人— 甲公司'
    """
    path = introducer["paths"][0]
    text = path["nodes"][0]["name"]
    for link, node in zip(path["links"], path["nodes"][1:], strict=True):
        text += f" —{link['name']}— {node['name']}"
    return f"{introducer['customer']['name']}{'：' if language == 'zh' else ': '}{text}"


def _run(db: Database, runs: PublishedRuns | None) -> str | None:
    """The published prospects run (resolved now unless given)."""
    return (runs or published_runs(db, ("prospects",))).prospects


def _score(value: object) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.0001"))


def export_rows(items: Iterable[Mapping[str, Any]], language: Language) -> list[list[Cell]]:
    """List items as rows of :data:`PROSPECT_TABLE`, in ``language``."""
    separator = "；" if language == "zh" else "; "
    rows: list[list[Cell]] = []
    for it in items:
        rows.append(
            [
                int(it["rank"]) if it["rank"] is not None else None,
                it["name"],
                it["uscc"],
                _score(it["score"]),
                *(_score(it["components"].get(name, 0)) for name in COMPONENTS),
                code_name(language, "industry", it["industry"]) if it["industry"] else None,
                it["region"],
                len(it["linked_customers"]),
                separator.join(c["name"] for c in it["linked_customers"]),
                separator.join(it["reasons"]),
                it["suggested_branch"]["name"],
                it["suggested_rm"]["name"],
                it["introducer"]["name"],
                separator.join(
                    introduction_text(i, language) for i in it.get("warm_introducers", ())
                ),
            ]
        )
    return rows
