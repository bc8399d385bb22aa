"""The satisfaction index (CSI) on a small quarter worked by hand, and where it shows: the
scorecard page (beside the on-time and first-pass rates, with its responses), the trend, the
exports and `tracker scorecard --json` (`csi` and `csi_responses` on each row).

Each score s of 1-5 counts as (s - 1) / 4 x 100. CSI = 0.4 x the ratings' mean + 0.6 x the
survey's mean (each answer the mean of its four scores), either alone when only one exists;
the survey counts only from N answers (3 unless the administrator sets another)."""

import csv
import io
import json
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tests import factories
from tracker.catalog.service import get_commitment
from tracker.ledger import service as ledger
from tracker.satisfaction import service as satisfaction

TZ = ZoneInfo("Asia/Shanghai")
NOVEMBER = datetime(2026, 11, 12, 10, tzinfo=TZ).astimezone(UTC)
OCTOBER = datetime(2026, 10, 15, 10, tzinfo=TZ).astimezone(UTC)


def decide(session, store, people, code, rating, at):
    """A request of `code` raised by Finance, handed in by its provider, accepted an hour
    later with this rating."""
    commitment = get_commitment(session, code)
    d = ledger.raise_request(
        session, store=store, commitment=commitment, by=people["finance.clerk"], now=at,
        note="please", due_at=at + timedelta(days=3),
    )  # fmt: skip
    provider = people[f"{commitment.provider.code}.clerk"]
    ledger.submit(session, d, by=provider, now=at, evidence=ledger.Evidence(note="here"))
    done = ledger.accept(session, d, by=people["finance.clerk"], now=at + timedelta(hours=1))
    satisfaction.rate(session, done, rating=rating, by=people["finance.clerk"], now=at)
    session.commit()


@pytest.fixture
def quarter(session, store, people, now):
    """2026Q4 in SH01. Ratings of Consumer Loans: 5, 4, 2 in November, 1 in October; of
    Insurance: 3 in November. The survey (open 9-30 November) has three answers about Loans
    and two about Insurance, from three Finance clerks and heads."""
    for rating in (5, 4, 2):
        decide(session, store, people, "loans-6", rating, NOVEMBER)
    decide(session, store, people, "loans-6", 1, OCTOBER)
    decide(session, store, people, "insurance-7", 3, NOVEMBER)
    survey = satisfaction.open_survey(
        session, store, "2026Q4", opens_on=date(2026, 11, 9), closes_on=date(2026, 11, 30),
        by=None, now=now,
    )  # fmt: skip
    third = factories.create_person(
        session, store, "finance", "clerk", now=now, email="finance.clerk3@sh01.test"
    )
    answerers = [people["finance.clerk"], people["finance.head"], third]
    loans = [(5, 5, 4, 4, "quick and kind"), (3, 4, 3, 2, "late twice"), (4, 4, 5, 5, None)]
    insurance = [(5, 5, 5, 5, "perfect"), (5, 5, 5, 5, None)]
    for department, answers in (("loans", loans), ("insurance", insurance)):
        for person, (t, c, a, o, comment) in zip(answerers, answers, strict=False):
            scores = satisfaction.Scores(t, c, a, o, comment)
            target = satisfaction.serving(session, person.department_id)
            rated = next(d for d in target if d.code == department)
            satisfaction.answer(session, person, survey, rated, scores, now=now)
    session.commit()
    return survey


def test_the_index_of_a_small_quarter_worked_by_hand(session, quarter):
    found = satisfaction.csi_rows(session, months=["2026-11"])
    # Loans, November. Ratings 5, 4, 2 -> 100, 75, 25: mean 66.67.
    # Survey: (5+5+4+4) + (3+4+3+2) + (4+4+5+5) = 48 over 12 scores, mean 4.0 -> 75.
    # CSI = 0.4 x 66.67 + 0.6 x 75 = 26.67 + 45 = 71.67 -> 71.7, from 3 ratings + 3 answers.
    loans = found[("SH01", "loans")]
    assert (loans.csi, loans.responses) == (71.7, 6)
    # Insurance, November: the rating 3 -> 50; two answers are fewer than N = 3 and do not
    # count: CSI 50.0 from 1 response.
    insurance = found[("SH01", "insurance")]
    assert (insurance.csi, insurance.responses) == (50.0, 1)


def test_the_index_of_october_and_of_the_whole_quarter(session, quarter):
    october = satisfaction.csi_rows(session, months=["2026-10"])[("SH01", "loans")]
    # October: the rating 1 -> 0; the quarter's survey 75: 0.4 x 0 + 0.6 x 75 = 45.0, 1 + 3.
    assert (october.csi, october.responses) == (45.0, 4)
    months = satisfaction.quarter_months("2026Q4")
    whole = satisfaction.csi_rows(session, months=months)[("SH01", "loans")]
    # The quarter: ratings 5, 4, 2, 1 -> 100, 75, 25, 0: mean 50; the survey once, 75:
    # 0.4 x 50 + 0.6 x 75 = 20 + 45 = 65.0, from 4 ratings + 3 answers.
    assert (whole.csi, whole.responses) == (65.0, 7)


def test_the_survey_counts_once_it_reaches_the_minimum_the_administrator_set(session, quarter, now):
    satisfaction.set_minimum_answers(session, "2", now=now, by=None)
    insurance = satisfaction.csi_rows(session, months=["2026-11"])[("SH01", "insurance")]
    # N = 2: the two answers, all 5s -> 100, count: 0.4 x 50 + 0.6 x 100 = 80.0, 1 + 2.
    assert (insurance.csi, insurance.responses) == (80.0, 3)


def test_a_department_with_only_a_survey_or_nothing_has_that_or_none(session, store, now):
    assert satisfaction.csi_rows(session, months=["2026-11"]) == {}
    assert satisfaction.csi_of({}, "SH01", "loans").csi is None


def test_scorecard_json_carries_csi_and_its_responses_on_each_row(runner, quarter):
    result = runner.invoke(
        args=["tracker", "scorecard", "--month", "2026-11", "--level", "department", "--json"]
    )
    assert result.exit_code == 0, result.output
    rows = {r["provider"]: r for r in json.loads(result.output)}
    assert (rows["loans"]["csi"], rows["loans"]["csi_responses"]) == (71.7, 6)
    assert (rows["insurance"]["csi"], rows["insurance"]["csi_responses"]) == (50.0, 1)
    assert all("csi" in r and "csi_responses" in r for r in rows.values())
    by_commitment = runner.invoke(args=["tracker", "scorecard", "--month", "2026-11", "--json"])
    for row in json.loads(by_commitment.output):  # a commitment's row: its department's index
        assert row["csi"] == rows[row["provider"]]["csi"]


def test_the_scorecard_page_shows_the_index_beside_the_rates_and_in_the_trend(
    client, auth, quarter
):
    auth.login("finance.lead@sh01.test")
    html = client.get("/scorecards?month=2026-11&store=SH01").get_data(as_text=True)
    row = html[html.index('data-provider="loans"') :]
    row = row[: row.index("</tr>")]
    assert "First-pass %" in html and "Satisfaction (CSI)" in html
    assert '71.7 <small class="muted" title="Responses">(6)</small>' in row
    trend = html[html.index('id="csi-trend"') :]
    trend = trend[: trend.index("</table>")]
    loans = trend[trend.index('data-provider="loans"') :]
    assert 'data-month="2026-10">45.0 <small' in loans and "(4)" in loans
    assert 'data-month="2026-11">71.7 <small' in loans


def test_the_exports_carry_the_index_and_its_responses(client, auth, quarter):
    auth.login("finance.lead@sh01.test")
    text = client.get("/scorecards/export.csv?month=2026-11&store=SH01").get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    header = rows[0]
    loans = next(r for r in rows if r[2] == "Consumer Loans")
    assert loans[header.index("Satisfaction (CSI)")] == "71.7"
    assert loans[header.index("CSI responses")] == "6"


def test_the_index_is_named_in_chinese(client, auth, session, people, quarter):
    people["finance.lead"].language = "zh"
    session.commit()
    auth.login("finance.lead@sh01.test")
    html = client.get("/scorecards?month=2026-11&store=SH01").get_data(as_text=True)
    assert "满意度（CSI）" in html and "样本数" in html


def test_the_scorecard_page_runs_the_same_queries_for_one_rating_or_thirty_three(
    client, auth, session, store, people
):
    from tests.pages import counted_queries

    decide(session, store, people, "loans-6", 4, NOVEMBER)
    auth.login("finance.lead@sh01.test")
    path = "/scorecards?month=2026-11"
    with counted_queries() as before:
        assert client.get(path).status_code == 200
    for n, code in enumerate(["loans-6", "insurance-7", "service-4", "hr-3"] * 8):
        decide(session, store, people, code, 1 + n % 5, NOVEMBER)
    with counted_queries() as after:
        assert client.get(path).status_code == 200
    assert len(after) == len(before)
