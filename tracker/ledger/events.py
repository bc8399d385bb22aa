"""Business events put right: a second recording of the same deal noticed, a wrong event
corrected or cancelled. Plain functions that take the session and `now`, like the service's;
the caller owns the transaction.

- **Duplicates.** `similar_events` finds the store's events of the same type and reference (any
  case), so a page or a command can show them and ask before recording another.
- **Correction.** `correct_event` changes the time, reference, customer, VIN or amount. The open
  deliverables (open or returned) take the due times the new time gives them; those handed in or
  decided keep theirs, since their clock has stopped. The references and amounts of every
  deliverable not decided yet follow the event. The audit trail keeps both values of each field
  (entity "event") and both due times of each deliverable re-dated (entity "deliverable").
- **Cancellation.** `cancel_event` marks the event cancelled, with a reason; its open
  deliverables are waived with that reason, and what was already handed in stays for the
  receiving department to decide.

Who may: the head of the recorder's department, the receiving department of what the event
created, or an administrator, in the event's store (`permissions.may_amend_event`)."""

from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload

from tracker.calendar.deadlines import due_after
from tracker.calendar.service import store_calendar
from tracker.errors import N_, BadInput, Conflict, NotFound
from tracker.ledger import holds, permissions
from tracker.ledger.models import (
    FINAL_STATUSES,
    LIVE_STATUSES,
    OPEN_STATUSES,
    AuditEntry,
    BusinessEvent,
    Deliverable,
    Waiver,
)
from tracker.ledger.service import NewEvent, _audit, event_fields, record_event, record_events
from tracker.ledger.signals import deliverable_decided
from tracker.org.models import Person, Store
from tracker.reminders import notices

FIELDS = ("occurred_at", "reference", "customer", "vin", "amount")


@dataclass(frozen=True)
class Redated:
    """A deliverable whose due time a correction moved."""

    deliverable: Deliverable
    before: datetime
    after: datetime


@dataclass(frozen=True)
class Cancelled:
    """What cancelling an event did to its deliverables."""

    waived: list[Deliverable]
    to_decide: list[Deliverable]  # handed in already: the receiving department decides


def similar_events(
    session: Session, store_id: int, type_: str, reference: str
) -> list[BusinessEvent]:
    """The store's events (not cancelled) of this type and reference, any case, oldest first."""
    reference = (reference or "").strip().lower()
    if not reference:
        return []
    return list(
        session.scalars(
            select(BusinessEvent)
            .where(
                BusinessEvent.store_id == store_id,
                BusinessEvent.type == type_,
                func.lower(BusinessEvent.reference) == reference,
                BusinessEvent.cancelled_at.is_(None),
            )
            .order_by(BusinessEvent.occurred_at, BusinessEvent.id)
        )
    )


def get_event(session: Session, event_id: int) -> BusinessEvent:
    """The event with this id, or NotFound."""
    event = session.get(BusinessEvent, event_id)
    if event is None:
        raise NotFound(N_("no event %(id)s"), id=event_id)
    return event


def refuse_similar(session: Session, new: NewEvent) -> None:
    """Refuse an event the store already has (same type and reference), naming it."""
    existing = similar_events(session, new.store.id, new.type, new.reference)
    if existing:
        raise Conflict(
            N_(
                "event %(id)s of this type and reference is already recorded in %(store)s; "
                "record it again only if it is another event"
            ),
            id=existing[0].id,
            store=new.store.code,
        )


def external_event(
    session: Session, store_id: int, source: str, external_id: str
) -> BusinessEvent | None:
    """The event another system already sent with this id, if any."""
    return session.scalar(
        select(BusinessEvent).where(
            BusinessEvent.store_id == store_id,
            BusinessEvent.source == source,
            BusinessEvent.external_id == external_id,
        )
    )


def record_external(
    session: Session, new: NewEvent, *, by: Person | None, now: datetime
) -> tuple[BusinessEvent, list[Deliverable], bool]:
    """Record an event another system sent (`new.source`, `new.external_id`), once: the same id
    again gives the first event and its deliverables, and creates nothing (False). Two at once
    are told apart by the unique index: the one that loses finds the winner's event."""
    if not (new.source and new.external_id):
        raise BadInput(N_("an event sent by another system needs both its source and its id"))
    _hold_store(session, new.store.id)
    found = external_event(session, new.store.id, new.source.strip(), new.external_id.strip())
    if found is not None:
        return found, deliverables_of(session, found), False
    try:
        with session.begin_nested():
            event, created = record_event(session, new, by=by, now=now)
    except IntegrityError:
        found = external_event(session, new.store.id, new.source.strip(), new.external_id.strip())
        if found is None:
            raise
        return found, deliverables_of(session, found), False
    return event, created, True


def external_ids(session: Session, store_id: int, source: str, ids: list[str]) -> set[str]:
    """Which of these ids the source has already sent to the store (one query per 500 ids)."""
    return {external_id for _source, external_id in _recorded(session, store_id, ids, source)}


def _recorded(
    session: Session, store_id: int, ids: list[str], source: str | None = None
) -> dict[tuple[str, str], int]:
    """The store's events sent with these ids (by this source, or by any): each one's id by
    (source, external id). One query per 500 ids."""
    ids = sorted(set(ids))
    found: dict[tuple[str, str], int] = {}
    with _planned_for_values(session):
        for start in range(0, len(ids), 500):  # within every database's limit of parameters
            query = select(BusinessEvent.source, BusinessEvent.external_id, BusinessEvent.id).where(
                BusinessEvent.store_id == store_id,
                BusinessEvent.external_id.in_(ids[start : start + 500]),
            )
            if source is not None:
                query = query.where(BusinessEvent.source == source)
            found.update(((s, e), event_id) for s, e, event_id in session.execute(query))
    return found


@contextmanager
def _planned_for_values(session: Session):
    """On PostgreSQL, the statements inside planned for their values. psycopg prepares a
    statement run five times, and PostgreSQL's generic plan for `external_id IN (500
    parameters)` then compares every id of the store with each parameter in turn: 0.5 s a
    query at 10,000 events, against 4 ms when planned for the values (the list is hashed).
    Set for the transaction (SET LOCAL), and put back after; a rollback undoes it anyway."""
    if session.get_bind().dialect.name != "postgresql":
        yield
        return
    before = session.scalar(select(func.current_setting("plan_cache_mode")))
    session.execute(select(func.set_config("plan_cache_mode", "force_custom_plan", True)))
    yield
    session.execute(select(func.set_config("plan_cache_mode", before, True)))


def hold_store(session: Session, store_id: int) -> None:
    """Hold the store against other senders of external events until the transaction ends."""
    _hold_store(session, store_id)


@dataclass(frozen=True)
class External:
    """What `record_external_many` did with one event another system sent."""

    event_id: int
    created: bool  # False: recorded before (or earlier in the same batch)
    deliverable_ids: tuple[int, ...] = ()  # those it created now


def record_external_many(
    session: Session, store: Store, news: list[NewEvent], *, by: Person | None, now: datetime
) -> list[External]:
    """`record_external` for a whole file of one store's events, in bulk: the store held once,
    the ids already recorded looked up at once, the new events written by the ledger's bulk
    path (`service.record_events`). The same id twice in the batch is recorded once. Every
    other sender of external events holds the same store lock, so no other import or API call
    can slip the same id in between look-up and insert; the unique index stays the backstop."""
    for new in news:
        if not (new.source and new.external_id) or new.store.id != store.id:
            raise BadInput(N_("an event sent by another system needs both its source and its id"))
    _hold_store(session, store.id)
    keys = [(n.source.strip(), n.external_id.strip()) for n in news]
    known = _recorded(session, store.id, [external_id for _source, external_id in keys])
    fresh: dict[tuple[str, str], NewEvent] = {}
    for key, new in zip(keys, news, strict=True):
        if key not in known:
            fresh.setdefault(key, new)
    recorded = record_events(session, store, list(fresh.values()), by=by, now=now)
    made = dict(zip(fresh, recorded, strict=True))
    results = []
    for key in keys:
        if key in made:
            first = made.pop(key)  # the first row of this id created it; the rest are "already"
            results.append(External(first.event_id, True, first.deliverable_ids))
            known[key] = first.event_id
        else:
            results.append(External(known[key], False))
    return results


def _hold_store(session: Session, store_id: int) -> None:
    """Serialize the look-up and the insert of external events per store, until the transaction
    ends: the store's row locked (PostgreSQL), or the write lock taken before any read (SQLite,
    where a reading transaction that then writes could only fail with "database is locked")."""
    if session.get_bind().dialect.name == "sqlite":
        session.execute(update(Store).where(Store.id == store_id).values(code=Store.code))
    else:
        session.execute(select(Store.id).where(Store.id == store_id).with_for_update())


def record_new(
    session: Session, new: NewEvent, *, by: Person | None, now: datetime, again: bool = False
) -> tuple[BusinessEvent | None, list[BusinessEvent]]:
    """Record the event, unless the store has one of the same type and reference and `again`
    is not said: then nothing is recorded, and those found are returned to be shown."""
    existing = [] if again else similar_events(session, new.store.id, new.type, new.reference)
    if existing:
        return None, existing
    event, _created = record_event(session, new, by=by, now=now)
    return event, []


def deliverables_of(session: Session, event: BusinessEvent) -> list[Deliverable]:
    """The deliverables the event created, by due time."""
    return list(
        session.scalars(
            select(Deliverable)
            .where(Deliverable.event_id == event.id)
            .order_by(Deliverable.due_at, Deliverable.id)
        )
    )


def receivers(session: Session, event: BusinessEvent) -> set[int]:
    """The receiving departments of what the event created."""
    return set(
        session.scalars(
            select(Deliverable.receiver_id).where(Deliverable.event_id == event.id).distinct()
        )
    )


def may_amend(session: Session, person: Person, event: BusinessEvent) -> bool:
    """Whether this person may correct or cancel the event (for pages offering the buttons)."""
    return permissions.may_amend_event(person, event, receivers(session, event))


def _require_amendable(session: Session, person: Person, event: BusinessEvent) -> None:
    permissions.require_event_amender(person, event, receivers(session, event))
    if event.cancelled:
        raise Conflict(N_("event %(id)s was cancelled: it can no longer be changed"), id=event.id)


def _audit_event(session, now, by, event, action, **detail) -> None:
    session.add(
        AuditEntry(
            at=now,
            actor_id=by.id,
            store_id=event.store_id,
            entity="event",
            entity_id=event.id,
            action=action,
            detail=detail or None,
        )
    )


def _plain(value) -> object:
    """A value as the audit trail's JSON keeps it."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    return None if value is None else str(value)


def correct_event(
    session: Session, event: BusinessEvent, corrected: NewEvent, *, by: Person, now: datetime
) -> list[Redated]:
    """Put the event's time, reference, customer, VIN or amount right (its type stays: a
    different kind of event is another event). Returns the deliverables re-dated."""
    _require_amendable(session, by, event)
    if corrected.type != event.type:
        raise BadInput(
            N_("an event's type cannot be corrected: cancel it and record the right one")
        )
    fields = event_fields(session, corrected, now)
    changes = {f: (getattr(event, f), fields[f]) for f in FIELDS if getattr(event, f) != fields[f]}
    if not changes:
        raise BadInput(N_("nothing to correct: every value is as recorded"))
    for name, (_before, after) in changes.items():
        setattr(event, name, after)
    _audit_event(
        session,
        now,
        by,
        event,
        "corrected",
        **{name: [_plain(a), _plain(b)] for name, (a, b) in changes.items()},
    )
    redated = []
    calendar = store_calendar(session, event.store)
    for d in deliverables_of(session, event):
        if d.status not in LIVE_STATUSES:
            continue  # decided: its figures are history
        values = {"reference": event.reference, "amount": event.amount}
        if "occurred_at" in changes and d.status in OPEN_STATUSES:
            rule = d.version.rule(d.commitment.kind)
            due = due_after(rule, event.occurred_at, event.store.zone, calendar)
            if due != d.due_at:
                local = due.astimezone(event.store.zone)
                values |= {"due_at": due, "due_month": local.strftime("%Y-%m")}
                redated.append(Redated(d, d.due_at, due))
        _update(session, d, OPEN_STATUSES if "due_at" in values else LIVE_STATUSES, values)
    for r in redated:
        status = r.deliverable.status
        _audit(
            session,
            now,
            by,
            r.deliverable,
            "redated",
            status,
            status,
            before=_plain(r.before),
            after=_plain(r.after),
            event_id=event.id,
        )
    return redated


def _update(session: Session, d: Deliverable, statuses: tuple[str, ...], values: dict) -> None:
    """Change a deliverable the event's correction reaches, if it is still as it was seen."""
    result = session.execute(
        update(Deliverable)
        .where(Deliverable.id == d.id, Deliverable.status.in_(statuses))
        .values(**values, state_version=Deliverable.state_version + 1)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise Conflict(
            N_(
                "deliverable %(id)s was changed by someone else a moment ago; "
                "nothing was done: reload the event to see where it stands"
            ),
            id=d.id,
        )
    session.expire(d, ["state_version", *values])


def cancel_event(
    session: Session, event: BusinessEvent, *, by: Person, now: datetime, reason: str
) -> Cancelled:
    """Cancel a wrongly recorded event: its open deliverables are waived with the reason, and
    those already handed in stay for the receiving department to decide."""
    _require_amendable(session, by, event)
    reason = (reason or "").strip()
    if not reason:
        raise BadInput(N_("a cancellation needs a reason"))
    event.cancelled_at = now
    event.cancel_reason = reason
    _audit_event(session, now, by, event, "cancelled", reason=reason)
    waived, to_decide = [], []
    for d in deliverables_of(session, event):
        if d.status in OPEN_STATUSES:
            _waive(session, d, by=by, now=now, reason=reason, event=event)
            waived.append(d)
        elif d.status not in FINAL_STATUSES:
            to_decide.append(d)
    return Cancelled(waived=waived, to_decide=to_decide)


def _waive(session, d: Deliverable, *, by: Person, now: datetime, reason: str, event) -> None:
    """As the receiving side's waiver, done by the event's cancellation."""
    holds.end_before(session, d, by=by, now=now, why="waived")
    before = d.status
    _update(session, d, OPEN_STATUSES, {"status": "waived"})
    deliverable_decided.send(session, deliverable_id=d.id, status="waived")
    session.add(Waiver(deliverable_id=d.id, reason=reason, waived_by_id=by.id, waived_at=now))
    session.flush()
    _audit(session, now, by, d, "waived", before, "waived", reason=reason, event_id=event.id)
    notices.notify(session, "waived", d, by=by, now=now, reason=reason)


def event_history(session: Session, event: BusinessEvent) -> list[AuditEntry]:
    """The event's corrections and its cancellation, in the order they happened."""
    return list(
        session.scalars(
            select(AuditEntry)
            .where(AuditEntry.entity == "event", AuditEntry.entity_id == event.id)
            .options(joinedload(AuditEntry.actor))
            .order_by(AuditEntry.id)
        )
    )
