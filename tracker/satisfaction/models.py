"""Ratings given when a submission is decided, the quarterly surveys and their answers.

A survey answer is kept apart from who gave it: `survey_response` says that a person answered
about a department (so they are not asked again and their reminders stop), `survey_answer`
holds the scores and the comment with no person and no time: no page, export or command ever
pairs them (only someone reading the raw tables could guess from the order rows were written)."""

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from tracker.extensions import db
from tracker.types import UTCDateTime

TAGS = ("complete", "courteous", "had_to_chase", "wrong_information")
QUESTIONS = ("timeliness", "completeness", "attitude", "overall")
SCORE_CHECK = "{0} BETWEEN 1 AND 5"


class DecisionRating(db.Model):
    """The receiving clerk's rating (1-5, with tags) of one decided submission: keyed by the
    submission, so a deliverable returned and accepted later can be rated at each decision.
    The store, provider and month (of the decision, store's zone) are copied for the index."""

    __tablename__ = "decision_rating"
    __table_args__ = (
        CheckConstraint(SCORE_CHECK.format("rating"), name="rating"),
        Index("ix_decision_rating_month", "month", "store_id", "provider_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submission.id"), unique=True)
    deliverable_id: Mapped[int] = mapped_column(ForeignKey("deliverable.id"), index=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("store.id"))
    provider_id: Mapped[int] = mapped_column(ForeignKey("department.id"))
    month: Mapped[str] = mapped_column(String(7))
    outcome: Mapped[str] = mapped_column(String(16))  # accepted or returned
    rating: Mapped[int]
    tags: Mapped[list] = mapped_column(JSON, default=list)
    rated_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    rated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Survey(db.Model):
    """One store's survey of one quarter: open from the first day to the last (store's zone)."""

    __tablename__ = "survey"
    __table_args__ = (UniqueConstraint("store_id", "quarter"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("store.id"))
    quarter: Mapped[str] = mapped_column(String(6))  # 2026Q4
    opens_on: Mapped[date] = mapped_column(Date)
    closes_on: Mapped[date] = mapped_column(Date)
    set_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    set_at: Mapped[datetime] = mapped_column(UTCDateTime)


class SurveyResponse(db.Model):
    """That a person answered about a department in a survey (never what they answered)."""

    __tablename__ = "survey_response"
    __table_args__ = (UniqueConstraint("survey_id", "person_id", "department_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("survey.id"))
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"))


class SurveyAnswer(db.Model):
    """One anonymous answer about a department: four scores 1-5 and a comment."""

    __tablename__ = "survey_answer"
    __table_args__ = (
        *(CheckConstraint(SCORE_CHECK.format(q), name=q) for q in QUESTIONS),
        Index("ix_survey_answer_survey_department", "survey_id", "department_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("survey.id"))
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"))
    timeliness: Mapped[int]
    completeness: Mapped[int]
    attitude: Mapped[int]
    overall: Mapped[int]
    comment: Mapped[str | None] = mapped_column(Text)
