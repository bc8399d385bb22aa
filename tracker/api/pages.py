"""The pages of API tokens: one's own in the profile (made, shown once, revoked) and every
token for administrators. The API's own resources are in views.py."""

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from tracker import clock
from tracker.errors import BadInput
from tracker.extensions import db

from . import permissions, service
from .forms import TokenForm

bp = Blueprint("tokens", __name__)
NO_STORE = {"Cache-Control": "no-store"}  # the page that shows a secret is never kept


@bp.route("/profile/tokens/new", methods=["GET", "POST"])
@login_required
def create():
    """Make a token for oneself; its secret is shown on this answer only."""
    form = TokenForm()
    if not form.validate_on_submit():
        return render_template("api/token_new.html", form=form), 400 if form.errors else 200
    try:
        token, secret = service.create_token(
            db.session, current_user, name=form.name.data, expires_days=form.expires_days.data,
            integration=form.integration.data, now=clock.now(), by=current_user,
        )  # fmt: skip
    except BadInput as exc:
        db.session.rollback()
        form.name.errors = [exc.localized()]
        return render_template("api/token_new.html", form=form), 400
    db.session.commit()
    page = render_template("api/token_made.html", token=token, secret=secret)
    return page, 201, NO_STORE


@bp.post("/profile/tokens/<int:token_id>/revoke")
@login_required
def revoke_own(token_id: int):
    """Revoke one of one's tokens (an administrator may revoke any)."""
    _revoke(token_id)
    return redirect(url_for("auth.profile") + "#api-tokens")


@bp.get("/admin/tokens")
@login_required
def every():
    """Every token not revoked, with its person and store: administrators only."""
    _only_administrators()
    tokens = service.all_tokens(db.session)
    return render_template("api/tokens.html", tokens=tokens)


@bp.post("/admin/tokens/<int:token_id>/revoke")
@login_required
def revoke_any(token_id: int):
    """Revoke a token from the administrators' list."""
    _only_administrators()
    _revoke(token_id)
    return redirect(url_for("tokens.every"))


def _only_administrators() -> None:
    if not permissions.may_manage_every_token(current_user):
        abort(403)


def _revoke(token_id: int) -> None:
    """The API's rule decides (`permissions.require_token_manager`): 403 for another's token.
    The form's CSRF token is checked before any view runs (CSRFProtect)."""
    token = service.revoke(db.session, token_id, by=current_user, now=clock.now())
    db.session.commit()
    flash(_("Token “%(name)s” revoked: it no longer opens the API.", name=token.name), "success")
