"""Quality figures against ``truth.json``: entity resolution, events, prospects.

Pure functions used by ``bench/quality.py`` and the tests that hold floors. They
know the truth file's semantics and nothing of how the detectors work.

- **Entity resolution**, pairwise: every payment side known by name (name and
  USCC as written) is a record, and so is every company of the companies file that
  a side truly is or was resolved to. Two records are a true pair when the truth
  gives them one company (``name_identities``), a predicted pair when the loader
  resolved them to one company. Precision, recall and F1 count pairs.
- **Events**: ``(customer, type, month)`` triples per type.
- **Prospects**: precision@k and NDCG@k of the ranked list, with each ranked
  company mapped to the true company its names belong to (a company the loader
  split in two counts once, at its better rank). Hubs in the top k are counted.

Examples
--------
>>> pairwise_scores({"a": "X", "b": "X", "c": "Y"}, {"a": "1", "b": "1", "c": "1"})
Scores(precision=0.3333, recall=1.0, f1=0.5, true=1, predicted=3, correct=1)
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Scores:
    """Precision, recall and F1 (rounded to four places) and the counts behind them."""

    precision: float
    recall: float
    f1: float
    true: int
    predicted: int
    correct: int


def scores(correct: int, predicted: int, true: int) -> Scores:
    """Precision, recall, F1 from counts (1.0 when there is nothing to find or claim)."""
    precision = correct / predicted if predicted else 1.0
    recall = correct / true if true else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return Scores(round(precision, 4), round(recall, 4), round(f1, 4), true, predicted, correct)


def _pairs(sizes: Iterable[int]) -> int:
    return sum(n * (n - 1) // 2 for n in sizes)


def pairwise_scores(truth: Mapping[str, str], predicted: Mapping[str, str]) -> Scores:
    """Pairwise precision/recall/F1 of a clustering: record → entity, record → cluster.

    Records missing from ``predicted`` are singletons.
    """
    cells: Counter[tuple[str, str]] = Counter()
    true_sizes: Counter[str] = Counter()
    predicted_sizes: Counter[str] = Counter()
    for record, entity in truth.items():
        cluster = predicted.get(record, f"\0{record}")
        cells[(entity, cluster)] += 1
        true_sizes[entity] += 1
        predicted_sizes[cluster] += 1
    return scores(
        _pairs(cells.values()), _pairs(predicted_sizes.values()), _pairs(true_sizes.values())
    )


@dataclass(frozen=True)
class ResolutionQuality:
    """Entity-resolution figures of one load."""

    all_records: Scores
    noisy_records: Scores  # only the companies with a spelling other than formatting
    records: int
    counterparties: int  # distinct counterparty companies known by name (the truth)
    review_queue: int

    @property
    def queue_share(self) -> float:
        return self.review_queue / self.counterparties if self.counterparties else 0.0


def resolution_quality(
    truth: Mapping[str, Any],
    resolved: Iterable[tuple[str, str, str]],
    review_queue: int,
) -> ResolutionQuality:
    """Score the loader's resolution of every named side.

    Parameters
    ----------
    truth
        ``truth.json`` of a hard bank (``name_identities``).
    resolved
        ``(name, uscc, company_id)`` for every side the loader resolved.
    review_queue
        Pending candidate pairs after the load.
    """
    identities: Mapping[str, Mapping[str, str]] = truth["name_identities"]
    true_of: dict[str, str] = {}
    predicted_of: dict[str, str] = {}
    for name, uscc, company in resolved:
        identity = identities.get(name)
        if identity is None:
            continue
        record = f"side:{name}|{uscc}"
        true_of[record] = identity["id"]
        predicted_of[record] = company
    companies = set(true_of.values()) | set(predicted_of.values())
    for company in companies:
        if company.startswith("CP-"):  # a counterparty known only by name: no record of its own
            continue
        record = f"company:{company}"
        true_of[record] = company
        predicted_of[record] = company
    noisy_entities = {
        v["id"] for v in identities.values() if v["kind"] not in ("canonical", "formatting")
    }
    noisy_true = {r: e for r, e in true_of.items() if e in noisy_entities}
    counterparties = len({e for r, e in true_of.items() if r.startswith("side:")})
    return ResolutionQuality(
        all_records=pairwise_scores(true_of, predicted_of),
        noisy_records=pairwise_scores(noisy_true, predicted_of),
        records=sum(1 for r in true_of if r.startswith("side:")),
        counterparties=counterparties,
        review_queue=review_queue,
    )


def entity_of_companies(
    truth: Mapping[str, Any], resolved: Iterable[tuple[str, str, str]]
) -> dict[str, str]:
    """Loader company id → the true company most of its names belong to."""
    identities: Mapping[str, Mapping[str, str]] = truth.get("name_identities", {})
    votes: dict[str, Counter[str]] = defaultdict(Counter)
    for name, _, company in resolved:
        identity = identities.get(name)
        if identity is not None:
            votes[company][identity["id"]] += 1
    return {company: counts.most_common(1)[0][0] for company, counts in votes.items()}


def event_scores(
    found: Iterable[tuple[str, str, str]], truth: Mapping[str, Any], types: Sequence[str]
) -> dict[str, Scores]:
    """Per type: precision, recall, F1 of ``(customer, type, month)`` triples."""
    planted = {(e["customer_id"], e["type"], e["month"]) for e in truth["events"]}
    got = set(found)
    result = {}
    for kind in types:
        want = {t for t in planted if t[1] == kind}
        have = {t for t in got if t[1] == kind}
        result[kind] = scores(len(want & have), len(have), len(want))
    return result


@dataclass(frozen=True)
class RankingQuality:
    """Prospect ranking figures."""

    precision_at_50: float
    precision_at_100: float
    ndcg_at_100: float
    hubs_in_top_50: int
    planted: int


def ranking_quality(
    ranked: Sequence[str], truth: Mapping[str, Any], entity_of: Mapping[str, str]
) -> RankingQuality:
    """Precision@50/@100, NDCG@100 (binary relevance) and hubs in the top 50."""
    planted = set(truth["prospects"])
    hubs = {h["id"] for h in truth.get("hubs", ())}
    seen: set[str] = set()
    relevant: list[int] = []
    hub_flags: list[bool] = []
    for company in ranked:
        entity = entity_of.get(company, company)
        hub_flags.append(entity in hubs)
        relevant.append(int(entity in planted and entity not in seen))
        seen.add(entity)

    def precision(k: int) -> float:
        return round(sum(relevant[:k]) / k, 4)

    dcg = sum(r / math.log2(i + 2) for i, r in enumerate(relevant[:100]))
    ideal = sum(1 / math.log2(i + 2) for i in range(min(100, len(planted))))
    return RankingQuality(
        precision_at_50=precision(50),
        precision_at_100=precision(100),
        ndcg_at_100=round(dcg / ideal, 4) if ideal else 0.0,
        hubs_in_top_50=sum(hub_flags[:50]),
        planted=len(planted),
    )
