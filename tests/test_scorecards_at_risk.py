"""Amounts at risk (issue 11): each deal counted once, in the age band of its oldest open
overdue item, for the month and for the whole backlog; the bands the administrator sets; the
deliverables behind each number; CSV and Excel. Times are relative to the suite's `now`."""

import csv
import io
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from tests.test_admin_pages import errors_beside, post_form
from tests.test_scorecards_pages import Page, _cell, _queries_for, make
from tracker.errors import NotAllowed
from tracker.extensions import db
from tracker.org.models import GroupSetting
from tracker.org.service import get_store
from tracker.scorecards import service

LEAD = "finance.lead@sh01.test"
ADMIN = "finance.admin@sh01.test"


def late(session, code, *, days, reference=None, amount=None, now):
    """An open deliverable of SH01 `days` (and an hour) overdue at `now`, of one deal."""
    d = make(
        session,
        code,
        get_store(session, "SH01"),
        due_at=now - timedelta(days=days, hours=1),
        amount=amount,
    )
    d.reference = reference
    session.flush()
    return d


def counts(buckets) -> dict:
    return {b.bucket: (b.count, b.amount) for b in buckets}


def test_two_late_items_of_one_deal_count_once_in_the_band_of_the_oldest(session, people, now):
    older = late(session, "sales-2", days=9, reference="D26111878", amount="366000", now=now)
    newer = late(session, "loans-2", days=1, reference="D26111878", amount="366000", now=now)
    session.commit()
    zero = Decimal("0.00")
    backlog = service.amounts_at_risk(session, month=None, now=now)
    assert counts(backlog) == {
        "0-2": (0, zero),
        "3-7": (0, zero),
        "8+": (1, Decimal("366000.00")),
    }
    behind = service.deliverables_behind(session, now=now, measure="at_risk", bucket="8+")
    assert [d.id for d in behind] == [older.id]
    if older.due_month == newer.due_month:
        month = service.amounts_at_risk(session, month=older.due_month, now=now)
        assert counts(month) == counts(backlog)
    else:  # the deal is late in both months: each month's view counts it once
        for item, bucket in ((older, "8+"), (newer, "0-2")):
            month = counts(service.amounts_at_risk(session, month=item.due_month, now=now))
            assert month[bucket] == (1, Decimal("366000.00"))
            assert sum(c for c, _a in month.values()) == 1


def test_the_deal_is_its_reference_else_its_event_else_the_item_alone(session, people, now):
    late(session, "sales-2", days=4, reference="D-1", amount="100", now=now)
    late(session, "sales-5", days=5, reference="D-1", amount="100", now=now)  # same deal
    late(session, "loans-1", days=4, reference="D-2", amount="20", now=now)  # another deal
    alone = [late(session, "hr-1", days=3, amount="7", now=now) for _ in range(2)]  # no deal
    session.commit()
    backlog = counts(service.amounts_at_risk(session, month=None, now=now))
    assert backlog["3-7"] == (4, Decimal("134.00"))
    behind = service.deliverables_behind(session, now=now, measure="at_risk", bucket="3-7")
    assert len(behind) == 4 and {a.id for a in alone} <= {d.id for d in behind}


def test_the_page_shows_the_month_and_the_whole_backlog_each_clicking_through(
    client, auth, session, people, now
):
    old = late(session, "sales-2", days=40, reference="D-OLD", amount="5000", now=now)
    recent = late(session, "sales-1", days=1, reference="D-NEW", amount="80.50", now=now)
    late(session, "loans-1", days=1, reference="D-NEW", amount="80.50", now=now)
    session.commit()
    auth.login(LEAD)
    month = recent.due_month
    html = client.get(f"/scorecards?month={month}&store=SH01").get_data(as_text=True)
    assert _cell(html, 'data-bucket="0-2"', "count", "at-risk") == "1"
    assert _cell(html, 'data-bucket="0-2"', "amount", "at-risk") == "80.50"
    assert _cell(html, 'data-bucket="8+"', "count", "at-risk-backlog") == "1"
    assert _cell(html, 'data-bucket="8+"', "amount", "at-risk-backlog") == "5,000.00"
    assert _cell(html, 'data-bucket="0-2"', "count", "at-risk-backlog") == "1"
    links = [h for h, _t in Page(html).links if "measure=at_risk" in h and "backlog=1" in h]
    assert links
    for link in links:
        listed = client.get(link).get_data(as_text=True)
        assert "Whole backlog (every month)" in listed
        ids = Page(listed).ids
        assert ids in ([old.id], [recent.id])


def test_the_administrator_sets_the_age_bands_and_the_page_follows(
    client, auth, session, people, now
):
    assert service.risk_bands(session) == service.AT_RISK_BUCKETS
    late(session, "sales-2", days=10, reference="D-10", amount="10", now=now)
    session.commit()
    auth.login(ADMIN)
    page = client.get("/admin/risk-bands").get_data(as_text=True)
    assert 'value="0-2, 3-7, 8+"' in page
    response = post_form(client, "/admin/risk-bands", "risk-bands-form", bands="0-6, 7-29,30+")
    assert response.status_code == 302
    assert service.risk_bands(session) == (("0-6", 0, 7), ("7-29", 7, 30), ("30+", 30, None))
    auth.logout()
    auth.login(LEAD)
    html = client.get("/scorecards?store=SH01").get_data(as_text=True)
    assert _cell(html, 'data-bucket="7-29"', "count", "at-risk-backlog") == "1"
    assert "7–29 days" in html and "30 days or more" in html
    link = next(h for h, _t in Page(html).links if "bucket=7-29" in h and "backlog=1" in h)
    assert len(Page(client.get(link).get_data(as_text=True)).ids) == 1


@pytest.mark.parametrize(
    "bands",
    ["", "0-2", "1-2, 3+", "0-2, 4-7, 8+", "0-2, 3-7", "0-2, 3-7, 8", "0-5, 3+", "0-2,a-b,9+",
     "0-2, 3+, 9+", "0-1, 2-3, 4-5, 6-7, 8-9, 10-11, 12+", "0-99999, 100000+", "0-2, 3-7, ８+"],
)  # fmt: skip
def test_bad_age_bands_are_explained_beside_the_field_and_nothing_is_saved(
    client, auth, session, people, bands
):
    auth.login(ADMIN)
    response = post_form(client, "/admin/risk-bands", "risk-bands-form", bands=bands)
    assert response.status_code == 200
    assert errors_beside(response.get_data(as_text=True), "bands")
    assert db.session.scalar(select(func.count()).select_from(GroupSetting)) == 0


def test_only_administrators_set_the_age_bands(session, people, now):
    with pytest.raises(NotAllowed):
        service.set_risk_bands(session, "0-6, 7+", now=now, by=people["finance.lead"])


def test_csv_and_excel_hold_both_views(client, auth, session, people, now):
    late(session, "sales-2", days=40, reference="D-OLD", amount="5000", now=now)
    recent = late(session, "sales-1", days=4, reference="D-NEW", amount="80.50", now=now)
    session.commit()
    auth.login(LEAD)
    query = f"month={recent.due_month}&store=SH01"
    text = client.get(f"/scorecards/at-risk.csv?{query}").get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows[0] == ["View", "Days overdue", "Deals", "Amount"]
    assert rows[1:] == [
        [recent.due_month, "0–2 days", "0", "0.0"],
        [recent.due_month, "3–7 days", "1", "80.5"],
        [recent.due_month, "8 days or more", "0", "0.0"],
        ["Whole backlog", "0–2 days", "0", "0.0"],
        ["Whole backlog", "3–7 days", "1", "80.5"],
        ["Whole backlog", "8 days or more", "1", "5000.0"],
    ]
    book = load_workbook(io.BytesIO(client.get(f"/scorecards/export.xlsx?{query}").data))
    sheet = list(book["At risk"].iter_rows(values_only=True))
    assert list(sheet[0]) == rows[0]
    assert [[v, b, int(n), float(a)] for v, b, n, a in sheet[1:]] == [
        [v, b, int(n), float(a)] for v, b, n, a in rows[1:]
    ]


def test_the_page_and_exports_cost_the_same_queries_for_more_late_deals(
    client, auth, session, people, now
):
    late(session, "sales-2", days=3, reference="D-0", amount="1", now=now)
    session.commit()
    auth.login(LEAD)
    paths = ["/scorecards?store=SH01", "/scorecards?store=", "/scorecards/at-risk.csv?store="]
    paths += ["/scorecards/deliverables?store=&measure=at_risk&bucket=8%2B&backlog=1"]
    before = [_queries_for(client, p) for p in paths]
    for i in range(40):
        late(session, ["sales-2", "loans-1"][i % 2], days=i * 3, reference=f"D-{i // 2}",
             amount=str(i), now=now)  # fmt: skip
    session.commit()
    assert [_queries_for(client, p) for p in paths] == before


def test_a_chinese_page_names_the_bands_in_chinese(client, auth, session, people, now):
    people["finance.lead"].language = "zh"
    session.commit()
    auth.login(LEAD)
    html = client.get("/scorecards?store=SH01").get_data(as_text=True)
    assert "全部积压（所有月份）" in html and re.search(r"8 天及以上|8天或以上", html)
