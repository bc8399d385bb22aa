"""What the tracker accepts as input, in one place: ids, amounts, digits, years, time zones and
NUL bytes. Plain functions (for query strings and services), WTForms validators (beside the
field, in the person's language) and click parameter types (a clean error and exit code 2).

The limits come from the database: ids are BIGINT-sized (1 .. 2^63-1), amounts are
Numeric(14, 2) (twelve digits before the point, two after), and text columns cannot hold NUL on
PostgreSQL. Business times (events, requests, `--at`, `--now`, `--from`) fall in the years
2000-2100: wide enough for any history a dealer imports and any deadline it sets, narrow enough
that deadline arithmetic in any zone never leaves the years Python can represent.
"""

import re
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import click
from flask_babel import lazy_gettext as _l
from wtforms.validators import StopValidation

MAX_ID = 2**63 - 1
AMOUNT_DIGITS, AMOUNT_PLACES = 14, 2  # ledger amounts are Numeric(14, 2)
AMOUNT_LIMIT = Decimal(10) ** (AMOUNT_DIGITS - AMOUNT_PLACES)  # amounts stay below this
FIRST_YEAR, LAST_YEAR = 2000, 2100
MAX_ZONE_LENGTH = 64  # store.timezone is String(64)
ZONE_NAME = re.compile(r"[A-Za-z0-9_+\-]+(/[A-Za-z0-9_+\-]+)*")
MONTH = re.compile(r"([0-9]{4})-(0[1-9]|1[0-2])")

# --- the rules, as plain functions ---


def ascii_digits(value) -> bool:
    """True for a non-empty string of the digits 0-9 only (isdigit() also takes '¹' and '٢')."""
    return isinstance(value, str) and value.isascii() and value.isdigit()


def parse_id(value, minimum: int = 1) -> int | None:
    """An id (or a version, with minimum=0) written in ASCII digits within the database's
    range, or None."""
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif ascii_digits(value) and len(value) <= 19:
        number = int(value)
    else:
        return None
    return number if minimum <= number <= MAX_ID else None


def parse_ids(values) -> list[int]:
    """The valid ids among several texts (a query string's `ids`), the others left out."""
    return [n for n in (parse_id(v) for v in values) if n is not None]


def amount_fits(value: Decimal) -> bool:
    """True when the amount is a finite number the amount columns can hold."""
    try:
        return value.is_finite() and abs(value) < AMOUNT_LIMIT
    except (InvalidOperation, AttributeError):
        return False


def year_in_range(value: date | datetime) -> bool:
    """True when a business date or time falls in the years the tracker accepts."""
    return FIRST_YEAR <= value.year <= LAST_YEAR


def zone_name_shaped(name) -> bool:
    """True for text shaped like a zone name: at most 64 letters, digits and / _ - +. Safe to
    hand to zoneinfo (a 2,000-character name made its lookup fail, 'File name too long')."""
    return (
        isinstance(name, str)
        and 0 < len(name) <= MAX_ZONE_LENGTH
        and bool(ZONE_NAME.fullmatch(name))
    )


def zone_name_ok(name) -> bool:
    """True for a time zone zoneinfo knows; the shape is checked before any file is read."""
    if not zone_name_shaped(name):
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return False
    return True


def month_ok(value) -> bool:
    """True for YYYY-MM in ASCII digits, in the years the tracker accepts."""
    match = MONTH.fullmatch(value) if isinstance(value, str) else None
    return bool(match) and FIRST_YEAR <= int(match.group(1)) <= LAST_YEAR


def has_nul(value) -> bool:
    """True when a text, or any text inside lists and dicts (JSON), holds a NUL character."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(has_nul(k) or has_nul(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(has_nul(v) for v in value)
    return False


# --- WTForms validators: a message beside the field; StopValidation, so that the field's own
# checks (which would fail on NaN or on year 1) never see the value. ---

AMOUNT_MESSAGE = _l("Write an amount such as 1234.50, below 1,000,000,000,000.")
YEAR_MESSAGE = _l("Give a date between the years 2000 and 2100.")
ZONE_MESSAGE = _l("Not a time zone: use a name such as Asia/Shanghai.")
VERSION_MESSAGE = _l("This page is out of date: reload it and try again.")
NUL_MESSAGE = _l("This text holds a character that cannot be kept (NUL).")


class Amount:
    """A finite amount the amount columns can hold (DecimalField)."""

    def __call__(self, form, field) -> None:
        if field.data is not None and not amount_fits(field.data):
            field.data = None
            raise StopValidation(str(AMOUNT_MESSAGE))


class BusinessDate:
    """A date or time in the years 2000-2100 (DateField, DateTimeLocalField)."""

    def __call__(self, form, field) -> None:
        if field.data is not None and not year_in_range(field.data):
            raise StopValidation(str(YEAR_MESSAGE))


class TimeZoneName:
    """Text shaped like a zone name (length, characters); the form's own check then asks
    zoneinfo, safely, and explains an unknown zone in its words."""

    def __call__(self, form, field) -> None:
        if field.data and not zone_name_shaped(field.data):
            raise StopValidation(str(ZONE_MESSAGE))


class Month:
    """YYYY-MM in ASCII digits, years 2000-2100."""

    def __init__(self, message=None):
        self.message = message

    def __call__(self, form, field) -> None:
        if field.data and not month_ok(field.data):
            raise StopValidation(str(self.message or YEAR_MESSAGE))


class Version:
    """A hidden state version (the stale-tab check): ASCII digits in the database's range."""

    def __call__(self, form, field) -> None:
        if field.data not in (None, "") and parse_id(field.data, minimum=0) is None:
            raise StopValidation(str(VERSION_MESSAGE))


class NoNul:
    """Text without NUL (the app's guard refuses it for every request; forms say it too)."""

    def __call__(self, form, field) -> None:
        if has_nul(field.data):
            raise StopValidation(str(NUL_MESSAGE))


def id_choice(value) -> str:
    """A SelectField coerce for id choices: "" or an id in range, else ValueError (the field
    keeps its default, so a GET filter reads as 'all' instead of failing)."""
    if value in (None, ""):
        return ""
    if parse_id(str(value)) is None:
        raise ValueError(str(_l("Not one of the choices.")))
    return str(value)


# --- click parameter types: click.BadParameter, i.e. a usage error and exit code 2 ---


class DatabaseId(click.ParamType):
    """An id in the database's range (1 .. 2^63-1), in ASCII digits."""

    name = "id"

    def convert(self, value, param, ctx):
        number = parse_id(value if isinstance(value, int) else str(value))
        if number is None:
            self.fail(f"{value!r} is not an id (a whole number from 1 to {MAX_ID})", param, ctx)
        return number


class AmountText(click.ParamType):
    """An amount the columns can hold. The text is passed on as written, so that the service
    explains a text that is no amount, a negative one or one with three decimals."""

    name = "amount"

    def convert(self, value, param, ctx):
        try:
            amount = Decimal(str(value))
        except (InvalidOperation, ValueError):
            return value
        if not amount_fits(amount):
            self.fail(
                f"{value!r} is not an amount the tracker can keep (finite, below {AMOUNT_LIMIT:,})",
                param,
                ctx,
            )
        return value


class BusinessInstantText(click.ParamType):
    """An ISO 8601 time in the years 2000-2100. The text is passed on as written, so that the
    command explains a text that is no time or has no zone, as it always has."""

    name = "time"

    def convert(self, value, param, ctx):
        try:
            parsed = datetime.fromisoformat(str(value))
        except ValueError:
            return value
        if not year_in_range(parsed):
            self.fail(f"{value!r} is outside the years {FIRST_YEAR}-{LAST_YEAR}", param, ctx)
        return value


class TimeZoneText(click.ParamType):
    """A time zone name, checked by length and characters before zoneinfo looks it up."""

    name = "zone"

    def convert(self, value, param, ctx):
        if not isinstance(value, str) or len(value) > MAX_ZONE_LENGTH:
            self.fail(f"a time zone name has at most {MAX_ZONE_LENGTH} characters", param, ctx)
        if not ZONE_NAME.fullmatch(value):
            self.fail(
                f"{value!r} is not a time zone name (letters, digits, / _ - +; e.g. Asia/Shanghai)",
                param,
                ctx,
            )
        return value


class Text(click.ParamType):
    """Any text without NUL (PostgreSQL cannot keep it)."""

    name = "text"

    def convert(self, value, param, ctx):
        if has_nul(value):
            self.fail("the text holds a NUL character", param, ctx)
        return value


class WorkingDayOfMonth(click.ParamType):
    """A month-end rule's day: 1..23 the Nth working day, -1 the last, -2..-23 the Nth-last."""

    name = "N"
    limit = 23  # tracker.calendar.deadlines.MAX_WORKING_DAY

    def convert(self, value, param, ctx):
        text = str(value).strip()
        digits = text[1:] if text.startswith("-") else text
        number = int(text) if ascii_digits(digits) and len(digits) <= 3 else None
        if number is None or not 1 <= abs(number) <= self.limit:
            self.fail(
                f"{value!r} is not a working day of the month: 1..{self.limit} (the Nth), "
                f"-1 (the last) or -2..-{self.limit} (the Nth-last)",
                param,
                ctx,
            )
        return number


ID = DatabaseId()
AMOUNT = AmountText()
INSTANT = BusinessInstantText()
ZONE = TimeZoneText()
TEXT = Text()
WORKING_DAY = WorkingDayOfMonth()
COUNT = click.IntRange(max=1000)  # occurrences `tracker due --count` lists at most
