"""The deployment for several stores, for real: gunicorn with two workers and two scheduler
processes on one PostgreSQL database. The web answers from both workers with one sign-in (the
session is a signed cookie, not a worker's memory); exactly one scheduler holds the lock while
the other waits, and killing the holder lets the waiting one take over."""

import http.client
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

import pytest

from tests import factories

PG_URL = os.environ.get("TRACKER_TEST_DATABASE_URL")
ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.skipif(
    not PG_URL,
    reason="several processes share one database only on PostgreSQL: "
    "set TRACKER_TEST_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1/tracker_test",
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for(condition, seconds: float, what: str):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        time.sleep(0.1)
    raise AssertionError(f"timed out after {seconds}s waiting for {what}")


def _environment(database_url: str, tmp_path: Path) -> dict:
    return dict(
        os.environ,
        TRACKER_DATABASE_URL=database_url,
        TRACKER_SECRET_KEY="deploy-test-secret",
        TRACKER_INSTANCE_PATH=str(tmp_path / "instance"),
        TRACKER_MAIL_URL="file://" + str(tmp_path / "outbox"),
        PYTHONUNBUFFERED="1",
    )


class Processes:
    """The processes a test starts; each is ended by its own id at the end."""

    def __init__(self):
        self.started: list[subprocess.Popen] = []

    def start(self, args: list[str], env: dict, log: Path) -> subprocess.Popen:
        proc = subprocess.Popen(
            args, cwd=ROOT, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT
        )
        self.started.append(proc)
        return proc

    def end_all(self) -> None:
        for proc in self.started:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.started:
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)


@pytest.fixture
def processes():
    started = Processes()
    yield started
    started.end_all()


class Browser:
    """One browser: a cookie jar and plain HTTP requests to the server."""

    def __init__(self, port: int):
        self.port = port
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, form: dict | None = None) -> tuple[int, str]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=20)
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        text = response.read().decode("utf-8", "replace")
        for name, value in response.getheaders():
            if name.lower() == "set-cookie":
                key, _, rest = value.partition("=")
                self.cookies[key] = rest.split(";", 1)[0]
        conn.close()
        return response.status, text

    def sign_in(self, email: str) -> int:
        _, page = self.request("GET", "/login")
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
        status, _ = self.request(
            "POST",
            "/login",
            {"email": email, "password": factories.PASSWORD, "csrf_token": token},
        )
        return status


def test_two_gunicorn_workers_serve_one_signed_in_clerk(
    database_url, session, people, processes, tmp_path
):
    port = _free_port()
    access_log = tmp_path / "access.log"
    processes.start(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "-w",
            "2",
            "-b",
            f"127.0.0.1:{port}",
            "--access-logfile",
            str(access_log),
            "--access-logformat",
            "%(p)s %(m)s %(U)s %(s)s",
            "wsgi:app",
        ],
        _environment(database_url, tmp_path),
        tmp_path / "gunicorn.log",
    )
    _wait_for(
        lambda: (tmp_path / "gunicorn.log").read_text().count("Booting worker") >= 2,
        20,
        "two gunicorn workers",
    )
    browser = Browser(port)
    _wait_for(lambda: _answers(browser), 20, "the server to answer")
    assert browser.sign_in("sales.clerk@sh01.test") == 302

    answers: list[int] = []

    def visit():
        for _ in range(15):
            answers.append(browser.request("GET", "/profile")[0])

    threads = [threading.Thread(target=visit) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert answers == [200] * 60  # signed in on every request, whichever worker answered
    workers = {
        line.split()[0]
        for line in access_log.read_text().splitlines()
        if " GET /profile 200" in line
    }
    assert len(workers) == 2, f"only worker(s) {workers} answered"


def _answers(browser: Browser) -> bool:
    try:
        return browser.request("GET", "/login")[0] == 200
    except OSError:
        return False


def _scheduler(processes: Processes, env: dict, log: Path) -> subprocess.Popen:
    return processes.start(
        [
            sys.executable,
            "-m",
            "flask",
            "--app",
            "wsgi",
            "tracker",
            "scheduler",
            "--poll",
            "1",
            "--lease",
            "5",
            "--sweep-every",
            "3600",
            "--deliver-every",
            "3600",
            "--recurring-every",
            "3600",
        ],
        env,
        log,
    )


def test_one_scheduler_acts_the_other_waits_then_takes_over(
    database_url, session, people, processes, tmp_path
):
    env = _environment(database_url, tmp_path)
    first_log, second_log = tmp_path / "first.log", tmp_path / "second.log"
    first = _scheduler(processes, env, first_log)
    _wait_for(lambda: "holds the lock" in first_log.read_text(), 20, "the first to take the lock")
    _scheduler(processes, env, second_log)
    _wait_for(lambda: "waiting for the lock" in second_log.read_text(), 20, "the second to start")
    time.sleep(3)  # three of its polls: it keeps waiting while the first one holds the lock
    assert "holds the lock" not in second_log.read_text()
    assert first.poll() is None

    first.send_signal(signal.SIGKILL)  # a crash: no chance to let go politely
    first.wait(10)
    _wait_for(lambda: "holds the lock" in second_log.read_text(), 20, "the second to take over")
    _wait_for(lambda: "job sweep" in second_log.read_text(), 20, "the second to run the jobs")
