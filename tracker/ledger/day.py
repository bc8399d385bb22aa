"""The clerk's day: what the person's department owes that is overdue, due today and due this
week, what came back to the person (with the reason), and what they handed in lately.

Days are calendar days in the person's store's zone; "this week" runs from tomorrow to Sunday.
Each list is one query of at most SHOWN rows plus its total, so the page costs the same whatever
the department owes."""

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased, joinedload

from tracker.ledger.models import OPEN_STATUSES, Deliverable, Submission
from tracker.org.models import Person

SHOWN = 10


@dataclass(frozen=True)
class Part:
    """Up to SHOWN deliverables of one list, and how many there are."""

    items: list[Deliverable]
    total: int


@dataclass(frozen=True)
class ClerkDay:
    overdue: Part
    due_today: Part
    due_week: Part
    returned: list[Submission]  # the person's submissions sent back and not handed in again
    recent: list[Submission]  # the person's latest submissions, whatever became of them


def _midnight(day, zone) -> datetime:
    return datetime.combine(day, time(0), tzinfo=zone)


def _part(session: Session, where: list, order) -> Part:
    items = session.scalars(
        select(Deliverable).where(*where).order_by(order, Deliverable.id).limit(SHOWN)
    ).all()
    total = session.scalar(select(func.count()).select_from(Deliverable).where(*where))
    return Part(list(items), total or 0)


def clerk_day(session: Session, person: Person, now: datetime) -> ClerkDay:
    """The person's day, as their start page shows it."""
    zone = person.store.zone
    today = now.astimezone(zone).date()
    tomorrow = _midnight(today + timedelta(days=1), zone)
    monday = _midnight(today + timedelta(days=7 - today.weekday()), zone)
    owed = [
        Deliverable.store_id == person.store_id,
        Deliverable.provider_id == person.department_id,
        Deliverable.status.in_(OPEN_STATUSES),
    ]
    mine = select(Submission).where(Submission.submitted_by_id == person.id)
    later = aliased(Submission)
    latest = (
        select(func.max(later.seq))
        .where(later.deliverable_id == Submission.deliverable_id)
        .correlate(Submission)
        .scalar_subquery()
    )
    returned = session.scalars(
        mine.join(Deliverable, Deliverable.id == Submission.deliverable_id)
        .where(
            Submission.outcome == "returned",
            Deliverable.status == "returned",
            Submission.seq == latest,
        )
        .options(joinedload(Submission.deliverable))
        .order_by(Submission.decided_at.desc(), Submission.id.desc())
        .limit(SHOWN)
    ).all()
    recent = session.scalars(
        mine.options(joinedload(Submission.deliverable))
        .order_by(Submission.submitted_at.desc(), Submission.id.desc())
        .limit(SHOWN)
    ).all()
    return ClerkDay(
        overdue=_part(
            session,
            [*owed, Deliverable.due_at < now, Deliverable.held_since.is_(None)],
            Deliverable.due_at,
        ),
        due_today=_part(
            session,
            [*owed, Deliverable.due_at >= now, Deliverable.due_at < tomorrow],
            Deliverable.due_at,
        ),
        due_week=_part(
            session,
            [*owed, Deliverable.due_at >= tomorrow, Deliverable.due_at < monday],
            Deliverable.due_at,
        ),
        returned=list(returned),
        recent=list(recent),
    )
