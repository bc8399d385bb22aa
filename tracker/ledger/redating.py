"""Open deliverables re-dated after their store's working calendar changed (an official
calendar imported, an override added or removed). Plain functions taking the session and
`now`; the caller owns the transaction.

A deliverable's due time is fixed when it is created, from the calendar of that moment. When
the calendar changes, `redate_plan` recomputes the due times of the store's open deliverables
(open or returned) from their origin, as they were created:

- event-triggered ones (and checklist points) from their event's time (`due_after`);
- recurring ones from their occurrence (`occurrence_due`; one the calendar now skips stays);
- requests are left alone: their due time is the one the requester set or accepted, not one
  the calendar gives.

Those handed in or decided keep theirs: their clock has stopped. `redate` moves them as the
event correction does (`tracker.ledger.events`): a conditional UPDATE, `state_version`+1, the
month of the due day, and an audit entry "redated" with both due times. Reminders read
`due_at`, so they follow."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from tracker.calendar.deadlines import due_after, occurrence_due
from tracker.calendar.service import store_calendar
from tracker.ledger.events import Redated, _plain, _update
from tracker.ledger.models import OPEN_STATUSES, Deliverable
from tracker.ledger.service import _audit
from tracker.org.models import Person, Store


@dataclass(frozen=True)
class RedatePlan:
    """A store's open deliverables whose due times its calendar now gives differently."""

    store: Store
    items: list[Redated]


def redate_plan(session: Session, store: Store) -> RedatePlan:
    """The store's open deliverables the current calendar re-dates, old due time beside new,
    by old due time (a query for the deliverables, whatever their number)."""
    calendar = store_calendar(session, store)
    items = []
    rows = session.scalars(
        select(Deliverable)
        .where(Deliverable.store_id == store.id, Deliverable.status.in_(OPEN_STATUSES))
        .options(joinedload(Deliverable.event))
        .order_by(Deliverable.due_at, Deliverable.id)
    )
    for d in rows:
        kind = d.commitment.kind
        rule = d.version.rule(kind)
        if d.event is not None:
            due = due_after(rule, d.event.occurred_at, store.zone, calendar)
        elif kind == "recurring" and d.occurrence_date is not None:
            due = occurrence_due(rule, d.occurrence_date, store.zone, calendar)
        else:
            continue  # a request: its due time is the requester's
        if due is not None and due != d.due_at:
            items.append(Redated(d, d.due_at, due))
    return RedatePlan(store, items)


def redate(session: Session, store: Store, *, by: Person | None, now: datetime) -> RedatePlan:
    """Move the due times `redate_plan` finds, audited; all or nothing (a Conflict when one
    was decided a moment ago)."""
    plan = redate_plan(session, store)
    for r in plan.items:
        d = r.deliverable
        local_month = r.after.astimezone(store.zone).strftime("%Y-%m")
        _update(session, d, OPEN_STATUSES, {"due_at": r.after, "due_month": local_month})
        _audit(
            session,
            now,
            by,
            d,
            "redated",
            d.status,
            d.status,
            before=_plain(r.before),
            after=_plain(r.after),
            calendar=True,
        )
    return plan
