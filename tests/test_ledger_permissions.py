"""The ledger's rules, in one place (tracker/ledger/permissions.py), answer pages (may_*), and
the service and the command line (require_*, NotAllowed) alike."""

from datetime import timedelta

import pytest

from tests import factories
from tracker.errors import NotAllowed
from tracker.ledger import permissions
from tracker.ledger import service as ledger
from tracker.web import parse_id


@pytest.fixture
def slip(session, store, people, now):
    at = now - timedelta(hours=1)
    new = ledger.NewEvent(store=store, type="vehicle_delivered", occurred_at=at, reference="D-1")
    _, created = ledger.record_event(session, new, by=people["sales.clerk"], now=at)
    return next(d for d in created if d.commitment.code == "sales-2")


@pytest.fixture
def elsewhere(session, now):
    other = factories.create_store(session, now=now, code="BJ01")
    return factories.create_staff(session, other, now=now)


def test_who_may_see_submit_and_decide(session, people, elsewhere, slip):
    sales, finance, hr = people["sales.clerk"], people["finance.clerk"], people["hr.clerk"]
    # Its two departments see it; HR, an unrelated department, and another store do not.
    assert permissions.may_see_deliverable(sales, slip)
    assert permissions.may_see_deliverable(finance, slip)
    assert not permissions.may_see_deliverable(hr, slip)
    assert not permissions.may_see_deliverable(elsewhere["sales.clerk"], slip)
    assert permissions.may_see_deliverable(elsewhere["finance.lead"], slip)  # leads: every store
    assert [permissions.may_submit(p, slip) for p in (sales, finance, hr)] == [True, False, False]
    assert [permissions.may_decide(p, slip) for p in (sales, finance, hr)] == [False, True, False]
    assert not permissions.may_decide(elsewhere["finance.clerk"], slip)
    assert permissions.has_inbox(session, finance) and not permissions.has_inbox(session, sales)


def test_the_service_refuses_with_the_same_rules(people, elsewhere, slip, store):
    with pytest.raises(NotAllowed, match="cannot submit it"):
        permissions.require_submitter(people["finance.clerk"], slip)
    for action in ("accept", "return", "waive"):
        with pytest.raises(NotAllowed, match=f"cannot {action} it"):
            permissions.require_decider(people["sales.clerk"], slip, action)
    with pytest.raises(NotAllowed, match="cannot record events in SH01"):
        permissions.require_recorder(elsewhere["sales.clerk"], store)
    permissions.require_recorder(None, store)  # a script or a job names nobody


def test_an_administrator_records_events_in_any_store_a_clerk_only_in_their_own(store, elsewhere):
    assert permissions.may_record_event(elsewhere["finance.admin"], store)
    assert not permissions.may_record_event(elsewhere["finance.lead"], store)


@pytest.mark.parametrize(
    "value, expected", [("12", 12), (7, 7), ("", None), (None, None), ("-3", None), ("x1", None)]
)
def test_parse_id_reads_a_whole_number_or_nothing(value, expected):
    assert parse_id(value) == expected
