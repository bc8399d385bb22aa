"""Reminders to answer the survey, through the reminders' outbox: one email per person and
step, written once (its Message-ID is its key: `<survey.<survey>.<step>.p<person>@domain>`),
sent by the same delivery as the digests, in the store's working hours only.

A survey's first reminder is due at the start of its first working day, the next one every
REMIND_EVERY working days after, while the survey is open. A pass writes only the step due at
its `now`, to those who have not answered about every department that serves theirs; when a
person answers the last one, their reminders still waiting are cancelled."""

from datetime import datetime, timedelta

from flask import render_template
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from tracker.calendar.service import store_calendar
from tracker.org.models import Person, Store
from tracker.reminders import transport
from tracker.reminders.models import OutboxMessage
from tracker.reminders.policy import WorkingTime
from tracker.satisfaction import service
from tracker.satisfaction.models import Survey


def message_id(survey: Survey, step: int, person_id: int, domain: str) -> str:
    return f"<survey.{survey.id}.{step}.p{person_id}@{domain}>"


def current_step(survey: Survey, wt: WorkingTime, now: datetime) -> tuple[int, datetime] | None:
    """The reminder step due at `now` and when it became due, or None (not begun, or closed)."""
    local = wt.local(now).date()
    if local > survey.closes_on:
        return None
    first = survey.opens_on
    if not wt.calendar.is_working_day(first):
        first = wt.calendar.nth_working_day_after(first, 1)
    due = wt.morning(first)
    if now < due or first > survey.closes_on:
        return None
    step = 0
    while True:
        later = wt.calendar.nth_working_day_after(first, (step + 1) * service.REMIND_EVERY)
        if later > survey.closes_on or wt.morning(later) > now:
            return step, due
        step, due = step + 1, wt.morning(later)


def remind(session: Session, now: datetime, settings) -> int:
    """Write the survey reminders due at `now` into the outbox; how many were written."""
    start = now - timedelta(days=2)
    open_ = session.execute(
        select(Survey, Store)
        .join(Store, Store.id == Survey.store_id)
        .where(
            Survey.opens_on <= (now + timedelta(days=2)).date(), Survey.closes_on >= start.date()
        )
    ).all()
    written = 0
    for survey, store in open_:
        wt = WorkingTime(store, store_calendar(session, store))
        step = current_step(survey, wt, now)
        if step is None:
            continue
        done = service.answered_all(session, survey)
        people = [p for p in service.respondents(session, survey) if p.id not in done]
        ids = {p.id: message_id(survey, step[0], p.id, settings.domain) for p in people}
        taken = set(
            session.scalars(
                select(OutboxMessage.message_id).where(OutboxMessage.message_id.in_(ids.values()))
            )
        )
        for person in people:
            if ids[person.id] in taken:
                continue
            session.add(_message(person, survey, step[0], ids[person.id], now, wt, settings))
            written += 1
    session.flush()
    return written


def _message(person: Person, survey: Survey, step: int, key: str, now, wt, settings):
    """The reminder's email, rendered in the person's language."""
    url = f"{settings.base_url.rstrip('/')}/survey"
    closes = survey.closes_on.isoformat()
    with force_locale(person.language):
        subject = _("[Tracker] The %(quarter)s survey: rate the departments that serve you",
                    quarter=survey.quarter)  # fmt: skip
        context = {"person": person, "survey": survey, "url": url, "closes": closes, "step": step}
        text = render_template("email/survey.txt", **context)
        html = render_template("email/survey.html", **context)
    message = OutboxMessage(
        message_id=key,
        person_id=person.id,
        store_id=person.store_id,
        language=person.language,
        to_address=person.email,
        subject=subject,
        body_text=text,
        body_html=html,
        status="pending",
        attempts=0,
        next_attempt_at=wt.next_open(now),
        created_at=now,
    )
    message.raw = transport.message_bytes(message, settings.mail_from, now)
    return message


def cancel_waiting(session: Session, survey: Survey, person: Person) -> int:
    """Cancel the person's survey reminders not sent yet (they have answered everything)."""
    pattern = f"<survey.{survey.id}.%.p{person.id}@%"
    return session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.message_id.like(pattern), OutboxMessage.status == "pending")
        .values(status="cancelled", last_error="answered")
        .execution_options(synchronize_session=False)
    ).rowcount
