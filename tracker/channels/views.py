"""The administrator's page of group robots: one per department and store, set, tested and
removed here; and the robot messages the outbox gave up on, with a button to try again."""

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from tracker import clock
from tracker.auth.permissions import require
from tracker.channels import jobs, service
from tracker.channels import robots as formats
from tracker.channels.forms import ActionForm, RobotForm
from tracker.channels.permissions import can_manage_robots
from tracker.channels.robots import RobotError
from tracker.errors import BadInput, NotFound
from tracker.extensions import db
from tracker.org import service as org

bp = Blueprint("robots", __name__, url_prefix="/admin/robots")


@bp.before_request
@login_required
def _only_administrators():
    require(can_manage_robots(current_user))


@bp.context_processor
def _helpers() -> dict:
    return {
        "masked": formats.masked,
        "masked_secret": formats.masked_secret,
        "kind_name": service.kind_name,
    }


def _robot(robot_id: int):
    try:
        return service.get_robot(db.session, robot_id)
    except NotFound:
        abort(404)


@bp.get("")
def index():
    """Every robot (its address and secret masked) and the robot messages given up on."""
    return render_template(
        "channels/robots.html",
        robots=service.robots(db.session),
        failed=service.failed_messages(db.session),
        counts=service.counts(db.session),
        action=ActionForm(),
    )


def _form(robot=None) -> RobotForm:
    """The robot form with the stores and departments to choose from (a robot's own when
    editing; its address and secret are never put back in the form)."""
    form = RobotForm()
    form.store.choices, form.department.choices = service.places(db.session, current_user.language)
    if robot is not None and not form.is_submitted():
        form.store.data, form.department.data = robot.store.code, robot.department.code
        form.kind.data = robot.kind
    return form


def _saved(form: RobotForm):
    """Save a valid form (the service's refusal goes beside the address); the redirect, or
    None to show the form again."""
    if not form.validate_on_submit():
        return None
    try:
        service.set_robot(
            db.session,
            store=org.get_store(db.session, form.store.data),
            department=org.get_department(db.session, form.department.data),
            kind=form.kind.data,
            url=form.url.data,
            secret=form.secret.data,
            now=clock.now(),
            allowed_hosts=jobs.allowed_hosts(),
        )
    except BadInput as exc:
        db.session.rollback()
        form.url.errors.append(exc.localized())
        return None
    db.session.commit()
    flash(_("The robot is saved."), "success")
    return redirect(url_for(".index"))


@bp.route("/new", methods=["GET", "POST"])
def new():
    """Give a department in a store its robot."""
    form = _form()
    return _saved(form) or render_template("channels/robot_form.html", form=form, robot=None)


@bp.route("/<int:robot_id>/edit", methods=["GET", "POST"])
def edit(robot_id: int):
    """Change a robot (an empty address or secret keeps the one set)."""
    robot = _robot(robot_id)
    form = _form(robot)
    return _saved(form) or render_template("channels/robot_form.html", form=form, robot=robot)


@bp.post("/<int:robot_id>/test")
def test(robot_id: int):
    """Post a test message to the robot now and say what it answered."""
    robot = _robot(robot_id)
    if ActionForm().validate_on_submit():
        try:
            service.send_test(robot, clock.now(), clock.now(), jobs.timeout())
        except RobotError as exc:
            flash(_("The robot did not take the test message: %(error)s", error=str(exc)), "error")
        else:
            flash(_("The robot took the test message."), "success")
    return redirect(url_for(".index"))


@bp.post("/<int:robot_id>/remove")
def remove(robot_id: int):
    """Remove the robot; its messages still waiting are cancelled."""
    robot = _robot(robot_id)
    if ActionForm().validate_on_submit():
        service.remove_robot(db.session, robot)
        db.session.commit()
        flash(_("The robot is removed."), "success")
    return redirect(url_for(".index"))


@bp.post("/messages/<int:message_id>/retry")
def retry(message_id: int):
    """Put a robot message given up on back in the queue."""
    if ActionForm().validate_on_submit():
        try:
            service.retry_failed(db.session, message_id, clock.now())
        except NotFound:
            abort(404)
        except BadInput as exc:
            flash(exc.localized(), "error")
            return redirect(url_for(".index"))
        db.session.commit()
        flash(_("The robot message is queued again."), "success")
    return redirect(url_for(".index"))
