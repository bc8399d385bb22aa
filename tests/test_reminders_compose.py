"""Composing digests a chunk of people at a time gives the same digests as composing everyone
at once, a chunk that loses an item to another process keeps its other digests, and the
statements writing and composing run do not grow with the number of items."""

from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import delete, event, func, select, update

from tests.reminders_smtp import SMTPServer, app_config, events, small_store
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


@pytest.fixture
def smtp():
    server = SMTPServer()
    server.start()
    yield server
    server.stop()


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
        with counting() as statements:
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


@contextmanager
def counting():
    statements = []

    def count(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", count)


def test_the_statements_of_writing_and_composing_do_not_grow_with_the_items(app, smtp):
    store, _ = small_store(db.session, EVENTS_AT - timedelta(days=1))
    figures = []
    for rounds in (1, 5):
        db.session.execute(delete(OutboxItem))
        db.session.execute(delete(OutboxMessage))
        db.session.commit()
        for n in range(rounds if not figures else rounds - 1):
            events(db.session, store, EVENTS_AT + timedelta(minutes=len(figures) + n), ALL_EVENTS)
        with counting() as writing:
            written = jobs.write_reminders(MONDAY_9)
        with counting() as composing:
            composed = jobs.compose(MONDAY_9)
        items = db.session.scalar(select(func.count()).select_from(OutboxItem))
        figures.append((written, items, composed, len(writing), len(composing)))
    (few, few_items, people, few_writing, few_composing), (many, many_items, *rest) = figures
    assert many == many_items >= 4 * few and few == few_items >= 10
    assert rest == [people, few_writing, few_composing]
