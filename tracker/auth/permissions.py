"""Who may see and do what. Every view calls one of these; nothing is left to the templates."""

from collections.abc import Callable
from functools import wraps

from flask import abort
from flask_login import current_user, login_required

from tracker.ledger.models import Deliverable
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


def can_see_store(person: Person, store_id: int) -> bool:
    """People see their own store; leads and administrators see every store."""
    return person.sees_all_stores or person.store_id == store_id


def can_see_deliverable(person: Person, deliverable: Deliverable) -> bool:
    """Anyone of the store may look (a deal file spans departments); acting is narrower."""
    return can_see_store(person, deliverable.store_id)


def is_receiving_department(person: Person) -> bool:
    """True when some commitment's receiver is this person's department (Finance, usually)."""
    from sqlalchemy import select

    from tracker.catalog.models import Commitment
    from tracker.extensions import db

    return (
        db.session.scalar(
            select(Commitment.id).where(Commitment.receiver_id == person.department_id).limit(1)
        )
        is not None
    )


def require(condition: bool) -> None:
    """Abort with 403 unless the condition holds."""
    if not condition:
        abort(403)
