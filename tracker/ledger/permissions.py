"""Who may see and do what in the ledger and the inbox: the one home of these rules.

Views ask the `may_*` questions (and answer 403), the service and the CLI call the `require_*`
checks, which raise NotAllowed with a message a script can print."""

from sqlalchemy import or_, select, true
from sqlalchemy.orm import Session

from tracker.catalog.models import Commitment
from tracker.errors import N_, NotAllowed
from tracker.ledger.models import BusinessEvent, Deliverable
from tracker.org.models import Person, Store


def may_see_store(person: Person, store_id: int) -> bool:
    """People see their own store; leads and administrators see every store."""
    return person.sees_all_stores or person.store_id == store_id


def may_see_deliverable(person: Person, deliverable: Deliverable) -> bool:
    """A deliverable, its history and its evidence (a customer's bank papers, a card slip) are
    seen by its providing and receiving departments in its store (their heads included) and by
    leads and administrators; not by every person of the store."""
    if person.sees_all_stores:
        return True
    return person.store_id == deliverable.store_id and person.department_id in (
        deliverable.provider_id,
        deliverable.receiver_id,
    )


def visible_deliverables(person: Person):
    """`may_see_deliverable` as a WHERE clause, for lists (the deal file, an event's page)."""
    if person.sees_all_stores:
        return true()
    return (Deliverable.store_id == person.store_id) & or_(
        Deliverable.provider_id == person.department_id,
        Deliverable.receiver_id == person.department_id,
    )


def may_see_event(person: Person, event: BusinessEvent) -> bool:
    """A business event is seen by whoever sees its store."""
    return may_see_store(person, event.store_id)


def may_record_event(person: Person, store: Store) -> bool:
    """People record events in their own store; administrators in any."""
    return person.store_id == store.id or person.role == "admin"


def may_submit(person: Person, deliverable: Deliverable) -> bool:
    """People of the providing department in the deliverable's store submit it."""
    return (
        person.active
        and person.department_id == deliverable.provider_id
        and person.store_id == deliverable.store_id
    )


def is_receiver(person: Person, receiver_id: int, store_id: int) -> bool:
    """True for an active person of this receiving department in this store."""
    return person.active and person.department_id == receiver_id and person.store_id == store_id


def may_decide(person: Person, deliverable: Deliverable) -> bool:
    """People of the receiving department in the deliverable's store accept, return or waive it."""
    return is_receiver(person, deliverable.receiver_id, deliverable.store_id)


def has_inbox(session: Session, person: Person) -> bool:
    """True when some commitment's receiver is this person's department (Finance, usually)."""
    found = session.scalar(
        select(Commitment.id).where(Commitment.receiver_id == person.department_id).limit(1)
    )
    return found is not None


# --- the same rules as refusals, for the service and the command line ---


def may_amend_event(person: Person, event: BusinessEvent, receivers: set[int]) -> bool:
    """An event is corrected or cancelled by the head of the department that recorded it, by
    the receiving department of what it created, or by an administrator, in its store."""
    if not person.active or not (person.store_id == event.store_id or person.role == "admin"):
        return False
    recorder = event.recorded_by
    return (
        person.role == "admin"
        or (person.store_id == event.store_id and person.department_id in receivers)
        or (
            person.role == "head"
            and recorder is not None
            and person.department_id == recorder.department_id
            and person.store_id == event.store_id
        )
    )


def require_event_amender(person: Person, event: BusinessEvent, receivers: set[int]) -> None:
    """Refuse anyone but the recorder's head, the receiving department or an administrator."""
    if not may_amend_event(person, event, receivers):
        raise NotAllowed(
            N_(
                "%(email)s may not correct or cancel this event: the head of the department "
                "that recorded it, the receiving department or an administrator does"
            ),
            email=person.email,
        )


def require_recorder(person: Person | None, store: Store) -> None:
    """Refuse a person of another store (nobody named: a script or a job records it)."""
    if person is not None and not may_record_event(person, store):
        raise NotAllowed(
            N_("%(email)s works in another store and cannot record events in %(store)s"),
            email=person.email,
            store=store.code,
        )


def require_submitter(person: Person, deliverable: Deliverable) -> None:
    """Refuse anyone but the providing department of the deliverable's store."""
    if not may_submit(person, deliverable):
        raise NotAllowed(
            N_("%(email)s is not in the providing department and cannot submit it"),
            email=person.email,
        )


# One message per action, so that each reads naturally once translated.
DECISIONS = {
    "accept": N_("%(email)s is not in the receiving department and cannot accept it"),
    "return": N_("%(email)s is not in the receiving department and cannot return it"),
    "waive": N_("%(email)s is not in the receiving department and cannot waive it"),
}


def require_decider(person: Person, deliverable: Deliverable, action: str) -> None:
    """Refuse anyone but the receiving department of the deliverable's store."""
    if not may_decide(person, deliverable):
        raise NotAllowed(DECISIONS[action], email=person.email)


def require_requester(person: Person, commitment: Commitment, store: Store) -> None:
    """Only the commitment's receiving department in the store raises a request for it."""
    if not is_receiver(person, commitment.receiver_id, store.id):
        raise NotAllowed(
            N_("%(email)s is not in the receiving department and cannot %(doing)s it"),
            email=person.email,
            doing="raise a request for",
        )


# --- owners ---


def may_take_over(person: Person, deliverable: Deliverable) -> bool:
    """A clerk or head of the providing department in the deliverable's store makes it theirs."""
    return (
        may_submit(person, deliverable)
        and person.role in ("clerk", "head")
        and deliverable.owner_id != person.id
    )


def may_reassign(person: Person, deliverable: Deliverable) -> bool:
    """The providing department's head in the deliverable's store, or an administrator, gives
    it to someone of the department."""
    return person.active and (
        person.role == "admin"
        or (
            person.role == "head"
            and person.department_id == deliverable.provider_id
            and person.store_id == deliverable.store_id
        )
    )


def may_set_default_owners(person: Person, department_id: int, store_id: int) -> bool:
    """A department's head in its store (or an administrator) sets its default owners."""
    return person.active and (
        person.role == "admin"
        or (
            person.role == "head"
            and person.department_id == department_id
            and person.store_id == store_id
        )
    )


def require_taker(person: Person, deliverable: Deliverable) -> None:
    if not may_submit(person, deliverable) or person.role not in ("clerk", "head"):
        raise NotAllowed(
            N_("%(email)s is not in the providing department and cannot take it over"),
            email=person.email,
        )


def require_reassigner(person: Person, deliverable: Deliverable) -> None:
    if not may_reassign(person, deliverable):
        raise NotAllowed(
            N_("%(email)s is not the providing department's head and cannot reassign it"),
            email=person.email,
        )


def require_owner_setter(person: Person, department_id: int, store_id: int) -> None:
    if not may_set_default_owners(person, department_id, store_id):
        raise NotAllowed(
            N_("%(email)s is not the department's head and cannot set its default owners"),
            email=person.email,
        )


# --- holds ---

HOLD_ACTIONS = {
    "ask": N_("%(email)s is not in the providing department and cannot ask to hold it"),
    "answer": N_(
        "%(email)s is not in the receiving department and cannot approve or refuse its hold"
    ),
    "release": N_(
        "%(email)s is in neither the providing nor the receiving department and cannot "
        "release its hold"
    ),
}


def may_hold(person: Person, deliverable: Deliverable, action: str) -> bool:
    """The provider asks for a hold (and withdraws it), the receiver approves or refuses it,
    either side releases it, in the deliverable's store."""
    if action == "ask":
        return may_submit(person, deliverable)
    if action == "answer":
        return may_decide(person, deliverable)
    return may_submit(person, deliverable) or may_decide(person, deliverable)


def require_hold(person: Person, deliverable: Deliverable, action: str) -> None:
    """Refuse a hold action to anyone `may_hold` does not allow."""
    if not may_hold(person, deliverable, action):
        raise NotAllowed(HOLD_ACTIONS[action], email=person.email)
