"""Who may close and reopen a month: the one home of these rules, for the page, the menu and
the command line. `person` None is the operator at the command line, who may do both."""

from tracker.errors import N_, NotAllowed
from tracker.org.models import Person, Store


def can_close(person: Person | None) -> bool:
    """Finance leads and administrators close months (and see the readiness page)."""
    return person is None or person.role in ("lead", "admin")


def can_reopen(person: Person | None) -> bool:
    """Only administrators reopen a closed month."""
    return person is None or person.role == "admin"


def require_close(person: Person | None, store: Store) -> None:
    """NotAllowed unless this person may close this store's months: a lead or administrator
    of that store, or of the group (leads and administrators look across stores)."""
    if not can_close(person):
        raise NotAllowed(N_("only finance leads and administrators close a month"))
    if person is not None and not (person.sees_all_stores or person.store_id == store.id):
        raise NotAllowed(N_("only finance leads and administrators close a month"))


def require_reopen(person: Person | None) -> None:
    """NotAllowed unless this person may reopen a closed month."""
    if not can_reopen(person):
        raise NotAllowed(N_("only administrators reopen a closed month"))
