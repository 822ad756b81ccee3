"""Name forms and the probabilistic matching model (splink on an in-memory DuckDB)."""

from __future__ import annotations

import pytest

from core.name_forms import Gazetteer, analyse, branch_office, deletion_neighbourhood
from loaders.matching import MatchRecord, find_candidates

PLACES = Gazetteer.build(["上海", "北京", "广州", "宁波", "拉脱维亚"])
REVIEW = 0.5
MERGE = 0.99


def test_forms_of_chinese_and_english_names_compare() -> None:
    chinese = analyse("上海華信科技有限公司", PLACES)
    bracket = analyse("华信科技（上海）有限责任公司", PLACES)
    english = analyse("Huaxin Science & Technology (Shanghai) Co., Ltd.", PLACES)
    assert (chinese.region, chinese.core) == ("上海", "华信科技")
    assert (bracket.region, bracket.core) == ("上海", "华信科技")
    assert english.region == "上海"
    assert chinese.roman == bracket.roman == english.roman == "huaxintechnology"
    # A homophone typo keeps the pinyin; a different trade name does not.
    assert analyse("上海化信科技有限公司", PLACES).roman == chinese.roman
    assert analyse("上海华达科技有限公司", PLACES).roman != chinese.roman


def test_a_place_inside_the_name_is_its_region() -> None:
    form = analyse("国家税务总局北京市税务局", PLACES)
    assert form.region == "北京"
    assert "北京" not in form.core


def test_branch_offices_name_their_head() -> None:
    office = branch_office("华信科技有限公司北京分公司", PLACES)
    assert office is not None
    assert (office.head, office.place) == ("华信科技有限公司", "北京")
    bank = branch_office("中国工商银行股份有限公司上海市分行", PLACES)
    assert bank is not None
    assert bank.head == "中国工商银行股份有限公司"
    english = branch_office("Huaxin Technology Co., Ltd. Guangzhou Branch", PLACES)
    assert english is not None
    assert english.head == "Huaxin Technology Co., Ltd."
    assert branch_office("华信科技有限公司", PLACES) is None
    assert branch_office("分公司", PLACES) is None


def test_the_deletion_neighbourhood_joins_names_one_edit_apart() -> None:
    for a, b in [("华信科技", "华兴科技"), ("华信科技", "华科技"), ("华信科技", "信华科技")]:
        assert set(deletion_neighbourhood(a)) & set(deletion_neighbourhood(b)), (a, b)
    assert not set(deletion_neighbourhood("华信科技")) & set(deletion_neighbourhood("远达物流"))


def test_rigensis_and_rigenesis_of_one_country_are_one_scored_pair() -> None:
    pairs = find_candidates(
        [
            MatchRecord("A", "Rigensis Bank AS", region="拉脱维亚"),
            MatchRecord("B", "Rigenesis Bank AS", region="拉脱维亚"),
            MatchRecord("C", "Nordic Trust Bank AS", region="拉脱维亚"),
        ],
        PLACES,
        min_probability=REVIEW,
    )
    assert [(p.left_id, p.right_id) for p in pairs] == [("A", "B")]
    assert REVIEW <= pairs[0].probability <= 1.0
    assert pairs[0].features()[0].startswith("one character apart in a long name")


def test_a_shared_account_makes_a_typo_merge() -> None:
    pairs = find_candidates(
        [
            MatchRecord(
                "C1", "杭州顺达物流有限公司", registered=True, region="杭州", accounts=("6222001",)
            ),
            MatchRecord("N1", "杭州顺达物留有限公司", accounts=("6222001",)),
        ],
        Gazetteer.build(["杭州"]),
        min_probability=REVIEW,
    )
    assert len(pairs) == 1
    assert pairs[0].probability >= MERGE
    assert {e.comparison for e in pairs[0].evidence} >= {"name", "accounts"}


def test_sister_subsidiaries_and_different_usccs_stay_apart() -> None:
    pairs = find_candidates(
        [
            MatchRecord("C1", "华信科技（上海）有限公司", registered=True, region="上海"),
            MatchRecord("N1", "华信科技（北京）有限公司", accounts=("1",)),
            MatchRecord("C2", "宁波远达贸易有限公司", registered=True, uscc="91330200MA2AAAAA1X"),
            MatchRecord("N2", "宁波远达贸易", uscc="91330200MA2BBBBB2Y", accounts=("2",)),
        ],
        PLACES,
        min_probability=0.01,
    )
    assert [p for p in pairs if p.probability >= REVIEW] == []


def test_two_registered_companies_and_a_branch_with_its_head_are_never_paired() -> None:
    pairs = find_candidates(
        [
            MatchRecord("C1", "上海华信科技有限公司", registered=True, accounts=("1",)),
            MatchRecord("C2", "上海华兴科技有限公司", registered=True, accounts=("1",)),
            MatchRecord("N1", "上海华信科技有限公司北京分公司", accounts=("1",)),
        ],
        PLACES,
        min_probability=0.0,
    )
    assert pairs == []


def test_record_ids_must_be_unique() -> None:
    with pytest.raises(ValueError, match="unique"):
        find_candidates(
            [MatchRecord("A", "x"), MatchRecord("A", "y")], PLACES, min_probability=REVIEW
        )
