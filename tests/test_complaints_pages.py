"""The complaints' pages: filing one (bad input beside the field, nothing written), the lists
(complaints about us with the complainant's name, my complaints; a constant number of queries
whatever their length), a complaint's page and its steps, and who may see and do what."""

import re

import pytest

from tests import factories
from tests.pages import counted_queries, error_beside, token
from tracker.complaints import service
from tracker.complaints.models import Complaint
from tracker.reminders.models import OutboxItem

FILER, CLERK, HEAD = "finance.clerk@sh01.test", "sales.clerk@sh01.test", "sales.head@sh01.test"


def post(client, path, **data):
    return client.post(path, data={"csrf_token": token(client, "/complaints/new"), **data})


def test_a_complaint_filed_on_the_page_tells_the_department(client, auth, session, people):
    auth.login(FILER)
    response = post(client, "/complaints/new", department="sales", severity="urgent",
                    what="The invoice came without a stamp", reference="D-1001")  # fmt: skip
    assert response.status_code == 302
    (c,) = session.query(Complaint).all()
    assert response.headers["Location"].endswith(f"/complaints/{c.id}")
    assert (c.department.code, c.severity, c.reference, c.status) == (
        "sales",
        "urgent",
        "D-1001",
        "new",
    )
    told = {i.person_id for i in session.query(OutboxItem).filter_by(kind="complaint")}
    assert told == {people["sales.clerk"].id, people["sales.head"].id}


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"what": ""}, "what", "Say what happened."),
        ({"department": "finance"}, "department", "Not a valid choice."),
        ({"deliverable": "12x"}, "deliverable", "Not a valid integer value."),
        ({"reference": "R" * 65}, "reference", "Field cannot be longer than 64 characters."),
    ],
)
def test_a_bad_filing_is_explained_beside_its_field(
    client, auth, session, people, data, field, message
):
    auth.login(FILER)
    form = {"department": "sales", "severity": "high", "what": "late"} | data
    response = post(client, "/complaints/new", **form)
    assert response.status_code == 400
    assert error_beside(response.get_data(as_text=True), field) == message
    assert session.query(Complaint).count() == 0


def test_open_answer_and_close_on_the_pages(client, auth, session, people, now):
    c = service.file(session, by=people["finance.clerk"], department="sales", what="late",
                     severity="high", now=now)  # fmt: skip
    session.commit()
    auth.login(CLERK)
    html = client.get("/complaints").get_data(as_text=True)
    assert f'data-complaint="{c.id}"' in html and people["finance.clerk"].name in html
    assert post(client, f"/complaints/{c.id}/answer", text="x").status_code == 403  # not theirs yet
    assert post(client, f"/complaints/{c.id}/open").status_code == 302
    response = post(client, f"/complaints/{c.id}/answer", text="")
    assert error_beside(response.get_data(as_text=True), "text") == "Write the answer."
    post(client, f"/complaints/{c.id}/answer", text="Stamped and sent again")
    auth.logout()
    auth.login(HEAD)
    response = post(client, f"/complaints/{c.id}/open")
    assert response.status_code == 302
    page = client.get(f"/complaints/{c.id}").get_data(as_text=True)
    assert f"{people['sales.clerk'].name} already owns this complaint." in page
    auth.logout()
    auth.login(FILER)
    assert f'data-complaint="{c.id}" data-status="answered"' in client.get("/complaints").get_data(
        as_text=True
    )
    response = post(client, f"/complaints/{c.id}/reopen", note="")
    assert error_beside(response.get_data(as_text=True), "note") == "Say why it is not resolved."
    assert post(client, f"/complaints/{c.id}/close").status_code == 302
    session.expire_all()
    assert session.get(Complaint, c.id).status == "closed"
    page = client.get(f"/complaints/{c.id}").get_data(as_text=True)
    assert re.findall(r'data-action="(\w+)"', page) == ["filed", "opened", "answered", "closed"]


def test_others_neither_see_nor_act(client, auth, session, people, now):
    other = factories.create_store(session, now=now, code="BJ01", name="Beijing")
    factories.create_person(
        session, other, "sales", "clerk", now=now, email="sales.clerk@bj01.test"
    )
    session.commit()
    c = service.file(session, by=people["finance.clerk"], department="sales", what="late",
                     severity="high", now=now)  # fmt: skip
    session.commit()
    for email in ("sales.clerk@bj01.test", "hr.clerk@sh01.test", "finance.head@sh01.test"):
        auth.login(email)
        assert client.get(f"/complaints/{c.id}").status_code == 404
        assert post(client, f"/complaints/{c.id}/open").status_code == 404
        auth.logout()
    auth.login(FILER)
    assert post(client, f"/complaints/{c.id}/open").status_code == 403  # sees it, may not open
    session.expire_all()
    assert session.get(Complaint, c.id).owner_id is None


def test_zh_pages_are_in_chinese(client, auth, session, people, now):
    people["sales.clerk"].language = "zh"
    session.commit()
    service.file(session, by=people["finance.clerk"], department="sales", what="late",
                 severity="high", now=now)  # fmt: skip
    session.commit()
    auth.login(CLERK)
    html = client.get("/complaints").get_data(as_text=True)
    assert "对我部门的投诉" in html and "新投诉：尚无人打开" in html


def test_the_lists_take_the_same_queries_for_many_rows(client, auth, session, people, now):
    def add(n):
        for i in range(n):
            filer = people["finance.clerk"] if i % 2 else people["hr.clerk"]
            c = service.file(session, by=filer, department="sales", what=f"late {i}",
                             severity="high", now=now)  # fmt: skip
            if i % 3 == 0:
                service.open_(session, c.id, by=people["sales.head"], now=now)
        session.commit()

    add(2)
    auth.login(CLERK)
    with counted_queries() as few:
        assert client.get("/complaints").status_code == 200
    add(15)
    with counted_queries() as many:
        html = client.get("/complaints").get_data(as_text=True)
    assert html.count("data-complaint=") == 17
    assert len(many) == len(few)
