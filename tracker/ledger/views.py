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

from tracker import clock, validation
from tracker.errors import Conflict, NotAllowed, TrackerError
from tracker.extensions import db
from tracker.ledger import display, events, holds, owners, permissions, uploads
from tracker.ledger import service as ledger
from tracker.ledger.forms import (
    BatchSubmitForm,
    CancelEventForm,
    CorrectEventForm,
    EventForm,
    HoldAnswerForm,
    HoldForm,
    MineFilterForm,
    OwnerForm,
    SubmitForm,
    TakeOverForm,
)
from tracker.ledger.models import (
    FINAL_STATUSES,
    OPEN_STATUSES,
    BusinessEvent,
    Deliverable,
    Submission,
)
from tracker.paging import page_number
from tracker.web import abort_if_refused, explain, parse_id, refused, visible_deliverable

bp = Blueprint("ledger", __name__)
display.register(bp)


# --- our department ---


@bp.get("/mine")
@login_required
def mine():
    """What the person's department owes in their store: overdue first, then by due time."""
    now = clock.now()
    form = MineFilterForm(request.args).offer(
        ledger.provided_commitments(db.session, current_user.department_id), display.language()
    )
    part = ledger.department_list(
        db.session, current_user, form.filters(), now, page=page_number(request.args.get("page"))
    )
    return render_template(
        "ledger/mine.html",
        form=form,
        part=part,
        rows=part.rows,
        now=now,
        open=OPEN_STATUSES,
        sets_owners=permissions.may_set_default_owners(
            current_user, current_user.department_id, current_user.store_id
        ),
    )


# --- submitting ---


@bp.route("/deliverables/<int:deliverable_id>/submit", methods=["GET", "POST"])
@login_required
def submit(deliverable_id: int):
    """Hand one deliverable in with its evidence; the time is the server's."""
    d = visible_deliverable(deliverable_id)
    if not permissions.may_submit(current_user, d):
        abort(403)
    now = clock.now()
    form = SubmitForm(
        required=d.version.evidence,
        late=ledger.server_time(now) > d.due_at,
        state_version=d.state_version,
        reference=d.reference,
    )
    if d.status not in OPEN_STATUSES:
        return _nothing_to_submit(d, stale=form.is_submitted())
    if form.validate_on_submit():
        return _hand_in([d], form, {d.id: parse_id(form.state_version.data)}, now)
    page = render_template("ledger/submit.html", form=form, d=d, now=now)
    return page, 400 if form.is_submitted() else 200


@bp.route("/deliverables/submit", methods=["GET", "POST"])
@login_required
def submit_batch():
    """Hand several deliverables in at once, each with its own reference and amount: all of
    them or none."""
    now = clock.now()
    form = BatchSubmitForm()
    pairs = dict(form.chosen()) if form.is_submitted() else {}
    ids = (
        list(pairs) if form.is_submitted() else validation.parse_ids(request.values.getlist("ids"))
    )
    chosen = _to_submit(ids)
    if not chosen:
        flash(_("Tick the deliverables to submit first."), "error")
        return redirect(url_for("ledger.mine"))
    form.prepare(chosen, late=any(ledger.server_time(now) > d.due_at for d in chosen))
    if form.is_submitted() and form.validate():
        return _hand_in(chosen, form, pairs, now)
    page = render_template("ledger/submit_batch.html", form=form, rows=chosen, now=now)
    return page, 400 if form.is_submitted() else 200


# --- business events ---


@bp.route("/events/new", methods=["GET", "POST"])
@login_required
def record_event():
    """Record what happened; the page then shows the deliverables it created. The same type
    and reference recorded before are shown first, and recorded again only when confirmed."""
    now = clock.now()
    store = current_user.store
    form = EventForm(zone=store.zone, now=now, language=display.language())
    existing = []
    if form.validate_on_submit():
        new, again = form.new_event(store), form.again.data
        done = _saved(
            lambda: events.record_new(db.session, new, by=current_user, now=now, again=again)
        )
        if done is not None and done[0] is not None:
            return redirect(url_for("ledger.event", event_id=done[0].id))
        existing = done[1] if done is not None else []
    page = render_template("ledger/record_event.html", form=form, store=store, existing=existing)
    return page, 400 if form.is_submitted() and not existing else 200


@bp.get("/events/<int:event_id>")
@login_required
def event(event_id: int):
    """One business event, the deliverables it created with their due times, and what was
    corrected; the recorder's head and the receiving department may correct or cancel it."""
    found = _visible_event(event_id)
    return render_template(
        "ledger/event.html",
        event=found,
        rows=ledger.event_deliverables(db.session, found, current_user),
        history=events.event_history(db.session, found),
        may_amend=not found.cancelled and events.may_amend(db.session, current_user, found),
        now=clock.now(),
    )


@bp.route("/events/<int:event_id>/correct", methods=["GET", "POST"])
@login_required
def correct_event(event_id: int):
    """Put an event's time, reference, customer, VIN or amount right; open deliverables take
    the due times the new time gives them."""
    found = _amendable_event(event_id)
    now = clock.now()
    form = CorrectEventForm(event=found, now=now, language=display.language())
    if form.validate_on_submit():
        new = form.new_event(found.store)
        done = _saved(
            lambda: events.correct_event(db.session, found, new, by=current_user, now=now)
        )
        if done is not None:
            flash(_("Corrected. %(n)d due times moved.", n=len(done)))
            return redirect(url_for("ledger.event", event_id=found.id))
    page = render_template("ledger/correct_event.html", form=form, event=found)
    return page, 400 if form.is_submitted() else 200


@bp.route("/events/<int:event_id>/cancel", methods=["GET", "POST"])
@login_required
def cancel_event(event_id: int):
    """Cancel a wrongly recorded event, with a reason: what it still owes is waived, and what
    was handed in is left to the receiving department."""
    found = _amendable_event(event_id)
    form = CancelEventForm()
    if form.validate_on_submit():
        reason, now = form.reason.data, clock.now()
        done = _saved(
            lambda: events.cancel_event(db.session, found, by=current_user, now=now, reason=reason)
        )
        if done is not None:
            flash(_cancelled(done))
            return redirect(url_for("ledger.event", event_id=found.id))
    rows = ledger.event_deliverables(db.session, found, current_user)
    page = render_template(
        "ledger/cancel_event.html", form=form, event=found, rows=rows, now=clock.now()
    )
    return page, 400 if form.is_submitted() else 200


# --- deal file ---


@bp.get("/deals")
@login_required
def deal_file():
    """One deal's file by its reference (`ref`), or the store's deals found by part of the
    reference, the customer, the VIN or the amount (`q`; none: the most recent)."""
    ref = (request.args.get("ref") or "").strip()[:100]
    q = (request.args.get("q") or "").strip()[:100]
    events, rows = ledger.deal_file(db.session, current_user, ref)
    page = page_number(request.args.get("page"))
    part = None if ref else ledger.find_deals(db.session, current_user.store_id, q, page=page)
    return render_template(
        "ledger/deal_file.html",
        ref=ref,
        q=q,
        events=events,
        rows=rows,
        part=part,
        deals=part.rows if part else [],
        total=part.total if part else 0,
        now=clock.now(),
    )


# --- one deliverable ---


@bp.get("/deliverables/<int:deliverable_id>")
@login_required
def deliverable(deliverable_id: int):
    """A deliverable: what is owed, every submission, the waiver and its whole history."""
    return _deliverable_page(visible_deliverable(deliverable_id), HoldForm(formdata=None))


@bp.post("/deliverables/<int:deliverable_id>/hold")
@login_required
def ask_hold(deliverable_id: int):
    """The provider asks to pause the deliverable (a reason, a note with "other")."""
    d = visible_deliverable(deliverable_id)
    if not permissions.may_hold(current_user, d, "ask"):
        abort(403)
    form = HoldForm()
    if not form.validate_on_submit():
        return _deliverable_page(d, form), 400
    reason, note = form.reason.data, form.note.data
    if _saved(lambda: holds.ask(db.session, d, by=current_user, now=clock.now(), reason=reason,
                                note=note)) is not None:  # fmt: skip
        flash(_("Hold asked for: the receiving department will answer."))
    return redirect(url_for("ledger.deliverable", deliverable_id=d.id))


HOLD_ANSWERS = {"approve": (holds.approve, "answer"), "refuse": (holds.refuse, "answer"),
                "release": (holds.release, "release")}  # fmt: skip


@bp.post("/deliverables/<int:deliverable_id>/hold/<any(approve, refuse, release):action>")
@login_required
def answer_hold(deliverable_id: int, action: str):
    """Approve or refuse the hold asked for (receiver), or end it (either side)."""
    d = visible_deliverable(deliverable_id)
    change, rule = HOLD_ANSWERS[action]
    if not permissions.may_hold(current_user, d, rule):
        abort(403)
    if not HoldAnswerForm().validate_on_submit():
        abort(400)
    if _saved(lambda: change(db.session, d, by=current_user, now=clock.now())) is not None:
        flash(_("Done."))
    return redirect(url_for("ledger.deliverable", deliverable_id=d.id))


@bp.post("/deliverables/<int:deliverable_id>/take")
@login_required
def take_over(deliverable_id: int):
    """A clerk of the providing department makes the deliverable theirs."""
    d = visible_deliverable(deliverable_id)
    if TakeOverForm().validate_on_submit():
        if _saved(lambda: owners.take_over(db.session, d, by=current_user, now=clock.now())):
            flash(_("It is yours now: its reminders come to you first."))
    return redirect(url_for("ledger.deliverable", deliverable_id=d.id))


@bp.post("/deliverables/<int:deliverable_id>/owner")
@login_required
def reassign(deliverable_id: int):
    """The providing department's head gives the deliverable to someone of the department."""
    d = visible_deliverable(deliverable_id)
    if not permissions.may_reassign(current_user, d):
        abort(403)
    people = owners.department_people(db.session, d.provider_id, d.store_id)
    form = OwnerForm().fill(people, allow_nobody=False)
    if form.validate_on_submit():
        to, now = form.chosen(people), clock.now()
        if _saved(lambda: owners.reassign(db.session, d, to=to, by=current_user, now=now)):
            flash(_("Reassigned to %(name)s.", name=to.name))
    else:
        flash(_("Choose someone of the department."), "error")
    return redirect(url_for("ledger.deliverable", deliverable_id=d.id))


# --- default owners, set by the head ---


@bp.route("/owners", methods=["GET", "POST"])
@login_required
def default_owners():
    """The head's page: who owns each recurring or requested commitment's items in the store."""
    me = current_user
    if not permissions.may_set_default_owners(me, me.department_id, me.store_id):
        abort(403)
    people = owners.department_people(db.session, me.department_id, me.store_id)
    if request.method == "POST":
        _set_default_owner(people, parse_id(request.form.get("commitment")))
        return redirect(url_for("ledger.default_owners"))
    rows = owners.default_owner_rows(db.session, me.department_id, me.store)
    forms = {
        r.commitment.id: OwnerForm(formdata=None, person=str(r.owner.id if r.owner else "")).fill(
            people, allow_nobody=True
        )
        for r in rows
    }
    return render_template("ledger/owners.html", rows=rows, forms=forms)


@bp.get("/submissions/<int:submission_id>/file")
@login_required
def evidence(submission_id: int):
    """The file handed in with a submission, to those who may see its deliverable."""
    submission = db.session.get(Submission, submission_id)
    if submission is None or not submission.file_path:
        abort(404)
    if not permissions.may_see_deliverable(current_user, submission.deliverable):
        abort(403)
    return send_from_directory(
        current_app.config["UPLOAD_DIR"],
        submission.file_path,
        as_attachment=True,
        download_name=submission.file_name or submission.file_path,
        mimetype=submission.file_type,
    )


# --- helpers ---


def _deliverable_page(d: Deliverable, hold_form: HoldForm):
    submissions, history = ledger.deliverable_history(db.session, d)
    return render_template(
        "ledger/deliverable.html",
        d=d,
        submissions=submissions,
        history=history,
        now=clock.now(),
        may_submit=permissions.may_submit(current_user, d) and d.status in OPEN_STATUSES,
        may_decide=permissions.may_decide(current_user, d),
        holds=holds.holds_of(db.session, d),
        hold_form=hold_form,
        answer_form=HoldAnswerForm(),
        may_hold={a: permissions.may_hold(current_user, d, a) for a in permissions.HOLD_ACTIONS},
        owner_names=owners.owners_by_id(db.session, _owner_ids(history)),
        **_owner_forms(d),
    )


def _cancelled(done: events.Cancelled) -> str:
    return _(
        "Cancelled: %(w)d waived, %(d)d left to decide.", w=len(done.waived), d=len(done.to_decide)
    )


def _visible_event(event_id: int) -> BusinessEvent:
    """The event, if this person may see it (else 404/403)."""
    found = db.session.get(BusinessEvent, event_id)
    if found is None:
        abort(404)
    if not permissions.may_see_event(current_user, found):
        abort(403)
    return found


def _amendable_event(event_id: int) -> BusinessEvent:
    """The event, if this person may correct or cancel it and it is not cancelled."""
    found = _visible_event(event_id)
    if not events.may_amend(db.session, current_user, found):
        abort(403)
    if found.cancelled:
        flash(_("This event was cancelled: it can no longer be changed."), "error")
        abort(redirect(url_for("ledger.event", event_id=found.id)))
    return found


def _owner_forms(d: Deliverable) -> dict:
    """The deliverable page's owner buttons this person may use: take it over, reassign it."""
    live = d.status not in FINAL_STATUSES
    take = live and permissions.may_take_over(current_user, d)
    if not (live and permissions.may_reassign(current_user, d)):
        return {"take_form": TakeOverForm() if take else None, "owner_form": None}
    people = owners.department_people(db.session, d.provider_id, d.store_id)
    form = OwnerForm(person=str(d.owner_id or "")).fill(people, allow_nobody=False)
    return {"take_form": TakeOverForm() if take else None, "owner_form": form}


def _owner_ids(history) -> set[int]:
    """The people an owner change in a history names (shown by name)."""
    return {
        i
        for h in history
        if h.action in ("taken_over", "reassigned")
        for i in ((h.detail or {}).get("from_owner"), (h.detail or {}).get("to_owner"))
        if i
    }


def _set_default_owner(people, commitment_id: int | None) -> None:
    """Save one row of the default owners' page (told by a flash message)."""
    form = OwnerForm().fill(people, allow_nobody=True)
    commitment = owners.provided_commitment(db.session, commitment_id, current_user)
    if commitment is None or not form.validate_on_submit():
        flash(_("Choose someone of the department."), "error")
        return
    chosen, now = form.chosen(people), clock.now()
    change = lambda: owners.set_default_owner(  # noqa: E731
        db.session, commitment, current_user.store, chosen, by=current_user, now=now
    )
    if _saved(change) is not None:
        flash(_("Saved: %(code)s.", code=commitment.code))


def _saved(change):
    """Run a change and commit it; a refusal is rolled back, told, and gives None."""
    try:
        done = change()
        db.session.commit()
        return done
    except TrackerError as exc:
        db.session.rollback()
        abort_if_refused(exc)
        flash(explain(exc), "error")
        return None


def _to_submit(ids: list[int]) -> list[Deliverable]:
    """The deliverables picked on the list, if this person may submit every one (else 403/404)."""
    try:
        return ledger.deliverables_to_submit(db.session, current_user, ids)
    except TrackerError as exc:
        abort_if_refused(exc)
        raise


def _hand_in(chosen: list[Deliverable], form, versions: dict[int, int | None], now):
    """Keep the evidence once and submit each with it: all of them, or none and no file."""
    wanted = {d.id: form.evidence_for(d) for d in chosen}
    evidence = uploads.save_each(db.session, wanted)
    try:
        for d in chosen:
            ledger.submit(
                db.session,
                d,
                by=current_user,
                now=now,
                evidence=evidence[d.id],
                late_reason=form.late_reason.data,
                expected_version=versions.get(d.id),
            )
        db.session.commit()
    except TrackerError as exc:
        db.session.rollback()  # and with it the evidence file it staged
        return _after_refusal(exc, chosen, form, now)
    flash(_submitted(chosen, batch=isinstance(form, BatchSubmitForm)))
    return redirect(url_for("ledger.mine"))


def _submitted(chosen: list[Deliverable], batch: bool) -> str:
    if batch:
        return _("Submitted %(n)d deliverables.", n=len(chosen))
    receiver = chosen[0].commitment.receiver.name(display.language())
    return _("Submitted. %(receiver)s will check it.", receiver=receiver)


def _after_refusal(exc: TrackerError, chosen: list[Deliverable], form, now):
    """A refused batch goes back to the list; a single submission shows its form again, unless
    it was taken meanwhile or is not this person's to submit."""
    if isinstance(form, BatchSubmitForm):
        return refused(exc, "ledger.mine")
    d = chosen[0]
    if isinstance(exc, Conflict | NotAllowed):
        return refused(exc, "ledger.deliverable", deliverable_id=d.id)
    flash(explain(exc), "error")
    return render_template("ledger/submit.html", form=form, d=d, now=now), 400


def _nothing_to_submit(d: Deliverable, stale: bool):
    """A deliverable already handed in or decided: a stale tab is told someone was quicker."""
    if stale:
        return refused(Conflict(""), "ledger.deliverable", deliverable_id=d.id)
    status = str(display.STATUS_LABELS.get(d.status, d.status))
    flash(_("This deliverable is %(s)s: there is nothing to submit.", s=status))
    return redirect(url_for("ledger.deliverable", deliverable_id=d.id))
