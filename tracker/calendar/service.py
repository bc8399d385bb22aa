"""A store's working calendar: the official calendar of its country plus overrides."""

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
