"""Test factories: `create_x` builds and flushes a row with sensible defaults."""

from datetime import datetime
from functools import cache

from tracker.org import service as org
from tracker.org.models import Person, Store

PASSWORD = "correct-horse-42"


@cache
def _password_hash() -> str:
    # Hashing is slow on purpose (~0.1 s); a dozen people per test would cost seconds.
    person = Person()
    org.set_password(person, PASSWORD)
    return person.password_hash


def create_store(
    session,
    *,
    now: datetime,
    code: str = "SH01",
    timezone: str = "Asia/Shanghai",
    country: str = "CN",
    name: str | None = None,
) -> Store:
    """A store (the catalogue's departments must exist: load the catalogue first)."""
    return org.add_store(
        session,
        code=code,
        name=name or f"Store {code}",
        timezone=timezone,
        country=country,
        now=now,
    )


def create_person(
    session,
    store: Store,
    department: str,
    role: str = "clerk",
    *,
    now: datetime,
    email: str | None = None,
    language: str = "en",
) -> Person:
    """A person who can sign in with PASSWORD."""
    person = org.add_person(
        session,
        email=email or f"{department}.{role}@{store.code.lower()}.test",
        name=f"{department} {role}",
        department=org.get_department(session, department),
        store=store,
        role=role,
        language=language,
        now=now,
    )
    person.password_hash = _password_hash()
    return person


def create_staff(session, store: Store, *, now: datetime) -> dict[str, Person]:
    """A clerk and a head in every department, plus a finance lead and an administrator."""
    staff = {}
    for department in ("finance", "sales", "insurance", "loans", "service", "hr"):
        for role in ("clerk", "head"):
            staff[f"{department}.{role}"] = create_person(session, store, department, role, now=now)
    staff["finance.lead"] = create_person(session, store, "finance", "lead", now=now)
    staff["finance.admin"] = create_person(session, store, "finance", "admin", now=now)
    return staff
