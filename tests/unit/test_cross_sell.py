"""Cross-sell recommendations and the peer percentile."""

from __future__ import annotations

from algorithms.cross_sell import CustomerProfile, cross_sell
from core.messages import render


def _profiles() -> dict[str, CustomerProfile]:
    bundle = {"DEP-CUR": 100, "LN-WC": 500, "FX-SPOT": 50}
    profiles = {
        f"P{i}": CustomerProfile(f"P{i}", "trading", "core", {**bundle, "DEP-CUR": 100 * i})
        for i in range(1, 7)
    }
    profiles["T"] = CustomerProfile("T", "trading", "core", {"DEP-CUR": 350, "FX-SPOT": 50})
    profiles["X"] = CustomerProfile("X", "energy", "basic", {"BOND": 10})
    profiles["Y"] = CustomerProfile("Y", "energy", "basic", {"BOND": 20, "DEP-CUR": 5})
    return profiles


def test_recommends_what_similar_customers_hold() -> None:
    result = cross_sell("T", _profiles(), peers=6, min_share=0.5)
    assert [r.product_code for r in result.recommendations] == ["LN-WC"]
    rec = result.recommendations[0]
    assert (rec.peer_count, rec.peers, rec.share) == (6, 6, 1.0)
    assert rec.lift == round(1.0 / (6 / 9), 2)
    assert "6家持有LN-WC" in render(rec.reason, "zh")
    assert "6 of the 6 most similar customers hold LN-WC" in render(rec.reason, "en")
    assert {cid for cid, _ in result.peers} == {f"P{i}" for i in range(1, 7)}


def test_contribution_percentile_among_same_industry_and_segment() -> None:
    result = cross_sell("T", _profiles(), peers=6)
    # Totals of the group: P1..P6 = 650..1150, T = 400: only T itself is at most 400.
    assert result.peer_group_size == 7
    assert result.contribution_minor == 400
    assert result.contribution_percentile == round(1 / 7, 4)


def test_no_recommendation_below_the_share() -> None:
    result = cross_sell("Y", _profiles(), peers=2, min_share=1.0)
    assert result.recommendations == ()


def test_the_index_gives_the_same_answers_as_the_reference() -> None:
    import random

    from algorithms.cross_sell import CrossSellIndex, CustomerProfile, cross_sell

    rng = random.Random(11)
    products = [f"P{i}" for i in range(12)]
    profiles = {
        f"C{i:03d}": CustomerProfile(
            f"C{i:03d}",
            rng.choice(["retail", "energy", None]),
            rng.choice(["core", "growth"]),
            {p: rng.randint(0, 10_000) for p in rng.sample(products, rng.randint(0, 6))},
        )
        for i in range(150)
    }
    index = CrossSellIndex(profiles)
    for customer in list(profiles)[:40]:
        for peers, share in [(20, 0.5), (5, 0.3)]:
            assert index.cross_sell(customer, peers=peers, min_share=share) == cross_sell(
                customer, profiles, peers=peers, min_share=share
            )
