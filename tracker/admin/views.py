"""Administration pages: stores, departments, people, commitments, working calendars, the
outbox's failed messages and a test email. Administrators only."""

from collections.abc import Callable
from datetime import date
from typing import TypeVar

from flask import (
    Blueprint,
    Response,
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
from flask_login import current_user, login_required

from tracker import clock
from tracker.admin import service
from tracker.admin.forms import (
    ROLE_CHOICES,
    CommitmentForm,
    ConfirmForm,
    DepartmentForm,
    ListFilterForm,
    MailCheckForm,
    OfficialImportForm,
    OverrideForm,
    PasswordForm,
    PersonForm,
    RetireForm,
    RiskBandsForm,
    StoreForm,
)
from tracker.admin.permissions import can_administer
from tracker.auth.permissions import require
from tracker.calendar.service import set_override
from tracker.catalog.models import Commitment
from tracker.catalog.service import (
    RULE_FIELDS,
    edit_commitment,
    get_commitment,
    reactivate_commitment,
    retire_commitment,
    rule_summary,
)
from tracker.errors import BadInput, Conflict, NotFound
from tracker.extensions import db
from tracker.ledger.display import event_label
from tracker.ledger.redating import redate
from tracker.org import service as org
from tracker.org.models import Store
from tracker.paging import page_number
from tracker.reminders.policy import policy_of
from tracker.scorecards.service import format_bands, risk_bands, set_risk_bands

bp = Blueprint("admin", __name__, url_prefix="/admin")
T = TypeVar("T")


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
@login_required
def only_administrators():
    """Every page here is for administrators; anyone else gets 403."""
    require(can_administer(current_user))


def _list_filters(*, people: bool) -> ListFilterForm:
    """A list's filters from the query string, checked (the stores are offered to people's)."""
    form = ListFilterForm(request.args)
    if people:
        form.offer(service.stores(db.session))
    else:
        del form.store
        form.stores = {}
    form.validate()
    return form


def _page_asked() -> int:
    return page_number(request.args.get("page"))


def _fail(form, field: str, exc: BadInput) -> None:
    """Nothing is kept; the service's message goes beside the field it is about."""
    db.session.rollback()
    getattr(form, field).errors.append(exc.localized())


def _saved(form, field: str, save: Callable[[], T], done, to) -> Response | None:
    """The administrator's save-and-report: a valid form is saved by `save` (a service call),
    committed, reported (`done`: the message, or a function of what was saved) and answered
    with a redirect (`to`: an address, or a function of what was saved). A BadInput is shown
    beside `field` and nothing is kept; None: show the form again."""
    if not form.validate_on_submit():
        return None
    try:
        saved = save()
    except BadInput as exc:
        _fail(form, field, exc)
        return None
    db.session.commit()
    flash(done(saved) if callable(done) else done, "success")
    return redirect(to(saved) if callable(to) else to)


def _found(get: Callable[..., T], *key) -> T:
    """What the address names (a service's look-up), or the 404 page."""
    try:
        return get(db.session, *key)
    except NotFound:
        abort(404)


def _choices(form) -> None:
    for name, choices in service.placement_choices(db.session, current_user.language).items():
        getattr(form, name).choices = choices


def _placed(form) -> dict:
    """The department and store a person form names."""
    return {
        "department": org.get_department(db.session, form.department.data),
        "store": org.get_store(db.session, form.store.data),
    }


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
    """Every store by code: its zone, calendar country and working hours, with links to change
    them and to its working calendar."""
    form = _list_filters(people=False)
    part = service.stores_page(db.session, text=form.text(), page=_page_asked())
    html = render_template("admin/stores.html", part=part, stores=part.rows, form=form)
    return html, 400 if form.errors else 200


@bp.route("/stores/new", methods=["GET", "POST"])
def store_new():
    """Add a store."""
    form = StoreForm()
    saved = _saved(
        form,
        "code",
        lambda: org.add_store(db.session, code=form.code.data, now=clock.now(), **form.fields()),
        lambda store: _("Store %(code)s added.", code=store.code),
        url_for(".stores"),
    )
    return saved or render_template("admin/store_form.html", form=form, store=None)


@bp.route("/stores/<code>/edit", methods=["GET", "POST"])
def store_edit(code: str):
    """Change a store's name, zone, calendar country and working hours."""
    store = _found(org.get_store, code)
    form = StoreForm(obj=store)
    del form.code
    saved = _saved(
        form,
        "name",
        lambda: org.edit_store(db.session, store, **form.fields()),
        _("Saved."),
        url_for(".stores"),
    )
    return saved or render_template("admin/store_form.html", form=form, store=store)


# --- departments ---


@bp.get("/departments")
def departments():
    """Every department by code, with its names in both languages and a link to rename
    it."""
    everything = service.departments(db.session)
    return render_template("admin/departments.html", departments=everything)


@bp.route("/departments/new", methods=["GET", "POST"])
def department_new():
    """Add a department."""
    form = DepartmentForm()
    saved = _saved(
        form,
        "code",
        lambda: service.add_department(
            db.session, code=form.code.data, name_en=form.name_en.data, name_zh=form.name_zh.data
        ),
        _("Saved."),
        url_for(".departments"),
    )
    return saved or render_template("admin/department_form.html", form=form, department=None)


@bp.route("/departments/<code>/edit", methods=["GET", "POST"])
def department_edit(code: str):
    """Rename a department."""
    department = _found(org.get_department, code)
    form = DepartmentForm(obj=department)
    del form.code
    saved = _saved(
        form,
        "name_en",
        lambda: service.edit_department(
            db.session, department, name_en=form.name_en.data, name_zh=form.name_zh.data
        ),
        _("Saved."),
        url_for(".departments"),
    )
    return saved or render_template("admin/department_form.html", form=form, department=department)


# --- people ---


@bp.get("/people")
def people():
    """Everyone, by store, department and name, a page at a time; by store or by name or
    email."""
    form = _list_filters(people=True)
    part = service.people(
        db.session, store=form.chosen_store(), text=form.text(), page=_page_asked()
    )
    html = render_template(
        "admin/people.html", part=part, people=part.rows, form=form, confirm=ConfirmForm()
    )
    return html, 400 if form.errors else 200


@bp.route("/people/new", methods=["GET", "POST"])
def person_new():
    """Add a person with a first password; the store offered first is the administrator's."""
    form = PersonForm(store=current_user.store.code)
    _choices(form)
    saved = _saved(
        form,
        "email",
        lambda: org.add_person(
            db.session,
            email=form.email.data,
            password=form.password.data,
            now=clock.now(),
            **form.fields(),
            **_placed(form),
        ),
        lambda person: _("%(email)s can now sign in.", email=person.email),
        url_for(".people"),
    )
    return saved or render_template("admin/person_form.html", form=form, person=None)


@bp.route("/people/<int:person_id>/edit", methods=["GET", "POST"])
def person_edit(person_id: int):
    """Change a person's role, department, store, language or name."""
    person = _found(service.get_person, person_id)
    form = PersonForm.for_person(person)
    _choices(form)
    saved = _saved(
        form,
        "role",
        lambda: service.edit_person(db.session, person, **form.fields(), **_placed(form)),
        _("Saved."),
        url_for(".people"),
    )
    return saved or render_template("admin/person_form.html", form=form, person=person)


@bp.post("/people/<int:person_id>/active")
def person_active(person_id: int):
    """Deactivate a person, or let them back in."""
    person = _found(service.get_person, person_id)
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
    person = _found(service.get_person, person_id)
    form = PasswordForm()
    saved = _saved(
        form,
        "password",
        lambda: org.set_password(person, form.password.data),
        _("New password set for %(email)s.", email=person.email),
        url_for(".people"),
    )
    return saved or render_template("admin/password_form.html", form=form, person=person)


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


def _commitment_form(commitment: Commitment, stores: list) -> CommitmentForm:
    """The commitment's form, its preview store offered among every store (on a GET: the one
    asked for, or the person's own)."""
    form = CommitmentForm.for_version(commitment.current, commitment.kind)
    form.preview_store.choices = [(s.code, s.code) for s in stores]
    if request.method == "GET":
        form.preview_store.data = request.args.get("store") or current_user.store.code
    return form


def _preview(form: CommitmentForm, commitment: Commitment, stores: list) -> service.Preview:
    """The due times to preview: the current version's on a GET, the form's when it holds up;
    none after a failed save."""
    fields = policy = None
    if request.method == "GET":
        fields = {f: getattr(commitment.current, f) for f in RULE_FIELDS}
        policy = policy_of(commitment.current)
    elif not form.save.data and form.validate():
        fields = form.changes()
        policy = fields["reminder_policy"]
    return service.commitment_preview(
        db.session,
        commitment,
        fields,
        store=form.preview_store.data,
        stores=stores,
        now=clock.now(),
        policy=policy,
    )


@bp.route("/commitments/<code>", methods=["GET", "POST"])
def commitment_edit(code: str):
    """Edit a commitment (saved as a new version), with the next five due times previewed."""
    commitment, stores = _found(get_commitment, code), service.stores(db.session)
    form = _commitment_form(commitment, stores)
    saved = form.save.data and _saved(
        form,
        "at_time",
        lambda: edit_commitment(db.session, commitment, form.changes(), clock.now(), current_user),
        lambda version: _("%(code)s saved as version %(n)d.", code=code, n=version.number),
        url_for(".commitment_edit", code=code, store=form.preview_store.data),
    )
    return saved or render_template(
        "admin/commitment_form.html",
        commitment=commitment,
        form=form,
        preview=None if commitment.retired else _preview(form, commitment, stores),
        rule_text=rule_summary(commitment, current_user.language)["text"],
        confirm=ConfirmForm(),
    )


@bp.route("/commitments/<code>/retire", methods=["GET", "POST"])
def commitment_retire(code: str):
    """Retire a commitment, once confirmed: it makes no new deliverables; existing ones stay.
    It can be reactivated later, as a new version."""
    commitment = _found(get_commitment, code)
    if commitment.retired:
        return redirect(url_for(".commitment_edit", code=code))
    form = RetireForm()
    if form.validate_on_submit():
        retire_commitment(db.session, commitment, clock.now())
        db.session.commit()
        flash(_("%(code)s is retired.", code=code), "success")
        return redirect(url_for(".commitments"))
    page = render_template("admin/retire.html", commitment=commitment, form=form)
    return page, 400 if form.is_submitted() else 200


@bp.post("/commitments/<code>/reactivate")
def commitment_reactivate(code: str):
    """Bring a retired commitment back as a new version of its last wording and rule."""
    commitment = _found(get_commitment, code)
    if ConfirmForm().validate_on_submit():
        version = reactivate_commitment(db.session, commitment, clock.now(), current_user)
        db.session.commit()
        flash(_("%(code)s is active again, as version %(n)d.", code=code, n=version.number))
    return redirect(url_for(".commitment_edit", code=code))


# --- working calendar ---


def _year(store: Store) -> int:
    """The year asked for (by default the store's current one); 404 for one not a year."""
    try:
        year = int(request.args.get("year") or clock.now().astimezone(store.zone).year)
    except ValueError:
        abort(404)
    if not 1990 <= year <= 2100:
        abort(404)
    return year


@bp.route("/stores/<code>/calendar", methods=["GET", "POST"])
def calendar(code: str):
    """A store's year: holidays, swapped working days and overrides; add an override."""
    store = _found(org.get_store, code)
    year, form = _year(store), OverrideForm()
    saved = _saved(
        form,
        "day",
        lambda: set_override(
            db.session, store, form.day.data, form.working.data == "1", form.note.data or None
        ),
        lambda _none: _("%(day)s saved.", day=form.day.data.isoformat()),
        lambda _none: url_for(".calendar", code=code, year=form.day.data.year),
    )
    return saved or render_template(
        "admin/calendar.html",
        store=store,
        form=form,
        confirm=ConfirmForm(),
        **service.calendar_page(db.session, store, year, current_user.language),
    )


@bp.post("/stores/<code>/calendar/<day>/remove")
def calendar_remove(code: str, day: str):
    """Remove an override: the official calendar holds again for that day."""
    store = _found(org.get_store, code)
    try:
        when = date.fromisoformat(day)
    except ValueError:
        abort(404)
    if ConfirmForm().validate_on_submit():
        set_override(db.session, store, when, None)
        db.session.commit()
        flash(_("%(day)s follows the official calendar again.", day=day), "success")
    return redirect(url_for(".calendar", code=code, year=when.year))


@bp.route("/official-calendar", methods=["GET", "POST"])
def calendar_import():
    """A year's official calendar for every store of a country: previewed, then saved."""
    form, preview = OfficialImportForm(), None
    if form.validate_on_submit():
        upload = form.file.data.read() if form.file.data else None
        try:
            preview, form.table.data = service.official_import(
                db.session, country=form.country.data.upper(), year=form.year.data,
                table=form.table.data, upload=upload, save=bool(form.save.data),
            )  # fmt: skip
        except service.FieldInput as exc:
            _fail(form, exc.field, exc)
        else:
            if form.save.data:
                db.session.commit()
                flash(
                    _("The official calendar of %(year)d is saved.", year=preview.year), "success"
                )
                return redirect(url_for(".calendar_redate", code=preview.stores[0].code))
    return render_template("admin/calendar_import.html", form=form, preview=preview)


@bp.route("/stores/<code>/calendar/redate", methods=["GET", "POST"])
def calendar_redate(code: str):
    """The store's open deliverables its calendar now re-dates, old time beside new; re-date."""
    store, confirm = _found(org.get_store, code), ConfirmForm()
    if confirm.validate_on_submit():
        try:
            plan = redate(db.session, store, by=current_user, now=clock.now())
        except Conflict as exc:
            db.session.rollback()
            flash(exc.localized(), "error")
        else:
            db.session.commit()
            flash(_("%(n)d deliverables re-dated.", n=len(plan.items)), "success")
        return redirect(url_for(".calendar_redate", code=code))
    return render_template(
        "admin/calendar_redate.html",
        store=store,
        confirm=confirm,
        **service.calendar_redate_page(db.session, store),
    )


# --- test email ---


@bp.route("/risk-bands", methods=["GET", "POST"])
def risk_bands_edit():
    """The age bands the scorecards' amounts at risk are counted in, for the whole group."""
    form = RiskBandsForm()
    if request.method == "GET":
        form.bands.data = format_bands(risk_bands(db.session))
    saved = _saved(
        form,
        "bands",
        lambda: set_risk_bands(db.session, form.bands.data, now=clock.now(), by=current_user),
        lambda bands: _("Age bands saved: %(bands)s.", bands=format_bands(bands)),
        url_for(".risk_bands_edit"),
    )
    return saved or render_template("admin/risk_bands.html", form=form)


@bp.route("/test-email", methods=["GET", "POST"])
def test_email():
    """Send a test email through the configured mail transport and say what happened."""
    form, config = MailCheckForm(), current_app.config
    saved = _saved(
        form,
        "to",
        lambda: service.send_test_email(
            form.to.data, mail_from=config["MAIL_FROM"], lang=current_user.language, now=clock.now()
        ),
        lambda _none: _("Test email sent to %(to)s.", to=form.to.data),
        url_for(".test_email"),
    )
    return saved or render_template(
        "admin/test_email.html", form=form, mail_url=service.redacted(config["MAIL_URL"])
    )
