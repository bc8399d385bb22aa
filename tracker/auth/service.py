"""Signing in: password check and the slowing down of repeated failures."""

from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash

from tracker.auth.models import SignInThrottle
from tracker.errors import N_, TrackerError
from tracker.org.models import Person

FREE_FAILURES = 5  # failures allowed before each attempt has to wait
FIRST_WAIT = timedelta(seconds=30)  # then 30 s, 60 s, 120 s, ... up to MAX_WAIT
MAX_WAIT = timedelta(minutes=15)


class SignInRefused(TrackerError):
    """Wrong email or password, an inactive account, or too many failures in a row."""

    status = 401

    def __init__(self, message: str, wait_seconds: int = 0) -> None:
        super().__init__(message)
        self.wait_seconds = wait_seconds


def wait_after(failures: int) -> timedelta:
    """How long the next attempt must wait after this many failures in a row."""
    if failures < FREE_FAILURES:
        return timedelta(0)
    return min(FIRST_WAIT * 2 ** (failures - FREE_FAILURES), MAX_WAIT)


def sign_in(session: Session, email: str, password: str, now: datetime) -> Person:
    """The person these credentials belong to; every failure is counted, and repeated failures
    make the next attempt wait, whether or not the email exists (so nothing is revealed)."""
    key = (email or "").strip().lower()
    throttle = session.scalar(select(SignInThrottle).where(SignInThrottle.key == key))
    if throttle is not None:
        ready_at = throttle.last_failure_at + wait_after(throttle.failures)
        if now < ready_at:
            seconds = int((ready_at - now).total_seconds()) + 1
            raise SignInRefused(N_("too many failed sign-ins"), wait_seconds=seconds)
    person = session.scalar(select(Person).where(func.lower(Person.email) == key))
    if (
        person is None
        or not person.active
        or not person.password_hash
        or not check_password_hash(person.password_hash, password or "")
    ):
        if throttle is None:
            throttle = SignInThrottle(key=key, failures=0, last_failure_at=now)
            session.add(throttle)
        throttle.failures += 1
        throttle.last_failure_at = now
        session.flush()
        raise SignInRefused(N_("wrong email or password"))
    if throttle is not None:
        session.delete(throttle)
    return person
