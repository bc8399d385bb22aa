"""The feed itself (no session: the key in the URL is the credential) and its renewal."""

from flask import Blueprint, Response, abort, current_app, flash, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from tracker import clock
from tracker.extensions import csrf, db
from tracker.feeds import service

bp = Blueprint("feeds", __name__)


@bp.get("/feed/<key>.ics")
@csrf.exempt
def feed(key: str):
    """A person's calendar of open deliverables; an unknown or renewed key is a 404."""
    person = service.person_for_key(db.session, key)
    if person is None:
        abort(404)
    items = service.feed_items(db.session, person)
    body = service.calendar_bytes(
        person, items, base_url=current_app.config["BASE_URL"], now=clock.now()
    )
    headers = {"Cache-Control": "private, no-store", "Referrer-Policy": "no-referrer"}
    return Response(body, mimetype="text/calendar", headers=headers)


@bp.post("/profile/feed")
@login_required
def renew():
    """Make a new feed URL; the old one stops working."""
    service.renew_key(db.session, current_user, now=clock.now())
    db.session.commit()
    flash(_("Your calendar has a new address; the old one no longer works."), "success")
    return redirect(url_for("auth.profile"))
