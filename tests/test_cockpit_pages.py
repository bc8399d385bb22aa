"""The "now" cockpit: each number equals the length of the list behind it (items overdue from
earlier months included); the scope follows the person; queries do not grow with rows or
stores; each person lands where their work is."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from tests import factories
from tests.pages import OVERDUE, counted_queries, deliver, submit
from tracker.ledger.models import OPEN_STATUSES, Deliverable
from tracker.scorecards.service import set_risk_bands

LINK = re.compile(r'<a href="([^"]+)" class="[^"]*" data-count="(\d+)">')


@pytest.fixture
def history(session, store, people, now):
    """Deliveries from two months ago to today: some items overdue from earlier months, some
    handed in and waiting, some due in the days ahead."""
    clerk = people["sales.clerk"]
    made = [
        deliver(session, store, clerk, ago=timedelta(days=70), ref="D-SEP"),
        deliver(session, store, clerk, ago=OVERDUE, ref="D-OCT"),
        deliver(session, store, clerk, ago=timedelta(days=5), ref="D-5"),
        deliver(session, store, clerk, ref="D-NOW"),
    ]
    submit(session, made[1]["sales-7"], clerk)
    submit(session, made[2]["sales-7"], clerk)
    return made


def listed(client, href: str) -> tuple[int, int]:
    """The total a list says it holds (both parts of the inbox), and the rows it shows."""
    html = client.get(href).get_data(as_text=True)
    total = sum(int(n) for n in re.findall(r'data-total="(\d+)"', html))
    shown = len(re.findall(r'<(?:article|tr) id="d\d+"', html))
    return total, shown


@pytest.mark.parametrize(
    "email",
    [
        "finance.clerk@sh01.test",  # owed to Finance: the links lead to the inbox
        "finance.head@sh01.test",
        "sales.head@sh01.test",  # owed by Sales
        "finance.lead@sh01.test",  # every store and department
    ],
)
def test_every_number_equals_the_length_of_the_list_behind_it(
    client, auth, session, history, now, email
):
    auth.login(email)
    response = client.get("/now")
    assert response.status_code == 200
    links = LINK.findall(response.get_data(as_text=True))
    assert len(links) >= 11
    assert any(int(n) > 0 for _, n in links)
    assert sum(int(n) for href, n in links if "status=submitted" in href) > 0
    for href, count in links:
        href = href.replace("&amp;", "&")
        assert listed(client, href) == (int(count), int(count)), href


def test_the_overdue_total_counts_every_month_not_only_this_one(
    client, auth, session, history, now
):
    overdue = session.scalar(
        select(func.count())
        .select_from(Deliverable)
        .where(Deliverable.status.in_(OPEN_STATUSES), Deliverable.due_at < now)
    )
    months = set(
        session.scalars(
            select(Deliverable.due_month).where(
                Deliverable.status.in_(OPEN_STATUSES), Deliverable.due_at < now
            )
        )
    )
    assert len(months) >= 2  # earlier months are in it
    auth.login("finance.lead@sh01.test")
    html = client.get("/now").get_data(as_text=True)
    total_row = html[html.index('class="total"') :]
    # the total row: three bands, then the overdue total
    counts = [int(n) for _, n in LINK.findall(total_row)]
    assert counts[3] == overdue == sum(counts[:3])


def test_a_lead_picks_a_store_others_see_their_own(client, auth, session, history, now):
    other = factories.create_store(session, now=now, code="BJ01", name="Beijing")
    factories.create_person(session, other, "sales", now=now)
    session.commit()
    deliver(session, other, _person(session, "sales.clerk@bj01.test"), ago=OVERDUE, ref="BJ-1")
    auth.login("finance.lead@sh01.test")
    everything = client.get("/now").get_data(as_text=True)
    assert '<option value="BJ01"' in everything
    beijing = client.get("/now?store=BJ01").get_data(as_text=True)
    links = LINK.findall(beijing)
    assert all("store=BJ01" in href for href, _ in links)
    for href, count in links:
        assert listed(client, href.replace("&amp;", "&")) == (int(count), int(count))
    assert client.get("/now?store=NOPE").status_code == 404
    auth.logout()
    auth.login("sales.head@sh01.test")
    assert client.get("/now?store=BJ01").status_code == 403
    assert client.get("/now/items?side=all").status_code == 403  # not this person's part
    assert client.get("/now/items?side=provided&due_from=garbage").status_code == 400


def _person(session, email):
    from tracker.org.models import Person

    return session.scalars(select(Person).where(Person.email == email)).one()


@pytest.mark.parametrize(
    ("email", "lands"),
    [
        ("finance.clerk@sh01.test", "/now"),
        ("finance.head@sh01.test", "/now"),
        ("sales.head@sh01.test", "/now"),
        ("finance.lead@sh01.test", "/now"),
        ("finance.admin@sh01.test", "/now"),
        ("sales.clerk@sh01.test", None),  # their day, on the start page itself
        ("insurance.clerk@sh01.test", None),
    ],
)
def test_each_person_lands_where_their_work_is(client, auth, people, email, lands):
    auth.login(email)
    start = client.get("/")
    if lands is None:
        assert start.status_code == 200 and 'id="overdue"' in start.get_data(as_text=True)
    else:
        assert start.headers["Location"] == lands
    expected = 200 if lands == "/now" else 403
    assert client.get("/now").status_code == expected


def test_the_cockpit_costs_the_same_queries_for_few_and_many_rows_and_stores(
    client, auth, session, store, people, now
):
    auth.login("finance.lead@sh01.test")

    def queries():
        with counted_queries() as statements:
            assert client.get("/now").status_code == 200
        return len(statements)

    deliver(session, store, people["sales.clerk"], ago=OVERDUE, ref="D-0")
    few = queries()
    for i in range(8):
        other = factories.create_store(
            session, now=now, code=f"S{i:02}", timezone=("Europe/Berlin", "Asia/Shanghai")[i % 2]
        )
        clerk = factories.create_person(session, other, "sales", now=now)
        session.commit()
        for n in range(3):
            made = deliver(session, other, clerk, ago=OVERDUE - timedelta(days=n), ref=f"S{i}-{n}")
            if n == 0:
                submit(session, made["sales-7"], clerk)
    assert queries() == few


def test_the_cockpit_follows_the_age_bands_the_administrator_sets(
    client, auth, session, history, people, now
):
    auth.login("finance.lead@sh01.test")
    before = client.get("/now").get_data(as_text=True)
    assert '<th scope="col">3-7</th>' in before
    set_risk_bands(session, "0-6, 7-29, 30-59, 60+", now=now, by=people["finance.admin"])
    session.commit()
    html = client.get("/now").get_data(as_text=True)
    for label in ("0-6", "7-29", "30-59", "60+"):
        assert html.count(f'<th scope="col">{label}</th>') == 2  # overdue and waiting
    assert '<th scope="col">3-7</th>' not in html
    total_row = html[html.index('class="total"') :]
    counts = [int(n) for _, n in LINK.findall(total_row)]
    assert counts[4] == sum(counts[:4]) > 0  # four bands, then the overdue total
    assert counts[3] > 0  # D-SEP, 70 days ago, is in 60+
    for href, count in LINK.findall(html):
        assert listed(client, href.replace("&amp;", "&")) == (int(count), int(count)), href
