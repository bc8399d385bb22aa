"""Who may administer the tracker: the one home of the rule, for the admin's pages and the menu."""

from tracker.org.models import Person


def can_administer(person: Person) -> bool:
    """Administrators only: stores, departments, people, commitments, calendars and mail."""
    return person.role == "admin"
