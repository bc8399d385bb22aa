"""A signed-in session: started afresh with the person's session generation, checked on every
request, and where to go after signing in."""

from urllib.parse import urlsplit, urlunsplit

from flask import g, session
from flask_login import login_user, logout_user

from tracker.org.models import Person

GENERATION = "_generation"


def start(person: Person) -> None:
    """Sign the person in on a fresh session: nothing from before sign-in is kept, the CSRF
    token included, and the session remembers the person's current generation."""
    session.clear()
    g.pop("csrf_token", None)  # Flask-WTF's token of this request, made before sign-in
    login_user(person)
    keep(person)


def keep(person: Person) -> None:
    """This session stays valid after the person's generation moved on (own password change)."""
    session[GENERATION] = person.session_generation


def is_current(person: Person) -> bool:
    """False once the person signed out, changed or was given a new password since."""
    return session.get(GENERATION) == person.session_generation


def end() -> None:
    """Forget the signed-in person in this browser."""
    logout_user()
    session.clear()


def safe_next(target: str | None) -> str | None:
    """Where to go after sign-in: only ever a path on this site, rebuilt from its path and query;
    None for anything with a scheme, a host, a backslash, a control character or a space."""
    if not target or "\\" in target or any(not c.isprintable() or c.isspace() for c in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not parts.path.startswith("/"):
        return None
    if parts.path.startswith("//"):
        return None
    return urlunsplit(("", "", parts.path, parts.query, ""))
