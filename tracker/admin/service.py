"""What the administrator changes: stores, departments, people, commitment previews, working
calendars and the test email. Functions take the session and `now`; they never commit."""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING
from urllib.parse import urlsplit, urlunsplit

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from tracker.calendar import official
from tracker.calendar.deadlines import Rule, due_after, recurring_due
from tracker.calendar.models import CalendarOverride
from tracker.calendar.service import KnownYears, store_calendar
from tracker.catalog.models import Commitment
from tracker.catalog.service import code_order
from tracker.errors import N_, BadInput, NotFound
from tracker.ledger.redating import redate_plan
from tracker.org import service as org
from tracker.org.models import Department, Person, Store
from tracker.paging import Page, page_of
from tracker.reminders.policy import WorkingTime, ladder_dates

if TYPE_CHECKING:
    from flask_mailman import EmailMessage

PREVIEW_COUNT = 5
PEOPLE_PER_PAGE = 50  # people on a page of the list; the total is always told
STORES_PER_PAGE = 50


# --- lists and look-ups for the pages ---


def stores(session: Session) -> list[Store]:
    """Every store, by code."""
    return list(session.scalars(select(Store).order_by(Store.code)))


def stores_page(
    session: Session, *, text: str | None = None, page: int = 1, per_page: int = STORES_PER_PAGE
) -> Page:
    """One page of the stores (those whose code or name holds `text`, any case), by code, and
    how many in all: two queries."""
    query = select(Store).order_by(Store.code)
    if text and text.strip():
        pattern = _contains(text.strip())
        query = query.where(
            or_(
                func.lower(Store.code).like(pattern, escape="\\"),
                func.lower(Store.name).like(pattern, escape="\\"),
            )
        )
    return page_of(session, query, page, per_page)


def departments(session: Session) -> list[Department]:
    """Every department, by code."""
    return list(session.scalars(select(Department).order_by(Department.code)))


def _contains(text: str) -> str:
    """A LIKE pattern for `text` anywhere (lower case), its own % and _ taken literally."""
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def people(
    session: Session,
    *,
    store: Store | None = None,
    text: str | None = None,
    page: int = 1,
    per_page: int = PEOPLE_PER_PAGE,
) -> Page:
    """One page of everyone (or one store's people, or those whose name or email holds
    `text`, any case), by store, department and name, and how many in all: two queries."""
    query = (
        select(Person).join(Person.store).order_by(Store.code, Person.department_id, Person.name)
    )
    if store is not None:
        query = query.where(Person.store_id == store.id)
    if text and text.strip():
        pattern = _contains(text.strip())
        query = query.where(
            or_(
                func.lower(Person.name).like(pattern, escape="\\"),
                func.lower(Person.email).like(pattern, escape="\\"),
            )
        )
    return page_of(session, query, page, per_page)


def get_person(session: Session, person_id: int) -> Person:
    """The person with this id, or NotFound."""
    person = session.get(Person, person_id)
    if person is None:
        raise NotFound(N_("no person with id %(id)s"), id=person_id)
    return person


def placement_choices(session: Session, lang: str) -> dict[str, list[tuple[str, str]]]:
    """The departments and stores a person may be placed in, as a form's choices."""
    return {
        "department": [(d.code, d.name(lang)) for d in departments(session)],
        "store": [(s.code, f"{s.code} · {s.name}") for s in stores(session)],
    }


# Stores are added and edited by tracker.org.service (add_store, edit_store), which also holds
# the store rules the admin's forms check.


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


def edit_department(
    session: Session, department: Department, *, name_en: str, name_zh: str
) -> None:
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
    org.check_role(role)
    org.check_language(language)
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
    # When each rung of the escalation ladder is told if it stays owed: (target, instant).
    ladder: list = field(default_factory=list)


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
    triggers = [now + timedelta(days=k) for k in range(count)]
    return [PreviewLine(t, due_after(rule, t, store.zone, calendar)) for t in triggers]


@dataclass
class Preview:
    """The preview of a commitment page: the store it is for, its due times, or why none."""

    store: Store | None
    lines: list[PreviewLine]
    error: BadInput | None = None
    unknown_years: list[int] = field(default_factory=list)  # calendar not published yet


def commitment_preview(
    session: Session,
    commitment: Commitment,
    fields: dict | None,
    *,
    store: str | None,
    stores: list[Store],
    now: datetime,
    policy: dict | None = None,
) -> Preview:
    """The due times `fields` (None: nothing to preview) give in the store with code `store`,
    one of `stores`, and with a reminder `policy` when each rung of its escalation ladder would
    be told; a rule the calendar refuses is explained, not raised."""
    chosen = next((s for s in stores if s.code == store), None)
    if fields is None or chosen is None:
        return Preview(chosen, [])
    try:
        lines = preview_due_times(
            session, kind=commitment.kind, fields=fields, store=chosen, now=now
        )
    except BadInput as exc:
        return Preview(chosen, [], exc)
    if policy is not None:
        wt = WorkingTime(chosen, store_calendar(session, chosen))
        for line in lines:
            line.ladder = ladder_dates(line.due, policy, wt)
    unknown = KnownYears(session).unknown(chosen, [line.due for line in lines])
    return Preview(chosen, lines, unknown_years=unknown)


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


def calendar_page(session: Session, store: Store, year: int, lang: str) -> dict:
    """A store's year as its page shows it: the days that are not ordinary, and whether the
    official calendar knows the year."""
    return {
        "year": year,
        "days": calendar_year(session, store, year, lang),
        "known": store_calendar(session, store).is_known_year(year),
        "to_redate": len(redate_plan(session, store).items),
    }


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


# --- official calendar and re-dating ---


class FieldInput(BadInput):
    """Bad input meant for one field of the form."""

    def __init__(self, field: str, exc: BadInput) -> None:
        super().__init__(exc.msgid, **exc.params)
        self.field = field


def official_import(
    session: Session,
    *,
    country: str,
    year: int | None,
    table: str | None,
    upload: bytes | None,
    save: bool,
) -> tuple[official.ImportPreview, str]:
    """Preview (or, with `save`, save) a year's official calendar pasted or uploaded, with the
    table that reads it back; FieldInput names the field at fault."""
    where = "file" if upload else "table"
    try:
        entries = official.parse_ics(upload) if upload else official.parse_table(table or "")
    except BadInput as exc:
        raise FieldInput(where, exc) from None
    if not official.country_stores(session, country):
        raise FieldInput(
            "country",
            BadInput(N_("no store has the working calendar of %(country)r"), country=country),
        )
    try:
        preview = official.preview_import(session, country, entries, year)
    except BadInput as exc:
        raise FieldInput("year" if year else where, exc) from None
    if save:
        official.save_import(session, preview)
    return preview, official.format_table(entries)


def calendar_redate_page(session: Session, store: Store) -> dict:
    """The store's open deliverables its calendar now re-dates, and the other stores of its
    country (each has its own list)."""
    return {
        "plan": redate_plan(session, store),
        "siblings": [s for s in official.country_stores(session, store.country) if s != store],
    }


# --- test email ---


def redacted(url: str) -> str:
    """The mail URL without its password."""
    parts = urlsplit(url)
    if parts.password:
        netloc = f"{parts.username}:***@{parts.hostname}" + (f":{parts.port}" if parts.port else "")
        parts = parts._replace(netloc=netloc)
    return urlunsplit(parts)


def send_test_email(to: str, *, mail_from: str, lang: str, now: datetime) -> None:
    """Send the test email through the configured transport now; BadInput with the server's
    own words (what the administrator needs) when it fails."""
    from tracker.extensions import mail

    try:
        connection = mail.get_connection(fail_silently=False)
        build_test_email(to, mail_from=mail_from, lang=lang, connection=connection, now=now).send()
    except Exception as exc:  # any failure: the transport's, the network's or the server's
        raise BadInput(
            N_("The email was not sent: %(error)s"), error=f"{type(exc).__name__}: {exc}"
        ) from exc


def build_test_email(
    to: str, *, mail_from: str, lang: str, connection: object, now: datetime
) -> "EmailMessage":
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
