"""Bad input gets a clear message and writes nothing: through the CLI (--json) and the services."""

import json
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.conftest import test_now
from tests.pages import snapshot
from tracker.catalog import service as catalog
from tracker.errors import BadInput, NotFound
from tracker.extensions import db
from tracker.ledger import service as ledger
from tracker.org import service as org

SH = ZoneInfo("Asia/Shanghai")
EVENT_AT = "2025-10-13T10:00:00+08:00"  # explicit, and before any fixed now the suite runs at
TOMORROW = (test_now() + timedelta(days=1)).astimezone(SH).isoformat(timespec="seconds")
FINANCE = "finance.clerk@sh01.test"
SALES = "sales.clerk@sh01.test"


@pytest.fixture
def ledger_state(session, store, people):
    """An open deliverable (sales-7) and a submitted one (sales-2), committed."""
    at = datetime(2026, 10, 12, 10, tzinfo=SH)
    _, created = ledger.record_event(
        session,
        ledger.NewEvent(store=store, type="vehicle_delivered", occurred_at=at, reference="D-1"),
        by=people["sales.clerk"],
        now=at,
    )
    by_code = {d.commitment.code: d for d in created}
    ledger.submit(
        session,
        by_code["sales-2"],
        by=people["sales.clerk"],
        now=at + timedelta(hours=1),
        evidence=ledger.Evidence(reference="D-1", file_path="f.pdf"),
    )
    session.commit()
    return {"open": by_code["sales-7"].id, "submitted": by_code["sales-2"].id}


def event(*extra: str, **options: str) -> list[str]:
    """`tracker event record` with good options, some replaced."""
    values = {"type": "vehicle_delivered", "store": "SH01", "at": EVENT_AT, "ref": "D-2"}
    values.update(options)
    args = ["tracker", "event", "record", "--json"]
    for name, value in values.items():
        args += [f"--{name}", value]
    return args + list(extra)


def act(verb: str, which: str, *extra: str) -> list:
    by = SALES if verb == "submit" else FINANCE
    return ["tracker", "deliverable", verb, which, "--by", by, "--json", *extra]


# (id, CLI args, message). `which` in deliverable commands is "open" or "submitted".
CLI_CASES = [
    ("unknown store", event(store="XX99"), "no store with code 'XX99'"),
    (
        "unknown commitment",
        ["tracker", "due", "--json", "--commitment", "sales-99", "--store", "SH01"]
        + ["--from", EVENT_AT],
        "no commitment with code 'sales-99'",
    ),
    (
        "unknown store for due",
        ["tracker", "due", "--json", "--commitment", "sales-7", "--store", "XX99"]
        + ["--from", EVENT_AT],
        "no store with code 'XX99'",
    ),
    (
        "unknown event type",
        event(type="car_sold"),
        "unknown event type 'car_sold'; known: installment_signed, loan_disbursed",
    ),
    (
        "event time without a zone",
        event(at="2026-10-12T10:00"),
        "the event time 2026-10-12T10:00:00 has no time zone; give an offset such as +08:00",
    ),
    (
        "event time that is no time",
        event(at="yesterday"),
        "'yesterday' is not an ISO 8601 event time (e.g. 2026-10-09T15:00+08:00)",
    ),
    (
        "due --from without a zone",
        ["tracker", "due", "--json", "--commitment", "sales-7", "--store", "SH01"]
        + ["--from", "2026-10-12T10:00"],
        "the --from time 2026-10-12T10:00:00 has no time zone",
    ),
    (
        "event in the future",
        event(at=TOMORROW),
        "the event time is in the future; record an event once it has happened",
    ),
    (
        "empty reference",
        event(ref="   "),
        "a reference (deal number, customer or document) is required",
    ),
    ("bad amount", event(amount="12,5"), "'12,5' is not an amount"),
    (
        "negative amount",
        event(amount="-3"),
        "'-3' is not an amount (positive, at most two decimals)",
    ),
    (
        "amount with three decimals",
        event(amount="1.005"),
        "'1.005' is not an amount (positive, at most two decimals)",
    ),
    ("VIN of the wrong length", event(vin="LSVAB1234"), "a VIN has 17 characters"),
    ("unknown person recording", event("--by", "nobody@sh01.test"), "no person with email"),
    ("waiver without a reason", act("waive", "open"), "a waiver needs a reason"),
    (
        "waiver with a blank reason",
        act("waive", "open", "--reason", "  "),
        "a waiver needs a reason",
    ),
    (
        "accepting what was not submitted",
        act("accept", "open"),
        "is open, not submitted: only a submitted deliverable can be accepted",
    ),
    (
        "returning what was not submitted",
        act("return", "open", "--reason", "unsigned"),
        "is open, not submitted: only a submitted deliverable can be returned",
    ),
    (
        "returning with an unknown reason",
        act("return", "submitted", "--reason", "rude"),
        "a return needs a reason, one of: incomplete, unsigned, wrong_amount, other",
    ),
    (
        "returning without a reason",
        act("return", "submitted"),
        "a return needs a reason, one of: incomplete, unsigned, wrong_amount, other",
    ),
    (
        "returning for 'other' without a note",
        act("return", "submitted", "--reason", "other"),
        "a note is required with the reason 'other'",
    ),
    (
        "submitting with a bad amount",
        act("submit", "open", "--reference", "D-1", "--amount", "abc"),
        "'abc' is not an amount",
    ),
    (
        "submitting without the evidence",
        act("submit", "open", "--reference", "D-1"),
        "this deliverable needs evidence: file",
    ),
    (
        "submitting a second time",
        act("submit", "submitted", "--reference", "D-1"),
        "is submitted; nothing to submit",
    ),
    (
        "--at without a zone",
        act("accept", "submitted", "--at", "2026-10-12T12:00"),
        "the --at time 2026-10-12T12:00:00 has no time zone",
    ),
    ("unknown deliverable", act("accept", "99999"), "no deliverable 99999"),
    (
        "unknown person acting",
        act("accept", "submitted")[:4] + ["--by", "x@y.z", "--json"],
        "no person",
    ),
    (
        "sales accepting",
        act("accept", "submitted")[:4] + ["--by", SALES, "--json"],
        "sales.clerk@sh01.test is not in the receiving department and cannot accept it",
    ),
    ("bad month", ["tracker", "scorecard", "--json", "--month", "2026-13"], "'2026-13' is not"),
    (
        "store with an unknown zone",
        ["tracker", "store", "add", "BJ01", "--json", "--name", "B", "--tz", "Asia/Peking"]
        + ["--country", "CN"],
        "unknown time zone 'Asia/Peking'",
    ),
    (
        "user in an unknown department",
        ["tracker", "user", "add", "a@b.cn", "--json", "--name", "A", "--dept", "it"]
        + ["--store", "SH01"],
        "no department with code 'it'",
    ),
]


@pytest.mark.parametrize("args, message", [c[1:] for c in CLI_CASES], ids=[c[0] for c in CLI_CASES])
def test_cli_explains_bad_input_and_writes_nothing(runner, ledger_state, args, message):
    args = [str(ledger_state.get(a, a)) for a in args]
    with db.engine.connect() as c:
        before = snapshot(c)
    result = runner.invoke(args=args)
    assert result.exit_code == 1, result.output
    error = json.loads(result.output)["error"]
    assert message in error
    with db.engine.connect() as c:
        assert snapshot(c) == before


def _record(session, people, store, **changes):
    values = dict(
        store=store,
        type="customer_payment",
        occurred_at=datetime(2026, 10, 12, 10, tzinfo=SH),
        reference="P-1",
        by=people["sales.clerk"],
        now=datetime(2026, 10, 12, 11, tzinfo=SH),
        amount="100.00",
    )
    values |= changes
    acting = {k: values.pop(k) for k in ("by", "now")}
    return ledger.record_event(session, ledger.NewEvent(**values), **acting)


def _deliverable(session, which, ledger_state):
    return ledger.get_deliverable(session, ledger_state[which])


SERVICE_CASES = [
    (
        "unknown store",
        lambda s, p, st, d: org.get_store(s, "XX99"),
        NotFound,
        "no store with code 'XX99'",
    ),
    (
        "unknown commitment",
        lambda s, p, st, d: catalog.get_commitment(s, "hr-99"),
        NotFound,
        "no commitment with code 'hr-99'",
    ),
    (
        "unknown event type",
        lambda s, p, st, d: _record(s, p, st, type="loan_denied"),
        BadInput,
        "unknown event type 'loan_denied'",
    ),
    (
        "a time without a zone",
        lambda s, p, st, d: _record(s, p, st, occurred_at=datetime(2026, 10, 12, 10)),
        BadInput,
        "has no time zone",
    ),
    (
        "an event in the future",
        lambda s, p, st, d: _record(s, p, st, occurred_at=datetime(2026, 10, 12, 12, tzinfo=SH)),
        BadInput,
        "the event time is in the future",
    ),
    (
        "empty reference",
        lambda s, p, st, d: _record(s, p, st, reference=""),
        BadInput,
        "a reference (deal number, customer or document) is required",
    ),
    (
        "a bad amount",
        lambda s, p, st, d: _record(s, p, st, amount="1e3x"),
        BadInput,
        "'1e3x' is not an amount",
    ),
    (
        "an infinite amount",
        lambda s, p, st, d: _record(s, p, st, amount="Infinity"),
        BadInput,
        "'Infinity' is not an amount",
    ),
    (
        "a VIN of the wrong length",
        lambda s, p, st, d: _record(s, p, st, vin="LSVAB12345678901234"),
        BadInput,
        "a VIN has 17 characters",
    ),
    (
        "a waiver without a reason",
        lambda s, p, st, d: ledger.waive(
            s, d("open"), by=p["finance.clerk"], now=datetime(2026, 10, 13, tzinfo=SH), reason=""
        ),
        BadInput,
        "a waiver needs a reason",
    ),
    (
        "accepting what was not submitted",
        lambda s, p, st, d: ledger.accept(
            s, d("open"), by=p["finance.clerk"], now=datetime(2026, 10, 13, tzinfo=SH)
        ),
        BadInput,
        "only a submitted deliverable can be accepted",
    ),
    (
        "returning with an unknown reason",
        lambda s, p, st, d: ledger.return_deliverable(
            s,
            d("submitted"),
            by=p["finance.clerk"],
            now=datetime(2026, 10, 13, tzinfo=SH),
            reason="late",
        ),
        BadInput,
        "a return needs a reason, one of: incomplete, unsigned, wrong_amount, other",
    ),
    (
        "submitting with a bad amount",
        lambda s, p, st, d: ledger.submit(
            s,
            d("open"),
            by=p["sales.clerk"],
            now=datetime(2026, 10, 13, tzinfo=SH),
            evidence=ledger.Evidence(reference="D-1", file_path="f", amount="ten"),
        ),
        BadInput,
        "'ten' is not an amount",
    ),
    (
        "submitting late without a reason",
        lambda s, p, st, d: ledger.submit(
            s,
            d("open"),
            by=p["sales.clerk"],
            now=datetime(2026, 10, 16, tzinfo=SH),
            evidence=ledger.Evidence(reference="D-1", file_path="f"),
        ),
        BadInput,
        "it is past the due time: say why it is late",
    ),
    (
        "a request due in the past",
        lambda s, p, st, d: ledger.raise_request(
            s,
            store=st,
            commitment=catalog.get_commitment(s, "loans-3"),
            by=p["finance.clerk"],
            now=datetime(2026, 10, 13, tzinfo=SH),
            note="check the file",
            due_at=datetime(2026, 10, 12, tzinfo=SH),
        ),
        BadInput,
        "the due time must be in the future",
    ),
    (
        "a request without a note",
        lambda s, p, st, d: ledger.raise_request(
            s,
            store=st,
            commitment=catalog.get_commitment(s, "loans-3"),
            by=p["finance.clerk"],
            now=datetime(2026, 10, 13, tzinfo=SH),
            note=" ",
        ),
        BadInput,
        "the request's note is required",
    ),
]


@pytest.mark.parametrize(
    "call, error, message", [c[1:] for c in SERVICE_CASES], ids=[c[0] for c in SERVICE_CASES]
)
def test_service_refuses_bad_input_before_writing_anything(
    session, store, people, ledger_state, call, error, message
):
    before = snapshot(session.connection())
    with pytest.raises(error) as caught:
        call(session, people, store, lambda which: _deliverable(session, which, ledger_state))
    assert message in caught.value.message
    session.flush()  # anything pending would now reach the database
    assert snapshot(session.connection()) == before
