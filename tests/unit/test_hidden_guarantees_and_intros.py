"""Hidden guarantee risk and warm introductions: the pure rules (no I/O)."""

from __future__ import annotations

import pytest

from algorithms.hidden_guarantees import HiddenRiskKind, RelatedPair, hidden_guarantee_risk
from algorithms.introductions import IntroPath, warm_introductions
from core.messages import render

FAMILY = "family_of_key_persons"
PERSON = "shared_key_person"
CONTACT = "shared_contact"


def pair(a: str, b: str, *kinds: str) -> RelatedPair:
    return RelatedPair(a, b, frozenset(kinds))


@pytest.mark.parametrize(
    ("kinds", "expected"),
    [
        ({CONTACT}, HiddenRiskKind.SHARED_CONTACTS),
        ({PERSON, CONTACT}, HiddenRiskKind.ONE_PERSON),
        ({FAMILY, PERSON}, HiddenRiskKind.ONE_FAMILY),
        ({FAMILY, "guarantee"}, HiddenRiskKind.ONE_FAMILY),
    ],
)
def test_the_closest_tie_names_the_flag(kinds: set[str], expected: HiddenRiskKind) -> None:
    risk = hidden_guarantee_risk(["A", "B", "C"], [pair("A", "B", *kinds)])
    assert risk is not None
    assert risk.kind is expected


def test_the_closest_tie_over_all_pairs_names_the_flag() -> None:
    risk = hidden_guarantee_risk(["A", "B", "C"], [pair("A", "B", CONTACT), pair("C", "B", FAMILY)])
    assert risk is not None
    assert risk.kind is HiddenRiskKind.ONE_FAMILY
    assert [(p.first, p.second) for p in risk.pairs] == [("A", "B"), ("B", "C")]
    assert risk.related_members == ("A", "B", "C")


def test_ownership_and_guarantee_ties_alone_flag_nothing() -> None:
    related = [pair("A", "B", "equity", "control"), pair("B", "C", "guarantee")]
    assert hidden_guarantee_risk(["A", "B", "C"], related) is None


def test_pairs_with_an_end_outside_the_circle_are_ignored() -> None:
    related = [pair("A", "X", FAMILY), pair("X", "Y", PERSON), pair("A", "A", PERSON)]
    assert hidden_guarantee_risk(["A", "B"], related) is None


def test_a_pair_given_from_both_sides_counts_once_with_both_kinds() -> None:
    risk = hidden_guarantee_risk(["A", "B", "C"], [pair("A", "B", CONTACT), pair("B", "A", PERSON)])
    assert risk is not None
    assert len(risk.pairs) == 1
    assert risk.pairs[0].kinds == frozenset({CONTACT, PERSON})
    assert risk.kind is HiddenRiskKind.ONE_PERSON


def test_the_explanation_names_the_flag_in_both_languages() -> None:
    risk = hidden_guarantee_risk(["A", "B", "C", "D"], [pair("A", "B", FAMILY)])
    assert risk is not None
    assert render(risk.explanation, "en").startswith(
        "Mutual guarantees between companies run by one family: 2 of the 4"
    )
    zh = render(risk.explanation, "zh")
    assert "一个家族" in zh
    assert "2" in zh
    assert "4" in zh


def path(kind: str, *nodes: tuple[str, str], links: tuple[str, ...]) -> IntroPath:
    return IntroPath(kind, nodes, links)


def test_an_introduction_runs_from_the_prospect_to_the_customer() -> None:
    same = path(
        PERSON,
        ("company", "C"),
        ("person", "P"),
        ("company", "X"),
        links=("legal_representative", "director"),
    )
    found = warm_introductions([("C", "X", [same])])
    (intro,) = found["X"]
    assert intro.customer_id == "C"
    assert intro.direct
    assert intro.paths[0].nodes == (("company", "X"), ("person", "P"), ("company", "C"))
    assert intro.paths[0].links == ("director", "legal_representative")


def test_contacts_and_money_are_no_introduction() -> None:
    contact = path(
        CONTACT,
        ("company", "C"),
        ("contact", "phone|1"),
        ("company", "X"),
        links=("phone", "phone"),
    )
    equity = path("equity", ("company", "C"), ("company", "X"), links=("equity",))
    assert warm_introductions([("C", "X", [contact, equity])]) == {}


def test_a_path_that_does_not_join_the_two_companies_is_ignored() -> None:
    stray = path(
        PERSON, ("company", "C"), ("person", "P"), ("company", "Y"), links=("director", "director")
    )
    assert warm_introductions([("C", "X", [stray])]) == {}


def test_one_person_at_both_ranks_before_a_relative_then_more_paths() -> None:
    def family(customer: str, n: int) -> IntroPath:
        return path(
            FAMILY,
            ("company", customer),
            ("person", f"P{n}"),
            ("person", f"Q{n}"),
            ("company", "X"),
            links=("director", "sibling", "legal_representative"),
        )

    direct = path(
        PERSON,
        ("company", "C3"),
        ("person", "P"),
        ("company", "X"),
        links=("director", "supervisor"),
    )
    found = warm_introductions(
        [
            ("C1", "X", [family("C1", 1)]),
            ("C2", "X", [family("C2", 2), family("C2", 3)]),
            ("C3", "X", [direct]),
        ]
    )
    assert [i.customer_id for i in found["X"]] == ["C3", "C2", "C1"]
    assert [i.direct for i in found["X"]] == [True, False, False]
