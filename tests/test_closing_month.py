"""Month close: a store's month closed with its scorecard kept, later decisions shown beside the
closed figures as adjustments, reopening by administrators, the readiness page, the commands,
and the months still open (issue 11)."""

import csv
import io
import json
import re
from datetime import datetime, timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from tests import factories
from tests.pages import counted_queries, error_beside, snapshot, token
from tests.test_scorecards_pages import Page, _cell, make
from tracker.closing import service as closing
from tracker.closing.models import ClosedScore, MonthClose
from tracker.extensions import db
from tracker.ledger import service as ledger
from tracker.ledger.models import AuditEntry, Deliverable
from tracker.org.service import get_store

LEAD = "finance.lead@sh01.test"
ADMIN = "finance.admin@sh01.test"
CLERK = "sales.clerk@sh01.test"
SALES = 'data-store="SH01" data-provider="sales"'


@pytest.fixture
def month(now):
    """Last month in Shanghai: it has ended at the fixed now, whatever day that is."""
    first = now.astimezone(get_store(db.session, "SH01").zone).replace(day=1)
    return (first - timedelta(days=1)).strftime("%Y-%m")


def _due(month: str, day: int, store) -> datetime:
    year, mon = (int(x) for x in month.split("-"))
    return datetime(year, mon, day, 23, 59, 59, tzinfo=store.zone)


@pytest.fixture
def october(session, people, month):
    """Last month in SH01: Sales one on time, one late, one still open (overdue); Insurance
    one on time."""
    sh01 = get_store(session, "SH01")
    h = timedelta(hours=1)
    made = {
        "on_time": make(session, "sales-7", sh01, due_at=_due(month, 3, sh01), status="accepted",
                        submitted_at=_due(month, 3, sh01) - h),
        "late": make(session, "sales-1", sh01, due_at=_due(month, 5, sh01), status="accepted",
                     submitted_at=_due(month, 5, sh01) + 5 * h),
        "open": make(session, "sales-7", sh01, due_at=_due(month, 6, sh01)),
        "insurance": make(session, "insurance-1", sh01, due_at=_due(month, 8, sh01),
                          status="accepted", submitted_at=_due(month, 8, sh01) - h),
    }  # fmt: skip
    session.commit()
    return {k: v.id for k, v in made.items()}


def _close(client, month, **fields):
    data = {"csrf_token": token(client, "/closing"), "store": "SH01", "month": month, **fields}
    return client.post("/closing/close", data=data)


def _csv_sales(client, month) -> dict:
    text = client.get(f"/scorecards/export.csv?month={month}&store=SH01").get_data(as_text=True)
    rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    return next(r for r in rows if r["Department"] == "Sales")


def _xlsx(client, month) -> dict[str, list[list]]:
    data = client.get(f"/scorecards/export.xlsx?month={month}&store=SH01").data
    book = load_workbook(io.BytesIO(data))
    return {s.title: [list(r) for r in s.iter_rows(values_only=True)] for s in book.worksheets}


def _cli(runner, *args) -> tuple[int, object]:
    result = runner.invoke(args=["tracker", *args, "--json"])
    try:
        return result.exit_code, json.loads(result.output)
    except ValueError:
        return result.exit_code, result.output


def test_a_closed_month_keeps_its_figures_and_shows_a_later_waiver_as_an_adjustment(
    client, auth, runner, session, people, october, month, now
):
    auth.login(LEAD)
    # Undecided items need acknowledging: without it, refused beside the checkbox, nothing kept.
    before = snapshot()
    refused = _close(client, month)
    assert refused.status_code == 400
    assert "not decided yet" in error_beside(refused.get_data(as_text=True), "with_open")
    assert snapshot() == before
    assert _close(client, month, with_open="y").status_code == 302
    (close,) = session.scalars(select(MonthClose)).all()
    assert (close.store.code, close.month, close.closed_by.email, close.open_items) == (
        "SH01",
        month,
        LEAD,
        1,
    )
    assert close.closed_at == now

    # The open item is waived after the close: work goes on.
    ledger.waive(session, session.get(Deliverable, october["open"]),
                 by=people["finance.clerk"], now=now, reason="deal cancelled")  # fmt: skip
    session.commit()

    html = client.get(f"/scorecards?month={month}&store=SH01").get_data(as_text=True)
    assert 'id="closed"' in html
    closed = {m: _cell(html, SALES, m) for m in ("due", "on_time", "late", "open_overdue")}
    assert closed == {"due": "3", "on_time": "1", "late": "1", "open_overdue": "1"}
    assert (_cell(html, SALES, "waived"), _cell(html, SALES, "on_time_pct")) == ("0", "33.3%")
    assert _cell(html, SALES, "adjust_waived") == "+1"
    assert f'data-id="{october["open"]}" data-outcome="waived"' in html

    sales = _csv_sales(client, month)
    assert (sales["Open overdue"], sales["Waived"], sales["On-time %"]) == ("1", "0", "33.3")
    assert (sales["After the close: waived"], sales["After the close: on time"]) == ("1", "0")
    sheets = _xlsx(client, month)
    header, *rows = sheets["Scorecard"]
    row = dict(zip(header, next(r for r in rows if r[2] == "Sales"), strict=True))
    assert (row["Open overdue"], row["Waived"], row["After the close: waived"]) == (1, 0, 1)
    (adjustment,) = sheets["After the close"][1:]
    assert adjustment[3] == october["open"] and adjustment[5] == "Waived"

    code, rows = _cli(runner, "scorecard", "--month", month, "--store", "SH01")
    assert code == 0
    sales7 = next(r for r in rows if r["commitment"] == "sales-7")
    assert (sales7["due"], sales7["open_overdue"], sales7["waived"]) == (2, 1, 0)
    assert sales7["closed_at"] == now.isoformat()
    assert sales7["adjustments"] == {
        "on_time": 0,
        "late": 0,
        "waived": 1,
        "deliverables": [october["open"]],
    }

    # A lead may not reopen; an administrator may, with a reason.
    hidden = {"store": "SH01", "month": month, "reason": "waiver belongs in the month"}
    assert client.post("/closing/reopen", data={"csrf_token": token(client, "/closing"),
                                                **hidden}).status_code == 403  # fmt: skip
    code, output = _cli(runner, "month", "reopen", "--store", "SH01", "--month", month,
                        "--by", LEAD, "--reason", "no")  # fmt: skip
    assert code != 0 and "only administrators reopen" in output["error"]
    auth.logout()
    auth.login(ADMIN)
    empty = client.post("/closing/reopen", data={"csrf_token": token(client, "/closing"),
                                                 **hidden, "reason": " "})  # fmt: skip
    assert empty.status_code == 400 and error_beside(empty.get_data(as_text=True), "reason")
    reopened = client.post("/closing/reopen", data={"csrf_token": token(client, "/closing"),
                                                    **hidden})  # fmt: skip
    assert reopened.status_code == 302
    session.expire_all()
    assert session.get(MonthClose, close.id).reopen_reason == "waiver belongs in the month"
    audit = session.scalars(
        select(AuditEntry).where(AuditEntry.entity == "month_close").order_by(AuditEntry.id)
    ).all()
    assert [(a.action, a.actor.email) for a in audit] == [("closed", LEAD), ("reopened", ADMIN)]
    assert audit[1].detail == {"month": month, "reason": "waiver belongs in the month"}

    live = client.get(f"/scorecards?month={month}&store=SH01").get_data(as_text=True)
    assert 'id="closed"' not in live
    assert (_cell(live, SALES, "open_overdue"), _cell(live, SALES, "waived")) == ("0", "1")
    assert _cell(live, SALES, "on_time_pct") == "50.0%"
    code, rows = _cli(runner, "scorecard", "--month", month, "--store", "SH01")
    sales7 = next(r for r in rows if r["commitment"] == "sales-7")
    assert (sales7["open_overdue"], sales7["waived"], sales7["adjustments"]) == (0, 1, None)

    # Closing again keeps a new snapshot, the waiver now in it.
    assert _close(client, month).status_code == 302
    again = client.get(f"/scorecards?month={month}&store=SH01").get_data(as_text=True)
    assert (_cell(again, SALES, "waived"), _cell(again, SALES, "adjust_waived")) == ("1", "0")
    assert session.scalar(select(func.count()).select_from(MonthClose)) == 2


def test_a_clerk_cannot_close_a_month(client, auth, runner, people, october, month):
    auth.login(CLERK)
    assert client.get(f"/closing?month={month}").status_code == 403
    posted = client.post("/closing/close", data={"csrf_token": token(client, "/profile"),
                         "store": "SH01", "month": month, "with_open": "y"})  # fmt: skip
    assert posted.status_code == 403
    code, output = _cli(runner, "month", "close", "--store", "SH01", "--month", month,
                        "--by", CLERK, "--with-open")  # fmt: skip
    assert code != 0
    assert output["error"] == "only finance leads and administrators close a month"
    assert db.session.scalar(select(func.count()).select_from(MonthClose)) == 0


def test_the_readiness_page_counts_equal_the_items_it_links(
    client, auth, session, people, month, now
):
    sh01 = get_store(session, "SH01")
    made = [
        make(session, "sales-7", sh01, due_at=_due(month, 2, sh01)),
        make(session, "sales-1", sh01, due_at=_due(month, 4, sh01)),
        make(session, "sales-1", sh01, due_at=_due(month, 9, sh01), status="returned",
             returns=["unsigned"]),
        make(session, "insurance-1", sh01, due_at=_due(month, 7, sh01), status="submitted"),
        make(session, "loans-1", sh01, due_at=_due(month, 7, sh01)),
        make(session, "sales-7", sh01, due_at=_due(month, 10, sh01), status="accepted",
             submitted_at=_due(month, 10, sh01)),
    ]  # fmt: skip
    session.commit()
    auth.login(LEAD)
    html = client.get(f"/closing?store=SH01&month={month}").get_data(as_text=True)
    linked = []
    for group, expected in (("open", 3), ("submitted", 1), ("returned", 1)):
        section = re.search(rf'<article class="close-group" data-group="{group}">(.*?)</article>',
                            html, re.S).group(1)  # fmt: skip
        count = int(re.search(rf'data-count="{group}">(\d+)<', section).group(1))
        ids = [int(i) for i in re.findall(r'data-id="(\d+)"', section)]
        assert count == len(ids) == expected, group
        for row in re.findall(r"<tr data-group=.*?</tr>", section, re.S):
            shown = int(re.search(r'data-measure="count">(\d+)<', row).group(1))
            assert shown == len(re.findall(r'data-id="', row))
        linked += ids
    assert sorted(linked) == sorted(d.id for d in made[:5])
    assert 'data-total="5"' in html
    for href, _text in Page(html).links:
        if href.startswith("/deliverables/"):
            assert client.get(href).status_code == 200


def test_the_finance_head_sees_the_providers_scorecard(client, auth, session, people, october,
                                                       month):  # fmt: skip
    auth.login("finance.head@sh01.test")
    html = client.get(f"/scorecards?month={month}").get_data(as_text=True)
    assert SALES in html and 'data-store="SH01" data-provider="insurance"' in html
    assert _cell(html, SALES, "due") == "3"
    listed = client.get(f"/scorecards/deliverables?month={month}&provider=sales&measure=due")
    assert sorted(Page(listed.get_data(as_text=True)).ids) == sorted(
        october[k] for k in ("on_time", "late", "open")
    )
    assert client.get(f"/scorecards?month={month}&provider=insurance").status_code == 200
    assert client.get(f"/scorecards?month={month}&store=SH02").status_code in (403, 404)
    auth.logout()
    auth.login("sales.head@sh01.test")  # Sales is owed nothing: its own rows only
    own = client.get(f"/scorecards?month={month}").get_data(as_text=True)
    assert SALES in own and 'data-provider="insurance"' not in own
    assert client.get(f"/scorecards?month={month}&provider=insurance").status_code == 403


def test_the_month_commands_close_every_store_and_refuse_bad_input(
    runner, session, people, october, month, now
):
    factories.create_store(session, now=now, code="SH02")
    session.commit()
    code, output = _cli(runner, "month", "close", "--month", month, "--by", LEAD)
    assert code == 1 and "not decided yet" in output["error"]
    code, rows = _cli(runner, "month", "close", "--month", month, "--by", LEAD, "--with-open")
    assert code == 0 and [(r["store"], r["closed"]) for r in rows] == [("SH01", True),
                                                                       ("SH02", True)]  # fmt: skip
    assert session.scalar(select(func.count()).select_from(ClosedScore)) == 3  # sales-1, -7, ins
    code, output = _cli(runner, "month", "close", "--store", "SH01", "--month", month)
    assert code == 1 and "already closed" in output["error"]
    code, rows = _cli(runner, "month", "status", "--store", "SH01", "--month", month)
    assert rows[0]["closed"] and rows[0]["closed_by"] == LEAD and rows[0]["undecided"] == 1
    for args in (
        ["month", "status", "--month", "2026-13"],
        ["month", "close", "--store", "NOPE", "--month", month],
        ["month", "close", "--month", month, "--by", "nobody@x.test"],
        ["month", "reopen", "--store", "SH01", "--month", month],
        ["month", "reopen", "--store", "ALL", "--month", month, "--reason", "x"],
    ):
        result = runner.invoke(args=["tracker", *args])
        assert result.exit_code == 2, (args, result.output)
        assert "Traceback" not in result.output
    code, rows = _cli(runner, "month", "reopen", "--store", "SH01", "--month", month,
                      "--by", ADMIN, "--reason", "late invoices")  # fmt: skip
    assert code == 0 and rows[0]["closed"] is False


def test_a_month_not_ended_cannot_be_closed(runner, people, october, now):
    this = now.astimezone(get_store(db.session, "SH01").zone).strftime("%Y-%m")
    code, output = _cli(runner, "month", "close", "--store", "SH01", "--month", this,
                        "--with-open")  # fmt: skip
    assert code == 1 and "has not ended yet" in output["error"]


def test_open_months_are_the_past_months_since_the_first_deliverable_not_closed(
    session, people, now
):
    sh01 = get_store(session, "SH01")
    sh02 = factories.create_store(session, now=now, code="SH02")
    empty = factories.create_store(session, now=now, code="SH03")
    local = now.astimezone(sh01.zone)
    months = []
    for back in range(1, 16):  # fifteen months back, one item each
        index = local.year * 12 + local.month - 1 - back
        m = f"{index // 12:04d}-{index % 12 + 1:02d}"
        months.append(m)
        make(session, "sales-7", sh01, due_at=_due(m, 10, sh01), status="waived")
    make(session, "sales-7", sh02, due_at=_due(months[1], 10, sh02), status="waived")
    session.commit()
    closing.close_month(session, by=None, stores=[sh01], month=months[0], now=now)
    session.commit()
    ids = [sh01.id, sh02.id, empty.id]
    with counted_queries() as statements:
        found = closing.open_months(session, ids, now)
    assert len(statements) == 1
    assert found == [(sh01.id, m) for m in sorted(months[1:12])] + [
        (sh02.id, months[1]),
        (sh02.id, months[0]),
    ]


def test_a_closed_months_scorecard_page_runs_a_constant_number_of_queries(
    client, auth, session, people, october, month, now
):
    auth.login(LEAD)
    path = f"/scorecards?month={month}"
    with counted_queries() as open_page:
        client.get(path)
    closing.close_month(session, by=None, stores=[get_store(session, "SH01")], month=month,
                        now=now, with_open=True)  # fmt: skip
    session.commit()
    with counted_queries() as closed_page:
        client.get(path)
    # The person, the stores with their closes, the departments, the page's four, the age bands
    # and the amounts at risk of the month and of the backlog, the menu's inbox check, the holds
    # and the receivers' turnaround, the satisfaction index (the minimum of answers, then the
    # ratings and survey answers together), the complaints of the month: the close costs an
    # open month nothing.
    assert len(open_page) == 16, "\n".join(s[:150] for s in open_page)
    assert len(closed_page) == len(open_page) + 1  # the adjustments
    sh01 = get_store(session, "SH01")
    for day in range(1, 20):
        make(session, "loans-1", sh01, due_at=_due(month, day, sh01), status="accepted",
             submitted_at=_due(month, day, sh01))  # fmt: skip
    session.commit()
    with counted_queries() as more:
        client.get(path)
    assert len(more) == len(closed_page)


def test_no_english_is_left_on_the_close_pages_in_chinese(
    client, auth, session, people, october, month, now
):
    from tests.test_admin_pages import english_messages, visible_text

    people["finance.admin"].language = "zh"
    session.commit()
    auth.login(ADMIN)
    english = english_messages("closing", "scorecards")
    readiness = visible_text(client.get(f"/closing?month={month}").get_data(as_text=True))
    assert "月度结账" in readiness and "阻碍结账的事项" in readiness
    assert sorted(m for m in english if m in readiness) == []
    closing.close_month(session, by=people["finance.lead"], stores=[get_store(session, "SH01")],
                        month=month, now=now, with_open=True)  # fmt: skip
    session.commit()
    for path in (f"/closing?month={month}", f"/scorecards?month={month}&store=SH01"):
        text = visible_text(client.get(path).get_data(as_text=True))
        assert "已结账" in text, path
        assert sorted(m for m in english if m in text) == [], path


def test_the_cockpit_lists_the_months_not_closed_and_drops_one_once_closed(
    client, auth, people, october, month
):
    auth.login(LEAD)
    page = client.get("/now?store=SH01").get_data(as_text=True)
    section = re.search(r'<section id="open-months">.*?</section>', page, re.S).group(0)
    assert f'href="/closing?month={month}&amp;store=SH01"' in section
    assert _close(client, month, with_open="y").status_code == 302
    page = client.get("/now?store=SH01").get_data(as_text=True)
    assert f"closing?month={month}&amp;store=SH01" not in page
    auth.logout()
    auth.login("finance.clerk@sh01.test")  # sees the months still open, without the close
    clerk = client.get("/now").get_data(as_text=True)
    assert "/closing?" not in clerk
