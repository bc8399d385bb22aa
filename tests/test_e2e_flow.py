"""The whole flow in a real browser (Debian's Chromium driven by Playwright) against the app
served by a real HTTP server: a Sales clerk records a delivery and hands in the accessories
slip (sales-7) late with a reason; Finance returns it as unsigned; the clerk hands it in again;
Finance accepts it, rating it four stars; the scorecard shows it late and not first-pass, and so
does the Excel export. A screenshot of each step is kept in tests/artifacts/e2e/.

TRACKER_UPDATE_SCREENSHOTS=1 also copies the clerk's page and the scorecard to
docs/screenshots/ (the README shows them)."""

import io
import os
import shutil
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from tests import browsing
from tests.browsing import ARTIFACTS, ROOT, needs_chromium, sign_in
from tests.pages import PDF, deliver, other_departments_history
from tracker.ledger.models import Deliverable, Submission
from tracker.satisfaction.models import DecisionRating

sync_api = pytest.importorskip("playwright.sync_api")

SHOTS = ARTIFACTS / "e2e"
live_server, browser = browsing.live_server, browsing.browser  # the fixtures

pytestmark = needs_chromium


class Person:
    """One signed-in browser tab, taking numbered screenshots of what it sees."""

    steps = 0

    def __init__(self, browser, base: str, email: str):
        self.context, self.page = sign_in(browser, base, email)

    def shot(self, name: str) -> Path:
        Person.steps += 1
        path = SHOTS / f"{Person.steps:02d}-{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path

    def flash(self) -> str:
        return self.page.locator(".flash").first.inner_text()


def test_clerk_submits_late_finance_returns_then_accepts_and_the_scorecard_shows_it(
    app, session, store, people, live_server, browser, tmp_path, now
):
    shutil.rmtree(SHOTS, ignore_errors=True)
    SHOTS.mkdir(parents=True)
    Person.steps = 0
    # Two recent deals so the clerk's list looks like a working day.
    clerk = people["sales.clerk"]
    deliver(session, store, clerk, ago=timedelta(days=1), ref="D-0990", customer="Li Na")
    deliver(session, store, clerk, ref="D-0991", customer="Zhang Min")
    other_departments_history(session, store, people, now)

    # 1. The Sales clerk records a delivery that happened two weeks ago at 10:00 (the event
    # time is the person's input): its accessories slip (3 working days) is already overdue.
    clerk = Person(browser, live_server, "sales.clerk@sh01.test")
    page = clerk.page
    page.click("nav >> text=Record an event")
    happened = (now - timedelta(days=14)).astimezone(store.zone)
    page.select_option("#type", "vehicle_delivered")
    page.fill("#reference", "D-1001")
    page.fill("#customer", "Wang Wei")
    page.fill("#vin", "LSVAA4182E2123456")
    page.fill("#occurred_at", happened.strftime("%Y-%m-%dT10:00"))
    clerk.shot("record-delivery")
    page.click("main button[type=submit]")
    assert "What it created" in page.content()
    sales7 = session.scalars(
        select(Deliverable).where(Deliverable.reference == "D-1001").join(Deliverable.commitment)
    ).all()
    sales7 = next(d for d in sales7 if d.commitment.code == "sales-7")
    assert sales7.due_at < now
    assert page.locator(f'a[href="/deliverables/{sales7.id}"]').count() == 1
    clerk.shot("deliverables-created")

    # 2. Our department: the slip is listed overdue, first; the clerk hands it in with a reason.
    page.click("nav >> text=Our department")
    row = page.locator(f"tr#d{sales7.id}")
    assert " late" in row.inner_text()
    clerk_page = clerk.shot("our-department")
    page.set_viewport_size({"width": 390, "height": 844})  # on a phone: the rows stack
    clerk.shot("our-department-phone")
    page.set_viewport_size({"width": 1280, "height": 800})
    row.locator("text=Submit").click()
    page.fill("#reference", "D-1001")
    page.set_input_files("#file", files=[_file("accessories-slip.pdf")])
    page.fill("#late_reason", "The customer came back for the accessories only on Monday.")
    clerk.shot("submit-late-with-reason")
    page.click("main form button[type=submit]")
    assert "Submitted" in clerk.flash()

    # 3. Finance returns it: unsigned.
    finance = Person(browser, live_server, "finance.clerk@sh01.test")
    fpage = finance.page
    fpage.goto("/inbox")
    card = fpage.locator(f"article#d{sales7.id}")
    assert "The customer came back" in card.inner_text()
    assert "accessories-slip.pdf" in card.inner_text()
    finance.shot("inbox-handed-in")
    card.locator(f"#r{sales7.id}-reason").select_option("unsigned")
    card.locator(f"#r{sales7.id}-note").fill("The customer did not sign the slip.")
    card.locator("button[name=return]").click()
    assert "Returned" in finance.flash()
    finance.shot("returned-unsigned")

    # 4. The clerk sees it returned and hands it in again (still late: a reason again).
    page.goto("/mine")
    row = page.locator(f"tr#d{sales7.id}")
    assert "returned" in row.inner_text()
    row.locator("text=Submit").click()
    page.fill("#reference", "D-1001")
    page.set_input_files("#file", files=[_file("accessories-slip-signed.pdf")])
    page.fill("#late_reason", "Signed by the customer today.")
    page.click("main form button[type=submit]")
    assert "Submitted" in clerk.flash()
    page.goto(f"/deliverables/{sales7.id}")
    history = page.locator("text=History").first
    assert history.is_visible()
    clerk.shot("deliverable-history")

    # 5. Finance ticks the checklist, gives four stars and "courteous", and accepts.
    fpage.goto("/inbox")
    card = fpage.locator(f"article#d{sales7.id}")
    for box in card.locator(f"input[name=a{sales7.id}-checklist]").all():
        box.check()
    card.locator(f"label[for=a{sales7.id}-rating-4]").click()
    card.locator(f"input[name=a{sales7.id}-tags][value=courteous]").check()
    finance.shot("inbox-accept")
    card.locator("button[name=accept]").click()
    assert "Accepted" in finance.flash()
    rating = session.scalars(select(DecisionRating)).one()
    assert (rating.rating, rating.tags, rating.outcome) == (4, ["courteous"], "accepted")

    session.expire_all()
    accepted = session.get(Deliverable, sales7.id)
    assert accepted.status == "accepted" and accepted.return_count == 1
    assert accepted.lateness_seconds > 0
    handed_in = select(Submission).where(Submission.deliverable_id == sales7.id)
    assert [s.outcome for s in session.scalars(handed_in)] == ["returned", "accepted"]

    # 6. The finance lead reads the scorecard of the month the slip was due: late, not first pass.
    lead = Person(browser, live_server, "finance.lead@sh01.test")
    month = accepted.due_month
    lead.page.goto(f"/scorecards?month={month}&store=SH01")
    sales = lead.page.locator('#scorecard tr[data-store="SH01"][data-provider="sales"]')
    shown = {
        cell.get_attribute("data-measure"): cell.inner_text().strip()
        for cell in sales.locator("td[data-measure]").all()
    }
    assert shown["late"] == "1" and shown["accepted"] == "1" and shown["first_pass"] == "0"
    assert shown["first_pass_pct"] == "0.0%" and shown["on_time_pct"] == "0.0%"
    scorecard_page = lead.shot("scorecard")

    # 7. The Excel export holds the same numbers.
    with lead.page.expect_download() as download:
        lead.page.click("text=Export Excel")
    workbook = tmp_path / "scorecard.xlsx"
    download.value.save_as(workbook)
    row = _excel_row(workbook, store="SH01", department="Sales")
    assert row["Late"] == 1 and row["Accepted"] == 1 and row["First pass"] == 0
    assert row["First-pass %"] == 0 and row["On-time %"] == 0
    for measure, header in [
        ("due", "Due"),  # "Due" or "Due that month"
        ("on_time", "On time"),
        ("late", "Late"),
        ("open_overdue", "Open overdue"),
        ("accepted", "Accepted"),
        ("first_pass", "First pass"),
        ("mean_lateness_hours", "Mean lateness"),
    ]:
        value = next(v for k, v in row.items() if k == header or k.startswith(header + " "))
        # Excel keeps 250.0 as the number 250: compare numbers, not their text.
        assert float(value) == float(shown[measure]), (header, row, shown)

    for context in (clerk.context, finance.context, lead.context):
        context.close()
    if os.environ.get("TRACKER_UPDATE_SCREENSHOTS"):
        docs = ROOT / "docs" / "screenshots"
        docs.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(clerk_page, docs / "clerk.png")
        shutil.copyfile(scorecard_page, docs / "scorecard.png")


def _file(name: str) -> dict:
    return {"name": name, "mimeType": "application/pdf", "buffer": io.BytesIO(PDF).getvalue()}


def _excel_row(path: Path, *, store: str, department: str) -> dict:
    from openpyxl import load_workbook

    sheet = load_workbook(path, read_only=True).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    header = rows[0]
    for values in rows[1:]:
        row = dict(zip(header, values, strict=False))
        if row.get("Store") == store and row.get("Department") == department:
            return row
    raise AssertionError(f"no row for {store} {department} in {rows}")
