"""A year's official calendar imported for every store of a country: the State Council's list
of holidays and swapped working days (调休), pasted as a short table or uploaded as an ICS file.

The table, one day (or a range of days) a line, fields split by a comma, a tab or spaces:

    2027-01-01 holiday 元旦
    2027-02-06..2027-02-12, 休, 春节
    2027-02-07 workday 春节调休

The second field says what the day is: `holiday` (also `off`, `休`, `假`, `放假`, `休息`) or
`workday` (also `working`, `work`, `班`, `上班`, `补班`); the rest of the line is the day's name.
Blank lines and lines starting with `#` are skipped. An ICS file gives one event a day or a span
of days (DTEND excluded); an event whose summary says `班`, `上班`, `补班` or `work` is a
working day, any other a holiday; a trailing "(休)" or "(班)" is dropped from the name.

Every day must fall in one year (the one asked for, when one is). The imported year replaces
what the `holidays` package says of it, and counts as known; store overrides still win."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from tracker.calendar.models import OfficialDay
from tracker.calendar.service import official_days
from tracker.calendar.workdays import WorkingCalendar
from tracker.errors import N_, BadInput
from tracker.org.models import Store

HOLIDAY_WORDS = {"holiday", "off", "休", "假", "放假", "休息", "节假日"}
WORKDAY_WORDS = {"workday", "working", "work", "班", "上班", "补班"}
_WORKING_SUMMARY = re.compile(r"班|\bwork", re.IGNORECASE)
_MARK = re.compile(r"\s*[(（]\s*[休班]\s*[)）]\s*$")
_SPLIT = re.compile(r"\s*[,\t，]\s*|\s+")
MAX_SPAN_DAYS = 31
MAX_LINES = 400


@dataclass(frozen=True)
class OfficialEntry:
    """One day of an imported official calendar."""

    day: date
    working: bool
    name: str | None


@dataclass(frozen=True)
class Change:
    """A day the import makes different from the calendar the stores use today."""

    day: date
    before: bool  # working before the import
    after: bool  # working after it
    name: str | None


@dataclass(frozen=True)
class ImportPreview:
    """What an import would change for a country's stores, before it is saved."""

    country: str
    year: int
    entries: list[OfficialEntry]
    changes: list[Change]
    known_before: bool  # whether the year's official calendar was known already
    stores: list[Store]


def _day(text: str, line: int) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise BadInput(
            N_("line %(line)d: %(value)r is not a date (YYYY-MM-DD)"), line=line, value=text
        ) from None


def _span(first: date, last: date, line: int) -> list[date]:
    if last < first or (last - first).days >= MAX_SPAN_DAYS:
        raise BadInput(
            N_("line %(line)d: a range of days runs forward, at most %(max)d days"),
            line=line,
            max=MAX_SPAN_DAYS,
        )
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def parse_table(text: str) -> list[OfficialEntry]:
    """The days of a pasted table (see the module's text); BadInput names the line at fault."""
    entries = []
    lines = (text or "").splitlines()
    if len(lines) > MAX_LINES:
        raise BadInput(N_("at most %(max)d lines at a time"), max=MAX_LINES)
    for number, raw in enumerate(lines, start=1):
        line = raw.strip().lstrip("\ufeff")
        if not line or line.startswith("#"):
            continue
        fields = _SPLIT.split(line, maxsplit=2)
        if len(fields) < 2:
            raise BadInput(
                N_("line %(line)d: write the day and whether it is a holiday or a workday"),
                line=number,
            )
        when, word = fields[0], fields[1].strip().lower()
        if word in HOLIDAY_WORDS:
            working = False
        elif word in WORKDAY_WORDS:
            working = True
        else:
            raise BadInput(
                N_("line %(line)d: %(value)r is neither holiday (休) nor workday (班)"),
                line=number,
                value=fields[1],
            )
        name = fields[2].strip() if len(fields) > 2 and fields[2].strip() else None
        first, _sep, last = when.partition("..")
        days = _span(_day(first, number), _day(last, number), number) if last else None
        for day in days or [_day(first, number)]:
            entries.append(OfficialEntry(day, working, name[:200] if name else None))
    return _checked(entries)


def parse_ics(data: bytes) -> list[OfficialEntry]:
    """The days of an ICS file's events (see the module's text); BadInput when it is not one."""
    import icalendar

    try:
        cal = icalendar.Calendar.from_ical(data)
        events = list(cal.walk("VEVENT"))
    except (ValueError, IndexError, KeyError, UnicodeDecodeError):
        raise BadInput(N_("the file is not an iCalendar (ICS) file")) from None
    entries = []
    for number, event in enumerate(events, start=1):
        start, end = event.get("DTSTART"), event.get("DTEND")
        first = getattr(start, "dt", None)
        if isinstance(first, datetime) or not isinstance(first, date):
            raise BadInput(N_("event %(line)d of the file has no all-day date"), line=number)
        last = getattr(end, "dt", None)
        if isinstance(last, datetime) or not isinstance(last, date) or last <= first:
            last = first + timedelta(days=1)
        summary = str(event.get("SUMMARY") or "").strip()
        working = bool(_WORKING_SUMMARY.search(summary))
        name = _MARK.sub("", summary).strip() or None
        for day in _span(first, last - timedelta(days=1), number):
            entries.append(OfficialEntry(day, working, name[:200] if name else None))
    return _checked(entries)


def _checked(entries: list[OfficialEntry]) -> list[OfficialEntry]:
    if not entries:
        raise BadInput(N_("no days found: nothing to import"))
    seen: dict[date, bool] = {}
    for e in entries:
        if seen.setdefault(e.day, e.working) != e.working:
            raise BadInput(
                N_("%(day)s is listed both as a holiday and as a workday"), day=e.day.isoformat()
            )
    unique = {e.day: e for e in entries}
    return [unique[d] for d in sorted(unique)]


def entries_year(entries: list[OfficialEntry], year: int | None) -> int:
    """The one year every entry falls in (the one asked for, when one is)."""
    years = sorted({e.day.year for e in entries})
    if year is None and len(years) == 1:
        return years[0]
    found = ", ".join(str(y) for y in years)
    if year is None:
        raise BadInput(N_("every day must fall in one year: found %(years)s"), years=found)
    if years != [year]:
        raise BadInput(
            N_("every day must fall in %(year)d: found %(years)s"), year=year, years=found
        )
    return year


def country_stores(session: Session, country: str) -> list[Store]:
    """The stores whose working calendar is this country's, by code."""
    return list(
        session.scalars(select(Store).where(Store.country == country.upper()).order_by(Store.code))
    )


def preview_import(
    session: Session, country: str, entries: list[OfficialEntry], year: int | None = None
) -> ImportPreview:
    """What importing these days would change in the country's calendar (overrides aside)."""
    country = (country or "").strip().upper()
    stores = country_stores(session, country)
    if not stores:
        raise BadInput(N_("no store has the working calendar of %(country)r"), country=country)
    year = entries_year(entries, year)
    existing = official_days(session, [country])[country]
    try:
        before = WorkingCalendar(country, subdiv=None, official=existing)
    except ValueError:
        raise BadInput(N_("no holiday calendar for country %(country)r"), country=country) from None
    imported = {d: v for d, v in existing.items() if d.year != year}
    imported |= {e.day: (e.working, e.name) for e in entries}
    after = WorkingCalendar(country, subdiv=None, official=imported)
    changes = []
    day = date(year, 1, 1)
    names = {e.day: e.name for e in entries}
    while day.year == year:
        was, now_working = before.is_working_day(day), after.is_working_day(day)
        if was != now_working:
            changes.append(Change(day, was, now_working, names.get(day)))
        day += timedelta(days=1)
    return ImportPreview(country, year, entries, changes, before.is_known_year(year), stores)


def save_import(session: Session, preview: ImportPreview) -> None:
    """Store the previewed year for the country: it replaces what was imported for that year."""
    session.execute(
        delete(OfficialDay).where(
            OfficialDay.country == preview.country, OfficialDay.year == preview.year
        )
    )
    session.add_all(
        OfficialDay(
            country=preview.country, year=preview.year, day=e.day, working=e.working, name=e.name
        )
        for e in preview.entries
    )
    session.flush()


def format_table(entries: list[OfficialEntry]) -> str:
    """The entries as the pasted table reads them back, one day a line."""
    return "\n".join(
        f"{e.day.isoformat()} {'workday' if e.working else 'holiday'} {e.name or ''}".rstrip()
        for e in entries
    )
