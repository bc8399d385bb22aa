"""How ledger things read on a page, in the person's language: statuses, reasons, lateness."""

from datetime import datetime

from flask import Blueprint, current_app, g
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from tracker.extensions import db
from tracker.i18n import duration
from tracker.ledger.models import OPEN_STATUSES, Deliverable
from tracker.ledger.service import event_type_names

STATUS_LABELS = {
    "open": _l("open"),
    "submitted": _l("submitted"),
    "accepted": _l("accepted"),
    "returned": _l("returned"),
    "waived": _l("waived"),
}

RETURN_REASON_LABELS = {
    "incomplete": _l("incomplete"),
    "unsigned": _l("unsigned"),
    "wrong_amount": _l("wrong amount"),
    "other": _l("other"),
}

EVIDENCE_LABELS = {
    "reference": _l("reference"),
    "amount": _l("amount"),
    "note": _l("note"),
    "file": _l("file"),
}

AUDIT_ACTIONS = {
    "created": _l("created"),
    "requested": _l("requested"),
    "submitted": _l("submitted"),
    "accepted": _l("accepted"),
    "returned": _l("returned"),
    "waived": _l("waived"),
    "redated": _l("due time moved (event corrected)"),
    "taken_over": _l("taken over"),
    "reassigned": _l("reassigned"),
    "hold_requested": _l("hold asked for"),
    "hold_approved": _l("hold approved: the clock stops"),
    "hold_refused": _l("hold refused"),
    "hold_withdrawn": _l("hold withdrawn"),
    "hold_released": _l("hold ended: the due time moves later"),
}
HOLD_REASON_LABELS = {
    "customer_signature": _l("waiting for the customer's signature"),
    "bank": _l("waiting for the bank"),
    "insurer": _l("waiting for the insurer"),
    "other": _l("other"),
}
HOLD_STATUS_LABELS = {
    "pending": _l("asked for, waiting for an answer"),
    "active": _l("on hold"),
    "refused": _l("refused"),
    "ended": _l("ended"),
    "withdrawn": _l("withdrawn"),
}
# The fields of a business event, as its corrections name them.
EVENT_FIELD_LABELS = {
    "occurred_at": _l("time"),
    "reference": _l("reference"),
    "customer": _l("customer"),
    "vin": _l("VIN"),
    "amount": _l("amount"),
}


def language() -> str:
    """The signed-in person's language (zh or en)."""
    return current_user.language if current_user.is_authenticated else "zh"


def event_label(event_type: str) -> str:
    """An event type as the person reads it (the names are read once per request)."""
    names = g.get("event_type_names")
    if names is None:
        names = g.event_type_names = event_type_names(db.session, language())
    return names.get(event_type, event_type)


def checklist_label(point: dict | str) -> str:
    """One checklist point (stored as {'zh': ..., 'en': ...}) in the person's language."""
    if isinstance(point, dict):
        return point.get(language()) or point.get("en") or ""
    return str(point)


def money(value) -> str:
    """An amount with thousands separators: 337,000.00."""
    return "" if value is None else f"{value:,.2f}"


def timing(deliverable: Deliverable, now: datetime) -> tuple[str, str]:
    """How late, or how long is left: (text, css class)."""
    if deliverable.status in OPEN_STATUSES and deliverable.held_since is not None:
        return _(
            "on hold since %(t)s ago", t=duration((now - deliverable.held_since).total_seconds())
        ), "held"
    if deliverable.status in OPEN_STATUSES:
        seconds = (deliverable.due_at - now).total_seconds()
        if seconds < 0:
            return _("%(t)s late", t=duration(seconds)), "overdue"
        css = "due-soon" if seconds < 24 * 3600 else ""
        return _("%(t)s left", t=duration(seconds)), css
    if deliverable.status == "submitted" and deliverable.last_submitted_at:
        late = (deliverable.last_submitted_at - deliverable.due_at).total_seconds()
        if late > 0:
            return _("handed in %(t)s late", t=duration(late)), "overdue"
        return _("handed in on time"), ""
    if deliverable.status == "accepted":
        if deliverable.lateness_seconds:
            return _("accepted %(t)s late", t=duration(deliverable.lateness_seconds)), "overdue"
        return _("accepted on time"), ""
    return "", ""


def register(bp: Blueprint) -> None:
    """Offer these helpers to the templates of a blueprint."""

    @bp.context_processor
    def helpers():
        from tracker.ledger import uploads

        return {
            "max_mb": uploads.max_bytes() // 2**20,
            "view_functions": current_app.view_functions,
            "lang": language(),
            "status_labels": STATUS_LABELS,
            "reason_labels": RETURN_REASON_LABELS,
            "evidence_labels": EVIDENCE_LABELS,
            "audit_actions": AUDIT_ACTIONS,
            "hold_reasons": HOLD_REASON_LABELS,
            "hold_statuses": HOLD_STATUS_LABELS,
            "event_field_labels": EVENT_FIELD_LABELS,
            "event_label": event_label,
            "checklist_label": checklist_label,
            "timing": timing,
            "money": money,
        }
