"""A real SMTP server for the reminder tests: aiosmtpd on 127.0.0.1 at a free port, in the test
process, keeping every message it accepts (parsed) in arrival order."""

import asyncio
import email
import email.policy
import signal
import socket
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Received:
    """One message the server accepted."""

    to: list[str]
    message_id: str
    subject: str
    text: str
    html: str
    language: str
    raw: email.message.EmailMessage
    data: bytes = b""  # the message exactly as it came over the wire


@dataclass
class Hold:
    """The answer to one message's DATA, held (`hold`): `held` is set once that message has
    arrived (the sender is then waiting for the answer), and the answer goes when `release` is
    set. With `keep`, the server has taken the message (kept with the others) though the
    sender never hears so; without, it has not."""

    nth: int
    keep: bool
    held: threading.Event
    release: threading.Event


class Handler:
    """Accepts (or, when told, refuses) every message; `hold` holds the answer to one."""

    def __init__(self):
        self.messages: list[Received] = []
        self.refuse = False
        self.lock = threading.Lock()
        self.on_data = None  # called with the envelope when a message arrives, before the OK
        self.arrived = 0  # messages whose DATA came in, accepted or not
        self.holding: Hold | None = None

    def hold(self, nth: int, *, keep: bool) -> Hold:
        """Hold the answer to the nth message arriving from now on (1 = the next one)."""
        with self.lock:
            self.holding = Hold(self.arrived + nth, keep, threading.Event(), threading.Event())
            return self.holding

    def release(self) -> None:
        """Let a held answer go (it is refused unless the message was kept)."""
        if self.holding is not None:
            self.holding.release.set()

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.arrived += 1
            hold = self.holding if self.holding and self.holding.nth == self.arrived else None
        if self.on_data is not None:
            self.on_data(envelope)
        if hold is not None:
            if hold.keep:
                self._keep(envelope)
            hold.held.set()
            while not hold.release.is_set():  # the answer waits; the server's loop does not
                await asyncio.sleep(0.01)
            return "250 OK" if hold.keep else "451 4.3.0 held by the test, not taken"
        if self.refuse:
            return "550 5.7.1 refused by the test"
        self._keep(envelope)
        return "250 OK"

    def _keep(self, envelope) -> None:
        msg = email.message_from_bytes(envelope.content, policy=email.policy.default)
        text = msg.get_body(("plain",)).get_content()
        html = msg.get_body(("html",)).get_content()
        lang = "zh" if "您好" in text or "提醒" in str(msg["Subject"]) else "en"
        with self.lock:
            self.messages.append(
                Received(
                    to=list(envelope.rcpt_tos),
                    message_id=str(msg["Message-ID"]),
                    subject=str(msg["Subject"]),
                    text=text,
                    html=html,
                    language=lang,
                    raw=msg,
                    data=envelope.original_content,
                )
            )

    def taken(self) -> list[Received]:
        with self.lock:
            return list(self.messages)


class SMTPServer:
    """Start, stop and start again at the same port (a mail server going down and back)."""

    def __init__(self):
        self.port = free_port()
        self.handler = Handler()
        self.controller = None

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)
        for _ in range(50):
            try:
                self.controller.start()
                return
            except Exception:  # the port may take a moment to be free again
                time.sleep(0.1)
        self.controller.start()

    def stop(self) -> None:
        self.handler.release()
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def wait_for(self, count: int, timeout: float = 20) -> list[Received]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if len(self.handler.taken()) >= count:
                return self.handler.taken()
            time.sleep(0.05)
        return self.handler.taken()


def parse_items(html: str) -> set[tuple]:
    """The items of a digest, read back from its HTML: (kind, step, deliverable id) for a
    deliverable's reminder, ("summary", 0, frozenset of deliverable ids) for a summary."""
    import re

    items = set()
    for chunk in html.split('<li class="')[1:]:
        kind = chunk.split('"', 1)[0]
        step = int(re.search(r'data-step="(\d+)"', chunk).group(1))
        if kind == "summary":
            listed = chunk.split("</ul>", 1)[0]
            ids = frozenset(int(i) for i in re.findall(r"/deliverables/(\d+)\"", listed))
            items.add(("summary", 0, ids))
        else:
            items.add((kind, step, int(re.search(r'data-deliverable="(\d+)"', chunk).group(1))))
    return items


# --- an app that mails to the test server, and a small store to remind ---

ROOT = __import__("pathlib").Path(__file__).resolve().parent.parent


def app_config(database_url: str, tmp_path, mail_url: str, **extra) -> dict:
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "UPLOAD_DIR": str(tmp_path / "uploads"),
        "MAIL_URL": mail_url,
        "MAIL_FROM": "tracker@tracker.test",
        "BASE_URL": "http://tracker.test",
        **extra,
    }


@contextmanager
def robot_apps(database_url: str, tmp_path, mail_url: str, clock):
    """`make(**extra)`: an app on the test database that mails the test server and may post to
    the test robots (127.0.0.1), its context pushed; every one made is closed at the end."""
    from tracker import create_app
    from tracker.extensions import db

    contexts = []

    def make(**extra):
        config = app_config(database_url, tmp_path, mail_url, **extra)
        config.setdefault("CLOCK", clock)
        config.setdefault("ROBOT_ALLOW_HOSTS", "127.0.0.1")
        app = create_app(config)
        ctx = app.app_context()
        ctx.push()
        contexts.append(ctx)
        return app

    try:
        yield make
    finally:
        for ctx in reversed(contexts):
            db.session.remove()
            db.engine.dispose()
            ctx.pop()


def process_env(database_url: str, tmp_path, mail_url: str, **extra) -> dict:
    """The environment of a `flask --app wsgi tracker ...` subprocess on the same database."""
    import os

    env = dict(os.environ)
    env.update(
        {
            "TRACKER_DATABASE_URL": database_url,
            "TRACKER_MAIL_URL": mail_url,
            "TRACKER_MAIL_FROM": "tracker@tracker.test",
            "TRACKER_BASE_URL": "http://tracker.test",
            "TRACKER_SECRET_KEY": "test-secret",
            "TRACKER_INSTANCE_PATH": str(tmp_path / "instance"),
            "TRACKER_UPLOAD_DIR": str(tmp_path / "uploads"),
        }
    )
    env.update({k: str(v) for k, v in extra.items()})
    return env


STAFF = [  # (department, role, language)
    ("finance", "clerk", "en"),
    ("finance", "head", "zh"),
    ("sales", "clerk", "zh"),
    ("sales", "clerk", "en"),
    ("sales", "head", "zh"),
    ("insurance", "clerk", "en"),
    ("insurance", "head", "zh"),
    ("loans", "clerk", "zh"),
    ("loans", "head", "en"),
]


def small_store(session, at):
    """The catalogue, store SH01 (Shanghai, China's calendar) and its people; committed."""
    from tests import factories
    from tracker.catalog.service import load_catalog

    load_catalog(session, "dealership", at)
    store = factories.create_store(session, now=at)
    people = {}
    for n, (department, role, language) in enumerate(STAFF):
        people[f"{department}.{role}{n}"] = factories.create_person(
            session,
            store,
            department,
            role,
            now=at,
            email=f"{department}.{role}{n}@sh01.test",
            language=language,
        )
    session.commit()
    return store, people


def events(
    session,
    store,
    at,
    types=("vehicle_delivered", "customer_payment", "loan_disbursed", "policy_issued"),
):
    """Business events at `at` (their deliverables owed by sales, loans, insurance)."""
    from tracker.ledger import service as ledger

    for n, type_ in enumerate(types):
        ledger.record_event(
            session,
            ledger.NewEvent(store=store, type=type_, occurred_at=at, reference=f"REF-{n}"),
            by=None,
            now=at,
        )
    session.commit()


# --- `tracker scheduler` processes ---

# A working Monday morning in Shanghai: where a scheduler process's business clock starts.
SCHEDULER_AS_OF = datetime(2026, 10, 12, 9, tzinfo=ZoneInfo("Asia/Shanghai")).astimezone(UTC)
FAST = ["--poll", "1", "--lease", "3", "--sweep-every", "3600", "--deliver-every", "3600",
        "--recurring-every", "3600"]  # fmt: skip


class Scheduler:
    """A `tracker scheduler` process with its log in a file, its business clock running on from
    `as_of` (the `schedulers` fixture starts them and stops what is left at the end)."""

    def __init__(self, tmp_path, name, env, *options, as_of: datetime = SCHEDULER_AS_OF):
        self.log_path = tmp_path / f"{name}.log"
        self.log = self.log_path.open("w")
        command = [sys.executable, "-m", "flask", "--app", "wsgi", "tracker", "scheduler",
                   "--as-of", as_of.isoformat(), *FAST, *options]  # fmt: skip
        self.process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT
        )

    def text(self) -> str:
        return self.log_path.read_text()

    def wait_for(self, text: str, timeout: float = 30) -> float:
        started = time.monotonic()
        while time.monotonic() - started < timeout:
            if text in self.text():
                return time.monotonic() - started
            assert self.process.poll() is None, self.text()
            time.sleep(0.1)
        raise AssertionError(f"{text!r} not seen in {timeout} s:\n{self.text()}")

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()
        self.log.close()


def wait_until(condition, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError("timed out")


def add_robot(session, store, department: str, url: str, *, at, kind="wecom", secret=None):
    """A group robot for a department of the store, allowed to post to the test's 127.0.0.1."""
    from tracker.channels import service as channels
    from tracker.org import service as org

    return channels.set_robot(
        session,
        store=store,
        department=org.get_department(session, department),
        kind=kind,
        url=url,
        secret=secret,
        now=at,
        allowed_hosts={"127.0.0.1"},
    )
