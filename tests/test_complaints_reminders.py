"""A complaint's reminders through the deliverables' outbox, against a real SMTP server
(aiosmtpd in this process), with reminder passes at explicit instants: the department told
when it is filed, the owner when the answer time has passed, then the ladder (the head after a
working day, the store's lead after two), each once, only in working time; all of it stops once
the complaint is answered (or, for the first notice, opened), even when already written."""

import re
from collections import Counter
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from tests import factories
from tests.reminders_smtp import small_store
from tracker.complaints import service
from tracker.extensions import db
from tracker.org.models import Person
from tracker.reminders import jobs
from tracker.reminders.models import OutboxItem

TZ = ZoneInfo("Asia/Shanghai")


def sh(*args) -> datetime:
    return datetime(*args, tzinfo=TZ).astimezone(UTC)


@pytest.fixture
def app(outbox_app):
    return outbox_app


@pytest.fixture
def shop(app):
    """SH01 with two sales clerks (zh, en), a sales head (zh), the other departments' people,
    and the store's finance lead (the ladder's last rung)."""
    store, people = small_store(db.session, sh(2026, 10, 9, 10))
    found = {key.rstrip("0123456789"): p for key, p in reversed(people.items())}
    found["sales.clerk_en"] = people["sales.clerk3"]
    found["lead"] = factories.create_person(
        db.session, store, "finance", "lead", now=sh(2026, 10, 9, 10), email="lead@sh01.test"
    )
    db.session.commit()
    return store, found


def pass_at(at, robots_clock):
    robots_clock.at = at
    return jobs.run_pass(at, worker="w", lease_now=robots_clock)


def complaint_items(messages) -> Counter:
    """(email, kind, complaint id, step) of every complaint entry in these messages."""
    found = Counter()
    for m in messages:
        (email,) = m.to
        for kind, cid, step in re.findall(
            r'<li class="(complaint\w*)" data-complaint="(\d+)" data-step="(\d+)"', m.html
        ):
            found[(email, kind, int(cid), int(step))] += 1
    return found


def test_the_department_then_the_owner_then_the_ladder_until_it_is_answered(
    shop, smtp, robots_clock
):
    _store, people = shop
    monday = sh(2026, 10, 12, 10)
    filed_by = people["finance.clerk"]
    urgent = service.file(db.session, by=filed_by, department="sales", what="no invoice",
                          severity="urgent", now=monday)  # fmt: skip
    ignored = service.file(db.session, by=filed_by, department="insurance", what="no policy",
                           severity="urgent", now=monday)  # fmt: skip
    db.session.commit()
    sales = [people["sales.clerk"], people["sales.clerk_en"], people["sales.head"]]

    pass_at(sh(2026, 10, 12, 10, 5), robots_clock)
    got = complaint_items(smtp.wait_for(5))
    assert got == Counter(
        {(p.email, "complaint", urgent.id, 1): 1 for p in sales}
        | {
            (people[k].email, "complaint", ignored.id, 1): 1
            for k in ("insurance.clerk", "insurance.head")
        }
    )
    zh = next(m for m in smtp.handler.taken() if m.to == [people["sales.clerk"].email])
    assert "新投诉" in zh.html and filed_by.name in zh.html  # the complainant is named
    owner = people["sales.clerk_en"]
    service.open_(db.session, urgent.id, by=owner, now=sh(2026, 10, 12, 10, 10))
    db.session.commit()

    pass_at(sh(2026, 10, 12, 14, 30), robots_clock)  # the 4 working hours ended at 14:00
    pass_at(sh(2026, 10, 12, 20, 0), robots_clock)  # after hours: nothing goes
    count = len(smtp.handler.taken())
    pass_at(sh(2026, 10, 13, 9, 5), robots_clock)  # a working day late: the head
    smtp.wait_for(count + 2)
    service.answer(db.session, urgent.id, by=owner, text="sent today", now=sh(2026, 10, 13, 10))
    db.session.commit()
    pass_at(sh(2026, 10, 14, 9, 5), robots_clock)  # two working days late: the lead, if any
    pass_at(sh(2026, 10, 15, 9, 5), robots_clock)
    got = complaint_items(smtp.wait_for(count + 4)) - complaint_items(smtp.handler.taken()[:5])
    assert got == Counter(
        {
            (owner.email, "complaint_due", urgent.id, 1): 1,
            (people["insurance.clerk"].email, "complaint_due", ignored.id, 1): 1,
            (people["sales.head"].email, "complaint_esc", urgent.id, 11): 1,
            (people["insurance.head"].email, "complaint_esc", ignored.id, 11): 1,
            # The one left unanswered reaches the lead; the answered one does not.
            ("lead@sh01.test", "complaint_esc", ignored.id, 12): 1,
            # The answer goes to the complainant, with the next pass.
            (filed_by.email, "complaint_ans", urgent.id, 1): 1,
        }
    )


def test_what_waits_is_dropped_once_opened_or_answered(shop, smtp, robots_clock):
    _store, people = shop
    filed_by, owner = people["finance.clerk"], people["sales.clerk"]
    late_one = service.file(db.session, by=filed_by, department="sales", what="late",
                            severity="urgent", now=sh(2026, 10, 12, 14))  # fmt: skip
    db.session.commit()
    service.open_(db.session, late_one.id, by=owner, now=sh(2026, 10, 12, 14, 1))
    # Filed after hours: its notice waits for the morning.
    evening = service.file(db.session, by=filed_by, department="sales", what="rude",
                           severity="normal", now=sh(2026, 10, 12, 18, 30))  # fmt: skip
    db.session.commit()
    pass_at(sh(2026, 10, 12, 18, 40), robots_clock)  # closed: the items are written, not sent
    waiting = db.session.scalars(db.select(OutboxItem).where(OutboxItem.status == "pending")).all()
    assert {(i.kind, i.complaint_id) for i in waiting} == {
        ("complaint", late_one.id),
        ("complaint_due", late_one.id),
        ("complaint", evening.id),
    }
    # Before the store opens: one answered, the other opened by the head from home.
    service.answer(db.session, late_one.id, by=owner, text="done", now=sh(2026, 10, 13, 8, 30))
    service.open_(db.session, evening.id, by=people["sales.head"], now=sh(2026, 10, 13, 8, 40))
    db.session.commit()
    pass_at(sh(2026, 10, 13, 9, 5), robots_clock)
    db.session.expire_all()
    items = db.session.scalars(db.select(OutboxItem).order_by(OutboxItem.id)).all()
    assert {(i.kind, i.status, i.cancelled_reason) for i in items} == {
        ("complaint", "cancelled", "answered"),
        ("complaint_due", "cancelled", "answered"),
        ("complaint", "cancelled", "opened"),
        ("complaint_ans", "sent", None),  # the answer, to the complainant
    }
    (told,) = smtp.wait_for(1)
    assert complaint_items([told]) == Counter(
        {(filed_by.email, "complaint_ans", late_one.id, 1): 1}
    )
    assert "done" in told.html


def test_a_reopened_complaint_tells_its_owner_and_reminds_again(shop, smtp, robots_clock):
    _store, people = shop
    filed_by, owner = people["finance.clerk"], people["sales.clerk_en"]
    c = service.file(db.session, by=filed_by, department="sales", what="wrong amount",
                     severity="urgent", now=sh(2026, 10, 12, 9, 30))  # fmt: skip
    service.open_(db.session, c.id, by=owner, now=sh(2026, 10, 12, 9, 40))
    service.answer(db.session, c.id, by=owner, text="fixed", now=sh(2026, 10, 12, 9, 50))
    service.reopen(db.session, c.id, by=filed_by, note="still wrong", now=sh(2026, 10, 12, 16))
    db.session.commit()
    pass_at(sh(2026, 10, 12, 16, 5), robots_clock)
    pass_at(sh(2026, 10, 13, 11, 5), robots_clock)  # 4 working hours from 16:00: 11:00 Tuesday
    got = complaint_items(smtp.wait_for(2))
    assert got[(owner.email, "complaint", c.id, 2)] == 1
    assert got[(owner.email, "complaint_due", c.id, 2)] == 1
    # The first answer's notice to the complainant went stale with the reopening.
    assert not any(kind == "complaint_ans" for _e, kind, _c, _s in got)
    assert "Complaint reopened" in smtp.handler.taken()[0].html


def test_the_departments_robot_is_told_of_a_new_complaint_in_the_stores_language(
    shop, smtp, robot_server, robots_clock
):
    from tracker.channels import service as channels
    from tracker.org import service as org

    store, people = shop
    channels.set_robot(db.session, store=store, department=org.get_department(db.session, "sales"),
                       kind="wecom", url=robot_server.wecom_url("sales-key"), secret=None,
                       now=sh(2026, 10, 9, 10), allowed_hosts={"127.0.0.1"})  # fmt: skip
    db.session.commit()
    c = service.file(db.session, by=people["finance.clerk"], department="sales",
                     what="发票没有盖章", severity="high", now=sh(2026, 10, 12, 10))  # fmt: skip
    db.session.commit()
    pass_at(sh(2026, 10, 12, 10, 5), robots_clock)
    pass_at(sh(2026, 10, 12, 10, 10), robots_clock)
    got = [(g.robot, g.text) for g in robot_server.taken()]
    assert robot_server.problems == []
    assert len(got) == 1 and got[0][0] == "sales-key"
    assert f"新投诉 #{c.id}" in got[0][1] and f"/complaints/{c.id})" in got[0][1]
    assert "发票没有盖章" in got[0][1] and "高" in got[0][1]


def test_composing_takes_the_same_statements_for_five_times_the_complaints(shop, smtp):
    from tests.pages import counted_queries

    _store, people = shop
    monday = sh(2026, 10, 12, 10)

    filers = [p.id for key, p in people.items() if not key.startswith("sales")]

    def compose(count: int) -> int:
        for n in range(count):
            filer = db.session.get(Person, filers[n % len(filers)])
            service.file(db.session, by=filer, department="sales",
                         what=f"late {n}", severity="normal", now=monday)  # fmt: skip
        db.session.commit()
        db.session.expunge_all()  # nothing already loaded: each entry's complainant is read
        with counted_queries() as statements:
            assert jobs.compose(monday) == 3  # the two sales clerks and the head
        return len(statements)

    assert compose(2) == compose(10)
