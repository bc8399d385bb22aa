import logging
from datetime import date, datetime

import pytest

from tracker.calendar import workdays
from tracker.calendar.workdays import WorkingCalendar


@pytest.fixture
def cn() -> WorkingCalendar:
    return WorkingCalendar("CN")


@pytest.fixture
def fresh_cache():
    workdays.clear_cache()
    yield
    workdays.clear_cache()


@pytest.mark.parametrize("day", [date(2026, 10, d) for d in range(1, 8)])
def test_golden_week_2026_is_not_working(cn, day):
    assert not cn.is_working_day(day)


@pytest.mark.parametrize(
    "day",
    [date(2026, 9, 30), date(2026, 10, 8), date(2026, 10, 9), date(2026, 10, 12)],
)
def test_days_around_golden_week_2026_are_working(cn, day):
    assert cn.is_working_day(day)


def test_saturday_10_oct_2026_is_a_swapped_working_day(cn):
    day = date(2026, 10, 10)
    assert day.weekday() == 5
    assert cn.is_working_day(day)
    assert cn.is_swapped_working_day(day)


def test_sunday_20_sep_2026_is_a_swapped_working_day(cn):
    assert cn.is_working_day(date(2026, 9, 20))
    assert cn.is_swapped_working_day(date(2026, 9, 20))


@pytest.mark.parametrize(
    "day", [date(2026, 10, 11), date(2026, 10, 1), date(2026, 10, 9), date(2026, 10, 4)]
)
def test_ordinary_weekends_holidays_and_weekdays_are_not_swapped(cn, day):
    assert not cn.is_swapped_working_day(day)


def test_next_working_day_after_30_sep_2026_is_8_oct(cn):
    assert cn.nth_working_day_after(date(2026, 9, 30), 1) == date(2026, 10, 8)


def test_second_working_day_after_30_sep_2026_is_9_oct(cn):
    assert cn.nth_working_day_after(date(2026, 9, 30), 2) == date(2026, 10, 9)


def test_third_working_day_after_30_sep_2026_is_the_swapped_saturday(cn):
    assert cn.nth_working_day_after(date(2026, 9, 30), 3) == date(2026, 10, 10)


@pytest.mark.parametrize(
    ("day", "n", "expected"),
    [
        (date(2026, 10, 3), 1, date(2026, 10, 8)),  # counted from a holiday
        (date(2026, 10, 10), 1, date(2026, 10, 12)),  # counted from the swapped Saturday
        (date(2026, 10, 9), 1, date(2026, 10, 10)),
        (date(2026, 1, 9), 1, date(2026, 1, 12)),  # Friday -> Monday
        (date(2026, 1, 9), 5, date(2026, 1, 16)),
    ],
)
def test_nth_working_day_after_counts_strictly_after_the_day(cn, day, n, expected):
    assert cn.nth_working_day_after(day, n) == expected


def test_nth_working_day_after_needs_n_of_at_least_one(cn):
    with pytest.raises(ValueError, match="at least 1"):
        cn.nth_working_day_after(date(2026, 10, 1), 0)


# Spring Festival 2026 (State Council notice of Nov 2025): 15-23 Feb off, Sat 14 and Sat 28 Feb
# worked.
@pytest.mark.parametrize("day", [date(2026, 2, d) for d in range(15, 24)])
def test_spring_festival_2026_is_not_working(cn, day):
    assert not cn.is_working_day(day)


@pytest.mark.parametrize("day", [date(2026, 2, 14), date(2026, 2, 28)])
def test_saturdays_around_spring_festival_2026_are_swapped_working_days(cn, day):
    assert cn.is_swapped_working_day(day)
    assert cn.is_working_day(day)


# Spring Festival 2024: 10-17 Feb off; Sun 4 Feb and Sun 18 Feb worked (both Sundays).
@pytest.mark.parametrize("day", [date(2024, 2, d) for d in range(10, 18)])
def test_spring_festival_2024_is_not_working(cn, day):
    assert not cn.is_working_day(day)


@pytest.mark.parametrize("day", [date(2024, 2, 4), date(2024, 2, 18)])
def test_sundays_around_spring_festival_2024_are_swapped_working_days(cn, day):
    assert day.weekday() == 6
    assert cn.is_swapped_working_day(day)
    assert cn.is_working_day(day)


# National Day 2025: 1-8 Oct off; Sun 28 Sep and Sat 11 Oct worked.
@pytest.mark.parametrize("day", [date(2025, 10, d) for d in range(1, 9)])
def test_national_day_2025_is_not_working(cn, day):
    assert not cn.is_working_day(day)


@pytest.mark.parametrize("day", [date(2025, 9, 28), date(2025, 10, 11)])
def test_weekend_days_around_national_day_2025_are_swapped_working_days(cn, day):
    assert day.weekday() >= 5
    assert cn.is_swapped_working_day(day)
    assert cn.is_working_day(day)


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (date(2026, 1, 12), True),  # plain Monday
        (date(2026, 1, 10), False),  # plain Saturday
        (date(2026, 1, 11), False),  # plain Sunday
        (date(2026, 5, 1), False),  # Labour Day
        (date(2026, 5, 9), True),  # swapped Saturday
    ],
)
def test_plain_days_follow_weekends_and_holidays(cn, day, working):
    assert cn.is_working_day(day) is working


def test_holiday_name_comes_from_the_holidays_package(cn):
    assert cn.holiday_name(date(2026, 10, 1)) == "National Day"
    assert cn.holiday_name(date(2026, 10, 1), lang="zh") == "国庆节"


def test_holiday_name_is_none_on_an_ordinary_day(cn):
    assert cn.holiday_name(date(2026, 10, 9)) is None


def test_override_makes_a_holiday_a_working_day():
    cal = WorkingCalendar("CN", overrides={date(2026, 10, 5): True})
    assert cal.is_working_day(date(2026, 10, 5))
    assert cal.nth_working_day_after(date(2026, 9, 30), 1) == date(2026, 10, 5)


def test_override_makes_a_working_day_a_holiday():
    cal = WorkingCalendar("CN", overrides={date(2026, 10, 8): False, date(2026, 10, 10): False})
    assert not cal.is_working_day(date(2026, 10, 8))
    assert not cal.is_working_day(date(2026, 10, 10))
    assert cal.nth_working_day_after(date(2026, 9, 30), 2) == date(2026, 10, 12)


def test_override_can_make_a_sunday_a_working_day():
    cal = WorkingCalendar("CN", overrides={date(2026, 1, 11): True})
    assert cal.is_working_day(date(2026, 1, 11))
    assert not cal.is_swapped_working_day(date(2026, 1, 11))  # official swaps only


@pytest.mark.parametrize(
    ("day", "policy", "expected"),
    [
        (date(2026, 10, 3), "keep", date(2026, 10, 3)),
        (date(2026, 10, 3), "next", date(2026, 10, 8)),
        (date(2026, 10, 3), "previous", date(2026, 9, 30)),
        (date(2026, 10, 9), "next", date(2026, 10, 9)),
        (date(2026, 10, 9), "previous", date(2026, 10, 9)),
        (date(2026, 10, 11), "previous", date(2026, 10, 10)),
        (date(2026, 10, 11), "next", date(2026, 10, 12)),
    ],
)
def test_roll_moves_only_non_working_days(cn, day, policy, expected):
    assert cn.roll(day, policy) == expected


def test_roll_rejects_an_unknown_policy(cn):
    with pytest.raises(ValueError, match="Unknown roll policy"):
        cn.roll(date(2026, 10, 3), "skip")


# 2024-2026 are published (the package holds them); 2099 never will be while this code lives.
# Whether next year is known depends on the installed `holidays` release: no test asserts it.
@pytest.mark.parametrize(("year", "known"), [(2024, True), (2026, True), (2099, False)])
def test_china_is_known_only_for_published_years(cn, year, known):
    assert cn.is_known_year(year) is known


def test_the_last_published_year_is_what_the_package_ships():
    last = workdays.PUBLISHED_YEARLY["CN"]()
    assert last is not None and last >= 2026
    cn = WorkingCalendar("CN")
    assert cn.is_known_year(last) and not cn.is_known_year(last + 1)


def test_an_unknown_year_falls_back_to_weekends_with_one_warning(fresh_cache, caplog):
    cal = WorkingCalendar("CN")
    with caplog.at_level(logging.WARNING, logger="tracker.calendar"):
        assert cal.is_working_day(date(2099, 1, 1))  # a Thursday; New Year's Day not known
        assert not cal.is_working_day(date(2099, 1, 3))  # Saturday
        assert cal.is_working_day(date(2099, 1, 21))  # a Wednesday the package guesses is a holiday
        WorkingCalendar("CN").is_working_day(date(2099, 3, 2))
    warnings = [r for r in caplog.records if r.name == "tracker.calendar"]
    assert len(warnings) == 1
    assert warnings[0].levelno == logging.WARNING
    assert "CN" in warnings[0].getMessage() and "2099" in warnings[0].getMessage()


def test_an_unknown_year_still_honours_overrides(fresh_cache):
    cal = WorkingCalendar("CN", overrides={date(2099, 1, 1): False, date(2099, 1, 3): True})
    assert not cal.is_working_day(date(2099, 1, 1))
    assert cal.is_working_day(date(2099, 1, 3))


def test_an_unknown_year_has_no_holiday_names(fresh_cache, cn):
    assert cn.holiday_name(date(2099, 1, 1)) is None


def test_unknown_country_is_refused():
    with pytest.raises(ValueError, match="No holiday calendar for country 'XX'"):
        WorkingCalendar("XX")


def test_other_countries_use_their_own_holidays():
    us = WorkingCalendar("US")
    assert not us.is_working_day(date(2026, 7, 3))  # Independence Day observed (4 July is Sat)
    assert us.is_known_year(2027)


def test_a_datetime_is_not_taken_for_a_date(cn):
    with pytest.raises(TypeError):
        cn.is_working_day(datetime(2026, 10, 1, 9, 0))


def test_about_250_working_days_a_year_over_many_years(cn):
    day = date(2000, 1, 1)
    working = sum(cn.is_working_day(date.fromordinal(day.toordinal() + i)) for i in range(27 * 365))
    assert 6000 < working < 7000
