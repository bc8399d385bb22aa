"""Signing in: hashed passwords, CSRF, throttled failures, inactive people."""

from datetime import timedelta

from tracker.auth.service import ADDRESS, SignInRefused, sign_in, wait_after
from tracker.org.models import Person


def test_password_is_stored_hashed_never_in_clear(session, people):
    person = people["sales.clerk"]
    assert person.password_hash and "correct-horse-42" not in person.password_hash


def test_sign_in_with_the_right_password_reaches_the_start_page(client, auth, people):
    response = auth.login("sales.clerk@sh01.test")
    assert response.status_code == 302
    assert client.get("/profile").status_code == 200


def test_wrong_password_is_refused_beside_the_field(client, auth, people):
    response = auth.login("sales.clerk@sh01.test", "not-the-password")
    assert response.status_code == 401
    assert "邮箱或密码错误。" in response.get_data(as_text=True)  # Chinese before sign-in
    assert client.get("/profile").status_code == 302  # still signed out


def test_before_sign_in_the_browser_language_is_used(client, people):
    page = client.get("/login", headers={"Accept-Language": "en-GB,en;q=0.8"})
    assert "Sign in" in page.get_data(as_text=True)
    page = client.get("/login", headers={"Accept-Language": "zh-CN,zh;q=0.9"})
    assert "登录" in page.get_data(as_text=True)


def test_a_form_without_its_csrf_token_is_refused(client, people):
    response = client.post(
        "/login", data={"email": "sales.clerk@sh01.test", "password": "correct-horse-42"}
    )
    assert response.status_code == 400
    assert client.get("/profile").status_code == 302


def test_pages_need_a_signed_in_person(client, people):
    response = client.get("/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_sign_out_needs_a_post_with_csrf(client, auth, people):
    auth.login("sales.clerk@sh01.test")
    assert client.get("/logout").status_code == 405
    auth.logout()
    assert client.get("/profile").status_code == 302


def test_repeated_failures_make_the_next_attempt_wait_even_with_the_right_password(
    session, people, now
):
    for i in range(5):
        try:
            sign_in(session, "sales.clerk@sh01.test", "wrong", now + timedelta(seconds=i))
        except SignInRefused as exc:
            assert exc.wait_seconds == 0
    later = now + timedelta(seconds=5)
    try:
        sign_in(session, "sales.clerk@sh01.test", "correct-horse-42", later)
        raise AssertionError("the sixth attempt should have had to wait")
    except SignInRefused as exc:
        assert 0 < exc.wait_seconds <= 30
    after_wait = now + timedelta(seconds=4) + wait_after(5) + timedelta(seconds=1)
    assert sign_in(session, "sales.clerk@sh01.test", "correct-horse-42", after_wait).email == (
        "sales.clerk@sh01.test"
    )


def test_an_account_waits_double_and_stop_growing_at_two_minutes():
    assert [wait_after(n).total_seconds() for n in (4, 5, 6, 7)] == [0, 30, 60, 120]
    assert wait_after(30) == timedelta(minutes=2)


def test_an_address_gets_twenty_attempts_then_waits_double_up_to_an_hour():
    waits = [ADDRESS.wait_after(n).total_seconds() for n in (19, 20, 21, 25, 26, 200)]
    assert waits == [0, 60, 120, 1920, 3600, 3600]


def test_unknown_emails_are_slowed_down_too(session, people, now):
    for i in range(5):
        try:
            sign_in(session, "nobody@sh01.test", "x", now + timedelta(seconds=i))
        except SignInRefused:
            pass
    try:
        sign_in(session, "nobody@sh01.test", "x", now + timedelta(seconds=6))
    except SignInRefused as exc:
        assert exc.wait_seconds > 0


def test_an_inactive_person_cannot_sign_in(session, people, now):
    person: Person = people["hr.clerk"]
    person.active = False
    session.commit()
    try:
        sign_in(session, person.email, "correct-horse-42", now)
        raise AssertionError("an inactive person signed in")
    except SignInRefused as exc:
        assert exc.message == "wrong email or password"


def test_session_cookie_is_http_only_and_same_site(client, auth, people):
    response = auth.login("sales.clerk@sh01.test")
    cookie = [c for c in response.headers.getlist("Set-Cookie") if c.startswith("session=")][0]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_language_follows_the_person_profile(client, auth, session, people):
    people["sales.clerk"].language = "zh"
    session.commit()
    auth.login("sales.clerk@sh01.test")
    assert "个人设置" in client.get("/profile").get_data(as_text=True)
