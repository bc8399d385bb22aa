"""Group robots as plain functions of the session and `now`: set, test and remove a
department's robot; compose its daily summary (and notices) into the outbox once per key; and
keep each robot message's delivery state (claim within the robot's rate limit, sent, failure
with back-off, failed for the administrators).

Nothing here commits or reads the clock: `tracker.channels.jobs`, the commands and the views
own the transactions and pass `now` (the business instant) and `lease_now` (the real instant,
for leases between processes) down."""

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from tracker.catalog.models import Commitment
from tracker.channels import robots as formats
from tracker.channels.models import MESSAGE_STATUSES, ROBOT_KINDS, Robot, RobotMessage
from tracker.errors import N_, BadInput, NotFound, Word
from tracker.ledger.models import OPEN_STATUSES, Deliverable
from tracker.org.models import Department, Store
from tracker.reminders.service import Settings, backoff

# --- the robots ---

KIND_NAMES = {"wecom": N_("WeCom"), "dingtalk": N_("DingTalk")}


def robots(session: Session) -> list[Robot]:
    """Every robot, by store and department."""
    return list(
        session.scalars(
            select(Robot)
            .join(Store, Store.id == Robot.store_id)
            .join(Department, Department.id == Robot.department_id)
            .order_by(Store.code, Department.code)
        )
    )


def get_robot(session: Session, robot_id: int) -> Robot:
    """The robot with this id, or NotFound."""
    robot = session.get(Robot, robot_id)
    if robot is None:
        raise NotFound(N_("no robot %(id)s"), id=robot_id)
    return robot


def places(session: Session, lang: str) -> tuple[list, list]:
    """The stores and departments a robot may serve, as a form's choices."""
    stores = session.scalars(select(Store).order_by(Store.code))
    departments = session.scalars(select(Department).order_by(Department.code))
    return (
        [(s.code, f"{s.code} · {s.name}") for s in stores],
        [(d.code, d.name(lang)) for d in departments],
    )


def url_problem(kind: str, url: str, allowed_hosts: set[str]) -> str | None:
    """Why this webhook URL cannot serve a robot of this kind (a message to translate), or None."""
    if kind not in ROBOT_KINDS:
        return N_("Choose WeCom or DingTalk.")
    problem = formats.check_url(kind, url, allowed_hosts)
    if problem == "https":
        return N_("The webhook address must start with https://.")
    if problem == "host":
        return N_("A %(kind)s webhook address is on %(host)s.")
    return None


def set_robot(
    session: Session,
    *,
    store: Store,
    department: Department,
    kind: str,
    url: str | None,
    secret: str | None,
    now: datetime,
    allowed_hosts: set[str],
) -> Robot:
    """Give the department in this store its robot, or change it. An empty URL or secret keeps
    the one already set (they are never shown back); a WeCom robot has no secret."""
    robot = session.scalar(
        select(Robot).where(Robot.store_id == store.id, Robot.department_id == department.id)
    )
    url = (url or "").strip() or (robot.url if robot else "")
    if not url:
        raise BadInput(N_("Paste the robot's webhook address."))
    problem = url_problem(kind, url, allowed_hosts)
    if problem:
        raise BadInput(problem, kind=Word(KIND_NAMES[kind]), host=formats.HOSTS[kind])
    secret = (secret or "").strip() or (robot.secret if robot and robot.kind == kind else None)
    if robot is None:
        robot = Robot(store=store, department=department, created_at=now)
        session.add(robot)
    robot.kind, robot.url, robot.updated_at = kind, url, now
    robot.secret = secret if kind == "dingtalk" else None
    session.flush()
    return robot


def remove_robot(session: Session, robot: Robot) -> None:
    """Remove a robot; its messages still waiting are cancelled (the sent ones stay listed)."""
    session.execute(
        update(RobotMessage)
        .where(RobotMessage.robot_id == robot.id, RobotMessage.status == "pending")
        .values(status="cancelled", claimed_by=None, claimed_until=None)
        .execution_options(synchronize_session=False)
    )
    session.execute(
        update(RobotMessage)
        .where(RobotMessage.robot_id == robot.id)
        .values(robot_id=None)
        .execution_options(synchronize_session=False)
    )
    session.delete(robot)
    session.flush()


def kind_name(kind: str) -> str:
    """The robot kind's name as people know it."""
    return _(KIND_NAMES[kind]) if kind in KIND_NAMES else kind


def send_test(robot: Robot, now: datetime, lease_now: datetime, timeout: float) -> None:
    """Post a short test message to the robot now (not through the outbox); RobotError says
    why it did not take it."""
    with force_locale(robot.store.language):
        title = _("Tracker: test message")
        text = _(
            "This group will receive the reminders of %(department)s, %(store)s.",
            department=robot.department.name(robot.store.language),
            store=robot.store.name,
        )
    raw = formats.body(robot.kind, title, f"**{title}**\n\n{text}")
    formats.post(formats.signed_url(robot.url, robot.secret, lease_now), raw, timeout)


# --- composing: the department's daily summary, and notices ---


def summary_key(robot: Robot, day) -> str:
    """The outbox key of a robot's summary of one day."""
    return f"r{robot.id}:summary:{day.isoformat()}"


def _owed(query, *clauses):
    """`query` narrowed to the deliverables still owed (open, commitment not retired)."""
    return query.join(Commitment, Commitment.id == Deliverable.commitment_id).where(
        Deliverable.status.in_(OPEN_STATUSES), Commitment.retired_at.is_(None), *clauses
    )


def _overdue_ids(session: Session, robot: Robot, now: datetime, among=None) -> list[int]:
    """The deliverables of the robot's store still owed and overdue, to or by its department."""
    clauses = [
        Deliverable.store_id == robot.store_id,
        Deliverable.due_at < now,
        or_(
            Deliverable.receiver_id == robot.department_id,
            Deliverable.provider_id == robot.department_id,
        ),
    ]
    if among is not None:
        clauses.append(Deliverable.id.in_(list(among)))
    return list(session.scalars(_owed(select(Deliverable.id), *clauses).order_by(Deliverable.id)))


def _line(d: Deliverable, lang: str, base_url: str) -> str:
    due = d.due_at.astimezone(d.store.zone).strftime("%Y-%m-%d %H:%M")
    reference = f" ({d.reference or d.period})" if d.reference or d.period else ""
    url = f"{base_url.rstrip('/')}/deliverables/{d.id}"
    return "- " + _(
        "[%(title)s](%(url)s)%(reference)s, due %(due)s",
        title=d.version.title(lang),
        url=url,
        reference=reference,
        due=due,
    )


def render_summary(
    session: Session, robot: Robot, ids: list[int], now: datetime, base_url: str
) -> tuple[str, bytes]:
    """(title, JSON body) of the robot's summary listing these deliverables, in the store's
    language: those overdue to the department, then those it owes, each with its link."""
    lang = robot.store.language
    listed = session.scalars(
        select(Deliverable)
        .where(Deliverable.id.in_(ids))
        .order_by(Deliverable.due_at, Deliverable.id)
    ).all()
    to_us = [d for d in listed if d.receiver_id == robot.department_id]
    by_us = [d for d in listed if d.receiver_id != robot.department_id]
    department = robot.department.name(lang)
    as_of = now.astimezone(robot.store.zone).strftime("%Y-%m-%d %H:%M")
    with force_locale(lang):
        title = _("%(department)s: %(num)d overdue", department=department, num=len(listed))
        head = [f"### {title}", _("As of %(time)s (%(store)s)", time=as_of, store=robot.store.name)]
        lines = []
        for heading, rows in (
            (
                _("**Overdue to %(department)s** (%(num)d)", department=department, num=len(to_us)),
                to_us,
            ),
            (
                _(
                    "**Overdue from %(department)s** (%(num)d)",
                    department=department,
                    num=len(by_us),
                ),
                by_us,
            ),
        ):
            if rows:
                lines += ["", heading] + [_line(d, lang, base_url) for d in rows]
        inbox = f"{base_url.rstrip('/')}/inbox"

        def more(n: int) -> str:
            return "\n" + _("… and %(num)d more: [open the tracker](%(url)s)", num=n, url=inbox)

        text = formats.fit(robot.kind, head, lines, more)
    return title, formats.body(robot.kind, title, text)


def _insert(
    session: Session, robot: Robot, key: str, kind: str, title: str, raw: bytes, now, ids=None
) -> bool:
    """Add the message unless its key is there already (written by another process a moment
    ago: the savepoint is let go and nothing else is lost)."""
    if session.scalar(select(RobotMessage.id).where(RobotMessage.key == key)) is not None:
        return False
    message = RobotMessage(
        key=key,
        robot_id=robot.id,
        store_id=robot.store_id,
        department_id=robot.department_id,
        kind=kind,
        language=robot.store.language,
        title=title,
        deliverables=ids,
        raw=raw,
        status="pending",
        attempts=0,
        next_attempt_at=now,
        created_at=now,
    )
    try:
        with session.begin_nested():
            session.add(message)
    except IntegrityError:
        return False
    return True


def compose(session: Session, now: datetime, settings: Settings, wts) -> int:
    """Each robot's summary of the day, once, in working hours of its store's working day, when
    something is overdue to or by its department. How many were composed."""
    composed = 0
    for robot in robots(session):
        wt = wts.get(robot.store_id)
        if wt is None or not wt.is_open(now):
            continue
        key = summary_key(robot, wt.local(now).date())
        if session.scalar(select(RobotMessage.id).where(RobotMessage.key == key)) is not None:
            continue
        ids = _overdue_ids(session, robot, now)
        if ids:
            title, raw = render_summary(session, robot, ids, now, settings.base_url)
            composed += _insert(session, robot, key, "summary", title, raw, now, ids)
    return composed


def robot_for(session: Session, store_id: int, department_id: int) -> Robot | None:
    """The department's robot in this store, if it has one."""
    return session.scalar(
        select(Robot).where(Robot.store_id == store_id, Robot.department_id == department_id)
    )


def notice(
    session: Session,
    *,
    store_id: int,
    department_id: int,
    key: str,
    render: Callable[[str], tuple[str, list[str]]],
    now: datetime,
) -> bool:
    """Queue an instant notice for the department's robot, if it has one, once per `key`:
    `render(language)` gives its title and markdown lines in the store's language (called
    under that locale). False when there is no robot or the key was queued already."""
    robot = robot_for(session, store_id, department_id)
    if robot is None:
        return False
    with force_locale(robot.store.language):
        title, lines = render(robot.store.language)
        text = formats.fit(
            robot.kind, [f"### {title}"], lines, lambda n: _("… and %(num)d more", num=n)
        )
    return _insert(
        session,
        robot,
        f"r{robot.id}:{key}",
        "notice",
        title,
        formats.body(robot.kind, title, text),
        now,
    )


# --- delivery state ---


def any_robot(session: Session) -> bool:
    """Whether any department has a robot (a pass skips the robots' work when none has)."""
    return session.scalar(select(Robot.id).limit(1)) is not None


def due_ids(session: Session, now: datetime, lease_now: datetime, wts) -> list[int]:
    """Robot messages to try now: pending, due for an attempt, not claimed by a live process,
    to robots whose store is in working hours at `now` (`wts`: the stores' working times, or a
    function of the session giving them, called only when some message is due)."""
    due = session.execute(
        select(RobotMessage.id, RobotMessage.store_id)
        .where(
            RobotMessage.status == "pending",
            RobotMessage.robot_id.is_not(None),
            RobotMessage.next_attempt_at <= now,
            or_(RobotMessage.claimed_until.is_(None), RobotMessage.claimed_until < lease_now),
        )
        .order_by(RobotMessage.id)
    ).all()
    if not due:
        return []
    wts = wts(session) if callable(wts) else wts
    return [i for i, store_id in due if store_id in wts and wts[store_id].is_open(now)]


def room(session: Session, robot_ids, now: datetime, lease_now: datetime, per_minute: int) -> dict:
    """How many more messages each robot may be sent now: its limit a minute, less the messages
    recorded as sent to it in the minute before `now` and those claimed by a live process (that
    may send them any moment). Counted from the records, so it holds across processes."""
    robot_ids = sorted(set(robot_ids))
    if session.get_bind().dialect.name == "postgresql":
        # Two deliverers counting at once could both see room for the same last messages: the
        # robots' rows are locked until the claim below is committed (SQLite has one writer).
        session.execute(select(Robot.id).where(Robot.id.in_(robot_ids)).with_for_update())
    used = defaultdict(int)
    recent = (
        select(RobotMessage.robot_id, func.count())
        .where(
            RobotMessage.robot_id.in_(robot_ids),
            or_(
                RobotMessage.sent_at > now - timedelta(minutes=1),
                (RobotMessage.status == "pending") & (RobotMessage.claimed_until >= lease_now),
            ),
        )
        .group_by(RobotMessage.robot_id)
    )
    used.update(dict(session.execute(recent).all()))
    return {r: max(per_minute - used[r], 0) for r in robot_ids}


@dataclass(frozen=True)
class Claimed:
    """A robot message this process took for sending: what posting it needs."""

    id: int
    robot_id: int
    kind: str
    url: str
    secret: str | None
    raw: bytes


def claim(
    session: Session,
    message_ids: list[int],
    now: datetime,
    worker: str,
    lease_now: datetime,
    settings: Settings,
    per_minute: int,
) -> list[Claimed]:
    """Take what each robot's rate limit leaves room for, oldest first, with one conditional
    UPDATE (a message is taken by exactly one process); the summaries' lists are checked again
    (re-rendered without what is no longer owed and overdue, or cancelled when nothing is left).
    The rest waits for a later pass."""
    if not message_ids:
        return []
    rows = session.execute(
        select(RobotMessage.id, RobotMessage.robot_id)
        .where(RobotMessage.id.in_(message_ids), RobotMessage.robot_id.is_not(None))
        .order_by(RobotMessage.id)
    ).all()
    left = room(session, [r for _, r in rows], now, lease_now, per_minute)
    chosen = []
    for message_id, robot_id in rows:
        if left[robot_id] > 0:
            left[robot_id] -= 1
            chosen.append(message_id)
    if not chosen:
        return []
    taken = session.scalars(
        update(RobotMessage)
        .where(
            RobotMessage.id.in_(chosen),
            RobotMessage.status == "pending",
            or_(RobotMessage.claimed_until.is_(None), RobotMessage.claimed_until < lease_now),
        )
        .values(
            claimed_by=worker, claimed_until=lease_now + timedelta(seconds=settings.claim_seconds)
        )
        .returning(RobotMessage.id)
        .execution_options(synchronize_session=False)
    ).all()
    messages = session.scalars(
        select(RobotMessage)
        .where(RobotMessage.id.in_(taken))
        .options(selectinload(RobotMessage.robot))
        .order_by(RobotMessage.id)
        .execution_options(populate_existing=True)
    ).all()
    result = []
    for m in messages:
        if m.kind == "summary" and not _still_wanted(session, m, now, settings):
            continue
        r = m.robot
        raw = formats.as_kind(m.raw, r.kind, m.title)
        result.append(Claimed(m.id, r.id, r.kind, r.url, r.secret, raw))
    session.flush()
    return result


def _still_wanted(
    session: Session, message: RobotMessage, now: datetime, settings: Settings
) -> bool:
    """Check a summary again: re-rendered without the deliverables no longer owed and overdue,
    cancelled when none is left."""
    ids = list(message.deliverables or [])
    live = _overdue_ids(session, message.robot, now, among=ids)
    if live == sorted(ids):
        return True
    if not live:
        message.status = "cancelled"
        message.claimed_by = message.claimed_until = None
        return False
    message.title, message.raw = render_summary(
        session, message.robot, live, now, settings.base_url
    )
    message.deliverables = live
    return True


def extend(
    session: Session, message_ids: list[int], worker: str, lease_now: datetime, seconds: int
) -> set[int]:
    """Renew this process's claims on these messages; the ids it still held."""
    if not message_ids:
        return set()
    return set(
        session.scalars(
            update(RobotMessage)
            .where(
                RobotMessage.id.in_(message_ids),
                RobotMessage.status == "pending",
                RobotMessage.claimed_by == worker,
            )
            .values(claimed_until=lease_now + timedelta(seconds=seconds))
            .returning(RobotMessage.id)
            .execution_options(synchronize_session=False)
        )
    )


def record_sent(session: Session, message_id: int, worker: str, now: datetime) -> bool:
    """Record the message as sent (the robot took it) if this process still holds its claim."""
    done = session.execute(
        update(RobotMessage)
        .where(
            RobotMessage.id == message_id,
            RobotMessage.status == "pending",
            RobotMessage.claimed_by == worker,
        )
        .values(status="sent", sent_at=now, claimed_by=None, claimed_until=None, last_error=None)
        .execution_options(synchronize_session=False)
    )
    return done.rowcount == 1


def record_failure(
    session: Session, message_id: int, worker: str, now: datetime, error: str, settings: Settings
) -> bool:
    """The robot was down or refused: try again after the back-off, or give up after N failures
    (kept as failed for the administrators). True when given up on."""
    message = session.get(RobotMessage, message_id, populate_existing=True)
    if message is None or message.status != "pending" or message.claimed_by != worker:
        return False
    message.attempts += 1
    message.last_error = error[:2000]
    message.claimed_by = message.claimed_until = None
    if message.attempts >= settings.max_attempts:
        message.status, message.failed_at = "failed", now
    else:
        message.next_attempt_at = now + backoff(message.attempts, settings)
    session.flush()
    return message.status == "failed"


def release(session: Session, message_ids: list[int], worker: str) -> None:
    """Give claimed messages back untried (their robot failed just before their turn)."""
    if message_ids:
        session.execute(
            update(RobotMessage)
            .where(
                RobotMessage.id.in_(message_ids),
                RobotMessage.status == "pending",
                RobotMessage.claimed_by == worker,
            )
            .values(claimed_by=None, claimed_until=None)
            .execution_options(synchronize_session=False)
        )


# --- for administrators ---


def failed_messages(session: Session) -> list[RobotMessage]:
    """Robot messages given up on after N failures, newest first."""
    return list(
        session.scalars(
            select(RobotMessage)
            .where(RobotMessage.status == "failed")
            .options(selectinload(RobotMessage.store), selectinload(RobotMessage.department))
            .order_by(RobotMessage.failed_at.desc(), RobotMessage.id.desc())
        )
    )


def retry_failed(session: Session, message_id: int, now: datetime) -> RobotMessage:
    """Put a failed robot message back in the queue (the robot works again)."""
    message = session.get(RobotMessage, message_id)
    if message is None:
        raise NotFound(N_("no robot message %(id)s"), id=message_id)
    if message.status != "failed":
        raise BadInput(
            N_("robot message %(id)s is %(status)s, not failed"),
            id=message_id,
            status=message.status,
        )
    if message.robot_id is None:
        raise BadInput(N_("robot message %(id)s has no robot any more"), id=message_id)
    message.status, message.attempts, message.failed_at = "pending", 0, None
    message.next_attempt_at = now
    session.flush()
    return message


def counts(session: Session) -> dict[str, int]:
    """How many robot messages are in each state."""
    found = {s: 0 for s in MESSAGE_STATUSES}
    found.update(
        session.execute(
            select(RobotMessage.status, func.count()).group_by(RobotMessage.status)
        ).all()
    )
    return found
