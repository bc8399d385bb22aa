"""The month close page: what still blocks a store's month, closing it (one store or all),
reopening it. Who may do what is `closing.permissions`; the work is `closing.service`."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from tracker import clock
from tracker.closing import display, permissions, service
from tracker.closing.forms import CloseForm, ReadinessForm, ReopenForm
from tracker.errors import BadInput, Conflict, NotAllowed, NotFound
from tracker.extensions import db

bp = Blueprint("closing", __name__, url_prefix="/closing")


def _page(store: str | None, month: str | None, close=None, reopen=None, status: int = 200):
    """The readiness page, with the close and reopen forms (as posted, when refused)."""
    form = ReadinessForm(request.args)
    try:
        shown = service.page(db.session, current_user, store=store, month=month, now=clock.now())
    except (NotAllowed, NotFound) as exc:
        abort(exc.status)
    ready = shown["readiness"]
    form.store.choices = [(s.code, s.code) for s in shown["stores"]]
    form.store.data, form.month.data = ready.store.code, ready.month
    hidden = {"store": ready.store.code, "month": ready.month}
    close = close or CloseForm(formdata=None, data=hidden)
    reopen = reopen or ReopenForm(formdata=None, data=hidden)
    may_reopen = permissions.can_reopen(current_user)
    context = {"form": form, "ready": ready, "ended": shown["ended"], "groups": display.GROUPS}
    return render_template(
        "closing/index.html", **context, close=close, reopen=reopen, may_reopen=may_reopen
    ), status


def _allowed(rule) -> None:
    if not rule(current_user):
        abort(403)


@bp.get("")
@login_required
def index():
    """A store's month: every undecided deliverable by what blocks the close, and the close."""
    _allowed(permissions.can_close)
    form = ReadinessForm(request.args)
    form.validate()
    month = form.month.data if form.month.data and not form.month.errors else None
    return _page(request.args.get("store") or None, month)


@bp.post("/close")
@login_required
def close():
    """Close the month of this store, or of every store; undecided items need acknowledging."""
    _allowed(permissions.can_close)
    form = CloseForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        stores = service.stores_to_close(db.session, form.store.data, form.every_store.data)
        service.close_month(db.session, by=current_user, stores=stores, month=form.month.data,
                            now=clock.now(), with_open=form.with_open.data)  # fmt: skip
    except (BadInput, Conflict) as exc:
        db.session.rollback()
        form.with_open.errors.append(exc.localized())
        return _page(form.store.data, form.month.data, close=form, status=400)
    except (NotAllowed, NotFound) as exc:
        abort(exc.status)
    db.session.commit()
    flash(_("%(month)s is closed.", month=form.month.data), "success")
    return redirect(url_for(".index", store=form.store.data, month=form.month.data))


@bp.post("/reopen")
@login_required
def reopen():
    """Reopen a closed month of a store, with a reason: administrators only."""
    _allowed(permissions.can_reopen)
    form = ReopenForm()
    if not form.validate_on_submit():
        return _page(form.store.data or None, None, reopen=form, status=400)
    try:
        store = service.stores_to_close(db.session, form.store.data, False)[0]
        service.reopen_month(db.session, by=current_user, store=store, month=form.month.data,
                             reason=form.reason.data, now=clock.now())  # fmt: skip
    except (BadInput, Conflict) as exc:
        db.session.rollback()
        form.reason.errors.append(exc.localized())
        return _page(form.store.data, form.month.data, reopen=form, status=400)
    except (NotAllowed, NotFound) as exc:
        abort(exc.status)
    db.session.commit()
    flash(_("%(month)s is open again.", month=form.month.data), "success")
    return redirect(url_for(".index", store=form.store.data, month=form.month.data))
