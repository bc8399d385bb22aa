"""The benchmark's generator writes what the ledger itself would: due times from the deadline
engine, recurring deliverables the scheduler recognises as made, every state of a life."""

import json
from collections import Counter
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from bench.generate import generate, history_days, main
from tracker.calendar.deadlines import event_due
from tracker.calendar.service import store_calendar
from tracker.ledger.models import BusinessEvent, Deliverable, Submission
from tracker.ledger.service import ensure_recurring
from tracker.scorecards.service import scorecard

NOW = "2026-11-18T10:30:00+08:00"


@pytest.fixture
def generated(app, session, database_url):
    made = generate(database_url, stores=2, days=90, now=NOW, fresh=False, log=lambda _t: None)
    session.expire_all()
    return made


def test_generator_fills_a_group_with_deliverables_and_submissions(generated, session):
    assert generated["stores"] == 2
    assert generated["deliverables"] == session.scalar(select(func.count(Deliverable.id)))
    assert generated["deliverables"] > 2 * 90 * 10
    assert session.scalar(select(func.count(Submission.id))) > generated["deliverables"] * 0.9


def test_generated_due_times_are_the_deadline_engines(generated, session):
    rows = session.execute(
        select(Deliverable, BusinessEvent)
        .join(BusinessEvent, BusinessEvent.id == Deliverable.event_id)
        .order_by(Deliverable.id)
        .limit(300)
    ).all()
    assert rows
    for deliverable, event in rows:
        store = deliverable.store
        rule = deliverable.version.rule(deliverable.commitment.kind)
        expected = event_due(rule, event.occurred_at, store.zone, store_calendar(session, store))
        assert deliverable.due_at == expected, deliverable.commitment.code


def test_the_scheduler_finds_the_recurring_deliverables_already_made(generated, session):
    assert ensure_recurring(session, now=datetime.fromisoformat(NOW)) == []


def test_history_holds_every_state_of_a_deliverables_life(generated, session):
    states = Counter(
        (d.status, d.return_count > 0, d.due_at < datetime.fromisoformat(NOW))
        for d in session.scalars(select(Deliverable))
    )
    assert states[("accepted", False, True)]  # accepted at the first pass
    assert states[("accepted", True, True)]  # returned, then accepted
    assert states[("open", False, True)]  # open overdue
    assert states[("waived", False, True)]
    late = session.scalar(
        select(func.count()).where(
            Deliverable.status == "accepted", Deliverable.final_submitted_at > Deliverable.due_at
        )
    )
    assert late


def test_the_scorecard_counts_every_generated_deliverable_of_the_month(generated, session):
    month = "2026-10"
    rows = scorecard(session, month=month, now=datetime.fromisoformat(NOW))
    due = session.scalar(select(func.count()).where(Deliverable.due_month == month))
    assert sum(r.due for r in rows) == due > 0


def test_years_generates_the_last_year_and_copies_it_back(app, session, database_url, capsys):
    main(["--database-url", database_url, "--stores", "1", "--years", "2", "--keep", "--now", NOW])
    made = json.loads(capsys.readouterr().out)
    instant = datetime.fromisoformat(NOW)
    assert (made["days"], made["generated_days"], made["copied_years"]) == (728, 364, 1)
    session.expire_all()
    first = session.scalar(select(func.min(BusinessEvent.occurred_at)))
    assert timedelta(days=720) < instant - first <= timedelta(days=728)
    months = session.scalar(select(func.count(func.distinct(Deliverable.due_month))))
    assert months >= 24
    assert made["deliverables"] == session.scalar(select(func.count(Deliverable.id))) > 7000
    # A copy is the same life 52 weeks earlier: same weekday and hour, its own deal reference.
    copied = session.scalars(
        select(Deliverable).where(Deliverable.dedupe_key.like("e:%:y1")).limit(50)
    ).all()
    assert copied
    for d in copied:
        original = session.scalar(
            select(Deliverable).where(Deliverable.dedupe_key == d.dedupe_key.removesuffix(":y1"))
        )
        assert original.due_at - d.due_at == timedelta(weeks=52)
        assert d.due_month == d.due_at.astimezone(d.store.zone).strftime("%Y-%m")
        assert d.reference != original.reference and d.event.reference == d.reference
        assert [s.submitted_at for s in original.submissions] == [
            s.submitted_at + timedelta(weeks=52) for s in d.submissions
        ]
    # The scorecard reads the copied months like any other.
    rows = scorecard(session, month="2025-06", now=instant)
    due = session.scalar(select(func.count()).where(Deliverable.due_month == "2025-06"))
    assert sum(r.due for r in rows) == due > 0


def test_one_year_stays_the_default():
    assert history_days(datetime.fromisoformat(NOW), 1) == 365
