"""Composing digests: each message's whole email is built once, when it is composed, and
delivery sends those bytes unchanged (to aiosmtpd, to .eml files, to the console); a message
checked again before sending is re-rendered and its new bytes go; composing a chunk of people
at a time gives the same digests as composing everyone at once; the statements composing runs
do not grow with the number of items."""

import email
import email.policy
import io
from contextlib import contextmanager, redirect_stdout
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import delete, event, func, select, update

from tests.pages import counted_queries
from tests.reminders_smtp import app_config, events, small_store
from tracker import create_app
from tracker.extensions import db
from tracker.ledger import service as ledger
from tracker.ledger.models import Deliverable
from tracker.reminders import jobs
from tracker.reminders.models import OutboxItem, OutboxMessage

TZ = ZoneInfo("Asia/Shanghai")
MONDAY_9 = datetime(2026, 10, 12, 9, tzinfo=TZ).astimezone(UTC)  # a working Monday morning
EVENTS_AT = datetime(2026, 10, 8, 10, tzinfo=TZ).astimezone(UTC)  # the Thursday before
ALL_EVENTS = (
    "vehicle_delivered",
    "customer_payment",
    "loan_disbursed",
    "policy_issued",
    "deal_settlement",
    "registration_done",
)


@contextmanager
def app_on(database_url, tmp_path, mail_url, **extra):
    app = create_app(app_config(database_url, tmp_path, mail_url, **extra))
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def app(database_url, tmp_path, smtp):
    with app_on(database_url, tmp_path, smtp.url) as app:
        yield app


@pytest.fixture
def store(app):
    store, _ = small_store(db.session, EVENTS_AT - timedelta(days=1))
    events(db.session, store, EVENTS_AT)
    return store


def stored() -> dict[str, OutboxMessage]:
    db.session.expire_all()
    return {m.message_id: m for m in db.session.scalars(select(OutboxMessage))}


def lines(text: str) -> list[str]:
    """A body's lines, whatever the line ends (the email's are CRLF)."""
    return text.strip().splitlines()


def parsed(raw: bytes):
    return email.message_from_bytes(raw, policy=email.policy.default)


def test_the_email_built_when_composing_is_what_the_server_receives(app, store, smtp):
    jobs.write_reminders(MONDAY_9)
    composed = jobs.compose(MONDAY_9)
    before = {m.message_id: m.raw for m in stored().values()}
    assert len(before) == composed > 1 and all(before.values())

    report = jobs.deliver(MONDAY_9 + timedelta(minutes=5), worker="w")
    received = smtp.handler.taken()
    assert report.sent == len(received) == composed
    messages = stored()
    languages = set()
    for got in received:
        message = messages[got.message_id]
        # byte for byte what was stored when it was composed (smtplib ends DATA with CRLF)
        assert got.data.rstrip(b"\r\n") == before[got.message_id].rstrip(b"\r\n")
        assert message.raw == before[got.message_id] and message.status == "sent"
        mail = parsed(message.raw)
        assert mail["Message-ID"] == message.message_id
        assert mail["To"] == message.to_address and got.to == [message.to_address]
        assert mail["Subject"] == message.subject
        assert mail["Auto-Submitted"] == "auto-generated"
        assert parsedate_to_datetime(mail["Date"]) == MONDAY_9  # when it was composed
        text = lines(mail.get_body(("plain",)).get_content())
        html = lines(mail.get_body(("html",)).get_content())
        assert text == lines(message.body_text)
        assert html == lines(message.body_html)
        assert "/deliverables/" in message.body_text and "/deliverables/" in message.body_html
        languages.add(message.language)
        assert got.language == message.language
    assert languages == {"en", "zh"}


def test_a_message_checked_again_before_sending_goes_with_its_new_email(app, smtp):
    store, people = small_store(db.session, EVENTS_AT - timedelta(days=1))
    events(db.session, store, EVENTS_AT)
    jobs.write_reminders(MONDAY_9)
    jobs.compose(MONDAY_9)
    clerk = people["sales.clerk2"]
    (queued,) = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.person_id == clerk.id)
    ).all()
    old_id, old_raw = queued.message_id, queued.raw
    composed = {m.message_id: m.raw for m in stored().values()}
    owed = sorted({i.deliverable_id for i in queued.items if i.deliverable_id})
    target = db.session.get(Deliverable, owed[0])
    later = MONDAY_9 + timedelta(minutes=20)
    evidence = ledger.Evidence(reference="R", amount="1", file_name="a.pdf", file_path="a.pdf")
    ledger.submit(db.session, target, by=clerk, now=later, evidence=evidence, late_reason="late")
    db.session.commit()

    at = MONDAY_9 + timedelta(minutes=30)
    jobs.deliver(at, worker="w")
    (got,) = [m for m in smtp.handler.taken() if m.to == [clerk.email]]
    message = db.session.get(OutboxMessage, queued.id)
    db.session.refresh(message)
    assert got.message_id == message.message_id != old_id
    assert message.raw != old_raw
    assert got.data.rstrip(b"\r\n") == message.raw.rstrip(b"\r\n")
    assert f"/deliverables/{target.id}" not in got.text
    assert parsedate_to_datetime(parsed(message.raw)["Date"]) == at  # re-rendered then
    # every message goes as stored last: re-rendered if it listed the deliverable (the finance
    # summary too, trimmed), else as it was composed
    final = stored()
    untouched = 0
    for m in smtp.handler.taken():
        raw = final[m.message_id].raw
        assert m.data.rstrip(b"\r\n") == raw.rstrip(b"\r\n")
        if raw == composed.get(m.message_id):
            untouched += 1
            assert parsedate_to_datetime(m.raw["Date"]) == MONDAY_9
        else:
            assert parsedate_to_datetime(m.raw["Date"]) == at
            assert f"/deliverables/{target.id}" not in m.text
    assert 0 < untouched < len(final)


def test_a_person_deactivated_after_their_digest_was_composed_gets_no_mail(app, smtp):
    store, people = small_store(db.session, EVENTS_AT - timedelta(days=1))
    events(db.session, store, EVENTS_AT)
    jobs.write_reminders(MONDAY_9)
    composed = jobs.compose(MONDAY_9)
    gone = people["sales.clerk2"]
    gone.active = False
    db.session.commit()
    report = jobs.deliver(MONDAY_9 + timedelta(minutes=5), worker="w")
    assert report.cancelled == 1 and report.sent == composed - 1
    assert gone.email not in {m.to[0] for m in smtp.handler.taken()}
    (message,) = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.person_id == gone.id)
    ).all()
    assert message.status == "cancelled"
    assert {i.cancelled_reason for i in message.items} == {"inactive"}


def test_a_message_stored_without_its_email_is_built_when_sent(app, store, smtp):
    """Rows composed before the email was kept (NULL) go as they were composed."""
    jobs.write_reminders(MONDAY_9)
    jobs.compose(MONDAY_9)
    db.session.execute(update(OutboxMessage).values(raw=None))
    db.session.commit()
    report = jobs.deliver(MONDAY_9 + timedelta(minutes=5), worker="w")
    received = smtp.handler.taken()
    messages = stored()
    assert report.sent == len(received) == len(messages) > 0
    for got in received:
        message = messages[got.message_id]
        assert message.raw is not None and message.status == "sent"
        assert got.data.rstrip(b"\r\n") == message.raw.rstrip(b"\r\n")
        assert parsedate_to_datetime(got.raw["Date"]) == message.created_at
        assert lines(got.text) == lines(message.body_text)


def test_the_file_and_console_transports_write_the_stored_email(database_url, tmp_path):
    folder = tmp_path / "outbox"
    with app_on(database_url, tmp_path, f"file://{folder}"):
        store, _ = small_store(db.session, EVENTS_AT - timedelta(days=1))
        events(db.session, store, EVENTS_AT)
        jobs.run_pass(MONDAY_9, worker="w")
        messages = {m.message_id: m.raw for m in stored().values()}
        files = {parsed(f.read_bytes())["Message-ID"]: f.read_bytes() for f in folder.glob("*.eml")}
        assert files == messages
        db.session.execute(update(OutboxMessage).values(status="pending", sent_at=None, attempts=0))
        db.session.commit()
    with app_on(database_url, tmp_path, "console://"):
        out = io.StringIO()
        with redirect_stdout(out):
            report = jobs.deliver(MONDAY_9 + timedelta(minutes=5), worker="w")
        assert report.sent == len(messages)
        printed = out.getvalue()
        for raw in messages.values():
            assert raw.decode().replace("\r\n", "\n") in printed


# --- composing a chunk of people at a time ---


def digests() -> dict[str, tuple]:
    """Each person's digest as composed: its items' keys, Message-ID, subject and bodies."""
    db.session.expire_all()
    found = {}
    for m in db.session.scalars(select(OutboxMessage)):
        assert m.person.email not in found  # one digest per person
        keys = sorted(i.key for i in m.items)
        assert all(i.status == "batched" for i in m.items)
        found[m.person.email] = (keys, m.message_id, m.subject, m.body_text, m.body_html)
    return found


def compose_again(size: int) -> tuple[int, dict]:
    """Forget what was composed, compose again with chunks of `size` people."""
    db.session.execute(
        update(OutboxItem)
        .where(OutboxItem.status == "batched")
        .values(status="pending", message_id=None)
    )
    db.session.execute(delete(OutboxMessage))
    db.session.commit()
    db.session.expire_all()
    from flask import current_app

    current_app.config["COMPOSE_PEOPLE"] = size
    return jobs.compose(MONDAY_9), digests()


def test_composing_in_chunks_of_people_gives_the_same_digests(app, smtp):
    store, people = small_store(db.session, EVENTS_AT - timedelta(days=1))
    events(db.session, store, EVENTS_AT, types=ALL_EVENTS)
    # one deliverable closed since its reminders were written: cancelled whatever the chunk
    jobs.write_reminders(MONDAY_9)
    closed = db.session.scalars(select(Deliverable).order_by(Deliverable.id)).first()
    ledger.waive(db.session, closed, by=people["finance.clerk0"], now=MONDAY_9, reason="n/a")
    db.session.commit()

    whole, expected = compose_again(1000)
    assert whole == len(expected) >= 5  # clerks and heads, summaries to finance among them
    assert max(len(d[0]) for d in expected.values()) > 1
    summaries = [d for d in expected.values() if any(":summary:" in k for k in d[0])]
    assert summaries
    cancelled = db.session.scalars(
        select(OutboxItem.key).where(OutboxItem.status == "cancelled")
    ).all()
    assert cancelled and all(k.startswith(f"d{closed.id}:") for k in cancelled)
    for size in (1, 2, 3):
        with counted_queries() as statements:
            composed, got = compose_again(size)
        assert composed == whole
        assert got == expected
        # the stores' working time is loaded once, not again for every chunk
        assert len([s for s in statements if s.startswith("SELECT store.")]) == 1


def test_a_chunk_that_loses_an_item_to_another_process_keeps_the_other_digests(app, smtp):
    """Another process batches one of the chunk's items between our read and our UPDATE: the
    chunk's savepoint is rolled back, its digests are tried one by one, and only the digest
    of that item's person is dropped (the other process sends it)."""
    store, _ = small_store(db.session, EVENTS_AT - timedelta(days=1))
    events(db.session, store, EVENTS_AT)
    jobs.write_reminders(MONDAY_9)
    lost = db.session.scalars(select(OutboxItem).order_by(OutboxItem.id)).first()
    lost_id, lost_person = lost.id, lost.person_id
    waiting = len(set(db.session.scalars(select(OutboxItem.person_id))))
    db.session.commit()

    def other_process(conn, cursor, statement, parameters, context, executemany):
        if statement.startswith("UPDATE outbox_item SET status="):
            cursor.execute(f"UPDATE outbox_item SET status = 'batched' WHERE id = {lost_id}")

    event.listen(db.engine, "before_cursor_execute", other_process)
    try:
        composed = jobs.compose(MONDAY_9)
    finally:
        event.remove(db.engine, "before_cursor_execute", other_process)
    assert composed == waiting - 1
    people = db.session.scalars(select(OutboxMessage.person_id)).all()
    assert lost_person not in people and len(people) == waiting - 1
    items = db.session.scalars(select(OutboxItem)).all()
    assert {i.status for i in items if i.person_id != lost_person} == {"batched"}
    theirs = [i for i in items if i.person_id == lost_person]
    assert {i.status for i in theirs if i.id != lost_id} == {"pending"}  # for the next pass
    assert all(i.message_id is None for i in theirs)


# --- statements ---


def test_the_statements_of_writing_and_composing_do_not_grow_with_the_items(app, smtp):
    store, _ = small_store(db.session, EVENTS_AT - timedelta(days=1))
    figures = []
    for rounds in (1, 5):
        db.session.execute(delete(OutboxItem))
        db.session.execute(delete(OutboxMessage))
        db.session.commit()
        for n in range(rounds if not figures else rounds - 1):
            events(db.session, store, EVENTS_AT + timedelta(minutes=len(figures) + n), ALL_EVENTS)
        with counted_queries() as writing:
            written = jobs.write_reminders(MONDAY_9)
        with counted_queries() as composing:
            composed = jobs.compose(MONDAY_9)
        items = db.session.scalar(select(func.count()).select_from(OutboxItem))
        figures.append((written, items, composed, len(writing), len(composing)))
    (few, few_items, people, few_writing, few_composing), (many, many_items, *rest) = figures
    assert many == many_items >= 4 * few and few == few_items >= 10
    assert rest == [people, few_writing, few_composing]
