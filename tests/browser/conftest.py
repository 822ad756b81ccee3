"""Browser-test harness: Debian's headless Chromium driven by selenium, and a local app.

Every page a test opens is served by :class:`LocalApp`, a tiny HTTP server on
127.0.0.1. The browser records every request the page makes (the DevTools
``Network.requestWillBeSent`` events, read through chromedriver's performance log)
and every console message; :func:`assert_offline` fails a test on any request to a
host other than the app and on any console error. As a second line of defence,
Chromium resolves no host name but the app's (``--host-resolver-rules``), so a
stray request could never leave the machine even if it were missed.

Install the browser with ``scripts/install-browser.sh``. Without Chromium the tests
skip locally and fail under CI (``CI`` set), so CI cannot pass by skipping them.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
API_KEY = "cg_test_browser_key"

# Flags that keep Chromium from calling home (Google services, updates, field trials).
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-extensions",
    "--disable-features=Translate,OptimizationHints,MediaRouter,AutofillServerCommunication",
    "--metrics-recording-only",
    "--safebrowsing-disable-auto-update",
    "--password-store=basic",
    "--disable-dev-shm-usage",
    "--window-size=1440,900",
    "--lang=zh-CN",
)

JsonHandler = Callable[[str, dict[str, str]], Any]


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "browser: drives headless Chromium (needs scripts/install-browser.sh)"
    )


@dataclass
class LocalApp:
    """A local HTTP app on 127.0.0.1: static pages plus JSON endpoints by path prefix.

    ``requests`` records (path, headers) of every request the server answered.
    """

    pages: dict[str, bytes] = field(default_factory=dict)
    json_routes: dict[str, JsonHandler] = field(default_factory=dict)
    requests: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    origin: str = ""

    def url(self, path: str) -> str:
        return self.origin + path


def _handler_for(app: LocalApp) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            path = parts.path
            headers = {k.lower(): v for k, v in self.headers.items()}
            headers[":query"] = parts.query  # a pseudo-header: handlers may read the query
            app.requests.append((path, headers))
            if path in app.pages:
                self._send(200, "text/html; charset=utf-8", app.pages[path])
                return
            for prefix, handler in app.json_routes.items():
                if path.startswith(prefix):
                    rest = unquote(path[len(prefix) :])
                    body = json.dumps(handler(rest, dict(app.requests[-1][1])), ensure_ascii=False)
                    self._send(200, "application/json", body.encode("utf-8"))
                    return
            self._send(404, "text/plain", b"not found")

        def _send(self, status: int, content_type: str, body: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            """Keep the test output quiet; requests are in ``app.requests``."""

    return Handler


@pytest.fixture
def local_app() -> Iterator[LocalApp]:
    """A running :class:`LocalApp`; add pages and routes before opening them."""
    app = LocalApp()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(app))
    server.daemon_threads = True
    app.origin = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, name="local-app", daemon=True)
    thread.start()
    try:
        yield app
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def _browser_missing() -> str | None:
    if not CHROMIUM.exists() or not CHROMEDRIVER.exists():
        return "Chromium not installed (run scripts/install-browser.sh)"
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium not installed"
    return None


@pytest.fixture
def artifacts() -> Path:
    """Where screenshots go (gitignored); kept after the run for CI to collect."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


@pytest.fixture
def browser(local_app: LocalApp) -> Iterator[Any]:
    """A headless Chromium (selenium WebDriver) that can reach only ``local_app``."""
    reason = _browser_missing()
    if reason is not None:
        if os.environ.get("CI"):
            pytest.fail(f"{reason}; CI must install it")
        pytest.skip(reason)

    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="corpgraph-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={profile}")
    options.add_argument("--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1")
    options.set_capability("goog:loggingPrefs", {"performance": "ALL", "browser": "ALL"})
    service = Service(executable_path=str(CHROMEDRIVER), log_output=subprocess.DEVNULL)
    driver = webdriver.Chrome(options=options, service=service)
    try:
        driver.set_page_load_timeout(60)
        driver.set_script_timeout(60)
        # Start from a blank page and forget what the start-up tab loaded (Chromium's own
        # chrome:// new-tab resources), so the logs hold only what the test's pages do.
        driver.get("about:blank")
        requested_urls(driver)
        console_errors(driver)
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def requested_urls(driver: Any) -> list[str]:
    """Every URL the page requested since the last call (drains the performance log)."""
    urls = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message.get("method") == "Network.requestWillBeSent":
            urls.append(message["params"]["request"]["url"])
    return urls


def console_errors(driver: Any) -> list[str]:
    """Console messages of level SEVERE since the last call (drains the browser log)."""
    return [e["message"] for e in driver.get_log("browser") if e["level"] == "SEVERE"]


def assert_offline(driver: Any, app: LocalApp, seen: list[str] | None = None) -> list[str]:
    """Fail on any request to a host other than ``app`` and on any console error.

    Returns every URL requested (``seen`` plus those since the last call), for the
    test to check that its own requests were made.
    """
    urls = [*(seen or []), *requested_urls(driver)]
    foreign = [
        u
        for u in urls
        if not u.startswith((app.origin + "/", "blob:" + app.origin + "/", "data:", "about:blank"))
    ]
    assert foreign == [], f"requests to other hosts: {foreign}"
    errors = console_errors(driver)
    assert errors == [], f"console errors: {errors}"
    return urls
