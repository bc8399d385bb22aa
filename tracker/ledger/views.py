"""The clerk's pages: what our department owes, submitting it, recording events, deal files,
and one deliverable's whole history."""

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_from_directory,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import case, func, select
from sqlalchemy.orm import joinedload

from tracker import clock, validation
from tracker.auth.permissions import can_see_deliverable, can_see_store, require
from tracker.catalog.models import Commitment
from tracker.errors import Conflict, NotAllowed, TrackerError
from tracker.extensions import db
from tracker.ledger import display, uploads
from tracker.ledger import service as ledger
from tracker.ledger.forms import BatchSubmitForm, EventForm, MineFilterForm, SubmitForm
from tracker.ledger.models import (
    OPEN_STATUSES,
    AuditEntry,
    BusinessEvent,
    Deliverable,
    Submission,
)

bp = Blueprint("ledger", __name__)
display.register(bp)

PAGE_LIMIT = 500  # rows on one page; filters narrow it further


def explain(exc: TrackerError) -> str:
    """A domain error in the person's language where the page knows what it means."""
    if isinstance(exc, Conflict):
        return _(
            "Someone changed this a moment ago (perhaps in another tab); nothing was done. "
            "Here is where it stands now."
        )
    return exc.localized()


def visible_deliverable(deliverable_id: int) -> Deliverable:
    """The deliverable, if this person may see it: 404 if none, 403 if another store's."""
    deliverable = db.session.get(Deliverable, deliverable_id)
    if deliverable is None:
        abort(404)
    require(can_see_deliverable(current_user, deliverable))
    return deliverable


# --- our department ---


@bp.get("/mine")
@login_required
def mine():
    """What the person's department owes in their store: overdue first, then by due time."""
    now = clock.now()
    form = MineFilterForm(request.args)
    commitments = db.session.scalars(
        select(Commitment)
        .where(Commitment.provider_id == current_user.department_id)
        .order_by(Commitment.id)
    ).all()
    form.commitment.choices = [("", _("all"))] + [
        (str(c.id), f"{c.code} · {c.current.title(display.language())}") for c in commitments
    ]
    d = Deliverable
    overdue = d.status.in_(OPEN_STATUSES) & (d.due_at < now)
    query = (
        select(d)
        .where(d.store_id == current_user.store_id, d.provider_id == current_user.department_id)
        .options(joinedload(d.event))
        .order_by(
            case(
                (overdue, 0),
                (d.status.in_(OPEN_STATUSES), 1),
                (d.status == "submitted", 2),
                else_=3,
            ),
            d.due_at,
            d.id,
        )
        .limit(PAGE_LIMIT)
    )
    status = form.status.data if form.status.data in dict(form.status.choices) else "owed"
    if status == "owed":
        query = query.where(d.status.in_(OPEN_STATUSES))
    elif status != "all":
        query = query.where(d.status == status)
    if (form.commitment.data or "").isdigit():
        query = query.where(d.commitment_id == int(form.commitment.data))
    if form.overdue.data:
        query = query.where(overdue)
    if form.q.data and form.q.data.strip():
        text = form.q.data.strip().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        query = query.where(func.lower(d.reference).like(f"%{text.lower()}%", escape="\\"))
    rows = db.session.scalars(query).unique().all()
    return render_template(
        "ledger/mine.html", form=form, rows=rows, now=now, limit=PAGE_LIMIT, open=OPEN_STATUSES
    )


# --- submitting ---


@bp.route("/deliverables/<int:deliverable_id>/submit", methods=["GET", "POST"])
@login_required
def submit(deliverable_id: int):
    """Hand one deliverable in with its evidence; the time is the server's."""
    deliverable = visible_deliverable(deliverable_id)
    require(ledger.may_submit(current_user, deliverable))
    now = clock.now()
    form = SubmitForm(
        required=deliverable.version.evidence,
        late=ledger.server_time(now) > deliverable.due_at,
        state_version=deliverable.state_version,
        reference=deliverable.reference,
    )
    if deliverable.status not in OPEN_STATUSES:
        if form.is_submitted():  # a stale tab: someone submitted it meanwhile
            return _refused(Conflict(""), "ledger.deliverable", deliverable_id=deliverable.id)
        flash(_("This deliverable is %(s)s: there is nothing to submit.", s=_status(deliverable)))
        return redirect(url_for("ledger.deliverable", deliverable_id=deliverable.id))
    if form.validate_on_submit():
        evidence = uploads.save(form.file.data, **form.evidence_fields())
        try:
            ledger.submit(
                db.session,
                deliverable,
                by=current_user,
                now=now,
                evidence=evidence,
                late_reason=form.late_reason.data,
                expected_version=_int(form.state_version.data),
            )
            db.session.commit()
        except TrackerError as exc:
            db.session.rollback()
            uploads.discard(evidence)
            if isinstance(exc, Conflict | NotAllowed):
                return _refused(exc, "ledger.deliverable", deliverable_id=deliverable_id)
            flash(explain(exc), "error")
            return render_template("ledger/submit.html", form=form, d=deliverable, now=now), 400
        flash(_("Submitted. %(receiver)s will check it.", receiver=_receiver(deliverable)))
        return redirect(url_for("ledger.mine"))
    status = 400 if form.is_submitted() else 200
    return render_template("ledger/submit.html", form=form, d=deliverable, now=now), status


@bp.route("/deliverables/submit", methods=["GET", "POST"])
@login_required
def submit_batch():
    """Hand several deliverables in at once with the same evidence: all of them or none."""
    now = clock.now()
    ids = validation.parse_ids(request.values.getlist("ids"))
    form = BatchSubmitForm()
    if form.is_submitted():
        pairs = form.chosen()
        ids = [deliverable_id for deliverable_id, _version in pairs]
    else:
        pairs = []
    chosen = _chosen_deliverables(ids)
    if not chosen:
        flash(_("Tick the deliverables to submit first."), "error")
        return redirect(url_for("ledger.mine"))
    form.required = {e for d in chosen for e in (d.version.evidence or [])}
    form.late = any(ledger.server_time(now) > d.due_at for d in chosen)
    if not form.is_submitted():
        form.items.data = ",".join(f"{d.id}:{d.state_version}" for d in chosen)
        references = {d.reference for d in chosen}
        form.reference.data = references.pop() if len(references) == 1 else None
    elif form.validate():
        versions = dict(pairs)
        evidence = uploads.save(form.file.data, **form.evidence_fields())
        try:
            for d in chosen:
                ledger.submit(
                    db.session,
                    d,
                    by=current_user,
                    now=now,
                    evidence=evidence,
                    late_reason=form.late_reason.data,
                    expected_version=versions[d.id],
                )
            db.session.commit()
        except TrackerError as exc:
            db.session.rollback()
            uploads.discard(evidence)
            return _refused(exc, "ledger.mine")
        flash(_("Submitted %(n)d deliverables.", n=len(chosen)))
        return redirect(url_for("ledger.mine"))
    status = 400 if form.is_submitted() else 200
    return render_template("ledger/submit_batch.html", form=form, rows=chosen, now=now), status


def _chosen_deliverables(ids: list[int]) -> list[Deliverable]:
    if not ids:
        return []
    rows = db.session.scalars(
        select(Deliverable).where(Deliverable.id.in_(ids)).order_by(Deliverable.due_at)
    ).all()
    if len(rows) != len(set(ids)):
        abort(404)
    for d in rows:
        require(can_see_deliverable(current_user, d) and ledger.may_submit(current_user, d))
    return list(rows)


# --- business events ---


@bp.route("/events/new", methods=["GET", "POST"])
@login_required
def record_event():
    """Record what happened; the page then shows the deliverables it created."""
    now = clock.now()
    store = current_user.store
    form = EventForm(zone=store.zone, now=now, language=display.language())
    if form.validate_on_submit():
        try:
            event, _created = ledger.record_event(
                db.session,
                store=store,
                type=form.type.data,
                occurred_at=form.occurred_instant(),
                reference=form.reference.data,
                customer=form.customer.data,
                vin=form.vin.data,
                amount=form.amount.data,
                by=current_user,
                now=now,
            )
            db.session.commit()
        except TrackerError as exc:
            db.session.rollback()
            if isinstance(exc, NotAllowed):
                abort(403)
            flash(explain(exc), "error")
            return render_template("ledger/record_event.html", form=form, store=store), 400
        return redirect(url_for("ledger.event", event_id=event.id))
    status = 400 if form.is_submitted() else 200
    return render_template("ledger/record_event.html", form=form, store=store), status


@bp.get("/events/<int:event_id>")
@login_required
def event(event_id: int):
    """One business event and the deliverables it created, with their due times."""
    found = db.session.get(BusinessEvent, event_id)
    if found is None:
        abort(404)
    require(can_see_store(current_user, found.store_id))
    rows = db.session.scalars(
        select(Deliverable).where(Deliverable.event_id == found.id).order_by(Deliverable.due_at)
    ).all()
    return render_template("ledger/event.html", event=found, rows=rows, now=clock.now())


# --- deal file ---


@bp.get("/deals")
@login_required
def deal_file():
    """Everything owed for one deal reference across the departments of the person's store."""
    ref = (request.args.get("ref") or "").strip()[:100]
    events, rows = [], []
    if ref:
        events = db.session.scalars(
            select(BusinessEvent)
            .where(
                BusinessEvent.store_id == current_user.store_id,
                func.lower(BusinessEvent.reference) == ref.lower(),
            )
            .order_by(BusinessEvent.occurred_at)
        ).all()
        rows = db.session.scalars(
            select(Deliverable)
            .where(
                Deliverable.store_id == current_user.store_id,
                func.lower(Deliverable.reference) == ref.lower(),
            )
            .order_by(Deliverable.due_at, Deliverable.id)
        ).all()
    return render_template(
        "ledger/deal_file.html", ref=ref, events=events, rows=rows, now=clock.now()
    )


# --- one deliverable ---


@bp.get("/deliverables/<int:deliverable_id>")
@login_required
def deliverable(deliverable_id: int):
    """A deliverable: what is owed, every submission, the waiver and its whole history."""
    found = visible_deliverable(deliverable_id)
    submissions = db.session.scalars(
        select(Submission)
        .where(Submission.deliverable_id == found.id)
        .options(joinedload(Submission.submitted_by), joinedload(Submission.decided_by))
        .order_by(Submission.seq)
    ).all()
    history = db.session.scalars(
        select(AuditEntry)
        .where(AuditEntry.entity == "deliverable", AuditEntry.entity_id == found.id)
        .options(joinedload(AuditEntry.actor))
        .order_by(AuditEntry.id)  # the order things happened (`at` may be cut to the second)
    ).all()
    return render_template(
        "ledger/deliverable.html",
        d=found,
        submissions=submissions,
        history=history,
        now=clock.now(),
        may_submit=ledger.may_submit(current_user, found) and found.status in OPEN_STATUSES,
        may_decide=ledger.may_decide(current_user, found),
    )


@bp.get("/submissions/<int:submission_id>/file")
@login_required
def evidence(submission_id: int):
    """The file handed in with a submission, to those who may see its deliverable."""
    submission = db.session.get(Submission, submission_id)
    if submission is None or not submission.file_path:
        abort(404)
    require(can_see_deliverable(current_user, submission.deliverable))
    return send_from_directory(
        current_app.config["UPLOAD_DIR"],
        submission.file_path,
        as_attachment=True,
        download_name=submission.file_name or submission.file_path,
        mimetype=submission.file_type,
    )


# --- helpers ---


def _refused(exc: TrackerError, endpoint: str, **values):
    """After a refused change (nothing written): say why and show where things stand."""
    if isinstance(exc, NotAllowed):
        abort(403)
    flash(explain(exc), "error")
    return redirect(url_for(endpoint, **values))


def _status(deliverable: Deliverable) -> str:
    return str(display.STATUS_LABELS.get(deliverable.status, deliverable.status))


def _receiver(deliverable: Deliverable) -> str:
    return deliverable.commitment.receiver.name(display.language())


def _int(value) -> int | None:
    return int(value) if value and str(value).isdigit() else None
