"""The API's own logic: tokens (made, found, listed, revoked), cursors, and the queries and
plain data of the resources. Everything a rule decides is asked of the area that owns it
(`tracker.ledger.permissions`, `tracker.scorecards.service`, `tracker.cockpit.service`)."""

import base64
import binascii
import hashlib
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from tracker.catalog.models import Commitment
from tracker.errors import N_, BadInput, NotFound
from tracker.ledger import permissions as ledger_permissions
from tracker.ledger.models import OPEN_STATUSES, STATUSES, BusinessEvent, Deliverable
from tracker.org.models import Department, Person, Store

from . import permissions
from .models import ApiToken
from .problems import FieldError

PREFIX = "trk_"  # tells a tracker token apart in a config file or a leaked log
MAX_LIMIT = 200
# Ids and versions are INTEGER columns: PostgreSQL refuses a larger number in a query (an error,
# not "no row"), so a larger id is simply not found.
DB_INT_MAX = 2**31 - 1
DEFAULT_LIMIT = 50


# --- tokens ---


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_token(
    session: Session,
    owner: Person,
    *,
    name: str | None,
    expires_days: int | None,
    integration: bool,
    now: datetime,
    by: Person | None = None,
) -> tuple[ApiToken, str]:
    """A new token for `owner`; the secret is returned once and only its hash is kept."""
    if by is not None and not permissions.may_create_token_for(by, owner):
        raise BadInput(N_("only administrators make tokens for someone else"))
    name = (name or "").strip() or ("integration" if integration else "api")
    if len(name) > 100:
        raise BadInput(N_("a token's name has at most 100 characters"))
    if expires_days is not None and not 1 <= expires_days <= 3650:
        raise BadInput(N_("a token expires after 1 to 3650 days"))
    secret = PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        person=owner,
        person_id=owner.id,
        name=name,
        token_hash=digest(secret),
        integration=integration,
        created_at=now,
        expires_at=now + timedelta(days=expires_days) if expires_days else None,
    )
    session.add(token)
    session.flush()
    return token, secret


def token_for(session: Session, secret: str, now: datetime) -> ApiToken | None:
    """The usable token with this secret, its last use noted (to the minute), else None."""
    if not secret or len(secret) > 200:
        return None
    token = session.scalar(select(ApiToken).where(ApiToken.token_hash == digest(secret)))
    if token is None or not token.usable(now):
        return None
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=1):
        token.last_used_at = now
    return token


def tokens_of(session: Session, person: Person) -> list[ApiToken]:
    """A person's tokens, newest first (revoked ones too, marked)."""
    return list(
        session.scalars(
            select(ApiToken).where(ApiToken.person_id == person.id).order_by(ApiToken.id.desc())
        )
    )


def all_tokens(session: Session) -> list[ApiToken]:
    """Every token not revoked, for the administrators' page, newest first."""
    return list(
        session.scalars(
            select(ApiToken).where(ApiToken.revoked_at.is_(None)).order_by(ApiToken.id.desc())
        )
    )


def revoke(session: Session, token_id: int, *, by: Person | None, now: datetime) -> ApiToken:
    """Revoke a token (its owner or an administrator; None: the operator)."""
    token = session.get(ApiToken, token_id) if token_id <= DB_INT_MAX else None
    if token is None:
        raise NotFound(N_("no token %(id)s"), id=token_id)
    if by is not None:
        permissions.require_token_manager(by, token)
    if token.revoked_at is None:
        token.revoked_at = now
    return token


def token_row(token: ApiToken) -> dict:
    return {
        "id": token.id,
        "person": token.person.email,
        "name": token.name,
        "integration": token.integration,
        "created_at": token.created_at.isoformat(),
        "expires_at": token.expires_at.isoformat() if token.expires_at else None,
        "last_used_at": token.last_used_at.isoformat() if token.last_used_at else None,
        "revoked_at": token.revoked_at.isoformat() if token.revoked_at else None,
    }


# --- cursors ---


def encode_cursor(last_id: int) -> str:
    return base64.urlsafe_b64encode(str(last_id).encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> int:
    """The last id of the previous page (0: the first page); a bad cursor is BadInput."""
    if not cursor:
        return 0
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode("ascii")
        if not text.isdigit() or len(text) > 10 or int(text) > DB_INT_MAX:
            raise ValueError
        return int(text)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise BadInput(N_("this cursor was not given by the API")) from None


@dataclass(frozen=True)
class Page:
    items: list
    next_cursor: str | None


def page_of(session: Session, query, model, cursor: str | None, limit: int) -> Page:
    """One page of `query` in id order after the cursor: limit + 1 rows fetched to know
    whether another page follows."""
    rows = list(
        session.scalars(
            query.where(model.id > decode_cursor(cursor)).order_by(model.id).limit(limit + 1)
        ).unique()
    )
    more = len(rows) > limit
    rows = rows[:limit]
    return Page(rows, encode_cursor(rows[-1].id) if more and rows else None)


# --- the resources' queries ---


def store_by_code(session: Session, code: str) -> Store:
    store = session.scalar(select(Store).where(Store.code == code))
    if store is None:
        raise NotFound(N_("no store with code %(code)r"), code=code)
    return store


def events_query(session: Session, person: Person, *, store: str | None, reference: str | None):
    """The events this person sees (their store; every store for leads and administrators)."""
    query = select(BusinessEvent).options(joinedload(BusinessEvent.store))
    if not person.sees_all_stores:
        query = query.where(BusinessEvent.store_id == person.store_id)
    if store:
        query = query.where(BusinessEvent.store_id == store_by_code(session, store).id)
    if reference:
        query = query.where(BusinessEvent.reference == reference.strip())
    return query


def visible_event(session: Session, person: Person, event_id: int) -> BusinessEvent:
    """The event, if this person sees it (else NotFound: nothing told about it)."""
    event = session.get(BusinessEvent, event_id) if event_id <= DB_INT_MAX else None
    if event is None or not ledger_permissions.may_see_event(person, event):
        raise NotFound(N_("no event %(id)s"), id=event_id)
    return event


@dataclass(frozen=True)
class DeliverableFilters:
    store: str | None = None
    department: str | None = None
    status: str | None = None
    due_from: datetime | None = None
    due_to: datetime | None = None
    reference: str | None = None
    overdue: bool = False


def deliverables_query(session: Session, person: Person, f: DeliverableFilters, now: datetime):
    """The deliverables this person sees (`ledger.permissions.visible_deliverables`), filtered:
    store, providing or receiving department, status, due range, reference, overdue."""
    d = Deliverable
    query = (
        select(d)
        .options(joinedload(d.event))
        .where(ledger_permissions.visible_deliverables(person))
    )
    if f.store:
        query = query.where(d.store_id == store_by_code(session, f.store).id)
    if f.department:
        department = session.scalar(select(Department).where(Department.code == f.department))
        if department is None:
            raise NotFound(N_("no department with code %(code)r"), code=f.department)
        query = query.where((d.provider_id == department.id) | (d.receiver_id == department.id))
    if f.status:
        if f.status not in STATUSES:
            raise BadInput(N_("unknown status %(status)r"), status=f.status)
        query = query.where(d.status == f.status)
    if f.due_from:
        query = query.where(d.due_at >= f.due_from)
    if f.due_to:
        query = query.where(d.due_at < f.due_to)
    if f.reference:
        query = query.where(d.reference == f.reference.strip())
    if f.overdue:
        query = query.where(d.status.in_(OPEN_STATUSES), d.due_at < now, d.held_since.is_(None))
    return query


def visible_deliverable(session: Session, person: Person, deliverable_id: int) -> Deliverable:
    found = deliverable_id <= DB_INT_MAX
    deliverable = session.get(Deliverable, deliverable_id) if found else None
    if deliverable is None or not ledger_permissions.may_see_deliverable(person, deliverable):
        raise NotFound(N_("no deliverable %(id)s"), id=deliverable_id)
    return deliverable


def commitments_query():
    return select(Commitment)


def calendar_days(calendar, year: int, lang: str) -> list[dict]:
    """Every day of the year: working or not, and the public holiday's name."""
    day, days = date(year, 1, 1), []
    while day.year == year:
        days.append(
            {
                "date": day.isoformat(),
                "working": calendar.is_working_day(day),
                "holiday": calendar.holiday_name(day, lang),
            }
        )
        day += timedelta(days=1)
    return days


# --- what the views hand back: an object with its parts, for the schemas to dump ---


class With:
    """An ORM object with extra parts (an event's deliverables, a deliverable's history)."""

    def __init__(self, obj, **parts) -> None:
        self._obj = obj
        self.__dict__.update(parts)

    def __getattr__(self, name):
        return getattr(self._obj, name)


SOURCE = "api"  # business_event.source of every event posted to the API


def record(session: Session, person: Person, data: dict, now: datetime) -> tuple[With, bool]:
    """Record a posted event once per (store, "api", external_id): the ledger's
    `record_external`, acting as the token's person (their store's rule applies)."""
    from tracker.ledger import events
    from tracker.ledger.service import NewEvent

    store = session.scalar(select(Store).where(Store.code == data["store"]))
    if store is None:
        raise FieldError("store", N_("no store with code %(code)r"), code=data["store"])
    new = NewEvent(
        store=store,
        type=data["type"],
        occurred_at=data["occurred_at"],
        reference=data["reference"],
        customer=data.get("customer"),
        vin=data.get("vin"),
        amount=data.get("amount"),
        source=SOURCE,
        external_id=data["external_id"],
    )
    event, deliverables, created = events.record_external(session, new, by=person, now=now)
    return With(event, deliverables=deliverables), created


def event_with_deliverables(session: Session, person: Person, event_id: int) -> With:
    from tracker.ledger.service import event_deliverables

    event = visible_event(session, person, event_id)
    return With(event, deliverables=event_deliverables(session, event, person))


def deliverable_detail(session: Session, person: Person, deliverable_id: int) -> With:
    from tracker.ledger.service import deliverable_history

    deliverable = visible_deliverable(session, person, deliverable_id)
    submissions, history = deliverable_history(session, deliverable)
    return With(deliverable, submissions=submissions, history=history)


def act(session: Session, token: ApiToken, deliverable_id: int, action: str, data: dict, now):
    """Submit, accept, return or waive through the ledger's service (its rules decide who may);
    an integration token may do none of them."""
    from tracker.ledger import service as ledger

    permissions.require_writer(token)
    person = token.person
    deliverable = visible_deliverable(session, person, deliverable_id)
    version = data.get("version")
    if action == "accept":
        ledger.accept(
            session,
            deliverable,
            by=person,
            now=now,
            checklist=data.get("checklist"),
            expected_version=version,
        )
    elif action == "return":
        ledger.return_deliverable(
            session,
            deliverable,
            by=person,
            now=now,
            reason=data["reason"],
            note=data.get("note"),
            expected_version=version,
        )
    elif action == "waive":
        ledger.waive(
            session,
            deliverable,
            by=person,
            now=now,
            reason=data["reason"],
            expected_version=version,
        )
    return deliverable_detail(session, person, deliverable_id)


def submit(session: Session, token: ApiToken, deliverable_id: int, data: dict, upload, now):
    """Hand a deliverable in with its evidence (the file staged with the transaction)."""
    from tracker.ledger import service as ledger
    from tracker.ledger import uploads

    permissions.require_writer(token)
    person = token.person
    deliverable = visible_deliverable(session, person, deliverable_id)
    ledger.permissions.require_submitter(person, deliverable)
    fields = {k: data.get(k) for k in ("reference", "amount", "note")}
    if upload is not None and upload.filename:
        evidence = uploads.store(session, upload.stream, upload.filename, **fields)
    else:
        evidence = ledger.Evidence(**fields)
    ledger.submit(
        session,
        deliverable,
        by=person,
        now=now,
        evidence=evidence,
        late_reason=data.get("late_reason"),
        expected_version=data.get("version"),
    )
    return deliverable_detail(session, person, deliverable_id)


def calendar_of(session: Session, person: Person, code: str, year: int) -> dict:
    from tracker.calendar.service import store_calendar
    from tracker.validation import FIRST_YEAR, LAST_YEAR

    store = store_by_code(session, code)
    if not ledger_permissions.may_see_store(person, store.id):
        raise NotFound(N_("no store with code %(code)r"), code=code)
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise FieldError(
            "year", N_("a year from %(first)s to %(last)s"), first=FIRST_YEAR, last=LAST_YEAR
        )
    days = calendar_days(store_calendar(session, store), year, person.language)
    return {"store": store.code, "year": year, "days": days}


def scorecard_of(session: Session, person: Person, month: str, args: dict, now) -> dict:
    """The month's scorecard as this person may see it (`scorecards.service.scope`), each row
    with when its store closed the month and the decisions made since, as `tracker scorecard
    --json` gives them: the figures kept at the close once a month is closed."""
    from tracker.scorecards import service as scorecards
    from tracker.validation import month_ok

    if not month_ok(month):
        raise FieldError("month", N_("a month is written YYYY-MM"))
    level = args["level"]
    scope = scorecards.scope(
        session, person, month=month, store=args.get("store"), provider=None, now=now
    )
    rows = [
        r.as_dict()
        for r in scorecards.scorecard(
            session, month=month, now=now, store=scope.store, level=level, party=scope.party
        )
    ]
    items = scorecards.adjustments(session, month=month, store=scope.store, party=scope.party)
    counts = scorecards.adjusted(
        items, ("store", "provider", "commitment" if level == "commitment" else "")
    )
    for row in rows:
        closed = scope.closes.get(row["store"])
        row["closed_at"] = closed[0].isoformat() if closed else None
        empty = {**dict.fromkeys(scorecards.ADJUSTED, 0), "deliverables": []}
        key = (row["store"], row["provider"], row["commitment"] or "")
        row["adjustments"] = counts.get(key, empty) if closed else None
    return {"month": month, "level": level, "rows": rows}


def cockpit_of(session: Session, person: Person, store: str | None, now) -> dict:
    """The cockpit's numbers for this person (`cockpit.service.cockpit`)."""
    from tracker.cockpit import service as cockpit

    found = cockpit.cockpit(session, person, store_code=store, now=now)
    labels = [label for label, _least, _most in found.bands]

    def line(item) -> dict:
        return {
            "provider": item.provider.code if item.provider else None,
            "overdue": {k: c.count for k, c in zip(labels, item.overdue, strict=True)},
            "overdue_total": item.overdue_total.count,
            "due_today": item.due_today.count,
            "due_week": item.due_week.count,
            "waiting": {k: c.count for k, c in zip(labels, item.waiting, strict=True)},
            "waiting_total": item.waiting_total.count,
        }

    return {
        "store": found.store.code if found.store else None,
        "sides": [
            {"key": s.key, "lines": [line(x) for x in s.lines], "total": line(s.total)}
            for s in found.sides
        ],
        "open_months": [{"month": m.month, "stores": m.stores} for m in found.open_months],
    }
