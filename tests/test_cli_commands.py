"""Each `flask tracker ...` command with --json, as a script would run it."""

import json
import re
from datetime import datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy import func, select
from werkzeug.security import check_password_hash

from tracker import create_app
from tracker.extensions import db
from tracker.ledger.models import AuditEntry, BusinessEvent, Deliverable, Submission, Waiver
from tracker.org.models import Department, Person, Store


def run(runner, *args, ok=True):
    result = runner.invoke(args=["tracker", *args, "--json"])
    if ok:
        assert result.exit_code == 0, result.output + repr(result.exception)
        return json.loads(result.stdout)  # (migrations log to stderr)
    assert result.exit_code != 0, result.output
    return result


def error(runner, *args) -> str:
    result = run(runner, *args, ok=False)
    assert result.exit_code == 1, result.output
    return json.loads(result.stdout)["error"]


@pytest.fixture
def shop(runner):
    """SH01 set up through the CLI alone: catalogue, store, a sales clerk and a finance clerk."""
    run(runner, "load-catalog", "dealership")
    run(
        runner,
        "store",
        "add",
        "SH01",
        "--name",
        "Pudong",
        "--tz",
        "Asia/Shanghai",
        "--country",
        "CN",
    )
    for email, dept in (("li@sh01.cn", "sales"), ("wang@sh01.cn", "finance")):
        run(runner, "user", "add", email, "--name", email, "--dept", dept, "--store", "SH01")


# --- init and the catalogue ---


def test_init_migrates_an_empty_database(tmp_path):
    url = f"sqlite:///{tmp_path / 'new.sqlite'}"
    app = create_app({"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        assert sa.inspect(db.engine).get_table_names() == []
        assert run(app.test_cli_runner(), "init") == {"ok": True}
        assert set(sa.inspect(db.engine).get_table_names()) >= {"deliverable", "alembic_version"}
        db.engine.dispose()


def test_load_catalog_creates_the_34_items_once(runner, session):
    created = run(runner, "load-catalog", "dealership")["created"]
    assert len(created) == len(set(created)) == 34
    assert all(re.fullmatch(r"(loans|service|insurance|sales|hr)-\d+", c) for c in created)
    assert {"sales-7", "insurance-6", "loans-10", "hr-5", "service-4"} <= set(created)
    assert sum(c.startswith("loans-") for c in created) == 10
    assert run(runner, "load-catalog", "dealership") == {"created": []}
    assert session.scalar(select(func.count()).select_from(Department)) == 6


def test_load_catalog_refuses_an_unknown_catalogue(runner):
    assert (
        error(runner, "load-catalog", "garage") == "unknown catalogue 'garage'; known: dealership"
    )


def test_commitments_lists_code_parties_kind_event_and_rule(runner, shop):
    rows = {r["code"]: r for r in run(runner, "commitments")}
    assert len(rows) == 34
    sales7 = rows["sales-7"]
    assert {k: sales7[k] for k in ("provider", "receiver", "kind", "event_type", "rule")} == {
        "provider": "sales",
        "receiver": "finance",
        "kind": "event",
        "event_type": "vehicle_delivered",
        "rule": "end of the 3rd working day after the event",
    }
    assert rows["sales-8"]["rule"] == "monthly, day 1, by 12:00, next working day if not one"
    assert rows["loans-3"]["kind"] == "request" and rows["loans-3"]["event_type"] is None
    assert rows["sales-6"]["kind"] == "checklist"
    zh = {r["code"]: r for r in run(runner, "commitments", "--lang", "zh")}
    assert zh["sales-7"]["rule"] == "事件后第3个工作日结束前"


# --- stores and people ---


def test_store_add(runner, shop, session):
    data = run(
        runner,
        "store",
        "add",
        "NY01",
        "--name",
        "Queens",
        "--tz",
        "America/New_York",
        "--country",
        "us",
    )
    assert data == {
        "code": "NY01",
        "name": "Queens",
        "timezone": "America/New_York",
        "country": "US",
    }


@pytest.mark.parametrize(
    "options, message",
    [
        (["--tz", "Mars/Olympus", "--country", "CN"], "unknown time zone 'Mars/Olympus'"),
        (["--tz", "Asia/Shanghai", "--country", "XX"], "unknown country 'XX'"),
    ],
)
def test_store_add_refuses_a_bad_zone_or_country(runner, shop, session, options, message):
    assert message in error(runner, "store", "add", "BAD1", "--name", "Bad", *options)
    assert session.scalar(select(Store).where(Store.code == "BAD1")) is None


def test_store_add_refuses_a_second_store_with_the_same_code(runner, shop):
    assert "exists already" in error(
        runner, "store", "add", "SH01", "--name", "x", "--tz", "Asia/Shanghai", "--country", "CN"
    )


def test_user_add_keeps_the_password_hashed(runner, shop, session):
    data = run(
        runner, "user", "add", "Zhao@SH01.cn", "--name", "Zhao", "--dept", "hr",
        "--store", "SH01", "--role", "head", "--lang", "en", "--password", "long-enough-1",
    )  # fmt: skip
    person = session.get(Person, data["id"])
    assert data["email"] == person.email == "zhao@sh01.cn"
    assert (person.role, person.language, person.department.code) == ("head", "en", "hr")
    assert person.password_hash != "long-enough-1"
    assert check_password_hash(person.password_hash, "long-enough-1")


def test_user_add_refuses_a_bad_role(runner, shop, session):
    result = runner.invoke(
        args=["tracker", "user", "add", "x@sh01.cn", "--name", "X", "--dept", "hr"]
        + ["--store", "SH01", "--role", "boss", "--json"]
    )
    assert result.exit_code == 2
    assert "Invalid value for '--role': 'boss' is not one of" in result.output
    assert session.scalar(select(Person).where(Person.email == "x@sh01.cn")) is None


@pytest.mark.parametrize(
    "options, message",
    [
        (["--dept", "hr", "--store", "XX01"], "no store with code 'XX01'"),
    ],
)
def test_user_add_refuses_bad_input(runner, shop, options, message):
    assert message in error(runner, "user", "add", "y@sh01.cn", "--name", "Y", *options)


# --- deadlines ---


def test_due_of_an_event_gives_one_row_per_from_in_order(runner, shop):
    starts = ["2026-10-09T10:00:00+08:00", "2026-09-30T10:00:00+08:00", "2026-10-12T01:00:00Z"]
    args = ["due", "--commitment", "sales-7", "--store", "SH01"]
    rows = run(runner, *args, *[x for s in starts for x in ("--from", s)])
    assert rows == [
        {"from": starts[0], "due": "2026-10-13T23:59:59+08:00"},  # Sat 10 Oct is worked
        {"from": starts[1], "due": "2026-10-10T23:59:59+08:00"},  # Golden Week skipped
        {"from": starts[2], "due": "2026-10-15T23:59:59+08:00"},
    ]


def test_due_of_a_recurring_commitment_gives_the_next_count(runner, shop):
    rows = run(
        runner, "due", "--commitment", "loans-8", "--store", "SH01",
        "--from", "2026-09-06T00:00:00+08:00", "--from", "2025-12-20T00:00:00+08:00",
        "--count", "3",
    )  # fmt: skip
    assert [(r["occurrence"], r["due"]) for r in rows] == [
        ("2026-09-05", "2026-09-07T23:59:59+08:00"),  # Saturday 5 Sep: due Monday, after 6 Sep
        ("2026-10-05", "2026-10-08T23:59:59+08:00"),  # Golden Week
        ("2026-11-05", "2026-11-05T23:59:59+08:00"),
        ("2026-01-05", "2026-01-05T23:59:59+08:00"),  # (published years only: 2025-2026)
        ("2026-02-05", "2026-02-05T23:59:59+08:00"),
        ("2026-03-05", "2026-03-05T23:59:59+08:00"),
    ]
    assert [r["from"] for r in rows] == ["2026-09-06T00:00:00+08:00"] * 3 + [
        "2025-12-20T00:00:00+08:00"
    ] * 3


def test_due_keeps_the_wall_clock_deadline_across_a_daylight_saving_change(runner, shop):
    run(
        runner,
        "store",
        "add",
        "NY01",
        "--name",
        "Queens",
        "--tz",
        "America/New_York",
        "--country",
        "US",
    )
    # Clocks go forward on Sunday 8 Mar 2026: the event is at -05:00, the deadline at -04:00.
    rows = run(
        runner, "due", "--commitment", "sales-7", "--store", "NY01",
        "--from", "2026-03-06T16:00:00-05:00", "--from", "2026-10-30T16:00:00-04:00",
    )  # fmt: skip
    assert [r["due"] for r in rows] == ["2026-03-11T23:59:59-04:00", "2026-11-04T23:59:59-05:00"]


def test_due_refuses_a_count_below_one(runner, shop):
    assert "--count must be at least 1" in error(
        runner, "due", "--commitment", "loans-8", "--store", "SH01", "--from",
        "2026-09-06T00:00:00+08:00", "--count", "0",
    )  # fmt: skip


def test_calendar_set_changes_new_deadlines(runner, shop):
    args = ["due", "--commitment", "sales-7", "--store", "SH01"]
    args += ["--from", "2026-10-09T10:00:00+08:00"]
    assert run(runner, *args)[0]["due"] == "2026-10-13T23:59:59+08:00"
    data = run(runner, "calendar", "set", "SH01", "2026-10-12", "--holiday", "--note", "typhoon")
    assert data == {"day": "2026-10-12", "working": False}
    assert run(runner, *args)[0]["due"] == "2026-10-14T23:59:59+08:00"
    run(runner, "calendar", "set", "SH01", "2026-10-11", "--working")
    assert run(runner, *args)[0]["due"] == "2026-10-13T23:59:59+08:00"  # Sat, Sun, Tue


# --- the ledger ---


def test_event_record_prints_the_deliverables_and_their_due_times(runner, shop, session):
    data = run(
        runner, "event", "record", "--type", "vehicle_delivered", "--store", "SH01",
        "--at", "2026-10-12T18:30:00+08:00", "--ref", "D-77", "--vin", "lsvab1234c5678901",
        "--amount", "156000.00", "--by", "li@sh01.cn",
    )  # fmt: skip
    rows = {r["commitment"]: r for r in data["deliverables"]}
    assert {c: (r["status"], r["due"]) for c, r in rows.items()} == {
        "sales-2": ("open", "2026-10-14T23:59:59+08:00"),
        "sales-6": ("submitted", "2026-10-12T23:59:59+08:00"),  # after 17:00: checked at once
        "sales-7": ("open", "2026-10-15T23:59:59+08:00"),
    }
    assert all(r["reference"] == "D-77" and r["store"] == "SH01" for r in rows.values())
    event = session.get(BusinessEvent, data["event"])
    assert event.vin == "LSVAB1234C5678901" and str(event.amount) == "156000.00"
    assert event.recorded_by_id == session.scalar(
        select(Person.id).where(Person.name == "li@sh01.cn")
    )


def test_event_record_refuses_a_person_of_another_store(runner, shop, session):
    run(
        runner,
        "store",
        "add",
        "BJ01",
        "--name",
        "Beijing",
        "--tz",
        "Asia/Shanghai",
        "--country",
        "CN",
    )
    run(
        runner,
        "user",
        "add",
        "zhao@bj01.cn",
        "--name",
        "Zhao",
        "--dept",
        "sales",
        "--store",
        "BJ01",
    )
    message = error(
        runner, "event", "record", "--type", "vehicle_delivered", "--store", "SH01",
        "--at", "2026-10-12T10:00:00+08:00", "--ref", "D-BJ", "--by", "zhao@bj01.cn",
    )  # fmt: skip
    assert "zhao@bj01.cn works in another store and cannot record events in SH01" in message
    assert session.scalar(select(func.count()).select_from(BusinessEvent)) == 0


def _record(runner, ref="D-1"):
    data = run(
        runner, "event", "record", "--type", "vehicle_delivered", "--store", "SH01",
        "--at", "2026-10-12T10:00:00+08:00", "--ref", ref,
    )  # fmt: skip
    return {r["commitment"]: r["id"] for r in data["deliverables"]}


def test_deliverable_submit_return_submit_accept_with_at(runner, shop, session, tmp_path):
    sales7 = str(_record(runner)["sales-7"])
    scan = tmp_path / "forms.PDF"
    scan.write_bytes(b"%PDF-1.4 forms")
    first = run(
        runner, "deliverable", "submit", sales7, "--by", "li@sh01.cn", "--reference", "D-1",
        "--file", str(scan), "--at", "2026-10-14T09:00:00+08:00",
    )  # fmt: skip
    assert (first["status"], first["commitment"]) == ("submitted", "sales-7")
    returned = run(
        runner, "deliverable", "return", sales7, "--by", "wang@sh01.cn", "--reason", "other",
        "--note", "blurred", "--at", "2026-10-14T11:00:00+08:00",
    )  # fmt: skip
    assert returned["status"] == "returned"
    late = ["deliverable", "submit", sales7, "--by", "li@sh01.cn", "--reference", "D-1"]
    late += ["--file", str(scan), "--at", "2026-10-16T08:00:00+08:00"]
    assert "say why it is late" in error(runner, *late)
    assert run(runner, *late, "--reason", "customer away")["status"] == "submitted"
    accepted = run(
        runner, "deliverable", "accept", sales7, "--by", "wang@sh01.cn",
        "--at", "2026-10-16T10:00:00+08:00",
    )  # fmt: skip
    assert accepted["status"] == "accepted"
    d = session.get(Deliverable, int(sales7))
    assert d.lateness_seconds == 8 * 3600 + 1 and d.return_count == 1
    subs = session.scalars(select(Submission).where(Submission.deliverable_id == d.id)).all()
    assert [(s.outcome, s.file_name) for s in subs] == [
        ("returned", "forms.PDF"),
        ("accepted", "forms.PDF"),
    ]
    assert subs[0].file_path.endswith(".pdf") and subs[0].file_path != "forms.PDF"
    assert subs[1].submitted_at == datetime.fromisoformat("2026-10-16T08:00:00+08:00")
    actions = session.scalars(
        select(AuditEntry.action).where(AuditEntry.entity_id == d.id).order_by(AuditEntry.id)
    ).all()
    assert actions == ["created", "submitted", "returned", "submitted", "accepted"]


@pytest.mark.parametrize(
    "name, content, message",
    [
        ("script.py", b"print(1)", "Only these files: pdf, jpg, jpeg, png, xlsx, csv, txt."),
        ("empty.pdf", b"", "The file is empty."),
        ("huge.pdf", b"%PDF" + b"x" * 2048, "The file is too big: at most 0 MB."),
    ],
)
def test_deliverable_submit_checks_the_file_as_the_page_does(
    runner, shop, session, app, tmp_path, name, content, message
):
    sales2 = str(_record(runner)["sales-2"])
    app.config["UPLOAD_MAX_BYTES"] = 1024
    path = tmp_path / name
    path.write_bytes(content)
    submit = ["deliverable", "submit", sales2, "--by", "li@sh01.cn", "--reference", "D-1"]
    assert message in error(runner, *submit, "--file", str(path))
    assert session.get(Deliverable, int(sales2)).status == "open"
    uploads = Path(app.config["UPLOAD_DIR"])
    assert not uploads.exists() or not any(uploads.iterdir())


def test_deliverable_submit_keeps_no_file_when_the_submission_is_refused(
    runner, shop, session, app, tmp_path
):
    sales2 = str(_record(runner)["sales-2"])
    slip = tmp_path / "slip.pdf"
    slip.write_bytes(b"%PDF-1.4 slip")
    submit = ["deliverable", "submit", sales2, "--by", "wang@sh01.cn", "--reference", "D-1"]
    assert "not in the providing department" in error(runner, *submit, "--file", str(slip))
    uploads = Path(app.config["UPLOAD_DIR"])
    assert not uploads.exists() or not any(uploads.iterdir())


def test_deliverable_waive(runner, shop, session):
    sales2 = str(_record(runner)["sales-2"])
    data = run(
        runner, "deliverable", "waive", sales2, "--by", "wang@sh01.cn", "--reason", "cancelled",
        "--at", "2026-10-12T15:00:00+08:00",
    )  # fmt: skip
    assert data["status"] == "waived"
    assert session.get(Deliverable, int(sales2)).waiver.reason == "cancelled"


def test_scorecard_for_a_month_and_a_store(runner, shop, tmp_path):
    ids = _record(runner)
    slip = tmp_path / "slip.pdf"
    slip.write_bytes(b"%PDF-1.4 slip")
    run(
        runner, "deliverable", "submit", str(ids["sales-2"]), "--by", "li@sh01.cn",
        "--reference", "D-1", "--file", str(slip), "--at", "2026-10-13T09:00:00+08:00",
    )  # fmt: skip
    run(runner, "deliverable", "accept", str(ids["sales-2"]), "--by", "wang@sh01.cn")
    rows = run(runner, "scorecard", "--month", "2026-10", "--store", "SH01")
    by_code = {r["commitment"]: r for r in rows}
    assert set(by_code) == {"sales-2", "sales-7"}
    assert by_code["sales-2"] | {"month": "2026-10"} == by_code["sales-2"]
    assert (by_code["sales-2"]["on_time"], by_code["sales-2"]["on_time_rate"]) == (1, 1.0)
    # Read on the real clock, long after 15 Oct: sales-7 is open and overdue.
    assert (by_code["sales-7"]["open_overdue"], by_code["sales-7"]["on_time_rate"]) == (1, 0.0)
    (department,) = run(
        runner, "scorecard", "--month", "2026-10", "--store", "SH01", "--level", "department"
    )
    assert (department["provider"], department["due"], department["commitment"]) == (
        "sales",
        2,
        None,
    )
    assert run(runner, "scorecard", "--month", "2026-11") == []


# --- the demo ---


def test_demo_makes_a_store_with_people_history_returns_and_late_work(runner, session):
    data = run(runner, "demo", "--months", "1")
    assert data["store"] == "SH01" and len(data["password"]) >= 8
    people = data["people"]
    assert {p["department"] for p in people} == {
        "finance",
        "sales",
        "insurance",
        "loans",
        "service",
        "hr",
    }
    assert all("@" in p["email"] and p["name"] for p in people)
    person = session.scalar(select(Person).where(Person.email == people[0]["email"]))
    assert check_password_hash(person.password_hash, data["password"])
    events = session.scalars(select(BusinessEvent.occurred_at)).all()
    assert len(events) > 100
    assert (max(events) - min(events)).days >= 28
    d = Deliverable
    assert session.scalar(select(func.count()).where(d.return_count > 0)) > 0
    assert session.scalar(select(func.count()).where(d.final_submitted_at > d.due_at)) > 0
    waived = session.scalar(select(func.count()).where(d.status == "waived"))
    assert (
        session.scalar(select(func.count()).select_from(Waiver)) == waived
    )  # each with its reason
    statuses = set(session.scalars(select(d.status).distinct()))
    assert {"open", "submitted", "accepted"} <= statuses
    assert session.scalar(select(func.count()).where(d.period.is_not(None))) > 0  # recurring
    # Ratings on a share of the decisions, and this quarter's survey with its answers.
    from tracker.satisfaction.models import DecisionRating, SurveyAnswer

    assert session.scalar(select(func.count()).select_from(DecisionRating)) > 10
    assert session.scalar(select(func.count()).select_from(SurveyAnswer)) >= 15  # 3 x 5 depts
    # A second run changes nothing but prints the logins again.
    count = session.scalar(select(func.count()).select_from(d))
    again = run(runner, "demo", "--months", "1")
    assert again["people"] == people
    assert session.scalar(select(func.count()).select_from(d)) == count


@pytest.mark.parametrize(
    "options, message",
    [
        (["--store", "NOPE"], "no store with code 'NOPE'"),
        (["--month", "2026-13"], "'2026-13' is not a month; write it as YYYY-MM"),
    ],
)
def test_scorecard_refuses_an_unknown_store_or_month(runner, shop, options, message):
    args = ["--month", "2026-10", *options]
    assert error(runner, "scorecard", *args) == message
