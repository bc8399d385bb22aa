"""Reminders follow the store's working calendar, overrides included: a weekday the store
declares a holiday brings no new reminder and no mail that day; a Saturday it declares a working
day brings that day's reminders and mail."""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from tracker.calendar.service import set_override
from tracker.ledger import service as ledger
from tracker.reminders import service
from tracker.reminders.models import OutboxItem

SH = ZoneInfo("Asia/Shanghai")


def sh(*args) -> datetime:
    return datetime(*args, tzinfo=SH).astimezone(UTC)


@pytest.fixture
def slip(session, store, people):
    """A car delivered Monday 9 Nov 2026 at 10:00: its accessories slip (sales-7) is due
    Thursday 12 Nov 23:59:59, the due notice goes on Friday 13 Nov, and on China's calendar
    the first overdue working day is Monday 16 Nov."""
    at = sh(2026, 11, 9, 10)
    _, made = ledger.record_event(
        session,
        ledger.NewEvent(
            store=store,
            type="vehicle_delivered",
            occurred_at=at,
            reference="D-1",
        ),
        by=people["sales.clerk"],
        now=at,
    )
    session.commit()
    d = next(d for d in made if d.commitment.code == "sales-7")
    assert d.due_at == sh(2026, 11, 12, 23, 59, 59)
    return d


@pytest.mark.parametrize(
    ("override", "at", "reminders", "mail_goes"),
    [
        (None, sh(2026, 11, 16, 10), [("overdue", 1)], True),
        ((date(2026, 11, 16), False), sh(2026, 11, 16, 10), [("due", 0)], False),
        ((date(2026, 11, 16), False), sh(2026, 11, 17, 10), [("due", 0), ("overdue", 1)], True),
        (None, sh(2026, 11, 14, 10), [("due", 0)], False),
        ((date(2026, 11, 14), True), sh(2026, 11, 14, 10), [("overdue", 1)], True),
    ],
    ids=[
        "monday",
        "monday-made-a-holiday",
        "the-tuesday-after",
        "saturday",
        "saturday-made-a-working-day",
    ],
)
def test_reminders_follow_the_stores_calendar_overrides(
    session, store, slip, override, at, reminders, mail_goes
):
    if override:
        set_override(session, store, *override, note="stocktake")
    if at.astimezone(SH).date() == date(2026, 11, 17):
        service.enqueue(session, sh(2026, 11, 16, 10))  # the holiday's pass came first
    service.enqueue(session, at)
    session.commit()
    kinds = session.execute(
        select(OutboxItem.kind, OutboxItem.step).where(OutboxItem.deliverable_id == slip.id)
    )
    assert sorted(set(kinds)) == reminders
    waiting = service.waiting_people(session, at, service.working_times(session))
    assert bool(waiting) is mail_goes
