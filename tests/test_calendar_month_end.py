"""Month-end rules (issue 11): the Nth working day of a month, the last, and N working days
before the last, on China's official calendar of 2024-2026 (holidays, swapped working weekend
days), with store overrides; their validation and their wording in both languages."""

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from tracker.calendar.deadlines import Rule, recurring_due, working_day_of_month
from tracker.calendar.workdays import WorkingCalendar

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture(scope="module")
def cn() -> WorkingCalendar:
    return WorkingCalendar("CN")


def month_end(day: int, at_time: time | None = None) -> Rule:
    return Rule("recurring", "monthly", day, day_type="working", at_time=at_time)


# (rule's day, month, the day it gives, why). Every year here is one the `holidays` package
# publishes; the swapped days are the State Council's.
TABLE = [
    # The Nth working day.
    (1, "2026-10", "2026-10-08", "Golden Week 1-7 Oct"),
    (3, "2026-10", "2026-10-10", "the 3rd is Saturday 10 Oct, worked after Golden Week"),
    (1, "2026-01", "2026-01-04", "New Year 1-3 Jan; Sunday 4 Jan worked"),
    (1, "2026-05", "2026-05-06", "Labour Day 1-5 May"),
    (4, "2026-05", "2026-05-09", "Saturday 9 May worked"),
    (11, "2026-02", "2026-02-14", "Saturday 14 Feb worked before the Spring Festival"),
    (12, "2026-02", "2026-02-24", "Spring Festival 15-23 Feb"),
    (1, "2025-02", "2025-02-05", "Spring Festival 28 Jan - 4 Feb, across the month boundary"),
    (4, "2025-02", "2025-02-08", "Saturday 8 Feb 2025 worked"),
    (1, "2024-02", "2024-02-01", "an ordinary Thursday"),
    (23, "2026-10", "2026-10-30", "October 2026 has 18 working days: the last"),
    # The last working day.
    (-1, "2025-01", "2025-01-27", "the month ends in the Spring Festival"),
    (-1, "2026-02", "2026-02-28", "the month ends on a worked Saturday"),
    (-1, "2026-09", "2026-09-30", "Mid-Autumn 25-27 Sep, then three working days"),
    (-1, "2026-10", "2026-10-30", "Saturday 31 Oct is off"),
    (-1, "2024-12", "2024-12-31", "New Year's Day follows"),
    (-1, "2026-04", "2026-04-30", "Labour Day begins on 1 May"),
    (-1, "2024-09", "2024-09-30", "Sunday 29 Sep worked before National Day"),
    (-1, "2025-12", "2025-12-31", "a Wednesday"),
    # N working days before the last (-N-1).
    (-2, "2025-01", "2025-01-26", "one before the last: Sunday 26 Jan 2025, worked"),
    (-3, "2025-09", "2025-09-28", "two before the last: Sunday 28 Sep 2025, worked"),
    (-3, "2026-02", "2026-02-26", "two before the worked Saturday 28 Feb"),
    (-3, "2026-09", "2026-09-28", "Mid-Autumn 25-27 Sep lies between"),
    (-2, "2024-04", "2024-04-29", "Sunday 28 Apr worked, Labour Day from 1 May"),
    (-3, "2024-04", "2024-04-28", "two before the last: Sunday 28 Apr 2024, worked"),
    (-23, "2026-10", "2026-10-08", "more than the month has: the first"),
]


@pytest.mark.parametrize(("day", "month", "expected", "why"), TABLE, ids=[t[3] for t in TABLE])
def test_month_end_rule_table_of_dates(cn, day, month, expected, why):
    year, mon = (int(x) for x in month.split("-"))
    assert working_day_of_month(cn, year, mon, day) == date.fromisoformat(expected)
    start = datetime(year, mon, 1, tzinfo=SHANGHAI)
    (occurrence,) = recurring_due(month_end(day), start, SHANGHAI, cn, 1)
    assert occurrence.nominal == date(year, mon, 1)
    assert occurrence.due == datetime.fromisoformat(f"{expected}T23:59:59+08:00")


def test_month_end_rule_keeps_its_time_of_day_and_gives_utc(cn):
    (occurrence,) = recurring_due(
        month_end(-1, time(12)), datetime(2026, 10, 1, tzinfo=SHANGHAI), SHANGHAI, cn, 1
    )
    assert occurrence.due == datetime(2026, 10, 30, 4, 0, tzinfo=UTC)


def test_occurrences_come_one_a_month_in_order(cn):
    start = datetime(2026, 1, 1, tzinfo=SHANGHAI)
    dues = [o.due.astimezone(SHANGHAI).date() for o in recurring_due(month_end(-1), start,
                                                                     SHANGHAI, cn, 12)]  # fmt: skip
    assert [d.month for d in dues] == list(range(1, 13))
    assert dues == sorted(dues) and all(cn.is_working_day(d) for d in dues)


def test_this_months_occurrence_is_left_out_once_due(cn):
    # The 3rd working day of November 2026 is Wed 4 Nov; asked from the 5th, December's comes.
    start = datetime(2026, 11, 5, tzinfo=SHANGHAI)
    (occurrence,) = recurring_due(month_end(3), start, SHANGHAI, cn, 1)
    assert occurrence.nominal == date(2026, 12, 1)
    assert occurrence.due.astimezone(SHANGHAI).date() == date(2026, 12, 3)
    on_the_day = datetime(2026, 11, 4, 23, 59, 59, tzinfo=SHANGHAI)
    assert recurring_due(month_end(3), on_the_day, SHANGHAI, cn, 1)[0].nominal == date(2026, 11, 1)


def test_a_store_override_moves_the_day_but_not_the_occurrence(cn):
    # A stocktake declared a holiday on Wed 4 Nov 2026: the 3rd working day becomes Thu 5 Nov,
    # still the November occurrence (named by 1 Nov), so no second deliverable is made.
    closed = WorkingCalendar("CN", overrides={date(2026, 11, 4): False})
    start = datetime(2026, 11, 1, tzinfo=SHANGHAI)
    plain = recurring_due(month_end(3), start, SHANGHAI, cn, 1)[0]
    moved = recurring_due(month_end(3), start, SHANGHAI, closed, 1)[0]
    assert plain.nominal == moved.nominal == date(2026, 11, 1)
    assert moved.due.astimezone(SHANGHAI).date() == date(2026, 11, 5)
    # A Saturday declared worked becomes the last working day of October.
    worked = WorkingCalendar("CN", overrides={date(2026, 10, 31): True})
    assert working_day_of_month(worked, 2026, 10, -1) == date(2026, 10, 31)


def test_a_month_without_any_working_day_has_no_occurrence():
    off = {date(2026, 11, d): False for d in range(1, 31)}
    cal = WorkingCalendar("CN", overrides=off)
    start = datetime(2026, 10, 31, tzinfo=SHANGHAI)
    months = [o.nominal for o in recurring_due(month_end(-1), start, SHANGHAI, cal, 2)]
    assert months == [date(2026, 12, 1), date(2027, 1, 1)]


@pytest.mark.parametrize("day", [1, 23, -1, -23])
def test_sensible_month_end_rules_validate(day):
    month_end(day).validate()


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        (month_end(0), "on working days needs 1..23"),
        (month_end(24), "on working days needs 1..23"),
        (month_end(-24), "on working days needs 1..23"),
        (Rule("recurring", "monthly", None, day_type="working"), "on working days needs"),
        (Rule("recurring", "monthly", True, day_type="working"), "on working days needs"),
        (Rule("recurring", "weekly", 1, day_type="working"), "monthly recurring rules only"),
        (Rule("recurring", "daily", day_type="working"), "monthly recurring rules only"),
        (Rule("recurring", "monthly", -1), "day of the month 1..31"),
    ],
)
def test_nonsense_month_end_rules_are_refused(rule, message):
    with pytest.raises(ValueError, match=message):
        rule.validate()


@pytest.mark.parametrize(
    ("rule", "english", "chinese"),
    [
        (month_end(3), "monthly, 3rd working day, end of day", "每月第3个工作日 当日结束前"),
        (month_end(1, time(12)), "monthly, 1st working day, by 12:00", "每月第1个工作日 12:00前"),
        (month_end(-1), "monthly, last working day, end of day", "每月最后一个工作日 当日结束前"),
        (
            month_end(-2),
            "monthly, 2nd-last working day (1 working day before the last), end of day",
            "每月倒数第2个工作日（最后一个工作日前1个工作日） 当日结束前",
        ),
        (
            month_end(-3, time(17)),
            "monthly, 3rd-last working day (2 working days before the last), by 17:00",
            "每月倒数第3个工作日（最后一个工作日前2个工作日） 17:00前",
        ),
    ],
)
def test_month_end_rules_describe_themselves_in_both_languages(rule, english, chinese):
    assert rule.describe("en") == english
    assert rule.describe("zh") == chinese


def test_the_roll_policy_is_not_told_for_a_day_that_is_always_a_working_day():
    rule = Rule("recurring", "monthly", 3, day_type="working", non_working="next")
    assert rule.describe() == "monthly, 3rd working day, end of day"
