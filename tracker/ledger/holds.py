"""Holds: the provider asks to pause a deliverable while it waits on a third party (the
customer's signature, the bank, the insurer, or another reason with a note); the receiving
department approves or refuses. While an approved hold lasts (`Deliverable.held_since`), the
deliverable is not overdue and nobody is reminded of it. When it ends (released by either
side, or the deliverable handed in or waived), its due time moves later by the working time
the hold lasted (the store's working hours on its working days, `tracker.calendar.worktime`).

Every function takes the session and `now` and never commits; every step is audited."""

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session, joinedload

from tracker.calendar.service import store_calendar
from tracker.calendar.worktime import moved_by_working_time, working_seconds
from tracker.errors import N_, BadInput, Conflict, Word
from tracker.ledger import permissions
from tracker.ledger.models import (
    HOLD_REASONS,
    OPEN_STATUSES,
    AuditEntry,
    Deliverable,
    Hold,
)
from tracker.org.models import Person


def _audit(session, now, actor, deliverable, action, **detail) -> None:
    session.add(
        AuditEntry(
            at=now,
            actor_id=actor.id if actor else None,
            store_id=deliverable.store_id,
            entity="deliverable",
            entity_id=deliverable.id,
            action=action,
            from_status=deliverable.status,
            to_status=deliverable.status,
            detail={k: v for k, v in detail.items() if v is not None} or None,
        )
    )


def current_hold(session: Session, deliverable: Deliverable) -> Hold | None:
    """The deliverable's hold asked for or lasting (pending or active), if any."""
    return session.scalars(
        select(Hold)
        .where(Hold.deliverable_id == deliverable.id, Hold.status.in_(("pending", "active")))
        .order_by(Hold.id.desc())
        .limit(1)
    ).first()


def holds_of(session: Session, deliverable: Deliverable) -> list[Hold]:
    """Every hold of the deliverable, oldest first (for its page)."""
    return list(
        session.scalars(select(Hold).where(Hold.deliverable_id == deliverable.id).order_by(Hold.id))
    )


def _need(hold: Hold | None, status: str, deliverable: Deliverable) -> Hold:
    if hold is None or hold.status != status:
        message = {
            "pending": N_("deliverable %(id)s has no hold waiting for an answer"),
            "active": N_("deliverable %(id)s is not on hold"),
        }[status]
        raise BadInput(message, id=deliverable.id)
    return hold


def ask(
    session: Session,
    deliverable: Deliverable,
    *,
    by: Person,
    now: datetime,
    reason: str,
    note: str | None = None,
) -> Hold:
    """The provider asks to pause the deliverable, for one of HOLD_REASONS ("other" needs a
    note); the receiving department answers."""
    permissions.require_hold(by, deliverable, "ask")
    if reason not in HOLD_REASONS:
        raise BadInput(
            N_("a hold needs a reason, one of: %(reasons)s"), reasons=", ".join(HOLD_REASONS)
        )
    note = (note or "").strip() or None
    if reason == "other" and not note:
        raise BadInput(N_("say what it waits for: a note is required with the reason 'other'"))
    if deliverable.status not in OPEN_STATUSES:
        raise BadInput(
            N_("deliverable %(id)s is %(status)s: only an owed deliverable can be put on hold"),
            id=deliverable.id,
            status=Word(deliverable.status),
        )
    if current_hold(session, deliverable) is not None:
        raise Conflict(N_("deliverable %(id)s already has a hold"), id=deliverable.id)
    hold = Hold(
        deliverable_id=deliverable.id,
        store_id=deliverable.store_id,
        reason=reason,
        note=note,
        status="pending",
        requested_by_id=by.id,
        requested_at=now,
    )
    session.add(hold)
    session.flush()
    _audit(session, now, by, deliverable, "hold_requested", hold=hold.id, reason=reason, note=note)
    return hold


def approve(session: Session, deliverable: Deliverable, *, by: Person, now: datetime) -> Hold:
    """The receiving department approves the hold asked for: from now on the deliverable is
    paused (not overdue, nobody reminded)."""
    permissions.require_hold(by, deliverable, "answer")
    hold = _need(current_hold(session, deliverable), "pending", deliverable)
    if deliverable.status not in OPEN_STATUSES:
        raise BadInput(N_("deliverable %(id)s is no longer owed"), id=deliverable.id)
    changed = session.execute(
        update(Hold)
        .where(Hold.id == hold.id, Hold.status == "pending")
        .values(status="active", decided_by_id=by.id, decided_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if changed != 1:
        raise Conflict(N_("the hold was answered by someone else a moment ago"))
    session.execute(
        update(Deliverable)
        .where(Deliverable.id == deliverable.id)
        .values(held_since=now, state_version=Deliverable.state_version + 1)
        .execution_options(synchronize_session=False)
    )
    session.expire(hold)
    session.expire(deliverable, ["held_since", "state_version"])
    _audit(session, now, by, deliverable, "hold_approved", hold=hold.id, reason=hold.reason)
    return hold


def refuse(
    session: Session,
    deliverable: Deliverable,
    *,
    by: Person,
    now: datetime,
    note: str | None = None,
) -> Hold:
    """The receiving department refuses the hold asked for: the clock keeps running."""
    permissions.require_hold(by, deliverable, "answer")
    hold = _need(current_hold(session, deliverable), "pending", deliverable)
    hold.status, hold.decided_by_id, hold.decided_at = "refused", by.id, now
    session.flush()
    note = (note or "").strip() or None
    _audit(session, now, by, deliverable, "hold_refused", hold=hold.id, note=note)
    return hold


def release(session: Session, deliverable: Deliverable, *, by: Person, now: datetime) -> Hold:
    """End the hold: either side ends a lasting one (the due time moves later by the working
    time it lasted); the provider may also withdraw one not answered yet."""
    hold = current_hold(session, deliverable)
    if hold is not None and hold.status == "pending":
        permissions.require_hold(by, deliverable, "ask")
        hold.status, hold.ended_by_id, hold.ended_at = "withdrawn", by.id, now
        session.flush()
        _audit(session, now, by, deliverable, "hold_withdrawn", hold=hold.id)
        return hold
    permissions.require_hold(by, deliverable, "release")
    return _end(session, deliverable, _need(hold, "active", deliverable), by=by, now=now)


def _end(session: Session, deliverable: Deliverable, hold: Hold, *, by, now, why=None) -> Hold:
    store = deliverable.store
    calendar = store_calendar(session, store)
    seconds = working_seconds(hold.decided_at, now, store, calendar)
    before = deliverable.due_at
    after = moved_by_working_time(before, seconds, store, calendar)
    hold.status, hold.ended_by_id, hold.ended_at = "ended", by.id if by else None, now
    hold.working_seconds, hold.due_before, hold.due_after = seconds, before, after
    session.execute(
        update(Deliverable)
        .where(Deliverable.id == deliverable.id)
        .values(
            held_since=None,
            due_at=after,
            due_month=after.astimezone(store.zone).strftime("%Y-%m"),
            state_version=Deliverable.state_version + 1,
        )
        .execution_options(synchronize_session=False)
    )
    session.flush()
    session.expire(deliverable, ["held_since", "due_at", "due_month", "state_version"])
    _audit(
        session,
        now,
        by,
        deliverable,
        "hold_released",
        hold=hold.id,
        working_seconds=seconds,
        due_before=before.isoformat(),
        due_after=after.isoformat(),
        because=why,
    )
    return hold


def end_before(session: Session, deliverable: Deliverable, *, by, now, why: str) -> None:
    """Before a deliverable is handed in or waived: a lasting hold ends (its due time moved),
    a hold asked for and not answered is withdrawn. Nothing when it has none."""
    hold = current_hold(session, deliverable)
    if hold is None:
        return
    if hold.status == "active":
        _end(session, deliverable, hold, by=by, now=now, why=why)
    else:
        hold.status, hold.ended_by_id, hold.ended_at = "withdrawn", by.id if by else None, now
        session.flush()
        _audit(session, now, by, deliverable, "hold_withdrawn", hold=hold.id, because=why)


HOLDS_SHOWN = 100  # hold requests listed in the inbox, oldest first


def pending_for(session: Session, person: Person) -> list[Hold]:
    """The holds asked of this person's department in their store, waiting for an answer."""
    return list(
        session.scalars(
            select(Hold)
            .join(Deliverable, Deliverable.id == Hold.deliverable_id)
            .where(
                Hold.status == "pending",
                Hold.store_id == person.store_id,
                Deliverable.receiver_id == person.department_id,
            )
            .options(joinedload(Hold.deliverable), joinedload(Hold.requested_by))
            .order_by(Hold.requested_at, Hold.id)
            .limit(HOLDS_SHOWN)
        ).unique()
    )
