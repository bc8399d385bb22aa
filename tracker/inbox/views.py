"""The receiving department's inbox: what was handed in, to accept or return; what is still
owed, to waive; and requests raised to other departments."""

from collections.abc import Callable
from functools import wraps

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from tracker import clock
from tracker.auth.permissions import is_receiving_department, require
from tracker.catalog.models import Commitment
from tracker.errors import Conflict, NotAllowed, TrackerError
from tracker.extensions import db
from tracker.i18n import local_time
from tracker.inbox.forms import AcceptForm, RequestForm, ReturnForm, WaiveForm
from tracker.ledger import display
from tracker.ledger import service as ledger
from tracker.ledger.models import OPEN_STATUSES, Deliverable, Submission
from tracker.ledger.views import explain, visible_deliverable

bp = Blueprint("inbox", __name__, url_prefix="/inbox")
display.register(bp)

PAGE_LIMIT = 500


def receivers_only(view: Callable) -> Callable:
    """Only people of a receiving department (Finance) have an inbox; others get 403."""

    @wraps(view)
    @login_required
    def wrapped(*args, **kwargs):
        require(is_receiving_department(current_user))
        return view(*args, **kwargs)

    return wrapped


@bp.get("")
@receivers_only
def index():
    """Handed in and waiting for a decision; still owed to us, overdue first."""
    return _page()


@bp.post("/<int:deliverable_id>/accept")
@receivers_only
def accept(deliverable_id: int):
    """Accept the latest submission with every checklist point ticked."""
    d = _decidable(deliverable_id)
    form = AcceptForm(prefix=f"a{d.id}", points=len(d.version.checklist or []))
    if not form.validate_on_submit():
        return _page(failed=(d.id, "accept", form))
    checklist = [True] * form.points
    return _act(
        lambda now: ledger.accept(
            db.session,
            d,
            by=current_user,
            now=now,
            checklist=checklist,
            expected_version=_int(form.state_version.data),
        ),
        _("Accepted: %(what)s.", what=_name(d)),
    )


@bp.post("/<int:deliverable_id>/return")
@receivers_only
def return_item(deliverable_id: int):
    """Send the latest submission back with a reason; the provider submits again."""
    d = _decidable(deliverable_id)
    form = ReturnForm(prefix=f"r{d.id}")
    if not form.validate_on_submit():
        return _page(failed=(d.id, "return", form))
    return _act(
        lambda now: ledger.return_deliverable(
            db.session,
            d,
            by=current_user,
            now=now,
            reason=form.reason.data,
            note=form.note.data,
            expected_version=_int(form.state_version.data),
        ),
        _("Returned to %(provider)s: %(what)s.", provider=_provider(d), what=_name(d)),
    )


@bp.post("/<int:deliverable_id>/waive")
@receivers_only
def waive(deliverable_id: int):
    """Declare an open or returned deliverable not applicable, with a reason."""
    d = _decidable(deliverable_id)
    form = WaiveForm(prefix=f"w{d.id}")
    if not form.validate_on_submit():
        return _page(failed=(d.id, "waive", form))
    return _act(
        lambda now: ledger.waive(
            db.session,
            d,
            by=current_user,
            now=now,
            reason=form.reason.data,
            expected_version=_int(form.state_version.data),
        ),
        _("Waived: %(what)s.", what=_name(d)),
    )


@bp.route("/request", methods=["GET", "POST"])
@receivers_only
def request():
    """Raise a request to a department, due at a time (default: end of the next working day)."""
    now = clock.now()
    store = current_user.store
    lang = display.language()
    commitments = {
        str(c.id): c
        for c in db.session.scalars(
            select(Commitment)
            .where(
                Commitment.kind == "request",
                Commitment.receiver_id == current_user.department_id,
                Commitment.retired_at.is_(None),
            )
            .order_by(Commitment.id)
        )
    }
    form = RequestForm(zone=store.zone, now=now)
    form.commitment.choices = [
        (key, f"{c.provider.name(lang)} · {c.current.title(lang)}")
        for key, c in commitments.items()
    ]
    if form.validate_on_submit():
        try:
            d = ledger.raise_request(
                db.session,
                store=store,
                commitment=commitments[form.commitment.data],
                by=current_user,
                now=now,
                note=form.note.data,
                due_at=form.due_instant(),
                reference=form.reference.data,
            )
            db.session.commit()
        except TrackerError as exc:
            db.session.rollback()
            if isinstance(exc, NotAllowed):
                abort(403)
            flash(explain(exc), "error")
            return render_template("inbox/request.html", form=form, store=store), 400
        due = local_time(d.due_at, store)
        flash(_("Requested from %(provider)s, due %(due)s.", provider=_provider(d), due=due))
        return redirect(url_for("ledger.deliverable", deliverable_id=d.id))
    status = 400 if form.is_submitted() else 200
    return render_template("inbox/request.html", form=form, store=store), status


# --- helpers ---


def _page(failed: tuple[int, str, object] | None = None, status: int = 200):
    """The inbox; after a refused form, that row shows its errors (and nothing was written)."""
    now = clock.now()
    d = Deliverable
    mine = (d.store_id == current_user.store_id, d.receiver_id == current_user.department_id)
    submitted = (
        db.session.scalars(
            select(d)
            .where(*mine, d.status == "submitted")
            .options(
                selectinload(d.submissions).joinedload(Submission.submitted_by),
                joinedload(d.event),
            )
            .order_by(d.last_submitted_at, d.id)
            .limit(PAGE_LIMIT)
        )
        .unique()
        .all()
    )
    owed = (
        db.session.scalars(
            select(d)
            .where(*mine, d.status.in_(OPEN_STATUSES))
            .options(joinedload(d.event))
            .order_by(d.due_at, d.id)
            .limit(PAGE_LIMIT)
        )
        .unique()
        .all()
    )
    forms = {}
    for row in submitted:
        forms[row.id] = {
            "accept": AcceptForm(
                formdata=None,
                prefix=f"a{row.id}",
                points=len(row.version.checklist or []),
                state_version=row.state_version,
            ),
            "return": ReturnForm(
                formdata=None, prefix=f"r{row.id}", state_version=row.state_version
            ),
        }
    for row in owed:
        forms[row.id] = {
            "waive": WaiveForm(formdata=None, prefix=f"w{row.id}", state_version=row.state_version)
        }
    if failed is not None and failed[0] in forms:
        forms[failed[0]][failed[1]] = failed[2]
    return (
        render_template(
            "inbox/index.html",
            submitted=submitted,
            owed=owed,
            forms=forms,
            failed=failed[:2] if failed else None,
            now=now,
            limit=PAGE_LIMIT,
        ),
        400 if failed else status,
    )


def _decidable(deliverable_id: int) -> Deliverable:
    d = visible_deliverable(deliverable_id)
    require(ledger.may_decide(current_user, d))
    return d


def _act(change: Callable, done: str):
    """Run one change with the server's clock, commit, and say so; on refusal write nothing."""
    try:
        change(clock.now())
        db.session.commit()
    except TrackerError as exc:
        db.session.rollback()
        if isinstance(exc, NotAllowed):
            abort(403)
        flash(explain(exc), "error")
        if isinstance(exc, Conflict):
            return redirect(url_for("inbox.index"))
        return _page(status=400)
    flash(done, "success")
    return redirect(url_for("inbox.index"))


def _name(d: Deliverable) -> str:
    title = d.version.title(display.language())
    return f"{title} ({d.reference})" if d.reference else title


def _provider(d: Deliverable) -> str:
    return d.commitment.provider.name(display.language())


def _int(value) -> int | None:
    return int(value) if value and str(value).isdigit() else None
