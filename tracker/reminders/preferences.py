"""Each person's choice of when reminders reach them: the time of day of their digest, and which
instant notices arrive at once and which wait for the digest; and which of a person's waiting
items their next message takes (`ready`). Overdue reminders and escalations have no choice:
they always come, in the digest."""

from datetime import UTC, datetime, time, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from tracker.errors import N_, BadInput
from tracker.org.models import Person
from tracker.reminders.models import NOTICE_KINDS, Preference
from tracker.reminders.policy import WorkingTime

# The choices a person has: each group of notices at once or in the digest, by notice kind.
GROUPS = {
    "returned": "returned",
    "waived": "returned",
    "handed_in": "handed_in",
    "requested": "requested",
}
GROUP_LABELS = {
    "returned": _l("An item of mine is returned or waived"),
    "handed_in": _l("Something is handed in to my department or to my request"),
    "requested": _l("A request is raised for my department"),
}

_SEARCH_DAYS = 60


def preference_of(session: Session, person: Person) -> Preference:
    """The person's choices (the defaults, not saved, when they made none)."""
    found = session.get(Preference, person.id)
    if found is None:
        found = Preference(
            person_id=person.id,
            digest_at=None,
            returned_at_once=True,
            handed_in_at_once=True,
            requested_at_once=True,
        )
    return found


def digest_times(person: Person) -> list[str]:
    """The times of day a digest may be set to: each whole hour of the store's working hours."""
    start, end = person.store.work_start, person.store.work_end
    return [f"{h:02d}:00" for h in range(start.hour, 24) if time(h) >= start and time(h) < end]


def set_preferences(
    session: Session,
    person: Person,
    *,
    digest_at: str | None,
    at_once: set[str],
) -> Preference:
    """Save the person's digest time (None: as soon as something waits) and the groups of
    notices that arrive at once (the others wait for the digest)."""
    digest_at = digest_at or None
    if digest_at is not None and digest_at not in digest_times(person):
        raise BadInput(N_("choose a time within your store's working hours"))
    unknown = set(at_once) - set(GROUP_LABELS)
    if unknown:
        raise BadInput(N_("no such notice: %(name)s"), name=", ".join(sorted(unknown)))
    found = session.get(Preference, person.id)
    if found is None:
        found = Preference(person_id=person.id)
        session.add(found)
    found.digest_at = digest_at
    for group in GROUP_LABELS:
        setattr(found, f"{group}_at_once", group in at_once)
    session.flush()
    return found


def digest_moment(wt: WorkingTime, after: datetime, at: time) -> datetime:
    """The first instant at or after `after` that is `at` (local) on a working day within
    working hours: when a digest set to `at` takes what was written at `after`."""
    day = wt.local(after).date()
    for _n in range(_SEARCH_DAYS):
        moment = datetime.combine(day, at, wt.store.zone).astimezone(UTC)
        if moment >= after and wt.is_open(moment):
            return moment
        day += timedelta(days=1)
    return wt.next_open(after)


def ready(items, pref: Preference | None, wt: WorkingTime, now: datetime) -> list:
    """Of a person's waiting items, those their message takes at `now` (their store open):
    notices they want at once; the rest at their digest time (written before today's, or an
    earlier day's), or without one, as soon as they wait (as the digests always went), a notice
    chosen for the digest riding along with them or going at the next working morning."""
    at_once = {
        kind
        for kind, group in GROUPS.items()
        if pref is None or getattr(pref, f"{group}_at_once") is not False
    }
    instant = [i for i in items if i.kind in at_once]
    rest = [i for i in items if i.kind not in at_once]
    digest_at = pref.digest_at if pref is not None else None
    if digest_at is None:
        if any(i.kind not in NOTICE_KINDS for i in rest):
            return list(items)
        start = wt.store.work_start
        return instant + [i for i in rest if digest_moment(wt, i.created_at, start) <= now]
    at = time.fromisoformat(digest_at)
    return instant + [i for i in rest if digest_moment(wt, i.created_at, at) <= now]
