"""股权穿透: a company's shareholders above it and its holdings below, level by level.

The look-through walks ``OWNS`` up (who owns the company, who owns them...) and
down (what it owns...) up to a bounded number of levels each way, keeping each
company's ``limit`` largest stakes and one "+N more" node for the rest. Each edge
carries the direct share. A customer booked outside the caller's branches stays in
the structure (an RM must see that a stake exists) as an anonymous placeholder with
no name or id.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Final

from core.errors import InputValidationError, NotFoundError
from core.formatting import Language
from core.i18n import gettext
from graph.branches import BranchScope, read_branches
from graph.database import Database
from graph.maps import MapParty, Stake, read_party, read_stakes
from visualizations.model import MapEdge, MapNode, MapSpec, NodeKind

from .network import N_, _details, _kind, _node_size, more_label
from .network import party_visible as _visible

#: Levels walked each way at most: beyond four, a look-through stops being readable.
MAX_OWNERSHIP_LEVELS: Final = 4


def ownership_map(
    db: Database,
    scope: BranchScope,
    company_id: str,
    *,
    up: int = 2,
    down: int = 2,
    limit: int = 20,
    language: Language = "zh",
) -> MapSpec:
    """The look-through of ``company_id`` as a top-down map with shares on the edges.

    Raises
    ------
    InputValidationError
        ``up``/``down`` outside 0 to :data:`MAX_OWNERSHIP_LEVELS`, or ``limit`` below 1.
    NotFoundError
        Unknown company, or a customer outside the caller's branches.
    """
    if not (0 <= up <= MAX_OWNERSHIP_LEVELS and 0 <= down <= MAX_OWNERSHIP_LEVELS):
        raise InputValidationError(f"levels must be between 0 and {MAX_OWNERSHIP_LEVELS}")
    if limit < 1:
        raise InputValidationError("limit must be at least 1")
    root = read_party(db, company_id)
    if root is None or root.is_person or not _visible(root, scope):
        raise NotFoundError(f"{company_id} not found")
    branch_names = {b.branch_id: b.name for b in read_branches(db)}
    outside_name = gettext(language, N_("A customer outside your branch"))
    keys: dict[str, str] = {company_id: company_id}
    nodes: dict[str, MapNode] = {
        company_id: MapNode(
            company_id,
            str(root.name),
            _kind(root),
            up,
            size=_node_size(root),
            details=_details(root, branch_names, language),
        )
    }
    edges: dict[tuple[str, str], MapEdge] = {}

    def key_of(party: MapParty) -> str:
        other = party.party_id
        if other not in keys:
            hidden = not _visible(party, scope)
            keys[other] = (
                f"outside-{sum(1 for k in keys.values() if k.startswith('outside-')) + 1}"
                if hidden
                else other
            )
        return keys[other]

    for upwards, levels in ((True, up), (False, down)):
        frontier = [company_id]
        for step in range(1, levels + 1):
            level = up - step if upwards else up + step
            by_source: dict[str, list[Stake]] = defaultdict(list)
            for stake in read_stakes(db, frontier, up=upwards):
                by_source[stake.company_id].append(stake)
            next_frontier: list[str] = []
            for source in frontier:
                candidates = by_source.get(source, [])
                for stake in candidates[:limit]:
                    party = stake.other
                    other = party.party_id
                    key = key_of(party)
                    if key not in nodes:
                        visible = not key.startswith("outside-")
                        kind: NodeKind = _kind(party) if visible else "outside"
                        nodes[key] = MapNode(
                            key,
                            str(party.name) if visible else outside_name,
                            kind,
                            level,
                            size=_node_size(party) if visible else None,
                            details=_details(party, branch_names, language) if visible else {},
                        )
                        next_frontier.append(other)
                    share = stake.share_pct
                    label = f"{share:.2f}%" if share is not None else ""
                    tail, head = (key, keys[source]) if upwards else (keys[source], key)
                    edges.setdefault((tail, head), MapEdge(tail, head, "OWNS", label))
                hidden = len(candidates) - limit
                if hidden > 0 and not keys[source].startswith("outside-"):
                    more_id = f"more:{source}:{'up' if upwards else 'down'}"
                    nodes[more_id] = MapNode(
                        more_id,
                        more_label(hidden, language),
                        "more",
                        level,
                        details={"hidden": hidden, "of": source},
                    )
                    tail, head = (more_id, source) if upwards else (source, more_id)
                    edges[(tail, head)] = MapEdge(tail, head, "OWNS")
            frontier = next_frontier
            if not frontier:
                break
    return MapSpec(
        title=gettext(language, N_("Ownership look-through: {name}")).format(name=root.name),
        nodes=tuple(nodes.values()),
        edges=tuple(edges.values()),
        hierarchical=True,
        subject=company_id,
        layout="hierarchical",
        relations=("OWNS",),
        expand_url=f"/api/v1/nodes/{{id}}/network?depth=1&types=OWNS&lang={language}",
    )
