"""What the survey's pages show and do, assembled from `satisfaction.service` (the views stay
thin: no queries there). Each function that changes something commits on success and, on a
refusal, rolls back and puts the message beside the field."""

from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker.errors import N_, BadInput, TrackerError
from tracker.org.models import Department, Person, Store
from tracker.satisfaction import permissions, service
from tracker.satisfaction.forms import QUESTION_LABELS, AnswerForm, MinimumForm, SurveyDatesForm
from tracker.satisfaction.models import QUESTIONS

__all__ = ["QUESTIONS", "QUESTION_LABELS", "admin", "answered", "results", "survey"]


def survey(
    session: Session, person: Person, now: datetime, failed: AnswerForm | None = None
) -> dict:
    """The open survey of the person's store (if any) and a form per department still to rate;
    after a refused answer, that department's form with its errors."""
    found = service.open_survey_of(session, person, now)
    left = service.to_answer(session, person, found) if found is not None else []
    forms = {}
    for department in left:
        form = AnswerForm(formdata=None, prefix="")
        if failed is not None and failed.department.data == department.code:
            form = failed
        form.department.data = department.code
        form.comment.id = f"{department.code}-comment"  # one page holds a form per department
        forms[department.code] = form
    return {
        "survey": found,
        "left": left,
        "forms": forms,
        "asked": permissions.may_answer(person),
        "sees_results": permissions.sees_results(person),
        "serving": service.serving(session, person.department_id) if found else [],
    }


def answered(session: Session, person: Person, form: AnswerForm, now: datetime) -> bool:
    """Keep the answer; a refusal is shown beside the comment (or the form) and keeps nothing."""
    found = service.open_survey_of(session, person, now)
    department = session.scalar(select(Department).where(Department.code == form.department.data))
    try:
        if found is None or department is None:
            raise BadInput(N_("this survey is not open"))
        service.answer(session, person, found, department, form.scores(), now=now)
    except TrackerError as exc:
        session.rollback()
        form.comment.errors = [*form.comment.errors, exc.localized()]
        return False
    session.commit()
    return True


def results(session: Session, person: Person, quarter: str | None, now: datetime) -> dict:
    """The person's store's survey of the quarter asked (default: the latest), as far as the
    person may see it."""
    store = person.store
    surveys = [s for s, st in service.surveys(session) if st.id == store.id]
    chosen = next((s for s in surveys if s.quarter == (quarter or "").upper()), None)
    chosen = chosen or (surveys[0] if surveys and not quarter else None)
    found = service.results(session, person, chosen) if chosen is not None else []
    return {
        "surveys": surveys,
        "chosen": chosen,
        "results": found,
        "least": service.minimum_answers(session),
        "store": store,
    }


def admin(
    session: Session, form: SurveyDatesForm | None = None, minimum: MinimumForm | None = None
) -> dict:
    """The surveys of every store, the form to set one, and N."""
    stores = list(session.scalars(select(Store).order_by(Store.code)))
    form = form or SurveyDatesForm(formdata=None)
    form.store.choices = [(s.code, f"{s.code} · {s.name}") for s in stores]
    least = service.minimum_answers(session)
    minimum = minimum or MinimumForm(formdata=None, minimum=str(least))
    return {"surveys": service.surveys(session), "form": form, "minimum": minimum, "least": least}


def dates_set(session: Session, person: Person, form: SurveyDatesForm, now: datetime) -> bool:
    """Set a store's survey dates; a refusal goes beside the closing day."""
    store = session.scalar(select(Store).where(Store.code == form.store.data))
    if store is None:
        form.store.errors = [*form.store.errors, _("Not one of the choices.")]
        return False
    try:
        service.open_survey(
            session,
            store,
            form.quarter.data,
            opens_on=form.opens_on.parsed,
            closes_on=form.closes_on.parsed,
            by=person,
            now=now,
        )
    except TrackerError as exc:
        session.rollback()
        form.closes_on.errors = [*form.closes_on.errors, exc.localized()]
        return False
    session.commit()
    return True


def minimum_set(session: Session, person: Person, form: MinimumForm, now: datetime) -> bool:
    """Set N; a refusal goes beside the field."""
    try:
        service.set_minimum_answers(session, form.minimum.data, now=now, by=person)
    except TrackerError as exc:
        session.rollback()
        form.minimum.errors = [*form.minimum.errors, exc.localized()]
        return False
    session.commit()
    return True
