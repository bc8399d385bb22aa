"""A realistic demo store: people in every department and months of history, made by the same
service functions the clerks use, each at its own simulated moment, so the audit trail, the
lateness and the scorecards are what real use would give."""

import random
import uuid
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker import files
from tracker.calendar.service import store_calendar
from tracker.catalog.models import Commitment
from tracker.catalog.service import load_catalog
from tracker.complaints import service as complaints
from tracker.ledger import service as ledger
from tracker.ledger.models import Deliverable
from tracker.org import service as org
from tracker.org.models import Person, Store

PASSWORD = "demo-pass-2026"

PEOPLE = [
    # (department, role, name, language)
    ("finance", "clerk", "李静 Li Jing", "zh"),
    ("finance", "head", "王芳 Wang Fang", "zh"),
    ("finance", "lead", "Chen Min", "en"),
    ("finance", "admin", "赵磊 Zhao Lei", "zh"),
    ("sales", "clerk", "张伟 Zhang Wei", "zh"),
    ("sales", "clerk", "刘洋 Liu Yang", "zh"),
    ("sales", "head", "孙强 Sun Qiang", "zh"),
    ("insurance", "clerk", "周敏 Zhou Min", "zh"),
    ("insurance", "head", "吴刚 Wu Gang", "zh"),
    ("loans", "clerk", "郑丽 Zheng Li", "zh"),
    ("loans", "head", "冯涛 Feng Tao", "zh"),
    ("service", "clerk", "陈晨 Chen Chen", "zh"),
    ("service", "head", "杨帆 Yang Fan", "en"),
    ("hr", "clerk", "黄蕾 Huang Lei", "zh"),
    ("hr", "head", "何军 He Jun", "zh"),
    # More receiving clerks, so that the survey reaches its minimum of answers.
    ("finance", "clerk", "钱坤 Qian Kun", "zh"),
    ("finance", "clerk", "Olivia Xu", "en"),
]

# Events a day in a mid-sized store, by type (a Poisson-ish mean).
DAILY_EVENTS = {
    "vehicle_delivered": 1.6,
    "vehicle_picked_up": 1.2,
    "customer_payment": 1.8,
    "installment_signed": 0.6,
    "deal_settlement": 1.3,
    "loan_disbursed": 0.5,
    "loan_paid_off": 0.15,
    "deposit_refund": 0.1,
    "loan_notarised": 0.3,
    "registration_done": 0.8,
    "vehicle_returned": 0.2,
    "ownership_transfer": 0.2,
    "policy_issued": 1.0,
    "claim_settled": 0.4,
    "repair_shop_settlement": 0.1,
    "insurer_settlement": 0.1,
    "employee_hired": 0.05,
    "utility_bill": 0.1,
    "salary_change": 0.05,
    "employee_insured": 0.05,
}

# How each department behaves: chance of being late, of being returned, of never handing in.
HABITS = {
    "sales": (0.25, 0.15, 0.03),
    "insurance": (0.15, 0.10, 0.02),
    "loans": (0.30, 0.12, 0.04),
    "service": (0.10, 0.08, 0.02),
    "hr": (0.35, 0.10, 0.05),
}


def email_for(store_code: str, department: str, role: str, n: int = 1) -> str:
    """The demo login of one person."""
    suffix = "" if n == 1 else str(n)
    return f"{department}.{role}{suffix}@{store_code.lower()}.demo"


def build_demo(
    session: Session,
    *,
    now: datetime,
    store_code: str = "SH01",
    months: int = 3,
    seed: int = 7,
    upload_dir: str,
) -> dict:
    """Create the demo store and its history up to `now` (once); return the logins."""
    rng = random.Random(seed)
    load_catalog(session, "dealership", now)
    store = session.scalar(select(Store).where(Store.code == store_code))
    fresh = store is None
    if fresh:
        store = org.add_store(
            session,
            code=store_code,
            name="上海浦东店 Shanghai Pudong",
            timezone="Asia/Shanghai",
            country="CN",
            now=now,
        )
    people = _people(session, store, now)
    if fresh:
        _history(
            session, store, people, now=now, months=months, rng=rng, upload_dir=Path(upload_dir)
        )
        _satisfaction(session, store, people, now=now, rng=random.Random(seed + 1))
        _complaints(session, people, now)
    return {
        "store": store.code,
        "password": PASSWORD,
        "people": [
            {"email": p.email, "name": p.name, "department": p.department.code, "role": p.role}
            for p in people
        ],
    }


def _people(session: Session, store: Store, now: datetime) -> list[Person]:
    people, seen = [], {}
    # One hash for the one demo password: hashing is slow on purpose (~0.1 s each).
    hashed = Person()
    org.set_password(hashed, PASSWORD)
    for department, role, name, language in PEOPLE:
        seen[(department, role)] = seen.get((department, role), 0) + 1
        email = email_for(store.code, department, role, seen[(department, role)])
        person = session.scalar(select(Person).where(Person.email == email))
        if person is None:
            person = org.add_person(
                session,
                email=email,
                name=name,
                department=org.get_department(session, department),
                store=store,
                role=role,
                language=language,
                now=now,
            )
            person.password_hash = hashed.password_hash
        people.append(person)
    return people


def _history(session, store, people, *, now, months, rng, upload_dir) -> None:
    start = (now - timedelta(days=30 * months)).replace(microsecond=0)
    zone = store.zone
    by_dept: dict[str, list[Person]] = {}
    for p in people:
        if p.role in ("clerk", "head"):
            by_dept.setdefault(p.department.code, []).append(p)
    finance = [p for p in people if p.department.code == "finance" and p.role == "clerk"][0]
    calendar = store_calendar(session, store)  # once, not once per event
    deliverables: list[Deliverable] = []
    ledger.ensure_recurring(
        session, now=start, since=start, until=now + timedelta(weeks=6), stores=[store]
    )
    deliverables += session.scalars(
        select(Deliverable).where(Deliverable.store_id == store.id)
    ).all()
    day = start.astimezone(zone).date()
    serial = 1000
    while day <= now.astimezone(zone).date():
        for event_type, mean in DAILY_EVENTS.items():
            for _ in range(_poisson(rng, mean)):
                local = datetime.combine(day, datetime.min.time(), zone) + timedelta(
                    hours=rng.uniform(9, 19.5)
                )
                at = local.astimezone(now.tzinfo).replace(microsecond=0)
                if at > now:
                    continue
                serial += 1
                clerk = rng.choice(by_dept.get(_recorder(event_type), [finance]))
                new = ledger.NewEvent(
                    store=store,
                    type=event_type,
                    occurred_at=at,
                    reference=f"D{day:%y%m}{serial}",
                    customer=rng.choice(["王先生", "李女士", "张先生", "刘女士", "陈先生"]),
                    amount=f"{rng.randint(80, 400) * 1000}.00"
                    if event_type in ("customer_payment", "vehicle_delivered")
                    else None,
                )
                _, created = ledger.record_event(session, new, by=clerk, now=at, calendar=calendar)
                deliverables += created
        day += timedelta(days=1)
    for commitment in session.scalars(select(Commitment).where(Commitment.kind == "request")):
        for _ in range(rng.randint(0, 2)):
            raised = start + timedelta(days=rng.uniform(0, 30 * months))
            if raised >= now:
                continue
            deliverables.append(
                ledger.raise_request(
                    session,
                    store=store,
                    commitment=commitment,
                    by=finance,
                    now=raised,
                    note="请按时配合 / Please help by the due time",
                )
            )
    for deliverable in deliverables:
        _play(session, deliverable, by_dept, finance, now, rng, upload_dir)


def _recorder(event_type: str) -> str:
    if event_type.startswith(("loan", "installment", "deposit")):
        return "loans"
    if event_type in (
        "policy_issued",
        "claim_settled",
        "repair_shop_settlement",
        "insurer_settlement",
        "ownership_transfer",
    ):
        return "insurance"
    if event_type in ("employee_hired", "utility_bill", "salary_change", "employee_insured"):
        return "hr"
    if event_type in ("vehicle_picked_up", "vehicle_returned", "registration_done"):
        return "service"
    return "sales"


def _play(session, d: Deliverable, by_dept, finance, now, rng, upload_dir) -> None:
    """Live one deliverable's life as the habits of its department make likely."""
    provider = d.commitment.provider.code
    late_p, return_p, never_p = HABITS[provider]
    clerk = rng.choice(by_dept[provider])
    if d.status == "open":
        if rng.random() < never_p or (d.due_at > now and rng.random() < 0.6):
            return
        if rng.random() < 0.02:
            waived_at = d.created_at + timedelta(hours=rng.uniform(1, 24))
            if waived_at < now:
                ledger.waive(
                    session,
                    d,
                    by=finance,
                    now=waived_at,
                    reason="不适用：客户取消 / deal cancelled",
                )
            return
        at = _submission_time(d, late_p, rng)
        if at >= now:
            return
        _submit(session, d, clerk, at, rng, upload_dir)
    at = d.last_submitted_at
    while True:
        decided = at + timedelta(hours=rng.uniform(0.5, 30))
        if decided >= now:
            return
        if rng.random() < return_p and d.return_count < 2:
            ledger.return_deliverable(
                session,
                d,
                by=finance,
                now=decided,
                reason=rng.choice(["incomplete", "unsigned", "wrong_amount"]),
            )
            at = decided + timedelta(hours=rng.uniform(2, 72))
            if at >= now:
                return
            _submit(session, d, clerk, at, rng, upload_dir)
            continue
        ledger.accept(session, d, by=finance, now=decided)
        return


def _submission_time(d: Deliverable, late_p: float, rng) -> datetime:
    if rng.random() < late_p:
        return d.due_at + timedelta(hours=rng.uniform(1, 24 * 6))
    earliest = d.created_at
    return earliest + (d.due_at - earliest) * rng.uniform(0.1, 0.95)


def _submit(session, d, clerk, at, rng, upload_dir: Path) -> None:
    evidence = d.version.evidence or []
    file_fields = {}
    if "file" in evidence:
        files.private_folder(upload_dir)
        name = f"{uuid.UUID(int=rng.getrandbits(128)).hex}.txt"
        content = f"{d.commitment.code} {d.reference or d.period} submitted {at.isoformat()}\n"
        files.write_private(upload_dir / name, content.encode())
        file_fields = {
            "file_name": f"{d.commitment.code}-{d.reference or d.period}.txt",
            "file_path": name,
            "file_type": "text/plain",
            "file_size": len(content.encode()),
        }
    ledger.submit(
        session,
        d,
        by=clerk,
        now=at,
        evidence=ledger.Evidence(
            reference=d.reference or f"{d.commitment.code}/{d.period}",
            amount=(d.amount or f"{rng.randint(1, 500) * 100}.00")
            if "amount" in evidence
            else None,
            note="已按要求提供 / provided as asked" if "note" in evidence else None,
            **file_fields,
        ),
        late_reason=rng.choice(["客户未及时签字", "系统故障", "人手不足 / short-staffed"])
        if at > d.due_at
        else None,
    )


def _poisson(rng: random.Random, mean: float) -> int:
    # Knuth's method; means here are small.
    limit, k, p = pow(2.718281828459045, -mean), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


# What the receiving clerks say of each department, by its habits: comments for the survey.
COMMENTS = {
    "sales": ["签字常常要催 / signatures need chasing", "态度很好 / always polite"],
    "insurance": ["资料齐全 / papers complete"],
    "loans": ["放款信息偶尔有误 / disbursement details sometimes wrong"],
    "service": ["很及时 / very prompt"],
    "hr": ["要催好几次 / had to ask several times"],
}


def _satisfaction(session: Session, store: Store, people: list[Person], *, now, rng) -> None:
    """Ratings on about 60% of the decisions (lower where a department is late or returned
    more), and this quarter's survey, open from two weeks ago, answered by all but one of the
    receiving clerks and heads (the last one still gets the reminders)."""
    from tracker.ledger.models import Submission
    from tracker.satisfaction import service as satisfaction

    by_id = {p.id: p for p in people}
    decided = session.scalars(
        select(Submission)
        .join(Deliverable, Deliverable.id == Submission.deliverable_id)
        .where(Deliverable.store_id == store.id, Submission.outcome.in_(["accepted", "returned"]))
        .order_by(Submission.id)
    ).all()
    for submission in decided:
        d = submission.deliverable
        if rng.random() > 0.6 or submission.decided_by_id not in by_id:
            continue
        late_p, return_p, _never = HABITS[d.commitment.provider.code]
        late = submission.submitted_at > d.due_at
        returned = submission.outcome == "returned"
        rating = 5 - (late and rng.random() < 0.7) - returned - (rng.random() < late_p + return_p)
        tags = [t for t, p in (("complete", not returned), ("courteous", rating >= 4)) if p]
        tags += ["had_to_chase"] if late and rng.random() < 0.6 else []
        tags += ["wrong_information"] if returned and rng.random() < 0.5 else []
        satisfaction.rate(
            session,
            submission,
            rating=max(1, rating),
            tags=tags,
            by=by_id[submission.decided_by_id],
            now=submission.decided_at,
        )
    today = now.astimezone(store.zone).date()
    survey = satisfaction.open_survey(
        session,
        store,
        satisfaction.quarter_of(today.strftime("%Y-%m")),
        opens_on=today - timedelta(days=14),
        closes_on=today + timedelta(days=14),
        by=None,
        now=now,
    )
    answering = [
        p for p in people if p.role in ("clerk", "head") and p.department.code == "finance"
    ]
    for person in answering[:-1]:
        for department in satisfaction.to_answer(session, person, survey):
            late_p, return_p, _never = HABITS[department.code]
            base = 5 - round((late_p + return_p) * 4)
            scores = [max(1, min(5, base + rng.choice([-1, 0, 0, 1]))) for _ in range(4)]
            comment = rng.choice(COMMENTS[department.code]) if rng.random() < 0.4 else None
            answer = satisfaction.Scores(*scores, comment=comment)
            satisfaction.answer(session, person, survey, department, answer, now=now)


# (filed by, about, severity, what, days before now, what became of it)
COMPLAINTS = [
    ("finance", "sales", "normal", "交车资料缺少客户签字，已第三次催要。", 0.05, "new"),
    ("loans", "sales", "high", "Deposit slip for D-2041 was sent to the wrong email.", 1, "open"),
    ("finance", "insurance", "normal", "保单金额与合同不符，需要重新出具。", 3, "answered"),
    ("finance", "loans", "low", "放款通知晚了两天才转给财务。", 12, "closed"),
    (
        "sales",
        "service",
        "high",
        "Repair invoice handed over without the work order.",
        1.2,
        "reopened",
    ),
    ("hr", "insurance", "urgent", "员工车险续保未处理，已过期。", 9, "late"),
]


def _complaints(session: Session, people: list[Person], now: datetime) -> None:
    """A few complaints in each state: new, opened, answered, closed, reopened, one late."""
    first = {}
    for p in people:
        first.setdefault((p.department.code, p.role), p)
    for by, about, severity, what, days, state in COMPLAINTS:
        at = now - timedelta(days=days)
        filer, handler = first[(by, "clerk")], first[(about, "clerk")]
        c = complaints.file(
            session, by=filer, department=about, what=what, severity=severity, now=at
        )
        if state == "new":
            continue
        complaints.open_(session, c.id, by=handler, now=at + timedelta(minutes=20))
        if state in ("open", "late"):
            continue
        answered = at + timedelta(hours=2)
        complaints.answer(
            session, c.id, by=handler, text="已处理，抱歉。 Done, sorry.", now=answered
        )
        if state == "closed":
            complaints.close(session, c.id, by=filer, now=answered + timedelta(hours=3))
        elif state == "reopened":
            complaints.reopen(
                session, c.id, by=filer, note="Still missing the work order.",
                now=answered + timedelta(days=1),
            )  # fmt: skip
