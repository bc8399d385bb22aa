"""Both sides of the promise on the scorecards: the holds of the providing departments (how
many, and the working time spent on hold) and the receiving departments' turnaround (the
median working time a submission waited for its decision, and the share decided by its
decision time). One query each, whatever the number of rows; see docs/scorecards.md."""

import statistics
from collections import defaultdict
from dataclasses import asdict, dataclass

from sqlalchemy import case, func, literal, select
from sqlalchemy.orm import Session

from tracker.catalog.models import Commitment
from tracker.ledger.models import Deliverable, Hold, Submission
from tracker.org.models import Department, Store
from tracker.scorecards.service import _scope

HOLD_STATUSES_COUNTED = ("active", "ended")  # approved holds; refused and withdrawn are not


def holds(
    session: Session,
    *,
    month: str,
    store: Store | None = None,
    provider: Department | None = None,
    stores: list[Store] | None = None,
    party: Department | None = None,
) -> dict[tuple[str, str, str], tuple[int, int]]:
    """The approved holds of the deliverables due in `month`, per (store, provider, commitment)
    code: how many, and the working seconds of those ended. One query."""
    d = Deliverable
    query = _scope(
        select(
            Store.code,
            Department.code,
            Commitment.code,
            func.count(Hold.id),
            func.coalesce(func.sum(Hold.working_seconds), 0),
        )
        .select_from(Hold)
        .join(d, d.id == Hold.deliverable_id)
        .join(Store, Store.id == d.store_id)
        .join(Department, Department.id == d.provider_id)
        .join(Commitment, Commitment.id == d.commitment_id)
        .where(d.due_month == month, Hold.status.in_(HOLD_STATUSES_COUNTED))
        .group_by(Store.code, Department.code, Commitment.code),
        d,
        store=store,
        provider=provider,
        stores=stores,
        party=party,
    )
    return {(s, p, c): (int(n), int(secs)) for s, p, c, n, secs in session.execute(query)}


def hold_totals(found: dict, *, by_store: bool, commitment: bool) -> dict[tuple, tuple[int, int]]:
    """`holds` added up per (store or "", provider[, commitment])."""
    totals: dict[tuple, list[int]] = defaultdict(lambda: [0, 0])
    for (s, p, c), (n, secs) in found.items():
        key = (s if by_store else "", p) + ((c,) if commitment else ())
        totals[key][0] += n
        totals[key][1] += secs
    return {k: (n, secs) for k, (n, secs) in totals.items()}


def hours(seconds: float) -> float:
    """Working seconds as hours, to two decimals."""
    return round(seconds / 3600, 2)


@dataclass
class Turnaround:
    """A receiving department's decisions in one month: how many, how many by their decision
    time, and the median working hours a submission waited."""

    month: str
    store: str
    receiver: str
    decided: int
    in_time: int
    in_time_pct: float | None
    median_working_hours: float | None

    def as_dict(self) -> dict:
        return asdict(self)


def turnaround(
    session: Session,
    *,
    month: str,
    store: Store | None = None,
    provider: Department | None = None,
    stores: list[Store] | None = None,
    party: Department | None = None,
    by_store: bool = True,
) -> list[Turnaround]:
    """The receiving departments' decisions (accepted or returned) made in `month` (the store's
    zone), per store (or added up) and receiver. One query: grouped, with the median, on
    PostgreSQL (`percentile_cont`); on SQLite each decision's wait, the median taken here."""
    d, s = Deliverable, Submission
    store_code = Store.code if by_store else literal("")
    in_time = case((s.decided_at <= s.decide_by, 1), else_=0)
    postgres = session.get_bind().dialect.name == "postgresql"
    if postgres:  # counted and the median taken in the database, per group
        columns = (
            func.count(),
            func.sum(in_time),
            func.percentile_cont(0.5).within_group(s.decision_working_seconds),
        )
    else:  # SQLite has no percentile: each decision's wait, the median taken here
        columns = (s.decision_working_seconds, in_time)
    query = _scope(
        select(store_code, Department.code, *columns)
        .select_from(s)
        .join(d, d.id == s.deliverable_id)
        .join(Store, Store.id == d.store_id)
        .join(Department, Department.id == d.receiver_id)
        .where(s.decided_month == month, s.decision_working_seconds.is_not(None)),
        d,
        store=store,
        provider=provider,
        stores=stores,
        party=party,
    )
    if postgres:
        found = session.execute(query.group_by(store_code, Department.code)).all()
        groups = {(c, r): (int(n), int(ok), float(mid)) for c, r, n, ok, mid in found}
    else:
        waits: dict[tuple[str, str], list[tuple[int, int]]] = defaultdict(list)
        for code, receiver, seconds, ok in session.execute(query):
            waits[(code, receiver)].append((seconds, ok))
        groups = {
            key: (len(w), sum(ok for _x, ok in w), statistics.median(x for x, _ok in w))
            for key, w in waits.items()
        }
    return [
        Turnaround(
            month=month,
            store=code,
            receiver=receiver,
            decided=n,
            in_time=ok,
            in_time_pct=round(ok * 100 / n, 1),
            median_working_hours=hours(mid),
        )
        for (code, receiver), (n, ok, mid) in sorted(groups.items())
    ]
