"""Instant notices: what the ledger tells people the moment something changes (an item returned
or waived, something handed in, a request raised), through the same outbox as the digests, and
each person's choice of when reminders reach them.

`notify` is the one door: the ledger calls it in the transaction that changed the deliverable,
so a rollback takes the notice away too. It writes one outbox item per person under its own key
(`d<id>:<kind>:<step>:p<person>`, written once), eligible at the next working moment of the
store; the digest composer sends it (at once, or with the digest, as the person chose), with
the digests' guarantees: nothing twice, nothing lost while the mail server is down, only in
working time. A department's group robot gets the handed-in and request notices of its
department (`tracker.channels.service.notice`)."""

from datetime import datetime

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker.calendar.service import store_calendar
from tracker.channels import service as channels
from tracker.ledger.models import Deliverable
from tracker.org.models import Person
from tracker.reminders import service
from tracker.reminders.models import NOTICE_KINDS
from tracker.reminders.policy import WorkingTime


def _people(session: Session, store_id: int, department_id: int, role: str) -> list[Person]:
    return list(
        session.scalars(
            select(Person)
            .where(
                Person.store_id == store_id,
                Person.department_id == department_id,
                Person.role == role,
                Person.active.is_(True),
            )
            .order_by(Person.id)
        )
    )


def _department(session: Session, store_id: int, department_id: int) -> list[Person]:
    """A department's clerks in the store, its heads when it has no active clerk."""
    return _people(session, store_id, department_id, "clerk") or _people(
        session, store_id, department_id, "head"
    )


def _one(person: Person | None, d: Deliverable) -> bool:
    return person is not None and person.active and person.store_id == d.store_id


def recipients(session: Session, kind: str, d: Deliverable) -> list[Person]:
    """Who is told: for a return or a waiver, the owner (no owner: the providing department's
    clerks); for a hand-in, whoever raised the request, else the receiving department's clerks;
    for a request, its owner (the commitment's default owner in the store), else the providing
    department's clerks. A department without an active clerk: its heads."""
    if kind in ("returned", "waived", "requested"):
        if _one(d.owner, d):
            return [d.owner]
        return _department(session, d.store_id, d.provider_id)
    if kind == "handed_in":
        requester = session.get(Person, d.requested_by_id) if d.requested_by_id else None
        if _one(requester, d):
            return [requester]
        return _department(session, d.store_id, d.receiver_id)
    raise ValueError(kind)


def _step(kind: str, d: Deliverable) -> int:
    """A return's number, the submission's number for a hand-in; 0 for the others (once)."""
    if kind == "returned":
        return d.return_count
    if kind == "handed_in":
        return d.return_count + 1
    return 0


def notify(
    session: Session, kind: str, d: Deliverable, *, by: Person | None, now: datetime, **detail
) -> int:
    """Write the notice of `kind` about `d` for the people it is for (not the person who acted),
    once per person, and for the department's robot; how many items were written. `detail`
    (the return's reason and note, the request's note, ...) is kept with the item."""
    if kind not in NOTICE_KINDS:
        raise ValueError(kind)
    store = d.store
    wt = WorkingTime(store, store_calendar(session, store))
    step = _step(kind, d)
    payload = {k: v for k, v in detail.items() if v is not None}
    if by is not None:
        payload["by"] = by.name
    wanted = {}
    for person in recipients(session, kind, d):
        if by is not None and person.id == by.id:
            continue
        key = service.item_key(d.id, kind, step, person.id)
        wanted[key] = dict(
            key=key,
            kind=kind,
            step=step,
            deliverable_id=d.id,
            person_id=person.id,
            store_id=d.store_id,
            eligible_at=wt.next_open(now),
            payload=payload,
        )
    written = service._insert_new(session, wanted, now)
    if kind in ("handed_in", "requested"):
        department = d.receiver_id if kind == "handed_in" else d.provider_id
        channels.notice(
            session,
            store_id=d.store_id,
            department_id=department,
            key=f"d{d.id}:{kind}:{step}",
            render=lambda lang: _robot_text(kind, d, lang, payload),
            now=now,
        )
    return written


def _robot_text(kind: str, d: Deliverable, lang: str, payload: dict) -> tuple[str, list[str]]:
    """A robot's notice: its title and markdown lines, in the store's language."""
    title = d.version.title(lang)
    url = f"{current_app.config['BASE_URL'].rstrip('/')}/deliverables/{d.id}"
    if kind == "handed_in":
        head = _("Handed in: %(title)s", title=title)
        who = _("Handed in by %(provider)s", provider=d.commitment.provider.name(lang))
    else:
        head = _("Request raised: %(title)s", title=title)
        who = _("Requested by %(receiver)s", receiver=d.commitment.receiver.name(lang))
    lines = [f"[{title}]({url})", who]
    if payload.get("by"):
        lines.append(_("By %(name)s", name=payload["by"]))
    if d.reference:
        lines.append(d.reference)
    if payload.get("note"):
        lines.append(payload["note"])
    return head, lines
