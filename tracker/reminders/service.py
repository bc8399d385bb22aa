"""Reminders as plain functions of the session and `now`: write what the policy wants into the
outbox (once per key), group each person's waiting items into one digest, and keep the state of
each message's delivery (claim, sent, failure with back-off, failed for the administrators).

Nothing here commits or reads the clock: the jobs in `tracker.reminders.jobs` and the commands
own the transactions and pass `now` (the business instant) and `lease_now` (the real instant,
for leases between processes) down."""

import hashlib
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, bindparam, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload, undefer
from sqlalchemy.orm.attributes import set_committed_value

from tracker.calendar.service import store_calendars
from tracker.catalog.models import Commitment, CommitmentVersion
from tracker.complaints import reminders as complaints
from tracker.complaints.models import Complaint
from tracker.errors import N_, BadInput, NotFound
from tracker.ledger.models import OPEN_STATUSES, Deliverable
from tracker.ledger.turnaround import decision_policy
from tracker.org.models import Person, Store
from tracker.reminders import digest, transport
from tracker.reminders.models import (
    COMPLAINT_KINDS,
    MESSAGE_STATUSES,
    NOTICE_KINDS,
    OutboxItem,
    OutboxMessage,
    Preference,
)
from tracker.reminders.policy import WorkingTime, overdue_at, policy_of, stages
from tracker.reminders.preferences import ready

# How far ahead a "before" reminder can reach (working days before, across long holidays).
LOOKAHEAD = timedelta(days=45)
CHUNK = 500


@dataclass
class Settings:
    """What delivery needs from the configuration."""

    base_url: str = "http://127.0.0.1:5000"
    mail_from: str = "tracker@localhost"
    max_attempts: int = 40
    backoff_seconds: int = 60
    backoff_max_seconds: int = 7200
    claim_seconds: int = 300

    @property
    def domain(self) -> str:
        return self.mail_from.rpartition("@")[2].strip("> ") or "tracker.local"


def working_times(session: Session) -> dict[int, WorkingTime]:
    """Each store's working time, by store id."""
    stores = session.scalars(select(Store)).all()
    calendars = store_calendars(session, stores)
    return {s.id: WorkingTime(s, calendars[s.id]) for s in stores}


def _staff(session: Session) -> dict:
    """Active people by (store, department, role), by (store, "lead") for a store's leads,
    and by id."""
    found = defaultdict(list)
    for p in session.scalars(select(Person).where(Person.active.is_(True)).order_by(Person.id)):
        found[(p.store_id, p.department_id, p.role)].append(p)
        if p.role == "lead":
            found[(p.store_id, "lead")].append(p)
        found[p.id] = p
    return found


def recipients(staff, deliverable, kind: str, to: str = "owner") -> list[Person]:
    """Who gets a deliverable's reminder: its owner when active, else the providing
    department's clerks in its store (its heads when it has no clerk). An escalation goes to
    its rung of the ladder: the department's clerks, its heads, or the store's leads."""
    key = (deliverable.store_id, deliverable.provider_id)
    if kind == "escalation" or to != "owner":
        if to == "clerks":
            return staff[(*key, "clerk")]
        if to == "leads":
            return staff[(deliverable.store_id, "lead")]
        return staff[(*key, "head")]
    owner = staff.get(deliverable.owner_id) if deliverable.owner_id else None
    if owner is not None and owner.store_id == deliverable.store_id:
        return [owner]
    return staff[(*key, "clerk")] or staff[(*key, "head")]


def item_key(deliverable_id: int, kind: str, step: int, person_id: int) -> str:
    """The outbox key of a deliverable's reminder to one person."""
    return f"d{deliverable_id}:{kind}:{step}:p{person_id}"


def summary_key(store_id: int, department_id: int, day, person_id: int) -> str:
    """The outbox key of a department's daily summary to one person."""
    return f"s{store_id}:{department_id}:summary:{day.isoformat()}:p{person_id}"


def _live(query, *clauses):
    """`query` narrowed to the deliverables still owed (open, commitment not retired) and not
    on hold."""
    return (
        query.join(Commitment, Commitment.id == Deliverable.commitment_id)
        .where(
            Deliverable.status.in_(OPEN_STATUSES),
            Commitment.retired_at.is_(None),
            Deliverable.held_since.is_(None),
            *clauses,
        )
        .order_by(Deliverable.id)
    )


def _live_deliverables(session: Session, *clauses):
    return session.scalars(_live(select(Deliverable), *clauses)).all()


def _live_rows(session: Session, columns, *clauses):
    """The columns of the deliverables still owed, as plain rows (no ORM objects: a pass may
    look at tens of thousands)."""
    return session.execute(_live(select(*columns), *clauses)).all()


def _policies(session: Session, version_ids) -> dict[int, dict]:
    """Each of these commitment versions' reminder policy (defaults filled in), by id."""
    ids = sorted(set(version_ids))
    found = {}
    for i in range(0, len(ids), CHUNK):
        for version in session.scalars(
            select(CommitmentVersion).where(CommitmentVersion.id.in_(ids[i : i + CHUNK]))
        ):
            found[version.id] = policy_of(version)
    return found


def enqueue(session: Session, now: datetime) -> int:
    """Write every reminder the policy wants at `now` that is not in the outbox yet; how many
    were written.

    Safe to run twice or in two processes at once: each key is written once. The deliverables
    are read as plain rows and the reminders written CHUNK at a time, so what is held at once
    does not grow with what is due."""
    wts = working_times(session)
    staff = _staff(session)
    rows = _live_rows(
        session,
        (
            Deliverable.id,
            Deliverable.store_id,
            Deliverable.provider_id,
            Deliverable.version_id,
            Deliverable.due_at,
            Deliverable.owner_id,
        ),
        Deliverable.due_at <= now + LOOKAHEAD,
    )
    policies = _policies(session, (r.version_id for r in rows))
    written = 0
    wanted: dict[str, dict] = {}
    for d in rows:
        wt = wts[d.store_id]
        for stage in stages(d.due_at, policies[d.version_id], wt, now):
            for person in recipients(staff, d, stage.kind, stage.to):
                key = item_key(d.id, stage.kind, stage.step, person.id)
                wanted[key] = dict(
                    key=key,
                    kind=stage.kind,
                    step=stage.step,
                    deliverable_id=d.id,
                    person_id=person.id,
                    store_id=d.store_id,
                    eligible_at=stage.eligible_at,
                )
        if len(wanted) >= CHUNK:
            written += _insert_new(session, wanted, now)
            wanted = {}
    del rows
    written += _insert_new(session, wanted, now)
    written += _insert_new(session, _decisions(session, now, wts, staff), now)
    written += _insert_new(session, complaints.wanted(session, now, wts, staff), now)
    return written + _insert_new(session, _summaries(session, now, wts, staff), now)


# --- the receiving side's decisions (tracker.ledger.turnaround) ---

DECISION_KINDS = ("decision", "decision_head")


def _decisions(session: Session, now: datetime, wts, staff) -> dict[str, dict]:
    """A submission waiting past its decision time: a reminder to the receiving department's
    clerks (its heads when it has none) from the first working moment after it, and an
    escalation to its heads once `decide_escalate_after_working_days` working days have begun
    since. The step is the submission's number, so each submission is reminded once."""
    rows = session.execute(
        select(
            Deliverable.id,
            Deliverable.store_id,
            Deliverable.receiver_id,
            Deliverable.version_id,
            Deliverable.decide_by,
            Deliverable.return_count,
        )
        .join(Commitment, Commitment.id == Deliverable.commitment_id)
        .where(
            Deliverable.status == "submitted",
            Deliverable.decide_by < now,
            Commitment.retired_at.is_(None),
        )
        .order_by(Deliverable.id)
    ).all()
    versions = {}
    for version in session.scalars(
        select(CommitmentVersion).where(CommitmentVersion.id.in_({r.version_id for r in rows}))
    ):
        versions[version.id] = decision_policy(version)["decide_escalate_after_working_days"]
    wanted = {}
    for d in rows:
        wt = wts[d.store_id]
        notice = wt.next_open(d.decide_by)
        if notice > now:
            continue
        seq = d.return_count + 1
        steps = [("decision", notice)]
        after = versions[d.version_id]
        if after >= 1 and overdue_at(d.decide_by, after, wt) <= now:
            steps.append(("decision_head", overdue_at(d.decide_by, after, wt)))
        for kind, eligible_at in steps:
            key = (d.store_id, d.receiver_id)
            people = staff[(*key, "head")]
            if kind == "decision":
                people = staff[(*key, "clerk")] or people
            for person in people:
                item = item_key(d.id, kind, seq, person.id)
                wanted[item] = dict(
                    key=item,
                    kind=kind,
                    step=seq,
                    deliverable_id=d.id,
                    person_id=person.id,
                    store_id=d.store_id,
                    eligible_at=eligible_at,
                )
    return wanted


def _decision_stale(kind: str, step: int, status: str, return_count: int) -> str | None:
    """Why a decision reminder must not go any more: the submission it is about was decided."""
    if status != "submitted":
        return status
    if step != return_count + 1:
        return "decided"
    return None


def _notice_stale(kind: str, step: int, status: str, return_count: int) -> str | None:
    """Why an instant notice must not go any more: a hand-in already decided (the receiving side
    has seen it). A return, a waiver or a request is news however the item moved since."""
    if kind == "handed_in":
        return _decision_stale(kind, step, status, return_count)
    return None


def _summaries(session: Session, now: datetime, wts, staff) -> dict[str, dict]:
    """Each receiving department's daily summary of what is overdue to it, written in working
    hours of a working day (once a day per person)."""
    wanted = {}
    open_stores = [sid for sid, wt in wts.items() if wt.is_open(now)]
    if not open_stores:
        return wanted
    overdue = defaultdict(list)
    for d in _live_rows(
        session,
        (Deliverable.id, Deliverable.store_id, Deliverable.receiver_id),
        Deliverable.due_at < now,
        Deliverable.store_id.in_(open_stores),
    ):
        overdue[(d.store_id, d.receiver_id)].append(d.id)
    for (store_id, department_id), ids in sorted(overdue.items()):
        wt = wts[store_id]
        today = wt.local(now).date()
        people = (
            staff[(store_id, department_id, "clerk")] + staff[(store_id, department_id, "head")]
        )
        for person in sorted(people, key=lambda p: p.id):
            key = summary_key(store_id, department_id, today, person.id)
            wanted[key] = dict(
                key=key,
                kind="summary",
                step=0,
                department_id=department_id,
                person_id=person.id,
                store_id=store_id,
                eligible_at=wt.morning(today),
                payload={"deliverables": ids},
            )
    return wanted


def _insert_ignoring_clashes(session: Session):
    """`INSERT INTO outbox_item ... ON CONFLICT (key) DO NOTHING RETURNING id`."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    elif dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert
    else:  # pragma: no cover - the tracker runs on SQLite and PostgreSQL
        raise NotImplementedError(dialect)
    table = OutboxItem.__table__
    return insert(table).on_conflict_do_nothing(index_elements=["key"]).returning(table.c.id)


def write_items(session: Session, wanted: dict[str, dict], now: datetime) -> int:
    """Write these outbox items (fields by key) whose keys are not there yet; how many were
    written. For the areas' instant notices (a complaint filed or reopened)."""
    return _insert_new(session, wanted, now)


def _insert_new(session: Session, wanted: dict[str, dict], now: datetime) -> int:
    """Insert the wanted items (each with the same fields) whose keys are not in the outbox
    yet, CHUNK at a time; a key another process wrote a moment ago is skipped by the database
    (ON CONFLICT DO NOTHING). How many rows this call inserted."""
    keys = list(wanted)
    written = 0
    for i in range(0, len(keys), CHUNK):
        chunk = keys[i : i + CHUNK]
        existing = set(session.scalars(select(OutboxItem.key).where(OutboxItem.key.in_(chunk))))
        rows = [
            dict(wanted[k], created_at=now, status="pending") for k in chunk if k not in existing
        ]
        if rows:
            written += len(session.execute(_insert_ignoring_clashes(session), rows).all())
    return written


# --- validity at composition and at delivery ---


def _why_stale(
    session: Session,
    item: OutboxItem,
    now: datetime,
    live_overdue: set[int] | None = None,
    owner_changed=None,
) -> str | None:
    """Why an item must not be sent any more, or None. A summary's list is trimmed in place
    (`live_overdue`: the deliverables known to be still owed and overdue, if already looked up).
    `owner_changed` (when composing): whether a stage's reminder is no longer the owner's."""
    if not item.person.active:
        return "inactive"
    if item.kind == "summary":
        ids = (item.payload or {}).get("deliverables", [])
        if live_overdue is not None:
            live = sorted(i for i in ids if i in live_overdue)
        else:
            live = (
                [
                    d.id
                    for d in _live_deliverables(session, Deliverable.id.in_(ids))
                    if d.due_at < now
                ]
                if ids
                else []
            )
        if not live:
            return "nothing_overdue"
        if live != ids:
            item.payload = {"deliverables": live}
        return None
    if item.kind in COMPLAINT_KINDS:
        c = item.complaint
        return complaints.stale(item.kind, item.step, c.status, c.round)
    d = item.deliverable
    if d.commitment.retired_at is not None:
        return "retired"
    if item.kind in DECISION_KINDS:
        return _decision_stale(item.kind, item.step, d.status, d.return_count)
    if item.kind in NOTICE_KINDS:
        return _notice_stale(item.kind, item.step, d.status, d.return_count)
    if d.status not in OPEN_STATUSES:
        return d.status
    if owner_changed is not None and owner_changed(item):
        return "not_owner"
    if d.held_since is not None:
        return "held"
    return None


def _not_the_owners(item: OutboxItem) -> bool:
    """A stage's reminder (not an escalation) to someone other than the deliverable's active
    owner: written before the item was taken over or reassigned (or given an owner)."""
    d = item.deliverable
    owner = d.owner
    return (
        item.kind != "escalation"
        and item.kind not in NOTICE_KINDS
        and owner is not None
        and owner.active
        and owner.store_id == d.store_id
        and item.person_id != owner.id
    )


def _cancel(item: OutboxItem, reason: str) -> None:
    item.status = "cancelled"
    item.cancelled_reason = reason


def message_id_for(keys: list[str], domain: str) -> str:
    """The Message-ID of the digest of these outbox keys: the same keys, the same Message-ID."""
    digest_ = hashlib.sha256("\n".join(sorted(keys)).encode()).hexdigest()[:40]
    return f"<reminder.{digest_}@{domain}>"


def _render_into(
    session: Session, message: OutboxMessage, items, now, settings, wts, listed=None
) -> None:
    """Render the digest of these items into the message: subject, bodies, Message-ID, and the
    whole email as bytes (dated `now`), which is what delivery sends."""
    person = message.person
    wt = wts[message.store_id]
    subject, text, html = digest.render(
        session, person, items, now, settings.base_url, wt, listed=listed
    )
    message.subject = subject
    message.body_text = text
    message.body_html = html
    message.message_id = message_id_for([i.key for i in items], settings.domain)
    message.raw = transport.message_bytes(message, settings.mail_from, now)


def anything_waiting(session: Session) -> bool:
    """Whether any item waits to be composed (the pass skips the rest when none does)."""
    return (
        session.scalar(select(OutboxItem.id).where(OutboxItem.status == "pending").limit(1))
        is not None
    )


def waiting_people(session: Session, now: datetime, wts) -> list[int]:
    """The people with items waiting whose store is in working hours at `now`, by id."""
    open_stores = [sid for sid, wt in wts.items() if wt.is_open(now)]
    if not open_stores:
        return []
    return list(
        session.scalars(
            select(OutboxItem.person_id)
            .join(Person, Person.id == OutboxItem.person_id)
            .where(OutboxItem.status == "pending", Person.store_id.in_(open_stores))
            .distinct()
            .order_by(OutboxItem.person_id)
        )
    )


def _listed(session: Session, ids) -> dict[int, Deliverable]:
    """The deliverables summaries list, by id, loaded (with what their lines show) at once."""
    ids = sorted(set(ids))
    found = {}
    for i in range(0, len(ids), CHUNK):
        for d in session.scalars(select(Deliverable).where(Deliverable.id.in_(ids[i : i + CHUNK]))):
            found[d.id] = d
    return found


# What `_render_into` writes into a message.
_RENDERED = ("subject", "body_text", "body_html", "message_id", "raw")


@dataclass
class _Digest:
    """One person's digest, rendered, before its message row exists."""

    person: Person
    items: list[OutboxItem]
    fields: dict

    def message(self) -> OutboxMessage:
        """A new message row of this digest (made again if a savepoint took the first away)."""
        message = OutboxMessage(**self.fields)
        message.person = self.person
        return message


def _take(session: Session, pairs: list[tuple[int, int]]) -> int:
    """Batch items into messages, (item id, message id) pairs, each only if still pending (one
    statement run for every pair); how many were taken."""
    if not pairs:
        return 0
    return session.execute(
        _BATCH_ITEM, [{"item_id": item_id, "into": message_id} for item_id, message_id in pairs]
    ).rowcount


def compose_people(
    session: Session, now: datetime, settings: Settings, person_ids: list[int], wts
) -> int:
    """Group these people's waiting items into one digest each (for people whose store is in
    working hours at `now`); stale items are cancelled; how many digests were composed.

    A few statements whatever the number of items: the items with their people, deliverables
    and departments, the deliverables the summaries list, one INSERT of the messages and one
    conditional UPDATE run for every item (`status='pending'`). Two processes never batch the
    same item: if fewer items were taken than offered, the chunk's savepoint is rolled back
    and its digests are tried one by one, each dropped if another process took any of its
    items first."""
    digests = _digests(session, _waiting_items(session, person_ids), now, wts)
    if not digests:
        return 0
    _render_digests(session, digests, now, settings, wts)
    if _write_all(session, digests):
        return len(digests)
    # Another process batched some of them a moment ago: one digest at a time then.
    return sum(_write_one(session, dg) for dg in digests)


# What a complaint's digest entry shows, loaded with the items (tracker.complaints.reminders).
_COMPLAINT_PARTS = (
    selectinload(Complaint.owner),
    selectinload(Complaint.filed_by),
    selectinload(Complaint.store),
)


def _waiting_items(session: Session, person_ids: list[int]) -> list[OutboxItem]:
    """These people's pending items, with their people, deliverables and departments."""
    return session.scalars(
        select(OutboxItem)
        .where(OutboxItem.status == "pending", OutboxItem.person_id.in_(person_ids))
        .options(
            selectinload(OutboxItem.person),
            selectinload(OutboxItem.deliverable).selectinload(Deliverable.owner),
            selectinload(OutboxItem.complaint).options(*_COMPLAINT_PARTS),
            selectinload(OutboxItem.department),
        )
        .order_by(OutboxItem.id)
    ).all()


def _digests(session: Session, items: list[OutboxItem], now: datetime, wts) -> list[_Digest]:
    """The items grouped by person, for people whose store is in working hours at `now`; stale
    items are cancelled (flushed here, outside the savepoints that write the digests)."""
    if not items:
        return []
    summarised = [
        d for i in items if i.kind == "summary" for d in (i.payload or {}).get("deliverables", [])
    ]
    live_overdue = _live_overdue(session, summarised, now) if summarised else set()
    by_person = defaultdict(list)
    for item in items:
        by_person[item.person_id].append(item)
    preferences = {
        p.person_id: p
        for p in session.scalars(select(Preference).where(Preference.person_id.in_(by_person)))
    }
    digests = []
    for person_id, mine in by_person.items():
        person = mine[0].person
        wt = wts[person.store_id]
        if not wt.is_open(now):
            continue
        live = []
        for item in ready(mine, preferences.get(person_id), wt, now):
            reason = _why_stale(session, item, now, live_overdue, _not_the_owners)
            if reason:
                _cancel(item, reason)
            else:
                live.append(item)
        if live:
            digests.append(_Digest(person, live, {}))
    session.flush()
    return digests


def _render_digests(
    session: Session, digests: list[_Digest], now: datetime, settings: Settings, wts
) -> None:
    """Render each digest (its message's fields, the email's bytes among them), with the
    deliverables the summaries list loaded at once and let go after."""
    listed = _listed(
        session,
        (
            d
            for dg in digests
            for i in dg.items
            if i.kind == "summary"
            for d in i.payload["deliverables"]
        ),
    )
    for dg in digests:
        fields = dict(
            person_id=dg.person.id,
            store_id=dg.person.store_id,
            language=dg.person.language,
            to_address=dg.person.email,
            status="pending",
            attempts=0,
            next_attempt_at=now,
            created_at=now,
        )
        message = OutboxMessage(**fields)
        message.person = dg.person
        _render_into(session, message, dg.items, now, settings, wts, listed)
        dg.fields = fields | {k: getattr(message, k) for k in _RENDERED}


def _write_all(session: Session, digests: list[_Digest]) -> bool:
    """Insert every digest's message and take all their items, in one savepoint; False (rolled
    back) when another process took any of the items first."""
    try:
        with session.begin_nested():
            messages = [dg.message() for dg in digests]
            session.add_all(messages)
            session.flush()
            pairs = [
                (i.id, m.id) for dg, m in zip(digests, messages, strict=True) for i in dg.items
            ]
            if _take(session, pairs) != len(pairs):
                raise _Lost()
    except (_Lost, IntegrityError):
        return False
    for dg, m in zip(digests, messages, strict=True):
        _batched(dg.items, m.id)
    return True


def _write_one(session: Session, dg: _Digest) -> bool:
    """Insert one digest's message and take its items, in a savepoint; False (rolled back,
    its items expired) when another process took any of them first."""
    try:
        with session.begin_nested():
            message = dg.message()
            session.add(message)
            session.flush()
            if _take(session, [(i.id, message.id) for i in dg.items]) != len(dg.items):
                raise _Lost()
    except (_Lost, IntegrityError):
        for item in dg.items:
            session.expire(item)
        return False
    _batched(dg.items, message.id)
    return True


def _batched(items, message_id: int) -> None:
    """What `_take` wrote, told to the items in memory (without a flush of its own)."""
    for item in items:
        set_committed_value(item, "status", "batched")
        set_committed_value(item, "message_id", message_id)


class _Lost(Exception):
    """Another process took some of the items first."""


# --- delivery state ---


def deliverable_message_ids(session: Session, now: datetime, lease_now: datetime) -> list[int]:
    """Messages to try now: pending, due for an attempt, not claimed by a live process, to
    people whose store is in working hours at `now`."""
    due = session.execute(
        select(OutboxMessage.id, OutboxMessage.store_id)
        .where(
            OutboxMessage.status == "pending",
            OutboxMessage.next_attempt_at <= now,
            or_(
                OutboxMessage.claimed_until.is_(None),
                OutboxMessage.claimed_until < lease_now,
            ),
        )
        .order_by(OutboxMessage.id)
    ).all()
    if not due:
        return []
    wts = working_times(session)
    return [message_id for message_id, store_id in due if wts[store_id].is_open(now)]


@dataclass(frozen=True)
class Claimed:
    """A message this process took for sending: what sending it as composed needs."""

    id: int
    message_id: str
    to_address: str
    raw: bytes | None


def _ids_in(column, ids):
    """`column IN (...)` with the ids written into the statement: PostgreSQL's driver parses
    a statement of more than 50 parameters again at every execution, which for a batch of ids
    costs more than the whole query."""
    return column.in_(bindparam(None, list(ids), expanding=True, literal_execute=True))


def claim_batch(
    session: Session, message_ids: list[int], worker: str, lease_now: datetime, seconds: int
) -> list[Claimed]:
    """Take these messages for sending with one conditional UPDATE; the messages this process
    took, by id, with their stored email (a message is taken by exactly one process: pending,
    and unclaimed or its lease expired)."""
    if not message_ids:
        return []
    taken = session.execute(
        update(OutboxMessage)
        .where(
            _ids_in(OutboxMessage.id, message_ids),
            OutboxMessage.status == "pending",
            or_(
                OutboxMessage.claimed_until.is_(None),
                OutboxMessage.claimed_until < lease_now,
            ),
        )
        .values(claimed_by=worker, claimed_until=lease_now + timedelta(seconds=seconds))
        .returning(
            OutboxMessage.id, OutboxMessage.message_id, OutboxMessage.to_address, OutboxMessage.raw
        )
        .execution_options(synchronize_session=False)
    ).all()
    return sorted((Claimed(*row) for row in taken), key=lambda c: c.id)


def to_check(session: Session, claimed: list[Claimed], now: datetime) -> set[int]:
    """Of these claimed messages, the ids of those that cannot go as composed: an item is no
    longer wanted (its person deactivated, its deliverable submitted, accepted or waived, its
    commitment retired), a summary lists a deliverable no longer owed and overdue, or the
    message has no stored email (composed before emails were kept). One query for the batch's
    items (plain rows), one more for the deliverables its summaries list; most batches find
    none."""
    ids = [c.id for c in claimed]
    if not ids:
        return set()
    found = {c.id for c in claimed if c.raw is None}
    rows = session.execute(
        select(
            OutboxItem.message_id,
            OutboxItem.kind,
            OutboxItem.payload,
            Person.active,
            Deliverable.status,
            Commitment.retired_at,
            OutboxItem.step,
            Deliverable.return_count,
            Deliverable.held_since,
            Complaint.status,
            Complaint.round,
        )
        .join(Person, Person.id == OutboxItem.person_id)
        .outerjoin(Complaint, Complaint.id == OutboxItem.complaint_id)
        .outerjoin(Deliverable, Deliverable.id == OutboxItem.deliverable_id)
        .outerjoin(Commitment, Commitment.id == Deliverable.commitment_id)
        .where(_ids_in(OutboxItem.message_id, ids), OutboxItem.status == "batched")
    ).all()
    listed: dict[int, list[int]] = defaultdict(list)  # by message, what its summaries list
    for message_id, kind, payload, active, status, retired_at, step, returns, held, *c in rows:
        if not active:
            found.add(message_id)
        elif kind in COMPLAINT_KINDS:
            if complaints.stale(kind, step, *c):
                found.add(message_id)
        elif kind == "summary":
            deliverables = (payload or {}).get("deliverables", [])
            if not deliverables:
                found.add(message_id)
            listed[message_id].extend(deliverables)
        elif kind in DECISION_KINDS:
            if retired_at is not None or _decision_stale(kind, step, status, returns):
                found.add(message_id)
        elif kind in NOTICE_KINDS:
            if retired_at is not None or _notice_stale(kind, step, status, returns):
                found.add(message_id)
        elif status not in OPEN_STATUSES or retired_at is not None or held is not None:
            found.add(message_id)
    if listed:
        live = _live_overdue(session, [d for ds in listed.values() for d in ds], now)
        found.update(m for m, ds in listed.items() if any(d not in live for d in ds))
    return found


def extend_claims(
    session: Session, message_ids: list[int], worker: str, lease_now: datetime, seconds: int
) -> list[int]:
    """Renew this process's claims on messages it has not sent yet (a slow batch); the ids still
    held (a claim that lapsed and was taken by another process is not renewed)."""
    if not message_ids:
        return []
    kept = session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.id.in_(message_ids),
            OutboxMessage.status == "pending",
            OutboxMessage.claimed_by == worker,
        )
        .values(claimed_until=lease_now + timedelta(seconds=seconds))
        .returning(OutboxMessage.id)
        .execution_options(synchronize_session=False)
    ).scalars()
    return sorted(kept)


def claimed_messages(session: Session, message_ids: list[int]) -> list[OutboxMessage]:
    """Claimed messages with everything their check needs (items, their people, deliverables
    and commitments, and the deliverables their summaries list) in a few set-based queries."""
    if not message_ids:
        return []
    messages = session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.id.in_(message_ids))
        .options(
            undefer(OutboxMessage.raw),
            selectinload(OutboxMessage.person),
            selectinload(OutboxMessage.items).options(
                selectinload(OutboxItem.person),
                selectinload(OutboxItem.deliverable).selectinload(Deliverable.commitment),
                selectinload(OutboxItem.complaint).options(*_COMPLAINT_PARTS),
            ),
        )
        .order_by(OutboxMessage.id)
    ).all()
    return list(messages)


def _live_overdue(session: Session, ids, now: datetime) -> set[int]:
    """Of these deliverable ids, those still owed (open, commitment not retired) and overdue."""
    ids = sorted(set(ids))
    live = set()
    for i in range(0, len(ids), CHUNK):
        live.update(
            session.scalars(
                select(Deliverable.id)
                .join(Commitment, Commitment.id == Deliverable.commitment_id)
                .where(
                    _ids_in(Deliverable.id, ids[i : i + CHUNK]),
                    Deliverable.status.in_(OPEN_STATUSES),
                    Commitment.retired_at.is_(None),
                    Deliverable.held_since.is_(None),
                    Deliverable.due_at < now,
                )
            )
        )
    return live


def revalidate_batch(
    session: Session, messages: list[OutboxMessage], now: datetime, settings: Settings
) -> tuple[list[OutboxMessage], int]:
    """Check claimed messages' items again just before sending: items whose deliverable was
    submitted, accepted or waived (or whose commitment was retired) since are dropped and the
    digest re-rendered; a message with nothing left is cancelled. The summaries' deliverables
    are looked up in one query for the whole batch. Returns the messages still to send and how
    many were cancelled."""
    batched = {m.id: [i for i in m.items if i.status == "batched"] for m in messages}
    summary_ids = [
        d
        for items in batched.values()
        for i in items
        if i.kind == "summary"
        for d in (i.payload or {}).get("deliverables", [])
    ]
    live_overdue = _live_overdue(session, summary_ids, now) if summary_ids else set()
    keep, cancelled, wts = [], 0, None
    for message in messages:
        live, changed = [], False
        for item in batched[message.id]:
            before = dict(item.payload) if item.payload else None
            reason = _why_stale(session, item, now, live_overdue)
            if reason:
                _cancel(item, reason)
                changed = True
            else:
                changed = changed or (item.payload != before)
                live.append(item)
        if not live:
            message.status = "cancelled"
            message.claimed_by = message.claimed_until = None
            cancelled += 1
            continue
        if changed:
            wts = wts or working_times(session)
            _render_into(session, message, live, now, settings, wts)
        elif message.raw is None:  # composed before emails were kept: built now, as composed
            message.raw = transport.message_bytes(message, settings.mail_from, message.created_at)
        keep.append(message)
    session.flush()
    return keep, cancelled


_MESSAGES, _ITEMS = OutboxMessage.__table__, OutboxItem.__table__
_BATCH_ITEM = (
    update(_ITEMS)
    .where(_ITEMS.c.id == bindparam("item_id"), _ITEMS.c.status == "pending")
    .values(status="batched", message_id=bindparam("into"))
)

# Recording a message as sent is what runs for every message: plain SQL, run as it is (the
# message and its items in one statement on PostgreSQL, one round trip; two on SQLite). The
# message is recorded only while the sending process holds its claim: a process whose claim
# lapsed and was taken over finds its record refused, so a message is recorded once.
_SENT_POSTGRESQL = (
    "WITH sent AS (UPDATE outbox_message SET status = 'sent', sent_at = %(now)s,"
    " attempts = attempts + 1, last_error = NULL, claimed_by = NULL, claimed_until = NULL"
    " WHERE id = %(id)s AND status = 'pending' AND claimed_by = %(worker)s RETURNING id),"
    " items AS (UPDATE outbox_item SET status = 'sent'"
    " WHERE message_id IN (SELECT id FROM sent) AND status = 'batched')"
    " SELECT count(*) FROM sent"
)
_SENT_SQLITE = (
    "UPDATE outbox_message SET status = 'sent', sent_at = :now, attempts = attempts + 1,"
    " last_error = NULL, claimed_by = NULL, claimed_until = NULL"
    " WHERE id = :id AND status = 'pending' AND claimed_by = :worker",
    "UPDATE outbox_item SET status = 'sent' WHERE message_id = :id AND status = 'batched'",
)


def sent_recorder(connection: Connection, now: datetime, worker: str) -> Callable[[int], bool]:
    """A function recording the message with a given id as sent (the server took it), in the
    transaction under way on `connection`, if `worker` still holds its claim (True), else
    nothing (False): plain UPDATEs of the message and its items, nothing loaded, with `now`
    converted for the database once (no statement compiled or value converted per message)."""
    sent_at = _MESSAGES.c.sent_at.type.dialect_impl(connection.dialect)
    process = sent_at.bind_processor(connection.dialect)
    at = process(now) if process else now

    if connection.dialect.name == "postgresql":

        def record(message_id: int) -> bool:
            params = {"now": at, "id": message_id, "worker": worker}
            return connection.exec_driver_sql(_SENT_POSTGRESQL, params).scalar() == 1

        return record

    def record(message_id: int) -> bool:
        params = {"now": at, "id": message_id, "worker": worker}
        if connection.exec_driver_sql(_SENT_SQLITE[0], params).rowcount != 1:
            return False
        connection.exec_driver_sql(_SENT_SQLITE[1], params)
        return True

    return record


def release_ids(session: Session, message_ids: list[int], worker: str) -> None:
    """Give claimed messages back untried (the connection broke before their turn)."""
    if message_ids:
        session.execute(
            update(OutboxMessage)
            .where(
                OutboxMessage.id.in_(message_ids),
                OutboxMessage.status == "pending",
                OutboxMessage.claimed_by == worker,
            )
            .values(claimed_by=None, claimed_until=None)
            .execution_options(synchronize_session=False)
        )


def backoff(attempts: int, settings: Settings) -> timedelta:
    """How long to wait after the `attempts`-th failure: doubling, capped."""
    seconds = settings.backoff_seconds * 2 ** min(attempts - 1, 20)
    return timedelta(seconds=min(seconds, settings.backoff_max_seconds))


def record_failure(
    session: Session, message: OutboxMessage, now: datetime, error: str, settings: Settings
) -> None:
    """The server was down or refused: try again later, or give up after N failures (the
    message is kept as failed and listed for the administrators)."""
    message.attempts += 1
    message.last_error = error[:2000]
    message.claimed_by = message.claimed_until = None
    if message.attempts >= settings.max_attempts:
        message.status = "failed"
        message.failed_at = now
        for item in message.items:
            if item.status == "batched":
                item.status = "failed"
    else:
        message.next_attempt_at = now + backoff(message.attempts, settings)
    session.flush()


# --- for administrators ---


def failed_messages(session: Session) -> list[OutboxMessage]:
    """Messages given up on after N failures, newest first: the admin page lists these, each
    on its store's clock (the stores loaded in one query, not one per message)."""
    return list(
        session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.status == "failed")
            .options(selectinload(OutboxMessage.store))
            .order_by(OutboxMessage.failed_at.desc(), OutboxMessage.id.desc())
        )
    )


def retry_failed(session: Session, message_id: int, now: datetime) -> OutboxMessage:
    """Put a failed message back in the queue (an administrator fixed the address or server)."""
    message = session.get(OutboxMessage, message_id)
    if message is None:
        raise NotFound(N_("no outbox message %(id)s"), id=message_id)
    if message.status != "failed":
        raise BadInput(
            N_("outbox message %(id)s is %(status)s, not failed"),
            id=message_id,
            status=message.status,
        )
    message.status = "pending"
    message.attempts = 0
    message.next_attempt_at = now
    message.failed_at = None
    for item in message.items:
        if item.status == "failed":
            item.status = "batched"
    session.flush()
    return message


def outbox_counts(session: Session) -> dict[str, int]:
    """How many messages are in each state."""
    counts = {s: 0 for s in MESSAGE_STATUSES}
    counts.update(
        session.execute(
            select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
        ).all()
    )
    counts["items_waiting"] = session.scalar(
        select(func.count()).select_from(OutboxItem).where(OutboxItem.status == "pending")
    )
    return counts
