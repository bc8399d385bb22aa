"""Administration pages: stores, departments, people, commitments, working calendars, the
outbox's failed messages and a test email. Administrators only."""

from datetime import date

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from tracker import clock
from tracker.admin import service
from tracker.admin.forms import (
    ROLE_CHOICES,
    CommitmentForm,
    ConfirmForm,
    DepartmentForm,
    MailCheckForm,
    OverrideForm,
    PasswordForm,
    PersonForm,
    StoreForm,
)
from tracker.auth.permissions import roles_required
from tracker.calendar.service import set_override, store_calendar
from tracker.catalog.models import Commitment
from tracker.catalog.service import (
    RULE_FIELDS,
    edit_commitment,
    retire_commitment,
    rule_summary,
)
from tracker.errors import BadInput
from tracker.extensions import db
from tracker.ledger.display import event_label
from tracker.org import service as org
from tracker.org.models import Department, Person, Store

bp = Blueprint("admin", __name__, url_prefix="/admin")


KIND_LABELS = {
    "recurring": _l("recurring"),
    "event": _l("on an event"),
    "request": _l("on request"),
    "checklist": _l("checklist at the event"),
}
WEEKDAYS = [_l("Mon"), _l("Tue"), _l("Wed"), _l("Thu"), _l("Fri"), _l("Sat"), _l("Sun")]


@bp.context_processor
def labels():
    """Names the administration's templates show in the person's language."""
    return {
        "role_labels": dict(ROLE_CHOICES),
        "kind_labels": KIND_LABELS,
        "weekdays": WEEKDAYS,
        "event_label": event_label,
    }


@bp.before_request
@roles_required("admin")
def only_administrators():
    """Every page here is for administrators; anyone else gets 403."""


def _fail(form, field: str, exc: BadInput) -> None:
    """Nothing is kept; the service's message goes beside the field it is about."""
    db.session.rollback()
    getattr(form, field).errors.append(exc.localized())


def _store(code: str) -> Store:
    store = db.session.scalar(select(Store).where(Store.code == code))
    if store is None:
        abort(404)
    return store


def _choices(form) -> None:
    lang = current_user.language
    form.department.choices = [
        (d.code, d.name(lang))
        for d in db.session.scalars(select(Department).order_by(Department.code))
    ]
    form.store.choices = [
        (s.code, f"{s.code} · {s.name}")
        for s in db.session.scalars(select(Store).order_by(Store.code))
    ]


@bp.get("")
def index():
    """Links to every administration page, and the emails the outbox gave up on."""
    from tracker.reminders import service as reminders

    return render_template(
        "admin/index.html",
        failed=reminders.failed_messages(db.session),
        counts=reminders.outbox_counts(db.session),
        confirm=ConfirmForm(),
    )


@bp.post("/outbox/<int:message_id>/retry")
def retry_message(message_id: int):
    """Put a failed email back in the queue."""
    from tracker.reminders import service as reminders

    if ConfirmForm().validate_on_submit():
        reminders.retry_failed(db.session, message_id, clock.now())
        db.session.commit()
        flash(_("The email is queued again."), "success")
    return redirect(url_for(".index"))


# --- stores ---


@bp.get("/stores")
def stores():
    """Every store."""
    return render_template(
        "admin/stores.html", stores=db.session.scalars(select(Store).order_by(Store.code)).all()
    )


@bp.route("/stores/new", methods=["GET", "POST"])
def store_new():
    """Add a store."""
    form = StoreForm()
    if form.validate_on_submit():
        try:
            store = org.add_store(
                db.session,
                code=form.code.data,
                name=form.name.data,
                timezone=form.timezone.data,
                country=form.country.data,
                subdiv=form.subdiv.data or None,
                language=form.language.data,
                work_start=form.work_start.data,
                work_end=form.work_end.data,
                now=clock.now(),
            )
            db.session.commit()
            flash(_("Store %(code)s added.", code=store.code), "success")
            return redirect(url_for(".stores"))
        except BadInput as exc:
            _fail(form, "code", exc)
    return render_template("admin/store_form.html", form=form, store=None)


@bp.route("/stores/<code>/edit", methods=["GET", "POST"])
def store_edit(code: str):
    """Change a store's name, zone, calendar country and working hours."""
    store = _store(code)
    form = StoreForm(obj=store)
    del form.code
    if form.validate_on_submit():
        try:
            org.edit_store(
                db.session,
                store,
                name=form.name.data,
                timezone=form.timezone.data,
                country=form.country.data,
                subdiv=form.subdiv.data or None,
                language=form.language.data,
                work_start=form.work_start.data,
                work_end=form.work_end.data,
            )
            db.session.commit()
            flash(_("Saved."), "success")
            return redirect(url_for(".stores"))
        except BadInput as exc:
            _fail(form, "name", exc)
    return render_template("admin/store_form.html", form=form, store=store)


# --- departments ---


@bp.get("/departments")
def departments():
    """Every department."""
    return render_template(
        "admin/departments.html",
        departments=db.session.scalars(select(Department).order_by(Department.code)).all(),
    )


@bp.route("/departments/new", methods=["GET", "POST"])
def department_new():
    """Add a department."""
    form = DepartmentForm()
    if form.validate_on_submit():
        try:
            service.add_department(
                db.session,
                code=form.code.data,
                name_en=form.name_en.data,
                name_zh=form.name_zh.data,
            )
            db.session.commit()
            flash(_("Saved."), "success")
            return redirect(url_for(".departments"))
        except BadInput as exc:
            _fail(form, "code", exc)
    return render_template("admin/department_form.html", form=form, department=None)


@bp.route("/departments/<code>/edit", methods=["GET", "POST"])
def department_edit(code: str):
    """Rename a department."""
    department = db.session.scalar(select(Department).where(Department.code == code))
    if department is None:
        abort(404)
    form = DepartmentForm(obj=department)
    del form.code
    if form.validate_on_submit():
        try:
            service.edit_department(
                db.session, department, name_en=form.name_en.data, name_zh=form.name_zh.data
            )
            db.session.commit()
            flash(_("Saved."), "success")
            return redirect(url_for(".departments"))
        except BadInput as exc:
            _fail(form, "name_en", exc)
    return render_template("admin/department_form.html", form=form, department=department)


# --- people ---


@bp.get("/people")
def people():
    """Everyone, by store, department and name."""
    query = (
        select(Person).join(Person.store).order_by(Store.code, Person.department_id, Person.name)
    )
    return render_template(
        "admin/people.html", people=db.session.scalars(query).unique().all(), confirm=ConfirmForm()
    )


def _person(person_id: int) -> Person:
    person = db.session.get(Person, person_id)
    if person is None:
        abort(404)
    return person


@bp.route("/people/new", methods=["GET", "POST"])
def person_new():
    """Add a person with a first password."""
    form = PersonForm()
    _choices(form)
    if form.validate_on_submit():
        try:
            person = org.add_person(
                db.session,
                email=form.email.data,
                name=form.name.data,
                department=org.get_department(db.session, form.department.data),
                store=org.get_store(db.session, form.store.data),
                role=form.role.data,
                language=form.language.data,
                password=form.password.data,
                now=clock.now(),
            )
            db.session.commit()
            flash(_("%(email)s can now sign in.", email=person.email), "success")
            return redirect(url_for(".people"))
        except BadInput as exc:
            _fail(form, "email", exc)
    return render_template("admin/person_form.html", form=form, person=None)


@bp.route("/people/<int:person_id>/edit", methods=["GET", "POST"])
def person_edit(person_id: int):
    """Change a person's role, department, store, language or name."""
    person = _person(person_id)
    form = PersonForm(
        data={
            "email": person.email,
            "name": person.name,
            "role": person.role,
            "department": person.department.code,
            "store": person.store.code,
            "language": person.language,
        }
    )
    del form.email, form.password
    _choices(form)
    if form.validate_on_submit():
        try:
            service.edit_person(
                db.session,
                person,
                name=form.name.data,
                role=form.role.data,
                department=org.get_department(db.session, form.department.data),
                store=org.get_store(db.session, form.store.data),
                language=form.language.data,
            )
            db.session.commit()
            flash(_("Saved."), "success")
            return redirect(url_for(".people"))
        except BadInput as exc:
            _fail(form, "role", exc)
    return render_template("admin/person_form.html", form=form, person=person)


@bp.post("/people/<int:person_id>/active")
def person_active(person_id: int):
    """Deactivate a person, or let them back in."""
    person = _person(person_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        active = request.form.get("active") == "1"
        try:
            service.set_active(db.session, person, active, by=current_user)
            db.session.commit()
            flash(
                _("%(email)s can sign in again.", email=person.email)
                if active
                else _("%(email)s can no longer sign in.", email=person.email),
                "success",
            )
        except BadInput:
            db.session.rollback()
            flash(_("You cannot deactivate yourself."), "error")
    return redirect(url_for(".people"))


@bp.route("/people/<int:person_id>/password", methods=["GET", "POST"])
def person_password(person_id: int):
    """Set a new password for someone who forgot theirs."""
    person = _person(person_id)
    form = PasswordForm()
    if form.validate_on_submit():
        try:
            org.set_password(person, form.password.data)
            db.session.commit()
            flash(_("New password set for %(email)s.", email=person.email), "success")
            return redirect(url_for(".people"))
        except BadInput as exc:
            _fail(form, "password", exc)
    return render_template("admin/password_form.html", form=form, person=person)


# --- commitments ---


@bp.get("/commitments")
def commitments():
    """Every commitment with its current rule; retired ones last."""
    lang = current_user.language
    items = service.active_commitments(db.session)
    return render_template(
        "admin/commitments.html",
        commitments=[(c, rule_summary(c, lang)["text"]) for c in items],
    )


def _commitment(code: str) -> Commitment:
    commitment = db.session.scalar(select(Commitment).where(Commitment.code == code))
    if commitment is None:
        abort(404)
    return commitment


@bp.route("/commitments/<code>", methods=["GET", "POST"])
def commitment_edit(code: str):
    """Edit a commitment (saved as a new version), with the next five due times previewed."""
    commitment = _commitment(code)
    form = CommitmentForm.for_version(commitment.current, commitment.kind)
    stores = db.session.scalars(select(Store).order_by(Store.code)).all()
    form.preview_store.choices = [(s.code, s.code) for s in stores]
    if request.method == "GET":
        form.preview_store.data = request.args.get("store") or current_user.store.code
    now = clock.now()
    fields = None
    if form.validate_on_submit():
        fields = form.changes()
        if form.save.data:
            try:
                version = edit_commitment(db.session, commitment, fields, now, current_user)
                db.session.commit()
                flash(_("%(code)s saved as version %(n)d.", code=code, n=version.number), "success")
                return redirect(
                    url_for(".commitment_edit", code=code, store=form.preview_store.data)
                )
            except BadInput as exc:
                _fail(form, "at_time", exc)
                fields = None
    elif request.method == "GET":
        fields = {f: getattr(commitment.current, f) for f in RULE_FIELDS}
    preview, preview_error = [], None
    store = next((s for s in stores if s.code == form.preview_store.data), None)
    if fields is not None and store is not None:
        try:
            preview = service.preview_due_times(
                db.session, kind=commitment.kind, fields=fields, store=store, now=now
            )
        except BadInput as exc:
            preview_error = exc.localized()
    return render_template(
        "admin/commitment_form.html",
        commitment=commitment,
        form=form,
        preview=preview,
        preview_error=preview_error,
        preview_store=store,
        rule_text=rule_summary(commitment, current_user.language)["text"],
        confirm=ConfirmForm(),
    )


@bp.post("/commitments/<code>/retire")
def commitment_retire(code: str):
    """Retire a commitment: it makes no new deliverables; existing ones stay."""
    commitment = _commitment(code)
    if ConfirmForm().validate_on_submit():
        retire_commitment(db.session, commitment, clock.now())
        db.session.commit()
        flash(_("%(code)s is retired.", code=code), "success")
    return redirect(url_for(".commitments"))


# --- working calendar ---


@bp.route("/stores/<code>/calendar", methods=["GET", "POST"])
def calendar(code: str):
    """A store's year: holidays, swapped working days and overrides; add an override."""
    store = _store(code)
    try:
        year = int(request.args.get("year") or clock.now().astimezone(store.zone).year)
    except ValueError:
        abort(404)
    if not 1990 <= year <= 2100:
        abort(404)
    form = OverrideForm()
    if form.validate_on_submit():
        set_override(
            db.session, store, form.day.data, form.working.data == "1", form.note.data or None
        )
        db.session.commit()
        flash(_("%(day)s saved.", day=form.day.data.isoformat()), "success")
        return redirect(url_for(".calendar", code=code, year=form.day.data.year))
    return render_template(
        "admin/calendar.html",
        store=store,
        year=year,
        days=service.calendar_year(db.session, store, year, current_user.language),
        known=store_calendar(db.session, store).is_known_year(year),
        form=form,
        confirm=ConfirmForm(),
    )


@bp.post("/stores/<code>/calendar/<day>/remove")
def calendar_remove(code: str, day: str):
    """Remove an override: the official calendar holds again for that day."""
    store = _store(code)
    try:
        when = date.fromisoformat(day)
    except ValueError:
        abort(404)
    if ConfirmForm().validate_on_submit():
        set_override(db.session, store, when, None)
        db.session.commit()
        flash(_("%(day)s follows the official calendar again.", day=day), "success")
    return redirect(url_for(".calendar", code=code, year=when.year))


# --- test email ---


@bp.route("/test-email", methods=["GET", "POST"])
def test_email():
    """Send a test email through the configured mail transport and say what happened."""
    from tracker.extensions import mail

    form = MailCheckForm()
    if form.validate_on_submit():
        now = clock.now()
        try:
            connection = mail.get_connection(fail_silently=False)
            message = service.build_test_email(
                form.to.data,
                mail_from=current_app.config["MAIL_FROM"],
                lang=current_user.language,
                connection=connection,
                now=now,
            )
            message.send()
        except Exception as exc:  # the server's own words are what the administrator needs
            form.to.errors.append(
                _("The email was not sent: %(error)s", error=f"{type(exc).__name__}: {exc}")
            )
        else:
            flash(_("Test email sent to %(to)s.", to=form.to.data), "success")
            return redirect(url_for(".test_email"))
    return render_template(
        "admin/test_email.html", form=form, mail_url=_redacted(current_app.config["MAIL_URL"])
    )


def _redacted(url: str) -> str:
    """The mail URL without its password."""
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    if parts.password:
        netloc = f"{parts.username}:***@{parts.hostname}" + (f":{parts.port}" if parts.port else "")
        parts = parts._replace(netloc=netloc)
    return urlunsplit(parts)
