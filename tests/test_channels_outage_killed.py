"""Both channels down for two days, then a scheduler killed mid-pass: the mail server is stopped
and both group robots answer 503 from Monday 09:00 to Wednesday 09:00 while passes run every
hour (in this process, on the test's clock). Then both come back and a real `tracker scheduler`
process takes over, and is killed in the middle of its pass, waiting for the answer to a
message (a mail, or a robot's post) that the server has not taken. A second process finishes.

Afterwards every message composed on either channel has arrived exactly once: each mail under
its own Message-ID, each item of each mail once, each robot's summaries and notices once. (When
the server *had* taken the message the dead process was waiting on, that one is sent again:
under the same Message-ID for mail, tests/test_reminders_scheduler.py; a robot has no id to
recognise it by, tests/test_channels_robots_killed.py.)"""

from collections import Counter
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from tests.reminders_smtp import (
    add_robot,
    events,
    parse_items,
    process_env,
    small_store,
    wait_until,
)
from tracker.channels import service as channels
from tracker.channels.models import RobotMessage
from tracker.extensions import db
from tracker.org import service as org
from tracker.reminders import jobs
from tracker.reminders.models import OutboxItem, OutboxMessage

TZ = ZoneInfo("Asia/Shanghai")
MONDAY_9 = datetime(2026, 10, 12, 9, tzinfo=TZ).astimezone(UTC)  # a working Monday morning
WEDNESDAY_9 = MONDAY_9 + timedelta(days=2)
EVENTS_AT = datetime(2026, 10, 8, 10, tzinfo=TZ).astimezone(UTC)  # the Thursday before
DAY_3 = "2026-10-14"  # Wednesday
ROBOTS = {"sales": "sales-key", "finance": "fin-key"}


@pytest.fixture
def store(outbox_app, robot_server):
    store, _ = small_store(db.session, EVENTS_AT - timedelta(days=1))
    events(db.session, store, EVENTS_AT)
    for code, key in ROBOTS.items():
        add_robot(db.session, store, code, robot_server.wecom_url(key), at=EVENTS_AT)
    db.session.commit()
    return store


def both_outboxes():
    db.session.expire_all()
    return (
        db.session.scalars(select(OutboxMessage)).all(),
        db.session.scalars(select(RobotMessage)).all(),
    )


def everything_sent() -> bool:
    mails, posts = both_outboxes()
    return all(m.status == "sent" for m in [*mails, *posts])


@pytest.mark.parametrize("killed_waiting_for", ["mail", "robot"])
def test_both_channels_down_two_days_then_a_killed_scheduler_deliver_every_message_once(
    store, smtp, robot_server, robots_clock, schedulers, database_url, tmp_path, killed_waiting_for
):
    # Monday 09:00 to Wednesday 09:00: the mail server is gone and the robots answer 503.
    smtp.stop()
    robot_server.fail_with = 503
    at = MONDAY_9
    while at < WEDNESDAY_9:
        robots_clock.at = at
        jobs.run_pass(at, worker="hourly", lease_now=robots_clock)
        at += timedelta(hours=1)
    assert smtp.handler.taken() == [] and robot_server.taken() == []
    mails, posts = both_outboxes()
    assert mails and posts and not any(m.status == "sent" for m in [*mails, *posts])
    assert max(m.attempts for m in mails) > 1 and max(m.attempts for m in posts) > 1

    # Both back. A scheduler process acts at the first instant every retry is due again (a
    # retry waits at most two hours), and dies waiting for one answer in the middle of its pass.
    smtp.start()
    robot_server.fail_with = None
    retry = db.session.scalar(
        select(func.max(OutboxMessage.next_attempt_at)).where(OutboxMessage.status != "sent")
    )
    retry = max(retry, db.session.scalar(select(func.max(RobotMessage.next_attempt_at))))
    as_of = max(WEDNESDAY_9, retry)
    assert as_of <= WEDNESDAY_9 + timedelta(hours=2)
    robots_clock.at = as_of
    if killed_waiting_for == "mail":  # two mails recorded, the third not taken
        hold = smtp.handler.hold(3, keep=False)
    else:  # every mail sent, then one robot post recorded and the second not taken
        hold = robot_server.hold(2, keep=False)
    env = process_env(database_url, tmp_path, smtp.url, TRACKER_OUTBOX_CLAIM_SECONDS=2)
    first = schedulers("first", env, as_of=as_of)
    assert hold.held.wait(60), first.text()
    first.kill()
    smtp.handler.release()
    robot_server.release()
    assert not everything_sent()  # it died with work left

    second = schedulers("second", env, "--deliver-every", "1", as_of=as_of)
    second.wait_for("holds the lock")
    wait_until(everything_sent, timeout=90)

    mails, posts = both_outboxes()
    # Mail: every message once, under its own Message-ID, and every item once in them.
    received = smtp.handler.taken()
    ids = Counter(r.message_id for r in received)
    assert set(ids) == {m.message_id for m in mails} and max(ids.values()) == 1
    # (a receiver's summary of the same items may recur from one day's mail to the next)
    items = [(r.to[0], item) for r in received for item in parse_items(r.html)]
    assert len(items) == db.session.scalar(select(func.count()).select_from(OutboxItem))
    reminders = Counter(i for i in items if i[1][0] != "summary")
    assert reminders and max(reminders.values()) == 1
    # Robots: every post once; each robot got Monday's, Tuesday's and Wednesday's summaries.
    got = Counter((g.robot, g.text) for g in robot_server.taken())
    assert max(got.values()) == 1 and len(got) == len(posts)
    assert robot_server.problems == [] and robot_server.over_limit == 0
    summaries = {(p.robot_id, p.key.rsplit(":", 1)[1]) for p in posts if ":summary:" in p.key}
    assert summaries == {
        (robot_id(code), day) for code in ROBOTS for day in ("2026-10-12", "2026-10-13", DAY_3)
    }
    assert Counter(robot for robot, _ in got) == {
        key: sum(1 for p in posts if p.robot_id == robot_id(code)) for code, key in ROBOTS.items()
    }


def robot_id(code: str) -> int:
    department = org.get_department(db.session, code)
    return next(r.id for r in channels.robots(db.session) if r.department_id == department.id)
