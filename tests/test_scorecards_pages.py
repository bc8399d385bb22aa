"""The scorecard pages: the numbers are the service's, each clicks through to exactly the
deliverables it counts, the exports hold the same numbers, and each person sees only theirs."""

import csv
import io
import re
from datetime import timedelta
from decimal import Decimal
from html import unescape
from html.parser import HTMLParser
from urllib.parse import parse_qs, quote, urlsplit

import pytest
from openpyxl import load_workbook
from sqlalchemy import event, func, select

from tests import factories
from tracker.catalog.service import get_commitment
from tracker.extensions import db
from tracker.ledger.models import FINAL_STATUSES, Deliverable, Submission
from tracker.org.service import get_store
from tracker.scorecards import service


class Page(HTMLParser):
    """The parts of a page the tests read: links with their text, and elements' data-* marks."""

    def __init__(self, html: str):
        super().__init__()
        self.links: list[tuple[str, str]] = []
        self.ids: list[int] = []
        self._href = None
        self._text = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "a":
            self._href, self._text = attrs.get("href"), []
        if tag == "tr" and "data-id" in attrs:
            self.ids.append(int(attrs["data-id"]))

    def handle_data(self, data):
        if self._href is not None:
            self._text.append(data)

    def handle_endtag(self, tag):
        if tag == "a" and self._href is not None:
            self.links.append((unescape(self._href), "".join(self._text).strip()))
            self._href = None


def _cell(html: str, row_attrs: str, measure: str, table: str = "scorecard") -> str:
    """The text of one table cell, found by its table's id and its row's and its own marks."""
    found = re.search(rf'<table [^>]*id="{table}">(.*?)</table>', html, re.S)
    assert found, f"no table {table}"
    row = re.search(rf"<tr {re.escape(row_attrs)}>(.*?)</tr>", found.group(1), re.S)
    assert row, f"no row {row_attrs}"
    cell = re.search(rf'data-(?:measure|reason)="{measure}">(.*?)</td>', row.group(1), re.S)
    assert cell, f"no cell {measure} in row {row_attrs}"
    return re.sub(r"<[^>]+>", "", cell.group(1)).strip()


def make(
    session, code, store, *, due_at, status="open", submitted_at=None, returns=(), amount=None
):
    """A deliverable as the ledger leaves it, with one returned submission per reason given
    (and, once accepted or waived, counted into the scorecards' roll-up, as the ledger does)."""
    commitment = get_commitment(session, code)
    accepted = status == "accepted"
    d = Deliverable(
        commitment=commitment,
        version=commitment.current,
        store=store,
        provider_id=commitment.provider_id,
        receiver_id=commitment.receiver_id,
        due_at=due_at,
        due_month=due_at.astimezone(store.zone).strftime("%Y-%m"),
        status=status,
        created_at=due_at - timedelta(days=5),
        last_submitted_at=submitted_at,
        final_submitted_at=submitted_at if accepted else None,
        accepted_at=submitted_at + timedelta(hours=1) if accepted else None,
        lateness_seconds=int((submitted_at - due_at).total_seconds()) if accepted else None,
        return_count=len(returns),
        amount=Decimal(amount) if amount is not None else None,
    )
    session.add(d)
    session.flush()
    for seq, reason in enumerate(returns, start=1):
        session.add(
            Submission(
                deliverable_id=d.id,
                seq=seq,
                submitted_at=due_at - timedelta(days=1),
                outcome="returned",
                return_reason=reason,
                decided_at=due_at - timedelta(hours=20),
            )
        )
    session.flush()
    if status in FINAL_STATUSES:
        service.record_final(session, d.id)
    return d


@pytest.fixture
def month(now):
    """Last month (in Shanghai): everything due then is decided or overdue, at the fixed now."""
    first = now.astimezone(get_store(db.session, "SH01").zone).replace(day=1)
    return (first - timedelta(days=1)).strftime("%Y-%m")


@pytest.fixture
def history(session, people, now, month):
    """A month of deliverables in SH01 (Sales, Insurance) and SH02 (Sales)."""
    sh01 = get_store(session, "SH01")
    sh02 = factories.create_store(session, now=now, code="SH02", name="Shenzhen")
    factories.create_person(session, sh02, "sales", "head", now=now)
    year, mon = (int(x) for x in month.split("-"))
    from datetime import datetime

    def due(day):
        return datetime(year, mon, day, 23, 59, 59, tzinfo=sh01.zone)

    h = timedelta(hours=1)
    made = {
        "on_time": make(session, "sales-7", sh01, due_at=due(3), status="accepted",
                        submitted_at=due(3) - 5 * h),
        "on_time_returned": make(session, "sales-7", sh01, due_at=due(4), status="accepted",
                                 submitted_at=due(4) - 2 * h, returns=["unsigned"]),
        "late": make(session, "sales-1", sh01, due_at=due(5), status="accepted",
                     submitted_at=due(5) + 5 * h, returns=["incomplete", "unsigned"]),
        "overdue": make(session, "sales-7", sh01, due_at=due(6), amount="1000.50"),
        "waived": make(session, "sales-7", sh01, due_at=due(7), status="waived"),
        "ins_on_time": make(session, "insurance-1", sh01, due_at=due(8), status="accepted",
                            submitted_at=due(8) - 30 * h),
        "ins_returned": make(session, "insurance-1", sh01, due_at=due(9), status="returned",
                             returns=["wrong_amount"], amount="500"),
        "sh02_late": make(session, "sales-7", sh02, due_at=due(10), status="accepted",
                          submitted_at=due(10) + 50 * h),
    }  # fmt: skip
    session.commit()
    return {k: v.id for k, v in made.items()}


def page(client, auth, who, path):
    auth.login(who)
    return client.get(path)


def test_the_table_shows_the_services_numbers(client, auth, people, history, month, session, now):
    response = page(client, auth, "finance.lead@sh01.test", f"/scorecards?month={month}&store=SH01")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    rows = service.scorecard(
        session, month=month, now=now, store=get_store(session, "SH01"), level="department"
    )
    assert [r.provider for r in rows] == ["insurance", "sales"]
    for r in rows:
        mark = f'data-store="SH01" data-provider="{r.provider}"'
        for measure in ("due", "on_time", "late", "open_overdue", "waived", "accepted"):
            assert _cell(html, mark, measure) == str(getattr(r, measure))
        assert _cell(html, mark, "on_time_pct") == f"{round(r.on_time_rate * 100, 1)}%"
        assert _cell(html, mark, "first_pass_pct") == f"{round(r.first_pass_rate * 100, 1)}%"
    sales = next(r for r in rows if r.provider == "sales")
    # 2 on time of 4 decided (2 on time, 1 late, 1 open overdue); 1 of 3 accepted at first pass.
    assert (sales.on_time_rate, sales.first_pass_rate, sales.mean_lateness_hours) == (
        0.5,
        round(1 / 3, 4),
        5.0,
    )
    assert _cell(html, 'data-store="SH01" data-provider="sales"', "mean_lateness_hours") == "5.0"


@pytest.mark.parametrize(
    "measure, expected",
    [
        ("on_time", ["on_time", "on_time_returned"]),
        ("late", ["late"]),
        ("open_overdue", ["overdue"]),
        ("waived", ["waived"]),
        ("decided", ["on_time", "on_time_returned", "late", "overdue"]),
        ("accepted", ["on_time", "on_time_returned", "late"]),
        ("first_pass", ["on_time"]),
    ],
)
def test_a_number_lists_exactly_the_deliverables_behind_it(
    client, auth, people, history, month, measure, expected
):
    html = page(client, auth, "finance.lead@sh01.test", f"/scorecards?month={month}&store=SH01")
    links = [
        href
        for href, _text in Page(html.get_data(as_text=True)).links
        if parse_qs(urlsplit(href).query).get("measure") == [measure]
        and parse_qs(urlsplit(href).query).get("provider") == ["sales"]
    ]
    assert links, f"no link for {measure}"
    listed = client.get(links[0])
    assert listed.status_code == 200
    ids = Page(listed.get_data(as_text=True)).ids
    assert sorted(ids) == sorted(history[k] for k in expected)
    assert f'href="/deliverables/{ids[0]}"' in listed.get_data(as_text=True)


def test_every_count_on_the_page_matches_the_length_of_its_list(
    client, auth, people, history, month
):
    html = page(client, auth, "finance.lead@sh01.test", f"/scorecards?month={month}")
    counts = [
        (href, int(text))
        for href, text in Page(html.get_data(as_text=True)).links
        if href.startswith("/scorecards/deliverables") and text.isdigit()
    ]
    assert len(counts) > 10
    for href, number in counts:
        assert len(Page(client.get(href).get_data(as_text=True)).ids) == number, href


def test_return_reasons_count_each_returned_deliverable_once_per_reason(
    client, auth, people, history, month, session
):
    html = page(client, auth, "finance.lead@sh01.test", f"/scorecards?month={month}&store=SH01")
    html = html.get_data(as_text=True)
    sales = 'data-store="SH01" data-provider="sales"'
    reasons = ("incomplete", "unsigned", "wrong_amount")
    assert [_cell(html, sales, r, "return-reasons") for r in reasons] == [
        "1",
        "2",
        "0",
    ]
    insurance = 'data-store="SH01" data-provider="insurance"'
    assert _cell(html, insurance, "wrong_amount", "return-reasons") == "1"
    listed = client.get(
        f"/scorecards/deliverables?month={month}&store=SH01&provider=sales"
        "&measure=returned&reason=unsigned"
    )
    assert sorted(Page(listed.get_data(as_text=True)).ids) == sorted(
        [history["on_time_returned"], history["late"]]
    )


def test_amounts_at_risk_are_summed_by_days_overdue(client, auth, people, session, now):
    sh01 = get_store(session, "SH01")
    made = {
        "0-2": make(session, "sales-7", sh01, due_at=now - timedelta(days=1), amount="100.25"),
        "3-7": make(session, "sales-1", sh01, due_at=now - timedelta(days=5), amount="2000"),
        "8+": make(session, "loans-1", sh01, due_at=now - timedelta(days=10), amount="30"),
    }
    make(session, "sales-7", sh01, due_at=now + timedelta(hours=3), amount="999")  # not yet due
    session.commit()
    months = sorted({d.due_month for d in made.values()})
    auth.login("finance.lead@sh01.test")
    seen = {"0-2": [0, Decimal(0), []], "3-7": [0, Decimal(0), []], "8+": [0, Decimal(0), []]}
    for m in months:
        html = client.get(f"/scorecards?month={m}&store=SH01").get_data(as_text=True)
        for bucket in seen:
            mark = f'data-bucket="{bucket}"'
            seen[bucket][0] += int(_cell(html, mark, "count", "at-risk"))
            seen[bucket][1] += Decimal(_cell(html, mark, "amount", "at-risk").replace(",", ""))
            listed = client.get(
                f"/scorecards/deliverables?month={m}&store=SH01&measure=at_risk&bucket={quote(bucket)}"
            )
            seen[bucket][2] += Page(listed.get_data(as_text=True)).ids
    assert seen == {
        "0-2": [1, Decimal("100.25"), [made["0-2"].id]],
        "3-7": [1, Decimal("2000.00"), [made["3-7"].id]],
        "8+": [1, Decimal("30.00"), [made["8+"].id]],
    }


def test_csv_and_excel_hold_the_numbers_of_the_page(
    client, auth, people, history, month, session, now
):
    auth.login("finance.lead@sh01.test")
    query = f"month={month}&store="
    csv_response = client.get(f"/scorecards/export.csv?{query}")
    assert csv_response.status_code == 200
    assert csv_response.mimetype == "text/csv"
    csv_rows = list(csv.reader(io.StringIO(csv_response.get_data(as_text=True).lstrip("\ufeff"))))
    xlsx = client.get(f"/scorecards/export.xlsx?{query}")
    assert xlsx.status_code == 200
    sheet = load_workbook(io.BytesIO(xlsx.data)).worksheets[0]
    xlsx_rows = [list(r) for r in sheet.iter_rows(values_only=True)]

    assert csv_rows[0] == xlsx_rows[0]
    assert csv_rows[0][:4] == ["Month", "Store", "Department", "Due that month"]
    assert "On-time %" in csv_rows[0]
    expected = [
        [r.month, r.store, r.provider, r.due, r.on_time, r.late, r.open_overdue, r.waived,
         r.accepted, r.first_pass, round(r.on_time_rate * 100, 1),
         round(r.first_pass_rate * 100, 1), None, 0, r.mean_lateness_hours, 0, 0.0, 0, 0, None]
        for r in service.scorecard(session, month=month, now=now, level="department")
    ]  # fmt: skip
    names = {"sales": "Sales", "insurance": "Insurance"}
    for row in expected:
        row[2] = names[row[2]]
    assert [[None if v == "" else v for v in row] for row in xlsx_rows[1:]] == [
        [None if v is None else v for v in row] for row in expected
    ]
    assert [row for row in csv_rows[1:]] == [
        ["" if v is None else str(v) for v in row] for row in expected
    ]
    assert {row[1] for row in csv_rows[1:]} == {"SH01", "SH02"}


def test_exports_are_headed_in_the_persons_language(client, auth, people, history, month, session):
    people["finance.lead"].language = "zh"
    session.commit()
    auth.login("finance.lead@sh01.test")
    text = client.get(f"/scorecards/export.csv?month={month}").get_data(as_text=True)
    header = next(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert header[:3] == ["月份", "门店", "部门"]
    assert "销售部" in text


@pytest.mark.parametrize(
    "path",
    [
        "/scorecards?month={m}",
        "/scorecards/deliverables?month={m}&measure=late",
        "/scorecards/export.csv?month={m}",
        "/scorecards/export.xlsx?month={m}",
    ],
)
def test_clerks_may_not_see_scorecards(client, auth, people, history, month, path):
    assert page(client, auth, "sales.clerk@sh01.test", path.format(m=month)).status_code == 403


def test_a_head_sees_only_their_department_in_their_store(client, auth, people, history, month):
    auth.login("sales.head@sh01.test")
    html = client.get(f"/scorecards?month={month}").get_data(as_text=True)
    assert 'data-provider="sales"' in html
    assert 'data-provider="insurance"' not in html and 'data-store="SH02"' not in html
    csv_text = client.get(f"/scorecards/export.csv?month={month}").get_data(as_text=True)
    assert [row[1:3] for row in csv.reader(io.StringIO(csv_text.lstrip("\ufeff")))][1:] == [
        ["SH01", "Sales"]
    ]
    listed = client.get(f"/scorecards/deliverables?month={month}&measure=due")
    assert sorted(Page(listed.get_data(as_text=True)).ids) == sorted(
        history[k] for k in ("on_time", "on_time_returned", "late", "overdue", "waived")
    )
    for other in ("store=SH02", "provider=insurance"):
        assert client.get(f"/scorecards?month={month}&{other}").status_code == 403
        assert client.get(f"/scorecards/export.xlsx?month={month}&{other}").status_code == 403
        assert (
            client.get(f"/scorecards/deliverables?month={month}&measure=due&{other}").status_code
            == 403
        )


def test_a_lead_sees_every_store_and_may_pick_one(client, auth, people, history, month):
    auth.login("finance.lead@sh01.test")
    everything = client.get(f"/scorecards?month={month}").get_data(as_text=True)
    assert 'data-store="SH02" data-provider="sales"' in everything
    assert 'data-store="SH01" data-provider="insurance"' in everything
    assert '<option value="SH02"' in everything
    one = client.get(f"/scorecards?month={month}&store=SH02").get_data(as_text=True)
    assert 'data-store="SH02" data-provider="sales"' in one
    assert 'data-store="SH01"' not in one
    assert client.get(f"/scorecards?month={month}&store=NOPE").status_code == 404


def test_a_month_that_is_not_one_is_refused_beside_the_field(client, auth, people, history):
    html = page(client, auth, "finance.lead@sh01.test", "/scorecards?month=2026-13").get_data(
        as_text=True
    )
    assert "Write the month as YYYY-MM." in html


def _queries_for(client, path) -> int:
    statements = []

    def count(*_args):
        statements.append(1)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        assert client.get(path).status_code == 200
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    return len(statements)


def test_the_page_runs_the_same_number_of_queries_whatever_the_rows(
    client, auth, people, history, month, session
):
    auth.login("finance.lead@sh01.test")
    paths = [
        f"/scorecards?month={month}",
        f"/scorecards/export.csv?month={month}",
        f"/scorecards/export.xlsx?month={month}",
    ]
    before = [_queries_for(client, p) for p in paths]
    sh01 = get_store(session, "SH01")
    sh02 = get_store(session, "SH02")
    year, mon = (int(x) for x in month.split("-"))
    from datetime import datetime

    for i, code in enumerate(["loans-1", "service-1", "hr-1", "insurance-2", "sales-2"] * 6):
        due = datetime(year, mon, 1 + i % 28, 12, tzinfo=sh01.zone)
        make(session, code, sh01 if i % 2 else sh02, due_at=due, status="accepted",
             submitted_at=due + timedelta(hours=i - 10), returns=["other"] * (i % 3))  # fmt: skip
    session.commit()
    month_rows = select(func.count()).select_from(Deliverable)
    assert session.scalar(month_rows.where(Deliverable.due_month == month)) >= 30
    after = [_queries_for(client, p) for p in paths]
    assert after == before
    assert before[0] <= 16  # sign-in, menu, selector, and a few per section: no per-row ones


@pytest.mark.parametrize(
    "path",
    [
        "/scorecards?month={m}",
        "/scorecards/deliverables?month={m}&measure=returned&reason=unsigned",
        "/scorecards/deliverables?month={m}&measure=open_overdue",
    ],
)
def test_no_english_is_left_on_a_scorecard_page_in_chinese(
    client, auth, people, history, month, session, path
):
    from tests.test_admin_pages import english_messages, visible_text

    people["finance.lead"].language = "zh"
    session.commit()
    text = visible_text(
        page(client, auth, "finance.lead@sh01.test", path.format(m=month)).data.decode()
    )
    assert "考核评分" in text
    assert sorted(m for m in english_messages("scorecards") if m in text) == []


@pytest.fixture
def many_stores(session, people, now, month):
    """SH01 and 24 more stores (X01..X24), each with one sales-7 item due last month: one on
    time in every store, and one late more in the even ones."""
    year, mon = (int(x) for x in month.split("-"))
    from datetime import datetime

    stores = [get_store(session, "SH01")]
    stores += [factories.create_store(session, now=now, code=f"X{i:02d}") for i in range(1, 25)]
    for i, store in enumerate(stores):
        due = datetime(year, mon, 10, 23, 59, 59, tzinfo=store.zone)
        for hours in (-1, 3) if i % 2 == 0 else (-1,):
            at = due + timedelta(hours=hours)
            make(session, "sales-7", store, due_at=due, status="accepted", submitted_at=at)
    session.commit()
    return [s.code for s in stores]


def _stores_on(html: str) -> list[str]:
    table = re.search(r'<table [^>]*id="stores">(.*?)</table>', html, re.S)
    return re.findall(r'<tr data-store="([^"]+)" data-provider="sales">', table.group(1))


def test_across_all_stores_the_departments_are_added_up(client, auth, many_stores, month):
    auth.login("finance.lead@sh01.test")
    html = client.get(f"/scorecards?month={month}").get_data(as_text=True)
    totals = 'data-store="" data-provider="sales"'
    # 25 on time and 13 late (SH01 and every second store): 38 due.
    assert _cell(html, totals, "due") == "38"
    assert _cell(html, totals, "on_time") == "25"
    assert _cell(html, totals, "late") == "13"
    assert _cell(html, totals, "on_time_pct") == f"{round(25 / 38 * 100, 1)}%"
    late = [href for href, text in Page(html).links if text == "13"]
    assert late and parse_qs(urlsplit(late[0]).query, keep_blank_values=True)["store"] == [""]
    assert len(Page(client.get(late[0]).get_data(as_text=True)).ids) == 13


def test_across_all_stores_the_stores_come_twenty_a_page(client, auth, many_stores, month):
    auth.login("finance.lead@sh01.test")
    first = client.get(f"/scorecards?month={month}").get_data(as_text=True)
    assert _stores_on(first) == sorted(many_stores)[:20]
    assert "Stores 1–20 of 25 (page 1 of 2)" in first
    following = [href for href, _text in Page(first).links if "page=2" in href]
    assert following, "no link to the next page"
    second = client.get(following[0]).get_data(as_text=True)
    assert _stores_on(second) == sorted(many_stores)[20:]
    assert "Stores 21–25 of 25 (page 2 of 2)" in second
    mark = f'data-store="{sorted(many_stores)[20]}" data-provider="sales"'
    assert _cell(second, mark, "due", "stores") in ("1", "2")
    # A page past the end, or not a number, shows the nearest page.
    assert (
        _stores_on(client.get(f"/scorecards?month={month}&page=9").get_data(as_text=True))
        == (sorted(many_stores)[20:])
    )
    assert (
        _stores_on(client.get(f"/scorecards?month={month}&page=x").get_data(as_text=True))
        == (sorted(many_stores)[:20])
    )


def test_the_all_stores_page_runs_the_same_queries_for_two_stores_or_twenty_five(
    client, auth, people, history, month, session, now
):
    auth.login("finance.lead@sh01.test")
    path = f"/scorecards?month={month}"
    before = _queries_for(client, path)
    year, mon = (int(x) for x in month.split("-"))
    from datetime import datetime

    for i in range(23):
        store = factories.create_store(session, now=now, code=f"Y{i:02d}")
        due = datetime(year, mon, 12, 12, tzinfo=store.zone)
        make(session, "loans-1", store, due_at=due, status="accepted", submitted_at=due)
        make(session, "sales-1", store, due_at=due, returns=["unsigned"], status="returned")
    session.commit()
    assert _queries_for(client, path) == before


def test_a_department_name_that_looks_like_a_formula_is_exported_as_text(
    client, auth, people, history, month, session
):
    hostile = '=HYPERLINK("http://evil.test","hr")'
    people["sales.clerk"].department.name_en = hostile
    session.commit()
    auth.login("finance.lead@sh01.test")
    text = client.get(f"/scorecards/export.csv?month={month}&store=").get_data(as_text=True)
    names = {row[2] for row in csv.reader(io.StringIO(text.lstrip("\ufeff")))}
    assert "'" + hostile in names and hostile not in names
    xlsx = client.get(f"/scorecards/export.xlsx?month={month}&store=")
    cells = [c for row in load_workbook(io.BytesIO(xlsx.data)).worksheets[0].iter_rows()
             for c in row if c.value == hostile]  # fmt: skip
    assert cells and all(c.data_type == "s" for c in cells)
