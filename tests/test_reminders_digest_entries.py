"""A digest shows each deliverable once, at its current stage and true age, however many of its
reminders waited: a first pass on a Sunday evening (outside working time, its reminders wait)
and the next on Monday at 09:05, a clerk who joined over the weekend, a return made after
hours. Against a real SMTP server (aiosmtpd in this process)."""

from collections import Counter
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from tests import factories
from tests.reminders_smtp import app_config, events, parse_items, small_store
from tracker import create_app
from tracker.extensions import db
from tracker.ledger import service as ledger
from tracker.ledger.models import Deliverable
from tracker.reminders import jobs, service
from tracker.reminders.models import OutboxItem
from tracker.reminders.policy import overdue_days

TZ = ZoneInfo("Asia/Shanghai")
EVENTS_AT = datetime(2026, 10, 8, 10, tzinfo=TZ).astimezone(UTC)  # a Thursday
FRIDAY_EVENING = datetime(2026, 10, 16, 20, tzinfo=TZ).astimezone(UTC)
SUNDAY_EVENING = datetime(2026, 10, 18, 20, tzinfo=TZ).astimezone(UTC)
MONDAY_0905 = datetime(2026, 10, 19, 9, 5, tzinfo=TZ).astimezone(UTC)


@pytest.fixture
def app(database_url, tmp_path, smtp):
    app = create_app(app_config(database_url, tmp_path, smtp.url))
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def store(app):
    store, _ = small_store(db.session, EVENTS_AT - timedelta(days=1))
    events(db.session, store, EVENTS_AT)
    return store


def true_age(deliverable_id: int, at: datetime) -> int:
    d = db.session.get(Deliverable, deliverable_id)
    return overdue_days(d.due_at, at, service.working_times(db.session)[d.store_id])


def assert_one_entry_per_deliverable_at_its_true_age(messages, at):
    assert messages
    for m in messages:
        items = [i for i in parse_items(m.html) if i[0] != "summary"]
        counts = Counter(i[2] for i in items)
        assert all(n == 1 for n in counts.values()), (m.to, sorted(items))
        for kind, step, deliverable_id in items:
            if kind in ("overdue", "escalation"):
                assert step == true_age(deliverable_id, at), (m.to, kind, step)
        # the plain text names each deliverable's link once too
        for deliverable_id in counts:
            assert m.text.replace("\r\n", "\n").count(f"/deliverables/{deliverable_id}\n") == 1


def test_monday_digest_after_a_sunday_evening_pass_lists_each_deliverable_once(app, store, smtp):
    sunday = jobs.run_pass(SUNDAY_EVENING, worker="t")
    assert sunday.written > 0 and sunday.sent == 0  # outside working time: they wait
    jobs.run_pass(MONDAY_0905, worker="t")
    messages = smtp.handler.taken()
    assert_one_entry_per_deliverable_at_its_true_age(messages, MONDAY_0905)
    # both passes' overdue reminders were waiting, and both went with Monday's digest
    steps = {i.step for i in db.session.scalars(select(OutboxItem)) if i.kind == "overdue"}
    assert len(steps) >= 2
    statuses = {i.status for i in db.session.scalars(select(OutboxItem))}
    assert statuses <= {"sent", "cancelled"}
    # and nothing more goes later that Monday
    jobs.run_pass(MONDAY_0905 + timedelta(hours=1), worker="t")
    assert smtp.handler.taken() == messages


def test_a_clerk_who_joined_over_the_weekend_gets_each_deliverable_once(app, store, smtp):
    jobs.run_pass(datetime(2026, 10, 16, 9, tzinfo=TZ).astimezone(UTC), worker="t")
    before = len(smtp.handler.taken())
    newcomer = factories.create_person(
        db.session,
        store,
        "sales",
        "clerk",
        now=SUNDAY_EVENING - timedelta(days=1),
        email="sales.new@sh01.test",
    )
    db.session.commit()
    jobs.run_pass(SUNDAY_EVENING, worker="t")
    jobs.run_pass(MONDAY_0905, worker="t")
    messages = smtp.handler.taken()[before:]
    mine = [m for m in messages if m.to == [newcomer.email]]
    assert len(mine) == 1
    assert_one_entry_per_deliverable_at_its_true_age(messages, MONDAY_0905)


def test_a_return_made_after_hours_is_reminded_once_at_its_true_age(app, store, smtp):
    thursday = datetime(2026, 10, 15, 10, tzinfo=TZ).astimezone(UTC)
    jobs.run_pass(thursday, worker="t")
    d = db.session.scalars(
        select(Deliverable)
        .where(Deliverable.status == "open", Deliverable.due_at < thursday)
        .order_by(Deliverable.due_at, Deliverable.id)
    ).first()
    provider = d.commitment.provider.code
    clerk = next(
        p
        for p in service._staff(db.session)[(d.store_id, d.provider_id, "clerk")]
        if p.department.code == provider
    )
    finance = factories.create_person(
        db.session, store, "finance", "lead", now=thursday, email="finance.lead@sh01.test"
    )
    evidence = ledger.Evidence(reference="R", amount="1.00", file_name="a.pdf", file_path="a.pdf")
    ledger.submit(db.session, d, by=clerk, now=thursday, evidence=evidence, late_reason="busy")
    db.session.commit()
    ledger.return_deliverable(db.session, d, by=finance, now=FRIDAY_EVENING, reason="incomplete")
    db.session.commit()
    before = len(smtp.handler.taken())
    jobs.run_pass(FRIDAY_EVENING, worker="t")  # after hours: its current stage waits
    assert len(smtp.handler.taken()) == before
    jobs.run_pass(MONDAY_0905, worker="t")
    messages = smtp.handler.taken()[before:]
    assert_one_entry_per_deliverable_at_its_true_age(messages, MONDAY_0905)
    to_clerk = [i for m in messages if m.to == [clerk.email] for i in parse_items(m.html)]
    assert [i for i in to_clerk if i[2] == d.id] == [("overdue", true_age(d.id, MONDAY_0905), d.id)]
    waited = db.session.scalars(select(OutboxItem).where(OutboxItem.deliverable_id == d.id)).all()
    assert {i.status for i in waited} <= {"sent", "cancelled"}
