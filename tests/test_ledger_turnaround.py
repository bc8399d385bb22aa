"""The receiving side's turnaround: each submission should be decided by the end of the next
working day (store's calendar); a decision waiting past it is reminded to the receiving clerks,
then escalated to the receiving head, once each, in working time."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from tracker.ledger import service as ledger
from tracker.ledger.models import Submission
from tracker.reminders import service as reminders
from tracker.reminders.models import OutboxItem, OutboxMessage

SH = ZoneInfo("Asia/Shanghai")


def sh(*args) -> datetime:
    return datetime(*args, tzinfo=SH).astimezone(UTC)


def evidence():
    return ledger.Evidence(reference="D-1", file_path="x.pdf", file_name="x.pdf")


@pytest.fixture
def handed_in(session, store, people):
    """The accessories slip of a car delivered Monday 16 Nov 2026, handed in Thursday 19 Nov
    at 15:00: Finance should decide by the end of Friday 20 Nov."""
    at = sh(2026, 11, 16, 10)
    _, made = ledger.record_event(
        session,
        ledger.NewEvent(store=store, type="vehicle_delivered", occurred_at=at, reference="D-1"),
        by=people["sales.clerk"],
        now=at,
    )
    d = next(d for d in made if d.commitment.code == "sales-7")
    ledger.submit(
        session, d, by=people["sales.clerk"], now=sh(2026, 11, 19, 15), evidence=evidence()
    )
    session.commit()
    return d


def decision_items(session, d):
    return sorted(
        session.execute(
            select(OutboxItem.kind, OutboxItem.step, OutboxItem.person_id, OutboxItem.eligible_at)
            .where(OutboxItem.deliverable_id == d.id, OutboxItem.kind.like("decision%"))
            .order_by(OutboxItem.id)
        ).all()
    )


def test_the_default_decision_time_is_the_end_of_the_next_working_day(session, handed_in):
    assert handed_in.decide_by == sh(2026, 11, 20, 23, 59, 59)
    submission = session.scalars(select(Submission)).one()
    assert submission.decide_by == handed_in.decide_by


def test_a_late_decision_is_reminded_to_the_clerks_then_escalated_to_the_head(
    session, people, handed_in
):
    clerk, head = people["finance.clerk"].id, people["finance.head"].id
    for at in (sh(2026, 11, 20, 17), sh(2026, 11, 21, 10), sh(2026, 11, 22, 10)):
        reminders.enqueue(session, at)  # Friday, and the weekend: nothing yet
    assert decision_items(session, handed_in) == []
    for _ in range(3):  # Monday, three passes: one reminder to the clerk
        reminders.enqueue(session, sh(2026, 11, 23, 9, 5))
    assert decision_items(session, handed_in) == [("decision", 1, clerk, sh(2026, 11, 23, 9))]
    for _ in range(2):  # Tuesday: the head is told, once
        reminders.enqueue(session, sh(2026, 11, 24, 9, 5))
    assert decision_items(session, handed_in) == [
        ("decision", 1, clerk, sh(2026, 11, 23, 9)),
        ("decision_head", 1, head, sh(2026, 11, 24, 9)),
    ]
    session.commit()


def test_a_decision_made_stops_its_reminders_and_keeps_its_working_time(session, people, handed_in):
    reminders.enqueue(session, sh(2026, 11, 24, 9, 5))
    ledger.accept(session, handed_in, by=people["finance.clerk"], now=sh(2026, 11, 24, 10))
    wts = reminders.working_times(session)
    ids = [people["finance.clerk"].id, people["finance.head"].id]
    reminders.compose_people(session, sh(2026, 11, 24, 10, 5), reminders.Settings(), ids, wts)
    session.commit()
    statuses = session.scalars(
        select(OutboxItem.status).where(OutboxItem.kind.like("decision%"))
    ).all()
    assert statuses == ["cancelled", "cancelled"]
    submission = session.scalars(select(Submission)).one()
    # Thursday 15:00-18:00, Friday 9 h, Monday 9 h, Tuesday 09:00-10:00: 22 working hours.
    assert submission.decision_working_seconds == 22 * 3600
    assert submission.decided_month == "2026-11"
    assert handed_in.decide_by is None


@pytest.mark.parametrize(
    ("language", "label", "line"),
    [
        ("en", "Waiting for your decision", "to be decided by 2026-11-20 23:59"),
        ("zh", "等待您审核", "应在 2026-11-20 23:59 前审核"),
    ],
)
def test_the_decision_reminder_reads_in_the_clerks_language(
    session, people, handed_in, language, label, line
):
    clerk = people["finance.clerk"]
    clerk.language = language
    reminders.enqueue(session, sh(2026, 11, 23, 9, 5))
    wts = reminders.working_times(session)
    reminders.compose_people(
        session, sh(2026, 11, 23, 9, 10), reminders.Settings(), [clerk.id], wts
    )
    session.commit()
    (message,) = session.scalars(select(OutboxMessage).where(OutboxMessage.person_id == clerk.id))
    assert label in message.body_text and line in message.body_text
    assert label in message.body_html
