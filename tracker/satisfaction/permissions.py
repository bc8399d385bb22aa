"""Who may rate, answer the survey, see its results and set its dates: the one home of these
rules, for the pages, the command line and the services. `person` None is the operator."""

from tracker.errors import N_, NotAllowed
from tracker.ledger.models import Deliverable
from tracker.org.models import Person

ANSWERING_ROLES = ("clerk", "head")


def may_rate(person: Person, deliverable: Deliverable) -> bool:
    """The receiving department's people in the deliverable's store rate what they decide."""
    return person.department_id == deliverable.receiver_id and (
        person.store_id == deliverable.store_id or person.sees_all_stores
    )


def require_rater(person: Person, deliverable: Deliverable) -> None:
    if not may_rate(person, deliverable):
        raise NotAllowed(N_("only the receiving department rates what it decides"))


def may_answer(person: Person) -> bool:
    """Clerks and heads answer the survey for their department; leads and administrators
    look across departments and are not asked."""
    return person.active and person.role in ANSWERING_ROLES


def may_see_results(person: Person | None, department_id: int) -> bool:
    """Leads, administrators and the operator see every department's aggregates; a head sees
    their own department's (always only aggregates of at least N answers); clerks none."""
    if person is None or person.role in ("lead", "admin"):
        return True
    return person.role == "head" and person.department_id == department_id


def sees_results(person: Person) -> bool:
    """Whether the results page has anything for this person."""
    return person.role in ("head", "lead", "admin")


def sets_surveys(person: Person) -> bool:
    """Administrators set the survey's dates and its minimum of answers."""
    return person.role == "admin"


def require_survey_admin(person: Person | None) -> None:
    """Administrators (and the operator) set the survey's dates and its minimum of answers."""
    if person is not None and not sets_surveys(person):
        raise NotAllowed(N_("only administrators set the survey"))
