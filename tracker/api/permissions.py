"""Who may do what with API tokens, and what a token may do: the one home of these rules.

A person's token acts with that person's rights (the ledger's, scorecards' and cockpit's own
rules decide each request). A store integration token (the DMS) may only record events and
read."""

from tracker.errors import N_, NotAllowed
from tracker.org.models import Person

from .models import ApiToken


def may_manage_every_token(person: Person) -> bool:
    """Administrators list and revoke everyone's tokens (the page /admin/tokens)."""
    return person.role == "admin"


def may_manage_token(person: Person, token: ApiToken) -> bool:
    """People list and revoke their own tokens; administrators everyone's."""
    return may_manage_every_token(person) or token.person_id == person.id


def require_token_manager(person: Person, token: ApiToken) -> None:
    if not may_manage_token(person, token):
        raise NotAllowed(N_("only its owner or an administrator may revoke this token"))


def may_create_token_for(person: Person | None, owner: Person) -> bool:
    """The operator at the command line (None), the person themself, or an administrator."""
    return person is None or person.role == "admin" or person.id == owner.id


def may_change_deliverables(token: ApiToken) -> bool:
    """An integration token records events and reads; it never submits or decides."""
    return not token.integration


def require_writer(token: ApiToken) -> None:
    if not may_change_deliverables(token):
        raise NotAllowed(N_("an integration token may only record events and read"))
