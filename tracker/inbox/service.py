"""What the receiving inbox shows: handed in to us and waiting for a decision, still owed to us,
and the commitments we may ask for. The decisions themselves are the ledger's
(`tracker.ledger.service.accept`, `return_deliverable`, `waive`, `raise_request`)."""

from dataclasses import dataclass
from math import ceil

from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload, selectinload

from tracker.catalog.models import Commitment
from tracker.ledger.models import OPEN_STATUSES, Deliverable, Submission
from tracker.org.models import Person

CARDS_PER_PAGE = 20  # handed in: a card each, with its accept and return forms
ROWS_PER_PAGE = 100  # still owed: a table row each


@dataclass(frozen=True)
class Part:
    """One part of the inbox: the rows of one page, and how many there are in all."""

    rows: list[Deliverable]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, ceil(self.total / self.per_page))

    @property
    def first(self) -> int:
        """The position of the page's first row (1-based), for "21-40 of 695"."""
        return (self.page - 1) * self.per_page + 1 if self.rows else 0

    @property
    def last(self) -> int:
        return self.first + len(self.rows) - 1 if self.rows else 0


@dataclass(frozen=True)
class Inbox:
    """The two parts of the inbox: to check, by hand-in time; still owed, by due time."""

    submitted: Part
    owed: Part


def inbox(
    session: Session, person: Person, *, submitted_page: int = 1, owed_page: int = 1
) -> Inbox:
    """The person's department's inbox in their store, a page of each part: four queries,
    however many rows. A page past the end shows the last one."""
    d = Deliverable
    ours = (d.store_id == person.store_id, d.receiver_id == person.department_id)
    submitted = _part(
        session,
        select(d)
        .where(*ours, d.status == "submitted")
        .options(
            selectinload(d.submissions).joinedload(Submission.submitted_by),
            joinedload(d.event),
        )
        .order_by(d.last_submitted_at, d.id),
        submitted_page,
        CARDS_PER_PAGE,
    )
    owed = _part(
        session,
        select(d)
        .where(*ours, d.status.in_(OPEN_STATUSES))
        .options(joinedload(d.event))
        .order_by(d.due_at, d.id),
        owed_page,
        ROWS_PER_PAGE,
    )
    return Inbox(submitted=submitted, owed=owed)


def _part(session: Session, query, page: int, per_page: int) -> Part:
    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    page = min(max(1, page), max(1, ceil(total / per_page)))
    rows = session.scalars(query.limit(per_page).offset((page - 1) * per_page)).unique()
    return Part(rows=list(rows), total=total, page=page, per_page=per_page)


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
