"""The start page: each person lands where their work is."""

from flask import Blueprint, current_app, redirect, render_template, url_for
from flask_login import current_user, login_required

from tracker import clock
from tracker.cockpit.permissions import has_cockpit
from tracker.extensions import db
from tracker.ledger import display
from tracker.ledger.day import clerk_day

bp = Blueprint("home", __name__)
display.register(bp)  # the ledger's template helpers: the day lists its deliverables


@bp.get("/")
@login_required
def index():
    """Leads, heads and receiving clerks start at the "now" cockpit; the clerks of providing
    departments at their day: overdue, due today and this week, returned to them, handed in."""
    if has_cockpit(db.session, current_user) and "cockpit.index" in current_app.view_functions:
        return redirect(url_for("cockpit.index"))
    now = clock.now()
    day = clerk_day(db.session, current_user, now)
    return render_template("home.html", day=day, now=now)
