"""Who may import DMS exports: the one home of the rule, for the page and the service.

The receiving departments (those some commitment is owed to, Finance usually: they are the ones
a forgotten delivery hurts) and administrators, into their own store. The command line and the
scheduler act as the operator (no person)."""

from sqlalchemy.orm import Session

from tracker.errors import N_, NotAllowed
from tracker.ledger.permissions import has_inbox
from tracker.org.models import Person


def may_import(session: Session, person: Person) -> bool:
    """Administrators and the people of a receiving department."""
    return person.active and (person.role == "admin" or has_inbox(session, person))


def require_importer(session: Session, person: Person | None) -> None:
    """NotAllowed unless this person may import (nobody named: the operator)."""
    if person is not None and not may_import(session, person):
        raise NotAllowed(N_("only receiving departments and administrators import DMS exports"))


def may_edit_mappings(person: Person) -> bool:
    """Administrators keep the column mappings (the page; `tracker import mapping` at the
    command line is the operator's)."""
    return person.active and person.role == "admin"
