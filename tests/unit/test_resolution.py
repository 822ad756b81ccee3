from __future__ import annotations

from core.names import counterparty_id, name_key
from loaders.resolution import CompanyIndex

INDEX = CompanyIndex.build(
    [
        ("C1", "某某科技（北京）有限公司", "91350100M000100Y43"),
        ("C2", "某某科技（上海）有限公司", None),
        ("D1", "重名贸易有限公司", None),
        ("D2", "重名贸易股份有限公司", None),
    ]
)


def test_uscc_wins_over_the_name() -> None:
    resolved = INDEX.resolve("完全不同的名字", "91350100M000100Y43")
    assert (resolved.company_id, resolved.method) == ("C1", "uscc")


def test_name_variants_resolve_to_one_company() -> None:
    for variant in ["某某科技(北京)有限公司", "某某科技（北京）", " 某某科技 (北京) 有限责任公司"]:
        resolved = INDEX.resolve(variant, None)
        assert (resolved.company_id, resolved.method) == ("C1", "name")


def test_sister_subsidiary_stays_apart() -> None:
    assert INDEX.resolve("某某科技(上海)有限公司", None).company_id == "C2"


def test_ambiguous_names_are_reported_never_merged() -> None:
    resolved = INDEX.resolve("重名贸易", None)
    assert resolved.method == "ambiguous"
    assert resolved.company_id is None
    assert resolved.candidates == ("D1", "D2")


def test_unknown_names_create_a_stable_company() -> None:
    resolved = INDEX.resolve("新客户物流有限公司", None)
    assert resolved.method == "created"
    assert resolved.company_id == counterparty_id(name_key("新客户物流"))


def test_invalid_uscc_falls_back_to_the_name_and_says_so() -> None:
    resolved = INDEX.resolve("某某科技（上海）有限公司", "91350100M000100Y44")
    assert (resolved.company_id, resolved.method) == ("C2", "name")
    assert "invalid USCC" in resolved.note
