"""Key persons, family ties, contacts and suspected related parties: all their Cypher.

Loading writes ``(:Person)-[:KEY_PERSON_OF {role}]->(:Company)``,
``(:Person)-[:FAMILY_OF {relation}]->(:Person)`` and
``(:Company)-[:HAS_CONTACT {kind, value}]->(:Contact {contact_key})``: one ``Contact``
node per normal form, so companies sharing an address share the node. Key persons
reuse the ``Person`` nodes of shareholders and controllers (the same ``person_id``).

The compute step (:mod:`services.related_parties`) reads the ties, and writes one
``(:SuspectedRelation {run_id, pair_id, customer_id, other_id})`` per customer and
suspected party under its run id, with the evidence paths as JSON text (a list of
paths is not a Neo4j property type). The API reads them through :func:`read_related`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Final, LiteralString

from core.contacts import CompanyTie, ContactTie, FamilyTie, KeyPersonTie
from core.errors import NotFoundError
from core.judgements import RelatedVerdict

from .branches import BranchScope, scope_predicate
from .database import Database, Reader

# --- loading -----------------------------------------------------------------------------
# A key person missing from the persons file is created with the name given here; a
# name from the persons file (loaded first) is never overwritten.
UPSERT_KEY_PERSONS: Final[LiteralString] = """
UNWIND $rows AS row
MATCH (c:Company {company_id: row.company_id})
MERGE (p:Person {person_id: row.person_id})
SET p.name = coalesce(p.name, row.person_name)
MERGE (p)-[r:KEY_PERSON_OF {role: row.role}]->(c)
SET r.since = row.since, r.until = row.until
"""

UPSERT_PERSON_RELATIONS: Final[LiteralString] = """
UNWIND $rows AS row
MATCH (a:Person {person_id: row.person_id})
MATCH (b:Person {person_id: row.related_person_id})
MERGE (a)-[r:FAMILY_OF]->(b)
SET r.relation = row.relation
"""

UPSERT_COMPANY_CONTACTS: Final[LiteralString] = """
UNWIND $rows AS row
MATCH (c:Company {company_id: row.company_id})
MERGE (k:Contact {contact_key: row.contact_key})
SET k.kind = row.contact_family, k.value = row.normalised
MERGE (c)-[r:HAS_CONTACT {kind: row.kind, value: row.value}]->(k)
"""

# --- the compute step's inputs -------------------------------------------------------------
# Read as one column of lists (:meth:`Database.read_columns`: one record for tens of
# thousands of rows; a list keeps a null value in its place).
READ_CUSTOMERS: Final[LiteralString] = "MATCH (c:Customer) RETURN [c.company_id] AS tie"
READ_KEY_PERSONS: Final[LiteralString] = (
    "MATCH (p:Person)-[r:KEY_PERSON_OF]->(c:Company) "
    "WHERE r.until IS NULL OR r.until >= $as_of "
    "RETURN [c.company_id, p.person_id, r.role] AS tie"
)
READ_FAMILY: Final[LiteralString] = (
    "MATCH (a:Person)-[r:FAMILY_OF]->(b:Person) "
    "RETURN [a.person_id, b.person_id, r.relation] AS tie"
)
READ_CONTACTS: Final[LiteralString] = (
    "MATCH (c:Company)-[r:HAS_CONTACT]->(k:Contact) "
    "RETURN DISTINCT [c.company_id, k.contact_key, r.kind] AS tie"
)
#: Relationship type → kind of tie (the allowlist of ties read as corroboration).
COMPANY_TIE_TYPES: Final[dict[str, str]] = {
    "OWNS": "equity",
    "CONTROLS": "control",
    "GUARANTEES": "guarantee",
}
READ_COMPANY_TIES: Final[LiteralString] = (
    "MATCH (a:Company)-[r:OWNS|CONTROLS|GUARANTEES]->(b:Company) "
    "RETURN DISTINCT [a.company_id, b.company_id, type(r)] AS tie"
)
_TIE: Final[tuple[LiteralString]] = ("tie",)


@dataclass(frozen=True)
class RelatedPartyInputs:
    """Everything the algorithm reads."""

    customers: tuple[str, ...]
    key_persons: tuple[KeyPersonTie, ...]
    family: tuple[FamilyTie, ...]
    contacts: tuple[ContactTie, ...]
    company_ties: tuple[CompanyTie, ...]


def read_inputs(db: Database, *, as_of: date) -> RelatedPartyInputs:
    """The ties the related-party algorithm reads; roles ended before ``as_of`` are left out."""

    def ties(query: LiteralString, parameters: dict[str, Any] | None = None) -> list[list[Any]]:
        rows: list[list[Any]] = db.read_columns(query, _TIE, parameters)["tie"]
        return rows

    return RelatedPartyInputs(
        customers=tuple(str(company_id) for (company_id,) in ties(READ_CUSTOMERS)),
        key_persons=tuple(
            KeyPersonTie(str(company_id), str(person_id), str(role))
            for company_id, person_id, role in ties(READ_KEY_PERSONS, {"as_of": as_of})
        ),
        family=tuple(
            FamilyTie(str(person_id), str(related_id), str(relation))
            for person_id, related_id, relation in ties(READ_FAMILY)
        ),
        contacts=tuple(
            ContactTie(str(company_id), str(contact_key), str(kind))
            for company_id, contact_key, kind in ties(READ_CONTACTS)
        ),
        company_ties=tuple(
            CompanyTie(str(from_id), str(to_id), COMPANY_TIE_TYPES[str(rel_type)])
            for from_id, to_id, rel_type in ties(READ_COMPANY_TIES)
        ),
    )


# --- the compute step's results ------------------------------------------------------------
WRITE_RELATIONS: Final[LiteralString] = """
UNWIND $rows AS row
MERGE (s:SuspectedRelation {pair_id: row.pair_id, run_id: $run_id})
SET s.customer_id = row.customer_id, s.other_id = row.other_id, s.review_id = row.review_id,
    s.evidence_kinds = row.evidence_kinds, s.evidence_counts = row.evidence_counts,
    s.evidence_total = row.evidence_total, s.tied_by_ownership = row.tied_by_ownership,
    s.rank = row.rank, s.paths = row.paths
"""


def write_relations(db: Database, run_id: str, rows: Sequence[dict[str, Any]]) -> None:
    """Store suspected relations under ``run_id`` (idempotent: MERGE on pair and run).

    Each row has ``pair_id``, ``customer_id``, ``other_id``, ``review_id`` (the
    unordered pair's stable id, :func:`core.judgements.related_pair_id`), ``evidence_kinds`` and
    ``evidence_counts`` (parallel lists), ``evidence_total``, ``tied_by_ownership``,
    ``rank`` and ``paths`` (JSON text: ``[{kind, nodes: [[kind, id]...], links}]``).
    """
    db.write_rows(WRITE_RELATIONS, rows, extra_parameters={"run_id": run_id})


# --- the API's read -----------------------------------------------------------------------
READ_CUSTOMER_IN_SCOPE: Final[LiteralString] = (
    "MATCH (c:Customer {company_id: $id}) WHERE "
    + scope_predicate("c")
    + " RETURN c.company_id AS id, c.name AS name"
)
# Suspected and not yet decided: a pair with a review decision (graph.related_review) is
# listed with its decision instead.
_UNDECIDED: Final[LiteralString] = (
    "MATCH (s:SuspectedRelation {run_id: $run_id, customer_id: $id}) "
    "WHERE NOT EXISTS { MATCH (l:RelatedPartyLink {review_id: s.review_id}) } "
)
COUNT_RELATED: Final[LiteralString] = _UNDECIDED + "RETURN count(s) AS total"
READ_RELATED: Final[LiteralString] = (
    _UNDECIDED + "RETURN s.review_id AS review_id, s.other_id AS other_id, "
    "s.evidence_kinds AS evidence_kinds, s.evidence_counts AS evidence_counts, "
    "s.evidence_total AS evidence_total, "
    "s.tied_by_ownership AS tied_by_ownership, s.paths AS paths "
    "ORDER BY s.rank SKIP $offset LIMIT $limit"
)
READ_PERSON_NAMES: Final[LiteralString] = (
    "UNWIND $ids AS id MATCH (p:Person {person_id: id}) RETURN p.person_id AS id, p.name AS name"
)
READ_CONTACT_VALUES: Final[LiteralString] = (
    "UNWIND $keys AS key MATCH (k:Contact {contact_key: key}) "
    "RETURN k.contact_key AS key, k.value AS value"
)


@dataclass(frozen=True)
class StoredEvidence:
    """One evidence path as stored: node kinds and ids, and the links between them."""

    kind: str
    nodes: tuple[tuple[str, str], ...]
    links: tuple[str, ...]


@dataclass(frozen=True)
class StoredRelation:
    """One suspected related party of a customer, as stored by a run (unscoped ids)."""

    other_id: str
    strength: dict[str, int]
    evidence_total: int
    tied_by_ownership: bool
    evidence: tuple[StoredEvidence, ...]
    review_id: str | None = None  # the pair's id in the review (core.judgements.related_pair_id)


@dataclass(frozen=True)
class RelatedPage:
    """A page of a customer's suspected related parties, with the names its paths need."""

    customer_id: str
    customer_name: str
    total: int
    relations: tuple[StoredRelation, ...]
    person_names: dict[str, str]
    contact_values: dict[str, str]


def stored_relation(row: Mapping[str, Any]) -> StoredRelation:
    """A stored relation from a row with ``other_id``, the evidence lists and ``paths`` (JSON)."""
    paths = json.loads(str(row["paths"]))
    return StoredRelation(
        other_id=str(row["other_id"]),
        strength=dict(zip(row["evidence_kinds"], row["evidence_counts"], strict=True)),
        evidence_total=int(row["evidence_total"]),
        tied_by_ownership=bool(row["tied_by_ownership"]),
        evidence=tuple(
            StoredEvidence(
                str(p["kind"]),
                tuple((str(k), str(i)) for k, i in p["nodes"]),
                tuple(str(link) for link in p["links"]),
            )
            for p in paths
        ),
        review_id=str(row["review_id"]) if row.get("review_id") is not None else None,
    )


def _ids_of(relations: Iterable[StoredRelation], kind: str) -> list[str]:
    return sorted({i for r in relations for e in r.evidence for k, i in e.nodes if k == kind})


def read_path_names(
    db: Reader, relations: Sequence[StoredRelation]
) -> tuple[dict[str, str], dict[str, str]]:
    """The names of the persons and the values of the contacts on the relations' paths."""
    persons = {
        str(r["id"]): str(r["name"] or "")
        for r in db.read(READ_PERSON_NAMES, {"ids": _ids_of(relations, "person")})
    }
    contacts = {
        str(r["key"]): str(r["value"] or "")
        for r in db.read(READ_CONTACT_VALUES, {"keys": _ids_of(relations, "contact")})
    }
    return persons, contacts


def read_related(
    db: Reader,
    scope: BranchScope,
    customer_id: str,
    run_id: str | None,
    *,
    limit: int,
    offset: int,
) -> RelatedPage:
    """A page of the suspected related parties of ``customer_id`` in run ``run_id``.

    Pairs with a review decision are left out: :mod:`graph.related_review` lists them.

    The ids are not scoped here: the caller applies :class:`graph.scoping.Anonymiser`.

    Raises
    ------
    NotFoundError
        Unknown id, not a customer, or booked outside the caller's subtree.
    """
    customer = db.read_one(READ_CUSTOMER_IN_SCOPE, {"id": customer_id, **scope.parameters()})
    if customer is None:
        raise NotFoundError(f"customer {customer_id} not found")
    if run_id is None:
        return RelatedPage(customer_id, str(customer["name"] or ""), 0, (), {}, {})
    params = {"id": customer_id, "run_id": run_id}
    counted = db.read_one(COUNT_RELATED, params)
    rows = db.read(READ_RELATED, {**params, "limit": limit, "offset": offset})
    relations = tuple(stored_relation(r) for r in rows)
    persons, contacts = read_path_names(db, relations)
    return RelatedPage(
        customer_id,
        str(customer["name"] or ""),
        int(counted["total"]) if counted else 0,
        relations,
        persons,
        contacts,
    )


# --- reads of other features: hidden guarantee risk, warm introductions --------------------
#: Pairs a reviewer dismissed are not related: they flag and introduce nothing.
_NOT_DISMISSED: Final[LiteralString] = (
    "AND NOT EXISTS { MATCH (l:RelatedPartyLink {review_id: s.review_id, status: $dismissed}) } "
)
_DISMISSED: Final = RelatedVerdict.DISMISSED.value
READ_RELATIONS_AMONG: Final[LiteralString] = (
    "MATCH (s:SuspectedRelation {run_id: $run_id}) "
    "WHERE s.customer_id IN $ids AND s.other_id IN $ids "
    + _NOT_DISMISSED
    + "RETURN s.customer_id AS customer_id, s.other_id AS other_id, "
    "s.evidence_kinds AS evidence_kinds, s.evidence_counts AS evidence_counts, "
    "s.evidence_total AS evidence_total, s.tied_by_ownership AS tied_by_ownership, "
    "s.paths AS paths ORDER BY s.customer_id, s.rank"
)
#: Relations of customers to the given companies, with evidence of one of ``$kinds``.
READ_RELATIONS_TO: Final[LiteralString] = (
    "MATCH (s:SuspectedRelation {run_id: $run_id}) "
    "WHERE s.other_id IN $ids AND any(k IN s.evidence_kinds WHERE k IN $kinds) "
    + _NOT_DISMISSED
    + "RETURN s.customer_id AS customer_id, s.other_id AS other_id, "
    "s.evidence_kinds AS evidence_kinds, s.evidence_counts AS evidence_counts, "
    "s.evidence_total AS evidence_total, s.tied_by_ownership AS tied_by_ownership, "
    "s.paths AS paths ORDER BY s.other_id, s.rank"
)


@dataclass(frozen=True)
class RelationsFound:
    """Stored relations as ``(customer_id, relation)``, with the names their paths need."""

    relations: tuple[tuple[str, StoredRelation], ...]
    person_names: dict[str, str]
    contact_values: dict[str, str]


def _found(db: Reader, rows: Iterable[dict[str, Any]]) -> RelationsFound:
    relations = tuple((str(r["customer_id"]), stored_relation(r)) for r in rows)
    stored = [r for _, r in relations]
    return RelationsFound(
        relations,
        {
            str(r["id"]): str(r["name"] or "")
            for r in db.read(READ_PERSON_NAMES, {"ids": _ids_of(stored, "person")})
        },
        {
            str(r["key"]): str(r["value"] or "")
            for r in db.read(READ_CONTACT_VALUES, {"keys": _ids_of(stored, "contact")})
        },
    )


def read_relations_among(db: Reader, run_id: str | None, ids: Iterable[str]) -> RelationsFound:
    """The suspected relations of run ``run_id`` between two companies of ``ids`` (unscoped).

    A pair of two customers comes once from each side. Nothing before the first run.
    """
    wanted = sorted(set(ids))
    if run_id is None or len(wanted) < 2:
        return RelationsFound((), {}, {})
    return _found(
        db,
        db.read(READ_RELATIONS_AMONG, {"run_id": run_id, "ids": wanted, "dismissed": _DISMISSED}),
    )


def read_relations_to(
    db: Reader, run_id: str | None, ids: Iterable[str], kinds: Iterable[str]
) -> RelationsFound:
    """The suspected relations of run ``run_id`` of a customer to one of ``ids`` with
    evidence of one of ``kinds`` (unscoped). Nothing before the first run."""
    wanted = sorted(set(ids))
    if run_id is None or not wanted:
        return RelationsFound((), {}, {})
    parameters = {
        "run_id": run_id,
        "ids": wanted,
        "kinds": sorted(kinds),
        "dismissed": _DISMISSED,
    }
    return _found(db, db.read(READ_RELATIONS_TO, parameters))
