"""Explanations of the analytics are catalogue keys with typed parameters: each renders in
Chinese and English from the one catalogue, amounts by the one money rule (万/亿 in
Chinese), codes by their catalogue names, and a stored one reads back the same."""

from __future__ import annotations

import re
from fractions import Fraction

from algorithms.contagion import propagate
from algorithms.cross_sell import CustomerProfile, cross_sell
from algorithms.events import diff_controllers, group_risk_events
from algorithms.guarantees import GuaranteeEdge
from algorithms.influence import core_enterprises
from algorithms.interdependence import (
    InterdependenceRule,
    MonthlyFlow,
    SupplyAmount,
    find_dependencies,
)
from algorithms.prospects import SupplyLink
from core.messages import (
    Code,
    Message,
    from_json,
    params_json,
    render,
    render_clauses,
    render_sentences,
    to_json,
)
from core.money import Money
from graph.branches import BranchScope
from graph.events import event_item
from graph.scoping import Anonymiser

CJK = re.compile(r"[\u4e00-\u9fff]")


def _both(messages: tuple[Message, ...] | list[Message]) -> tuple[str, str]:
    return render_sentences(messages, "zh"), render_sentences(messages, "en")


def test_a_core_enterprise_is_explained_in_both_languages_with_its_volume_in_yi() -> None:
    links = [SupplyLink(f"s{i}", "core", 100_000_000_00) for i in range(4)]
    links.append(SupplyLink("core", "b1", 50_000_000_00))
    communities = {n: "x" for link in links for n in (link.supplier_id, link.buyer_id)}
    (chain,) = core_enterprises(communities, {"core": 1.0}, links, {"core": "核心制造"}, min_size=5)
    assert render(chain.explanation, "zh") == (
        "核心制造是其供应链6家企业中影响力最高的核心企业："
        "两级内有4家供应商、1家下游客户，年供应链交易额¥4.50亿"
    )
    assert render(chain.explanation, "en") == (
        "核心制造 is the most influential of 6 companies in its supply chain: 4 suppliers "
        "and 1 buyers within two tiers, CNY 450.00M of annual supply links"
    )


def _dependency_inputs() -> tuple[list[MonthlyFlow], list[SupplyAmount]]:
    months = [f"2025-{m:02d}" for m in range(1, 13)]
    flows = [MonthlyFlow("K", "D", m, "CNY", 8_000_000_00) for m in months]
    flows += [MonthlyFlow("O", "D", m, "CNY", 2_000_000_00) for m in months]
    flows += [MonthlyFlow("O", "D", "2025-06", "USD", 1_00)]
    return flows, [SupplyAmount("D", "K", 90_000_000_00, "CNY")]


def test_a_dependency_is_explained_in_both_languages_with_a_note_on_other_currencies() -> None:
    flows, supply = _dependency_inputs()
    rule = InterdependenceRule(Fraction(1, 2), 12, 6, "CNY")
    found = find_dependencies(flows, supply, frozenset({"D"}), rule, last_month="2025-12")
    by_flows = next(d for d in found if d.basis == "flows" and d.direction == "receipts")
    zh, en = _both(by_flows.explanation)
    assert zh == (
        "2025年1月至2025年12月，该交易对手的付款占本公司CNY收款的80%（¥9,600.00万/¥1.20亿），"
        "12个有收款的月份中有12个月不低于50%。另有USD收款未计入（无汇率折算）。"
    )
    assert en == (
        "From Jan 2025 to Dec 2025 this counterparty paid 80% of the company's CNY receipts "
        "(CNY 96.00M of CNY 120.00M), and at least 50% in 12 of the 12 months with receipts. "
        "Its receipts in USD are not counted (no exchange rate)."
    )
    by_supply = next(d for d in found if d.basis == "supply")
    zh, en = _both(by_supply.explanation)
    assert zh.startswith(
        "供货关系中本公司向该交易对手的年供货额（¥9,000.00万）占其年CNY收款（¥1.20亿"
    )
    assert en.startswith("The supply link's annual sales to this counterparty (CNY 90.00M)")
    # Stored and read back, the sentences are the same.
    assert tuple(from_json(to_json(by_supply.explanation))) == by_supply.explanation


def test_expenditure_dependencies_read_as_expenditures() -> None:
    months = [f"2025-{m:02d}" for m in range(1, 13)]
    flows = [MonthlyFlow("D", "K", m, "CNY", 9_000_00) for m in months]
    flows += [MonthlyFlow("D", "O", m, "CNY", 1_000_00) for m in months]
    rule = InterdependenceRule(Fraction(1, 2), 12, 6, "CNY")
    (dep,) = find_dependencies(flows, [], frozenset({"D"}), rule, last_month="2025-12")
    zh, en = _both(dep.explanation)
    assert "本公司向该交易对手的付款占其CNY支出的90%（¥10.80万/¥12.00万）" in zh
    assert "the company paid this counterparty 90% of its CNY expenditures" in en
    assert "12 months with expenditures." in en


def test_contagion_is_explained_with_or_without_the_control_channel() -> None:
    edges = [
        GuaranteeEdge("G1", "A", "S", 1_000_00, "CNY"),
        GuaranteeEdge("G2", "B", "S", 5_00, "USD"),
    ]
    with_control = propagate("S", edges, {}, {}).explanation
    assert render(with_control, "zh") == (
        "S违约：1轮内1家企业违约、2家企业承担担保代偿"
        "（担保代偿达资本金0.5倍即视为担保人违约，并经控制关系交叉违约）"
    )
    alone = propagate("S", edges, {}, {}, control=False, default_ratio=2).explanation
    assert render(alone, "en") == (
        "Default of S: 1 companies default and 2 pay guarantees within 1 rounds "
        "(guarantor default at 2× capital)"
    )
    assert "交叉违约" not in render(alone, "zh")


def test_a_cross_sell_reason_names_the_product_in_each_language() -> None:
    profiles = {
        "T": CustomerProfile("T", "energy", "basic", {"DEP": 1}),
        **{
            f"P{i}": CustomerProfile(f"P{i}", "energy", "basic", {"DEP": 1, "LN-WC": 2})
            for i in range(3)
        },
        "X": CustomerProfile("X", "retail", "core", {"FX": 1}),
    }
    (rec,) = cross_sell("T", profiles, peers=3).recommendations
    named = Message(rec.reason.key, {**rec.reason.params, "product": "流动资金贷款"})
    assert render(named, "zh") == "最相似的3家客户中有3家持有流动资金贷款（为全行平均的1.7倍）"
    assert render(named, "en") == (
        "3 of the 3 most similar customers hold 流动资金贷款 (1.7× the bank-wide rate)"
    )


def test_event_explanations_name_codes_through_the_catalogue() -> None:
    (change,) = diff_controllers({"C1": "P1"}, {"C1": "P2"}, "2025-12")
    assert render(change.explanation, "zh") == "实际控制人由P1变更为P2"
    assert render(change.explanation, "en") == "Ultimate controller changed from P1 to P2"
    (spread,) = group_risk_events([change], {"C1": ["G1"], "C2": ["G1"]})
    zh, en = render(spread.explanation, "zh"), render(spread.explanation, "en")
    assert zh == "同一集团或担保圈（G1）的C1于2025-12发生实际控制人变更事件"
    assert "controller_change" not in en
    assert "controller_change" not in zh
    assert en.startswith("C1 in G1 has a ")
    assert en.endswith(" event in 2025-12")
    downgrade = Message(
        "Segment fell from {previous} to {current} on {date}",
        {
            "previous": Code("segment", "strategic"),
            "current": Code("segment", "basic"),
            "date": "2025-12-31",
        },
    )
    assert "strategic" not in render(downgrade, "en")
    assert render(downgrade, "zh").startswith("2025-12-31客户分层由战略客户降至")
    assert params_json(downgrade)["previous"] == {"code_list": "segment", "code": "strategic"}
    assert from_json(to_json([downgrade])) == [downgrade]


def _event_row(explanation: str) -> dict[str, object]:
    return {
        "id": "EV1",
        "type": "controller_change",
        "severity": "high",
        "month": "2025-12",
        "status": "new",
        "customer_id": "C1",
        "customer_name": "甲公司",
        "branch_id": "B1",
        "rm_id": None,
        "owner_rm_id": None,
        "counterparty_id": None,
        "suggested_action": None,
        "explanation": explanation,
        "evidence_json": None,
    }


def test_a_stored_event_explanation_reads_in_the_callers_language_and_hides_names() -> None:
    (change,) = diff_controllers({"C1": "C8"}, {"C1": "C9"}, "2025-12")
    row = _event_row(to_json([change.explanation]))
    assert event_item(row)["explanation"] == "实际控制人由C8变更为C9"
    english = event_item(row, language="en")
    assert english["explanation"] == "Ultimate controller changed from C8 to C9"
    assert english["explanation_message"]["params"] == {"previous": "C8", "current": "C9"}
    # A controller booked outside the caller's branches is the placeholder, in its language.
    anon = Anonymiser(BranchScope("B1", frozenset({"B1"})), language="en")
    anon.learn("C9", name="丙公司", is_customer=True, branch_id="B2")
    hidden = event_item(row, anon, "en")
    assert "C9" not in hidden["explanation"]
    assert "C8" in hidden["explanation"]
    # An event stored before explanations were keys shows its text as it is.
    assert event_item(_event_row("segment fell"), language="en")["explanation"] == "segment fell"
    assert event_item(_event_row("segment fell"))["explanation_message"] is None


def test_a_group_is_explained_as_clauses_in_each_language() -> None:
    clauses = (
        Message(
            "{members} companies controlled by {controller} through {levels} levels of control",
            {"members": 5, "controller": "张三", "levels": 2},
        ),
        Message("{joint} jointly controlled with other groups", {"joint": 1}),
        Message("{cycles} control cycles", {"cycles": 1}),
    )
    assert (
        render_clauses(clauses, "zh")
        == "张三通过2层控制关系控制5家企业；其中1家与其他集团共同控制；1个控制环"
    )
    assert render_clauses(clauses, "en") == (
        "5 companies controlled by 张三 through 2 levels of control; "
        "1 jointly controlled with other groups; 1 control cycles"
    )


def test_every_new_explanation_is_chinese_in_chinese() -> None:
    flows, supply = _dependency_inputs()
    rule = InterdependenceRule(Fraction(1, 2), 12, 6, "CNY")
    for dep in find_dependencies(flows, supply, frozenset({"D"}), rule, last_month="2025-12"):
        for message in dep.explanation:
            assert CJK.search(render(message, "zh")), message.key
            assert not CJK.search(render(message, "en")), message.key


def test_money_parameters_follow_the_one_money_rule() -> None:
    amount = Money(123_456_789_00, "CNY")
    message = Message(
        "{name} is the most influential of {size} companies in its supply "
        "chain: {suppliers} suppliers and {buyers} buyers within two tiers, "
        "{volume} of annual supply links",
        {"name": "甲", "size": 5, "suppliers": 1, "buyers": 1, "volume": amount},
    )
    assert "¥1.23亿" in render(message, "zh")
    assert "CNY 123.46M" in render(message, "en")
