"""Every page a clerk, a receiving clerk, a head or a lead uses fits a phone (390 px) and a
laptop (1280 px), in English and in Chinese: the page never scrolls sideways and no element
inside it does either (lists stack into cards on a phone). Then the day's flows done on both
widths in both languages: the clerk's start page, a batch with a reference per row, the inbox's
return, an event corrected and another cancelled. Screenshots in tests/artifacts/layout/.

TRACKER_UPDATE_SCREENSHOTS=1 also copies the clerk's start page on a phone and the inbox on a
laptop to docs/screenshots/ (the README shows them)."""

import os
import shutil
from datetime import timedelta

from playwright.sync_api import TimeoutError as PlaywrightTimeout
from sqlalchemy import select

from tests import browsing
from tests.browsing import ARTIFACTS, ROOT, needs_chromium, sign_in
from tests.pages import OVERDUE, deliver, other_departments_history, submit
from tracker.ledger import service as ledger
from tracker.ledger.models import BusinessEvent, Deliverable, Submission
from tracker.org.models import Person
from tracker.satisfaction import service as satisfaction

SHOTS = ARTIFACTS / "layout"
WIDTHS = (390, 1280)
LANGUAGES = ("en", "zh")
live_server, browser = browsing.live_server, browsing.browser  # the fixtures

pytestmark = needs_chromium

# What is too wide: the page itself, or any element that scrolls sideways inside it.
TOO_WIDE = """() => {
  const css = e => (typeof e.className === 'string' && e.className ? '.' + e.className : '');
  const name = e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + css(e);
  const scrolls = e => ['auto', 'scroll'].includes(getComputedStyle(e).overflowX);
  const inner = [...document.querySelectorAll('body *')].filter(e =>
    e.scrollWidth > e.clientWidth + 1 && scrolls(e));
  return {page: document.scrollingElement.scrollWidth, width: window.innerWidth,
          inner: inner.map(name)};
}"""


def _settled(page) -> None:
    """Let what resizes itself after a resize (the scorecard's chart: a ResizeObserver, then an
    animation frame) catch up, for at most 2 s; a page still too wide then is too wide."""
    try:
        page.wait_for_function(
            "() => document.scrollingElement.scrollWidth <= window.innerWidth", timeout=2000
        )
    except PlaywrightTimeout:
        pass


def _too_wide(page) -> str | None:
    _settled(page)
    got = page.evaluate(TOO_WIDE)
    if got["page"] > got["width"] or got["inner"]:
        return f"page {got['page']} px in {got['width']} px; scrolling inside: {got['inner']}"
    return None


def _speak(session, language: str) -> None:
    for person in session.scalars(select(Person)):
        person.language = language
    session.commit()


def test_every_page_fits_a_phone_and_a_laptop_in_both_languages(
    app, session, store, people, live_server, browser, now
):
    shutil.rmtree(SHOTS / "pages", ignore_errors=True)
    (SHOTS / "pages").mkdir(parents=True)
    clerk = people["sales.clerk"]
    other_departments_history(session, store, people, now)
    late = deliver(session, store, clerk, ago=OVERDUE, ref="D-0990", customer="Li Na")
    fresh = deliver(session, store, clerk, ref="D-0991", customer="Zhang Min")
    back = deliver(session, store, clerk, ago=timedelta(days=2), ref="D-0992", customer="Wu Fei")
    submit(session, back["sales-7"], clerk)
    ledger.return_deliverable(
        session, back["sales-7"], by=people["finance.clerk"], now=now, reason="unsigned"
    )
    submit(session, late["sales-2"], clerk)
    satisfaction.open_survey(
        session, store, "2026Q4", opens_on=now.date() - timedelta(days=7),
        closes_on=now.date() + timedelta(days=7), by=None, now=now,
    )  # fmt: skip
    session.commit()
    d = late["sales-7"].id
    event = late["sales-7"].event_id
    batch = f"ids={d}&ids={fresh['sales-7'].id}"
    month = now.astimezone(store.zone).strftime("%Y-%m")
    pages = {
        "sales.clerk": [
            "/",
            "/mine",
            f"/deliverables/{d}",
            f"/deliverables/{d}/submit",
            f"/deliverables/submit?{batch}",
            "/events/new",
            f"/events/{event}",
            "/deals",
            "/deals?ref=D-0990",
            "/profile",
        ],
        "sales.head": [
            f"/events/{event}/correct",
            f"/events/{event}/cancel",
            "/now",
            "/now/items?side=provided&due=week",
            "/scorecards",
        ],
        "finance.clerk": ["/inbox", "/now", "/now/items?side=received", "/survey"],
        "finance.lead": [
            "/closing",
            f"/scorecards?month={month}",
            f"/scorecards/deliverables?month={month}&measure=due",
            f"/scorecards/deliverables?month={month}&provider=sales&measure=late",
            "/survey/results",
        ],
        "finance.admin": ["/admin/people", "/survey/admin"],  # the administrator's: a laptop
    }
    wrong = []
    for language in LANGUAGES:
        _speak(session, language)
        for who, paths in pages.items():
            context, page = sign_in(browser, live_server, f"{who}@sh01.test")
            for path in paths:
                page.goto(path)
                assert page.url.endswith(path.split("?")[0]) or "?" in path, (who, path, page.url)
                for width in WIDTHS if who != "finance.admin" else (1280,):
                    page.set_viewport_size({"width": width, "height": 844 if width < 600 else 800})
                    if problem := _too_wide(page):
                        name = f"{language}-{width}-{who}-{path.strip('/').replace('/', '_')}"
                        page.screenshot(
                            path=str(SHOTS / "pages" / f"{name[:90]}.png"), full_page=True
                        )
                        wrong.append(f"{language} {width} px {who} {path}: {problem}")
            context.close()
    assert not wrong, "\n".join(wrong)


def test_the_days_flows_work_on_a_phone_and_a_laptop_in_both_languages(
    app, session, store, people, live_server, browser, now
):
    shutil.rmtree(SHOTS / "flows", ignore_errors=True)
    (SHOTS / "flows").mkdir(parents=True)
    clerk = people["sales.clerk"]
    shots = {}
    for language in LANGUAGES:
        _speak(session, language)
        for width in WIDTHS:
            tag = f"{language}-{width}"
            size = {"width": width, "height": 844 if width < 600 else 800}
            deals = [
                deliver(session, store, clerk, ago=OVERDUE, ref=f"{tag}-{n}", customer="Li Na")
                for n in range(3)
            ]

            def shot(page, name, tag=tag):
                problem = _too_wide(page)
                path = SHOTS / "flows" / f"{tag}-{name}.png"
                page.screenshot(path=str(path), full_page=True)
                assert problem is None, f"{tag} {name}: {problem}"
                return path

            # The clerk's day, then two items of /mine ticked and handed in together, each row
            # with its own reference.
            context, page = sign_in(browser, live_server, "sales.clerk@sh01.test", **size)
            page.goto("/")
            assert page.locator("#overdue .day-item").count() >= 2
            shots[f"{tag}-day"] = shot(page, "1-day")
            page.goto("/mine")
            chosen = [deals[0]["sales-7"], deals[1]["sales-7"]]
            for d in chosen:
                page.check(f'tr#d{d.id} input[name="ids"]')
            shots[f"{tag}-mine"] = shot(page, "2-mine")
            page.click("form[action$='/deliverables/submit'] button[type=submit]")
            page.wait_for_load_state()
            for d in chosen:
                assert page.locator(f"#row-{d.id}").is_visible()
            for d in chosen:
                page.locator(f"#row-{d.id} input[name$='-reference']").fill(f"{d.reference}/own")
            page.set_input_files("#file", files=[_pdf("shared.pdf")])
            if page.locator("#late_reason").count():
                page.fill("#late_reason", "The customer came late.")
            shot(page, "3-batch")
            page.click("main form button[type=submit]:not(.secondary)")
            page.wait_for_load_state()
            assert page.locator(".flash").count() == 1 and not page.locator(".flash-error").count()
            session.expire_all()
            refs = {
                s.deliverable_id: s.reference
                for s in session.scalars(
                    select(Submission).where(Submission.deliverable_id.in_([d.id for d in chosen]))
                )
            }
            assert refs == {d.id: f"{d.reference}/own" for d in chosen}
            context.close()

            # The receiving clerk returns the first one from the inbox.
            context, page = sign_in(browser, live_server, "finance.clerk@sh01.test", **size)
            page.goto("/inbox")
            card = page.locator(f"article#d{chosen[0].id}")
            card.locator(f"#r{chosen[0].id}-reason").select_option("unsigned")
            shots[f"{tag}-inbox"] = shot(page, "4-inbox")
            card.locator("button[name=return]").click()
            page.wait_for_load_state()
            assert page.locator(".flash").count() == 1 and not page.locator(".flash-error").count()
            session.expire_all()
            assert session.get(Deliverable, chosen[0].id).status == "returned"
            context.close()

            # The head of Sales corrects one event's reference and cancels another.
            context, page = sign_in(browser, live_server, "sales.head@sh01.test", **size)
            first, third = chosen[0].event_id, deals[2]["sales-7"].event_id
            page.goto(f"/events/{first}")
            page.click(f'a[href="/events/{first}/correct"]')
            page.fill("#reference", f"{tag}-0b")
            shot(page, "5-correct")
            page.click("main form button[type=submit]")
            page.wait_for_load_state()
            shot(page, "6-corrected")
            page.goto(f"/events/{third}/cancel")
            page.fill("#reason", "Recorded on the wrong deal.")
            shot(page, "7-cancel")
            page.click("main form button[type=submit]")
            page.wait_for_load_state()
            shot(page, "8-cancelled")
            session.expire_all()
            assert session.get(BusinessEvent, first).reference == f"{tag}-0b"
            assert session.get(BusinessEvent, third).cancelled_at is not None
            context.close()

    if os.environ.get("TRACKER_UPDATE_SCREENSHOTS"):
        docs = ROOT / "docs" / "screenshots"
        docs.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(shots["zh-390-day"], docs / "phone-day.png")
        shutil.copyfile(shots["en-1280-inbox"], docs / "desktop-inbox.png")


def _pdf(name: str) -> dict:
    from tests.pages import PDF

    return {"name": name, "mimeType": "application/pdf", "buffer": PDF}
