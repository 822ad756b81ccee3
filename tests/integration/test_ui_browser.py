"""The web workbench in headless Chromium against the real app and Neo4j.

- Journeys: a relationship manager searches a customer, opens its 360 and its map,
  expands a node, then exports prospects; risk staff open a group and a circle;
  a manager works the events inbox, the pipeline and the reports.
- Roles: each role sees exactly the menu pages its API calls admit, and no page it
  can reach gets a 403.
- The crawl: every page in both languages shows no snake_case key, no code the
  catalogue names, no raw ISO date or time and (in Chinese) no untranslated
  English; axe-core (vendored) finds no serious or critical violation.
- ``/docs`` and ``/redoc`` render from the app's own assets.

Every page must make no request to any host but the app and log no console error.
Screenshots of every page in both languages go to ``tests/browser/artifacts``.
"""

from __future__ import annotations

import csv
import json
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from api.vocabulary import CODE_LISTS
from core.i18n import catalogue
from graph.database import Database
from graph.schema import wipe
from tests.browser.conftest import (  # noqa: F401 - fixtures used by name
    LocalApp,
    artifacts,
    assert_offline,
    browser,
    local_app,
)

from .conftest import cli_env, free_port, run_cli

pytestmark = pytest.mark.browser
KEY = re.compile(r"cg_[0-9a-f]{12}_[A-Za-z0-9_-]{43}")
AXE = Path(__file__).resolve().parents[1] / "browser" / "vendor" / "axe-core" / "axe.min.js"

SNAKE_CASE = re.compile(r"\b[a-z][a-z0-9]*_[a-z0-9_]+\b")
ISO_DATE_OR_TIME = re.compile(r"\b\d{4}-\d{2}(-\d{2})?(T\d{2}:\d{2})?\b")
#: Lowercase Latin words a Chinese page may show: the product's name and its CLI command.
CHINESE_PAGE_LATIN = frozenset({"corpgraph", "users", "add"})


@pytest.fixture(scope="module")
def served_bank(
    database: Database, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, Path]]:
    """The tiny bank loaded and computed, served by ``corpgraph serve``."""
    bank = tmp_path_factory.mktemp("ui") / "bank"
    run_cli("generate", "--scale", "tiny", "--seed", "11", "--out", str(bank), env=cli_env())
    wipe(database)
    run_cli("load", str(bank), "--rejects", str(bank.parent / "r.csv"), env=cli_env())
    run_cli("compute", "--engine", "python", env=cli_env())
    port = free_port()
    log = (bank.parent / "serve.log").open("wb")
    server = subprocess.Popen(
        [sys.executable, "-m", "corpgraph", "serve", "--port", str(port)],
        env=cli_env(),
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/api/v1/ready", timeout=5).status_code == 200:
                break
        except httpx.TransportError:
            time.sleep(0.5)
    try:
        yield base, bank
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
        log.close()


def _csv_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def wait(driver: Any, condition: Any, timeout: float = 30) -> Any:
    """Poll ``condition`` until it is truthy; an element redrawn under it is looked up again."""
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(
        driver,
        timeout,
        poll_frequency=0.25,
        ignored_exceptions=(StaleElementReferenceException,),
    ).until(condition)


def click_fresh(driver: Any, selector: str, timeout: float = 30) -> None:
    """Click the element ``selector`` names, finding it again if the page redraws it.

    A board redraws its cards after each write (and again when the refresh lands), so an
    element found a moment ago may be gone; the click is retried on a fresh lookup.
    """
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    def clicked(d: Any) -> bool:
        d.find_element(By.CSS_SELECTOR, selector).click()
        return True

    WebDriverWait(
        driver,
        timeout,
        poll_frequency=0.25,
        ignored_exceptions=(StaleElementReferenceException,),
    ).until(clicked)


#: Users' display names (data the navbar shows), one per role.
NAMES = {
    "rm": "王经理",
    "risk": "李风控",
    "prospecting": "赵拓展",
    "manager": "陈行长",
    "admin": "管理员",
}


def new_key(role: str) -> str:
    output = run_cli(
        "users", "add", "--name", NAMES[role], "--role", role, "--branch", "HO", env=cli_env()
    ).stdout
    return str(KEY.findall(output)[0])


def login(driver: Any, base: str, role: str, lang: str = "zh") -> str:
    from selenium.webdriver.common.by import By

    key = new_key(role)
    driver.get(f"{base}/?lang={lang}")
    driver.find_element(By.ID, "api-key").send_keys(key)
    driver.find_element(By.CSS_SELECTOR, "#login-form button").click()
    wait(driver, lambda d: d.current_url.endswith("/ui/home"))
    settle(driver)
    return key


def settle(driver: Any) -> None:
    """Wait until the page has drawn its data (no API request in flight)."""
    wait(
        driver,
        lambda d: d.execute_script(
            "return document.readyState === 'complete' && document.body.dataset.inflight === '0';"
        ),
        timeout=60,
    )


def open_page(driver: Any, url: str) -> None:
    driver.get(url)
    settle(driver)


def network(driver: Any) -> tuple[list[str], dict[str, int]]:
    """URLs requested and the status of each response since the last call (drains the log)."""
    urls: list[str] = []
    statuses: dict[str, int] = {}
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message.get("method") == "Network.requestWillBeSent":
            urls.append(message["params"]["request"]["url"])
        elif message.get("method") == "Network.responseReceived":
            response = message["params"]["response"]
            statuses[response["url"]] = int(response["status"])
    return urls, statuses


def test_rm_journey_search_360_map_expand_prospects_export(
    served_bank: tuple[str, Path],
    browser: Any,  # noqa: F811 - the fixture imported above
    artifacts: Path,  # noqa: F811
) -> None:
    from selenium.webdriver.common.by import By

    base, bank = served_bank
    with (bank / "companies.csv").open(encoding="utf-8") as handle:
        customers = [r for r in csv.DictReader(handle) if r["is_customer"] == "true"]
    target, other = customers[0], customers[1]
    login(browser, base, "rm")
    seen, _ = network(browser)

    open_page(browser, base + "/ui/search")
    query = browser.find_element(By.NAME, "q")
    query.send_keys(target["name"][:4])
    browser.find_element(By.ID, "search-button").click()
    wait(browser, lambda d: d.find_elements(By.LINK_TEXT, target["name"]))
    browser.find_element(By.LINK_TEXT, target["name"]).click()

    wait(browser, lambda d: d.find_elements(By.ID, "section-profile"))
    settle(browser)
    assert target["name"] in browser.find_element(By.TAG_NAME, "h1").text
    for section in ("key-persons", "facilities", "guarantees", "counterparties", "flows"):
        assert browser.find_elements(By.ID, f"section-{section}")

    browser.find_element(By.ID, "map-link").click()
    frame = wait(browser, lambda d: d.find_element(By.ID, "map-frame"))
    wait(browser, lambda d: frame.get_attribute("srcdoc"))
    browser.switch_to.frame(frame)
    wait(
        browser,
        lambda d: d.execute_script(
            "return window.corpgraphMap && corpgraphMap.state && corpgraphMap.state.stabilized;"
        ),
        timeout=60,
    )
    # The customer's key persons are on its map; the legend's toggle hides them and back.
    shown_people = (
        "return corpgraphMap.nodes.get({filter: n => ['person', 'contact'].includes(n.kind)"
        " && !n.hidden}).length;"
    )
    assert browser.execute_script(shown_people)
    browser.execute_script("document.getElementById('cg-people').click();")
    assert browser.execute_script(shown_people) == 0
    browser.execute_script("document.getElementById('cg-people').click();")
    assert browser.execute_script(shown_people)
    before = browser.execute_script("return corpgraphMap.nodes.length;")
    expandable = browser.execute_script(
        "return corpgraphMap.nodes.get({filter: n => !['more', 'outside'].includes(n.kind)"
        " && n.level === 2}).map(n => n.id);"
    ) or browser.execute_script(
        "return corpgraphMap.nodes.get({filter: n => !['more', 'outside'].includes(n.kind)})"
        ".map(n => n.id);"
    )
    browser.execute_script("corpgraphMap.showDetails(arguments[0]);", expandable[-1])
    browser.find_element(By.ID, "cg-expand").click()
    wait(browser, lambda d: d.execute_script("return !corpgraphMap.state.expanding;"))
    after = browser.execute_script("return corpgraphMap.nodes.length;")
    assert after >= before
    browser.switch_to.default_content()

    # the same page draws the 股权穿透 look-through and "how is A connected to B"
    from selenium.webdriver.support.ui import Select

    Select(browser.find_element(By.ID, "m-view")).select_by_value("ownership")
    browser.find_element(By.CSS_SELECTOR, "#map-form button[type=submit]").click()
    wait(browser, lambda d: "股权穿透" in (frame.get_attribute("srcdoc") or ""))
    Select(browser.find_element(By.ID, "m-view")).select_by_value("path")
    browser.find_element(By.ID, "m-target").send_keys(other["name"])
    browser.find_element(By.CSS_SELECTOR, "#map-form button[type=submit]").click()
    wait(browser, lambda d: "的关联路径" in (frame.get_attribute("srcdoc") or ""))
    assert other["name"] in (frame.get_attribute("srcdoc") or "")
    browser.save_screenshot(str(artifacts / "workbench-map-path.png"))

    open_page(browser, base + "/ui/prospects")
    wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#results tbody tr"))
    browser.find_element(By.ID, "export-csv").click()
    notice = browser.find_element(By.ID, "notice")
    wait(browser, lambda d: notice.text.strip() != "")
    assert "导出" in notice.text

    # A lead's own page: its reasons and components, then 转为商机 once.
    lead = browser.find_element(By.CSS_SELECTOR, "#results tbody tr a")
    lead_name = lead.text
    lead.click()
    wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#reasons li"))
    assert lead_name in browser.find_element(By.TAG_NAME, "h1").text
    assert browser.find_elements(By.CSS_SELECTOR, "#components .progress")
    convert = wait(browser, lambda d: d.find_element(By.CSS_SELECTOR, "#convert button"))
    assert convert.text == "转为商机"
    convert.click()
    wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#convert .cg-converted"))
    browser.refresh()
    wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#convert .cg-converted"))
    assert not browser.find_elements(By.CSS_SELECTOR, "#convert button")

    urls, _ = network(browser)
    urls = assert_offline(browser, LocalApp(origin=base), [*seen, *urls])
    assert any("/api/v1/nodes/" in u for u in urls)  # the expand really called the API
    assert any("/api/v1/paths/map" in u for u in urls)
    assert any("/api/v1/prospects/export" in u for u in urls)


def test_risk_staff_open_group_and_circle_pages(
    served_bank: tuple[str, Path],
    browser: Any,  # noqa: F811 - the fixture imported above
) -> None:
    from selenium.webdriver.common.by import By

    base, bank = served_bank
    truth = json.loads((bank / "truth.json").read_text(encoding="utf-8"))
    login(browser, base, "risk")
    open_page(browser, base + "/ui/groups")
    top_group = next(
        g
        for g in truth["groups"]
        if g["controller"] == truth["over_concentration"][0]["controller"]
    )
    for container in ("#groups", "#circles"):
        href = browser.find_elements(By.CSS_SELECTOR, f"{container} tbody a")[0].get_attribute(
            "href"
        )
        open_page(browser, href)
        frame = wait(browser, lambda d: d.find_element(By.ID, "detail-map"))
        wait(browser, lambda d, f=frame: f.get_attribute("srcdoc"))
        browser.switch_to.frame(frame)
        wait(
            browser,
            lambda d: d.execute_script(
                "return window.corpgraphMap && corpgraphMap.state.stabilized;"
            ),
            timeout=60,
        )
        nodes = set(browser.execute_script("return corpgraphMap.nodes.getIds();"))
        browser.switch_to.default_content()
        if container == "#groups":  # ranked by exposure: the planted over-concentrated group
            assert set(top_group["members"]) <= nodes
            assert top_group["controller"] in nodes
            assert "超过集中度阈值" in browser.find_element(By.ID, "summary").text
            # Economic interdependence: its own section, apart from the group's exposure.
            assert "经济依存" in browser.find_element(By.ID, "interdependence").text
            assert browser.find_elements(By.CSS_SELECTOR, "#members tbody td .badge")
        else:  # circles come largest first; its cycles read as names joined by arrows
            largest = max(truth["guarantee_circles"], key=len)
            assert len(nodes) == len(largest)
            assert sorted(nodes) in truth["guarantee_circles"]
            cycle = browser.find_element(By.CSS_SELECTOR, "#cycles .cg-cycle").text
            names = cycle.split(" → ")
            assert len(names) >= 3
            assert names[0] == names[-1]
        open_page(browser, base + "/ui/groups")

    # The contagion page: a member of the largest circle defaults; its guarantors are called.
    largest = max(truth["guarantee_circles"], key=len)
    with (bank / "companies.csv").open(encoding="utf-8") as handle:
        names = {r["company_id"]: r["name"] for r in csv.DictReader(handle)}
    seed = names[sorted(largest)[0]]
    open_page(browser, base + "/ui/contagion")
    browser.find_element(By.ID, "c-query").send_keys(seed)
    wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#c-company option"))
    browser.find_element(By.CSS_SELECTOR, "#contagion-form button[type=submit]").click()
    wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#results tbody tr"))
    assert f"若{seed}违约" in browser.find_element(By.ID, "results").text
    # The outcome in one sentence, rendered by the API in the page's language.
    outcome = browser.find_element(By.CSS_SELECTOR, "#results .cg-explanation").text
    assert outcome.startswith(f"{seed}违约：")
    assert "担保代偿" in browser.find_element(By.ID, "kpis").text
    assert_offline(browser, LocalApp(origin=base))


def test_manager_events_inbox_pipeline_and_reports(
    served_bank: tuple[str, Path],
    browser: Any,  # noqa: F811 - the fixture imported above
) -> None:
    from selenium.webdriver.common.by import By

    base, bank = served_bank
    key = login(browser, base, "manager")
    rm_names = {r["rm_id"]: r["name"] for r in _csv_rows(bank / "relationship_managers.csv")}
    branch_names = {r["branch_id"]: r["name"] for r in _csv_rows(bank / "branches.csv")}

    open_page(browser, base + "/ui/events")
    first = wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#results tbody tr"))[0]
    event_id = first.get_attribute("data-key")
    first.find_elements(By.TAG_NAME, "button")[0].click()  # 确认
    wait(browser, lambda d: "确认" in d.find_element(By.ID, "notice").text)
    row_selector = f'#results tbody tr[data-key="{event_id}"]'
    wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, row_selector))
    wait(browser, lambda d: "已确认" in d.find_element(By.CSS_SELECTOR, row_selector).text)
    click_fresh(browser, f"{row_selector} button")  # 转为商机 (acknowledged: the only one)
    wait(browser, lambda d: "商机" in d.find_element(By.ID, "notice").text)

    open_page(browser, base + "/ui/pipeline")
    card = wait(
        browser,
        lambda d: d.find_elements(
            By.CSS_SELECTOR, ".cg-column[data-stage=identified] .cg-opportunity"
        ),
    )[0]
    card.find_element(By.TAG_NAME, "button").click()
    moved = wait(
        browser,
        lambda d: d.find_elements(
            By.CSS_SELECTOR, ".cg-column[data-stage=contacted] .cg-opportunity"
        ),
    )[0]
    opportunity_id = moved.get_attribute("data-id")
    card_selector = f'.cg-column[data-stage=contacted] [data-id="{opportunity_id}"]'
    before = httpx.get(
        f"{base}/api/v1/opportunities/{opportunity_id}", headers={"X-API-Key": key}, timeout=30
    ).json()
    # The card names its RM, never the id (read from a fresh lookup: the board may redraw).
    card_text = wait(browser, lambda d: d.find_element(By.CSS_SELECTOR, card_selector).text or None)
    assert rm_names[before["owner_rm_id"]] in card_text
    assert before["owner_rm_id"] not in card_text
    # Product, amount and due date are edited on the card (PATCH with If-Match).
    click_fresh(browser, f"{card_selector} button.cg-edit")
    product = wait(browser, lambda d: d.find_element(By.ID, f"product-{opportunity_id}"))
    product.clear()
    product.send_keys("流动资金贷款")
    amount = browser.find_element(By.ID, f"amount-{opportunity_id}")
    amount.clear()
    amount.send_keys("1234567.89")
    due = browser.find_element(By.ID, f"due_date-{opportunity_id}")
    browser.execute_script("arguments[0].value = '2026-03-31'", due)
    product.submit()
    wait(browser, lambda d: "已保存" in d.find_element(By.ID, "notice").text)
    edited = httpx.get(
        f"{base}/api/v1/opportunities/{opportunity_id}", headers={"X-API-Key": key}, timeout=30
    ).json()
    assert edited["product"] == "流动资金贷款"
    assert edited["expected_amount"] == {"amount": "1234567.89", "currency": "CNY"}
    assert edited["due_date"] == "2026-03-31"
    moved = wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, card_selector))[0]
    wait(browser, lambda d: "¥123.46万" in d.find_element(By.CSS_SELECTOR, card_selector).text)
    assert "2026年3月31日" in browser.find_element(By.CSS_SELECTOR, card_selector).text
    click_fresh(browser, f"{card_selector} button.cg-lose")  # 已丢失: asks why first
    reason = wait(browser, lambda d: d.find_element(By.ID, f"lost-reason-{opportunity_id}"))
    reason.send_keys("客户选择了他行")
    reason.submit()
    wait(
        browser,
        lambda d: d.find_elements(
            By.CSS_SELECTOR, f'.cg-column[data-stage=lost] [data-id="{opportunity_id}"]'
        ),
    )
    history = httpx.get(
        f"{base}/api/v1/opportunities/{opportunity_id}", headers={"X-API-Key": key}, timeout=30
    ).json()["history"]
    assert history[-1]["to"] == "lost"
    assert history[-1]["reason"] == "客户选择了他行"

    open_page(browser, base + "/ui/reports")
    wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#events-charts .cg-chart svg"))
    wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#migration table.matrix"))
    by_type = json.loads(
        browser.find_element(By.CSS_SELECTOR, "#events-charts .cg-chart").get_attribute(
            "data-values"
        )
    )
    listed = httpx.get(
        f"{base}/api/v1/events", params={"limit": 500}, headers={"X-API-Key": key}, timeout=30
    ).json()["total"]
    assert sum(by_type) == listed  # the chart's totals equal the events list
    # Branch names, Chinese labels, readable matrix headers.
    summary = wait(
        browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#pipeline-summary tbody tr")
    )
    assert summary[0].find_element(By.TAG_NAME, "td").text in branch_names.values()
    headers = [h.text for h in browser.find_elements(By.CSS_SELECTOR, "#migration thead th")]
    names = catalogue("zh")
    segment_names = {names["segment\x04" + code] for code in CODE_LISTS["segment"]}
    assert headers[1:]
    assert set(headers[1:]) <= segment_names
    assert all(re.search(r"[\u4e00-\u9fff]", h) for h in headers)
    # A date with no snapshot says so.
    browser.execute_script("document.getElementById('r-from').value = '2020-01-01'")
    browser.execute_script("document.getElementById('r-to').value = '2020-02-01'")
    browser.find_element(By.ID, "r-to").submit()  # the button may sit under the footer
    wait(browser, lambda d: "所选日期没有客户分层快照" in d.find_element(By.ID, "migration").text)
    browser.find_element(By.ID, "lang-toggle").click()
    settle(browser)
    assert (
        browser.find_element(By.CSS_SELECTOR, "#events-report h2").text == "Major events monitoring"
    )
    assert_offline(browser, LocalApp(origin=base))


#: What each role's menu offers (the API's role rules, read from its routes).
MENUS = {
    "rm": {"home", "search", "prospects", "events", "pipeline", "scorecards", "plan"},
    "risk": {"home", "search", "groups", "contagion", "events", "pipeline", "related"},
    "prospecting": {"home", "search", "prospects"},
    "manager": {
        "home",
        "search",
        "prospects",
        "groups",
        "contagion",
        "events",
        "pipeline",
        "reports",
        "scorecards",
        "plan",
    },
}


@pytest.mark.parametrize("role", sorted(MENUS))
def test_each_role_sees_its_pages_and_none_answers_403(
    served_bank: tuple[str, Path],
    browser: Any,  # noqa: F811 - the fixture imported above
    artifacts: Path,  # noqa: F811
    role: str,
) -> None:
    from selenium.webdriver.common.by import By

    base, _ = served_bank
    login(browser, base, role)
    links = browser.find_elements(By.CSS_SELECTOR, "nav a.nav-link")
    shown = {a.get_attribute("href").rsplit("/", 1)[-1] for a in links if a.is_displayed()}
    assert shown == MENUS[role]
    browser.save_screenshot(str(artifacts / f"ui-home-{role}.png"))
    seen: list[str] = []
    for name in sorted(shown):
        open_page(browser, f"{base}/ui/{name}")
        urls, statuses = network(browser)
        seen += urls
        refused = {u: s for u, s in statuses.items() if s in (401, 403)}
        assert refused == {}, name
        assert not browser.find_elements(By.CSS_SELECTOR, "#problem .alert"), name
    assert_offline(browser, LocalApp(origin=base), seen)


def visible_text(driver: Any) -> str:
    """The page's text as a reader sees it (the map frame's own document excluded)."""
    return str(driver.execute_script("return document.body.innerText;"))


def language_findings(text: str, lang: str) -> list[str]:
    """Raw keys, codes, ISO dates and untranslated strings in a page's visible text."""
    findings = [f"snake_case {m}" for m in SNAKE_CASE.findall(text)]
    findings += [f"ISO date {m.group(0)}" for m in ISO_DATE_OR_TIME.finditer(text)]
    tokens = set(re.findall(r"[A-Za-z][A-Za-z0-9_>-]*", text))
    codes = {c for codes in CODE_LISTS.values() for c in codes if not c.startswith("http-")}
    if lang == "zh":
        # No code and no lowercase English word: Chinese readers get Chinese.
        findings += [f"code {t}" for t in tokens & codes]
        findings += [
            f"English {t}" for t in tokens if t[0].islower() and t not in CHINESE_PAGE_LATIN
        ]
        english = {k for k in catalogue("zh") if "\x04" not in k and " " in k}
        findings += [f"untranslated {m!r}" for m in english if m in text]
    else:
        # English words may look like codes ("new", "core"); codes that are not words may not.
        findings += [
            f"code {t}" for t in tokens & codes if "_" in t or (t.isupper() and len(t) > 3)
        ]
    return findings


def axe_violations(driver: Any) -> list[str]:
    """Serious and critical axe-core violations on the page (its map frame excluded)."""
    driver.execute_script(AXE.read_text(encoding="utf-8"))
    result = driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "axe.run({exclude: [['iframe']]}, {resultTypes: ['violations']})"
        ".then(r => done(r.violations.map(v => ({id: v.id, impact: v.impact,"
        " nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))}))));"
    )
    return [
        f"{v['id']} ({v['impact']}): {v['nodes']}"
        for v in result
        if v["impact"] in ("serious", "critical")
    ]


def test_every_page_in_both_languages_reads_cleanly_and_passes_axe(
    served_bank: tuple[str, Path],
    browser: Any,  # noqa: F811 - the fixture imported above
    artifacts: Path,  # noqa: F811
) -> None:
    base, _ = served_bank
    key = login(browser, base, "admin")
    headers = {"X-API-Key": key}

    def first(path: str) -> str:
        page = httpx.get(f"{base}/api/v1/{path}", headers=headers, timeout=30).json()
        return str(page["items"][0]["id"])

    customer, group, circle, prospect = (
        first("customers?sort=exposure&order=desc"),
        first("groups"),
        first("guarantee-circles"),
        first("prospects"),
    )
    pages = {
        "login": "/",
        "home": "/ui/home",
        "search": "/ui/search",
        "customer": f"/ui/customers/{customer}",
        "map": f"/ui/customers/{customer}/map",
        "prospects": "/ui/prospects",
        "prospect": f"/ui/prospects/{prospect}",
        "groups": "/ui/groups",
        "group": f"/ui/groups/{group}",
        "contagion": "/ui/contagion",
        "circle": f"/ui/circles/{circle}",
        "events": "/ui/events",
        "pipeline": "/ui/pipeline",
        "reports": "/ui/reports",
        "scorecards": "/ui/scorecards",
        "plan": "/ui/plan",
    }
    problems: dict[str, list[str]] = {}  # page → findings
    seen: list[str] = []
    for lang in ("zh", "en"):
        for name, path in pages.items():
            open_page(browser, f"{base}{path}?lang={lang}")
            assert browser.execute_script("return document.documentElement.lang;") == (
                "zh-CN" if lang == "zh" else "en"
            )
            browser.save_screenshot(str(artifacts / f"ui-{lang}-{name}.png"))
            found = language_findings(visible_text(browser), lang) + axe_violations(browser)
            if found:
                problems[f"{lang} {name}"] = found
            seen += network(browser)[0]
    assert problems == {}, json.dumps(problems, ensure_ascii=False, indent=1)
    assert_offline(browser, LocalApp(origin=base), seen)


#: Inside the synthetic bank's tracked quarter (2025-Q4): its RMs have open pipelines.
PLAN_DATE = "2025-11-15"


def test_manager_plan_page_drills_down_by_name_with_the_pipeline_and_the_aid(
    served_bank: tuple[str, Path],
    browser: Any,  # noqa: F811 - the fixture imported above
    artifacts: Path,  # noqa: F811
) -> None:
    """The plan page of a branch and of an RM, in both languages: the progress chart
    carries the API's figures, the drill-down and the pipeline show names, and no
    id or code of a unit, an opportunity or a company is visible."""
    from selenium.webdriver.common.by import By

    base, _ = served_bank
    key = login(browser, base, "manager")
    headers = {"X-API-Key": key}

    def api(path: str, **params: str) -> Any:
        answer = httpx.get(f"{base}/api/v1/{path}", params=params, headers=headers, timeout=120)
        assert answer.status_code == 200, answer.text
        return answer.json()

    branches = api("branches")
    rms = api("relationship-managers")
    tracked = api("kpis/progress", on=PLAN_DATE, metric="opportunities_won", limit="500")["items"]
    rm = max((i for i in tracked if i["scope_type"] == "rm"), key=lambda i: len(i["pipeline"]))
    assert rm["pipeline"], "the tracked quarter has an open pipeline"
    ids = {b["branch_id"] for b in branches} | {m["rm_id"] for m in rms}
    ids |= {o["opportunity_id"] for o in rm["pipeline"]}
    ids |= {o["company_id"] for o in rm["pipeline"]}
    names = {o["company_name"] for o in rm["pipeline"]}
    assert None not in names

    def no_ids(text: str) -> list[str]:
        return sorted(i for i in ids if re.search(rf"(?<![A-Za-z0-9]){re.escape(i)}\b", text))

    for lang in ("zh", "en"):
        open_page(browser, f"{base}/ui/plan?unit=rm:{rm['scope_id']}&on={PLAN_DATE}&lang={lang}")
        assert browser.find_element(By.ID, "plan-unit").text.startswith(rm["scope_name"])
        assert browser.find_element(By.ID, "p-period").get_attribute("value") == rm["period"]
        chart = json.loads(
            browser.find_element(By.CSS_SELECTOR, "#plan-progress .cg-chart").get_attribute(
                "data-values"
            )
        )
        assert chart["actual"] == float(rm["actual"])
        assert chart["target"] == float(rm["target"])
        assert chart["forecast"] == float(rm["forecast"])
        assert chart["band"] == [float(rm["band_low"]), float(rm["band_high"])]
        rows = browser.find_elements(By.CSS_SELECTOR, "#plan-pipeline tbody tr")
        assert len(rows) == min(20, len(rm["pipeline"]))
        shown = {r.find_element(By.CSS_SELECTOR, "td").text for r in rows}
        assert shown <= names
        wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#aid-reasons li"))
        text = visible_text(browser)
        assert no_ids(text) == [], lang
        assert language_findings(text, lang) == [], lang
        browser.save_screenshot(str(artifacts / f"ui-{lang}-plan-rm.png"))

    # The manager's own branch: the drill-down lists the units under it by name.
    children = {b["name"] for b in branches if b["parent_branch_id"] == "HO"}
    units = {b["name"] for b in branches} | {m["name"] for m in rms}
    for lang in ("zh", "en"):
        open_page(browser, f"{base}/ui/plan?on={PLAN_DATE}&lang={lang}")
        links = browser.find_elements(By.CSS_SELECTOR, "#plan-children tbody td:first-child a")
        assert {a.text for a in links} <= units
        assert children & {a.text for a in links}
        text = visible_text(browser)
        assert no_ids(text) == [], lang
        assert language_findings(text, lang) == [], lang
        browser.save_screenshot(str(artifacts / f"ui-{lang}-plan-branch.png"))
    child = next(a for a in links if a.text in children)
    name = child.text
    open_page(browser, str(child.get_attribute("href")))  # where the drill-down link leads
    assert browser.find_element(By.ID, "plan-unit").text.startswith(name)
    assert not browser.find_elements(By.CSS_SELECTOR, "#problem .alert")
    assert_offline(browser, LocalApp(origin=base))


@pytest.mark.parametrize("path", ["/docs", "/redoc"])
def test_api_docs_render_with_no_external_request(
    served_bank: tuple[str, Path],
    browser: Any,  # noqa: F811 - the fixture imported above
    artifacts: Path,  # noqa: F811
    path: str,
) -> None:
    from selenium.webdriver.common.by import By

    base, _ = served_bank
    browser.get(base + path)
    selector = ".swagger-ui .info .title" if path == "/docs" else "h1"
    title = wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, selector), timeout=60)[0]
    assert "corpgraph" in title.text
    wait(browser, lambda d: "/api/v1/customers" in d.find_element(By.TAG_NAME, "body").text)
    browser.save_screenshot(str(artifacts / f"docs{path.replace('/', '-')}.png"))
    assert_offline(browser, LocalApp(origin=base))
