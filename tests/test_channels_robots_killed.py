"""A scheduler process killed while a robot holds its answer, then another one: every robot
message arrives, none twice, but for the one message the robot had taken and the dead process
never recorded (it is posted again: robots have no Message-ID to recognise it by)."""

import json
from collections import Counter
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from tests.reminders_smtp import (
    add_robot,
    app_config,
    events,
    process_env,
    small_store,
    wait_until,
)
from tracker import create_app
from tracker.channels import service as channels
from tracker.channels.models import RobotMessage
from tracker.extensions import db

TZ = ZoneInfo("Asia/Shanghai")
MONDAY_9 = datetime(2026, 10, 12, 9, tzinfo=TZ).astimezone(UTC)
EVENTS_AT = datetime(2026, 10, 8, 10, tzinfo=TZ).astimezone(UTC)


@pytest.fixture
def app(database_url, tmp_path, smtp, robot_server):
    app = create_app(app_config(database_url, tmp_path, smtp.url))
    with app.app_context():
        store, _ = small_store(db.session, EVENTS_AT - timedelta(days=1))
        events(db.session, store, EVENTS_AT)
        robot = add_robot(
            db.session, store, "sales", robot_server.wecom_url("sales-key"), at=EVENTS_AT
        )
        for n in range(6):
            channels.notice(
                db.session,
                store_id=store.id,
                department_id=robot.department_id,
                key=f"n{n}",
                render=lambda lang, n=n: (f"Notice {n}", [f"- number {n}"]),
                now=EVENTS_AT,
            )
        db.session.commit()
        yield app
        db.session.remove()
        db.engine.dispose()


def robot_messages():
    db.session.expire_all()
    return db.session.scalars(select(RobotMessage).order_by(RobotMessage.id)).all()


@pytest.mark.parametrize("point", ["untaken", "taken"])
def test_a_scheduler_killed_while_a_robot_answers_loses_nothing_and_resends_at_most_one(
    app, robot_server, smtp, schedulers, database_url, tmp_path, point
):
    env = process_env(database_url, tmp_path, smtp.url, TRACKER_OUTBOX_CLAIM_SECONDS=2)
    hold = robot_server.hold(3, keep=point == "taken")
    first = schedulers("first", env)
    assert hold.held.wait(60), first.text()
    first.kill()  # dies waiting for the robot's answer to its 3rd message
    robot_server.release()
    before = robot_server.taken()
    assert len(before) == (3 if point == "taken" else 2)
    assert Counter(m.status for m in robot_messages())["sent"] == 2

    second = schedulers("second", env, "--deliver-every", "1")
    second.wait_for("holds the lock")
    wait_until(lambda: all(m.status == "sent" for m in robot_messages()), timeout=60)
    texts = Counter(g.text for g in robot_server.taken())
    stored = [json.loads(m.raw)["markdown"]["content"] for m in robot_messages()]
    assert len(stored) == 7  # six notices and the summary
    assert set(texts) == set(stored)  # nothing lost
    twice = [t for t, n in texts.items() if n > 1]
    assert twice == ([before[2].text] if point == "taken" else [])
    assert robot_server.problems == [] and robot_server.over_limit == 0
