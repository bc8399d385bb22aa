"""Scorecards of the providing departments, computed by the database.

Definitions (per provider, store, commitment and month of the due day, in the store's zone):
- due: deliverables due that month (waived ones included; see `waived`);
- on time / late: accepted, with the finally accepted submission made by / after the due time;
- open overdue: still owed (open or returned) and past due at `now`: certainly late;
- on-time rate: on time / (on time + late + open overdue); None when nothing is decided yet;
- first-pass rate: accepted without a single return / accepted;
- mean lateness: the mean, over late accepted items, of due time to the accepted submission.
"""

from dataclasses import asdict, dataclass
from datetime import datetime

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from tracker.catalog.models import Commitment
from tracker.errors import BadInput
from tracker.ledger.models import OPEN_STATUSES, Deliverable
from tracker.org.models import Department, Store

LEVELS = {"commitment", "department"}


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


def _month(month: str) -> str:
    try:
        datetime.strptime(month, "%Y-%m")
    except ValueError:
        raise BadInput(f"{month!r} is not a month; write it as YYYY-MM") from None
    return month


def scorecard(
    session: Session,
    *,
    month: str,
    now: datetime,
    store: Store | None = None,
    level: str = "commitment",
) -> list[ScoreRow]:
    """The scorecard of every providing department for one month, by commitment or department."""
    _month(month)
    if level not in LEVELS:
        raise BadInput(f"level must be one of {', '.join(sorted(LEVELS))}")
    d = Deliverable
    accepted = d.status == "accepted"
    on_time = and_(accepted, d.final_submitted_at <= d.due_at)
    late = and_(accepted, d.final_submitted_at > d.due_at)
    overdue = and_(d.status.in_(OPEN_STATUSES), d.due_at < now)

    def count_if(condition):
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

    keys = [d.store_id, d.provider_id] + ([d.commitment_id] if level == "commitment" else [])
    query = (
        select(
            *keys,
            func.count().label("due"),
            count_if(on_time).label("on_time"),
            count_if(late).label("late"),
            count_if(overdue).label("open_overdue"),
            count_if(d.status == "waived").label("waived"),
            count_if(d.status.in_(OPEN_STATUSES)).label("open"),
            count_if(d.status == "submitted").label("submitted"),
            count_if(accepted).label("accepted"),
            count_if(and_(accepted, d.return_count == 0)).label("first_pass"),
            func.avg(case((late, d.lateness_seconds), else_=None)).label("mean_lateness"),
        )
        .where(d.due_month == month)
        .group_by(*keys)
    )
    if store is not None:
        query = query.where(d.store_id == store.id)
    rows = session.execute(query).all()
    # Names by id, one query each, whatever the number of rows.
    stores = dict(session.execute(select(Store.id, Store.code)).all())
    departments = dict(session.execute(select(Department.id, Department.code)).all())
    commitments = dict(session.execute(select(Commitment.id, Commitment.code)).all())
    result = []
    for row in rows:
        decided = row.on_time + row.late + row.open_overdue
        result.append(
            ScoreRow(
                month=month,
                store=stores[row.store_id],
                provider=departments[row.provider_id],
                commitment=commitments[row.commitment_id] if level == "commitment" else None,
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
                    round(float(row.mean_lateness) / 3600, 2)
                    if row.mean_lateness is not None
                    else None
                ),
            )
        )
    result.sort(key=lambda r: (r.store, r.provider, _code_order(r.commitment)))
    return result


def _code_order(code: str | None) -> tuple:
    if code is None:
        return ("", 0)
    prefix, _, number = code.rpartition("-")
    return (prefix, int(number) if number.isdigit() else 0)
