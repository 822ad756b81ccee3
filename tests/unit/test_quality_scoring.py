"""Quality figures against a truth file: pairwise entity resolution, events, rankings."""

from __future__ import annotations

from typing import Any

from loaders.synthetic.scoring import (
    entity_of_companies,
    event_scores,
    pairwise_scores,
    ranking_quality,
    resolution_quality,
)


def test_pairwise_scores_count_pairs() -> None:
    truth = {"a": "X", "b": "X", "c": "X", "d": "Y"}
    assert pairwise_scores(truth, {"a": "1", "b": "1", "c": "1", "d": "2"}).f1 == 1.0
    split = pairwise_scores(truth, {"a": "1", "b": "1", "c": "2", "d": "3"})
    assert (split.correct, split.predicted, split.true) == (1, 1, 3)
    merged = pairwise_scores(truth, {"a": "1", "b": "1", "c": "1", "d": "1"})
    assert (merged.precision, merged.recall) == (0.5, 1.0)
    assert pairwise_scores({"a": "X"}, {}).f1 == 1.0  # nothing to pair


TRUTH: dict[str, Any] = {
    "name_identities": {
        "华信科技有限公司": {"id": "C1", "kind": "canonical"},
        "華信科技有限公司": {"id": "C1", "kind": "traditional"},
        "化信科技有限公司": {"id": "C1", "kind": "typo"},
        "远达物流": {"id": "CP-a", "kind": "canonical"},
        "远达物留": {"id": "CP-a", "kind": "typo"},
    },
    "events": [
        {"customer_id": "K1", "type": "dormancy", "month": "2025-09"},
        {"customer_id": "K2", "type": "large_outflow", "month": "2025-05"},
    ],
    "prospects": ["CP-a", "C1"],
    "hubs": [{"id": "CP-tax", "kind": "tax"}],
}


def test_resolution_quality_links_names_to_registered_companies() -> None:
    perfect = [
        ("华信科技有限公司", "", "C1"),
        ("華信科技有限公司", "", "C1"),
        ("化信科技有限公司", "", "C1"),
        ("远达物流", "", "CP-x"),
        ("远达物留", "", "CP-x"),
    ]
    quality = resolution_quality(TRUTH, perfect, review_queue=1)
    assert quality.all_records.f1 == 1.0
    assert (quality.counterparties, quality.queue_share) == (2, 0.5)
    missed = [*perfect[:2], ("化信科技有限公司", "", "CP-y"), *perfect[3:]]
    assert resolution_quality(TRUTH, missed, 0).all_records.recall < 1.0


def test_event_scores_per_type() -> None:
    found = {("K1", "dormancy", "2025-09"), ("K3", "large_outflow", "2025-06")}
    scores = event_scores(found, TRUTH, ("dormancy", "large_outflow"))
    assert scores["dormancy"].f1 == 1.0
    assert (scores["large_outflow"].precision, scores["large_outflow"].recall) == (0.0, 0.0)


def test_ranking_counts_a_split_company_once_and_counts_hubs() -> None:
    entity_of = entity_of_companies(TRUTH, [("远达物流", "", "CP-x"), ("远达物留", "", "CP-y")])
    quality = ranking_quality(["CP-x", "CP-y", "CP-tax", "C1"], TRUTH, entity_of)
    assert quality.hubs_in_top_50 == 1
    assert quality.precision_at_50 == round(2 / 50, 4)
    assert 0 < quality.ndcg_at_100 < 1
