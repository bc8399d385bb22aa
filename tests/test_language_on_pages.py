"""No English on Chinese pages (and no Chinese left unexplained on English ones): the source
list's written deadlines in the reader's language, and a language choice before sign-in."""

import csv
import re

import pytest

from tests.pages import deliver
from tracker.catalog.service import CATALOGS
from tracker.catalog.wording import deadline_as_written

LATIN = re.compile(r"[A-Za-z]")
CJK = re.compile(r"[\u3400-\u9fff]")


def _written() -> list[str]:
    with CATALOGS["dealership"].open(encoding="utf-8") as f:
        return [row["deadline_as_written"] for row in csv.DictReader(f)]


@pytest.mark.parametrize("text", sorted(set(_written())))
def test_every_written_deadline_of_the_list_reads_in_chinese_without_english(text):
    shown = deadline_as_written(text, "zh")
    assert shown and not LATIN.search(shown), shown


@pytest.mark.parametrize("text", sorted(set(_written())))
def test_every_written_deadline_of_the_list_reads_in_english_without_chinese(text):
    shown = deadline_as_written(text, "en")
    assert shown and not CJK.search(shown), shown


@pytest.mark.parametrize(
    ("text", "zh", "en"),
    [
        ("none", "未写明", "none given"),
        ("none (on request)", "未写明（按需）", "none given (on request)"),
        ("提车次日 (the day after pick-up)", "提车次日", "the day after pick-up"),
        ("及时", "及时", "promptly"),
        ("by the 3rd, per the GM", "by the 3rd, per the GM", "by the 3rd, per the GM"),
        (None, None, None),
    ],
)
def test_a_written_deadline_shows_its_own_languages_part_and_anything_else_as_typed(text, zh, en):
    assert (deadline_as_written(text, "zh"), deadline_as_written(text, "en")) == (zh, en)


def test_a_chinese_deliverable_page_shows_the_lists_placeholder_in_chinese(
    client, auth, session, store, people
):
    person = people["sales.clerk"]
    person.language = "zh"
    session.commit()
    d = deliver(session, store, person)["sales-7"]
    d.version.deadline_as_written = "none (on request)"  # as 6 items of the list have it
    session.commit()
    auth.login(person.email)
    html = client.get(f"/deliverables/{d.id}").get_data(as_text=True)
    assert "<dd>未写明（按需）</dd>" in html and "none" not in html


def test_the_sign_in_page_offers_both_languages_and_remembers_the_choice(client):
    first = client.get("/login", headers={"Accept-Language": "zh-CN"})
    html = first.get_data(as_text=True)
    assert 'lang="en"' in html and "English" in html and "中文" in html
    assert "登录" in html
    english = client.get("/login?lang=en", headers={"Accept-Language": "zh-CN"})
    assert "Sign in" in english.get_data(as_text=True)
    assert (
        "lang=en" in english.headers["Set-Cookie"] and "HttpOnly" in english.headers["Set-Cookie"]
    )
    # Remembered: the next page without ?lang= is English too, whatever the browser says.
    again = client.get("/login", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert "Sign in" in again and "登录" not in again
    back = client.get("/login?lang=zh").get_data(as_text=True)
    assert "登录" in back


def test_a_language_that_is_not_offered_is_ignored(client):
    response = client.get("/login?lang=xx", headers={"Accept-Language": "en"})
    assert response.status_code == 200
    assert "lang=" not in response.headers.get("Set-Cookie", "")
    assert "Sign in" in response.get_data(as_text=True)


def test_after_sign_in_the_persons_own_language_wins_over_the_cookie(
    client, auth, session, store, people
):
    person = people["finance.clerk"]
    person.language = "zh"
    session.commit()
    client.get("/login?lang=en")
    auth.login(person.email)
    html = client.get("/profile").get_data(as_text=True)
    assert 'lang="zh-CN"' in html
