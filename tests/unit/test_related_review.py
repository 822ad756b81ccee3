"""The related-party review's pure parts: the pair's id, the relation seen from the other
side, and the connected exposure that counts each company once."""

from __future__ import annotations

from algorithms.groups import Exposure
from algorithms.related_parties import Evidence, EvidenceKind, PathNode, SuspectedRelation
from core.judgements import RelatedVerdict, candidate_id, related_pair_id
from graph.interdependence_store import CompanyFacilities
from graph.related_parties import StoredEvidence, StoredRelation
from graph.related_review import reversed_relation
from services.related_parties import relation_rows
from services.related_review import exposures_once


def test_the_pair_id_names_the_unordered_pair_and_nothing_else() -> None:
    assert related_pair_id("C1", "C2") == related_pair_id("C2", "C1")
    assert related_pair_id("C1", "C2") != related_pair_id("C1", "C3")
    # Not an entity-resolution candidate id: the two reviews never share a key.
    assert related_pair_id("C1", "C2")[3:] != candidate_id("C1", "C2")[3:]
    assert {v.value for v in RelatedVerdict} == {"confirmed", "dismissed"}


def test_both_directions_of_a_pair_of_customers_are_one_review_item() -> None:
    path = (PathNode("company", "A"), PathNode("person", "P"), PathNode("company", "B"))
    forward = Evidence(EvidenceKind.SHARED_KEY_PERSON, path, ("director", "supervisor"))
    backward = Evidence(forward.kind, path[::-1], forward.links[::-1])
    rows = relation_rows(
        [SuspectedRelation("A", "B", (forward,)), SuspectedRelation("B", "A", (backward,))]
    )
    assert rows[0]["pair_id"] != rows[1]["pair_id"]
    assert rows[0]["review_id"] == rows[1]["review_id"] == related_pair_id("A", "B")


def test_a_relation_seen_from_the_other_company_runs_its_paths_backwards() -> None:
    relation = StoredRelation(
        other_id="B",
        strength={"family_of_key_persons": 1},
        evidence_total=1,
        tied_by_ownership=False,
        evidence=(
            StoredEvidence(
                "family_of_key_persons",
                (("company", "A"), ("person", "P1"), ("person", "P2"), ("company", "B")),
                ("director", "spouse", "legal_representative"),
            ),
        ),
        review_id="RP-0123456789abcdef",
    )
    back = reversed_relation(relation, "A")
    assert back.other_id == "A"
    assert back.evidence[0].nodes[0] == ("company", "B")
    assert back.evidence[0].links == ("legal_representative", "spouse", "director")
    assert (back.strength, back.review_id) == (relation.strength, relation.review_id)


def test_connected_exposure_counts_each_company_once() -> None:
    member = CompanyFacilities("G1", True, "CNY", 2_000_000_00, 1_000_000_00)
    related = CompanyFacilities("X1", True, "CNY", 450_000_00, 320_000_75)
    related_usd = CompanyFacilities("X1", True, "USD", 10_00, 5_00)
    no_facility = CompanyFacilities("X2", False, None, 0, 0)
    # X1 is connected both by interdependence and by a confirmed link: counted once.
    once = exposures_once([member, related, related_usd, related, no_facility])
    assert once == (
        Exposure("CNY", 2_450_000_00, 1_320_000_75),
        Exposure("USD", 10_00, 5_00),
    )
    assert exposures_once([member]) == (Exposure("CNY", 2_000_000_00, 1_000_000_00),)
