"""Internal complaints, the rules: first-contact ownership when two people open one at once,
the answer time by severity across a weekend and National Day 2026 (and the store's own
calendar), reopening with a new time limit, who may do what, the audit trail, the counts."""

import threading
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from tests import factories
from tracker.calendar.service import set_override
from tracker.complaints import service
from tracker.complaints.models import Complaint
from tracker.errors import BadInput, NotAllowed
from tracker.extensions import db
from tracker.ledger.models import AuditEntry


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def local(instant: datetime) -> str:
    return instant.astimezone(ZoneInfo("Asia/Shanghai")).isoformat(timespec="minutes")


def file(session, people, now, severity="normal", by="finance.clerk", department="sales"):
    c = service.file(session, by=people[by], department=department, what="the papers came late",
                     severity=severity, now=now)  # fmt: skip
    session.commit()
    return c


# --- the answer time ---

WEDNESDAY_BEFORE_NATIONAL_DAY = "2026-09-30T15:00+08:00"


@pytest.mark.parametrize(
    ("filed", "severity", "answer_by"),
    [
        # 3 working hours left on Wednesday; 1 Oct - 7 Oct are National Day; Thursday 8 Oct works.
        (WEDNESDAY_BEFORE_NATIONAL_DAY, "urgent", "2026-10-08T10:00+08:00"),
        (WEDNESDAY_BEFORE_NATIONAL_DAY, "high", "2026-10-08T15:00+08:00"),
        (WEDNESDAY_BEFORE_NATIONAL_DAY, "normal", "2026-10-09T15:00+08:00"),
        # ... and Saturday 10 Oct is a working day (swapped), Sunday 11 Oct is not.
        (WEDNESDAY_BEFORE_NATIONAL_DAY, "low", "2026-10-13T15:00+08:00"),
        # Filed after hours: the limit counts from the next working morning.
        ("2026-09-30T20:00+08:00", "high", "2026-10-08T18:00+08:00"),
        # An ordinary weekend: Friday 17:00, 1 hour on Friday and 3 on Monday.
        ("2026-10-16T17:00+08:00", "urgent", "2026-10-19T12:00+08:00"),
        ("2026-10-16T17:00+08:00", "high", "2026-10-19T17:00+08:00"),
        # Mid-Autumn Festival (Friday 25 Sep 2026) and the weekend after it.
        ("2026-09-24T17:00+08:00", "high", "2026-09-28T17:00+08:00"),
    ],
)
def test_answer_time_counts_working_time_across_weekends_and_holidays(
    session, people, filed, severity, answer_by
):
    c = file(session, people, at(filed), severity)
    assert local(c.due_at) == answer_by


def test_answer_time_follows_the_stores_own_calendar(session, store, people):
    set_override(session, store, date(2026, 10, 8), False, "stocktaking")
    session.commit()
    c = file(session, people, at(WEDNESDAY_BEFORE_NATIONAL_DAY), "high")
    assert local(c.due_at) == "2026-10-09T15:00+08:00"


def test_reopening_starts_a_new_time_limit_in_working_time(session, people):
    c = file(session, people, at("2026-09-22T10:00+08:00"), "high")
    service.open_(session, c.id, by=people["sales.clerk"], now=at("2026-09-22T11:00+08:00"))
    service.answer(
        session, c.id, by=people["sales.clerk"], text="sorry", now=at("2026-09-22T12:00+08:00")
    )
    service.reopen(session, c.id, by=people["finance.clerk"], note="still missing",
                   now=at("2026-09-24T17:00+08:00"))  # fmt: skip
    session.commit()
    assert (c.status, c.round, c.owner_id) == ("open", 2, people["sales.clerk"].id)
    assert local(c.due_at) == "2026-09-28T17:00+08:00"  # Friday a holiday, then the weekend


# --- first-contact responsibility ---


def _open_in_thread(app, complaint_id, person_id, now, results, name, before=None, after=None):
    def run():
        with app.app_context():
            try:
                person = db.session.get(
                    type(db.session.get(Complaint, complaint_id).filed_by), person_id
                )
                if before is not None:
                    before()
                c, took = service.open_(db.session, complaint_id, by=person, now=now)
                if after is not None:
                    after()
                results[name] = (took, c.owner_id)
                db.session.commit()
            except Exception as exc:  # reported to the test, not lost in the thread
                results[name] = exc
            finally:
                db.session.remove()

    return threading.Thread(target=run)


def test_two_people_opening_at_once_leave_exactly_one_owner(app, session, people, now):
    c = file(session, people, now)
    clerk, head = people["sales.clerk"], people["sales.head"]
    start = threading.Barrier(2)
    results = {}
    threads = [
        _open_in_thread(app, c.id, p.id, now, results, p.email, before=start.wait)
        for p in (clerk, head)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    took = {email: r[0] for email, r in results.items()}
    owners = {r[1] for r in results.values()}
    assert sorted(took.values()) == [False, True]
    session.expire_all()
    owner = session.get(Complaint, c.id).owner_id
    assert owners == {owner} and owner in (clerk.id, head.id)
    assert session.query(AuditEntry).filter_by(entity="complaint", action="opened").count() == 1


def test_opening_while_another_has_not_committed_yet_tells_who_owns_it(app, session, people, now):
    """The second reads no owner (the first has not committed), and its UPDATE, waiting for
    the first's, then changes nothing: the conditional UPDATE, not the read, decides."""
    c = file(session, people, now)
    clerk, head = people["sales.clerk"], people["sales.head"]
    first_took, release = threading.Event(), threading.Event()
    results = {}
    first = _open_in_thread(app, c.id, clerk.id, now, results, "first",
                            after=lambda: (first_took.set(), release.wait(30)))  # fmt: skip
    second = _open_in_thread(app, c.id, head.id, now, results, "second", before=first_took.wait)
    first.start()
    second.start()
    first_took.wait(30)
    second.join(0.5)  # the second is waiting on the first's row
    release.set()
    first.join(30)
    second.join(30)
    assert results == {"first": (True, clerk.id), "second": (False, clerk.id)}
    # Told who owns it: opening again says so and changes nothing.
    again, took = service.open_(session, c.id, by=head, now=now)
    assert (took, again.owner_id, again.status) == (False, clerk.id, "open")


def test_the_owner_stays_until_resolved_and_the_head_may_hand_it_over(session, people, now):
    c = file(session, people, now)
    clerk, head = people["sales.clerk"], people["sales.head"]
    service.open_(session, c.id, by=clerk, now=now)
    assert service.open_(session, c.id, by=head, now=now)[0].owner_id == clerk.id
    with pytest.raises(NotAllowed):
        service.reassign(session, c.id, by=clerk, to=head, now=now)
    service.reassign(session, c.id, by=head, to=head, now=now)
    assert c.owner_id == head.id


# --- who may do what ---


@pytest.fixture
def other_store(session, store, now):
    bj = factories.create_store(session, now=now, code="BJ01", name="Beijing")
    people = {
        f"{d}.{r}": factories.create_person(session, bj, d, r, now=now)
        for d in ("sales", "finance")
        for r in ("clerk", "head")
    }
    session.commit()
    return people


def test_another_stores_people_cannot_open_or_answer(session, people, other_store, now):
    c = file(session, people, now)
    with pytest.raises(NotAllowed):
        service.open_(session, c.id, by=other_store["sales.clerk"], now=now)
    service.open_(session, c.id, by=people["sales.clerk"], now=now)
    for person in (other_store["sales.clerk"], other_store["sales.head"], people["hr.clerk"]):
        with pytest.raises(NotAllowed):
            service.answer(session, c.id, by=person, text="no", now=now)
    assert c.status == "open" and c.answer is None


def test_only_the_department_opens_and_only_the_complainant_closes(session, people, now):
    c = file(session, people, now)
    for person in ("finance.clerk", "hr.head", "finance.lead"):
        with pytest.raises(NotAllowed):
            service.open_(session, c.id, by=people[person], now=now)
    service.open_(session, c.id, by=people["sales.clerk"], now=now)
    service.answer(session, c.id, by=people["sales.clerk"], text="done", now=now)
    for person in ("sales.clerk", "sales.head", "finance.head"):
        with pytest.raises(NotAllowed):
            service.close(session, c.id, by=people[person], now=now)
    service.close(session, c.id, by=people["finance.clerk"], now=now)
    assert c.status == "closed"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"severity": "whenever"}, "severity must be one of"),
        ({"department": "nowhere"}, "no department"),
        ({"department": "finance"}, "another department than your own"),
        ({"what": "   "}, "say what happened"),
        ({"what": "x" * 4001}, "too long"),
        ({"deliverable_id": 999999}, "is not one of this department's"),
    ],
)
def test_bad_filings_are_refused_and_write_nothing(session, people, now, change, message):
    args = dict(by=people["finance.clerk"], department="sales", what="late", severity="high")
    with pytest.raises(BadInput, match=message):
        service.file(session, now=now, **(args | change))
    session.rollback()
    assert session.query(Complaint).count() == 0


# --- the audit trail and the counts ---


def test_every_step_is_audited_with_who_and_the_statuses(session, people):
    c = file(session, people, at("2026-10-12T10:00+08:00"), "urgent")
    clerk, complainant = people["sales.clerk"], people["finance.clerk"]
    service.open_(session, c.id, by=clerk, now=at("2026-10-12T10:30+08:00"))
    service.answer(session, c.id, by=clerk, text="fixed", now=at("2026-10-12T16:00+08:00"))
    service.reopen(session, c.id, by=complainant, note="not yet", now=at("2026-10-13T09:00+08:00"))
    service.answer(session, c.id, by=clerk, text="now", now=at("2026-10-13T10:00+08:00"))
    service.close(session, c.id, by=complainant, now=at("2026-10-13T11:00+08:00"))
    session.commit()
    rows = (
        session.query(AuditEntry)
        .filter_by(entity="complaint", entity_id=c.id)
        .order_by(AuditEntry.id)
    )
    assert [(e.action, e.actor_id, e.from_status, e.to_status) for e in rows] == [
        ("filed", complainant.id, None, "new"),
        ("opened", clerk.id, "new", "open"),
        ("answered", clerk.id, "open", "answered"),
        ("reopened", complainant.id, "answered", "open"),
        ("answered", clerk.id, "open", "answered"),
        ("closed", complainant.id, "answered", "closed"),
    ]
    answers = [e.detail for e in rows if e.action == "answered"]
    assert answers == [{"in_time": False, "round": 1}, {"in_time": True, "round": 2}]
    assert c.answered_in_time is False  # the first answer came after its 4 working hours


def test_counts_per_department_store_and_month_with_the_share_in_time(session, people):
    october = at("2026-10-12T10:00+08:00")
    in_time, late, waiting = (file(session, people, october, "high") for _ in range(3))
    file(session, people, october, "high", by="sales.clerk", department="insurance")
    file(session, people, at("2026-11-02T10:00+08:00"), "high")
    clerk = people["sales.clerk"]
    for c, answered in ((in_time, "2026-10-12T12:00+08:00"), (late, "2026-10-14T12:00+08:00")):
        service.open_(session, c.id, by=clerk, now=october)
        service.answer(session, c.id, by=clerk, text="ok", now=at(answered))
    session.commit()
    found = service.counts(session, month="2026-10")
    assert dict(found) == {("SH01", "sales"): (3, 1), ("SH01", "insurance"): (1, 0)}
    assert service.late(late, october) and service.late(waiting, at("2026-10-14T09:00+08:00"))
