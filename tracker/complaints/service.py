"""Internal complaints as plain functions of the session and `now` (never the clock, never a
commit): file, open (first-contact responsibility), answer, close, reopen, reassign; the lists;
the counts the scorecard shows.

Time limits by severity, in the store's working time (`tracker.calendar.worktime`: its working
hours on the working days of its calendar, holidays, swapped days and overrides included):
urgent 4 working hours, high 1 working day, normal 2, low 5 (a working day is the store's
working hours, e.g. 9 hours from 09:00 to 18:00). Filed after hours, the limit counts from the
next working morning; a reopen starts a new limit from the moment it is reopened."""

from collections import defaultdict
from datetime import datetime

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import Select, case, func, select, update
from sqlalchemy.orm import Session

from tracker.calendar.service import store_calendar
from tracker.calendar.worktime import add_working_seconds, day_seconds
from tracker.channels import service as channels
from tracker.complaints import permissions
from tracker.complaints import reminders as complaint_reminders
from tracker.complaints.models import SEVERITIES, Complaint
from tracker.errors import N_, BadInput, Conflict, NotFound, Word
from tracker.ledger.models import AuditEntry, Deliverable
from tracker.org.models import Department, Person, Store
from tracker.reminders import service as reminders
from tracker.reminders.policy import WorkingTime

# Severity: (working hours, working days) to answer.
LIMITS = {"urgent": (4, 0), "high": (0, 1), "normal": (0, 2), "low": (0, 5)}
MAX_TEXT = 4000
MAX_REFERENCE = 64


def answer_by(store: Store, calendar, severity: str, start: datetime) -> datetime:
    """The answer time of a complaint of `severity` filed (or reopened) at `start`."""
    hours, days = LIMITS[severity]
    seconds = hours * 3600 + days * day_seconds(store)
    return add_working_seconds(start, seconds, store, calendar)


def _audit(session: Session, now: datetime, actor: Person | None, c: Complaint, action: str,
           from_status: str | None, **detail) -> None:  # fmt: skip
    session.add(
        AuditEntry(
            at=now,
            actor_id=actor.id if actor else None,
            store_id=c.store_id,
            entity="complaint",
            entity_id=c.id,
            action=action,
            from_status=from_status,
            to_status=c.status,
            detail={k: v for k, v in detail.items() if v is not None} or None,
        )
    )


def _text(value: str | None, what: str, limit: int = MAX_TEXT, required: bool = True) -> str:
    value = (value or "").strip()
    if required and not value:
        raise BadInput(N_("say %(what)s"), what=Word(what))
    if len(value) > limit or "\x00" in value:
        raise BadInput(N_("%(what)s is too long (at most %(num)d characters)"), what=Word(what),
                       num=limit)  # fmt: skip
    return value


def get(session: Session, complaint_id: int) -> Complaint:
    """The complaint with this id, or NotFound."""
    c = session.get(Complaint, complaint_id) if 0 < complaint_id < 2**63 else None
    if c is None:
        raise NotFound(N_("no complaint %(id)s"), id=complaint_id)
    return c


def seen_by(session: Session, complaint_id: int, person: Person) -> Complaint:
    """The complaint, if this person may see it (NotFound otherwise: its existence is not told)."""
    c = get(session, complaint_id)
    if not permissions.may_see(person, c):
        raise NotFound(N_("no complaint %(id)s"), id=complaint_id)
    return c


def departments(session: Session, person: Person) -> list[Department]:
    """The departments this person may complain about (all but their own)."""
    return [
        d
        for d in session.scalars(select(Department).order_by(Department.code))
        if permissions.may_file(person, d)
    ]


def file(
    session: Session,
    *,
    by: Person,
    department: Department | str,
    what: str,
    severity: str,
    now: datetime,
    deliverable_id: int | None = None,
    reference: str | None = None,
) -> Complaint:
    """File a complaint about `department`'s service in the complainant's store; its people
    (clerks and heads) are told at once, in working time."""
    if isinstance(department, str):
        found = session.scalar(select(Department).where(Department.code == department))
        if found is None:
            raise BadInput(N_("no department with code %(code)r"), code=department)
        department = found
    if severity not in SEVERITIES:
        raise BadInput(N_("severity must be one of %(known)s"), known=", ".join(SEVERITIES))
    if not permissions.may_file(by, department):
        raise BadInput(N_("a complaint is about another department than your own"))
    what = _text(what, N_("what happened"))
    reference = _text(reference, N_("the deal's reference"), MAX_REFERENCE, False) or None
    if deliverable_id is not None:
        d = session.get(Deliverable, deliverable_id) if 0 < deliverable_id < 2**63 else None
        if d is None or d.store_id != by.store_id or d.provider_id != department.id:
            raise BadInput(
                N_("deliverable %(id)s is not one of this department's in your store"),
                id=deliverable_id,
            )
    store = by.store
    calendar = store_calendar(session, store)
    c = Complaint(
        store_id=store.id,
        department_id=department.id,
        filed_by_id=by.id,
        severity=severity,
        what=what,
        deliverable_id=deliverable_id,
        reference=reference,
        status="new",
        filed_at=now,
        month=now.astimezone(store.zone).strftime("%Y-%m"),
        round=1,
        round_started_at=now,
        due_at=answer_by(store, calendar, severity, now),
    )
    session.add(c)
    session.flush()
    _audit(session, now, by, c, "filed", None, severity=severity, due_at=c.due_at.isoformat())
    _tell(session, c, now, WorkingTime(store, calendar))
    return c


def _people(session: Session, c: Complaint, roles) -> list[Person]:
    return list(
        session.scalars(
            select(Person)
            .where(
                Person.store_id == c.store_id,
                Person.department_id == c.department_id,
                Person.role.in_(roles),
                Person.active.is_(True),
            )
            .order_by(Person.id)
        )
    )


def _tell(session: Session, c: Complaint, now: datetime, wt: WorkingTime) -> None:
    """The instant notice: a new complaint to its department's clerks and heads (and robot), a
    reopened one to its owner; written once per round and person."""
    if c.round == 1:
        people = _people(session, c, permissions.HANDLERS)
    else:
        people = [c.owner] if c.owner is not None and c.owner.active else []
    wanted = dict(
        complaint_reminders.item(c, complaint_reminders.NOTICE, c.round, p, wt.next_open(now))
        for p in people
    )
    reminders.write_items(session, wanted, now)
    if c.round == 1:
        channels.notice(
            session,
            store_id=c.store_id,
            department_id=c.department_id,
            key=f"c{c.id}:complaint:1",
            render=lambda lang: _robot_text(c),
            now=now,
        )


def _robot_text(c: Complaint) -> tuple[str, list[str]]:
    base = current_app.config["BASE_URL"].rstrip("/")
    title = _("New complaint #%(id)s", id=c.id)
    severity = _(complaint_reminders.SEVERITY_NAMES[c.severity])
    return title, [f"[{title}]({base}/complaints/{c.id})", severity, c.what[:300]]


def open_(
    session: Session, complaint_id: int, *, by: Person, now: datetime
) -> tuple[Complaint, bool]:
    """Open a complaint: the first person of its department to open it becomes its owner
    (first-contact responsibility) and stays so until it is resolved. (complaint, whether this
    person took it); the others are told who owns it.

    Race-safe: one conditional UPDATE ... WHERE owner_id IS NULL; of two people opening it at
    once, the database lets exactly one change the row."""
    c = get(session, complaint_id)
    permissions.require(by, "open", c)
    if c.owner_id is not None:
        return c, False
    taken = session.execute(
        update(Complaint)
        .where(Complaint.id == c.id, Complaint.owner_id.is_(None), Complaint.status == "new")
        .values(owner_id=by.id, opened_at=now, status="open")
        .execution_options(synchronize_session=False)
    ).rowcount
    session.refresh(c)
    if taken != 1:
        return c, False
    _audit(session, now, by, c, "opened", "new", owner=by.email)
    return c, True


def _changed(session: Session, c: Complaint, status_from: str, **values) -> None:
    """A conditional UPDATE from `status_from` in the current round; Conflict when another
    request changed the complaint first."""
    done = session.execute(
        update(Complaint)
        .where(Complaint.id == c.id, Complaint.status == status_from, Complaint.round == c.round)
        .values(**values)
        .execution_options(synchronize_session=False)
    ).rowcount
    session.refresh(c)
    if done != 1:
        raise Conflict(N_("the complaint changed in the meantime; look at it again"))


def answer(
    session: Session, complaint_id: int, *, by: Person, text: str, now: datetime
) -> Complaint:
    """The owner's (or the head's) answer; the reminders stop. Counted in time when every
    round's answer came by its time limit."""
    c = get(session, complaint_id)
    permissions.require(by, "answer", c)
    if c.status != "open":
        raise BadInput(N_("only an opened complaint waiting for its answer can be answered"))
    text = _text(text, N_("the answer"))
    this_round = now <= c.due_at
    in_time = this_round and c.answered_in_time is not False
    _changed(session, c, "open", status="answered", answer=text, answered_at=now,
             answered_in_time=in_time)  # fmt: skip
    _audit(session, now, by, c, "answered", "open", in_time=this_round, round=c.round)
    if c.filed_by.active:
        wt = WorkingTime(c.store, store_calendar(session, c.store))
        k, fields = complaint_reminders.item(
            c, complaint_reminders.ANSWERED, c.round, c.filed_by, wt.next_open(now)
        )
        reminders.write_items(session, {k: fields}, now)
    return c


def close(session: Session, complaint_id: int, *, by: Person, now: datetime) -> Complaint:
    """The complainant confirms the resolution."""
    c = get(session, complaint_id)
    permissions.require(by, "close", c)
    if c.status != "answered":
        raise BadInput(N_("only an answered complaint can be closed"))
    _changed(session, c, "answered", status="closed", closed_at=now)
    _audit(session, now, by, c, "closed", "answered")
    return c


def reopen(
    session: Session, complaint_id: int, *, by: Person, note: str, now: datetime
) -> Complaint:
    """The complainant is not satisfied: the owner answers again, with a new time limit from
    now (in working time)."""
    c = get(session, complaint_id)
    permissions.require(by, "reopen", c)
    if c.status != "answered":
        raise BadInput(N_("only an answered complaint can be reopened"))
    note = _text(note, N_("why it is not resolved"))
    store = c.store
    calendar = store_calendar(session, store)
    due = answer_by(store, calendar, c.severity, now)
    _changed(session, c, "answered", status="open", round=c.round + 1, round_started_at=now,
             due_at=due, note=note)  # fmt: skip
    _audit(session, now, by, c, "reopened", "answered", note=note, due_at=due.isoformat())
    _tell(session, c, now, WorkingTime(store, calendar))
    return c


def reassign(
    session: Session, complaint_id: int, *, by: Person, to: Person, now: datetime
) -> Complaint:
    """A head hands an opened complaint to another clerk or head of the department."""
    c = get(session, complaint_id)
    permissions.require(by, "reassign", c)
    if c.status != "open":
        raise BadInput(N_("only an opened complaint waiting for its answer can be handed over"))
    if not permissions.may_open(to, c):
        raise BadInput(N_("%(email)s is not a clerk or head of this department in this store"),
                       email=to.email)  # fmt: skip
    before = c.owner.email if c.owner else None
    _changed(session, c, "open", owner_id=to.id)
    _audit(session, now, by, c, "reassigned", "open", owner_before=before, owner=to.email)
    return c


def history_query(c: Complaint) -> Select:
    """The complaint's audit entries, oldest first."""
    return (
        select(AuditEntry)
        .where(AuditEntry.entity == "complaint", AuditEntry.entity_id == c.id)
        .order_by(AuditEntry.id)
    )


# --- lists ---


def about_us(person: Person) -> Select:
    """The complaints about the person's department in their store, newest first."""
    return (
        select(Complaint)
        .where(
            Complaint.store_id == person.store_id,
            Complaint.department_id == person.department_id,
            permissions.visible(person),
        )
        .order_by(Complaint.id.desc())
    )


def mine(person: Person) -> Select:
    """The complaints the person filed, newest first."""
    return select(Complaint).where(Complaint.filed_by_id == person.id).order_by(Complaint.id.desc())


# --- the scorecard ---


def late(c: Complaint, now: datetime) -> bool:
    """Whether the complaint's answer is late at `now` (or was, when answered)."""
    if c.answered_in_time is False:
        return True
    return c.waiting_for_answer and now > c.due_at


def counts(session: Session, *, month: str, store: Store | None = None) -> dict[tuple, tuple]:
    """The complaints filed in `month` about each department in each store, by (store code,
    department code): (number filed, number answered in time). One grouped query."""
    in_time = func.sum(case((Complaint.answered_in_time.is_(True), 1), else_=0))
    query = (
        select(Store.code, Department.code, func.count(Complaint.id), in_time)
        .join(Store, Store.id == Complaint.store_id)
        .join(Department, Department.id == Complaint.department_id)
        .where(Complaint.month == month)
        .group_by(Store.code, Department.code)
    )
    if store is not None:
        query = query.where(Complaint.store_id == store.id)
    found = defaultdict(lambda: (0, 0))
    for store_code, department_code, filed, answered in session.execute(query):
        found[(store_code, department_code)] = (filed, int(answered or 0))
    return found
