"""Default contagion: guarantee calls, threshold defaults and control cross-default."""

from __future__ import annotations

import pytest

from algorithms.contagion import propagate
from algorithms.control import Claim
from algorithms.groups import Exposure
from algorithms.guarantees import GuaranteeEdge
from core.errors import InputValidationError

GUARANTEES = [
    GuaranteeEdge("g1", "G1", "D", 600_00, "CNY"),  # G1 capital 1,000.00: 60% ≥ 50% → defaults
    GuaranteeEdge("g2", "G2", "D", 100_00, "CNY"),  # G2 capital 1,000.00: 10% → pays only
    GuaranteeEdge("g3", "H", "G1", 50_00, "CNY"),  # G1's default calls H (no capital known)
]
DIRECT = {"S": Claim("G1", "S", "majority", "decisive", 80.0)}
OUTSTANDING = {"D": [Exposure("CNY", 0, 900_00)], "S": [Exposure("USD", 0, 7_00)]}
CAPITAL = {"G1": ("CNY", 1_000_00), "G2": ("CNY", 1_000_00)}


def test_guarantee_and_control_channels() -> None:
    result = propagate("D", GUARANTEES, DIRECT, OUTSTANDING, capital=CAPITAL)
    by_id = {a.company_id: a for a in result.affected}
    assert (by_id["G1"].status, by_id["G1"].guarantee_calls) == ("defaulted", (("CNY", 600_00),))
    assert (by_id["G2"].status, by_id["G2"].guarantee_calls) == ("impacted", (("CNY", 100_00),))
    assert by_id["S"].status == "defaulted"
    assert by_id["S"].via == "control"
    assert by_id["S"].path == ("D", "G1", "S")
    assert by_id["H"].path == ("D", "G1", "H")
    assert by_id["H"].status == "impacted"
    assert result.total_calls == (("CNY", 750_00),)
    assert result.total_exposure_at_default == (("CNY", 900_00), ("USD", 7_00))


def test_without_control_and_with_a_higher_threshold() -> None:
    result = propagate(
        "D", GUARANTEES, DIRECT, OUTSTANDING, capital=CAPITAL, control=False, default_ratio=0.7
    )
    assert [(a.company_id, a.status) for a in result.affected] == [
        ("D", "defaulted"),
        ("G1", "impacted"),
        ("G2", "impacted"),
    ]
    with pytest.raises(InputValidationError):
        propagate("D", GUARANTEES, DIRECT, OUTSTANDING, max_rounds=0)
