from __future__ import annotations

import random

import pytest

from core.names import counterparty_id, fold, name_key
from core.uscc import check_character, is_valid_uscc, make_uscc, validate_uscc

SAME_COMPANY = [
    "某某（北京）有限公司",
    "某某(北京)有限公司",
    "某某 ( 北京 ) 有限公司",
    "某某（北京）有限责任公司",
    "某某（北京）股份有限公司",
    "某某【北京】",
    "  某某(北京)  ",
]


@pytest.mark.parametrize("variant", SAME_COMPANY)
def test_formatting_variants_share_a_key(variant: str) -> None:
    assert name_key(variant) == name_key(SAME_COMPANY[0]) == "某某(北京)"


def test_bracket_content_distinguishes_sister_companies() -> None:
    assert name_key("某某（上海）有限公司") != name_key("某某（北京）有限公司")
    assert name_key("某某有限公司") != name_key("某某（北京）有限公司")


@pytest.mark.parametrize(
    ("raw", "key"),
    [
        ("ACME Trading Co., Ltd.", "acmetrading"),
        ("ACME Trading Co.,Ltd", "acmetrading"),
        ("ＡＣＭＥ　Ｔｒａｄｉｎｇ　ＬＬＣ", "acmetrading"),
        ("Acme Trading Inc.", "acmetrading"),
        ("Acme Trading Company Limited", "acmetrading"),
        ("有限公司", "有限公司"),  # never empty
    ],
)
def test_latin_suffixes_and_full_width(raw: str, key: str) -> None:
    assert name_key(raw) == key


def test_fold_keeps_content() -> None:
    assert fold("华为技术有限公司") == "华为技术有限公司"


def test_counterparty_ids_are_stable_and_distinct() -> None:
    assert counterparty_id(name_key("甲贸易有限公司")) == counterparty_id(name_key("甲贸易"))
    assert counterparty_id(name_key("甲贸易")) != counterparty_id(name_key("乙贸易"))
    assert counterparty_id("x").startswith("CP-")


# Published example codes (company registries) with correct check characters.
REAL_CODES = ["91350100M000100Y43", "91440300708461136T"]


@pytest.mark.parametrize("code", REAL_CODES)
def test_real_codes_validate(code: str) -> None:
    assert is_valid_uscc(code), validate_uscc(code)


def test_every_wrong_check_character_is_caught() -> None:
    code = REAL_CODES[0]
    for replacement in "0123456789ABCDEFGHJKLMNPQRTUWXY":
        if replacement != code[-1]:
            verdict = validate_uscc(code[:-1] + replacement)
            assert not verdict.valid
            assert "check character" in (verdict.reason or "")


def test_format_errors_say_what_is_wrong() -> None:
    assert "18 characters" in (validate_uscc("9135").reason or "")
    assert "not allowed" in (validate_uscc("91350100M000100I43").reason or "")


def test_full_width_and_lower_case_input() -> None:
    assert is_valid_uscc("９１３５０１００m０００１００y４３")


def test_generated_codes_are_valid() -> None:
    rng = random.Random(42)
    codes = {make_uscc(rng) for _ in range(500)}
    assert len(codes) == 500
    assert all(is_valid_uscc(c) for c in codes)


def test_check_character_formula() -> None:
    # weights 3^(i-1) mod 31; a remainder of 0 maps to "0"
    assert check_character("91350100M000100Y4") == "3"
