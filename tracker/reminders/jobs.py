"""The jobs: one pass (create recurring, write reminders, compose digests, deliver) and its
parts. Like commands, jobs own their transactions; they run inside an app context.

Delivery commits after every step of every message (claim, re-check, sent or failed), so a
crash loses at most the record of one message the server had already accepted: that message is
sent again under the same Message-ID, which the receiving side can recognise."""

import os
import smtplib
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime

from flask import current_app
from sqlalchemy.exc import OperationalError

from tracker import clock
from tracker.extensions import db, mail
from tracker.ledger.service import ensure_recurring
from tracker.reminders import service
from tracker.reminders.models import OutboxMessage
from tracker.reminders.transport import build


def _setting(name: str, default: int) -> int:
    """An integer setting: app.config, else the TRACKER_<NAME> environment variable, else the
    default (lets tests and operators shorten intervals without a config file)."""
    value = current_app.config.get(name)
    if value is None:
        value = os.environ.get(f"TRACKER_{name}")
    return int(value) if value is not None else default


def settings() -> service.Settings:
    """Delivery settings from the app's configuration."""
    return service.Settings(
        base_url=current_app.config["BASE_URL"],
        mail_from=current_app.config["MAIL_FROM"],
        max_attempts=_setting("OUTBOX_MAX_ATTEMPTS", 40),
        backoff_seconds=_setting("OUTBOX_BACKOFF_SECONDS", 60),
        backoff_max_seconds=_setting("OUTBOX_BACKOFF_MAX_SECONDS", 7200),
        claim_seconds=_setting("OUTBOX_CLAIM_SECONDS", 300),
    )


@dataclass
class PassReport:
    """What a pass did."""

    now: str = ""
    created: int = 0
    written: int = 0
    composed: int = 0
    sent: int = 0
    failed_attempts: int = 0
    given_up: int = 0
    cancelled: int = 0

    def as_dict(self) -> dict:
        return asdict(self)


def _retrying(step: Callable):
    """Run one idempotent step in its own transaction; on a transient lock conflict between
    processes (SQLite "database is locked", a PostgreSQL deadlock) roll back and run it again."""
    for attempt in range(8):
        try:
            result = step()
            db.session.commit()
            return result
        except OperationalError as exc:
            db.session.rollback()
            text = str(exc).lower()
            if attempt == 7 or not ("locked" in text or "deadlock" in text or "busy" in text):
                raise
            time.sleep(0.1 * (attempt + 1))


def create_recurring(now: datetime) -> int:
    """Keep the recurring deliverables created about six weeks ahead."""
    return _retrying(lambda: len(ensure_recurring(db.session, now=now)))


def write_reminders(now: datetime) -> int:
    """Write what the policy wants at `now` into the outbox."""
    return _retrying(lambda: len(service.enqueue(db.session, now).items))


def compose(now: datetime) -> int:
    """Group waiting items into one digest per person (for stores in working hours)."""
    conf = settings()
    return _retrying(lambda: len(service.compose(db.session, now, conf)))


def _pause_hook() -> Callable[[str, int], None]:
    """Test-only: TRACKER_TEST_PAUSE_DELIVERY="sent:N" (after the server accepted the N-th
    message, before recording it) or "recorded:N" (after recording it) makes delivery stop
    there for good, writing TRACKER_TEST_PAUSE_FILE first, so a test can kill the process at a
    known point of a pass. Unset in real use."""
    spec = os.environ.get("TRACKER_TEST_PAUSE_DELIVERY")
    if not spec:
        return lambda point, n: None
    where, _, count = spec.partition(":")

    def hook(point: str, n: int) -> None:
        if point == where and n == int(count):
            marker = os.environ.get("TRACKER_TEST_PAUSE_FILE")
            if marker:
                with open(marker, "w") as f:
                    f.write(f"{point}:{n}\n")
            print(f"delivery paused at {point}:{n}", file=sys.stderr, flush=True)
            while True:
                time.sleep(3600)

    return hook


def _per_message_refusal(exc: Exception) -> bool:
    """The server answered and refused this message (the next one may go through)."""
    return isinstance(exc, smtplib.SMTPRecipientsRefused | smtplib.SMTPResponseException) and not (
        isinstance(exc, smtplib.SMTPConnectError | smtplib.SMTPServerDisconnected)
    )


def deliver(
    now: datetime,
    *,
    worker: str,
    lease_now: Callable[[], datetime] = clock.now,
    report: PassReport | None = None,
) -> PassReport:
    """Send the messages due at `now`, each claimed first so no two processes send the same
    one. `lease_now` is the real clock, for the claims' leases."""
    report = report or PassReport(now=now.isoformat())
    conf = settings()
    hook = _pause_hook()
    session = db.session
    ids = _retrying(lambda: service.deliverable_message_ids(session, now, lease_now()))
    connection = None
    sent = 0
    try:
        for message_id in ids:
            if not _retrying(
                lambda mid=message_id: service.claim(
                    session, mid, worker, lease_now(), conf.claim_seconds
                )
            ):
                continue
            message = session.get(OutboxMessage, message_id)
            if not _retrying(lambda m=message: service.revalidate(session, m, now, conf)):
                report.cancelled += 1
                continue
            try:
                if connection is None:
                    connection = mail.get_connection(fail_silently=False)
                    connection.open()
                build(message, conf.mail_from, connection).send()
            except Exception as exc:  # the server is down or refused: keep it and retry later
                error = f"{type(exc).__name__}: {exc}"
                _retrying(
                    lambda m=message, e=error: service.record_failure(session, m, now, e, conf)
                )
                report.failed_attempts += 1
                report.given_up += message.status == "failed"
                if connection is not None:
                    try:
                        connection.close()
                    except Exception:  # noqa: S110 - a broken connection may not close
                        pass
                    connection = None
                if _per_message_refusal(exc):
                    continue
                break  # the server is unreachable: leave the rest for the next attempt
            sent += 1
            hook("sent", sent)
            _retrying(lambda m=message: service.record_sent(session, m, now))
            report.sent += 1
            hook("recorded", sent)
    finally:
        if connection is not None:
            try:
                connection.close()
            except Exception:  # noqa: S110
                pass
    return report


def run_pass(now: datetime, *, worker: str, lease_now: Callable[[], datetime] = clock.now):
    """One whole pass as of `now`: create recurring deliverables, write the reminders due,
    compose digests, deliver."""
    report = PassReport(now=now.isoformat())
    report.created = create_recurring(now)
    report.written = write_reminders(now)
    report.composed = compose(now)
    deliver(now, worker=worker, lease_now=lease_now, report=report)
    return report


def worker_name() -> str:
    """This process's name in claims and leases: host, pid and a random part."""
    import socket
    import uuid

    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
