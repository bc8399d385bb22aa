"""The scorecard of October 2026 in SH01, worked by hand, and the database doing the counting."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import event

from tests import factories
from tracker.extensions import db
from tracker.ledger import service as ledger
from tracker.scorecards.service import deliverables_behind, scorecard

SH = ZoneInfo("Asia/Shanghai")
# The scorecard is read on Monday 26 Oct 2026 at 10:00 in Shanghai.
NOW = datetime(2026, 10, 26, 10, 0, tzinfo=SH)


def sh(*args) -> datetime:
    return datetime(*args, tzinfo=SH)


class Month:
    """Records events and plays deliverables' lives at given Shanghai times."""

    def __init__(self, session, store, people):
        self.session, self.store, self.people = session, store, people

    def event(self, type, at, ref):
        _, (d,) = ledger.record_event(
            self.session,
            ledger.NewEvent(store=self.store, type=type, occurred_at=at, reference=ref),
            by=None,
            now=at,
        )
        return d

    def submit(self, d, at, reason=None):
        provider = d.commitment.provider.code
        ledger.submit(
            self.session,
            d,
            by=self.people[f"{provider}.clerk"],
            now=at,
            evidence=ledger.Evidence(reference=d.reference, amount="100", file_path="f.pdf"),
            late_reason=reason,
        )

    def accept(self, d, at):
        ledger.accept(self.session, d, by=self.people["finance.clerk"], now=at)

    def give_back(self, d, at):
        ledger.return_deliverable(
            self.session, d, by=self.people["finance.clerk"], now=at, reason="incomplete"
        )


@pytest.fixture
def october(session, store, people, now):
    """Eleven deliverables due in October 2026 in SH01 (and a few that must not count).

    Calendar: 1-7 Oct holidays, Sat 10 Oct worked, then plain weeks; Mon 12 Oct .. Fri 30 Oct.
    sales-1 (customer payment, end of the 2nd working day after):
      A paid Mon 12 -> due Wed 14; submitted Tue 13, accepted Wed 14    on time, first pass
      B paid Tue 13 -> due Thu 15 23:59:59; submitted Sat 17 01:59:59   late by exactly 26 h
      C paid Wed 14 -> due Fri 16; submitted Thu 15, returned, resubmitted Fri 16 09:00,
        accepted                                                        on time, one return
      D paid Thu 15 -> due Mon 19; never submitted                      open and overdue
      E paid Fri 16 -> due Tue 20; waived Sat 17                        waived
    service-2 (vehicle picked up, end of the next working day):
      F Mon 19 -> due Tue 20; submitted Tue 20 10:00, not decided      submitted, pending
      G Mon 26 09:00 -> due Tue 27                                      open, not yet due
      H Thu 22 -> due Fri 23 23:59:59; submitted Sat 24 01:59:59       late by exactly 2 h
      I Tue 20 -> due Wed 21; submitted Wed 21, returned Thu 22         returned and overdue
      N Tue 13 -> due Wed 14; submitted, returned, resubmitted Wed 14 17:00, accepted
                                                                        on time, one return
    service-3 (vehicle brought back, end of the same day):
      J Wed 21 11:00 -> due Wed 21 23:59:59; submitted Thu 22 09:59:59  late by exactly 10 h
    Not in SH01's October: sales-1 paid Mon 28 Sep (due Wed 30 Sep), sales-1 paid Thu 29 Oct
    (due Mon 2 Nov), and sales-1 in BJ02 paid Mon 12 Oct (on time: BJ02's October only).
    """
    m = Month(session, store, people)
    a = m.event("customer_payment", sh(2026, 10, 12, 10), "A")
    m.submit(a, sh(2026, 10, 13, 15))
    m.accept(a, sh(2026, 10, 14, 9))
    b = m.event("customer_payment", sh(2026, 10, 13, 10), "B")
    assert b.due_at == sh(2026, 10, 15, 23, 59, 59)
    m.submit(b, sh(2026, 10, 17, 1, 59, 59), reason="customer away")
    m.accept(b, sh(2026, 10, 19, 9))
    c = m.event("customer_payment", sh(2026, 10, 14, 10), "C")
    m.submit(c, sh(2026, 10, 15, 10))
    m.give_back(c, sh(2026, 10, 15, 14))
    m.submit(c, sh(2026, 10, 16, 9))
    m.accept(c, sh(2026, 10, 16, 11))
    d = m.event("customer_payment", sh(2026, 10, 15, 10), "D")
    assert d.due_at == sh(2026, 10, 19, 23, 59, 59)
    e = m.event("customer_payment", sh(2026, 10, 16, 10), "E")
    ledger.waive(session, e, by=people["finance.head"], now=sh(2026, 10, 17, 9), reason="void")

    f = m.event("vehicle_picked_up", sh(2026, 10, 19, 10), "F")
    m.submit(f, sh(2026, 10, 20, 10))
    g = m.event("vehicle_picked_up", sh(2026, 10, 26, 9), "G")
    assert g.due_at == sh(2026, 10, 27, 23, 59, 59) > NOW
    h = m.event("vehicle_picked_up", sh(2026, 10, 22, 10), "H")
    assert h.due_at == sh(2026, 10, 23, 23, 59, 59)
    m.submit(h, sh(2026, 10, 24, 1, 59, 59), reason="late bank slip")
    m.accept(h, sh(2026, 10, 24, 10))
    i = m.event("vehicle_picked_up", sh(2026, 10, 20, 10), "I")
    m.submit(i, sh(2026, 10, 21, 10))
    m.give_back(i, sh(2026, 10, 22, 9))
    n = m.event("vehicle_picked_up", sh(2026, 10, 13, 10), "N")
    m.submit(n, sh(2026, 10, 14, 8))
    m.give_back(n, sh(2026, 10, 14, 9))
    m.submit(n, sh(2026, 10, 14, 17))
    m.accept(n, sh(2026, 10, 15, 9))
    j = m.event("vehicle_returned", sh(2026, 10, 21, 11), "J")
    assert j.due_at == sh(2026, 10, 21, 23, 59, 59)
    m.submit(j, sh(2026, 10, 22, 9, 59, 59), reason="forgot")
    m.accept(j, sh(2026, 10, 22, 14))

    september = m.event("customer_payment", sh(2026, 9, 28, 10), "SEP")
    assert september.due_month == "2026-09"
    november = m.event("customer_payment", sh(2026, 10, 29, 10), "NOV")
    assert november.due_at == sh(2026, 11, 2, 23, 59, 59) and november.due_month == "2026-11"

    bj = factories.create_store(session, now=now, code="BJ02")
    bj_people = factories.create_staff(session, bj, now=now)
    other = Month(session, bj, bj_people)
    elsewhere = other.event("customer_payment", sh(2026, 10, 12, 10), "BJ")
    other.submit(elsewhere, sh(2026, 10, 13, 10))
    other.accept(elsewhere, sh(2026, 10, 13, 11))
    session.commit()


FIELDS = (
    "due on_time late open_overdue waived open submitted accepted first_pass "
    "on_time_rate first_pass_rate mean_lateness_hours"
).split()

BY_HAND = {
    # on-time rate = on time / (on time + late + open overdue); first pass = accepted with no
    # return / accepted; mean lateness over the late accepted ones, in hours.
    #            due ok late ovd wvd open sub acc fp  on-time   first-pass  mean h
    "sales-1": (5, 2, 1, 1, 1, 1, 0, 3, 2, 2 / 4, 2 / 3, 26.0),
    "service-2": (5, 1, 1, 1, 0, 2, 1, 2, 1, 1 / 3, 1 / 2, 2.0),
    "service-3": (1, 0, 1, 0, 0, 0, 0, 1, 1, 0 / 1, 1 / 1, 10.0),
    # departments: sales is sales-1 alone; service is service-2 and service-3 together
    "sales": (5, 2, 1, 1, 1, 1, 0, 3, 2, 2 / 4, 2 / 3, 26.0),
    "service": (6, 1, 2, 1, 0, 2, 1, 3, 2, 1 / 4, 2 / 3, (2 + 10) / 2),
    # BJ02: one item, on time
    "BJ02 sales-1": (1, 1, 0, 0, 0, 0, 0, 1, 1, 1.0, 1.0, None),
}


def expected(key):
    values = dict(zip(FIELDS, BY_HAND[key], strict=True))
    for rate in ("on_time_rate", "first_pass_rate"):
        values[rate] = round(values[rate], 4)
    return values


def numbers(row) -> dict:
    return {f: getattr(row, f) for f in FIELDS}


def test_commitment_scorecard_matches_the_month_worked_by_hand(session, october, store):
    rows = scorecard(session, month="2026-10", now=NOW, store=store)
    assert [(r.store, r.provider, r.commitment) for r in rows] == [
        ("SH01", "sales", "sales-1"),
        ("SH01", "service", "service-2"),
        ("SH01", "service", "service-3"),
    ]
    for row in rows:
        assert numbers(row) == expected(row.commitment), row.commitment


def test_department_scorecard_matches_the_month_worked_by_hand(session, october, store):
    rows = scorecard(session, month="2026-10", now=NOW, store=store, level="department")
    assert [(r.store, r.provider, r.commitment) for r in rows] == [
        ("SH01", "sales", None),
        ("SH01", "service", None),
    ]
    for row in rows:
        assert numbers(row) == expected(row.provider), row.provider


def test_scorecard_of_every_store_keeps_stores_apart(session, october):
    rows = scorecard(session, month="2026-10", now=NOW)
    assert [(r.store, r.commitment) for r in rows] == [
        ("BJ02", "sales-1"),
        ("SH01", "sales-1"),
        ("SH01", "service-2"),
        ("SH01", "service-3"),
    ]
    assert numbers(rows[0]) == expected("BJ02 sales-1")
    assert numbers(rows[1]) == expected("sales-1")


def test_open_item_becomes_overdue_once_its_due_time_passes(session, october, store):
    def service_2(now):
        rows = scorecard(session, month="2026-10", now=now, store=store)
        return next(r for r in rows if r.commitment == "service-2")

    before = service_2(sh(2026, 10, 27, 23, 59, 59))  # G is due at this very second
    after = service_2(sh(2026, 10, 28, 0, 0, 0))
    assert (before.open_overdue, after.open_overdue) == (1, 2)
    assert after.on_time_rate == round(1 / 4, 4)


def test_a_submission_at_exactly_the_due_second_then_accepted_counts_on_time(
    session, store, people
):
    m = Month(session, store, people)
    k = m.event("customer_payment", sh(2026, 10, 13, 10), "K")
    assert k.due_at == sh(2026, 10, 15, 23, 59, 59)
    m.submit(k, k.due_at)
    m.accept(k, sh(2026, 10, 16, 9))
    session.commit()
    [row] = scorecard(session, month="2026-10", now=NOW, store=store)
    assert (row.on_time, row.late, row.on_time_rate) == (1, 0, 1.0)
    assert row.mean_lateness_hours is None
    behind = {
        measure: [x.id for x in deliverables_behind(session, now=NOW, measure=measure, store=store)]
        for measure in ("on_time", "late")
    }
    assert behind == {"on_time": [k.id], "late": []}


def test_month_with_nothing_due_has_no_rows(session, october, store):
    assert scorecard(session, month="2026-12", now=NOW, store=store) == []


def _make(session, store, people, count):
    start = sh(2026, 10, 12, 9)
    for k in range(count):
        at = start + timedelta(minutes=k)
        kind = ("customer_payment", "vehicle_picked_up", "vehicle_returned")[k % 3]
        _, (d,) = ledger.record_event(
            session,
            ledger.NewEvent(store=store, type=kind, occurred_at=at, reference=f"R{k}"),
            by=None,
            now=at,
        )
        if k % 4 == 0:
            ledger.submit(
                session,
                d,
                by=people[f"{d.commitment.provider.code}.clerk"],
                now=at + timedelta(hours=1),
                evidence=ledger.Evidence(reference="R", amount="1", file_path="f"),
            )
            if k % 8 == 0:
                ledger.accept(session, d, by=people["finance.clerk"], now=at + timedelta(hours=2))
    session.commit()


def _selects(session, store, level) -> int:
    statements = []

    def count(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("SELECT"):
            statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        rows = scorecard(session, month="2026-10", now=NOW, store=store, level=level)
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert rows
    aggregates = [s for s in statements if "GROUP BY" in s.upper()]
    assert len(aggregates) == 1  # the one aggregate query does the counting
    return len(statements)


@pytest.mark.parametrize("level", ["commitment", "department"])
def test_scorecard_is_one_aggregate_query_whatever_the_number_of_rows(
    session, store, people, level
):
    _make(session, store, people, 10)
    session.expire_all()
    with_ten = _selects(session, store, level)
    _make(session, store, people, 190)
    session.expire_all()
    with_two_hundred = _selects(session, store, level)
    assert with_ten == with_two_hundred


def test_the_list_behind_a_month_holds_its_first_and_last_hours_in_any_zone(session, store, people):
    """The list also bounds due times to the month +- a day in UTC (for the planner); a store
    14 hours ahead of UTC or 5 behind still sees its month's first and last deliverables."""
    m = Month(session, store, people)
    first = m.event("customer_payment", sh(2026, 10, 13, 10), "F")
    last = m.event("customer_payment", sh(2026, 10, 14, 10), "L")
    first.due_at = datetime(2026, 9, 30, 10, 0, tzinfo=ZoneInfo("UTC"))  # 1 Oct 00:00 at +14
    last.due_at = datetime(2026, 11, 1, 3, 59, tzinfo=ZoneInfo("UTC"))  # 31 Oct 23:59 at -04
    session.commit()
    listed = deliverables_behind(session, now=NOW, measure="due", month="2026-10", store=store)
    assert [d.id for d in listed] == [first.id, last.id]
