"""The quarterly survey: the administrator sets each store's days (page and command line); a
receiving clerk or head rates each department that serves theirs (/survey), bad input shown
beside the field with nothing kept; answers are anonymous: the rated department's head sees
nothing below N answers and only averages from N, never who answered."""

import json
from datetime import date

import pytest
from sqlalchemy import inspect, select

from tests import factories
from tests.pages import error_beside, snapshot, token
from tracker.extensions import db
from tracker.satisfaction import service as satisfaction
from tracker.satisfaction.models import Survey, SurveyAnswer, SurveyResponse

SERVING_FINANCE = ["hr", "insurance", "loans", "sales", "service"]


@pytest.fixture
def survey(session, store, people, now):
    """SH01's survey of 2026Q4, open 9-30 November (now is 16 November)."""
    found = satisfaction.open_survey(
        session, store, "2026Q4", opens_on=date(2026, 11, 9), closes_on=date(2026, 11, 30),
        by=None, now=now,
    )  # fmt: skip
    session.commit()
    return found


def answer_data(client, department, **scores):
    values = {"timeliness": "4", "completeness": "4", "attitude": "5", "overall": "4"} | scores
    return {"csrf_token": token(client, "/survey"), "department": department, **values}


def test_a_receiving_clerk_sees_every_department_that_serves_theirs(client, auth, survey):
    auth.login("finance.clerk@sh01.test")
    html = client.get("/survey").get_data(as_text=True)
    assert [c for c in SERVING_FINANCE if f'id="rate-{c}"' in html] == SERVING_FINANCE
    assert 'name="timeliness" value="5"' in html and "Comment (optional)" in html


def test_an_answer_is_kept_without_the_name_and_the_department_leaves_the_list(
    client, auth, session, survey, people
):
    auth.login("finance.clerk@sh01.test")
    data = answer_data(client, "loans", comment="Quick, but twice late.")
    response = client.post("/survey", data=data)
    assert response.status_code == 302
    html = client.get("/survey").get_data(as_text=True)
    assert 'id="rate-loans"' not in html and 'id="rate-sales"' in html
    answer = session.scalars(select(SurveyAnswer)).one()
    assert (answer.timeliness, answer.attitude, answer.comment) == (4, 5, "Quick, but twice late.")
    response_row = session.scalars(select(SurveyResponse)).one()
    assert response_row.person_id == people["finance.clerk"].id
    # The answer holds no person and no time: nothing ties it to who gave it.
    columns = {c["name"] for c in inspect(db.engine).get_columns("survey_answer")}
    assert columns == {"id", "survey_id", "department_id", *satisfaction.QUESTIONS, "comment"}


def test_answering_every_department_says_so(client, auth, survey):
    auth.login("finance.head@sh01.test")
    for code in SERVING_FINANCE:
        assert client.post("/survey", data=answer_data(client, code)).status_code == 302
    assert 'id="all-answered"' in client.get("/survey").get_data(as_text=True)
    again = client.post("/survey", data=answer_data(client, "loans"))
    assert again.status_code == 400  # once per department


@pytest.mark.parametrize(
    "scores, field, message",
    [
        ({"timeliness": "6"}, "timeliness", "Choose from 1 to 5 stars."),
        ({"overall": ""}, "overall", "Choose from 1 to 5 stars."),
        ({"attitude": "x"}, "attitude", "Choose from 1 to 5 stars."),
        ({"comment": "x" * 2001}, "loans-comment", "2000"),
    ],
)
def test_a_bad_answer_is_shown_beside_the_field_and_nothing_is_kept(
    client, auth, survey, scores, field, message
):
    auth.login("finance.clerk@sh01.test")
    before = snapshot()
    response = client.post("/survey", data=answer_data(client, "loans", **scores))
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    field_id = field if field.endswith("comment") else f"loans-{field}"
    assert message in (error_beside(html, field_id) or "")
    assert snapshot() == before


def test_only_receiving_clerks_and_heads_answer(client, auth, survey):
    auth.login("finance.lead@sh01.test")
    assert 'id="not-asked"' in client.get("/survey").get_data(as_text=True)
    assert client.post("/survey", data=answer_data(client, "loans")).status_code == 403
    auth.logout()
    auth.login("sales.clerk@sh01.test")  # Sales receives nothing: nobody serves it
    html = client.get("/survey").get_data(as_text=True)
    assert 'id="rate-' not in html


def test_no_survey_open_outside_its_days(client, auth, session, survey):
    survey.closes_on = date(2026, 11, 13)
    session.commit()
    auth.login("finance.clerk@sh01.test")
    assert 'id="no-survey"' in client.get("/survey").get_data(as_text=True)
    assert client.post("/survey", data=answer_data(client, "loans")).status_code == 400


# --- anonymity ---


@pytest.fixture
def answerers(session, store, people, now):
    """Four Finance people who may answer: its clerk and head, and two more clerks."""
    more = [
        factories.create_person(
            session, store, "finance", "clerk", now=now, email=f"f{n}@sh01.test"
        )
        for n in (3, 4)
    ]
    session.commit()
    return [people["finance.clerk"], people["finance.head"], *more]


def answer_about(session, person, survey, code, scores, now, comment=None):
    rated = next(d for d in satisfaction.serving(session, person.department_id) if d.code == code)
    satisfaction.answer(
        session, person, survey, rated, satisfaction.Scores(*scores, comment), now=now
    )
    session.commit()


def test_below_n_answers_the_rated_head_sees_only_how_many_and_at_n_the_averages(
    client, auth, session, survey, answerers, now
):
    answer_about(session, answerers[0], survey, "loans", (5, 5, 5, 5), now, "always on time")
    answer_about(session, answerers[1], survey, "loans", (3, 3, 3, 3), now, "rude once")
    auth.login("loans.head@sh01.test")
    html = client.get("/survey/results").get_data(as_text=True)
    assert "Fewer than 3 answers: nothing is shown yet." in html
    assert "rude once" not in html and "always on time" not in html
    assert 'data-measure="timeliness"' not in html
    heads_view = satisfaction.results(session, session.merge(answerers[0]), survey)
    assert heads_view == []  # a clerk of Finance is not the rated department's head

    answer_about(session, answerers[2], survey, "loans", (4, 4, 4, 1), now)
    html = client.get("/survey/results").get_data(as_text=True)
    row = html[html.index('data-department="loans"') :]
    assert 'data-measure="answers">3<' in row
    assert 'data-measure="timeliness">4.0<' in row  # (5 + 3 + 4) / 3
    assert 'data-measure="overall">3.0<' in row  # (5 + 3 + 1) / 3
    # The comments show, in no order of answering (sorted), and never who wrote them.
    assert html.index("always on time") < html.index("rude once")
    for person in answerers:
        assert person.name not in html and person.email not in html


def test_a_head_sees_only_their_own_department_and_leads_see_all(
    client, auth, session, survey, answerers, now
):
    for person in answerers[:3]:
        answer_about(session, person, survey, "loans", (4, 4, 4, 4), now)
        answer_about(session, person, survey, "sales", (2, 2, 2, 2), now)
    auth.login("sales.head@sh01.test")
    html = client.get("/survey/results").get_data(as_text=True)
    assert 'data-department="sales"' in html and 'data-department="loans"' not in html
    auth.logout()
    auth.login("finance.lead@sh01.test")
    html = client.get("/survey/results").get_data(as_text=True)
    assert 'data-department="sales"' in html and 'data-department="loans"' in html


def test_clerks_never_see_results(client, auth, survey):
    auth.login("loans.clerk@sh01.test")
    assert client.get("/survey/results").status_code == 403


def test_the_administrator_sets_n_and_the_threshold_follows(
    client, auth, session, survey, answerers, now
):
    answer_about(session, answerers[0], survey, "loans", (5, 5, 5, 5), now)
    auth.login("finance.admin@sh01.test")
    data = {"csrf_token": token(client, "/survey/admin"), "minimum": "1"}
    assert client.post("/survey/admin/minimum", data=data).status_code == 302
    assert satisfaction.minimum_answers(session) == 1
    bad = client.post("/survey/admin/minimum", data={**data, "minimum": "0"})
    assert bad.status_code == 400
    assert "1 to 50" in error_beside(bad.get_data(as_text=True), "minimum")
    auth.logout()
    auth.login("loans.head@sh01.test")
    html = client.get("/survey/results").get_data(as_text=True)
    assert 'data-measure="timeliness">5.0<' in html


# --- the administrator's dates ---


def test_the_administrator_opens_a_survey_on_the_page(client, auth, session, people):
    auth.login("finance.admin@sh01.test")
    data = {
        "csrf_token": token(client, "/survey/admin"),
        "store": "SH01",
        "quarter": "2027q1",
        "opens_on": "2027-01-11",
        "closes_on": "2027-01-29",
    }
    assert client.post("/survey/admin", data=data).status_code == 302
    found = session.scalars(select(Survey)).one()
    assert (found.quarter, found.opens_on, found.closes_on) == (
        "2027Q1",
        date(2027, 1, 11),
        date(2027, 1, 29),
    )
    bad = client.post("/survey/admin", data={**data, "closes_on": "2027-01-01"})
    assert bad.status_code == 400
    assert "on or after" in error_beside(bad.get_data(as_text=True), "closes_on")
    bad = client.post("/survey/admin", data={**data, "quarter": "2027Q5"})
    assert "YYYYQn" in error_beside(bad.get_data(as_text=True), "quarter")
    bad = client.post("/survey/admin", data={**data, "store": "XX01"})
    assert "Not one of the choices." in error_beside(bad.get_data(as_text=True), "store")


def test_the_cli_opens_a_survey_and_refuses_bad_dates_with_exit_code_2(runner, session, store):
    args = ["tracker", "survey", "open", "--store", "SH01", "--quarter", "2026Q4"]
    result = runner.invoke(args=[*args, "--from", "2026-11-09", "--to", "2026-11-30", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["closes_on"] == "2026-11-30"
    before = snapshot()
    for bad in (["--from", "2026-13-01", "--to", "2026-11-30"], ["--from", "x", "--to", "y"]):
        assert runner.invoke(args=[*args, *bad]).exit_code == 2
    bad_quarter = ["tracker", "survey", "open", "--store", "SH01", "--quarter", "Q4"]
    assert (
        runner.invoke(args=[*bad_quarter, "--from", "2026-11-09", "--to", "2026-11-30"]).exit_code
        == 2
    )
    assert snapshot() == before


def test_the_survey_page_is_in_chinese(client, auth, session, people, survey):
    people["finance.clerk"].language = "zh"
    session.commit()
    auth.login("finance.clerk@sh01.test")
    html = client.get("/survey").get_data(as_text=True)
    for words in ("满意度问卷", "及时性", "完整性", "服务态度", "总体评价", "意见（选填）"):
        assert words in html


def test_the_cli_results_give_counts_below_n_and_averages_from_n(
    runner, session, survey, answerers, now
):
    for person in answerers[:2]:
        answer_about(session, person, survey, "loans", (4, 2, 4, 4), now)
    args = ["tracker", "survey", "results", "--store", "SH01", "--quarter", "2026Q4", "--json"]
    below = json.loads(runner.invoke(args=args).output)
    assert below == [{"department": "loans", "answers": 2}]
    assert runner.invoke(args=["tracker", "survey", "minimum", "0"]).exit_code == 2
    assert runner.invoke(args=["tracker", "survey", "minimum", "2"]).exit_code == 0
    (row,) = json.loads(runner.invoke(args=args).output)
    assert (row["answers"], row["completeness"], row["overall"]) == (2, 2.0, 4.0)
