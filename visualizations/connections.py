"""How two entities are connected: the shortest paths between them, branch-scoped.

"How is A connected to B?" is answered with Neo4j's ``allShortestPaths`` over the
relations of an allowlist, up to a bounded number of hops, ignoring direction (a
guarantee, a payment and a shareholding all tie two parties together whichever way
they point). The paths come back as node sequences; parallel relationships (a
payment edge per month) are folded into one edge per pair, relation and direction,
with the amount summed, so a pair paid twelve times is one hop, not twelve paths.

Scoping: both ends must be visible to the caller (otherwise the path is "not found",
exactly like an unknown id). A customer booked outside the caller's branch subtree
may sit *inside* a path: it is then an anonymous placeholder (``outside-1``...), with
neither its name nor its id, and the amounts of its ties are left out. So is a person
tied only to such companies (persons are visible only through a company the caller
may see). Paths follow the ties of companies (:data:`NETWORK_TYPES`), not key persons
or shared contacts: those are the relationship network's, with its toggle.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Final, Literal

from pydantic import BaseModel, Field

from core.errors import InputValidationError, NotFoundError
from graph.branches import BranchScope
from graph.customers import money
from graph.database import Database
from graph.maps import (
    MAX_PATH_DEPTH,
    MapParty,
    read_party,
    read_path_parties,
    read_path_ties,
    read_shortest_paths,
)
from visualizations.model import Relation

from .network import NETWORK_TYPES, party_visible

#: Distinct shortest paths returned at most (a hub can make thousands).
MAX_PATHS: Final = 50

PathNodeKind = Literal["customer", "non_customer", "person", "outside"]


class PathParty(BaseModel):
    """A party on a path: a company or person, or an anonymous placeholder."""

    key: str = Field(
        description="The party's id; ``outside-N`` for a customer outside the caller's branches."
    )
    name: str | None = Field(description="The party's name; none for a placeholder.")
    kind: PathNodeKind
    visible: bool = Field(description="False for a customer outside the caller's branches.")


class MoneyAmount(BaseModel):
    """An exact amount (decimal string) in a currency."""

    amount: str
    currency: str


class PathTie(BaseModel):
    """One relation between two consecutive parties of a path (direction as stored)."""

    source: str = Field(description="Key of the party the relation starts from.")
    target: str = Field(description="Key of the party it points to.")
    relation: Relation
    amount: MoneyAmount | None = Field(
        default=None, description="Summed amount (payments, guarantees, supply); none if hidden."
    )
    share_pct: float | None = Field(default=None, description="Shareholding, for OWNS.")


class ConnectionPath(BaseModel):
    """One shortest path: the parties in order, and every tie between neighbours on it."""

    parties: list[str] = Field(description="Party keys from the source to the target.")
    ties: list[PathTie]


class PathsResponse(BaseModel):
    """How two parties are connected: every shortest path up to ``max_depth`` hops."""

    source: PathParty
    target: PathParty
    max_depth: int
    relations: list[Relation]
    hops: int | None = Field(description="Length of the shortest paths; none when unconnected.")
    paths: list[ConnectionPath]
    parties: list[PathParty] = Field(description="Every party on the paths, once.")
    truncated: bool = Field(description="More shortest paths exist than were returned.")


def parse_relations(
    types: str | None, allowed: tuple[Relation, ...] = NETWORK_TYPES
) -> tuple[Relation, ...]:
    """The relations of a comma-separated list, checked against ``allowed`` (default:
    the ties of companies; a neighbour list also takes those of people and contacts)."""
    chosen: list[Relation] = []
    for raw in (types or ",".join(NETWORK_TYPES)).split(","):
        name = raw.strip().upper()
        if name not in allowed:
            raise InputValidationError(
                f"unknown relationship type {raw!r}; use {', '.join(allowed)}",
                details={"allowed": list(allowed)},
            )
        if name not in chosen:
            chosen.append(name)
    return tuple(chosen)


def _kind(party: MapParty | None) -> PathNodeKind:
    if party is not None and party.is_person:
        return "person"
    return "customer" if party is not None and party.is_customer else "non_customer"


def _visible(party: MapParty | None, scope: BranchScope) -> bool:
    """A customer outside the subtree is hidden; a person only through a visible company
    (:func:`~visualizations.network.party_visible`), so that a path never names a person
    known only through companies booked elsewhere."""
    if party is not None and (party.is_person or party.is_contact):
        return party_visible(party, scope)
    return party is None or not party.is_customer or scope.allows(party.branch_id)


def _endpoint(db: Database, scope: BranchScope, node_id: str) -> PathParty:
    party = read_party(db, node_id)
    if party is None or not _visible(party, scope):
        raise NotFoundError(f"{node_id} not found")
    return PathParty(key=node_id, name=str(party.name), kind=_kind(party), visible=True)


def connection_paths(
    db: Database,
    scope: BranchScope,
    source: str,
    target: str,
    *,
    max_depth: int = 4,
    relations: tuple[Relation, ...] = NETWORK_TYPES,
    limit: int = 20,
) -> PathsResponse:
    """Every shortest path (up to ``limit``) between ``source`` and ``target``.

    Parameters
    ----------
    db, scope
        The database and the caller's branch scope.
    source, target
        Company or person ids; both must be visible to the caller.
    max_depth
        Hops at most, 1 to :data:`MAX_PATH_DEPTH`.
    relations
        Relations a path may use (from the allowlist :data:`visualizations.network.NETWORK_TYPES`).
    limit
        Distinct shortest paths returned at most, 1 to :data:`MAX_PATHS`.

    Raises
    ------
    InputValidationError
        A depth or limit out of range, the same party at both ends, or no relation.
    NotFoundError
        An unknown end, or a customer outside the caller's branches.
    """
    if not 1 <= max_depth <= MAX_PATH_DEPTH:
        raise InputValidationError(f"depth must be between 1 and {MAX_PATH_DEPTH}")
    if not 1 <= limit <= MAX_PATHS:
        raise InputValidationError(f"limit must be between 1 and {MAX_PATHS}")
    if not relations or any(r not in NETWORK_TYPES for r in relations):
        raise InputValidationError("relations must come from " + ", ".join(NETWORK_TYPES))
    if source == target:
        raise InputValidationError("the two ends of a path must differ")
    start = _endpoint(db, scope, source)
    end = _endpoint(db, scope, target)
    sequences = read_shortest_paths(
        db, source, target, max_depth=max_depth, relations=relations, limit=limit + 1
    )
    truncated = len(sequences) > limit
    sequences = sequences[:limit]
    members = sorted({i for seq in sequences for i in seq})
    info = read_path_parties(db, members)

    keys: dict[str, str] = {}
    parties: dict[str, PathParty] = {}
    for seq in sequences:
        for node_id in seq:
            if node_id in keys:
                continue
            found = info.get(node_id)
            if node_id in (source, target) or _visible(found, scope):
                keys[node_id] = node_id
                party = PathParty(
                    key=node_id,
                    name=found.name if found is not None else None,
                    kind=_kind(found),
                    visible=True,
                )
            else:
                keys[node_id] = f"outside-{sum(1 for p in parties.values() if not p.visible) + 1}"
                party = PathParty(key=keys[node_id], name=None, kind="outside", visible=False)
            parties[node_id] = party

    pairs = sorted({(seq[i], seq[i + 1]) for seq in sequences for i in range(len(seq) - 1)})
    ties: dict[tuple[str, str], list[PathTie]] = defaultdict(list)
    for row in read_path_ties(db, pairs, relations):
        a, b = row.a, row.b
        hidden = not (parties[a].visible and parties[b].visible)
        tail, head = (a, b) if row.forward else (b, a)
        amount = None if hidden else money(row.minor or None, row.currency)
        share = row.share_pct if row.relation == "OWNS" and not hidden else None
        ties[(a, b)].append(
            PathTie(
                source=keys[tail],
                target=keys[head],
                relation=row.relation,
                amount=MoneyAmount(**amount) if amount else None,
                share_pct=share,
            )
        )
    paths = [
        ConnectionPath(
            parties=[keys[i] for i in seq],
            ties=[t for i in range(len(seq) - 1) for t in ties[(seq[i], seq[i + 1])]],
        )
        for seq in sequences
    ]
    return PathsResponse(
        source=start,
        target=end,
        max_depth=max_depth,
        relations=list(relations),
        hops=len(sequences[0]) - 1 if sequences else None,
        paths=paths,
        parties=list(parties.values()),
        truncated=truncated,
    )
