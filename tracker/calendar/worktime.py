"""Working time of a store: the seconds within its working hours (`Store.work_start` ..
`work_end`, local) on its working days. Holds are measured in it and move due times by it;
the receiving side's turnaround is counted in it. Pure functions of their arguments."""

from datetime import UTC, date, datetime, timedelta

from tracker.calendar.deadlines import local_deadline
from tracker.calendar.workdays import WorkingCalendar

_MAX_DAYS = 3660


def _window(store, day: date) -> tuple[datetime, datetime]:
    """The working hours of local `day`, as UTC instants."""
    zone = store.zone
    start = datetime.combine(day, store.work_start, zone).astimezone(UTC)
    end = datetime.combine(day, store.work_end, zone).astimezone(UTC)
    return start, end


def day_seconds(store) -> int:
    """The length of one working day, in seconds."""
    start = datetime.combine(date(2000, 1, 1), store.work_start)
    end = datetime.combine(date(2000, 1, 1), store.work_end)
    return int((end - start).total_seconds())


def working_seconds(start: datetime, end: datetime, store, calendar: WorkingCalendar) -> int:
    """The working seconds between two instants (0 when `end` is not after `start`)."""
    if end <= start:
        return 0
    day = start.astimezone(store.zone).date()
    last = end.astimezone(store.zone).date()
    total = 0.0
    while day <= last:
        if calendar.is_working_day(day):
            opens, closes = _window(store, day)
            overlap = (min(end, closes) - max(start, opens)).total_seconds()
            total += max(0.0, overlap)
        day += timedelta(days=1)
    return int(total)


def add_working_seconds(
    instant: datetime, seconds: int, store, calendar: WorkingCalendar
) -> datetime:
    """The instant `seconds` of working time after `instant` (after hours counts from the next
    working morning)."""
    left = seconds
    day = instant.astimezone(store.zone).date()
    at = instant
    for _ in range(_MAX_DAYS):
        if calendar.is_working_day(day):
            opens, closes = _window(store, day)
            begin = max(at, opens)
            if begin < closes:
                room = (closes - begin).total_seconds()
                if left <= room:
                    return (begin + timedelta(seconds=left)).astimezone(UTC)
                left -= room
        day += timedelta(days=1)
    raise ValueError(f"no working time {seconds} s after {instant}")


def moved_by_working_time(
    due_at: datetime, seconds: int, store, calendar: WorkingCalendar
) -> datetime:
    """A due time moved later by `seconds` of working time: each whole working day moves it to
    the same wall-clock time that many working days later (a deadline at the end of a day stays
    at the end of a day), and the rest is added within working hours from there."""
    if seconds <= 0:
        return due_at
    whole, rest = divmod(seconds, day_seconds(store))
    moved = due_at
    if whole:
        local = due_at.astimezone(store.zone)
        day = calendar.nth_working_day_after(local.date(), whole)
        moved = datetime.combine(day, local.time().replace(tzinfo=None), store.zone)
        moved = moved.astimezone(UTC)
    if rest:
        moved = add_working_seconds(moved, rest, store, calendar)
    return moved


def end_of_working_day_after(
    instant: datetime, n: int, store, calendar: WorkingCalendar
) -> datetime:
    """The end (23:59:59 local) of the n-th working day after the local day of `instant`."""
    day = calendar.nth_working_day_after(instant.astimezone(store.zone).date(), n)
    return local_deadline(day, None, store.zone)
