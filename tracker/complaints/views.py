"""The complaints' pages: file one, the lists (about my department, filed by me), a complaint's
page with its steps (open, answer, close, reopen). Who may do what is
`complaints.permissions`; the work is `complaints.service`; what a page shows, `display`."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from tracker import clock
from tracker.complaints import display, service
from tracker.complaints.forms import ActForm, AnswerForm, FileForm, ReopenForm
from tracker.errors import BadInput, Conflict, NotAllowed, NotFound
from tracker.extensions import db
from tracker.paging import page_number

bp = Blueprint("complaints", __name__, url_prefix="/complaints")
bp.context_processor(display.context)


@bp.get("")
@login_required
def index():
    """The complaints about my department, and those I filed, a page of each."""
    args = {k: page_number(request.args.get(k)) for k in ("page", "mine_page")}
    lists = display.lists(db.session, current_user, args["page"], args["mine_page"])
    return render_template("complaints/index.html", **lists, args=args)


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new():
    """File a complaint about another department's service in my store."""
    form = display.file_form(db.session, current_user, FileForm())
    if form.validate_on_submit():
        try:
            c = service.file(db.session, by=current_user, now=clock.now(), **display.filed(form))
        except BadInput as exc:
            db.session.rollback()
            form.what.errors.append(exc.localized())
        else:
            db.session.commit()
            flash(display.FILED_MESSAGE(c), "success")
            return redirect(url_for(".show", complaint_id=c.id))
    return render_template("complaints/new.html", form=form), 400 if form.errors else 200


def _complaint(complaint_id: int):
    try:
        return service.seen_by(db.session, complaint_id, current_user)
    except NotFound:
        abort(404)


@bp.get("/<int:complaint_id>")
@login_required
def show(complaint_id: int):
    """A complaint, its history and the steps this person may take."""
    c = _complaint(complaint_id)
    return render_template("complaints/show.html", **display.page(db.session, current_user, c))


def _step(complaint_id: int, step, form, field: str | None = None):
    """Run one step of a complaint from a posted form: its result flashed, or the page again
    with the message beside the field (400), nothing changed."""
    c = _complaint(complaint_id)
    if not form.validate_on_submit():
        return display.again(db.session, current_user, c, form, field)
    try:
        message = step(c, form)
    except (BadInput, Conflict) as exc:
        db.session.rollback()
        return display.again(db.session, current_user, c, form, field, exc.localized())
    except NotAllowed:
        abort(403)
    db.session.commit()
    flash(message, "success")
    return redirect(url_for(".show", complaint_id=complaint_id))


@bp.post("/<int:complaint_id>/open")
@login_required
def open_(complaint_id: int):
    """Open it: the first of the department to do so owns it."""
    return _step(complaint_id, lambda c, f: display.opened(
        *service.open_(db.session, c.id, by=current_user, now=clock.now()), current_user
    ), ActForm())  # fmt: skip


@bp.post("/<int:complaint_id>/answer")
@login_required
def answer(complaint_id: int):
    """The owner's answer."""
    return _step(complaint_id, lambda c, f: display.done(service.answer(
        db.session, c.id, by=current_user, text=f.text.data, now=clock.now()
    )), AnswerForm(), "text")  # fmt: skip


@bp.post("/<int:complaint_id>/close")
@login_required
def close(complaint_id: int):
    """The complainant confirms the resolution."""
    return _step(complaint_id, lambda c, f: display.done(service.close(
        db.session, c.id, by=current_user, now=clock.now()
    )), ActForm())  # fmt: skip


@bp.post("/<int:complaint_id>/reopen")
@login_required
def reopen(complaint_id: int):
    """The complainant reopens it, saying why: a new time limit starts."""
    return _step(complaint_id, lambda c, f: display.done(service.reopen(
        db.session, c.id, by=current_user, note=f.note.data, now=clock.now()
    )), ReopenForm(), "note")  # fmt: skip
