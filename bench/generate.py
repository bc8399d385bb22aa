"""A dealer group's year, generated fast: `python -m bench.generate --database-url URL`.

N stores (default 200) with the default catalogue, people in every department, and a year of
business events with their deliverables (about 1,070,000 at full scale), in the states real use
gives: accepted on time or late, returned and accepted later, still submitted, open overdue,
waived; future recurring ones are already created, as the scheduler keeps them six weeks ahead.

Due times come from the real deadline engine (`tracker.calendar`), memoised: a due time depends
only on the rule, the store's zone and calendar and the local day, so a year of 200 stores needs
a few thousand calls, not a million. Rows go in with bulk inserts (SQLAlchemy Core `insert()`
with lists of dicts on SQLite, COPY on PostgreSQL), chunk by chunk, with ids chosen here.

`--years N` (N > 1) generates the last 52 weeks so and copies them N-1 times, each 52 weeks
further back, in SQL (`add_earlier_years`): ten years, about 11M deliverables, in minutes.

Not generated: the audit trail (no figure reads it) and evidence files (submissions name them).
"""

import argparse
import json
import math
import random
import sys
import time
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from datetime import time as dtime
from decimal import Decimal
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask_migrate import upgrade
from sqlalchemy import func, insert, select
from sqlalchemy.schema import CreateIndex, DropIndex

from bench.common import DEFAULT_NOW, ROOT, is_sqlite, make_app, recreate_database
from tracker.calendar.deadlines import event_due, recurring_due, request_due
from tracker.calendar.models import CalendarOverride
from tracker.calendar.service import store_calendar
from tracker.catalog.models import Commitment
from tracker.catalog.service import load_catalog
from tracker.demo import DAILY_EVENTS, HABITS
from tracker.extensions import db
from tracker.ledger.models import BusinessEvent, Deliverable, Submission, Waiver
from tracker.ledger.service import RECURRING_HORIZON, _period
from tracker.org.models import Department, Person, Store
from tracker.org.service import set_password
from tracker.scorecards.service import rebuild_rollup
from tracker.types import UTCDateTime

PASSWORD = "bench-pass-2026"
CHUNK = 20_000
# People of every store: (department, role, how many).
STAFF = [
    ("finance", "clerk", 1),
    ("finance", "head", 1),
    ("sales", "clerk", 2),
    ("sales", "head", 1),
    ("insurance", "clerk", 1),
    ("insurance", "head", 1),
    ("loans", "clerk", 1),
    ("loans", "head", 1),
    ("service", "clerk", 1),
    ("service", "head", 1),
    ("hr", "clerk", 1),
    ("hr", "head", 1),
]
CITIES = [
    ("Asia/Shanghai", "CN"),
]
RETURN_REASONS = ("incomplete", "unsigned", "wrong_amount")
LATE_REASONS = ("客户未及时签字", "系统故障", "人手不足 / short-staffed")
# Requests each request commitment gets in a store, per year.
REQUESTS_PER_YEAR = 6
# A little above the demo store's pace, so that 200 stores make a million deliverables a year.
PACE = 1.02


def email_for(code: str, department: str, role: str, n: int = 1) -> str:
    """The login of one generated person."""
    return f"{department}.{role}{'' if n == 1 else n}@{code.lower()}.bench"


def _poisson(rng: random.Random, mean: float) -> int:
    limit, k, p = math.exp(-mean), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


class Loader:
    """Buffers rows per table and writes them in chunks, parents first."""

    ORDER = ("business_event", "deliverable", "submission", "waiver")

    def __init__(self, engine: sa.Engine):
        self.engine = engine
        self.rows: dict[str, list[dict]] = defaultdict(list)
        self.counts: Counter = Counter()
        self.tables = {
            t.name: t
            for t in (
                BusinessEvent.__table__,
                Deliverable.__table__,
                Submission.__table__,
                Waiver.__table__,
            )
        }
        self.copy = engine.dialect.name == "postgresql"

    def add(self, table: str, row: dict) -> None:
        self.rows[table].append(row)

    def maybe_flush(self) -> None:
        if len(self.rows["deliverable"]) >= CHUNK:
            self.flush()

    def flush(self) -> None:
        if self.copy:
            self._copy()
        else:
            with self.engine.begin() as conn:
                for name in self.ORDER:
                    if self.rows[name]:
                        conn.execute(insert(self.tables[name]), self.rows[name])
        for name in self.ORDER:
            self.counts[name] += len(self.rows[name])
            self.rows[name].clear()

    def _copy(self) -> None:
        raw = self.engine.raw_connection()
        try:
            with raw.cursor() as cur:
                for name in self.ORDER:
                    rows = self.rows[name]
                    if not rows:
                        continue
                    columns = list(rows[0])
                    names = ", ".join(f'"{c}"' for c in columns)
                    with cur.copy(f"COPY {name} ({names}) FROM STDIN") as copy:
                        for row in rows:
                            copy.write_row(tuple(row[c] for c in columns))
            raw.commit()
        finally:
            raw.close()


class Dues:
    """The real deadline engine, asked once per (commitment, zone, calendar, local day)."""

    def __init__(self):
        self.memo: dict = {}
        self.calls = 0

    def event(self, c, at: datetime, store) -> datetime:
        day = at.astimezone(store["zone"]).date()
        key = ("e", c["id"], store["cal_key"], day)
        due = self.memo.get(key)
        if due is None:
            self.calls += 1
            fn = request_due if c["kind"] == "request" else event_due
            due = self.memo[key] = fn(c["rule"], at, store["zone"], store["calendar"])
        return due

    def recurring(self, c, since: datetime, until: datetime, store) -> list:
        key = ("r", c["id"], store["cal_key"], since, until)
        found = self.memo.get(key)
        if found is None:
            self.calls += 1
            rule = c["rule"]
            count = {"monthly": 2, "weekly": 9, "daily": 63}[rule.frequency]
            count += (until - since).days // {"monthly": 28, "weekly": 7, "daily": 1}[
                rule.frequency
            ]
            found = [
                o
                for o in recurring_due(rule, since, store["zone"], store["calendar"], count)
                if o.due <= until
            ]
            self.memo[key] = found
        return found


class Ids:
    def __init__(self, engine):
        with engine.connect() as conn:
            self.next = {
                t: (conn.execute(select(func.max(m.id))).scalar() or 0) + 1
                for t, m in (
                    ("business_event", BusinessEvent),
                    ("deliverable", Deliverable),
                    ("submission", Submission),
                    ("waiver", Waiver),
                )
            }

    def take(self, table: str) -> int:
        value = self.next[table]
        self.next[table] = value + 1
        return value


def _setup(session, stores: int, now: datetime, start: datetime) -> None:
    """The catalogue, the stores and their people (a handful of rows: the ORM is fine)."""
    load_catalog(session, "dealership", start)
    departments = {d.code: d for d in session.scalars(select(Department))}
    have = set(session.scalars(select(Store.code)))
    probe = Person(email="x@x", name="x")
    set_password(probe, PASSWORD)  # one hash for everyone: hashing is slow on purpose
    store_rows, people_rows = [], []
    for i in range(1, stores + 1):
        code = f"S{i:03d}"
        if code in have:
            continue
        tz, country = CITIES[(i - 1) % len(CITIES)]
        store_rows.append(
            dict(
                code=code,
                name=f"门店 Store {i:03d}",
                timezone=tz,
                country=country,
                subdiv=None,
                language="zh",
                work_start=dtime(9, 0),
                work_end=dtime(18, 0),
                created_at=start,
            )
        )
    if store_rows:
        session.execute(insert(Store), store_rows)
    ids = dict(session.execute(select(Store.code, Store.id)).all())
    existing = set(session.scalars(select(Person.email)))
    for code, store_id in sorted(ids.items()):
        if not code.startswith("S"):
            continue
        for department, role, many in STAFF:
            for n in range(1, many + 1):
                email = email_for(code, department, role, n)
                if email in existing:
                    continue
                people_rows.append(
                    dict(
                        email=email,
                        name=f"{department} {role} {n} {code}",
                        department_id=departments[department].id,
                        store_id=store_id,
                        role=role,
                        language="zh" if n == 1 else "en",
                        password_hash=probe.password_hash,
                        active=True,
                        created_at=start,
                    )
                )
    group = [("lead", "finance.lead@group.bench"), ("admin", "admin@group.bench")]
    for role, email in group:
        if email not in existing and ids:
            people_rows.append(
                dict(
                    email=email,
                    name=f"group {role}",
                    department_id=departments["finance"].id,
                    store_id=min(ids.values()),
                    role=role,
                    language="en",
                    password_hash=probe.password_hash,
                    active=True,
                    created_at=start,
                )
            )
    if people_rows:
        session.execute(insert(Person), people_rows)
    session.commit()


def _catalogue(session) -> list[dict]:
    result = []
    for c in session.scalars(select(Commitment).where(Commitment.retired_at.is_(None))):
        v = c.current
        result.append(
            dict(
                id=c.id,
                code=c.code,
                kind=c.kind,
                event_type=c.event_type,
                provider_id=c.provider_id,
                receiver_id=c.receiver_id,
                provider=c.provider.code,
                version_id=v.id,
                rule=v.rule(c.kind),
                frequency=v.frequency,
                period_back=v.period_back,
                trigger_after=v.trigger_after,
                evidence=list(v.evidence or []),
            )
        )
    return result


def _expected_per_store_day(catalogue: list[dict]) -> float:
    """Deliverables a store's events make a day on average (sales-6 only after 17:00)."""
    total = 0.0
    for c in catalogue:
        if c["kind"] in ("event", "checklist"):
            share = 1.0
            if c["trigger_after"] is not None:
                hour = c["trigger_after"].hour + c["trigger_after"].minute / 60
                share = max(0.0, (19.5 - hour) / 10.5)
            total += DAILY_EVENTS.get(c["event_type"], 0) * share
    return total * PACE


class Life:
    """One deliverable's life, drawn as the habits of its department make likely (the rules
    of tracker.demo, computed as field values instead of played through the services)."""

    def __init__(self, loader: Loader, ids: Ids, now: datetime, people: dict):
        self.loader, self.ids, self.now, self.people = loader, ids, now, people

    def play(self, rng: random.Random, d: dict, c: dict, presented_at: datetime | None) -> None:
        now = self.now
        late_p, return_p, never_p = HABITS[c["provider"]]
        staff = self.people[(d["store_id"], c["provider_id"])]
        finance = self.people[(d["store_id"], c["receiver_id"])][0]
        submissions: list[dict] = []
        transitions = 0

        def hand_in(at: datetime) -> None:
            nonlocal transitions
            at = at.replace(microsecond=0)
            evidence = c["evidence"]
            row = dict(
                id=self.ids.take("submission"),
                deliverable_id=d["id"],
                seq=len(submissions) + 1,
                submitted_at=at,
                submitted_by_id=rng.choice(staff),
                reference=d["reference"] or f"{c['code']}/{d['period']}",
                amount=(d["amount"] or Decimal(rng.randint(1, 500) * 100))
                if "amount" in evidence
                else None,
                note="presented at the event" if presented_at is not None else None,
                late_reason=rng.choice(LATE_REASONS) if at > d["due_at"] else None,
                file_name=f"{c['code']}-{d['id']}.pdf" if "file" in evidence else None,
                file_path=f"bench/{d['id']}-{len(submissions) + 1}.pdf"
                if "file" in evidence
                else None,
                file_type="application/pdf" if "file" in evidence else None,
                file_size=rng.randint(40_000, 900_000) if "file" in evidence else None,
                outcome="pending",
                decided_at=None,
                decided_by_id=None,
                return_reason=None,
            )
            submissions.append(row)
            d["status"] = "submitted"
            d["last_submitted_at"] = at
            transitions += 1

        if presented_at is not None:
            hand_in(presented_at)
        else:
            if rng.random() < never_p or (d["due_at"] > now and rng.random() < 0.6):
                return self._write(d, submissions, transitions)
            if rng.random() < 0.02:
                waived_at = d["created_at"] + timedelta(hours=rng.uniform(1, 24))
                if waived_at < now:
                    d["status"] = "waived"
                    self.loader.add(
                        "waiver",
                        dict(
                            id=self.ids.take("waiver"),
                            deliverable_id=d["id"],
                            reason="不适用：客户取消 / deal cancelled",
                            waived_by_id=finance,
                            waived_at=waived_at,
                        ),
                    )
                    transitions += 1
                return self._write(d, submissions, transitions)
            if rng.random() < late_p:
                at = d["due_at"] + timedelta(hours=rng.uniform(1, 24 * 6))
            else:
                at = d["created_at"] + (d["due_at"] - d["created_at"]) * rng.uniform(0.1, 0.95)
            if at >= now:
                return self._write(d, submissions, transitions)
            hand_in(at)
        at = d["last_submitted_at"]
        while True:
            decided = (at + timedelta(hours=rng.uniform(0.5, 30))).replace(microsecond=0)
            if decided >= now:
                break
            last = submissions[-1]
            last["decided_at"], last["decided_by_id"] = decided, finance
            transitions += 1
            if rng.random() < return_p and d["return_count"] < 2:
                last["outcome"], last["return_reason"] = "returned", rng.choice(RETURN_REASONS)
                d["status"] = "returned"
                d["return_count"] += 1
                at = decided + timedelta(hours=rng.uniform(2, 72))
                if at >= now:
                    break
                hand_in(at)
                continue
            last["outcome"] = "accepted"
            d["status"] = "accepted"
            d["final_submitted_at"] = last["submitted_at"]
            d["accepted_at"] = decided
            late = last["submitted_at"] - d["due_at"]
            d["lateness_seconds"] = max(0, int(late.total_seconds()))
            break
        self._write(d, submissions, transitions)

    def _write(self, d: dict, submissions: list[dict], transitions: int) -> None:
        d["state_version"] = 1 + transitions
        self.loader.add("deliverable", d)
        for s in submissions:
            self.loader.add("submission", s)
        self.loader.maybe_flush()


def _deliverable(ids: Ids, c: dict, store: dict, due: datetime, created: datetime, **fields):
    return dict(
        id=ids.take("deliverable"),
        commitment_id=c["id"],
        version_id=c["version_id"],
        store_id=store["id"],
        provider_id=c["provider_id"],
        receiver_id=c["receiver_id"],
        event_id=fields.get("event_id"),
        dedupe_key=fields.get("dedupe_key"),
        occurrence_date=fields.get("occurrence_date"),
        period=fields.get("period"),
        reference=fields.get("reference"),
        request_note=fields.get("request_note"),
        requested_by_id=fields.get("requested_by_id"),
        due_at=due,
        due_month=due.astimezone(store["zone"]).strftime("%Y-%m"),
        status="open",
        state_version=1,
        created_at=created,
        last_submitted_at=None,
        final_submitted_at=None,
        accepted_at=None,
        lateness_seconds=None,
        return_count=0,
        amount=fields.get("amount"),
    )


def history_days(instant: datetime, years: int) -> int:
    """The days of `years` calendar years back from `instant` (365 for one ordinary year)."""
    try:
        earlier = instant.replace(year=instant.year - years)
    except ValueError:  # 29 February
        earlier = instant.replace(year=instant.year - years, day=28)
    return (instant - earlier).days


def generate(
    url: str,
    *,
    stores: int = 200,
    scale: float = 1.0,
    days: int | None = None,
    years: int = 1,
    now: str = DEFAULT_NOW,
    history: int | None = None,
    seed: int = 7,
    fresh: bool = True,
    log=lambda text: print(text, file=sys.stderr, flush=True),
) -> dict:
    """Fill `url` with a dealer group's history up to `now`; return what was made.

    One year (or `days`) is generated row by row. With `years` > 1 the last 52 weeks (or `days`)
    are generated so, and the `years - 1` earlier years are copies of them made by the database
    (`add_earlier_years`): 10 years take minutes instead of hours of Python.

    `scale` multiplies the number of stores. `history`, when given, makes only about that many
    deliverables due before `now` (events thinned out, no past recurring ones), with the same
    stores, people and future recurring deliverables: the small twin of a big database."""
    started = time.perf_counter()
    instant = datetime.fromisoformat(now).astimezone(UTC)
    if days is None:
        days = history_days(instant, years) if years == 1 else WEEKS_52
    start = instant - timedelta(days=days)
    n_stores = max(1, round(stores * scale))
    if fresh:
        recreate_database(url)
    app = make_app(url)
    with app.app_context():
        if fresh:
            upgrade(directory=app.extensions["migrate"].directory)
        engine = _bulk_engine(url)
        session = db.session
        _setup(session, n_stores, instant, start - timedelta(days=WEEKS_52 * (years - 1)))
        catalogue = _catalogue(session)
        by_event = defaultdict(list)
        for c in catalogue:
            if c["kind"] in ("event", "checklist"):
                by_event[c["event_type"]].append(c)
        people = defaultdict(list)
        for p in session.execute(
            select(Person.id, Person.store_id, Person.department_id, Person.role)
            .where(Person.role.in_(("clerk", "head")))
            .order_by(Person.id)
        ):
            if p.role == "clerk":
                people[(p.store_id, p.department_id)].insert(0, p.id)
            else:
                people[(p.store_id, p.department_id)].append(p.id)
        store_objs = session.scalars(
            select(Store).where(Store.code.like("S%")).order_by(Store.id)
        ).all()
        stores_data = []
        for s in store_objs:
            overrides = tuple(
                sorted(
                    session.execute(
                        select(CalendarOverride.day, CalendarOverride.working).where(
                            CalendarOverride.store_id == s.id
                        )
                    ).all()
                )
            )
            stores_data.append(
                dict(
                    id=s.id,
                    code=s.code,
                    zone=s.zone,
                    calendar=store_calendar(session, s),
                    cal_key=(s.country, s.subdiv, s.timezone, overrides),
                )
            )
        session.remove()

        per_day = _expected_per_store_day(catalogue)
        thin = 1.0
        if history is not None:
            thin = min(1.0, history / max(1.0, per_day * days * len(stores_data)))
        loader = Loader(engine)
        ids = Ids(engine)
        dues = Dues()
        life = Life(loader, ids, instant, people)
        horizon = instant + RECURRING_HORIZON
        requests = [c for c in catalogue if c["kind"] == "request"]
        for index, store in enumerate(stores_data):
            rng = random.Random(seed * 100_003 + store["id"])
            zone = store["zone"]
            first_day = start.astimezone(zone).date()
            last_day = instant.astimezone(zone).date()
            serial = 0
            day = first_day
            while day <= last_day:
                midnight = datetime.combine(day, dtime(0), zone)
                for event_type, mean in DAILY_EVENTS.items():
                    for _ in range(_poisson(rng, mean * PACE * thin)):
                        local = midnight + timedelta(hours=rng.uniform(9, 19.5))
                        at = local.astimezone(UTC).replace(microsecond=0)
                        if at > instant or at < start:
                            continue
                        serial += 1
                        reference = f"D{day:%y%m}{store['code']}{serial:05d}"
                        amount = (
                            Decimal(rng.randint(80, 400) * 1000)
                            if event_type in ("customer_payment", "vehicle_delivered")
                            else None
                        )
                        event_id = ids.take("business_event")
                        loader.add(
                            "business_event",
                            dict(
                                id=event_id,
                                store_id=store["id"],
                                type=event_type,
                                occurred_at=at,
                                reference=reference,
                                customer=None,
                                vin=None,
                                amount=amount,
                                recorded_by_id=None,
                                recorded_at=at,
                            ),
                        )
                        local_time = local.time()
                        for c in by_event[event_type]:
                            if c["trigger_after"] is not None and local_time < c["trigger_after"]:
                                continue
                            d = _deliverable(
                                ids,
                                c,
                                store,
                                dues.event(c, at, store),
                                at,
                                event_id=event_id,
                                dedupe_key=f"e:{c['id']}:{event_id}",
                                reference=reference,
                                amount=amount,
                            )
                            life.play(rng, d, c, at if c["kind"] == "checklist" else None)
                day += timedelta(days=1)
            for c in requests:
                for _ in range(_poisson(rng, REQUESTS_PER_YEAR * days / 365 * thin)):
                    raised = (start + timedelta(seconds=rng.uniform(0, days * 86400))).replace(
                        microsecond=0
                    )
                    due = dues.event(c, raised, store)
                    if raised >= instant:
                        continue
                    d = _deliverable(
                        ids,
                        c,
                        store,
                        due,
                        raised,
                        request_note="请按时配合 / Please help by the due time",
                        requested_by_id=people[(store["id"], c["receiver_id"])][0],
                    )
                    life.play(rng, d, c, None)
            since = instant if history is not None else start
            for c in catalogue:
                if c["kind"] != "recurring":
                    continue
                for o in dues.recurring(c, since, horizon, store):
                    d = _deliverable(
                        ids,
                        c,
                        store,
                        o.due,
                        max(since, min(instant, o.due - RECURRING_HORIZON)),
                        dedupe_key=f"r:{c['id']}:{store['id']}:{o.nominal.isoformat()}",
                        occurrence_date=o.nominal,
                        period=_period(o.nominal, c["frequency"], c["period_back"]),
                    )
                    life.play(rng, d, c, None)
            if (index + 1) % 20 == 0 or index + 1 == len(stores_data):
                log(
                    f"  {index + 1}/{len(stores_data)} stores, "
                    f"{ids.next['deliverable'] - 1} deliverables, "
                    f"{time.perf_counter() - started:.0f}s"
                )
        loader.flush()
        copies = add_earlier_years(engine, instant, years, log) if years > 1 else 0
        summary = _conclude(session, engine, instant, log)
        engine.dispose()
    return {
        "database": sa.engine.make_url(url).render_as_string(hide_password=True),
        "now": instant.isoformat(),
        "stores": len(stores_data),
        **summary,
        "deadline_engine_calls": dues.calls,
        "days": days + copies * WEEKS_52,
        "generated_days": days,
        "copied_years": copies,
        "seconds": round(time.perf_counter() - started, 1),
    }


def _conclude(session, engine: sa.Engine, instant: datetime, log) -> dict:
    """The scorecards' roll-up rebuilt, planner statistics, and what the database now holds."""
    # What the ledger does one deliverable at a time when it accepts or waives one.
    rollup_started = time.perf_counter()
    rollup_rows = rebuild_rollup(session)
    session.commit()
    seconds = time.perf_counter() - rollup_started
    log(f"  scorecard roll-up: {rollup_rows} rows in {seconds:.1f}s")
    _finish(engine)
    with engine.connect() as conn:
        statuses = dict(
            conn.execute(
                select(Deliverable.status, func.count()).group_by(Deliverable.status)
            ).all()
        )
        history_rows = conn.execute(
            select(func.count()).where(Deliverable.due_at <= instant)
        ).scalar()
        overdue = conn.execute(
            select(func.count()).where(
                Deliverable.status.in_(("open", "returned")), Deliverable.due_at < instant
            )
        ).scalar()
        rows = {
            m.__tablename__: conn.execute(select(func.count()).select_from(m)).scalar()
            for m in (BusinessEvent, Deliverable, Submission, Waiver)
        }
    return {
        "rows": rows,
        "deliverables": sum(statuses.values()),
        "history_deliverables": history_rows,
        "open_overdue": overdue,
        "statuses": statuses,
        "score_month_rows": rollup_rows,
    }


def extend(url: str, *, years: int, now: str = DEFAULT_NOW, log=print) -> dict:
    """Add the earlier years to a database holding one generated year (`add_earlier_years`)."""
    started = time.perf_counter()
    instant = datetime.fromisoformat(now).astimezone(UTC)
    app = make_app(url)
    with app.app_context():
        upgrade(directory=app.extensions["migrate"].directory)
        engine = _bulk_engine(url)
        copies = add_earlier_years(engine, instant, years, log)
        summary = _conclude(db.session, engine, instant, log)
        engine.dispose()
    return {
        "database": sa.engine.make_url(url).render_as_string(hide_password=True),
        "now": instant.isoformat(),
        **summary,
        "copied_years": copies,
        "seconds": round(time.perf_counter() - started, 1),
    }


def _bulk_engine(url: str) -> sa.Engine:
    """The app's engine, tuned on SQLite for bulk writing (no fsync, a 512 MB page cache)."""
    engine = db.engine
    if is_sqlite(url):
        # Generation only: the loss of the file on a power cut would not matter here.
        def tune(connection, _record):
            connection.execute("PRAGMA synchronous=OFF")
            connection.execute("PRAGMA cache_size=-524288")

        sa.event.listen(engine, "connect", tune)
        engine.dispose()
    return engine


# --- earlier years: the generated year copied back, in SQL ---

WEEKS_52 = 364  # days: a copy keeps every instant's weekday


class _Shift:
    """SQL expressions of one dialect for a copy `k` years (k x 52 weeks) back."""

    def __init__(self, dialect: str, zone: str, offset_hours: int):
        self.pg = dialect == "postgresql"
        self.zone, self.offset = zone, offset_hours

    def instant(self, column: str, days: int) -> str:
        if self.pg:
            return f"{column} - interval '{days} days'"
        # SQLite keeps instants as 'YYYY-MM-DD HH:MM:SS.ffffff': the same shape, shifted.
        return f"datetime({column}, '-{days} days') || substr({column}, 20)"

    def day(self, column: str, days: int) -> str:
        return f"{column} - {days}" if self.pg else f"date({column}, '-{days} days')"

    def local(self, instant: str, fmt: str) -> str:
        """`fmt` ('%Y-%m' or '%y%m') of the local day of an instant expression."""
        if self.pg:
            pattern = {"%Y-%m": "YYYY-MM", "%y%m": "YYMM"}[fmt]
            return f"to_char(({instant}) AT TIME ZONE '{self.zone}', '{pattern}')"
        if fmt == "%y%m":  # SQLite's strftime has no %y
            return f"substr(strftime('%Y%m', {instant}, '{self.offset:+d} hours'), 3)"
        return f"strftime('{fmt}', {instant}, '{self.offset:+d} hours')"

    def period(self, column: str, k: int, days: int) -> str:
        """A period shifted back: a day ('YYYY-MM-DD') by the days, a month by k years."""
        shifted_day = (
            f"to_char(CAST({column} AS date) - {days}, 'YYYY-MM-DD')"
            if self.pg
            else f"date({column}, '-{days} days')"
        )
        year = f"CAST(CAST(substr({column}, 1, 4) AS INTEGER) - {k} AS TEXT)"
        return (
            f"CASE WHEN length({column}) = 10 THEN {shifted_day} "
            f"ELSE {year} || substr({column}, 5) END"
        )

    def reference(self, reference: str, created: str, days: int) -> str:
        """A deal reference D<yymm><store><serial> with the yymm of the shifted day."""
        return (
            f"CASE WHEN {reference} LIKE 'D%' THEN 'D' || "
            f"{self.local(self.instant(created, days), '%y%m')} || substr({reference}, 6) "
            f"ELSE {reference} END"
        )


def _copy_statements(shift: _Shift, k: int, off: dict) -> list[str]:
    """INSERT ... SELECT statements copying the base year's rows (created since `:since`; the
    copies are older) k x 52 weeks back; ids move up by `off`, each table's highest id."""
    days = k * WEEKS_52
    base = "d.created_at >= :since AND d.due_at <= :now"

    def copy(table: str, columns: dict, source: str, where: str) -> str:
        names = ", ".join(f'"{c}"' for c in columns)
        values = ", ".join(columns.values())
        return f"INSERT INTO {table} ({names}) SELECT {values} FROM {source} WHERE {where}"

    t = lambda c: shift.instant(c, days)  # noqa: E731
    event_columns = {c.name: f"e.{c.name}" for c in BusinessEvent.__table__.columns}
    event_columns.update(
        id=f"e.id + {off['business_event']}",
        occurred_at=t("e.occurred_at"),
        recorded_at=t("e.recorded_at"),
        reference=shift.reference("e.reference", "e.occurred_at", days),
    )
    d_columns = {c.name: f"d.{c.name}" for c in Deliverable.__table__.columns}
    d_columns.update(
        id=f"d.id + {off['deliverable']}",
        event_id=f"d.event_id + {off['business_event']}",
        dedupe_key=f"d.dedupe_key || '\\:y{k}'",  # (\\: is a colon in sa.text)
        occurrence_date=shift.day("d.occurrence_date", days),
        period=shift.period("d.period", k, days),
        reference=shift.reference("d.reference", "d.created_at", days),
        due_at=t("d.due_at"),
        due_month=shift.local(t("d.due_at"), "%Y-%m"),
        created_at=t("d.created_at"),
        last_submitted_at=t("d.last_submitted_at"),
        final_submitted_at=t("d.final_submitted_at"),
        accepted_at=t("d.accepted_at"),
    )
    s_columns = {c.name: f"s.{c.name}" for c in Submission.__table__.columns}
    s_columns.update(
        id=f"s.id + {off['submission']}",
        deliverable_id=f"s.deliverable_id + {off['deliverable']}",
        submitted_at=t("s.submitted_at"),
        decided_at=t("s.decided_at"),
        reference=shift.reference("s.reference", "d.created_at", days),
        file_path=(
            f"CASE WHEN s.file_path IS NULL THEN NULL ELSE 'bench/' || "
            f"CAST(s.deliverable_id + {off['deliverable']} AS TEXT) || '-' || "
            f"CAST(s.seq AS TEXT) || '.pdf' END"
        ),
    )
    w_columns = {c.name: f"w.{c.name}" for c in Waiver.__table__.columns}
    w_columns.update(
        id=f"w.id + {off['waiver']}",
        deliverable_id=f"w.deliverable_id + {off['deliverable']}",
        waived_at=t("w.waived_at"),
    )
    return [
        copy(
            "business_event",
            event_columns,
            "business_event e",
            "e.occurred_at >= :since",
        ),
        copy("deliverable", d_columns, "deliverable d", base),
        copy(
            "submission",
            s_columns,
            "submission s JOIN deliverable d ON d.id = s.deliverable_id",
            base,
        ),
        copy(
            "waiver",
            w_columns,
            "waiver w JOIN deliverable d ON d.id = w.deliverable_id",
            base,
        ),
    ]


def _tops(conn) -> dict:
    return {
        t: conn.execute(select(func.max(m.id))).scalar() or 0
        for t, m in (
            ("business_event", BusinessEvent),
            ("deliverable", Deliverable),
            ("submission", Submission),
            ("waiver", Waiver),
        )
    }


def _secondary_indexes() -> list[sa.Index]:
    """The indexes of the copied tables that no constraint owns, as the models declare them."""
    return [
        index
        for model in (BusinessEvent, Deliverable, Submission, Waiver)
        for index in sorted(model.__table__.indexes, key=lambda i: i.name)
    ]


def add_earlier_years(engine: sa.Engine, now: datetime, years: int, log=lambda text: None) -> int:
    """Make `years` of history from the last generated 52 weeks: copies of those weeks' past
    rows (events, deliverables due by now, their submissions and waivers), each moved back by a
    further 52 weeks, written by the database itself (INSERT ... SELECT, one copy a
    transaction, the tables' secondary indexes dropped meanwhile and built again at the end).
    Due times keep their weekday and hour but not the holidays of those years. Copies already
    there are kept (an interrupted run goes on). Returns the copies in the database."""
    since = now - timedelta(days=WEEKS_52)
    with engine.connect() as conn:
        zones = set(conn.scalars(select(Store.timezone).where(Store.code.like("S%"))))
        first = conn.execute(select(func.min(BusinessEvent.occurred_at))).scalar()
    if len(zones) != 1:
        raise RuntimeError(f"earlier years need the generated stores in one zone, not {zones}")
    first = first.replace(tzinfo=UTC) if first.tzinfo is None else first
    done = max(0, round((since - first) / timedelta(days=WEEKS_52)))
    zone = zones.pop()
    offset = now.astimezone(ZoneInfo(zone)).utcoffset()
    shift = _Shift(engine.dialect.name, zone, int(offset.total_seconds() // 3600))
    stamp = UTCDateTime()
    params = [sa.bindparam("since", since, type_=stamp), sa.bindparam("now", now, type_=stamp)]
    indexes = _secondary_indexes()
    with engine.begin() as conn:
        # IF EXISTS rather than checkfirst: SQLite's reflection does not see expression indexes
        # (lower(reference)), so checkfirst would skip dropping them and then fail to create.
        for index in indexes:
            conn.execute(DropIndex(index, if_exists=True))
    try:
        for k in range(done + 1, years):
            started = time.perf_counter()
            with engine.begin() as conn:
                # Every id is taken from rows that exist: no foreign key needs checking.
                if engine.dialect.name == "postgresql":
                    conn.execute(sa.text("SET LOCAL session_replication_role = replica"))
                else:
                    conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
                for statement in _copy_statements(shift, k, _tops(conn)):
                    text = sa.text(statement)
                    conn.execute(text.bindparams(*(p for p in params if f":{p.key}" in statement)))
            log(f"  year -{k}: copied in {time.perf_counter() - started:.0f}s")
    finally:
        started = time.perf_counter()
        with engine.begin() as conn:
            for index in indexes:
                conn.execute(CreateIndex(index, if_not_exists=True))
        log(f"  {len(indexes)} indexes built again in {time.perf_counter() - started:.0f}s")
    return years - 1


def _finish(engine: sa.Engine) -> None:
    """Sequences past the ids chosen here (PostgreSQL), then fresh planner statistics."""
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            for table in ("business_event", "deliverable", "submission", "waiver"):
                conn.execute(
                    sa.text(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                        f"(SELECT coalesce(max(id), 1) FROM {table}))"
                    )
                )
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(sa.text("VACUUM ANALYZE"))
    else:
        with engine.begin() as conn:
            conn.execute(sa.text("ANALYZE"))


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.generate", description=__doc__)
    parser.add_argument("--database-url", default=f"sqlite:///{ROOT / 'instance' / 'bench.sqlite'}")
    parser.add_argument("--stores", type=int, default=200)
    parser.add_argument("--scale", type=float, default=1.0, help="multiplies --stores")
    parser.add_argument(
        "--years",
        type=int,
        default=1,
        help="years of history (10: about 11M deliverables; the years before the last are "
        "copies of it, made in SQL)",
    )
    parser.add_argument(
        "--extend",
        action="store_true",
        help="only add the earlier years (--years) to a database holding one generated year",
    )
    parser.add_argument(
        "--days", type=int, default=None, help="days of history (overrides --years)"
    )
    parser.add_argument("--now", default=DEFAULT_NOW, help="the year's last instant (ISO 8601)")
    parser.add_argument("--history", type=int, default=None, help="only ~N past deliverables")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--keep", action="store_true", help="add to the database instead of recreating it"
    )
    args = parser.parse_args(argv)
    if args.extend:
        log = lambda text: print(text, file=sys.stderr, flush=True)  # noqa: E731
        result = extend(args.database_url, years=args.years, now=args.now, log=log)
        print(json.dumps(result, indent=2, default=str))
        return
    result = generate(
        args.database_url,
        stores=args.stores,
        scale=args.scale,
        days=args.days,
        years=args.years,
        now=args.now,
        history=args.history,
        seed=args.seed,
        fresh=not args.keep,
    )
    print(json.dumps(result, indent=2, default=str))


if __name__ == "__main__":
    main()


# --- a DMS export (issue 13): the import's benchmark reads it ---

DMS_HEADERS = ["流水号", "业务类型", "发生时间", "合同号", "客户名称", "车架号", "金额"]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚"


def write_dms_export(path, rows: int, *, store_code: str, now: datetime, seed: int = 7) -> None:
    """A realistic DMS export of `rows` events over the 30 days before `now`: Chinese headers
    and event names (as docs/dms-mapping.json maps them), store-local times without an offset,
    deal numbers shared by a deal's events, VINs on vehicle events, amounts on money events."""
    import csv

    from tracker.catalog.dealership import EVENT_TYPES

    rng = random.Random(seed)
    names = {code: zh for code, (_en, zh) in EVENT_TYPES.items() if code in DAILY_EVENTS}
    types = list(names)
    weights = [DAILY_EVENTS[t] for t in types]
    zone_now = now.astimezone(UTC) + timedelta(hours=8)  # Shanghai wall clock, no DST
    with open(path, "w", newline="", encoding="utf-8-sig") as out:
        writer = csv.writer(out)
        writer.writerow(DMS_HEADERS)
        for i in range(rows):
            kind = rng.choices(types, weights)[0]
            at = zone_now - timedelta(days=rng.uniform(1, 30))
            deal = f"HT-{at:%Y%m}-{rng.randrange(1, rows // 2 + 2):05d}"
            vin = "".join(rng.choices("ABCDEFGHJKLMNPRSTUVWXYZ0123456789", k=17))
            vehicle = kind.startswith("vehicle") or kind in ("registration_done",)
            money = kind in ("customer_payment", "loan_disbursed", "deal_settlement")
            writer.writerow(
                [
                    f"{store_code}-{at:%Y%m%d}-{i:06d}",
                    names[kind],
                    at.strftime("%Y-%m-%d %H:%M"),
                    deal,
                    rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN),
                    vin if vehicle else "",
                    f"{rng.randrange(2_000, 300_000)}.00" if money else "",
                ]
            )
