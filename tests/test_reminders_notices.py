"""Instant notices, through the reminders' outbox against a real SMTP server (aiosmtpd in this
process): a request raised reaches the providing department (its default owner first), a
hand-in whoever raised the request (else the receiving clerks), a return (with its reason and
note) or a waiver the owner; each once, in the person's language, only in working time (made at
night, it goes at the next opening), and once when the mail server is back. Each person chooses
their digest's time of day and which notices wait for the digest; overdue reminders and
escalations cannot be turned off. The department's group robot gets the hand-in and request
notices of its department."""

import re
from collections import Counter
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from tests import factories
from tests.reminders_smtp import add_robot, events, parse_items, small_store
from tracker.catalog import service as catalog
from tracker.extensions import db
from tracker.ledger import owners
from tracker.ledger import service as ledger
from tracker.ledger.models import Deliverable
from tracker.org.models import Person
from tracker.reminders import jobs, preferences
from tracker.reminders.forms import PreferencesForm
from tracker.reminders.models import NOTICE_KINDS, OutboxItem, Preference

TZ = ZoneInfo("Asia/Shanghai")


def sh(*args) -> datetime:
    return datetime(*args, tzinfo=TZ).astimezone(UTC)


MONDAY_10 = sh(2026, 11, 16, 10)  # an ordinary working Monday
SETUP = sh(2026, 11, 13, 10)


@pytest.fixture
def app(outbox_app):
    return outbox_app


@pytest.fixture
def shop(app):
    """Store SH01 with its people (one clerk a department, two in sales), nothing owed yet."""
    store, people = small_store(db.session, SETUP)
    return store, {key.rstrip("0123456789"): p for key, p in reversed(people.items())}


def notices_in(messages) -> Counter:
    """(email, notice kind, deliverable id) of every notice in these messages: an entry of its
    own, or inside a deliverable's entry (`data-notices`)."""
    found = Counter()
    for m in messages:
        (email,) = m.to
        for kind, _step, did in parse_items(m.html):
            if kind in NOTICE_KINDS:
                found[(email, kind, did)] += 1
        for did, kinds in re.findall(
            r'data-deliverable="(\d+)"[^>]*data-notices="([^"]+)"', m.html
        ):
            for kind in kinds.split():
                found[(email, kind, int(did))] += 1
    return found


def pass_at(at, robots_clock, worker="w"):
    robots_clock.at = at
    return jobs.run_pass(at, worker=worker, lease_now=robots_clock)


def request(store, people, at, note="the bank's letter for D-9"):
    d = ledger.raise_request(
        db.session,
        store=store,
        commitment=catalog.get_commitment(db.session, "loans-3"),
        by=people["finance.clerk"],
        now=at,
        note=note,
        due_at=at + timedelta(days=10),
    )
    db.session.commit()
    return d


def hand_in(d, by, at):
    evidence = ledger.Evidence(
        reference="BANK-1", amount="10.00", file_name="a.pdf", file_path="a.pdf"
    )
    ledger.submit(db.session, d, by=by, now=at, evidence=evidence)
    db.session.commit()


def give_back(d, by, at, note="page 2 is not signed"):
    ledger.return_deliverable(db.session, d, by=by, now=at, reason="unsigned", note=note)
    db.session.commit()


def test_each_notice_reaches_the_right_people_once_in_their_language(shop, smtp, robots_clock):
    store, people = shop
    loans, finance = people["loans.clerk"], people["finance.clerk"]
    d = request(store, people, MONDAY_10)
    pass_at(MONDAY_10, robots_clock)
    hand_in(d, loans, MONDAY_10 + timedelta(hours=1))
    pass_at(MONDAY_10 + timedelta(hours=1), robots_clock)
    give_back(d, finance, MONDAY_10 + timedelta(hours=2))
    pass_at(MONDAY_10 + timedelta(hours=2), robots_clock)
    ledger.waive(db.session, d, by=finance, now=MONDAY_10 + timedelta(hours=3), reason="n/a")
    db.session.commit()
    for minutes in (180, 181, 240, 300, 60 * 24):
        pass_at(MONDAY_10 + timedelta(minutes=minutes), robots_clock, worker=f"w{minutes}")
    messages = smtp.handler.taken()
    assert notices_in(messages) == {
        (loans.email, "requested", d.id): 1,  # the providing clerk
        (finance.email, "handed_in", d.id): 1,  # whoever raised the request
        (loans.email, "returned", d.id): 1,
        (loans.email, "waived", d.id): 1,
    }
    assert not any(m.to == [people["finance.head"].email] for m in messages)
    returned = next(m for m in messages if 'class="returned"' in m.html)
    # the loans clerk reads Chinese: the reason and the note in the message
    assert returned.subject.strip().startswith("【事项跟踪】已退回") and "未签字" in returned.text
    assert "page 2 is not signed" in returned.text and "page 2 is not signed" in returned.html
    handed = next(m for m in messages if 'class="handed_in"' in m.html)
    assert handed.subject.strip().startswith("[Tracker] Handed in:")  # the finance clerk: English
    assert f"http://tracker.test/deliverables/{d.id}" in handed.text
    # every notice item sent once, none left waiting
    items = db.session.scalars(select(OutboxItem).where(OutboxItem.kind.in_(NOTICE_KINDS))).all()
    assert {i.status for i in items} == {"sent"} and len(items) == 4


def test_a_request_goes_to_the_default_owner_first_and_a_hand_in_to_the_receiving_clerks(
    shop, smtp, robots_clock
):
    store, people = shop
    loans3 = catalog.get_commitment(db.session, "loans-3")
    second = factories.create_person(
        db.session, store, "loans", "clerk", now=SETUP, email="loans.second@sh01.test"
    )
    owners.set_default_owner(db.session, loans3, store, second, by=people["loans.head"], now=SETUP)
    db.session.commit()
    d = request(store, people, MONDAY_10)
    pass_at(MONDAY_10, robots_clock)
    assert notices_in(smtp.handler.taken()) == {(second.email, "requested", d.id): 1}
    # a triggered item handed in: the receiving department's clerks (no requester)
    at = MONDAY_10 + timedelta(hours=1)
    events(db.session, store, at, types=("loan_disbursed",))
    made = db.session.scalars(select(Deliverable).where(Deliverable.reference == "REF-0")).all()
    item = next(x for x in made if x.status == "open")
    hand_in(item, people["loans.clerk"], at)
    pass_at(at, robots_clock)
    receiving = {
        p.email
        for p in db.session.scalars(select(Person))
        if p.department_id == item.receiver_id and p.role == "clerk"
    }
    got = notices_in(smtp.handler.taken())
    assert {e for (e, kind, did) in got if kind == "handed_in" and did == item.id} == receiving


def test_a_notice_made_after_hours_goes_at_the_next_working_opening(shop, smtp, robots_clock):
    store, people = shop
    d = request(store, people, MONDAY_10)
    hand_in(d, people["loans.clerk"], MONDAY_10)
    pass_at(MONDAY_10, robots_clock)
    before = len(smtp.handler.taken())
    friday_night = sh(2026, 11, 20, 21)
    give_back(d, people["finance.clerk"], friday_night)
    for at in (friday_night, sh(2026, 11, 21, 10), sh(2026, 11, 22, 15), sh(2026, 11, 23, 8)):
        pass_at(at, robots_clock)
        assert len(smtp.handler.taken()) == before  # night, weekend, before opening: it waits
    (item,) = db.session.scalars(select(OutboxItem).where(OutboxItem.kind == "returned"))
    assert item.eligible_at == sh(2026, 11, 23, 9)
    pass_at(sh(2026, 11, 23, 9), robots_clock)
    got = notices_in(smtp.handler.taken()[before:])
    assert got == {(people["loans.clerk"].email, "returned", d.id): 1}


def test_with_the_mail_server_down_a_notice_is_sent_once_when_it_comes_back(
    shop, smtp, robots_clock
):
    store, people = shop
    smtp.stop()
    d = request(store, people, MONDAY_10)
    at = MONDAY_10
    for _ in range(20):  # two working days with the server down
        pass_at(at, robots_clock)
        at += timedelta(hours=2)
    assert smtp.handler.taken() == []
    smtp.start()
    for _ in range(10):
        pass_at(at, robots_clock)
        at += timedelta(hours=2)
    assert notices_in(smtp.handler.taken()) == {(people["loans.clerk"].email, "requested", d.id): 1}


def test_a_person_who_chose_the_digest_gets_the_notice_with_the_next_digest_not_at_once(
    shop, smtp, robots_clock
):
    store, people = shop
    loans = people["loans.clerk"]
    preferences.set_preferences(db.session, loans, digest_at=None, at_once={"handed_in"})
    db.session.commit()
    d = request(store, people, MONDAY_10)
    for hours in (0, 1, 3, 6):
        pass_at(MONDAY_10 + timedelta(hours=hours), robots_clock)
    assert notices_in(smtp.handler.taken()) == {}  # not at once
    pass_at(sh(2026, 11, 17, 9), robots_clock)  # the next working morning's digest
    assert notices_in(smtp.handler.taken()) == {(loans.email, "requested", d.id): 1}
    # with a digest time: the return waits for it (15:00), then goes with the digest
    preferences.set_preferences(db.session, loans, digest_at="15:00", at_once=set())
    db.session.commit()
    hand_in(d, loans, sh(2026, 11, 17, 10))
    give_back(d, people["finance.clerk"], sh(2026, 11, 17, 11))
    before = len(smtp.handler.taken())
    for hour in (11, 12, 14):
        pass_at(sh(2026, 11, 17, hour), robots_clock)
    assert notices_in(smtp.handler.taken()[before:]) == {}
    pass_at(sh(2026, 11, 17, 15), robots_clock)
    assert notices_in(smtp.handler.taken()[before:]) == {(loans.email, "returned", d.id): 1}


def test_the_digest_goes_at_the_time_the_person_chose(shop, smtp, robots_clock):
    store, people = shop
    events(db.session, store, sh(2026, 11, 2, 10))  # owed by sales, loans, insurance: overdue
    loans = people["loans.clerk"]
    preferences.set_preferences(db.session, loans, digest_at="14:00", at_once=set(GROUP_ALL))
    db.session.commit()
    for hour in (9, 10, 13):
        pass_at(sh(2026, 11, 16, hour), robots_clock)
    taken = smtp.handler.taken()
    assert taken and not [m for m in taken if m.to == [loans.email]]  # the others: as before
    pass_at(sh(2026, 11, 16, 14), robots_clock)
    mine = [m for m in smtp.handler.taken() if m.to == [loans.email]]
    assert len(mine) == 1 and any(i[0] == "overdue" for i in parse_items(mine[0].html))
    # nothing more today; tomorrow's overdue reminder at 14:00 again, not at 09:00
    pass_at(sh(2026, 11, 16, 16), robots_clock)
    pass_at(sh(2026, 11, 17, 9), robots_clock)
    assert len([m for m in smtp.handler.taken() if m.to == [loans.email]]) == 1
    pass_at(sh(2026, 11, 17, 14, 5), robots_clock)
    assert len([m for m in smtp.handler.taken() if m.to == [loans.email]]) == 2


GROUP_ALL = ("returned", "handed_in", "requested")


def test_overdue_reminders_and_escalations_cannot_be_turned_off(shop, smtp, robots_clock):
    store, people = shop
    assert set(PreferencesForm.__dict__) & {"overdue", "escalation"} == set()
    events(db.session, store, sh(2026, 11, 2, 10))
    for person in people.values():  # everything a person can choose: in the digest
        preferences.set_preferences(db.session, person, digest_at=None, at_once=set())
    db.session.commit()
    pass_at(MONDAY_10, robots_clock)
    kinds = {i[0] for m in smtp.handler.taken() for i in parse_items(m.html)}
    assert {"overdue", "escalation"} <= kinds


def test_the_profile_page_saves_the_choices_and_refuses_a_time_outside_working_hours(
    shop, client, auth
):
    store, people = shop
    loans = people["loans.clerk"]
    auth.login(loans.email)
    profile = client.get("/profile")
    assert profile.status_code == 200 and 'name="digest_at"' in profile.text
    assert 'name="overdue"' not in profile.text and 'name="escalation"' not in profile.text
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', profile.text).group(1)
    bad = client.post(
        "/profile/reminders",
        data={"csrf_token": token, "digest_at": "23:00", "returned": "digest"},
    )
    assert bad.status_code == 400 and "field-error" in bad.text
    db.session.expire_all()
    assert db.session.get(Preference, loans.id) is None  # nothing changed
    good = client.post(
        "/profile/reminders",
        data={
            "csrf_token": token,
            "digest_at": "14:00",
            "returned": "digest",
            "handed_in": "now",
            "requested": "now",
        },
    )
    assert good.status_code == 302
    db.session.expire_all()
    saved = db.session.get(Preference, loans.id)
    assert (saved.digest_at, saved.returned_at_once, saved.handed_in_at_once) == (
        "14:00",
        False,
        True,
    )


def test_the_departments_robots_get_the_hand_in_and_request_notices(
    shop, smtp, robot_server, robots_clock
):

    store, people = shop
    for code, key in (("loans", "loans-key"), ("finance", "fin-key")):
        add_robot(db.session, store, code, robot_server.wecom_url(key), at=SETUP)
    db.session.commit()
    d = request(store, people, MONDAY_10)
    hand_in(d, people["loans.clerk"], MONDAY_10 + timedelta(minutes=30))
    give_back(d, people["finance.clerk"], MONDAY_10 + timedelta(minutes=40))
    for minutes in (40, 45, 120):
        pass_at(MONDAY_10 + timedelta(minutes=minutes), robots_clock)
    got = [(g.robot, g.text) for g in robot_server.taken()]
    assert robot_server.problems == []
    assert [r for r, _t in got] == ["loans-key", "fin-key"]  # the request, then the hand-in
    assert f"/deliverables/{d.id})" in got[0][1]
    assert f"/deliverables/{d.id})" in got[1][1]


def test_a_cancelled_events_waivers_tell_each_owner_once_with_the_reason(shop, smtp, robots_clock):
    from tracker.ledger import events as ledger_events
    from tracker.ledger.models import BusinessEvent

    store, people = shop
    sales, finance = people["sales.clerk"], people["finance.clerk"]
    new = ledger.NewEvent(
        store=store, type="vehicle_delivered", occurred_at=MONDAY_10, reference="D-CANCEL"
    )
    ledger.record_event(db.session, new, by=sales, now=MONDAY_10)
    db.session.commit()
    event = db.session.scalars(select(BusinessEvent)).one()
    made = db.session.scalars(select(Deliverable).where(Deliverable.event_id == event.id)).all()
    assert {d.owner_id for d in made} == {sales.id}  # the clerk who recorded it owns them
    cancelled = ledger_events.cancel_event(
        db.session, event, by=finance, now=MONDAY_10 + timedelta(hours=1), reason="wrong deal"
    )
    db.session.commit()
    assert cancelled.waived
    pass_at(MONDAY_10 + timedelta(hours=1), robots_clock)
    pass_at(MONDAY_10 + timedelta(hours=2), robots_clock, worker="again")
    messages = smtp.handler.taken()
    assert notices_in(messages) == {(sales.email, "waived", d.id): 1 for d in cancelled.waived}
    mail = next(m for m in messages if m.to == [sales.email])
    assert "wrong deal" in mail.text
