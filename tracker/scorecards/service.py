"""Scorecards of the providing departments, computed by the database.

Definitions (per provider, store, commitment and month of the due day, in the store's zone):
- due: deliverables due that month (waived ones included; see `waived`);
- on time / late: accepted, with the finally accepted submission made by / after the due time;
- open overdue: still owed (open or returned) and past due at `now`: certainly late;
- on-time rate: on time / (on time + late + open overdue); None when nothing is decided yet;
- first-pass rate: accepted without a single return / accepted;
- mean lateness: the mean, over late accepted items, of due time to the accepted submission;
- returned (by reason): deliverables sent back at least once for that reason;
- at risk: deals (a reference, else a business event, else the item alone) with open overdue
  items, each counted once, in the age band (by default 0-2, 3-7, 8+ days; set by the
  administrator) of its oldest open overdue item, with the deal's amount; for the month's
  items and for the whole backlog.

Every number is one of the `measure` conditions below, so the deliverables listed behind a
number (`deliverables_behind`) are exactly the ones it counts.

Accepted and waived deliverables never change again: they are counted once, when they get
there, into the monthly roll-up (`ScoreMonth`, `record_final`); a scorecard adds the roll-up's
rows to a count of the deliverables not decided yet, which are few. So reading a month, or six,
costs the same over a year of history as over a week (docs/scorecards.md).

A month a store has closed (`tracker.closing`) is read from the figures kept at its close
(`ClosedScore`) instead of the roll-up and the live deliverables, in the same query; decisions
made since on the items undecided then are its post-close adjustments (`adjustments`).
"""

import math
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from urllib.parse import quote_plus, urlencode

from sqlalchemy import (
    Select,
    and_,
    case,
    delete,
    exists,
    func,
    literal,
    or_,
    select,
    true,
    tuple_,
    union_all,
)
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from tracker.catalog.models import Commitment
from tracker.catalog.service import code_order, get_commitment
from tracker.closing.models import ClosedOpenItem, ClosedScore, MonthClose
from tracker.complaints import service as complaints
from tracker.errors import N_, BadInput
from tracker.ledger.models import (
    FINAL_STATUSES,
    OPEN_STATUSES,
    RETURN_REASONS,
    Deliverable,
    Submission,
    Waiver,
    is_live,
)
from tracker.org.models import Department, GroupSetting, Person, Store
from tracker.paging import page_of
from tracker.scorecards import display, permissions
from tracker.scorecards.models import ScoreMonth

LEVELS = {"commitment", "department"}
TREND_MONTHS = 6
# Days overdue: (label, at least, less than); None = no upper bound. The default age bands: an
# administrator may set others for the group (`risk_bands`, `set_risk_bands`).
AT_RISK_BUCKETS = (("0-2", 0, 3), ("3-7", 3, 8), ("8+", 8, None))
RISK_BANDS_KEY = "scorecards.risk_bands"
MAX_RISK_BANDS = 6
MAX_BAND_DAYS = 3660  # ten years overdue: any later start is a typing error
MEASURES = (
    "due",
    "on_time",
    "late",
    "open_overdue",
    "waived",
    "decided",
    "accepted",
    "first_pass",
    "returned",
    "at_risk",
)


@dataclass
class ScoreRow:
    """One line of a scorecard."""

    month: str
    store: str
    provider: str
    commitment: str | None
    due: int
    on_time: int
    late: int
    open_overdue: int
    waived: int
    open: int
    submitted: int
    accepted: int
    first_pass: int
    on_time_rate: float | None
    first_pass_rate: float | None
    mean_lateness_hours: float | None

    def as_dict(self) -> dict:
        """Plain data for JSON and exports."""
        return asdict(self)


@dataclass
class ReasonCount:
    """How many deliverables of one provider were returned for one reason."""

    store: str | None
    provider: str
    reason: str
    count: int


@dataclass
class RiskBucket:
    """Deals late by one age band: how many, and the sum of their amounts."""

    bucket: str
    count: int
    amount: Decimal


def _month(month: str) -> str:
    try:
        datetime.strptime(month, "%Y-%m")
    except ValueError:
        raise BadInput(N_("%(month)r is not a month; write it as YYYY-MM"), month=month) from None
    return month


def _due_around(month: str) -> tuple:
    """Due times a day either side of the month in UTC: true of every deliverable due in that
    month in any zone, and it lets the planner read the month in due order (without it,
    PostgreSQL walked every accepted deliverable of every month for the first 1,000 late ones).
    """
    start = datetime.strptime(month, "%Y-%m").replace(tzinfo=UTC)
    end = (start + timedelta(days=32)).replace(day=1)
    return (
        Deliverable.due_at >= start - timedelta(days=1),
        Deliverable.due_at < end + timedelta(days=1),
    )


def previous_months(month: str, count: int = TREND_MONTHS) -> list[str]:
    """`count` months ending with `month`, oldest first."""
    year, mon = (int(x) for x in _month(month).split("-"))
    index = year * 12 + mon - 1
    return [f"{i // 12:04d}-{i % 12 + 1:02d}" for i in range(index - count + 1, index + 1)]


def _in_band(due_at, now: datetime, least: int, below: int | None):
    """Due `least` whole days ago or more, and less than `below` days ago."""
    condition = due_at <= now - timedelta(days=least)
    if below is not None:
        condition = and_(condition, due_at > now - timedelta(days=below))
    return condition


def _band(bands, bucket: str | None) -> tuple[str, int, int | None]:
    for band in bands:
        if band[0] == bucket:
            return band
    raise BadInput(N_("unknown age bucket %(bucket)r"), bucket=bucket)


def _measure(name: str, now: datetime | None, *, reason=None, bucket=None, bands=None):
    """The condition on a deliverable that one number of the scorecard counts. `now` matters
    only to the measures of what is still owed (open overdue, decided, at risk)."""
    d = Deliverable
    accepted = d.status == "accepted"
    on_time = and_(accepted, d.final_submitted_at <= d.due_at)
    late = and_(accepted, d.final_submitted_at > d.due_at)

    def overdue():
        # A deliverable on hold is not overdue (tracker.ledger.holds).
        return and_(d.status.in_(OPEN_STATUSES), d.due_at < now, d.held_since.is_(None))

    if name == "due":
        return true()
    if name == "on_time":
        return on_time
    if name == "late":
        return late
    if name == "open_overdue":
        return overdue()
    if name == "waived":
        return d.status == "waived"
    if name == "decided":
        return or_(on_time, late, overdue())
    if name == "accepted":
        return accepted
    if name == "first_pass":
        return and_(accepted, d.return_count == 0)
    if name == "open":
        return d.status.in_(OPEN_STATUSES)
    if name == "submitted":
        return d.status == "submitted"
    if name == "returned":
        if reason is None:
            return d.return_count > 0
        if reason not in RETURN_REASONS:
            raise BadInput(N_("unknown return reason %(reason)r"), reason=reason)
        return and_(
            d.return_count > 0,
            exists().where(Submission.deliverable_id == d.id, Submission.return_reason == reason),
        )
    if name == "at_risk":
        # The item's own age; a deal's is its oldest item's (`_oldest_of_each_deal`).
        _label, least, below = _band(bands or AT_RISK_BUCKETS, bucket)
        return and_(overdue(), _in_band(d.due_at, now, least, below))
    raise BadInput(
        N_("unknown measure %(name)r; one of %(measures)s"), name=name, measures=", ".join(MEASURES)
    )


def _count_if(condition):
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def _scope(
    query,
    columns,
    *,
    store: Store | None,
    provider: Department | None,
    stores=None,
    party: Department | None = None,
):
    """Narrow a query on the deliverables, the roll-up or the closed figures (`columns`) to a
    store (or to some stores), a providing department, and the commitments a department
    (`party`) provides or receives."""
    if party is not None:
        received = select(Commitment.id).where(Commitment.receiver_id == party.id)
        query = query.where(
            or_(columns.provider_id == party.id, columns.commitment_id.in_(received))
        )
    if store is not None:
        query = query.where(columns.store_id == store.id)
    if stores is not None:
        query = query.where(columns.store_id.in_([s.id for s in stores]))
    if provider is not None:
        query = query.where(columns.provider_id == provider.id)
    return query


# --- the roll-up of decided deliverables ---

ROLLUP_KEYS = ("due_month", "store_id", "provider_id", "commitment_id")
REASON_COLUMNS = {reason: f"returned_{reason}" for reason in RETURN_REASONS}
# What the scorecard adds up, from the roll-up and from the live deliverables alike.
NUMBERS = (
    "due",
    "on_time",
    "late",
    "open_overdue",
    "waived",
    "open",
    "submitted",
    "accepted",
    "first_pass",
    "late_seconds",
)


def _decided_rollup(where):
    """The roll-up rows of the decided deliverables that match `where`: the same conditions the
    scorecard's click-throughs use (`_measure`), counted once per deliverable."""
    d = Deliverable
    keys = [getattr(d, k) for k in ROLLUP_KEYS]
    late = _measure("late", None)
    counts = {
        "due": func.count(),
        **{n: _count_if(_measure(n, None)) for n in ("on_time", "late", "waived", "accepted")},
        "first_pass": _count_if(_measure("first_pass", None)),
        "late_seconds": func.coalesce(func.sum(case((late, d.lateness_seconds), else_=0)), 0),
        **{
            column: _count_if(_measure("returned", None, reason=reason))
            for reason, column in REASON_COLUMNS.items()
        },
    }
    query = (
        select(*keys, *(value.label(name) for name, value in counts.items()))
        .where(d.status.in_(FINAL_STATUSES), where)
        .group_by(*keys)
    )
    return query, [*ROLLUP_KEYS, *counts]


def _add_to_rollup(session: Session, where) -> None:
    """Add the decided deliverables matching `where` to the roll-up (insert, or add to the
    row already there)."""
    query, names = _decided_rollup(where)
    table = ScoreMonth.__table__
    dialect = session.get_bind().dialect.name
    insert = {"sqlite": sqlite_insert, "postgresql": postgresql_insert}[dialect]
    statement = insert(table).from_select(names, query)
    statement = statement.on_conflict_do_update(
        index_elements=list(ROLLUP_KEYS),
        set_={n: table.c[n] + statement.excluded[n] for n in names if n not in ROLLUP_KEYS},
    )
    session.execute(statement)


def record_final(session: Session, deliverable_id: int) -> None:
    """Add a deliverable that has just been accepted or waived to the roll-up, in the same
    transaction. The ledger calls it right after the change; a deliverable is decided once, so
    it is added once."""
    session.flush()
    _add_to_rollup(session, Deliverable.id == deliverable_id)


def rebuild_rollup(session: Session) -> int:
    """Recompute the whole roll-up from the deliverables (after a bulk load, or to check it);
    returns its number of rows."""
    session.flush()
    session.execute(delete(ScoreMonth))
    _add_to_rollup(session, true())
    return session.scalar(select(func.count()).select_from(ScoreMonth))


# --- reading: the roll-up plus the live deliverables ---


def _current_closes(months: list[str]):
    """(store, month) of the months among `months` that a store has closed and not reopened."""
    c = MonthClose
    return select(c.store_id, c.month).where(c.reopened_at.is_(None), c.month.in_(months))


def _not_closed(columns, months: list[str]):
    """The rows (of the roll-up or the deliverables) of a store's month that is not closed."""
    return tuple_(columns.store_id, columns.due_month).not_in(_current_closes(months))


def _closed_part(keys: list[str], numbers, months: list[str], **scope):
    """`numbers` per `keys` from the figures kept at the current closes of these months."""
    cs, c = ClosedScore, MonthClose
    return _scope(
        select(
            *(getattr(cs, k) for k in keys), *(func.sum(getattr(cs, n)).label(n) for n in numbers)
        )
        .join(c, and_(c.id == cs.close_id, c.reopened_at.is_(None)))
        .where(cs.due_month.in_(months))
        .group_by(*(getattr(cs, k) for k in keys)),
        cs,
        **scope,
    )


def _combined(
    keys: list[str], months: list[str], now: datetime, store, provider, stores=None, party=None
):
    """Every number of NUMBERS per `keys`, for the months: the decided deliverables from the
    roll-up, the others (open, returned, submitted: few) from the deliverable table, each part
    summed per key before the two are added up; a closed month of a store from the figures
    kept at its close instead. One query."""
    s, d = ScoreMonth, Deliverable
    zero = literal(0)
    scope = {"store": store, "provider": provider, "stores": stores, "party": party}
    decided = _scope(
        select(
            *(getattr(s, k) for k in keys),
            func.sum(s.due).label("due"),
            func.sum(s.on_time).label("on_time"),
            func.sum(s.late).label("late"),
            zero.label("open_overdue"),
            func.sum(s.waived).label("waived"),
            zero.label("open"),
            zero.label("submitted"),
            func.sum(s.accepted).label("accepted"),
            func.sum(s.first_pass).label("first_pass"),
            func.sum(s.late_seconds).label("late_seconds"),
        )
        .where(s.due_month.in_(months), _not_closed(s, months))
        .group_by(*(getattr(s, k) for k in keys)),
        s,
        **scope,
    )
    live = _scope(
        select(
            *(getattr(d, k) for k in keys),
            func.count().label("due"),
            zero.label("on_time"),
            zero.label("late"),
            _count_if(_measure("open_overdue", now)).label("open_overdue"),
            zero.label("waived"),
            _count_if(_measure("open", now)).label("open"),
            _count_if(_measure("submitted", now)).label("submitted"),
            zero.label("accepted"),
            zero.label("first_pass"),
            zero.label("late_seconds"),
        )
        .where(is_live(), d.due_month.in_(months), _not_closed(d, months))
        .group_by(*(getattr(d, k) for k in keys)),
        d,
        **scope,
    )
    closed = _closed_part(keys, NUMBERS, months, **scope)
    return _named(union_all(decided, live, closed).subquery(), keys, NUMBERS)


# The code shown for each key of a scorecard row, joined in so that no second query is needed.
CODES = {"store_id": Store, "provider_id": Department, "commitment_id": Commitment}


def _named(both, keys: list[str], numbers) -> object:
    """Sum `numbers` of the union `both` per `keys`, then put each key's code beside it
    (`<key>_code`: the store's, department's or commitment's; joined to the sums, not to every
    row summed)."""
    sums = (
        select(*(both.c[k] for k in keys), *(func.sum(both.c[n]).label(n) for n in numbers))
        .group_by(*(both.c[k] for k in keys))
        .subquery()
    )
    query = select(
        *(sums.c[k] for k in keys),
        *(CODES[k].code.label(f"{k}_code") for k in keys if k in CODES),
        *(sums.c[n] for n in numbers),
    ).select_from(sums)
    for k in keys:
        if k in CODES:
            query = query.join(CODES[k], CODES[k].id == sums.c[k])
    return query


def _row(month: str, store: str, provider: str, commitment: str | None, row) -> ScoreRow:
    on_time, late, overdue = int(row.on_time), int(row.late), int(row.open_overdue)
    accepted, first_pass = int(row.accepted), int(row.first_pass)
    decided = on_time + late + overdue
    return ScoreRow(
        month=month,
        store=store,
        provider=provider,
        commitment=commitment,
        due=int(row.due),
        on_time=on_time,
        late=late,
        open_overdue=overdue,
        waived=int(row.waived),
        open=int(row.open),
        submitted=int(row.submitted),
        accepted=accepted,
        first_pass=first_pass,
        on_time_rate=round(on_time / decided, 4) if decided else None,
        first_pass_rate=round(first_pass / accepted, 4) if accepted else None,
        mean_lateness_hours=round(float(row.late_seconds) / late / 3600, 2) if late else None,
    )


def scorecard(
    session: Session,
    *,
    month: str,
    now: datetime,
    store: Store | None = None,
    level: str = "commitment",
    provider: Department | None = None,
    by_store: bool = True,
    stores: list[Store] | None = None,
    party: Department | None = None,
) -> list[ScoreRow]:
    """The scorecard of every providing department for one month, by commitment or department,
    per store (or, with `by_store=False`, added up over the stores in scope: `store` of each
    row is then empty). `stores` narrows it to some stores (a page of them), `party` to what
    one department provides or receives. One query."""
    _month(month)
    if level not in LEVELS:
        raise BadInput(N_("level must be one of %(levels)s"), levels=", ".join(sorted(LEVELS)))
    keys = (["store_id"] if by_store else []) + ["provider_id"]
    keys += ["commitment_id"] if level == "commitment" else []
    rows = session.execute(_combined(keys, [month], now, store, provider, stores, party)).all()
    result = [
        _row(
            month,
            row.store_id_code if by_store else "",
            row.provider_id_code,
            row.commitment_id_code if level == "commitment" else None,
            row,
        )
        for row in rows
    ]
    result.sort(key=lambda r: (r.store, r.provider, code_order(r.commitment)))
    return result


def trend(
    session: Session,
    *,
    month: str,
    now: datetime,
    store: Store | None = None,
    provider: Department | None = None,
    months: int = TREND_MONTHS,
    party: Department | None = None,
) -> list[ScoreRow]:
    """Each department's scorecard for the `months` months ending with `month`, across the
    chosen store (or all stores: then `store` of each row is empty). One query."""
    wanted = previous_months(month, months)
    rows = session.execute(
        _combined(["due_month", "provider_id"], wanted, now, store, provider, party=party)
    ).all()
    result = [
        _row(row.due_month, store.code if store else "", row.provider_id_code, None, row)
        for row in rows
    ]
    result.sort(key=lambda r: (r.provider, r.month))
    return result


def return_reasons(
    session: Session,
    *,
    month: str,
    store: Store | None = None,
    provider: Department | None = None,
    by_store: bool = True,
    party: Department | None = None,
) -> list[ReasonCount]:
    """Deliverables due in `month` returned at least once, counted by reason, per store and
    provider (or per provider over the stores in scope, with `by_store=False`: `store` is then
    None). One query: the decided ones from the roll-up, the others from the deliverables."""
    _month(month)
    s, d = ScoreMonth, Deliverable
    keys = (["store_id"] if by_store else []) + ["provider_id"]
    columns = list(REASON_COLUMNS.values())
    scope = {"store": store, "provider": provider, "party": party}
    decided = _scope(
        select(*(getattr(s, k) for k in keys), *(func.sum(getattr(s, c)).label(c) for c in columns))
        .where(s.due_month == month, _not_closed(s, [month]))
        .group_by(*(getattr(s, k) for k in keys)),
        s,
        **scope,
    )
    live = _scope(
        select(
            *(getattr(d, k) for k in keys),
            *(
                _count_if(_measure("returned", None, reason=reason)).label(column)
                for reason, column in REASON_COLUMNS.items()
            ),
        )
        .where(is_live(), d.due_month == month, d.return_count > 0, _not_closed(d, [month]))
        .group_by(*(getattr(d, k) for k in keys)),
        d,
        **scope,
    )
    closed = _closed_part(keys, columns, [month], **scope)
    rows = session.execute(_named(union_all(decided, live, closed).subquery(), keys, columns)).all()
    result = [
        ReasonCount(
            row.store_id_code if by_store else None,
            row.provider_id_code,
            reason,
            int(getattr(row, column)),
        )
        for row in rows
        for reason, column in REASON_COLUMNS.items()
        if getattr(row, column)
    ]
    order = {r: i for i, r in enumerate(RETURN_REASONS)}
    result.sort(key=lambda r: (r.store or "", r.provider, order[r.reason]))
    return result


# --- amounts at risk: each deal once, in the age band of its oldest open overdue item ---


def bands_from_starts(starts: list[int]) -> tuple[tuple[str, int, int | None], ...]:
    """Age bands from the days overdue each starts at ([0, 3, 8] -> 0-2, 3-7, 8+)."""
    ends = [*starts[1:], None]
    return tuple(
        (f"{least}+" if below is None else f"{least}-{below - 1}", least, below)
        for least, below in zip(starts, ends, strict=True)
    )


def format_bands(bands) -> str:
    """Age bands as the administrator writes them: "0-2, 3-7, 8+"."""
    return ", ".join(label for label, _least, _below in bands)


def parse_bands(text: str) -> list[int]:
    """The days overdue each band starts at, from "0-2, 3-7, 8+": contiguous from 0, the last
    open-ended, 2 to 6 bands. A BadInput says what is wrong."""
    parts = [p.strip() for p in (text or "").split(",")]
    if len(parts) < 2 or len(parts) > MAX_RISK_BANDS:
        raise BadInput(N_("give 2 to 6 age bands separated by commas, e.g. 0-2, 3-7, 8+"))
    starts, expected = [], 0
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        least, sep, rest = part.partition("-") if not last else part.partition("+")
        if not least.strip().isascii() or not least.strip().isdigit():
            raise BadInput(N_("%(band)r is not an age band such as 3-7 or 8+"), band=part)
        if last and (sep != "+" or rest.strip()):
            raise BadInput(N_("the last band is open-ended, such as 8+; got %(band)r"), band=part)
        if not last and (sep != "-" or not rest.strip().isascii() or not rest.strip().isdigit()):
            raise BadInput(N_("%(band)r is not an age band such as 3-7 or 8+"), band=part)
        first = int(least)
        if first != expected:
            raise BadInput(
                N_("%(band)r should start at %(day)d days: bands start at 0 and follow on"),
                band=part,
                day=expected,
            )
        if not last:
            upto = int(rest)
            if upto < first or upto >= MAX_BAND_DAYS:
                raise BadInput(N_("%(band)r ends before it starts or too late"), band=part)
            expected = upto + 1
        starts.append(first)
    return starts


def risk_bands(session: Session) -> tuple[tuple[str, int, int | None], ...]:
    """The group's age bands (label, at least, less than days overdue), in AT_RISK_BUCKETS'
    shape; AT_RISK_BUCKETS until an administrator sets others. One query."""
    value = session.scalar(select(GroupSetting.value).where(GroupSetting.key == RISK_BANDS_KEY))
    return bands_from_starts(value) if value else AT_RISK_BUCKETS


def set_risk_bands(session: Session, text: str, *, now: datetime, by: Person | None) -> tuple:
    """Set the group's age bands from "0-2, 3-7, 8+" (administrators; `by` None: the
    operator)."""
    permissions.require_risk_bands_setter(by)
    starts = parse_bands(text)
    setting = session.get(GroupSetting, RISK_BANDS_KEY)
    if setting is None:
        setting = GroupSetting(key=RISK_BANDS_KEY)
        session.add(setting)
    setting.value, setting.updated_at, setting.updated_by_id = starts, now, by.id if by else None
    session.flush()
    return bands_from_starts(starts)


def _deal_key():
    """What one deal is: its reference in its store; without one, its business event; without
    either, the item alone (an event-less item has no deal to share)."""
    d = Deliverable
    alone = case(
        (d.reference.is_not(None), None), (d.event_id.is_not(None), d.event_id), else_=-d.id
    )
    return (d.store_id, d.reference, alone)


def _oldest_of_each_deal(now, *, month, store, provider, party=None):
    """Each deal's oldest open overdue item (in the month, or in the whole backlog for None)
    with the deal's amount: the largest amount among those items."""
    d = Deliverable
    keys = _deal_key()
    query = select(
        d.id.label("id"),
        d.due_at.label("due_at"),
        func.max(d.amount).over(partition_by=keys).label("amount"),
        func.row_number().over(partition_by=keys, order_by=(d.due_at, d.id)).label("rank"),
    ).where(is_live(), d.status.in_(OPEN_STATUSES), d.due_at < now, d.held_since.is_(None))
    if month is not None:
        query = query.where(d.due_month == month)
    return _scope(query, d, store=store, provider=provider, party=party).subquery()


def amounts_at_risk(
    session: Session,
    *,
    month: str | None,
    now: datetime,
    store: Store | None = None,
    provider: Department | None = None,
    party: Department | None = None,
    bands=None,
) -> list[RiskBucket]:
    """Deals with open overdue items due in `month` (None: in any month, the whole backlog),
    each once, in the age band at `now` of its oldest such item: how many, and the sum of the
    deals' amounts. One query, over what is still owed only."""
    if month is not None:
        _month(month)
    bands = bands or AT_RISK_BUCKETS
    oldest = _oldest_of_each_deal(now, month=month, store=store, provider=provider, party=party)
    columns = []
    for _label, least, below in bands:
        condition = _in_band(oldest.c.due_at, now, least, below)
        columns.append(_count_if(condition))
        columns.append(func.coalesce(func.sum(case((condition, oldest.c.amount), else_=None)), 0))
    values = session.execute(select(*columns).where(oldest.c.rank == 1)).one()
    return [
        RiskBucket(
            label, int(values[2 * i]), Decimal(str(values[2 * i + 1])).quantize(Decimal("0.01"))
        )
        for i, (label, _least, _below) in enumerate(bands)
    ]


def _deals_in_band(now, bands, bucket, *, month, store, provider, party=None):
    """The ids of the deals' oldest items in one age band (what `amounts_at_risk` counts)."""
    _label, least, below = _band(bands, bucket)
    oldest = _oldest_of_each_deal(now, month=month, store=store, provider=provider, party=party)
    return select(oldest.c.id).where(
        oldest.c.rank == 1, _in_band(oldest.c.due_at, now, least, below)
    )


def deliverables_behind(
    session: Session,
    *,
    now: datetime,
    measure: str,
    month: str | None = None,
    store: Store | None = None,
    provider: Department | None = None,
    commitment: Commitment | None = None,
    reason: str | None = None,
    bucket: str | None = None,
    bands=None,
    party: Department | None = None,
) -> list[Deliverable]:
    """The deliverables one number of a scorecard counts, by due time. Behind an amount at
    risk: each deal's oldest open overdue item (month None: from the whole backlog)."""
    query = behind_query(
        now=now,
        measure=measure,
        month=month,
        store=store,
        provider=provider,
        commitment=commitment,
        reason=reason,
        bucket=bucket,
        bands=bands,
        party=party,
    )
    return list(session.scalars(query).unique())


def behind_query(
    *,
    now: datetime,
    measure: str,
    month: str | None = None,
    store: Store | None = None,
    provider: Department | None = None,
    commitment: Commitment | None = None,
    reason: str | None = None,
    bucket: str | None = None,
    bands=None,
    party: Department | None = None,
) -> Select:
    """The query of `deliverables_behind`, by due time (for a page of it)."""
    if measure not in MEASURES:
        raise BadInput(
            N_("unknown measure %(name)r; one of %(measures)s"),
            name=measure,
            measures=", ".join(MEASURES),
        )
    d = Deliverable
    if measure == "at_risk":
        ids = _deals_in_band(
            now,
            bands or AT_RISK_BUCKETS,
            bucket,
            month=month,
            store=store,
            provider=provider,
            party=party,
        )
        query = select(d).where(d.id.in_(ids))
    else:
        query = select(d).where(_measure(measure, now, reason=reason, bucket=bucket))
    query = query.where(d.due_month == _month(month), *_due_around(month)) if month else query
    query = _scope(query, d, store=store, provider=provider, party=party)
    if commitment is not None:
        query = query.where(d.commitment_id == commitment.id)
    return query.order_by(d.due_at, d.id)


# --- closed months: the figures kept at the close, and what was decided since ---

KEPT_KEYS = ["store_id", "provider_id", "commitment_id"]
KEPT_NUMBERS = (*NUMBERS, *REASON_COLUMNS.values())
# What a post-close adjustment adds to a row, beside the closed figures.
ADJUSTED = ("on_time", "late", "waived")


def figures_to_keep(session: Session, *, month: str, now: datetime, stores: list[Store]) -> list:
    """The scorecard of `month` in these stores at `now`, per store, provider and commitment,
    with the returns by reason: what a close keeps (`tracker.closing`). One query."""
    _month(month)
    s, d = ScoreMonth, Deliverable
    zero = literal(0)
    ids = [store.id for store in stores]
    decided = {n: getattr(s, n, zero) for n in KEPT_NUMBERS}
    live = {
        **{n: zero for n in NUMBERS},
        "due": func.count(),
        **{n: _count_if(_measure(n, now)) for n in ("open_overdue", "open", "submitted")},
        **{
            column: _count_if(_measure("returned", None, reason=reason))
            for reason, column in REASON_COLUMNS.items()
        },
    }
    parts = [
        select(
            *(getattr(s, k) for k in KEPT_KEYS), *(decided[n].label(n) for n in KEPT_NUMBERS)
        ).where(s.due_month == month, s.store_id.in_(ids)),
        select(*(getattr(d, k) for k in KEPT_KEYS), *(live[n].label(n) for n in KEPT_NUMBERS))
        .where(is_live(), d.due_month == month, d.store_id.in_(ids))
        .group_by(*(getattr(d, k) for k in KEPT_KEYS)),
    ]
    both = union_all(*parts).subquery()
    query = select(
        *(both.c[k] for k in KEPT_KEYS), *(func.sum(both.c[n]).label(n) for n in KEPT_NUMBERS)
    ).group_by(*(both.c[k] for k in KEPT_KEYS))
    return session.execute(query).all()


@dataclass
class Adjustment:
    """A deliverable undecided when its month was closed and decided since: a post-close
    adjustment, shown beside the closed figures and never added to them."""

    deliverable_id: int
    store: str
    provider: str
    commitment: str
    reference: str | None
    status: str
    decided_at: datetime
    on_time: bool | None

    @property
    def outcome(self) -> str:
        """What it adds: on_time, late or waived (ADJUSTED)."""
        if self.status == "waived":
            return "waived"
        return "on_time" if self.on_time else "late"

    def as_dict(self) -> dict:
        """Plain data for JSON."""
        return asdict(self) | {"decided_at": self.decided_at.isoformat()}


def adjustments(
    session: Session,
    *,
    month: str,
    store: Store | None = None,
    provider: Department | None = None,
    party: Department | None = None,
) -> list[Adjustment]:
    """The post-close adjustments of `month` in the stores that closed it (and have not
    reopened it): the deliverables undecided at the close, accepted or waived since. One
    query."""
    _month(month)
    d, c, item = Deliverable, MonthClose, ClosedOpenItem
    query = (
        select(
            d.id,
            Store.code,
            Department.code,
            Commitment.code,
            d.reference,
            d.status,
            func.coalesce(d.accepted_at, Waiver.waived_at),
            d.final_submitted_at <= d.due_at,
        )
        .select_from(item)
        .join(c, and_(c.id == item.close_id, c.reopened_at.is_(None)))
        .join(d, d.id == item.deliverable_id)
        .join(Store, Store.id == d.store_id)
        .join(Department, Department.id == d.provider_id)
        .join(Commitment, Commitment.id == d.commitment_id)
        .outerjoin(Waiver, Waiver.deliverable_id == d.id)
        .where(c.month == month, d.status.in_(FINAL_STATUSES))
        .order_by(Store.code, Department.code, d.id)
    )
    query = _scope(query, d, store=store, provider=provider, party=party)
    return [
        Adjustment(row[0], row[1], row[2], row[3], row[4], row[5], row[6],
                   None if row[5] == "waived" else bool(row[7]))
        for row in session.execute(query)
    ]  # fmt: skip


def adjusted(items: list[Adjustment], keys: tuple[str, ...]) -> dict[tuple, dict]:
    """The adjustments counted per `keys` (attributes of an Adjustment; "" for a missing one):
    how many on time, late and waived, and which deliverables."""
    counts: dict[tuple, dict] = {}
    for item in items:
        key = tuple(getattr(item, k) if k else "" for k in keys)
        entry = counts.setdefault(key, {**dict.fromkeys(ADJUSTED, 0), "deliverables": []})
        entry[item.outcome] += 1
        entry["deliverables"].append(item.deliverable_id)
    return counts


# --- the pages and exports: what one person asked for, assembled ---

# Across all stores the page lists this many stores at a time (the exports hold them all).
STORES_PER_PAGE = 20
BEHIND_PER_PAGE = 100  # deliverables on a page behind a number; the total is always told
BEHIND_FILTERS = ("commitment", "reason", "bucket", "backlog")


@dataclass
class Scope:
    """What one person asked to see and may see: a month, a store (None: all), a department
    (None: all), with the departments by code and the stores this person may pick."""

    month: str
    store: Store | None
    provider: Department | None
    departments: dict[str, Department]
    stores: list[Store]
    deliverables_url: str = ""
    # A head's department: only what it provides or receives is counted (None: everything).
    party: Department | None = None
    # The stores in scope that have closed the month: code -> (closed at, closed by).
    closes: dict[str, tuple[datetime, str | None]] = field(default_factory=dict)
    _starts: dict = field(default_factory=dict)

    def args(self, **more: str | None) -> dict:
        """Query arguments for links that keep this scope."""
        args = {"month": self.month, "store": self.store.code if self.store else ""}
        return args | {k: v for k, v in more.items() if v is not None}

    def start(self, store: str, provider: str, month: str | None = None) -> str:
        """The address of the deliverables behind a row's numbers, up to the measure's name
        (kept per row: a page holds about a thousand links, too many to build each by the
        router)."""
        key = (month or self.month, store, provider)
        start = self._starts.get(key)
        if start is None:
            where = urlencode({"month": key[0], "store": store, "provider": provider})
            start = self._starts[key] = f"{self.deliverables_url}?{where}&measure="
        return start

    def link(
        self, measure: str, store: str, provider: str, month: str | None = None, **more: str | None
    ) -> str:
        """The address of the deliverables behind one number."""
        more = {k: v for k, v in more.items() if v is not None}
        tail = f"&{urlencode(more)}" if more else ""
        return self.start(store, provider, month) + quote_plus(measure) + tail


def scope(
    session: Session,
    person: Person | None,
    *,
    month: str | None,
    store: str | None,
    provider: str | None,
    now: datetime,
    deliverables_url: str = "",
) -> Scope:
    """The month (by default the current one in the person's store), store and department
    asked for, checked against who asks (`scorecards.permissions`; None: the operator at the
    command line, who names the month), and which stores have closed that month. Two
    queries: the stores with their closes, the departments (for a head, with whether each
    owes the head's department something)."""
    permissions.require_scorecards(person)
    if month is None:
        month = now.astimezone(person.store.zone).strftime("%Y-%m")
    c = MonthClose
    found = session.execute(
        select(Store, c.closed_at, Person.name)
        .outerjoin(c, and_(c.store_id == Store.id, c.month == month, c.reopened_at.is_(None)))
        .outerjoin(Person, Person.id == c.closed_by_id)
        .order_by(Store.code)
    ).all()
    stores = [row[0] for row in found]
    owing = literal(False)
    if not permissions.sees_all_stores(person):
        owing = exists().where(
            Commitment.provider_id == Department.id,
            Commitment.receiver_id == person.department_id,
        )
    both = session.execute(select(Department, owing.label("owing"))).all()
    departments = {d.code: d for d, _owing in both}
    chosen, department, party = permissions.allowed_scope(
        person,
        store=store,
        provider=provider,
        stores=stores,
        departments=departments,
        owing={d.code for d, owes in both if owes},
    )
    visible = permissions.visible_stores(person, stores)
    closes = {
        s.code: (closed_at, by)
        for s, closed_at, by in found
        if closed_at is not None and s in visible and chosen in (None, s)
    }
    return Scope(month, chosen, department, departments, visible, deliverables_url, party, closes)


def percent(rate: float | None) -> float | None:
    """A rate as the percentage shown on the page and written to the exports."""
    return None if rate is None else round(rate * 100, 1)


def _department_rows(
    session: Session,
    scope: Scope,
    now: datetime,
    lang: str,
    *,
    by_store: bool = True,
    stores: list[Store] | None = None,
    held: dict | None = None,
    csi: dict | None = None,
    complained: dict | None = None,
) -> list[dict]:
    """The month's department rows as the page and the exports show them, per store (or added
    up over the stores in scope, or only for some stores), with their holds (`held`: the
    holds in scope, if already looked up) and satisfaction index (`csi`: its sums, if already
    looked up). Four queries (two with `held` and `csi`)."""
    scores = scorecard(
        session,
        month=scope.month,
        now=now,
        store=scope.store,
        level="department",
        provider=scope.provider,
        by_store=by_store,
        stores=stores,
        party=scope.party,
    )
    rows = [
        {
            "month": row.month,
            "store": row.store,
            "provider": row.provider,
            "department": scope.departments[row.provider].name(lang),
            "due": row.due,
            "on_time": row.on_time,
            "late": row.late,
            "open_overdue": row.open_overdue,
            "waived": row.waived,
            "accepted": row.accepted,
            "first_pass": row.first_pass,
            "on_time_pct": percent(row.on_time_rate),
            "first_pass_pct": percent(row.first_pass_rate),
            "mean_lateness_hours": row.mean_lateness_hours,
        }
        for row in scores
    ]
    _with_holds(rows, held if held is not None else _holds(session, scope), by_store=by_store)
    sums = csi if csi is not None else _csi_sums(session, scope, [scope.month])
    _with_csi(rows, scope, sums, by_store)
    if complained is None:
        complained = complaints.counts(session, month=scope.month, store=scope.store)
    _with_complaints(rows, complained, by_store=by_store)
    return rows


def _csi_sums(session: Session, scope: Scope, months: list[str]) -> dict:
    """What the satisfaction index of the months in scope is made of (`satisfaction.service`).
    Two queries."""
    from tracker.satisfaction import service as satisfaction

    return satisfaction.csi_sums(session, months=months, store=scope.store, provider=scope.provider)


def _with_csi(rows: list[dict], scope: Scope, sums: dict, by_store: bool) -> None:
    """Each department row's satisfaction index, with the responses behind it."""
    from tracker.satisfaction import service as satisfaction

    found = satisfaction.csi_from(sums, months=[scope.month], by_store=by_store)
    for row in rows:
        index = satisfaction.csi_of(found, row["store"], row["provider"])
        row["csi"], row["csi_responses"] = index.csi, index.responses


def _with_complaints(rows: list[dict], found: dict, *, by_store: bool) -> None:
    """Each department row's complaints filed that month (`complaints.service.counts`): how
    many, how many answered in time, and that share."""
    if not by_store:  # added up over the stores
        totals: dict = {}
        for (_store, provider), (filed, in_time) in found.items():
            before = totals.get(provider, (0, 0))
            totals[provider] = (before[0] + filed, before[1] + in_time)
    for row in rows:
        if by_store:
            filed, in_time = found.get((row["store"], row["provider"]), (0, 0))
        else:
            filed, in_time = totals.get(row["provider"], (0, 0))
        row["complaints"], row["complaints_answered_in_time"] = filed, in_time
        row["complaints_in_time_pct"] = percent(in_time / filed) if filed else None


def _holds(session: Session, scope: Scope) -> dict:
    """The approved holds in scope (`scorecards.promises.holds`). One query."""
    from tracker.scorecards import promises

    return promises.holds(
        session, month=scope.month, store=scope.store, provider=scope.provider, party=scope.party
    )


def _with_holds(rows: list[dict], found: dict, *, by_store: bool) -> None:
    """Each department row's approved holds: how many, and the working hours spent on hold."""
    from tracker.scorecards import promises

    totals = promises.hold_totals(found, by_store=by_store, commitment=False)
    for row in rows:
        count, seconds = totals.get((row["store"], row["provider"]), (0, 0))
        row["holds"], row["hold_hours"] = count, promises.hours(seconds)


def _scope_adjustments(session: Session, scope: Scope) -> list[Adjustment]:
    """The post-close adjustments in scope; no query when no store in scope closed the month."""
    if not scope.closes:
        return []
    return adjustments(
        session, month=scope.month, store=scope.store, provider=scope.provider, party=scope.party
    )


def _beside(rows: list[dict], scope: Scope, items: list[Adjustment], by_store: bool) -> None:
    """Mark the rows of closed stores (when and by whom), with the adjustments beside them."""
    counts = adjusted(items, ("store" if by_store else "", "provider"))
    for row in rows:
        closed = scope.closes.get(row["store"]) if by_store else None
        row["closed_at"] = closed[0] if closed else None
        row["closed_by"] = closed[1] if closed else None
        found = counts.get((row["store"], row["provider"]), {})
        for name in ADJUSTED:
            row[f"adjust_{name}"] = found.get(name, 0)


def page_of_stores(stores: list[Store], number: int | None) -> tuple[list[Store], dict]:
    """One page of stores (STORES_PER_PAGE a page, by code) and what the pager shows. A page
    number that is not one, or past the end, shows the nearest page."""
    pages = max(1, math.ceil(len(stores) / STORES_PER_PAGE))
    number = min(max(number or 1, 1), pages)
    shown = stores[(number - 1) * STORES_PER_PAGE : number * STORES_PER_PAGE]
    pager = {
        "page": number,
        "pages": pages,
        "stores": len(stores),
        "first": (number - 1) * STORES_PER_PAGE + 1,
        "last": min(number * STORES_PER_PAGE, len(stores)),
    }
    return shown, pager


def _chart(scope: Scope, months: list[str], trend: dict, lang: str) -> dict:
    """The trend chart's data: one line per department, each point linked to its deliverables."""
    return {
        "labels": months,
        "title": str(display.CHART_TITLE),
        "datasets": [
            {
                "label": scope.departments[code].name(lang),
                "data": [
                    percent(by_month[m].on_time_rate) if m in by_month else None for m in months
                ],
                "links": [
                    scope.link("decided", scope.args()["store"], code, month=m) for m in months
                ],
            }
            for code, by_month in sorted(trend.items())
        ],
    }


def page(
    session: Session, scope: Scope, now: datetime, *, lang: str, page_number: int | None = None
) -> dict:
    """What the scorecard page shows: the month's departments (across all stores: added up,
    then one page of stores), the six-month trend and its chart, return reasons and amounts at
    risk, the month's and the whole backlog's, the holds and the receivers' turnaround. Ten or
    eleven queries, whatever the history."""
    totals, pager = None, None
    items = _scope_adjustments(session, scope)
    held = _holds(session, scope)
    months = previous_months(scope.month)
    csi = _csi_sums(session, scope, months)
    complained = complaints.counts(session, month=scope.month, store=scope.store)
    both = dict(held=held, csi=csi, complained=complained)
    if scope.store is None:
        totals = _department_rows(session, scope, now, lang, by_store=False, **both)
        _beside(totals, scope, items, by_store=False)
        stores, pager = page_of_stores(scope.stores, page_number)
        rows = _department_rows(session, scope, now, lang, stores=stores, **both)
    else:
        rows = _department_rows(session, scope, now, lang, **both)
    _beside(rows, scope, items, by_store=True)
    by_provider: dict[str, dict[str, ScoreRow]] = {}
    for row in trend(
        session,
        month=scope.month,
        now=now,
        store=scope.store,
        provider=scope.provider,
        party=scope.party,
    ):
        by_provider.setdefault(row.provider, {})[row.month] = row
    reason_table: dict[tuple[str, str], dict[str, int]] = {}
    for r in return_reasons(
        session,
        month=scope.month,
        store=scope.store,
        provider=scope.provider,
        by_store=scope.store is not None,
        party=scope.party,
    ):
        reason_table.setdefault((r.store or "", r.provider), {})[r.reason] = r.count
    return {
        "rows": rows,
        "totals": totals,
        "pager": pager,
        "months": months,
        "trend": by_provider,
        "chart": _chart(scope, months, by_provider, lang),
        "csi_trend": _csi_trend(csi),
        "reason_table": reason_table,
        "adjustments": items,
        "turnaround": _turnaround_rows(session, scope, lang),
        **risk_views(session, scope, now),
    }


def _csi_trend(sums: dict) -> dict:
    """The satisfaction index of each department and month of the trend, keyed (provider
    code, month), across the stores in scope."""
    from tracker.satisfaction import service as satisfaction

    found = satisfaction.csi_from(sums, by_store=False, by_month=True)
    return {key[1:]: index for key, index in found.items()}


def _turnaround_rows(session: Session, scope: Scope, lang: str) -> list[dict]:
    """The receiving departments' turnaround in the month, per store, as the page and the
    exports show it. One query."""
    from tracker.scorecards import promises

    rows = promises.turnaround(
        session, month=scope.month, store=scope.store, provider=scope.provider, party=scope.party
    )
    return [
        row.as_dict() | {"department": scope.departments[row.receiver].name(lang)} for row in rows
    ]


def risk_views(session: Session, scope: Scope, now: datetime) -> dict:
    """The amounts at risk of the month and of the whole backlog, in the group's age bands.
    Three queries."""
    bands = risk_bands(session)
    where = {
        "now": now,
        "store": scope.store,
        "provider": scope.provider,
        "party": scope.party,
        "bands": bands,
    }
    return {
        "bands": bands,
        "at_risk": amounts_at_risk(session, month=scope.month, **where),
        "backlog_at_risk": amounts_at_risk(session, month=None, **where),
    }


def deliverables_page(
    session: Session,
    scope: Scope,
    *,
    now: datetime,
    measure: str,
    commitment: str | None = None,
    reason: str | None = None,
    bucket: str | None = None,
    backlog: str | None = None,
    page: int = 1,
) -> dict:
    """What the page behind one number shows: a page of its deliverables (BEHIND_PER_PAGE, by
    due time) and how many in all, and the commitment it is narrowed to (an unknown one is
    NotFound). `backlog` (amounts at risk): from every month."""
    chosen = get_commitment(session, commitment) if commitment else None
    backlog = bool(backlog) and measure == "at_risk"
    query = behind_query(
        now=now,
        measure=measure,
        month=None if backlog else scope.month,
        store=scope.store,
        provider=scope.provider,
        commitment=chosen,
        reason=reason,
        bucket=bucket,
        party=scope.party,
        bands=risk_bands(session) if measure == "at_risk" else None,
    )
    part = page_of(session, query, page, BEHIND_PER_PAGE)
    return {"items": part.rows, "part": part, "commitment": chosen, "backlog": backlog}


@dataclass
class Sheet:
    """One table of an export: its title, headers and rows of plain values."""

    title: str
    headers: list[str]
    rows: list[list]


def export_table(session: Session, scope: Scope, now: datetime, *, lang: str) -> Sheet:
    """The month's department rows of every store in scope, as the exports write them; when
    a store in scope closed the month, with when it closed and the adjustments beside."""
    rows = _department_rows(session, scope, now, lang)
    columns = display.COLUMNS
    if scope.closes:
        _beside(rows, scope, _scope_adjustments(session, scope), by_store=True)
        columns = columns + display.CLOSED_COLUMNS
        for row in rows:
            row["closed_at"] = _local(scope, row["store"], row["closed_at"])
    return Sheet(
        str(display.SHEET_TITLES["scorecard"]),
        [str(label) for _key, label in columns],
        [[row[key] for key, _label in columns] for row in rows],
    )


def _local(scope: Scope, store: str, instant: datetime | None) -> str:
    """An instant as the exports write it: wall-clock time in the store's zone."""
    if instant is None:
        return ""
    zone = next(s.zone for s in scope.stores if s.code == store)
    return instant.astimezone(zone).strftime("%Y-%m-%d %H:%M")


def risk_sheet(session: Session, scope: Scope, now: datetime) -> Sheet:
    """Amounts at risk as the exports write them: the month's rows, then the whole backlog's."""
    views = risk_views(session, scope, now)
    rows = [
        [view, str(display.band_label(b.bucket)), b.count, float(b.amount)]
        for view, buckets in (
            (scope.month, views["at_risk"]),
            (str(display.BACKLOG), views["backlog_at_risk"]),
        )
        for b in buckets
    ]
    return Sheet(str(display.SHEET_TITLES["at_risk"]), [str(h) for h in display.RISK_HEADERS], rows)


def export_sheets(session: Session, scope: Scope, now: datetime, *, lang: str) -> list[Sheet]:
    """The month's table, its return reasons, the amounts at risk, the adjustments after a
    close and the receivers' turnaround (the Excel export)."""
    reasons = [
        [
            r.store,
            scope.departments[r.provider].name(lang),
            str(display.REASON_LABELS[r.reason]),
            r.count,
        ]
        for r in return_reasons(
            session,
            month=scope.month,
            store=scope.store,
            provider=scope.provider,
            party=scope.party,
        )
    ]
    after = []
    if scope.closes:
        rows = [
            [a.store, scope.departments[a.provider].name(lang), a.commitment, a.deliverable_id,
             a.reference, str(display.ADJUSTMENT_LABELS[a.outcome]),
             _local(scope, a.store, a.decided_at)]
            for a in _scope_adjustments(session, scope)
        ]  # fmt: skip
        headers = [str(h) for h in display.ADJUSTMENT_HEADERS]
        after = [Sheet(str(display.SHEET_TITLES["adjustments"]), headers, rows)]
    turnaround = [
        [t["month"], t["store"], t["department"], t["decided"], t["in_time"], t["in_time_pct"],
         t["median_working_hours"]]
        for t in _turnaround_rows(session, scope, lang)
    ]  # fmt: skip
    return [
        export_table(session, scope, now, lang=lang),
        Sheet(
            str(display.SHEET_TITLES["reasons"]),
            [str(h) for h in display.REASON_HEADERS],
            reasons,
        ),
        risk_sheet(session, scope, now),
        *after,
        Sheet(
            str(display.SHEET_TITLES["turnaround"]),
            [str(h) for h in display.TURNAROUND_HEADERS],
            turnaround,
        ),
    ]


def export_name(scope: Scope, ext: str, what: str = "scorecard") -> str:
    """The file name of an export: what, month and store."""
    where = scope.store.code if scope.store else "all"
    return f"{what}-{scope.month}-{where}.{ext}"


def owner_lines(session: Session, person: Person | None, scope: Scope, now: datetime) -> list:
    """For a head: each owner's share of their department's deliverables due in the scope's
    month in their store (`tracker.ledger.owners.owner_breakdown`); nobody else has one."""
    from tracker.ledger.owners import owner_breakdown

    if person is None or person.role != "head":
        return []
    return owner_breakdown(session, person.store_id, person.department_id, scope.month, now)
