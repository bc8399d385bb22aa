"""The administrator's page of group robots: set one (the address checked, the secret never
shown back), send a test message to a real robot server, remove it, and put a robot message
given up on back in the queue."""

import pytest
from sqlalchemy import select

from tracker.channels.models import Robot, RobotMessage

SECRET = "SEC0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcd"


@pytest.fixture
def admin(app, auth, people):
    app.config["ROBOT_ALLOW_HOSTS"] = "127.0.0.1"
    auth.login("finance.admin@sh01.test")
    return auth


def save(client, admin, data, path="/admin/robots/new"):
    return client.post(path, data={"csrf_token": admin.csrf_token(path), **data})


def dingtalk(robot_server, token="tok-123456"):
    robot_server.secrets[token] = SECRET
    return {
        "store": "SH01",
        "department": "sales",
        "kind": "dingtalk",
        "url": robot_server.dingtalk_url(token),
        "secret": SECRET,
    }


def test_an_administrator_sets_a_signed_robot_whose_key_and_secret_are_never_shown_back(
    client, admin, robot_server, session
):
    assert save(client, admin, dingtalk(robot_server)).status_code == 302
    robot = session.scalar(select(Robot))
    assert (robot.kind, robot.secret, robot.department.code) == ("dingtalk", SECRET, "sales")
    for page in ("/admin/robots", f"/admin/robots/{robot.id}/edit"):
        html = client.get(page).get_data(as_text=True)
        assert "tok-123456" not in html and SECRET not in html
        assert SECRET[-4:] in html
    assert "access_token=tok-…" in client.get("/admin/robots").get_data(as_text=True)


def test_editing_with_the_address_and_secret_left_empty_keeps_them(
    client, admin, robot_server, session
):
    save(client, admin, dingtalk(robot_server))
    robot = session.scalar(select(Robot))
    path = f"/admin/robots/{robot.id}/edit"
    answer = save(client, admin, {**dingtalk(robot_server), "url": "", "secret": ""}, path)
    assert answer.status_code == 302
    session.expire_all()
    assert robot.url == robot_server.dingtalk_url("tok-123456") and robot.secret == SECRET


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("https://example.com/cgi-bin/webhook/send?key=1", "qyapi.weixin.qq.com"),
        ("http://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=1", "https://"),
        ("", "webhook address"),
    ],
)
def test_a_webhook_address_off_the_vendors_host_is_refused_beside_the_field(
    client, admin, session, url, message
):
    data = {"store": "SH01", "department": "sales", "kind": "wecom", "url": url}
    answer = client.post(
        "/admin/robots/new?lang=en",
        data={"csrf_token": admin.csrf_token("/admin/robots/new"), **data},
    )
    assert answer.status_code == 200
    assert message in answer.get_data(as_text=True)
    assert session.scalar(select(Robot)) is None


def test_the_test_button_posts_to_the_robot_and_says_what_it_answered(
    client, admin, robot_server, session
):
    save(client, admin, dingtalk(robot_server))
    robot = session.scalar(select(Robot))
    path = f"/admin/robots/{robot.id}/test"
    answer = client.post(path, data={"csrf_token": admin.csrf_token("/admin/robots")})
    assert answer.status_code == 302
    (got,) = robot_server.taken()
    assert got.kind == "dingtalk" and robot_server.problems == []
    robot_server.fail_with = 503
    client.post(path, data={"csrf_token": admin.csrf_token("/admin/robots")})
    html = client.get("/admin/robots?lang=en").get_data(as_text=True)
    assert "did not take the test message: HTTP 503" in html


def test_removing_a_robot_cancels_its_waiting_messages(client, admin, robot_server, session, now):
    from tracker.channels import service

    save(client, admin, dingtalk(robot_server))
    robot = session.scalar(select(Robot))
    service.notice(
        session,
        store_id=robot.store_id,
        department_id=robot.department_id,
        key="n1",
        render=lambda lang: ("A notice", ["- something"]),
        now=now,
    )
    session.commit()
    path = f"/admin/robots/{robot.id}/remove"
    assert (
        client.post(path, data={"csrf_token": admin.csrf_token("/admin/robots")}).status_code == 302
    )
    session.expire_all()
    assert session.scalar(select(Robot)) is None
    (message,) = session.scalars(select(RobotMessage))
    assert (message.status, message.robot_id) == ("cancelled", None)


def test_a_robot_message_given_up_on_is_queued_again_from_the_page(
    client, admin, robot_server, session, now
):
    from tracker.channels import service

    save(client, admin, dingtalk(robot_server))
    robot = session.scalar(select(Robot))
    service.notice(
        session,
        store_id=robot.store_id,
        department_id=robot.department_id,
        key="n1",
        render=lambda lang: ("A notice", ["- something"]),
        now=now,
    )
    message = session.scalar(select(RobotMessage))
    message.status, message.attempts, message.last_error = "failed", 40, "HTTP 503"
    message.failed_at = now
    session.commit()
    html = client.get("/admin/robots").get_data(as_text=True)
    assert "A notice" in html and "HTTP 503" in html
    path = f"/admin/robots/messages/{message.id}/retry"
    assert (
        client.post(path, data={"csrf_token": admin.csrf_token("/admin/robots")}).status_code == 302
    )
    session.expire_all()
    assert (message.status, message.attempts, message.next_attempt_at) == ("pending", 0, now)
