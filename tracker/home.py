"""The start page: each person lands where their work is."""

from flask import Blueprint, current_app, redirect, render_template, url_for
from flask_login import current_user, login_required

from tracker.cockpit.permissions import has_cockpit
from tracker.extensions import db

bp = Blueprint("home", __name__)


@bp.get("/")
@login_required
def index():
    """Leads, heads and receiving clerks start at the "now" cockpit; the clerks of providing
    departments at what their department owes."""
    for endpoint, wanted in (
        ("cockpit.index", has_cockpit(db.session, current_user)),
        ("ledger.mine", True),
    ):
        if wanted and endpoint in current_app.view_functions:
            return redirect(url_for(endpoint))
    return render_template("home.html")
