"""Month-end rules on the administrator's commitment page (issue 11): the preview shows the
working days they give before anything is saved, saving keeps them, bad values are explained
beside their field, and the recurring deliverables follow them. Relative to the suite's `now`
(whatever day CI moves it to): each due day is checked against the store's working calendar."""

import re
from datetime import date, datetime, timedelta

import pytest

from tests.test_admin_pages import count, errors_beside, post_form
from tracker.calendar.service import store_calendar
from tracker.catalog.models import CommitmentVersion
from tracker.catalog.service import create_commitment, get_commitment
from tracker.ledger import service as ledger
from tracker.org.service import get_department, get_store

ADMIN = "finance.admin@sh01.test"


@pytest.fixture
def admin(client, auth, people):
    auth.login(ADMIN)
    return client


def _preview(html: str) -> list[date]:
    found = re.findall(r'class="preview-due" data-due="([^"]+)"', html)
    return [datetime.fromisoformat(d).date() for d in found]


def _working_days_of_month(calendar, day: date, before: bool) -> int:
    """How many working days of `day`'s month come before it (or after it)."""
    step = timedelta(days=-1 if before else 1)
    n, current = 0, day + step
    while current.month == day.month:
        n += calendar.is_working_day(current)
        current += step
    return n


@pytest.mark.parametrize(
    ("day", "before", "after"),
    [("3", 2, None), ("1", 0, None), ("-1", None, 0), ("-3", None, 2)],
    ids=["3rd working day", "1st working day", "last working day", "2 before the last"],
)
def test_the_preview_shows_a_month_end_rule_before_it_is_saved(
    admin, session, now, day, before, after
):
    response = post_form(
        admin,
        "/admin/commitments/loans-8",
        "commitment-form",
        frequency="monthly",
        recurring_day_type="working",
        day=day,
        preview="y",
    )
    assert response.status_code == 200
    dues = _preview(response.get_data(as_text=True))
    calendar = store_calendar(session, get_store(session, "SH01"))
    assert len(dues) == 5 and len({(d.year, d.month) for d in dues}) == 5
    assert dues == sorted(dues)
    for due in dues:
        assert calendar.is_working_day(due)
        if before is not None:
            assert _working_days_of_month(calendar, due, before=True) == before
        else:
            assert _working_days_of_month(calendar, due, before=False) == after
    assert get_commitment(session, "loans-8").current.number == 1


def test_a_saved_month_end_rule_is_kept_and_described(admin, session, people):
    response = post_form(
        admin,
        "/admin/commitments/loans-8",
        "commitment-form",
        frequency="monthly",
        recurring_day_type="working",
        day="-3",
        save="y",
    )
    assert response.status_code == 302
    session.expire_all()
    version = get_commitment(session, "loans-8").current
    assert (version.number, version.frequency, version.day_type, version.day) == (
        2,
        "monthly",
        "working",
        -3,
    )
    page = admin.get("/admin/commitments/loans-8").get_data(as_text=True)
    assert "3rd-last working day (2 working days before the last)" in page
    assert re.search(r'<option selected value="working">|value="working" selected', page)
    people["finance.admin"].language = "zh"
    session.commit()
    listing = admin.get("/admin/commitments").get_data(as_text=True)
    assert "每月倒数第3个工作日（最后一个工作日前2个工作日）" in listing


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"day": "0"}, "day"),
        ({"day": "24"}, "day"),
        ({"day": "-24"}, "day"),
        ({"day": ""}, "day"),
        ({"frequency": "weekly", "day": "2"}, "recurring_day_type"),
        ({"frequency": "daily", "day": ""}, "recurring_day_type"),
    ],
)
def test_a_bad_month_end_rule_is_explained_beside_its_field_and_nothing_is_saved(
    admin, session, changes, field
):
    before = count(CommitmentVersion)
    fields = {"frequency": "monthly", "recurring_day_type": "working"} | changes
    for button in ("save", "preview"):
        response = post_form(
            admin, "/admin/commitments/loans-8", "commitment-form", **fields, **{button: "y"}
        )
        assert response.status_code == 200
        assert errors_beside(response.get_data(as_text=True), field)
    assert count(CommitmentVersion) == before


def test_recurring_deliverables_follow_a_month_end_rule(session, store, now):
    commitment = create_commitment(
        session,
        code="finance-close",
        provider=get_department(session, "sales"),
        receiver=get_department(session, "finance"),
        kind="recurring",
        event_type=None,
        fields={
            "title_zh": "月末对账",
            "title_en": "Month-end reconciliation",
            "frequency": "monthly",
            "day": -1,
            "day_type": "working",
        },
        now=now,
    )
    made = ledger.ensure_recurring(session, now=now, until=now + timedelta(days=70), stores=[store])
    ours = sorted((d for d in made if d.commitment_id == commitment.id), key=lambda d: d.due_at)
    calendar = store_calendar(session, store)
    assert len(ours) >= 2
    for deliverable in ours:
        day = deliverable.due_at.astimezone(store.zone).date()
        assert calendar.is_working_day(day)
        assert _working_days_of_month(calendar, day, before=False) == 0
        assert deliverable.occurrence_date == day.replace(day=1)
        assert deliverable.period == f"{day:%Y-%m}"
    again = ledger.ensure_recurring(
        session, now=now, until=now + timedelta(days=70), stores=[store]
    )
    assert [d for d in again if d.commitment_id == commitment.id] == []
