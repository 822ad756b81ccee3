"""The scope crawl (issue 12): no out-of-scope company anywhere in any response.

On the tiny synthetic bank, loaded and computed on a real Neo4j, three users of one
sub-branch (an RM, the sub-branch's manager, a prospecting user) walk **every
operation** of ``/openapi.json``: every list and export in every format, every map
in both languages, and every detail operation over all of the sub-branch's
customers and every id reachable from them (groups, circles, events, prospects,
opportunities, companies and persons named in the responses), until no new id
turns up. Each response (JSON, HTML, CSV, xlsx read with openpyxl, and its headers)
is searched for the id, the name and the USCC of every company booked outside the
sub-branch: the set is computed here, from the generated files (branch tree and
each company's branch), not by the code under test.

It also checks that a filter or a path on an out-of-scope id answers exactly what
the same request on an unknown id answers (same status, same body once the id
itself is replaced), so that no answer confirms that a hidden id exists.
"""

from __future__ import annotations

import csv
import hashlib
import html
import io
import json
import re
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from core.settings import Settings
from graph.database import Database

from .conftest import api_key, cli_env, published, run_cli

#: The test client's response type (httpx's, whichever package provides it).
Response = Any

HOME = "BR-BJ-01"
UNKNOWN_COMPANY = "C9999990"
UNKNOWN_OPAQUE = {
    "group_id": "GRP-0000000000000000",
    "circle_id": "GC-0000000000000000",
    "chain_id": "GCH-0000000000000000",
    "review_id": "RP-0000000000000000",
}
ID_PATTERNS = {
    "group_id": re.compile(r"GRP-[A-Za-z0-9-]+"),
    "circle_id": re.compile(r"GC-[A-Za-z0-9]+"),
    "chain_id": re.compile(r"GCH-[A-Za-z0-9]+"),
    "event_id": re.compile(r"EV-[0-9a-f]{20}"),
    "opportunity_id": re.compile(r"OPP-[0-9a-f]{16}"),
    "review_id": re.compile(r"RP-[0-9a-f]{16}"),
    "company": re.compile(r"(?<![A-Za-z0-9])[CP][0-9]{7}(?![0-9])"),
}
#: Path parameters filled from the pool of ids of the same kind.
POOLS = {
    "customer_id": "customer",
    "company_id": "company",
    "node_id": "company",
    "prospect_id": "prospect",
    "group_id": "group_id",
    "circle_id": "circle_id",
    "chain_id": "chain_id",
    "event_id": "event_id",
    "opportunity_id": "opportunity_id",
    "review_id": "review_id",
}
#: Query parameters that filter by a company id (probed with hidden and unknown ids).
COMPANY_FILTERS = frozenset({"linked_customer", "customer", "company"})
MAX_PER_POOL = 60


# --- the out-of-scope set, from the files ---------------------------------------------------
@dataclass(frozen=True)
class Secrets:
    """What no response to a user of :data:`HOME` may contain."""

    ids: frozenset[str]
    names: frozenset[str]
    usccs: frozenset[str]
    visible_names: frozenset[str]
    in_scope_customers: tuple[str, ...]

    def found_in(self, text: str) -> list[str]:
        """Every secret in ``text`` (names inside a visible company's longer name excepted)."""
        hits = [
            i for i in re.findall(r"(?<![A-Za-z0-9])[CP][0-9]{7}(?![0-9])", text) if i in self.ids
        ]
        hits += [u for u in self.usccs if u in text]
        masked = text
        for name in sorted(self.visible_names, key=len, reverse=True):
            if any(secret in name for secret in self.names):
                masked = masked.replace(name, "\x00")
        hits += [n for n in self.names if n in masked]
        return hits


def read_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def secrets_of(bank: Path, home: str) -> Secrets:
    """Companies booked outside ``home``'s subtree, from branches.csv and companies.csv."""
    children: dict[str, list[str]] = defaultdict(list)
    for row in read_rows(bank / "branches.csv"):
        if row["parent_branch_id"]:
            children[row["parent_branch_id"]].append(row["branch_id"])
    subtree, stack = set(), [home]
    while stack:
        branch = stack.pop()
        subtree.add(branch)
        stack.extend(children[branch])
    hidden: list[dict[str, str]] = []
    visible: list[dict[str, str]] = []
    for row in read_rows(bank / "companies.csv"):
        booked = row["is_customer"] == "true" or bool(row["branch_id"])
        (hidden if booked and row["branch_id"] not in subtree else visible).append(row)
    return Secrets(
        ids=frozenset(r["company_id"] for r in hidden),
        names=frozenset(r["name"] for r in hidden if r["name"]),
        usccs=frozenset(r["uscc"] for r in hidden if r["uscc"]),
        visible_names=frozenset(r["name"] for r in visible if r["name"]),
        in_scope_customers=tuple(
            sorted(r["company_id"] for r in visible if r["is_customer"] == "true")
        ),
    )


# --- fixtures -------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def bank(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("crawl") / "bank"
    run_cli("generate", "--scale", "tiny", "--seed", "5", "--out", str(out), env=cli_env())
    return out


@pytest.fixture(scope="module")
def loaded(database: Database, bank: Path) -> Database:
    from graph.schema import wipe

    wipe(database)
    run_cli("load", str(bank), "--rejects", str(bank.parent / "r.csv"), env=cli_env())
    run_cli("compute", env=cli_env())
    return database


@pytest.fixture(scope="module")
def client(loaded: Database, settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as test_client:
        yield test_client


# --- the crawler ----------------------------------------------------------------------------
def body_text(response: Response) -> str:
    """Everything a person or a program could read in a response, decoded."""
    headers = "\n".join(f"{k}: {v}" for k, v in response.headers.items())
    kind = response.headers.get("content-type", "")
    if "spreadsheetml" in kind:
        from openpyxl import load_workbook  # type: ignore[import-untyped]

        book = load_workbook(io.BytesIO(response.content), read_only=True)
        cells = [
            str(value)
            for sheet in book.worksheets
            for row in sheet.iter_rows(values_only=True)
            for value in row
            if value is not None
        ]
        return headers + "\n" + "\n".join(cells)
    text = response.content.decode("utf-8", "replace")
    # Names in a map page sit in JSON inside HTML: \\uXXXX escapes, HTML entities.
    decoded = html.unescape(
        re.sub(r"\\u([0-9a-fA-F]{4})", lambda m: chr(int(m.group(1), 16)), text)
    )
    return "\n".join((headers, text) if decoded == text else (headers, text, decoded))


@dataclass
class Crawl:
    client: TestClient
    key: str
    secrets: Secrets
    label: str
    pools: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    done: set[tuple[str, str, str]] = field(default_factory=set)
    operations: set[tuple[str, str]] = field(default_factory=set)
    requests: int = 0
    statuses: dict[int, int] = field(default_factory=lambda: defaultdict(int))
    leaks: list[str] = field(default_factory=list)
    scanned: dict[str, list[str]] = field(default_factory=dict)

    def send(
        self,
        method: str,
        template: str,
        url: str,
        *,
        params: dict[str, Any] | None = None,
        body: Any = None,
    ) -> Response | None:
        signature = (method, url, json.dumps([params, body], sort_keys=True, default=str))
        if signature in self.done:
            return None
        self.done.add(signature)
        response = self.client.request(
            method, url, params=params, json=body, headers={"X-API-Key": self.key}
        )
        self.requests += 1
        self.operations.add((method, template))
        self.statuses[response.status_code] += 1
        assert response.status_code < 500, f"{method} {url} {params}: {response.text[:500]}"
        digest = hashlib.sha256(response.content).hexdigest()
        text = body_text(response)
        found = self.scanned.get(digest)
        if found is None:
            found = self.scanned[digest] = self.secrets.found_in(text)
        # An id the request itself carries may come back (``C… not found``): not a leak.
        sent = url + json.dumps([params, body], default=str)
        found = [f for f in found if f not in sent]
        if found:
            self.leaks.append(f"{self.label}: {method} {url} {params} {body}: {sorted(found)[:5]}")
        self.harvest(text, response)
        return response

    def harvest(self, text: str, response: Response) -> None:
        for kind, pattern in ID_PATTERNS.items():
            for found in pattern.findall(text):
                if kind == "company" and found in self.secrets.ids:
                    continue
                self.pools[kind].add(found)
        if response.headers.get("content-type", "").startswith("application/json"):
            data = response.json()
            items = data.get("items", []) if isinstance(data, dict) else []
            if response.url.path.endswith("/prospects"):
                self.pools["prospect"].update(str(i["id"]) for i in items)


def fill(template: str, names: list[str], values: dict[str, str]) -> str:
    url = template
    for name in names:
        url = url.replace("{" + name + "}", values[name])
    return url


def sample_body(method: str, template: str, crawl: Crawl, value: str | None) -> Any:
    """A valid request body for the write operations (``value``: the id it is about)."""
    customer = value or crawl.secrets.in_scope_customers[0]
    if template.endswith("/contagion"):
        return {"company_id": customer, "default_ratio": 0.5}
    if template.endswith("/opportunities") and method == "POST":
        return {"source": "manual", "company_id": customer, "notes": "crawl"}
    if template.endswith("/opportunities/{opportunity_id}"):
        return {"notes": "crawl"}
    if template.endswith("/events/{event_id}") and method == "PATCH":
        return {"status": "acknowledged", "note": "crawl"}
    if template.endswith("/ack"):
        return {"note": "crawl"}
    if template.endswith(("/confirm", "/dismiss")):
        return {"note": "crawl"}
    if template.endswith("/resolution/candidates") and method == "POST":
        return {"candidate_id": "RC-0000000000000000", "judgement": "negative", "reason": "x"}
    return None


def query_variants(operation: dict[str, Any]) -> list[dict[str, Any]]:
    """The defaults, then each enumerated choice of each query parameter (format, lang...)."""
    base: dict[str, Any] = {}
    variants: list[dict[str, Any]] = []
    for p in operation.get("parameters", []):
        if p["in"] != "query":
            continue
        schema = p.get("schema", {})
        if p["name"] in ("from", "to"):
            base[p["name"]] = "2024-01-01" if p["name"] == "from" else "2026-12-31"
        if p["name"] == "max_seconds":
            base[p["name"]] = 0.3
        if p["name"] == "since":
            base[p["name"]] = 0
        options = schema.get("enum") or [
            o for s in schema.get("anyOf", []) for o in s.get("enum", [])
        ]
        variants.extend({p["name"]: o} for o in options if o != schema.get("default"))
    return [base] + [{**base, **v} for v in variants]


def walk(crawl: Crawl, spec: dict[str, Any], hidden: list[str], hidden_groups: list[str]) -> None:
    """Every operation, its variants, and every id reachable, until nothing new turns up."""
    crawl.pools["customer"].update(crawl.secrets.in_scope_customers)
    crawl.pools["company"].update(crawl.secrets.in_scope_customers)
    for _ in range(4):
        before = sum(len(v) for v in crawl.pools.values())
        for template, operations in spec["paths"].items():
            for method, operation in operations.items():
                method = method.upper()
                names = [p["name"] for p in operation.get("parameters", []) if p["in"] == "path"]
                variants = query_variants(operation)
                if not names:
                    for params in variants:
                        crawl.send(
                            method,
                            template,
                            template,
                            params=params,
                            body=sample_body(method, template, crawl, None),
                        )
                    probe_filters(crawl, method, template, operation, hidden, hidden_groups)
                    if template.endswith("/contagion") or (
                        template.endswith("/opportunities") and method == "POST"
                    ):
                        for customer in sorted(crawl.pools["customer"])[:MAX_PER_POOL]:
                            crawl.send(
                                method,
                                template,
                                template,
                                body=sample_body(method, template, crawl, customer),
                            )
                        probe_body(crawl, method, template, hidden)
                    continue
                name = names[0]
                # An empty pool (nothing of the kind in scope) still walks the operation.
                pool = sorted(crawl.pools[POOLS[name]])[:MAX_PER_POOL] or [
                    UNKNOWN_OPAQUE.get(name, UNKNOWN_COMPANY)
                ]
                for value in pool:
                    url = fill(template, names, {name: value})
                    for params in variants:
                        crawl.send(
                            method,
                            template,
                            url,
                            params=params,
                            body=sample_body(method, template, crawl, None),
                        )
                probe_path(crawl, method, template, name, hidden, hidden_groups)
        if sum(len(v) for v in crawl.pools.values()) == before:
            break


def same_answer(
    hidden: Response | None, unknown: Response | None, hidden_id: str, other: str
) -> bool:
    if hidden is None or unknown is None:
        return True
    return bool(hidden.status_code == unknown.status_code) and hidden.text.replace(
        hidden_id, "<id>"
    ) == unknown.text.replace(other, "<id>")


def probe_filters(
    crawl: Crawl,
    method: str,
    template: str,
    operation: dict[str, Any],
    hidden: list[str],
    hidden_groups: list[str],
) -> None:
    """A filter on a hidden id answers exactly like a filter on an unknown id."""
    if method != "GET":
        return
    for p in operation.get("parameters", []):
        if p["in"] != "query":
            continue
        if p["name"] in COMPANY_FILTERS:
            pairs = [(h, UNKNOWN_COMPANY) for h in hidden]
        elif p["name"] == "group":
            pairs = [(g, UNKNOWN_OPAQUE["group_id"]) for g in hidden_groups]
        else:
            continue
        base = query_variants(operation)[0]
        for hidden_id, unknown in pairs:
            a = crawl.send(method, template, template, params={**base, p["name"]: hidden_id})
            b = crawl.send(method, template, template, params={**base, p["name"]: unknown})
            if not same_answer(a, b, hidden_id, unknown):
                crawl.leaks.append(
                    f"{crawl.label}: {template}?{p['name']}={hidden_id} differs from an unknown id"
                )


def probe_path(
    crawl: Crawl,
    method: str,
    template: str,
    name: str,
    hidden: list[str],
    hidden_groups: list[str],
) -> None:
    """A path on a hidden id answers exactly like a path on an unknown id."""
    if name in ("customer_id", "company_id", "node_id"):
        pairs = [(h, UNKNOWN_COMPANY) for h in hidden]
    elif name == "group_id":
        pairs = [(g, UNKNOWN_OPAQUE["group_id"]) for g in hidden_groups]
    else:
        return
    for hidden_id, unknown in pairs:
        body = sample_body(method, template, crawl, None)
        a = crawl.send(method, template, fill(template, [name], {name: hidden_id}), body=body)
        b = crawl.send(method, template, fill(template, [name], {name: unknown}), body=body)
        if not same_answer(a, b, hidden_id, unknown):
            crawl.leaks.append(f"{crawl.label}: {template} on {hidden_id} differs from unknown")


def probe_body(crawl: Crawl, method: str, template: str, hidden: list[str]) -> None:
    for hidden_id in hidden:
        a = crawl.send(
            method, template, template, body=sample_body(method, template, crawl, hidden_id)
        )
        b = crawl.send(
            method, template, template, body=sample_body(method, template, crawl, UNKNOWN_COMPANY)
        )
        if not same_answer(a, b, hidden_id, UNKNOWN_COMPANY):
            crawl.leaks.append(f"{crawl.label}: {template} with {hidden_id} differs from unknown")


HIDDEN_GROUPS = (
    "MATCH (g:Group {run_id: $group_run}) WHERE NOT EXISTS { MATCH (c:Company)-[:MEMBER_OF]->(g) "
    "WHERE c.branch_id IN $branches } RETURN g.group_id AS id ORDER BY id LIMIT 3"
)


#: Hidden customers tied to the sub-branch's prospects: a filter on one of them finds
#: prospects when the filter is not scoped.
HIDDEN_PROSPECT_LINKED = """
MATCH (p:Prospect {run_id: $prospect_run}) WHERE p.suggested_branch_id IN $branches
UNWIND coalesce(p.prospect_linked_customers, []) AS id
RETURN DISTINCT id ORDER BY id
"""
#: Hidden customers tied to the sub-branch's customers by guarantee, supply or payment.
HIDDEN_NEIGHBOURS = """
MATCH (c:Customer)-[:GUARANTEES|SUPPLIES|PAYS]-(o:Customer) WHERE c.branch_id IN $branches
RETURN DISTINCT o.company_id AS id ORDER BY id
"""


def test_bank_links_the_sub_branch_to_other_branches(bank: Path) -> None:
    """The crawl is not vacuous: the sub-branch's customers guarantee, supply, and share
    groups with companies booked elsewhere."""
    secrets = secrets_of(bank, HOME)
    mine = set(secrets.in_scope_customers)
    assert mine
    assert secrets.ids
    crossing = [
        r
        for r in read_rows(bank / "guarantees.csv")
        if {r["guarantor_id"], r["borrower_id"]} & mine
        and {r["guarantor_id"], r["borrower_id"]} & secrets.ids
    ]
    supply = [
        r
        for r in read_rows(bank / "supply_links.csv")
        if set(r.values()) & mine and set(r.values()) & secrets.ids
    ]
    assert crossing or supply, "no link between the sub-branch and another branch"


@pytest.mark.timeout(1800)  # a guard against a hang, not a speed check: ~2,000 requests
def test_scope_crawl_finds_no_out_of_scope_company(
    client: TestClient, loaded: Database, bank: Path
) -> None:
    secrets = secrets_of(bank, HOME)
    spec = client.get("/openapi.json").json()
    all_operations = {(m.upper(), p) for p, ops in spec["paths"].items() for m in ops}
    branches = sorted(
        r["branch_id"]
        for r in read_rows(bank / "branches.csv")
        if r["branch_id"] == HOME or r["parent_branch_id"] == HOME
    )
    hidden_groups = [
        str(r["id"])
        for r in loaded.read(HIDDEN_GROUPS, {"branches": branches, **published(loaded)})
    ]
    # Hidden ids worth probing: tied to the sub-branch's prospects and customers.
    params = {"branches": branches, **published(loaded)}
    by_prospect = [str(r["id"]) for r in loaded.read(HIDDEN_PROSPECT_LINKED, params)]
    by_tie = [str(r["id"]) for r in loaded.read(HIDDEN_NEIGHBOURS, params)]
    linked = [i for i in by_prospect if i in secrets.ids][:3]
    linked += [i for i in by_tie if i in secrets.ids and i not in linked][:3]
    hidden = linked + sorted(secrets.ids - set(linked))[:1]
    assert len(linked) == 6, "too few hidden customers tied to the sub-branch to probe"
    report = []
    leaks: list[str] = []
    missing: list[str] = []
    for role in ("rm", "manager", "prospecting"):
        crawl = Crawl(client, api_key(role, HOME), secrets, role)
        walk(crawl, spec, hidden, hidden_groups)
        missing.extend(f"{role}: {m}" for m in sorted(all_operations - crawl.operations))
        leaks.extend(crawl.leaks)
        report.append(
            f"{role}: {crawl.requests} requests over {len(crawl.operations)} operations, "
            f"statuses {dict(sorted(crawl.statuses.items()))}, pools "
            f"{ {k: len(v) for k, v in sorted(crawl.pools.items())} }"
        )
    print("\nscope crawl:\n" + "\n".join(report))  # noqa: T201 - the coverage figures
    assert not leaks, "\n".join(leaks[:40]) + f"\n({len(leaks)} leaks)"
    assert not missing, f"operations not walked: {missing}"
