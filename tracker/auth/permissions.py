"""Who may see and do what. Every view calls one of these; nothing is left to the templates."""

from collections.abc import Callable
from functools import wraps

from flask import abort
from flask_login import current_user, login_required

from tracker.org.models import Person


def roles_required(*roles: str) -> Callable:
    """The view needs a signed-in person with one of these roles; anyone else gets 403."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


def can_see_scorecards(person: Person) -> bool:
    """Heads see their department's; leads and administrators see all; clerks do not."""
    return person.role in ("head", "lead", "admin")


def require(condition: bool) -> None:
    """Abort with 403 unless the condition holds."""
    if not condition:
        abort(403)
