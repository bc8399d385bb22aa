"""The outbox against a real SMTP server (aiosmtpd in this process): repeated and concurrent
passes send nothing twice, a mail server down for two days loses nothing, refusals are retried
then kept as failed for the administrators, and closing a deliverable stops its queued mail."""

import json
import subprocess
import sys
from collections import Counter
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from tests.reminders_smtp import (
    ROOT,
    app_config,
    events,
    parse_items,
    process_env,
    small_store,
)
from tracker import clock, create_app
from tracker.catalog import service as catalog
from tracker.errors import BadInput
from tracker.extensions import db
from tracker.ledger import service as ledger
from tracker.ledger.models import Deliverable
from tracker.reminders import jobs, service
from tracker.reminders.models import OutboxItem, OutboxMessage
from tracker.reminders.transport import mail_settings

TZ = ZoneInfo("Asia/Shanghai")
MONDAY_9 = datetime(2026, 10, 12, 9, tzinfo=TZ).astimezone(UTC)  # a working Monday morning
EVENTS_AT = datetime(2026, 10, 8, 10, tzinfo=TZ).astimezone(UTC)  # the Thursday before


@pytest.fixture
def make_app(database_url, tmp_path, smtp):
    apps = []

    def make(**extra):
        app = create_app(app_config(database_url, tmp_path, smtp.url, **extra))
        ctx = app.app_context()
        ctx.push()
        apps.append(ctx)
        return app

    yield make
    for ctx in reversed(apps):
        db.session.remove()
        db.engine.dispose()
        ctx.pop()


@pytest.fixture
def app(make_app):
    return make_app()


@pytest.fixture
def store(app):
    store, _ = small_store(db.session, EVENTS_AT - timedelta(days=1))
    events(db.session, store, EVENTS_AT)
    return store


def pairs(messages) -> list[tuple[str, tuple]]:
    """(recipient, item) for every item of every digest received."""
    return [(m.to[0], item) for m in messages for item in parse_items(m.html)]


def item_of(row: OutboxItem) -> tuple[str, tuple]:
    """An outbox row as the (recipient, item) its digest shows."""
    if row.kind == "summary":
        return row.person.email, ("summary", 0, frozenset(row.payload["deliverables"]))
    return row.person.email, (row.kind, row.step, row.deliverable_id)


def test_repeating_a_pass_sends_nothing_twice(app, store, smtp):
    first = jobs.run_pass(MONDAY_9, worker="a")
    received = smtp.handler.taken()
    assert first.sent == len(received) > 0
    for again in (MONDAY_9, MONDAY_9, MONDAY_9 + timedelta(minutes=30)):
        report = jobs.run_pass(again, worker="b")
        assert (report.written, report.composed, report.sent) == (0, 0, 0)
    assert smtp.handler.taken() == received


def test_a_slow_batch_renews_its_claims_so_none_lapses_before_its_turn(app, store, smtp):
    """Messages are claimed a batch at a time; if sending is slow (here the real clock moves
    60 s at every reading, claims last 300 s), the claims on the messages still waiting are
    renewed before they can lapse and be taken by another process."""
    jobs.write_reminders(MONDAY_9)
    assert jobs.compose(MONDAY_9) >= 6  # more than 300 s of readings without renewal
    start, readings, lapsed = clock.now(), iter(range(10_000)), []

    def slow_clock():
        at = start + timedelta(seconds=60 * next(readings))
        with db.engine.connect() as conn:  # what another process would find free to take
            lapsed.extend(
                conn.scalars(
                    select(OutboxMessage.id).where(
                        OutboxMessage.claimed_by == "me",
                        OutboxMessage.status == "pending",
                        OutboxMessage.claimed_until < at,
                    )
                )
            )
        return at

    report = jobs.deliver(MONDAY_9, worker="me", lease_now=slow_clock)
    assert lapsed == []
    assert report.sent == len(smtp.handler.taken()) > 0
    messages = db.session.scalars(select(OutboxMessage)).all()
    assert {m.status for m in messages} == {"sent"}


def test_each_message_is_recorded_as_sent_before_the_next_one_is_handed_over(
    app, store, smtp, database_url, monkeypatch
):
    """Records run in the background, but a message's DATA waits for the record of the one
    before it: whenever the server is handed a message, every message it took before is
    recorded as sent, so a crash at any point leaves at most one taken but unrecorded. (The
    records are slowed down here, so that one running late would be seen.)"""
    import time

    import sqlalchemy as sa

    recorder = service.sent_recorder

    def slow_recorder(connection, now, worker):
        record = recorder(connection, now, worker)

        def slow(message_id):
            time.sleep(0.05)
            return record(message_id)

        return slow

    monkeypatch.setattr(service, "sent_recorder", slow_recorder)

    jobs.write_reminders(MONDAY_9)
    assert jobs.compose(MONDAY_9) >= 4
    watcher = sa.create_engine(database_url, poolclass=sa.pool.NullPool)
    seen = []

    def on_data(envelope):
        with watcher.connect() as conn:
            recorded = conn.scalar(
                select(sa.func.count())
                .select_from(OutboxMessage)
                .where(OutboxMessage.status == "sent")
            )
        seen.append((len(seen), recorded))

    smtp.handler.on_data = on_data
    try:
        report = jobs.deliver(MONDAY_9, worker="w")
    finally:
        smtp.handler.on_data = None
        watcher.dispose()
    assert report.sent == len(seen) >= 4
    assert [recorded for _, recorded in seen] == [taken for taken, _ in seen]


def test_two_processes_passing_at_the_same_instant_send_nothing_twice(
    app, store, smtp, database_url, tmp_path
):
    env = process_env(database_url, tmp_path, smtp.url)
    for day in (0,):
        at = (MONDAY_9 + timedelta(days=day)).isoformat()
        command = [
            sys.executable,
            "-m",
            "flask",
            "--app",
            "wsgi",
            "tracker",
            "sweep",
            "--json",
            "--now",
            at,
        ]
        runs = [
            subprocess.Popen(
                command,
                cwd=ROOT,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for _ in range(2)
        ]
        reports = []
        for run in runs:
            out, err = run.communicate(timeout=60)
            assert run.returncode == 0, err
            reports.append(json.loads(out))
        assert sum(r["sent"] for r in reports) > 0

    received = smtp.handler.taken()
    db.session.expire_all()
    sent = db.session.scalars(select(OutboxMessage).where(OutboxMessage.status == "sent")).all()
    assert sorted(m.message_id for m in received) == sorted(m.message_id for m in sent)
    assert len({m.message_id for m in received}) == len(received)
    got = pairs(received)  # each written reminder arrived exactly once:
    written = db.session.scalars(select(OutboxItem)).all()
    assert sorted(map(item_of, written), key=str) == sorted(got, key=str)


def test_a_mail_server_down_for_two_days_loses_nothing_and_sends_each_reminder_once(
    app, store, smtp
):
    smtp.stop()
    at, end = MONDAY_9, MONDAY_9 + timedelta(days=3)
    while at < end:
        if at == MONDAY_9 + timedelta(days=2):
            smtp.start()  # back on Wednesday morning
        jobs.run_pass(at, worker="hourly")
        if at < MONDAY_9 + timedelta(days=2):
            assert smtp.handler.taken() == []
        at += timedelta(hours=1)

    received = smtp.handler.taken()
    db.session.expire_all()
    written = db.session.scalars(select(OutboxItem)).all()
    messages = db.session.scalars(select(OutboxMessage)).all()
    assert Counter(m.status for m in messages) == {"sent": len(messages)}
    assert max(m.attempts for m in messages) > 1  # retried while the server was down
    assert [(i.key, i.cancelled_reason) for i in written if i.status != "sent"] == []
    got = pairs(received)  # each written reminder arrived, and exactly once
    assert sorted(map(item_of, written), key=str) == sorted(got, key=str)
    days = {pair[1][:2] for pair in got}
    assert ("overdue", 2) in days  # written on Wednesday while it was down


def test_refused_mail_is_retried_with_back_off_then_kept_as_failed_for_administrators(
    make_app, smtp
):
    # The app's clock (read by `outbox --retry`) is fixed after the passes below, whatever the
    # machine's date: before the events, the retried message would be stale and cancelled.
    app = make_app(OUTBOX_MAX_ATTEMPTS=3, CLOCK=lambda: MONDAY_9 + timedelta(hours=6))
    store, _ = small_store(db.session, EVENTS_AT - timedelta(days=1))
    events(db.session, store, EVENTS_AT, types=("policy_issued",))
    smtp.handler.refuse = True
    report = jobs.run_pass(MONDAY_9, worker="w")
    assert report.failed_attempts == report.composed > 0
    messages = db.session.scalars(select(OutboxMessage)).all()
    assert all(m.next_attempt_at == MONDAY_9 + timedelta(seconds=60) for m in messages)
    assert jobs.deliver(MONDAY_9 + timedelta(seconds=30), worker="w").failed_attempts == 0
    assert jobs.deliver(MONDAY_9 + timedelta(seconds=60), worker="w").failed_attempts > 0
    third = jobs.deliver(MONDAY_9 + timedelta(minutes=4), worker="w")  # after 120 s more
    assert third.given_up == len(messages)

    failed = service.failed_messages(db.session)
    assert {m.id for m in failed} == {m.id for m in messages}
    assert all("550" in m.last_error and m.attempts == 3 for m in failed)
    out = app.test_cli_runner().invoke(args=["tracker", "outbox", "--failed", "--json"])
    listed = json.loads(out.output)
    assert {row["id"] for row in listed} == {m.id for m in messages}
    counts = app.test_cli_runner().invoke(args=["tracker", "outbox", "--json"])
    assert json.loads(counts.output) == {
        "pending": 0,
        "sent": 0,
        "failed": len(messages),
        "cancelled": 0,
        "items_waiting": 0,
    }
    assert jobs.deliver(MONDAY_9 + timedelta(hours=5), worker="w").sent == 0  # kept, not sent

    smtp.handler.refuse = False
    target = failed[0]
    out = app.test_cli_runner().invoke(args=["tracker", "outbox", "--retry", str(target.id)])
    assert out.exit_code == 0, out.output
    # queued again as of the app's clock: the next working moment after it, it goes
    wt = service.working_times(db.session)[store.id]
    assert jobs.deliver(wt.next_open(clock.now()), worker="w").sent == 1
    (got,) = smtp.handler.taken()
    assert got.message_id == target.message_id
    counts = json.loads(app.test_cli_runner().invoke(args=["tracker", "outbox", "--json"]).output)
    assert (counts["sent"], counts["failed"]) == (1, len(messages) - 1)


@pytest.mark.parametrize("closing", ["submitted", "waived", "retired"])
def test_a_deliverable_closed_after_its_digest_was_queued_is_not_mailed(app, smtp, closing):
    store, people = small_store(db.session, EVENTS_AT - timedelta(days=1))
    events(db.session, store, EVENTS_AT, types=("vehicle_delivered", "customer_payment"))
    smtp.stop()
    jobs.run_pass(MONDAY_9, worker="w")  # composed, but the server is down
    clerk = people["sales.clerk2"]
    (queued,) = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.person_id == clerk.id)
    ).all()
    queued_id = queued.message_id
    owed = sorted({i.deliverable_id for i in queued.items if i.deliverable_id}, key=int)
    assert len(owed) >= 2
    target = db.session.get(Deliverable, owed[0])
    later = MONDAY_9 + timedelta(minutes=20)
    if closing == "submitted":
        evidence = ledger.Evidence(reference="R", amount="1", file_name="a.pdf", file_path="a.pdf")
        ledger.submit(
            db.session, target, by=clerk, now=later, evidence=evidence, late_reason="late"
        )
    elif closing == "waived":
        ledger.waive(db.session, target, by=people["finance.clerk0"], now=later, reason="n/a")
    else:
        catalog.retire_commitment(db.session, target.commitment, later)
    db.session.commit()

    smtp.start()
    jobs.run_pass(MONDAY_9 + timedelta(minutes=30), worker="w")
    mails = [m for m in smtp.handler.taken() if m.to == [clerk.email]]
    told = [m for m in mails if 'class="waived"' in m.html]  # the waiver's own notice
    assert len(told) == (1 if closing == "waived" else 0)
    (mail,) = [m for m in mails if m not in told]
    mailed = {item[2] for item in parse_items(mail.html) if item[0] != "summary"}
    assert target.id not in mailed and mailed  # the others still go
    assert f"/deliverables/{target.id}" not in mail.text
    assert mail.message_id != queued_id  # a different set of keys, a different ID
    for m in smtp.handler.taken():  # nor is it listed in the finance summary
        assert all(target.id not in item[2] for item in parse_items(m.html) if item[0] == "summary")


def test_mail_outside_working_hours_waits_for_the_next_working_morning(app, store, smtp):
    friday_evening = datetime(2026, 10, 16, 19, tzinfo=TZ).astimezone(UTC)
    saturday = datetime(2026, 10, 17, 10, tzinfo=TZ).astimezone(UTC)
    monday_8 = datetime(2026, 10, 19, 8, tzinfo=TZ).astimezone(UTC)
    for at in (friday_evening, saturday, monday_8):
        report = jobs.run_pass(at, worker="w")
        assert report.sent == 0
    assert db.session.scalar(select(OutboxItem.id).limit(1)) is not None  # written, waiting
    assert jobs.run_pass(monday_8 + timedelta(hours=1), worker="w").sent > 0


def test_the_message_id_is_derived_from_the_keys():
    keys = ["d1:due:0:p2", "d3:overdue:1:p2"]
    one = service.message_id_for(keys, "tracker.test")
    assert one == service.message_id_for(list(reversed(keys)), "tracker.test")
    assert one != service.message_id_for(keys[:1], "tracker.test")
    assert one.startswith("<reminder.") and one.endswith("@tracker.test>")


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "smtp://mail.example.com",
            {
                "MAIL_SERVER": "mail.example.com",
                "MAIL_PORT": 25,
                "MAIL_USE_TLS": False,
                "MAIL_USE_SSL": False,
            },
        ),
        (
            "smtp://u%40x:p%2Fw@mail.example.com:587?starttls=1",
            {
                "MAIL_USERNAME": "u@x",
                "MAIL_PASSWORD": "p/w",
                "MAIL_PORT": 587,
                "MAIL_USE_TLS": True,
            },
        ),
        (
            "smtps://u:p@mail.example.com",
            {"MAIL_PORT": 465, "MAIL_USE_SSL": True, "MAIL_USE_TLS": False},
        ),
        ("file:///var/tracker/outbox", {"MAIL_FILE_PATH": "/var/tracker/outbox"}),
        ("console://", {"MAIL_BACKEND": "console"}),
    ],
)
def test_the_mail_url_chooses_the_transport(url, expected):
    settings = mail_settings(url)
    assert {k: settings[k] for k in expected} == expected


@pytest.mark.parametrize("url", ["http://x", "smtp://", "mailto:a@b"])
def test_a_bad_mail_url_is_refused_with_a_clear_message(url):
    with pytest.raises(BadInput, match="mail URL"):
        mail_settings(url)


def test_the_file_transport_writes_one_eml_per_message(database_url, tmp_path):
    folder = tmp_path / "outbox"
    app = create_app(app_config(database_url, tmp_path, f"file://{folder}"))
    with app.app_context():
        store, _ = small_store(db.session, EVENTS_AT - timedelta(days=1))
        events(db.session, store, EVENTS_AT)
        report = jobs.run_pass(MONDAY_9, worker="w")
        files = sorted(folder.glob("*.eml"))
        assert len(files) == report.sent > 1
        ids = {m.message_id for m in db.session.scalars(select(OutboxMessage))}
        import email

        assert {email.message_from_bytes(f.read_bytes())["Message-ID"] for f in files} == ids
        db.session.remove()
        db.engine.dispose()
