"""Reminders to answer the survey, through the reminders' outbox to a real SMTP server
(aiosmtpd in this process), each pass run at an explicit `now`: one when the survey opens and
another every three working days, in each person's language, only in working time, once per
step however many passes run; and none once the person has answered every department (one
written but not yet sent is cancelled)."""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from tests.reminders_smtp import small_store
from tracker.extensions import db
from tracker.reminders import jobs
from tracker.reminders.models import OutboxMessage
from tracker.satisfaction import service as satisfaction

TZ = ZoneInfo("Asia/Shanghai")


def sh(*args) -> datetime:
    return datetime(*args, tzinfo=TZ).astimezone(UTC)


SETUP = sh(2026, 11, 13, 10)
MONDAY = sh(2026, 11, 16, 10)  # the survey's first day
THURSDAY = sh(2026, 11, 19, 10)  # three working days later


@pytest.fixture
def app(outbox_app):
    return outbox_app


@pytest.fixture
def shop(app):
    """SH01 with its people; Finance (a clerk in English, a head in Chinese) receives from
    four departments; its survey of 2026Q4 is open 16-30 November."""
    store, people = small_store(db.session, SETUP)
    survey = satisfaction.open_survey(
        db.session, store, "2026Q4", opens_on=date(2026, 11, 16), closes_on=date(2026, 11, 30),
        by=None, now=SETUP,
    )  # fmt: skip
    db.session.commit()
    return survey, people


def pass_at(at, robots_clock):
    robots_clock.at = at
    return jobs.run_pass(at, worker="w", lease_now=robots_clock)


def survey_mail(smtp) -> list[tuple[str, str]]:
    return [(m.to[0], m.language) for m in smtp.handler.taken() if "survey" in m.message_id]


def answer_everything(person, survey):
    for department in satisfaction.to_answer(db.session, person, survey):
        scores = satisfaction.Scores(4, 4, 4, 4)
        satisfaction.answer(db.session, person, survey, department, scores, now=MONDAY)
    db.session.commit()


def test_the_survey_reminds_when_it_opens_once_in_each_persons_language(shop, smtp, robots_clock):
    survey, people = shop
    clerk, head = people["finance.clerk0"], people["finance.head1"]
    pass_at(sh(2026, 11, 15, 10), robots_clock)  # Sunday, before it opens: nothing
    assert survey_mail(smtp) == []
    pass_at(MONDAY, robots_clock)
    pass_at(sh(2026, 11, 16, 11), robots_clock)  # the same step again: nothing more
    assert sorted(survey_mail(smtp)) == sorted([(clerk.email, "en"), (head.email, "zh")])
    by_person = {m.to[0]: m for m in smtp.handler.taken()}
    assert "The 2026Q4 survey" in by_person[clerk.email].subject
    assert "http://tracker.test/survey" in by_person[clerk.email].text
    assert "满意度问卷" in by_person[head.email].subject


def test_reminders_come_every_three_working_days_and_stop_once_answered(shop, smtp, robots_clock):
    survey, people = shop
    clerk, head = people["finance.clerk0"], people["finance.head1"]
    pass_at(MONDAY, robots_clock)
    answer_everything(clerk, survey)
    pass_at(sh(2026, 11, 18, 10), robots_clock)  # Wednesday: not yet the next step
    assert len(survey_mail(smtp)) == 2
    pass_at(THURSDAY, robots_clock)
    assert survey_mail(smtp)[2:] == [(head.email, "zh")]  # the clerk has answered everything
    answer_everything(head, survey)
    pass_at(sh(2026, 11, 24, 10), robots_clock)  # the next step: everyone has answered
    assert len(survey_mail(smtp)) == 3


def test_a_reminder_written_but_not_sent_is_cancelled_when_the_person_answers(
    shop, smtp, robots_clock
):
    survey, people = shop
    clerk = people["finance.clerk0"]
    robots_clock.at = MONDAY
    assert jobs.write_reminders(MONDAY) == 2  # written, not yet delivered
    answer_everything(clerk, survey)
    pass_at(sh(2026, 11, 16, 10, 5), robots_clock)
    assert survey_mail(smtp) == [(people["finance.head1"].email, "zh")]
    mine = db.session.scalars(select(OutboxMessage).where(OutboxMessage.person_id == clerk.id))
    assert [m.status for m in mine] == ["cancelled"]


def test_a_reminder_due_at_night_waits_for_working_hours(shop, smtp, robots_clock):
    survey, people = shop
    survey.opens_on = date(2026, 11, 14)  # a Saturday: the first working day is Monday
    db.session.commit()
    pass_at(sh(2026, 11, 14, 10), robots_clock)
    pass_at(sh(2026, 11, 16, 8), robots_clock)  # Monday before opening
    assert survey_mail(smtp) == []
    pass_at(sh(2026, 11, 16, 9), robots_clock)
    assert len(survey_mail(smtp)) == 2
