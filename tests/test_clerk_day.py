"""The clerk's start page (/): overdue, due today, due this week, returned to me with the
reason, and my recent submissions; each item opens its deliverable or its submit form; the
page costs the same number of queries whatever the department owes."""

import re
from datetime import timedelta

from sqlalchemy import update

from tests.pages import OVERDUE, counted_queries, deliver, submit
from tracker.ledger import service as ledger
from tracker.ledger.day import SHOWN
from tracker.ledger.models import Deliverable

CLERK = "sales.clerk@sh01.test"


def _due(session, d, at) -> None:
    session.execute(update(Deliverable).where(Deliverable.id == d.id).values(due_at=at))
    session.commit()


def _section(html: str, part: str) -> str:
    match = re.search(rf'<section id="{part}".*?</section>', html, re.S)
    assert match, part
    return match.group(0)


def _listed(html: str, part: str) -> list[int]:
    return [
        int(i)
        for i in re.findall(
            r'<li class="day-item">\s*<a href="/deliverables/(\d+)"', _section(html, part)
        )
    ]


def test_the_day_sorts_what_is_owed_into_overdue_today_and_this_week(
    client, auth, session, store, people, now
):
    a = deliver(session, store, people["sales.clerk"], ago=OVERDUE, ref="D-1")
    b = deliver(session, store, people["sales.clerk"], ref="D-2")
    c = deliver(session, store, people["sales.clerk"], ref="D-3")
    local = now.astimezone(store.zone)
    end_of_today = local.replace(hour=23, minute=59, second=0, microsecond=0)
    _due(session, b["sales-2"], min(now + timedelta(minutes=30), end_of_today))
    tomorrow = local + timedelta(days=1)
    _due(session, c["sales-2"], tomorrow)
    auth.login(CLERK)
    html = client.get("/").get_data(as_text=True)
    assert set(_listed(html, "overdue")) >= {a["sales-2"].id, a["sales-7"].id}
    assert _listed(html, "today") == [b["sales-2"].id]
    in_week = local.weekday() != 6  # on a Sunday the week ends today
    assert (c["sales-2"].id in _listed(html, "week")) is in_week
    assert f'href="/deliverables/{a["sales-2"].id}/submit"' in _section(html, "overdue")


def test_what_was_returned_to_me_shows_the_reason_until_i_hand_it_in_again(
    client, auth, session, store, people, now
):
    made = deliver(session, store, people["sales.clerk"], ago=OVERDUE)
    d = made["sales-7"]
    submit(session, d, people["sales.clerk"])
    ledger.return_deliverable(
        session, d, by=people["finance.clerk"], now=now, reason="unsigned", note="sign page 2"
    )
    session.commit()
    auth.login(CLERK)
    html = client.get("/").get_data(as_text=True)
    returned = _section(html, "returned")
    assert _listed(html, "returned") == [d.id]
    assert "unsigned" in returned and "sign page 2" in returned
    assert f'href="/deliverables/{d.id}/submit"' in returned
    assert _listed(html, "recent") == [d.id]
    submit(session, d, people["sales.clerk"], at=now)
    again = client.get("/").get_data(as_text=True)
    assert _listed(again, "returned") == [] and "Nothing came back to you." in again
    # Another clerk's returned item is theirs, not mine.
    auth.logout()
    auth.login("sales.head@sh01.test")
    assert client.get("/").status_code == 302  # heads start at the cockpit


def test_the_day_shows_at_most_a_few_of_each_and_says_how_many(
    client, auth, session, store, people
):
    for i in range(SHOWN + 2):
        deliver(session, store, people["sales.clerk"], ago=OVERDUE, ref=f"D-{i}")
    auth.login(CLERK)
    html = client.get("/").get_data(as_text=True)
    overdue = _section(html, "overdue")
    assert len(_listed(html, "overdue")) == SHOWN
    total = (
        session.query(Deliverable)
        .filter(Deliverable.provider_id == people["sales.clerk"].department_id)
        .count()
    )
    assert f'<small class="muted">{total}</small>' in overdue and f"All {total}" in overdue


def test_the_days_queries_do_not_grow_with_what_is_owed(client, auth, session, store, people):
    deliver(session, store, people["sales.clerk"], ago=OVERDUE, ref="D-first")
    auth.login(CLERK)
    client.get("/")
    with counted_queries() as few:
        client.get("/")
    for i in range(15):
        made = deliver(session, store, people["sales.clerk"], ago=OVERDUE, ref=f"D-{i}")
        submit(session, made["sales-7"], people["sales.clerk"])
    session.commit()
    with counted_queries() as many:
        client.get("/")
    assert len(many) == len(few)
