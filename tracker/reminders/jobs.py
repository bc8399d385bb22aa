"""The jobs: one pass (create recurring, write reminders, compose digests, deliver) and its
parts. Like commands, jobs own their transactions; they run inside an app context.

Delivery claims and checks a batch of messages in one transaction, then records each message
as sent (or failed) in its own small commit right after the server's answer, committed before
the next message's DATA goes, so a crash loses at most the record of one message the server had
already accepted: that message is sent again under the same Message-ID, which the receiving
side can recognise."""

import logging
import os
import smtplib
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
from tracker.ledger import uploads
from tracker.ledger.service import ensure_recurring
from tracker.reminders import service
from tracker.reminders.models import OutboxMessage
from tracker.reminders.transport import send_bytes

log = logging.getLogger("tracker.reminders")

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
    robots_composed: int = 0
    robot_sent: int = 0
    robot_failed_attempts: int = 0
    robot_given_up: int = 0

    def as_dict(self) -> dict:
        return asdict(self)


# A transient lock conflict between processes (SQLite "database is locked" or "busy", a
# PostgreSQL deadlock) is tried again this many times, a little later each time.
ATTEMPTS = 8


def _again(attempt: Callable, roll_back: Callable[[], None] = lambda: None):
    """Run `attempt` (one transaction); on a transient lock conflict between processes, roll
    back and run it again, up to ATTEMPTS times."""
    for n in range(ATTEMPTS):
        try:
            return attempt()
        except OperationalError as exc:
            roll_back()
            text = str(exc).lower()
            transient = "locked" in text or "deadlock" in text or "busy" in text
            if n == ATTEMPTS - 1 or not transient:
                raise
            time.sleep(0.1 * (n + 1))


def _retrying(step: Callable):
    """Run one idempotent step in its own session transaction, committed (`_again`)."""

    def attempt():
        result = step()
        db.session.commit()
        return result

    return _again(attempt, db.session.rollback)


def create_recurring(now: datetime) -> int:
    """Keep the recurring deliverables created about six weeks ahead."""
    return _retrying(lambda: len(ensure_recurring(db.session, now=now)))


def remove_orphan_evidence(now: datetime) -> uploads.OrphanReport:
    """Remove evidence files that no submission names (older than an hour)."""
    return _retrying(lambda: uploads.remove_orphans(db.session, uploads.folder(), now))


def write_reminders(now: datetime) -> int:
    """Write what the policy wants at `now` into the outbox, and the survey reminders due
    (tracker.satisfaction.reminders)."""
    from tracker.satisfaction import reminders as survey

    conf = settings()
    return _retrying(
        lambda: service.enqueue(db.session, now) + survey.remind(db.session, now, conf)
    )


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


def compose_robots(now: datetime) -> int:
    """Compose the group robots' summaries of the day (tracker.channels)."""
    from tracker.channels import jobs as channels

    return channels.compose(now, settings())


# --- delivery: claim a batch, send its messages, record each one ---


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


def _recorded(connection, record: Callable[[int], bool], message_id: int) -> bool:
    """Record one message as sent, in its own small transaction (on PostgreSQL's autocommit
    connection, the one statement's own); False when this process no longer held its claim."""

    def attempt() -> bool:
        with connection.begin():
            return record(message_id)

    return _again(attempt)


class _Recorder:
    """Records sent messages on a connection of its own (`_records`), in a thread of its own,
    one at a time: a message's record runs while the next message's envelope (MAIL FROM, RCPT
    TO) goes to the server, and that message's DATA waits until the record is committed
    (`settle`). So, as when recording in line, at most one message the server has taken is
    unrecorded at any moment; the thread only hides the record's time behind the server's
    answers. A record is written only while this process (`worker`) holds the message's claim.
    `on_recorded(message_id, recorded)` runs in the delivering thread once a record's
    transaction is committed (`recorded` False: the claim had been taken over)."""

    def __init__(
        self, engine, now: datetime, worker: str, on_recorded: Callable[[int, bool], None]
    ):
        self.engine = engine
        self.now = now
        self.worker = worker
        self.on_recorded = on_recorded
        self._todo: SimpleQueue = SimpleQueue()  # message ids; None to stop
        self._done: SimpleQueue = SimpleQueue()  # each record's outcome (a bool), or its error
        self._pending: int | None = None  # the message whose record is under way

    def _run(self) -> None:
        try:
            with _records(self.engine) as connection:
                record = service.sent_recorder(connection, self.now, self.worker)
                self._done.put(True)  # ready
                while (message_id := self._todo.get()) is not None:
                    try:
                        self._done.put(_recorded(connection, record, message_id))
                    except BaseException as exc:  # raised in the delivering thread
                        self._done.put(exc)
        except BaseException as exc:
            self._done.put(exc)

    def _wait(self) -> bool:
        outcome = self._done.get()
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome

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
        self._pending = message_id

    def settle(self) -> None:
        """Wait until the record under way, if any, is committed (its error is raised here)."""
        if self._pending is not None:
            message_id, self._pending = self._pending, None
            self.on_recorded(message_id, self._wait())

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


class _Sender:
    """The mail connection of a delivery run: opened for the first message, kept for the next
    ones, closed after a failure (the next message opens a new one) and at the end."""

    def __init__(self, mail_from: str):
        self.mail_from = mail_from
        self.connection = None

    def send(self, out: _Outgoing, before_data: Callable[[], None]) -> None:
        """Hand one message's stored bytes to the server (`before_data` runs just before DATA)."""
        if self.connection is None:
            self.connection = mail.get_connection(fail_silently=False)
            self.connection.open()
        send_bytes(
            self.connection,
            out.raw,
            mail_from=self.mail_from,
            to=out.to_address,
            message_id=out.message_id,
            before_data=before_data,
        )

    def close(self) -> None:
        if self.connection is not None:
            _close(self.connection)
            self.connection = None

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()
        return False


@dataclass
class _Batch:
    """Claimed messages still to send, and when their claims were last set (real clock)."""

    waiting: deque[_Outgoing]
    claimed_at: datetime


@dataclass
class _Delivery:
    """One delivery run's parts: claim a batch, send its messages, record each outcome."""

    now: datetime
    worker: str
    lease_now: Callable[[], datetime]
    conf: service.Settings
    report: PassReport

    def claim(self, ids: list[int]) -> _Batch:
        """Claim and check these messages in one transaction (`_claim_and_check`)."""
        claimed_at = self.lease_now()
        outgoing, cancelled = _retrying(
            lambda: _claim_and_check(ids, self.now, self.worker, self.lease_now, self.conf)
        )
        self.report.cancelled += cancelled
        return _Batch(deque(outgoing), claimed_at)

    def renew(self, batch: _Batch) -> None:
        """Renew the claims on a slow batch's waiting messages before they can lapse; those
        this process no longer holds are dropped from the batch."""
        batch.claimed_at = at = self.lease_now()
        ids = [o.id for o in batch.waiting]
        held = set(
            _retrying(
                lambda: service.extend_claims(
                    db.session, ids, self.worker, at, self.conf.claim_seconds
                )
            )
        )
        batch.waiting = deque(o for o in batch.waiting if o.id in held)

    def send(self, batch: _Batch, sender: _Sender, recorder: _Recorder) -> bool:
        """Send a batch's messages one by one, each recorded as sent (in the background) after
        the server's OK and before the next one's DATA; False when the server is unreachable
        (the rest of the batch is given back)."""
        half_lease = timedelta(seconds=self.conf.claim_seconds / 2)
        while batch.waiting:
            if self.lease_now() >= batch.claimed_at + half_lease:
                recorder.settle()
                self.renew(batch)
                continue
            out = batch.waiting.popleft()
            try:
                sender.send(out, before_data=recorder.settle)
            except Exception as exc:  # the server is down or refused: retry later
                recorder.settle()
                sender.close()
                self.failed(out, exc)
                if _per_message_refusal(exc):
                    continue
                rest = [o.id for o in batch.waiting]
                _retrying(lambda r=rest: service.release_ids(db.session, r, self.worker))
                return False
            recorder.record(out.id)
        return True

    def failed(self, out: _Outgoing, exc: Exception) -> None:
        """Record a failed attempt at one message (retried later, or given up on)."""
        error = f"{type(exc).__name__}: {exc}"
        self.report.failed_attempts += 1
        self.report.given_up += _retrying(
            lambda: _record_failure(out.id, self.now, error, self.conf)
        )

    def recorded(self, message_id: int, recorded: bool) -> None:
        """A record's outcome (`_Recorder`): counted as sent, or refused because this process's
        claim lapsed and another process took the message over (which then records it)."""
        if recorded:
            self.report.sent += 1
        else:
            log.warning(
                "outbox message %s was sent after its claim lapsed and another process took "
                "it over: its record is left to that process (the server may get it twice, "
                "under the same Message-ID)",
                message_id,
            )


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
    from tracker.channels import jobs as channels

    report = report or PassReport(now=now.isoformat())
    conf = settings()
    _deliver_mail(_Delivery(now, worker, lease_now, conf, report))
    # The group robots' messages go after the emails, whatever became of those.
    channels.deliver(now, worker=worker, lease_now=lease_now, conf=conf, report=report)
    return report


def _deliver_mail(run: _Delivery) -> None:
    """The emails due: batches claimed, sent over one connection, recorded one by one."""
    now, worker, lease_now = run.now, run.worker, run.lease_now
    ids = _retrying(lambda: service.deliverable_message_ids(db.session, now, lease_now()))
    if not ids:
        return
    with (
        _Sender(run.conf.mail_from) as sender,
        _Recorder(db.engine, now, worker, run.recorded) as recorder,
    ):
        for start in range(0, len(ids), BATCH):
            # Every record is committed before the next claim (whose commit waits for the
            # disk, which makes the records before it durable too).
            recorder.settle()
            if not run.send(run.claim(ids[start : start + BATCH]), sender, recorder):
                break


def run_pass(now: datetime, *, worker: str, lease_now: Callable[[], datetime] = clock.now):
    """One whole pass as of `now`: create recurring deliverables, write the reminders due,
    compose digests, deliver."""
    report = PassReport(now=now.isoformat())
    report.created = create_recurring(now)
    report.written = write_reminders(now)
    report.composed = compose(now)
    report.robots_composed = compose_robots(now)
    deliver(now, worker=worker, lease_now=lease_now, report=report)
    return report


def worker_name() -> str:
    """This process's name in claims and leases: host, pid and a random part."""
    import socket
    import uuid

    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
