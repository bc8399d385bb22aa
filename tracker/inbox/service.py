"""What the receiving inbox shows: handed in to us and waiting for a decision, still owed to us,
and the commitments we may ask for. The decisions themselves are the ledger's
(`tracker.ledger.service.accept`, `return_deliverable`, `waive`, `raise_request`)."""

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload, selectinload

from tracker.catalog.models import Commitment
from tracker.ledger.models import OPEN_STATUSES, Deliverable, Submission
from tracker.org.models import Person

PAGE_LIMIT = 500  # rows in each part of the inbox


@dataclass(frozen=True)
class Inbox:
    """The two parts of the inbox: to check, by hand-in time; still owed, by due time."""

    submitted: list[Deliverable]
    owed: list[Deliverable]


def inbox(session: Session, person: Person) -> Inbox:
    """The person's department's inbox in their store; two queries, however many rows."""
    d = Deliverable
    ours = (d.store_id == person.store_id, d.receiver_id == person.department_id)
    submitted = session.scalars(
        select(d)
        .where(*ours, d.status == "submitted")
        .options(
            selectinload(d.submissions).joinedload(Submission.submitted_by),
            joinedload(d.event),
        )
        .order_by(d.last_submitted_at, d.id)
        .limit(PAGE_LIMIT)
    ).unique()
    owed = session.scalars(
        select(d)
        .where(*ours, d.status.in_(OPEN_STATUSES))
        .options(joinedload(d.event))
        .order_by(d.due_at, d.id)
        .limit(PAGE_LIMIT)
    ).unique()
    return Inbox(submitted=list(submitted), owed=list(owed))


def requestable(session: Session, person: Person) -> dict[str, Commitment]:
    """The live commitments raised on request that the person's department receives, by id
    (as the form's choices name them)."""
    commitments = session.scalars(
        select(Commitment)
        .where(
            Commitment.kind == "request",
            Commitment.receiver_id == person.department_id,
            Commitment.retired_at.is_(None),
        )
        .order_by(Commitment.id)
    )
    return {str(c.id): c for c in commitments}
