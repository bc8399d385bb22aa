"""Helpers every area's pages share: the deliverable a person may see, a domain error explained
in the person's language, an id read from a form or a query string."""

from flask import abort, flash, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user

from tracker import validation
from tracker.errors import Conflict, NotAllowed, NotFound, TrackerError
from tracker.extensions import db
from tracker.ledger.models import Deliverable
from tracker.ledger.permissions import may_see_deliverable


def visible_deliverable(deliverable_id: int) -> Deliverable:
    """The deliverable, if this person may see it: 404 if none, 403 if another store's."""
    deliverable = db.session.get(Deliverable, deliverable_id)
    if deliverable is None:
        abort(404)
    if not may_see_deliverable(current_user, deliverable):
        abort(403)
    return deliverable


def explain(exc: TrackerError) -> str:
    """A domain error in the person's language where the page knows what it means."""
    if isinstance(exc, Conflict):
        return _(
            "Someone changed this a moment ago (perhaps in another tab); nothing was done. "
            "Here is where it stands now."
        )
    return exc.localized()


def parse_id(value: object) -> int | None:
    """A whole number (an id or a version) from a form or a query string, in ASCII digits and
    the database's range, or None."""
    text = "" if value is None else str(value)
    return validation.parse_id(text, minimum=0)


def abort_if_refused(exc: TrackerError) -> None:
    """Answer 403 or 404 for a refusal a person cannot fix on the page."""
    if isinstance(exc, NotAllowed):
        abort(403)
    if isinstance(exc, NotFound):
        abort(404)


def refused(exc: TrackerError, endpoint: str, **values):
    """After a refused change (nothing written): say why and show where things stand."""
    abort_if_refused(exc)
    flash(explain(exc), "error")
    return redirect(url_for(endpoint, **values))
