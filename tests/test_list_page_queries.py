"""No list page's number of queries grows with its number of rows (issue 5).

Each test opens a page with a few rows and again with many more, made with the relations that
would each cost a query if loaded row by row (other stores, people, departments, commitments,
versions, submissions with files, audit entries), and counts the SQL statements of one GET.
/mine, /inbox and /scorecards have their own such tests beside their other page tests."""

from datetime import date, timedelta

from sqlalchemy import select

from tests import factories
from tests.pages import OVERDUE, counted_queries, deliver, submit
from tracker.admin import service as admin
from tracker.calendar.service import set_override
from tracker.catalog.models import Commitment
from tracker.catalog.service import create_commitment, edit_commitment, get_commitment
from tracker.ledger import service as ledger
from tracker.org.service import get_department
from tracker.reminders.models import OutboxMessage

ADMIN = "finance.admin@sh01.test"
LEAD = "finance.lead@sh01.test"
SALES = "sales.clerk@sh01.test"
FINANCE = "finance.clerk@sh01.test"
ZONES = [("Asia/Shanghai", "CN"), ("Europe/Berlin", "DE"), ("America/New_York", "US")]


def queries(client, path: str) -> tuple[int, str]:
    """How many statements one GET of `path` runs, and the page."""
    with counted_queries() as statements:
        response = client.get(path)
    assert response.status_code == 200, path
    return len(statements), response.get_data(as_text=True)


def add_stores(session, now, codes) -> list:
    stores = []
    for i, code in enumerate(codes):
        zone, country = ZONES[i % len(ZONES)]
        stores.append(
            factories.create_store(session, now=now, code=code, timezone=zone, country=country)
        )
    session.commit()
    return stores


def departments(session, start: int, stop: int) -> list[str]:
    """New departments dept{start}..dept{stop-1}, to provide commitments of their own."""
    for i in range(start, stop):
        admin.add_department(session, code=f"dept{i}", name_en=f"Dept {i}", name_zh=f"部门{i}")
    return [f"dept{i}" for i in range(start, stop)]


def event_commitment(
    session, code: str, provider: str, event_type: str, now, *, receiver: str = "finance"
):
    """A commitment on an event, owed by `provider` to `receiver`, due three days after it."""
    return create_commitment(
        session,
        code=code,
        provider=get_department(session, provider),
        receiver=get_department(session, receiver),
        kind="event",
        event_type=event_type,
        fields={
            "title_zh": f"{code} 中文",
            "title_en": f"{code} in English",
            "evidence": ["file"],
            "offset_days": 3,
            "day_type": "calendar",
        },
        now=now,
    )


def new_versions(session, now):
    """A new version of every commitment: the deliverables made so far keep their older ones."""
    for c in session.scalars(select(Commitment)).unique():
        edit_commitment(session, c, {"title_en": f"{c.current.title_en}."}, now, None)
    session.commit()


# --- administration ---


def test_store_list_costs_the_same_queries_for_5_and_40_stores(client, auth, session, people, now):
    auth.login(ADMIN)
    add_stores(session, now, [f"S{i:02}" for i in range(4)])  # and SH01
    few, html = queries(client, "/admin/stores")
    assert html.count("/calendar") == 5
    add_stores(session, now, [f"S{i:02}" for i in range(4, 39)])
    many, html = queries(client, "/admin/stores")
    assert html.count("/calendar") == 40
    assert many == few


def test_department_list_costs_the_same_queries_for_the_catalogue_and_40_more(
    client, auth, session, people
):
    auth.login(ADMIN)
    few, html = queries(client, "/admin/departments")
    catalogue = html.count("/edit")
    assert catalogue >= 6
    departments(session, 0, 40)
    session.commit()
    many, html = queries(client, "/admin/departments")
    assert html.count("/edit") == catalogue + 40
    assert many == few


def test_people_list_costs_the_same_queries_for_5_and_40_people(client, auth, session, store, now):
    factories.create_person(session, store, "finance", "admin", now=now)
    session.commit()
    auth.login(ADMIN)
    stores = [store, *add_stores(session, now, [f"S{i:02}" for i in range(8)])]
    departments = ["sales", "insurance", "loans", "service", "hr", "finance"]
    roles = ["clerk", "head", "lead"]

    def add_people(start, stop):
        for i in range(start, stop):
            person = factories.create_person(
                session,
                stores[i % len(stores)],
                departments[i % len(departments)],
                roles[i % len(roles)],
                now=now,
                email=f"p{i}@example.test",
                language=("zh", "en")[i % 2],
            )
            person.active = i % 5 != 0
        session.commit()

    add_people(0, 4)
    few, html = queries(client, "/admin/people")
    assert html.count("<tr data-email=") == 5
    add_people(4, 39)
    many, html = queries(client, "/admin/people")
    assert html.count("<tr data-email=") == 40
    assert many == few


def test_person_form_costs_the_same_queries_for_5_and_40_stores_to_choose_from(
    client, auth, session, people, now
):
    auth.login(ADMIN)
    person = people["sales.clerk"]
    add_stores(session, now, [f"S{i:02}" for i in range(4)])
    few, html = queries(client, f"/admin/people/{person.id}/edit")
    assert html.count(" · Store ") == 5
    add_stores(session, now, [f"S{i:02}" for i in range(4, 39)])
    many, html = queries(client, f"/admin/people/{person.id}/edit")
    assert html.count(" · Store ") == 40
    assert many == few


def test_commitment_list_costs_the_same_queries_for_the_catalogue_and_40_more(
    client, auth, session, people, now
):
    auth.login(ADMIN)
    few, html = queries(client, "/admin/commitments")
    catalogue = html.count("<tr data-code=")
    assert catalogue > 30
    providers, receivers = departments(session, 0, 40), departments(session, 100, 140)
    for i in range(40):
        c = event_commitment(
            session, f"x-{i}", providers[i], "vehicle_delivered", now, receiver=receivers[i]
        )
        for _ in range(i % 3):  # some at version 2 or 3
            edit_commitment(session, c, {"title_en": f"x-{i} edited"}, now, people["finance.admin"])
        if i % 4 == 0:
            c.retired_at = now
    session.commit()
    many, html = queries(client, "/admin/commitments")
    assert html.count("<tr data-code=") == catalogue + 40
    assert many == few


def test_commitment_page_costs_the_same_queries_for_5_and_40_stores_to_preview_in(
    client, auth, session, people, store, now
):
    """The page offers every store for the preview; the commitment has 40 versions and the
    store 39 calendar overrides the preview takes into account."""
    auth.login(ADMIN)
    commitment = get_commitment(session, "sales-7")
    add_stores(session, now, [f"S{i:02}" for i in range(4)])
    path = "/admin/commitments/sales-7?store=SH01"
    few, html = queries(client, path)
    assert html.count('class="preview-line"') == 5
    options = html.count("<option")  # the five stores and the rule's choices
    add_stores(session, now, [f"S{i:02}" for i in range(4, 39)])
    for i in range(39):
        edit_commitment(session, commitment, {"title_en": f"v{i}"}, now, people["finance.admin"])
        set_override(session, store, date(2026, 12, 1) + timedelta(days=i), i % 2 == 0)
    session.commit()
    many, html = queries(client, path)
    assert html.count("<option") == options + 35
    assert "version 40" in html and html.count('class="preview-line"') == 5
    assert many == few


def test_working_calendar_costs_the_same_queries_for_5_and_40_overrides(
    client, auth, session, people, store
):
    auth.login(ADMIN)

    def override(start, stop):
        for i in range(start, stop):
            day = date(2026, 3, 2) + timedelta(days=3 * i)
            set_override(session, store, day, i % 2 == 0, f"note {i}" if i % 3 else None)
        session.commit()

    override(0, 5)
    few, html = queries(client, "/admin/stores/SH01/calendar?year=2026")
    assert html.count("Remove override") == 5
    override(5, 40)
    many, html = queries(client, "/admin/stores/SH01/calendar?year=2026")
    assert html.count("Remove override") == 40
    assert many == few


def _failed_messages(session, stores, people, start, stop, now):
    """Emails the outbox gave up on, to people of different stores."""
    for i in range(start, stop):
        store, person = stores[i % len(stores)], people[i % len(people)]
        session.add(
            OutboxMessage(
                message_id=f"<m{i}@tracker.test>",
                person_id=person.id,
                store_id=store.id,
                language="en",
                to_address=f"m{i}@example.test",
                subject=f"Subject {i}",
                body_text="text",
                body_html="<p>html</p>",
                status="failed",
                attempts=5,
                next_attempt_at=now,
                last_error=f"550 no such user {i}",
                created_at=now,
                failed_at=now - timedelta(minutes=i),
            )
        )
    session.commit()


def test_admin_index_costs_the_same_queries_for_5_and_40_failed_emails(
    client, auth, session, people, store, now
):
    auth.login(ADMIN)
    stores = [store, *add_stores(session, now, [f"S{i:02}" for i in range(39)])]
    staff = list(people.values())
    _failed_messages(session, stores, staff, 0, 5, now)
    few, html = queries(client, "/admin")
    assert html.count("Try again") == 5
    _failed_messages(session, stores, staff, 5, 40, now)
    many, html = queries(client, "/admin")
    assert html.count("Try again") == 40
    assert many == few


# --- ledger ---


def _deliveries(session, store, people, start, stop, *, ago=OVERDUE):
    """Deliveries D{start}..D{stop-1}: each makes sales-2 and sales-7, overdue a month on."""
    made = []
    for i in range(start, stop):
        made.extend(deliver(session, store, people["sales.clerk"], ago=ago, ref=f"D{i}").values())
    return made


def test_batch_submit_costs_the_same_queries_for_5_and_40_deliverables(
    client, auth, session, store, people, now
):
    auth.login(SALES)
    # 18 more commitments on a delivery, owed by sales, and their versions edited between two
    # deliveries: 40 deliverables of 20 commitments and 40 versions.
    extra = [
        event_commitment(session, f"x-{i}", "sales", "vehicle_delivered", now) for i in range(18)
    ]
    session.commit()
    chosen = _deliveries(session, store, people, 0, 1)
    for c in [get_commitment(session, "sales-2"), get_commitment(session, "sales-7"), *extra]:
        edit_commitment(session, c, {"title_en": f"{c.code} v2"}, now, None)
    session.commit()
    chosen += _deliveries(session, store, people, 1, 2)
    assert len(chosen) == 40
    few, html = queries(
        client, "/deliverables/submit?" + "&".join(f"ids={d.id}" for d in chosen[:5])
    )
    assert "Submit 5 deliverables together" in html
    many, html = queries(
        client, "/deliverables/submit?" + "&".join(f"ids={d.id}" for d in chosen[:40])
    )
    assert "Submit 40 deliverables together" in html
    assert len({d.version_id for d in chosen}) == 40
    assert many == few


def test_event_page_costs_the_same_queries_for_5_and_40_deliverables(
    client, auth, session, store, people, now
):
    auth.login(LEAD)  # sees what every department owes (a sales clerk sees their own)

    def commitments(start, stop):
        providers = departments(session, start, stop)
        receivers = departments(session, 100 + start, 100 + stop)
        for i, provider, receiver in zip(range(start, stop), providers, receivers, strict=True):
            event_commitment(
                session, f"x-{i}", provider, "vehicle_delivered", now, receiver=receiver
            )
        session.commit()

    # Each event's deliverables are of other commitments, owed by and to other departments,
    # and of versions no longer current.
    commitments(0, 3)  # with sales-2 and sales-7
    first = _deliveries(session, store, people, 0, 1)[0]
    new_versions(session, now)
    few, html = queries(client, f"/events/{first.event_id}")
    assert html.count("/deliverables/") == 5
    commitments(3, 38)
    second = _deliveries(session, store, people, 1, 2)[0]
    new_versions(session, now)
    many, html = queries(client, f"/events/{second.event_id}")
    assert html.count("/deliverables/") == 40
    assert many == few


def test_deal_file_costs_the_same_queries_for_5_and_over_40_rows(
    client, auth, session, store, people, now
):
    """Events of every type under one reference, with deliverables of every department,
    some submitted, accepted or returned."""
    auth.login(LEAD)  # sees what every department owes (a sales clerk sees their own)
    finance = people["finance.clerk"]
    types = [
        "vehicle_delivered",
        "customer_payment",
        "installment_signed",
        "loan_disbursed",
        "policy_issued",
        "vehicle_picked_up",
        "employee_hired",
        "claim_settled",
        "loan_paid_off",
        "ownership_transfer",
        "registration_done",
        "utility_bill",
    ]
    at = now - timedelta(days=10)

    def record(kind, i):
        _, created = ledger.record_event(
            session,
            ledger.NewEvent(
                store=store,
                type=kind,
                occurred_at=at.astimezone(store.zone).replace(hour=10),
                reference="D-9",
                customer=f"Customer {i}",
            ),
            by=people["sales.clerk"],
            now=now,
        )
        session.commit()
        for n, d in enumerate(created):
            if d.status != "open":
                continue
            ledger.submit(
                session,
                d,
                by=people[f"{d.commitment.provider.code}.clerk"],
                now=now,
                evidence=ledger.Evidence(
                    reference="D-9",
                    amount="100.00",
                    note="all here",
                    file_name="slip.pdf",
                    file_path="x.pdf",
                    file_type="application/pdf",
                    file_size=100,
                ),
                late_reason="late",
            )
            if n % 2:
                ledger.accept(session, d, by=finance, now=now)
            else:
                ledger.return_deliverable(session, d, by=finance, now=now, reason="unsigned")
            session.commit()

    record("vehicle_delivered", 0)
    record("customer_payment", 1)
    new_versions(session, now)
    few, html = queries(client, "/deals?ref=D-9")
    assert html.count("<tr>") - 2 == 5  # two events, three deliverables; less the headers
    for i, kind in enumerate(types * 2):
        record(kind, i + 2)
        if i % 5 == 0:
            new_versions(session, now)
    many, html = queries(client, "/deals?ref=D-9")
    assert html.count("<tr>") - 2 >= 40
    assert many == few


def test_deliverable_page_costs_the_same_queries_after_1_and_20_returns(
    client, auth, session, store, now
):
    """Each return and resubmission adds a submission (with its file) and two audit entries;
    each time by other people of sales and finance."""
    people = factories.create_staff(session, store, now=now)
    for i in range(20):
        people[f"sales.{i}"] = factories.create_person(
            session, store, "sales", now=now, email=f"sales{i}@sh01.test"
        )
        people[f"finance.{i}"] = factories.create_person(
            session, store, "finance", now=now, email=f"finance{i}@sh01.test"
        )
    session.commit()
    d = deliver(session, store, people["sales.clerk"], ago=OVERDUE)["sales-7"]
    auth.login(SALES)

    def cycles(start, stop):
        for i in range(start, stop):
            submit(session, d, people[f"sales.{i}"], reason=f"late {i}")
            ledger.return_deliverable(
                session, d, by=people[f"finance.{i}"], now=now, reason="other", note=f"n{i}"
            )
            session.commit()

    cycles(0, 1)
    few, html = queries(client, f"/deliverables/{d.id}")
    assert html.count("slip.pdf") == 1
    cycles(1, 20)
    many, html = queries(client, f"/deliverables/{d.id}")
    assert html.count("slip.pdf") == 20
    assert html.count(": n19") == 1
    assert many == few


# --- inbox ---


def test_request_form_costs_the_same_queries_for_6_and_40_request_commitments(
    client, auth, session, people, now
):
    auth.login(FINANCE)
    few, html = queries(client, "/inbox/request")
    catalogue = html.count("<option")
    assert catalogue == 6  # the catalogue's requests to finance
    for i, provider in enumerate(departments(session, 0, 40 - catalogue)):
        c = create_commitment(
            session,
            code=f"r-{i}",
            provider=get_department(session, provider),
            receiver=get_department(session, "finance"),
            kind="request",
            event_type=None,
            fields={"title_zh": f"请求{i}", "title_en": f"Request {i}", "offset_days": 1},
            now=now,
        )
        if i % 2:
            edit_commitment(session, c, {"title_en": f"Request {i} v2"}, now, None)
    session.commit()
    many, html = queries(client, "/inbox/request")
    assert html.count("<option") == 40
    assert many == few
