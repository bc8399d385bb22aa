"""The reminder policy and working time: pure functions of a deliverable, a store and `now`.

A deliverable's reminders progress through stages; at any instant it is in at most one:

* ``before``: from the start of working hours on the working day `before_working_days` before
  its due day, until it is due;
* ``due``: once it is past its due time, until its first overdue working morning;
* ``overdue`` step k: from the start of working hours of the k-th working day after the day the
  "due" notice goes out (the first working moment at or after the due time);
* and, beside these, ``escalation`` once k reaches `escalate_after_working_days`.

Each pass writes the current stage's reminder once (its key never repeats), so a pass that was
missed sends only the latest stage rather than a pile of stale ones.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from tracker.calendar.workdays import WorkingCalendar
from tracker.org.models import Store

# The reminder policy's defaults: what every new commitment starts with (the catalogue copies
# them into each version) and what fills in a setting a version leaves out.
DEFAULTS = {
    "before_working_days": 1,
    "on_due": True,
    "overdue_every_working_day": True,
    "escalate_after_working_days": 3,
}
_SEARCH_DAYS = 400


def policy_of(version) -> dict:
    """The version's reminder policy with the defaults filled in for anything it leaves out."""
    merged = dict(DEFAULTS)
    merged.update({k: v for k, v in (version.reminder_policy or {}).items() if k in DEFAULTS})
    return merged


@dataclass(frozen=True)
class WorkingTime:
    """A store's working hours on its working days."""

    store: Store
    calendar: WorkingCalendar

    def local(self, instant: datetime) -> datetime:
        return instant.astimezone(self.store.zone)

    def morning(self, day: date) -> datetime:
        """The start of working hours on `day`, as a UTC instant."""
        return datetime.combine(day, self.store.work_start, self.store.zone).astimezone(UTC)

    def is_open(self, instant: datetime) -> bool:
        """Whether `instant` falls in working hours of a working day."""
        local = self.local(instant)
        return (
            self.calendar.is_working_day(local.date())
            and self.store.work_start <= local.time().replace(tzinfo=None) < self.store.work_end
        )

    def next_open(self, instant: datetime) -> datetime:
        """The first instant at or after `instant` within working hours of a working day."""
        if self.is_open(instant):
            return instant
        local = self.local(instant)
        day = local.date()
        if self.calendar.is_working_day(day) and local.time().replace(tzinfo=None) < (
            self.store.work_start
        ):
            return self.morning(day)
        return self.morning(self.calendar.nth_working_day_after(day, 1))

    def working_day_before(self, day: date, n: int) -> date:
        """The n-th working day strictly before `day`."""
        found = 0
        for _ in range(_SEARCH_DAYS):
            day -= timedelta(days=1)
            if self.calendar.is_working_day(day):
                found += 1
                if found == n:
                    return day
        raise ValueError(f"no {n} working days before {day}")


@dataclass(frozen=True)
class Stage:
    """A reminder the policy wants written: its kind, step and the instant it became due."""

    kind: str
    step: int
    eligible_at: datetime


def before_at(due_at: datetime, policy: dict, wt: WorkingTime) -> datetime | None:
    """When the "before" reminder becomes due, or None when the policy has none."""
    n = int(policy.get("before_working_days") or 0)
    if n < 1:
        return None
    due_day = wt.local(due_at).date()
    at = wt.morning(wt.working_day_before(due_day, n))
    return at if at < due_at else None


def overdue_at(due_at: datetime, k: int, wt: WorkingTime) -> datetime:
    """When the k-th working day overdue begins (k >= 1)."""
    notice_day = wt.local(wt.next_open(due_at)).date()
    return wt.morning(wt.calendar.nth_working_day_after(notice_day, k))


def overdue_days(due_at: datetime, now: datetime, wt: WorkingTime) -> int:
    """How many working days overdue the deliverable is at `now` (0 on the due notice's day)."""
    if now <= due_at:
        return 0
    day = wt.local(wt.next_open(due_at)).date()
    today = wt.local(now).date()
    k = 0
    while day < today:
        day += timedelta(days=1)
        if wt.calendar.is_working_day(day) and wt.morning(day) <= now:
            k += 1
    return k


def stages(due_at: datetime, policy: dict, wt: WorkingTime, now: datetime) -> list[Stage]:
    """The reminders the policy wants written at `now` for an open deliverable due `due_at`,
    as (kind, step, eligible_at): the current stage, and the escalation once reached."""
    if now <= due_at:
        at = before_at(due_at, policy, wt)
        if at is not None and at <= now:
            return [Stage("before", int(policy["before_working_days"]), at)]
        return []
    result = []
    k = overdue_days(due_at, now, wt)
    if k >= 1 and policy.get("overdue_every_working_day"):
        result.append(Stage("overdue", k, overdue_at(due_at, k, wt)))
    elif policy.get("on_due"):
        result.append(Stage("due", 0, due_at))
    n = int(policy.get("escalate_after_working_days") or 0)
    if n >= 1 and k >= n:
        result.append(Stage("escalation", n, overdue_at(due_at, n, wt)))
    return result
