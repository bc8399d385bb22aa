"""Long lists come a page at a time with their totals ("1–50 of 2,602"), never cut silently:
the people, the stores, our department's list and the deliverables behind a scorecard's
number. A later page costs the same queries as the first, and 200 rows the same as 10; the
filters and the search narrow the list and stay in the pages' links."""

import re

import pytest

from tests import factories
from tests.pages import OVERDUE, counted_queries, deliver

ADMIN = "finance.admin@sh01.test"
LEAD = "finance.lead@sh01.test"
CLERK = "sales.clerk@sh01.test"
ROW = re.compile(r'<tr (?:data-email|id|data-id)="')


def opened(client, path: str, status: int = 200) -> tuple[int, str]:
    """How many statements one GET of `path` runs, and the page."""
    with counted_queries() as statements:
        response = client.get(path)
    assert response.status_code == status, path
    return len(statements), response.get_data(as_text=True)


def rows(html: str) -> int:
    return len(ROW.findall(html))


def links(html: str) -> dict[str, str]:
    """The pager's previous and next links, by rel."""
    found = re.findall(r'<a href="([^"]+)" rel="(prev|next)">', html)
    return {rel: href.replace("&amp;", "&") for href, rel in found}


# --- people ---


def add_people(session, stores, now, start: int, stop: int) -> None:
    for i in range(start, stop):
        factories.create_person(
            session,
            stores[i % len(stores)],
            ("sales", "insurance", "loans", "service", "hr", "finance")[i % 6],
            now=now,
            email=f"person{i:03}@example.test",
        )
    session.commit()


@pytest.fixture
def stores(session, store, now):
    made = [store]
    for code in ("BJ01", "GZ01"):
        made.append(factories.create_store(session, now=now, code=code, name=f"Store {code}"))
    session.commit()
    return made


def test_people_come_50_a_page_with_the_total_and_the_same_queries(
    client, auth, session, stores, people, now
):
    auth.login(ADMIN)  # the 14 people of SH01's staff, then 10 or 200 more
    few, html = opened(client, "/admin/people")
    assert rows(html) == 14 and "14 people" in html and not links(html)
    add_people(session, stores, now, 0, 200)
    many, html = opened(client, "/admin/people")
    assert rows(html) == 50
    assert "1–50 of 214" in html and "214 people" in html
    later, html = opened(client, links(html)["next"])
    assert rows(html) == 50 and "51–100 of 214" in html
    assert set(links(html)) == {"prev", "next"}
    last, html = opened(client, "/admin/people?page=5")
    assert rows(html) == 14 and "201–214 of 214" in html and set(links(html)) == {"prev"}
    assert few == many == later == last


def test_people_past_the_last_page_show_the_last_one(client, auth, session, stores, people, now):
    add_people(session, stores, now, 0, 60)
    auth.login(ADMIN)
    _, html = opened(client, "/admin/people?page=99")
    assert "There is no page 99: the last page, 2, is shown." in html
    assert rows(html) == 74 - 50


def test_people_filtered_by_store_and_found_by_name_or_email(
    client, auth, session, stores, people, now
):
    add_people(session, stores, now, 0, 120)  # 40 in each store, plus SH01's staff
    auth.login(ADMIN)
    _, html = opened(client, "/admin/people?store=BJ01")
    assert rows(html) == 40 and "40 people" in html
    assert all("@bj01" not in e for e in re.findall(r'data-email="([^"]+)"', html))
    _, html = opened(client, "/admin/people?q=PERSON11")  # any case: person110..119
    emails = re.findall(r'data-email="([^"]+)"', html)
    assert sorted(emails) == [f"person{i}@example.test" for i in range(110, 120)]
    _, html = opened(client, "/admin/people?q=finance%20head")  # by name
    assert re.findall(r'data-email="([^"]+)"', html) == ["finance.head@sh01.test"]
    _, html = opened(client, "/admin/people?store=GZ01&q=person")
    assert "40 people" in html and "1–40" not in html  # one page: no pager
    _, html = opened(client, "/admin/people?q=%25")  # a % is a %, not "anything"
    assert rows(html) == 0 and "Nobody matches." in html


def test_people_filters_stay_in_the_page_links(client, auth, session, stores, people, now):
    add_people(session, stores, now, 0, 180)
    auth.login(ADMIN)
    _, html = opened(client, "/admin/people?store=BJ01&q=person")
    assert "1–50 of 60" in html
    assert "store=BJ01" in links(html)["next"] and "q=person" in links(html)["next"]
    _, html = opened(client, links(html)["next"])
    assert rows(html) == 10 and "51–60 of 60" in html


def test_an_unknown_store_is_said_beside_the_field_and_filters_nothing(
    client, auth, session, stores, people, now
):
    auth.login(ADMIN)
    _, html = opened(client, "/admin/people?store=NOPE&page=x", status=400)
    assert 'id="store-error"' in html
    assert rows(html) == 14


# --- stores ---


def test_stores_come_50_a_page_with_the_total_and_the_same_queries(
    client, auth, session, store, people, now
):
    auth.login(ADMIN)
    few, html = opened(client, "/admin/stores")
    assert html.count("/calendar") == 1 and "1 store" in html
    for i in range(120):
        factories.create_store(session, now=now, code=f"S{i:03}", name=f"Store {i}")
    session.commit()
    many, html = opened(client, "/admin/stores")
    assert html.count("/calendar") == 50 and "1–50 of 121" in html
    later, html = opened(client, "/admin/stores?page=3")
    assert html.count("/calendar") == 21 and "101–121 of 121" in html
    assert few == many == later
    _, html = opened(client, "/admin/stores?q=s11")  # code or name, any case
    assert html.count("/calendar") == 10 and "10 stores" in html


# --- our department ---


def test_our_department_comes_100_a_page_with_the_total_and_the_same_queries(
    client, auth, session, store, people
):
    auth.login(CLERK)
    clerk = people["sales.clerk"]
    for i in range(5):  # sales-2 and sales-7 each: 10 rows
        deliver(session, store, clerk, ago=OVERDUE, ref=f"D-{i:03}")
    few, html = opened(client, "/mine?overdue=y")
    assert rows(html) == 10 and "10 deliverables" in html and not links(html)
    for i in range(5, 105):  # 210 rows
        deliver(session, store, clerk, ago=OVERDUE, ref=f"D-{i:03}")
    many, html = opened(client, "/mine?overdue=y")
    assert rows(html) == 100 and "1–100 of 210" in html and "210 deliverables" in html
    assert "overdue=y" in links(html)["next"]
    later, html = opened(client, links(html)["next"])
    assert rows(html) == 100 and "101–200 of 210" in html
    _, html = opened(client, "/mine?overdue=y&page=3")
    assert rows(html) == 10 and "201–210 of 210" in html
    _, html = opened(client, "/mine?q=d-01")  # D-010..D-019
    assert rows(html) == 20 and "20 deliverables" in html
    assert few == many == later


# --- the deliverables behind a scorecard's number ---


def test_the_deliverables_behind_a_number_come_100_a_page_with_the_same_queries(
    client, auth, session, store, people
):
    auth.login(LEAD)
    clerk = people["sales.clerk"]
    made = [deliver(session, store, clerk, ago=OVERDUE, ref=f"D-{i:03}") for i in range(5)]
    month = made[0]["sales-7"].due_month
    assert {d.due_month for m in made for d in m.values()} == {month}
    path = f"/scorecards/deliverables?month={month}&store=SH01&measure=open_overdue"
    few, html = opened(client, path)
    assert rows(html) == 10 and "Deliverables: 10" in html and not links(html)
    for i in range(5, 105):
        deliver(session, store, clerk, ago=OVERDUE, ref=f"D-{i:03}")
    many, html = opened(client, path)
    assert rows(html) == 100 and "1–100 of 210" in html and "Deliverables: 210" in html
    assert f"month={month}" in links(html)["next"] and "measure=open_overdue" in links(html)["next"]
    later, html = opened(client, links(html)["next"])
    assert rows(html) == 100 and "101–200 of 210" in html
    assert few == many == later


def test_the_pages_and_totals_are_said_in_chinese_too(client, auth, session, stores, people, now):
    add_people(session, stores, now, 0, 60)
    people["finance.admin"].language = "zh"
    session.commit()
    auth.login(ADMIN)
    _, html = opened(client, "/admin/people")
    assert "74 人" in html and "第 1–50 条，共 74 条" in html and ">下一页<" in html
    _, html = opened(client, "/admin/people?page=2")
    assert ">上一页<" in html and "第 51–74 条，共 74 条" in html
    _, html = opened(client, "/admin/people?q=nobody")
    assert "没有符合条件的人员。" in html


# --- deals ---


def test_deals_come_50_a_page_with_the_total_and_the_same_queries(
    client, auth, session, store, people
):
    auth.login(CLERK)
    clerk = people["sales.clerk"]
    for i in range(10):
        deliver(session, store, clerk, ago=OVERDUE, ref=f"D-{i:03}")
    few, html = opened(client, "/deals?q=d-")
    assert html.count('href="/deals?ref=') == 10 and "Deals: 10" in html and not links(html)
    for i in range(10, 60):
        deliver(session, store, clerk, ago=OVERDUE, ref=f"D-{i:03}")
    many, html = opened(client, "/deals?q=d-")
    assert html.count('href="/deals?ref=') == 50 and "1–50 of 60" in html
    assert "q=d-" in links(html)["next"]
    later, html = opened(client, links(html)["next"])
    assert html.count('href="/deals?ref=') == 10 and "51–60 of 60" in html
    assert few == many == later
