"""The ledger: business events create deliverables, which clerks submit and receivers decide.

Every function takes the session and `now`, never reads the clock and never commits: the view,
job or command that calls it owns the transaction. State changes are conditional UPDATEs, so
two requests racing for the same deliverable (two browser tabs) take effect once.
"""

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation

from sqlalchemy import case, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload

from tracker.calendar.deadlines import due_after, recurring_due
from tracker.calendar.service import store_calendar
from tracker.calendar.workdays import WorkingCalendar
from tracker.catalog.models import Commitment
from tracker.errors import N_, BadInput, Conflict, NotFound, Word
from tracker.ledger import holds, owners, permissions, turnaround
from tracker.ledger.models import (
    OPEN_STATUSES,
    RETURN_REASONS,
    AuditEntry,
    BusinessEvent,
    Deliverable,
    EventType,
    Submission,
    Waiver,
)
from tracker.ledger.signals import deliverable_decided
from tracker.org.models import Person, Store
from tracker.paging import Page, page_of
from tracker.reminders import notices

# How far ahead recurring deliverables are kept created.
RECURRING_HORIZON = timedelta(weeks=6)


@dataclass(frozen=True)
class Evidence:
    """What a clerk hands in with a submission."""

    reference: str | None = None
    amount: Decimal | str | None = None
    note: str | None = None
    file_name: str | None = None
    file_path: str | None = None
    file_type: str | None = None
    file_size: int | None = None


def require_aware(value: datetime, what: str) -> datetime:
    """Reject a time without a zone: the tracker cannot guess which zone a clerk meant."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise BadInput(
            N_("%(what)s %(time)s has no time zone; give an offset such as +08:00"),
            what=what,
            time=value.isoformat(),
        )
    return value


def server_time(now: datetime) -> datetime:
    """A submission's time: the server's instant, to the whole second (so 23:59:59 is on time)."""
    return require_aware(now, "now").replace(microsecond=0)


def _local_month(instant: datetime, store: Store) -> str:
    return instant.astimezone(store.zone).strftime("%Y-%m")


def _audit(
    session: Session,
    now: datetime,
    actor: Person | None,
    deliverable: Deliverable,
    action: str,
    from_status: str | None,
    to_status: str | None,
    **detail,
) -> None:
    session.add(
        AuditEntry(
            **_audit_values(
                now,
                actor,
                deliverable.store_id,
                deliverable.id,
                action,
                from_status,
                to_status,
                **detail,
            )
        )
    )


def _audit_values(
    now: datetime,
    actor: Person | None,
    store_id: int,
    deliverable_id: int,
    action: str,
    from_status: str | None,
    to_status: str | None,
    **detail,
) -> dict:
    """A deliverable's audit row, as columns (for `_audit` and for inserts in bulk)."""
    return {
        "at": now,
        "actor_id": actor.id if actor else None,
        "store_id": store_id,
        "entity": "deliverable",
        "entity_id": deliverable_id,
        "action": action,
        "from_status": from_status,
        "to_status": to_status,
        "detail": {k: v for k, v in detail.items() if v is not None} or None,
    }


def _new_deliverable(
    commitment: Commitment, store: Store, due_at: datetime, now: datetime, **fields
) -> Deliverable:
    return Deliverable(
        commitment=commitment,
        version=commitment.current,
        store=store,
        **_deliverable_values(commitment, store, due_at, now),
        **fields,
    )


def _deliverable_values(
    commitment: Commitment, store: Store, due_at: datetime, now: datetime
) -> dict:
    """A new deliverable's own columns but its links (commitment, version, store)."""
    return {
        "provider_id": commitment.provider_id,
        "receiver_id": commitment.receiver_id,
        "due_at": due_at,
        "due_month": _local_month(due_at, store),
        "status": "open",
        "state_version": 1,
        "created_at": now,
        "return_count": 0,
    }


def get_deliverable(session: Session, deliverable_id: int) -> Deliverable:
    """The deliverable with this id, or NotFound."""
    deliverable = session.get(Deliverable, deliverable_id)
    if deliverable is None:
        raise NotFound(N_("no deliverable %(id)s"), id=deliverable_id)
    return deliverable


# --- event types ---


def event_types(session: Session) -> list[EventType]:
    """Every event type a clerk can record, in the order of the list."""
    return list(session.scalars(select(EventType).order_by(EventType.position, EventType.code)))


def event_type_names(session: Session, language: str) -> dict[str, str]:
    """Each event type's name in this language (zh or en), by code: one query for a page."""
    return {t.code: t.name(language) for t in event_types(session)}


def require_event_type(session: Session, code: str | None) -> None:
    """Refuse a code that names no event type."""
    if code is None or session.get(EventType, code) is None:
        raise BadInput(
            N_("unknown event type %(type)r; known: %(known)s"),
            type=code,
            known=", ".join(t.code for t in event_types(session)),
        )


def ensure_event_types(session: Session, types: dict[str, tuple[str, str]]) -> list[str]:
    """Add the event types (code: (English, Chinese) names) not there yet; returns their codes.
    Types already there keep their names and their place in the list."""
    existing = set(session.scalars(select(EventType.code)))
    last = session.scalar(select(func.max(EventType.position))) or 0
    added = [code for code in types if code not in existing]
    for position, code in enumerate(added, start=last + 1):
        name_en, name_zh = types[code]
        session.add(EventType(code=code, name_en=name_en, name_zh=name_zh, position=position))
    session.flush()
    return added


# --- business events ---


@dataclass(frozen=True)
class NewEvent:
    """What a clerk says happened: the fields of a business event before it is recorded."""

    store: Store
    type: str
    occurred_at: datetime
    reference: str
    customer: str | None = None
    vin: str | None = None
    amount: Decimal | str | None = None
    # Sent by another system (a DMS export, the API): where from, and its own id for it.
    source: str | None = None
    external_id: str | None = None


def record_event(
    session: Session,
    new: NewEvent,
    *,
    by: Person | None,
    now: datetime,
    calendar: WorkingCalendar | None = None,
) -> tuple[BusinessEvent, list[Deliverable]]:
    """Record a business event and create the deliverables it triggers, due per their rules.

    `calendar` is the store's working calendar, for callers recording many events at once."""
    event = create_event(session, new, by=by, now=now)
    created = create_event_deliverables(session, event, by=by, now=now, calendar=calendar)
    return event, created


def create_event(
    session: Session, new: NewEvent, *, by: Person | None, now: datetime
) -> BusinessEvent:
    """Check what a clerk says happened and record it (no deliverables yet)."""
    fields = event_fields(session, new, now)
    permissions.require_recorder(by, new.store)
    event = BusinessEvent(
        store_id=new.store.id,
        store=new.store,
        type=new.type,
        **fields,
        **_external(new),
        recorded_by_id=by.id if by else None,
        recorded_at=now,
    )
    session.add(event)
    session.flush()
    return event


def event_fields(session: Session, new: NewEvent, now: datetime) -> dict:
    """What a clerk says happened, checked and tidied: the event's own columns."""
    require_event_type(session, new.type)
    require_aware(new.occurred_at, "the event time")
    if new.occurred_at > now + timedelta(minutes=5):
        raise BadInput(N_("the event time is in the future; record an event once it has happened"))
    reference = (new.reference or "").strip()
    if not reference:
        raise BadInput(N_("a reference (deal number, customer or document) is required"))
    vin = (new.vin or "").strip().upper() or None
    if vin and len(vin) != 17:
        raise BadInput(N_("a VIN has 17 characters"))
    return {
        "occurred_at": new.occurred_at,
        "reference": reference,
        "customer": (new.customer or "").strip() or None,
        "vin": vin,
        "amount": _amount(new.amount),
    }


def _external(new: NewEvent) -> dict:
    """The sending system's name and id for the event, checked (both or neither)."""
    source = (new.source or "").strip() or None
    external_id = (new.external_id or "").strip() or None
    if (source is None) != (external_id is None):
        raise BadInput(N_("an event sent by another system needs both its source and its id"))
    if source is not None and (len(source) > 40 or len(external_id) > 100):
        raise BadInput(N_("a source has at most 40 characters and an external id at most 100"))
    return {"source": source, "external_id": external_id}


def create_event_deliverables(
    session: Session,
    event: BusinessEvent,
    *,
    by: Person | None,
    now: datetime,
    calendar: WorkingCalendar | None = None,
) -> list[Deliverable]:
    """The deliverables an event triggers (per the commitments on its type), due per their rules;
    checklist points are presented at once."""
    store = event.store
    commitments = session.scalars(
        select(Commitment)
        .where(Commitment.event_type == event.type, Commitment.retired_at.is_(None))
        .order_by(Commitment.id)
    ).all()
    calendar = calendar or store_calendar(session, store)
    local_time = event.occurred_at.astimezone(store.zone).time()
    created = []
    for commitment in commitments:
        version = commitment.current
        if not version.triggered_at(local_time):
            continue
        due_at = due_after(version.rule(commitment.kind), event.occurred_at, store.zone, calendar)
        deliverable = _new_deliverable(
            commitment,
            store,
            due_at,
            now,
            owner_id=owners.owner_of_new(session, commitment, store, by),
            event_id=event.id,
            reference=event.reference,
            amount=event.amount,
            dedupe_key=f"e:{commitment.id}:{event.id}",
        )
        session.add(deliverable)
        session.flush()
        _audit(session, now, by, deliverable, "created", None, "open", event=event.type)
        if commitment.kind == "checklist":
            present_checklist(session, deliverable, by=by, now=now)
        created.append(deliverable)
    return created


PRESENTED = "presented at the event"  # the note of a checklist point's own submission


def present_checklist(
    session: Session, deliverable: Deliverable, *, by: Person | None, now: datetime
) -> Submission:
    """A checklist point is presented at the event itself; the receiver checks it."""
    return _submit(
        session,
        deliverable,
        by=by,
        now=now,
        evidence=Evidence(reference=deliverable.reference),
        late_reason=None,
        expected_version=None,
        note=PRESENTED,
    )


# --- many business events at once (a DMS import) ---

BULK_CHUNK = 1000  # rows per INSERT: within every database's limit of parameters


@dataclass(frozen=True)
class Recorded:
    """An event recorded by `record_events`: its id and the ids of the deliverables it made."""

    event_id: int
    deliverable_ids: tuple[int, ...]


def record_events(
    session: Session, store: Store, news: list[NewEvent], *, by: Person | None, now: datetime
) -> list[Recorded]:
    """`record_event` for many events other systems sent to one store (each with its source
    and id, none recorded yet: `events.record_external_many` sees to that), written in bulk:
    the same checks and the same rows (the events, their deliverables, checklist points
    presented, the audit trail), inserted chunk by chunk with multi-row INSERTs instead of a
    flush per row. The commitments on the events' types are read once, the store's working
    calendar once, and each due time computed once per (commitment, local day): it depends on
    nothing else. All or nothing with the caller's transaction. Results in the order of
    `news`."""
    if any(new.store.id != store.id or not (new.source and new.external_id) for new in news):
        raise BadInput(N_("an event sent by another system needs both its source and its id"))
    permissions.require_recorder(by, store)
    # Held: each row's type check finds its type in the session instead of asking again.
    types = list(session.scalars(select(EventType)))
    rows = [
        {
            "store_id": store.id,
            "type": new.type,
            **event_fields(session, new, now),
            **_external(new),
            "recorded_by_id": by.id if by else None,
            "recorded_at": now,
        }
        for new in news
    ]
    del types
    event_ids = _insert(session, BusinessEvent, rows, "source", "external_id")
    deliverables, made = _event_deliverable_rows(session, store, rows, event_ids, by=by, now=now)
    deliverable_ids = _insert(session, Deliverable, deliverables, "dedupe_key")
    type_of = {event_id: row["type"] for event_id, row in zip(event_ids, rows, strict=True)}
    at = server_time(now)
    audit, submissions = [], []
    for deliverable_id, row in zip(deliverable_ids, deliverables, strict=True):
        event = type_of[row["event_id"]]
        audit.append(
            _audit_values(now, by, store.id, deliverable_id, "created", None, "open", event=event)
        )
        if row["status"] == "submitted":  # a checklist point, presented at the event
            evidence = Evidence(reference=row["reference"])
            submissions.append(
                _submission_values(
                    deliverable_id, 1, at, by, evidence, None, PRESENTED, row["decide_by"]
                )
            )
            detail = _submitted_detail(1, at, row["due_at"], None)
            audit.append(
                _audit_values(
                    at, by, store.id, deliverable_id, "submitted", "open", "submitted", **detail
                )
            )
    _insert(session, Submission, submissions)
    _insert(session, AuditEntry, audit)
    results, taken = [], 0
    for event_id, count in zip(event_ids, made, strict=True):
        results.append(Recorded(event_id, tuple(deliverable_ids[taken : taken + count])))
        taken += count
    return results


def _event_deliverable_rows(
    session: Session,
    store: Store,
    events: list[dict],
    event_ids: list[int],
    *,
    by: Person | None,
    now: datetime,
) -> tuple[list[dict], list[int]]:
    """The deliverables' rows of these events, as `create_event_deliverables` makes them (a
    checklist point already presented), and how many each event makes."""
    commitments = session.scalars(
        select(Commitment)
        .where(
            Commitment.event_type.in_({e["type"] for e in events}),
            Commitment.retired_at.is_(None),
        )
        .order_by(Commitment.id)
    ).all()
    on_type: dict[str, list[Commitment]] = {}
    for commitment in commitments:
        on_type.setdefault(commitment.event_type, []).append(commitment)
    rules = {c.id: c.current.rule(c.kind) for c in commitments}
    calendar = store_calendar(session, store)
    at = server_time(now)
    owner = {c.id: owners.owner_of_new(session, c, store, by) for c in commitments}
    decide = {
        c.id: turnaround.decide_by_in(c.current, store, calendar, at)
        for c in commitments
        if c.kind == "checklist"
    }
    dues: dict = {}
    rows, made = [], []
    for event, event_id in zip(events, event_ids, strict=True):
        occurred_at = event["occurred_at"]
        local = occurred_at.astimezone(store.zone)
        count = 0
        for commitment in on_type.get(event["type"], ()):
            version = commitment.current
            if not version.triggered_at(local.time()):
                continue
            key = (commitment.id, local.date())
            due_at = dues.get(key)
            if due_at is None:
                rule = rules[commitment.id]
                due_at = dues[key] = due_after(rule, occurred_at, store.zone, calendar)
            row = {
                "commitment_id": commitment.id,
                "version_id": version.id,
                "store_id": store.id,
                **_deliverable_values(commitment, store, due_at, now),
                "event_id": event_id,
                "reference": event["reference"],
                "amount": event["amount"],
                "dedupe_key": f"e:{commitment.id}:{event_id}",
                "last_submitted_at": None,
                "owner_id": owner[commitment.id],
                "decide_by": None,
            }
            if commitment.kind == "checklist":  # presented at once, as `present_checklist`
                row |= {
                    "status": "submitted",
                    "state_version": 2,
                    "last_submitted_at": at,
                    "decide_by": decide[commitment.id],
                }
            rows.append(row)
            count += 1
        made.append(count)
    return rows, made


def _insert(session: Session, model, rows: list[dict], *key: str) -> list[int]:
    """Insert the rows; given the names of a unique `key`, return their ids in the order of
    `rows`. PostgreSQL: COPY. SQLite: multi-row INSERTs, chunk by chunk."""
    table = model.__table__
    if session.get_bind().dialect.name == "postgresql":
        return _copy(session, table, rows, ids=bool(key))
    if not key:
        for start in range(0, len(rows), BULK_CHUNK):
            session.execute(insert(table), rows[start : start + BULK_CHUNK])
        return []
    # Each row's id read back with RETURNING by its key: RETURNING gives the rows in no set
    # order, and asking SQLite for the order would cost a statement per row.
    found: dict[tuple, int] = {}
    returning = insert(table).returning(table.c.id, *(table.c[k] for k in key))
    for start in range(0, len(rows), BULK_CHUNK):
        chunk = rows[start : start + BULK_CHUNK]
        found.update((tuple(values), id_) for id_, *values in session.execute(returning, chunk))
    return [found[tuple(row[k] for k in key)] for row in rows]


def _copy(session: Session, table, rows: list[dict], *, ids: bool) -> list[int]:
    """PostgreSQL: COPY the rows in, in the session's transaction, each value made as an INSERT
    would make it (the columns' own bind processing); with `ids`, their ids taken from the
    table's sequence first. Not INSERTs: psycopg parses a statement's text in Python, and a
    1,000-row VALUES list costs more to parse than to run (profiled: 11 s of 15 s)."""
    connection = session.connection()
    dialect = connection.dialect
    taken: list[int] = []
    if ids:
        sequence = func.pg_get_serial_sequence(table.name, "id")
        one_each = select(func.nextval(sequence)).select_from(func.generate_series(1, len(rows)))
        taken = list(session.scalars(one_each))
    if not rows:
        return taken
    columns = list(rows[0])
    process = [table.c[c].type.dialect_impl(dialect).bind_processor(dialect) for c in columns]
    quote = dialect.identifier_preparer.quote
    names = ", ".join(quote(c) for c in (["id", *columns] if ids else columns))
    with connection.connection.cursor() as cursor:
        with cursor.copy(f"COPY {quote(table.name)} ({names}) FROM STDIN") as copy:
            for n, row in enumerate(rows):
                values = [f(row[c]) if f else row[c] for f, c in zip(process, columns, strict=True)]
                copy.write_row([taken[n], *values] if ids else values)
    return taken


# --- recurring deliverables ---


def ensure_recurring(
    session: Session,
    *,
    now: datetime,
    since: datetime | None = None,
    until: datetime | None = None,
    stores: list[Store] | None = None,
) -> list[Deliverable]:
    """Create the recurring deliverables due between `since` (default now) and `until`
    (default six weeks ahead) that do not exist yet. Safe to run twice or in two processes."""
    since = since or now
    until = until or now + RECURRING_HORIZON
    stores = stores if stores is not None else list(session.scalars(select(Store)))
    commitments = session.scalars(
        select(Commitment).where(Commitment.kind == "recurring", Commitment.retired_at.is_(None))
    ).all()
    created = []
    default_owners = owners.default_owner_ids(session, [s.id for s in stores])
    for store in stores:
        calendar = store_calendar(session, store)
        wanted = {}
        for commitment in commitments:
            version = commitment.current
            rule = version.rule("recurring")
            count = {"monthly": 2, "weekly": 9, "daily": 63}[rule.frequency]
            count += (until - since).days // {"monthly": 28, "weekly": 7, "daily": 1}[
                rule.frequency
            ]
            for occurrence in recurring_due(rule, since, store.zone, calendar, count):
                if occurrence.due > until:
                    break
                key = f"r:{commitment.id}:{store.id}:{occurrence.nominal.isoformat()}"
                wanted[key] = (commitment, occurrence)
        if not wanted:
            continue
        existing = set(
            session.scalars(
                select(Deliverable.dedupe_key).where(Deliverable.dedupe_key.in_(wanted))
            )
        )
        for key, (commitment, occurrence) in wanted.items():
            if key in existing:
                continue
            deliverable = _new_deliverable(
                commitment,
                store,
                occurrence.due,
                now,
                dedupe_key=key,
                owner_id=default_owners.get((commitment.id, store.id)),
                occurrence_date=occurrence.nominal,
                period=_period(
                    occurrence.nominal, commitment.current.frequency, commitment.current.period_back
                ),
            )
            try:
                with session.begin_nested():
                    session.add(deliverable)
                    session.flush()
            except IntegrityError:
                continue  # another process created it a moment ago
            _audit(session, now, None, deliverable, "created", None, "open", recurring=True)
            created.append(deliverable)
    return created


def _period(nominal, frequency: str, back: int) -> str:
    """The period a recurring deliverable reports on, e.g. the month before for `period_back=1`."""
    if frequency == "monthly":
        month = nominal.year * 12 + nominal.month - 1 - back
        return f"{month // 12:04d}-{month % 12 + 1:02d}"
    day = nominal - timedelta(days=back * (7 if frequency == "weekly" else 1))
    return day.isoformat()


# --- requests ---


def raise_request(
    session: Session,
    *,
    store: Store,
    commitment: Commitment,
    by: Person,
    now: datetime,
    note: str,
    due_at: datetime | None = None,
    reference: str | None = None,
) -> Deliverable:
    """The receiving department asks the provider for something due at a time it sets
    (by default the end of the next working day)."""
    if commitment.kind != "request":
        raise BadInput(N_("%(code)s is not raised on request"), code=commitment.code)
    if commitment.retired:
        raise BadInput(N_("%(code)s is retired"), code=commitment.code)
    permissions.require_requester(by, commitment, store)
    note = (note or "").strip()
    if not note:
        raise BadInput(N_("say what is needed: the request's note is required"))
    if due_at is None:
        due_at = due_after(
            commitment.current.rule("request"), now, store.zone, store_calendar(session, store)
        )
    require_aware(due_at, "the due time")
    if due_at <= now:
        raise BadInput(N_("the due time must be in the future"))
    deliverable = _new_deliverable(
        commitment,
        store,
        due_at,
        now,
        owner_id=owners.default_owner_id(session, commitment.id, store.id),
        requested_by_id=by.id,
        request_note=note,
        reference=(reference or "").strip() or None,
    )
    session.add(deliverable)
    session.flush()
    _audit(session, now, by, deliverable, "requested", None, "open", note=note)
    notices.notify(session, "requested", deliverable, by=by, now=now, note=note)
    return deliverable


# --- life of a deliverable ---


def submit(
    session: Session,
    deliverable: Deliverable,
    *,
    by: Person,
    now: datetime,
    evidence: Evidence,
    late_reason: str | None = None,
    expected_version: int | None = None,
) -> Submission:
    """Hand a deliverable in. Late submissions need a reason; the time is the server's."""
    permissions.require_submitter(by, deliverable)
    if deliverable.status not in OPEN_STATUSES:
        raise Conflict(
            N_("deliverable %(id)s is %(status)s; nothing to submit"),
            id=deliverable.id,
            status=Word(deliverable.status),
        )
    _amount(evidence.amount)  # refuse a bad amount here, before any row is touched
    required = deliverable.version.evidence or []
    given = {
        "reference": evidence.reference,
        "amount": evidence.amount,
        "note": evidence.note,
        "file": evidence.file_path,
    }
    # A blank string is no evidence: "  " as a reference would pass a truthiness test.
    missing = [f for f in given if f in required and _blank(given[f])]
    if missing:
        raise BadInput(
            N_("this deliverable needs evidence: %(missing)s"), missing=", ".join(missing)
        )
    late_reason = (late_reason or "").strip() or None
    # A hold ends when the deliverable is handed in: its due time moves first.
    holds.end_before(session, deliverable, by=by, now=now, why="submitted")
    if server_time(now) > deliverable.due_at and not late_reason:
        raise BadInput(N_("it is past the due time: say why it is late"))
    submission = _submit(
        session,
        deliverable,
        by=by,
        now=now,
        evidence=evidence,
        late_reason=late_reason,
        expected_version=expected_version,
    )
    notices.notify(session, "handed_in", deliverable, by=by, now=now)
    return submission


def _submit(
    session: Session,
    deliverable: Deliverable,
    *,
    by: Person | None,
    now: datetime,
    evidence: Evidence,
    late_reason: str | None,
    expected_version: int | None,
    note: str | None = None,
) -> Submission:
    at = server_time(now)
    before = deliverable.status
    decide_by = turnaround.decide_by(session, deliverable, at)
    _transition(
        session,
        deliverable,
        OPEN_STATUSES,
        "submitted",
        expected_version,
        last_submitted_at=at,
        decide_by=decide_by,
    )
    seq = 1 + session.scalar(
        select(func.count())
        .select_from(Submission)
        .where(Submission.deliverable_id == deliverable.id)
    )
    submission = Submission(
        **_submission_values(deliverable.id, seq, at, by, evidence, late_reason, note, decide_by)
    )
    session.add(submission)
    session.flush()
    _audit(
        session,
        at,
        by,
        deliverable,
        "submitted",
        before,
        "submitted",
        **_submitted_detail(seq, at, deliverable.due_at, late_reason),
    )
    return submission


def _submission_values(
    deliverable_id: int,
    seq: int,
    at: datetime,
    by: Person | None,
    evidence: Evidence,
    late_reason: str | None,
    note: str | None,
    decide_by: datetime | None,
) -> dict:
    """A submission's columns (for `_submit` and for checklist points presented in bulk)."""
    return {
        "deliverable_id": deliverable_id,
        "seq": seq,
        "submitted_at": at,
        "submitted_by_id": by.id if by else None,
        "reference": (evidence.reference or "").strip() or None,
        "amount": _amount(evidence.amount),
        "note": (evidence.note or note or "").strip() or None,
        "late_reason": late_reason,
        "file_name": evidence.file_name,
        "file_path": evidence.file_path,
        "file_type": evidence.file_type,
        "file_size": evidence.file_size,
        "outcome": "pending",
        "decide_by": decide_by,
    }


def _submitted_detail(seq: int, at: datetime, due_at: datetime, late_reason: str | None) -> dict:
    """What the audit trail says of a submission."""
    return {"submission": seq, "late": at > due_at, "late_reason": late_reason}


def accept(
    session: Session,
    deliverable: Deliverable,
    *,
    by: Person,
    now: datetime,
    checklist: list[bool] | None = None,
    expected_version: int | None = None,
) -> Submission:
    """Accept the latest submission. Every checklist point must be ticked; otherwise return it."""
    permissions.require_decider(by, deliverable, "accept")
    if deliverable.status != "submitted":
        raise BadInput(
            N_(
                "deliverable %(id)s is %(status)s, not submitted: "
                "only a submitted deliverable can be accepted"
            ),
            id=deliverable.id,
            status=Word(deliverable.status),
        )
    points = deliverable.version.checklist or []
    if checklist is None:
        checklist = [True] * len(points)
    if len(checklist) != len(points) or not all(checklist):
        raise BadInput(N_("every checklist point must be ticked to accept; return it otherwise"))
    submission = _latest_submission(session, deliverable)
    lateness = max(0, int((submission.submitted_at - deliverable.due_at).total_seconds()))
    _transition(
        session,
        deliverable,
        ("submitted",),
        "accepted",
        expected_version,
        final_submitted_at=submission.submitted_at,
        accepted_at=now,
        lateness_seconds=lateness,
        decide_by=None,
    )
    turnaround.record_decision(session, deliverable, submission, now)
    deliverable_decided.send(session, deliverable_id=deliverable.id, status="accepted")
    submission.outcome, submission.decided_at, submission.decided_by_id = "accepted", now, by.id
    submission.checklist = checklist
    _audit(
        session,
        now,
        by,
        deliverable,
        "accepted",
        "submitted",
        "accepted",
        submission=submission.seq,
        lateness_seconds=lateness,
    )
    return submission


def return_deliverable(
    session: Session,
    deliverable: Deliverable,
    *,
    by: Person,
    now: datetime,
    reason: str,
    note: str | None = None,
    expected_version: int | None = None,
) -> Submission:
    """Send the latest submission back with a reason; the provider submits again."""
    permissions.require_decider(by, deliverable, "return")
    if reason not in RETURN_REASONS:
        raise BadInput(
            N_("a return needs a reason, one of: %(reasons)s"), reasons=", ".join(RETURN_REASONS)
        )
    note = (note or "").strip() or None
    if reason == "other" and not note:
        raise BadInput(N_("say what is wrong: a note is required with the reason 'other'"))
    if deliverable.status != "submitted":
        raise BadInput(
            N_(
                "deliverable %(id)s is %(status)s, not submitted: "
                "only a submitted deliverable can be returned"
            ),
            id=deliverable.id,
            status=Word(deliverable.status),
        )
    submission = _latest_submission(session, deliverable)
    _transition(
        session,
        deliverable,
        ("submitted",),
        "returned",
        expected_version,
        return_count=Deliverable.return_count + 1,
        decide_by=None,
    )
    turnaround.record_decision(session, deliverable, submission, now)
    submission.outcome, submission.decided_at, submission.decided_by_id = "returned", now, by.id
    submission.return_reason, submission.return_note = reason, note
    _audit(
        session,
        now,
        by,
        deliverable,
        "returned",
        "submitted",
        "returned",
        submission=submission.seq,
        reason=reason,
        note=note,
    )
    notices.notify(session, "returned", deliverable, by=by, now=now, reason=reason, note=note)
    return submission


def waive(
    session: Session,
    deliverable: Deliverable,
    *,
    by: Person,
    now: datetime,
    reason: str,
    expected_version: int | None = None,
) -> Waiver:
    """Declare a deliverable not applicable. The receiving side does it, with a reason."""
    permissions.require_decider(by, deliverable, "waive")
    reason = (reason or "").strip()
    if not reason:
        raise BadInput(N_("a waiver needs a reason"))
    if deliverable.status not in OPEN_STATUSES:
        raise BadInput(
            N_(
                "deliverable %(id)s is %(status)s: "
                "only an open or returned deliverable can be waived"
            ),
            id=deliverable.id,
            status=Word(deliverable.status),
        )
    holds.end_before(session, deliverable, by=by, now=now, why="waived")
    before = deliverable.status
    _transition(session, deliverable, OPEN_STATUSES, "waived", expected_version)
    deliverable_decided.send(session, deliverable_id=deliverable.id, status="waived")
    waiver = Waiver(deliverable_id=deliverable.id, reason=reason, waived_by_id=by.id, waived_at=now)
    session.add(waiver)
    session.flush()
    _audit(session, now, by, deliverable, "waived", before, "waived", reason=reason)
    notices.notify(session, "waived", deliverable, by=by, now=now, reason=reason)
    return waiver


def _transition(
    session: Session,
    deliverable: Deliverable,
    from_statuses: tuple[str, ...],
    to_status: str,
    expected_version: int | None,
    **values,
) -> None:
    """Move the row only if it is still as we saw it; exactly one row must change."""
    stmt = update(Deliverable).where(
        Deliverable.id == deliverable.id, Deliverable.status.in_(from_statuses)
    )
    if expected_version is not None:
        stmt = stmt.where(Deliverable.state_version == expected_version)
    result = session.execute(
        stmt.values(
            status=to_status, state_version=Deliverable.state_version + 1, **values
        ).execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        session.expire(deliverable)
        raise Conflict(
            N_(
                "deliverable %(id)s was changed by someone else a moment ago "
                "(perhaps in another tab); nothing was done: reload it to see where it stands"
            ),
            id=deliverable.id,
        )
    # Only what the UPDATE changed needs reloading; the rest (and the relationships) is current.
    session.expire(deliverable, ["status", "state_version", *values])


def _latest_submission(session: Session, deliverable: Deliverable) -> Submission:
    return session.scalars(
        select(Submission)
        .where(Submission.deliverable_id == deliverable.id)
        .order_by(Submission.seq.desc())
        .limit(1)
    ).one()


def _blank(value: object) -> bool:
    return value is None or not str(value).strip()


def _amount(value: Decimal | str | None) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        raise BadInput(N_("%(value)r is not an amount"), value=value) from None
    if not amount.is_finite() or amount < 0 or amount.as_tuple().exponent < -2:
        raise BadInput(
            N_("%(value)r is not an amount (positive, at most two decimals)"), value=value
        )
    return amount


# --- what the pages show ---

MINE_PER_PAGE = 100  # rows on a page of the department's list; the total is always told


@dataclass(frozen=True)
class ListFilters:
    """The filters of the department's list: a status (`owed`, `all` or one status), one
    commitment, only the overdue, a piece of the reference."""

    status: str = "owed"
    commitment_id: int | None = None
    overdue: bool = False
    text: str | None = None
    owner: str = "department"  # "mine": only the person's own items; "department": all


def provided_commitments(session: Session, department_id: int) -> list[Commitment]:
    """The commitments a department provides, for the list's filter."""
    return list(
        session.scalars(
            select(Commitment)
            .where(Commitment.provider_id == department_id)
            .order_by(Commitment.id)
        )
    )


def department_list(
    session: Session,
    person: Person,
    filters: ListFilters,
    now: datetime,
    *,
    page: int = 1,
    per_page: int = MINE_PER_PAGE,
) -> Page:
    """What the person's department owes in their store: overdue first, then by due time; one
    page of it and how many there are in all (two queries)."""
    d = Deliverable
    overdue = d.status.in_(OPEN_STATUSES) & (d.due_at < now) & d.held_since.is_(None)
    query = (
        select(d)
        .where(d.store_id == person.store_id, d.provider_id == person.department_id)
        .options(joinedload(d.event), joinedload(d.owner))
        .order_by(
            case(
                (overdue, 0),
                (d.status.in_(OPEN_STATUSES), 1),
                (d.status == "submitted", 2),
                else_=3,
            ),
            d.due_at,
            d.id,
        )
    )
    if filters.status == "owed":
        query = query.where(d.status.in_(OPEN_STATUSES))
    elif filters.status != "all":
        query = query.where(d.status == filters.status)
    if filters.commitment_id is not None:
        query = query.where(d.commitment_id == filters.commitment_id)
    if filters.overdue:
        query = query.where(overdue)
    if filters.owner == "mine":
        query = query.where(d.owner_id == person.id)
    if filters.text and filters.text.strip():
        text = filters.text.strip().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        query = query.where(func.lower(d.reference).like(f"%{text.lower()}%", escape="\\"))
    return page_of(session, query, page, per_page)


def deliverables_to_submit(session: Session, person: Person, ids: list[int]) -> list[Deliverable]:
    """The deliverables picked for one submission, by due time; NotFound if one does not exist,
    NotAllowed if the person may not submit one of them."""
    if not ids:
        return []
    rows = session.scalars(
        select(Deliverable).where(Deliverable.id.in_(ids)).order_by(Deliverable.due_at)
    ).all()
    if len(rows) != len(set(ids)):
        raise NotFound(N_("no deliverable %(id)s"), id=", ".join(map(str, sorted(set(ids)))))
    for d in rows:
        permissions.require_submitter(person, d)
    return list(rows)


def event_deliverables(session: Session, event: BusinessEvent, person: Person) -> list[Deliverable]:
    """The deliverables an event created that this person may see, by due time."""
    return list(
        session.scalars(
            select(Deliverable)
            .where(Deliverable.event_id == event.id, permissions.visible_deliverables(person))
            .order_by(Deliverable.due_at, Deliverable.id)
        )
    )


def deal_file(
    session: Session, person: Person, reference: str
) -> tuple[list[BusinessEvent], list[Deliverable]]:
    """The events of one deal reference in the person's store (any case), and what is owed
    under it that this person may see."""
    if not reference:
        return [], []
    events = session.scalars(
        select(BusinessEvent)
        .where(
            BusinessEvent.store_id == person.store_id,
            func.lower(BusinessEvent.reference) == reference.lower(),
        )
        .order_by(BusinessEvent.occurred_at)
    ).all()
    rows = session.scalars(
        select(Deliverable)
        .where(
            Deliverable.store_id == person.store_id,
            func.lower(Deliverable.reference) == reference.lower(),
            permissions.visible_deliverables(person),
        )
        .order_by(Deliverable.due_at, Deliverable.id)
    ).all()
    return list(events), list(rows)


DEALS_SHOWN = 50  # deals on a page of a search; the total is always told


@dataclass(frozen=True)
class DealMatch:
    """A deal found by a search: its reference and what its latest event says."""

    reference: str
    last_event_at: datetime
    events: int
    customer: str | None
    vin: str | None
    amount: Decimal | None


def _like(text: str) -> str:
    """`text` anywhere, its own % and _ taken literally."""
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def find_deals(
    session: Session, store_id: int, text: str, *, page: int = 1, per_page: int = DEALS_SHOWN
) -> Page:
    """The store's deals whose reference, customer or VIN holds `text` (any case), or whose
    amount is `text`; with no text, the most recent deals. Latest first, one page of them
    (DealMatch rows) and how many there are in all (two queries)."""
    text = text.strip()
    where = [BusinessEvent.store_id == store_id]
    if text:
        pattern = _like(text)
        matches = [
            func.lower(BusinessEvent.reference).like(pattern, escape="\\"),
            func.lower(BusinessEvent.customer).like(pattern, escape="\\"),
            func.lower(BusinessEvent.vin).like(pattern, escape="\\"),
        ]
        try:
            amount = Decimal(text.replace(",", "").replace("，", ""))
        except InvalidOperation:
            amount = None
        if amount is not None and amount.is_finite() and abs(amount) < 10**12:
            matches.append(BusinessEvent.amount == amount)
        where.append(or_(*matches))
    found = (
        select(
            BusinessEvent.reference,
            func.max(BusinessEvent.occurred_at).label("last_event_at"),
            func.count().label("events"),
            func.max(BusinessEvent.customer).label("customer"),
            func.max(BusinessEvent.vin).label("vin"),
            func.max(BusinessEvent.amount).label("amount"),
        )
        .where(*where)
        .group_by(BusinessEvent.reference)
        .order_by(func.max(BusinessEvent.occurred_at).desc(), BusinessEvent.reference)
    )
    part = page_of(session, found, page, per_page, entities=False)
    deals = [
        DealMatch(
            reference=r.reference,
            last_event_at=r.last_event_at,
            events=r.events,
            customer=r.customer,
            vin=r.vin,
            amount=r.amount,
        )
        for r in part.rows
    ]
    return replace(part, rows=deals)


def deliverable_history(
    session: Session, deliverable: Deliverable
) -> tuple[list[Submission], list[AuditEntry]]:
    """A deliverable's submissions and its audit trail, in the order things happened."""
    submissions = session.scalars(
        select(Submission)
        .where(Submission.deliverable_id == deliverable.id)
        .options(joinedload(Submission.submitted_by), joinedload(Submission.decided_by))
        .order_by(Submission.seq)
    ).all()
    history = session.scalars(
        select(AuditEntry)
        .where(AuditEntry.entity == "deliverable", AuditEntry.entity_id == deliverable.id)
        .options(joinedload(AuditEntry.actor))
        .order_by(AuditEntry.id)  # the order things happened (`at` may be cut to the second)
    ).all()
    return list(submissions), list(history)
