"""Who may do what with a complaint: the one home of these rules, for the pages, the CLI and
the service. The `may_*` questions answer pages and menus; `require` raises NotAllowed."""

from sqlalchemy import or_, true

from tracker.complaints.models import Complaint
from tracker.errors import N_, NotAllowed
from tracker.org.models import Department, Person

HANDLERS = ("clerk", "head")


def _of_department(person: Person, c: Complaint) -> bool:
    return (
        person.active
        and person.store_id == c.store_id
        and person.department_id == c.department_id
        and person.role in HANDLERS
    )


def may_file(person: Person, department: Department) -> bool:
    """Anyone active files a complaint about another department's service in their store."""
    return person.active and person.department_id != department.id


def may_see(person: Person, c: Complaint) -> bool:
    """The complainant, the department complained about (it sees who complained: a complaint
    is not a survey), its owner, and the store's leads and administrators."""
    if person.id in (c.filed_by_id, c.owner_id):
        return True
    if person.role in ("lead", "admin"):
        return person.role == "admin" or person.store_id == c.store_id
    return person.store_id == c.store_id and person.department_id == c.department_id


def visible(person: Person):
    """`may_see` as a WHERE clause, for lists."""
    if person.role == "admin":
        return true()
    if person.role == "lead":
        return Complaint.store_id == person.store_id
    return or_(
        Complaint.filed_by_id == person.id,
        (Complaint.store_id == person.store_id) & (Complaint.department_id == person.department_id),
    )


def may_open(person: Person, c: Complaint) -> bool:
    """A clerk or head of the department complained about, in the complaint's store."""
    return _of_department(person, c)


def may_answer(person: Person, c: Complaint) -> bool:
    """Its owner, or a head of the department (who may also hand it to someone else)."""
    return _of_department(person, c) and (person.id == c.owner_id or person.role == "head")


def may_reassign(person: Person, c: Complaint) -> bool:
    """A head of the department in the complaint's store."""
    return _of_department(person, c) and person.role == "head"


def may_close(person: Person, c: Complaint) -> bool:
    """Only the complainant confirms the resolution or reopens the complaint."""
    return person.active and person.id == c.filed_by_id


RULES = {
    "see": may_see,
    "open": may_open,
    "answer": may_answer,
    "reassign": may_reassign,
    "close": may_close,
    "reopen": may_close,
}
MESSAGES = {
    "see": N_("you may not see this complaint"),
    "open": N_("only a clerk or head of the department complained about, in its store, opens it"),
    "answer": N_("only the complaint's owner or the department's head answers it"),
    "reassign": N_("only the department's head hands a complaint to someone else"),
    "close": N_("only the person who filed the complaint closes or reopens it"),
    "reopen": N_("only the person who filed the complaint closes or reopens it"),
}


def allowed(person: Person, action: str, c: Complaint) -> bool:
    """Whether `person` may do `action` ("see", "open", "answer", ...) to `c`."""
    return RULES[action](person, c)


def require(person: Person, action: str, c: Complaint) -> None:
    """NotAllowed unless `person` may do `action` to `c`."""
    if not allowed(person, action, c):
        raise NotAllowed(MESSAGES[action])
