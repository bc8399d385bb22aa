"""Both sides of the promise on the scorecards, worked by hand: the providers' holds (how
many, working hours on hold) and the receivers' turnaround (median wait in working hours,
share decided by the decision time)."""

import json
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from tracker.ledger import holds
from tracker.ledger import service as ledger
from tracker.scorecards import promises

SH = ZoneInfo("Asia/Shanghai")


def sh(*args) -> datetime:
    return datetime(*args, tzinfo=SH).astimezone(UTC)


def slip(session, store, people, at, ref):
    _, made = ledger.record_event(
        session,
        ledger.NewEvent(store=store, type="vehicle_delivered", occurred_at=at, reference=ref),
        by=people["sales.clerk"],
        now=at,
    )
    return next(d for d in made if d.commitment.code == "sales-7")


def hand_in(session, d, people, at):
    ledger.submit(
        session,
        d,
        by=people["sales.clerk"],
        now=at,
        evidence=ledger.Evidence(reference=d.reference, file_path="x.pdf", file_name="x.pdf"),
        late_reason="late",
    )


@pytest.fixture
def june(session, store, people):
    """Three slips of cars delivered Monday 8 June 2026 (due Thursday 11 June 23:59:59).
    A: on hold Thursday 16:00 to Monday 15 June 11:00 (Friday 12 is a working day: 2 + 9 + 2
    = 13 working hours); B: on hold Wednesday 10:00 to Thursday 10:00 (9 h); C: a hold refused.
    Handed in Monday 15 June at 10:00 (A: 12:00), Finance decides A after 2 working hours
    (in time), B after 5 (in time) and C on Wednesday 17 June at 12:00, 20 working hours
    after, past the end of Tuesday: median 5 h, two of three in time."""
    a, b, c = (slip(session, store, people, sh(2026, 6, 8, 10), ref) for ref in "ABC")
    clerk, finance = people["sales.clerk"], people["finance.clerk"]
    for d, start, end in ((a, sh(2026, 6, 11, 16), sh(2026, 6, 15, 11)),
                          (b, sh(2026, 6, 10, 10), sh(2026, 6, 11, 10))):  # fmt: skip
        holds.ask(session, d, by=clerk, now=start, reason="bank")
        holds.approve(session, d, by=finance, now=start)
        holds.release(session, d, by=clerk, now=end)
    holds.ask(session, c, by=clerk, now=sh(2026, 6, 9, 10), reason="insurer")
    holds.refuse(session, c, by=finance, now=sh(2026, 6, 9, 11))
    hand_in(session, a, people, sh(2026, 6, 15, 12))
    hand_in(session, b, people, sh(2026, 6, 15, 10))
    hand_in(session, c, people, sh(2026, 6, 15, 10))
    ledger.accept(session, a, by=finance, now=sh(2026, 6, 15, 14))
    ledger.return_deliverable(session, b, by=finance, now=sh(2026, 6, 15, 15), reason="incomplete")
    ledger.accept(session, c, by=finance, now=sh(2026, 6, 17, 12))
    session.commit()
    return a, b, c


def test_holds_count_and_working_hours_on_hold(session, june):
    found = promises.holds(session, month="2026-06")
    assert found == {("SH01", "sales", "sales-7"): (2, (13 + 9) * 3600)}


def test_the_receivers_turnaround_median_and_share_in_time(session, june):
    (row,) = promises.turnaround(session, month="2026-06")
    assert (row.store, row.receiver, row.decided, row.in_time) == ("SH01", "finance", 3, 2)
    assert row.median_working_hours == 5.0 and row.in_time_pct == 66.7


def test_the_command_and_the_page_show_them(runner, client, auth, june):
    result = runner.invoke(
        args=["tracker", "scorecard", "--month", "2026-06", "--level", "department", "--json"]
    )
    assert result.exit_code == 0, result.output
    sales = next(r for r in json.loads(result.output) if r["provider"] == "sales")
    assert (sales["holds"], sales["hold_hours"]) == (2, 22.0)
    result = runner.invoke(
        args=["tracker", "scorecard", "--month", "2026-06", "--receivers", "--json"]
    )
    assert json.loads(result.output) == [
        {"month": "2026-06", "store": "SH01", "receiver": "finance", "decided": 3, "in_time": 2,
         "in_time_pct": 66.7, "median_working_hours": 5.0}
    ]  # fmt: skip
    auth.login("finance.lead@sh01.test")
    html = client.get("/scorecards?month=2026-06").get_data(as_text=True)
    assert 'data-measure="holds">2<' in html and 'data-measure="hold_hours">22.0<' in html
    assert 'data-measure="median_working_hours">5.0<' in html
