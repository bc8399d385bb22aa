"""Scorecards of the providing departments, computed by the database.

Definitions (per provider, store, commitment and month of the due day, in the store's zone):
- due: deliverables due that month (waived ones included; see `waived`);
- on time / late: accepted, with the finally accepted submission made by / after the due time;
- open overdue: still owed (open or returned) and past due at `now`: certainly late;
- on-time rate: on time / (on time + late + open overdue); None when nothing is decided yet;
- first-pass rate: accepted without a single return / accepted;
- mean lateness: the mean, over late accepted items, of due time to the accepted submission;
- returned (by reason): deliverables sent back at least once for that reason;
- at risk: open overdue items by days overdue at `now` (0-2, 3-7, 8+) and the sum of their
  amounts.

Every number is one of the `measure` conditions below, so the deliverables listed behind a
number (`deliverables_behind`) are exactly the ones it counts.
"""

from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import and_, case, exists, func, or_, select, true
from sqlalchemy.orm import Session

from tracker.catalog.models import Commitment
from tracker.errors import N_, BadInput
from tracker.ledger.models import OPEN_STATUSES, RETURN_REASONS, Deliverable, Submission
from tracker.org.models import Department, Store

LEVELS = {"commitment", "department"}
TREND_MONTHS = 6
# Days overdue: (label, at least, less than); None = no upper bound.
AT_RISK_BUCKETS = (("0-2", 0, 3), ("3-7", 3, 8), ("8+", 8, None))
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
    """Open overdue items of one age: how many, and the sum of their amounts."""

    bucket: str
    count: int
    amount: Decimal


def _month(month: str) -> str:
    try:
        datetime.strptime(month, "%Y-%m")
    except ValueError:
        raise BadInput(N_("%(month)r is not a month; write it as YYYY-MM"), month=month) from None
    return month


def previous_months(month: str, count: int = TREND_MONTHS) -> list[str]:
    """`count` months ending with `month`, oldest first."""
    year, mon = (int(x) for x in _month(month).split("-"))
    index = year * 12 + mon - 1
    return [f"{i // 12:04d}-{i % 12 + 1:02d}" for i in range(index - count + 1, index + 1)]


def _measure(name: str, now: datetime, *, reason: str | None = None, bucket: str | None = None):
    """The condition on a deliverable that one number of the scorecard counts."""
    d = Deliverable
    accepted = d.status == "accepted"
    on_time = and_(accepted, d.final_submitted_at <= d.due_at)
    late = and_(accepted, d.final_submitted_at > d.due_at)
    overdue = and_(d.status.in_(OPEN_STATUSES), d.due_at < now)
    if name == "due":
        return true()
    if name == "on_time":
        return on_time
    if name == "late":
        return late
    if name == "open_overdue":
        return overdue
    if name == "waived":
        return d.status == "waived"
    if name == "decided":
        return or_(on_time, late, overdue)
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
        return exists().where(Submission.deliverable_id == d.id, Submission.return_reason == reason)
    if name == "at_risk":
        for label, least, below in AT_RISK_BUCKETS:
            if label == bucket:
                # "d days overdue" counts whole days: due at least `least` days ago and
                # less than `below` days ago.
                condition = and_(overdue, d.due_at <= now - timedelta(days=least))
                if below is not None:
                    condition = and_(condition, d.due_at > now - timedelta(days=below))
                return condition
        raise BadInput(N_("unknown age bucket %(bucket)r"), bucket=bucket)
    raise BadInput(
        N_("unknown measure %(name)r; one of %(measures)s"), name=name, measures=", ".join(MEASURES)
    )


def _count_if(condition):
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def _scope(query, *, store: Store | None, provider: Department | None):
    if store is not None:
        query = query.where(Deliverable.store_id == store.id)
    if provider is not None:
        query = query.where(Deliverable.provider_id == provider.id)
    return query


def _aggregate(keys: list, where, now: datetime):
    d = Deliverable
    late = _measure("late", now)
    query = (
        select(
            *keys,
            func.count().label("due"),
            *(
                _count_if(_measure(name, now)).label(name)
                for name in (
                    "on_time",
                    "late",
                    "open_overdue",
                    "waived",
                    "open",
                    "submitted",
                    "accepted",
                    "first_pass",
                )
            ),
            func.avg(case((late, d.lateness_seconds), else_=None)).label("mean_lateness"),
        )
        .where(where)
        .group_by(*keys)
    )
    return query


def _names(session: Session) -> tuple[dict, dict, dict]:
    # Names by id, one query each, whatever the number of rows.
    stores = dict(session.execute(select(Store.id, Store.code)).all())
    departments = dict(session.execute(select(Department.id, Department.code)).all())
    commitments = dict(session.execute(select(Commitment.id, Commitment.code)).all())
    return stores, departments, commitments


def _row(month: str, store: str, provider: str, commitment: str | None, row) -> ScoreRow:
    decided = row.on_time + row.late + row.open_overdue
    return ScoreRow(
        month=month,
        store=store,
        provider=provider,
        commitment=commitment,
        due=row.due,
        on_time=row.on_time,
        late=row.late,
        open_overdue=row.open_overdue,
        waived=row.waived,
        open=row.open,
        submitted=row.submitted,
        accepted=row.accepted,
        first_pass=row.first_pass,
        on_time_rate=round(row.on_time / decided, 4) if decided else None,
        first_pass_rate=round(row.first_pass / row.accepted, 4) if row.accepted else None,
        mean_lateness_hours=(
            round(float(row.mean_lateness) / 3600, 2) if row.mean_lateness is not None else None
        ),
    )


def scorecard(
    session: Session,
    *,
    month: str,
    now: datetime,
    store: Store | None = None,
    level: str = "commitment",
    provider: Department | None = None,
) -> list[ScoreRow]:
    """The scorecard of every providing department for one month, by commitment or department."""
    _month(month)
    if level not in LEVELS:
        raise BadInput(N_("level must be one of %(levels)s"), levels=", ".join(sorted(LEVELS)))
    d = Deliverable
    keys = [d.store_id, d.provider_id] + ([d.commitment_id] if level == "commitment" else [])
    query = _scope(_aggregate(keys, d.due_month == month, now), store=store, provider=provider)
    rows = session.execute(query).all()
    stores, departments, commitments = _names(session)
    result = [
        _row(
            month,
            stores[row.store_id],
            departments[row.provider_id],
            commitments[row.commitment_id] if level == "commitment" else None,
            row,
        )
        for row in rows
    ]
    result.sort(key=lambda r: (r.store, r.provider, _code_order(r.commitment)))
    return result


def trend(
    session: Session,
    *,
    month: str,
    now: datetime,
    store: Store | None = None,
    provider: Department | None = None,
    months: int = TREND_MONTHS,
) -> list[ScoreRow]:
    """Each department's scorecard for the `months` months ending with `month`, across the
    chosen store (or all stores: then `store` of each row is empty). One query."""
    wanted = previous_months(month, months)
    d = Deliverable
    query = _scope(
        _aggregate([d.due_month, d.provider_id], d.due_month.in_(wanted), now),
        store=store,
        provider=provider,
    )
    rows = session.execute(query).all()
    departments = dict(session.execute(select(Department.id, Department.code)).all())
    result = [
        _row(row.due_month, store.code if store else "", departments[row.provider_id], None, row)
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
) -> list[ReasonCount]:
    """Deliverables due in `month` returned at least once, counted by reason, per store and
    provider. One query."""
    _month(month)
    d, s = Deliverable, Submission
    query = _scope(
        select(d.store_id, d.provider_id, s.return_reason, func.count(func.distinct(d.id)))
        .join(s, s.deliverable_id == d.id)
        .where(d.due_month == month, s.return_reason.is_not(None))
        .group_by(d.store_id, d.provider_id, s.return_reason),
        store=store,
        provider=provider,
    )
    rows = session.execute(query).all()
    stores = dict(session.execute(select(Store.id, Store.code)).all())
    departments = dict(session.execute(select(Department.id, Department.code)).all())
    result = [
        ReasonCount(stores[store_id], departments[provider_id], reason, count)
        for store_id, provider_id, reason, count in rows
    ]
    order = {r: i for i, r in enumerate(RETURN_REASONS)}
    result.sort(key=lambda r: (r.store, r.provider, order.get(r.reason, 99), r.reason))
    return result


def amounts_at_risk(
    session: Session,
    *,
    month: str,
    now: datetime,
    store: Store | None = None,
    provider: Department | None = None,
) -> list[RiskBucket]:
    """Open overdue deliverables due in `month`, by days overdue at `now`: count and amount.
    One query."""
    _month(month)
    d = Deliverable
    columns = []
    for label, _least, _below in AT_RISK_BUCKETS:
        condition = _measure("at_risk", now, bucket=label)
        columns.append(_count_if(condition))
        columns.append(func.coalesce(func.sum(case((condition, d.amount), else_=None)), 0))
    query = _scope(select(*columns).where(d.due_month == month), store=store, provider=provider)
    values = session.execute(query).one()
    return [
        RiskBucket(
            label, int(values[2 * i]), Decimal(str(values[2 * i + 1])).quantize(Decimal("0.01"))
        )
        for i, (label, _least, _below) in enumerate(AT_RISK_BUCKETS)
    ]


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
    limit: int = 1000,
) -> list[Deliverable]:
    """The deliverables one number of a scorecard counts, by due time."""
    if measure not in MEASURES:
        raise BadInput(
            N_("unknown measure %(name)r; one of %(measures)s"),
            name=measure,
            measures=", ".join(MEASURES),
        )
    d = Deliverable
    query = select(d).where(_measure(measure, now, reason=reason, bucket=bucket))
    query = query.where(d.due_month == _month(month)) if month else query
    query = _scope(query, store=store, provider=provider)
    if commitment is not None:
        query = query.where(d.commitment_id == commitment.id)
    query = query.order_by(d.due_at, d.id).limit(limit)
    return list(session.scalars(query).unique())


def _code_order(code: str | None) -> tuple:
    if code is None:
        return ("", 0)
    prefix, _, number = code.rpartition("-")
    return (prefix, int(number) if number.isdigit() else 0)
