"""The one map builder: self-contained HTML, legend, escaping, big and hierarchical maps."""

from __future__ import annotations

import json
import re
from typing import Any, get_args

import pytest

from core.errors import CorpgraphError, InputValidationError
from visualizations.builder import (
    KIND_STYLES,
    RELATION_STYLES,
    TEXTS,
    map_data,
    render_map,
    script_json,
)
from visualizations.model import MapEdge, MapNode, MapSpec, NodeKind, Relation

MALICIOUS = "<script>alert(1)</script>有限公司"
KINDS: tuple[NodeKind, ...] = get_args(NodeKind)
RELATIONS: tuple[Relation, ...] = get_args(Relation)

# Absolute URLs that appear in the inlined vis-network bundle only as text: its licence
# header, error-message links and the SVG namespace. None of them is ever requested.
INERT_URLS = {
    "http://almende.com",
    "http://opensource.org/licenses/MIT",
    "http://www.apache.org/licenses/LICENSE-2.0",
    "http://www.w3.org/2000/svg",
    "https://github.com/uuidjs/uuid#getrandomvalues-not-supported",
    "https://github.com/visjs",
    "https://github.com/zloirock/core-js",
    "https://github.com/zloirock/core-js/blob/v3.21.1/LICENSE",
    "https://visjs.github.io/vis-network/",
}
# Constructs that would make a browser load something, with what follows them.
LOADING = re.compile(
    r"""(?:\b(?:src|href|action|poster|data)\s*=\s*["']?"""
    r"""|url\(\s*["']?|@import\s*["']?|\bfetch\(\s*["'`]|\bimportScripts\(\s*["'`]"""
    r"""|\bXMLHttpRequest\b|\bEventSource\(|\bWebSocket\(|\bsendBeacon\()""",
    re.IGNORECASE,
)


def small_spec(**overrides: Any) -> MapSpec:
    nodes = (
        MapNode("G1", "华东控股集团", "group", level=0, details={"成员数": 12}),
        MapNode("C1", MALICIOUS, "customer", level=1, details={"备注": MALICIOUS}),
        MapNode("N1", "上海供应链有限公司", "non_customer", level=2),
        MapNode("P1", "张三", "person", level=0),
        MapNode("M1", "+7 more", "more", level=2),
        MapNode("O1", "3 ties outside your branch", "outside", level=2),
        MapNode("K1", "深圳南山区科技园a座1201室", "contact", level=2),
    )
    edges = (
        MapEdge("G1", "C1", "OWNS", "51.0%", 51.0),
        MapEdge("P1", "G1", "CONTROLS", "实际控制"),
        MapEdge("N1", "C1", "SUPPLIES", "¥1,200万", 1.2e7),
        MapEdge("G1", "N1", "GUARANTEES", "¥500万"),
        MapEdge("C1", "N1", "PAYS", "¥86万"),
        MapEdge("C1", "M1", "PAYS", ""),
        MapEdge("C1", "O1", "GUARANTEES", ""),
        MapEdge("P1", "C1", "KEY_PERSON_OF", "法定代表人"),
        MapEdge("P1", "N1", "FAMILY_OF", "配偶"),
        MapEdge("C1", "K1", "HAS_CONTACT", "注册地址"),
    )
    values: dict[str, Any] = {
        "title": "华东控股集团 关系图",
        "nodes": nodes,
        "edges": edges,
        "expand_url": "/api/v1/customers/{id}/network?depth=1",
    }
    values.update(overrides)
    return MapSpec(**values)


def big_spec(n: int = 1000) -> MapSpec:
    nodes = tuple(
        MapNode(f"N{i}", f"企业{i}有限公司", KINDS[i % len(KINDS)], details={"i": i})
        for i in range(n)
    )
    edges = tuple(
        MapEdge(f"N{i}", f"N{(i * 7 + 1) % n}", RELATIONS[i % len(RELATIONS)], f"{i % 100}%")
        for i in range(n)
        if (i * 7 + 1) % n != i
    )
    return MapSpec(title="大图", nodes=nodes, edges=edges)


def embedded_data(html: str) -> dict[str, Any]:
    match = re.search(
        r'<script type="application/json" id="corpgraph-map-data">(.*?)</script>', html, re.S
    )
    assert match is not None
    data: dict[str, Any] = json.loads(match.group(1))
    return data


def test_page_is_self_contained() -> None:
    html = render_map(small_spec())
    assert "vis-network" in html
    assert "@license" in html
    assert "bootstrap" not in html.lower()
    assert re.findall(r"<link[^>]*>", html) == [
        '<link rel="icon" href="data:,">'
    ]  # no favicon fetch
    assert not re.search(r"<script[^>]*\bsrc\s*=", html, re.IGNORECASE)
    for match in LOADING.finditer(html):
        following = html[match.end() : match.end() + 12].lower()
        assert not following.startswith(("http:", "https:", "//")), html[
            match.start() - 40 : match.end() + 60
        ]
    urls = {u.rstrip("\\") for u in re.findall(r"https?://[^\s\"'<>()`]+", html)}
    assert urls <= INERT_URLS, urls - INERT_URLS
    assert "Content-Security-Policy" in html
    assert "default-src 'none'" in html
    assert "connect-src 'self'" in html


def test_expand_url_is_the_only_request_and_app_relative() -> None:
    html = render_map(small_spec())
    assert embedded_data(html)["expand_url"] == "/api/v1/customers/{id}/network?depth=1"
    assert 'sessionStorage.getItem("corpgraph_api_key")' in html
    assert '"X-API-Key"' in html
    for bad in ("https://evil.example/{id}", "//evil.example/{id}", "api/{id}", "/api/x"):
        with pytest.raises(CorpgraphError):
            render_map(small_spec(expand_url=bad))


@pytest.mark.parametrize("language", ["zh", "en"])
def test_legend_and_labels(language: str) -> None:
    html = render_map(small_spec(), language=language)
    texts = TEXTS[language]  # type: ignore[index]
    data = embedded_data(html)
    assert f"<h2>{texts['legend']}</h2>" in html
    assert data["text"]["kinds"] == texts["kinds"]
    assert set(data["text"]["kinds"]) == set(KINDS)
    assert set(data["text"]["relation_names"]) == set(RELATIONS)
    assert data["language"] == language
    labels = {e["relation"]: e["label"] for e in data["edges"]}
    assert labels["OWNS"] == "51.0%"
    assert labels["SUPPLIES"] == "¥1,200万"
    titles = {e["relation"]: e["title"] for e in data["edges"]}
    assert titles["OWNS"] == f"{texts['relation_names']['OWNS']} 51.0%"
    lang_attr = 'lang="zh-CN"' if language == "zh" else 'lang="en"'
    assert lang_attr in html


def test_chinese_is_the_default() -> None:
    html = render_map(small_spec())
    assert "<h2>图例</h2>" in html
    assert "关系类型" in html
    assert embedded_data(html)["text"]["relation_names"]["GUARANTEES"] == "担保"
    en = render_map(small_spec(), language="en")
    assert "<h2>Legend</h2>" in en
    assert "图例" not in en


def test_unknown_language_is_refused() -> None:
    with pytest.raises(InputValidationError):
        render_map(small_spec(), language="fr")


def test_styles_by_kind_and_relation() -> None:
    data = embedded_data(render_map(small_spec()))
    shapes = {n["kind"]: n["shape"] for n in data["nodes"]}
    assert shapes == {k: KIND_STYLES[k]["shape"] for k in KINDS}
    assert len(set(shapes.values())) == len(KINDS)
    colours = {n["kind"]: n["color"]["background"] for n in data["nodes"]}
    assert len(set(colours.values())) == len(KINDS)
    by_relation = {e["relation"]: e for e in data["edges"]}
    for relation in RELATIONS:
        assert by_relation[relation]["color"] == RELATION_STYLES[relation]["color"]
        assert by_relation[relation]["dashes"] == RELATION_STYLES[relation]["dashes"]
        assert by_relation[relation]["arrows"] == RELATION_STYLES[relation]["arrows"]
    # Ties between companies point; family ties and shared contacts read both ways.
    assert {r for r in RELATIONS if RELATION_STYLES[r]["arrows"] != "to"} == {
        "FAMILY_OF",
        "HAS_CONTACT",
    }
    assert len(
        {str(RELATION_STYLES[r]["dashes"]) + RELATION_STYLES[r]["color"] for r in RELATIONS}
    ) == len(RELATIONS)
    assert by_relation["OWNS"]["value"] == 51.0
    assert data["kind_styles"].keys() == set(KINDS)  # the page styles expanded nodes alike


def test_malicious_names_are_escaped() -> None:
    spec = small_spec(title=MALICIOUS)
    html = render_map(spec)
    assert "<script>alert(1)" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;有限公司" in html  # <title> and <h1>
    data = embedded_data(html)
    assert data["title"] == MALICIOUS  # JSON.parse reads the escaped text back unchanged
    node = next(n for n in data["nodes"] if n["id"] == "C1")
    assert node["label"] == MALICIOUS
    assert node["details"]["备注"] == MALICIOUS
    # the page script writes names as DOM text only
    page_script = html.rsplit("<script>", 1)[1]
    assert "corpgraphMap" in page_script
    assert "innerHTML" not in page_script


def test_script_json_cannot_close_its_block() -> None:
    text = script_json({"a": "</script><!-- x & y -->", "b": "\u2028"})
    assert "<" not in text
    assert ">" not in text
    assert "&" not in text
    assert json.loads(text) == {"a": "</script><!-- x & y -->", "b": "\u2028"}


def test_thousand_nodes_render_with_bounded_stabilisation() -> None:
    spec = big_spec(1000)
    html = render_map(spec)
    data = embedded_data(html)
    assert len(data["nodes"]) == 1000
    assert len(data["edges"]) == len(spec.edges)
    options = data["options"]
    stabilization = options["physics"]["stabilization"]
    assert stabilization["enabled"] is True
    assert 0 < stabilization["iterations"] <= 200
    assert options["layout"]["improvedLayout"] is False
    assert options["edges"]["smooth"] is False
    assert options["interaction"]["hideEdgesOnDrag"] is True
    # the page switches physics off once stabilisation is done
    assert "stabilizationIterationsDone" in html
    assert "physics: { enabled: false }" in html


def test_small_maps_use_the_improved_layout() -> None:
    options = embedded_data(render_map(small_spec()))["options"]
    assert options["layout"]["improvedLayout"] is True
    assert options["physics"]["stabilization"]["iterations"] > 200
    assert "hierarchical" not in options["layout"]


def test_hierarchical_layout_when_asked() -> None:
    data = embedded_data(render_map(small_spec(hierarchical=True)))
    hierarchical = data["options"]["layout"]["hierarchical"]
    assert hierarchical["enabled"] is True
    assert hierarchical["direction"] == "UD"
    assert data["options"]["physics"]["solver"] == "hierarchicalRepulsion"
    assert data["hierarchical"] is True
    assert {n["id"]: n["level"] for n in data["nodes"]}["G1"] == 0


def test_hierarchical_levels_are_completed() -> None:
    nodes = (
        MapNode("A", "甲", "group", level=0),
        MapNode("B", "乙", "customer"),
        MapNode("C", "丙", "person"),
        MapNode("D", "丁", "customer"),
    )
    edges = (MapEdge("A", "B", "OWNS", "60%"), MapEdge("C", "B", "OWNS", "40%"))
    data = embedded_data(render_map(MapSpec("股权", nodes, edges, hierarchical=True)))
    levels = {n["id"]: n["level"] for n in data["nodes"]}
    assert levels == {"A": 0, "B": 1, "C": 0, "D": 2}
    # with no level at all, vis sorts by edge direction and no node gets one
    bare = tuple(MapNode(n.id, n.label, n.kind) for n in nodes)
    data = embedded_data(render_map(MapSpec("股权", bare, edges, hierarchical=True)))
    assert all("level" not in n for n in data["nodes"])


def test_inconsistent_specs_are_refused() -> None:
    node = MapNode("A", "甲", "customer")
    with pytest.raises(CorpgraphError, match="duplicate"):
        map_data(MapSpec("x", (node, node), ()))
    with pytest.raises(CorpgraphError, match="unknown node"):
        map_data(MapSpec("x", (node,), (MapEdge("A", "B", "OWNS"),)))


def test_repeated_edges_keep_distinct_ids() -> None:
    nodes = (MapNode("A", "甲", "customer"), MapNode("B", "乙", "customer"))
    edges = (MapEdge("A", "B", "GUARANTEES", "¥1亿"), MapEdge("A", "B", "GUARANTEES", "¥2亿"))
    data = map_data(MapSpec("担保", nodes, edges))
    ids = [e["id"] for e in data["edges"]]
    assert ids == ["A -GUARANTEES-> B", "A -GUARANTEES-> B #2"]


def test_filters_details_and_expand_are_wired() -> None:
    html = render_map(small_spec())
    for element in ('id="cg-relations"', 'id="cg-kinds"', 'id="cg-node-details"', 'id="cg-expand"'):
        assert element in html
    assert "展开关联方" in html


def test_a_circle_map_never_keys_a_node_by_a_hidden_members_id() -> None:
    from services.group_risk import CircleDetail, CircleGuarantee, CircleMemberRow, StoredCircle
    from visualizations.risk_maps import circle_map

    members = (
        CircleMemberRow("C-MINE", "甲公司", True, True, ()),
        CircleMemberRow("C-SECRET-1", "乙公司", True, False, None),
        CircleMemberRow("C-SECRET-2", "丙公司", True, False, None),
    )
    ring = [("C-MINE", "C-SECRET-1"), ("C-SECRET-1", "C-SECRET-2"), ("C-SECRET-2", "C-MINE")]
    # As the service gives them: the tie between the two hidden members has no amount.
    amounts = (10**10, None, 10**10)
    guarantees = tuple(
        CircleGuarantee(f"G{i}", a, b, amount, "CNY" if amount else None)
        for i, ((a, b), amount) in enumerate(zip(ring, amounts, strict=True))
    )
    circle = StoredCircle("GC1", 3, tuple(m.id for m in members))
    spec = circle_map(CircleDetail(circle, members, guarantees))
    html = render_map(spec)
    assert "C-SECRET" not in html
    data = embedded_data(html)
    assert {n["id"] for n in data["nodes"]} == {"C-MINE", "outside-1", "outside-2"}
    assert len(data["edges"]) == 3  # the circle is still a circle
    assert sum(1 for e in data["edges"] if e.get("label")) == 2
    assert all(n["kind"] == "outside" for n in data["nodes"] if n["id"] != "C-MINE")


def test_detail_fields_are_named_in_both_languages() -> None:
    for language in ("zh", "en"):
        fields = embedded_data(render_map(small_spec(), language=language))["detail_fields"]
        assert set(fields) >= {"segment", "branch", "exposure", "outside"}
        assert all(f["label"] and f["label"] != key for key, f in fields.items() if key != "uscc")
    zh = embedded_data(render_map(small_spec()))["detail_fields"]
    assert zh["segment"]["label"] == "客户分层"
    assert zh["segment"]["codes"]["strategic"] == "战略客户"
