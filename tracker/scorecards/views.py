"""Scorecard pages: the month's table, the trend, return reasons, amounts at risk, the
deliverables behind each number, and the same table as CSV and Excel. Who may see what is
`scorecards.permissions`; what each page shows is assembled by `scorecards.service`."""

from contextlib import contextmanager

from flask import Blueprint, Response, abort, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from tracker import clock
from tracker.errors import NotAllowed, NotFound
from tracker.extensions import db
from tracker.ledger.models import RETURN_REASONS
from tracker.paging import page_number
from tracker.satisfaction.display import CSI_HELP
from tracker.scorecards import display, exports, permissions, service
from tracker.scorecards.forms import ScopeForm

bp = Blueprint("scorecards", __name__, url_prefix="/scorecards")


@bp.context_processor
def labels():
    """Names and helpers the scorecards' templates use."""
    return {
        "labels": dict(display.COLUMNS + display.CLOSED_COLUMNS),
        "adjustment_labels": display.ADJUSTMENT_LABELS,
        "reasons": RETURN_REASONS,
        "reason_labels": display.REASON_LABELS,
        "band_label": display.band_label,
        "status_labels": display.STATUS_LABELS,
        "percent": service.percent,
        "csi_help": CSI_HELP,
    }


@contextmanager
def _answered_by_status():
    """What was asked for is not there, or not this person's to see: the 404 or 403 page."""
    try:
        yield
    except (NotAllowed, NotFound) as exc:
        abort(exc.status)


def _scope() -> tuple[service.Scope, ScopeForm]:
    """The month, store and department asked for, checked against who is asking, and the
    filter form showing them."""
    form = ScopeForm(request.args)
    form.validate()
    month = form.month.data if form.month.data and not form.month.errors else None
    with _answered_by_status():
        scope = service.scope(
            db.session,
            current_user,
            month=month,
            store=request.args.get("store"),
            provider=request.args.get("provider"),
            now=clock.now(),
            deliverables_url=url_for(".deliverables"),
        )
    everything = [("", _("All stores"))] if permissions.sees_all_stores(current_user) else []
    form.store.choices = everything + [(s.code, s.code) for s in scope.stores]
    form.month.data = form.month.data or scope.month
    form.store.data = scope.store.code if scope.store else ""
    return scope, form


def _download(content, mimetype: str, name: str) -> Response:
    return Response(
        content,
        mimetype=mimetype,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@bp.get("")
@login_required
def index():
    """Department x month: rates, trend, return reasons and amounts at risk. Across all stores
    the departments come first, added up, then the stores a page at a time."""
    scope, form = _scope()
    now, number = clock.now(), request.args.get("page", type=int)
    shown = service.page(db.session, scope, now, lang=current_user.language, page_number=number)
    shown.update(
        link=scope.link,
        start=scope.start,
        owner_lines=service.owner_lines(db.session, current_user, scope, now),
    )
    return render_template("scorecards/index.html", scope=scope, form=form, **shown)


@bp.get("/deliverables")
@login_required
def deliverables():
    """The deliverables behind one number of the scorecard."""
    scope, form = _scope()
    measure, now = request.args.get("measure", "due"), clock.now()
    if measure not in service.MEASURES:
        abort(400, description=_("Unknown measure."))
    asked = {k: request.args.get(k) or None for k in service.BEHIND_FILTERS}
    number = page_number(request.args.get("page"))
    with _answered_by_status():
        shown = service.deliverables_page(
            db.session, scope, now=now, measure=measure, page=number, **asked
        )
    args = {k: v for k, v in request.args.items() if k != "page"}
    shown.update(display.behind_labels(measure, asked), scope=scope, form=form, now=now, args=args)
    return render_template("scorecards/deliverables.html", **shown)


@bp.get("/export.csv")
@login_required
def export_csv():
    """The month's table as CSV (UTF-8 with a BOM, so spreadsheet programs read Chinese)."""
    scope, _form = _scope()
    table = service.export_table(db.session, scope, clock.now(), lang=current_user.language)
    return _download(exports.as_csv(table), exports.CSV_TYPE, service.export_name(scope, "csv"))


@bp.get("/at-risk.csv")
@login_required
def export_risk_csv():
    """Amounts at risk, the month's and the whole backlog's, as CSV."""
    scope, _form = _scope()
    table = service.risk_sheet(db.session, scope, clock.now())
    name = service.export_name(scope, "csv", "at-risk")
    return _download(exports.as_csv(table), exports.CSV_TYPE, name)


@bp.get("/export.xlsx")
@login_required
def export_xlsx():
    """The month's table as an Excel workbook, with the return reasons and amounts at risk (the
    month's and the whole backlog's)."""
    scope, _form = _scope()
    sheets = service.export_sheets(db.session, scope, clock.now(), lang=current_user.language)
    return _download(exports.as_xlsx(sheets), exports.XLSX_TYPE, service.export_name(scope, "xlsx"))
