"""Calendar upkeep: a year's official calendar imported for every store of a country (a pasted
table or an ICS file, previewed first), the unknown-year notice beside due times, and the open
deliverables re-dated after a calendar change (page and CLI, audited).

The suite's now is moved to December 2098 here: 2099 is a year no `holidays` release knows, so
the tests say what the import and the notices do without depending on the package's data."""

import io
import json
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from tests.pages import error_beside, snapshot, token
from tracker.calendar import official
from tracker.calendar.deadlines import due_after
from tracker.calendar.models import OfficialDay
from tracker.calendar.service import set_override, store_calendar
from tracker.catalog.service import get_commitment
from tracker.errors import BadInput
from tracker.ledger import service as ledger
from tracker.ledger.models import AuditEntry, Deliverable
from tracker.ledger.redating import redate, redate_plan

SHANGHAI = ZoneInfo("Asia/Shanghai")
NEW_YEAR = date(2099, 1, 1)  # a Thursday, a working day while 2099 is unknown
TABLE = "# 2099, as published\n2099-01-01 holiday 元旦\n2099-01-03, 班, 元旦调休\n"
ICS = b"""BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//tracker tests//EN
BEGIN:VEVENT
UID:1@test
DTSTART;VALUE=DATE:20990101
DTEND;VALUE=DATE:20990102
SUMMARY:\xe5\x85\x83\xe6\x97\xa6 (\xe4\xbc\x91)
END:VEVENT
BEGIN:VEVENT
UID:2@test
DTSTART;VALUE=DATE:20990103
SUMMARY:\xe8\xa1\xa5\xe7\x8f\xad (\xe7\x8f\xad)
END:VEVENT
END:VCALENDAR
"""


@pytest.fixture
def now():
    """Wednesday 31 December 2098, noon in Shanghai: the next year's calendar is not known."""
    return datetime(2098, 12, 31, 12, 0, tzinfo=SHANGHAI).astimezone(UTC)


def _official_rows(session) -> int:
    return session.scalar(select(func.count()).select_from(OfficialDay))


def _sales_8_on_new_year(session, store, now) -> Deliverable:
    """sales-8 (the 1st of the month at 12:00, the next working day if not one) for January
    2099, created while the year is unknown: due on New Year's Day at noon."""
    ledger.ensure_recurring(
        session,
        now=now,
        since=datetime(2098, 12, 31, tzinfo=SHANGHAI),
        until=datetime(2099, 1, 2, tzinfo=SHANGHAI),
        stores=[store],
    )
    session.commit()
    d = session.scalar(
        select(Deliverable).where(
            Deliverable.commitment.has(code="sales-8"), Deliverable.occurrence_date == NEW_YEAR
        )
    )
    assert d.due_at == datetime(2099, 1, 1, 12, 0, tzinfo=SHANGHAI)
    return d


def _delivery_on_new_years_eve(session, store, people, now) -> dict[str, Deliverable]:
    """A car delivered on Wed 31 Dec 2098: sales-7 is due three working days later."""
    _, created = ledger.record_event(
        session,
        ledger.NewEvent(
            store=store,
            type="vehicle_delivered",
            occurred_at=datetime(2098, 12, 31, 10, 0, tzinfo=SHANGHAI),
            reference="D-2099",
        ),
        by=people["sales.clerk"],
        now=now,
    )
    session.commit()
    return {d.commitment.code: d for d in created}


def _import(session, text: str = TABLE) -> None:
    official.save_import(
        session, official.preview_import(session, "CN", official.parse_table(text))
    )
    session.commit()


# --- reading the table and the ICS file ---


def test_a_pasted_table_reads_english_and_chinese_words_ranges_and_comments():
    entries = official.parse_table(
        "# comment\n\n2099-01-01 holiday 元旦\n2099-02-01..2099-02-03\t休\t春节\n"
        "2099-01-03, workday, 元旦调休\n2099-02-07 上班\n"
    )
    assert [(e.day.isoformat(), e.working, e.name) for e in entries] == [
        ("2099-01-01", False, "元旦"),
        ("2099-01-03", True, "元旦调休"),
        ("2099-02-01", False, "春节"),
        ("2099-02-02", False, "春节"),
        ("2099-02-03", False, "春节"),
        ("2099-02-07", True, None),
    ]


def test_an_ics_file_gives_its_all_day_events_with_the_marks_dropped():
    entries = official.parse_ics(ICS)
    assert [(e.day.isoformat(), e.working, e.name) for e in entries] == [
        ("2099-01-01", False, "元旦"),
        ("2099-01-03", True, "补班"),
    ]


@pytest.mark.parametrize(
    "text, says",
    [
        ("2099-13-01 holiday", "line 1: '2099-13-01' is not a date"),
        ("2099-01-01 maybe", "line 1: 'maybe' is neither holiday"),
        ("\n2099-01-01", "line 2: write the day and whether"),
        ("2099-01-05..2099-01-01 off", "line 1: a range of days runs forward"),
        (
            "2099-01-01 off\n2099-01-01 班",
            "2099-01-01 is listed both as a holiday and as a workday",
        ),
        ("# nothing\n", "no days found"),
    ],
)
def test_a_bad_table_is_refused_naming_the_line(text, says):
    with pytest.raises(BadInput) as refused:
        official.parse_table(text)
    assert says in refused.value.message


def test_days_of_two_years_or_of_another_year_than_asked_are_refused(session, store):
    two_years = official.parse_table("2099-01-01 off\n2100-01-01 off")
    with pytest.raises(BadInput, match="one year"):
        official.preview_import(session, "CN", two_years)
    with pytest.raises(BadInput, match="every day must fall in 2098"):
        official.preview_import(session, "CN", official.parse_table("2099-01-01 off"), 2098)


# --- importing: what the stores' calendars then say ---


def test_an_imported_year_is_known_and_replaces_the_weekends_only_calendar(session, store):
    before = store_calendar(session, store)
    assert not before.is_known_year(2099) and before.is_working_day(NEW_YEAR)
    preview = official.preview_import(session, "CN", official.parse_table(TABLE))
    assert not preview.known_before and [s.code for s in preview.stores] == ["SH01"]
    assert [(c.day, c.before, c.after) for c in preview.changes] == [
        (NEW_YEAR, True, False),
        (date(2099, 1, 3), False, True),
    ]
    official.save_import(session, preview)
    session.commit()
    after = store_calendar(session, store)
    assert after.is_known_year(2099)
    assert not after.is_working_day(NEW_YEAR) and after.holiday_name(NEW_YEAR) == "元旦"
    assert after.is_working_day(date(2099, 1, 3)) and after.is_swapped_working_day(date(2099, 1, 3))
    set_override(session, store, NEW_YEAR, True, "open all day")  # an override still wins
    assert store_calendar(session, store).is_working_day(NEW_YEAR)


def test_importing_a_year_again_replaces_it(session, store):
    _import(session)
    _import(session, "2099-05-01 holiday 劳动节")
    calendar = store_calendar(session, store)
    assert calendar.is_working_day(NEW_YEAR) and not calendar.is_working_day(date(2099, 5, 1))
    assert _official_rows(session) == 1


# --- the administrator's page ---


def _import_form(client, **fields) -> dict:
    return {"csrf_token": token(client, "/admin/official-calendar"), "country": "CN", **fields}


def test_the_import_page_previews_a_pasted_table_and_saves_nothing(client, auth, session, people):
    auth.login("finance.admin@sh01.test")
    page = client.post(
        "/admin/official-calendar", data=_import_form(client, table=TABLE, preview="Preview")
    )
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'id="import-changes"' in html
    assert 'data-day="2099-01-01"' in html and 'data-day="2099-01-03"' in html
    assert 'name="save"' in html and _official_rows(session) == 0


def test_the_import_page_saves_and_shows_what_to_re_date(client, auth, session, store, people, now):
    d = _sales_8_on_new_year(session, store, now)
    auth.login("finance.admin@sh01.test")
    saved = client.post(
        "/admin/official-calendar", data=_import_form(client, table=TABLE, save="Save")
    )
    assert saved.status_code == 302
    assert saved.headers["Location"].endswith("/admin/stores/SH01/calendar/redate")
    assert _official_rows(session) == 2
    html = client.get("/admin/stores/SH01/calendar/redate").get_data(as_text=True)
    assert f'data-id="{d.id}"' in html and "2099-01-02 12:00" in html


def test_an_uploaded_ics_file_is_previewed_as_a_table_then_saved(client, auth, session, people):
    auth.login("finance.admin@sh01.test")
    data = _import_form(client, preview="Preview")
    data["file"] = (io.BytesIO(ICS), "holidays.ics")
    page = client.post("/admin/official-calendar", data=data, content_type="multipart/form-data")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'data-day="2099-01-01"' in html
    assert "2099-01-03 workday 补班" in html and _official_rows(session) == 0
    table = official.format_table(official.parse_ics(ICS))
    saved = client.post(
        "/admin/official-calendar", data=_import_form(client, table=table, save="S")
    )
    assert saved.status_code == 302 and _official_rows(session) == 2


@pytest.mark.parametrize(
    "fields, field_id, says",
    [
        ({"table": "2099-01-01 maybe"}, "table", "is neither holiday"),
        ({"table": ""}, "table", "no days found"),
        ({"table": TABLE, "country": "US"}, "country", "no store has the working calendar"),
        ({"table": TABLE, "country": "C1"}, "country", "Two letters"),
        ({"table": TABLE, "year": "2098"}, "year", "every day must fall in 2098"),
    ],
)
def test_bad_input_on_the_import_page_is_shown_beside_its_field_and_nothing_is_saved(
    client, auth, session, people, fields, field_id, says
):
    auth.login("finance.admin@sh01.test")
    before = snapshot()
    page = client.post("/admin/official-calendar", data=_import_form(client, save="Save", **fields))
    assert page.status_code == 200
    assert says in (error_beside(page.get_data(as_text=True), field_id) or "")
    assert snapshot() == before


def test_a_file_that_is_not_ics_is_refused_beside_the_file(client, auth, session, people):
    auth.login("finance.admin@sh01.test")
    data = _import_form(client, save="Save")
    data["file"] = (io.BytesIO(b"\x00\xffnot a calendar"), "x.ics")
    page = client.post("/admin/official-calendar", data=data, content_type="multipart/form-data")
    assert "not an iCalendar" in (error_beside(page.get_data(as_text=True), "file") or "")
    assert _official_rows(session) == 0


def test_the_import_page_speaks_chinese(client, auth, session, people):
    people["finance.admin"].language = "zh"
    session.commit()
    auth.login("finance.admin@sh01.test")
    page = client.post(
        "/admin/official-calendar", data=_import_form(client, table=TABLE, preview="P")
    )
    html = page.get_data(as_text=True)
    assert "官方日历" in html and "导入后" in html


# --- the command line ---


def test_the_import_command_previews_with_dry_run_then_saves(runner, session, store, tmp_path):
    path = tmp_path / "2099.txt"
    path.write_text(TABLE, encoding="utf-8")
    args = ["tracker", "calendar", "import", str(path), "--country", "cn", "--json"]
    dry = runner.invoke(args=[*args, "--dry-run"])
    assert dry.exit_code == 0, dry.output
    data = json.loads(dry.output)
    assert (data["country"], data["year"], data["saved"], data["stores"]) == (
        "CN",
        2099,
        False,
        ["SH01"],
    )
    assert [c["day"] for c in data["changes"]] == ["2099-01-01", "2099-01-03"]
    assert _official_rows(session) == 0
    saved = runner.invoke(args=[*args, "--year", "2099"])
    assert saved.exit_code == 0 and json.loads(saved.output)["saved"] is True
    assert _official_rows(session) == 2


def test_the_import_command_reads_an_ics_file(runner, session, store, tmp_path):
    path = tmp_path / "2099.ics"
    path.write_bytes(ICS)
    result = runner.invoke(args=["tracker", "calendar", "import", str(path), "--country", "CN"])
    assert result.exit_code == 0, result.output
    assert "2099-01-01" in result.output and _official_rows(session) == 2


@pytest.mark.parametrize(
    "content, more",
    [
        ("2099-01-01 maybe", []),
        ("2099-01-01 off", ["--year", "2098"]),
        ("2099-01-01 off", ["--country", "US"]),
        (b"\xff\xfe\x00", []),
    ],
)
def test_bad_input_to_the_import_command_exits_2_and_writes_nothing(
    runner, session, store, tmp_path, content, more
):
    path = tmp_path / "bad.txt"
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    args = ["tracker", "calendar", "import", str(path), "--country", "CN", *more]
    result = runner.invoke(args=args)
    assert result.exit_code == 2, result.output
    assert _official_rows(session) == 0


# --- unknown years said ---


def test_tracker_due_says_when_the_year_is_not_known(runner, session, store):
    args = ["tracker", "due", "--commitment", "sales-7", "--store", "SH01", "--json"]
    rows = json.loads(runner.invoke(args=[*args, "--from", "2098-12-31T10:00+08:00"]).output)
    assert rows[0]["calendar_known"] is False and rows[0]["due"].startswith("2099-01-05")
    text = runner.invoke(args=args[:-1] + ["--from", "2098-12-31T10:00+08:00"]).output
    assert "The official holidays of 2099 are not known yet" in text
    known = json.loads(runner.invoke(args=[*args, "--from", "2025-03-03T10:00+08:00"]).output)
    assert "calendar_known" not in known[0]
    _import(session, "2099-01-01 holiday 元旦")  # no swapped Saturday: Fri 2, Mon 5, Tue 6
    rows = json.loads(runner.invoke(args=[*args, "--from", "2098-12-31T10:00+08:00"]).output)
    assert "calendar_known" not in rows[0] and rows[0]["due"].startswith("2099-01-06")


def test_the_commitment_preview_says_when_the_year_is_not_known(client, auth, session, people):
    auth.login("finance.admin@sh01.test")
    html = client.get("/admin/commitments/sales-8?store=SH01").get_data(as_text=True)
    assert "calendar-unknown" in html and "The official holidays of 2099" in html
    _import(session)
    html = client.get("/admin/commitments/sales-8?store=SH01").get_data(as_text=True)
    assert "calendar-unknown" not in html


def test_the_deliverable_page_and_the_clerks_lists_say_when_the_year_is_not_known(
    client, auth, session, store, people, now
):
    sales_7 = _delivery_on_new_years_eve(session, store, people, now)["sales-7"]
    people["sales.clerk"].language = "zh"
    session.commit()
    auth.login("sales.clerk@sh01.test")
    for path in (f"/deliverables/{sales_7.id}", "/mine", "/"):
        html = client.get(path).get_data(as_text=True)
        assert "calendar-unknown" in html and "2099年的官方节假日尚未公布" in html, path
    _import(session)
    assert "calendar-unknown" not in client.get(f"/deliverables/{sales_7.id}").get_data(
        as_text=True
    )


# --- re-dating after a calendar change ---


def test_the_re_date_plan_lists_open_event_and_recurring_deliverables_old_beside_new(
    session, store, people, now
):
    sales_8 = _sales_8_on_new_year(session, store, now)
    sales_7 = _delivery_on_new_years_eve(session, store, people, now)["sales-7"]
    assert sales_7.due_at.astimezone(SHANGHAI).date() == date(2099, 1, 5)
    assert redate_plan(session, store).items == []
    _import(session)  # New Year's Day off, Saturday the 3rd worked: sales-7 stays on Monday 5th
    plan = {r.deliverable.id: r for r in redate_plan(session, store).items}
    assert plan[sales_8.id].before == datetime(2099, 1, 1, 12, 0, tzinfo=SHANGHAI)
    assert plan[sales_8.id].after == datetime(2099, 1, 2, 12, 0, tzinfo=SHANGHAI)
    assert sales_7.id not in plan
    _import(session, "2099-01-01 holiday 元旦")  # Fri 2, Mon 5, Tue 6
    plan = {r.deliverable.id: r for r in redate_plan(session, store).items}
    assert plan[sales_7.id].after == datetime(2099, 1, 6, 23, 59, 59, tzinfo=SHANGHAI)
    for r in plan.values():
        d = r.deliverable
        rule = d.version.rule(d.commitment.kind)
        if d.event is not None:
            cal = store_calendar(session, store)
            assert r.after == due_after(rule, d.event.occurred_at, store.zone, cal)


def test_re_dating_moves_open_ones_audited_and_leaves_requests_and_handed_in_ones(
    session, store, people, now
):
    sales_8 = _sales_8_on_new_year(session, store, now)
    request = ledger.raise_request(
        session,
        store=store,
        commitment=get_commitment(session, "loans-6"),
        by=people["finance.clerk"],
        now=now,
        note="come to the bank",
        due_at=datetime(2099, 1, 1, 15, 0, tzinfo=SHANGHAI),
    )
    session.commit()
    version, request_due = sales_8.state_version, request.due_at
    set_override(session, store, NEW_YEAR, False, "New Year's Day")
    session.commit()
    plan = redate(session, store, by=people["finance.admin"], now=now)
    session.commit()
    assert sales_8.id in {r.deliverable.id for r in plan.items}
    session.expire_all()
    moved = session.get(Deliverable, sales_8.id)
    assert moved.due_at == datetime(2099, 1, 2, 12, 0, tzinfo=SHANGHAI)
    assert moved.state_version == version + 1 and moved.due_month == "2099-01"
    assert session.get(Deliverable, request.id).due_at == request_due
    entry = session.scalar(
        select(AuditEntry).where(AuditEntry.entity_id == sales_8.id, AuditEntry.action == "redated")
    )
    assert entry.actor_id == people["finance.admin"].id
    assert entry.detail["before"].startswith("2099-01-01T04:00")
    assert entry.detail["after"].startswith("2099-01-02T04:00")
    assert redate_plan(session, store).items == []  # once is enough


def test_the_re_date_page_lists_then_re_dates_in_one_step(
    client, auth, session, store, people, now
):
    sales_8 = _sales_8_on_new_year(session, store, now)
    _import(session)
    auth.login("finance.admin@sh01.test")
    calendar_page = client.get("/admin/stores/SH01/calendar?year=2099").get_data(as_text=True)
    assert 'id="to-redate"' in calendar_page
    html = client.get("/admin/stores/SH01/calendar/redate").get_data(as_text=True)
    assert f'data-id="{sales_8.id}"' in html
    assert "2099-01-01 12:00" in html and "2099-01-02 12:00" in html
    done = client.post(
        "/admin/stores/SH01/calendar/redate",
        data={"csrf_token": token(client, "/admin/stores/SH01/calendar/redate")},
    )
    assert done.status_code == 302
    session.expire_all()
    assert session.get(Deliverable, sales_8.id).due_at == datetime(2099, 1, 2, 12, tzinfo=SHANGHAI)
    assert 'id="redate-none"' in client.get("/admin/stores/SH01/calendar/redate").get_data(
        as_text=True
    )


def test_the_re_date_page_is_for_administrators_only(client, auth, people):
    auth.login("finance.lead@sh01.test")
    assert client.get("/admin/stores/SH01/calendar/redate").status_code == 403
    assert client.get("/admin/official-calendar").status_code == 403


def test_the_redate_command_lists_with_dry_run_then_re_dates(runner, session, store, now):
    sales_8 = _sales_8_on_new_year(session, store, now)
    _import(session)
    args = ["tracker", "calendar", "redate", "--store", "SH01", "--json"]
    dry = json.loads(runner.invoke(args=[*args, "--dry-run"]).output)
    row = next(r for r in dry["redated"] if r["id"] == sales_8.id)
    assert (row["before"], row["after"]) == (
        "2099-01-01T12:00:00+08:00",
        "2099-01-02T12:00:00+08:00",
    )
    session.expire_all()
    assert session.get(Deliverable, sales_8.id).due_at == datetime(2099, 1, 1, 12, tzinfo=SHANGHAI)
    done = runner.invoke(args=args)
    assert done.exit_code == 0 and json.loads(done.output)["dry_run"] is False
    session.expire_all()
    assert session.get(Deliverable, sales_8.id).due_at == datetime(2099, 1, 2, 12, tzinfo=SHANGHAI)
    again = json.loads(runner.invoke(args=[*args, "--dry-run"]).output)
    assert again["redated"] == []
    assert runner.invoke(args=["tracker", "calendar", "redate", "--store", "XX99"]).exit_code != 0
