"""Who may do what with the reminders: the one home of the rule."""

from tracker.org.models import Person


def may_choose_reminders(person: Person) -> bool:
    """Every active person chooses, for themselves only, when their reminders reach them."""
    return person.active
