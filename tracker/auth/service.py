"""Signing in: the throttle, the password check, and ending a person's sessions.

The throttle counts attempts per account (the email, known or not) and per client address. An
attempt is counted *before* its password is checked, by one INSERT ... ON CONFLICT DO UPDATE
... WHERE ... RETURNING: the row is created or counted only while its wait is over, so parallel
attempts cannot all pass a check made before any of them was counted, and no two can race to
create the same row. A sign-in that succeeds gives its counts back.

Limits: an account gets 5 attempts in a row, then must wait 30 s, 60 s, then 2 min between
attempts (never longer), so a stranger can delay its owner by two minutes at most; an address
gets 20, then 1 min doubling to 1 h, which stops one machine guessing across many accounts.
Counts are forgotten after 15 min (account) or 1 h (address) without a failure.
"""

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

from sqlalchemy import case, delete, func, literal, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from tracker.auth.models import SignInThrottle
from tracker.errors import N_, BadInput, TrackerError
from tracker.org.models import Person
from tracker.types import UTCDateTime


@dataclass(frozen=True)
class Limit:
    """Attempts allowed in a row, then waits doubling from `first` up to `most`; a count with
    no failure for `forget` starts again."""

    scope: str
    free: int
    first: timedelta
    most: timedelta
    forget: timedelta

    def wait_after(self, failures: int) -> timedelta:
        """How long the next attempt must wait after this many failures."""
        if failures < self.free:
            return timedelta(0)
        steps = min(failures - self.free, 20)
        return min(self.first * 2**steps, self.most)


ACCOUNT = Limit("account", 5, timedelta(seconds=30), timedelta(minutes=2), timedelta(minutes=15))
ADDRESS = Limit("address", 20, timedelta(minutes=1), timedelta(hours=1), timedelta(hours=1))


class SignInRefused(TrackerError):
    """Wrong email or password, an inactive account, or too many failures in a row."""

    status = 401

    def __init__(self, message: str, wait_seconds: int = 0) -> None:
        super().__init__(message)
        self.wait_seconds = wait_seconds


def wait_after(failures: int) -> timedelta:
    """How long an account's next attempt must wait after this many failures in a row."""
    return ACCOUNT.wait_after(failures)


def _insert(session: Session):
    dialect = session.get_bind().dialect.name
    return (postgresql if dialect == "postgresql" else sqlite).insert(SignInThrottle)


def _count_attempt(session: Session, limit: Limit, key: str, now: datetime) -> None:
    """Count one attempt under this key, or raise SignInRefused while its wait runs."""
    row = SignInThrottle.__table__.c
    at = lambda instant: literal(instant, UTCDateTime())  # noqa: E731
    # Free attempts pass whatever their times (parallel requests read the clock in any order);
    # after them, the latest last failure that lets an attempt through now.
    steps = range(limit.free, limit.free + 12)
    ready = case(
        *((row.failures == n, at(now - limit.wait_after(n))) for n in steps),
        else_=at(now - limit.most),
    )
    stale = row.last_failure_at <= at(now - limit.forget)
    statement = (
        _insert(session)
        .values(scope=limit.scope, key=key, failures=1, last_failure_at=now)
        .on_conflict_do_update(
            index_elements=["scope", "key"],
            set_={
                "failures": case((stale, 1), else_=row.failures + 1),
                "last_failure_at": at(now),
            },
            where=or_(row.failures < limit.free, row.last_failure_at <= ready),
        )
        .returning(row.failures)
    )
    if session.execute(statement).scalar() is not None:
        return
    found = session.execute(
        select(SignInThrottle.failures, SignInThrottle.last_failure_at).where(
            SignInThrottle.scope == limit.scope, SignInThrottle.key == key
        )
    ).first()  # gone already if the owner signed in meanwhile: then just try again
    seconds = int((found[1] + limit.wait_after(found[0]) - now).total_seconds()) + 1 if found else 1
    raise SignInRefused(N_("too many failed sign-ins"), wait_seconds=max(seconds, 1))


def _account_key(email: str | None) -> str:
    return (email or "").strip().lower()[:254]


def count_attempt(session: Session, email: str, address: str | None, now: datetime) -> None:
    """Count a sign-in attempt for the address, then the account, before any password is
    checked; raise SignInRefused (with the seconds to wait) if either must wait."""
    if address:
        _count_attempt(session, ADDRESS, address[:254], now)
    _count_attempt(session, ACCOUNT, _account_key(email), now)


@cache
def _unknown_hash() -> str:
    return generate_password_hash(secrets.token_hex(16))


def check_credentials(session: Session, email: str, password: str, address: str | None) -> Person:
    """The active person these credentials belong to, or SignInRefused; a success gives back
    the attempt counted for its account and address."""
    key = _account_key(email)
    person = session.scalar(select(Person).where(func.lower(Person.email) == key))
    # An unknown email costs a hash check too, so the answer's time does not tell it apart.
    stored = person.password_hash if person is not None else None
    matches = check_password_hash(stored or _unknown_hash(), password or "")
    if person is None or not person.active or not stored or not matches:
        raise SignInRefused(N_("wrong email or password"))
    throttle = SignInThrottle.__table__.c
    session.execute(delete(SignInThrottle).where(throttle.scope == "account", throttle.key == key))
    if address:
        session.execute(
            update(SignInThrottle)
            .where(
                throttle.scope == "address", throttle.key == address[:254], throttle.failures > 0
            )
            .values(failures=throttle.failures - 1)
            .execution_options(synchronize_session=False)
        )
    return person


def sign_in(
    session: Session, email: str, password: str, now: datetime, address: str | None = None
) -> Person:
    """Count the attempt, then check it: the person, or SignInRefused. (Pages commit between
    the two steps; this is both at once, for scripts and tests.)"""
    count_attempt(session, email, address, now)
    return check_credentials(session, email, password, address)


def end_sessions(session: Session, person: Person) -> None:
    """Every session of this person ends at its next request (sign-out, new password)."""
    session.execute(
        update(Person)
        .where(Person.id == person.id)
        .values(session_generation=Person.session_generation + 1)
    )


def change_password(session: Session, person: Person, current: str, new: str) -> None:
    """A person's own new password, given the current one; their other sessions end."""
    from tracker.org.service import set_password

    if not person.password_hash or not check_password_hash(person.password_hash, current or ""):
        raise BadInput(N_("the current password is wrong"))
    set_password(person, new)
    session.flush()
