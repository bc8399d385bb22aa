"""Holds: the provider asks to pause a deliverable, the receiving department approves or
refuses; while it lasts the item is not overdue and nobody is reminded; when it ends the due
time moves later by the working time it lasted (store's hours, working days only)."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from tracker.errors import BadInput, NotAllowed
from tracker.ledger import holds
from tracker.ledger import service as ledger
from tracker.ledger.models import AuditEntry, Hold
from tracker.reminders import service as reminders
from tracker.reminders.models import OutboxItem

SH = ZoneInfo("Asia/Shanghai")


def sh(*args) -> datetime:
    return datetime(*args, tzinfo=SH).astimezone(UTC)


def slip(session, store, people, at):
    """The accessories slip (sales-7, Sales to Finance) of a car delivered at `at`."""
    _, made = ledger.record_event(
        session,
        ledger.NewEvent(store=store, type="vehicle_delivered", occurred_at=at, reference="D-1"),
        by=people["sales.clerk"],
        now=at,
    )
    session.commit()
    return next(d for d in made if d.commitment.code == "sales-7")


@pytest.fixture
def june(session, store, people):
    """Delivered Monday 15 June 2026: due Thursday 18 June 23:59:59. Friday 19 June is the
    Dragon Boat Festival, then a weekend; the store works 09:00-18:00."""
    d = slip(session, store, people, sh(2026, 6, 15, 10))
    assert d.due_at == sh(2026, 6, 18, 23, 59, 59)
    return d


def held(session, d, people, asked, approved, released):
    holds.ask(session, d, by=people["sales.clerk"], now=asked, reason="bank")
    holds.approve(session, d, by=people["finance.clerk"], now=approved)
    hold = holds.release(session, d, by=people["sales.clerk"], now=released)
    session.commit()
    return hold


def test_a_hold_across_a_holiday_and_a_weekend_moves_the_due_time_by_its_working_hours(
    session, people, june
):
    # Thursday 16:00-18:00 (2 h), Friday the festival, the weekend, Monday 09:00-11:00 (2 h).
    hold = held(
        session, june, people, sh(2026, 6, 18, 15), sh(2026, 6, 18, 16), sh(2026, 6, 22, 11)
    )
    assert hold.working_seconds == 4 * 3600
    # Two working hours were left before the due time when it stopped, two are left after.
    assert june.due_at == sh(2026, 6, 22, 13)
    assert june.due_month == "2026-06"


def test_whole_working_days_on_hold_keep_the_end_of_day_deadline(session, people, june):
    # Wednesday 10:00 to Monday 10:00: 8 h + 9 h + 1 h = two working days of nine hours.
    hold = held(session, june, people, sh(2026, 6, 17, 9), sh(2026, 6, 17, 10), sh(2026, 6, 22, 10))
    assert hold.working_seconds == 18 * 3600
    assert june.due_at == sh(2026, 6, 23, 23, 59, 59)


def test_a_held_item_is_not_overdue_and_handing_it_in_ends_the_hold(session, people, june):
    holds.ask(session, june, by=people["sales.clerk"], now=sh(2026, 6, 18, 9), reason="insurer")
    holds.approve(session, june, by=people["finance.head"], now=sh(2026, 6, 18, 10))
    session.commit()
    assert not june.is_overdue(sh(2026, 6, 25, 10))
    ledger.submit(
        session,
        june,
        by=people["sales.clerk"],
        now=sh(2026, 6, 22, 10),
        evidence=ledger.Evidence(reference="D-1", file_path="x.pdf", file_name="x.pdf"),
    )
    session.commit()
    hold = session.scalars(select(Hold)).one()
    assert hold.status == "ended" and hold.working_seconds == 9 * 3600
    assert june.held_since is None and june.due_at == sh(2026, 6, 22, 23, 59, 59)
    actions = session.scalars(
        select(AuditEntry.action).where(AuditEntry.entity_id == june.id).order_by(AuditEntry.id)
    ).all()
    assert actions[-4:] == ["hold_requested", "hold_approved", "hold_released", "submitted"]


def test_the_provider_asks_and_the_receiver_answers_nobody_else(session, people, june):
    now = sh(2026, 6, 16, 10)
    with pytest.raises(NotAllowed):
        holds.ask(session, june, by=people["finance.clerk"], now=now, reason="bank")
    with pytest.raises(NotAllowed):
        holds.ask(session, june, by=people["insurance.clerk"], now=now, reason="bank")
    holds.ask(session, june, by=people["sales.clerk"], now=now, reason="customer_signature")
    for outsider in ("sales.clerk", "sales.head", "insurance.clerk", "insurance.head"):
        with pytest.raises(NotAllowed):
            holds.approve(session, june, by=people[outsider], now=now)
        with pytest.raises(NotAllowed):
            holds.refuse(session, june, by=people[outsider], now=now)
    hold = holds.refuse(session, june, by=people["finance.clerk"], now=now, note="sign today")
    assert hold.status == "refused" and june.held_since is None
    with pytest.raises(BadInput):
        holds.release(session, june, by=people["sales.clerk"], now=now)


def test_a_hold_needs_a_known_reason_and_other_needs_a_note(session, people, june):
    now = sh(2026, 6, 16, 10)
    with pytest.raises(BadInput):
        holds.ask(session, june, by=people["sales.clerk"], now=now, reason="weather")
    with pytest.raises(BadInput):
        holds.ask(session, june, by=people["sales.clerk"], now=now, reason="other", note=" ")
    assert session.scalars(select(Hold)).all() == []


def test_nobody_is_reminded_during_a_hold_and_a_waiting_reminder_does_not_go(
    session, store, people
):
    d = slip(session, store, people, sh(2026, 11, 9, 10))  # due Thu 12 Nov 23:59:59
    reminders.enqueue(session, sh(2026, 11, 13, 10))  # the due notice waits in the outbox
    holds.ask(session, d, by=people["sales.clerk"], now=sh(2026, 11, 13, 11), reason="bank")
    holds.approve(session, d, by=people["finance.clerk"], now=sh(2026, 11, 13, 12))
    session.commit()
    for day in (16, 17, 18, 19, 20):
        reminders.enqueue(session, sh(2026, 11, day, 10))
    kinds = session.scalars(select(OutboxItem.kind).where(OutboxItem.deliverable_id == d.id))
    assert set(kinds) == {"due"}
    wts = reminders.working_times(session)
    settings = reminders.Settings()
    clerk = people["sales.clerk"].id
    reminders.compose_people(session, sh(2026, 11, 20, 9, 30), settings, [clerk], wts)
    session.commit()
    statuses = session.execute(
        select(OutboxItem.kind, OutboxItem.status, OutboxItem.cancelled_reason).where(
            OutboxItem.deliverable_id == d.id
        )
    ).all()
    assert statuses and all(s == ("due", "cancelled", "held") for s in statuses)
    # Released on Friday 20 Nov at 10:00 after 43 working hours (four days of nine and 7 h):
    # it was overdue when it stopped and still is, and its reminders resume.
    holds.release(session, d, by=people["finance.clerk"], now=sh(2026, 11, 20, 10))
    session.commit()
    assert d.due_at == sh(2026, 11, 19, 16)
    reminders.enqueue(session, sh(2026, 11, 20, 10, 30))
    kinds = session.scalars(
        select(OutboxItem.kind).where(
            OutboxItem.deliverable_id == d.id, OutboxItem.status == "pending"
        )
    )
    assert set(kinds) == {"overdue"}


def test_hold_commands_and_bad_input(runner, session, people, june):
    def run(*args):
        return runner.invoke(args=["tracker", "deliverable", *args])

    sales, finance = "sales.clerk@sh01.test", "finance.clerk@sh01.test"
    ask = ["hold", str(june.id), "--by", sales, "--at", "2026-06-18T15:00+08:00"]
    assert run(*ask, "--reason", "weather").exit_code == 2
    assert run(*ask, "--reason", "other").exit_code == 2
    assert session.scalars(select(Hold)).all() == []
    result = run(*ask, "--reason", "bank")
    assert result.exit_code == 0, result.output
    result = run("hold-approve", str(june.id), "--by", sales, "--at", "2026-06-18T16:00+08:00")
    assert result.exit_code == 1 and "receiving department" in result.output
    at = ["--at", "2026-06-18T16:00+08:00"]
    assert run("hold-approve", str(june.id), "--by", finance, *at).exit_code == 0
    at = ["--at", "2026-06-22T11:00+08:00"]
    result = run("release", str(june.id), "--by", sales, *at, "--json")
    assert result.exit_code == 0, result.output
    assert '"working_seconds": 14400' in result.output
    assert '"due": "2026-06-22T13:00:00+08:00"' in result.output


def test_the_pages_ask_approve_and_end_a_hold_and_refuse_an_outsider(client, auth, session, june):
    page = f"/deliverables/{june.id}"
    auth.login("sales.clerk@sh01.test")
    token = auth.csrf_token(page)
    answer = client.post(f"{page}/hold", data={"csrf_token": token, "reason": "other"})
    assert answer.status_code == 400 and "note is required" in answer.get_data(as_text=True)
    assert session.scalars(select(Hold)).all() == []
    answer = client.post(f"{page}/hold", data={"csrf_token": token, "reason": "bank"})
    assert answer.status_code == 302
    auth.logout()
    auth.login("insurance.clerk@sh01.test")
    token = auth.csrf_token("/profile")
    assert client.post(f"{page}/hold/approve", data={"csrf_token": token}).status_code == 403
    auth.logout()
    auth.login("finance.clerk@sh01.test")
    html = client.get("/inbox").get_data(as_text=True)
    assert f'data-hold-deliverable="{june.id}"' in html
    token = auth.csrf_token(page)
    assert client.post(f"{page}/hold/approve", data={"csrf_token": token}).status_code == 302
    session.expire_all()
    assert session.get(type(june), june.id).held_since is not None
    assert 'data-status="active"' in client.get(page).get_data(as_text=True)
    assert client.post(f"{page}/hold/release", data={"csrf_token": token}).status_code == 302
    session.expire_all()
    assert session.scalars(select(Hold.status)).one() == "ended"


def test_the_hold_section_reads_in_chinese(client, auth, session, people, june):
    people["sales.clerk"].language = "zh"
    holds.ask(session, june, by=people["sales.clerk"], now=sh(2026, 6, 16, 10), reason="bank")
    session.commit()
    auth.login("sales.clerk@sh01.test")
    html = client.get(f"/deliverables/{june.id}").get_data(as_text=True)
    assert "等待银行" in html and "撤回申请" in html and "已申请，等待答复" in html
