"""Prospect scoring: pure function over hand-made flows."""

from __future__ import annotations

import pandas as pd
import pytest

from algorithms.prospects import (
    FLOW_COLUMNS,
    Candidate,
    CustomerInfo,
    ProspectConfig,
    ProspectRanking,
    ProspectScore,
    SupplyLink,
    format_money_en,
    format_money_zh,
    score_prospects,
)
from core.formatting import Language
from core.messages import render

MONTHS = tuple(f"2025-{m:02d}" for m in range(1, 13))
CUSTOMERS = {
    f"C{i}": CustomerInfo(f"C{i}", f"客户{i}", f"BR-{i}", f"RM{i}", (f"G{i % 2}",))
    for i in range(1, 6)
}


def rendered(prospect: ProspectScore, language: Language) -> tuple[str, ...]:
    """The prospect's reasons as the catalogue renders them in ``language``."""
    return tuple(render(m, language) for m in prospect.reasons)


def _flows() -> pd.DataFrame:
    rows = []
    # P: paid by C1..C4 every month (C1 the biggest), growing.
    for k, month in enumerate(MONTHS):
        for i in range(1, 5):
            rows.append(("P", f"C{i}", "in", month, "CNY", (10 - i) * 100_000_00 + k * 5_000_00, 2))
    # Q: pays C5 a lot every month, a single customer.
    rows += [("Q", "C5", "out", m, "CNY", 5_000_000_00, 3) for m in MONTHS]
    # N: one-off noise.
    rows.append(("N", "C2", "in", "2025-06", "CNY", 80_000_00, 1))
    # D: dissolved, paid by 4 customers until March.
    rows += [
        ("D", f"C{i}", "in", m, "CNY", 1_000_000_00, 1) for i in range(1, 5) for m in MONTHS[:3]
    ]
    # B: blocklisted.
    rows += [("B", f"C{i}", "in", m, "CNY", 1_000_000_00, 1) for i in range(1, 5) for m in MONTHS]
    return pd.DataFrame(rows, columns=list(FLOW_COLUMNS))


CANDIDATES = [
    Candidate("P", "宏达物流有限公司", "91110000000000000P", "active", "logistics", "北京"),
    Candidate("Q", "大华钢铁有限公司", None, "active", "materials", "上海"),
    Candidate("N", "零星商贸", None, None),
    Candidate("D", "已注销公司", None, "dissolved"),
    Candidate("B", "黑名单公司", "91BLOCKED", "active"),
    Candidate("C1", "客户1"),  # a customer is never a prospect
]


@pytest.fixture(scope="module")
def ranking() -> ProspectRanking:
    return score_prospects(
        CANDIDATES,
        CUSTOMERS,
        _flows(),
        [SupplyLink("P", "C3", 12_000_000_00), SupplyLink("C5", "Q", 1_000_00)],
        core_enterprises={"C3": "客户3"},
        influence={"P": 0.5, "Q": 0.3, "N": 0.1},
        config=ProspectConfig(months=MONTHS, blocklist=frozenset({"91BLOCKED"})),
    )


def test_ranking_and_exclusions(ranking: ProspectRanking) -> None:
    ids = [p.company_id for p in ranking.prospects]
    assert ids == ["P", "Q", "N"]
    assert {(e.company_id, e.reason) for e in ranking.excluded} == {
        ("B", "blocklist"),
        ("D", "status:dissolved"),
    }
    scores = [p.score for p in ranking.prospects]
    assert scores == sorted(scores, reverse=True)
    assert all(0 <= v <= 1 for p in ranking.prospects for v in p.components.values())


def test_owner_and_introducer_are_the_strongest_tie(ranking: ProspectRanking) -> None:
    p = ranking.prospects[0]
    assert p.introducer_id == "C1"
    assert (p.suggested_branch_id, p.suggested_rm_id) == ("BR-1", "RM1")
    assert p.linked_customer_ids[0] == "C1"
    assert set(p.linked_customer_ids) == {"C1", "C2", "C3", "C4"}


def test_reasons_quote_the_figures(ranking: ProspectRanking) -> None:
    p = ranking.prospects[0]
    total = sum((10 - i) * 100_000_00 + k * 5_000_00 for i in range(1, 5) for k in range(12))
    assert p.facts["paid_in_minor"] == total
    assert p.facts["customers_in"] == 4
    assert p.facts["months_in"] == 12
    assert f"paid {format_money_en(total, 'CNY')} by 4 customers over 12 months" in rendered(
        p, "en"
    )
    assert f"4家客户12个月内向其付款{format_money_zh(total, 'CNY')}" in rendered(p, "zh")
    assert "supplier of core enterprise 客户3" in rendered(p, "en")
    assert "核心企业客户3的供应商" in rendered(p, "zh")
    assert p.components["groups"] == pytest.approx(2 / 3, abs=1e-4)
    assert p.components["trend"] > 0.5
    assert len(rendered(p, "en")) == len(rendered(p, "zh"))


def test_one_off_noise_scores_lowest(ranking: ProspectRanking) -> None:
    noise = ranking.prospects[-1]
    assert noise.company_id == "N"
    assert noise.components["trend"] == 0.0
    assert noise.facts["txn_count"] == 1


def test_empty_input() -> None:
    ranking = score_prospects([], {}, None)
    assert ranking.prospects == ()


def test_money_formats() -> None:
    assert format_money_en(12_345_678_900, "CNY") == "CNY 123.46M"
    assert format_money_en(999_00, "CNY") == "CNY 999.00"
    assert format_money_zh(12_300_000_00, "CNY") == "¥1,230.00万"
    assert format_money_zh(1_234_00, "CNY") == "¥1,234.00"


def test_reasons_never_claim_a_supply_link_in_a_bank_without_one() -> None:
    # Payments in USD only, scored in CNY, and no supply link at all: the strongest
    # tie has no amount in the scoring currency, but it is a payment relation.
    rows = [("X", f"C{i}", "in", m, "USD", 50_000_00, 2) for i in range(1, 4) for m in MONTHS[:5]]
    ranking = score_prospects(
        [Candidate("X", "环球贸易有限公司")],
        CUSTOMERS,
        pd.DataFrame(rows, columns=list(FLOW_COLUMNS)),
        [],
        config=ProspectConfig(months=MONTHS),
    )
    (prospect,) = ranking.prospects
    assert not any("supply" in r or "supplie" in r for r in rendered(prospect, "en"))
    assert not any("供应" in r or "供货" in r or "采购" in r for r in rendered(prospect, "zh"))
    assert "strongest tie: 客户1 (10 payments in other currencies over 5 months)" in (
        rendered(prospect, "en")
    )
    assert "最强关联客户：客户1（5个月内10笔其他币种往来）" in rendered(prospect, "zh")


def test_a_supply_only_tie_names_its_role() -> None:
    ranking = score_prospects(
        [Candidate("S", "配件厂")],
        CUSTOMERS,
        None,
        [SupplyLink("S", "C2", 0), SupplyLink("C4", "S", 0)],
        config=ProspectConfig(months=MONTHS, min_customers=2),
    )
    (prospect,) = ranking.prospects
    assert rendered(prospect, "en")[-1] == "strongest tie: 客户2 (a customer it supplies)"


def test_a_hub_paid_by_a_fixed_share_of_all_customers_is_not_a_prospect() -> None:
    customers = {f"K{i}": CustomerInfo(f"K{i}", f"客户{i}") for i in range(200)}
    rows = [("TAX", f"K{i}", "out", m, "CNY", 50_000_00, 1) for i in range(120) for m in MONTHS]
    rows += [("P", f"K{i}", "in", m, "CNY", 900_000_00, 2) for i in range(6) for m in MONTHS]
    candidates = [Candidate("TAX", "国家税务总局上海市税务局"), Candidate("P", "宏达物流有限公司")]
    flows = pd.DataFrame(rows, columns=list(FLOW_COLUMNS))
    ranked = score_prospects(candidates, customers, flows, config=ProspectConfig(months=MONTHS))
    assert [p.company_id for p in ranked.prospects] == ["P"]
    assert [(e.company_id, e.reason) for e in ranked.excluded] == [("TAX", "hub:120")]
    # With the rule off (a share no one reaches), the hub would top the list on breadth.
    off = ProspectConfig(months=MONTHS, hub_customer_share=1.0, hub_min_customers=10_000)
    unchecked = score_prospects(candidates, customers, flows, config=off)
    assert unchecked.prospects[0].company_id == "TAX"
