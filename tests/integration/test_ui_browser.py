"""The web UI in headless Chromium against the real app and Neo4j.

A relationship manager logs in, searches a customer, opens its 360 and its map,
expands a node, then opens the prospects and exports them. The page must make no
request to any host but the app and log no console error. Screenshots go to
``tests/browser/artifacts``.
"""

from __future__ import annotations

import csv
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


def wait(driver: Any, condition: Any, timeout: float = 30) -> Any:
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, timeout, poll_frequency=0.25).until(condition)


def test_rm_journey_search_360_map_expand_prospects_export(
    served_bank: tuple[str, Path],
    browser: Any,  # noqa: F811 - the fixture imported above
    artifacts: Path,  # noqa: F811
) -> None:
    from selenium.webdriver.common.by import By

    base, bank = served_bank
    key = KEY.findall(
        run_cli(
            "users", "add", "--name", "王经理", "--role", "rm", "--branch", "HO", env=cli_env()
        ).stdout
    )[0]
    with (bank / "companies.csv").open(encoding="utf-8") as handle:
        target = next(r for r in csv.DictReader(handle) if r["is_customer"] == "true")

    browser.get(base + "/")
    browser.find_element(By.ID, "api-key").send_keys(key)
    browser.find_element(By.CSS_SELECTOR, "#login-form button").click()
    wait(browser, lambda d: d.current_url.endswith("/ui/search"))

    query = browser.find_element(By.NAME, "q")
    query.send_keys(target["name"][:4])
    browser.find_element(By.ID, "search-button").click()
    wait(browser, lambda d: d.find_elements(By.LINK_TEXT, target["company_id"]))
    browser.save_screenshot(str(artifacts / "ui-search.png"))
    browser.find_element(By.LINK_TEXT, target["company_id"]).click()

    wait(browser, lambda d: d.find_elements(By.ID, "section-profile"))
    assert target["name"] in browser.find_element(By.TAG_NAME, "h1").text
    for section in ("facilities", "guarantees", "counterparties"):
        assert browser.find_elements(By.ID, f"section-{section}")
    browser.save_screenshot(str(artifacts / "ui-360.png"))

    browser.find_element(By.ID, "map-link").click()
    frame = wait(browser, lambda d: d.find_element(By.ID, "map-frame"))
    browser.switch_to.frame(frame)
    wait(
        browser,
        lambda d: d.execute_script(
            "return window.corpgraphMap && corpgraphMap.state && corpgraphMap.state.stabilized;"
        ),
        timeout=60,
    )
    before = browser.execute_script("return corpgraphMap.nodes.length;")
    expandable = browser.execute_script(
        "return corpgraphMap.nodes.get({filter: n => n.kind !== 'more' && n.level === 2})"
        ".map(n => n.id);"
    ) or browser.execute_script(
        "return corpgraphMap.nodes.get({filter: n => n.kind !== 'more'}).map(n => n.id);"
    )
    browser.execute_script("corpgraphMap.showDetails(arguments[0]);", expandable[-1])
    browser.find_element(By.ID, "cg-expand").click()
    wait(browser, lambda d: d.execute_script("return !corpgraphMap.state.expanding;"))
    after = browser.execute_script("return corpgraphMap.nodes.length;")
    assert after >= before
    browser.switch_to.default_content()
    browser.save_screenshot(str(artifacts / "ui-map.png"))

    browser.get(base + "/ui/prospects")
    wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#results tbody tr"))
    browser.find_element(By.ID, "export-csv").click()
    message = browser.find_element(By.ID, "message")
    wait(browser, lambda d: message.text.strip() != "")
    assert "导出" in message.text or "Exported" in message.text
    browser.save_screenshot(str(artifacts / "ui-prospects.png"))

    urls = assert_offline(browser, LocalApp(origin=base))
    assert any("/api/v1/nodes/" in u for u in urls)  # the expand really called the API
    assert any("/api/v1/prospects/export" in u for u in urls)


def login(driver: Any, base: str, role: str) -> None:
    from selenium.webdriver.common.by import By

    key = KEY.findall(
        run_cli(
            "users", "add", "--name", role, "--role", role, "--branch", "HO", env=cli_env()
        ).stdout
    )[0]
    driver.get(base + "/")
    driver.find_element(By.ID, "api-key").send_keys(key)
    driver.find_element(By.CSS_SELECTOR, "#login-form button").click()
    wait(driver, lambda d: d.current_url.endswith("/ui/search"))


def test_risk_staff_open_group_and_circle_maps(
    served_bank: tuple[str, Path],
    browser: Any,  # noqa: F811 - the fixture imported above
    artifacts: Path,  # noqa: F811
) -> None:
    import json

    from selenium.webdriver.common.by import By

    base, bank = served_bank
    truth = json.loads((bank / "truth.json").read_text(encoding="utf-8"))
    login(browser, base, "risk")
    browser.get(base + "/ui/groups")
    wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#circles tbody button"))
    top_group = next(
        g
        for g in truth["groups"]
        if g["controller"] == truth["over_concentration"][0]["controller"]
    )
    for index, container in enumerate(("#groups", "#circles")):
        browser.find_elements(By.CSS_SELECTOR, f"{container} tbody button")[0].click()
        map_frame = wait(browser, lambda d: d.find_element(By.ID, "detail-map"))
        wait(browser, lambda d, f=map_frame: f.get_attribute("srcdoc"))
        browser.switch_to.frame(map_frame)
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
            # Economic interdependence: its own section, apart from the group's exposure.
            assert browser.find_elements(By.CSS_SELECTOR, "#detail h3.interdependence")
        else:  # circles come largest first
            largest = max(truth["guarantee_circles"], key=len)
            assert len(nodes) == len(largest)
            assert sorted(nodes) in truth["guarantee_circles"]
        browser.execute_script("document.getElementById('detail-map').scrollIntoView();")
        browser.save_screenshot(str(artifacts / f"ui-risk-map-{index}.png"))
    assert_offline(browser, LocalApp(origin=base))


def test_manager_events_inbox_pipeline_and_reports(
    served_bank: tuple[str, Path],
    browser: Any,  # noqa: F811 - the fixture imported above
    artifacts: Path,  # noqa: F811
) -> None:
    from selenium.webdriver.common.by import By

    base, _ = served_bank
    login(browser, base, "manager")

    browser.get(base + "/ui/events")
    rows = wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#results tbody tr"))
    first = rows[0]
    event_id = first.find_elements(By.TAG_NAME, "td")[0].text
    ack = first.find_elements(By.TAG_NAME, "button")[0]
    ack.click()
    wait(browser, lambda d: "确认" in d.find_element(By.ID, "message").text)
    row = wait(
        browser,
        lambda d: next(
            (
                r
                for r in d.find_elements(By.CSS_SELECTOR, "#results tbody tr")
                if r.find_elements(By.TAG_NAME, "td")[0].text == event_id
            ),
            None,
        ),
    )
    assert "acknowledged" in row.text
    row.find_elements(By.TAG_NAME, "button")[1].click()
    wait(browser, lambda d: "商机" in d.find_element(By.ID, "message").text)
    browser.save_screenshot(str(artifacts / "ui-events.png"))

    browser.get(base + "/ui/pipeline")
    card = wait(
        browser,
        lambda d: d.find_elements(By.CSS_SELECTOR, ".column[data-stage=identified] .opportunity"),
    )[0]
    card.find_element(By.TAG_NAME, "button").click()
    wait(
        browser,
        lambda d: d.find_elements(By.CSS_SELECTOR, ".column[data-stage=contacted] .opportunity"),
    )
    browser.save_screenshot(str(artifacts / "ui-pipeline.png"))

    browser.get(base + "/ui/reports")
    wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#events-charts rect"))
    wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#migration table.matrix"))
    bars = browser.find_elements(By.CSS_SELECTOR, "#events-charts svg:first-child rect")
    total = sum(int(b.get_attribute("data-value") or 0) for b in bars)
    listed = len(
        browser.execute_script(
            "return fetch('/api/v1/events?limit=500', {headers: {'X-API-Key': "
            "sessionStorage.getItem('corpgraph_api_key')}}).then(r => r.json()).then(j => j.items);"
        )
    )
    assert total == listed  # the chart's totals equal the events list
    browser.find_element(By.ID, "lang-toggle").click()
    assert (
        browser.find_element(By.CSS_SELECTOR, "#events-report h2").text == "Major events monitoring"
    )
    browser.save_screenshot(str(artifacts / "ui-reports.png"))
    assert_offline(browser, LocalApp(origin=base))
