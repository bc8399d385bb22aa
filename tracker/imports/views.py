"""The import page: upload a DMS export, see each row's outcome, then import it; and the saved
column mappings, listed and edited as JSON by administrators."""

from pathlib import Path

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from tracker import clock
from tracker.errors import BadInput, TrackerError
from tracker.extensions import db
from tracker.imports import mappings as mappings_
from tracker.imports import permissions, service
from tracker.imports.forms import MappingForm, RunForm, UploadForm

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


@bp.get("/mappings")
@login_required
def mappings():
    """The saved column mappings (administrators)."""
    _may_edit_mappings()
    return render_template("imports/mappings.html", mappings=mappings_.saved_mappings(db.session))


@bp.route("/mappings/edit", methods=["GET", "POST"])
@login_required
def mapping_edit():
    """A mapping as JSON, new or (`?name=`) saved; what is wrong is said beside the field."""
    _may_edit_mappings()
    form = MappingForm(**mappings_.form_data(db.session, request.args.get("name")))
    if not form.validate_on_submit():
        return render_template("imports/mapping_form.html", form=form), 400 if form.errors else 200
    spec = form.parsed
    try:
        service.save_mapping(
            db.session, form.name.data, spec["columns"], spec.get("types"), now=clock.now()
        )
    except BadInput as exc:
        db.session.rollback()
        form.spec.errors = [exc.localized()]
        return render_template("imports/mapping_form.html", form=form), 400
    db.session.commit()
    flash(_("Mapping “%(name)s” saved.", name=form.name.data.strip()), "success")
    return redirect(url_for("imports.mappings"))


def _may_edit_mappings() -> None:
    if not permissions.may_edit_mappings(current_user):
        abort(403)
