"""Reminders go to the owner first; the escalation ladder of the deliverable's own commitment
version tells the rest (every clerk, then the head, then the store's lead), each once, after
its number of working days overdue, each mail saying the true age and who is told next. The
ladder is edited in the admin's commitment form with a preview of when each step comes. Against
a real SMTP server (aiosmtpd in this process)."""

import re
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tests import factories
from tests.pages import token
from tests.reminders_smtp import app_config, parse_items, small_store
from tracker import create_app
from tracker.catalog import service as catalog
from tracker.extensions import db
from tracker.ledger import service as ledger
from tracker.ledger.models import Deliverable
from tracker.reminders import jobs, service
from tracker.reminders.policy import overdue_days, parse_ladder

TZ = ZoneInfo("Asia/Shanghai")
SETUP = datetime(2026, 10, 12, 8, tzinfo=TZ).astimezone(UTC)  # a Monday
EVENT = datetime(2026, 10, 12, 10, tzinfo=TZ).astimezone(UTC)
LADDER = "clerks 1, head 2, lead 3"


@pytest.fixture
def mail_app(database_url, tmp_path, smtp):
    app = create_app(app_config(database_url, tmp_path, smtp.url))
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


def mornings(first: datetime, days: int):
    """09:05 on each of these days (the working ones mail; the others keep waiting)."""
    day = first.astimezone(TZ).date()
    for n in range(days):
        yield (
            datetime.combine(day + timedelta(days=n), datetime.min.time(), TZ)
            .replace(hour=9, minute=5)
            .astimezone(UTC)
        )


def test_the_owner_is_reminded_first_and_the_ladder_tells_each_rung_once(mail_app, smtp):
    session = db.session
    store, people = small_store(session, SETUP)
    lead = factories.create_person(
        session, store, "finance", "lead", now=SETUP, email="finance.lead@sh01.test"
    )
    sales2 = catalog.get_commitment(session, "sales-2")
    policy = {**sales2.current.reminder_policy, "ladder": parse_ladder(LADDER)}
    catalog.edit_commitment(session, sales2, {"reminder_policy": policy}, SETUP, None)
    owner, colleague = people["sales.clerk3"], people["sales.clerk2"]
    head = people["sales.head4"]
    _, created = ledger.record_event(
        session,
        ledger.NewEvent(store=store, type="vehicle_delivered", occurred_at=EVENT, reference="V"),
        by=owner,
        now=EVENT,
    )
    session.commit()
    d = next(x for x in created if x.commitment_id == sales2.id)
    assert d.owner_id == owner.id

    got = defaultdict(list)  # email -> [(pass, item, message)]
    for at in mornings(EVENT + timedelta(days=1), 14):
        before = len(smtp.handler.taken())
        jobs.run_pass(at, worker="t")
        for m in smtp.handler.taken()[before:]:
            for item in parse_items(m.html):
                if item[0] != "summary" and item[2] == d.id:
                    got[m.to[0]].append((at, item, m))

    wt = service.working_times(session)[store.id]
    # the owner has every stage; nobody else of the department any
    assert {i[0] for _, i, _ in got[owner.email]} >= {"before", "overdue"}
    for person in (colleague, head, lead):
        entries = got[person.email]
        assert [i[0] for _, i, _ in entries] == ["escalation"], person.email
    # each rung once, on the morning its number of working days overdue begins, at its true age
    told = {}
    for person, days in ((colleague, 1), (head, 2), (lead, 3)):
        ((at, (_, step, _), message),) = got[person.email]
        assert step == days == overdue_days(d.due_at, at, wt)
        told[person.email] = (at.astimezone(TZ).strftime("%Y-%m-%d"), message)
    # each says who is told next, and when; the last that nobody further is
    clerk_day, clerk_mail = told[colleague.email]
    head_day, head_mail = told[head.email]
    lead_day, lead_mail = told[lead.email]
    next_of = lambda m: re.search(r'class="next">([^<]*)<', m.html).group(1)  # noqa: E731
    assert head_day in next_of(clerk_mail) and "下一步" in next_of(clerk_mail)  # zh clerk
    assert lead_day in next_of(head_mail)  # the head reads Chinese too
    assert next_of(lead_mail) == "Nobody further is told."
    assert "Owner: sales clerk" in lead_mail.text
    assert "Escalated: overdue 3 working days" in lead_mail.text


def test_a_reassigned_items_waiting_reminders_go_to_the_new_owner_only(mail_app, smtp):
    session = db.session
    store, people = small_store(session, SETUP)
    first, second = people["sales.clerk2"], people["sales.clerk3"]
    _, created = ledger.record_event(
        session,
        ledger.NewEvent(store=store, type="vehicle_delivered", occurred_at=EVENT, reference="V"),
        by=first,
        now=EVENT,
    )
    session.commit()
    saturday = datetime(2026, 10, 24, 20, tzinfo=TZ).astimezone(UTC)
    jobs.run_pass(saturday, worker="t")  # outside working time: the owner's reminders wait
    from tracker.ledger import owners

    for d in created:
        if d.status == "open":
            owners.reassign(session, d, to=second, by=people["sales.head4"], now=saturday)
    session.commit()
    monday = datetime(2026, 10, 26, 9, 5, tzinfo=TZ).astimezone(UTC)
    jobs.run_pass(monday, worker="t")
    open_ids = {d.id for d in created if session.get(Deliverable, d.id).status == "open"}
    by_person = defaultdict(set)
    for m in smtp.handler.taken():
        for item in parse_items(m.html):
            if item[0] in ("before", "due", "overdue") and item[2] in open_ids:
                by_person[m.to[0]].add(item[2])
    assert by_person[second.email] == open_ids
    assert first.email not in by_person


def test_the_admin_edits_the_ladder_with_a_preview_of_each_step(client, auth, people, session):
    auth.login("finance.admin@sh01.test")
    page = "/admin/commitments/sales-2"
    html = client.get(page).get_data(as_text=True)
    assert 'value="head 3"' in html  # the ladder of old: the head after 3 working days
    data = {
        "csrf_token": token(client, page),
        "title_zh": "交车",
        "title_en": "Delivery",
        "offset_days": "2",
        "day_type": "working",
        "non_working": "next",
        "before_working_days": "1",
        "ladder": "clerks 1, head 3, lead 5",
        "preview_store": "SH01",
        "preview": "Preview",
    }
    html = client.post(page, data=data).get_data(as_text=True)
    rows = re.findall(r'<td class="preview-ladder">(.*?)</td>', html, re.S)
    assert rows
    first = re.findall(r'data-to="(\w+)" data-day="([\d-]+)"', rows[0])
    assert [to for to, _ in first] == ["clerks", "heads", "leads"]
    days = [day for _, day in first]
    assert days == sorted(days) and len(set(days)) == 3
    assert "head told on" in rows[0]
    # a wrong ladder is told beside the field and saves nothing
    bad = client.post(page, data={**data, "ladder": "head 3, clerks 1", "save": "Save"})
    assert bad.status_code in (200, 400)
    assert "each step comes later" in bad.get_data(as_text=True)
    saved = client.post(page, data={**data, "save": "Save", "preview": ""})
    assert saved.status_code == 302
    session.expire_all()
    version = catalog.get_commitment(session, "sales-2").current
    assert version.reminder_policy["ladder"] == [
        {"to": "clerks", "after": 1},
        {"to": "heads", "after": 3},
        {"to": "leads", "after": 5},
    ]
