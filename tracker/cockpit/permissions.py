"""Who has the cockpit and what it covers: the one home of these rules.

Leads and administrators look at every store (or one they pick); heads at their store, with their
department as provider and as receiver; receiving clerks at what is owed to their department in
their store. Clerks of the providing departments start at their department's list instead."""

from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker.catalog.models import Commitment
from tracker.errors import N_, NotAllowed, NotFound
from tracker.ledger.permissions import has_inbox
from tracker.org.models import Person, Store

SIDES = ("all", "received", "provided")


def has_cockpit(session: Session, person: Person) -> bool:
    """Leads, administrators and heads, and the clerks of a receiving department."""
    return person.role in ("head", "lead", "admin") or has_inbox(session, person)


def sides(session: Session, person: Person) -> list[str]:
    """What the cockpit shows this person: everything (leads), or their department as receiver
    and, for a head, as provider (a side only when the department has such commitments)."""
    if person.sees_all_stores:
        return ["all"]
    shown = ["received"] if has_inbox(session, person) else []
    if person.role == "head":
        provides = session.scalar(
            select(Commitment.id).where(Commitment.provider_id == person.department_id).limit(1)
        )
        if provides is not None or not shown:
            shown.append("provided")
    return shown


def require_cockpit(session: Session, person: Person) -> None:
    """NotAllowed unless this person has a cockpit."""
    if not has_cockpit(session, person):
        raise NotAllowed(N_("only leads, heads and receiving departments have the cockpit"))


def chosen_stores(person: Person, code: str | None, stores: list[Store]) -> Store | None:
    """The store asked for (None: every store, for leads and administrators). Others see their
    own store, whatever they ask for (NotAllowed); an unknown code is NotFound."""
    if not person.sees_all_stores:
        if code not in (None, "", person.store.code):
            raise NotAllowed(N_("you see the cockpit of your own store"))
        return person.store
    if not code:
        return None
    chosen = next((s for s in stores if s.code == code), None)
    if chosen is None:
        raise NotFound(N_("no store with code %(code)r"), code=code)
    return chosen
