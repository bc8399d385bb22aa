"""Both sides of the promise on the scorecards: the holds of the providing departments (how
many, and the working time spent on hold) and the receiving departments' turnaround (the
median working time a submission waited for its decision, and the share decided by its
decision time). One query each, whatever the number of rows; see docs/scorecards.md."""

import statistics
from collections import defaultdict
from dataclasses import asdict, dataclass

from sqlalchemy import func, select
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


def hours(seconds: int) -> float:
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
    zone), per store (or added up) and receiver. One query for the decisions, the median taken
    from their working times."""
    d, s = Deliverable, Submission
    query = _scope(
        select(
            Store.code,
            Department.code,
            s.decision_working_seconds,
            s.decided_at <= s.decide_by,
        )
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
    waits: dict[tuple[str, str], list[tuple[int, bool]]] = defaultdict(list)
    for store_code, receiver, seconds, in_time in session.execute(query):
        waits[(store_code if by_store else "", receiver)].append((seconds, bool(in_time)))
    rows = []
    for (store_code, receiver), found in sorted(waits.items()):
        in_time = sum(1 for _seconds, ok in found if ok)
        rows.append(
            Turnaround(
                month=month,
                store=store_code,
                receiver=receiver,
                decided=len(found),
                in_time=in_time,
                in_time_pct=round(in_time * 100 / len(found), 1),
                median_working_hours=hours(statistics.median(x for x, _ok in found)),
            )
        )
    return rows
