"""The robots' jobs: compose each robot's summary, and deliver the robot messages due. Like the
email outbox's jobs (`tracker.reminders.jobs`), they own their transactions and run inside an
app context.

Delivery claims what each robot's rate limit leaves room for (one transaction), then posts the
messages one by one and records each as sent in its own commit right after the robot's answer,
before the next one goes: a crash re-sends at most the one message whose answer was not yet
recorded. A robot that fails (unreachable, HTTP 5xx, an errcode such as WeCom's 45009 for its
rate limit) gets no more messages in this pass: the rest of its claimed messages are given
back untried, and the failed one waits for its back-off."""

import logging
import os
import time
from collections import defaultdict
from collections.abc import Callable
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy.exc import OperationalError

from tracker.channels import robots as formats
from tracker.channels import service
from tracker.extensions import db
from tracker.reminders.service import working_times

log = logging.getLogger("tracker.channels")

ATTEMPTS = 8


def _committed(step: Callable):
    """Run one idempotent step in its own transaction, committed; on a transient lock conflict
    between processes (SQLite busy, a PostgreSQL deadlock), rolled back and run again."""
    for n in range(ATTEMPTS):
        try:
            result = step()
            db.session.commit()
            return result
        except OperationalError as exc:
            db.session.rollback()
            text = str(exc).lower()
            transient = "locked" in text or "deadlock" in text or "busy" in text
            if n == ATTEMPTS - 1 or not transient:
                raise
            time.sleep(0.1 * (n + 1))


def _setting(name: str, default):
    value = current_app.config.get(name)
    if value is None:
        value = os.environ.get(f"TRACKER_{name}")
    return type(default)(value) if value is not None else default


def allowed_hosts() -> set[str]:
    """Hosts a robot's webhook may point at besides the vendors' (ROBOT_ALLOW_HOSTS, commas:
    a test's or a relay's server, over http or https)."""
    value = current_app.config.get("ROBOT_ALLOW_HOSTS") or ""
    if isinstance(value, str):
        value = value.split(",")
    return {h.strip().lower() for h in value if h.strip()}


def timeout() -> float:
    """Seconds to wait for a robot's answer (ROBOT_TIMEOUT_SECONDS, default 10)."""
    return _setting("ROBOT_TIMEOUT_SECONDS", 10.0)


def compose(now: datetime, conf) -> int:
    """Compose each robot's summary of the day (once per robot and day)."""

    def step() -> int:
        if not service.any_robot(db.session):
            return 0
        return service.compose(db.session, now, conf, working_times(db.session))

    return _committed(step)


def deliver(now: datetime, *, worker: str, lease_now: Callable[[], datetime], conf, report) -> None:
    """Post the robot messages due at `now`, within each robot's rate limit, each claimed first
    so no two processes send the same one; counts go into the pass's `report`."""
    per_minute = _setting("ROBOT_PER_MINUTE", formats.PER_MINUTE)
    wait = timeout()
    ids = _committed(lambda: service.due_ids(db.session, now, lease_now(), working_times))
    if not ids:
        return
    claimed_at = lease_now()
    claimed = _committed(
        lambda: service.claim(db.session, ids, now, worker, claimed_at, conf, per_minute)
    )
    by_robot = defaultdict(list)
    for c in claimed:
        by_robot[c.robot_id].append(c)
    half_lease = timedelta(seconds=conf.claim_seconds / 2)
    for waiting in by_robot.values():
        while waiting:
            if lease_now() >= claimed_at + half_lease:  # a slow robot: renew before they lapse
                claimed_at = lease_now()
                rest = [c.id for queue in by_robot.values() for c in queue]
                held = _committed(
                    lambda r=rest, at=claimed_at: service.extend(
                        db.session, r, worker, at, conf.claim_seconds
                    )
                )
                for queue in by_robot.values():
                    queue[:] = [c for c in queue if c.id in held]
                continue
            out = waiting.pop(0)
            try:
                formats.post(formats.signed_url(out.url, out.secret, lease_now()), out.raw, wait)
            except formats.RobotError as exc:
                report.robot_failed_attempts += 1
                report.robot_given_up += _committed(
                    lambda o=out, e=exc: service.record_failure(
                        db.session, o.id, worker, now, str(e), conf
                    )
                )
                rest = [c.id for c in waiting]
                _committed(lambda r=rest: service.release(db.session, r, worker))
                waiting.clear()
                break
            if _committed(lambda o=out: service.record_sent(db.session, o.id, worker, now)):
                report.robot_sent += 1
            else:
                log.warning(
                    "robot message %s was sent after its claim lapsed and another process took it "
                    "over: its record is left to that process",
                    out.id,
                )
