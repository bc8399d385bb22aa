"""A store's working calendar: the official calendar of its country plus overrides."""

from collections.abc import Iterable
from datetime import date

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from tracker.calendar.models import CalendarOverride
from tracker.calendar.workdays import WorkingCalendar
from tracker.org.models import Store


def store_calendar(session: Session, store: Store) -> WorkingCalendar:
    """The working calendar of one store, overrides included."""
    overrides = {
        o.day: o.working
        for o in session.scalars(
            select(CalendarOverride).where(CalendarOverride.store_id == store.id)
        )
    }
    return WorkingCalendar(store.country, subdiv=store.subdiv, overrides=overrides)


def store_calendars(session: Session, stores: Iterable[Store]) -> dict[int, WorkingCalendar]:
    """The working calendars of these stores, overrides included, by store id (one query for
    the overrides of them all)."""
    stores = list(stores)
    overrides: dict[int, dict[date, bool]] = {s.id: {} for s in stores}
    ids = sorted(overrides)
    for i in range(0, len(ids), 500):
        for o in session.scalars(
            select(CalendarOverride).where(CalendarOverride.store_id.in_(ids[i : i + 500]))
        ):
            overrides[o.store_id][o.day] = o.working
    return {
        s.id: WorkingCalendar(s.country, subdiv=s.subdiv, overrides=overrides[s.id]) for s in stores
    }


def set_override(
    session: Session, store: Store, day: date, working: bool | None, note: str | None = None
) -> None:
    """Declare a day a working day (True) or a holiday (False) for a store; None removes it.

    Deliverables already created keep their due times: only new ones see the change.
    """
    session.execute(
        delete(CalendarOverride).where(
            CalendarOverride.store_id == store.id, CalendarOverride.day == day
        )
    )
    if working is not None:
        session.add(CalendarOverride(store_id=store.id, day=day, working=working, note=note))
    session.flush()
