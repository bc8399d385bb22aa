"""Stores and people."""

import re
from datetime import datetime, time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.security import generate_password_hash

from tracker.errors import N_, BadInput, NotFound
from tracker.org.models import LANGUAGES, ROLES, Department, Person, Store

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


# The store and person rules, each written once: the services below and the admin's forms
# (beside their fields) call them.


def check_zone(timezone: str) -> None:
    """BadInput unless the time zone is a known one (Asia/Shanghai)."""
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise BadInput(
            N_("unknown time zone %(zone)r; use a name such as Asia/Shanghai"), zone=timezone
        ) from None


def check_country(country: str) -> str:
    """The country code, upper-cased, once it names an official working calendar."""
    country = (country or "").upper()
    if country not in holidays.list_supported_countries():
        raise BadInput(
            N_("unknown country %(country)r for the working calendar; e.g. CN"), country=country
        )
    return country


def check_subdivision(country: str, subdiv: str | None) -> None:
    """BadInput unless the subdivision (if any) is one of the country's; an unknown country is
    check_country's to report."""
    regions = holidays.list_supported_countries().get((country or "").upper())
    if subdiv and regions is not None and subdiv not in regions:
        raise BadInput(
            N_("unknown subdivision %(subdiv)r of %(country)s"), subdiv=subdiv, country=country
        )


def check_zone_and_country(timezone: str, country: str, subdiv: str | None) -> str:
    """The country code, upper-cased, once the zone, country and subdivision are known ones."""
    check_zone(timezone)
    country = check_country(country)
    check_subdivision(country, subdiv)
    return country


def check_language(language: str) -> None:
    """BadInput unless the language is one the tracker speaks."""
    if language not in LANGUAGES:
        raise BadInput(N_("language must be one of %(languages)s"), languages=", ".join(LANGUAGES))


def check_hours(work_start: time, work_end: time) -> None:
    """BadInput unless the working hours end after they start."""
    if work_end <= work_start:
        raise BadInput(N_("working hours must end after they start"))


def check_role(role: str) -> None:
    """BadInput unless the role is one of ROLES."""
    if role not in ROLES:
        raise BadInput(N_("role must be one of %(roles)s"), roles=", ".join(ROLES))


def add_store(
    session: Session,
    *,
    code: str,
    name: str,
    timezone: str,
    country: str,
    now: datetime,
    subdiv: str | None = None,
    language: str | None = None,
    work_start: time = time(9, 0),
    work_end: time = time(18, 0),
) -> Store:
    """Add a store; its country names its official working calendar."""
    code = (code or "").strip()
    if not re.fullmatch(r"[A-Za-z0-9_-]{1,32}", code):
        raise BadInput(N_("a store code is 1 to 32 letters, digits, '-' or '_'"))
    if session.scalar(select(Store.id).where(Store.code == code)):
        raise BadInput(N_("a store with code %(code)r exists already"), code=code)
    country = check_zone_and_country(timezone, country, subdiv)
    language = language or ("zh" if country in ("CN", "TW", "HK", "SG") else "en")
    check_language(language)
    check_hours(work_start, work_end)
    store = Store(
        code=code,
        name=(name or "").strip() or code,
        timezone=timezone,
        country=country,
        subdiv=subdiv or None,
        language=language,
        work_start=work_start,
        work_end=work_end,
        created_at=now,
    )
    session.add(store)
    session.flush()
    return store


def edit_store(
    session: Session,
    store: Store,
    *,
    name: str,
    timezone: str,
    country: str,
    subdiv: str | None,
    language: str,
    work_start: time,
    work_end: time,
) -> Store:
    """Change a store's name, zone, calendar country and working hours. Deliverables already
    created keep their due times."""
    country = check_zone_and_country(timezone, country, subdiv)
    check_language(language)
    check_hours(work_start, work_end)
    store.name = (name or "").strip() or store.code
    store.timezone = timezone
    store.country = country
    store.subdiv = subdiv or None
    store.language = language
    store.work_start, store.work_end = work_start, work_end
    session.flush()
    return store


def get_store(session: Session, code: str) -> Store:
    """The store with this code, or NotFound."""
    store = session.scalar(select(Store).where(Store.code == code))
    if store is None:
        raise NotFound(N_("no store with code %(code)r"), code=code)
    return store


def get_department(session: Session, code: str) -> Department:
    """The department with this code, or NotFound."""
    department = session.scalar(select(Department).where(Department.code == code))
    if department is None:
        raise NotFound(N_("no department with code %(code)r"), code=code)
    return department


def get_person(session: Session, email: str) -> Person:
    """The person with this email (any case), or NotFound."""
    person = session.scalar(select(Person).where(func.lower(Person.email) == (email or "").lower()))
    if person is None:
        raise NotFound(N_("no person with email %(email)r"), email=email)
    return person


def add_person(
    session: Session,
    *,
    email: str,
    name: str,
    department: Department,
    store: Store,
    role: str,
    language: str,
    now: datetime,
    password: str | None = None,
) -> Person:
    """Add a person; the password, if any, is stored hashed."""
    email = (email or "").strip().lower()
    if not EMAIL.match(email):
        raise BadInput(N_("%(email)r is not an email address"), email=email)
    if session.scalar(select(Person.id).where(func.lower(Person.email) == email)):
        raise BadInput(N_("a person with email %(email)r exists already"), email=email)
    check_role(role)
    check_language(language)
    person = Person(
        email=email,
        name=(name or "").strip() or email,
        department_id=department.id,
        store_id=store.id,
        role=role,
        language=language,
        active=True,
        created_at=now,
    )
    if password is not None:
        set_password(person, password)
    session.add(person)
    session.flush()
    return person


def set_password(person: Person, password: str) -> None:
    """Check the password policy, hash and keep a new password, and end the person's sessions."""
    from tracker.auth.passwords import check_password

    check_password(password, email=person.email, name=person.name)
    person.password_hash = generate_password_hash(password)
    person.session_generation = (person.session_generation or 0) + 1
