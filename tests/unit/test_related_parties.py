"""The suspected-related-party rule: evidence kinds, paths, the agent rule, scoping of paths."""

from __future__ import annotations

import pytest

from algorithms.related_parties import (
    CompanyTie,
    ContactTie,
    EvidenceKind,
    FamilyTie,
    KeyPersonTie,
    RelatedPartiesResult,
    suspected_related_parties,
)
from services.related_parties import link_list, relation_rows, visible_nodes

pytestmark = pytest.mark.unit


def run(
    customers: set[str],
    key_persons: list[KeyPersonTie] = [],  # noqa: B006 - never mutated
    family: list[FamilyTie] = [],  # noqa: B006
    contacts: list[ContactTie] = [],  # noqa: B006
    company_ties: list[CompanyTie] = [],  # noqa: B006
    limit: int = 8,
) -> RelatedPartiesResult:
    return suspected_related_parties(
        customers=customers,
        key_persons=key_persons,
        family=family,
        contacts=contacts,
        company_ties=company_ties,
        max_companies_per_contact=limit,
    )


def pairs(result: RelatedPartiesResult) -> set[tuple[str, str]]:
    return {(r.customer_id, r.other_id) for r in result.relations}


def test_shared_key_person_links_both_ways_with_the_path() -> None:
    result = run(
        {"A", "B"},
        key_persons=[
            KeyPersonTie("A", "P", "financial_controller"),
            KeyPersonTie("B", "P", "financial_controller"),
            KeyPersonTie("B", "P", "director"),  # a second role is not a second piece
        ],
    )
    assert pairs(result) == {("A", "B"), ("B", "A")}
    a_to_b = next(r for r in result.relations if r.customer_id == "A")
    assert a_to_b.strength == {"shared_key_person": 1}
    [evidence] = a_to_b.evidence
    assert [(n.kind, n.id) for n in evidence.nodes] == [
        ("company", "A"),
        ("person", "P"),
        ("company", "B"),
    ]
    assert len(evidence.links) == 2
    b_to_a = next(r for r in result.relations if r.customer_id == "B")
    assert [n.id for n in b_to_a.evidence[0].nodes] == ["B", "P", "A"]


def test_family_of_key_persons_links_their_companies_not_their_own() -> None:
    result = run(
        {"A", "B"},
        key_persons=[
            KeyPersonTie("A", "P1", "legal_representative"),
            KeyPersonTie("A", "P3", "supervisor"),
            KeyPersonTie("B", "P2", "legal_representative"),
        ],
        family=[
            FamilyTie("P1", "P2", "sibling"),
            FamilyTie("P2", "P1", "sibling"),  # the same tie written both ways counts once
            FamilyTie("P1", "P3", "spouse"),  # inside one company: ties no two companies
        ],
    )
    assert pairs(result) == {("A", "B"), ("B", "A")}
    relation = next(r for r in result.relations if r.customer_id == "B")
    assert relation.strength == {"family_of_key_persons": 1}
    assert [n.id for n in relation.evidence[0].nodes] == ["B", "P2", "P1", "A"]
    assert relation.evidence[0].links == ("legal_representative", "sibling", "legal_representative")


def test_a_family_of_persons_who_run_nothing_links_nobody() -> None:
    result = run(
        {"A"},
        key_persons=[KeyPersonTie("A", "P1", "director")],
        family=[FamilyTie("P1", "P9", "child")],
    )
    assert result.relations == ()


def test_the_agent_rule_excludes_contacts_of_more_companies_than_the_threshold() -> None:
    at_limit = [ContactTie(f"C{i}", "address|a", "registered_address") for i in range(3)]
    past_limit = [ContactTie(f"D{i}", "phone|p", "phone") for i in range(4)]
    result = run({"C0", "D0"}, contacts=at_limit + past_limit, limit=3)
    assert pairs(result) == {("C0", "C1"), ("C0", "C2")}
    assert [(e.contact_key, e.companies) for e in result.excluded_contacts] == [("phone|p", 4)]


def test_registered_and_office_address_of_one_company_count_once() -> None:
    result = run(
        {"A"},
        contacts=[
            ContactTie("A", "address|x", "registered_address"),
            ContactTie("A", "address|x", "office_address"),
            ContactTie("B", "address|x", "office_address"),
        ],
        limit=2,
    )
    [relation] = result.relations
    assert relation.strength == {"shared_contact": 1}
    assert result.excluded_contacts == ()


def test_company_ties_corroborate_but_never_make_a_suspicion() -> None:
    ties = [
        CompanyTie("A", "B", "equity"),
        CompanyTie("B", "A", "guarantee"),
        CompanyTie("A", "C", "control"),
    ]
    result = run(
        {"A"},
        key_persons=[KeyPersonTie("A", "P", "director"), KeyPersonTie("B", "P", "director")],
        company_ties=ties,
    )
    [relation] = result.relations  # C is tied by control only: not suspected
    assert relation.other_id == "B"
    assert relation.strength == {"equity": 1, "guarantee": 1, "shared_key_person": 1}
    assert relation.tied_by_ownership
    guarantee = next(e for e in relation.evidence if e.kind is EvidenceKind.GUARANTEE)
    assert [n.id for n in guarantee.nodes] == ["A", "B"]  # oriented from the customer
    hidden = run(
        {"A"},
        key_persons=[KeyPersonTie("A", "P", "director"), KeyPersonTie("B", "P", "director")],
        company_ties=[CompanyTie("B", "A", "guarantee")],
    )
    assert not hidden.relations[0].tied_by_ownership  # a guarantee is no ownership


def test_pairs_of_non_customers_are_not_computed_and_order_is_by_strength() -> None:
    result = run(
        {"A"},
        key_persons=[
            KeyPersonTie("A", "P", "director"),
            KeyPersonTie("X", "P", "director"),
            KeyPersonTie("Y", "P", "director"),
            KeyPersonTie("Y", "Q", "director"),
            KeyPersonTie("A", "Q", "director"),
        ],
        contacts=[ContactTie("A", "phone|1", "phone"), ContactTie("Y", "phone|1", "phone")],
    )
    assert [(r.customer_id, r.other_id) for r in result.relations] == [("A", "Y"), ("A", "X")]
    assert result.relations[0].strength == {"shared_contact": 1, "shared_key_person": 2}


def test_rows_keep_strength_and_paths() -> None:
    result = run(
        {"A"}, key_persons=[KeyPersonTie("A", "P", "director"), KeyPersonTie("B", "P", "other")]
    )
    [row] = relation_rows(result.relations)
    assert row["pair_id"] == "A|B"
    assert row["evidence_total"] == 1
    assert '"nodes": [["company", "A"], ["person", "P"], ["company", "B"]]' in row["paths"]


def test_persons_and_contacts_are_seen_only_through_visible_companies() -> None:
    family = [("company", "A"), ("person", "P1"), ("person", "P2"), ("company", "B")]
    assert visible_nodes(family, lambda c: c == "A") == [True, True, False, False]
    assert visible_nodes(family, lambda c: True) == [True, True, True, True]
    assert visible_nodes(family, lambda c: False) == [False, False, False, False]
    shared = [("company", "A"), ("contact", "k"), ("company", "B")]
    assert visible_nodes(shared, lambda c: c == "A") == [True, True, False]
    assert link_list(shared, ["phone", "phone"]) == [
        ("contact_kind", "phone"),
        ("contact_kind", "phone"),
    ]
