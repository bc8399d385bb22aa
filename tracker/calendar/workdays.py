"""Working calendar of a store: weekends, public holidays, swapped working days, overrides."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache

import holidays

log = logging.getLogger("tracker.calendar")

# Rolling to the next/previous working day gives up after this many days: only a broken set of
# overrides (years of holidays in a row) could get there.
_MAX_SEARCH_DAYS = 3660

_ONE_DAY = timedelta(days=1)


def _china_last_published_year() -> int | None:
    """Last year whose official Chinese holiday calendar (with its swaps) `holidays` ships."""
    try:
        from holidays.countries.china import ChinaStaticHolidays
    except ImportError:  # pragma: no cover - only on a much older or newer `holidays`
        return None
    years = getattr(ChinaStaticHolidays, "special_public_holidays", None) or {}
    return max(years) if years else None


# Countries whose government publishes the holiday calendar, with its swapped weekend working
# days, one year at a time (China's State Council every November for the next year). `holidays`
# can compute the festivals of later years, but not the swaps, so those years would be wrong in
# both directions; they count as unknown until the package ships the published calendar.
PUBLISHED_YEARLY: dict[str, Callable[[], int | None]] = {
    "CN": _china_last_published_year,
}


@dataclass(frozen=True)
class _Year:
    known: bool
    non_working: frozenset[date]
    swapped: frozenset[date]


_warned: set[tuple[str, int]] = set()
_warned_lock = threading.Lock()


@lru_cache(maxsize=64)
def _entity(country: str, subdiv: str | None) -> type[holidays.HolidayBase]:
    try:
        return type(holidays.country_holidays(country, subdiv=subdiv, years=[]))
    except NotImplementedError as exc:
        where = f"{country}/{subdiv}" if subdiv else country
        raise ValueError(f"No holiday calendar for country {where!r}: {exc}") from exc


def _holidays_for(
    country: str, subdiv: str | None, year: int, language: str | None = None
) -> holidays.HolidayBase:
    if language not in _entity(country, subdiv).supported_languages:
        language = None
    # Only the public category: "half_day" (and the rest) are working days for the tracker.
    return holidays.country_holidays(
        country, subdiv=subdiv, years=year, categories=(holidays.PUBLIC,), language=language
    )


@lru_cache(maxsize=64)
def _year_range(country: str, subdiv: str | None) -> tuple[int, int]:
    cls = _entity(country, subdiv)
    last = cls.end_year
    published = PUBLISHED_YEARLY.get(country)
    if published is not None:
        last_published = published()
        if last_published is not None:
            last = min(last, last_published)
    return cls.start_year, last


@lru_cache(maxsize=1024)
def _year_table(country: str, subdiv: str | None, year: int) -> _Year:
    first, last = _year_range(country, subdiv)
    jan_1 = date(year, 1, 1)
    days = [jan_1 + timedelta(days=i) for i in range((date(year + 1, 1, 1) - jan_1).days)]
    if not first <= year <= last:
        _warn_unknown(country, year)
        weekend = _entity(country, subdiv).weekend
        return _Year(
            known=False,
            non_working=frozenset(d for d in days if d.weekday() in weekend),
            swapped=frozenset(),
        )
    h = _holidays_for(country, subdiv, year)
    # is_weekend() rather than the class's `weekend`: a few countries moved their weekend.
    weekend = {d for d in days if h.is_weekend(d)}
    swapped = frozenset(d for d in h.weekend_workdays if d.year == year and d in weekend)
    public = {d for d in h if d.year == year}
    return _Year(known=True, non_working=frozenset((weekend - swapped) | public), swapped=swapped)


@lru_cache(maxsize=256)
def _names(country: str, subdiv: str | None, year: int, language: str) -> dict[date, str]:
    h = _holidays_for(country, subdiv, year, language)
    return {d: name for d, name in h.items() if d.year == year}


def _warn_unknown(country: str, year: int) -> None:
    with _warned_lock:
        if (country, year) in _warned:
            return
        _warned.add((country, year))
    log.warning(
        "The holiday calendar of %s for %d is not known yet: counting only weekends as "
        "non-working days (add the official holidays as calendar overrides)",
        country,
        year,
    )


def clear_cache() -> None:
    """Forget the memoised calendars and warnings (for tests and after upgrading `holidays`)."""
    _entity.cache_clear()
    _year_range.cache_clear()
    _year_table.cache_clear()
    _names.cache_clear()
    with _warned_lock:
        _warned.clear()


def _check_date(day: date) -> None:
    # A datetime is a date too, but would never match the date keys and silently count as working.
    if isinstance(day, datetime) or not isinstance(day, date):
        raise TypeError(f"Expected a date, got {day!r}")


def _imported_year(
    country: str, subdiv: str | None, year: int, official: Mapping[date, tuple[bool, str | None]]
) -> _Year:
    """A year whose official calendar an administrator imported: the weekend, then the
    imported holidays and swapped working days. It replaces the package's year wholly: the
    State Council's list is the whole of it."""
    weekend = _entity(country, subdiv).weekend
    jan_1 = date(year, 1, 1)
    days = [jan_1 + timedelta(days=i) for i in range((date(year + 1, 1, 1) - jan_1).days)]
    non_working, swapped = set(), set()
    for day in days:
        listed = official.get(day)
        off = day.weekday() in weekend
        if listed is not None:
            if listed[0] and off:
                swapped.add(day)
            off = not listed[0]
        if off:
            non_working.add(day)
    return _Year(known=True, non_working=frozenset(non_working), swapped=frozenset(swapped))


class WorkingCalendar:
    """Working days of a store: the country's weekends and public holidays (or its imported
    official calendar for a year), then overrides."""

    def __init__(
        self,
        country: str = "CN",
        subdiv: str | None = None,
        overrides: Mapping[date, bool] | None = None,
        official: Mapping[date, tuple[bool, str | None]] | None = None,
    ) -> None:
        self.country = country.upper()
        self.subdiv = subdiv
        _year_range(self.country, subdiv)  # fails early on an unknown country or subdivision
        self.overrides: dict[date, bool] = {}
        for day, working in (overrides or {}).items():
            _check_date(day)
            self.overrides[day] = bool(working)
        # Imported official days, (working, name) by date; their years replace the package's.
        self.official: dict[date, tuple[bool, str | None]] = dict(official or {})
        self.official_years = frozenset(day.year for day in self.official)
        self._years: dict[int, _Year] = {}

    def __repr__(self) -> str:
        where = f"{self.country}/{self.subdiv}" if self.subdiv else self.country
        return f"<WorkingCalendar {where} overrides={len(self.overrides)}>"

    def _year(self, year: int) -> _Year:
        table = self._years.get(year)
        if table is None:
            if year in self.official_years:
                table = _imported_year(self.country, self.subdiv, year, self.official)
            else:
                table = _year_table(self.country, self.subdiv, year)
            self._years[year] = table
        return table

    def is_working_day(self, day: date) -> bool:
        """Whether `day` is a working day, overrides first."""
        override = self.overrides.get(day)
        if override is not None:
            return override
        _check_date(day)
        return day not in self._year(day.year).non_working

    def holiday_name(self, day: date, lang: str = "en") -> str | None:
        """Name of the public holiday on `day` in a year the calendar knows, else None."""
        _check_date(day)
        if not self._year(day.year).known:
            return None
        if day.year in self.official_years:
            working, name = self.official.get(day, (True, None))
            return None if working else name
        language = "zh_CN" if lang.lower().startswith("zh") else "en_US"
        return _names(self.country, self.subdiv, day.year, language).get(day)

    def is_swapped_working_day(self, day: date) -> bool:
        """Whether `day` is a weekend day officially worked (China's 调休); overrides aside."""
        _check_date(day)
        return day in self._year(day.year).swapped

    def nth_working_day_after(self, day: date, n: int) -> date:
        """The `n`th working day strictly after `day` (n >= 1)."""
        if n < 1:
            raise ValueError(f"n must be at least 1, got {n}")
        found = 0
        for _ in range(_MAX_SEARCH_DAYS * n):
            day += _ONE_DAY
            if self.is_working_day(day):
                found += 1
                if found == n:
                    return day
        raise ValueError(f"No {n} working days found after {day}")

    def roll(self, day: date, policy: str) -> date:
        """Move `day` by policy: "keep" as is, "next"/"previous" to the nearest working day."""
        if policy == "keep":
            return day
        if policy not in ("next", "previous"):
            raise ValueError(f"Unknown roll policy {policy!r}: use 'keep', 'next' or 'previous'")
        step = _ONE_DAY if policy == "next" else -_ONE_DAY
        current = day
        for _ in range(_MAX_SEARCH_DAYS):
            if self.is_working_day(current):
                return current
            current += step
        raise ValueError(f"No working day within {_MAX_SEARCH_DAYS} days of {day} ({policy})")

    def is_known_year(self, year: int) -> bool:
        """Whether the official holidays of `year` are known (else only weekends count)."""
        if year in self.official_years:
            return True
        first, last = _year_range(self.country, self.subdiv)
        return first <= year <= last


def year_known(
    country: str, subdiv: str | None, year: int, imported: frozenset[tuple[str, int]]
) -> bool:
    """Whether `year`'s official calendar of `country` is known: imported, or in the package."""
    if (country.upper(), year) in imported:
        return True
    first, last = _year_range(country.upper(), subdiv)
    return first <= year <= last
