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
from typing import Any, Final, cast, get_args

import jinja2
import pyvis
from pyvis.network import Network

from core.errors import CorpgraphError, InputValidationError
from core.formatting import Language
from core.i18n import CONTEXT_SEPARATOR, catalogue, gettext, pgettext

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

LANGUAGES_ALL: Final[tuple[Language, ...]] = get_args(Language)
LANGUAGES: Final[tuple[str, ...]] = LANGUAGES_ALL

_HERE = Path(__file__).resolve().parent
_FORMAT_JS = _HERE.parent / "api" / "static" / "format.js"
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
    # A shared address, phone or e-mail: a small square, so it never reads as a company.
    "contact": {
        "shape": "square",
        "size": 9,
        "color": {"background": "#17a2b8", "border": "#0f6b7a"},
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
    # Ties hidden by branch scope: a grey dashed box with a count, never a name.
    "outside": {
        "shape": "ellipse",
        "color": {"background": "#f4f4f4", "border": "#7a7a7a"},
        "shapeProperties": {"borderDashes": [2, 3]},
        "font": {"color": "#444444", "size": 12},
    },
}

#: How the map's subject is drawn over its kind's style: larger, with a thick red ring.
SUBJECT_STYLE: Final[Mapping[str, Any]] = {
    "borderWidth": 5,
    "color": {"border": "#d4380d", "highlight": {"border": "#d4380d"}},
    "font": {"size": 16, "bold": True},
    "shadow": {"enabled": True, "size": 12, "x": 0, "y": 0, "color": "rgba(212,56,13,0.45)"},
}
#: The path to the app's paged list of a node's neighbours (what "+N more" opens).
NEIGHBOURS_URL: Final = "/api/v1/nodes/{id}/neighbours"

#: vis-network edge options per relation (colour, dashes, arrows).
RELATION_STYLES: Final[Mapping[Relation, Mapping[str, Any]]] = {
    "OWNS": {"color": "#1f6fb2", "dashes": False, "arrows": "to", "width": 2},
    "CONTROLS": {"color": "#8e44ad", "dashes": [12, 6], "arrows": "to", "width": 3},
    "SUPPLIES": {"color": "#2e9e5b", "dashes": False, "arrows": "to", "width": 1.5},
    "GUARANTEES": {"color": "#c0392b", "dashes": [3, 4], "arrows": "to", "width": 2},
    "PAYS": {"color": "#e67e22", "dashes": [10, 4, 2, 4], "arrows": "to", "width": 1.5},
    "KEY_PERSON_OF": {"color": "#0f9d8a", "dashes": [2, 3], "arrows": "to", "width": 1.5},
    # Family ties and shared contacts read both ways: no arrow.
    "FAMILY_OF": {"color": "#d63384", "dashes": [6, 3], "arrows": "", "width": 2},
    "HAS_CONTACT": {"color": "#17a2b8", "dashes": [1, 3], "arrows": "", "width": 1},
}

#: How a highlighted edge (``MapEdge.highlight``) is drawn, over its relation's style.
HIGHLIGHT_STYLE: Final[Mapping[str, Any]] = {"color": "#d62728", "width": 5, "dashes": False}


def N_(message: str) -> str:  # noqa: N802 - gettext's name for "mark for extraction only"
    """Mark ``message`` for the catalogue; it is translated where it is shown."""
    return message


#: Every text the page shows (English msgids of the message catalogue, core/locale).
_TEXT_IDS: Final[Mapping[str, str]] = {
    "legend": N_("Legend"),
    "node_kinds": N_("Node types"),
    "relations": N_("Relations (tick to show)"),
    "details": N_("Details"),
    "no_selection": N_("Click a node to see its details"),
    "kind": N_("Type"),
    "expand": N_("Expand neighbours"),
    "expanding": N_("Expanding…"),
    "expanded": N_("Added {nodes} nodes and {edges} relations"),
    "nothing_new": N_("No new neighbours"),
    "expand_failed": N_("Expand failed ({status})"),
    "stabilizing": N_("Laying out… {percent}%"),
    "counts": N_("{nodes} nodes · {edges} relations"),
    "highlighted": N_("Control cycle"),
    "subject": N_("Subject of the map"),
    "search": N_("Search in the map"),
    "search_placeholder": N_("Name…"),
    "search_none": N_("No node matches"),
    "search_found": N_("{count} matching nodes (Enter: next)"),
    "export_png": N_("Export PNG"),
    "min_amount": N_("Smallest amount shown"),
    "all_amounts": N_("All amounts"),
    "from_amount": N_("From {amount}"),
    "more_title": N_("More neighbours"),
    "more_range": N_("{first}–{last} of {total}"),
    "more_outside": N_("{count} ties outside your branch (not listed)"),
    "more_add": N_("Add to the map"),
    "more_added": N_("On the map"),
    "more_previous": N_("Previous"),
    "more_next": N_("Next"),
    "more_loading": N_("Loading…"),
    "more_failed": N_("Could not load the list ({status})"),
    "outside_note": N_("Names of customers of other branches are not shown."),
    "people": N_("Persons and contacts"),
    "ties_outside": N_("Ties outside your branch"),
}
_BADGE_IDS: Final[Mapping[str, str]] = {
    "control_cycle": N_("Control cycle (thick red lines)"),
    "cross_holding": N_("Cross-shareholding"),
    "joint_control": N_("Jointly controlled members"),
}
#: The details a node may carry: field → (label msgid, code list translating its values).
DETAIL_FIELDS: Final[Mapping[str, tuple[str, str | None]]] = {
    "segment": (N_("Segment"), "segment"),
    "industry": (N_("Industry"), "industry"),
    "region": (N_("Region"), "region"),
    "status": (N_("Status"), "company_status"),
    "branch": (N_("Branch"), None),
    "exposure": (N_("Exposure"), None),
    "uscc": (N_("USCC"), None),
    "role": (N_("Role"), "member_role"),
    "depth": (N_("Depth"), None),
    "control_status": (N_("Control"), "control_status"),
    "basis": (N_("Basis"), None),
    "tier": (N_("Tier"), None),
    "supply_role": (N_("Supply role"), "supply_role"),
    "annual_amount": (N_("Annual amount"), None),
    "controllers": (N_("Controllers"), None),
    "contact_family": (N_("Contact type"), "contact_family"),
    "outside": (N_("Ties outside your branch"), None),
}


#: The code lists naming node kinds and relations (api.vocabulary puts them in the catalogue).
_CODE_LISTS: Final = ("node_kind", "relation")


def _texts(language: Language) -> dict[str, Any]:
    texts: dict[str, Any] = {key: gettext(language, msgid) for key, msgid in _TEXT_IDS.items()}
    kinds, relations = _CODE_LISTS
    texts["kinds"] = {kind: pgettext(language, kinds, kind) for kind in KIND_STYLES}
    texts["relation_names"] = {
        relation: pgettext(language, relations, relation) for relation in RELATION_STYLES
    }
    texts["badges"] = {key: gettext(language, msgid) for key, msgid in _BADGE_IDS.items()}
    return texts


def _detail_fields(language: Language) -> dict[str, Any]:
    """Each detail field's label and, for a code field, its codes' names."""
    fields: dict[str, Any] = {}
    for field, (msgid, code_list) in DETAIL_FIELDS.items():
        codes = {}
        if code_list is not None:
            prefix = f"{code_list}{CONTEXT_SEPARATOR}"
            codes = {
                key[len(prefix) :]: text
                for key, text in catalogue(language).items()
                if key.startswith(prefix)
            }
        fields[field] = {"label": gettext(language, msgid), "codes": codes}
    return fields


#: Every text the page shows, per language (from the message catalogue; Chinese first).
TEXTS: Final[Mapping[Language, Mapping[str, Any]]] = {
    language: _texts(language) for language in LANGUAGES_ALL
}

#: Above this many nodes vis's improved (Kamada-Kawai) initial layout is switched off
#: and edges are drawn straight, which keeps 1,000-node maps responsive.
BIG_GRAPH_NODES: Final = 100
#: Node label size (px at zoom 1); the ring layout measures labels in this size.
LABEL_FONT_SIZE: Final = 14
#: Stabilisation iterations by graph size; physics is switched off once they are done.
_ITERATIONS: Final = ((100, 400), (500, 250))
_ITERATIONS_LARGEST: Final = 150


def physics_options(
    node_count: int,
    *,
    hierarchical: bool = False,
    radial: bool = False,
    direction: str = "UD",
) -> dict[str, Any]:
    """The vis-network ``physics``, ``layout``, ``edges`` and ``interaction`` options.

    Stabilisation runs for a bounded number of iterations before the page is shown
    (fewer for bigger graphs), and the page switches physics off as soon as it is
    done, so a 1,000-node map does not keep the CPU busy or drift while it is read.

    Parameters
    ----------
    node_count
        Number of nodes the map starts with.
    hierarchical
        Layout by ``level`` (ownership maps), top-down or left to right (``direction``).
    radial
        Rings around the subject, placed by the page's script: no physics at all.
    direction
        ``UD`` or ``LR`` for a hierarchical layout.

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
            "direction": direction,
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
    if radial:  # positions come from the page's ring layout: nothing to simulate
        physics = {"enabled": False, "stabilization": {"enabled": False}}
        layout = {"improvedLayout": False, "randomSeed": 7}
    interaction = {
        "hover": True,  # edge amounts below the label threshold show on hover
        "tooltipDelay": 200,
        "hideEdgesOnDrag": big,
        "hideEdgesOnZoom": big,
        "navigationButtons": False,
        "keyboard": False,
        "multiselect": False,
    }
    nodes = {"font": {"size": LABEL_FONT_SIZE, "face": "sans-serif"}, "borderWidth": 2}
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


def _node_options(
    node: MapNode, texts: Mapping[str, Any], level: int | None, *, subject: bool = False
) -> dict[str, Any]:
    options: dict[str, Any] = {key: value for key, value in KIND_STYLES[node.kind].items()}
    if subject:
        options.update({**SUBJECT_STYLE, "color": {**options["color"], **SUBJECT_STYLE["color"]}})
        options["subject"] = True
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
        options["amount"] = edge.weight
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
    lang = cast(Language, language)
    texts = TEXTS[lang]
    _check_expand_url(spec.expand_url)
    if spec.subject is not None and spec.subject not in {n.id for n in spec.nodes}:
        raise CorpgraphError("map subject is not a node", details={"subject": spec.subject})
    radial = spec.layout == "radial" and spec.subject is not None and not spec.hierarchical
    levels = _fill_levels(spec) if spec.hierarchical else {}

    net = Network(directed=True, cdn_resources="in_line")
    seen: set[str] = set()
    for node in spec.nodes:
        if node.id in seen:
            raise CorpgraphError("duplicate node id in map", details={"node_id": node.id})
        if node.kind not in KIND_STYLES:
            raise CorpgraphError("unknown node kind in map", details={"kind": node.kind})
        seen.add(node.id)
        options = _node_options(node, texts, levels.get(node.id), subject=node.id == spec.subject)
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
        "neighbours_url": NEIGHBOURS_URL if spec.expand_url else None,
        "subject": spec.subject,
        "layout": "radial" if radial else "hierarchical" if spec.hierarchical else "force",
        "label_min_weight": spec.label_min_weight,
        "relations": list(spec.relations or RELATION_STYLES),
        "people_shown": spec.people_shown,
        "font_size": LABEL_FONT_SIZE,
        "nodes": net.nodes,
        "edges": net.edges,
        "options": physics_options(
            len(spec.nodes),
            hierarchical=spec.hierarchical,
            radial=radial,
            direction=spec.direction,
        ),
        "detail_fields": _detail_fields(lang),
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
        # The app's one money formatter (api/static/format.js), so a map formats
        # amounts exactly as every other page does.
        "format_js": _read_inline(_FORMAT_JS, "</script"),
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
