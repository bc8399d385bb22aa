"""Deadline arithmetic: rules in, UTC due times out. Pure: no clock, no database."""

from __future__ import annotations

import calendar
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from tracker.calendar.workdays import WorkingCalendar

# "End of day D" is the end of that local day. Submission times are stored truncated to whole
# seconds, so a submission at or before 23:59:59 is on time.
END_OF_DAY = time(23, 59, 59)

KINDS = ("recurring", "event", "request")
FREQUENCIES = ("monthly", "weekly", "daily")
DAY_TYPES = ("calendar", "working")
NON_WORKING_POLICIES = ("keep", "next", "previous", "skip")
# A month has at most 23 working days (31 days, at least 8 of them a weekend) unless swapped
# working weekend days add some; month-end rules count at most this far.
MAX_WORKING_DAY = 23

_ONE_DAY = timedelta(days=1)

_WEEKDAYS_EN = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_WEEKDAYS_ZH = ("一", "二", "三", "四", "五", "六", "日")
_POLICY_EN = {
    "keep": "",
    "next": ", next working day if not one",
    "previous": ", previous working day if not one",
    "skip": ", none on non-working days",
}
_POLICY_ZH = {
    "keep": "",
    "next": "（遇非工作日顺延）",
    "previous": "（遇非工作日提前）",
    "skip": "（非工作日不安排）",
}


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _working_day_en(n: int) -> str:
    if n > 0:
        return f"{_ordinal(n)} working day"
    if n == -1:
        return "last working day"
    before = -n - 1
    days = "working day" if before == 1 else "working days"
    return f"{_ordinal(-n)}-last working day ({before} {days} before the last)"


def _working_day_zh(n: int) -> str:
    if n > 0:
        return f"第{n}个工作日"
    if n == -1:
        return "最后一个工作日"
    return f"倒数第{-n}个工作日（最后一个工作日前{-n - 1}个工作日）"


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


@dataclass(frozen=True)
class Rule:
    """How a commitment's deadline is set."""

    kind: str  # "recurring" | "event" | "request"
    frequency: str | None = None  # recurring: "monthly" | "weekly" | "daily"
    # monthly on calendar days: 1..31 (clamped to the month); weekly: 0=Mon..6=Sun;
    # monthly on working days (month-end rules): N = 1..23, the Nth working day of the month;
    # -1 the last working day; -N = -2..-23, the Nth-last, i.e. N-1 working days before the
    # last one (-3: "2 working days before month end"). Clamped to the month's working days.
    day: int | None = None
    offset_days: int = 0  # event/request: 0 = the event's own day, N = the Nth day after
    # "calendar" | "working": how offset_days are counted (event/request), or how a monthly
    # rule's day is counted (recurring)
    day_type: str = "calendar"
    at_time: time | None = None  # local wall-clock time; None = end of day
    non_working: str = "keep"  # "keep" | "next" | "previous" | "skip" (recurring only)

    def validate(self) -> None:
        """Raise ValueError naming the first thing wrong with this rule."""
        if self.kind not in KINDS:
            raise ValueError(f"Unknown rule kind {self.kind!r}: use one of {', '.join(KINDS)}")
        if self.non_working not in NON_WORKING_POLICIES:
            raise ValueError(
                f"Unknown non-working-day policy {self.non_working!r}: "
                f"use one of {', '.join(NON_WORKING_POLICIES)}"
            )
        if self.day_type not in DAY_TYPES:
            raise ValueError(f"Unknown day type {self.day_type!r}: use 'calendar' or 'working'")
        if self.at_time is not None:
            if not isinstance(self.at_time, time):
                raise ValueError(f"at_time must be a time of day, got {self.at_time!r}")
            if self.at_time.tzinfo is not None:
                raise ValueError("at_time is a local wall-clock time and must not carry a zone")
        if self.kind == "recurring":
            self._validate_recurring()
        else:
            self._validate_counted()

    def _validate_recurring(self) -> None:
        if self.frequency not in FREQUENCIES:
            raise ValueError(
                f"A recurring rule needs a frequency ({', '.join(FREQUENCIES)}), "
                f"got {self.frequency!r}"
            )
        if self.on_working_days:
            if not (_is_int(self.day) and 1 <= abs(self.day) <= MAX_WORKING_DAY):
                raise ValueError(
                    f"A monthly rule on working days needs 1..{MAX_WORKING_DAY} (the Nth "
                    f"working day) or -1..-{MAX_WORKING_DAY} (-1 the last, -N the Nth-last), "
                    f"got {self.day!r}"
                )
        elif self.frequency == "monthly" and not (_is_int(self.day) and 1 <= self.day <= 31):
            raise ValueError(f"A monthly rule needs a day of the month 1..31, got {self.day!r}")
        if self.frequency == "weekly" and not (_is_int(self.day) and 0 <= self.day <= 6):
            raise ValueError(
                f"A weekly rule needs a weekday 0 (Monday)..6 (Sunday), got {self.day!r}"
            )
        if self.frequency == "daily" and self.day is not None:
            raise ValueError(f"A daily rule takes no day, got {self.day!r}")
        if self.offset_days != 0:
            raise ValueError("offset_days apply to event and request rules only")
        if self.day_type != "calendar" and self.frequency != "monthly":
            raise ValueError("Working days apply to monthly recurring rules only")

    @property
    def on_working_days(self) -> bool:
        """A month-end rule: monthly, its day counted in the month's working days."""
        return (
            self.kind == "recurring"
            and self.frequency == "monthly"
            and (self.day_type == "working")
        )

    def _validate_counted(self) -> None:
        if self.frequency is not None or self.day is not None:
            raise ValueError(f"A {self.kind} rule takes no frequency or day")
        if not _is_int(self.offset_days) or self.offset_days < 0:
            raise ValueError(f"offset_days must be a whole number >= 0, got {self.offset_days!r}")
        if self.non_working == "skip":
            raise ValueError("'skip' applies to recurring rules only: a deadline cannot be skipped")

    def describe(self, lang: str = "en") -> str:
        """Short human text for the rule, in English or (lang "zh...") Simplified Chinese."""
        zh = lang.lower().startswith("zh")
        if self.kind == "recurring":
            return self._describe_recurring_zh() if zh else self._describe_recurring_en()
        return self._describe_counted_zh() if zh else self._describe_counted_en()

    def _describe_recurring_en(self) -> str:
        when = f"by {self.at_time:%H:%M}" if self.at_time is not None else "end of day"
        if self.on_working_days:
            # The day is a working day by construction: no roll policy to tell.
            return f"monthly, {_working_day_en(self.day)}, {when}"
        if self.frequency == "monthly":
            head = f"monthly, day {self.day}"
        elif self.frequency == "weekly":
            head = f"weekly, {_WEEKDAYS_EN[self.day]}"
        else:
            head = "daily"
        return f"{head}, {when}{_POLICY_EN[self.non_working]}"

    def _describe_recurring_zh(self) -> str:
        when = f"{self.at_time:%H:%M}前" if self.at_time is not None else "当日结束前"
        if self.on_working_days:
            return f"每月{_working_day_zh(self.day)} {when}"
        if self.frequency == "monthly":
            head = f"每月{self.day}日"
        elif self.frequency == "weekly":
            head = f"每周{_WEEKDAYS_ZH[self.day]}"
        else:
            head = "每日"
        return f"{head} {when}{_POLICY_ZH[self.non_working]}"

    def _describe_counted_en(self) -> str:
        source = "the event" if self.kind == "event" else "the request"
        if self.offset_days == 0:
            day = f"the day of {source}"
        else:
            unit = "working day" if self.day_type == "working" else "day"
            day = f"the {_ordinal(self.offset_days)} {unit} after {source}"
        when = f"{self.at_time:%H:%M} on" if self.at_time is not None else "end of"
        return f"{when} {day}{_POLICY_EN[self.non_working]}"

    def _describe_counted_zh(self) -> str:
        source = "事件" if self.kind == "event" else "请求"
        if self.offset_days == 0:
            day = f"{source}当日"
        else:
            unit = "个工作日" if self.day_type == "working" else "天"
            day = f"{source}后第{self.offset_days}{unit}"
        when = f"{self.at_time:%H:%M}前" if self.at_time is not None else "结束前"
        return f"{day}{when}{_POLICY_ZH[self.non_working]}"


@dataclass(frozen=True)
class Occurrence:
    """One occurrence of a recurring rule."""

    nominal: date  # scheduled local date before rolling (month-end rules: the 1st of the
    # month); identifies the occurrence
    due: datetime  # aware, UTC


def _require_aware(moment: datetime, what: str) -> None:
    if not isinstance(moment, datetime):
        raise TypeError(f"{what} must be a datetime, got {moment!r}")
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{what} needs a time zone (got the naive {moment.isoformat()})")


def local_deadline(day: date, at_time: time | None, tz: ZoneInfo) -> datetime:
    """The UTC instant of wall-clock `at_time` (end of day when None) on local `day` in `tz`."""
    wall = END_OF_DAY if at_time is None else at_time
    if wall.tzinfo is not None:
        raise ValueError("at_time is a local wall-clock time and must not carry a zone")
    # fold=0: a wall time that happens twice (clocks going back) means the first of the two.
    local = datetime.combine(day, wall, tzinfo=tz)
    utc = local.astimezone(UTC)
    if utc.astimezone(tz).replace(tzinfo=None) == local.replace(tzinfo=None):
        return utc
    # The wall time falls in a gap (clocks going forward): it never shows on the clock, and the
    # moment it would have is when the clock jumps past it, so the deadline is the first instant
    # after the gap (02:30 in a 02:00-03:00 gap -> 03:00 new time). The gap lies between reading
    # the wall time with the offset after the change (fold=1, earlier) and before it (fold=0).
    offset_after = local.replace(fold=1).utcoffset()
    low = local.replace(fold=1).astimezone(UTC)
    high = utc
    while high - low > timedelta(microseconds=1):
        mid = low + (high - low) / 2
        if mid.astimezone(tz).utcoffset() == offset_after:
            high = mid
        else:
            low = mid
    return high


def _check_rule(rule: Rule, kind: str) -> None:
    rule.validate()
    if rule.kind != kind:
        raise ValueError(f"Expected a rule of kind {kind!r}, got kind {rule.kind!r}")


def _counted_due(rule: Rule, start: datetime, tz: ZoneInfo, cal: WorkingCalendar) -> datetime:
    origin = start.astimezone(tz).date()
    if rule.offset_days == 0:
        day = origin
    elif rule.day_type == "working":
        day = cal.nth_working_day_after(origin, rule.offset_days)
    else:
        day = origin + timedelta(days=rule.offset_days)
    return local_deadline(cal.roll(day, rule.non_working), rule.at_time, tz)


def event_due(rule: Rule, event_at: datetime, tz: ZoneInfo, cal: WorkingCalendar) -> datetime:
    """Due time (UTC) of the deliverable an event at `event_at` triggers."""
    _require_aware(event_at, "event_at")
    _check_rule(rule, "event")
    return _counted_due(rule, event_at, tz, cal)


def request_due(rule: Rule, raised_at: datetime, tz: ZoneInfo, cal: WorkingCalendar) -> datetime:
    """Due time (UTC) of the answer to a request raised at `raised_at`."""
    _require_aware(raised_at, "raised_at")
    _check_rule(rule, "request")
    return _counted_due(rule, raised_at, tz, cal)


def due_after(rule: Rule, start: datetime, tz: ZoneInfo, cal: WorkingCalendar) -> datetime:
    """The due time of a one-off occurrence: counted from its event, or from the request."""
    compute = request_due if rule.kind == "request" else event_due
    return compute(rule, start, tz, cal)


def _month_day(year: int, month: int, day: int) -> date:
    return date(year, month, min(day, calendar.monthrange(year, month)[1]))


def working_day_of_month(cal: WorkingCalendar, year: int, month: int, n: int) -> date | None:
    """The `n`th working day of the month (n >= 1), or the `-n`th-last (n <= -1: -1 is the
    last); clamped to the month's working days (the last or the first); None when the month
    has none at all (only a calendar overridden that way)."""
    first = date(year, month, 1)
    days = [
        day
        for day in (first + timedelta(days=i) for i in range(calendar.monthrange(year, month)[1]))
        if cal.is_working_day(day)
    ]
    if not days:
        return None
    return days[min(n, len(days)) - 1] if n > 0 else days[max(n, -len(days))]


def _nominals(rule: Rule, origin: date, backward: bool) -> Iterator[date]:
    """Nominal dates >= origin ascending, or < origin descending when `backward`. A month-end
    rule's occurrence is named by the first of its month: its day depends on the calendar, and
    an override added later must not make it a different occurrence."""
    if rule.frequency == "monthly":
        step = -1 if backward else 1
        index = origin.year * 12 + origin.month - 1
        while True:
            year, month0 = divmod(index, 12)
            nominal = _month_day(year, month0 + 1, 1 if rule.on_working_days else rule.day)
            if (nominal < origin) if backward else (nominal >= origin):
                yield nominal
            index += step
    if rule.frequency == "weekly":
        step_days = 7
        first = origin + timedelta(days=(rule.day - origin.weekday()) % 7)
    else:
        step_days = 1
        first = origin
    if backward:
        step_days = -step_days
        first += timedelta(days=step_days)
    nominal = first
    while True:
        yield nominal
        nominal += timedelta(days=step_days)


def _rolled(rule: Rule, nominal: date, cal: WorkingCalendar) -> date | None:
    if rule.on_working_days:
        return working_day_of_month(cal, nominal.year, nominal.month, rule.day)
    if rule.non_working == "skip":
        return nominal if cal.is_working_day(nominal) else None
    return cal.roll(nominal, rule.non_working)


def recurring_due(
    rule: Rule, start: datetime, tz: ZoneInfo, cal: WorkingCalendar, count: int
) -> list[Occurrence]:
    """The next `count` occurrences whose due time is at or after `start`, in order."""
    _require_aware(start, "start")
    _check_rule(rule, "recurring")
    if count < 0:
        raise ValueError(f"count must be >= 0, got {count}")
    if count == 0:
        return []
    origin = start.astimezone(tz).date()
    # Rolled days never decrease as nominal dates advance, so the occurrences come out in order.
    # A nominal date before `origin` can still roll onto or after it ("next" across a holiday);
    # walk back until one lands before it, so that an occurrence keeps the same (first) nominal
    # date whatever `start` is asked for.
    earlier: list[tuple[date, date]] = []
    for nominal in _nominals(rule, origin, backward=True):
        day = _rolled(rule, nominal, cal)
        if day is None or day < origin:  # skipped ones stay on their nominal day, < origin
            break
        earlier.append((nominal, day))

    occurrences: list[Occurrence] = []
    last_day: date | None = None

    def consider(nominal: date, day: date) -> None:
        nonlocal last_day
        if day == last_day:
            return
        last_day = day
        due = local_deadline(day, rule.at_time, tz)
        if due >= start:
            occurrences.append(Occurrence(nominal=nominal, due=due))

    for nominal, day in reversed(earlier):
        consider(nominal, day)
    for nominal in _nominals(rule, origin, backward=False):
        if len(occurrences) >= count:
            break
        day = _rolled(rule, nominal, cal)
        if day is not None:
            consider(nominal, day)
    return occurrences[:count]


def occurrence_due(
    rule: Rule, nominal: date, tz: ZoneInfo, cal: WorkingCalendar
) -> datetime | None:
    """The due time (UTC) of the recurring occurrence named by `nominal` (as `recurring_due`
    gives it), on this calendar; None when the calendar now skips it."""
    _check_rule(rule, "recurring")
    day = _rolled(rule, nominal, cal)
    return None if day is None else local_deadline(day, rule.at_time, tz)
