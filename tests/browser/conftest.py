"""Browser tests: the app served on a local port, driven by Playwright in Debian's Chromium.

The server runs in a thread of the test process, on the test database, so each test seeds the demo
data itself and the shared clean-up empties the tables afterwards. The clock is the real one: the
demo round's deadline lies ahead of today, as it does for a newcomer.
"""
from __future__ import annotations

import os
import re
import threading
import time
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright
from werkzeug.serving import make_server

from service.commands.demo import seed_demo
from service.platform.extensions import db
from service.platform.transactions import transaction
from tests.api import ApiClient

CHROMIUM = os.environ.get("GREENLIST_CHROMIUM", "/usr/bin/chromium")
# Without the networking flags Chromium keeps calling Google's hosts, which this network refuses.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--lang=zh-CN"]
ARTIFACTS = Path(os.environ.get("GREENLIST_TEST_ARTIFACTS", Path(__file__).resolve().parents[2] / "test-artifacts"))


class InFlight:
    """Counts the requests the live server is handling, so a test's clean-up can wait for the last one a
    closed page left behind (an autosave still writing would deadlock with the clean-up's deletes)."""

    def __init__(self, app):
        self.app, self.count, self.lock = app, 0, threading.Lock()

    def __call__(self, environ, start_response):
        with self.lock:
            self.count += 1
        try:
            return self.app(environ, start_response)
        finally:
            with self.lock:
                self.count -= 1

    def wait_idle(self, seconds: float = 10.0) -> None:
        deadline = time.monotonic() + seconds
        while self.count and time.monotonic() < deadline:
            time.sleep(0.02)


IN_FLIGHT: InFlight | None = None


@pytest.fixture(scope="session")
def live_server(app):
    global IN_FLIGHT
    IN_FLIGHT = InFlight(app.wsgi_app)
    app.wsgi_app = IN_FLIGHT
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


@pytest.fixture(scope="session")
def chromium():
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"browser tests need Debian's Chromium at {CHROMIUM}: apt-get install chromium fonts-noto-cjk "
                    "(./dev.sh test and .ci/run install it)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def seeded(app, bundle):
    """The README's demo: bundle deployed, round "2024", the demo accounts (password "demo")."""
    with transaction():
        seed_demo(bundle, with_applications=False)
    db.session.remove()


@pytest.fixture
def api(app, seeded):
    return ApiClient(app.test_client())


# Whatever the Content-Security-Policy blocks on a page (a script, a style, an image, an eval) is reported
# to the test, which fails: a page that only works with the policy off does not work.
REPORT_CSP_VIOLATIONS = """
document.addEventListener('securitypolicyviolation', (event) => {
  window.reportCspViolation(`${location.pathname}: ${event.effectiveDirective} blocked ${event.blockedURI || 'inline'}`
    + ` at ${event.sourceFile}:${event.lineNumber}:${event.columnNumber} ${event.sample}`);
}, true);
"""


class Browser:
    """One person at one browser: logs in, opens pages, keeps screenshots of what they saw."""

    def __init__(self, chromium, base_url: str, test_name: str):
        self.context = chromium.new_context(base_url=base_url, viewport={"width": 1400, "height": 1000},
                                            locale="zh-CN", timezone_id="Asia/Shanghai")
        self.context.set_default_timeout(15_000)
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.csp_violations: list[str] = []
        self.context.expose_function("reportCspViolation", lambda violation: self.csp_violations.append(violation))
        self.context.add_init_script(REPORT_CSP_VIOLATIONS)
        self.test_name = re.sub(r"[^\w]+", "_", test_name)
        self.shots = 0
        self.user = "anonymous"

    def login(self, username: str, password: str = "demo"):
        self.page.goto("/login")
        self.page.fill("input[name=username]", username)
        self.page.fill("input[name=password]", password)
        self.page.click("form button[type=submit]")
        self.page.wait_for_load_state()
        assert "/login" not in self.page.url, self.page.inner_text("main")
        self.user = username
        return self.page

    def screenshot(self, what: str):
        self.shots += 1
        folder = ARTIFACTS / "screenshots" / self.test_name
        folder.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(folder / f"{self.user}-{self.shots:02d}-{what}.png"), full_page=True)

    def close(self):
        self.context.close()


def browsers(chromium, live_server, request):
    """Open browsers on demand; afterwards, fail on any script error or anything the CSP blocked."""
    opened = []

    def open_browser() -> Browser:
        browser = Browser(chromium, live_server, request.node.name)
        opened.append(browser)
        return browser

    yield open_browser
    errors = [error for browser in opened for error in browser.errors]
    violations = [violation for browser in opened for violation in browser.csp_violations]
    for browser in opened:
        browser.close()
    if IN_FLIGHT is not None:
        IN_FLIGHT.wait_idle()  # before the clean-up deletes what a last request may still be writing
    assert not errors, f"script errors on the pages: {errors}"
    assert not violations, f"the Content-Security-Policy blocked: {violations}"


@pytest.fixture
def browse(chromium, live_server, seeded, request):
    """Browsers on the demo (seeded) site."""
    yield from browsers(chromium, live_server, request)
