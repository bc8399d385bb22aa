"""In a real browser (Debian's Chromium, as tests/test_e2e_flow.py): another site cannot frame
the sign-in page, and the scorecards' chart draws under the CSP without a violation."""

import http.server
import threading
from datetime import timedelta
from pathlib import Path

import pytest

from tests import factories
from tests.pages import deliver, submit
from tests.test_auth_throttle import serving
from tracker import clock
from tracker.ledger import service as ledger

sync_api = pytest.importorskip("playwright.sync_api")

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Debian's chromium")


@pytest.fixture
def browser():
    with sync_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield chromium
        chromium.close()


def framing_site(target: str):
    """Another origin (another port) whose page frames `target`."""
    page = f'<!doctype html><title>other</title><iframe id="f" src="{target}"></iframe>'.encode()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            self.wfile.write(page)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def test_another_site_cannot_frame_the_sign_in_page(app, people, browser):
    with serving(app) as port:
        other = framing_site(f"http://127.0.0.1:{port}/login")
        try:
            page = browser.new_page()
            messages = []
            page.on("console", lambda m: messages.append(m.text))
            page.goto(f"http://127.0.0.1:{other.server_port}/")
            page.wait_for_timeout(1500)
            frame = page.frame_locator("#f")
            assert frame.locator("#email").count() == 0
            child = page.frames[1]
            assert "/login" not in child.url or child.content().count("<input") == 0
        finally:
            other.shutdown()
    assert any("frame-ancestors" in m or "X-Frame-Options" in m for m in messages), messages


def test_the_scorecards_chart_draws_without_a_csp_violation(app, session, store, people, browser):
    now = clock.now()
    for ago in (70, 40):
        d = deliver(session, store, people["sales.clerk"], ago=timedelta(days=ago), ref=f"D-{ago}")
        s = d["sales-7"]
        submit(session, s, people["sales.clerk"], at=now - timedelta(days=ago - 1))
        ledger.accept(session, s, by=people["finance.clerk"], now=now - timedelta(days=ago - 2))
        session.commit()
    with serving(app) as port:
        page = browser.new_page(base_url=f"http://127.0.0.1:{port}")
        problems = []
        # (the browser's own request for /favicon.ico answers 404: not a page problem)
        page.on("console", lambda m: problems.append(m.text) if "404" not in m.text else None)
        page.on("pageerror", lambda e: problems.append(str(e)))
        page.goto("/login")
        page.fill("#email", "finance.lead@sh01.test")
        page.fill("#password", factories.PASSWORD)
        page.click("main button[type=submit]")
        page.wait_for_load_state()
        page.goto("/scorecards?store=SH01")
        page.wait_for_selector("#trend-chart")
        drawn = page.evaluate("() => !!Chart.getChart(document.getElementById('trend-chart'))")
    assert drawn
    assert problems == []
