"""Mistakes put right: the same deal's event recorded twice is noticed, and a wrong event is
corrected (open deliverables re-dated, both values audited) or cancelled (what it still owes
waived; what was handed in left to the receiver), by the recorder's head, the receiving
department or an administrator; through the pages and the CLI."""

import json
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from tests.pages import OVERDUE, deliver, submit, token
from tracker.calendar.deadlines import due_after
from tracker.calendar.service import store_calendar
from tracker.ledger import events
from tracker.ledger.models import AuditEntry, BusinessEvent, Deliverable, Waiver
from tracker.ledger.service import NewEvent
from tracker.scorecards.models import ScoreMonth


def _events(session) -> int:
    return session.scalar(select(func.count()).select_from(BusinessEvent))


def _record_form(client, ref: str, when: str, **more) -> dict:
    return {
        "csrf_token": token(client, "/events/new"),
        "type": "vehicle_delivered",
        "reference": ref,
        "occurred_at": when,
        **more,
    }


# --- the same event twice ---


def test_recording_the_same_type_and_reference_again_shows_the_first_and_asks(
    client, auth, session, store, people, now
):
    first = deliver(session, store, people["sales.clerk"], ago=timedelta(days=1), ref="D-7001")
    event_id = next(iter(first.values())).event_id
    auth.login("sales.clerk@sh01.test")
    when = (now - timedelta(hours=2)).astimezone(store.zone).strftime("%Y-%m-%dT%H:%M")
    page = client.post("/events/new", data=_record_form(client, "d-7001", when))
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'id="already-recorded"' in html
    assert f'href="/events/{event_id}"' in html and 'name="again"' in html
    assert _events(session) == 1
    again = client.post("/events/new", data=_record_form(client, "d-7001", when, again="y"))
    assert again.status_code == 302 and _events(session) == 2


def test_a_different_type_or_reference_is_recorded_without_asking(
    client, auth, session, store, people, now
):
    deliver(session, store, people["sales.clerk"], ago=timedelta(days=1), ref="D-7002")
    auth.login("sales.clerk@sh01.test")
    when = (now - timedelta(hours=2)).astimezone(store.zone).strftime("%Y-%m-%dT%H:%M")
    assert client.post("/events/new", data=_record_form(client, "D-7003", when)).status_code == 302
    assert _events(session) == 2


def test_the_cli_refuses_the_same_event_again_unless_told(runner, session, store, people, now):
    deliver(session, store, people["sales.clerk"], ago=timedelta(days=1), ref="D-7004")
    args = ["tracker", "event", "record", "--type", "vehicle_delivered", "--store", "SH01"]
    args += ["--ref", "D-7004", "--json"]
    refused = runner.invoke(args=args)
    assert (
        refused.exit_code == 1 and "already recorded in SH01" in json.loads(refused.stdout)["error"]
    )
    assert _events(session) == 1
    assert runner.invoke(args=[*args, "--again"]).exit_code == 0
    assert _events(session) == 2


# --- correcting ---


def test_correcting_the_time_redates_open_deliverables_and_keeps_both_values(
    client, auth, session, store, people, now
):
    made = deliver(session, store, people["sales.clerk"], ago=OVERDUE, ref="D-7100")
    submit(session, made["sales-7"], people["sales.clerk"])  # handed in: its clock stopped
    session.commit()
    event = session.get(BusinessEvent, made["sales-2"].event_id)
    kept_due = made["sales-7"].due_at
    new_time = event.occurred_at + timedelta(days=3)
    auth.login("sales.head@sh01.test")
    form = client.get(f"/events/{event.id}/correct").get_data(as_text=True)
    assert 'value="D-7100"' in form
    response = client.post(
        f"/events/{event.id}/correct",
        data={
            "csrf_token": token(client, f"/events/{event.id}/correct"),
            "reference": "D-7101",
            "customer": "Wang Wei",
            "occurred_at": new_time.astimezone(store.zone).strftime("%Y-%m-%dT%H:%M"),
        },
    )
    assert response.status_code == 302
    session.expire_all()
    calendar = store_calendar(session, store)
    for code, d in made.items():
        d = session.get(Deliverable, d.id)
        assert d.reference == "D-7101"
        if code == "sales-7":
            assert d.due_at == kept_due
        else:
            rule = d.version.rule(d.commitment.kind)
            assert d.due_at == due_after(rule, new_time, store.zone, calendar), code
            assert d.due_month == d.due_at.astimezone(store.zone).strftime("%Y-%m")
    trail = session.scalars(
        select(AuditEntry).where(AuditEntry.entity == "event", AuditEntry.entity_id == event.id)
    ).all()
    assert [t.action for t in trail] == ["corrected"]
    assert trail[0].detail["reference"] == ["D-7100", "D-7101"]
    assert datetime.fromisoformat(trail[0].detail["occurred_at"][1]) == new_time
    moved = session.scalars(select(AuditEntry).where(AuditEntry.action == "redated")).all()
    assert {m.entity_id for m in moved} == {d.id for c, d in made.items() if c != "sales-7"}
    page = client.get(f"/events/{event.id}").get_data(as_text=True)
    assert "<del>D-7100</del>" in page and "<ins>D-7101</ins>" in page
    history = client.get(f"/deliverables/{made['sales-2'].id}").get_data(as_text=True)
    assert "due time moved (event corrected)" in history


def test_a_correction_that_changes_nothing_is_refused_and_writes_nothing(
    runner, session, store, people
):
    made = deliver(session, store, people["sales.clerk"], ref="D-7102")
    event_id = next(iter(made.values())).event_id
    args = ["tracker", "event", "correct", str(event_id), "--by", "sales.head@sh01.test"]
    result = runner.invoke(args=[*args, "--ref", "D-7102", "--json"])
    assert result.exit_code == 1 and "nothing to correct" in json.loads(result.stdout)["error"]
    assert (
        session.scalar(
            select(func.count()).select_from(AuditEntry).where(AuditEntry.entity == "event")
        )
        == 0
    )


def test_the_cli_corrects_an_event_and_prints_what_moved(runner, session, store, people):
    made = deliver(session, store, people["sales.clerk"], ago=timedelta(days=2), ref="D-7103")
    event = session.get(BusinessEvent, next(iter(made.values())).event_id)
    # A week earlier: the same weekday, so every due time moves, whatever day now is.
    earlier = (event.occurred_at - timedelta(days=7)).astimezone(store.zone).isoformat()
    result = runner.invoke(
        args=["tracker", "event", "correct", str(event.id), "--by", "finance.clerk@sh01.test",
              "--at", earlier, "--amount", "1200.50", "--json"]
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["amount"] == "1200.50" and data["redated"]
    assert {r["id"] for r in data["redated"]} == {d.id for d in made.values()}


@pytest.mark.parametrize("who", ["sales.clerk", "insurance.clerk", "insurance.head"])
def test_only_the_recorders_head_the_receiver_or_an_admin_may_correct_or_cancel(
    client, auth, runner, session, store, people, who
):
    made = deliver(session, store, people["sales.clerk"], ref="D-7200")
    event_id = next(iter(made.values())).event_id
    auth.login(f"{who}@sh01.test")
    assert client.get(f"/events/{event_id}/correct").status_code == 403
    assert client.get(f"/events/{event_id}/cancel").status_code == 403
    assert "Cancel this event" not in client.get(f"/events/{event_id}").get_data(as_text=True)
    result = runner.invoke(
        args=["tracker", "event", "cancel", str(event_id), "--by", f"{who}@sh01.test",
              "--reason", "x", "--json"]
    )  # fmt: skip
    assert (
        result.exit_code == 1 and "may not correct or cancel" in json.loads(result.stdout)["error"]
    )
    assert session.get(BusinessEvent, event_id).cancelled_at is None


@pytest.mark.parametrize("who", ["sales.head", "finance.clerk", "finance.admin"])
def test_the_recorders_head_the_receiver_and_an_admin_are_offered_both(
    client, auth, session, store, people, who
):
    made = deliver(session, store, people["sales.clerk"], ref="D-7201")
    event_id = next(iter(made.values())).event_id
    auth.login(f"{who}@sh01.test")
    html = client.get(f"/events/{event_id}").get_data(as_text=True)
    assert (
        f'href="/events/{event_id}/correct"' in html and f'href="/events/{event_id}/cancel"' in html
    )
    assert client.get(f"/events/{event_id}/cancel").status_code == 200


# --- cancelling ---


def test_cancelling_waives_what_is_owed_and_leaves_what_was_handed_in_to_the_receiver(
    client, auth, session, store, people
):
    made = deliver(session, store, people["sales.clerk"], ago=OVERDUE, ref="D-7300")
    submit(session, made["sales-7"], people["sales.clerk"])
    session.commit()
    event_id = made["sales-2"].event_id
    waived_before = session.scalar(select(func.coalesce(func.sum(ScoreMonth.waived), 0)))
    auth.login("finance.clerk@sh01.test")
    missing = client.post(
        f"/events/{event_id}/cancel",
        data={"csrf_token": token(client, f"/events/{event_id}/cancel")},
    )
    assert missing.status_code == 400 and session.get(BusinessEvent, event_id).cancelled_at is None
    response = client.post(
        f"/events/{event_id}/cancel",
        data={"csrf_token": token(client, f"/events/{event_id}/cancel"), "reason": "wrong deal"},
    )
    assert response.status_code == 302
    session.expire_all()
    statuses = {c: session.get(Deliverable, d.id).status for c, d in made.items()}
    assert statuses.pop("sales-7") == "submitted"
    assert set(statuses.values()) == {"waived"}
    reasons = set(session.scalars(select(Waiver.reason)))
    assert reasons == {"wrong deal"}
    waived_after = session.scalar(select(func.coalesce(func.sum(ScoreMonth.waived), 0)))
    assert waived_after - waived_before == len(statuses)  # counted by the scorecards once
    page = client.get(f"/events/{event_id}").get_data(as_text=True)
    assert 'id="cancelled"' in page and "wrong deal" in page
    assert f'href="/events/{event_id}/correct"' not in page
    assert client.get(f"/events/{event_id}/correct").status_code == 302  # told, not changed


def test_a_cancelled_event_no_longer_counts_as_recorded(client, auth, session, store, people, now):
    made = deliver(session, store, people["sales.clerk"], ref="D-7301")
    event = session.get(BusinessEvent, next(iter(made.values())).event_id)
    events.cancel_event(session, event, by=people["finance.clerk"], now=now, reason="typo")
    session.commit()
    assert events.similar_events(session, store.id, "vehicle_delivered", "D-7301") == []
    new = NewEvent(store=store, type="vehicle_delivered", occurred_at=now, reference="D-7301")
    created, existing = events.record_new(session, new, by=people["sales.clerk"], now=now)
    assert created is not None and existing == []


def test_the_cli_cancels_an_event(runner, session, store, people):
    made = deliver(session, store, people["sales.clerk"], ref="D-7302")
    event_id = next(iter(made.values())).event_id
    result = runner.invoke(
        args=["tracker", "event", "cancel", str(event_id), "--by", "sales.head@sh01.test",
              "--reason", "recorded twice", "--json"]
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["cancelled"] is True and sorted(data["waived"]) == sorted(
        d.id for d in made.values()
    )
    second = runner.invoke(
        args=["tracker", "event", "cancel", str(event_id), "--by", "sales.head@sh01.test",
              "--reason", "again", "--json"]
    )  # fmt: skip
    assert second.exit_code == 1 and "was cancelled" in json.loads(second.stdout)["error"]
