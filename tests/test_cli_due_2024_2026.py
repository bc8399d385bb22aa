"""`tracker due` against an independent oracle: for every commitment of the default catalogue
and an event (or a start) on every day of 2024-2026, the deadline the product's rules give on
China's official working calendar.

The oracle below knows nothing of tracker.calendar: the State Council's holidays and swapped
working weekends are written out by hand, and each rule is re-implemented in a few lines.
The table holds only these published years: a deadline that falls later (events of late
December 2026, the next month's due time from December) depends on 2027's official calendar,
which the State Council publishes each November and a `holidays` release then ships. The oracle
does not guess it, so those few days are left out of the comparison: whether the installed
`holidays` knows 2027 yet changes no test here (tests/test_calendar_workdays.py tests the
fallback for an unknown year with 2099).
"""

import json
from datetime import UTC, date, datetime, time, timedelta, timezone

import holidays
import pytest

CST = timezone(timedelta(hours=8))  # Shanghai: no daylight saving since 1991
FIRST, LAST = date(2024, 1, 1), date(2026, 12, 31)
DAYS = [FIRST + timedelta(days=i) for i in range((LAST - FIRST).days + 1)]


def _span(first: str, last: str | None = None) -> list[date]:
    start, end = date.fromisoformat(first), date.fromisoformat(last or first)
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]


# The State Council's notices on the holidays of 2024, 2025 and 2026 (国务院办公厅关于...部分节假日
# 安排的通知): days off, and the weekend days worked in exchange (调休上班).
HOLIDAYS = {
    *_span("2024-01-01"),  # New Year
    *_span("2024-02-10", "2024-02-17"),  # Spring Festival
    *_span("2024-04-04", "2024-04-06"),  # Qingming
    *_span("2024-05-01", "2024-05-05"),  # Labour Day
    *_span("2024-06-10"),  # Dragon Boat
    *_span("2024-09-15", "2024-09-17"),  # Mid-Autumn
    *_span("2024-10-01", "2024-10-07"),  # National Day
    *_span("2025-01-01"),
    *_span("2025-01-28", "2025-02-04"),
    *_span("2025-04-04", "2025-04-06"),
    *_span("2025-05-01", "2025-05-05"),
    *_span("2025-05-31", "2025-06-02"),
    *_span("2025-10-01", "2025-10-08"),  # National Day and Mid-Autumn together
    *_span("2026-01-01", "2026-01-03"),
    *_span("2026-02-15", "2026-02-23"),
    *_span("2026-04-04", "2026-04-06"),
    *_span("2026-05-01", "2026-05-05"),
    *_span("2026-06-19", "2026-06-21"),
    *_span("2026-09-25", "2026-09-27"),
    *_span("2026-10-01", "2026-10-07"),
}
WORKED_WEEKENDS = {
    date.fromisoformat(d)
    for d in (
        "2024-02-04 2024-02-18 2024-04-07 2024-04-28 2024-05-11 2024-09-14 2024-09-29 "
        "2024-10-12 2025-01-26 2025-02-08 2025-04-27 2025-09-28 2025-10-11 2026-01-04 "
        "2026-02-14 2026-02-28 2026-05-09 2026-09-20 2026-10-10"
    ).split()
}


class Unpublished(LookupError):
    """A day outside the table: its official calendar is not written here."""


def working(day: date) -> bool:
    """China's official working days, from the table (2024-2026 only)."""
    if not FIRST <= day <= LAST:
        raise Unpublished(day)
    if day in WORKED_WEEKENDS:
        return True
    return day not in HOLIDAYS and day.weekday() < 5


def nth_working_after(day: date, n: int) -> date:
    while n:
        day += timedelta(days=1)
        n -= working(day)
    return day


def next_working(day: date) -> date:
    while not working(day):
        day += timedelta(days=1)
    return day


def at(day: date, wall: time = time(23, 59, 59)) -> datetime:
    """End of `day` (or `wall` on it) in Shanghai."""
    return datetime.combine(day, wall, CST)


# The product's rules (issue 2), by what the event-triggered deadline is ...
def promptly(d):  # 及时 or no figure: end of the 2nd working day after
    return at(nth_working_after(d, 2))


def next_working_day(d):  # service-2, and the default answer to a request
    return at(nth_working_after(d, 1))


def third_working_day(d):  # sales-7
    return at(nth_working_after(d, 3))


def same_day(d):  # service-3 and the checklist points
    return at(d)


def within_a_week(d):  # service-1: 7th calendar day after, moved to the next working day
    return at(next_working(d + timedelta(days=7)))


# ... and by when the recurring one falls: the first due time at or after `start`.
def monthly(day_of_month: int, wall: time):
    def first_due_from(start: datetime) -> datetime:
        # From the start's own month: a 1st or 5th rolled forward never reaches the next month.
        month = start.astimezone(CST).year * 12 + start.astimezone(CST).month - 1
        while True:
            year, m = divmod(month, 12)
            due = at(next_working(date(year, m + 1, day_of_month)), wall)
            if due >= start:
                return due
            month += 1

    return first_due_from


FIFTH = monthly(5, time(23, 59, 59))  # loans-8, loans-9, insurance-6
FIRST_AT_NOON = monthly(1, time(12, 0))  # sales-8

EVENT_RULES = {
    **{f"loans-{n}": promptly for n in (1, 2, 4, 5, 7)},
    "service-1": within_a_week,
    "service-2": next_working_day,
    "service-3": same_day,
    **{f"insurance-{n}": promptly for n in (1, 2, 3, 4, 5)},
    "sales-1": promptly,
    "sales-2": promptly,
    "sales-3": same_day,
    "sales-4": same_day,
    "sales-5": promptly,
    "sales-6": same_day,
    "sales-7": third_working_day,
    **{f"hr-{n}": promptly for n in (1, 2, 4, 5)},
}
REQUEST_RULES = {c: next_working_day for c in ("loans-3", "loans-6", "loans-10", "service-4")}
REQUEST_RULES |= {"insurance-7": next_working_day, "hr-3": next_working_day}
RECURRING_RULES = {
    "loans-8": FIFTH,
    "loans-9": FIFTH,
    "insurance-6": FIFTH,
    "sales-8": FIRST_AT_NOON,
}
ALL_CODES = {**EVENT_RULES, **REQUEST_RULES, **RECURRING_RULES}


def test_oracle_knows_the_34_commitments_the_cli_lists(runner, store):
    result = runner.invoke(args=["tracker", "commitments", "--json"])
    assert result.exit_code == 0, result.output
    listed = {row["code"]: row["kind"] for row in json.loads(result.output)}
    assert set(listed) == set(ALL_CODES) and len(listed) == 34
    assert {c for c, k in listed.items() if k == "recurring"} == set(RECURRING_RULES)
    assert {c for c, k in listed.items() if k == "request"} == set(REQUEST_RULES)


def test_oracle_calendar_agrees_with_the_holidays_package():
    """The hand-written table against `holidays` (a second source), day by day."""
    cn = holidays.country_holidays("CN", years=[2024, 2025, 2026], categories=(holidays.PUBLIC,))
    swapped = set(cn.weekend_workdays)
    package = {d: (d in swapped) or (d not in cn and d.weekday() < 5) for d in DAYS}
    assert [d for d in DAYS if package[d] != working(d)] == []


def test_oracle_calendar_spot_checks():
    assert not working(date(2026, 10, 1)) and not working(date(2026, 10, 7))
    assert working(date(2026, 10, 10))  # Saturday worked after Golden Week
    assert working(date(2026, 10, 8)) and not working(date(2026, 10, 11))
    with pytest.raises(Unpublished):
        working(date(2027, 1, 1))
    assert nth_working_after(date(2026, 9, 30), 3) == date(2026, 10, 10)


def _due(runner, code: str, starts: list[str], count: int | None = None) -> list[dict]:
    args = ["tracker", "due", "--json", "--commitment", code, "--store", "SH01"]
    for start in starts:
        args += ["--from", start]
    if count is not None:
        args += ["--count", str(count)]
    result = runner.invoke(args=args)
    assert result.exit_code == 0, result.output[:500]
    return json.loads(result.output)


def oracle(rule, start) -> datetime | None:
    """The oracle's deadline, or None when it falls after the published years of the table."""
    try:
        return rule(start)
    except Unpublished:
        return None


def _compare(code: str, starts: list[str], rows: list[dict], expected: list) -> None:
    assert [r["from"] for r in rows] == starts, f"{code}: one row per --from, in order"
    got = [r["due"] for r in rows]
    want = [e.isoformat() if e else None for e in expected]
    judged = [(s, g, w) for s, g, w in zip(starts, got, want, strict=True) if w is not None]
    assert len(judged) >= len(starts) - 31, f"{code}: the oracle judges all but the last weeks"
    wrong = [(s, g, w) for s, g, w in judged if g != w]
    assert not wrong, f"{code}: {len(wrong)} days differ, e.g. (from, tracker, oracle) {wrong[:5]}"


@pytest.mark.parametrize("code", sorted({**EVENT_RULES, **REQUEST_RULES}))
def test_due_of_an_event_or_request_on_every_day_of_2024_to_2026(runner, store, code):
    # Given in UTC, so the CLI must find the local day itself: 00:30 in Shanghai is 16:30 UTC
    # the day before. sales-6 is triggered by evening deliveries only: 17:30 in Shanghai.
    local = time(17, 30) if code == "sales-6" else time(0, 30)
    moments = [datetime.combine(d, local, CST) for d in DAYS]
    starts = [m.astimezone(UTC).isoformat() for m in moments]
    rule = {**EVENT_RULES, **REQUEST_RULES}[code]
    _compare(code, starts, _due(runner, code, starts), [oracle(rule, d) for d in DAYS])


@pytest.mark.parametrize("local", [time(0, 0), time(12, 0, 1)], ids=["midnight", "noon+1s"])
@pytest.mark.parametrize("code", sorted(RECURRING_RULES))
def test_next_recurring_due_from_every_day_of_2024_to_2026(runner, store, code, local):
    moments = [datetime.combine(d, local, CST) for d in DAYS]
    starts = [m.isoformat() for m in moments]
    rows = _due(runner, code, starts, count=1)
    _compare(code, starts, rows, [oracle(RECURRING_RULES[code], m) for m in moments])


def test_recurring_count_gives_the_next_due_times_in_order(runner, store):
    rows = _due(runner, "sales-8", ["2025-09-02T00:00:00+08:00"], count=4)
    assert [r["due"] for r in rows] == [
        "2025-10-09T12:00:00+08:00",  # 1 Oct in the National Day holiday: the next working day
        "2025-11-03T12:00:00+08:00",  # Saturday 1 Nov
        "2025-12-01T12:00:00+08:00",
        "2026-01-04T12:00:00+08:00",  # New Year's Day off; Sunday 4 Jan 2026 worked instead
    ]
    assert [r["from"] for r in rows] == ["2025-09-02T00:00:00+08:00"] * 4


def test_an_event_before_the_trigger_time_owes_nothing(runner, store):
    # sales-6 is presented only for deliveries at or after 17:00 (local): as recording the event
    # creates no deliverable before then, `tracker due` gives none either.
    starts = ["2026-11-16T16:59:59+08:00", "2026-11-16T17:00:00+08:00"]
    rows = _due(runner, "sales-6", starts)
    assert rows[0] == {"from": starts[0], "due": None, "note": "not triggered before 17:00"}
    assert rows[1]["due"] == "2026-11-16T23:59:59+08:00"
    text = runner.invoke(args=["tracker", "due", "--commitment", "sales-6", "--store", "SH01",
                               "--from", starts[0]])  # fmt: skip
    assert text.exit_code == 0 and "not triggered before 17:00" in text.output


# --- month-end rules (issue 11): `--working-day N` tries one on a recurring commitment ---


def month_end(n: int):
    """The oracle of a month-end rule: the Nth working day of the month (n >= 1), or the
    -Nth-last (n <= -1), clamped to the month's working days; due at the end of that day."""

    def first_due_from(start: datetime) -> datetime:
        local = start.astimezone(CST)
        month = local.year * 12 + local.month - 1
        while True:
            year, m = divmod(month, 12)
            first = date(year, m + 1, 1)
            days = [first + timedelta(days=i) for i in range(31)]
            days = [d for d in days if d.month == first.month and working(d)]
            due = at(days[min(n, len(days)) - 1] if n > 0 else days[max(n, -len(days))])
            if due >= start:
                return due
            month += 1

    return first_due_from


@pytest.mark.parametrize("n", [1, 3, 10, 23, -1, -2, -3, -23])
def test_month_end_rule_from_every_day_of_2024_to_2026(runner, store, n):
    moments = [datetime.combine(d, time(12, 0), CST) for d in DAYS]
    starts = [m.isoformat() for m in moments]
    args = ["tracker", "due", "--json", "--commitment", "loans-8", "--store", "SH01"]
    args += ["--working-day", str(n), "--count", "1"]
    for start in starts:
        args += ["--from", start]
    result = runner.invoke(args=args)
    assert result.exit_code == 0, result.output[:500]
    rows = json.loads(result.output)
    _compare(f"loans-8 --working-day {n}", starts, rows, [oracle(month_end(n), m) for m in moments])
    assert {r["occurrence"][8:] for r in rows} == {"01"}  # an occurrence is named by its month


def test_month_end_rules_across_holidays_and_swapped_days(runner, store):
    def dues(n, start, count):
        args = ["tracker", "due", "--json", "--commitment", "loans-8", "--store", "SH01"]
        args += ["--working-day", str(n), "--from", start, "--count", str(count)]
        result = runner.invoke(args=args)
        assert result.exit_code == 0, result.output[:500]
        return [r["due"][:10] for r in json.loads(result.output)]

    # Last working day: January 2025 ends in the Spring Festival (28 Jan - 4 Feb, Sunday 26 Jan
    # worked); February 2026 ends on a worked Saturday; Dec 2024 on Tuesday 31, before New Year.
    assert dues(-1, "2025-01-01T00:00+08:00", 1) == ["2025-01-27"]
    assert dues(-1, "2026-02-01T00:00+08:00", 1) == ["2026-02-28"]
    assert dues(-1, "2024-12-01T00:00+08:00", 1) == ["2024-12-31"]
    # Two working days before the last: Sunday 28 Sep 2025 is worked (National Day swap).
    assert dues(-3, "2025-09-01T00:00+08:00", 1) == ["2025-09-28"]
    # The 3rd working day of October 2026: Golden Week, then Thu 8, Fri 9, the worked Sat 10.
    assert dues(3, "2026-10-01T00:00+08:00", 1) == ["2026-10-10"]
    # The 1st working day of January 2026 is Sunday the 4th (New Year 1-3 Jan, swap).
    assert dues(1, "2025-12-15T00:00+08:00", 2) == ["2026-01-04", "2026-02-02"]


@pytest.mark.parametrize("bad", ["0", "24", "-24", "x", "1.5", "٣"])
def test_a_bad_working_day_is_a_usage_error(runner, store, bad):
    result = runner.invoke(
        args=["tracker", "due", "--commitment", "loans-8", "--store", "SH01",
              "--from", "2026-11-16T10:00+08:00", "--working-day", bad]
    )  # fmt: skip
    assert result.exit_code == 2 and "not a working day of the month" in result.output


def test_working_day_is_refused_for_a_commitment_that_is_not_recurring(runner, store):
    result = runner.invoke(
        args=["tracker", "due", "--commitment", "sales-7", "--store", "SH01",
              "--from", "2026-11-16T10:00+08:00", "--working-day", "3"]
    )  # fmt: skip
    assert result.exit_code == 2 and "not a recurring commitment" in result.output
