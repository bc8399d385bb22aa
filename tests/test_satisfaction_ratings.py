"""Ratings at the moment of decision: the receiving clerk may rate an accepted or returned
submission 1-5 with tags, from the inbox (stars inside the same form) or the command line
(--rating, --tags); never required; a bad rating or tag is refused beside the field (exit code
2) and nothing changes: not the rating, not the decision."""

import json

import pytest
from sqlalchemy import select

from tests.pages import OVERDUE, deliver, error_beside, snapshot, submit, token
from tracker.ledger.models import Deliverable
from tracker.satisfaction.models import DecisionRating

FINANCE = "finance.clerk@sh01.test"


@pytest.fixture
def handed_in(session, store, people):
    """A delivery a month ago whose sales-7 (two checklist points) was handed in late."""
    d = deliver(session, store, people["sales.clerk"], ago=OVERDUE)
    submit(session, d["sales-7"], people["sales.clerk"], reason="bank was slow")
    return d["sales-7"]


def post(client, path, data):
    return client.post(path, data={"csrf_token": token(client, "/inbox"), **data})


def accept_data(d, **more):
    return {
        f"a{d.id}-checklist": ["0", "1"],
        f"a{d.id}-state_version": str(d.state_version),
        **{f"a{d.id}-{k}": v for k, v in more.items()},
    }


def status_of(session, d) -> str:
    session.expire_all()
    return session.get(Deliverable, d.id).status


def test_the_inbox_shows_five_stars_and_the_tags_inside_the_accept_and_return_forms(
    client, auth, handed_in
):
    auth.login(FINANCE)
    html = client.get("/inbox").get_data(as_text=True)
    d = handed_in
    for n in range(1, 6):
        assert f'name="a{d.id}-rating" value="{n}" form="batch"' in html
        assert f'id="r{d.id}-rating-{n}" name="r{d.id}-rating" value="{n}"' in html
    for tag in ("complete", "courteous", "had_to_chase", "wrong_information"):
        assert f'name="a{d.id}-tags" value="{tag}"' in html
    assert "had to chase" in html and "wrong information" in html


def test_accepting_with_four_stars_and_tags_keeps_the_rating_of_that_submission(
    client, auth, session, handed_in
):
    d = handed_in
    auth.login(FINANCE)
    response = post(
        client, f"/inbox/{d.id}/accept", accept_data(d, rating="4", tags=["complete", "courteous"])
    )
    assert response.status_code == 302
    assert status_of(session, d) == "accepted"
    rating = session.scalars(select(DecisionRating)).one()
    assert (rating.rating, rating.tags, rating.outcome) == (
        4,
        ["complete", "courteous"],
        "accepted",
    )
    assert rating.submission_id == session.get(Deliverable, d.id).submissions[-1].id
    assert rating.month == "2026-11"  # the month of the decision, in the store's zone


def test_accepting_without_a_rating_keeps_none(client, auth, session, handed_in):
    auth.login(FINANCE)
    response = post(client, f"/inbox/{handed_in.id}/accept", accept_data(handed_in))
    assert response.status_code == 302
    assert status_of(session, handed_in) == "accepted"
    assert session.scalars(select(DecisionRating)).all() == []


def test_returning_with_two_stars_and_had_to_chase(client, auth, session, handed_in):
    d = handed_in
    auth.login(FINANCE)
    data = {
        f"r{d.id}-reason": "unsigned",
        f"r{d.id}-rating": "2",
        f"r{d.id}-tags": ["had_to_chase"],
        f"r{d.id}-state_version": str(d.state_version),
    }
    assert post(client, f"/inbox/{d.id}/return", data).status_code == 302
    assert status_of(session, d) == "returned"
    rating = session.scalars(select(DecisionRating)).one()
    assert (rating.rating, rating.tags, rating.outcome) == (2, ["had_to_chase"], "returned")


@pytest.mark.parametrize(
    "more, field, message",
    [
        ({"rating": "6"}, "rating", "Choose from 1 to 5 stars."),
        ({"rating": "0"}, "rating", "Choose from 1 to 5 stars."),
        ({"rating": "four"}, "rating", "Choose from 1 to 5 stars."),
        ({"rating": "3", "tags": ["rude"]}, "tags", "Not one of the choices."),
        ({"tags": ["complete"]}, "rating", "Give a rating with the tags."),
    ],
)
def test_a_bad_rating_is_refused_beside_the_field_and_nothing_is_decided(
    client, auth, session, handed_in, more, field, message
):
    d = handed_in
    auth.login(FINANCE)
    before = snapshot()
    response = post(client, f"/inbox/{d.id}/accept", accept_data(d, **more))
    assert response.status_code == 400
    assert message in error_beside(response.get_data(as_text=True), f"a{d.id}-{field}")
    assert status_of(session, d) == "submitted"
    assert snapshot() == before


def test_a_bad_rating_on_a_return_is_refused_and_nothing_is_returned(
    client, auth, session, handed_in
):
    d = handed_in
    auth.login(FINANCE)
    data = {f"r{d.id}-reason": "unsigned", f"r{d.id}-rating": "9"}
    response = post(client, f"/inbox/{d.id}/return", data)
    assert response.status_code == 400
    assert "1 to 5" in error_beside(response.get_data(as_text=True), f"r{d.id}-rating")
    assert status_of(session, d) == "submitted"
    assert session.scalars(select(DecisionRating)).all() == []


def test_the_stars_and_tags_are_in_chinese(client, auth, session, people, handed_in):
    people["finance.clerk"].language = "zh"
    session.commit()
    auth.login(FINANCE)
    html = client.get("/inbox").get_data(as_text=True)
    for label in ("评分", "完整", "礼貌", "需要催促", "信息有误"):
        assert label in html
    d = handed_in
    response = post(client, f"/inbox/{d.id}/accept", accept_data(d, rating="7"))
    assert "请选择 1 到 5 颗星。" in error_beside(
        response.get_data(as_text=True), f"a{d.id}-rating"
    )


def cli(runner, *args):
    return runner.invoke(args=["tracker", "deliverable", *args])


def test_the_cli_accepts_with_a_rating_and_tags(runner, session, handed_in):
    result = cli(
        runner, "accept", str(handed_in.id), "--by", FINANCE, "--rating", "5",
        "--tags", "complete,courteous", "--json",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    row = json.loads(result.output)
    assert (row["status"], row["rating"], row["tags"]) == ("accepted", 5, ["complete", "courteous"])
    rating = session.scalars(select(DecisionRating)).one()
    assert (rating.rating, rating.tags) == (5, ["complete", "courteous"])


def test_the_cli_returns_with_a_rating(runner, session, handed_in):
    result = cli(
        runner, "return", str(handed_in.id), "--by", FINANCE, "--reason", "unsigned",
        "--rating", "1", "--tags", "wrong_information",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "rated 1" in result.output
    assert session.scalars(select(DecisionRating)).one().outcome == "returned"


@pytest.mark.parametrize(
    "options, words",
    [
        (["--rating", "6"], "a rating is a whole number from 1 to 5"),
        (["--rating", "x"], "a rating is a whole number from 1 to 5"),
        (["--rating", "3", "--tags", "complete,rude"], "unknown tag 'rude'"),
        (["--tags", "complete"], "give --rating with --tags"),
    ],
)
@pytest.mark.parametrize("action", ["accept", "return"])
def test_a_bad_rating_on_the_cli_exits_2_and_changes_nothing(
    runner, session, handed_in, options, words, action
):
    before = snapshot()
    extra = ["--reason", "unsigned"] if action == "return" else []
    result = cli(runner, action, str(handed_in.id), "--by", FINANCE, *extra, *options)
    assert result.exit_code == 2
    assert words in result.output
    assert "Traceback" not in result.output
    assert status_of(session, handed_in) == "submitted"
    assert snapshot() == before
