"""The survey: what a person still has to answer and their answers (/survey), the aggregates a
head or lead may see (/survey/results), and the administrator's dates and minimum of answers
(/survey/admin). Who may do what is `satisfaction.permissions`; the work is in `service` and
`pages`."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from tracker import clock
from tracker.extensions import db
from tracker.satisfaction import pages, permissions
from tracker.satisfaction.forms import AnswerForm, MinimumForm, SurveyDatesForm

bp = Blueprint("satisfaction", __name__, url_prefix="/survey")


@bp.context_processor
def labels():
    return {"question_labels": pages.QUESTION_LABELS, "questions": pages.QUESTIONS}


@bp.get("")
@login_required
def index():
    """The departments this person still has to rate in their store's open survey."""
    shown = pages.survey(db.session, current_user, clock.now())
    return render_template("satisfaction/survey.html", **shown)


@bp.post("")
@login_required
def answer():
    """One answer about one department; bad input: beside the field, nothing kept."""
    if not permissions.may_answer(current_user):
        abort(403)
    form = AnswerForm()
    if form.validate_on_submit() and pages.answered(db.session, current_user, form, clock.now()):
        flash(_("Thank you: your answer is kept, without your name."), "success")
        return redirect(url_for(".index"))
    shown = pages.survey(db.session, current_user, clock.now(), failed=form)
    return render_template("satisfaction/survey.html", **shown), 400


@bp.get("/results")
@login_required
def results():
    """A quarter's aggregates (from N answers) of the departments this person may see."""
    if not permissions.sees_results(current_user):
        abort(403)
    shown = pages.results(db.session, current_user, request.args.get("quarter"), clock.now())
    return render_template("satisfaction/results.html", **shown)


@bp.route("/admin", methods=["GET", "POST"])
@login_required
def admin():
    """Each store's survey dates by quarter, and N (the fewest answers before an aggregate)."""
    if not permissions.sets_surveys(current_user):
        abort(403)
    form = SurveyDatesForm()
    if form.validate_on_submit() and pages.dates_set(db.session, current_user, form, clock.now()):
        flash(_("Saved."), "success")
        return redirect(url_for(".admin"))
    shown = pages.admin(db.session, form=form)
    return render_template("satisfaction/admin.html", **shown), 400 if form.is_submitted() else 200


@bp.post("/admin/minimum")
@login_required
def minimum():
    """Set N for the whole group."""
    if not permissions.sets_surveys(current_user):
        abort(403)
    form = MinimumForm()
    if form.validate_on_submit() and pages.minimum_set(db.session, current_user, form, clock.now()):
        flash(_("Saved."), "success")
        return redirect(url_for(".admin"))
    return render_template("satisfaction/admin.html", **pages.admin(db.session, minimum=form)), 400
