"""Ratings at the moment of decision, the quarterly survey and the satisfaction index.

Every score of 1-5 counts as (s - 1) / 4 x 100, so 1 is 0 and 5 is 100. A department's index
(CSI) for a store and a month (or a quarter) is RATING_WEIGHT x the mean of the ratings given
when its submissions were decided in that month + SURVEY_WEIGHT x the mean of its survey
answers of that quarter (each answer the mean of its four scores); when only one part exists,
that part alone. The survey part counts only where the department has at least N answers in
the store (the anonymity threshold, `minimum_answers`). docs/satisfaction.md."""

import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import and_, func, literal, select, union_all
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from tracker.catalog.models import Commitment
from tracker.errors import N_, BadInput, Conflict, NotAllowed
from tracker.ledger.models import Submission
from tracker.org.models import Department, GroupSetting, Person, Store
from tracker.satisfaction import permissions
from tracker.satisfaction.models import (
    QUESTIONS,
    TAGS,
    DecisionRating,
    Survey,
    SurveyAnswer,
    SurveyResponse,
)

RATING_WEIGHT = 0.4
SURVEY_WEIGHT = 0.6
MIN_ANSWERS_KEY = "satisfaction.min_answers"
DEFAULT_MIN_ANSWERS = 3
MAX_MIN_ANSWERS = 50
REMIND_EVERY = 3  # working days between two survey reminders
MAX_SURVEY_DAYS = 92
MAX_COMMENT = 2000
QUARTER = re.compile(r"([0-9]{4})Q([1-4])")


# --- ratings at the moment of decision ---


def check_rating(value: object) -> int | None:
    """A rating of 1-5 (None: not rated); anything else is BadInput."""
    if value is None or value == "":
        return None
    text = str(value).strip()
    if text not in ("1", "2", "3", "4", "5"):
        raise BadInput(N_("a rating is a whole number from 1 to 5, not %(value)r"), value=text)
    return int(text)


def check_tags(values: list[str] | str | None) -> list[str]:
    """The tags, from a list or "a,b" text, each one of TAGS, in TAGS' order."""
    if isinstance(values, str):
        values = [v for v in (p.strip() for p in values.split(",")) if v]
    values = list(values or [])
    unknown = [v for v in values if v not in TAGS]
    if unknown:
        raise BadInput(
            N_("unknown tag %(tag)r; the tags are: %(tags)s"),
            tag=unknown[0],
            tags=", ".join(TAGS),
        )
    return [t for t in TAGS if t in values]


def check_rating_and_tags(rating: object, tags) -> tuple[int | None, list[str]]:
    """Both checked before anything is decided: tags need a rating beside them."""
    rating, tags = check_rating(rating), check_tags(tags)
    if tags and rating is None:
        raise BadInput(N_("give a rating from 1 to 5 with the tags"))
    return rating, tags


def rate(
    session: Session,
    submission: Submission,
    *,
    rating: object,
    tags=None,
    by: Person,
    now: datetime,
) -> DecisionRating | None:
    """Keep the rating of a submission just decided (accepted or returned), in the same
    transaction as the decision; None when no rating was given. One per submission."""
    rating, tags = check_rating_and_tags(rating, tags)
    if rating is None:
        return None
    d = submission.deliverable
    permissions.require_rater(by, d)
    if submission.outcome not in ("accepted", "returned") or submission.decided_month is None:
        raise BadInput(N_("only a submission just accepted or returned can be rated"))
    found = DecisionRating(
        submission_id=submission.id,
        deliverable_id=d.id,
        store_id=d.store_id,
        provider_id=d.provider_id,
        month=submission.decided_month,
        outcome=submission.outcome,
        rating=rating,
        tags=tags,
        rated_by_id=by.id,
        rated_at=now,
    )
    session.add(found)
    session.flush()
    return found


# --- the group's minimum of answers ---


def minimum_answers(session: Session) -> int:
    """N: the fewest survey answers about a department before anyone sees their aggregate."""
    value = session.scalar(select(GroupSetting.value).where(GroupSetting.key == MIN_ANSWERS_KEY))
    return int(value[0]) if value else DEFAULT_MIN_ANSWERS


def set_minimum_answers(
    session: Session, value: object, *, now: datetime, by: Person | None
) -> int:
    """Set N (administrators; `by` None: the operator): a whole number from 1 to 50."""
    permissions.require_survey_admin(by)
    text = str(value or "").strip()
    if not (text.isascii() and text.isdigit()) or not 1 <= int(text) <= MAX_MIN_ANSWERS:
        raise BadInput(N_("the minimum of answers is a whole number from 1 to 50"))
    setting = session.get(GroupSetting, MIN_ANSWERS_KEY)
    if setting is None:
        setting = GroupSetting(key=MIN_ANSWERS_KEY)
        session.add(setting)
    setting.value, setting.updated_at = [int(text)], now
    setting.updated_by_id = by.id if by else None
    session.flush()
    return int(text)


# --- quarters and surveys ---


def check_quarter(text: str | None) -> str:
    """A quarter written 2026Q4."""
    text = (text or "").strip().upper()
    match = QUARTER.fullmatch(text)
    if not match or not 2000 <= int(match.group(1)) <= 2100:
        raise BadInput(N_("write a quarter as YYYYQn, e.g. 2026Q4, not %(value)r"), value=text)
    return text


def quarter_of(month: str) -> str:
    """The quarter of a month: 2026-11 -> 2026Q4."""
    return f"{month[:4]}Q{(int(month[5:7]) - 1) // 3 + 1}"


def quarter_months(quarter: str) -> list[str]:
    """The months of a quarter: 2026Q4 -> 2026-10, 2026-11, 2026-12."""
    year, q = quarter[:4], int(quarter[-1])
    return [f"{year}-{m:02d}" for m in range(3 * q - 2, 3 * q + 1)]


def open_survey(
    session: Session,
    store: Store,
    quarter: str,
    *,
    opens_on: date,
    closes_on: date,
    by: Person | None,
    now: datetime,
) -> Survey:
    """Set (or move) the dates of a store's survey of a quarter: open from the first day to the
    last, both in the store's zone, at most 92 days."""
    permissions.require_survey_admin(by)
    quarter = check_quarter(quarter)
    if closes_on < opens_on:
        raise BadInput(N_("the survey must close on or after the day it opens"))
    if closes_on - opens_on > timedelta(days=MAX_SURVEY_DAYS):
        raise BadInput(N_("a survey stays open at most 92 days"))
    survey = session.scalar(
        select(Survey).where(Survey.store_id == store.id, Survey.quarter == quarter)
    )
    if survey is None:
        survey = Survey(store_id=store.id, quarter=quarter)
        session.add(survey)
    survey.opens_on, survey.closes_on = opens_on, closes_on
    survey.set_by_id, survey.set_at = (by.id if by else None), now
    session.flush()
    return survey


def surveys(session: Session) -> list[tuple[Survey, Store]]:
    """Every store's surveys, the latest quarter first."""
    rows = session.execute(
        select(Survey, Store)
        .join(Store, Store.id == Survey.store_id)
        .order_by(Survey.quarter.desc(), Store.code)
    )
    return [tuple(row) for row in rows]


def is_open(survey: Survey, store: Store, now: datetime) -> bool:
    """Whether the survey takes answers at `now` (its days in the store's zone)."""
    return survey.opens_on <= now.astimezone(store.zone).date() <= survey.closes_on


def open_survey_of(session: Session, person: Person, now: datetime) -> Survey | None:
    """The survey of the person's store open at `now`, if any (the latest quarter's)."""
    today = now.astimezone(person.store.zone).date()
    return session.scalar(
        select(Survey)
        .where(
            Survey.store_id == person.store_id,
            Survey.opens_on <= today,
            Survey.closes_on >= today,
        )
        .order_by(Survey.quarter.desc())
        .limit(1)
    )


def _serving():
    """(receiver, provider) pairs of the live commitments between two departments."""
    return (
        select(Commitment.receiver_id, Commitment.provider_id)
        .where(Commitment.retired_at.is_(None), Commitment.provider_id != Commitment.receiver_id)
        .distinct()
    )


def serving(session: Session, department_id: int) -> list[Department]:
    """The departments that serve this one: the providers of what it receives, by code."""
    pairs = _serving().subquery()
    return list(
        session.scalars(
            select(Department)
            .join(pairs, pairs.c.provider_id == Department.id)
            .where(pairs.c.receiver_id == department_id)
            .order_by(Department.code)
        )
    )


def to_answer(session: Session, person: Person, survey: Survey) -> list[Department]:
    """The departments this person still has to rate in this survey."""
    if not permissions.may_answer(person):
        return []
    done = set(
        session.scalars(
            select(SurveyResponse.department_id).where(
                SurveyResponse.survey_id == survey.id, SurveyResponse.person_id == person.id
            )
        )
    )
    return [d for d in serving(session, person.department_id) if d.id not in done]


@dataclass
class Scores:
    """One answer's four scores and its comment."""

    timeliness: int
    completeness: int
    attitude: int
    overall: int
    comment: str | None = None


def check_scores(values: dict) -> Scores:
    """Four scores 1-5 (each required) and an optional comment of at most 2000 characters."""
    scores = {}
    for question in QUESTIONS:
        score = check_rating(values.get(question))
        if score is None:
            raise BadInput(N_("give %(question)s a score from 1 to 5"), question=question)
        scores[question] = score
    comment = (values.get("comment") or "").strip() or None
    if comment is not None and (len(comment) > MAX_COMMENT or "\x00" in comment):
        raise BadInput(N_("a comment holds at most 2000 characters"))
    return Scores(**scores, comment=comment)


def answer(
    session: Session,
    person: Person,
    survey: Survey,
    department: Department,
    scores: Scores,
    *,
    now: datetime,
) -> None:
    """Keep one person's answer about one department: that they answered, and apart from it the
    scores with no name. Once they have answered every department, their survey reminders
    still waiting are cancelled."""
    if not permissions.may_answer(person) or survey.store_id != person.store_id:
        raise NotAllowed(N_("this survey is not yours to answer"))
    if not is_open(survey, person.store, now):
        raise BadInput(N_("this survey is not open"))
    left = to_answer(session, person, survey)
    if department.id not in {d.id for d in left}:
        raise Conflict(
            N_("you have already answered about this department, or it does not serve yours")
        )
    try:
        with session.begin_nested():  # the same answer sent twice at once: one is kept
            session.add(
                SurveyResponse(
                    survey_id=survey.id, person_id=person.id, department_id=department.id
                )
            )
            session.flush()
    except IntegrityError:
        raise Conflict(
            N_("you have already answered about this department, or it does not serve yours")
        ) from None
    session.add(
        SurveyAnswer(
            survey_id=survey.id,
            department_id=department.id,
            timeliness=scores.timeliness,
            completeness=scores.completeness,
            attitude=scores.attitude,
            overall=scores.overall,
            comment=scores.comment,
        )
    )
    session.flush()
    if len(left) == 1:
        from tracker.satisfaction import reminders

        reminders.cancel_waiting(session, survey, person)


# --- what the rated department and the leads see ---


@dataclass
class Result:
    """A department's survey aggregate in one store: how many answered, and, from N answers,
    the mean of each question and the comments (in no particular order: sorted by text)."""

    store: str
    department: Department
    answers: int
    shown: bool
    means: dict[str, float]
    comments: list[str]


def results(session: Session, viewer: Person | None, survey: Survey) -> list[Result]:
    """The survey's aggregates the viewer may see: a head their own department's, leads and
    administrators every department's. Below N answers only the count is told; never who
    answered, never one answer's scores. Two queries, three with comments."""
    least = minimum_answers(session)
    store = session.get(Store, survey.store_id)
    a = SurveyAnswer
    rows = session.execute(
        select(a.department_id, func.count(), *(func.avg(getattr(a, q)) for q in QUESTIONS))
        .where(a.survey_id == survey.id)
        .group_by(a.department_id)
    ).all()
    departments = {d.id: d for d in session.scalars(select(Department))}
    found = []
    for department_id, count, *means in rows:
        if not permissions.may_see_results(viewer, department_id):
            continue
        shown = count >= least
        found.append(
            Result(
                store=store.code,
                department=departments[department_id],
                answers=count,
                shown=shown,
                means={q: round(float(m), 2) for q, m in zip(QUESTIONS, means, strict=True)}
                if shown
                else {},
                comments=[],
            )
        )
    shown = [r.department.id for r in found if r.shown]
    if shown:
        comments = defaultdict(list)
        for department_id, comment in session.execute(
            select(a.department_id, a.comment).where(
                a.survey_id == survey.id, a.department_id.in_(shown), a.comment.is_not(None)
            )
        ):
            comments[department_id].append(comment)
        for r in found:
            r.comments = sorted(comments.get(r.department.id, []))
    return sorted(found, key=lambda r: r.department.code)


def survey_of(session: Session, store: Store, quarter: str) -> Survey | None:
    """A store's survey of a quarter, if one was set."""
    return session.scalar(
        select(Survey).where(Survey.store_id == store.id, Survey.quarter == check_quarter(quarter))
    )


# --- the satisfaction index ---


@dataclass
class Csi:
    """A department's index (0-100, one decimal; None: no ratings and no survey part) and the
    responses behind it (ratings + the survey answers that counted)."""

    csi: float | None
    responses: int
    ratings: int = 0
    answers: int = 0


def score(mean: float) -> float:
    """A mean of 1-5 scores on the 0-100 scale."""
    return (mean - 1) / 4 * 100


def _index(rating_sum: int, ratings: int, answer_sum: int, answers: int) -> Csi:
    """The index from the ratings' total and count and the counted answers' totals (each
    answer's four scores added up) and count."""
    parts = []
    if ratings:
        parts.append((RATING_WEIGHT, score(rating_sum / ratings)))
    if answers:
        parts.append((SURVEY_WEIGHT, score(answer_sum / (4 * answers))))
    if not parts:
        return Csi(None, 0)
    weight = sum(w for w, _s in parts)
    value = sum(w * s for w, s in parts) / weight
    return Csi(round(value, 1), ratings + answers, ratings, answers)


def csi_sums(
    session: Session,
    *,
    months: list[str],
    store: Store | None = None,
    stores: list[Store] | None = None,
    provider: Department | None = None,
) -> dict[tuple[str, str, str], list[int]]:
    """What the index of each (store code, provider code, month) is made of: the ratings'
    total and count, and the survey answers' total (four scores each) and count, the survey
    of the month's quarter, counted in a store only where it reaches N answers. Two queries
    (N, then the ratings and the answers together), whatever the number of rows."""
    least = minimum_answers(session)
    quarters = sorted({quarter_of(m) for m in months})
    wanted = []
    if store is not None:
        wanted.append(Store.id == store.id)
    if stores is not None:
        wanted.append(Store.id.in_([s.id for s in stores]))
    if provider is not None:
        wanted.append(Department.id == provider.id)
    r, a = DecisionRating, SurveyAnswer
    ratings = (
        select(Store.code, Department.code, r.month, literal("r"), func.count(), func.sum(r.rating))
        .join(Store, Store.id == r.store_id)
        .join(Department, Department.id == r.provider_id)
        .where(r.month.in_(months), *wanted)
        .group_by(Store.code, Department.code, r.month)
    )
    total = a.timeliness + a.completeness + a.attitude + a.overall
    answers = (
        select(
            Store.code, Department.code, Survey.quarter, literal("s"), func.count(), func.sum(total)
        )
        .join(Survey, Survey.id == a.survey_id)
        .join(Store, Store.id == Survey.store_id)
        .join(Department, Department.id == a.department_id)
        .where(Survey.quarter.in_(quarters), *wanted)
        .group_by(Store.code, Department.code, Survey.quarter)
    )
    sums: dict[tuple, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for s, p, period, kind, n, total_ in session.execute(union_all(ratings, answers)):
        if kind == "r":
            sums[(s, p, period)][0] += int(total_)
            sums[(s, p, period)][1] += int(n)
        elif n >= least:  # below N, the survey part does not count (nor is it shown anywhere)
            for month in months:
                if quarter_of(month) == period:
                    sums[(s, p, month)][2] += int(total_)
                    sums[(s, p, month)][3] += int(n)
    return sums


def csi_from(
    sums: dict[tuple[str, str, str], list[int]],
    *,
    months: list[str] | None = None,
    by_store: bool = True,
    by_month: bool = False,
) -> dict[tuple, Csi]:
    """The index from `csi_sums`, keyed (store code, provider code) (store "" with
    `by_store=False`: added up over the stores), with the month last when `by_month`; else
    over `months` together (a quarter's three months give the quarter's: its survey once)."""
    added: dict[tuple, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    counted = set()
    for (s, p, month), values in sums.items():
        if months is not None and month not in months:
            continue
        key = (s if by_store else "", p) + ((month,) if by_month else ())
        # Over several months, a quarter's survey counts once per store, not once per month.
        survey_key = (s, p, quarter_of(month), key)
        first = by_month or survey_key not in counted
        counted.add(survey_key)
        bucket = added[key]
        bucket[0] += values[0]
        bucket[1] += values[1]
        if first:
            bucket[2] += values[2]
            bucket[3] += values[3]
    return {key: _index(*values) for key, values in added.items()}


def csi_rows(
    session: Session,
    *,
    months: list[str],
    store: Store | None = None,
    stores: list[Store] | None = None,
    provider: Department | None = None,
    by_store: bool = True,
    by_month: bool = False,
) -> dict[tuple, Csi]:
    """The index of each providing department over these months (`csi_sums`, `csi_from`).
    Two queries."""
    sums = csi_sums(session, months=months, store=store, stores=stores, provider=provider)
    return csi_from(sums, by_store=by_store, by_month=by_month)


def csi_of(found: dict[tuple, Csi], *key: str) -> Csi:
    """The index of one key of `csi_rows`, none when nothing was rated or answered."""
    return found.get(tuple(key)) or Csi(None, 0)


def departments_rated(session: Session, survey: Survey) -> list[Department]:
    """The departments that serve some receiving department: whom a survey asks about."""
    pairs = _serving().subquery()
    return list(
        session.scalars(
            select(Department)
            .where(Department.id.in_(select(pairs.c.provider_id)))
            .order_by(Department.code)
        )
    )


def respondents(session: Session, survey: Survey) -> list[Person]:
    """Who a store's survey asks: the active clerks and heads of the departments some other
    department serves."""
    pairs = _serving().subquery()
    return list(
        session.scalars(
            select(Person)
            .where(
                Person.store_id == survey.store_id,
                Person.active.is_(True),
                Person.role.in_(permissions.ANSWERING_ROLES),
                Person.department_id.in_(select(pairs.c.receiver_id)),
            )
            .order_by(Person.id)
        )
    )


def answered_all(session: Session, survey: Survey) -> set[int]:
    """Of the survey's respondents, the ids of those who answered about every department
    serving theirs. One query."""
    pairs = _serving().subquery()
    owed = (
        select(Person.id, func.count(pairs.c.provider_id.distinct()).label("owed"))
        .join(pairs, pairs.c.receiver_id == Person.department_id)
        .where(Person.store_id == survey.store_id)
        .group_by(Person.id)
        .subquery()
    )
    given = (
        select(SurveyResponse.person_id, func.count().label("given"))
        .where(SurveyResponse.survey_id == survey.id)
        .group_by(SurveyResponse.person_id)
        .subquery()
    )
    rows = session.execute(
        select(owed.c.id).join(
            given, and_(given.c.person_id == owed.c.id, given.c.given >= owed.c.owed)
        )
    )
    return set(rows.scalars())
