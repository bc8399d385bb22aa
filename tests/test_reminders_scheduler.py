"""The scheduler as real processes (`flask --app wsgi tracker scheduler`) on one database, mailing
a real SMTP server in this process: killed mid-pass and started again it sends nothing twice and
loses nothing; two side by side, one acts, and when it is killed the other takes over.

To make the kill land mid-pass deterministically, the test's SMTP server holds its answer to
one message's DATA, so the delivering process waits there for good, and the test sends SIGKILL
once that message has arrived: "recorded" holds the 3rd message without taking it (the 2nd was
sent and, as every DATA waits for the record before it, recorded); "sent" holds the 2nd one
and takes it (the server has it, the process dies before it can record it)."""

import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from tests.reminders_smtp import (
    ROOT,
    SCHEDULER_AS_OF,
    app_config,
    events,
    parse_items,
    process_env,
    small_store,
    wait_until,
)
from tracker import create_app
from tracker.extensions import db
from tracker.reminders.models import OutboxItem, OutboxMessage, SchedulerLease

TZ = ZoneInfo("Asia/Shanghai")
MONDAY_9 = SCHEDULER_AS_OF  # where the processes' business clock starts
EVENTS_AT = datetime(2026, 10, 8, 10, tzinfo=TZ).astimezone(UTC)


@pytest.fixture
def app(database_url, tmp_path, smtp):
    app = create_app(app_config(database_url, tmp_path, smtp.url))
    with app.app_context():
        store, _ = small_store(db.session, EVENTS_AT - timedelta(days=1))
        events(db.session, store, EVENTS_AT)
        app.store = store
        yield app
        db.session.remove()
        db.engine.dispose()


def outbox():
    db.session.expire_all()
    return (
        db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all(),
        db.session.scalars(select(OutboxItem)).all(),
    )


def all_sent():
    messages, _ = outbox()
    return messages and all(m.status == "sent" for m in messages)


@pytest.mark.parametrize("point", ["recorded", "sent"])
def test_a_scheduler_killed_mid_pass_and_started_again_sends_nothing_twice_and_loses_nothing(
    app, smtp, schedulers, database_url, tmp_path, point
):
    env = process_env(database_url, tmp_path, smtp.url, TRACKER_OUTBOX_CLAIM_SECONDS=2)
    hold = smtp.handler.hold(3 if point == "recorded" else 2, keep=point == "sent")
    first = schedulers("first", env)
    assert hold.held.wait(30), first.text()
    first.kill()  # dies in the middle of the pass, waiting for the server's answer
    smtp.handler.release()
    before_restart = smtp.handler.taken()
    assert len(before_restart) == 2
    messages, _ = outbox()
    assert len(messages) > 3  # the pass had more to send
    assert Counter(m.status for m in messages)["sent"] == (2 if point == "recorded" else 1)

    # Delivering every second: the messages the dead process had claimed (the rest of its batch)
    # go once their 2 s claims lapse, whenever the takeover happens (on PostgreSQL it is at once).
    second = schedulers("second", env, "--deliver-every", "1")
    second.wait_for("holds the lock")
    wait_until(all_sent)
    messages, items = outbox()
    received = smtp.handler.taken()
    ids = [m.message_id for m in received]
    assert sorted(set(ids)) == sorted(m.message_id for m in messages)  # nothing lost
    if point == "recorded":
        assert len(ids) == len(set(ids))  # nothing twice
    else:
        # The server took the 2nd message but the process died before recording it: it is sent
        # again, and only it, under the same Message-ID, so the resend can be recognised.
        assert [i for i, n in Counter(ids).items() if n > 1] == [before_restart[1].message_id]
    got = Counter((m.to[0], item) for m in {m.message_id: m for m in received}.values()
                  for item in parse_items(m.html))  # fmt: skip
    assert max(got.values()) == 1 and len(got) == len(items)


def test_two_schedulers_side_by_side_one_acts_and_the_other_takes_over_when_it_dies(
    app, smtp, schedulers, database_url, tmp_path
):
    env = process_env(database_url, tmp_path, smtp.url)
    first = schedulers("first", env)
    first.wait_for("holds the lock")
    wait_until(all_sent)
    second = schedulers("second", env)
    second.wait_for("waiting for the lock")
    time.sleep(4)  # longer than a lease: the holder keeps renewing it
    assert "holds the lock" not in second.text() and "job " not in second.text()
    sent_by_first = len(smtp.handler.taken())

    first.kill()
    killed = time.monotonic()
    # Something new to do, which only an acting scheduler will mail.
    from tracker.ledger import service as ledger

    new = ledger.NewEvent(
        store=app.store, type="loan_paid_off", occurred_at=EVENTS_AT, reference="NEW-1"
    )
    ledger.record_event(db.session, new, by=None, now=EVENTS_AT)
    db.session.commit()
    second.wait_for("holds the lock", timeout=15)
    assert time.monotonic() - killed < 10  # lease 3 s + poll 1 s, with room for a busy machine
    wait_until(lambda: len(smtp.handler.taken()) > sent_by_first)
    wait_until(all_sent)
    received = smtp.handler.taken()
    assert len({m.message_id for m in received}) == len(received)
    wait_until(lambda: "job sweep" in second.text())  # logged once the pass's robots are done
    assert any("NEW-1" in m.text for m in received[sent_by_first:])


def test_creating_the_app_starts_no_scheduler(app, database_url, tmp_path, smtp):
    create_app(app_config(database_url, tmp_path, smtp.url))  # as every web worker does
    assert not [t for t in threading.enumerate() if t.name == "tracker-scheduler"]
    assert db.session.scalars(select(SchedulerLease)).all() == []


def test_serve_runs_the_web_and_the_scheduler_in_one_process_behind_the_same_lock(
    app, smtp, schedulers, database_url, tmp_path
):
    import urllib.error
    import urllib.request

    from tests.reminders_smtp import free_port

    env = process_env(database_url, tmp_path, smtp.url, TRACKER_SCHEDULER_POLL_SECONDS=1,
                      TRACKER_SCHEDULER_LEASE_SECONDS=3)  # fmt: skip
    port = free_port()
    log = (tmp_path / "serve.log").open("w")
    serve = subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "wsgi", "tracker", "serve", "--port", str(port)],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        wait_until(lambda: "holds the lock" in (tmp_path / "serve.log").read_text())

        def answers():
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2)
            except urllib.error.HTTPError:
                return True  # it answered (a redirect to sign in, say)
            except OSError:
                return False
            return True

        wait_until(answers)
        other = schedulers("other", env)
        other.wait_for("waiting for the lock")
        time.sleep(3)
        assert "holds the lock" not in other.text()
    finally:
        serve.send_signal(signal.SIGKILL)
        serve.wait(10)
        log.close()
