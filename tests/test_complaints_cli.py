"""`tracker complaint file|open|answer|close|reopen|assign`: each command does its step as the
person named by --by; bad input is a usage error (exit code 2, a clear message), nothing
changed."""

import json

import pytest

from tracker.complaints.models import Complaint
from tracker.ledger.models import AuditEntry

FILER, CLERK, HEAD = "finance.clerk@sh01.test", "sales.clerk@sh01.test", "sales.head@sh01.test"


def run(runner, *args):
    return runner.invoke(args=["tracker", "complaint", *args])


def filed(runner, *extra) -> int:
    result = run(runner, "file", "--department", "sales", "--what", "late papers",
                 "--severity", "high", "--by", FILER, "--json", *extra)  # fmt: skip
    assert result.exit_code == 0, result.output
    return json.loads(result.output)["id"]


def test_each_command_does_its_step(runner, session, people):
    cid = filed(runner, "--ref", "D-1001")
    result = run(runner, "open", str(cid), "--by", CLERK)
    assert result.exit_code == 0 and "you own it" in result.output
    result = run(runner, "open", str(cid), "--by", HEAD)
    assert (
        result.exit_code == 0 and f"already owned by {people['sales.clerk'].name}" in result.output
    )
    assert run(runner, "answer", str(cid), "--text", "sent", "--by", CLERK).exit_code == 0
    assert run(runner, "reopen", str(cid), "--note", "not all", "--by", FILER).exit_code == 0
    assert run(runner, "assign", str(cid), "--to", HEAD, "--by", HEAD).exit_code == 0
    assert run(runner, "answer", str(cid), "--text", "all now", "--by", HEAD).exit_code == 0
    result = run(runner, "close", str(cid), "--by", FILER, "--json")
    assert result.exit_code == 0, result.output
    shown = json.loads(result.output)
    assert (shown["status"], shown["round"], shown["owner"]) == ("closed", 2, HEAD)
    session.expire_all()
    c = session.get(Complaint, cid)
    assert (c.reference, c.answer, c.note) == ("D-1001", "all now", "not all")
    actions = [
        e.action
        for e in session.query(AuditEntry).filter_by(entity="complaint").order_by(AuditEntry.id)
    ]
    assert actions == [
        "filed",
        "opened",
        "answered",
        "reopened",
        "reassigned",
        "answered",
        "closed",
    ]


BAD = [
    ("file", "--department", "nowhere", "--what", "x", "--by", FILER),
    ("file", "--department", "sales", "--what", " ", "--by", FILER),
    ("file", "--department", "sales", "--what", "x", "--severity", "soon", "--by", FILER),
    ("file", "--department", "finance", "--what", "x", "--by", FILER),
    ("file", "--department", "sales", "--what", "x", "--deliverable", "abc", "--by", FILER),
    ("file", "--department", "sales", "--what", "x", "--deliverable", "424242", "--by", FILER),
    ("file", "--department", "sales", "--what", "x", "--by", "nobody@sh01.test"),
    ("open", "{id}", "--by", FILER),
    ("open", "99999999999999999999999", "--by", CLERK),
    ("open", "424242", "--by", CLERK),
    ("answer", "{id}", "--text", "x", "--by", CLERK),  # not opened yet
    ("close", "{id}", "--by", FILER),  # not answered yet
    ("reopen", "{id}", "--note", "x", "--by", FILER),
    ("assign", "{id}", "--to", CLERK, "--by", HEAD),  # not opened yet
]


@pytest.mark.parametrize("args", BAD, ids=lambda a: " ".join(a)[:60])
def test_bad_input_is_a_usage_error_and_changes_nothing(runner, session, people, args):
    cid = filed(runner)
    before = session.query(AuditEntry).count()
    result = run(runner, *(a.format(id=cid) for a in args))
    assert result.exit_code == 2, result.output
    assert "Error:" in result.output and "Traceback" not in result.output
    session.expire_all()
    assert session.query(AuditEntry).count() == before
    assert session.query(Complaint).count() == 1
    assert session.get(Complaint, cid).status == "new"


def test_another_stores_person_cannot_open_or_answer_from_the_command_line(
    runner, session, people, now
):
    from tests import factories

    bj = factories.create_store(session, now=now, code="BJ01", name="Beijing")
    factories.create_person(session, bj, "sales", "head", now=now, email="sales.head@bj01.test")
    session.commit()
    cid = filed(runner)
    result = run(runner, "open", str(cid), "--by", "sales.head@bj01.test")
    assert result.exit_code == 2 and "only a clerk or head" in result.output
    assert run(runner, "open", str(cid), "--by", CLERK).exit_code == 0
    result = run(runner, "answer", str(cid), "--text", "x", "--by", "sales.head@bj01.test")
    assert result.exit_code == 2 and "only the complaint's owner" in result.output


def test_the_demo_has_complaints_in_every_state_and_one_late(runner, session, now):
    from tracker.complaints import service

    result = runner.invoke(args=["tracker", "demo", "--months", "1", "--json"])
    assert result.exit_code == 0, result.output
    found = session.query(Complaint).order_by(Complaint.id).all()
    assert [c.status for c in found] == ["new", "open", "answered", "closed", "open", "open"]
    assert [c.round for c in found] == [1, 1, 1, 1, 2, 1]
    assert [service.late(c, now) for c in found] == [False, False, False, False, False, True]


def test_the_scorecard_json_counts_complaints_and_those_answered_in_time(
    runner, session, store, people, now
):
    from tests.pages import deliver

    deliver(session, store, people["sales.clerk"])
    first, second = filed(runner), filed(runner)
    assert run(runner, "open", str(first), "--by", CLERK).exit_code == 0
    assert run(runner, "answer", str(first), "--text", "ok", "--by", CLERK).exit_code == 0
    month = now.astimezone(store.zone).strftime("%Y-%m")
    args = ["tracker", "scorecard", "--month", month, "--level", "department", "--json"]
    result = runner.invoke(args=args)
    assert result.exit_code == 0, result.output
    rows = {r["provider"]: r for r in json.loads(result.output)}
    assert (rows["sales"]["complaints"], rows["sales"]["complaints_answered_in_time"]) == (2, 1)
    assert second and all(r["complaints"] == 0 for p, r in rows.items() if p != "sales")
