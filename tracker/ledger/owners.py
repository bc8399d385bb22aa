"""Owners: the person of the providing department who answers for a deliverable.

A triggered deliverable belongs to whoever recorded its event (a clerk, the person importing a
file, an API token's person) when that person works in the providing department of the store;
otherwise, like a recurring or requested one, to the default owner the department's head set
for the commitment in that store; failing that to nobody (the whole department, as before).
A clerk of the department may take an item over; the head reassigns items. Every change is in
the audit trail. Plain functions of the session and `now`; nothing here commits."""

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from tracker.catalog.models import Commitment
from tracker.errors import N_, BadInput, NotFound
from tracker.ledger import permissions
from tracker.ledger.models import (
    FINAL_STATUSES,
    OPEN_STATUSES,
    AuditEntry,
    CommitmentOwner,
    Deliverable,
)
from tracker.org.models import Person, Store

OWNED_KINDS = ("recurring", "request")  # the kinds whose owner is a default per store


def _member(person: Person | None, department_id: int, store_id: int) -> bool:
    return (
        person is not None
        and person.active
        and person.role in ("clerk", "head")
        and person.department_id == department_id
        and person.store_id == store_id
    )


def default_owner_ids(session: Session, store_ids=None) -> dict[tuple[int, int], int]:
    """The default owners still active, by (commitment, store)."""
    query = (
        select(CommitmentOwner.commitment_id, CommitmentOwner.store_id, CommitmentOwner.person_id)
        .join(Person, Person.id == CommitmentOwner.person_id)
        .where(Person.active.is_(True))
    )
    if store_ids is not None:
        query = query.where(CommitmentOwner.store_id.in_(list(store_ids)))
    return {(c, s): p for c, s, p in session.execute(query)}


def default_owner_id(session: Session, commitment_id: int, store_id: int) -> int | None:
    """The default owner (active) of a commitment's deliverables in a store, or None."""
    return default_owner_ids(session, [store_id]).get((commitment_id, store_id))


def owner_of_new(
    session: Session, commitment: Commitment, store: Store, by: Person | None
) -> int | None:
    """The owner of a deliverable being created: its recorder when they work in the providing
    department of the store, else the default owner of the commitment there, else None."""
    if _member(by, commitment.provider_id, store.id):
        return by.id
    return default_owner_id(session, commitment.id, store.id)


def _audit_owner(session, now, by, d: Deliverable, action: str, before, after) -> None:
    session.add(
        AuditEntry(
            at=now,
            actor_id=by.id if by else None,
            store_id=d.store_id,
            entity="deliverable",
            entity_id=d.id,
            action=action,
            from_status=d.status,
            to_status=d.status,
            detail={"from_owner": before, "to_owner": after},
        )
    )


def _change_owner(session, d: Deliverable, to: Person, by: Person, now, action: str):
    if d.status in FINAL_STATUSES:
        raise BadInput(N_("deliverable %(id)s is decided: it has no owner to change"), id=d.id)
    if not _member(to, d.provider_id, d.store_id):
        raise BadInput(
            N_("%(email)s is not an active clerk or head of the providing department there"),
            email=to.email,
        )
    before = d.owner_id
    if before == to.id:
        return d
    d.owner_id = to.id
    d.owner = to
    _audit_owner(session, now, by, d, action, before, to.id)
    session.flush()
    return d


def take_over(session: Session, d: Deliverable, *, by: Person, now: datetime) -> Deliverable:
    """A clerk (or head) of the providing department makes the deliverable theirs."""
    permissions.require_taker(by, d)
    return _change_owner(session, d, by, by, now, "taken_over")


def reassign(
    session: Session, d: Deliverable, *, to: Person, by: Person, now: datetime
) -> Deliverable:
    """The providing department's head (or an administrator) gives the deliverable to someone
    of the department."""
    permissions.require_reassigner(by, d)
    return _change_owner(session, d, to, by, now, "reassigned")


def person_by_email(session: Session, email: str) -> Person:
    """The person with this email, or NotFound."""
    person = session.scalar(select(Person).where(Person.email == (email or "").strip().lower()))
    if person is None:
        raise NotFound(N_("no person %(email)s"), email=email)
    return person


# --- default owners, set by the head ---


@dataclass(frozen=True)
class DefaultOwnerRow:
    """A commitment the department provides on a schedule or on request, and its owner here."""

    commitment: Commitment
    owner: Person | None


def default_owner_rows(session: Session, department_id: int, store: Store):
    """The department's recurring and requested commitments in a store, with their default
    owners (three queries whatever their number)."""
    commitments = session.scalars(
        select(Commitment)
        .where(
            Commitment.provider_id == department_id,
            Commitment.kind.in_(OWNED_KINDS),
            Commitment.retired_at.is_(None),
        )
        .order_by(Commitment.code)
    ).all()
    owners = dict(
        session.execute(
            select(CommitmentOwner.commitment_id, Person)
            .join(Person, Person.id == CommitmentOwner.person_id)
            .where(CommitmentOwner.store_id == store.id)
        ).all()
    )
    return [DefaultOwnerRow(c, owners.get(c.id)) for c in commitments]


def department_people(session: Session, department_id: int, store_id: int) -> list[Person]:
    """The active clerks and heads of a department in a store, who may own its items."""
    return list(
        session.scalars(
            select(Person)
            .where(
                Person.department_id == department_id,
                Person.store_id == store_id,
                Person.active.is_(True),
                Person.role.in_(("clerk", "head")),
            )
            .order_by(Person.role.desc(), Person.name, Person.id)
        )
    )


def set_default_owner(
    session: Session,
    commitment: Commitment,
    store: Store,
    person: Person | None,
    *,
    by: Person,
    now: datetime,
) -> Commitment:
    """Set (or, with None, clear) the default owner of a commitment's recurring and requested
    deliverables in a store; deliverables already created keep theirs. Audited."""
    permissions.require_owner_setter(by, commitment.provider_id, store.id)
    if commitment.kind not in OWNED_KINDS:
        raise BadInput(
            N_("%(code)s is triggered by events: its items belong to whoever records them"),
            code=commitment.code,
        )
    if person is not None and not _member(person, commitment.provider_id, store.id):
        raise BadInput(
            N_("%(email)s is not an active clerk or head of the providing department there"),
            email=person.email,
        )
    row = session.scalar(
        select(CommitmentOwner).where(
            CommitmentOwner.commitment_id == commitment.id, CommitmentOwner.store_id == store.id
        )
    )
    before = row.person_id if row else None
    after = person.id if person else None
    if before == after:
        return commitment
    if row is None:
        row = CommitmentOwner(commitment_id=commitment.id, store_id=store.id)
        session.add(row)
    if person is None:
        session.delete(row)
    else:
        row.person_id, row.set_by_id, row.set_at = person.id, by.id, now
    session.add(
        AuditEntry(
            at=now,
            actor_id=by.id,
            store_id=store.id,
            entity="commitment",
            entity_id=commitment.id,
            action="default_owner",
            detail={"from_owner": before, "to_owner": after},
        )
    )
    session.flush()
    return commitment


def provided_commitment(session: Session, commitment_id: int | None, person: Person):
    """A recurring or requested commitment the person's department provides, or None."""
    if commitment_id is None:
        return None
    c = session.get(Commitment, commitment_id)
    if c is None or c.provider_id != person.department_id or c.kind not in OWNED_KINDS:
        return None
    return c


# --- the head's view: how each owner does ---


@dataclass(frozen=True)
class OwnerLine:
    """One owner's share of the department's deliverables due in a month."""

    owner: Person | None
    due: int
    accepted_on_time: int
    accepted_late: int
    owed: int
    overdue: int


def owner_breakdown(
    session: Session, store_id: int, department_id: int, month: str, now: datetime
) -> list[OwnerLine]:
    """Per owner (None: nobody's), the department's deliverables due in `month` in a store:
    how many, accepted on time and late, still owed and overdue now. One grouped query."""
    d = Deliverable
    owed = d.status.in_(OPEN_STATUSES)
    rows = session.execute(
        select(
            d.owner_id,
            func.count(),
            func.sum(case(((d.status == "accepted") & (d.lateness_seconds <= 0), 1), else_=0)),
            func.sum(case(((d.status == "accepted") & (d.lateness_seconds > 0), 1), else_=0)),
            func.sum(case((owed, 1), else_=0)),
            func.sum(case((owed & (d.due_at < now), 1), else_=0)),
        )
        .where(d.store_id == store_id, d.provider_id == department_id, d.due_month == month)
        .group_by(d.owner_id)
    ).all()
    people = {
        p.id: p
        for p in session.scalars(
            select(Person).where(Person.id.in_([r[0] for r in rows if r[0] is not None]))
        )
    }
    lines = [
        OwnerLine(people.get(o), n, int(a or 0), int(late or 0), int(w or 0), int(x or 0))
        for o, n, a, late, w, x in rows
    ]
    return sorted(lines, key=lambda ln: (ln.owner is None, ln.owner.name if ln.owner else ""))


def owners_by_id(session: Session, ids) -> dict[int, Person]:
    """People by id (for lists showing owners: one query)."""
    ids = sorted({i for i in ids if i is not None})
    found = defaultdict(lambda: None)
    if ids:
        found.update({p.id: p for p in session.scalars(select(Person).where(Person.id.in_(ids)))})
    return found
