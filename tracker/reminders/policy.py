"""The reminder policy and working time: pure functions of a deliverable, a store and `now`.

A deliverable's reminders progress through stages; at any instant it is in at most one:

* ``before``: from the start of working hours on the working day `before_working_days` before
  its due day, until it is due;
* ``due``: once it is past its due time, until its first overdue working morning;
* ``overdue`` step k: from the start of working hours of the k-th working day after the day the
  "due" notice goes out (the first working moment at or after the due time);
* and, beside these, one ``escalation`` per rung of the escalation ladder once k reaches the
  rung's number of working days (its step): the department's clerks, its heads, the store's
  leads. The first rung is always the owner (the whole department when nobody owns it), who
  gets the stages above; a version without a ladder has the one rung of old, the heads after
  `escalate_after_working_days`.

Each pass writes the current stage's reminder once (its key never repeats), so a pass that was
missed sends only the latest stage rather than a pile of stale ones.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from tracker.calendar.workdays import WorkingCalendar
from tracker.errors import N_, BadInput
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
# Who a rung of the ladder tells, after the owner: the providing department's clerks, its
# heads, the store's leads (the general manager, the finance lead).
LADDER_TARGETS = ("clerks", "heads", "leads")
MAX_RUNGS = 5


def ladder_of(policy: dict) -> list[dict]:
    """The escalation ladder after the owner, as [{"to": target, "after": working days}], by
    days: the policy's own `ladder` when it has one, else the heads after
    `escalate_after_working_days` (none when 0)."""
    ladder = policy.get("ladder")
    if ladder is None:
        n = int(policy.get("escalate_after_working_days") or 0)
        return [{"to": "heads", "after": n}] if n >= 1 else []
    rungs = [
        {"to": r["to"], "after": int(r["after"])}
        for r in ladder
        if isinstance(r, dict) and r.get("to") in LADDER_TARGETS and int(r.get("after", 0)) >= 1
    ]
    return sorted(rungs, key=lambda r: r["after"])


def check_ladder(ladder: list[dict]) -> None:
    """BadInput unless the rungs are known, each after at least one working day, at most
    MAX_RUNGS, each later than the one before."""
    if len(ladder) > MAX_RUNGS:
        raise BadInput(N_("a ladder has at most %(n)d steps after the owner"), n=MAX_RUNGS)
    days = [r["after"] for r in ladder]
    if any(r["to"] not in LADDER_TARGETS for r in ladder) or any(d < 1 or d > 60 for d in days):
        raise BadInput(N_("each step tells the clerks, the head or the lead, after 1 to 60 days"))
    if days != sorted(set(days)) or len({r["to"] for r in ladder}) != len(ladder):
        raise BadInput(N_("each step comes later than the one before and tells someone new"))


# The words a ladder is written with (the admin's form): "clerks 1, head 3, lead 5".
LADDER_WORDS = {
    "clerks": "clerks",
    "clerk": "clerks",
    "专员": "clerks",
    "heads": "heads",
    "head": "heads",
    "负责人": "heads",
    "leads": "leads",
    "lead": "leads",
    "manager": "leads",
    "gm": "leads",
    "总经理": "leads",
    "主管": "leads",
}
LADDER_TEXT = {"clerks": "clerks", "heads": "head", "leads": "lead"}


def parse_ladder(text: str) -> list[dict]:
    """A ladder written as "clerks 1, head 3, lead 5" (who, then working days overdue), checked;
    empty text: nobody beyond the owner."""
    rungs = []
    for part in (text or "").replace("，", ",").split(","):
        words = part.split()
        if not words:
            continue
        if len(words) != 2 or words[0].lower() not in LADDER_WORDS or not words[1].isdigit():
            raise BadInput(N_("write each step as who and after how many days: head 3"))
        rungs.append({"to": LADDER_WORDS[words[0].lower()], "after": int(words[1])})
    check_ladder(rungs)
    return rungs


def format_ladder(ladder: list[dict]) -> str:
    """A ladder as the admin's form writes it."""
    return ", ".join(f"{LADDER_TEXT[r['to']]} {r['after']}" for r in ladder)


def policy_of(version) -> dict:
    """The version's reminder policy with the defaults filled in for anything it leaves out;
    `ladder` is always there, normalised (see `ladder_of`)."""
    merged = dict(DEFAULTS)
    own = version.reminder_policy or {}
    merged.update({k: v for k, v in own.items() if k in DEFAULTS})
    merged["ladder"] = ladder_of({**merged, "ladder": own.get("ladder")})
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
    to: str = "owner"  # who: the owner (the department without one), or a ladder target


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
    for rung in ladder_of(policy):
        n = rung["after"]
        if k >= n:
            result.append(Stage("escalation", n, overdue_at(due_at, n, wt), rung["to"]))
    return result


def ladder_dates(due_at: datetime, policy: dict, wt: WorkingTime) -> list[tuple[str, datetime]]:
    """When each rung of the ladder is told about a deliverable due `due_at` that stays owed:
    (target, instant)."""
    return [(r["to"], overdue_at(due_at, r["after"], wt)) for r in ladder_of(policy)]


def next_rung(due_at: datetime, policy: dict, wt: WorkingTime, now: datetime):
    """The next rung to be told after `now` (target, instant), or None at the top."""
    return next(((to, at) for to, at in ladder_dates(due_at, policy, wt) if at > now), None)
