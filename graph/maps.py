"""Reads behind the relationship maps: a party, its neighbours, its stakes, paths.

Every query starts from a company, person or contact id through the ``company_id`` /
``person_id`` / ``contact_key`` uniqueness constraints (a ``UNION`` of index seeks,
since an id names one of them), and filters relationship types against ``$types``,
which callers take from the allowlists :data:`MAP_RELATIONS` (ties between companies,
and persons as shareholders and controllers) and :data:`PEOPLE_RELATIONS` (key
persons, family ties and shared contacts). The rows come back as frozen dataclasses;
scoping (who is a placeholder) is the caller's, since the same party may be shown or
hidden depending on who asks. For that, a person or contact carries its *anchors*:
the distinct bookings (customer or not, branch) of the companies it is directly tied
to, since a person or contact is visible only through a company the caller may see.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, Literal, LiteralString

from .database import Database

MapRelation = Literal[
    "OWNS",
    "CONTROLS",
    "SUPPLIES",
    "GUARANTEES",
    "PAYS",
    "KEY_PERSON_OF",
    "FAMILY_OF",
    "HAS_CONTACT",
]
#: The relationship types a company map follows by default (ties between companies,
#: and persons as shareholders and controllers).
MAP_RELATIONS: Final[tuple[MapRelation, ...]] = (
    "OWNS",
    "CONTROLS",
    "SUPPLIES",
    "GUARANTEES",
    "PAYS",
)
#: The ties of people and contacts: a map follows them when asked to (the maps' toggle).
PEOPLE_RELATIONS: Final[tuple[MapRelation, ...]] = ("KEY_PERSON_OF", "FAMILY_OF", "HAS_CONTACT")
#: Every relationship type a map may follow (the allowlist every ``$types`` comes from).
ALL_MAP_RELATIONS: Final[tuple[MapRelation, ...]] = MAP_RELATIONS + PEOPLE_RELATIONS
#: Hops a path may have at most. A variable-length bound cannot be a Cypher
#: parameter, so each depth has its own query text; past six hops a "tie" between two
#: companies is no longer something an RM can act on.
MAX_PATH_DEPTH: Final = 6

#: Relationship types that tie a person or contact to a company directly: what makes
#: it visible to a caller who may see that company.
_ANCHOR_TYPES: Final[LiteralString] = (
    "OWNS|CONTROLS|KEY_PERSON_OF|HAS_CONTACT|GUARANTEES|PAYS|SUPPLIES"
)


def _party_columns(alias: LiteralString, id_column: LiteralString) -> LiteralString:
    """The columns :func:`_party` reads, for a company, person or contact ``alias``.

    ``anchors`` is empty for a company; for a person or contact, the distinct
    ``[is_customer, branch_id]`` of the companies it is directly tied to.
    """
    return (
        "CASE WHEN "
        + alias
        + ":Company THEN "
        + alias
        + ".company_id WHEN "
        + alias
        + ":Person THEN "
        + alias
        + ".person_id ELSE "
        + alias
        + ".contact_key END AS "
        + id_column
        + ", CASE WHEN "
        + alias
        + ":Contact THEN "
        + alias
        + ".value ELSE "
        + alias
        + ".name END AS name, "
        + alias
        + ":Person AS is_person, "
        + alias
        + ":Contact AS is_contact, CASE WHEN "
        + alias
        + ":Contact THEN "
        + alias
        + ".kind END AS contact_family, coalesce("
        + alias
        + ".is_customer, false) AS is_customer, "
        + alias
        + ".branch_id AS branch_id, "
        + alias
        + ".uscc AS uscc, "
        + alias
        + ".segment AS segment, "
        + alias
        + ".industry AS industry, "
        + alias
        + ".region AS region, "
        + alias
        + ".status AS status, "
        + alias
        + ".exposure_cny_minor AS exposure, COLLECT { MATCH ("
        + alias
        + ")-[:"
        + _ANCHOR_TYPES
        + "]-(anchor:Company) WHERE NOT "
        + alias
        + ":Company RETURN DISTINCT [coalesce(anchor.is_customer, false) OR anchor:Customer, "
        "anchor.branch_id] } AS anchors"
    )


READ_PARTY: Final[LiteralString] = """
CALL () {
    MATCH (n:Company {company_id: $id}) RETURN n
    UNION
    MATCH (n:Person {person_id: $id}) RETURN n
    UNION
    MATCH (n:Contact {contact_key: $id}) RETURN n
}
RETURN """ + _party_columns("n", "id")

# Neighbours of a frontier, one row per (node, neighbour, relation, direction, currency).
READ_NEIGHBOURS: Final[LiteralString] = (
    """
UNWIND $ids AS id
CALL (id) {
    MATCH (n:Company {company_id: id}) RETURN n
    UNION
    MATCH (n:Person {person_id: id}) RETURN n
    UNION
    MATCH (n:Contact {contact_key: id}) RETURN n
}
MATCH (n)-[r]-(m)
WHERE type(r) IN $types AND (m:Company OR m:Person OR m:Contact)
WITH id, m, r, type(r) AS rel, startNode(r) = n AS outgoing
RETURN id, rel, outgoing, """
    + _party_columns("m", "other")
    + """, r.currency AS currency,
       sum(CASE rel WHEN 'PAYS' THEN r.amount_minor WHEN 'GUARANTEES' THEN r.amount_minor
                    WHEN 'SUPPLIES' THEN coalesce(r.annual_amount_minor, 0) ELSE 0 END) AS minor,
       max(CASE rel WHEN 'OWNS' THEN r.share_pct ELSE null END) AS share_pct,
       collect(DISTINCT CASE rel WHEN 'KEY_PERSON_OF' THEN r.role
                                 WHEN 'FAMILY_OF' THEN r.relation
                                 WHEN 'HAS_CONTACT' THEN r.kind END) AS codes
"""
)

# The stakes of a frontier, one row per (company, other party), upwards or downwards.
READ_STAKES: Final[LiteralString] = (
    """
UNWIND $ids AS id
CALL (id) {
    MATCH (n:Company {company_id: id}) RETURN n
    UNION
    MATCH (n:Person {person_id: id}) RETURN n
    UNION
    MATCH (n:Contact {contact_key: id}) RETURN n
}
CALL (n) {
    MATCH (m)-[r:OWNS]->(n) WHERE $up RETURN m, r
    UNION
    MATCH (n)-[r:OWNS]->(m) WHERE NOT $up RETURN m, r
}
WITH id, m, max(r.share_pct) AS share_pct
RETURN id, share_pct, """
    + _party_columns("m", "other")
    + """
ORDER BY id, share_pct DESC, other
"""
)


def _paths_query(depth: int) -> LiteralString:
    bounds: dict[int, LiteralString] = {1: "1", 2: "2", 3: "3", 4: "4", 5: "5", 6: "6"}
    return (
        """
CALL () {
    MATCH (n:Company {company_id: $source}) RETURN n
    UNION
    MATCH (n:Person {person_id: $source}) RETURN n
    UNION
    MATCH (n:Contact {contact_key: $source}) RETURN n
}
WITH n AS a
CALL () {
    MATCH (n:Company {company_id: $target}) RETURN n
    UNION
    MATCH (n:Person {person_id: $target}) RETURN n
    UNION
    MATCH (n:Contact {contact_key: $target}) RETURN n
}
WITH a, n AS b
MATCH p = allShortestPaths((a)-[*.."""
        + bounds[depth]
        + """]-(b))
WHERE all(r IN relationships(p) WHERE type(r) IN $types)
WITH DISTINCT [x IN nodes(p) | coalesce(x.company_id, x.person_id)] AS ids
RETURN ids
ORDER BY ids
LIMIT $limit
"""
    )


#: One query per depth, 1 to :data:`MAX_PATH_DEPTH` (bounds are not parameters in Cypher).
PATH_QUERIES: Final[dict[int, LiteralString]] = {
    depth: _paths_query(depth) for depth in range(1, MAX_PATH_DEPTH + 1)
}

# The parties on the paths, and the relationships between consecutive parties.
READ_PATH_PARTIES: Final[LiteralString] = """
UNWIND $ids AS id
CALL (id) {
    MATCH (n:Company {company_id: id}) RETURN n
    UNION
    MATCH (n:Person {person_id: id}) RETURN n
    UNION
    MATCH (n:Contact {contact_key: id}) RETURN n
}
RETURN """ + _party_columns("n", "id")
READ_PATH_TIES: Final[LiteralString] = """
UNWIND $pairs AS pair
CALL (pair) {
    MATCH (n:Company {company_id: pair[0]}) RETURN n
    UNION
    MATCH (n:Person {person_id: pair[0]}) RETURN n
    UNION
    MATCH (n:Contact {contact_key: pair[0]}) RETURN n
}
WITH pair, n AS a
CALL (pair) {
    MATCH (n:Company {company_id: pair[1]}) RETURN n
    UNION
    MATCH (n:Person {person_id: pair[1]}) RETURN n
    UNION
    MATCH (n:Contact {contact_key: pair[1]}) RETURN n
}
WITH pair, a, n AS b
MATCH (a)-[r]-(b)
WHERE type(r) IN $types
WITH pair, type(r) AS relation, startNode(r) = a AS forward, r
RETURN pair[0] AS a, pair[1] AS b, relation, forward, r.currency AS currency,
       sum(CASE relation WHEN 'PAYS' THEN r.amount_minor WHEN 'GUARANTEES' THEN r.amount_minor
                         WHEN 'SUPPLIES' THEN coalesce(r.annual_amount_minor, 0)
                         ELSE 0 END) AS minor,
       max(r.share_pct) AS share_pct
ORDER BY a, b, relation, forward, currency
"""


#: The booking of a company a person or contact is tied to: (is a customer, branch id).
Anchor = tuple[bool, str | None]


@dataclass(frozen=True)
class MapParty:
    """A company, person or contact as a map shows it, with the fields scoping decides on.

    ``exposure_minor`` is the customer's CNY exposure in minor units; persons and
    contacts carry no branch, code fields or exposure. A contact's ``name`` is its
    normalised value and ``contact_family`` its kind (``address``, ``phone``, ``email``).
    ``anchors`` (persons and contacts only) are the distinct bookings of the companies
    it is directly tied to: it is visible only through one the caller may see.
    """

    party_id: str
    name: str | None
    is_person: bool = False
    is_contact: bool = False
    contact_family: str | None = None
    anchors: tuple[Anchor, ...] = ()
    is_customer: bool = False
    branch_id: str | None = None
    uscc: str | None = None
    segment: str | None = None
    industry: str | None = None
    region: str | None = None
    status: str | None = None
    exposure_minor: int | None = None


@dataclass(frozen=True)
class NeighbourTie:
    """Every relationship of one relation, direction and currency between two parties.

    ``minor`` sums the amounts (payments and guarantees; supplies' annual amounts;
    0 for ownership and control); ``share_pct`` is the largest OWNS share.
    """

    source_id: str
    relation: MapRelation
    outgoing: bool
    other: MapParty
    currency: str | None
    minor: int
    share_pct: float | None
    #: The roles (key persons), family relations or contact kinds of the ties, sorted.
    codes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Stake:
    """``other`` owns ``company_id`` (upwards) or is owned by it (downwards)."""

    company_id: str
    other: MapParty
    share_pct: float | None


@dataclass(frozen=True)
class PathTieRow:
    """The relationships of one relation and direction between consecutive path parties.

    ``forward``: stored from ``a`` to ``b``. Amounts sum as in :class:`NeighbourTie`.
    """

    a: str
    b: str
    relation: MapRelation
    forward: bool
    currency: str | None
    minor: int
    share_pct: float | None


def _party(row: Mapping[str, Any], id_column: str) -> MapParty:
    exposure = row.get("exposure")
    return MapParty(
        party_id=str(row[id_column]),
        name=row.get("name"),
        is_person=bool(row.get("is_person")),
        is_contact=bool(row.get("is_contact")),
        contact_family=row.get("contact_family"),
        anchors=tuple(
            sorted(
                {
                    (bool(a[0]), None if a[1] is None else str(a[1]))
                    for a in row.get("anchors") or ()
                },
                key=lambda a: (a[0], a[1] or ""),
            )
        ),
        is_customer=bool(row.get("is_customer")),
        branch_id=row.get("branch_id"),
        uscc=row.get("uscc"),
        segment=row.get("segment"),
        industry=row.get("industry"),
        region=row.get("region"),
        status=row.get("status"),
        exposure_minor=int(exposure) if exposure is not None else None,
    )


def _types(relations: Sequence[MapRelation]) -> list[str]:
    """The ``$types`` parameter, checked against :data:`ALL_MAP_RELATIONS`."""
    chosen: list[str] = [r for r in relations if r in ALL_MAP_RELATIONS]
    if len(chosen) != len(relations):
        raise ValueError(f"relations outside the map allowlist: {list(relations)}")
    return chosen


def read_party(db: Database, party_id: str) -> MapParty | None:
    """The company or person ``party_id``, or ``None`` when neither exists."""
    row = db.read_one(READ_PARTY, {"id": party_id})
    return None if row is None else _party(row, "id")


def read_neighbours(
    db: Database, party_ids: Sequence[str], relations: Sequence[MapRelation]
) -> list[NeighbourTie]:
    """The ties of each of ``party_ids`` by ``relations`` (unscoped, unordered)."""
    rows = db.read(READ_NEIGHBOURS, {"ids": list(party_ids), "types": _types(relations)})
    return [
        NeighbourTie(
            source_id=str(row["id"]),
            relation=row["rel"],
            outgoing=bool(row["outgoing"]),
            other=_party(row, "other"),
            currency=row["currency"],
            minor=int(row["minor"] or 0),
            share_pct=float(row["share_pct"]) if row["share_pct"] is not None else None,
            codes=tuple(sorted(str(c) for c in row["codes"] if c is not None)),
        )
        for row in rows
    ]


def read_stakes(db: Database, company_ids: Sequence[str], *, up: bool) -> list[Stake]:
    """The shareholders (``up``) or holdings of each company, largest share first."""
    return [
        Stake(
            company_id=str(row["id"]),
            other=_party(row, "other"),
            share_pct=float(row["share_pct"]) if row["share_pct"] is not None else None,
        )
        for row in db.read(READ_STAKES, {"ids": list(company_ids), "up": up})
    ]


def read_shortest_paths(
    db: Database,
    source: str,
    target: str,
    *,
    max_depth: int,
    relations: Sequence[MapRelation],
    limit: int,
) -> list[tuple[str, ...]]:
    """Up to ``limit`` distinct shortest paths as id sequences, in id order."""
    if max_depth not in PATH_QUERIES:
        raise ValueError(f"max_depth must be between 1 and {MAX_PATH_DEPTH}")
    rows = db.read(
        PATH_QUERIES[max_depth],
        {"source": source, "target": target, "types": _types(relations), "limit": limit},
    )
    return [tuple(str(i) for i in row["ids"]) for row in rows]


def read_path_parties(db: Database, party_ids: Sequence[str]) -> dict[str, MapParty]:
    """The parties of ``party_ids`` by id (an unknown id is left out)."""
    rows = db.read(READ_PATH_PARTIES, {"ids": list(party_ids)})
    return {str(row["id"]): _party(row, "id") for row in rows}


def read_path_ties(
    db: Database, pairs: Sequence[tuple[str, str]], relations: Sequence[MapRelation]
) -> list[PathTieRow]:
    """The ties between each pair of consecutive path parties, by relation and direction."""
    rows = db.read(READ_PATH_TIES, {"pairs": [list(p) for p in pairs], "types": _types(relations)})
    return [
        PathTieRow(
            a=str(row["a"]),
            b=str(row["b"]),
            relation=row["relation"],
            forward=bool(row["forward"]),
            currency=row["currency"],
            minor=int(row["minor"] or 0),
            share_pct=float(row["share_pct"]) if row["share_pct"] is not None else None,
        )
        for row in rows
    ]
