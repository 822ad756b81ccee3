"""A connection-paths answer (:class:`visualizations.connections.PathsResponse`) as a map.

The source sits on the left and is the map's subject, the target on the right;
each party sits at its distance from the source. A placeholder for a customer
outside the caller's branches is drawn as an "outside" node with no name.
"""

from __future__ import annotations

from core.formatting import Language, format_money
from core.i18n import gettext
from visualizations.connections import PathsResponse

from .builder import N_
from .model import MapEdge, MapNode, MapSpec, NodeKind


def path_map(answer: PathsResponse, language: Language = "zh") -> MapSpec:
    """The shortest paths of ``answer`` as a hierarchical, left-to-right map.

    Examples
    --------
    >>> from visualizations.connections import ConnectionPath, PathParty, PathTie
    >>> a = PathParty(key="A", name="甲公司", kind="customer", visible=True)
    >>> b = PathParty(key="B", name="乙公司", kind="non_customer", visible=True)
    >>> hidden = PathParty(key="outside-1", name=None, kind="outside", visible=False)
    >>> answer = PathsResponse(
    ...     source=a, target=b, max_depth=3, relations=["GUARANTEES"], hops=2,
    ...     paths=[ConnectionPath(parties=["A", "outside-1", "B"], ties=[
    ...         PathTie(source="A", target="outside-1", relation="GUARANTEES"),
    ...         PathTie(source="outside-1", target="B", relation="GUARANTEES")])],
    ...     parties=[a, hidden, b], truncated=False)
    >>> spec = path_map(answer)
    >>> [(n.id, n.level, n.kind) for n in spec.nodes]
    [('A', 0, 'customer'), ('outside-1', 1, 'outside'), ('B', 2, 'non_customer')]
    >>> spec.nodes[1].label
    '分行范围外的客户'
    """
    levels: dict[str, int] = {answer.source.key: 0}
    for path in answer.paths:
        for index, key in enumerate(path.parties):
            levels[key] = min(levels.get(key, index), index)
    outside_name = gettext(language, N_("A customer outside your branch"))
    nodes = []
    for party in answer.parties:
        kind: NodeKind = party.kind
        nodes.append(
            MapNode(
                party.key,
                party.name if party.visible and party.name else outside_name,
                kind,
                level=levels.get(party.key, 0),
            )
        )
    if not answer.paths:  # unconnected: the two ends alone
        nodes = [
            MapNode(answer.source.key, answer.source.name or "", answer.source.kind, level=0),
            MapNode(answer.target.key, answer.target.name or "", answer.target.kind, level=1),
        ]
    edges: dict[tuple[str, str, str], MapEdge] = {}
    for path in answer.paths:
        for tie in path.ties:
            label = ""
            if tie.share_pct is not None:
                label = f"{tie.share_pct:.2f}%"
            elif tie.amount is not None:
                label = format_money(tie.amount.amount, tie.amount.currency, language, compact=True)
            weight = float(tie.amount.amount) * 100 if tie.amount is not None else None
            edges.setdefault(
                (tie.source, tie.target, tie.relation),
                MapEdge(tie.source, tie.target, tie.relation, label, weight),
            )
    title = gettext(language, N_("How {source} is connected to {target}")).format(
        source=answer.source.name, target=answer.target.name
    )
    return MapSpec(
        title=title,
        nodes=tuple(nodes),
        edges=tuple(edges.values()),
        hierarchical=True,
        subject=answer.source.key,
        layout="hierarchical",
        direction="LR",
        relations=tuple(answer.relations),
    )
