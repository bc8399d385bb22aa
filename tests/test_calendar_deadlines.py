from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from tracker.calendar.deadlines import (
    END_OF_DAY,
    Occurrence,
    Rule,
    due_after,
    event_due,
    local_deadline,
    recurring_due,
    request_due,
)
from tracker.calendar.workdays import WorkingCalendar

SHANGHAI = ZoneInfo("Asia/Shanghai")
NEW_YORK = ZoneInfo("America/New_York")
BERLIN = ZoneInfo("Europe/Berlin")


@pytest.fixture(scope="module")
def cn() -> WorkingCalendar:
    return WorkingCalendar("CN")


def sh(y: int, m: int, d: int, hh: int = 23, mm: int = 59, ss: int = 59) -> datetime:
    """A Shanghai wall-clock time, as the UTC instant the functions return."""
    return datetime(y, m, d, hh, mm, ss, tzinfo=SHANGHAI).astimezone(UTC)


def monthly(day: int, non_working: str = "keep", at_time: time | None = None) -> Rule:
    return Rule("recurring", "monthly", day, at_time=at_time, non_working=non_working)


# --- local_deadline ---------------------------------------------------------------------------


def test_end_of_day_is_the_last_whole_second_of_the_local_day():
    assert local_deadline(date(2026, 10, 8), None, SHANGHAI) == datetime(
        2026, 10, 8, 15, 59, 59, tzinfo=UTC
    )
    assert END_OF_DAY == time(23, 59, 59)


def test_deadlines_are_returned_in_utc():
    due = local_deadline(date(2026, 10, 8), time(12), SHANGHAI)
    assert due.tzinfo is UTC
    assert due == datetime(2026, 10, 8, 4, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("tz", "day", "at_time", "expected_utc"),
    [
        # New York springs forward on Sun 8 Mar 2026 (EST -5 -> EDT -4).
        (NEW_YORK, date(2026, 3, 7), None, datetime(2026, 3, 8, 4, 59, 59)),
        (NEW_YORK, date(2026, 3, 8), None, datetime(2026, 3, 9, 3, 59, 59)),
        (NEW_YORK, date(2026, 3, 7), time(12), datetime(2026, 3, 7, 17, 0)),
        (NEW_YORK, date(2026, 3, 8), time(12), datetime(2026, 3, 8, 16, 0)),
        # ... and falls back on Sun 1 Nov 2026 (EDT -4 -> EST -5).
        (NEW_YORK, date(2026, 10, 31), None, datetime(2026, 11, 1, 3, 59, 59)),
        (NEW_YORK, date(2026, 11, 1), None, datetime(2026, 11, 2, 4, 59, 59)),
        (NEW_YORK, date(2026, 11, 1), time(12), datetime(2026, 11, 1, 17, 0)),
        # Berlin: CET +1 -> CEST +2 on Sun 29 Mar 2026, back on Sun 25 Oct 2026.
        (BERLIN, date(2026, 3, 28), None, datetime(2026, 3, 28, 22, 59, 59)),
        (BERLIN, date(2026, 3, 29), None, datetime(2026, 3, 29, 21, 59, 59)),
        (BERLIN, date(2026, 3, 29), time(12), datetime(2026, 3, 29, 10, 0)),
        (BERLIN, date(2026, 10, 25), None, datetime(2026, 10, 25, 22, 59, 59)),
        (BERLIN, date(2026, 10, 25), time(12), datetime(2026, 10, 25, 11, 0)),
    ],
)
def test_local_deadline_keeps_the_wall_clock_time_across_daylight_saving_changes(
    tz, day, at_time, expected_utc
):
    due = local_deadline(day, at_time, tz)
    assert due == expected_utc.replace(tzinfo=UTC)
    assert due.astimezone(tz).time() == (at_time or END_OF_DAY)


@pytest.mark.parametrize(
    ("tz", "before", "after", "hours_between"),
    [
        (NEW_YORK, date(2026, 3, 7), date(2026, 3, 9), 47),
        (NEW_YORK, date(2026, 10, 31), date(2026, 11, 2), 49),
        (BERLIN, date(2026, 3, 28), date(2026, 3, 30), 47),
        (BERLIN, date(2026, 10, 24), date(2026, 10, 26), 49),
    ],
)
def test_utc_offset_of_the_same_wall_time_differs_across_the_change(
    tz, before, after, hours_between
):
    noon_before = local_deadline(before, time(12), tz)
    noon_after = local_deadline(after, time(12), tz)
    assert noon_before.astimezone(tz).utcoffset() != noon_after.astimezone(tz).utcoffset()
    assert noon_after - noon_before == timedelta(hours=hours_between)


@pytest.mark.parametrize(
    ("tz", "day", "expected_utc"),
    [
        # 02:00-03:00 does not exist: 02:30 is due when the clock jumps to 03:00.
        (NEW_YORK, date(2026, 3, 8), datetime(2026, 3, 8, 7, 0)),
        (BERLIN, date(2026, 3, 29), datetime(2026, 3, 29, 1, 0)),
    ],
)
def test_wall_time_in_the_spring_forward_gap_is_due_just_after_the_gap(tz, day, expected_utc):
    due = local_deadline(day, time(2, 30), tz)
    assert due == expected_utc.replace(tzinfo=UTC)
    assert due.astimezone(tz).time() == time(3, 0)


@pytest.mark.parametrize(
    ("tz", "day", "wall", "expected_utc"),
    [
        # 01:30 happens twice in New York on 1 Nov 2026, 02:30 twice in Berlin on 25 Oct 2026.
        (NEW_YORK, date(2026, 11, 1), time(1, 30), datetime(2026, 11, 1, 5, 30)),
        (BERLIN, date(2026, 10, 25), time(2, 30), datetime(2026, 10, 25, 0, 30)),
    ],
)
def test_ambiguous_fall_back_wall_time_is_the_first_of_the_two(tz, day, wall, expected_utc):
    assert local_deadline(day, wall, tz) == expected_utc.replace(tzinfo=UTC)


# --- event and request rules ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rule", "event_local", "expected_local"),
    [
        # "the same day" (当日)
        (Rule("event"), datetime(2026, 9, 30, 10), sh(2026, 9, 30)),
        # "the day after pick-up" (提车次日), calendar day, kept even on a holiday
        (Rule("event", offset_days=1), datetime(2026, 9, 30, 10), sh(2026, 10, 1)),
        # ... or moved to the next working day
        (
            Rule("event", offset_days=1, non_working="next"),
            datetime(2026, 9, 30, 10),
            sh(2026, 10, 8),
        ),
        # "within a week of the business", moved to the next working day
        (
            Rule("event", offset_days=7, non_working="next"),
            datetime(2026, 9, 28, 10),
            sh(2026, 10, 8),
        ),
        (
            Rule("event", offset_days=7, non_working="previous"),
            datetime(2026, 9, 28),
            sh(2026, 9, 30),
        ),
        # working days
        (
            Rule("event", offset_days=1, day_type="working"),
            datetime(2026, 9, 30, 9),
            sh(2026, 10, 8),
        ),
        (
            Rule("event", offset_days=2, day_type="working"),
            datetime(2026, 9, 30, 9),
            sh(2026, 10, 9),
        ),
        (
            Rule("event", offset_days=3, day_type="working"),
            datetime(2026, 10, 2, 9),  # an event on a holiday counts from the day after
            sh(2026, 10, 10),
        ),
        # offset 0 with working days is the event's own day, even on a holiday
        (Rule("event", day_type="working"), datetime(2026, 10, 3, 9), sh(2026, 10, 3)),
        (
            Rule("event", day_type="working", non_working="next"),
            datetime(2026, 10, 3, 9),
            sh(2026, 10, 8),
        ),
        # a time of day
        (
            Rule("event", offset_days=1, day_type="working", at_time=time(15)),
            datetime(2026, 9, 30, 16),
            sh(2026, 10, 8, 15, 0, 0),
        ),
    ],
)
def test_event_due(cn, rule, event_local, expected_local):
    event_at = event_local.replace(tzinfo=SHANGHAI)
    assert event_due(rule, event_at, SHANGHAI, cn) == expected_local


def test_event_late_in_the_evening_utc_is_already_the_next_local_day_in_shanghai(cn):
    event_at = datetime(2026, 9, 29, 17, 30, tzinfo=UTC)  # 01:30 on 30 Sep in Shanghai
    rule = Rule("event", offset_days=1, day_type="working")
    assert event_due(rule, event_at, SHANGHAI, cn) == sh(2026, 10, 8)
    assert event_due(Rule("event"), event_at, SHANGHAI, cn) == sh(2026, 9, 30)


def test_event_in_another_zone_is_converted_to_the_store_zone(cn):
    event_at = datetime(2026, 9, 29, 13, 0, tzinfo=NEW_YORK)  # 01:00 on 30 Sep in Shanghai
    assert event_due(Rule("event"), event_at, SHANGHAI, cn) == sh(2026, 9, 30)


def test_request_is_answered_by_the_end_of_the_next_working_day(cn):
    rule = Rule("request", offset_days=1, day_type="working")
    raised_at = datetime(2026, 9, 30, 15, 0, tzinfo=SHANGHAI)
    assert request_due(rule, raised_at, SHANGHAI, cn) == sh(2026, 10, 8)


def test_request_raised_on_friday_is_due_on_monday(cn):
    rule = Rule("request", offset_days=1, day_type="working")
    raised_at = datetime(2026, 1, 9, 17, 0, tzinfo=SHANGHAI)
    assert request_due(rule, raised_at, SHANGHAI, cn) == sh(2026, 1, 12)


@pytest.mark.parametrize(
    "call",
    [
        lambda cal: event_due(Rule("event"), datetime(2026, 10, 1, 9), SHANGHAI, cal),
        lambda cal: request_due(Rule("request"), datetime(2026, 10, 1, 9), SHANGHAI, cal),
        lambda cal: recurring_due(monthly(5), datetime(2026, 10, 1), SHANGHAI, cal, 1),
    ],
)
def test_naive_datetimes_are_rejected(cn, call):
    with pytest.raises(ValueError, match="needs a time zone"):
        call(cn)


def test_event_rule_is_required_for_an_event(cn):
    with pytest.raises(ValueError, match="Expected a rule of kind 'event'"):
        event_due(Rule("request"), datetime(2026, 10, 1, tzinfo=UTC), SHANGHAI, cn)


# --- recurring rules --------------------------------------------------------------------------


def test_monthly_5th_landing_in_golden_week_is_due_on_8_oct_2026(cn):
    start = datetime(2026, 10, 1, tzinfo=SHANGHAI)
    [occ] = recurring_due(monthly(5, "next"), start, SHANGHAI, cn, 1)
    assert occ == Occurrence(nominal=date(2026, 10, 5), due=sh(2026, 10, 8))
    assert occ.due == datetime(2026, 10, 8, 23, 59, 59, tzinfo=SHANGHAI)


def test_noon_on_the_1st_rolls_from_1_oct_to_noon_on_8_oct_2026(cn):
    start = datetime(2026, 9, 15, tzinfo=SHANGHAI)
    rule = monthly(1, "next", at_time=time(12))
    occurrences = recurring_due(rule, start, SHANGHAI, cn, 2)
    assert occurrences == [
        Occurrence(date(2026, 10, 1), sh(2026, 10, 8, 12, 0, 0)),
        Occurrence(date(2026, 11, 1), sh(2026, 11, 2, 12, 0, 0)),
    ]


def test_monthly_occurrence_already_due_before_start_is_not_returned(cn):
    start = datetime(2026, 10, 8, 12, 0, 1, tzinfo=SHANGHAI)
    rule = monthly(1, "next", at_time=time(12))
    [occ] = recurring_due(rule, start, SHANGHAI, cn, 1)
    assert occ.nominal == date(2026, 11, 1)


def test_occurrence_rolled_past_start_keeps_its_nominal_date(cn):
    # Asked on 7 Oct, the 5 Oct occurrence (rolled to 8 Oct) is still ahead.
    start = datetime(2026, 10, 7, 9, 0, tzinfo=SHANGHAI)
    [occ] = recurring_due(monthly(5, "next"), start, SHANGHAI, cn, 1)
    assert occ.nominal == date(2026, 10, 5)
    assert occ.due == sh(2026, 10, 8)


def test_due_at_exactly_start_is_included(cn):
    start = sh(2026, 10, 8)
    [occ] = recurring_due(monthly(5, "next"), start, SHANGHAI, cn, 1)
    assert occ.due == start


@pytest.mark.parametrize(
    ("day", "start", "expected_nominals"),
    [
        (31, date(2026, 1, 1), [date(2026, 1, 31), date(2026, 2, 28), date(2026, 3, 31)]),
        (31, date(2024, 2, 1), [date(2024, 2, 29), date(2024, 3, 31), date(2024, 4, 30)]),
        (30, date(2026, 11, 1), [date(2026, 11, 30), date(2026, 12, 30), date(2027, 1, 30)]),
        (29, date(2025, 2, 1), [date(2025, 2, 28), date(2025, 3, 29)]),
        (31, date(2026, 11, 1), [date(2026, 11, 30), date(2026, 12, 31)]),
    ],
)
def test_monthly_day_is_clamped_to_the_end_of_short_months(cn, day, start, expected_nominals):
    start_at = datetime.combine(start, time(0), tzinfo=SHANGHAI)
    occurrences = recurring_due(monthly(day), start_at, SHANGHAI, cn, len(expected_nominals))
    assert [o.nominal for o in occurrences] == expected_nominals
    assert [o.due for o in occurrences] == [
        local_deadline(n, None, SHANGHAI) for n in expected_nominals
    ]


@pytest.mark.parametrize(
    ("policy", "expected_due"),
    [
        ("keep", date(2026, 10, 5)),
        ("next", date(2026, 10, 8)),
        ("previous", date(2026, 9, 30)),
    ],
)
def test_monthly_5th_in_golden_week_by_policy(cn, policy, expected_due):
    start = datetime(2026, 9, 8, tzinfo=SHANGHAI)  # after 5 Sep (a Saturday, due 7 Sep)
    [occ] = recurring_due(monthly(5, policy), start, SHANGHAI, cn, 1)
    assert occ.nominal == date(2026, 10, 5)
    assert occ.due == local_deadline(expected_due, None, SHANGHAI)


def test_monthly_skip_leaves_out_a_month_whose_day_is_not_working(cn):
    # Published years only. 5 Sep 2026 is a Saturday, 5 Oct a holiday (Golden Week), 5 Nov a
    # Thursday; 5 Dec 2024 a Thursday, 5 Jan 2025 a Sunday, 5 Feb 2025 the Wednesday after the
    # Spring Festival.
    start = datetime(2026, 8, 6, tzinfo=SHANGHAI)
    [occ] = recurring_due(monthly(5, "skip"), start, SHANGHAI, cn, 1)
    assert occ.nominal == date(2026, 11, 5)
    start = datetime(2024, 11, 6, tzinfo=SHANGHAI)
    occurrences = recurring_due(monthly(5, "skip"), start, SHANGHAI, cn, 2)
    assert [o.nominal for o in occurrences] == [date(2024, 12, 5), date(2025, 2, 5)]


def test_previous_roll_before_start_is_dropped(cn):
    # The 5 Oct occurrence would be due on 30 Sep: asked on 1 Oct, the next one is November's.
    start = datetime(2026, 10, 1, tzinfo=SHANGHAI)
    [occ] = recurring_due(monthly(5, "previous"), start, SHANGHAI, cn, 1)
    assert occ.nominal == date(2026, 11, 5)


def test_daily_skip_has_no_occurrence_on_non_working_days(cn):
    rule = Rule("recurring", "daily", non_working="skip")
    start = datetime(2026, 9, 30, tzinfo=SHANGHAI)
    occurrences = recurring_due(rule, start, SHANGHAI, cn, 4)
    assert [o.nominal for o in occurrences] == [
        date(2026, 9, 30),
        date(2026, 10, 8),
        date(2026, 10, 9),
        date(2026, 10, 10),
    ]


def test_daily_keep_has_an_occurrence_every_day(cn):
    rule = Rule("recurring", "daily")
    start = datetime(2026, 9, 30, tzinfo=SHANGHAI)
    occurrences = recurring_due(rule, start, SHANGHAI, cn, 10)
    assert [o.nominal for o in occurrences] == [
        date(2026, 9, 30) + timedelta(days=i) for i in range(10)
    ]


def test_daily_next_keeps_the_first_of_the_days_rolling_onto_the_same_due(cn):
    rule = Rule("recurring", "daily", non_working="next")
    start = datetime(2026, 9, 30, tzinfo=SHANGHAI)
    occurrences = recurring_due(rule, start, SHANGHAI, cn, 3)
    assert occurrences == [
        Occurrence(date(2026, 9, 30), sh(2026, 9, 30)),
        Occurrence(date(2026, 10, 1), sh(2026, 10, 8)),
        Occurrence(date(2026, 10, 9), sh(2026, 10, 9)),
    ]


@pytest.mark.parametrize("start_day", [date(2026, 10, 1), date(2026, 10, 4), date(2026, 10, 8)])
def test_occurrence_identity_does_not_depend_on_when_it_is_asked(cn, start_day):
    rule = Rule("recurring", "daily", non_working="next")
    start = datetime.combine(start_day, time(0), tzinfo=SHANGHAI)
    [occ] = recurring_due(rule, start, SHANGHAI, cn, 1)
    assert occ == Occurrence(date(2026, 10, 1), sh(2026, 10, 8))


def test_daily_previous_keeps_the_first_of_the_days_rolling_onto_the_same_due(cn):
    rule = Rule("recurring", "daily", non_working="previous")
    start = datetime(2026, 1, 9, tzinfo=SHANGHAI)  # Friday
    occurrences = recurring_due(rule, start, SHANGHAI, cn, 2)
    assert occurrences == [
        Occurrence(date(2026, 1, 9), sh(2026, 1, 9)),
        Occurrence(date(2026, 1, 12), sh(2026, 1, 12)),
    ]


def test_weekly_on_monday(cn):
    rule = Rule("recurring", "weekly", 0, at_time=time(10), non_working="next")
    start = datetime(2026, 9, 23, tzinfo=SHANGHAI)
    occurrences = recurring_due(rule, start, SHANGHAI, cn, 4)
    assert occurrences == [
        Occurrence(date(2026, 9, 28), sh(2026, 9, 28, 10, 0, 0)),
        Occurrence(date(2026, 10, 5), sh(2026, 10, 8, 10, 0, 0)),
        Occurrence(date(2026, 10, 12), sh(2026, 10, 12, 10, 0, 0)),
        Occurrence(date(2026, 10, 19), sh(2026, 10, 19, 10, 0, 0)),
    ]


def test_recurring_due_times_are_in_order_without_duplicates(cn):
    rule = Rule("recurring", "daily", non_working="next")
    occurrences = recurring_due(rule, datetime(2026, 1, 1, tzinfo=UTC), SHANGHAI, cn, 250)
    dues = [o.due for o in occurrences]
    assert dues == sorted(set(dues))
    assert all(o.due.tzinfo is UTC for o in occurrences)


def test_zero_occurrences_asked_gives_none(cn):
    assert recurring_due(monthly(5), datetime(2026, 1, 1, tzinfo=UTC), SHANGHAI, cn, 0) == []


def test_recurring_noon_across_daylight_saving_change_in_new_york():
    us = WorkingCalendar("US")
    rule = Rule("recurring", "daily", at_time=time(12))
    occurrences = recurring_due(rule, datetime(2026, 3, 7, tzinfo=NEW_YORK), NEW_YORK, us, 3)
    assert [o.due.hour for o in occurrences] == [17, 16, 16]


def test_recurring_overrides_win(cn):
    cal = WorkingCalendar("CN", overrides={date(2026, 10, 5): True})
    [occ] = recurring_due(monthly(5, "next"), datetime(2026, 10, 1, tzinfo=UTC), SHANGHAI, cal, 1)
    assert occ.due == sh(2026, 10, 5)


# --- Rule.validate and describe ---------------------------------------------------------------


@pytest.mark.parametrize(
    "rule",
    [
        monthly(5, "next"),
        monthly(31),
        Rule("recurring", "weekly", 6),
        Rule("recurring", "daily", non_working="skip"),
        Rule("event"),
        Rule("event", offset_days=3, day_type="working", at_time=time(12)),
        Rule("request", offset_days=1, day_type="working"),
    ],
)
def test_sensible_rules_validate(rule):
    rule.validate()


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        (Rule("sometimes"), "Unknown rule kind"),
        (Rule("recurring"), "needs a frequency"),
        (Rule("recurring", "yearly", 1), "needs a frequency"),
        (Rule("recurring", "monthly"), "day of the month 1..31"),
        (Rule("recurring", "monthly", 0), "day of the month 1..31"),
        (Rule("recurring", "monthly", 32), "day of the month 1..31"),
        (Rule("recurring", "weekly", 7), "weekday 0"),
        (Rule("recurring", "weekly"), "weekday 0"),
        (Rule("recurring", "daily", 3), "daily rule takes no day"),
        (Rule("recurring", "monthly", 5, offset_days=2), "event and request rules only"),
        (Rule("event", offset_days=-1), "offset_days must be"),
        (Rule("event", frequency="monthly"), "takes no frequency or day"),
        (Rule("event", day_type="business"), "Unknown day type"),
        (Rule("event", non_working="skip"), "recurring rules only"),
        (Rule("event", non_working="later"), "Unknown non-working-day policy"),
        (Rule("event", at_time=time(12, tzinfo=UTC)), "must not carry a zone"),
    ],
)
def test_nonsense_rules_are_refused_with_a_clear_message(rule, message):
    with pytest.raises(ValueError, match=message):
        rule.validate()


def test_invalid_rule_is_refused_when_computing(cn):
    with pytest.raises(ValueError, match="offset_days must be"):
        event_due(Rule("event", offset_days=-1), datetime(2026, 10, 1, tzinfo=UTC), SHANGHAI, cn)


@pytest.mark.parametrize(
    ("rule", "english", "chinese"),
    [
        (
            monthly(5, "next"),
            "monthly, day 5, end of day, next working day if not one",
            "每月5日 当日结束前（遇非工作日顺延）",
        ),
        (
            monthly(1, "next", at_time=time(12)),
            "monthly, day 1, by 12:00, next working day if not one",
            "每月1日 12:00前（遇非工作日顺延）",
        ),
        (Rule("recurring", "weekly", 0), "weekly, Monday, end of day", "每周一 当日结束前"),
        (
            Rule("recurring", "daily", non_working="skip"),
            "daily, end of day, none on non-working days",
            "每日 当日结束前（非工作日不安排）",
        ),
        (
            Rule("event", offset_days=3, day_type="working"),
            "end of the 3rd working day after the event",
            "事件后第3个工作日结束前",
        ),
        (
            Rule("event", offset_days=7, non_working="next"),
            "end of the 7th day after the event, next working day if not one",
            "事件后第7天结束前（遇非工作日顺延）",
        ),
        (Rule("event"), "end of the day of the event", "事件当日结束前"),
        (
            Rule("request", offset_days=1, day_type="working", at_time=time(15)),
            "15:00 on the 1st working day after the request",
            "请求后第1个工作日15:00前",
        ),
        (
            Rule("event", offset_days=2, non_working="previous"),
            "end of the 2nd day after the event, previous working day if not one",
            "事件后第2天结束前（遇非工作日提前）",
        ),
    ],
)
def test_describe_in_english_and_chinese(rule, english, chinese):
    assert rule.describe() == english
    assert rule.describe("en") == english
    assert rule.describe("zh") == chinese
    assert rule.describe("zh_Hans_CN") == chinese


@pytest.mark.parametrize(("n", "text"), [(11, "11th"), (12, "12th"), (21, "21st"), (22, "22nd")])
def test_describe_uses_english_ordinals(n, text):
    assert text in Rule("event", offset_days=n).describe()


# --- due_after: the one choice of rule by kind ------------------------------------------------


@pytest.mark.parametrize("kind, compute", [("event", event_due), ("request", request_due)])
def test_due_after_counts_from_the_event_or_from_the_request_by_the_rules_kind(cn, kind, compute):
    rule = Rule(kind, offset_days=2, day_type="working")
    start = datetime(2026, 9, 30, 10, 0, tzinfo=SHANGHAI)  # the eve of the National Day week
    assert due_after(rule, start, SHANGHAI, cn) == compute(rule, start, SHANGHAI, cn)
    # National Day, 1-7 Oct: the two working days after the 30th are the 8th and the 9th.
    assert due_after(rule, start, SHANGHAI, cn) == sh(2026, 10, 9)
