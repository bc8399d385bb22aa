"""Group robots (WeCom, DingTalk) against a real HTTP server in this process: a department's
summary reaches its robot in the robot's documented format (DingTalk signed), once; the robots'
rate limit of 20 a minute is never passed; 5xx and errcodes are retried with back-off, then
kept as failed and queued again; a robot and the mail server down for two days lose nothing
and send nothing twice."""

import json
import logging
from collections import Counter
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from tests.reminders_smtp import add_robot as shared_add_robot
from tests.reminders_smtp import events, parse_items, small_store
from tracker.channels import robots as formats
from tracker.channels import service as channels
from tracker.channels.models import RobotMessage
from tracker.errors import BadInput
from tracker.extensions import db
from tracker.ledger import service as ledger
from tracker.ledger.models import Deliverable
from tracker.org import service as org
from tracker.org.models import Person
from tracker.reminders import jobs
from tracker.reminders.models import OutboxItem, OutboxMessage

TZ = ZoneInfo("Asia/Shanghai")
MONDAY_9 = datetime(2026, 10, 12, 9, tzinfo=TZ).astimezone(UTC)  # a working Monday morning
EVENTS_AT = datetime(2026, 10, 8, 10, tzinfo=TZ).astimezone(UTC)  # the Thursday before
SECRET = "SECa1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b0c1d2e3f4a5b6c7d8e9f0a1b2"


@pytest.fixture
def app(outbox_app):
    return outbox_app


@pytest.fixture
def store(app):
    store, _ = small_store(db.session, EVENTS_AT - timedelta(days=1))
    events(db.session, store, EVENTS_AT)
    return store


def add_robot(store, department, kind, url, secret=None):
    robot = shared_add_robot(
        db.session, store, department, url, at=EVENTS_AT, kind=kind, secret=secret
    )
    db.session.commit()
    return robot


@pytest.fixture
def robots(store, robot_server):
    """Sales has a WeCom robot; finance a signed DingTalk one."""
    robot_server.secrets["fin-token"] = SECRET
    return {
        "sales": add_robot(store, "sales", "wecom", robot_server.wecom_url("sales-key")),
        "finance": add_robot(
            store, "finance", "dingtalk", robot_server.dingtalk_url("fin-token"), SECRET
        ),
    }


def run_pass(at, robots_clock, worker="w"):
    robots_clock.at = at
    return jobs.run_pass(at, worker=worker, lease_now=robots_clock)


def linked(text: str) -> set[int]:
    """The deliverables a robot's markdown links to."""
    import re

    return {int(i) for i in re.findall(r"/deliverables/(\d+)\)", text)}


def overdue_ids(store, now, department_code) -> set[int]:
    department = org.get_department(db.session, department_code)
    return {
        d.id
        for d in db.session.scalars(select(Deliverable).where(Deliverable.store_id == store.id))
        if d.status == "open" and d.due_at < now and department.id in (d.receiver_id, d.provider_id)
    }


def test_a_departments_summary_reaches_its_robot_in_the_robots_format_once(
    store, robots, robot_server, robots_clock
):
    report = run_pass(MONDAY_9, robots_clock)
    assert (report.robots_composed, report.robot_sent) == (2, 2)
    for again in (MONDAY_9, MONDAY_9 + timedelta(minutes=30), MONDAY_9 + timedelta(hours=3)):
        assert run_pass(again, robots_clock, worker="b").robot_sent == 0
    got = {g.robot: g for g in robot_server.taken()}
    assert robot_server.problems == []
    assert set(got) == {"sales-key", "fin-token"}
    assert got["sales-key"].kind == "wecom" and got["fin-token"].kind == "dingtalk"
    assert linked(got["sales-key"].text) == overdue_ids(store, MONDAY_9, "sales") != set()
    assert linked(got["fin-token"].text) == overdue_ids(store, MONDAY_9, "finance") != set()
    # SH01 speaks Chinese: the title names the department in Chinese
    assert got["fin-token"].title.startswith("财务")
    # the next working day brings the next summary
    tuesday = MONDAY_9 + timedelta(days=1)
    assert run_pass(tuesday, robots_clock).robot_sent == 2


def test_an_english_store_gets_its_robots_messages_in_english(
    store, robots, robot_server, robots_clock
):
    store.language = "en"
    db.session.commit()
    run_pass(MONDAY_9, robots_clock)
    got = {g.robot: g for g in robot_server.taken()}
    assert got["fin-token"].title.startswith("Finance")
    assert "Overdue to Finance" in got["fin-token"].text


def test_a_robot_is_never_sent_more_than_20_messages_a_minute(
    store, robots, robot_server, robots_clock
):
    robot = robots["sales"]
    for n in range(45):
        channels.notice(
            db.session,
            store_id=store.id,
            department_id=robot.department_id,
            key=f"test:{n}",
            render=lambda lang, n=n: (f"Notice {n}", [f"- number {n}"]),
            now=MONDAY_9,
        )
    db.session.commit()
    sent = []
    for seconds in (0, 0, 30, 59, 60, 61, 90, 125, 200):
        at = MONDAY_9 + timedelta(seconds=seconds)
        robots_clock.at = at
        sent.append(jobs.deliver(at, worker=f"w{seconds}", lease_now=robots_clock).robot_sent)
    assert sent == [20, 0, 0, 0, 20, 0, 0, 5, 0]
    assert robot_server.over_limit == 0 and robot_server.problems == []
    texts = Counter(g.text for g in robot_server.taken())
    assert len(texts) == 45 and set(texts.values()) == {1}
    messages = db.session.scalars(select(RobotMessage)).all()
    assert {(m.status, m.attempts) for m in messages} == {("sent", 0)}  # waited, never failed


@pytest.mark.parametrize("failure", [503, 500, 45009, 310000])
def test_a_failing_robot_is_tried_again_with_back_off_and_gets_each_message_once(
    store, robots, robot_server, robots_clock, failure
):
    robot_server.fail_with = failure
    report = run_pass(MONDAY_9, robots_clock)
    assert (report.robot_failed_attempts, report.robot_sent) == (2, 0)
    messages = db.session.scalars(select(RobotMessage)).all()
    assert all(m.next_attempt_at == MONDAY_9 + timedelta(seconds=60) for m in messages)
    assert all(str(failure) in m.last_error for m in messages)
    robots_clock.at = MONDAY_9 + timedelta(seconds=30)
    assert (
        jobs.deliver(robots_clock.at, worker="w", lease_now=robots_clock).robot_failed_attempts == 0
    )
    robot_server.fail_with = None
    robots_clock.at = MONDAY_9 + timedelta(seconds=60)
    assert jobs.deliver(robots_clock.at, worker="w", lease_now=robots_clock).robot_sent == 2
    assert run_pass(MONDAY_9 + timedelta(minutes=5), robots_clock).robot_sent == 0
    assert Counter(g.robot for g in robot_server.taken()) == {"sales-key": 1, "fin-token": 1}


def test_a_robot_failing_for_good_is_kept_as_failed_listed_and_queued_again(
    make_outbox_app, smtp, robot_server, robots_clock
):
    app = make_outbox_app(OUTBOX_MAX_ATTEMPTS=2)
    store, _ = small_store(db.session, EVENTS_AT - timedelta(days=1))
    events(db.session, store, EVENTS_AT)
    robot = add_robot(store, "sales", "wecom", robot_server.wecom_url("sales-key"))
    robot_server.fail_with = 502
    run_pass(MONDAY_9, robots_clock)
    robots_clock.at = MONDAY_9 + timedelta(minutes=1)
    assert jobs.deliver(robots_clock.at, worker="w", lease_now=robots_clock).robot_given_up == 1
    (failed,) = channels.failed_messages(db.session)
    assert failed.robot_id == robot.id and failed.attempts == 2
    runner = app.test_cli_runner()
    out = runner.invoke(args=["tracker", "outbox", "--robots", "--failed", "--json"])
    listed = json.loads(out.output)
    assert [(r["id"], r["department"], r["attempts"]) for r in listed] == [(failed.id, "sales", 2)]
    assert "sales-key" not in out.output  # the webhook's key is a secret
    counts = json.loads(runner.invoke(args=["tracker", "outbox", "--robots", "--json"]).output)
    assert counts == {"pending": 0, "sent": 0, "failed": 1, "cancelled": 0}
    robot_server.fail_with = None
    out = runner.invoke(args=["tracker", "outbox", "--robots", "--retry", str(failed.id)])
    assert out.exit_code == 0, out.output
    robots_clock.at = MONDAY_9 + timedelta(hours=2)
    assert jobs.deliver(robots_clock.at, worker="w", lease_now=robots_clock).robot_sent == 1
    again = runner.invoke(args=["tracker", "outbox", "--robots", "--retry", str(failed.id)])
    assert again.exit_code == 1 and "is sent, not failed" in again.output


def test_a_summary_is_checked_again_before_it_goes(store, robots, robot_server, robots_clock):
    robot_server.fail_with = 503
    run_pass(MONDAY_9, robots_clock)
    message = db.session.scalar(
        select(RobotMessage).where(RobotMessage.robot_id == robots["sales"].id)
    )
    listed = list(message.deliverables)
    closed = db.session.get(Deliverable, listed[0])
    receiver_head = db.session.scalar(
        select(Person).where(
            Person.store_id == store.id,
            Person.department_id == closed.receiver_id,
            Person.role == "head",
        )
    )
    ledger.waive(db.session, closed, by=receiver_head, now=MONDAY_9, reason="not needed")
    db.session.commit()
    robot_server.fail_with = None
    robots_clock.at = MONDAY_9 + timedelta(minutes=2)
    jobs.deliver(robots_clock.at, worker="w", lease_now=robots_clock)
    got = {g.robot: g for g in robot_server.taken()}
    assert linked(got["sales-key"].text) == set(listed) - {closed.id}


def test_a_long_summary_is_cut_to_wecoms_4096_bytes_with_a_link_to_the_rest():
    lines = [
        f"- [一个很长的标题 {n}](http://tracker.test/deliverables/{n}), due 2026-10-09"
        for n in range(200)
    ]
    text = formats.fit(
        "wecom", ["### 标题"], lines, lambda n: f"… and {n} more: [open](http://tracker.test/inbox)"
    )
    assert len(text.encode()) <= 4096
    kept = linked(text)
    assert kept == set(range(len(kept))) and 0 < len(kept) < 200
    assert text.endswith(f"… and {200 - len(kept)} more: [open](http://tracker.test/inbox)")
    assert formats.fit("dingtalk", ["### t"], lines, str).count("\n") == 200  # all of it


def test_dingtalks_signature_is_the_documented_hmac():
    from urllib.parse import quote_plus

    from tests.robots_http import expected_sign

    at = datetime(2026, 10, 12, 1, tzinfo=UTC)
    url = formats.signed_url("https://oapi.dingtalk.com/robot/send?access_token=t", SECRET, at)
    stamp = str(int(at.timestamp() * 1000))
    assert url == (
        "https://oapi.dingtalk.com/robot/send?access_token=t"
        f"&timestamp={stamp}&sign={quote_plus(expected_sign(SECRET, stamp))}"
    )
    assert formats.signed_url(
        "https://oapi.dingtalk.com/robot/send?access_token=t", None, at
    ).endswith("=t")


@pytest.mark.parametrize(
    ("kind", "url", "problem"),
    [
        ("wecom", "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abc", None),
        ("dingtalk", "https://oapi.dingtalk.com/robot/send?access_token=abc", None),
        ("wecom", "http://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abc", "https"),
        ("wecom", "https://oapi.dingtalk.com/robot/send?access_token=abc", "host"),
        ("dingtalk", "https://evil.example/robot/send?access_token=abc", "host"),
        ("dingtalk", "https://user:pw@oapi.dingtalk.com/robot/send", "host"),
        ("wecom", "http://127.0.0.1:8080/cgi-bin/webhook/send?key=abc", None),  # allowed host
        ("wecom", "ftp://127.0.0.1/x", "https"),
    ],
)
def test_a_webhook_must_be_https_to_the_vendors_host_unless_allowed(kind, url, problem):
    assert formats.check_url(kind, url, {"127.0.0.1"}) == problem


def test_a_bad_webhook_is_refused_and_changes_nothing(store):
    with pytest.raises(BadInput):
        add_robot(store, "sales", "wecom", "https://example.com/hook?key=1")
    db.session.rollback()
    assert channels.robots(db.session) == []


def test_neither_the_webhooks_key_nor_the_secret_reaches_the_logs_or_the_errors(
    store, robots, robot_server, robots_clock, caplog
):
    robot_server.fail_with = 500
    with caplog.at_level(logging.DEBUG):
        run_pass(MONDAY_9, robots_clock)
    stored = " ".join(m.last_error or "" for m in db.session.scalars(select(RobotMessage)))
    for secret in ("sales-key", "fin-token", SECRET):
        assert secret not in caplog.text and secret not in stored
    assert formats.masked(robot_server.wecom_url("sales-key")).endswith("key=sale…")
    assert formats.masked_secret(SECRET) == "…" + SECRET[-4:]


def test_a_robot_and_the_mail_server_down_for_two_days_lose_nothing_and_send_nothing_twice(
    store, robots, robot_server, robots_clock, smtp
):
    smtp.stop()
    robot_server.fail_with = 503
    at, end = MONDAY_9, MONDAY_9 + timedelta(days=3)
    while at < end:
        if at == MONDAY_9 + timedelta(days=2):  # both back on Wednesday morning
            smtp.start()
            robot_server.fail_with = None
        run_pass(at, robots_clock, worker="hourly")
        if at < MONDAY_9 + timedelta(days=2):
            assert smtp.handler.taken() == [] and robot_server.taken() == []
        at += timedelta(hours=1)

    db.session.expire_all()
    assert robot_server.problems == []
    # email: every message once, every item in exactly one of them
    received = smtp.handler.taken()
    messages = db.session.scalars(select(OutboxMessage)).all()
    assert Counter(m.status for m in messages) == {"sent": len(messages)}
    assert sorted(r.message_id for r in received) == sorted(m.message_id for m in messages)
    written = db.session.scalars(select(OutboxItem)).all()
    assert len([p for r in received for p in parse_items(r.html)]) == len(written)
    # robots: each day's summary once per robot, retried while it was down
    robot_messages = db.session.scalars(select(RobotMessage)).all()
    assert Counter(m.status for m in robot_messages) == {"sent": len(robot_messages)}
    assert max(m.attempts for m in robot_messages) > 1
    got = Counter((g.robot, g.text) for g in robot_server.taken())
    assert len(robot_server.taken()) == len(robot_messages) == len(got) == 6
    assert Counter(robot for robot, _ in got) == {"sales-key": 3, "fin-token": 3}
    # Monday's and Tuesday's summaries (composed while it was down) and Wednesday's arrived
    assert {key.split(":")[-1] for key in (m.key for m in robot_messages)} == {
        "2026-10-12",
        "2026-10-13",
        "2026-10-14",
    }


def test_a_robots_messages_claimed_by_a_live_process_count_against_its_minute(
    store, robots, robots_clock
):
    """Two deliverers at the same instant: what one has claimed (and may post any moment) is
    counted by the other, so together they never pass 20 a minute; a claim left by a dead
    process counts until its lease lapses, and its messages then go."""
    robot = robots["sales"]
    for n in range(25):
        channels.notice(
            db.session,
            store_id=store.id,
            department_id=robot.department_id,
            key=f"n{n}",
            render=lambda lang, n=n: (f"Notice {n}", [f"- {n}"]),
            now=MONDAY_9,
        )
    db.session.commit()
    ids = channels.due_ids(db.session, MONDAY_9, MONDAY_9, jobs.service.working_times(db.session))
    conf = jobs.settings()
    first = channels.claim(db.session, ids, MONDAY_9, "A", MONDAY_9, conf, 20)
    db.session.commit()
    second = channels.claim(db.session, ids, MONDAY_9, "B", MONDAY_9, conf, 20)
    db.session.commit()
    assert (len(first), len(second)) == (20, 0)
    # A dies without posting: after its lease (300 s) and the minute, B takes 20 of the 25
    later = MONDAY_9 + timedelta(seconds=301)
    third = channels.claim(db.session, ids, later, "B", later, conf, 20)
    assert len(third) == 20


def test_a_robot_changed_from_wecom_to_dingtalk_gets_its_waiting_messages_in_dingtalks_format(
    store, robots, robot_server, robots_clock
):
    robot_server.fail_with = 503
    run_pass(MONDAY_9, robots_clock)  # composed for WeCom, not delivered
    robot_server.secrets["sales-token"] = SECRET
    robot = robots["sales"]
    add_robot(store, "sales", "dingtalk", robot_server.dingtalk_url("sales-token"), SECRET)
    robot_server.fail_with = None
    robots_clock.at = MONDAY_9 + timedelta(minutes=2)
    jobs.deliver(robots_clock.at, worker="w", lease_now=robots_clock)
    got = {g.robot: g for g in robot_server.taken()}
    assert robot_server.problems == []
    assert got["sales-token"].kind == "dingtalk" and robot.id == robots["sales"].id
    assert linked(got["sales-token"].text) == overdue_ids(store, MONDAY_9, "sales")
