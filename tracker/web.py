"""A plain home page until the real pages arrive: what the database holds, per store."""

from flask import Blueprint, render_template
from sqlalchemy import func, select

from tracker import clock
from tracker.extensions import db
from tracker.ledger.models import OPEN_STATUSES, Deliverable
from tracker.org.models import Store

bp = Blueprint("home", __name__)


@bp.get("/")
def index():
    """Per store: deliverables by status and how many are overdue."""
    now = clock.now()
    counts = db.session.execute(
        select(Deliverable.store_id, Deliverable.status, func.count()).group_by(
            Deliverable.store_id, Deliverable.status
        )
    ).all()
    overdue = dict(
        db.session.execute(
            select(Deliverable.store_id, func.count())
            .where(Deliverable.status.in_(OPEN_STATUSES), Deliverable.due_at < now)
            .group_by(Deliverable.store_id)
        ).all()
    )
    stores = db.session.scalars(select(Store).order_by(Store.code)).all()
    by_store = {s.id: {} for s in stores}
    for store_id, status, n in counts:
        by_store[store_id][status] = n
    return render_template("home.html", stores=stores, by_store=by_store, overdue=overdue)
