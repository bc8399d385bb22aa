"""A store's working calendar: the official calendar of its country plus overrides."""

from collections.abc import Iterable
from datetime import date

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from tracker.calendar.models import CalendarOverride, OfficialDay
from tracker.calendar.workdays import WorkingCalendar, year_known
from tracker.org.models import Store


def store_calendar(session: Session, store: Store) -> WorkingCalendar:
    """The working calendar of one store, overrides included."""
    overrides = {
        o.day: o.working
        for o in session.scalars(
            select(CalendarOverride).where(CalendarOverride.store_id == store.id)
        )
    }
    official = official_days(session, [store.country])[store.country.upper()]
    return WorkingCalendar(
        store.country, subdiv=store.subdiv, overrides=overrides, official=official
    )


def official_days(
    session: Session, countries: Iterable[str]
) -> dict[str, dict[date, tuple[bool, str | None]]]:
    """The imported official days of these countries, (working, name) by date (one query)."""
    found: dict[str, dict[date, tuple[bool, str | None]]] = {c.upper(): {} for c in countries}
    if found:
        for o in session.scalars(select(OfficialDay).where(OfficialDay.country.in_(found))):
            found[o.country][o.day] = (o.working, o.name)
    return found


def imported_years(session: Session) -> frozenset[tuple[str, int]]:
    """The (country, year) pairs whose official calendar an administrator imported (one query)."""
    rows = session.execute(select(OfficialDay.country, OfficialDay.year).distinct())
    return frozenset((country, year) for country, year in rows)


class KnownYears:
    """Whether the official calendar of a store's year is known: by the `holidays` package or
    by an import. Built once a request (one query), asked once a row (no query)."""

    def __init__(self, session: Session) -> None:
        self.imported = imported_years(session)

    def __call__(self, store: Store, year: int) -> bool:
        """Whether `store`'s calendar knows `year`."""
        return year_known(store.country, store.subdiv, year, self.imported)

    def unknown(self, store: Store, moments: Iterable) -> list[int]:
        """The years, ascending, of these instants (in the store's zone) that are not known."""
        years = {m.astimezone(store.zone).year for m in moments if m is not None}
        return sorted(y for y in years if not self(store, y))


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
    official = official_days(session, {s.country for s in stores})
    return {
        s.id: WorkingCalendar(
            s.country,
            subdiv=s.subdiv,
            overrides=overrides[s.id],
            official=official[s.country.upper()],
        )
        for s in stores
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
