"""Who may see which scorecard: the one home of these rules, for the pages and the command line.

`person` None is the operator at the command line, who sees every store and department."""

from tracker.errors import N_, NotAllowed, NotFound
from tracker.org.models import Department, Person, Store


def can_see_scorecards(person: Person) -> bool:
    """Heads see their department's and its providers'; leads and administrators see all;
    clerks do not."""
    return person.role in ("head", "lead", "admin")


def sees_all_stores(person: Person | None) -> bool:
    """Leads, administrators and the operator look across stores and departments."""
    return person is None or person.sees_all_stores


def require_scorecards(person: Person | None) -> None:
    """NotAllowed unless this person may see some scorecard."""
    if person is not None and not can_see_scorecards(person):
        raise NotAllowed(N_("only heads, leads and administrators see scorecards"))


def require_risk_bands_setter(person: Person | None) -> None:
    """NotAllowed unless an administrator (or the operator) sets the age bands of amounts at
    risk: they are the whole group's."""
    if person is not None and person.role != "admin":
        raise NotAllowed(N_("only administrators set the age bands"))


def visible_stores(person: Person | None, stores: list[Store]) -> list[Store]:
    """Of all `stores`, the ones this person may pick."""
    return stores if sees_all_stores(person) else [person.store]


def allowed_scope(
    person: Person | None,
    *,
    store: str | None,
    provider: str | None,
    stores: list[Store],
    departments: dict[str, Department],
    owing: set[str] = frozenset(),
) -> tuple[Store | None, Department | None, Department | None]:
    """The store (None: all), department (None: all) and party (None: any) a person may see
    when asking for these codes. A head sees, in their own store, their own department as
    provider and the providers of what is owed to their department (`owing`: their codes), as
    far as it is owed to it: the party is the head's department, and a row counts only
    deliverables it provides or receives. Asking for another store or provider is NotAllowed;
    for leads and administrators an unknown store is NotFound and an unknown department means
    all of them."""
    require_scorecards(person)
    if not sees_all_stores(person):
        own = person.department.code
        if store not in (None, "", person.store.code) or provider not in (None, "", own, *owing):
            raise NotAllowed(
                N_(
                    "heads see, in their own store, their department's scorecard and those of "
                    "the departments that owe it something"
                )
            )
        return person.store, departments.get(provider or ""), person.department
    chosen = None
    if store:
        chosen = next((s for s in stores if s.code == store), None)
        if chosen is None:
            raise NotFound(N_("no store with code %(code)r"), code=store)
    return chosen, departments.get(provider or ""), None
