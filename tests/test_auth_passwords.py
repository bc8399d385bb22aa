"""The password policy: length, not the email or name, not a common password; beside the
field in both languages, on the profile, the administrator's pages and the CLI."""

import pytest
from sqlalchemy import select

from tests import factories
from tests.pages import error_beside, token
from tracker.auth.passwords import password_problem
from tracker.org.models import Person

EMAIL = "li.wei@sh01.test"
NAME = "Li Wei"


@pytest.mark.parametrize(
    "password, problem",
    [
        ("12345678", "a password has at least 10 characters"),
        ("password", "a password has at least 10 characters"),
        ("aaaaaaaa", "a password has at least 10 characters"),
        ("aaaaaaaaaaaa", "this password is too common or too simple; choose another"),
        ("1234567890", "this password is too common or too simple; choose another"),
        ("Password123", "this password is too common or too simple; choose another"),
        ("qwertyuiop", "this password is too common or too simple; choose another"),
        ("li.wei@sh01.test", "a password must not be the email address"),
        ("LI.WEI@SH01.TEST", "a password must not be the email address"),
        ("li.wei.sh01", None),
        ("Li Wei Li Wei", None),
        ("li wei", "a password has at least 10 characters"),
    ],
)
def test_the_policy_explains_what_is_wrong(password, problem):
    assert password_problem(password, email=EMAIL, name=NAME) == problem


def test_the_local_part_of_the_email_and_the_name_are_refused():
    assert password_problem("firstname.lastname", email="firstname.lastname@x.test") == (
        "a password must not be the email address"
    )
    assert (
        password_problem("Wang Xiaoming", name="wang xiaoming") == "a password must not be the name"
    )
    assert (
        password_problem("wangxiaoming", name="Wang Xiaoming") == "a password must not be the name"
    )


@pytest.mark.parametrize("password", ["demo-pass-2026", factories.PASSWORD, "a-fresh-Passphrase-7"])
def test_the_demo_and_test_passwords_pass(password):
    assert password_problem(password, email="sales.clerk@sh01.demo", name="Sales Clerk") is None


def test_the_profile_shows_the_problem_beside_the_field_in_chinese(client, auth, session, people):
    people["sales.clerk"].language = "zh"
    session.commit()
    auth.login("sales.clerk@sh01.test")
    path = "/profile/password"
    form = {"current": factories.PASSWORD, "password": "password12", "confirm": "password12"}
    html = client.post(path, data={**form, "csrf_token": token(client, path)}).get_data(
        as_text=True
    )
    assert error_beside(html, "password") == "这个密码太常见或太简单，请另选一个"


@pytest.mark.parametrize(
    "password, message",
    [
        ("short-1", "a password has at least 10 characters"),
        ("iloveyou12", "this password is too common or too simple; choose another"),
        ("sales.clerk", "a password must not be the email address"),
    ],
)
def test_an_administrators_reset_follows_the_policy(
    client, auth, session, people, password, message
):
    auth.login("finance.admin@sh01.test")
    person = people["sales.clerk"]
    before = person.password_hash
    path = f"/admin/people/{person.id}/password"
    data = {"password": password, "confirm": password, "csrf_token": token(client, path)}
    html = client.post(path, data=data).get_data(as_text=True)
    assert error_beside(html, "password") == message
    session.expire_all()
    assert session.get(Person, person.id).password_hash == before


def test_a_new_person_added_by_the_administrator_cannot_have_their_name_as_password(
    client, auth, session, people
):
    auth.login("finance.admin@sh01.test")
    path = "/admin/people/new"
    data = {
        "email": "zhao.lei@sh01.test",
        "name": "Zhao Lei Zhao",
        "role": "clerk",
        "department": "sales",
        "store": "SH01",
        "language": "en",
        "password": "Zhao Lei Zhao",
        "csrf_token": token(client, path),
    }
    html = client.post(path, data=data).get_data(as_text=True)
    assert error_beside(html, "password") == "a password must not be the name"
    assert session.scalar(select(Person).where(Person.email == "zhao.lei@sh01.test")) is None


@pytest.mark.parametrize(
    "password, message",
    [
        ("short", "a password has at least 10 characters"),
        ("1234567890", "this password is too common or too simple; choose another"),
        ("y.person@sh01.cn", "a password must not be the email address"),
        ("Why Person", "a password must not be the name"),
    ],
)
def test_the_cli_refuses_a_weak_password_with_exit_code_2(
    runner, session, people, password, message
):
    result = runner.invoke(
        args=["tracker", "user", "add", "y.person@sh01.cn", "--name", "Why Person"]
        + ["--dept", "hr", "--store", "SH01", "--password", password]
    )
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert session.scalar(select(Person).where(Person.email == "y.person@sh01.cn")) is None


def test_the_cli_adds_a_person_with_a_good_password(runner, session, people):
    result = runner.invoke(
        args=["tracker", "user", "add", "y.person@sh01.cn", "--name", "Why Person"]
        + ["--dept", "hr", "--store", "SH01", "--password", "a-fresh-Passphrase-7"]
    )
    assert result.exit_code == 0, result.output
