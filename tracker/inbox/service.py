"""What the receiving inbox shows: handed in to us and waiting for a decision, still owed to us,
and the commitments we may ask for; filtered, sorted and paged. The decisions themselves are the
ledger's (`tracker.ledger.service.accept`, `return_deliverable`, `waive`, `raise_request`); a
batch decision calls them once per item, in one transaction.

The same filters serve the "now" cockpit (`tracker.cockpit`): its numbers count exactly what
`conditions` selects, so the list behind each number is this one."""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import and_, case, false, func, or_, select
from sqlalchemy.orm import Session, joinedload, selectinload

from tracker.catalog.models import Commitment
from tracker.errors import N_, NotFound, TrackerError
from tracker.ledger import service as ledger
from tracker.ledger.models import (
    LIVE_STATUSES,
    OPEN_STATUSES,
    BusinessEvent,
    Deliverable,
    Submission,
)
from tracker.org.models import Department, Person, Store
from tracker.paging import Page, page_of

CARDS_PER_PAGE = 20  # handed in: a card each, with its accept and return forms
ROWS_PER_PAGE = 100  # still owed: a table row each
# The status filter: what each choice keeps of the deliverables not decided yet.
STATUS_SETS = {
    "": LIVE_STATUSES,
    "submitted": ("submitted",),
    "owed": OPEN_STATUSES,
    "open": ("open",),
    "returned": ("returned",),
}
SORTS = ("age", "due", "department")


@dataclass(frozen=True)
class Filters:
    """What a person narrowed the list to. Dates are days in the store's zone, both included;
    age is whole days overdue (still owed) or waiting since the hand-in (submitted)."""

    provider_id: int | None = None
    commitment_id: int | None = None
    status: str = ""
    due_from: date | None = None
    due_to: date | None = None
    age_min: int | None = None
    age_max: int | None = None
    text: str | None = None
    sort: str = "age"
    due: str = ""  # "today" or "week" (today to Sunday), each store in its own zone


@dataclass(frozen=True)
class Where:
    """Whose list: some stores (all of them for a lead), and the receiving or the providing
    department (None: every department)."""

    stores: list[Store]
    every_store: bool = False
    receiver_id: int | None = None
    provider_id: int | None = None
    zones: dict = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        for store in self.stores:
            self.zones.setdefault(store.timezone, []).append(store.id)


def received_by(person: Person) -> Where:
    """The inbox's own scope: the person's department as receiver, in their store."""
    return Where([person.store], receiver_id=person.department_id)


def local_days(zones: dict[str, list[int]], first: date | None, last: date | None):
    """Due on one of the days `first`..`last` (either open) in each store's own zone (`zones`:
    the store ids by zone name)."""
    d = Deliverable
    parts = []
    for zone_name, ids in zones.items():
        zone = ZoneInfo(zone_name)
        bounds = [d.store_id.in_(ids)] if len(zones) > 1 else []
        if first is not None:
            bounds.append(d.due_at >= datetime.combine(first, time(0), zone))
        if last is not None:
            bounds.append(d.due_at < datetime.combine(last + timedelta(days=1), time(0), zone))
        parts.append(and_(*bounds))
    return or_(*parts) if parts else false()


DUE_WITHIN = ("today", "week")


def due_within(where: Where, within: str, now: datetime):
    """Due today, or from today to Sunday (calendar days), in each store's own zone."""
    d = Deliverable
    parts = []
    for zone_name, ids in where.zones.items():
        today = now.astimezone(ZoneInfo(zone_name)).date()
        last = today if within == "today" else today + timedelta(days=6 - today.weekday())
        parts.append(
            and_(
                *([d.store_id.in_(ids)] if len(where.zones) > 1 else []),
                local_days({zone_name: ids}, today, last),
            )
        )
    return or_(*parts) if parts else false()


def aged(now: datetime, least: int | None, most: int | None):
    """Overdue (still owed) or waiting (submitted) for `least`..`most` whole days, as the
    scorecards' age bands count them."""
    d = Deliverable
    since = case((d.status == "submitted", d.last_submitted_at), else_=d.due_at)
    # Handed in this very second waits 0 days; due this very second is not overdue yet.
    condition = [
        since <= now - timedelta(days=least or 0),
        (d.status == "submitted") | (since < now),
    ]
    if most is not None:
        condition.append(since > now - timedelta(days=most + 1))
    return and_(*condition)


def conditions(where: Where, filters: Filters, now: datetime) -> list:
    """The WHERE of a list: the scope, then each filter given (the status is the caller's)."""
    d = Deliverable
    found = []
    if not where.every_store:
        ids = [s.id for s in where.stores]
        found.append(d.store_id == ids[0] if len(ids) == 1 else d.store_id.in_(ids))
    if where.receiver_id is not None:
        found.append(d.receiver_id == where.receiver_id)
    if where.provider_id is not None:
        found.append(d.provider_id == where.provider_id)
    if filters.provider_id is not None:
        found.append(d.provider_id == filters.provider_id)
    if filters.commitment_id is not None:
        found.append(d.commitment_id == filters.commitment_id)
    if filters.due_from is not None or filters.due_to is not None:
        found.append(local_days(where.zones, filters.due_from, filters.due_to))
    if filters.due in DUE_WITHIN:
        found.append(due_within(where, filters.due, now))
    if filters.age_min is not None or filters.age_max is not None:
        found.append(aged(now, filters.age_min, filters.age_max))
    text = (filters.text or "").strip().lower()
    if text:
        pattern = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        e = BusinessEvent
        found.append(
            or_(
                func.lower(d.reference).like(pattern, escape="\\"),
                d.event.has(
                    or_(
                        func.lower(e.customer).like(pattern, escape="\\"),
                        func.lower(e.vin).like(pattern, escape="\\"),
                    )
                ),
            )
        )
    return found


def selected(where: Where, filters: Filters, now: datetime):
    """The whole WHERE of a list of deliverables not decided yet (`listing`): the cockpit
    counts each of its numbers with exactly this condition."""
    d = Deliverable
    chosen = d.status.in_(statuses(filters, LIVE_STATUSES))
    return and_(*conditions(where, filters, now), chosen)


def statuses(filters: Filters, within: tuple[str, ...]) -> list[str]:
    """The statuses a part of the list keeps: its own, narrowed by the status filter."""
    return [s for s in within if s in STATUS_SETS.get(filters.status, LIVE_STATUSES)]


def _order(sort: str, *, submitted: bool):
    d = Deliverable
    if sort == "department":
        code = select(Department.code).where(Department.id == d.provider_id).scalar_subquery()
        return code, d.due_at, d.id
    if sort == "age" and submitted:
        return d.last_submitted_at, d.id  # waiting longest first
    return d.due_at, d.id  # still owed: overdue longest first


# One part of the inbox: the rows of one page, and how many there are in all.
Part = Page


@dataclass(frozen=True)
class Inbox:
    """The two parts of the inbox: to check, by hand-in time; still owed, by due time."""

    submitted: Part
    owed: Part


def inbox(
    session: Session,
    person: Person,
    *,
    now: datetime,
    filters: Filters | None = None,
    submitted_page: int = 1,
    owed_page: int = 1,
) -> Inbox:
    """The person's department's inbox in their store, a page of each part: four queries,
    however many rows. A page past the end shows the last one."""
    filters = filters or Filters()
    d = Deliverable
    where = conditions(received_by(person), filters, now)
    submitted = page_of(
        session,
        select(d)
        .where(*where, d.status.in_(statuses(filters, ("submitted",))))
        .options(
            selectinload(d.submissions).joinedload(Submission.submitted_by),
            joinedload(d.event),
        )
        .order_by(*_order(filters.sort, submitted=True)),
        submitted_page,
        CARDS_PER_PAGE,
    )
    owed = page_of(
        session,
        select(d)
        .where(*where, d.status.in_(statuses(filters, OPEN_STATUSES)))
        .options(joinedload(d.event))
        .order_by(*_order(filters.sort, submitted=False)),
        owed_page,
        ROWS_PER_PAGE,
    )
    return Inbox(submitted=submitted, owed=owed)


def listing(
    session: Session,
    where: Where,
    filters: Filters,
    *,
    now: datetime,
    page: int = 1,
    per_page: int = ROWS_PER_PAGE,
) -> Part:
    """Every deliverable not decided yet in a scope, filtered, one page of it (the cockpit's
    lists): two queries, however many rows."""
    d = Deliverable
    query = (
        select(d)
        .where(selected(where, filters, now))
        .options(joinedload(d.event))
        .order_by(*_order(filters.sort, submitted=filters.status == "submitted"))
    )
    return page_of(session, query, page, per_page)


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


def departments(session: Session, receiver_id: int | None = None) -> list[Department]:
    """The departments, by code (only those providing to `receiver_id`, if given)."""
    query = select(Department).order_by(Department.code)
    if receiver_id is not None:
        query = query.where(
            Department.id.in_(
                select(Commitment.provider_id).where(Commitment.receiver_id == receiver_id)
            )
        )
    return list(session.scalars(query))


def commitments(session: Session, receiver_id: int | None = None) -> list[Commitment]:
    """The commitments, by id (only those `receiver_id` receives, if given), for the filters."""
    query = select(Commitment).order_by(Commitment.id)
    if receiver_id is not None:
        query = query.where(Commitment.receiver_id == receiver_id)
    return list(session.scalars(query))


# --- batch decisions ---


@dataclass(frozen=True)
class Pick:
    """One item of a batch: its id, the state version the page showed, the points ticked."""

    deliverable_id: int
    version: int | None = None
    ticked: frozenset[int] = frozenset()


class BatchStopped(Exception):
    """One item could not be decided, so none was: which one, and why."""

    def __init__(self, deliverable: Deliverable | None, deliverable_id: int, error: TrackerError):
        self.deliverable, self.deliverable_id, self.error = deliverable, deliverable_id, error
        super().__init__(f"deliverable {deliverable_id}: {error.message}")


def decide_batch(
    session: Session,
    picks: list[Pick],
    *,
    action: str,
    by: Person,
    now: datetime,
    reason: str | None = None,
    note: str | None = None,
) -> list[Deliverable]:
    """Accept (each with its own checklist) or return (with one reason and note) several items
    through the ledger's own rules. All or nothing: the first item that cannot be decided
    raises BatchStopped, and the caller rolls back what the others did."""
    ids = [p.deliverable_id for p in picks]
    found = {
        d.id: d
        for d in session.scalars(
            select(Deliverable).where(Deliverable.id.in_(ids)).order_by(Deliverable.id)
        )
    }
    decided = []
    for pick in picks:
        d = found.get(pick.deliverable_id)
        try:
            if d is None or d.store_id != by.store_id:
                # Another store's item is as unknown to this person as one that does not exist.
                raise NotFound(N_("no deliverable %(id)s"), id=pick.deliverable_id)
            if action == "accept":
                points = len(d.version.checklist or [])
                ledger.accept(
                    session,
                    d,
                    by=by,
                    now=now,
                    checklist=[i in pick.ticked for i in range(points)],
                    expected_version=pick.version,
                )
            else:
                ledger.return_deliverable(
                    session,
                    d,
                    by=by,
                    now=now,
                    reason=reason or "",
                    note=note,
                    expected_version=pick.version,
                )
        except TrackerError as exc:
            raise BatchStopped(d, pick.deliverable_id, exc) from exc
        decided.append(d)
    return decided
