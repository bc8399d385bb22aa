"""The receiving department's inbox: what was handed in, to accept or return; what is still
owed, to waive; and requests raised to other departments."""

from collections.abc import Callable
from functools import wraps

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask import request as http_request
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required

from tracker import clock
from tracker.errors import Conflict, TrackerError
from tracker.extensions import db
from tracker.i18n import local_time
from tracker.inbox import service as inbox
from tracker.inbox.forms import (
    AcceptForm,
    BatchForm,
    FilterForm,
    RequestForm,
    ReturnForm,
    WaiveForm,
)
from tracker.ledger import display, holds, permissions
from tracker.ledger import service as ledger
from tracker.ledger.models import Deliverable
from tracker.satisfaction import service as satisfaction
from tracker.web import abort_if_refused, explain, parse_id, visible_deliverable

bp = Blueprint("inbox", __name__, url_prefix="/inbox")
display.register(bp)


def receivers_only(view: Callable) -> Callable:
    """Only people of a receiving department (Finance) have an inbox; others get 403."""

    @wraps(view)
    @login_required
    def wrapped(*args, **kwargs):
        if not permissions.has_inbox(db.session, current_user):
            abort(403)
        return view(*args, **kwargs)

    return wrapped


@bp.get("")
@receivers_only
def index():
    """Handed in and waiting for a decision; still owed to us, overdue first."""
    return _page()


@bp.post("/batch")
@receivers_only
def batch():
    """Accept several (each with its checklist) or return them with one reason, all or none."""
    form = BatchForm()
    if not form.validate_on_submit():
        return _page(batch=form)
    try:
        decided = inbox.decide_batch(
            db.session,
            form.picks(http_request.form),
            action=form.decision.data,
            by=current_user,
            now=clock.now(),
            reason=form.reason.data,
            note=form.note.data,
        )
        db.session.commit()
    except inbox.BatchStopped as stop:
        db.session.rollback()
        return _page(batch=form, stopped=_stopped(stop))
    return _decided(form.decision.data, len(decided))


@bp.post("/<int:deliverable_id>/accept")
@receivers_only
def accept(deliverable_id: int):
    """Accept the latest submission with every checklist point ticked."""

    def change(d: Deliverable, form: AcceptForm, acting: dict) -> str:
        done = ledger.accept(db.session, d, checklist=[True] * form.points, **acting)
        satisfaction.rate(db.session, done, **form.rated(), by=acting["by"], now=acting["now"])
        return _("Accepted: %(what)s.", what=_name(d))

    return _decide(deliverable_id, "accept", change)


@bp.post("/<int:deliverable_id>/return")
@receivers_only
def return_item(deliverable_id: int):
    """Send the latest submission back with a reason; the provider submits again."""

    def change(d: Deliverable, form: ReturnForm, acting: dict) -> str:
        done = ledger.return_deliverable(
            db.session, d, reason=form.reason.data, note=form.note.data, **acting
        )
        satisfaction.rate(db.session, done, **form.rated(), by=acting["by"], now=acting["now"])
        return _("Returned to %(provider)s: %(what)s.", provider=_provider(d), what=_name(d))

    return _decide(deliverable_id, "return", change)


@bp.post("/<int:deliverable_id>/waive")
@receivers_only
def waive(deliverable_id: int):
    """Declare an open or returned deliverable not applicable, with a reason."""

    def change(d: Deliverable, form: WaiveForm, acting: dict) -> str:
        ledger.waive(db.session, d, reason=form.reason.data, **acting)
        return _("Waived: %(what)s.", what=_name(d))

    return _decide(deliverable_id, "waive", change)


@bp.route("/request", methods=["GET", "POST"])
@receivers_only
def request():
    """Raise a request to a department, due at a time (default: end of the next working day)."""
    store = current_user.store
    form = RequestForm(zone=store.zone, now=clock.now())
    form.offer(inbox.requestable(db.session, current_user), display.language())
    if form.validate_on_submit():
        try:
            d = ledger.raise_request(db.session, **form.request(store, current_user))
            db.session.commit()
        except TrackerError as exc:
            db.session.rollback()
            abort_if_refused(exc)
            flash(explain(exc), "error")
        else:
            due = local_time(d.due_at, store)
            flash(_("Requested from %(provider)s, due %(due)s.", provider=_provider(d), due=due))
            return redirect(url_for("ledger.deliverable", deliverable_id=d.id))
    page = render_template("inbox/request.html", form=form, store=store)
    return page, 400 if form.is_submitted() else 200


# --- helpers ---


def _decide(deliverable_id: int, action: str, change: Callable):
    """Accept, return or waive: check the row's form, change with the server's clock, commit
    and say so; a refused form shows beside its row, a refused change writes nothing."""
    d = visible_deliverable(deliverable_id)
    if not permissions.may_decide(current_user, d):
        abort(403)
    form = _form(action, d)
    if not form.validate_on_submit():
        return _page(failed=(d.id, action, form))
    try:
        version = parse_id(form.state_version.data)
        done = change(
            d, form, {"by": current_user, "now": clock.now(), "expected_version": version}
        )
        db.session.commit()
    except TrackerError as exc:
        db.session.rollback()
        return _refused(exc)
    flash(done, "success")
    return redirect(url_for("inbox.index"))


def _refused(exc: TrackerError):
    """Nothing was written: a stale row sends back to the inbox as it now is; any other reason
    is shown above it."""
    abort_if_refused(exc)
    flash(explain(exc), "error")
    return redirect(url_for("inbox.index")) if isinstance(exc, Conflict) else _page(400)


def _form(action: str, d: Deliverable, **kwargs):
    """The form of one action on one row (its prefix keeps the rows' forms apart)."""
    if action == "accept":
        return AcceptForm(prefix=f"a{d.id}", points=len(d.version.checklist or []), **kwargs)
    form = {"return": ReturnForm, "waive": WaiveForm}[action]
    return form(prefix=f"{action[0]}{d.id}", **kwargs)


def _filters() -> FilterForm:
    """The filters of the query string, checked (a bad value is shown beside its field)."""
    form = FilterForm(http_request.args)
    form.offer(
        inbox.departments(db.session, current_user.department_id),
        inbox.commitments(db.session, current_user.department_id),
        display.language(),
    )
    form.validate()
    return form


def _page(
    status: int = 200,
    failed: tuple[int, str, object] | None = None,
    batch: BatchForm | None = None,
    stopped: str | None = None,
):
    """The inbox, filtered and paged; after a refused form, that row (or the batch form) shows
    its errors (and nothing was written)."""
    filters = _filters()
    now = clock.now()
    pages = filters.pages()
    page = inbox.inbox(
        db.session,
        current_user,
        now=now,
        filters=filters.filters(),
        submitted_page=pages["page"],
        owed_page=pages["owed_page"],
    )
    forms = _row_forms(page, batch)
    if failed is not None and failed[0] in forms:
        forms[failed[0]][failed[1]] = failed[2]
    html = render_template(
        "inbox/index.html",
        submitted=page.submitted,
        owed=page.owed,
        forms=forms,
        failed=failed[:2] if failed else None,
        filters=filters,
        args=filters.args(),
        batch=batch or BatchForm(formdata=None),
        picked=set(batch.pick.data or []) if batch else set(),
        stopped=stopped,
        now=now,
        hold_requests=holds.pending_for(db.session, current_user),
    )
    refused = failed or stopped or (batch and batch.errors) or filters.errors
    return html, 400 if refused else status


def _row_forms(page: inbox.Inbox, batch: BatchForm | None) -> dict:
    """Each row's forms, as the row stands now; after a refused batch, the ticks stay."""
    forms = {}
    for part, actions in ((page.submitted, ("accept", "return")), (page.owed, ("waive",))):
        for row in part.rows:
            forms[row.id] = {a: _form(a, row, formdata=None) for a in actions}
            if batch is not None and "accept" in forms[row.id]:
                ticks = http_request.form.getlist(f"a{row.id}-checklist")
                forms[row.id]["accept"].checklist.data = [int(t) for t in ticks if t.isdigit()]
            for form in forms[row.id].values():
                form.state_version.data = row.state_version
    return forms


def _stopped(stop: inbox.BatchStopped) -> str:
    """Which item stopped a batch, and why, in the person's language."""
    d = stop.deliverable
    item = _name(d) if d is not None else f"#{stop.deliverable_id}"
    return _(
        "Nothing was decided: %(item)s stopped the batch. %(why)s",
        item=item,
        why=stop.error.localized(),
    )


def _decided(action: str, count: int):
    """Say how many were decided; back to the inbox with the same filters."""
    if action == "accept":
        flash(ngettext("Accepted %(num)d item.", "Accepted %(num)d items.", count), "success")
    else:
        flash(ngettext("Returned %(num)d item.", "Returned %(num)d items.", count), "success")
    return redirect(url_for("inbox.index", **_filters().args()))


def _name(d: Deliverable) -> str:
    title = d.version.title(display.language())
    return f"{title} ({d.reference})" if d.reference else title


def _provider(d: Deliverable) -> str:
    return d.commitment.provider.name(display.language())
