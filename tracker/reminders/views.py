"""One's own reminder choices: the digest's time of day, and which notices arrive at once."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from tracker.errors import BadInput
from tracker.extensions import db
from tracker.reminders import preferences
from tracker.reminders.forms import preferences_form
from tracker.reminders.permissions import may_choose_reminders

bp = Blueprint("reminders", __name__)


@bp.route("/profile/reminders", methods=["GET", "POST"])
@login_required
def choose():
    """Save the choices (the profile page shows the same form); bad input: beside the field."""
    if not may_choose_reminders(current_user):
        abort(403)
    form = preferences_form(
        preferences.preference_of(db.session, current_user),
        preferences.digest_times(current_user),
    )
    if form.validate_on_submit() and _saved(form):
        flash(_("Saved."), "success")
        return redirect(url_for("auth.profile"))
    status = 400 if request.method == "POST" else 200
    return render_template("reminders/preferences.html", form=form), status


def _saved(form) -> bool:
    """Save the person's choices; a refusal goes beside the digest time and saves nothing."""
    try:
        preferences.set_preferences(
            db.session, current_user, digest_at=form.digest_at.data, at_once=form.at_once()
        )
    except BadInput as exc:
        db.session.rollback()
        form.digest_at.errors.append(exc.localized())
        return False
    db.session.commit()
    return True
