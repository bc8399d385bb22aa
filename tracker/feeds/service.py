"""Each person's secret calendar feed (iCal, built with the `icalendar` library).

The feed's URL carries a random key (see models for why it is kept as it is); renewing the key
makes the old URL answer 404 at once. The feed lists
the open deliverables (open or returned) a person's department owes in their store, and for
leads and administrators every open deliverable of their store, each as an event at its due
time: the commitment's title in the person's language with the reference, and a link. A
deliverable's UID is its id, so a calendar moves it when its due time changes and drops it once
it is handed in or decided. Two queries whatever the number of items."""

import secrets
from datetime import datetime, timedelta

from sqlalchemy import case, select
from sqlalchemy.orm import Session, joinedload

from tracker.feeds.models import FeedKey
from tracker.ledger.models import OPEN_STATUSES, Deliverable
from tracker.org.models import Person

UID_DOMAIN = "tracker"


def current_key(session: Session, person: Person) -> str | None:
    """The person's feed key, if they have one."""
    return session.scalar(select(FeedKey.secret).where(FeedKey.person_id == person.id))


def renew_key(session: Session, person: Person, *, now: datetime) -> str:
    """A new feed key for the person; the old one stops working."""
    key = secrets.token_urlsafe(32)
    row = session.scalar(select(FeedKey).where(FeedKey.person_id == person.id))
    if row is None:
        row = FeedKey(person_id=person.id)
        session.add(row)
    row.secret, row.created_at = key, now
    session.flush()
    return key


def feed_url(base_url: str, key: str) -> str:
    """The feed's address for a calendar to subscribe to."""
    return f"{base_url.rstrip('/')}/feed/{key}.ics"


def profile_url(session: Session, person: Person, base_url: str) -> str | None:
    """The person's feed URL for their profile page, if they have made one."""
    key = current_key(session, person)
    return feed_url(base_url, key) if key else None


def person_for_key(session: Session, key: str) -> Person | None:
    """The active person whose feed key this is, if any (one query)."""
    if not key or len(key) > 100:
        return None
    person = session.scalar(
        select(Person).join(FeedKey, FeedKey.person_id == Person.id).where(FeedKey.secret == key)
    )
    return person if person is not None and person.active else None


def feed_scope(person: Person) -> str:
    """Whose items the feed lists: the person's department, or for leads and administrators
    their whole store."""
    return "store" if person.role in ("lead", "admin") else "department"


def feed_items(session: Session, person: Person) -> list[Deliverable]:
    """The open deliverables the person's feed lists: their own first, then the rest of the
    department's (or store's), each by due time, with their owners loaded."""
    query = (
        select(Deliverable)
        .where(Deliverable.store_id == person.store_id, Deliverable.status.in_(OPEN_STATUSES))
        .options(joinedload(Deliverable.owner))
    )
    if feed_scope(person) == "department":
        query = query.where(Deliverable.provider_id == person.department_id)
    own_first = case((Deliverable.owner_id == person.id, 0), else_=1)
    return list(session.scalars(query.order_by(own_first, Deliverable.due_at, Deliverable.id)))


def calendar_bytes(person: Person, items: list[Deliverable], *, base_url: str, now: datetime):
    """The feed as an iCalendar document."""
    from flask_babel import force_locale, gettext
    from icalendar import Calendar, Event

    cal = Calendar()
    cal.add("prodid", "-//tracker//deliverables//EN")
    cal.add("version", "2.0")
    with force_locale(person.language):
        cal.add("x-wr-calname", gettext("Tracker: due items"))
        for d in items:
            event = Event()
            url = f"{base_url.rstrip('/')}/deliverables/{d.id}"
            title = d.version.title(person.language)
            event.add("uid", f"deliverable-{d.id}@{UID_DOMAIN}")
            summary = f"{title} · {d.reference}" if d.reference else title
            if d.owner is not None and d.owner_id != person.id:  # someone else's: say whose
                summary = f"{summary} ({d.owner.name})"
            event.add("summary", summary)
            event.add("dtstart", d.due_at)
            event.add("dtend", d.due_at + timedelta(minutes=30))
            event.add("dtstamp", now)
            event.add("sequence", d.state_version)
            event.add("url", url)
            event.add("description", f"{gettext('Status')}: {gettext(d.status)}\n{url}")
            cal.add_component(event)
    return cal.to_ical()
