"""How the scorecards name their numbers, columns and age buckets, in the person's language
(the pages and the exports alike)."""

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from tracker.complaints.display import SCORECARD_COLUMNS as COMPLAINT_COLUMNS
from tracker.ledger.display import RETURN_REASON_LABELS as REASON_LABELS
from tracker.ledger.display import STATUS_LABELS
from tracker.satisfaction.display import CSI_COLUMNS

__all__ = [
    "ADJUSTMENT_HEADERS",
    "ADJUSTMENT_LABELS",
    "BUCKET_LABELS",
    "CLOSED_COLUMNS",
    "COLUMNS",
    "MEASURE_LABELS",
    "REASON_LABELS",
    "STATUS_LABELS",
    "band_label",
]

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
BACKLOG = _l("Whole backlog")


def band_label(bucket: str | None) -> str | None:
    """An age band ("3-7", "8+", as `scorecards.service.risk_bands` names them) in words."""
    if not bucket:
        return None
    if bucket.endswith("+") and bucket[:-1].isdigit():
        return _("%(n)d days or more", n=int(bucket[:-1]))
    least, _sep, upto = bucket.partition("-")
    if least.isdigit() and upto.isdigit():
        return _("%(a)d–%(b)d days", a=int(least), b=int(upto))
    return bucket


def behind_labels(measure: str, asked: dict) -> dict:
    """The words of the list behind a number: its measure, and the return reason and age band
    it was narrowed to."""
    return {
        "measure": measure,
        "measure_label": MEASURE_LABELS[measure],
        "reason_label": REASON_LABELS.get(asked.get("reason")),
        "bucket_label": band_label(asked.get("bucket")),
    }


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
    *CSI_COLUMNS,
    ("mean_lateness_hours", _l("Mean lateness (hours)")),
    ("holds", _l("Holds")),
    ("hold_hours", _l("On hold (working hours)")),
    *COMPLAINT_COLUMNS,
]

CHART_TITLE = _l("On-time % by month")
SHEET_TITLES = {
    "scorecard": _l("Scorecard"),
    "reasons": _l("Return reasons"),
    "at_risk": _l("At risk"),
    "adjustments": _l("After the close"),
    "turnaround": _l("Receivers' turnaround"),
}
# The receiving departments' turnaround (scorecards.promises.turnaround).
TURNAROUND_HEADERS = [
    _l("Month"),
    _l("Store"),
    _l("Receiving department"),
    _l("Decided"),
    _l("Decided in time"),
    _l("In time %"),
    _l("Median wait (working hours)"),
]
REASON_HEADERS = [_l("Store"), _l("Department"), _l("Reason"), _l("Returned")]
RISK_HEADERS = [_l("View"), _l("Days overdue"), _l("Deals"), _l("Amount")]

# A closed month: beside each row, when its store closed it and what was decided since.
CLOSED_COLUMNS = [
    ("closed_at", _l("Closed at")),
    ("adjust_on_time", _l("After the close: on time")),
    ("adjust_late", _l("After the close: late")),
    ("adjust_waived", _l("After the close: waived")),
]
ADJUSTMENT_LABELS = {
    "on_time": _l("Accepted, on time"),
    "late": _l("Accepted, late"),
    "waived": _l("Waived"),
}
ADJUSTMENT_HEADERS = [
    _l("Store"),
    _l("Department"),
    _l("Commitment"),
    _l("Deliverable"),
    _l("Reference"),
    _l("Decision"),
    _l("Decided at"),
]
