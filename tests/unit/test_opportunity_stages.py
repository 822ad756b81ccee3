"""Opportunity stage rules and exact amounts (pure, no Neo4j)."""

from __future__ import annotations

import pytest

from core.codes import STAGES
from core.errors import InputValidationError
from graph.opportunities import check_stage_move, parse_money


@pytest.mark.parametrize(
    ("current", "target"),
    [
        ("identified", "contacted"),
        ("contacted", "proposal"),
        ("proposal", "won"),
        ("identified", "lost"),
        ("contacted", "lost"),
        ("proposal", "lost"),
        ("identified", "proposal"),  # a forward skip is allowed and recorded
    ],
)
def test_legal_moves(current: str, target: str) -> None:
    move = check_stage_move(current, target)
    assert (move.from_stage, move.to_stage, move.backwards) == (current, target, False)


@pytest.mark.parametrize(
    ("current", "target"),
    [
        ("won", "proposal"),
        ("won", "lost"),
        ("lost", "identified"),
        ("lost", "won"),
        ("identified", "won"),
        ("contacted", "won"),
        ("proposal", "nowhere"),
    ],
)
def test_illegal_moves_are_422(current: str, target: str) -> None:
    with pytest.raises(InputValidationError) as caught:
        check_stage_move(current, target, reason="because")
    assert caught.value.http_status == 422


def test_moving_back_needs_a_reason() -> None:
    with pytest.raises(InputValidationError):
        check_stage_move("proposal", "contacted")
    with pytest.raises(InputValidationError):
        check_stage_move("proposal", "identified", "   ")
    move = check_stage_move("proposal", "contacted", "the client changed its contact person")
    assert move.backwards


def test_stages_are_in_order() -> None:
    assert STAGES == ("identified", "contacted", "proposal", "won", "lost")


def test_amounts_are_exact_minor_units() -> None:
    assert parse_money("1234567890123.45", "CNY") == (123456789012345, "CNY")
    assert parse_money("10", "rmb") == (1000, "CNY")
    for amount, currency in (("1.234", "CNY"), ("-1", "CNY"), ("abc", "CNY"), ("1", "XXY")):
        with pytest.raises(InputValidationError):
            parse_money(amount, currency)
