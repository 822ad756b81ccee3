"""The one map builder: a :class:`~visualizations.model.MapSpec` to a self-contained HTML page.

Every map in corpgraph is drawn by :func:`render_map`. The page works inside an
intranet with no internet access: the vis-network JavaScript and CSS that ship
inside the ``pyvis`` package are inlined (their licence headers kept), there is no
bootstrap and no CDN, and a Content-Security-Policy forbids loading anything from
anywhere except the app's own origin (for the "expand" call).

How a map is built
------------------
1. pyvis's :class:`~pyvis.network.Network` collects the nodes and edges in
   vis-network's format, styled by node kind and relation (tables below, the one
   source of truth, also handed to the page's script to style expanded nodes).
2. The data, the vis options and the UI texts go into one JSON document that is
   embedded in a ``<script type="application/json">`` block with ``<``, ``>`` and
   ``&`` escaped, so no name can end the block or be parsed as HTML.
3. A Jinja2 template (autoescaped) inlines vis-network, ``static/map.css`` and
   ``static/map.js``; the script builds the network, the legend with relation
   filters, the details panel (DOM text only, never ``innerHTML``) and expansion.

Examples
--------
>>> from visualizations.model import MapEdge, MapNode, MapSpec
>>> spec = MapSpec(
...     title="示例集团",
...     nodes=(MapNode("C1", "甲公司", "customer"), MapNode("P1", "张三", "person")),
...     edges=(MapEdge("P1", "C1", "OWNS", "60%"),),
... )
>>> html = render_map(spec)
>>> html.startswith("<!DOCTYPE html>") and "图例" in html
True
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any, Final, Literal, cast, get_args

import jinja2
import pyvis
from pyvis.network import Network

from core.errors import CorpgraphError, InputValidationError

from .model import MapEdge, MapNode, MapSpec, NodeKind, Relation

__all__ = [
    "HIGHLIGHT_STYLE",
    "KIND_STYLES",
    "LANGUAGES",
    "RELATION_STYLES",
    "TEXTS",
    "map_data",
    "physics_options",
    "render_map",
]

Language = Literal["zh", "en"]
LANGUAGES: Final[tuple[str, ...]] = get_args(Language)

_HERE = Path(__file__).resolve().parent
_VIS_DIR = Path(pyvis.__file__).resolve().parent / "lib" / "vis-9.1.2"

#: vis-network node options per node kind (colour and shape).
KIND_STYLES: Final[Mapping[NodeKind, Mapping[str, Any]]] = {
    "customer": {
        "shape": "dot",
        "size": 16,
        "color": {"background": "#1f6fb2", "border": "#124a78"},
    },
    "non_customer": {
        "shape": "diamond",
        "size": 14,
        "color": {"background": "#f0a202", "border": "#a86f00"},
    },
    "person": {
        "shape": "triangle",
        "size": 13,
        "color": {"background": "#2e9e5b", "border": "#1d6b3c"},
    },
    "group": {
        "shape": "hexagon",
        "size": 22,
        "color": {"background": "#8e44ad", "border": "#5e2d73"},
    },
    "more": {
        "shape": "box",
        "color": {"background": "#eeeeee", "border": "#9e9e9e"},
        "shapeProperties": {"borderDashes": [4, 4]},
        "font": {"color": "#555555"},
    },
}

#: vis-network edge options per relation (colour, dashes, arrows).
RELATION_STYLES: Final[Mapping[Relation, Mapping[str, Any]]] = {
    "OWNS": {"color": "#1f6fb2", "dashes": False, "arrows": "to", "width": 2},
    "CONTROLS": {"color": "#8e44ad", "dashes": [12, 6], "arrows": "to", "width": 3},
    "SUPPLIES": {"color": "#2e9e5b", "dashes": False, "arrows": "to", "width": 1.5},
    "GUARANTEES": {"color": "#c0392b", "dashes": [3, 4], "arrows": "to", "width": 2},
    "PAYS": {"color": "#e67e22", "dashes": [10, 4, 2, 4], "arrows": "to", "width": 1.5},
}

#: How a highlighted edge (``MapEdge.highlight``) is drawn, over its relation's style.
HIGHLIGHT_STYLE: Final[Mapping[str, Any]] = {"color": "#d62728", "width": 5, "dashes": False}

#: Every text the page shows, per language (Chinese first: the bank's staff read it).
TEXTS: Final[Mapping[Language, Mapping[str, Any]]] = {
    "zh": {
        "legend": "图例",
        "node_kinds": "节点类型",
        "relations": "关系类型（勾选显示）",
        "kinds": {
            "customer": "客户",
            "non_customer": "非客户企业",
            "person": "自然人",
            "group": "集团",
            "more": "更多（已折叠）",
        },
        "relation_names": {
            "OWNS": "持股",
            "CONTROLS": "控制",
            "SUPPLIES": "供货",
            "GUARANTEES": "担保",
            "PAYS": "资金往来",
        },
        "details": "详情",
        "no_selection": "点击节点查看详情",
        "kind": "类型",
        "id": "编号",
        "expand": "展开关联方",
        "expanding": "正在展开…",
        "expanded": "新增 {nodes} 个节点、{edges} 条关系",
        "nothing_new": "没有新的关联方",
        "expand_failed": "展开失败（{status}）",
        "stabilizing": "正在布局… {percent}%",
        "counts": "{nodes} 个节点 · {edges} 条关系",
        "badges": {
            "control_cycle": "存在控制循环（红色粗线）",
            "cross_holding": "存在交叉持股",
            "joint_control": "含共同控制企业",
        },
        "highlighted": "控制循环",
    },
    "en": {
        "legend": "Legend",
        "node_kinds": "Node types",
        "relations": "Relations (tick to show)",
        "kinds": {
            "customer": "Customer",
            "non_customer": "Non-customer company",
            "person": "Person",
            "group": "Group",
            "more": "More (collapsed)",
        },
        "relation_names": {
            "OWNS": "Owns",
            "CONTROLS": "Controls",
            "SUPPLIES": "Supplies",
            "GUARANTEES": "Guarantees",
            "PAYS": "Pays",
        },
        "details": "Details",
        "no_selection": "Click a node to see its details",
        "kind": "Type",
        "id": "ID",
        "expand": "Expand neighbours",
        "expanding": "Expanding…",
        "expanded": "Added {nodes} nodes and {edges} relations",
        "nothing_new": "No new neighbours",
        "expand_failed": "Expand failed ({status})",
        "stabilizing": "Laying out… {percent}%",
        "counts": "{nodes} nodes · {edges} relations",
        "badges": {
            "control_cycle": "Control cycle (thick red lines)",
            "cross_holding": "Cross-shareholding",
            "joint_control": "Jointly controlled members",
        },
        "highlighted": "Control cycle",
    },
}

#: Above this many nodes vis's improved (Kamada-Kawai) initial layout is switched off
#: and edges are drawn straight, which keeps 1,000-node maps responsive.
BIG_GRAPH_NODES: Final = 100
#: Stabilisation iterations by graph size; physics is switched off once they are done.
_ITERATIONS: Final = ((100, 400), (500, 250))
_ITERATIONS_LARGEST: Final = 150


def physics_options(node_count: int, *, hierarchical: bool = False) -> dict[str, Any]:
    """The vis-network ``physics``, ``layout``, ``edges`` and ``interaction`` options.

    Stabilisation runs for a bounded number of iterations before the page is shown
    (fewer for bigger graphs), and the page switches physics off as soon as it is
    done, so a 1,000-node map does not keep the CPU busy or drift while it is read.

    Parameters
    ----------
    node_count
        Number of nodes the map starts with.
    hierarchical
        Top-down layout by ``level`` (ownership maps).

    Returns
    -------
    dict
        Options for ``new vis.Network(container, data, options)``.

    Examples
    --------
    >>> opts = physics_options(1000)
    >>> opts["physics"]["stabilization"]["iterations"], opts["layout"]["improvedLayout"]
    (150, False)
    """
    big = node_count > BIG_GRAPH_NODES
    iterations = next((n for limit, n in _ITERATIONS if node_count <= limit), _ITERATIONS_LARGEST)
    stabilization = {"enabled": True, "iterations": iterations, "updateInterval": 25, "fit": True}
    physics: dict[str, Any] = {
        "enabled": True,
        "stabilization": stabilization,
        "minVelocity": 1.0,
        "timestep": 0.5,
        "adaptiveTimestep": True,
    }
    layout: dict[str, Any] = {"improvedLayout": not big, "randomSeed": 7}
    if hierarchical:
        physics["solver"] = "hierarchicalRepulsion"
        physics["hierarchicalRepulsion"] = {
            "nodeDistance": 140,
            "springLength": 110,
            "damping": 0.3,
            "avoidOverlap": 0.5,
        }
        layout["hierarchical"] = {
            "enabled": True,
            "direction": "UD",
            "sortMethod": "directed",
            "shakeTowards": "roots",
            "levelSeparation": 130,
            "nodeSpacing": 150,
            "treeSpacing": 180,
            "parentCentralization": True,
        }
    else:
        physics["solver"] = "barnesHut"
        physics["barnesHut"] = {
            "gravitationalConstant": -6000,
            "centralGravity": 0.3,
            "springLength": 130,
            "springConstant": 0.04,
            "damping": 0.35,
            "avoidOverlap": 0.1,
        }
    edges: dict[str, Any] = {
        "smooth": False if big or hierarchical else {"type": "continuous"},
        "font": {"size": 11, "align": "middle", "strokeWidth": 3, "strokeColor": "#ffffff"},
        "arrows": {"to": {"enabled": True, "scaleFactor": 0.6}},
        "scaling": {"min": 1, "max": 6},
    }
    interaction = {
        "hover": not big,
        "tooltipDelay": 200,
        "hideEdgesOnDrag": big,
        "hideEdgesOnZoom": big,
        "navigationButtons": False,
        "keyboard": False,
        "multiselect": False,
    }
    nodes = {"font": {"size": 13, "face": "sans-serif"}, "borderWidth": 2}
    return {
        "physics": physics,
        "layout": layout,
        "edges": edges,
        "nodes": nodes,
        "interaction": interaction,
    }


def _check_expand_url(url: str | None) -> None:
    """Refuse an expand URL that could leave the app's origin (or lacks ``{id}``)."""
    if url is None:
        return
    if not url.startswith("/") or url.startswith("//") or "\\" in url or "{id}" not in url:
        raise CorpgraphError(
            "expand_url must be an app-relative path starting with '/' and containing '{id}'",
            details={"expand_url": url},
        )


def _fill_levels(spec: MapSpec) -> dict[str, int]:
    """Levels for a hierarchical map, every node one (vis refuses partly given levels).

    Nodes without a level take one from a levelled neighbour (one below its source,
    one above its target); what stays unreached goes one below the lowest level.
    Empty when no node has a level (vis then sorts by edge direction).
    """
    levels = {n.id: n.level for n in spec.nodes if n.level is not None}
    if not levels:
        return {}
    changed = True
    while changed and len(levels) < len(spec.nodes):
        changed = False
        for edge in spec.edges:
            if edge.source in levels and edge.target not in levels:
                levels[edge.target] = levels[edge.source] + 1
                changed = True
            elif edge.target in levels and edge.source not in levels:
                levels[edge.source] = levels[edge.target] - 1
                changed = True
    bottom = max(levels.values()) + 1
    return {n.id: levels.get(n.id, bottom) for n in spec.nodes}


def _edge_id(edge: MapEdge) -> str:
    """The edge's identity, shared with the page's script so that expansion never duplicates."""
    return f"{edge.source} -{edge.relation}-> {edge.target}"


def _node_options(node: MapNode, texts: Mapping[str, Any], level: int | None) -> dict[str, Any]:
    options: dict[str, Any] = {key: value for key, value in KIND_STYLES[node.kind].items()}
    options["title"] = f"{node.label}\n{texts['kinds'][node.kind]}"  # drawn as text by vis 9
    options["kind"] = node.kind
    options["details"] = node.details
    if node.size is not None:
        options["size"] = node.size
    if level is not None:
        options["level"] = level
    return options


def _edge_options(edge: MapEdge, texts: Mapping[str, Any], edge_id: str) -> dict[str, Any]:
    options: dict[str, Any] = {key: value for key, value in RELATION_STYLES[edge.relation].items()}
    name = texts["relation_names"][edge.relation]
    options["id"] = edge_id
    options["relation"] = edge.relation
    options["label"] = edge.label
    options["title"] = f"{name} {edge.label}".strip()
    if edge.weight is not None:
        options["value"] = edge.weight
    if edge.highlight:
        options.update(HIGHLIGHT_STYLE)
        options["title"] = f"{texts['highlighted']}: {options['title']}"
    return options


def map_data(spec: MapSpec, *, language: str = "zh") -> dict[str, Any]:
    """The JSON document a map page embeds: vis nodes and edges, options, styles, texts.

    Parameters
    ----------
    spec
        What to draw.
    language
        ``"zh"`` (default) or ``"en"``: the legend, panel and tooltip texts.

    Returns
    -------
    dict
        Keys ``title``, ``language``, ``badges``, ``hierarchical``, ``expand_url``, ``nodes``,
        ``edges``, ``options``, ``kind_styles``, ``relation_styles`` and ``text``.

    Raises
    ------
    InputValidationError
        For an unknown language.
    CorpgraphError
        For a duplicate node id, an edge to an unknown node, an unknown kind or
        relation, or an expand URL that is not app-relative.
    """
    if language not in LANGUAGES:
        raise InputValidationError(
            f"unknown map language {language!r}", details={"allowed": list(LANGUAGES)}
        )
    texts = TEXTS[cast(Language, language)]
    _check_expand_url(spec.expand_url)
    levels = _fill_levels(spec) if spec.hierarchical else {}

    net = Network(directed=True, cdn_resources="in_line")
    seen: set[str] = set()
    for node in spec.nodes:
        if node.id in seen:
            raise CorpgraphError("duplicate node id in map", details={"node_id": node.id})
        if node.kind not in KIND_STYLES:
            raise CorpgraphError("unknown node kind in map", details={"kind": node.kind})
        seen.add(node.id)
        options = _node_options(node, texts, levels.get(node.id))
        net.add_node(node.id, label=node.label, **options)

    edge_ids: dict[str, int] = {}
    for edge in spec.edges:
        if edge.source not in seen or edge.target not in seen:
            raise CorpgraphError(
                "map edge references an unknown node",
                details={"source": edge.source, "target": edge.target},
            )
        if edge.relation not in RELATION_STYLES:
            raise CorpgraphError("unknown relation in map", details={"relation": edge.relation})
        edge_id = _edge_id(edge)
        repeat = edge_ids.get(edge_id, 0)
        edge_ids[edge_id] = repeat + 1
        if repeat:  # a second guarantee between the same pair is a second edge
            edge_id = f"{edge_id} #{repeat + 1}"
        net.add_edge(edge.source, edge.target, **_edge_options(edge, texts, edge_id))

    return {
        "title": spec.title,
        "language": language,
        "badges": [texts["badges"][badge] for badge in spec.badges],
        "hierarchical": spec.hierarchical,
        "expand_url": spec.expand_url,
        "nodes": net.nodes,
        "edges": net.edges,
        "options": physics_options(len(spec.nodes), hierarchical=spec.hierarchical),
        "kind_styles": KIND_STYLES,
        "relation_styles": RELATION_STYLES,
        "text": texts,
    }


def script_json(value: Any) -> str:
    """JSON safe to place inside ``<script type="application/json">``.

    ``<``, ``>`` and ``&`` are written as ``\\u`` escapes, so no string can close
    the script element or open a comment; ``JSON.parse`` reads them back unchanged.

    Examples
    --------
    >>> script_json({"name": "</script><b>甲</b>"})
    '{"name": "\\\\u003c/script\\\\u003e\\\\u003cb\\\\u003e甲\\\\u003c/b\\\\u003e"}'
    """
    text = json.dumps(value, ensure_ascii=False, allow_nan=False, default=str)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _read_inline(path: Path, closing: str) -> str:
    text = path.read_text(encoding="utf-8")
    if closing in text.lower():
        raise CorpgraphError(f"{path.name} cannot be inlined: it contains {closing}")
    return text


@lru_cache(maxsize=1)
def _assets() -> dict[str, str]:
    """The inlined assets, read once per process."""
    return {
        "vis_js": _read_inline(_VIS_DIR / "vis-network.min.js", "</script"),
        "vis_css": _read_inline(_VIS_DIR / "vis-network.css", "</style"),
        "map_js": _read_inline(_HERE / "static" / "map.js", "</script"),
        "map_css": _read_inline(_HERE / "static" / "map.css", "</style"),
    }


@lru_cache(maxsize=1)
def _template() -> jinja2.Template:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(_HERE / "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return env.get_template("map.html.j2")


def render_map(spec: MapSpec, *, language: str = "zh") -> str:
    """Render a map as one self-contained HTML page (no external request of any kind).

    Parameters
    ----------
    spec
        The nodes, edges, title, layout and optional expand URL template (an
        app-relative path with ``{id}``; the page calls it with the API key kept in
        ``sessionStorage["corpgraph_api_key"]`` as ``X-API-Key``).
    language
        ``"zh"`` (default) or ``"en"``.

    Returns
    -------
    str
        The HTML document.

    Raises
    ------
    InputValidationError
        For an unknown language.
    CorpgraphError
        For an inconsistent spec (see :func:`map_data`).
    """
    data = map_data(spec, language=language)
    return _template().render(
        title=spec.title,
        badges=data["badges"],
        language=language,
        text=data["text"],
        data_json=script_json(data),
        **_assets(),
    )
