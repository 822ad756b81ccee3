"""A rendered map works offline in headless Chromium: draws, filters, details, expand."""

from __future__ import annotations

from pathlib import Path
from typing import Any, get_args

import pytest

from visualizations.builder import render_map
from visualizations.model import MapEdge, MapNode, MapSpec, NodeKind, Relation

from .conftest import API_KEY, LocalApp, assert_offline

pytestmark = pytest.mark.browser

PWNED = "<script>window.__pwned=1</script><img src=x onerror=window.__pwned=2>有限公司"
KINDS: tuple[NodeKind, ...] = get_args(NodeKind)
RELATIONS: tuple[Relation, ...] = get_args(Relation)
STABILISED = "return document.body.getAttribute('data-stabilized') === 'true';"


def network_spec(n: int = 60) -> MapSpec:
    """``n`` nodes of every kind joined by every relation, with an expand URL."""
    nodes = [MapNode("C0", PWNED, "customer", details={"industry": "制造业", "region": PWNED})]
    for i in range(1, n):
        kind = KINDS[i % 4]  # customer, non_customer, person, group
        nodes.append(MapNode(f"C{i}", f"企业{i}有限公司", kind, details={"授信": f"{i * 100}万"}))
    nodes[-1] = MapNode(f"C{n - 1}", "+12 more", "more")
    edges = [
        MapEdge(f"C{i}", f"C{(i * 7 + 3) % n}", RELATIONS[i % 5], f"{i}%" if i % 5 < 2 else "¥1万")
        for i in range(n)
        if (i * 7 + 3) % n != i
    ]
    edges += [MapEdge("C0", f"C{i}", RELATIONS[i % 5], "") for i in range(1, 6)]
    return MapSpec("测试关系图", tuple(nodes), tuple(edges), expand_url="/expand/{id}")


def ownership_spec() -> MapSpec:
    """A three-level ownership tree (group → companies → subsidiaries)."""
    nodes = [
        MapNode("G", "华东控股集团", "group", level=0),
        MapNode("P", "张三", "person", level=0),
    ]
    edges = [MapEdge("P", "G", "CONTROLS", "实际控制")]
    for i in range(6):
        nodes.append(MapNode(f"A{i}", f"子公司{i}", "customer", level=1))
        edges.append(MapEdge("G", f"A{i}", "OWNS", f"{50 + i}%"))
        for j in range(4):
            nodes.append(MapNode(f"A{i}B{j}", f"孙公司{i}-{j}", "non_customer", level=2))
            edges.append(MapEdge(f"A{i}", f"A{i}B{j}", "OWNS", f"{20 + j}%"))
    return MapSpec("股权结构", tuple(nodes), tuple(edges), True, "/expand/{id}")


def expand_answer(node_id: str, headers: dict[str, str]) -> dict[str, Any]:
    """The expand endpoint: five new neighbours, plus an existing node and edge again."""
    new = [
        {
            "id": f"{node_id}-x{k}",
            "label": f"新关联方{k}",
            "kind": KINDS[k % 4],
            "details": {"k": k},
        }
        for k in range(5)
    ]
    again = {"id": node_id, "label": "重复", "kind": "customer", "details": {}}
    edges = [
        {"source": node_id, "target": n["id"], "relation": "OWNS", "label": "10%"} for n in new
    ]
    edges.append(dict(edges[0]))  # a duplicate edge in the same answer
    edges.append({"source": node_id, "target": "no-such-node", "relation": "PAYS", "label": ""})
    return {"nodes": [*new, again], "edges": edges, "key": headers.get("x-api-key")}


def open_map(browser: Any, app: LocalApp, path: str, spec: MapSpec) -> None:
    from selenium.webdriver.support.ui import WebDriverWait

    app.pages[path] = render_map(spec).encode("utf-8")
    app.json_routes["/expand/"] = expand_answer
    browser.get(app.url(path))
    WebDriverWait(browser, 90, poll_frequency=0.2).until(lambda d: d.execute_script(STABILISED))


def js(browser: Any, script: str, *args: Any) -> Any:
    return browser.execute_script(script, *args)


def painted_pixels(browser: Any) -> int:
    """How many pixels of the map canvas are drawn (vis's canvas is transparent)."""
    return int(
        js(
            browser,
            """
            const c = document.querySelector('#corpgraph-map canvas');
            const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
            let n = 0;
            for (let i = 3; i < d.length; i += 16) { if (d[i] > 0) n += 1; }
            return n;
            """,
        )
    )


def click_node_on_canvas(browser: Any, node_id: str) -> None:
    """A real mouse click at the node's place on the screen."""
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By

    canvas = browser.find_element(By.CSS_SELECTOR, "#corpgraph-map canvas")
    offset = js(
        browser,
        """
        const net = window.corpgraphMap.network;
        net.moveTo({position: net.getPositions([arguments[0]])[arguments[0]], scale: 1.2});
        const p = net.canvasToDOM(net.getPositions([arguments[0]])[arguments[0]]);
        const r = arguments[1].getBoundingClientRect();
        return [p.x - r.width / 2, p.y - r.height / 2];
        """,
        node_id,
        canvas,
    )
    actions = ActionChains(browser)
    actions.move_to_element_with_offset(canvas, int(offset[0]), int(offset[1])).click().perform()


def test_network_map_offline(browser: Any, local_app: LocalApp, artifacts: Path) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    spec = network_spec(60)
    open_map(browser, local_app, "/map.html", spec)
    browser.save_screenshot(str(artifacts / "map-network.png"))

    # the canvas drew every node, and physics is off once stabilised
    assert js(browser, "return Object.keys(corpgraphMap.network.getPositions()).length;") == 60
    assert js(browser, "return corpgraphMap.edges.length;") == len(spec.edges)
    assert painted_pixels(browser) > 2000
    assert js(browser, "return corpgraphMap.network.physics.physicsEnabled;") is False
    legend = browser.find_element(By.ID, "cg-legend").text
    assert "图例" in legend
    assert all(name in legend for name in ("客户", "自然人", "集团", "持股", "担保", "资金往来"))

    # the relation filter hides and shows the edges of one type
    count_hidden = "return corpgraphMap.edges.get({filter: e => e.hidden}).map(e => e.relation);"
    browser.find_element(By.ID, "cg-filter-PAYS").click()
    hidden = js(browser, count_hidden)
    assert hidden
    assert set(hidden) == {"PAYS"}
    assert len(hidden) == sum(1 for e in spec.edges if e.relation == "PAYS")
    browser.save_screenshot(str(artifacts / "map-network-filtered.png"))
    browser.find_element(By.ID, "cg-filter-PAYS").click()
    assert js(browser, count_hidden) == []

    # clicking a node shows its details as text: the hostile name is never run
    click_node_on_canvas(browser, "C0")
    label = browser.find_element(By.ID, "cg-node-label")
    WebDriverWait(browser, 10).until(lambda d: label.text == PWNED)
    details = browser.find_element(By.ID, "cg-node-details").text
    assert "制造业" in details
    assert PWNED in details
    assert js(browser, "return window.__pwned === undefined;") is True
    browser.save_screenshot(str(artifacts / "map-network-details.png"))

    # expand fetches the app's endpoint with the session's API key and adds new nodes only
    js(browser, "sessionStorage.setItem('corpgraph_api_key', arguments[0]);", API_KEY)
    js(browser, "corpgraphMap.showDetails('C1');")
    browser.find_element(By.ID, "cg-expand").click()
    WebDriverWait(browser, 20).until(lambda d: js(d, "return corpgraphMap.nodes.length;") == 65)
    assert js(browser, "return corpgraphMap.edges.length;") == len(spec.edges) + 5
    assert js(browser, "return corpgraphMap.nodes.get('C1').label;") == "企业1有限公司"
    expand_calls = [h for p, h in local_app.requests if p.startswith("/expand/")]
    assert len(expand_calls) == 1
    assert expand_calls[0].get("x-api-key") == API_KEY
    # an expanded node is styled exactly as the builder styles one of its kind
    style = "const n = corpgraphMap.nodes.get(arguments[0]); return [n.shape, n.color, n.kind];"
    assert js(browser, style, "C1-x1") == js(browser, style, "C1")  # both non_customer
    assert js(browser, style, "C1-x0") == js(browser, style, "C4")  # both customer
    assert "新增 5 个节点" in browser.find_element(By.ID, "cg-expand-status").text
    browser.save_screenshot(str(artifacts / "map-network-expanded.png"))

    # expanding again adds nothing (no duplicates)
    browser.find_element(By.ID, "cg-expand").click()
    WebDriverWait(browser, 20).until(
        lambda d: "没有新的关联方" in d.find_element(By.ID, "cg-expand-status").text
    )
    assert js(browser, "return corpgraphMap.nodes.length;") == 65

    urls = assert_offline(browser, local_app)
    assert local_app.url("/map.html") in urls
    assert local_app.url("/expand/C1") in urls


def test_ownership_map_is_top_down(browser: Any, local_app: LocalApp, artifacts: Path) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    open_map(browser, local_app, "/tree.html", ownership_spec())
    levels_y = """
        const pos = corpgraphMap.network.getPositions();
        const out = {};
        corpgraphMap.nodes.forEach(n => {
            (out[n.level] = out[n.level] || []).push(pos[n.id].y);
        });
        return out;
    """
    by_level = js(browser, levels_y)
    assert sorted(by_level) == ["0", "1", "2"]
    assert max(by_level["0"]) < min(by_level["1"])
    assert max(by_level["1"]) < min(by_level["2"])
    assert painted_pixels(browser) > 2000
    browser.save_screenshot(str(artifacts / "map-ownership.png"))

    js(browser, "corpgraphMap.showDetails('A0B0');")
    browser.find_element(By.ID, "cg-expand").click()
    WebDriverWait(browser, 20).until(lambda d: js(d, "return corpgraphMap.nodes.length;") == 37)
    by_level = js(browser, levels_y)
    assert len(by_level["3"]) == 5  # the new subsidiaries sit one level below
    WebDriverWait(browser, 10).until(
        lambda d: min(js(d, levels_y)["3"]) > max(js(d, levels_y)["2"])
    )
    browser.save_screenshot(str(artifacts / "map-ownership-expanded.png"))
    assert_offline(browser, local_app)


def test_english_legend(browser: Any, local_app: LocalApp, artifacts: Path) -> None:
    from selenium.webdriver.common.by import By

    local_app.pages["/en.html"] = render_map(ownership_spec(), language="en").encode("utf-8")
    browser.get(local_app.url("/en.html"))
    legend = browser.find_element(By.ID, "cg-legend").text
    assert "Legend" in legend
    assert "Guarantees" in legend
    assert "图例" not in legend
    assert_offline(browser, local_app)


def test_thousand_nodes_stabilise(browser: Any, local_app: LocalApp, artifacts: Path) -> None:
    import time

    nodes = tuple(MapNode(f"N{i}", f"企业{i}", KINDS[i % 5], details={"i": i}) for i in range(1000))
    edges = tuple(
        MapEdge(f"N{i}", f"N{(i * 37 + 11) % 1000}", RELATIONS[i % 5], f"{i % 90}%")
        for i in range(1000)
        if (i * 37 + 11) % 1000 != i
    )
    started = time.monotonic()
    open_map(browser, local_app, "/big.html", MapSpec("千节点", nodes, edges))
    elapsed = time.monotonic() - started
    assert js(browser, "return Object.keys(corpgraphMap.network.getPositions()).length;") == 1000
    assert js(browser, "return corpgraphMap.network.physics.physicsEnabled;") is False
    assert painted_pixels(browser) > 2000
    assert elapsed < 60, f"1,000 nodes took {elapsed:.1f} s to stabilise"
    browser.save_screenshot(str(artifacts / "map-1000-nodes.png"))
    assert_offline(browser, local_app)


def test_harness_catches_external_requests(browser: Any, local_app: LocalApp) -> None:
    """The offline check is not vacuous: a page that loads from elsewhere fails it."""
    local_app.pages["/leaky.html"] = (
        b'<!DOCTYPE html><html><head><link rel="icon" href="data:,"></head><body>'
        b'<img src="https://cdn.example.com/pixel.png"></body></html>'
    )
    browser.get(local_app.url("/leaky.html"))
    with pytest.raises(AssertionError, match=r"cdn\.example\.com"):
        assert_offline(browser, local_app)
