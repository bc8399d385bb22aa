"""The administration pages: every one works for an administrator and refuses everyone else;
edits keep what already exists; bad input is explained beside its field and writes nothing;
the test email goes through a real SMTP server."""

import email
import email.policy
import re
import socket
from datetime import date, datetime
from html import unescape
from html.parser import HTMLParser

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import func, select

from tests import factories
from tests.conftest import _config
from tracker import create_app
from tracker.calendar.models import CalendarOverride
from tracker.catalog.models import CommitmentVersion
from tracker.catalog.service import edit_commitment, get_commitment, retire_commitment
from tracker.errors import Conflict
from tracker.extensions import db
from tracker.ledger import service as ledger
from tracker.org.models import Department, Person, Store
from tracker.org.service import get_store

ADMIN = "finance.admin@sh01.test"


class Form(HTMLParser):
    """The fields of the page's first form but the menu's sign-out (or the one with this id)
    as a browser would send them: inputs, checked boxes, selected options, text areas."""

    def __init__(self, html: str, form_id: str | None = None):
        super().__init__()
        self.form_id = form_id
        self.inside = False
        self.done = False
        self.data: dict[str, list[str]] = {}
        self._select = None
        self._option = None
        self._textarea = None
        self.feed(html)

    def _add(self, name, value):
        self.data.setdefault(name, []).append(value)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        wanted = a.get("id") == self.form_id if self.form_id else a.get("action") != "/logout"
        if tag == "form" and not self.done and wanted:
            self.inside = True
        if not self.inside:
            return
        if tag == "input" and a.get("name") and a.get("type") not in ("submit", "button"):
            if a.get("type") in ("checkbox", "radio"):
                if "checked" in a:
                    self._add(a["name"], a.get("value", "y"))
            else:
                self._add(a["name"], unescape(a.get("value") or ""))
        elif tag == "select":
            self._select, self._first = a.get("name"), None
            self.data.setdefault(self._select, [])
        elif tag == "option" and self._select:
            value = a.get("value", "")
            if self._first is None:
                self._first = value
            if "selected" in a:
                self.data[self._select] = [value]
        elif tag == "textarea":
            self._textarea = a.get("name")
            self.data[self._textarea] = [""]

    def handle_data(self, data):
        if self._textarea:
            self.data[self._textarea][0] += data

    def handle_endtag(self, tag):
        if not self.inside:
            return
        if tag == "select":
            if not self.data[self._select] and self._first is not None:
                self.data[self._select] = [self._first]
            self._select = None
        elif tag == "textarea":
            self.data[self._textarea][0] = unescape(self.data[self._textarea][0].lstrip("\n"))
            self._textarea = None
        elif tag == "form":
            self.inside, self.done = False, True

    def fields(self, **changes) -> dict:
        """The form's data with some fields changed (a list for several values)."""
        data = dict(self.data)
        for name, value in changes.items():
            data[name] = value if isinstance(value, list) else [value]
        return data


def errors_beside(html: str, field: str) -> list[str]:
    """The error messages shown under one field."""
    return re.findall(rf'<small class="field-error" id="{field}-error">([^<]*)</small>', html)


def post_form(client, path, form_id=None, **changes):
    """Open the page, change some fields of its form and send it, as a person would."""
    form = Form(client.get(path).get_data(as_text=True), form_id)
    return client.post(path, data=form.fields(**changes))


# --- a real SMTP server for the test email ---


class Inbox:
    """Keeps what the server accepts; refuses everything when told to."""

    def __init__(self):
        self.messages = []
        self.refuse = False

    async def handle_DATA(self, server, session, envelope):
        if self.refuse:
            return "550 5.7.1 Mailbox unavailable (refused by the test)"
        self.messages.append(
            (
                envelope.rcpt_tos,
                email.message_from_bytes(envelope.content, policy=email.policy.default),
            )
        )
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp():
    """aiosmtpd listening on 127.0.0.1 at a free port: (inbox, port, controller)."""
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    yield inbox, controller.port, controller
    if controller._thread is not None:
        controller.stop()


@pytest.fixture
def app(request, database_url, tmp_path, now):
    """The app of conftest, sending mail to the test's SMTP server when the test has one."""
    config = _config(database_url, tmp_path, now)
    if "smtp" in request.fixturenames:
        _inbox, port, _controller = request.getfixturevalue("smtp")
        config["MAIL_URL"] = f"smtp://127.0.0.1:{port}"
    app = create_app(config)
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def admin(client, auth, people):
    auth.login(ADMIN)
    return client


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


# --- who may ---

PAGES = [
    "/admin",
    "/admin/stores",
    "/admin/stores/new",
    "/admin/stores/SH01/edit",
    "/admin/stores/SH01/calendar",
    "/admin/stores/SH01/calendar?year=2027",
    "/admin/departments",
    "/admin/departments/new",
    "/admin/departments/sales/edit",
    "/admin/people",
    "/admin/people/new",
    "/admin/people/1/edit",
    "/admin/people/1/password",
    "/admin/commitments",
    "/admin/commitments/sales-7",
    "/admin/commitments/loans-8",
    "/admin/commitments/loans-6",
    "/admin/commitments/sales-7/retire",
    "/admin/test-email",
]
POSTS = [
    "/admin/stores/new",
    "/admin/people/1/active",
    "/admin/commitments/sales-7",
    "/admin/commitments/sales-7/retire",
    "/admin/commitments/sales-7/reactivate",
    "/admin/stores/SH01/calendar",
    "/admin/stores/SH01/calendar/2026-12-31/remove",
    "/admin/outbox/1/retry",
    "/admin/test-email",
]


@pytest.mark.parametrize("path", PAGES)
def test_every_admin_page_opens_for_an_administrator_in_both_languages(
    admin, people, session, path
):
    response = admin.get(path)
    assert response.status_code == 200
    people["finance.admin"].language = "zh"
    session.commit()
    html = admin.get(path).get_data(as_text=True)
    assert 'lang="zh-CN"' in html and "系统管理" in html


@pytest.mark.parametrize("who", ["sales.clerk", "sales.head", "finance.lead", "finance.clerk"])
def test_no_one_but_an_administrator_reaches_the_admin_pages(client, auth, people, who):
    auth.login(f"{who}@sh01.test")
    token = auth.csrf_token("/profile")
    for path in PAGES:
        assert client.get(path).status_code == 403, path
    for path in POSTS:
        assert client.post(path, data={"csrf_token": token}).status_code == 403, path


def test_signed_out_visitors_are_sent_to_sign_in(client, people):
    response = client.get("/admin/people")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_the_menu_offers_admin_only_to_administrators(client, auth, people):
    auth.login(ADMIN)
    assert 'href="/admin"' in client.get("/profile").get_data(as_text=True)
    auth.logout()
    auth.login("finance.lead@sh01.test")
    assert 'href="/admin"' not in client.get("/profile").get_data(as_text=True)


# --- stores and departments ---


def test_adding_a_store_keeps_its_zone_calendar_and_hours(admin, session):
    response = post_form(
        admin,
        "/admin/stores/new",
        code="BJ01",
        name="Beijing",
        timezone="Asia/Shanghai",
        country="cn",
        work_start="08:30",
        work_end="17:30",
    )
    assert response.status_code == 302
    store = get_store(session, "BJ01")
    assert (store.country, store.work_start.isoformat(), store.work_end.isoformat()) == (
        "CN",
        "08:30:00",
        "17:30:00",
    )


@pytest.mark.parametrize(
    "changes, field, message",
    [
        ({"timezone": "Mars/Olympus"}, "timezone", "unknown time zone"),
        ({"country": "XX"}, "country", "unknown country"),
        ({"subdiv": "ZZ"}, "subdiv", "unknown subdivision"),
        ({"work_start": "18:00", "work_end": "09:00"}, "work_end", "must end after"),
        ({"code": "SH01"}, "code", "exists already"),
        ({"code": "bad code!"}, "code", "Letters, digits"),
    ],
)
def test_a_bad_store_is_explained_beside_the_field_and_nothing_is_written(
    admin, session, changes, field, message
):
    before = count(Store)
    data = {"code": "GZ01", "name": "Guangzhou", "work_start": "09:00", "work_end": "18:00"}
    response = post_form(admin, "/admin/stores/new", **(data | changes))
    assert response.status_code == 200
    assert any(message in e for e in errors_beside(response.get_data(as_text=True), field))
    assert count(Store) == before


def test_editing_a_store_changes_its_name_zone_and_hours(admin, session):
    response = post_form(
        admin,
        "/admin/stores/SH01/edit",
        name="Pudong flagship",
        timezone="Asia/Hong_Kong",
        work_end="19:00",
    )
    assert response.status_code == 302
    session.expire_all()
    store = get_store(session, "SH01")
    assert (store.name, store.timezone, store.work_end.hour) == (
        "Pudong flagship",
        "Asia/Hong_Kong",
        19,
    )


def test_departments_are_added_and_renamed(admin, session):
    assert (
        post_form(
            admin, "/admin/departments/new", code="parts", name_zh="配件部", name_en="Parts"
        ).status_code
        == 302
    )
    assert (
        post_form(admin, "/admin/departments/parts/edit", name_en="Spare parts").status_code == 302
    )
    session.expire_all()
    parts = session.scalar(select(Department).where(Department.code == "parts"))
    assert (parts.name_zh, parts.name_en) == ("配件部", "Spare parts")
    again = post_form(admin, "/admin/departments/new", code="parts", name_zh="x", name_en="y")
    assert errors_beside(again.get_data(as_text=True), "code")
    assert count(Department) == 7


# --- people ---


def test_a_person_added_with_a_password_can_sign_in(admin, auth, client, session):
    response = post_form(
        admin,
        "/admin/people/new",
        email="New.Clerk@SH01.test",
        name="New clerk",
        department="sales",
        store="SH01",
        role="clerk",
        language="zh",
        password="a-good-password",
    )
    assert response.status_code == 302
    auth.logout()
    assert auth.login("new.clerk@sh01.test", "a-good-password").status_code == 302


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"email": "not-an-address"}, "email"),
        ({"email": "sales.clerk@sh01.test"}, "email"),
        ({"password": "short"}, "password"),
    ],
)
def test_a_bad_person_is_explained_beside_the_field_and_nothing_is_written(
    admin, session, changes, field
):
    before = count(Person)
    data = {"email": "someone@sh01.test", "name": "Someone", "password": "long-enough-1"}
    response = post_form(admin, "/admin/people/new", **(data | changes))
    assert response.status_code == 200
    assert errors_beside(response.get_data(as_text=True), field)
    assert count(Person) == before


def test_editing_a_person_changes_role_department_store_and_language(admin, people, session, now):
    factories.create_store(session, now=now, code="SH02")
    session.commit()
    clerk = people["sales.clerk"]
    response = post_form(
        admin,
        f"/admin/people/{clerk.id}/edit",
        role="head",
        department="insurance",
        store="SH02",
        language="zh",
    )
    assert response.status_code == 302
    session.expire_all()
    clerk = session.get(Person, clerk.id)
    assert (clerk.role, clerk.department.code, clerk.store.code, clerk.language) == (
        "head",
        "insurance",
        "SH02",
        "zh",
    )


def test_a_deactivated_person_cannot_sign_in_until_reactivated(admin, auth, client, people):
    clerk = people["sales.clerk"]
    token = auth.csrf_token("/admin/people")
    admin.post(f"/admin/people/{clerk.id}/active", data={"csrf_token": token, "active": "0"})
    auth.logout()
    assert auth.login("sales.clerk@sh01.test").status_code == 401
    auth.login(ADMIN)
    token = auth.csrf_token("/admin/people")
    admin.post(f"/admin/people/{clerk.id}/active", data={"csrf_token": token, "active": "1"})
    auth.logout()
    assert auth.login("sales.clerk@sh01.test").status_code == 302


def test_an_administrator_cannot_deactivate_themselves(admin, auth, people, session):
    me = people["finance.admin"]
    token = auth.csrf_token("/admin/people")
    admin.post(f"/admin/people/{me.id}/active", data={"csrf_token": token, "active": "0"})
    session.expire_all()
    assert session.get(Person, me.id).active


def test_a_reset_password_replaces_the_old_one(admin, auth, people):
    clerk = people["sales.clerk"]
    path = f"/admin/people/{clerk.id}/password"
    mismatch = post_form(admin, path, password="brand-new-pass", confirm="other-pass-123")
    assert errors_beside(mismatch.get_data(as_text=True), "confirm")
    assert (
        post_form(admin, path, password="brand-new-pass", confirm="brand-new-pass").status_code
        == 302
    )
    auth.logout()
    assert auth.login("sales.clerk@sh01.test").status_code == 401
    assert auth.login("sales.clerk@sh01.test", "brand-new-pass").status_code == 302


# --- commitments ---


def _preview(html: str) -> list[str]:
    return re.findall(r'class="preview-due" data-due="([^"]+)"', html)


def test_editing_a_commitment_makes_a_new_version_and_keeps_existing_due_times(
    admin, people, session, now
):
    store = get_store(session, "SH01")
    _event, made = ledger.record_event(
        session,
        ledger.NewEvent(store=store, type="vehicle_delivered", occurred_at=now, reference="D-1"),
        by=people["sales.clerk"],
        now=now,
    )
    session.commit()
    slip = next(d for d in made if d.commitment.code == "sales-7")
    slip_id, slip_due, first_version = slip.id, slip.due_at, slip.version_id

    response = post_form(
        admin,
        "/admin/commitments/sales-7",
        "commitment-form",
        title_en="Issue the accessories slip (revised)",
        offset_days="5",
        save="y",
    )
    assert response.status_code == 302
    session.expire_all()
    commitment = get_commitment(session, "sales-7")
    assert commitment.current.number == 2
    assert commitment.current.offset_days == 5
    assert commitment.current.title_en == "Issue the accessories slip (revised)"
    assert commitment.current.checklist == session.get(CommitmentVersion, first_version).checklist
    kept = ledger.get_deliverable(session, slip_id)
    assert (kept.due_at, kept.version_id) == (slip_due, first_version)
    _event, made = ledger.record_event(
        session,
        ledger.NewEvent(store=store, type="vehicle_delivered", occurred_at=now, reference="D-2"),
        by=people["sales.clerk"],
        now=now,
    )
    assert (
        next(d for d in made if d.commitment.code == "sales-7").version_id == commitment.current.id
    )


def test_the_preview_shows_the_next_five_due_times(admin, session):
    recurring = admin.get("/admin/commitments/loans-8?store=SH01").get_data(as_text=True)
    dues = _preview(recurring)
    assert len(dues) == 5
    # Monthly, on the 5th or the next working day, at the end of the day, from now on.
    assert all(d.endswith("23:59") for d in dues)
    assert all(5 <= int(d[8:10]) <= 12 for d in dues)
    assert dues == sorted(dues) and len({d[:7] for d in dues}) == 5
    event = admin.get("/admin/commitments/sales-7").get_data(as_text=True)
    assert len(_preview(event)) == 5


def test_the_preview_follows_the_form_before_anything_is_saved(admin, session):
    response = post_form(
        admin,
        "/admin/commitments/loans-8",
        "commitment-form",
        frequency="weekly",
        day="2",
        at_time="10:00",
        non_working="keep",
        preview="y",
    )
    dues = _preview(response.get_data(as_text=True))
    assert len(dues) == 5
    assert all(datetime.fromisoformat(d).weekday() == 2 and d.endswith("10:00") for d in dues)
    assert get_commitment(session, "loans-8").current.number == 1


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"frequency": "monthly", "day": "40"}, "day"),
        ({"frequency": "weekly", "day": ""}, "day"),
        ({"title_en": ""}, "title_en"),
        ({"checklist": "a point without its English"}, "checklist"),
        ({"at_time": "25:00"}, "at_time"),
    ],
)
def test_a_bad_rule_is_explained_beside_the_field_and_no_version_is_made(
    admin, session, changes, field
):
    before = count(CommitmentVersion)
    response = post_form(
        admin, "/admin/commitments/loans-8", "commitment-form", save="y", **changes
    )
    assert response.status_code == 200
    assert errors_beside(response.get_data(as_text=True), field)
    assert count(CommitmentVersion) == before


def test_retiring_asks_for_a_confirmation_then_stays_listed_as_retired(admin, auth, session):
    edit = admin.get("/admin/commitments/sales-7").get_data(as_text=True)
    assert 'href="/admin/commitments/sales-7/retire"' in edit  # a link to the question, no button
    token = auth.csrf_token("/admin/commitments/sales-7/retire")
    unconfirmed = admin.post("/admin/commitments/sales-7/retire", data={"csrf_token": token})
    assert unconfirmed.status_code == 400
    assert "Tick it to confirm." in unconfirmed.get_data(as_text=True)
    session.expire_all()
    assert not get_commitment(session, "sales-7").retired
    done = admin.post("/admin/commitments/sales-7/retire", data={"csrf_token": token, "sure": "y"})
    assert done.status_code == 302
    session.expire_all()
    assert get_commitment(session, "sales-7").retired
    listing = admin.get("/admin/commitments").get_data(as_text=True)
    assert re.search(r'data-code="sales-7" class="muted">.*?retired', listing, re.S)


def test_a_retired_commitment_offers_no_preview_or_save_and_is_reactivated_as_a_new_version(
    admin, auth, session, now
):
    commitment = get_commitment(session, "sales-7")
    before = commitment.current.number
    retire_commitment(session, commitment, now)
    session.commit()
    versions = count(CommitmentVersion)
    html = admin.get("/admin/commitments/sales-7").get_data(as_text=True)
    assert 'id="preview"' not in html and 'name="save"' not in html and 'name="preview"' not in html
    token = auth.csrf_token("/admin/commitments/sales-7")
    saved = admin.post(
        "/admin/commitments/sales-7", data={"csrf_token": token, "save": "y", "title_en": "x"}
    )
    assert saved.status_code != 302 and count(CommitmentVersion) == versions
    with pytest.raises(Conflict):  # nor through the service
        edit_commitment(session, commitment, {"title_en": "x"}, now, None)
    session.rollback()
    assert (
        admin.post("/admin/commitments/sales-7/reactivate", data={"csrf_token": token}).status_code
        == 302
    )
    session.expire_all()
    commitment = get_commitment(session, "sales-7")
    assert not commitment.retired and commitment.current.number == before + 1
    assert 'id="preview"' in admin.get("/admin/commitments/sales-7").get_data(as_text=True)


def test_the_new_person_form_offers_the_administrators_own_store_first(admin, session, now):
    factories.create_store(session, now=now, code="AA01", name="Anshan")  # sorts before SH01
    session.commit()
    html = admin.get("/admin/people/new").get_data(as_text=True)
    assert re.search(r'<option selected value="SH01">|<option value="SH01" selected>', html)


# --- working calendar ---


def test_the_calendar_shows_holidays_and_swapped_days_in_the_persons_language(
    admin, people, session
):
    html = admin.get("/admin/stores/SH01/calendar?year=2026").get_data(as_text=True)
    assert 'data-day="2026-10-01"' in html and "National Day" in html
    assert re.search(r'data-day="2026-10-10">.*?swapped working day', html, re.S)
    people["finance.admin"].language = "zh"
    session.commit()
    html = admin.get("/admin/stores/SH01/calendar?year=2026").get_data(as_text=True)
    assert "国庆节" in html and "调休上班" in html


def test_an_override_changes_the_due_times_of_new_deliverables(admin, auth, session):
    first = _preview(admin.get("/admin/commitments/loans-8?store=SH01").get_data(as_text=True))[0]
    due_day = date.fromisoformat(first[:10])
    response = post_form(
        admin, "/admin/stores/SH01/calendar", day=due_day.isoformat(), working="0", note="stocktake"
    )
    assert response.status_code == 302
    calendar = admin.get(f"/admin/stores/SH01/calendar?year={due_day.year}").get_data(as_text=True)
    assert f'data-day="{due_day.isoformat()}"' in calendar and "stocktake" in calendar
    moved = _preview(admin.get("/admin/commitments/loans-8?store=SH01").get_data(as_text=True))[0]
    assert date.fromisoformat(moved[:10]) > due_day  # rolled on to the next working day
    token = auth.csrf_token("/admin/stores/SH01/calendar")
    admin.post(
        f"/admin/stores/SH01/calendar/{due_day.isoformat()}/remove", data={"csrf_token": token}
    )
    assert count(CalendarOverride) == 0
    again = _preview(admin.get("/admin/commitments/loans-8?store=SH01").get_data(as_text=True))[0]
    assert again == first


def test_an_override_without_a_day_is_explained_and_nothing_is_written(admin, session):
    response = post_form(admin, "/admin/stores/SH01/calendar", day="", working="0")
    assert response.status_code == 200
    assert errors_beside(response.get_data(as_text=True), "day")
    assert count(CalendarOverride) == 0


# --- the test email ---


def test_the_test_email_arrives_at_the_mail_server(admin, smtp):
    inbox, port, _controller = smtp
    response = post_form(admin, "/admin/test-email", to="ops@example.com")
    assert response.status_code == 302
    page = admin.get("/admin/test-email").get_data(as_text=True)
    assert "Test email sent to ops@example.com." in page
    assert f"smtp://127.0.0.1:{port}" in page
    [(recipients, message)] = inbox.messages
    assert recipients == ["ops@example.com"]
    assert message["Subject"] == "Tracker test email"
    assert "the mail settings work" in message.get_body(("plain",)).get_content()


def test_a_refusing_mail_server_is_reported_beside_the_address(admin, smtp):
    inbox, _port, _controller = smtp
    inbox.refuse = True
    response = post_form(admin, "/admin/test-email", to="ops@example.com")
    assert response.status_code == 200
    [error] = errors_beside(response.get_data(as_text=True), "to")
    assert "550" in error and "refused by the test" in error


def test_an_unreachable_mail_server_is_reported(admin, smtp):
    _inbox, _port, controller = smtp
    controller.stop()  # nothing listens on the configured port any more
    response = post_form(admin, "/admin/test-email", to="ops@example.com")
    assert response.status_code == 200
    [error] = errors_beside(response.get_data(as_text=True), "to")
    assert "The email was not sent" in error and "Connection" in error


# --- the outbox ---


def test_failed_emails_are_listed_and_can_be_queued_again(admin, auth, people, session, now):
    from tracker.reminders.models import OutboxMessage

    message = OutboxMessage(
        message_id="<given-up@tracker.test>",
        person_id=people["sales.clerk"].id,
        store_id=people["sales.clerk"].store_id,
        language="en",
        to_address="sales.clerk@sh01.test",
        subject="Overdue: accessories slip",
        body_text="...",
        body_html="...",
        status="failed",
        attempts=40,
        next_attempt_at=now,
        created_at=now,
        failed_at=now,
        last_error="SMTPRecipientsRefused: 550 no such user",
    )
    session.add(message)
    session.commit()
    html = admin.get("/admin").get_data(as_text=True)
    assert "Overdue: accessories slip" in html and "550 no such user" in html
    token = auth.csrf_token("/admin")
    assert (
        admin.post(f"/admin/outbox/{message.id}/retry", data={"csrf_token": token}).status_code
        == 302
    )
    session.expire_all()
    assert session.get(OutboxMessage, message.id).status == "pending"
    assert "Every email was delivered" in admin.get("/admin").get_data(as_text=True)


def english_messages(*areas: str) -> set[str]:
    """The English texts of these areas' catalogues that could show on a page as they are."""
    from pathlib import Path

    from babel.messages.pofile import read_po

    found = set()
    for area in areas:
        path = Path(__file__).parent.parent / "translations" / area / "zh/LC_MESSAGES/messages.po"
        with path.open("rb") as f:
            for m in read_po(f):
                text = m.id if isinstance(m.id, str) else ""
                if len(text) >= 6 and "%" not in text and m.string != text:
                    found.add(text)
    return found


def visible_text(html: str) -> str:
    html = re.sub(r"<script.*?</script>|<style.*?</style>", " ", html, flags=re.S)
    return unescape(re.sub(r"<[^>]+>", " ", html))


@pytest.mark.parametrize("path", PAGES)
def test_no_english_is_left_on_an_admin_page_in_chinese(admin, people, session, path):
    people["finance.admin"].language = "zh"
    session.commit()
    text = visible_text(admin.get(path).get_data(as_text=True))
    assert sorted(m for m in english_messages("admin") if m in text) == []
