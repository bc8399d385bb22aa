"""The jobs: one pass (create recurring, write reminders, compose digests, deliver) and its
parts. Like commands, jobs own their transactions; they run inside an app context.

Delivery claims and checks a batch of messages in one transaction, then records each message
as sent (or failed) in its own small commit right after the server's answer, committed before
the next message's DATA goes, so a crash loses at most the record of one message the server had
already accepted: that message is sent again under the same Message-ID, which the receiving
side can recognise."""

import os
import smtplib
import sys
import threading
import time
from collections import deque
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from queue import SimpleQueue

from flask import current_app
from sqlalchemy.exc import OperationalError

from tracker import clock
from tracker.extensions import db, mail
from tracker.ledger.service import ensure_recurring
from tracker.reminders import service
from tracker.reminders.models import OutboxMessage
from tracker.reminders.transport import send_bytes

# Messages claimed and checked in one transaction; sent over one connection.
BATCH = 100
# People whose digests are composed in one transaction (COMPOSE_PEOPLE setting).
COMPOSE_PEOPLE = 200


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
    return _retrying(lambda: service.enqueue(db.session, now))


def compose(now: datetime) -> int:
    """Group waiting items into one digest per person (for stores in working hours), for
    COMPOSE_PEOPLE people at a time, each chunk in its own transaction: a chunk is idempotent
    (it takes only items still pending), so a crash or a retry between chunks loses nothing,
    and what one chunk loaded is let go before the next, so memory does not grow with the
    number of people waiting."""
    conf = settings()
    size = _setting("COMPOSE_PEOPLE", COMPOSE_PEOPLE)
    session = db.session()
    wts = {}

    def people() -> list[int]:
        if not service.anything_waiting(session):
            return []
        wts.update(service.working_times(session))
        return service.waiting_people(session, now, wts)

    # The stores (with their calendars) stay loaded from one commit to the next; the chunks'
    # own objects are not kept. Everything is expired at the end, as a commit would.
    expire = session.expire_on_commit
    session.expire_on_commit = False
    composed = 0
    try:
        waiting = _retrying(people)
        for start in range(0, len(waiting), size):
            chunk = waiting[start : start + size]
            composed += _retrying(
                lambda c=chunk: service.compose_people(session, now, conf, c, wts)
            )
    finally:
        session.expire_on_commit = expire
        session.expire_all()
    return composed


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


@dataclass(frozen=True)
class _Outgoing:
    """What sending one claimed message needs: its stored email, as it will go."""

    id: int
    message_id: str
    to_address: str
    raw: bytes


def _claim_and_check(
    ids: list[int], now: datetime, worker: str, lease_now: Callable[[], datetime], conf
) -> tuple[list[_Outgoing], int]:
    """One transaction for a batch: claim what no other process holds (one conditional UPDATE
    returning the stored emails), find the messages that cannot go as composed (a set-based
    query or two); only those are loaded with their items, checked again one by one and
    re-rendered (or cancelled)."""
    session = db.session
    claimed = service.claim_batch(session, ids, worker, lease_now(), conf.claim_seconds)
    suspect = service.to_check(session, claimed, now)
    outgoing = {
        c.id: _Outgoing(c.id, c.message_id, c.to_address, c.raw)
        for c in claimed
        if c.id not in suspect
    }
    cancelled = 0
    if suspect:
        messages = service.claimed_messages(session, sorted(suspect))
        keep, cancelled = service.revalidate_batch(session, messages, now, conf)
        for m in keep:
            outgoing[m.id] = _Outgoing(m.id, m.message_id, m.to_address, m.raw)
    return [outgoing[c.id] for c in claimed if c.id in outgoing], cancelled


@contextmanager
def _records(engine):
    """A connection of its own for the records of sent messages, with commits that do not wait
    for the disk: SQLite's `synchronous=NORMAL` (in WAL mode), PostgreSQL's
    `synchronous_commit=off` (and autocommit: a record is one statement, its own transaction).
    A killed process loses none of them (they are committed in the database); only a crash of
    the machine or of the database server can lose the last ones, and those messages are then
    sent again under the same Message-IDs. The session's objects are left alone (a session
    commit would expire every one of them)."""
    connection = engine.connect()
    setting = {"sqlite": "synchronous", "postgresql": "synchronous_commit"}.get(
        connection.dialect.name
    )
    try:
        if setting == "synchronous_commit":
            connection = connection.execution_options(isolation_level="AUTOCOMMIT")
        if (
            setting == "synchronous"
            and connection.exec_driver_sql("PRAGMA journal_mode").scalar() != "wal"
        ):
            setting = None  # NORMAL is safe from corruption only in WAL mode: keep the default
        if setting == "synchronous":
            before = connection.exec_driver_sql("PRAGMA synchronous").scalar()
            connection.exec_driver_sql("PRAGMA synchronous=NORMAL")
        elif setting:
            connection.exec_driver_sql("SET synchronous_commit = off")
        connection.commit()
        yield connection
        if setting == "synchronous":
            connection.exec_driver_sql(f"PRAGMA synchronous={int(before)}")
        elif setting:
            connection.exec_driver_sql("RESET synchronous_commit")
        connection.commit()
    except BaseException:
        connection.invalidate()  # not back into the pool with the setting still on
        raise
    finally:
        connection.close()


def _recorded(connection, record: Callable[[int], None], message_id: int) -> None:
    """Record one message as sent, in its own small transaction (on PostgreSQL's autocommit
    connection, the one statement's own)."""
    for attempt in range(8):
        try:
            with connection.begin():
                record(message_id)
            return
        except OperationalError as exc:
            text = str(exc).lower()
            if attempt == 7 or not ("locked" in text or "deadlock" in text or "busy" in text):
                raise
            time.sleep(0.1 * (attempt + 1))


class _Recorder:
    """Records sent messages on a connection of its own (`_records`), in a thread of its own,
    one at a time: a message's record runs while the next message's envelope (MAIL FROM, RCPT
    TO) goes to the server, and that message's DATA waits until the record is committed
    (`settle`). So, as when recording in line, at most one message the server has taken is
    unrecorded at any moment; the thread only hides the record's time behind the server's
    answers. `on_recorded` runs in the delivering thread once a record is committed."""

    def __init__(self, engine, now: datetime, on_recorded: Callable[[], None]):
        self.engine = engine
        self.now = now
        self.on_recorded = on_recorded
        self._todo: SimpleQueue = SimpleQueue()  # message ids; None to stop
        self._done: SimpleQueue = SimpleQueue()  # None when a record is committed, or its error
        self._pending = False

    def _run(self) -> None:
        try:
            with _records(self.engine) as connection:
                record = service.sent_recorder(connection, self.now)
                self._done.put(None)  # ready
                while (message_id := self._todo.get()) is not None:
                    try:
                        _recorded(connection, record, message_id)
                    except BaseException as exc:  # raised in the delivering thread
                        self._done.put(exc)
                    else:
                        self._done.put(None)
        except BaseException as exc:
            self._done.put(exc)

    def _wait(self) -> None:
        error = self._done.get()
        if error is not None:
            raise error

    def __enter__(self):
        self._thread = threading.Thread(target=self._run, name="outbox-records", daemon=True)
        self._thread.start()
        try:
            self._wait()
        except BaseException:
            self._thread.join()
            raise
        return self

    def record(self, message_id: int) -> None:
        """Record this message as sent, in the background (after the one before it)."""
        self.settle()
        self._todo.put(message_id)
        self._pending = True

    def settle(self) -> None:
        """Wait until the record under way, if any, is committed (its error is raised here)."""
        if self._pending:
            self._pending = False
            self._wait()
            self.on_recorded()

    def __exit__(self, *exc_info):
        try:
            if exc_info[0] is None:
                self.settle()
        finally:
            self._todo.put(None)
            self._thread.join()
        if exc_info[0] is None and not self._done.empty():
            self._wait()  # closing the records' connection failed
        return False


def _record_failure(message_id: int, now: datetime, error: str, conf) -> bool:
    """Record a failed attempt; True when the message is given up on (failed)."""
    message = db.session.get(OutboxMessage, message_id)
    service.record_failure(db.session, message, now, error, conf)
    return message.status == "failed"


def _close(connection) -> None:
    try:
        connection.close()
    except Exception:  # noqa: S110 - a broken connection may not close
        pass


def deliver(
    now: datetime,
    *,
    worker: str,
    lease_now: Callable[[], datetime] = clock.now,
    report: PassReport | None = None,
) -> PassReport:
    """Send the messages due at `now`, each claimed first so no two processes send the same
    one. `lease_now` is the real clock, for the claims' leases.

    Batches of BATCH messages: one transaction claims and checks a batch; its messages' stored
    emails go as they are over one SMTP connection (kept for the whole pass), and each is
    recorded as sent, in its own small commit, right after the server's OK (in the background,
    `_Recorder`) and before the next message's DATA, so a crash re-sends at most the one
    message whose OK was not yet recorded."""
    report = report or PassReport(now=now.isoformat())
    conf = settings()
    hook = _pause_hook()
    session = db.session
    ids = _retrying(lambda: service.deliverable_message_ids(session, now, lease_now()))
    if not ids:
        return report
    connection = None
    sent = 0

    def recorded() -> None:
        report.sent += 1
        hook("recorded", sent)

    try:
        with _Recorder(db.engine, now, recorded) as recorder:
            for start in range(0, len(ids), BATCH):
                chunk = ids[start : start + BATCH]
                # Every record is committed before the next claim (whose commit waits for the
                # disk, which makes the records before it durable too).
                recorder.settle()
                claimed_at = lease_now()
                outgoing, cancelled = _retrying(
                    lambda c=chunk: _claim_and_check(c, now, worker, lease_now, conf)
                )
                report.cancelled += cancelled
                waiting = deque(outgoing)
                while waiting:
                    if lease_now() >= claimed_at + timedelta(seconds=conf.claim_seconds / 2):
                        # A slow batch: renew the claims before they can lapse.
                        recorder.settle()
                        claimed_at = lease_now()
                        held = set(
                            _retrying(
                                lambda w=[o.id for o in waiting], at=claimed_at: (
                                    service.extend_claims(
                                        session, w, worker, at, conf.claim_seconds
                                    )
                                )
                            )
                        )
                        waiting = deque(o for o in waiting if o.id in held)
                        if not waiting:
                            break
                    out = waiting.popleft()
                    try:
                        if connection is None:
                            connection = mail.get_connection(fail_silently=False)
                            connection.open()
                        send_bytes(
                            connection,
                            out.raw,
                            mail_from=conf.mail_from,
                            to=out.to_address,
                            message_id=out.message_id,
                            before_data=recorder.settle,
                        )
                    except Exception as exc:  # the server is down or refused: retry later
                        recorder.settle()
                        error = f"{type(exc).__name__}: {exc}"
                        report.failed_attempts += 1
                        report.given_up += _retrying(
                            lambda i=out.id, e=error: _record_failure(i, now, e, conf)
                        )
                        if connection is not None:
                            _close(connection)
                            connection = None
                        if _per_message_refusal(exc):
                            continue
                        # The server is unreachable: give the rest back for the next attempt.
                        rest = [o.id for o in waiting]
                        _retrying(lambda r=rest: service.release_ids(session, r, worker))
                        return report
                    sent += 1
                    hook("sent", sent)
                    recorder.record(out.id)
    finally:
        if connection is not None:
            _close(connection)
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
