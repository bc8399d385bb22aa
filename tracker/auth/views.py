"""Signing in and out, and one's own profile and password."""

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from tracker import clock
from tracker.api import service as api
from tracker.auth import service, sessions
from tracker.auth.forms import ChangePasswordForm, ProfileForm, SignInForm
from tracker.auth.service import SignInRefused
from tracker.errors import BadInput
from tracker.extensions import db
from tracker.feeds import service as feeds
from tracker.reminders import preferences
from tracker.reminders.forms import preferences_form

bp = Blueprint("auth", __name__)


@bp.route("/login", methods=["GET", "POST"])
def login():
    """The sign-in page; each attempt is counted before its password is checked."""
    if current_user.is_authenticated:
        return redirect(url_for("home.index"))
    form = SignInForm()
    if not form.validate_on_submit():
        return render_template("auth/login.html", form=form)
    email, address = form.email.data, request.remote_addr
    try:
        service.count_attempt(db.session, email, address, clock.now())
        db.session.commit()  # counted even if this process dies while checking the password
        person = service.check_credentials(db.session, email, form.password.data, address)
    except SignInRefused as exc:
        db.session.commit()
        form.password.errors.append(_refusal(exc))
        return render_template("auth/login.html", form=form), 401
    db.session.commit()
    sessions.start(person)
    return redirect(sessions.safe_next(request.args.get("next")) or url_for("home.index"))


@bp.post("/logout")
@login_required
def logout():
    """Sign out everywhere (a POST with its CSRF token, so no link can sign anyone out)."""
    service.end_sessions(db.session, current_user)
    db.session.commit()
    sessions.end()
    return redirect(url_for("auth.login"))


@bp.route("/profile", methods=["GET", "POST"])
@login_required
def profile():
    """Change one's own language; one's calendar address and API tokens are shown beside."""
    form = ProfileForm(language=current_user.language)
    if form.validate_on_submit():
        current_user.language = form.language.data
        db.session.commit()
        flash(_("Saved."), "success")
        return redirect(url_for("auth.profile"))
    feed_url = feeds.profile_url(db.session, current_user, current_app.config["BASE_URL"])
    tokens = api.tokens_of(db.session, current_user)
    reminder_form = preferences_form(
        preferences.preference_of(db.session, current_user), preferences.digest_times(current_user)
    )
    return render_template(
        "auth/profile.html",
        form=form,
        feed_url=feed_url,
        tokens=tokens,
        reminder_form=reminder_form,
    )


@bp.route("/profile/password", methods=["GET", "POST"])
@login_required
def change_password():
    """Change one's own password, giving the current one; every other session ends."""
    form = ChangePasswordForm(current_user)
    if form.validate_on_submit():
        try:
            service.change_password(db.session, current_user, form.current.data, form.password.data)
        except BadInput as exc:
            db.session.rollback()
            form.current.errors.append(exc.localized())
            return render_template("auth/password.html", form=form)
        db.session.commit()
        sessions.keep(current_user)
        flash(_("Password changed. You were signed out everywhere else."), "success")
        return redirect(url_for("auth.profile"))
    return render_template("auth/password.html", form=form)


def _refusal(exc: SignInRefused) -> str:
    if exc.wait_seconds:
        return _("Too many failed sign-ins. Try again in %(n)d seconds.", n=exc.wait_seconds)
    return _("Wrong email or password.")
