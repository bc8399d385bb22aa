"""Who may set, test and remove the group robots: the one home of the rule (pages and menu)."""

from tracker.admin.permissions import can_administer
from tracker.org.models import Person


def can_manage_robots(person: Person) -> bool:
    """Administrators only, as for the rest of the mail and reminder settings."""
    return can_administer(person)
