"""What the complaints' pages show: the lists, a complaint's page with the forms of the steps
this person may take, and the words for statuses, severities and audit actions."""

from flask import render_template
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session, selectinload

from tracker import clock
from tracker.complaints import permissions, service
from tracker.complaints.forms import ActForm, AnswerForm, ReopenForm
from tracker.complaints.models import Complaint
from tracker.complaints.reminders import SEVERITY_NAMES
from tracker.ledger.models import AuditEntry
from tracker.paging import page_of

PER_PAGE = 20
STATUS_LABELS = {
    "new": _l("new: nobody has opened it"),
    "open": _l("open: waiting for its answer"),
    "answered": _l("answered: waiting for the complainant"),
    "closed": _l("closed"),
}
ACTION_LABELS = {
    "filed": _l("filed"),
    "opened": _l("opened (owner from now on)"),
    "answered": _l("answered"),
    "closed": _l("closed by the complainant"),
    "reopened": _l("reopened by the complainant"),
    "reassigned": _l("handed to another owner"),
}
MENU_LABEL = _l("Complaints")


def _loaded(query):
    return query.options(
        selectinload(Complaint.department),
        selectinload(Complaint.filed_by),
        selectinload(Complaint.owner),
        selectinload(Complaint.store),
    )


def lists(session: Session, person, page: int, mine_page: int) -> dict:
    """A page of the complaints about the person's department and one of those they filed
    (a count and the rows each, however many there are)."""
    return {
        "about": page_of(session, _loaded(service.about_us(person)), page, PER_PAGE),
        "mine": page_of(session, _loaded(service.mine(person)), mine_page, PER_PAGE),
        "helpers": helpers(),
    }


def helpers() -> dict:
    """Names the templates use."""
    return {
        "status": lambda s: str(STATUS_LABELS[s]),
        "severity": lambda s: _(SEVERITY_NAMES[s]),
        "action": lambda a: str(ACTION_LABELS.get(a, a)),
        "late": service.late,
    }


def file_form(session: Session, person, form):
    """The filing form with the departments this person may complain about."""
    form.department.choices = [
        (d.code, d.name(person.language)) for d in service.departments(session, person)
    ]
    return form


def filed(form) -> dict:
    """The service's arguments from a valid filing form."""
    return {
        "department": form.department.data,
        "severity": form.severity.data,
        "what": form.what.data,
        "deliverable_id": form.deliverable.data,
        "reference": form.reference.data or None,
    }


def FILED_MESSAGE(c: Complaint) -> str:  # noqa: N802 - reads as the message it gives
    return _("Complaint %(id)s is filed; the department is told.", id=c.id)


def page(session: Session, person, c: Complaint, forms: dict | None = None) -> dict:
    """A complaint's page: the complaint, its history, and the forms of the steps this person
    may take now (as posted, when one was refused)."""
    history = [
        e for e in session.scalars(service.history_query(c).options(selectinload(AuditEntry.actor)))
    ]
    may = {a: permissions.allowed(person, a, c) for a in permissions.RULES}
    forms = {
        "open": ActForm(formdata=None),
        "answer": AnswerForm(formdata=None),
        "close": ActForm(formdata=None),
        "reopen": ReopenForm(formdata=None),
        **(forms or {}),
    }
    return {"c": c, "history": history, "may": may, "forms": forms, "helpers": helpers()}


STEP_FIELDS = {"text": "answer", "note": "reopen"}


def again(session: Session, person, c: Complaint, form, field: str | None, message=None):
    """The complaint's page again (400) with the refused form and its message beside it."""
    if message:
        (getattr(form, field).errors if field else form.form_errors).append(message)
    forms = {STEP_FIELDS[field]: form} if field else {}
    context = page(session, person, c, forms)
    context["error"] = message if not field else None
    return render_template("complaints/show.html", **context), 400


def opened(c: Complaint, took: bool, person) -> str:
    """What a person who opened a complaint is told: they own it, or who does."""
    if took:
        return _("You own this complaint now: answer it by %(time)s.", time=local(c))
    return _("%(name)s already owns this complaint.", name=c.owner.name)


def local(c: Complaint) -> str:
    return c.due_at.astimezone(c.store.zone).strftime("%Y-%m-%d %H:%M")


def done(c: Complaint) -> str:
    """What the person is told after a step."""
    return _("Complaint %(id)s: %(status)s.", id=c.id, status=str(STATUS_LABELS[c.status]))


def context() -> dict:
    """What every complaints template has: the reader's language and the clock's now."""
    return {"lang": str(get_locale() or "zh"), "now": clock.now()}


# The scorecard's columns of the complaints about each department (scorecards.display.COLUMNS).
SCORECARD_COLUMNS = [
    ("complaints", _l("Complaints")),
    ("complaints_answered_in_time", _l("Complaints answered in time")),
    ("complaints_in_time_pct", _l("Complaints answered in time %")),
]
