"""Scorecard pages: the month's table, the trend, return reasons, amounts at risk, the
deliverables behind each number, and the same table as CSV and Excel."""

import csv
import io
import math
from dataclasses import dataclass, field
from urllib.parse import quote_plus, urlencode

from flask import Blueprint, Response, abort, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import select

from tracker import clock
from tracker.auth.permissions import can_see_scorecards, require
from tracker.catalog.models import Commitment
from tracker.extensions import db
from tracker.ledger.display import RETURN_REASON_LABELS as REASON_LABELS
from tracker.ledger.display import STATUS_LABELS
from tracker.ledger.models import RETURN_REASONS
from tracker.org.models import Department, Store
from tracker.scorecards import service
from tracker.scorecards.forms import ScopeForm

bp = Blueprint("scorecards", __name__, url_prefix="/scorecards")

# Across all stores the page lists this many stores at a time (the exports hold them all).
STORES_PER_PAGE = 20

MEASURE_LABELS = {
    "due": _l("Due that month"),
    "on_time": _l("On time"),
    "late": _l("Late"),
    "open_overdue": _l("Open overdue"),
    "waived": _l("Waived"),
    "decided": _l("Decided (on time, late or open overdue)"),
    "accepted": _l("Accepted"),
    "first_pass": _l("Accepted at the first pass"),
    "returned": _l("Returned"),
    "at_risk": _l("Overdue, at risk"),
}
BUCKET_LABELS = {"0-2": _l("0–2 days"), "3-7": _l("3–7 days"), "8+": _l("8 days or more")}

# The table's columns, in the page's and the exports' order: (key, header).
COLUMNS = [
    ("month", _l("Month")),
    ("store", _l("Store")),
    ("department", _l("Department")),
    ("due", _l("Due that month")),
    ("on_time", _l("On time")),
    ("late", _l("Late")),
    ("open_overdue", _l("Open overdue")),
    ("waived", _l("Waived")),
    ("accepted", _l("Accepted")),
    ("first_pass", _l("First pass")),
    ("on_time_pct", _l("On-time %")),
    ("first_pass_pct", _l("First-pass %")),
    ("mean_lateness_hours", _l("Mean lateness (hours)")),
]


@dataclass
class Scope:
    """What one person asked to see and may see: a month, a store (None: all), a department
    (None: all)."""

    month: str
    store: Store | None
    provider: Department | None
    form: ScopeForm
    departments: dict[str, Department]
    deliverables_url: str
    stores: list[Store]  # the stores this person may pick
    _starts: dict = field(default_factory=dict)

    def args(self, **more) -> dict:
        """Query arguments for links that keep this scope."""
        args = {"month": self.month, "store": self.store.code if self.store else ""}
        return args | {k: v for k, v in more.items() if v is not None}

    def start(self, store: str, provider: str, month=None) -> str:
        """The address of the deliverables behind a row's numbers, up to the measure's name
        (kept per row: a page holds about a thousand links, too many to build each by the
        router)."""
        key = (month or self.month, store, provider)
        start = self._starts.get(key)
        if start is None:
            where = urlencode({"month": key[0], "store": store, "provider": provider})
            start = self._starts[key] = f"{self.deliverables_url}?{where}&measure="
        return start

    def link(self, measure: str, store: str, provider: str, month=None, **more) -> str:
        """The address of the deliverables behind one number."""
        more = {k: v for k, v in more.items() if v is not None}
        tail = f"&{urlencode(more)}" if more else ""
        return self.start(store, provider, month) + quote_plus(measure) + tail


def percent(rate: float | None) -> float | None:
    """A rate as the percentage shown on the page and written to the exports."""
    return None if rate is None else round(rate * 100, 1)


def _scope() -> Scope:
    """The month and store asked for, checked against who is asking."""
    person = current_user
    require(can_see_scorecards(person))
    form = ScopeForm(request.args)
    stores = list(db.session.scalars(select(Store).order_by(Store.code)))
    if person.sees_all_stores:
        form.store.choices = [("", _("All stores"))] + [(s.code, s.code) for s in stores]
    else:
        form.store.choices = [(person.store.code, person.store.code)]
    requested = request.args.get("store")
    if not person.sees_all_stores and requested not in (None, "", person.store.code):
        abort(403)
    if person.sees_all_stores and requested and requested not in {s.code for s in stores}:
        abort(404)
    form.validate()
    month = form.month.data if form.month.data and not form.month.errors else None
    month = month or clock.now().astimezone(person.store.zone).strftime("%Y-%m")
    form.month.data = form.month.data or month
    departments = {d.code: d for d in db.session.scalars(select(Department))}
    if person.sees_all_stores:
        store = next((s for s in stores if s.code == requested), None)
        provider = departments.get(request.args.get("provider") or "")
    else:
        # Heads see their own department in their own store, whatever they ask for.
        asked = request.args.get("provider")
        if asked not in (None, "", person.department.code):
            abort(403)
        store, provider = person.store, person.department
    form.store.data = store.code if store else ""
    visible = stores if person.sees_all_stores else [person.store]
    return Scope(month, store, provider, form, departments, url_for(".deliverables"), visible)


def _scores(
    scope: Scope, now, *, by_store: bool = True, stores: list[Store] | None = None
) -> list[service.ScoreRow]:
    """The department rows of the month, per store (or added up over the stores in scope, or
    only for some stores)."""
    return service.scorecard(
        db.session,
        month=scope.month,
        now=now,
        store=scope.store,
        level="department",
        provider=scope.provider,
        by_store=by_store,
        stores=stores,
    )


def _shown(scope: Scope, scores: list[service.ScoreRow]) -> list[dict]:
    """Score rows as the page and the exports show them."""
    lang = current_user.language
    return [
        {
            "month": row.month,
            "store": row.store,
            "provider": row.provider,
            "department": scope.departments[row.provider].name(lang),
            "due": row.due,
            "on_time": row.on_time,
            "late": row.late,
            "open_overdue": row.open_overdue,
            "waived": row.waived,
            "accepted": row.accepted,
            "first_pass": row.first_pass,
            "on_time_pct": percent(row.on_time_rate),
            "first_pass_pct": percent(row.first_pass_rate),
            "mean_lateness_hours": row.mean_lateness_hours,
        }
        for row in scores
    ]


def _page_of_stores(stores: list[Store]) -> tuple[list[Store], dict]:
    """One page of stores (`?page=`, STORES_PER_PAGE stores a page, by code) and what the pager
    shows. A page number that is not one, or past the end, shows the nearest page."""
    pages = max(1, math.ceil(len(stores) / STORES_PER_PAGE))
    number = request.args.get("page", type=int) or 1
    number = min(max(number, 1), pages)
    shown = stores[(number - 1) * STORES_PER_PAGE : number * STORES_PER_PAGE]
    pager = {
        "page": number,
        "pages": pages,
        "stores": len(stores),
        "first": (number - 1) * STORES_PER_PAGE + 1,
        "last": min(number * STORES_PER_PAGE, len(stores)),
    }
    return shown, pager


@bp.get("")
@login_required
def index():
    """Department x month: rates, trend, return reasons and amounts at risk. Across all stores
    the departments come first, added up, then the stores a page at a time."""
    scope = _scope()
    now = clock.now()
    lang = current_user.language
    totals, pager = None, None
    if scope.store is None:
        totals = _shown(scope, _scores(scope, now, by_store=False))
        stores, pager = _page_of_stores(scope.stores)
        rows = _shown(scope, _scores(scope, now, stores=stores))
    else:
        rows = _shown(scope, _scores(scope, now))
    trend_rows = service.trend(
        db.session, month=scope.month, now=now, store=scope.store, provider=scope.provider
    )
    months = service.previous_months(scope.month)
    trend = {}
    for row in trend_rows:
        trend.setdefault(row.provider, {})[row.month] = row
    chart = {
        "labels": months,
        "title": _("On-time % by month"),
        "datasets": [
            {
                "label": scope.departments[code].name(lang),
                "data": [
                    percent(by_month[m].on_time_rate) if m in by_month else None for m in months
                ],
                "links": [
                    scope.link("decided", scope.args()["store"], code, month=m) for m in months
                ],
            }
            for code, by_month in sorted(trend.items())
        ],
    }
    reasons = service.return_reasons(
        db.session,
        month=scope.month,
        store=scope.store,
        provider=scope.provider,
        by_store=scope.store is not None,
    )
    reason_table: dict[tuple[str, str], dict[str, int]] = {}
    for r in reasons:
        reason_table.setdefault((r.store or "", r.provider), {})[r.reason] = r.count
    at_risk = service.amounts_at_risk(
        db.session, month=scope.month, now=now, store=scope.store, provider=scope.provider
    )
    return render_template(
        "scorecards/index.html",
        scope=scope,
        rows=rows,
        totals=totals,
        pager=pager,
        link=scope.link,
        start=scope.start,
        labels=dict(COLUMNS),
        months=months,
        trend=trend,
        chart=chart,
        reason_table=reason_table,
        reasons=RETURN_REASONS,
        reason_labels=REASON_LABELS,
        at_risk=at_risk,
        bucket_labels=BUCKET_LABELS,
        percent=percent,
    )


@bp.get("/deliverables")
@login_required
def deliverables():
    """The deliverables behind one number of the scorecard."""
    scope = _scope()
    measure = request.args.get("measure", "due")
    commitment = None
    if request.args.get("commitment"):
        commitment = db.session.scalar(
            select(Commitment).where(Commitment.code == request.args["commitment"])
        )
        if commitment is None:
            abort(404)
    if measure not in service.MEASURES:
        abort(400, description=_("Unknown measure."))
    reason = request.args.get("reason") or None
    bucket = request.args.get("bucket") or None
    now = clock.now()
    items = service.deliverables_behind(
        db.session,
        now=now,
        measure=measure,
        month=scope.month,
        store=scope.store,
        provider=scope.provider,
        commitment=commitment,
        reason=reason,
        bucket=bucket,
    )
    return render_template(
        "scorecards/deliverables.html",
        scope=scope,
        items=items,
        measure=measure,
        measure_label=MEASURE_LABELS[measure],
        reason_label=REASON_LABELS.get(reason),
        bucket_label=BUCKET_LABELS.get(bucket),
        commitment=commitment,
        status_labels=STATUS_LABELS,
        now=now,
    )


def _export_rows(scope: Scope, now) -> tuple[list[str], list[list]]:
    rows = _shown(scope, _scores(scope, now))
    headers = [str(label) for _key, label in COLUMNS]
    return headers, [[row[key] for key, _label in COLUMNS] for row in rows]


def _filename(scope: Scope, ext: str) -> str:
    where = scope.store.code if scope.store else "all"
    return f"scorecard-{scope.month}-{where}.{ext}"


@bp.get("/export.csv")
@login_required
def export_csv():
    """The month's table as CSV (UTF-8 with a BOM, so spreadsheet programs read Chinese)."""
    scope = _scope()
    headers, rows = _export_rows(scope, clock.now())
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow(headers)
    writer.writerows(["" if v is None else v for v in row] for row in rows)
    return Response(
        out.getvalue(),
        mimetype="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{_filename(scope, "csv")}"'},
    )


@bp.get("/export.xlsx")
@login_required
def export_xlsx():
    """The month's table as an Excel workbook, with the return reasons and amounts at risk."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    scope = _scope()
    now = clock.now()
    headers, rows = _export_rows(scope, now)
    book = Workbook()
    sheet = book.active
    sheet.title = _("Scorecard")[:31]
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    reasons = book.create_sheet(_("Return reasons")[:31])
    reasons.append([_("Store"), _("Department"), _("Reason"), _("Returned")])
    lang = current_user.language
    for r in service.return_reasons(
        db.session, month=scope.month, store=scope.store, provider=scope.provider
    ):
        reasons.append(
            [
                r.store,
                scope.departments[r.provider].name(lang),
                str(REASON_LABELS[r.reason]),
                r.count,
            ]
        )
    risk = book.create_sheet(_("At risk")[:31])
    risk.append([_("Days overdue"), _("Items"), _("Amount")])
    for b in service.amounts_at_risk(
        db.session, month=scope.month, now=now, store=scope.store, provider=scope.provider
    ):
        risk.append([str(BUCKET_LABELS[b.bucket]), b.count, float(b.amount)])
    for ws in book.worksheets:
        for cell in ws[1]:
            cell.font = Font(bold=True)
        for column in ws.columns:
            width = max(len(str(c.value or "")) for c in column)
            ws.column_dimensions[column[0].column_letter].width = min(max(10, width + 2), 40)
    data = io.BytesIO()
    book.save(data)
    return Response(
        data.getvalue(),
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": f'attachment; filename="{_filename(scope, "xlsx")}"'},
    )
