"""Suspected related parties on the synthetic bank (issue 16), checked against its files.

The planted hidden groups (no equity tie: one family, one financial controller, or one
office and phone written differently) are found with evidence paths that the input
files confirm; the registration agents' addresses and the accounting firm's phone
link nobody; and an RM sees nothing of a customer outside their branch through
``/customers/{id}/related``.
"""

from __future__ import annotations

import csv
import json
from collections import defaultdict
from pathlib import Path
from typing import Any

import networkx as nx
import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from core.contacts import ContactKind, contact_key, normalise_contact
from core.settings import Settings
from graph.compute_runs import published_runs
from graph.database import Database
from graph.schema import wipe

from .conftest import api_key, cli_env, run_cli

pytestmark = pytest.mark.integration

SUSPICIONS = {"shared_key_person", "family_of_key_persons", "shared_contact"}


def rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def bank(database: Database, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("related")
    run_cli("generate", "--scale", "tiny", "--seed", "1", "--out", str(out / "bank"), env=cli_env())
    wipe(database)
    run_cli("load", str(out / "bank"), "--rejects", str(out / "rejects.csv"), env=cli_env())
    run_cli("compute", "--engine", "python", "--only", "related_parties", env=cli_env())
    return out / "bank"


@pytest.fixture(scope="module")
def truth(bank: Path) -> dict[str, Any]:
    data: dict[str, dict[str, Any]] = json.loads((bank / "truth.json").read_text(encoding="utf-8"))
    return data["related_parties"]


@pytest.fixture(scope="module")
def client(bank: Path, settings: Settings) -> Any:
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def related(client: TestClient, customer: str, key: str) -> Any:
    response = client.get(
        f"/api/v1/customers/{customer}/related",
        params={"limit": 100, "lang": "en"},
        headers={"X-API-Key": key},
    )
    assert response.status_code == 200, response.text
    return response.json()


def confirmed_by_files(bank: Path, evidence: dict[str, Any]) -> bool:
    """Whether the input files (not the graph) say what this evidence path says."""
    nodes = evidence["nodes"]
    start, end = nodes[0]["id"], nodes[-1]["id"]
    roles = {(r["company_id"], r["person_id"]) for r in rows(bank / "key_persons.csv")}
    kind = evidence["kind"]["code"]
    if kind == "shared_key_person":
        person = nodes[1]["id"]
        return (start, person) in roles and (end, person) in roles
    if kind == "family_of_key_persons":
        first, second = nodes[1]["id"], nodes[2]["id"]
        family = {
            frozenset((r["person_id"], r["related_person_id"]))
            for r in rows(bank / "person_relations.csv")
        }
        return (
            (start, first) in roles
            and (end, second) in roles
            and frozenset((first, second)) in family
        )
    if kind == "shared_contact":
        value = nodes[1]["name"]
        written: dict[str, set[str]] = defaultdict(set)
        for r in rows(bank / "company_contacts.csv"):
            kind_of = ContactKind(r["kind"])
            written[r["company_id"]].add(normalise_contact(kind_of, r["value"]))
        return value in written[start] and value in written[end]
    return False


def test_planted_hidden_groups_are_found_with_evidence_the_files_confirm(
    bank: Path, truth: dict[str, Any], client: TestClient
) -> None:
    key = api_key("risk", "HO", "risk-related")
    assert truth["hidden_groups"], "the bank plants hidden groups"
    for group in truth["hidden_groups"]:
        members = set(group["members"])
        linked = nx.Graph()
        linked.add_nodes_from(members)
        for member in members:
            page = related(client, member, key)
            for item in page["items"]:
                other = item["company"]["id"]
                if other not in members:
                    continue
                assert not item["tied_by_ownership"], (member, other)
                suspicions = [e for e in item["evidence"] if e["kind"]["code"] in SUSPICIONS]
                assert suspicions, (member, other)
                for evidence in suspicions:
                    assert evidence["nodes"][0]["id"] == member
                    assert evidence["nodes"][-1]["id"] == other
                    assert confirmed_by_files(bank, evidence), evidence
                counted = {s["kind"]["code"]: s["count"] for s in item["strength"]}
                assert sum(counted.values()) == item["evidence_total"] == len(item["evidence"])
                linked.add_edge(member, other)
        assert nx.is_connected(linked), (group, sorted(linked.edges))


def test_shared_office_group_matches_across_spellings(bank: Path, truth: dict[str, Any]) -> None:
    """The office group's companies wrote one address and one phone differently."""
    group = next(g for g in truth["hidden_groups"] if g["ties"] == "shared_office")
    written = [
        r["value"]
        for r in rows(bank / "company_contacts.csv")
        if r["company_id"] in group["members"] and r["kind"] == "phone"
    ]
    group_phones = {normalise_contact(ContactKind.PHONE, v) for v in written}
    assert len(set(written)) > 1  # the spellings differ...
    shared = [
        p
        for p in group_phones
        if sum(normalise_contact(ContactKind.PHONE, v) == p for v in written)
        == len(group["members"])
    ]
    assert shared  # ...and one normal form is every member's


def test_agent_contacts_link_nobody(
    bank: Path, truth: dict[str, Any], database: Database, settings: Settings
) -> None:
    run = published_runs(database, ("related_parties",)).run_id("related_parties")
    assert run is not None
    paths = [
        path
        for r in database.read(
            "MATCH (s:SuspectedRelation {run_id: $run}) RETURN s.paths AS paths", {"run": run}
        )
        for path in json.loads(r["paths"])
    ]
    contacts_in_paths = {
        node_id for p in paths for kind, node_id in p["nodes"] if kind == "contact"
    }
    assert contacts_in_paths, "shared contacts do link the office group"
    for agent in truth["agent_contacts"]:
        kind = ContactKind(agent["kind"])
        agent_key = contact_key(kind, normalise_contact(kind, agent["value"]))
        # The spellings of the agent's contact all reached one node: the rule had work to do.
        users = database.read_one(
            "MATCH (c:Company)-[:HAS_CONTACT]->(k:Contact {contact_key: $key}) "
            "RETURN count(DISTINCT c) AS n",
            {"key": agent_key},
        )
        assert users is not None
        assert users["n"] == len(agent["companies"])
        assert users["n"] > settings.related_party_max_companies_per_contact
        assert agent_key not in contacts_in_paths, agent


def test_an_rm_reaches_nothing_of_a_customer_outside_their_branch(
    bank: Path, truth: dict[str, Any], client: TestClient
) -> None:
    companies = {r["company_id"]: r for r in rows(bank / "companies.csv")}
    parents = {r["branch_id"]: r["parent_branch_id"] for r in rows(bank / "branches.csv")}
    leaves = set(parents) - set(parents.values())
    # A hidden-group member booked at a sub-branch, with a fellow member booked elsewhere.
    home, mine, theirs = next(
        (companies[a]["branch_id"], a, b)
        for g in truth["hidden_groups"]
        for a in g["members"]
        for b in g["members"]
        if companies[a]["branch_id"] in leaves
        and companies[b]["branch_id"] != companies[a]["branch_id"]
    )
    key = api_key("rm", home, f"rm-related-{home}")
    headers = {"X-API-Key": key}

    # The other branch's customer: 404, exactly like an id that does not exist.
    hidden = client.get(f"/api/v1/customers/{theirs}/related", headers=headers)
    unknown = client.get("/api/v1/customers/C9999999/related", headers=headers)
    assert hidden.status_code == unknown.status_code == 404
    assert hidden.json()["type"] == unknown.json()["type"]

    # Through the RM's own customer: the other branch's customer is a placeholder, and so is
    # every person and contact that only it would reveal.
    page = related(client, mine, key)
    text = json.dumps(page, ensure_ascii=False)
    assert theirs not in text
    assert companies[theirs]["name"] not in text
    placeholders = [i for i in page["items"] if not i["company"]["visible"]]
    assert placeholders
    their_people = {
        r["person_id"] for r in rows(bank / "key_persons.csv") if r["company_id"] == theirs
    }
    my_people = {r["person_id"] for r in rows(bank / "key_persons.csv") if r["company_id"] == mine}
    for item in placeholders:
        assert item["company"]["id"] is None
        for evidence in item["evidence"]:
            last = evidence["nodes"][-1]
            assert last["id"] is None
            assert not last["visible"]
            for node in evidence["nodes"][1:-1]:
                if node["kind"] == "person" and node["id"] is not None:
                    assert node["id"] in my_people  # seen through the RM's own customer
    for person in their_people - my_people:
        assert person not in text
