"""The workbench's server side: role menus from the API's rules, language, policy, docs.

In-process (FastAPI's TestClient without the lifespan, so no database): the pages
are shells and the catalogue and docs need none.
"""

from __future__ import annotations

import base64
import hashlib
import re

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.ui import PAGES, content_security_policy, page_roles
from core.settings import Settings
from visualizations.builder import render_map
from visualizations.model import MapEdge, MapNode, MapSpec


@pytest.fixture(scope="module")
def client() -> TestClient:
    return TestClient(create_app(Settings(_env_file=None)))


def test_menus_follow_the_roles_each_endpoint_admits() -> None:
    roles = page_roles(create_app(Settings(_env_file=None)))
    everyone = ("rm", "risk", "prospecting", "manager", "admin")
    assert roles["home"] == everyone
    assert roles["search"] == everyone
    assert roles["prospects"] == ("rm", "prospecting", "manager", "admin")
    assert roles["groups"] == roles["group"] == roles["circle"] == ("risk", "manager", "admin")
    assert roles["events"] == roles["pipeline"] == ("rm", "risk", "manager", "admin")
    assert roles["reports"] == ("manager", "admin")
    assert roles["related"] == ("risk", "admin")  # the related-party review: decides, so risk
    assert roles["scorecards"] == ("rm", "manager", "admin")
    assert roles["plan"] == ("rm", "manager", "admin")  # as the KPI endpoints admit
    assert PAGES["plan"].menu
    assert set(roles) == set(PAGES)


def test_pages_render_in_chinese_by_default_and_remember_english(client: TestClient) -> None:
    zh = client.get("/ui/search")
    assert '<html lang="zh-CN">' in zh.text
    assert "<title>客户筛选 · corpgraph</title>" in zh.text
    assert 'data-roles="rm risk prospecting manager admin"' in zh.text
    en = client.get("/ui/search?lang=en")
    assert '<html lang="en">' in en.text
    assert "<title>Customers · corpgraph</title>" in en.text
    assert en.cookies.get("corpgraph_lang") == "en"
    again = client.get("/ui/reports")  # the client keeps the cookie, as a browser does
    assert "Major events monitoring" in again.text
    client.get("/ui/home?lang=zh")


def test_the_script_gets_the_same_catalogue_and_the_code_lists_in_order(
    client: TestClient,
) -> None:
    body = client.get("/ui/i18n/zh.json").json()
    assert body["messages"]["Customers"] == "客户筛选"
    assert body["messages"]["stage\x04won"] == "已成交"
    assert body["code_lists"]["stage"] == ["identified", "contacted", "proposal", "won", "lost"]
    assert client.get("/ui/i18n/en.json").json()["messages"]["stage\x04won"] == "Won"


def test_pages_allow_only_their_own_origin(client: TestClient) -> None:
    policy = client.get("/ui/search").headers["content-security-policy"]
    assert "script-src 'self';" in policy
    assert "unsafe-inline" not in policy.split("script-src")[1].split(";")[0]
    assert "frame-ancestors 'self'" in policy


def test_a_map_host_admits_exactly_the_map_documents_inline_scripts() -> None:
    spec = MapSpec(
        "甲",
        (MapNode("A", "甲", "customer"), MapNode("B", "乙", "non_customer")),
        (MapEdge("A", "B", "PAYS", "¥1.00万"),),
    )
    scripts = re.findall(r"<script>(.*?)</script>", render_map(spec), flags=re.DOTALL)
    assert scripts
    policy = content_security_policy("map")
    for script in scripts:
        digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
        assert f"'sha256-{digest}'" in policy
    assert "sha256" not in content_security_policy("search")


@pytest.mark.parametrize(
    ("path", "asset"),
    [
        ("/docs", "/static/vendor/swagger-ui/swagger-ui-bundle.js"),
        ("/redoc", "redoc.standalone.js"),
    ],
)
def test_api_docs_use_the_apps_own_assets(client: TestClient, path: str, asset: str) -> None:
    page = client.get(path)
    assert page.status_code == 200
    assert asset in page.text
    assert not re.search(r"https?://(?!corpgraph\.invalid)", page.text)
    assert client.get(re.findall(r'src="([^"]+)"', page.text)[0]).status_code == 200


def test_the_related_party_review_page_is_in_both_languages(client: TestClient) -> None:
    zh = client.get("/ui/related?lang=zh")
    assert "<title>疑似关联复核 · corpgraph</title>" in zh.text
    assert 'data-roles="risk admin"' in zh.text
    assert 'data-codes="review_status"' in zh.text
    en = client.get("/ui/related?lang=en")
    assert "<title>Related-party review · corpgraph</title>" in en.text
    assert "never comes back to this queue" in en.text
    body = client.get("/ui/i18n/zh.json").json()
    assert body["messages"]["review_status\x04dismissed"] == "已排除"
    assert body["code_lists"]["review_status"] == ["pending", "confirmed", "dismissed"]
    client.get("/ui/home?lang=zh")


def test_the_plan_page_is_in_both_languages_with_its_chart_library(client: TestClient) -> None:
    zh = client.get("/ui/plan?lang=zh&unit=branch:B01")
    assert zh.status_code == 200
    assert "<title>计划 · corpgraph</title>" in zh.text
    assert 'data-roles="rm manager admin"' in zh.text
    assert 'href="/ui/plan"' in zh.text  # the menu entry (shown to the roles above)
    for label in ("计划与进度", "目标设定参考", "按进度预测沿用至今的节奏"):
        assert label in zh.text
    assert "/static/vendor/echarts/echarts.min.js" in zh.text
    en = client.get("/ui/plan?lang=en")
    assert "<title>Plan · corpgraph</title>" in en.text
    for label in ("Plan and progress", "Target aid", "the chance to reach count the open"):
        assert label in en.text
    messages = client.get("/ui/i18n/zh.json").json()["messages"]
    # The script's labels for the chart, the drill-down and the aid are translated.
    assert messages["Pipeline-weighted forecast"] == "商机加权预测"
    assert messages["Q{quarter} {year}"] == "{year}年第{quarter}季度"
    assert messages["Units under this branch"] == "下属单位"
    client.get("/ui/home?lang=zh")
