"""Every figure of issue 5 as JSON: `python -m bench.run --database-url URL [--quick]`.

The database at URL is the big one (generated first when it holds no generated group, or with
--regenerate); its small twin (`-small`) and the delivery database (`-delivery`) are made beside
it. Each figure comes with its target and whether it is met. See the README's "Performance".

- sweep: one whole reminder pass (`tracker.reminders.jobs.run_pass`, what `tracker sweep` and
  the scheduler's job run) with D items due (D = 100 and 10,000), over the full history and over
  about 1,000 past deliverables with the same stores and people. For each pass the deliverables
  the policy would remind about are set aside (status `submitted`), D fresh ones due an hour
  before are added, the pass runs in a process of its own, and everything is put back.
- delivery: 10,000 overdue items, each to its own person (one clerk per department of 2,000
  stores), written and composed, then delivered by `jobs.deliver` to aiosmtpd (a process of
  its own); beside it smtplib sends the same 10,000 messages over one connection.
- scorecard: `/scorecards?month=` for all stores through the Flask test client (signed in as the
  group's lead), the bare SQL that page runs (captured, then run on a raw DB-API connection),
  and a trivial signed-in page (`/profile`) as the floor.
- web: gunicorn with 2 workers on 127.0.0.1; threads with http.client sign in as clerks and
  POST `/deliverables/<id>/submit`; then the same threads GET the trivial page.
- memory: the peak RSS (VmHWM) of the process running the pass over the full history.
"""

import argparse
import http.client
import json
import math
import os
import platform
import re
import resource
import signal
import smtplib
import socket
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

import sqlalchemy as sa
from flask_migrate import upgrade
from sqlalchemy import delete, func, insert, select, update

from bench.common import (
    DEFAULT_NOW,
    ROOT,
    database_exists,
    is_sqlite,
    make_app,
    recreate_database,
    sibling_url,
)
from bench.generate import PASSWORD, email_for, generate
from tracker.catalog.models import Commitment, CommitmentVersion
from tracker.catalog.service import load_catalog
from tracker.extensions import db
from tracker.ledger.models import AuditEntry, Deliverable, Submission
from tracker.org.models import Department, Person, Store

PROVIDERS = ("loans", "service", "insurance", "sales", "hr")


def log(text: str) -> None:
    print(f"[bench {datetime.now():%H:%M:%S}] {text}", file=sys.stderr, flush=True)


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    k = (len(ordered) - 1) * p / 100
    low, high = math.floor(k), math.ceil(k)
    return ordered[low] + (ordered[high] - ordered[low]) * (k - low)


def ms(seconds: float) -> float:
    return round(seconds * 1000, 2)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port: int, seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port}")


def reminders_available() -> str | None:
    try:
        from tracker.reminders import jobs, service  # noqa: F401
    except ImportError as exc:
        return f"tracker.reminders is not there yet ({exc})"
    return None


def route_exists(app, rule: str) -> bool:
    return any(r.rule == rule for r in app.url_map.iter_rules())


# --- databases ---


def count_generated(url: str) -> int:
    if not database_exists(url):
        return 0
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            if not sa.inspect(conn).has_table("deliverable"):
                return 0
            return conn.execute(select(func.count()).select_from(Deliverable)).scalar()
    finally:
        engine.dispose()


def _event_commitments(conn, reference_only: bool = True) -> list:
    """Event commitments, those whose evidence is a reference only (no file to upload) first
    or, with `reference_only`, only those when there are any."""
    rows = conn.execute(
        select(
            Commitment.id,
            Commitment.current_version_id,
            Commitment.provider_id,
            Commitment.receiver_id,
            CommitmentVersion.evidence,
        )
        .join(CommitmentVersion, CommitmentVersion.id == Commitment.current_version_id)
        .where(Commitment.kind == "event", Commitment.retired_at.is_(None))
        .order_by(Commitment.id)
    ).all()
    simple = [r for r in rows if list(r.evidence or []) == ["reference"]]
    if reference_only and simple:
        return simple
    return simple + [r for r in rows if r not in simple]


def plant(conn, tag: str, pairs: list[tuple[int, object]], due: datetime, created: datetime):
    """Add open deliverables (one per (store id, commitment row)); return their ids."""
    rows = []
    for i, (store_id, c) in enumerate(pairs):
        rows.append(
            dict(
                commitment_id=c.id,
                version_id=c.current_version_id,
                store_id=store_id,
                provider_id=c.provider_id,
                receiver_id=c.receiver_id,
                dedupe_key=f"bench:{tag}:{i}",
                reference=f"B-{tag}-{i}",
                due_at=due,
                due_month=due.strftime("%Y-%m"),
                status="open",
                state_version=1,
                created_at=created,
                return_count=0,
            )
        )
    for i in range(0, len(rows), 5000):
        conn.execute(insert(Deliverable), rows[i : i + 5000])
    return list(
        conn.scalars(
            select(Deliverable.id)
            .where(Deliverable.dedupe_key.like(f"bench:{tag}:%"))
            .order_by(Deliverable.id)
        )
    )


def unplant(conn, tag: str) -> None:
    """Remove what `plant` added and everything written about it."""
    from tracker.reminders.models import OutboxItem, OutboxMessage

    ids = select(Deliverable.id).where(Deliverable.dedupe_key.like(f"bench:{tag}:%"))
    conn.execute(delete(OutboxItem))
    conn.execute(delete(OutboxMessage))
    conn.execute(
        delete(AuditEntry).where(AuditEntry.entity == "deliverable", AuditEntry.entity_id.in_(ids))
    )
    conn.execute(delete(Submission).where(Submission.deliverable_id.in_(ids)))
    conn.execute(delete(Deliverable).where(Deliverable.dedupe_key.like(f"bench:{tag}:%")))


# --- the SMTP server ---


class SinkServer:
    """aiosmtpd in a process of its own, accepting and dropping every message."""

    def __init__(self):
        self.port = free_port()
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "aiosmtpd",
                "-n",
                "-c",
                "aiosmtpd.handlers.Sink",
                "-l",
                f"127.0.0.1:{self.port}",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_port(self.port)

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(10)


# --- sweep and memory ---


def sweep_case(url: str, due_count: int, now: datetime, mail_url: str) -> dict:
    """One pass with exactly `due_count` items due, in its own process; the database is put
    back as it was afterwards."""
    from tracker.reminders.service import LOOKAHEAD

    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    tag = "sweep"
    parked: dict[str, list[int]] = {}
    try:
        with engine.begin() as conn:
            unplant(conn, tag)
            for status in ("open", "returned"):
                parked[status] = list(
                    conn.scalars(
                        select(Deliverable.id).where(
                            Deliverable.status == status, Deliverable.due_at <= now + LOOKAHEAD
                        )
                    )
                )
                for i in range(0, len(parked[status]), 5000):
                    conn.execute(
                        update(Deliverable)
                        .where(Deliverable.id.in_(parked[status][i : i + 5000]))
                        .values(status="submitted")
                    )
            stores = list(conn.scalars(select(Store.id).order_by(Store.id)))
            commitments = _event_commitments(conn)
            pairs = [
                (stores[i % len(stores)], commitments[(i // len(stores)) % len(commitments)])
                for i in range(due_count)
            ]
            history = conn.execute(select(func.count()).where(Deliverable.due_at <= now)).scalar()
            plant(conn, tag, pairs, now - timedelta(hours=1), now - timedelta(days=3))
        proc = subprocess.Popen(
            [sys.executable, "-m", "bench.sweep_pass", url, now.isoformat(), mail_url],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        out, err = proc.communicate()
        if proc.returncode != 0:
            raise RuntimeError(f"the pass failed: {err[-2000:]}")
        result = json.loads(out.strip().splitlines()[-1])
        result["history_deliverables"] = history
        result["due"] = due_count
        return result
    finally:
        with engine.begin() as conn:
            unplant(conn, tag)
            for status, ids in parked.items():
                for i in range(0, len(ids), 5000):
                    conn.execute(
                        update(Deliverable)
                        .where(Deliverable.id.in_(ids[i : i + 5000]))
                        .values(status=status)
                    )
        # Setting aside and putting back leaves dead rows behind on PostgreSQL: clean them now,
        # as autovacuum would soon, so that the next figures see the table as it was.
        if engine.dialect.name == "postgresql":
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(sa.text("VACUUM ANALYZE deliverable"))
        engine.dispose()


def sweep_figures(big: str, small: str, dues: list[int], now: datetime, mail_url: str) -> dict:
    cases = {}
    for label, url in (("full_history", big), ("small_history", small)):
        for due in dues:
            log(f"sweep: {label}, {due} due")
            cases[f"{label}_due_{due}"] = sweep_case(url, due, now, mail_url)
    ratios = {
        f"due_{due}": round(
            cases[f"full_history_due_{due}"]["seconds"]
            / max(cases[f"small_history_due_{due}"]["seconds"], 1e-6),
            2,
        )
        for due in dues
    }
    return {
        "cases": cases,
        "ratio_full_to_small": ratios,
        "target": "a pass over the full history costs at most 2x the same pass over ~1,000",
        "met": all(r <= 2.0 for r in ratios.values()),
    }


# --- delivery ---


def build_delivery_db(url: str, count: int, now: datetime) -> None:
    """`count` overdue items, each owed by a department with exactly one clerk, in stores
    without a finance department's people (so no daily summary joins any digest)."""
    recreate_database(url)
    app = make_app(url)
    with app.app_context():
        upgrade(directory=app.extensions["migrate"].directory)
        session = db.session
        load_catalog(session, "dealership", now - timedelta(days=30))
        session.commit()
        departments = dict(session.execute(select(Department.code, Department.id)).all())
        n_stores = math.ceil(count / len(PROVIDERS))
        session.execute(
            insert(Store),
            [
                dict(
                    code=f"D{i:04d}",
                    name=f"Store D{i:04d}",
                    timezone="Asia/Shanghai",
                    country="CN",
                    language="zh",
                    created_at=now - timedelta(days=30),
                )
                for i in range(1, n_stores + 1)
            ],
        )
        stores = list(session.scalars(select(Store.id).order_by(Store.id)))
        people, pairs = [], []
        commitments = {}
        for c in _event_commitments(session.connection(), reference_only=False):
            commitments.setdefault(c.provider_id, c)
        made = 0
        for i, store_id in enumerate(stores):
            for provider in PROVIDERS:
                if made == count:
                    break
                made += 1
                people.append(
                    dict(
                        email=f"{provider}.clerk.{i}@delivery.bench",
                        name=f"{provider} clerk {i}",
                        department_id=departments[provider],
                        store_id=store_id,
                        role="clerk",
                        language="zh" if made % 2 else "en",
                        active=True,
                        created_at=now - timedelta(days=30),
                    )
                )
                pairs.append((store_id, commitments[departments[provider]]))
        session.execute(insert(Person), people)
        plant(session.connection(), "delivery", pairs, now - timedelta(hours=2), now - timedelta(3))
        session.commit()
        db.engine.dispose()


def delivery_figures(url: str, count: int, now: datetime, smtp: SinkServer) -> dict:
    from tracker.reminders import jobs
    from tracker.reminders.models import OutboxMessage
    from tracker.reminders.transport import build

    log(f"delivery: building {count} items")
    build_delivery_db(url, count, now)
    app = make_app(url, mail_url=smtp.url)
    with app.app_context():
        started = time.perf_counter()
        written = jobs.write_reminders(now)
        composed = jobs.compose(now)
        prepared = time.perf_counter() - started
        log(f"delivery: {written} written, {composed} composed in {prepared:.1f}s; delivering")
        started = time.perf_counter()
        report = jobs.deliver(now, worker="bench")
        delivered = time.perf_counter() - started
        messages = db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
        payloads = [
            (m.to_address, build(m, "tracker@localhost", None).message().as_bytes(linesep="\r\n"))
            for m in messages
        ]
        db.session.remove()
        db.engine.dispose()
    log(f"delivery: {report.sent} sent in {delivered:.1f}s; now plain smtplib")
    started = time.perf_counter()
    with smtplib.SMTP("127.0.0.1", smtp.port) as client:
        for to, payload in payloads:
            client.sendmail("tracker@localhost", [to], payload)
    plain = time.perf_counter() - started
    rate = report.sent / delivered if delivered else 0.0
    limit = len(payloads) / plain if plain else 0.0
    return {
        "items": count,
        "reminders_written": written,
        "digests_composed": composed,
        "sent": report.sent,
        "write_and_compose_seconds": round(prepared, 2),
        "deliver_seconds": round(delivered, 2),
        "reminders_per_second": round(rate, 1),
        "end_to_end_per_second": round(report.sent / (prepared + delivered), 1),
        "smtplib_messages": len(payloads),
        "smtplib_seconds": round(plain, 2),
        "smtplib_per_second": round(limit, 1),
        "ratio_to_smtplib": round(rate / limit, 3) if limit else None,
        "target": "delivery reaches at least 60% of the plain smtplib loop",
        "met": bool(limit) and rate / limit >= 0.6,
    }


# --- scorecard ---


class Captured:
    """The SQL statements an engine runs while `on` (as the DB-API got them)."""

    def __init__(self, engine):
        self.on = False
        self.statements: list[tuple[str, object]] = []
        sa.event.listen(engine, "before_cursor_execute", self._record)

    def _record(self, conn, cursor, statement, parameters, context, executemany):
        if self.on:
            self.statements.append((statement, parameters))


def sign_in_client(client, email: str) -> None:
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    response = client.post(
        "/login",
        data={"email": email, "password": PASSWORD, "csrf_token": token.group(1) if token else ""},
    )
    if response.status_code not in (302, 303):
        raise RuntimeError(f"sign-in as {email} failed: {response.status_code}")


def timed(fn, n: int) -> list[float]:
    times = []
    for _ in range(n):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return times


def scorecard_figures(url: str, month: str, now: datetime, n: int) -> dict:
    from tracker.scorecards.service import scorecard

    app = make_app(url)
    result: dict = {"month": month}
    with app.app_context():
        captured = Captured(db.engine)
        client = app.test_client()
        sign_in_client(client, "finance.lead@group.bench")
        page = f"/scorecards?month={month}"
        has_page = route_exists(app, "/scorecards")
        if has_page:
            first = client.get(page)
            if first.status_code != 200:
                raise RuntimeError(f"{page} answered {first.status_code}")
            captured.on = True
            client.get(page)
            captured.on = False
            page_times = timed(lambda: client.get(page), n)
            result["page"] = {
                "p50_ms": ms(percentile(page_times, 50)),
                "p95_ms": ms(percentile(page_times, 95)),
                "queries": len(captured.statements),
            }
        else:
            result["page"] = None
            result["reason"] = "no /scorecards page yet: bare SQL and service timed only"
            captured.on = True
            scorecard(db.session, month=month, now=now)
            captured.on = False
            db.session.rollback()
        service_times = timed(
            lambda: (scorecard(db.session, month=month, now=now), db.session.rollback()), n
        )
        floor_times = timed(lambda: client.get("/profile"), n)
        statements = list(captured.statements)
        raw = db.engine.raw_connection()
        try:

            def run_bare():
                cursor = raw.cursor()
                for statement, parameters in statements:
                    cursor.execute(statement, parameters)
                    cursor.fetchall()
                cursor.close()
                raw.rollback()

            run_bare()
            bare_times = timed(run_bare, n)
        finally:
            raw.close()
        rows = len(scorecard(db.session, month=month, now=now))
        db.session.remove()
        db.engine.dispose()
    bare95 = percentile(bare_times, 95)
    floor95 = percentile(floor_times, 95)
    result.update(
        {
            "rows_on_page": rows,
            "service_p50_ms": ms(percentile(service_times, 50)),
            "service_p95_ms": ms(percentile(service_times, 95)),
            "bare_sql": {
                "statements": len(statements),
                "p50_ms": ms(percentile(bare_times, 50)),
                "p95_ms": ms(bare95),
            },
            "floor_profile_page": {
                "p50_ms": ms(percentile(floor_times, 50)),
                "p95_ms": ms(floor95),
            },
            "iterations": n,
            "target": "page p95 <= 3 x bare SQL p95 + floor p95, and < 200 ms",
            "limit_ms": ms(3 * bare95 + floor95),
        }
    )
    if result["page"]:
        p95 = result["page"]["p95_ms"] / 1000
        result["met"] = p95 <= 3 * bare95 + floor95 and p95 < 0.2
    else:
        result["met"] = None
    return result


# --- web ---


class Browser:
    """One clerk's keep-alive connection with its session cookie."""

    def __init__(self, port: int):
        self.port = port
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, form: dict | None = None):
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        for attempt in range(2):
            try:
                self.conn.request(method, path, body=body, headers=headers)
                response = self.conn.getresponse()
                data = response.read().decode("utf-8", "replace")
                break
            except (http.client.HTTPException, OSError):
                self.conn.close()
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
                if attempt:
                    raise
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                self.cookies[name] = rest.split(";", 1)[0]
        return response.status, data

    def sign_in(self, email: str) -> None:
        _, page = self.request("GET", "/login")
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
        status, _ = self.request(
            "POST",
            "/login",
            {"email": email, "password": PASSWORD, "csrf_token": token.group(1) if token else ""},
        )
        if status not in (302, 303):
            raise RuntimeError(f"sign-in as {email} failed: {status}")


def form_fields(page: str) -> dict:
    """The named inputs of the page's form that has a CSRF token, with their values."""
    fields = {}
    for tag in re.findall(r"<(?:input|textarea|select)\b[^>]*>", page):
        name = re.search(r'name="([^"]+)"', tag)
        if not name or re.search(r'type="(file|submit)"', tag):
            continue
        value = re.search(r'value="([^"]*)"', tag)
        fields[name.group(1)] = value.group(1) if value else ""
    return fields


def load(browsers, work, seconds: float) -> tuple[list[float], int, int]:
    """Each browser works through its list of requests until done or `seconds` have passed."""
    latencies: list[float] = []
    failures = 0
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def run(browser, items):
        nonlocal failures
        mine, bad = [], 0
        for method, path, form in items:
            if time.monotonic() > deadline:
                break
            started = time.perf_counter()
            status, _ = browser.request(method, path, form)
            mine.append(time.perf_counter() - started)
            bad += status not in (200, 302, 303)
        with lock:
            latencies.extend(mine)
            failures += bad

    threads = [
        threading.Thread(target=run, args=(b, w)) for b, w in zip(browsers, work, strict=True)
    ]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return latencies, failures, time.perf_counter() - started


def web_figures(url: str, clients: int, per_client: int, seconds: float) -> dict:
    port = free_port()
    instance = tempfile.mkdtemp(prefix="bench-web-")
    env = dict(
        os.environ,
        TRACKER_DATABASE_URL=url,
        TRACKER_SECRET_KEY="bench-web-secret",
        TRACKER_INSTANCE_PATH=instance,
        TRACKER_MAIL_URL="file://" + os.path.join(instance, "outbox"),
    )
    app = make_app(url)
    if not route_exists(app, "/deliverables/<int:deliverable_id>/submit") and not any(
        r.rule.startswith("/deliverables/") and r.rule.endswith("/submit")
        for r in app.url_map.iter_rules()
    ):
        return {"submissions_per_second": None, "reason": "no /deliverables/<id>/submit page yet"}
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    tag = "web"
    # Real clock here: the server stamps submissions with its own time.
    due = datetime.now(UTC) + timedelta(days=3)
    with engine.begin() as conn:
        unplant(conn, tag)
        departments = dict(conn.execute(select(Department.code, Department.id)).all())
        # Sales clerks, the busiest: a payment slip (reference and amount, no file to upload).
        commitments = [
            c
            for c in _event_commitments(conn, reference_only=False)
            if c.provider_id == departments["sales"] and "file" not in (c.evidence or [])
        ]
        stores = list(conn.execute(select(Store.id, Store.code).order_by(Store.id).limit(clients)))
        pairs = [(s.id, commitments[0]) for s in stores for _ in range(per_client)]
        ids = plant(conn, tag, pairs, due, datetime.now(UTC) - timedelta(hours=1))
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "-w",
            "2",
            "-b",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            "wsgi:app",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_port(port, 30)
        browsers = []
        work = []
        for i, store in enumerate(stores):
            browser = Browser(port)
            browser.sign_in(email_for(store.code, "sales", "clerk"))
            mine = ids[i * per_client : (i + 1) * per_client]
            status, page = browser.request("GET", f"/deliverables/{mine[0]}/submit")
            if status != 200:
                raise RuntimeError(f"the submit page answered {status}")
            fields = form_fields(page)
            items = []
            for n, deliverable_id in enumerate(mine):
                form = dict(fields, reference=f"WEB-{deliverable_id}-{n}")
                if "amount" in form:
                    form["amount"] = "1000.00"
                items.append(("POST", f"/deliverables/{deliverable_id}/submit", form))
            browsers.append(browser)
            work.append(items)
        log(f"web: {clients} clerks submitting for up to {seconds:.0f}s")
        latencies, failures, elapsed = load(browsers, work, seconds)
        with engine.connect() as conn:
            submitted = conn.execute(
                select(func.count()).where(
                    Deliverable.dedupe_key.like(f"bench:{tag}:%"),
                    Deliverable.status == "submitted",
                )
            ).scalar()
        floor_work = [[("GET", "/profile", None)] * per_client for _ in browsers]
        log("web: the trivial page")
        floor, floor_failures, floor_elapsed = load(browsers, floor_work, seconds)
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(15)
        except subprocess.TimeoutExpired:
            server.kill()
        with engine.begin() as conn:
            unplant(conn, tag)
        engine.dispose()
    return {
        "server": "gunicorn -w 2 (sync workers)",
        "clients": clients,
        "submissions": len(latencies),
        "submissions_recorded": submitted,
        "failures": failures,
        "seconds": round(elapsed, 2),
        "submissions_per_second": round(len(latencies) / elapsed, 1) if elapsed else None,
        "submission_p50_ms": ms(percentile(latencies, 50)) if latencies else None,
        "submission_p95_ms": ms(percentile(latencies, 95)) if latencies else None,
        "floor_requests": len(floor),
        "floor_failures": floor_failures,
        "floor_per_second": round(len(floor) / floor_elapsed, 1) if floor_elapsed else None,
        "floor_p50_ms": ms(percentile(floor, 50)) if floor else None,
        "floor_p95_ms": ms(percentile(floor, 95)) if floor else None,
        "target": "none set: reported beside the floor",
    }


# --- all of it ---


def machine() -> dict:
    with open("/proc/meminfo") as f:
        total_kb = int(f.readline().split()[1])
    return {
        "cores": os.cpu_count(),
        "memory_gib": round(total_kb / 1024 / 1024, 1),
        "python": platform.python_version(),
        "platform": platform.platform(),
    }


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__)
    parser.add_argument("--database-url", default=f"sqlite:///{ROOT / 'instance' / 'bench.sqlite'}")
    parser.add_argument("--quick", action="store_true", help="small sizes: minutes, not hours")
    parser.add_argument("--regenerate", action="store_true", help="generate the big one again")
    parser.add_argument("--now", default=DEFAULT_NOW)
    parser.add_argument("--month", default="2026-10")
    parser.add_argument(
        "--only", default="sweep,delivery,scorecard,web", help="comma-separated figures"
    )
    args = parser.parse_args(argv)
    url = args.database_url
    quick = args.quick
    now = datetime.fromisoformat(args.now).astimezone(UTC)
    only = set(args.only.split(","))
    scale = 0.01 if quick else 1.0
    dues = [100, 1000] if quick else [100, 10_000]
    result: dict = {
        "command": "python -m bench.run " + " ".join(argv if argv is not None else sys.argv[1:]),
        "taken_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "dialect": "sqlite" if is_sqlite(url) else "postgresql",
        "quick": quick,
    }
    expected = 10_000 if quick else 1_000_000
    if args.regenerate or count_generated(url) < expected:
        log(f"generating the group (scale {scale}) into {url}")
        result["generated"] = generate(url, scale=scale, now=args.now)
    result["deliverables"] = count_generated(url)
    missing = reminders_available()
    smtp = SinkServer()
    try:
        if "sweep" in only:
            if missing:
                result["sweep"] = {"met": None, "reason": missing}
                result["memory"] = {"peak_rss_mb": None, "reason": missing}
            else:
                small = sibling_url(url, "small")
                log("generating the small twin (~1,000 past deliverables)")
                result["small_twin"] = generate(
                    small, scale=scale, now=args.now, history=1000, log=lambda _t: None
                )
                result["sweep"] = sweep_figures(url, small, dues, now, smtp.url)
                cases = result["sweep"]["cases"]
                big = cases[f"full_history_due_{dues[-1]}"]
                result["memory"] = {
                    "peak_rss_mb": big["peak_rss_mb"],
                    "rss_before_pass_mb": big["rss_before_pass_mb"],
                    "pass": f"full history, {dues[-1]} due",
                    # Beside it: the same pass over the small twin, and passes with 100 due.
                    "peak_rss_mb_by_pass": {k: v["peak_rss_mb"] for k, v in cases.items()},
                    "target": "the scheduler's peak RSS stays under 150 MB",
                    "met": big["peak_rss_mb"] < 150,
                }
        if "delivery" in only:
            if missing:
                result["delivery"] = {"met": None, "reason": missing}
            else:
                result["delivery"] = delivery_figures(
                    sibling_url(url, "delivery"), 1000 if quick else 10_000, now, smtp
                )
        if "scorecard" in only:
            log("scorecard")
            result["scorecard"] = scorecard_figures(url, args.month, now, 10 if quick else 20)
        if "web" in only:
            result["web"] = web_figures(
                url, clients=4, per_client=50 if quick else 400, seconds=5 if quick else 20
            )
    finally:
        smtp.stop()
    result["self_peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    targets = {
        k: result[k].get("met")
        for k in ("sweep", "delivery", "scorecard", "memory")
        if isinstance(result.get(k), dict)
    }
    result["targets_met"] = targets
    print(json.dumps(result, indent=2, default=str))


if __name__ == "__main__":
    main()
