"""A simulated month (28 Sep - 28 Oct 2026, China's Golden Week included) of a demo-like store,
with a pass every hour, against a real SMTP server: the mail received is exactly what the
reminder policy says, computed here independently from the deliverables, the policy, the
working calendar and the test's own record of what was submitted, returned, waived, retired,
who owns what (events recorded by a clerk are theirs; one is reassigned), the escalation
ladder of one commitment (every clerk, then the head, then the store's lead), one hold (nothing
while it lasts, its due time moved by the working hours on hold) and the submissions left
waiting for Finance's decision (reminded to the receiving clerks, then its head), and the instant
notices of what was handed in, returned or waived (in the pass right after, inside the
deliverable's entry when its digest has one)."""

from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from tests import factories
from tests.reminders_smtp import parse_items
from tracker import create_app
from tracker.calendar.workdays import WorkingCalendar
from tracker.catalog import service as catalog
from tracker.extensions import db
from tracker.ledger import holds, owners
from tracker.ledger import service as ledger
from tracker.ledger.models import Deliverable, Hold
from tracker.org.models import Person
from tracker.reminders import jobs
from tracker.reminders.models import NOTICE_KINDS
from tracker.reminders.policy import DEFAULTS as DEFAULT_REMINDER_POLICY

TZ = ZoneInfo("Asia/Shanghai")
START = datetime(2026, 9, 28, 0, 0, tzinfo=TZ).astimezone(UTC)
END = datetime(2026, 10, 28, 0, 0, tzinfo=TZ).astimezone(UTC)
CUSTOM = {
    "before_working_days": 2,
    "on_due": False,
    "overdue_every_working_day": False,
    "escalate_after_working_days": 1,
}

# sales-7's escalation ladder after the owner: every clerk after 1 working day overdue, the
# head after 2, the store's lead after 4.
LADDER = [{"to": "clerks", "after": 1}, {"to": "heads", "after": 2}, {"to": "leads", "after": 4}]

# (department, role, language, active); sales has two clerks, HR's only clerk has left.
STAFF = [
    ("finance", "clerk", "en", True),
    ("finance", "head", "zh", True),
    ("sales", "clerk", "zh", True),
    ("sales", "clerk", "en", True),
    ("sales", "head", "zh", True),
    ("insurance", "clerk", "en", True),
    ("insurance", "head", "en", True),
    ("loans", "clerk", "zh", True),
    ("loans", "head", "en", True),
    ("service", "clerk", "en", True),
    ("service", "head", "zh", True),
    ("hr", "clerk", "zh", False),
    ("hr", "head", "zh", True),
    ("finance", "lead", "en", True),
]

EVENTS = [  # (local time, event type, reference[, who records it: (department, role, n)])
    (datetime(2026, 9, 28, 10, tzinfo=TZ), "vehicle_delivered", "V-1", ("sales", "clerk", 0)),
    (datetime(2026, 9, 29, 15, tzinfo=TZ), "loan_disbursed", "L-1", ("loans", "clerk", 0)),
    (datetime(2026, 9, 30, 11, tzinfo=TZ), "employee_hired", "H-1"),
    (datetime(2026, 10, 9, 11, tzinfo=TZ), "policy_issued", "P-1"),
    (datetime(2026, 10, 12, 16, tzinfo=TZ), "customer_payment", "C-1"),
    (datetime(2026, 10, 14, 9, tzinfo=TZ), "deal_settlement", "D-1"),
    (datetime(2026, 10, 8, 13, tzinfo=TZ), "registration_done", "R-1"),
    (datetime(2026, 10, 20, 13, tzinfo=TZ), "vehicle_picked_up", "U-1"),
    (datetime(2026, 10, 21, 11, tzinfo=TZ), "vehicle_delivered", "V-2", ("sales", "clerk", 1)),
]
# (local time, reference, commitment): its sales head gives it to the other sales clerk.
REASSIGN = (datetime(2026, 10, 22, 15, tzinfo=TZ), "V-2", "sales-2")


@pytest.fixture
def month_app(database_url, tmp_path, smtp):
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret",
            "SQLALCHEMY_DATABASE_URI": database_url,
            "UPLOAD_DIR": str(tmp_path / "uploads"),
            "MAIL_URL": smtp.url,
            "MAIL_FROM": "tracker@tracker.test",
            "BASE_URL": "http://tracker.test",
        }
    )
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


# --- the expected mail, computed independently ---


def due_of(d, at: datetime) -> datetime:
    """The deliverable's due time at `at`: moved when a hold ended (`d.dues`: [(since, due)])."""
    due = d.dues[0][1]
    for since, moved in d.dues:
        if since <= at:
            due = moved
    return due


class Model:
    """The policy as the issue states it, for hourly passes at whole hours, 09:00-18:00."""

    def __init__(self, cal: WorkingCalendar):
        self.cal = cal

    def morning(self, day: date) -> datetime:
        return datetime.combine(day, time(9), TZ).astimezone(UTC)

    def working_hour(self, instant: datetime) -> bool:
        local = instant.astimezone(TZ)
        return self.cal.is_working_day(local.date()) and 9 <= local.hour < 18

    def first_working_moment(self, instant: datetime) -> datetime:
        local = instant.astimezone(TZ)
        day = local.date()
        if self.cal.is_working_day(day) and time(9) <= local.time() < time(18):
            return instant
        if self.cal.is_working_day(day) and local.time() < time(9):
            return self.morning(day)
        day += timedelta(days=1)
        while not self.cal.is_working_day(day):
            day += timedelta(days=1)
        return self.morning(day)

    def age(self, d, at: datetime) -> int:
        """Working days overdue at `at`: working mornings passed since the due notice's day."""
        notice_day = self.first_working_moment(due_of(d, at)).astimezone(TZ).date()
        k, day = 0, notice_day
        while day < at.astimezone(TZ).date():
            day += timedelta(days=1)
            k += self.cal.is_working_day(day) and self.morning(day) <= at
        return k

    def wanted(self, d, policy: dict, at: datetime) -> list[tuple[str, int, str]]:
        due = due_of(d, at)
        if at <= due:
            n = policy["before_working_days"]
            day, found = due.astimezone(TZ).date(), 0
            while found < n:
                day -= timedelta(days=1)
                found += self.cal.is_working_day(day)
            begins = self.morning(day)
            return [("before", n, "owner")] if n and begins < due and begins <= at else []
        k = self.age(d, at)
        result = []
        if policy["overdue_every_working_day"] and k >= 1:
            result.append(("overdue", k, "owner"))
        elif policy["on_due"]:
            result.append(("due", 0, "owner"))
        ladder = policy.get("ladder")
        if ladder is None:
            n = policy["escalate_after_working_days"]
            ladder = [{"to": "heads", "after": n}] if n else []
        for rung in ladder:
            if k >= rung["after"]:
                result.append(("escalation", rung["after"], rung["to"]))
        return result

    def next_working_day(self, day: date) -> date:
        day += timedelta(days=1)
        while not self.cal.is_working_day(day):
            day += timedelta(days=1)
        return day

    def held_hours(self, start: datetime, end: datetime) -> int:
        """Working hours between two whole hours (09:00-18:00 on working days)."""
        hours, at = 0, start
        while at < end:
            hours += self.working_hour(at)
            at += timedelta(hours=1)
        return hours

    def moved(self, due: datetime, hours: int) -> datetime:
        """A due time moved later by `hours` of working time: whole nine-hour days to the same
        wall-clock time that many working days later, the rest within working hours."""
        whole, rest = divmod(hours, 9)
        local = due.astimezone(TZ)
        day = local.date()
        for _ in range(whole):
            day = self.next_working_day(day)
        at = datetime.combine(day, local.time(), TZ).astimezone(UTC)
        while rest:
            at = self.first_working_moment(at)
            at += timedelta(hours=1)
            rest -= 1
        return at

    def decisions(self, handed_in, at: datetime) -> list[tuple[str, int, str]]:
        """The receiving side's reminders at `at`: each submission waiting for its decision
        past the end of the next working day after it was handed in is reminded to the
        receiving clerks from the next working moment, and to the heads from the working
        morning after that. `handed_in`: [(handed in, decided or None)], in order; the step is
        the submission's number."""
        result = []
        for seq, (submitted, decided) in enumerate(handed_in, start=1):
            if submitted > at or (decided is not None and decided <= at):
                continue
            day = self.next_working_day(submitted.astimezone(TZ).date())
            decide_by = datetime.combine(day, time(23, 59, 59), TZ).astimezone(UTC)
            if at <= decide_by:
                continue
            notice = self.first_working_moment(decide_by)
            if notice <= at:
                result.append(("decision", seq, "receiving clerks"))
            if self.morning(self.next_working_day(notice.astimezone(TZ).date())) <= at:
                result.append(("decision_head", seq, "receiving heads"))
        return result


def expected_mail(passes, deliverables, people, open_at, retired_at, model, owner_at):
    """{(pass, email): set of items} that the policy asks for. `owner_at(d, at)`: the email of
    the deliverable's owner then, or None (the whole department)."""
    by_group = defaultdict(list)
    for p in people:
        if p["active"]:
            by_group[(p["department"], p["role"])].append(p["email"])

    def to(d, who, at):
        provider = d.provider
        if who == "receiving clerks":  # a decision: the receiving side, nobody's own
            return by_group[(d.receiver, "clerk")] or by_group[(d.receiver, "head")]
        if who == "receiving heads":
            return by_group[(d.receiver, "head")]
        if who == "clerks":
            return by_group[(provider, "clerk")]
        if who == "heads":
            return by_group[(provider, "head")]
        if who == "leads":
            return [e for (_, role), emails in by_group.items() if role == "lead" for e in emails]
        owner = owner_at(d, at)
        if owner is not None:
            return [owner]
        return by_group[(provider, "clerk")] or by_group[(provider, "head")]

    def live(d, at):
        return open_at(d.id, at) and not retired_at(d.commitment_id, at)

    written = set()
    waiting = {}  # key -> (email, item, deliverable or None)
    mail = defaultdict(set)
    for at in passes:
        for d in deliverables:
            if d.created_at > at or retired_at(d.commitment_id, at):
                continue
            wanted = model.decisions(d.handed_in, at)
            if open_at(d.id, at):
                wanted += model.wanted(d, d.policy, at)
            for kind, step, who in wanted:
                for email in to(d, who, at):
                    key = (d.id, kind, step, email)
                    if key not in written:
                        written.add(key)
                        waiting[key] = (email, (kind, step, d.id), d)
        if not model.working_hour(at):
            continue
        overdue = sorted(
            d.id for d in deliverables if d.created_at <= at and live(d, at) and due_of(d, at) < at
        )
        if overdue:
            for email in by_group[("finance", "clerk")] + by_group[("finance", "head")]:
                key = ("summary", at.astimezone(TZ).date(), email)
                if key not in written:
                    written.add(key)
                    mail[(at, email)].add(("summary", 0, frozenset(overdue)))
        entries = {}  # (email, deliverable id, order) -> the one entry its digest shows
        for _key, (email, (kind, step, did), d) in waiting.items():
            if kind in DECISION:  # still waiting for that very decision
                decisions = [item[:2] for item in model.decisions(d.handed_in, at)]
                if (kind, step) in decisions and not retired_at(d.commitment_id, at):
                    best = entries.get((email, did, DECISION))
                    rank = (DECISION.index(kind), step)
                    if best is None or rank > (DECISION.index(best[0]), best[1]):
                        entries[(email, did, DECISION)] = (kind, step, did)
                continue
            if not live(d, at):
                continue
            owner = owner_at(d, at)
            if kind != "escalation" and owner is not None and email != owner:
                continue  # written before it was reassigned: not sent
            if kind in ("overdue", "escalation"):
                step = max(model.age(d, at), 1)  # the true age when the digest is composed
            best = entries.get((email, did, ORDER))
            if best is None or (ORDER.index(kind), step) > (ORDER.index(best[0]), best[1]):
                entries[(email, did, ORDER)] = (kind, step, did)
        for (email, _did, _order), item in entries.items():
            mail[(at, email)].add(item)
        waiting.clear()
    return dict(mail)


def add_notices(mail, told, people, owner_at, model):
    """The instant notices, each in the pass right after it (every action of the month is in
    working hours): a return or waiver to the owner (else the providing clerks), a hand-in to
    the receiving clerks unless decided before the pass; not to whoever acted. A deliverable
    with an entry in that digest already has the notice inside its entry, not one more."""
    by_group = defaultdict(list)
    for p in people:
        if p["active"]:
            by_group[(p["department"], p["role"])].append(p["email"])
    for at, kind, step, d, actor in told:
        assert model.working_hour(at)
        department = d.commitment.receiver.code if kind == "handed_in" else None
        if kind == "handed_in":
            if any(given == decided == at for given, decided in d.handed_in):
                continue  # decided at once: the receiving side has seen it
            emails = by_group[(department, "clerk")] or by_group[(department, "head")]
        else:
            provider = d.commitment.provider.code
            owner = owner_at(d, at)
            emails = (
                [owner] if owner else by_group[(provider, "clerk")] or by_group[(provider, "head")]
            )
        for email in emails:
            if email == actor:
                continue
            items = mail.setdefault((at, email), set())
            if not any(i[0] != "summary" and i[2] == d.id for i in items):
                items.add((kind, step, d.id))


# A deliverable's stages, earliest first: one entry per deliverable, the latest stage waiting;
# its submission's decision reminders (to the receiving side) are one entry of their own.
ORDER = ("before", "due", "overdue", "escalation")
DECISION = ("decision", "decision_head")


# --- the month ---


def test_a_month_of_hourly_passes_sends_exactly_the_reminders_the_policy_says(month_app, smtp):
    session = db.session
    setup_at = START - timedelta(days=1)
    catalog.load_catalog(session, "dealership", setup_at)
    store = factories.create_store(session, now=setup_at)
    people, by_role = [], defaultdict(list)
    for n, (department, role, language, active) in enumerate(STAFF):
        person = factories.create_person(
            session,
            store,
            department,
            role,
            now=setup_at,
            email=f"{department}.{role}{n}@sh01.test",
            language=language,
        )
        person.active = active
        people.append(
            {
                "email": person.email,
                "department": department,
                "role": role,
                "active": active,
                "language": language,
            }
        )
        by_role[(department, role)].append(person)
    loans8 = catalog.get_commitment(session, "loans-8")
    catalog.edit_commitment(session, loans8, {"reminder_policy": CUSTOM}, setup_at, None)
    sales7 = catalog.get_commitment(session, "sales-7")
    laddered = {**DEFAULT_REMINDER_POLICY, "ladder": LADDER}
    catalog.edit_commitment(session, sales7, {"reminder_policy": laddered}, setup_at, None)
    session.commit()
    owned = defaultdict(list)  # deliverable id -> [(instant, owner's email or None)]

    transitions = defaultdict(list)  # deliverable id -> [(instant, open?)]
    handed_in = defaultdict(list)  # deliverable id -> [[handed in, decided or None]]
    held = {}  # deliverable id -> [hold approved, hold ended]
    retired = {}  # commitment id -> instant
    notices = []  # the instant notices: (instant, kind, step, deliverable, who acted)

    def earliest_open(provider: str, *, due_after=None) -> Deliverable:
        query = (
            select(Deliverable)
            .where(Deliverable.status.in_(("open", "returned")))
            .order_by(Deliverable.due_at, Deliverable.id)
        )
        found = [
            d
            for d in session.scalars(query)
            if d.commitment.provider.code == provider
            and d.commitment.retired_at is None
            and (due_after is None or d.due_at > due_after)
        ]
        return found[0]

    def submit(d, at):
        clerk = by_role[(d.commitment.provider.code, "clerk")][0]
        if not clerk.active:
            clerk = by_role[(d.commitment.provider.code, "head")][0]
        evidence = ledger.Evidence(
            reference="REF", amount="10.00", file_name="a.pdf", file_path="a.pdf"
        )
        ledger.submit(session, d, by=clerk, now=at, evidence=evidence, late_reason="busy")
        transitions[d.id].append((at, False))
        handed_in[d.id].append([at, None])
        notices.append((at, "handed_in", d.return_count + 1, d, clerk.email))

    def act(at: datetime):
        local = at.astimezone(TZ).replace(tzinfo=None)
        finance = by_role[("finance", "clerk")][0]
        if local == datetime(2026, 10, 9, 10):
            submit(earliest_open("sales"), at)
        elif local == datetime(2026, 10, 12, 10):
            d = session.scalars(
                select(Deliverable).where(Deliverable.status == "submitted")
            ).first()
            ledger.return_deliverable(session, d, by=finance, now=at, reason="incomplete")
            transitions[d.id].append((at, True))
            handed_in[d.id][-1][1] = at
            notices.append((at, "returned", d.return_count, d, finance.email))
        elif local == datetime(2026, 10, 13, 11):
            d = earliest_open("insurance")
            ledger.waive(session, d, by=finance, now=at, reason="not applicable")
            transitions[d.id].append((at, False))
            notices.append((at, "waived", 0, d, finance.email))
        elif local == datetime(2026, 10, 15, 14):
            d = earliest_open("service")
            submit(d, at)
            ledger.accept(session, d, by=finance, now=at)
            handed_in[d.id][-1][1] = at
        elif local == datetime(2026, 10, 16, 9):
            d = earliest_open("hr")
            catalog.retire_commitment(session, d.commitment, at)
            retired[d.commitment_id] = at
        elif local == datetime(2026, 10, 13, 10):
            d = earliest_open("sales")
            holds.ask(session, d, by=by_role[("sales", "clerk")][0], now=at, reason="bank")
            holds.approve(session, d, by=finance, now=at)
            held[d.id] = [at, None]
        elif local == datetime(2026, 10, 15, 15):
            (d_id,) = held
            holds.release(session, session.get(Deliverable, d_id), by=finance, now=at)
            held[d_id][1] = at
        elif local == datetime(2026, 10, 19, 10):
            submit(earliest_open("sales", due_after=at), at)
        for when, type_, reference, *recorder in EVENTS:
            if when.astimezone(UTC) == at:
                by = by_role[recorder[0][:2]][recorder[0][2]] if recorder else None
                _, created = ledger.record_event(
                    session,
                    ledger.NewEvent(store=store, type=type_, occurred_at=at, reference=reference),
                    by=by,
                    now=at,
                )
                for d in created:  # the recorder owns what their own department provides
                    mine = by is not None and by.department.code == d.commitment.provider.code
                    owned[d.id].append((at, by.email if mine else None))
        when, ref, code = REASSIGN
        if when.astimezone(UTC) == at:
            d = next(
                d
                for d in session.scalars(
                    select(Deliverable).where(Deliverable.reference == reference)
                )
                if d.commitment.code == code
            )
            to = by_role[("sales", "clerk")][0]
            owners.reassign(session, d, to=to, by=by_role[("sales", "head")][0], now=at)
            owned[d.id].append((at, to.email))
        session.commit()

    passes, received = [], {}
    at = START
    while at < END:
        act(at)
        before = len(smtp.handler.taken())
        jobs.run_pass(at, worker="month-test")
        received[at] = smtp.handler.taken()[before:]
        passes.append(at)
        at += timedelta(hours=1)

    # What the policy asks for, from the deliverables as created and the test's own timeline.
    deliverables = session.scalars(select(Deliverable).order_by(Deliverable.id)).all()
    model = Model(WorkingCalendar("CN"))
    for d in deliverables:
        d.policy = {**DEFAULT_REMINDER_POLICY, **(d.version.reminder_policy or {})}
        d.provider = d.commitment.provider.code
        d.receiver = d.commitment.receiver.code
        if d.commitment.kind == "checklist":  # presented at the event itself: submitted
            transitions[d.id].insert(0, (d.created_at, False))
            handed_in[d.id].insert(0, [d.created_at, None])
        d.handed_in = handed_in[d.id]
        d.dues = [(d.created_at, d.due_at)]
        if d.id in held:  # the due time before the hold, and after it ended
            start, end = held[d.id]
            before = session.scalars(select(Hold.due_before).where(Hold.deliverable_id == d.id))
            d.dues = [(d.created_at, before.one())]
            d.dues.append((end, model.moved(d.dues[0][1], model.held_hours(start, end))))
            assert d.due_at == d.dues[1][1]

    def open_at(deliverable_id, at):
        if deliverable_id in held and held[deliverable_id][0] <= at < held[deliverable_id][1]:
            return False  # on hold: nobody reminded, not overdue
        state = True
        for when, is_open in transitions[deliverable_id]:
            if when <= at:
                state = is_open
        return state

    def retired_at(commitment_id, at):
        return commitment_id in retired and retired[commitment_id] <= at

    def owner_at(d, at):
        owner = None
        for when, email in owned[d.id]:
            if when <= at:
                owner = email
        return owner

    expected = expected_mail(passes, deliverables, people, open_at, retired_at, model, owner_at)
    add_notices(expected, notices, people, owner_at, model)

    got = {}
    language = {p["email"]: p["language"] for p in people}
    for at, messages in received.items():
        for m in messages:
            (email,) = m.to
            assert (at, email) not in got, f"two digests to {email} in the pass of {at}"
            got[(at, email)] = parse_items(m.html)
            # in their language, plain text and HTML, every item linked under BASE_URL
            if language[email] == "zh":
                assert m.subject.startswith("【事项跟踪】") and "您好" in m.text
            else:
                assert m.subject.startswith("[Tracker]") and "Hello" in m.text
            assert "http://tracker.test/deliverables/" in m.text
            assert m.html.count('href="http://tracker.test/deliverables/') >= len(got[(at, email)])
    differences = {
        key: (sorted(got.get(key, ()), key=str), sorted(expected.get(key, ()), key=str))
        for key in set(got) | set(expected)
        if got.get(key) != expected.get(key)
    }
    for key in sorted(differences)[:6]:
        print("DIFF", key, "\n got", differences[key][0], "\n exp", differences[key][1])
    assert differences == {}

    # The scenario covers what it should: every kind, the holiday and the swapped working day.
    kinds = {item[0] for items in got.values() for item in items}
    assert kinds == {
        "before", "due", "overdue", "escalation", "summary", "decision", "decision_head",
        "handed_in", "waived",
    }  # fmt: skip
    days = {at.astimezone(TZ).date() for at, _ in got}
    assert not days & {date(2026, 10, d) for d in range(1, 8)}  # Golden Week: no mail
    assert date(2026, 10, 10) in days  # a Saturday worked in lieu: mail
    assert all(model.working_hour(at) for at, _ in got)
    assert not any(email.startswith("hr.clerk") for _, email in got)  # has left
    ids = [m.message_id for ms in received.values() for m in ms]
    assert len(ids) == len(set(ids))
    assert sum(map(len, received.values())) > 50
    # the custom policy of loans-8 was applied from the deliverable's own version
    loans8_items = {
        item[:2]
        for items in got.values()
        for item in items
        if item[0] != "summary" and session.get(Deliverable, item[2]).commitment.code == "loans-8"
    }
    assert loans8_items <= {("before", 2), ("escalation", 1)} and loans8_items
    # owners and the ladder were exercised: a lead and a clerk other than the owner escalated to,
    # and the reassigned item reminded to its new owner
    sales7_escalated = {
        email
        for (at, email), items in got.items()
        for item in items
        if item[0] == "escalation"
        and session.get(Deliverable, item[2]).commitment.code == "sales-7"
    }
    assert any(e.startswith("finance.lead") for e in sales7_escalated)
    assert {e for e in sales7_escalated if e.startswith("sales.clerk")} == {
        p["email"] for p in people if p["department"] == "sales" and p["role"] == "clerk"
    }
    reassigned_to = by_role[("sales", "clerk")][0].email
    late = [
        (at, email)
        for (at, email), items in got.items()
        for item in items
        if item[0] == "overdue" and session.get(Deliverable, item[2]).reference == "V-2"
    ]
    assert late and {email for _, email in late} <= {
        reassigned_to,
        by_role[("sales", "clerk")][1].email,
    }
    assert any(email == reassigned_to for _, email in late)
    people_rows = session.scalars(select(Person)).all()
    assert len(people_rows) == len(STAFF)
    # The hold: reminded before it, nothing while it lasted, reminded again after it ended.
    ((held_id, (start, end)),) = held.items()
    times = [at for (at, _e), items in got.items() for item in items if item[2:] == (held_id,)]
    assert min(times) < start and max(times) >= end
    assert not [at for at in times if start <= at < end]
    # Decisions go to the receiving side (Finance's clerk, then its head), the held item's own
    # stages to its owner (the clerk who recorded its event) alone.
    told = defaultdict(set)
    for (_at, email), items in got.items():
        for item in items:
            if item[0] in NOTICE_KINDS:  # a notice of its hand-in: Finance's, checked above
                continue
            if item[0] != "summary" and (item[0] in DECISION or item[2] == held_id):
                told[item[0] if item[0] in DECISION else item[2]].add(email)
    assert told["decision"] == {p.email for p in by_role[("finance", "clerk")]}
    assert told["decision_head"] == {p.email for p in by_role[("finance", "head")]}
    assert told[held_id] >= {by_role[("sales", "clerk")][0].email}
    assert told[held_id] <= {
        by_role[("sales", "clerk")][0].email,
        by_role[("sales", "head")][0].email,
    }
