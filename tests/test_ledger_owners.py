"""Owners: every deliverable has one. A triggered one belongs to the clerk who recorded its
event (in the providing department), a recurring or requested one to the default owner the head
set for the commitment in the store; a clerk takes an item over, the head reassigns it; all of
it audited; /mine filters by owner; the head sees each owner's share of the month."""

import re
from datetime import timedelta

from sqlalchemy import select

from tests import factories
from tests.pages import OVERDUE, deliver, token
from tracker.catalog.service import get_commitment
from tracker.errors import BadInput, NotAllowed
from tracker.ledger import owners
from tracker.ledger import service as ledger
from tracker.ledger.models import AuditEntry, Deliverable


def test_an_event_recorded_by_a_providing_clerk_is_theirs(session, store, people, now):
    made = deliver(session, store, people["sales.clerk"], ago=OVERDUE)
    assert {d.owner_id for d in made.values()} == {people["sales.clerk"].id}


def test_an_event_recorded_outside_the_providing_department_goes_to_the_default_or_nobody(
    session, store, people, now
):
    made = deliver(session, store, people["finance.clerk"], ago=OVERDUE)
    assert {d.owner_id for d in made.values()} == {None}
    _, created = ledger.record_event(
        session,
        ledger.NewEvent(store=store, type="loan_disbursed", occurred_at=now, reference="L-9"),
        by=None,  # a script
        now=now,
    )
    assert created and all(d.owner_id is None for d in created)


def test_recurring_and_requested_items_take_the_default_owner_the_head_set(
    session, store, people, now
):
    loans8, loans3 = get_commitment(session, "loans-8"), get_commitment(session, "loans-3")
    second = factories.create_person(
        session, store, "loans", "clerk", now=now, email="loans.two@sh01.test"
    )
    head = people["loans.head"]
    owners.set_default_owner(session, loans8, store, second, by=head, now=now)
    owners.set_default_owner(session, loans3, store, people["loans.clerk"], by=head, now=now)
    session.commit()
    created = ledger.ensure_recurring(session, now=now, stores=[store])
    assert {d.owner_id for d in created if d.commitment_id == loans8.id} == {second.id}
    assert {d.owner_id for d in created if d.commitment_id != loans8.id} == {None}
    requested = ledger.raise_request(
        session,
        store=store,
        commitment=loans3,
        by=people["finance.clerk"],
        now=now,
        note="the bank's letter",
    )
    assert requested.owner_id == people["loans.clerk"].id
    audit = session.scalars(select(AuditEntry).where(AuditEntry.action == "default_owner")).all()
    assert {(a.entity, a.entity_id, a.actor_id) for a in audit} == {
        ("commitment", loans8.id, head.id),
        ("commitment", loans3.id, head.id),
    }


def test_only_the_head_sets_default_owners_and_only_to_someone_of_the_department(
    session, store, people, now
):
    loans8 = get_commitment(session, "loans-8")
    for who in ("loans.clerk", "sales.head", "finance.head"):
        try:
            owners.set_default_owner(
                session, loans8, store, people["loans.clerk"], by=people[who], now=now
            )
            raise AssertionError(f"{who} set a default owner")
        except NotAllowed:
            pass
    try:
        owners.set_default_owner(
            session, loans8, store, people["sales.clerk"], by=people["loans.head"], now=now
        )
        raise AssertionError("a sales clerk became the owner of a loans item")
    except BadInput:
        pass
    assert (
        session.scalars(select(AuditEntry).where(AuditEntry.action == "default_owner")).all() == []
    )


def test_a_clerk_takes_an_item_over_and_the_head_reassigns_it_on_the_page(
    client, auth, session, store, people, now
):
    second = factories.create_person(
        session, store, "sales", "clerk", now=now, email="sales.two@sh01.test"
    )
    session.commit()
    d = deliver(session, store, people["sales.clerk"], ago=OVERDUE)["sales-2"]
    page = f"/deliverables/{d.id}"

    auth.login(second.email)
    html = client.get(page).get_data(as_text=True)
    assert "Take it over" in html and "Reassign to" not in html
    response = client.post(f"{page}/take", data={"csrf_token": token(client, page)})
    assert response.status_code == 302
    session.expire_all()
    assert session.get(Deliverable, d.id).owner_id == second.id
    auth.logout()

    auth.login(people["sales.head"].email)
    html = client.get(page).get_data(as_text=True)
    assert "Reassign to" in html
    response = client.post(
        f"{page}/owner",
        data={"csrf_token": token(client, page), "person": str(people["sales.clerk"].id)},
    )
    assert response.status_code == 302
    session.expire_all()
    assert session.get(Deliverable, d.id).owner_id == people["sales.clerk"].id
    # a person of another department is not offered and not taken
    response = client.post(
        f"{page}/owner",
        data={"csrf_token": token(client, page), "person": str(people["finance.clerk"].id)},
    )
    session.expire_all()
    assert session.get(Deliverable, d.id).owner_id == people["sales.clerk"].id

    history = session.scalars(
        select(AuditEntry)
        .where(AuditEntry.entity_id == d.id, AuditEntry.action.in_(("taken_over", "reassigned")))
        .order_by(AuditEntry.id)
    ).all()
    assert [(h.action, h.actor_id, h.detail) for h in history] == [
        ("taken_over", second.id, {"from_owner": people["sales.clerk"].id, "to_owner": second.id}),
        (
            "reassigned",
            people["sales.head"].id,
            {"from_owner": second.id, "to_owner": people["sales.clerk"].id},
        ),
    ]
    html = client.get(page).get_data(as_text=True)
    assert "taken over" in html and "reassigned" in html


def test_another_department_can_neither_take_over_nor_reassign(session, store, people, now):
    d = deliver(session, store, people["sales.clerk"], ago=OVERDUE)["sales-2"]
    for who in ("finance.clerk", "insurance.head"):
        try:
            owners.take_over(session, d, by=people[who], now=now)
            raise AssertionError(f"{who} took it over")
        except NotAllowed:
            pass
    try:
        owners.reassign(session, d, to=people["sales.clerk"], by=people["sales.clerk"], now=now)
        raise AssertionError("a clerk reassigned")
    except NotAllowed:
        pass


def test_mine_filters_by_owner(client, auth, session, store, people, now):
    second = factories.create_person(
        session, store, "sales", "clerk", now=now, email="sales.two@sh01.test"
    )
    session.commit()
    mine = deliver(session, store, people["sales.clerk"], ago=OVERDUE, ref="D-1")
    theirs = deliver(session, store, second, ago=OVERDUE, ref="D-2")
    auth.login(people["sales.clerk"].email)
    everything = client.get("/mine").get_data(as_text=True)
    only_mine = client.get("/mine?owner=mine").get_data(as_text=True)
    rows = lambda html: set(map(int, re.findall(r'<tr id="d(\d+)"', html)))  # noqa: E731
    assert {d.id for d in theirs.values()} & rows(everything)
    assert rows(only_mine) and rows(only_mine) <= {d.id for d in mine.values()}
    assert second.name in everything  # the owner column


def test_the_default_owners_page_sets_an_owner_for_the_heads_department(
    client, auth, session, store, people, now
):
    loans8 = get_commitment(session, "loans-8")
    auth.login(people["loans.head"].email)
    html = client.get("/owners").get_data(as_text=True)
    assert "loans-8 ·" in html and "loans-1 ·" not in html  # triggered: the recorder's
    response = client.post(
        "/owners",
        data={
            "csrf_token": token(client, "/owners"),
            "commitment": str(loans8.id),
            "person": str(people["loans.clerk"].id),
        },
    )
    assert response.status_code == 302
    assert owners.default_owner_id(session, loans8.id, store.id) == people["loans.clerk"].id
    auth.logout()
    auth.login(people["loans.clerk"].email)
    assert client.get("/owners").status_code == 403


def test_the_head_sees_each_owners_share_of_the_month(session, store, people, now):
    second = factories.create_person(
        session, store, "sales", "clerk", now=now, email="sales.two@sh01.test"
    )
    session.commit()
    deliver(session, store, people["sales.clerk"], ago=timedelta(days=20), ref="D-1")
    deliver(session, store, second, ago=timedelta(days=20), ref="D-2")
    month = session.scalars(select(Deliverable.due_month)).first()
    lines = owners.owner_breakdown(
        session, store.id, people["sales.head"].department_id, month, now
    )
    by_owner = {line.owner.email if line.owner else None: line for line in lines}
    assert set(by_owner) == {people["sales.clerk"].email, second.email}
    assert all(line.due >= 1 and line.overdue >= 1 for line in lines)


def test_the_heads_scorecard_has_a_line_per_owner(client, auth, session, store, people, now):
    second = factories.create_person(
        session, store, "sales", "clerk", now=now, email="sales.two@sh01.test"
    )
    session.commit()
    deliver(session, store, people["sales.clerk"], ago=timedelta(days=3), ref="D-1")
    deliver(session, store, second, ago=timedelta(days=3), ref="D-2")
    month = session.scalars(select(Deliverable.due_month).order_by(Deliverable.due_at)).first()
    auth.login(people["sales.head"].email)
    html = client.get(f"/scorecards?month={month}").get_data(as_text=True)
    assert set(re.findall(r'data-owner="([^"]*)"', html)) == {
        people["sales.clerk"].email,
        second.email,
    }
    auth.logout()
    auth.login(people["finance.lead"].email)
    html = client.get(f"/scorecards?month={month}").get_data(as_text=True)
    assert 'id="owners"' not in html  # a per-owner line is the head's own view


def test_the_cli_assigns_an_owner_and_shows_it(runner, session, store, people, now):
    d = deliver(session, store, people["sales.clerk"], ago=OVERDUE)["sales-2"]
    second = factories.create_person(
        session, store, "sales", "clerk", now=now, email="sales.two@sh01.test"
    )
    session.commit()
    args = ["tracker", "deliverable", "assign", str(d.id)]
    taken = runner.invoke(args=[*args, "--to", second.email, "--by", second.email])
    assert taken.exit_code == 0, taken.output
    assert f"owner {second.email}" in taken.output
    back = runner.invoke(
        args=[*args, "--to", people["sales.clerk"].email, "--by", people["sales.head"].email]
    )
    assert back.exit_code == 0, back.output
    refused = runner.invoke(
        args=[*args, "--to", second.email, "--by", people["sales.clerk"].email, "--json"]
    )
    assert refused.exit_code != 0 and "reassign" in refused.output
    session.expire_all()
    assert session.get(Deliverable, d.id).owner_id == people["sales.clerk"].id
    actions = session.scalars(
        select(AuditEntry.action).where(AuditEntry.entity_id == d.id).order_by(AuditEntry.id)
    ).all()
    assert actions[-2:] == ["taken_over", "reassigned"]


def test_an_event_posted_with_an_api_token_belongs_to_the_tokens_person(
    client, session, people, now
):
    from tracker.api import service as api

    _row, secret = api.create_token(
        session, people["sales.clerk"], name=None, expires_days=None, integration=False, now=now
    )
    session.commit()
    event = {
        "type": "vehicle_delivered",
        "store": "SH01",
        "occurred_at": (now - timedelta(hours=2)).isoformat(),
        "reference": "D-100",
        "external_id": "DMS-1",
    }
    r = client.post("/api/v1/events", json=event, headers={"Authorization": f"Bearer {secret}"})
    assert r.status_code == 201, r.json
    ids = [d["id"] for d in r.json["deliverables"]]
    session.expire_all()
    assert {session.get(Deliverable, i).owner_id for i in ids} == {people["sales.clerk"].id}
