"""The import page: upload a DMS export, see each row's outcome, then import it."""

from pathlib import Path

from flask import Blueprint, abort, current_app, render_template
from flask_login import current_user, login_required

from tracker import clock
from tracker.errors import TrackerError
from tracker.extensions import db
from tracker.imports import permissions, service
from tracker.imports.forms import RunForm, UploadForm

bp = Blueprint("imports", __name__, url_prefix="/imports")


def _allowed() -> None:
    if not permissions.may_import(db.session, current_user):
        abort(403)


def _folder() -> Path:
    return Path(current_app.config["UPLOAD_DIR"]) / "imports"


@bp.route("", methods=["GET", "POST"])
@login_required
def upload():
    """The form, then (POST) the preview of each row, nothing written yet."""
    _allowed()
    form = UploadForm()
    form.mapping.choices = service.mapping_names(db.session)
    if not form.validate_on_submit():
        return render_template("imports/upload.html", form=form), 400 if form.errors else 200
    try:
        page = service.preview_upload(
            db.session, current_user, _folder(), form.file.data, form.mapping.data, clock.now()
        )
    except TrackerError as exc:
        form.file.errors = [exc.localized()]
        return render_template("imports/upload.html", form=form), 400
    return render_template("imports/preview.html", **page, form=RunForm(**page["hidden"]))


@bp.post("/run")
@login_required
def run():
    """Import the previewed file: all or none, or its valid rows."""
    _allowed()
    form = RunForm()
    if not form.validate_on_submit():
        abort(400)
    page = service.run_upload(
        db.session,
        current_user,
        _folder(),
        form.upload.data,
        form.mapping.data,
        valid_only=form.mode.data == "valid",
        now=clock.now(),
    )
    db.session.commit()
    return render_template("imports/done.html", **page)
