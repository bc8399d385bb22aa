"""Month close per store: what still blocks it, closing (one store or all at once) with the
scorecard kept as it stands, reopening with a reason, and which past months are still open.

A month here is the month of the due day in the store's zone (`Deliverable.due_month`), as on
the scorecards. A close keeps the scorecard of that month (`scorecards.service.figures_to_keep`)
in `ClosedScore` and lists the deliverables still undecided in `ClosedOpenItem`; the scorecards
read a closed month from there, and decisions made since are its post-close adjustments
(`scorecards.service.adjustments`). Plain functions: they take the session and `now`, and
never commit."""

from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import and_, func, insert, literal, null, select, union_all, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from tracker.closing import permissions
from tracker.closing.models import ClosedOpenItem, ClosedScore, MonthClose
from tracker.errors import N_, BadInput, Conflict, NotFound
from tracker.ledger.models import AuditEntry, Deliverable, is_live
from tracker.org.models import Department, Person, Store
from tracker.org.service import get_store
from tracker.scorecards import service as scorecards

GROUP_STATUSES = ("open", "submitted", "returned")
OPEN_MONTHS_BACK = 12


def check_month(month: str) -> str:
    """YYYY-MM, or BadInput."""
    return scorecards.previous_months(month, 1)[0]


def local_month(instant: datetime, store: Store) -> str:
    """The month of an instant in the store's zone."""
    return instant.astimezone(store.zone).strftime("%Y-%m")


def _months_between(first: str, last: str) -> list[str]:
    """Every month from `first` to `last`, both included."""
    start = int(first[:4]) * 12 + int(first[5:7]) - 1
    end = int(last[:4]) * 12 + int(last[5:7]) - 1
    return [f"{i // 12:04d}-{i % 12 + 1:02d}" for i in range(start, end + 1)]


def current_closes(session: Session, stores: list[Store], month: str) -> dict[int, MonthClose]:
    """The current (not reopened) closes of `month` among these stores, by store id."""
    c = MonthClose
    found = session.scalars(
        select(c).where(
            c.month == month, c.reopened_at.is_(None), c.store_id.in_([s.id for s in stores])
        )
    )
    return {close.store_id: close for close in found}


def undecided_counts(session: Session, stores: list[Store], month: str) -> dict[int, int]:
    """How many deliverables due in `month` are not decided yet, per store id."""
    d = Deliverable
    query = (
        select(d.store_id, func.count())
        .where(is_live(), d.due_month == month, d.store_id.in_([s.id for s in stores]))
        .group_by(d.store_id)
    )
    return {store_id: count for store_id, count in session.execute(query)}


@dataclass
class Readiness:
    """What blocks the close of one store's month: the undecided deliverables by group (open,
    submitted, returned) and providing department, and the current close if there is one."""

    store: Store
    month: str
    close: MonthClose | None
    departments: dict[int, Department]
    groups: dict[str, dict[int, list[Deliverable]]] = field(default_factory=dict)

    @property
    def total(self) -> int:
        """Every undecided deliverable of the month."""
        return sum(len(items) for by in self.groups.values() for items in by.values())

    def count(self, status: str) -> int:
        """The undecided deliverables of one group."""
        return sum(len(items) for items in self.groups.get(status, {}).values())


def readiness(session: Session, store: Store, month: str, now: datetime) -> Readiness:
    """What still blocks the close of `month` in `store`. Three queries: the current close,
    the departments, the undecided deliverables."""
    check_month(month)
    close = current_closes(session, [store], month).get(store.id)
    departments = {d.id: d for d in session.scalars(select(Department))}
    d = Deliverable
    items = session.scalars(
        select(d)
        .where(is_live(), d.due_month == month, d.store_id == store.id)
        .order_by(d.provider_id, d.due_at, d.id)
    ).unique()
    result = Readiness(store, month, close, departments, {s: {} for s in GROUP_STATUSES})
    for item in items:
        result.groups[item.status].setdefault(item.provider_id, []).append(item)
    return result


def _audit(session: Session, now: datetime, by: Person | None, close: MonthClose, action: str,
           **detail) -> None:  # fmt: skip
    session.add(
        AuditEntry(
            at=now,
            actor_id=by.id if by else None,
            store_id=close.store_id,
            entity="month_close",
            entity_id=close.id,
            action=action,
            detail={"month": close.month, **detail},
        )
    )


def close_month(
    session: Session,
    *,
    by: Person | None,
    stores: list[Store],
    month: str,
    now: datetime,
    with_open: bool = False,
) -> list[MonthClose]:
    """Close `month` in these stores (one, or all of them): keep the scorecard as it stands at
    `now` and list what is still undecided. Only a month that has ended can be closed; stores
    that already closed it are left as they are (one store asked for: BadInput). Undecided
    deliverables must be acknowledged (`with_open`), else BadInput and nothing is written."""
    check_month(month)
    for store in stores:
        permissions.require_close(by, store)
    for store in stores:
        if month >= local_month(now, store):
            raise BadInput(
                N_("%(month)s has not ended yet in %(store)s: only a past month can be closed"),
                month=month,
                store=store.code,
            )
    closed = current_closes(session, stores, month)
    todo = [s for s in stores if s.id not in closed]
    if not todo:
        if len(stores) == 1:
            raise BadInput(
                N_("%(month)s is already closed in %(store)s"), month=month, store=stores[0].code
            )
        raise BadInput(N_("%(month)s is already closed in every store"), month=month)
    undecided = undecided_counts(session, todo, month)
    count = sum(undecided.values())
    if count and not with_open:
        raise BadInput(
            N_(
                "%(count)d deliverables due in %(month)s are not decided yet; acknowledge them "
                "to close anyway (they stay in the closed figures as they are now)"
            ),
            count=count,
            month=month,
        )
    figures = scorecards.figures_to_keep(session, month=month, now=now, stores=todo)
    closes = {
        s.id: MonthClose(
            store_id=s.id,
            month=month,
            closed_at=now,
            closed_by_id=by.id if by else None,
            open_items=undecided.get(s.id, 0),
        )
        for s in todo
    }
    try:
        # Two leads closing at the same moment: the partial unique index lets one through.
        with session.begin_nested():
            session.add_all(closes.values())
            session.flush()
    except IntegrityError:
        raise Conflict(N_("someone closed this month a moment ago")) from None
    if figures:
        session.execute(
            insert(ClosedScore),
            [
                {"close_id": closes[row.store_id].id, "due_month": month, **row._asdict()}
                for row in figures
            ],
        )
    _keep_undecided(session, [c.id for c in closes.values()])
    for close in closes.values():
        _audit(session, now, by, close, "closed", open_items=close.open_items)
    return list(closes.values())


def _keep_undecided(session: Session, close_ids: list[int]) -> None:
    """List the deliverables undecided at these closes (one INSERT ... SELECT)."""
    d, c = Deliverable, MonthClose
    undecided = (
        select(c.id, d.id)
        .join(c, and_(c.store_id == d.store_id, c.month == d.due_month))
        .where(is_live(), c.id.in_(close_ids))
    )
    session.execute(insert(ClosedOpenItem).from_select(["close_id", "deliverable_id"], undecided))


def reopen_month(
    session: Session,
    *,
    by: Person | None,
    store: Store,
    month: str,
    reason: str,
    now: datetime,
) -> MonthClose:
    """Reopen a closed month of a store, with a reason (audited): its scorecard is computed
    live again, the decisions made since included. Administrators only."""
    permissions.require_reopen(by)
    check_month(month)
    reason = (reason or "").strip()
    if not reason:
        raise BadInput(N_("a reopening needs a reason"))
    close = current_closes(session, [store], month).get(store.id)
    if close is None:
        raise BadInput(N_("%(month)s is not closed in %(store)s"), month=month, store=store.code)
    # Conditional: two administrators reopening at once, only one does.
    changed = session.execute(
        update(MonthClose)
        .where(MonthClose.id == close.id, MonthClose.reopened_at.is_(None))
        .values(reopened_at=now, reopened_by_id=by.id if by else None, reopen_reason=reason)
        .execution_options(synchronize_session=False)
    ).rowcount
    if changed != 1:
        raise Conflict(N_("someone reopened this month a moment ago"))
    session.refresh(close)
    _audit(session, now, by, close, "reopened", reason=reason)
    return close


def status(session: Session, stores: list[Store], month: str) -> list[dict]:
    """Per store: whether `month` is closed (when, by whom, undecided then) and how many of its
    deliverables are undecided now."""
    check_month(month)
    closes = current_closes(session, stores, month)
    undecided = undecided_counts(session, stores, month)
    rows = []
    for store in stores:
        close = closes.get(store.id)
        rows.append(
            {
                "store": store.code,
                "month": month,
                "closed": close is not None,
                "closed_at": close.closed_at.isoformat() if close else None,
                "closed_by": close.closed_by.email if close and close.closed_by else None,
                "open_at_close": close.open_items if close else None,
                "undecided": undecided.get(store.id, 0),
            }
        )
    return rows


def open_months(session: Session, store_ids: list[int], now: datetime) -> list[tuple[int, str]]:
    """The past months of these stores not closed: from the month of the store's first
    deliverable (at most OPEN_MONTHS_BACK months back) to the month before `now` in the
    store's zone, by store and month. One query: each store's zone and first month (an index
    lookup each), and the current closes."""
    d, c = Deliverable, MonthClose
    first = select(func.min(d.due_month)).where(d.store_id == Store.id).scalar_subquery()
    stores = select(Store.id, Store.timezone, first, null()).where(Store.id.in_(store_ids))
    closes = select(c.store_id, literal(None), literal(None), c.month).where(
        c.store_id.in_(store_ids), c.reopened_at.is_(None)
    )
    zones, firsts, closed = {}, {}, set()
    for store_id, zone, first_month, month in session.execute(union_all(stores, closes)):
        if month is None:
            zones[store_id], firsts[store_id] = zone, first_month
        else:
            closed.add((store_id, month))
    result = []
    for store_id in sorted(zones):
        if firsts[store_id] is None:
            continue
        this = now.astimezone(ZoneInfo(zones[store_id])).strftime("%Y-%m")
        back = scorecards.previous_months(this, OPEN_MONTHS_BACK + 1)
        months = _months_between(max(firsts[store_id], back[0]), back[-2])
        result += [(store_id, m) for m in months if m < this and (store_id, m) not in closed]
    return result


# --- the page: what one person asked for, assembled ---


def last_month(now: datetime, store: Store) -> str:
    """The month before the one `now` falls in, in the store's zone."""
    return scorecards.previous_months(local_month(now, store), 2)[0]


def page(
    session: Session, person: Person, *, store: str | None, month: str | None, now: datetime
) -> dict:
    """The readiness page of a store (by default the person's) and month (by default last
    month): what blocks the close, the current close, and the stores to pick from. Leads and
    administrators only; an unknown store is NotFound. Four queries."""
    permissions.require_close(person, person.store)
    stores = list(session.scalars(select(Store).order_by(Store.code)))
    if store:
        chosen = next((s for s in stores if s.code == store), None)
        if chosen is None:
            raise NotFound(N_("no store with code %(code)r"), code=store)
    else:
        chosen = person.store
    month = month or last_month(now, chosen)
    return {
        "readiness": readiness(session, chosen, month, now),
        "stores": stores,
        "ended": month < local_month(now, chosen),
    }


def stores_to_close(session: Session, store: str, every_store: bool) -> list[Store]:
    """The stores a close asks for: every store, or the one with this code (NotFound)."""
    if every_store:
        return list(session.scalars(select(Store).order_by(Store.code)))
    return [get_store(session, store)]
