"""The receiving side's turnaround: each submission should be decided (accepted or returned)
by its decision time, by default the end of the next working day after it was handed in (the
store's calendar). A commitment version may set another number of working days in its
reminder policy (`decide_within_working_days`), and after how many working days past it the
receiving head is told (`decide_escalate_after_working_days`, default 1).

When it is decided, the submission keeps the month of the decision (store's zone) and the
working time it waited (`decision_working_seconds`), which the scorecards count."""

from datetime import datetime

from sqlalchemy.orm import Session

from tracker.calendar.service import store_calendar
from tracker.calendar.worktime import end_of_working_day_after, working_seconds
from tracker.ledger.models import Deliverable, Submission

DECIDE_DEFAULTS = {"decide_within_working_days": 1, "decide_escalate_after_working_days": 1}


def decision_policy(version) -> dict:
    """The version's decision settings, defaults filled in."""
    policy = dict(DECIDE_DEFAULTS)
    for key in DECIDE_DEFAULTS:
        value = (version.reminder_policy or {}).get(key)
        if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
            policy[key] = value
    return policy


def decide_by(session: Session, deliverable: Deliverable, submitted_at: datetime) -> datetime:
    """When a submission handed in at `submitted_at` should be decided."""
    store = deliverable.store
    return decide_by_in(deliverable.version, store, store_calendar(session, store), submitted_at)


def decide_by_in(version, store, calendar, submitted_at: datetime) -> datetime:
    """`decide_by` for a commitment version in a store whose calendar is at hand (the bulk
    recording of events computes it once per version)."""
    days = max(1, decision_policy(version)["decide_within_working_days"])
    return end_of_working_day_after(submitted_at, days, store, calendar)


def record_decision(
    session: Session, deliverable: Deliverable, submission: Submission, now: datetime
) -> None:
    """Keep the decision's month and the working time the submission waited for it."""
    store = deliverable.store
    submission.decided_month = now.astimezone(store.zone).strftime("%Y-%m")
    submission.decision_working_seconds = working_seconds(
        submission.submitted_at, now, store, store_calendar(session, store)
    )
