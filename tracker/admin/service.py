"""What the administrator changes: stores, departments, people, commitment previews, working
calendars and the test email. Functions take the session and `now`; they never commit."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker.calendar.deadlines import Rule, event_due, recurring_due, request_due
from tracker.calendar.models import CalendarOverride
from tracker.calendar.service import store_calendar
from tracker.catalog.models import Commitment
from tracker.catalog.service import code_order
from tracker.errors import N_, BadInput
from tracker.org.models import LANGUAGES, ROLES, Department, Person, Store

PREVIEW_COUNT = 5


# --- stores ---


# Stores are added and edited by tracker.org.service (add_store, edit_store).


# --- departments ---


def add_department(session: Session, *, code: str, name_en: str, name_zh: str) -> Department:
    """Add a department (every store has the same ones)."""
    code = (code or "").strip().lower()
    if not code or not all(c.isalnum() or c in "-_" for c in code) or len(code) > 32:
        raise BadInput(N_("a department code is 1 to 32 letters, digits, '-' or '_'"))
    if session.scalar(select(Department.id).where(Department.code == code)):
        raise BadInput(N_("a department with code %(code)r exists already"), code=code)
    department = Department(code=code, name_en=name_en.strip(), name_zh=name_zh.strip())
    session.add(department)
    session.flush()
    return department


def edit_department(session: Session, department: Department, *, name_en: str, name_zh: str):
    """Rename a department in both languages."""
    if not name_en.strip() or not name_zh.strip():
        raise BadInput(N_("a department needs a name in both languages"))
    department.name_en, department.name_zh = name_en.strip(), name_zh.strip()
    session.flush()


# --- people ---


def edit_person(
    session: Session,
    person: Person,
    *,
    name: str,
    role: str,
    department: Department,
    store: Store,
    language: str,
) -> Person:
    """Change a person's role, department, store, language or name."""
    if role not in ROLES:
        raise BadInput(N_("role must be one of %(roles)s"), roles=", ".join(ROLES))
    if language not in LANGUAGES:
        raise BadInput(N_("language must be one of %(languages)s"), languages=", ".join(LANGUAGES))
    person.name = (name or "").strip() or person.email
    person.role, person.language = role, language
    person.department_id, person.store_id = department.id, store.id
    session.flush()
    return person


def set_active(session: Session, person: Person, active: bool, *, by: Person) -> None:
    """Deactivate a person (they can no longer sign in; their history stays) or reactivate."""
    if person.id == by.id and not active:
        raise BadInput(N_("you cannot deactivate yourself"))
    person.active = active
    session.flush()


# --- commitments ---


@dataclass
class PreviewLine:
    """One due time of a preview: for events and requests, the moment that triggers it."""

    trigger: datetime | None
    due: datetime


def preview_due_times(
    session: Session,
    *,
    kind: str,
    fields: dict,
    store: Store,
    now: datetime,
    count: int = PREVIEW_COUNT,
) -> list[PreviewLine]:
    """The next `count` due times a rule gives in a store: recurring rules from `now`; event and
    request rules for a trigger now and at the same time on each of the following days."""
    rule = Rule(
        kind="event" if kind == "checklist" else kind,
        frequency=fields.get("frequency"),
        day=fields.get("day"),
        offset_days=fields.get("offset_days") or 0,
        day_type=fields.get("day_type") or "calendar",
        at_time=fields.get("at_time"),
        non_working=fields.get("non_working") or "keep",
    )
    try:
        rule.validate()
    except ValueError as exc:
        # The calendar explains a bad rule in English; the form checks the fields first.
        raise BadInput(str(exc)) from exc
    calendar = store_calendar(session, store)
    if rule.kind == "recurring":
        return [
            PreviewLine(None, o.due) for o in recurring_due(rule, now, store.zone, calendar, count)
        ]
    compute = event_due if rule.kind == "event" else request_due
    triggers = [now + timedelta(days=k) for k in range(count)]
    return [PreviewLine(t, compute(rule, t, store.zone, calendar)) for t in triggers]


def active_commitments(session: Session) -> list[Commitment]:
    """Every commitment, live ones first, by code."""
    commitments = list(session.scalars(select(Commitment)).unique())
    commitments.sort(key=lambda c: (c.retired, code_order(c.code)))
    return commitments


# --- working calendar ---


@dataclass
class CalendarDay:
    """A day of a store's year that is not an ordinary weekday or weekend."""

    day: date
    working: bool
    holiday: str | None  # the official holiday's name, in the person's language
    swapped: bool  # an official weekend working day (China's 调休)
    override: CalendarOverride | None


def calendar_year(session: Session, store: Store, year: int, lang: str) -> list[CalendarDay]:
    """Public holidays, swapped working days and the administrator's overrides of one year."""
    calendar = store_calendar(session, store)
    overrides = {
        o.day: o
        for o in session.scalars(
            select(CalendarOverride).where(
                CalendarOverride.store_id == store.id,
                CalendarOverride.day >= date(year, 1, 1),
                CalendarOverride.day <= date(year, 12, 31),
            )
        )
    }
    days = []
    day = date(year, 1, 1)
    while day.year == year:
        name = calendar.holiday_name(day, lang)
        swapped = calendar.is_swapped_working_day(day)
        override = overrides.get(day)
        if name or swapped or override:
            days.append(CalendarDay(day, calendar.is_working_day(day), name, swapped, override))
        day += timedelta(days=1)
    return days


# --- test email ---


def build_test_email(to: str, *, mail_from: str, lang: str, connection, now: datetime):
    """The email that checks the mail settings work (the caller sends it)."""
    from flask_mailman import EmailMessage

    if lang == "zh":
        subject = "跟踪系统测试邮件"
        body = f"这是跟踪系统发出的测试邮件（{now:%Y-%m-%d %H:%M} UTC）。收到即说明邮件设置正确。\n"
    else:
        subject = "Tracker test email"
        body = (
            f"This is a test email from the tracker ({now:%Y-%m-%d %H:%M} UTC). "
            "If it arrived, the mail settings work.\n"
        )
    return EmailMessage(
        subject=subject,
        body=body,
        from_email=mail_from,
        to=[to],
        headers={"Auto-Submitted": "auto-generated"},
        connection=connection,
    )
