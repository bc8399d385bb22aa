"""Signing in and out, and one's own profile."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from tracker import clock
from tracker.auth.forms import ProfileForm, SignInForm
from tracker.auth.service import SignInRefused, sign_in
from tracker.extensions import db

bp = Blueprint("auth", __name__)


@bp.route("/login", methods=["GET", "POST"])
def login():
    """The sign-in page; repeated failures make the next attempt wait."""
    if current_user.is_authenticated:
        return redirect(url_for("home.index"))
    form = SignInForm()
    if form.validate_on_submit():
        try:
            person = sign_in(db.session, form.email.data, form.password.data, clock.now())
        except SignInRefused as exc:
            db.session.commit()  # the failure is counted even though the sign-in failed
            if exc.wait_seconds:
                form.password.errors.append(
                    _("Too many failed sign-ins. Try again in %(n)d seconds.", n=exc.wait_seconds)
                )
            else:
                form.password.errors.append(_("Wrong email or password."))
            return render_template("auth/login.html", form=form), 401
        db.session.commit()
        login_user(person)
        return redirect(_safe_next(request.args.get("next")) or url_for("home.index"))
    return render_template("auth/login.html", form=form)


@bp.post("/logout")
@login_required
def logout():
    """Sign out (a POST with its CSRF token, so no link can sign anyone out)."""
    logout_user()
    return redirect(url_for("auth.login"))


@bp.route("/profile", methods=["GET", "POST"])
@login_required
def profile():
    """Change one's own language."""
    form = ProfileForm(language=current_user.language)
    if form.validate_on_submit():
        current_user.language = form.language.data
        db.session.commit()
        flash(_("Saved."), "success")
        return redirect(url_for("auth.profile"))
    return render_template("auth/profile.html", form=form)


def _safe_next(target: str | None) -> str | None:
    """Only a path on this site, never another host."""
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return None
