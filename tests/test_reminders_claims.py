"""Two deliverers never both send one message, shown step by step rather than by a race that
rarely overlaps: each deliverer has its own session and connection and its own clock, and the
steps (claim, send, record) run in a fixed order.

- A deliverer claims a batch; while its claim is live another gets none of it.
- Once the claim lapses (a stalled or dead process) another may take the messages over, and the
  first one's late record of a message it sent is refused, so each message is recorded once.
- Two `tracker sweep` processes: while the first is held by the server in the middle of its
  batch, the second runs a whole pass and sends nothing."""

import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.reminders_smtp import ROOT, app_config, events, process_env, small_store
from tracker import create_app
from tracker.extensions import db
from tracker.reminders import jobs, service
from tracker.reminders.models import OutboxItem, OutboxMessage

TZ = ZoneInfo("Asia/Shanghai")
MONDAY_9 = datetime(2026, 10, 12, 9, tzinfo=TZ).astimezone(UTC)  # a working Monday morning
EVENTS_AT = datetime(2026, 10, 8, 10, tzinfo=TZ).astimezone(UTC)  # the Thursday before
LEASE = 300  # seconds a claim lasts
T0 = datetime(2026, 12, 1, 8, tzinfo=UTC)  # the deliverers' real clock, as each passes it in


@pytest.fixture
def app(database_url, tmp_path, smtp):
    app = create_app(app_config(database_url, tmp_path, smtp.url))
    with app.app_context():
        store, _ = small_store(db.session, EVENTS_AT - timedelta(days=1))
        events(db.session, store, EVENTS_AT)
        jobs.write_reminders(MONDAY_9)
        assert jobs.compose(MONDAY_9) >= 4
        yield app
        db.session.remove()
        db.engine.dispose()


class Deliverer:
    """One delivering process's view of the database: a session and a connection of its own."""

    def __init__(self, worker: str):
        self.worker = worker
        self.session = Session(db.engine)
        self.records = db.engine.connect()
        self.record = service.sent_recorder(self.records, MONDAY_9, worker)

    def due(self, at: datetime) -> list[int]:
        ids = service.deliverable_message_ids(self.session, MONDAY_9, at)
        self.session.commit()
        return ids

    def claim(self, ids: list[int], at: datetime) -> list[int]:
        claimed = service.claim_batch(self.session, ids, self.worker, at, LEASE)
        self.session.commit()
        return [c.id for c in claimed]

    def recorded(self, message_id: int) -> bool:
        """Record a message as sent (the server took it), in its own transaction."""
        with self.records.begin():
            return self.record(message_id)

    def close(self) -> None:
        self.session.close()
        self.records.close()


@pytest.fixture
def deliverers(app):
    made = []

    def make(worker):
        made.append(Deliverer(worker))
        return made[-1]

    yield make
    for d in made:
        d.close()


def message(message_id: int) -> OutboxMessage:
    db.session.expire_all()
    return db.session.get(OutboxMessage, message_id)


def test_a_claimed_batch_is_no_other_deliverers_until_its_claim_lapses(deliverers):
    a, b = deliverers("A"), deliverers("B")
    ids = a.due(T0)
    assert len(ids) >= 4
    assert a.claim(ids, T0) == ids

    # While A's claims are live, B finds nothing to send and takes nothing, however it asks.
    for at in (T0, T0 + timedelta(seconds=1), T0 + timedelta(seconds=LEASE - 1)):
        assert b.due(at) == []
        assert b.claim(ids, at) == []
    assert {message(i).claimed_by for i in ids} == {"A"}

    # A sends and records its first message; the rest stall past the lease.
    assert a.recorded(ids[0]) is True
    lapsed = T0 + timedelta(seconds=LEASE + 1)
    assert b.due(lapsed) == ids[1:]
    assert b.claim(ids, lapsed) == ids[1:]  # the sent one is not taken again
    assert b.claim(ids, lapsed) == []  # and a claim is taken once
    assert b.recorded(ids[1]) is True

    # A wakes up and records what it sent late: refused, so each is recorded once, by B.
    assert a.recorded(ids[1]) is False
    assert a.recorded(ids[2]) is False  # B holds it and has not sent it yet
    first, second, third = message(ids[0]), message(ids[1]), message(ids[2])
    assert (first.status, first.attempts) == ("sent", 1)
    assert (second.status, second.attempts) == ("sent", 1)
    assert (third.status, third.claimed_by) == ("pending", "B")
    assert {i.status for i in third.items} == {"batched"}
    assert b.recorded(ids[2]) is True
    assert (message(ids[2]).status, message(ids[2]).attempts) == ("sent", 1)
    assert {i.status for i in message(ids[2]).items} == {"sent"}
    assert a.recorded(ids[0]) is False  # recorded already: not recorded twice
    assert message(ids[0]).attempts == 1


def test_a_deliverer_renews_and_releases_only_the_claims_it_still_holds(deliverers):
    a, b = deliverers("A"), deliverers("B")
    ids = a.due(T0)
    assert a.claim(ids, T0) == ids
    lapsed = T0 + timedelta(seconds=LEASE + 1)
    assert b.claim(ids[:2], lapsed) == ids[:2]

    assert service.extend_claims(a.session, ids, "A", lapsed, LEASE) == ids[2:]
    service.release_ids(a.session, ids, "A")
    a.session.commit()
    assert [message(i).claimed_by for i in ids[:2]] == ["B", "B"]
    assert {message(i).claimed_by for i in ids[2:]} == {None}


def test_a_second_sweep_while_the_first_is_mid_batch_sends_nothing(
    app, smtp, database_url, tmp_path
):
    env = process_env(database_url, tmp_path, smtp.url)
    command = [sys.executable, "-m", "flask", "--app", "wsgi", "tracker", "sweep", "--json",
               "--now", MONDAY_9.isoformat()]  # fmt: skip

    def sweep():
        return subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )

    hold = smtp.handler.hold(2, keep=False)  # the first sweep waits on its 2nd message
    first = sweep()
    try:
        assert hold.held.wait(30)
        second = sweep()  # runs a whole pass while the first holds its claims
        out, err = second.communicate(timeout=60)
        assert second.returncode == 0, err
        assert json.loads(out)["sent"] == 0
        assert len(smtp.handler.taken()) == 1  # the first one's 1st message only
    finally:
        smtp.handler.release()  # the held message is refused: retried by a later pass
        out, err = first.communicate(timeout=60)
    assert first.returncode == 0, err
    report = json.loads(out)
    received = smtp.handler.taken()
    assert report["failed_attempts"] == 1 and report["sent"] == len(received)
    assert len({m.message_id for m in received}) == len(received)
    db.session.expire_all()
    messages = db.session.scalars(select(OutboxMessage)).all()
    assert sorted(m.message_id for m in messages if m.status == "sent") == sorted(
        m.message_id for m in received
    )
    assert [m.status for m in messages].count("pending") == 1  # the refused one, for later
    assert db.session.scalars(select(OutboxItem).where(OutboxItem.status == "pending")).all() == []
