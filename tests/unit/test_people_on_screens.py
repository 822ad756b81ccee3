"""People and contacts on screens (issue 16): the pure rules, without a database.

Who may see a person or contact on a map, how a family tie reads from the key person's
side, how the 360's key-persons section applies branch scoping to the rows the graph
returns (a stand-in reader answers the three queries), and how people ties are labelled.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any, LiteralString

import pytest

from core.contacts import FamilyRelation, KeyPersonRole
from core.errors import InputValidationError
from graph.branches import BranchScope, BranchTree
from graph.key_persons import (
    READ_KEY_PERSONS,
    READ_OTHER_SEATS,
    READ_RELATIVES,
    read_key_persons,
    relative_is,
)
from graph.maps import MapParty, NeighbourTie
from graph.scoping import hidden_company_name
from visualizations.builder import map_data
from visualizations.model import MapNode, MapSpec
from visualizations.network import (
    NETWORK_TYPES,
    PEOPLE_TYPES,
    NetworkRequest,
    _edge,
    party_visible,
)

pytestmark = pytest.mark.unit

TREE = BranchTree.from_parents({"HO": None, "BJ": "HO", "BJ01": "BJ", "SH": "HO"})
RM_BJ01 = BranchScope.for_home_branch(TREE, "BJ01")
HEAD_OFFICE = BranchScope.for_home_branch(TREE, "HO")


# --- who may see a person or contact -------------------------------------------------------
@pytest.mark.parametrize(
    ("anchors", "visible"),
    [
        (((True, "BJ01"),), True),  # a key person of the RM's own customer
        (((True, "SH"),), False),  # only of another branch's customer
        (((True, "SH"), (False, None)), True),  # also of an unbooked counterparty
        (((False, "SH"),), False),  # a non-customer booked elsewhere is hidden too
        ((), False),  # tied to no company: nothing the RM may see leads to it
    ],
)
def test_a_person_is_visible_only_through_a_visible_company(
    anchors: tuple[tuple[bool, str | None], ...], visible: bool
) -> None:
    person = MapParty("P1", "张三", is_person=True, anchors=anchors)
    contact = MapParty("phone|01088886666", "01088886666", is_contact=True, anchors=anchors)
    assert party_visible(person, RM_BJ01) is visible
    assert party_visible(contact, RM_BJ01) is visible
    # Head office sees every person tied to any company.
    assert party_visible(person, HEAD_OFFICE) is bool(anchors)


def test_a_company_keeps_the_one_scoping_rule() -> None:
    theirs = MapParty("C2", "上海乙公司", is_customer=True, branch_id="SH")
    counterparty = MapParty("C3", "某供应商")
    assert not party_visible(theirs, RM_BJ01)
    assert party_visible(theirs, HEAD_OFFICE)
    assert party_visible(counterparty, RM_BJ01)


# --- what a network request follows ----------------------------------------------------------
def test_people_ties_are_followed_only_when_asked() -> None:
    assert NetworkRequest.parse(1, None, 25).types == NETWORK_TYPES
    with_people = NetworkRequest.parse(1, None, 25, people=True)
    assert with_people.types == NETWORK_TYPES + PEOPLE_TYPES
    chosen = NetworkRequest.parse(1, "owns,key_person_of", 25, people=True)
    assert chosen.types == ("OWNS", "KEY_PERSON_OF", "FAMILY_OF", "HAS_CONTACT")
    with pytest.raises(InputValidationError):
        NetworkRequest.parse(1, "OWNS,KNOWS", 25)


def test_people_ties_are_labelled_by_their_code_lists() -> None:
    person = MapParty("P1", "张三", is_person=True, anchors=((True, "BJ01"),))
    tie = NeighbourTie(
        "C1",
        "KEY_PERSON_OF",
        False,
        person,
        None,
        0,
        None,
        codes=("director", "legal_representative"),
    )
    edge = _edge("C1", tie, "zh")
    assert (edge.source, edge.target, edge.relation) == ("P1", "C1", "KEY_PERSON_OF")
    assert edge.label == "董事、法定代表人"
    assert _edge("C1", tie, "en").label == "Director、Legal representative"


def test_the_map_page_opens_with_people_as_its_spec_says() -> None:
    nodes = (MapNode("C1", "甲", "customer"), MapNode("K1", "深圳南山区", "contact"))
    shown = map_data(MapSpec("x", nodes, ()), language="zh")
    hidden = map_data(MapSpec("x", nodes, (), people_shown=False), language="en")
    assert shown["people_shown"] is True
    assert hidden["people_shown"] is False
    assert shown["text"]["people"] == "人员与联系方式"
    assert hidden["text"]["kinds"]["contact"] == "Contact"


# --- the 360's key persons -----------------------------------------------------------------
@pytest.mark.parametrize(
    ("stored", "forward", "seen"),
    [
        ("parent", True, FamilyRelation.CHILD),
        ("parent", False, FamilyRelation.PARENT),
        ("child", True, FamilyRelation.PARENT),
        ("sibling", True, FamilyRelation.SIBLING),
        ("spouse", False, FamilyRelation.SPOUSE),
    ],
)
def test_a_family_tie_reads_from_the_key_persons_side(
    stored: str, forward: bool, seen: FamilyRelation
) -> None:
    assert relative_is(stored, stored_from_key_person=forward) is seen


class Rows:
    """A stand-in reader: the rows each of the three queries returns."""

    def __init__(self, answers: Mapping[str, list[dict[str, Any]]]) -> None:
        self.answers = answers

    def read(
        self, query: LiteralString, parameters: Mapping[str, Any] | None = None
    ) -> list[dict[str, Any]]:
        return [dict(r) for r in self.answers[query]]

    def read_one(
        self, query: LiteralString, parameters: Mapping[str, Any] | None = None
    ) -> dict[str, Any] | None:
        found = self.read(query, parameters)
        return found[0] if found else None


def seat(person: str, company: str, name: str, branch: str | None, role: str) -> dict[str, Any]:
    return {
        "person_id": person,
        "company_id": company,
        "name": name,
        "is_customer": branch is not None,
        "branch_id": branch,
        "role": role,
        "since": "2020-01-01",
        "until": None,
    }


def relative(
    person: str, rel: str, rel_name: str, relation: str, forward: bool, **seat_of: Any
) -> Any:
    row = seat(person, **seat_of)
    row.update(relative_id=rel, relative_name=rel_name, relation=relation, forward=forward)
    return row


READER = Rows(
    {
        READ_KEY_PERSONS: [
            {
                "person_id": "P2",
                "name": "李四",
                "role": "director",
                "since": None,
                "until": "2020-05-31",
            },
            {
                "person_id": "P1",
                "name": "王五",
                "role": "legal_representative",
                "since": "2019-01-01",
                "until": None,
            },
        ],
        READ_OTHER_SEATS: [
            seat("P1", company="C2", name="上海乙公司", branch="SH", role="director"),
            seat("P1", company="C3", name="北京丙公司", branch="BJ01", role="supervisor"),
        ],
        READ_RELATIVES: [
            # The spouse sits at a company the RM may see, and at one they may not.
            relative(
                "P1",
                "P3",
                "赵六",
                "spouse",
                True,
                company="C3",
                name="北京丙公司",
                branch="BJ01",
                role="executive",
            ),
            relative(
                "P1",
                "P3",
                "赵六",
                "spouse",
                True,
                company="C2",
                name="上海乙公司",
                branch="SH",
                role="director",
            ),
            # The child sits only at another branch's customer: left out whole.
            relative(
                "P1",
                "P4",
                "王小五",
                "parent",
                True,
                company="C2",
                name="上海乙公司",
                branch="SH",
                role="executive",
            ),
        ],
    }
)


def test_key_persons_hide_other_branches_seats_and_relatives_seen_only_there() -> None:
    people = read_key_persons(READER, RM_BJ01, "C1", today=date(2026, 1, 1), language="zh")
    assert [(p.person_id, p.current) for p in people] == [("P1", True), ("P2", False)]
    legal = people[0]
    assert legal.role is KeyPersonRole.LEGAL_REPRESENTATIVE
    assert legal.role_name == "法定代表人"
    visible, hidden = sorted(legal.other_companies, key=lambda c: not c.visible)
    assert (visible.id, visible.name, visible.role) == (
        "C3",
        "北京丙公司",
        KeyPersonRole.SUPERVISOR,
    )
    assert hidden.id is None
    assert hidden.name == hidden_company_name("zh")
    assert hidden.role is None
    assert hidden.since is None
    assert hidden.key.startswith("hidden-")
    assert [(r.person_id, r.relation) for r in legal.family] == [("P3", FamilyRelation.SPOUSE)]
    assert [c.id for c in legal.family[0].companies] == ["C3"]
    text = legal.model_dump_json()
    assert "上海乙公司" not in text
    assert "C2" not in text
    assert "王小五" not in text


def test_head_office_sees_every_seat_and_relative() -> None:
    people = read_key_persons(READER, HEAD_OFFICE, "C1", today=date(2026, 1, 1), language="en")
    legal = people[0]
    assert {c.id for c in legal.other_companies} == {"C2", "C3"}
    family = {r.person_id: r for r in legal.family}
    assert family["P4"].relation is FamilyRelation.CHILD  # stored "P1 is a parent of P4"
    assert family["P4"].relation_name == "Child"
    assert {c.id for c in family["P3"].companies} == {"C2", "C3"}
