"""Languages and local times: Flask-Babel set up, and the filters templates use for times."""

from datetime import datetime
from pathlib import Path

from flask import Flask, Response, request
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from tracker.extensions import babel

LANGUAGES = ("zh", "en")
# Before sign-in, the language picked on the sign-in page (?lang=) is kept in this cookie.
LANGUAGE_COOKIE = "lang"
TRANSLATIONS = Path(__file__).resolve().parent.parent / "translations"


def picked_language() -> str | None:
    """The language chosen before sign-in: `?lang=` now, else the one remembered."""
    for value in (request.args.get("lang"), request.cookies.get(LANGUAGE_COOKIE)):
        if value in LANGUAGES:
            return value
    return None


def select_locale() -> str:
    """The person's own language; before sign-in, the one picked on the sign-in page, else
    the browser's, else Chinese."""
    if current_user and current_user.is_authenticated:
        return current_user.language
    return picked_language() or request.accept_languages.best_match(LANGUAGES) or "zh"


def remember_language(response: Response) -> Response:
    """A language picked with `?lang=` is remembered (until sign-in, when the person's own
    language takes over)."""
    picked = request.args.get("lang")
    if picked in LANGUAGES and picked != request.cookies.get(LANGUAGE_COOKIE):
        response.set_cookie(
            LANGUAGE_COOKIE,
            picked,
            max_age=365 * 24 * 3600,
            secure=request.is_secure,
            httponly=True,
            samesite="Lax",
        )
    return response


def select_timezone() -> str | None:
    """Times are shown in the zone of the person's store."""
    if current_user and current_user.is_authenticated:
        return current_user.store.timezone
    return None


def init_app(app: Flask) -> None:
    """Bind Flask-Babel (one translation folder per area) and register the time filters."""
    # Each area keeps its own catalogue, translations/<area>/zh/LC_MESSAGES/messages.po, so
    # areas can be translated (and merged) without touching each other.
    folders = sorted(str(p) for p in TRANSLATIONS.iterdir() if p.is_dir())
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", ";".join(folders))
    app.config.setdefault("BABEL_DEFAULT_LOCALE", "zh")
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)
    app.after_request(remember_language)
    app.jinja_env.globals["get_locale"] = get_locale
    app.jinja_env.filters["local"] = local_time
    app.jinja_env.filters["duration"] = duration
    app.jinja_env.filters["local_iso"] = local_iso


def local_time(instant: datetime | None, zone, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """An instant as wall-clock time in a store's zone (a ZoneInfo or a Store)."""
    if instant is None:
        return ""
    zone = getattr(zone, "zone", zone)
    return instant.astimezone(zone).strftime(fmt)


def local_iso(value: str | None, zone, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """An instant kept as ISO 8601 text (the audit trail's JSON) as wall-clock time."""
    if not value:
        return ""
    try:
        return local_time(datetime.fromisoformat(value), zone, fmt)
    except (TypeError, ValueError):
        return str(value)


def duration(seconds: float | int | None) -> str:
    """A length of time for people: '2 d 3 h', '5 h 10 min', '12 min'."""
    if seconds is None:
        return ""
    minutes = int(abs(seconds)) // 60
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    if days:
        return _("%(d)d d %(h)d h", d=days, h=hours)
    if hours:
        return _("%(h)d h %(m)d min", h=hours, m=minutes)
    return _("%(m)d min", m=minutes)
