"""A complaint in a real browser (Debian's Chromium driven by Playwright) against the app served
by a real HTTP server: a Finance clerk files a complaint about Sales; a Sales clerk finds it in
"complaints about us" (with who filed it), opens it (becoming its owner) and answers it; the
complainant closes it; the Sales head's scorecard counts it, answered in time, and shows Sales's
satisfaction index from the four stars Finance gave when accepting a slip in the inbox.
Screenshots in tests/artifacts/e2e-complaints/."""

import shutil

import pytest
from sqlalchemy import select

from tests import browsing
from tests.browsing import ARTIFACTS, needs_chromium, sign_in
from tests.pages import deliver, submit
from tracker.complaints.models import Complaint
from tracker.satisfaction.models import DecisionRating

sync_api = pytest.importorskip("playwright.sync_api")

SHOTS = ARTIFACTS / "e2e-complaints"
live_server, browser = browsing.live_server, browsing.browser  # the fixtures

pytestmark = needs_chromium


def test_a_complaint_filed_opened_answered_closed_and_counted_on_the_scorecard(
    app, session, store, people, live_server, browser, now
):
    shutil.rmtree(SHOTS, ignore_errors=True)
    SHOTS.mkdir(parents=True)
    made = deliver(session, store, people["sales.clerk"])  # Sales owes something this month
    slip = made["sales-2"]
    submit(session, slip, people["sales.clerk"])
    month = now.astimezone(store.zone).strftime("%Y-%m")

    # 0. The Finance clerk accepts a slip Sales handed in, with four stars.
    _, page = sign_in(browser, live_server, "finance.clerk@sh01.test")
    page.goto("/inbox")
    card = page.locator(f"article#d{slip.id}")
    for box in card.locator(f"input[name=a{slip.id}-checklist]").all():
        box.check()
    card.locator(f"label[for=a{slip.id}-rating-4]").click()
    card.locator("button[name=accept]").click()
    assert "Accepted" in page.locator(".flash").first.inner_text()
    assert session.scalars(select(DecisionRating.rating)).all() == [4]

    # 1. The Finance clerk files a complaint about Sales.
    page.click("nav >> text=Complaints")
    page.click("text=File a complaint")
    page.select_option("#department", "sales")
    page.select_option("#severity", "high")
    page.fill("#what", "The deposit slip for D-1001 came without the customer's signature.")
    page.screenshot(path=str(SHOTS / "01-file.png"), full_page=True)
    page.click("main button[type=submit]")
    assert "the department is told" in page.locator(".flash").first.inner_text()
    complaint = session.scalar(select(Complaint))
    complainant_url = page.url
    assert complainant_url.endswith(f"/complaints/{complaint.id}")

    # 2. A Sales clerk finds it about their department, with who filed it, opens and answers it.
    _, sales = sign_in(browser, live_server, "sales.clerk@sh01.test")
    sales.click("nav >> text=Complaints")
    row = sales.locator(f'#about-us tr[data-complaint="{complaint.id}"]')
    assert people["finance.clerk"].name in row.inner_text()
    row.locator("a").first.click()
    sales.click("#open-complaint")
    assert "You own this complaint now" in sales.locator(".flash").first.inner_text()
    assert sales.locator("#owner").inner_text() == people["sales.clerk"].name
    sales.fill("#text", "Signed by the customer this morning and sent again.")
    sales.click("#answer-complaint")
    sales.screenshot(path=str(SHOTS / "02-answered.png"), full_page=True)
    assert "answered" in sales.locator("#status").inner_text()

    # 3. The complainant confirms the resolution.
    page.goto(complainant_url)
    assert "Signed by the customer" in page.locator("#answer").inner_text()
    page.click("#close-complaint")
    assert page.locator("#status").inner_text() == "closed"
    page.screenshot(path=str(SHOTS / "03-closed.png"), full_page=True)

    # 4. The Sales head's scorecard counts it, answered in time, beside Sales's satisfaction
    # index: one rating of 4 out of 5, (4 - 1) / 4 x 100 = 75.0, from 1 response.
    _, head = sign_in(browser, live_server, "sales.head@sh01.test")
    head.goto(f"/scorecards?month={month}&store=SH01")
    sales_row = head.locator('#complaints tr[data-store="SH01"][data-provider="sales"]')
    assert sales_row.locator('[data-measure="complaints"]').inner_text() == "1"
    assert sales_row.locator('[data-measure="complaints_in_time_pct"]').inner_text() == "100.0%"
    scores = head.locator('#scorecard tr[data-provider="sales"]')
    assert scores.locator('[data-measure="csi"]').inner_text().split() == ["75.0", "(1)"]
    head.screenshot(path=str(SHOTS / "04-scorecard.png"), full_page=True)
