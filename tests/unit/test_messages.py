"""Language-neutral messages: every key the algorithms emit is in both catalogues, with the
same placeholders, and a stored message renders the same sentence after a round trip."""

from __future__ import annotations

from pathlib import Path
from string import Formatter

import pytest
from babel.messages.extract import extract_from_file

from core.formatting import LANGUAGES
from core.i18n import N_, catalogue
from core.messages import Message, from_json, params_json, render, rewrite_text, to_json
from core.money import Money

ROOT = Path(__file__).resolve().parents[2]
#: Modules whose results carry :class:`core.messages.Message` keys.
MESSAGE_SOURCES = (
    "algorithms/prospects.py",
    "algorithms/influence.py",
    "algorithms/interdependence.py",
    "algorithms/contagion.py",
    "algorithms/cross_sell.py",
    "algorithms/events.py",
    "algorithms/groups.py",
)


def _keys(path: str) -> list[str]:
    return [
        str(message)
        for _, message, _, _ in extract_from_file("python", str(ROOT / path))
        if isinstance(message, str)
    ]


def _placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in Formatter().parse(text) if name}


@pytest.mark.parametrize("path", MESSAGE_SOURCES)
def test_every_key_has_both_translations_with_its_placeholders(path: str) -> None:
    keys = _keys(path)
    assert keys, f"{path} marks no catalogue key"
    for language in LANGUAGES:
        messages = catalogue(language)
        for key in keys:
            assert messages.get(key), (language, key)
            assert _placeholders(messages[key]) == _placeholders(key), (language, key)
    chinese = catalogue("zh")
    assert all(chinese[key] != key for key in keys if any(c.isalpha() for c in key))


def test_a_stored_message_renders_in_each_language() -> None:
    message = Message(
        N_("strongest tie: {name} ({amount} over {months} months)"),
        {"name": "甲公司", "amount": Money(31_436_000_000, "CNY"), "months": 12},
    )
    stored = to_json([message])
    assert "strongest" in stored  # the key, not a translation
    (back,) = from_json(stored)
    assert back == message
    assert render(back, "en") == "strongest tie: 甲公司 (CNY 314.36M over 12 months)"
    assert render(back, "zh") == "最强关联客户：甲公司（12个月，¥3.14亿）"
    assert params_json(back)["amount"] == {"amount": "314360000.00", "currency": "CNY"}


def test_rewriting_hides_names_but_keeps_figures() -> None:
    message = Message(N_("supplier of core enterprise {name}"), {"name": "乙公司"})
    hidden = rewrite_text(message, lambda text: text.replace("乙公司", "其他分行客户"))
    assert render(hidden, "zh") == "核心企业其他分行客户的供应商"
    counts = Message(N_("linked to {groups} customer groups"), {"groups": 3})
    assert rewrite_text(counts, str.upper) == counts


def test_a_parameter_of_another_type_is_refused() -> None:
    with pytest.raises(ValueError, match="not a message parameter"):
        from_json('[{"key": "k", "params": {"x": 1.5}}]')
