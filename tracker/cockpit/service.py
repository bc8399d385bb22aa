"""The "now" cockpit: what is overdue right now (from every month) by providing department and
age band, what is due today and this week, and what was handed in and waits for a decision,
with how long it has waited. Each number is counted with the very condition of the list behind
it (`tracker.inbox.service.selected`), so following a number's link lists exactly that many
deliverables. One GROUP BY query per side, however many rows or stores."""

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from tracker.closing import service as closing
from tracker.cockpit import permissions
from tracker.errors import N_, NotAllowed, NotFound
from tracker.inbox.service import Filters, Where, selected
from tracker.ledger.models import Deliverable, is_live
from tracker.org.models import Department, Person, Store
from tracker.scorecards.service import risk_bands

Band = tuple[str, int, int | None]


def bands(session: Session) -> list[Band]:
    """The age bands the administrator set (`/admin/risk-bands`, the scorecards' amounts at
    risk use the same) as (label, at least, at most) whole days; None: no upper bound."""
    return [
        (label, least, None if below is None else below - 1)
        for label, least, below in risk_bands(session)
    ]


@dataclass(frozen=True)
class Cell:
    """One number of the cockpit and the filters of the list behind it."""

    count: int
    filters: dict


@dataclass
class Line:
    """One providing department's numbers on a side (provider None: the side's total)."""

    provider: Department | None
    overdue: list[Cell]
    overdue_total: Cell
    due_today: Cell
    due_week: Cell
    waiting: list[Cell]
    waiting_total: Cell


@dataclass
class Side:
    """What the cockpit shows of one scope: everything (leads), owed to the person's department
    ("received") or owed by it ("provided")."""

    key: str
    lines: list[Line]
    total: Line


@dataclass
class Cockpit:
    """The whole page: the store picked (None: every store), the stores one may pick, each side's
    numbers and the months not yet closed."""

    person: Person
    store: Store | None
    stores: list[Store]
    sides: list[Side]
    open_months: list = field(default_factory=list)
    bands: list[Band] = field(default_factory=list)


# Each number: its name, and the filters of its list (provider added per line).
def _measures(bands: list[Band]) -> list[tuple[str, dict]]:
    measures = []
    for label, least, most in bands:
        measures.append((f"overdue {label}", {"status": "owed", "age_min": least, "age_max": most}))
    measures.append(("overdue", {"status": "owed", "age_min": 0}))
    measures.append(("today", {"status": "owed", "due": "today"}))
    measures.append(("week", {"status": "owed", "due": "week"}))
    for label, least, most in bands:
        measures.append(
            (f"waiting {label}", {"status": "submitted", "age_min": least, "age_max": most})
        )
    measures.append(("waiting", {"status": "submitted", "age_min": 0}))
    return measures


def _filters(args: dict) -> Filters:
    return Filters(**{k: v for k, v in args.items() if v is not None})


def where_of(person: Person, side: str, store: Store | None, stores: list[Store]) -> Where:
    """The deliverables a side covers (`permissions.sides` says which sides a person has)."""
    if side == "all":
        return Where([store] if store else stores, every_store=store is None)
    if side == "received":
        return Where([person.store], receiver_id=person.department_id)
    if side == "provided":
        return Where([person.store], provider_id=person.department_id)
    raise NotFound(N_("no such part of the cockpit: %(side)r"), side=side)


def side_figures(
    session: Session,
    key: str,
    where: Where,
    now: datetime,
    departments: dict[int, Department],
    bands: list[Band],
) -> Side:
    """A side's numbers per providing department and in all, by the age bands given: one
    GROUP BY query."""
    d = Deliverable
    measures = _measures(bands)
    columns = [
        func.coalesce(func.sum(case((selected(where, _filters(args), now), 1), else_=0)), 0)
        for _name, args in measures
    ]
    rows = session.execute(
        select(d.provider_id, *columns)
        .where(is_live(), selected(where, Filters(), now))
        .group_by(d.provider_id)
    ).all()
    lines = []
    for row in sorted(rows, key=lambda r: departments[r[0]].code):
        provider = departments[row[0]]
        lines.append(_line(provider, [int(n) for n in row[1:]], measures, len(bands)))
    totals = [sum(line_counts) for line_counts in zip(*(r[1:] for r in rows), strict=True)]
    return Side(key, lines, _line(None, totals or [0] * len(measures), measures, len(bands)))


def _line(provider: Department | None, counts: list[int], measures, bands: int) -> Line:
    extra = {"provider": provider.code} if provider else {}
    cells = [Cell(n, {**args, **extra}) for n, (_name, args) in zip(counts, measures, strict=True)]
    return Line(
        provider=provider,
        overdue=cells[:bands],
        overdue_total=cells[bands],
        due_today=cells[bands + 1],
        due_week=cells[bands + 2],
        waiting=cells[bands + 3 : 2 * bands + 3],
        waiting_total=cells[2 * bands + 3],
    )


@dataclass(frozen=True)
class OpenMonth:
    """A past month some of the stores in view have not closed yet."""

    month: str
    stores: list[str]  # their codes


def open_months(session: Session, stores: list[Store], now: datetime) -> list[OpenMonth]:
    """The past months not closed yet in these stores, oldest first (tracker.closing)."""
    codes = {s.id: s.code for s in stores}
    by_month: dict[str, list[str]] = {}
    for store_id, month in closing.open_months(session, list(codes), now):
        by_month.setdefault(month, []).append(codes[store_id])
    return [OpenMonth(month, sorted(by_month[month])) for month in sorted(by_month)]


def cockpit(session: Session, person: Person, *, store_code: str | None, now: datetime) -> Cockpit:
    """Everything the cockpit shows this person: a few queries, then one per side."""
    permissions.require_cockpit(session, person)
    stores = list(session.scalars(select(Store).order_by(Store.code)))
    store = permissions.chosen_stores(person, store_code, stores)
    departments = {dep.id: dep for dep in session.scalars(select(Department))}
    ages = bands(session)
    sides = [
        side_figures(session, key, where_of(person, key, store, stores), now, departments, ages)
        for key in permissions.sides(session, person)
    ]
    in_view = stores if store is None and person.sees_all_stores else [store or person.store]
    visible = stores if person.sees_all_stores else [person.store]
    return Cockpit(person, store, visible, sides, open_months(session, in_view, now), ages)


def list_scope(
    session: Session, person: Person, *, store_code: str | None, side: str | None
) -> tuple[Where, Store | None]:
    """The scope of the list behind a number: the side asked for, if this person has it."""
    permissions.require_cockpit(session, person)
    if side not in permissions.sides(session, person):
        raise NotAllowed(N_("this part of the cockpit is not yours to see: %(side)r"), side=side)
    stores = list(session.scalars(select(Store).order_by(Store.code)))
    store = permissions.chosen_stores(person, store_code, stores)
    return where_of(person, side, store, stores), store
