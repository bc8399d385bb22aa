"""The start page: each person lands where their work is."""

from flask import Blueprint, current_app, redirect, render_template, url_for
from flask_login import current_user, login_required

from tracker.extensions import db
from tracker.ledger.permissions import has_inbox

bp = Blueprint("home", __name__)


@bp.get("/")
@login_required
def index():
    """Receivers start at their inbox, everyone else at what their department owes."""
    for endpoint, wanted in (
        ("inbox.index", has_inbox(db.session, current_user)),
        ("ledger.mine", True),
    ):
        if wanted and endpoint in current_app.view_functions:
            return redirect(url_for(endpoint))
    return render_template("home.html")
