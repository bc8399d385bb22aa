"""The "now" cockpit and the lists behind its numbers. What it counts is `cockpit.service`; who
sees what is `cockpit.permissions`; the lists are the inbox's (`tracker.inbox.service`)."""

from flask import Blueprint, abort, render_template, request, url_for
from flask_login import current_user, login_required

from tracker import clock
from tracker.closing.permissions import can_close
from tracker.cockpit import service
from tracker.cockpit.permissions import has_cockpit
from tracker.errors import TrackerError
from tracker.extensions import db
from tracker.inbox import service as lists
from tracker.inbox.forms import FilterForm
from tracker.ledger import display
from tracker.ledger.permissions import has_inbox

bp = Blueprint("cockpit", __name__, url_prefix="/now")
display.register(bp)


@bp.get("")
@login_required
def index():
    """What is overdue, due and waiting right now, each number linked to its list."""
    try:
        page = service.cockpit(
            db.session, current_user, store_code=request.args.get("store"), now=clock.now()
        )
    except TrackerError as exc:
        abort(exc.status)
    return render_template(
        "cockpit/index.html",
        page=page,
        bands=page.bands,
        link=_linker(page),
        may_close=can_close(current_user),
    )


@bp.get("/items")
@login_required
def items():
    """The deliverables behind one number of the cockpit (or any filter of them), paged."""
    store, side = request.args.get("store"), request.args.get("side")
    try:
        where, chosen = service.list_scope(db.session, current_user, store_code=store, side=side)
    except TrackerError as exc:
        abort(exc.status)
    form, now = _filters(), clock.now()
    part = lists.listing(db.session, where, form.filters(), now=now, page=form.pages()["page"])
    html = render_template(
        "cockpit/items.html", part=part, filters=form, side=side, store=chosen, now=now
    )
    return html, 400 if form.errors else 200


def _filters() -> FilterForm:
    form = FilterForm(request.args)
    form.offer(lists.departments(db.session), lists.commitments(db.session), display.language())
    form.validate()
    return form


def _linker(page: service.Cockpit):
    """Where each number leads: the person's own inbox for what is owed to their department
    (they decide there), else the cockpit's list."""
    own_inbox = has_inbox(db.session, current_user)
    store = page.store.code if page.store else None

    def link(side: str, cell: service.Cell) -> str:
        if side == "received" and own_inbox:
            return url_for("inbox.index", **cell.filters)
        return url_for("cockpit.items", side=side, store=store, **cell.filters)

    return link


def may_open(person) -> bool:
    """For the menu: who has the cockpit."""
    return has_cockpit(db.session, person)
