"""People and contacts on screens, branch-scoped (issue 16), on the synthetic bank.

A BOLA test: an RM cannot reach a person, contact or related party of a customer
outside their branch through any endpoint or map expansion (the 360, the related
parties, the network and its map page, expanding nodes, neighbour lists, paths). The
expectation is computed from the bank's files, not from the graph: a company is visible
when it is booked nowhere or in the RM's subtree; a person or contact when one of the
companies it is directly tied to is visible.
"""

from __future__ import annotations

import csv
import json
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from core.contacts import ContactKind, contact_key, normalise_contact
from core.settings import Settings
from graph.database import Database
from graph.schema import wipe
from graph.scoping import hidden_company_name

from .conftest import api_key, cli_env, run_cli

pytestmark = pytest.mark.integration

EVERY_TYPE = "OWNS,CONTROLS,SUPPLIES,GUARANTEES,PAYS,KEY_PERSON_OF,FAMILY_OF,HAS_CONTACT"
PEOPLE_KINDS = {"person", "contact"}


def rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def yes(text: str) -> bool:
    return text.strip().lower() in {"true", "1", "yes", "y"}


@dataclass
class Oracle:
    """What the RM of ``home`` may see, from the files alone."""

    home: str
    subtree: set[str]
    companies: dict[str, dict[str, str]]
    anchors: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    key_persons: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    person_names: dict[str, str] = field(default_factory=dict)
    family: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))

    def company_visible(self, company_id: str) -> bool:
        row = self.companies[company_id]
        booked = yes(row["is_customer"]) or bool(row["branch_id"])
        return not booked or row["branch_id"] in self.subtree

    def relatives_shown(self, customer: str, person: str) -> set[str]:
        """The relatives of ``person`` who sit at another company the RM may see."""
        return {
            relative
            for relative in self.family.get(person, ())
            if any(
                relative in self.key_persons[other] and self.company_visible(other)
                for other in self.anchors.get(relative, ())
                if other != customer and other in self.companies
            )
        }

    def visible(self, node_id: str) -> bool:
        if node_id in self.companies:
            return self.company_visible(node_id)
        return any(self.company_visible(c) for c in self.anchors.get(node_id, ()))

    @property
    def hidden_customers(self) -> set[str]:
        return {c for c in self.companies if not self.company_visible(c)}

    @property
    def hidden_people(self) -> set[str]:
        """Persons and contacts tied only to companies the RM may not see."""
        return {n for n in self.anchors if n not in self.companies and not self.visible(n)}


@pytest.fixture(scope="module")
def bank(database: Database, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("people")
    run_cli("generate", "--scale", "tiny", "--seed", "1", "--out", str(out / "bank"), env=cli_env())
    wipe(database)
    run_cli("load", str(out / "bank"), "--rejects", str(out / "rejects.csv"), env=cli_env())
    run_cli("compute", "--engine", "python", "--only", "related_parties", env=cli_env())
    return out / "bank"


@pytest.fixture(scope="module")
def oracle(bank: Path) -> Oracle:
    companies = {r["company_id"]: r for r in rows(bank / "companies.csv")}
    parents = {r["branch_id"]: r["parent_branch_id"] for r in rows(bank / "branches.csv")}
    shared = [r for r in rows(bank / "key_persons.csv") if r["company_id"] in companies]
    seats: dict[str, set[str]] = defaultdict(set)
    for r in shared:
        seats[r["person_id"]].add(r["company_id"])
    leaves = set(parents) - set(parents.values())

    def branch(company_id: str) -> str:
        return companies[company_id]["branch_id"]

    # The RM's branch: a leaf with a customer whose key person also sits at a customer
    # booked at another branch (so that there is something to hide behind a person).
    home = next(
        branch(a)
        for person, at in sorted(seats.items())
        for a in sorted(at)
        for b in sorted(at)
        if branch(a) in leaves
        and yes(companies[a]["is_customer"])
        and yes(companies[b]["is_customer"])
        and branch(b) != branch(a)
    )
    subtree = {home}
    oracle = Oracle(home, subtree, companies)
    for r in shared:
        oracle.anchors[r["person_id"]].add(r["company_id"])
        oracle.key_persons[r["company_id"]].add(r["person_id"])
    for path in sorted(bank.glob("*.csv")):
        table = rows(path)
        if not table:
            continue
        for column in ("owner_id", "controller_id"):
            if column in table[0] and "company_id" in table[0]:
                for r in table:
                    if r[column] not in companies:
                        oracle.anchors[r[column]].add(r["company_id"])
    for r in rows(bank / "company_contacts.csv"):
        kind = ContactKind(r["kind"])
        oracle.anchors[contact_key(kind, normalise_contact(kind, r["value"]))].add(r["company_id"])
    oracle.person_names = {r["person_id"]: r["name"] for r in rows(bank / "persons.csv")}
    for r in rows(bank / "person_relations.csv"):
        oracle.family[r["person_id"]].add(r["related_person_id"])
        oracle.family[r["related_person_id"]].add(r["person_id"])
    return oracle


@pytest.fixture(scope="module")
def client(bank: Path, settings: Settings) -> Any:
    with TestClient(create_app(settings)) as test_client:
        yield test_client


@pytest.fixture(scope="module")
def rm(oracle: Oracle) -> dict[str, str]:
    return {"X-API-Key": api_key("rm", oracle.home, f"rm-people-{oracle.home}")}


def my_customers(oracle: Oracle) -> list[str]:
    return sorted(
        c
        for c, r in oracle.companies.items()
        if yes(r["is_customer"]) and r["branch_id"] in oracle.subtree
    )


def assert_reveals_nothing_hidden(text: str, oracle: Oracle) -> None:
    for company in oracle.hidden_customers:
        assert company not in text, company
        assert oracle.companies[company]["name"] not in text, company
    names: dict[str, int] = defaultdict(int)
    for written in oracle.person_names.values():
        names[written] += 1
    for node in oracle.hidden_people:
        assert f'"{node}"' not in text, node  # an id, a contact key as a node id
        name = oracle.person_names.get(node)
        if name and names[name] == 1:  # a name two persons bear proves nothing
            assert name not in text, (node, name)


def test_the_360_shows_key_persons_and_only_what_the_rm_may_see(
    client: TestClient, oracle: Oracle, rm: dict[str, str]
) -> None:
    placeholders = relatives = 0
    for customer in my_customers(oracle):
        response = client.get(f"/api/v1/customers/{customer}", headers=rm)
        assert response.status_code == 200, response.text
        view = response.json()
        people = view["key_persons"]
        assert {p["person_id"] for p in people} == oracle.key_persons[customer]
        for person in people:
            assert person["role_name"]
            assert person["role_name"] != person["role"]
            for seat in person["other_companies"]:
                if seat["visible"]:
                    assert oracle.company_visible(seat["id"])
                    assert seat["role"] is not None
                else:
                    placeholders += 1
                    assert seat["id"] is None
                    assert seat["role"] is None
                    assert seat["name"] == hidden_company_name("zh")
            assert {r["person_id"] for r in person["family"]} == oracle.relatives_shown(
                customer, person["person_id"]
            )
            for relative in person["family"]:
                relatives += 1
                assert oracle.visible(relative["person_id"])
                assert relative["companies"]
                assert all(
                    c["visible"] and oracle.company_visible(c["id"]) for c in relative["companies"]
                )
        assert_reveals_nothing_hidden(response.text, oracle)
    assert placeholders, "a key person of the RM's customer sits at another branch's customer"
    assert relatives == sum(
        len(oracle.relatives_shown(c, p))
        for c in my_customers(oracle)
        for p in oracle.key_persons[c]
    )


def test_family_ties_show_to_whoever_may_see_both_companies(
    bank: Path, client: TestClient, oracle: Oracle
) -> None:
    """Head office sees the planted family group: each member's relatives and their seats."""
    risk = {"X-API-Key": api_key("risk", "HO", "risk-family")}
    truth = json.loads((bank / "truth.json").read_text(encoding="utf-8"))["related_parties"]
    group = next(g for g in truth["hidden_groups"] if g["ties"] == "family")
    seats: set[str] = set()
    names: set[str] = set()
    for member in group["members"]:
        view = client.get(f"/api/v1/customers/{member}", params={"lang": "en"}, headers=risk)
        assert view.status_code == 200, view.text
        for person in view.json()["key_persons"]:
            for relative in person["family"]:
                names.add(relative["relation_name"])
                seats |= {c["id"] for c in relative["companies"]}
    assert set(group["members"]) <= seats
    assert names <= {"Spouse", "Sibling", "Child", "Parent", "Other family"}, names


def test_an_rm_opens_nothing_of_another_branch_directly(
    client: TestClient, oracle: Oracle, rm: dict[str, str]
) -> None:
    unknown = client.get("/api/v1/nodes/NOPE-0000/network", headers=rm)
    assert unknown.status_code == 404
    hidden_customer = sorted(
        c for c in oracle.hidden_customers if yes(oracle.companies[c]["is_customer"])
    )[0]
    mine = my_customers(oracle)[0]
    hidden_people = sorted(oracle.hidden_people)
    persons = [n for n in hidden_people if n in oracle.person_names][:5]
    contacts = [n for n in hidden_people if "|" in n][:5]
    assert persons
    assert contacts
    for node in [hidden_customer, *persons, *contacts]:
        for url, params in (
            (f"/api/v1/nodes/{node}/network", {"types": EVERY_TYPE}),
            (f"/api/v1/nodes/{node}/neighbours", {"types": EVERY_TYPE}),
            ("/api/v1/paths", {"source": mine, "target": node}),
            ("/api/v1/paths", {"source": node, "target": mine}),
        ):
            response = client.get(url, params=params, headers=rm)
            assert response.status_code == 404, (url, node, response.text)
            assert response.json()["type"] == unknown.json()["type"]
    for url in (
        f"/api/v1/customers/{hidden_customer}",
        f"/api/v1/customers/{hidden_customer}/related",
        f"/api/v1/customers/{hidden_customer}/network?people=true",
    ):
        assert client.get(url, headers=rm).status_code == 404, url


def test_maps_and_their_expansion_follow_people_only_through_visible_companies(
    client: TestClient, oracle: Oracle, rm: dict[str, str]
) -> None:
    risk = {"X-API-Key": api_key("risk", "HO", "risk-people")}
    outside = 0
    seen_people: set[str] = set()
    for customer in my_customers(oracle)[:6]:
        response = client.get(
            f"/api/v1/customers/{customer}/network",
            params={"people": "true", "depth": 2, "limit": 200},
            headers=rm,
        )
        assert response.status_code == 200, response.text
        assert_reveals_nothing_hidden(response.text, oracle)
        nodes = response.json()["nodes"]
        ids = {n["id"] for n in nodes}
        assert oracle.key_persons[customer] <= ids  # the customer's people are on its map
        page = client.get(
            f"/api/v1/customers/{customer}/map", params={"people": "true"}, headers=rm
        )
        assert page.status_code == 200
        assert_reveals_nothing_hidden(page.text, oracle)
        # Expand every person and contact on the map, and what their expansion adds.
        queue = [n["id"] for n in nodes if n["kind"] in PEOPLE_KINDS]
        expanded: set[str] = set()
        while queue and len(expanded) < 40:
            node = queue.pop()
            if node in expanded:
                continue
            expanded.add(node)
            assert oracle.visible(node), node
            for url in (f"/api/v1/nodes/{node}/network", f"/api/v1/nodes/{node}/neighbours"):
                got = client.get(url, params={"types": EVERY_TYPE, "limit": 200}, headers=rm)
                assert got.status_code == 200, (url, got.text)
                assert_reveals_nothing_hidden(got.text, oracle)
            body = client.get(
                f"/api/v1/nodes/{node}/network",
                params={"types": EVERY_TYPE, "limit": 200},
                headers=rm,
            ).json()
            for n in body["nodes"]:
                if n["kind"] == "outside":
                    outside += 1
                elif n["kind"] in PEOPLE_KINDS:
                    queue.append(n["id"])
                    seen_people.add(n["id"])
                elif n["kind"] in {"customer", "non_customer"}:
                    assert oracle.company_visible(n["id"]), n
            # What is hidden from the RM is there for head office: scoping, not missing data.
            behind = {c for c in oracle.anchors.get(node, ()) if not oracle.company_visible(c)}
            if behind:
                everything = client.get(
                    f"/api/v1/nodes/{node}/network",
                    params={"types": EVERY_TYPE, "limit": 200},
                    headers=risk,
                ).json()
                assert behind <= {n["id"] for n in everything["nodes"]}
    assert seen_people
    assert outside, "a person or contact of the RM's customers is tied to another branch"


def test_expand_url_keeps_following_people(
    client: TestClient, oracle: Oracle, rm: dict[str, str]
) -> None:
    customer = my_customers(oracle)[0]
    with_people = client.get(
        f"/api/v1/customers/{customer}/map", params={"people": "true"}, headers=rm
    ).text
    assert "types=OWNS,CONTROLS,SUPPLIES,GUARANTEES,PAYS,KEY_PERSON_OF,FAMILY_OF,HAS_CONTACT" in (
        with_people
    )
    assert '"people_shown": true' in with_people
    network = client.get(f"/api/v1/customers/{customer}/network", headers=rm).json()
    assert not [n for n in network["nodes"] if n["kind"] == "contact"]
    assert not [e for e in network["edges"] if e["relation"] == "KEY_PERSON_OF"]
