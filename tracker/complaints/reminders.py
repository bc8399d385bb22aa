"""A complaint's reminders, through the deliverables' outbox (`tracker.reminders`): the same
items, keys written once, digests composed and sent only in working time by the one scheduler.

Kinds (`outbox_item.kind`, the item's `complaint_id` set):
- `complaint`: the instant notice of a new complaint to the department's clerks and heads
  (step 1), or of a reopened one to its owner (step = the round); dropped once it is opened
  (step 1) or answered;
- `complaint_due`: its answer time has passed (step = the round), to the owner, or without
  one to the department's clerks (heads when it has none);
- `complaint_esc`: the escalation ladder (`LADDER`, as a commitment's): the department's heads
  once the answer is a working day late, the store's leads after two (step = round * 10 + the
  rung's working days);
- `complaint_ans`: the answer, to the complainant (step = the round); dropped once they close
  or reopen it.

The first three stop once the complaint is answered; a reopen starts a new round with new keys. Pure
functions of rows and `now`; the reminders' pass and composer call them."""

from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker.complaints.models import Complaint
from tracker.errors import N_
from tracker.reminders.policy import WorkingTime, ladder_of, overdue_at, overdue_days

NOTICE, DUE, ESCALATION, ANSWERED = "complaint", "complaint_due", "complaint_esc", "complaint_ans"
KINDS = (NOTICE, DUE, ESCALATION, ANSWERED)
# The complaints' escalation ladder, in working days after the answer time (docs/complaints.md).
LADDER = ladder_of({"ladder": [{"to": "heads", "after": 1}, {"to": "leads", "after": 2}]})


def key(complaint_id: int, kind: str, step: int, person_id: int) -> str:
    """The outbox key of a complaint's reminder to one person."""
    return f"c{complaint_id}:{kind}:{step}:p{person_id}"


def stale(kind: str, step: int, status: str, round_: int) -> str | None:
    """Why a complaint's item must not be sent any more, or None."""
    if kind == ANSWERED:
        if step != round_:
            return "reopened"
        return None if status == "answered" else status
    if status not in ("new", "open"):
        return "answered"
    if kind == NOTICE:
        if step != round_:
            return "reopened"
        return "opened" if step == 1 and status != "new" else None
    current = step if kind == DUE else step // 10
    return None if current == round_ else "reopened"


def _department(staff, c) -> list:
    key_ = (c.store_id, c.department_id)
    return staff[(*key_, "clerk")] or staff[(*key_, "head")]


def item(c, kind: str, step: int, person, eligible_at: datetime) -> tuple[str, dict]:
    """One outbox item's fields, under its key."""
    k = key(c.id, kind, step, person.id)
    return k, dict(
        key=k,
        kind=kind,
        step=step,
        complaint_id=c.id,
        department_id=c.department_id,
        person_id=person.id,
        store_id=c.store_id,
        eligible_at=eligible_at,
    )


def wanted(session: Session, now: datetime, wts: dict[int, WorkingTime], staff) -> dict[str, dict]:
    """The reminders the complaints waiting for an answer want at `now` (`staff`: the active
    people by (store, department, role), (store, "lead") and id, as the reminders' pass has
    them): past the answer time, the owner (the department without one); then each rung."""
    rows = session.execute(
        select(
            Complaint.id,
            Complaint.store_id,
            Complaint.department_id,
            Complaint.owner_id,
            Complaint.round,
            Complaint.due_at,
        ).where(Complaint.status.in_(("new", "open")), Complaint.due_at < now)
    ).all()
    found = {}
    for c in rows:
        wt = wts[c.store_id]
        owner = staff.get(c.owner_id) if c.owner_id else None
        people = [owner] if owner is not None and owner.store_id == c.store_id else None
        for person in people or _department(staff, c):
            k, fields = item(c, DUE, c.round, person, c.due_at)
            found[k] = fields
        late = overdue_days(c.due_at, now, wt)
        for rung in LADDER:
            if late < rung["after"]:
                continue
            at = overdue_at(c.due_at, rung["after"], wt)
            if rung["to"] == "leads":
                people = staff[(c.store_id, "lead")]
            else:
                people = staff[(c.store_id, c.department_id, rung["to"].rstrip("s"))]
            for person in people:
                k, fields = item(c, ESCALATION, c.round * 10 + rung["after"], person, at)
                found[k] = fields
    return found


LABELS = {
    NOTICE: N_("New complaint about your department"),
    DUE: N_("Complaint not answered in time"),
    ESCALATION: N_("Escalated: a complaint is not answered"),
    ANSWERED: N_("Your complaint is answered"),
}
SEVERITY_NAMES = {
    "urgent": N_("urgent"),
    "high": N_("high"),
    "normal": N_("normal"),
    "low": N_("low"),
}


def entry(it, base_url: str) -> dict:
    """A complaint's entry in a digest (called under the person's locale): what the templates
    show, its label, title, detail line and link."""
    c = it.complaint
    label = _(LABELS[it.kind])
    if it.kind == NOTICE and it.step > 1:
        label = _("Complaint reopened")
    zone = c.store.zone
    owner = c.owner.name if c.owner is not None else _("nobody yet")
    return {
        "complaint": True,
        "id": c.id,
        "label": label,
        "title": _(
            "Complaint #%(id)s (%(severity)s) from %(name)s",
            id=c.id,
            severity=_(SEVERITY_NAMES[c.severity]),
            name=c.filed_by.name,
        ),
        "detail": _(
            "Answered by %(owner)s: close it, or reopen it if it is not resolved", owner=owner
        )
        if it.kind == ANSWERED
        else _(
            "To be answered by %(time)s · owner: %(owner)s",
            time=c.due_at.astimezone(zone).strftime("%Y-%m-%d %H:%M"),
            owner=owner,
        ),
        "what": (c.answer or "")[:300] if it.kind == ANSWERED else c.what[:300],
        "url": f"{base_url.rstrip('/')}/complaints/{c.id}",
    }
