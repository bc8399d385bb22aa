"""The life of a deliverable: submitted, returned, accepted, waived; on time or late; who may
do what; the audit trail; versions of commitments; checklist points; recurring deliverables."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from tests import factories
from tracker.catalog import service as catalog
from tracker.errors import BadInput, NotAllowed
from tracker.ledger import permissions
from tracker.ledger import service as ledger
from tracker.ledger.models import AuditEntry, Deliverable, Submission, Waiver

SH = ZoneInfo("Asia/Shanghai")


def sh(*args) -> datetime:
    """A Shanghai wall-clock time, aware."""
    return datetime(*args, tzinfo=SH)


def end_of(day: datetime) -> datetime:
    return day.replace(hour=23, minute=59, second=59, microsecond=0)


def delivery(session, store, people, at=None, ref="D-100"):
    """A car delivered on Monday 12 Oct 2026 at 10:00: sales-7 is due Thursday 15 Oct 23:59:59."""
    at = at or sh(2026, 10, 12, 10, 0)
    _, created = ledger.record_event(
        session,
        ledger.NewEvent(store=store, type="vehicle_delivered", occurred_at=at, reference=ref),
        by=people["sales.clerk"],
        now=at,
    )
    return {d.commitment.code: d for d in created}


def files(ref="D-100"):
    return ledger.Evidence(reference=ref, file_path="stored.pdf", file_name="forms.pdf")


@pytest.fixture
def sales7(session, store, people):
    d = delivery(session, store, people)["sales-7"]
    assert d.due_at == sh(2026, 10, 15, 23, 59, 59)
    return d


def submit(session, d, person, at, reason=None, evidence=None):
    return ledger.submit(
        session, d, by=person, now=at, evidence=evidence or files(), late_reason=reason
    )


# --- open -> submitted -> accepted ---


def test_submitted_deliverable_is_accepted_on_time_first_pass(session, people, sales7):
    d = sales7
    assert d.status == "open" and d.state_version == 1
    submission = submit(session, d, people["sales.clerk"], sh(2026, 10, 13, 15, 0))
    assert (d.status, submission.seq, submission.outcome) == ("submitted", 1, "pending")
    assert d.last_submitted_at == sh(2026, 10, 13, 15, 0)
    ledger.accept(session, d, by=people["finance.clerk"], now=sh(2026, 10, 14, 9, 0))
    session.commit()
    assert d.status == "accepted"
    assert d.final_submitted_at == sh(2026, 10, 13, 15, 0)
    assert d.accepted_at == sh(2026, 10, 14, 9, 0)
    assert d.lateness_seconds == 0 and d.return_count == 0
    assert (
        submission.outcome == "accepted" and submission.decided_by_id == people["finance.clerk"].id
    )
    assert d.state_version == 3


def test_returned_deliverable_is_submitted_again_and_accepted_not_first_pass(
    session, people, sales7
):
    d = sales7
    first = submit(session, d, people["sales.clerk"], sh(2026, 10, 13, 9, 0))
    ledger.return_deliverable(
        session, d, by=people["finance.clerk"], now=sh(2026, 10, 13, 11, 0), reason="unsigned"
    )
    assert d.status == "returned" and d.return_count == 1
    assert (first.outcome, first.return_reason) == ("returned", "unsigned")
    second = submit(session, d, people["sales.clerk"], sh(2026, 10, 14, 9, 0))
    assert second.seq == 2 and d.status == "submitted"
    ledger.accept(session, d, by=people["finance.head"], now=sh(2026, 10, 14, 10, 0))
    session.commit()
    assert d.status == "accepted" and d.return_count == 1 and d.lateness_seconds == 0
    kept = session.scalars(select(Submission).where(Submission.deliverable_id == d.id)).all()
    assert [(s.seq, s.outcome) for s in kept] == [(1, "returned"), (2, "accepted")]


@pytest.mark.parametrize("reason", ["incomplete", "unsigned", "wrong_amount"])
def test_return_reason_from_the_list_needs_no_note(session, people, sales7, reason):
    submit(session, sales7, people["sales.clerk"], sh(2026, 10, 13, 9, 0))
    s = ledger.return_deliverable(
        session, sales7, by=people["finance.clerk"], now=sh(2026, 10, 13, 10, 0), reason=reason
    )
    assert s.return_reason == reason and s.return_note is None


def test_return_for_other_reason_needs_a_note(session, people, sales7):
    submit(session, sales7, people["sales.clerk"], sh(2026, 10, 13, 9, 0))
    with pytest.raises(BadInput, match="a note is required with the reason 'other'"):
        ledger.return_deliverable(
            session, sales7, by=people["finance.clerk"], now=sh(2026, 10, 13, 10), reason="other"
        )
    assert sales7.status == "submitted"
    s = ledger.return_deliverable(
        session,
        sales7,
        by=people["finance.clerk"],
        now=sh(2026, 10, 13, 10),
        reason="other",
        note="wrong customer name",
    )
    assert (s.return_reason, s.return_note) == ("other", "wrong customer name")


# --- waivers ---


def test_open_deliverable_is_waived_by_the_receiver_with_a_reason(session, people, sales7):
    waiver = ledger.waive(
        session, sales7, by=people["finance.head"], now=sh(2026, 10, 13, 9), reason="cancelled"
    )
    session.commit()
    assert sales7.status == "waived"
    assert (waiver.reason, waiver.waived_by_id) == ("cancelled", people["finance.head"].id)
    assert waiver.waived_at == sh(2026, 10, 13, 9)


@pytest.mark.parametrize("reason", ["", "   ", None])
def test_waiver_without_a_reason_is_refused(session, people, sales7, reason):
    with pytest.raises(BadInput, match="a waiver needs a reason"):
        ledger.waive(
            session, sales7, by=people["finance.head"], now=sh(2026, 10, 13), reason=reason
        )
    assert sales7.status == "open"
    assert session.scalar(select(func.count()).select_from(Waiver)) == 0


def test_provider_cannot_waive_its_own_deliverable(session, people, sales7):
    with pytest.raises(NotAllowed, match="not in the receiving department and cannot waive"):
        ledger.waive(session, sales7, by=people["sales.head"], now=sh(2026, 10, 13), reason="x")
    assert sales7.status == "open"


def test_submitted_deliverable_cannot_be_waived(session, people, sales7):
    submit(session, sales7, people["sales.clerk"], sh(2026, 10, 13, 9))
    with pytest.raises(BadInput, match="only an open or returned deliverable can be waived"):
        ledger.waive(session, sales7, by=people["finance.head"], now=sh(2026, 10, 13), reason="x")


# --- on time and lateness ---


def test_first_submission_on_time_then_returned_and_resubmitted_late_counts_late(
    session, people, sales7
):
    d = sales7
    submit(session, d, people["sales.clerk"], sh(2026, 10, 15, 9, 0))
    ledger.return_deliverable(
        session, d, by=people["finance.clerk"], now=sh(2026, 10, 15, 16, 0), reason="incomplete"
    )
    resubmitted = sh(2026, 10, 17, 2, 0)  # 26 h 0 min 1 s after 15 Oct 23:59:59
    with pytest.raises(BadInput, match="past the due time: say why it is late"):
        submit(session, d, people["sales.clerk"], resubmitted)
    submit(session, d, people["sales.clerk"], resubmitted, reason="customer away")
    ledger.accept(session, d, by=people["finance.clerk"], now=sh(2026, 10, 17, 9, 0))
    session.commit()
    assert d.final_submitted_at == resubmitted
    assert d.lateness_seconds == 26 * 3600 + 1
    assert d.final_submitted_at > d.due_at  # late, though the first hand-in was on time


def test_lateness_is_measured_to_the_accepted_submission_not_the_acceptance(
    session, people, sales7
):
    d = sales7
    submit(session, d, people["sales.clerk"], sh(2026, 10, 16, 1, 59, 59), reason="busy")
    ledger.accept(session, d, by=people["finance.clerk"], now=sh(2026, 10, 20, 9, 0))
    assert d.lateness_seconds == 2 * 3600


def test_submission_at_23_59_59_point_7_counts_on_time(session, people, sales7):
    d = sales7
    s = submit(session, d, people["sales.clerk"], sh(2026, 10, 15, 23, 59, 59, 700000))
    assert s.submitted_at == sh(2026, 10, 15, 23, 59, 59)  # the server's time, to the second
    assert s.late_reason is None
    ledger.accept(session, d, by=people["finance.clerk"], now=sh(2026, 10, 16, 9))
    session.commit()
    session.expire_all()
    assert d.final_submitted_at == d.due_at and d.lateness_seconds == 0


def test_submission_one_second_after_due_is_late_and_needs_a_reason(session, people, sales7):
    with pytest.raises(BadInput, match="say why it is late"):
        submit(session, sales7, people["sales.clerk"], sh(2026, 10, 16, 0, 0, 0))
    s = submit(session, sales7, people["sales.clerk"], sh(2026, 10, 16), reason="  system down ")
    assert s.late_reason == "system down"


# --- evidence ---


@pytest.mark.parametrize(
    "code, event, evidence, missing",
    [
        ("sales-7", "vehicle_delivered", {"reference": "D-1"}, "file"),
        ("sales-7", "vehicle_delivered", {"file_path": "f.pdf"}, "reference"),
        ("sales-1", "customer_payment", {"reference": "P-1"}, "amount"),
        ("sales-1", "customer_payment", {}, "reference, amount"),
        ("sales-1", "customer_payment", {"reference": "  ", "amount": "100"}, "reference"),
    ],
)
def test_required_evidence_is_enforced(session, store, people, code, event, evidence, missing):
    _, created = ledger.record_event(
        session,
        ledger.NewEvent(store=store, type=event, occurred_at=sh(2026, 10, 12, 10), reference="R-1"),
        by=people["sales.clerk"],
        now=sh(2026, 10, 12, 10),
    )
    d = next(d for d in created if d.commitment.code == code)
    with pytest.raises(BadInput, match=f"this deliverable needs evidence: {missing}$"):
        ledger.submit(
            session,
            d,
            by=people["sales.clerk"],
            now=sh(2026, 10, 12, 11),
            evidence=ledger.Evidence(**evidence),
        )
    assert d.status == "open"
    assert session.scalar(select(func.count()).select_from(Submission)) == 0


def test_evidence_complete_is_kept_with_the_submission(session, store, people):
    _, (d,) = ledger.record_event(
        session,
        ledger.NewEvent(
            store=store, type="customer_payment", occurred_at=sh(2026, 10, 12, 10), reference="P-7"
        ),
        by=people["sales.clerk"],
        now=sh(2026, 10, 12, 10),
    )
    s = ledger.submit(
        session,
        d,
        by=people["sales.clerk"],
        now=sh(2026, 10, 12, 11),
        evidence=ledger.Evidence(reference=" P-7 ", amount="1234.50", note="slip"),
    )
    session.commit()
    assert (s.reference, str(s.amount), s.note) == ("P-7", "1234.50", "slip")


def test_request_needing_a_note_is_refused_without_one(session, store, people):
    d = ledger.raise_request(
        session,
        store=store,
        commitment=catalog.get_commitment(session, "loans-6"),
        by=people["finance.clerk"],
        now=sh(2026, 10, 12, 10),
        note="which bank?",
    )
    with pytest.raises(BadInput, match="needs evidence: note"):
        ledger.submit(
            session,
            d,
            by=people["loans.clerk"],
            now=sh(2026, 10, 12, 11),
            evidence=ledger.Evidence(),
        )
    ledger.submit(
        session,
        d,
        by=people["loans.clerk"],
        now=sh(2026, 10, 12, 11),
        evidence=ledger.Evidence(note="ICBC"),
    )
    assert d.status == "submitted"


# --- who may ---


@pytest.fixture
def other_store(session, now):
    store = factories.create_store(session, now=now, code="BJ02", name="Beijing")
    staff = factories.create_staff(session, store, now=now)
    session.commit()
    return staff


def test_sales_clerk_cannot_accept(session, people, sales7):
    submit(session, sales7, people["sales.clerk"], sh(2026, 10, 13))
    for who in ("sales.clerk", "sales.head", "service.head"):
        with pytest.raises(NotAllowed, match="not in the receiving department and cannot accept"):
            ledger.accept(session, sales7, by=people[who], now=sh(2026, 10, 13, 1))
        with pytest.raises(NotAllowed, match="cannot return"):
            ledger.return_deliverable(
                session, sales7, by=people[who], now=sh(2026, 10, 13, 1), reason="unsigned"
            )
    assert sales7.status == "submitted"


def test_finance_clerk_of_another_store_cannot_accept(session, people, sales7, other_store):
    submit(session, sales7, people["sales.clerk"], sh(2026, 10, 13))
    with pytest.raises(NotAllowed, match=r"finance\.clerk@bj02\.test is not in the receiving"):
        ledger.accept(session, sales7, by=other_store["finance.clerk"], now=sh(2026, 10, 13, 1))
    assert sales7.status == "submitted"


def test_provider_of_another_store_cannot_submit(session, people, sales7, other_store):
    with pytest.raises(NotAllowed, match=r"sales\.clerk@bj02\.test is not in the providing"):
        submit(session, sales7, other_store["sales.clerk"], sh(2026, 10, 13))
    with pytest.raises(NotAllowed, match="cannot submit"):
        submit(session, sales7, people["finance.clerk"], sh(2026, 10, 13))
    assert sales7.status == "open"
    assert permissions.may_submit(people["sales.head"], sales7)
    assert not permissions.may_submit(other_store["sales.clerk"], sales7)


def test_recording_an_event_for_another_store_is_refused_and_writes_nothing(
    session, store, people, other_store
):
    at = sh(2026, 10, 12, 10, 0)
    with pytest.raises(NotAllowed, match=r"sales\.clerk@bj02\.test works in another store"):
        ledger.record_event(
            session,
            ledger.NewEvent(
                store=store,
                type="vehicle_delivered",
                occurred_at=at,
                reference="D-BJ",
            ),
            by=other_store["sales.clerk"],
            now=at,
        )
    session.rollback()
    assert session.scalar(select(func.count()).select_from(Deliverable)) == 0
    _, made = ledger.record_event(  # the store's own clerk may
        session,
        ledger.NewEvent(store=store, type="vehicle_delivered", occurred_at=at, reference="D-SH"),
        by=people["sales.clerk"],
        now=at,
    )
    assert made


def test_inactive_person_can_neither_submit_nor_decide(session, people, sales7):
    people["sales.clerk"].active = False
    with pytest.raises(NotAllowed):
        submit(session, sales7, people["sales.clerk"], sh(2026, 10, 13))
    submit(session, sales7, people["sales.head"], sh(2026, 10, 13))
    people["finance.clerk"].active = False
    with pytest.raises(NotAllowed):
        ledger.accept(session, sales7, by=people["finance.clerk"], now=sh(2026, 10, 13, 1))


# --- the audit trail ---


def test_audit_trail_records_every_change_with_who_what_and_when(session, people, sales7):
    d = sales7
    submit(session, d, people["sales.clerk"], sh(2026, 10, 13, 9, 0, 0, 400000))
    ledger.return_deliverable(
        session,
        d,
        by=people["finance.clerk"],
        now=sh(2026, 10, 13, 10),
        reason="other",
        note="blurred scan",
    )
    submit(session, d, people["sales.head"], sh(2026, 10, 14, 9))
    ledger.accept(session, d, by=people["finance.head"], now=sh(2026, 10, 14, 10))
    session.commit()
    trail = session.scalars(
        select(AuditEntry)
        .where(AuditEntry.entity == "deliverable", AuditEntry.entity_id == d.id)
        .order_by(AuditEntry.id)
    ).all()
    assert [(a.action, a.from_status, a.to_status, a.actor_id, a.at) for a in trail] == [
        ("created", None, "open", people["sales.clerk"].id, sh(2026, 10, 12, 10)),
        ("submitted", "open", "submitted", people["sales.clerk"].id, sh(2026, 10, 13, 9)),
        ("returned", "submitted", "returned", people["finance.clerk"].id, sh(2026, 10, 13, 10)),
        ("submitted", "returned", "submitted", people["sales.head"].id, sh(2026, 10, 14, 9)),
        ("accepted", "submitted", "accepted", people["finance.head"].id, sh(2026, 10, 14, 10)),
    ]
    assert trail[2].detail == {"submission": 1, "reason": "other", "note": "blurred scan"}
    assert trail[4].detail == {"submission": 2, "lateness_seconds": 0}
    assert all(a.store_id == d.store_id for a in trail)


def test_audit_trail_records_waivers_and_late_reasons(session, people, store):
    codes = delivery(session, store, people)
    ledger.waive(
        session, codes["sales-2"], by=people["finance.clerk"], now=sh(2026, 10, 13), reason="n/a"
    )
    submit(session, codes["sales-7"], people["sales.clerk"], sh(2026, 10, 16, 8), reason="flu")
    rows = session.execute(
        select(AuditEntry.entity_id, AuditEntry.action, AuditEntry.detail).where(
            AuditEntry.action != "created"
        )
    ).all()
    assert sorted(rows, key=lambda r: r.action) == [
        (codes["sales-7"].id, "submitted", {"submission": 1, "late": True, "late_reason": "flu"}),
        (codes["sales-2"].id, "waived", {"reason": "n/a"}),
    ]


# --- versions of commitments ---


def test_editing_a_commitment_leaves_existing_deliverables_alone(session, store, people, now):
    old = delivery(session, store, people, ref="D-OLD")["sales-7"]
    old_version, old_due = old.version_id, old.due_at
    commitment = catalog.get_commitment(session, "sales-7")
    version = catalog.edit_commitment(
        session, commitment, {"offset_days": 5, "title_en": "Accessories slip, 5 days"}, now, None
    )
    session.commit()
    session.expire_all()
    assert version.number == 2 and commitment.current_version_id == version.id
    assert old.version_id == old_version and old.version.number == 1
    assert old.due_at == old_due == sh(2026, 10, 15, 23, 59, 59)
    new = delivery(session, store, people, ref="D-NEW")["sales-7"]
    assert new.version_id == version.id
    assert new.due_at == sh(2026, 10, 19, 23, 59, 59)  # 5th working day after Mon 12 Oct


def test_retired_commitment_creates_no_more_deliverables(session, store, people, now):
    catalog.retire_commitment(session, catalog.get_commitment(session, "sales-7"), now)
    catalog.retire_commitment(session, catalog.get_commitment(session, "loans-8"), now)
    assert set(delivery(session, store, people)) == {"sales-2"}
    created = ledger.ensure_recurring(session, now=sh(2026, 9, 20))
    assert "loans-8" not in {d.commitment.code for d in created}
    assert {"loans-9", "insurance-6", "sales-8"} <= {d.commitment.code for d in created}


# --- checklist points ---


def test_deal_settlement_presents_its_checklist_points_at_recording(session, store, people):
    at = sh(2026, 10, 13, 15, 30)
    _, created = ledger.record_event(
        session,
        ledger.NewEvent(store=store, type="deal_settlement", occurred_at=at, reference="S-9"),
        by=people["sales.clerk"],
        now=at,
    )
    session.commit()
    assert sorted(d.commitment.code for d in created) == ["sales-3", "sales-4"]
    for d in created:
        assert d.status == "submitted" and d.last_submitted_at == at
        assert d.due_at == sh(2026, 10, 13, 23, 59, 59)
        (s,) = d.submissions
        assert s.submitted_by_id == people["sales.clerk"].id and s.reference == "S-9"
    three, four = sorted(created, key=lambda d: d.commitment.code)
    ledger.accept(session, three, by=people["finance.clerk"], now=at + timedelta(hours=1))
    ledger.return_deliverable(
        session, four, by=people["finance.clerk"], now=at + timedelta(hours=1), reason="incomplete"
    )
    assert (three.status, three.lateness_seconds, four.status) == ("accepted", 0, "returned")
    submit(
        session, four, people["sales.clerk"], at + timedelta(hours=2), evidence=ledger.Evidence()
    )
    ledger.accept(session, four, by=people["finance.clerk"], now=at + timedelta(hours=3))
    assert (four.status, four.return_count) == ("accepted", 1)


def test_checklist_point_refuses_acceptance_with_an_unticked_point(session, store, people):
    at = sh(2026, 10, 13, 15, 30)
    _, created = ledger.record_event(
        session,
        ledger.NewEvent(store=store, type="deal_settlement", occurred_at=at, reference="S-1"),
        by=None,
        now=at,
    )
    with pytest.raises(BadInput, match="every checklist point must be ticked"):
        ledger.accept(session, created[0], by=people["finance.clerk"], now=at, checklist=[False])


@pytest.mark.parametrize(
    "local_time, has_sales_6",
    [((16, 59, 59), False), ((17, 0, 0), True), ((20, 30, 0), True), ((9, 0, 0), False)],
)
def test_sales_6_only_for_a_delivery_at_or_after_17_local(
    session, store, people, local_time, has_sales_6
):
    at = sh(2026, 10, 12, *local_time)
    codes = delivery(session, store, people, at=at)
    assert ("sales-6" in codes) is has_sales_6
    if has_sales_6:
        d = codes["sales-6"]
        assert d.status == "submitted" and d.due_at == sh(2026, 10, 12, 23, 59, 59)
        ledger.accept(session, d, by=people["finance.clerk"], now=at + timedelta(minutes=5))
        assert d.status == "accepted"


# --- recurring deliverables ---


def test_ensure_recurring_creates_the_monthly_items_with_their_periods(session, store):
    created = ledger.ensure_recurring(session, now=sh(2026, 9, 20, 8))
    session.commit()
    got = sorted((d.commitment.code, d.period, d.due_at, d.due_month) for d in created)
    # 5 Oct and 1 Oct fall in Golden Week (1-7 Oct 2026): both move to Thursday 8 Oct.
    assert got == [
        ("insurance-6", "2026-09", sh(2026, 10, 8, 23, 59, 59), "2026-10"),
        ("loans-8", "2026-09", sh(2026, 10, 8, 23, 59, 59), "2026-10"),
        ("loans-9", "2026-09", sh(2026, 10, 8, 23, 59, 59), "2026-10"),
        ("sales-8", "2026-09", sh(2026, 10, 8, 12, 0), "2026-10"),
    ]
    assert all(d.status == "open" and d.store_id == store.id for d in created)


def test_ensure_recurring_twice_creates_nothing_the_second_time(session, store):
    first = ledger.ensure_recurring(session, now=sh(2026, 10, 20, 8), until=sh(2026, 12, 31))
    session.commit()
    again = ledger.ensure_recurring(session, now=sh(2026, 10, 20, 8), until=sh(2026, 12, 31))
    later = ledger.ensure_recurring(session, now=sh(2026, 11, 3, 8), until=sh(2026, 12, 31))
    session.commit()
    assert again == [] and later == []
    got = sorted((d.commitment.code, d.period, d.due_at) for d in first)
    assert got == [
        ("insurance-6", "2026-10", sh(2026, 11, 5, 23, 59, 59)),
        ("insurance-6", "2026-11", sh(2026, 12, 7, 23, 59, 59)),  # Sat 5 Dec -> Mon 7 Dec
        ("loans-8", "2026-10", sh(2026, 11, 5, 23, 59, 59)),
        ("loans-8", "2026-11", sh(2026, 12, 7, 23, 59, 59)),
        ("loans-9", "2026-10", sh(2026, 11, 5, 23, 59, 59)),
        ("loans-9", "2026-11", sh(2026, 12, 7, 23, 59, 59)),
        ("sales-8", "2026-10", sh(2026, 11, 2, 12, 0)),  # Sun 1 Nov -> Mon 2 Nov
        ("sales-8", "2026-11", sh(2026, 12, 1, 12, 0)),
    ]
    assert session.scalar(select(func.count()).select_from(Deliverable)) == 8
