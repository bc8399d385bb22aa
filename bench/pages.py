"""Every GET page, timed as its typical user: `python -m bench.pages --database-url URL`.

The pages are found by walking the app's `url_map` (every rule that answers GET), so a page added
later is measured without touching this file; its user comes from ROLES (endpoint prefix ->
roles, the longest prefix wins, DEFAULT_ROLES otherwise) and a rule's arguments and query string
from ARGUMENTS and QUERIES, filled with real ids picked from the data (`picks`). A rule whose
arguments cannot be filled is listed under "skipped" with the reason, as is everything in SKIP.

Each page is opened in this process through Flask's test client (no web server, no network:
the figures are the app's own time), with the app's clock set to the generated group's `now`,
signed in as the generated group's people (store S001's clerks and heads, the group's lead and
administrator). For each page and user:

- warm-up: WARM_UP GETs (caches, the database's pages);
- queries: one GET with every SQL statement captured (SQLAlchemy `before_cursor_execute`);
- p50/p95 of `--samples` GETs (at least 20 by default);
- own SQL: the captured statements replayed as they were, with the same parameters, on a raw
  DB-API connection (then rolled back), `--samples` times: the page's SQL time without Python;
- floor: the trivial signed-in page `/profile`, timed the same way per user;
- queries on the small twin (`-small` beside the database: the same stores and people, ~1,000
  past deliverables; generated when missing): the count must be the same.

Targets, each printed with met / not met: p95 < 150 ms below 5M deliverables and < 300 ms above
(the ten-year group); p95 <= 3 x (own SQL p95 + floor p95); the same number of queries on the
twin. `--only PREFIX[,PREFIX]` keeps the pages whose rule or endpoint starts with one of them.
"""

import argparse
import json
import os
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from flask import url_for
from sqlalchemy import func, select

from bench.common import (
    DEFAULT_NOW,
    ROOT,
    database_exists,
    is_sqlite,
    scratch_folder,
    sibling_url,
)
from bench.generate import generate
from bench.run import (
    Captured,
    count_generated,
    machine,
    ms,
    percentile,
    sign_in_client,
    timed,
    upgrade_schema,
)
from tracker import create_app
from tracker.api import service as api_service
from tracker.catalog.models import Commitment
from tracker.extensions import db
from tracker.feeds import service as feeds
from tracker.ledger.models import BusinessEvent, Deliverable, Submission
from tracker.org.models import Department, Person, Store

STORE = "S001"
# Who opens what. Roles are the generated group's people (bench.generate.STAFF and the group).
USERS = {
    "anonymous": None,
    "clerk": "sales.clerk@{store}.bench",
    "head": "sales.head@{store}.bench",
    "receiving": "finance.clerk@{store}.bench",
    "receiving_head": "finance.head@{store}.bench",
    "lead": "finance.lead@group.bench",
    "admin": "admin@group.bench",
}
# Endpoint prefix -> the roles that typically open those pages (the longest prefix wins).
ROLES = {
    "home.": ("clerk", "receiving", "head", "lead"),
    "auth.login": ("anonymous",),
    "auth.": ("clerk",),
    "ledger.": ("clerk",),
    "ledger.mine": ("clerk", "head"),
    "ledger.default_owners": ("head",),  # a head sets the default owners of their items
    # An event is put right by the receiving department (or the recorder's head).
    "ledger.correct_event": ("receiving",),
    "ledger.cancel_event": ("receiving",),
    "imports.": ("receiving",),
    "imports.mapping": ("admin",),  # the DMS column mappings, kept by administrators
    "inbox.": ("receiving",),
    "scorecards.": ("lead",),
    "scorecards.index": ("lead", "head", "receiving_head"),
    "admin.": ("admin",),
    "tokens.": ("clerk",),  # one's own API tokens, from the profile
    "tokens.every": ("admin",),
    "robots.": ("admin",),
    "month": ("lead",),
    "close": ("lead",),
    "cockpit": ("lead", "head", "receiving"),
    "cockpit.items": ("lead",),
    # The API: the DMS's integration and the group's systems read as the lead; a clerk's app
    # reads their deliverables. The feed is a clerk's phone calendar (a head's is the department).
    "api": ("lead",),
    "api.list_deliverables": ("clerk", "lead"),
    "api.get_deliverable": ("clerk",),
    "feeds.": ("clerk", "head"),
    # The survey: a receiving clerk answers, heads and leads read the results, the
    # administrator sets its days.
    "satisfaction.index": ("receiving", "lead"),
    "satisfaction.results": ("lead", "receiving_head"),
    "satisfaction.admin": ("admin",),
}
DEFAULT_ROLES = ("lead",)
# Not pages: what is skipped, and why.
SKIP = {
    "static": "static files (CSS, JS), not pages: the web server's work, no SQL",
    "api_docs_page.asset": "the browsable API page's files (Swagger UI), not pages",
    "robots.edit": "a group robot's form: the generated group has no robot (the same form, empty, "
    "is measured at /admin/robots/new)",
    "complaints.show": "a complaint's page: the generated group has no complaint (its lists are "
    "measured at /complaints)",
}
# Endpoints opened with the role's API token (`Authorization: Bearer`) rather than a sign-in.
BEARER = ("api.",)
# Endpoint -> {argument: pick}; an argument not named here is looked up in picks by its name.
ARGUMENTS = {
    "admin.commitment_edit": {"code": "commitment_code"},
    "admin.commitment_retire": {"code": "commitment_code"},
    "admin.department_edit": {"code": "department_code"},
    "admin.store_edit": {"code": "store_code"},
    "admin.calendar": {"code": "store_code"},
    "admin.calendar_redate": {"code": "store_code"},
    "ledger.submit": {"deliverable_id": "open_deliverable_id"},
    "ledger.deliverable": {"deliverable_id": "history_deliverable_id"},
    "api.get_deliverable": {"deliverable_id": "history_deliverable_id"},
    "api.store_calendar": {"code": "store_code"},
    "feeds.feed": {"key": "feed_key"},
}
# Endpoint -> query string (formatted with picks).
QUERIES = {
    "scorecards.index": "month={month}",
    "scorecards.deliverables": "month={month}&measure=late",
    "scorecards.export_csv": "month={month}",
    "scorecards.export_xlsx": "month={month}",
    "ledger.deal_file": "ref={deal_ref}",
    "ledger.submit_batch": "{batch_ids}",
    "cockpit.items": "side=all&status=owed",
    "api.list_deliverables": "store={store_code}&status=open",
}
FLOOR = "/profile"
WARM_UP = 3


def log(text: str) -> None:
    print(f"[pages {datetime.now():%H:%M:%S}] {text}", file=sys.stderr, flush=True)


def bench_app(url: str, now: datetime, instance: str):
    """The real app on `url`, its clock stopped at the generated group's `now`."""
    return create_app(
        {
            "SECRET_KEY": "bench-secret-not-for-production",
            "SQLALCHEMY_DATABASE_URI": url,
            "MAIL_URL": "file://" + os.path.join(instance, "outbox"),
            "UPLOAD_DIR": os.path.join(instance, "uploads"),
            "BASE_URL": "http://127.0.0.1:5000",
            "CLOCK": lambda: now,
        }
    )


def roles_for(endpoint: str, table: dict | None = None) -> tuple[str, ...]:
    """The roles that open `endpoint`: the longest matching prefix of `table` (ROLES)."""
    table = ROLES if table is None else table
    matches = [p for p in table if endpoint.startswith(p)]
    return table[max(matches, key=len)] if matches else DEFAULT_ROLES


def previous_month(now: datetime) -> str:
    first = now.astimezone(UTC).replace(day=1)
    return (first - timedelta(days=1)).strftime("%Y-%m")


def picks(session, now: datetime, upload_dir: str) -> dict:
    """Real rows to open: store S001's sales deliverables (the clerk's), one of its deals, one
    submission's file (written into the scratch upload folder, as the generator writes none)."""
    store = session.scalar(select(Store).where(Store.code == STORE))
    sales = session.scalar(select(Department).where(Department.code == "sales"))
    mine = select(Deliverable.id).where(
        Deliverable.store_id == store.id, Deliverable.provider_id == sales.id
    )
    open_ids = list(
        session.scalars(
            mine.where(Deliverable.status.in_(("open", "returned")))
            .order_by(Deliverable.due_at)
            .limit(5)
        )
    )
    history = session.scalar(
        mine.where(Deliverable.return_count > 0).order_by(Deliverable.id.desc()).limit(1)
    ) or session.scalar(mine.order_by(Deliverable.id.desc()).limit(1))
    event = session.scalar(
        select(BusinessEvent)
        .where(BusinessEvent.store_id == store.id, BusinessEvent.reference.is_not(None))
        .order_by(BusinessEvent.id.desc())
        .limit(1)
    )
    submission = session.scalar(
        select(Submission)
        .join(Deliverable, Deliverable.id == Submission.deliverable_id)
        .where(
            Deliverable.store_id == store.id,
            Deliverable.provider_id == sales.id,
            Submission.file_path.is_not(None),
        )
        .order_by(Submission.id.desc())
        .limit(1)
    )
    if submission is not None:
        path = Path(upload_dir) / submission.file_path
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"%PDF-1.4\n% bench evidence\n" + b"0" * 50_000)
    clerk = session.scalar(
        select(Person.id).where(Person.email == USERS["clerk"].format(store=STORE.lower()))
    )
    found = {
        "store_code": store.code,
        "department_code": sales.code,
        "commitment_code": session.scalar(select(Commitment.code).order_by(Commitment.id)),
        "person_id": clerk,
        "open_deliverable_id": open_ids[0] if open_ids else None,
        "batch_ids": "&".join(f"ids={i}" for i in open_ids) or None,
        "history_deliverable_id": history,
        "deliverable_id": history,
        "event_id": event.id if event else None,
        "deal_ref": event.reference if event else None,
        "submission_id": submission.id if submission else None,
        "month": previous_month(now),
        "year": now.astimezone(UTC).year,
    }
    session.rollback()
    return found


def feed_keys(session, now: datetime) -> dict:
    """Each role's feed key (made if missing): the feed page's argument, per role."""
    keys = {}
    for role, email in USERS.items():
        person = email and session.scalar(
            select(Person).where(Person.email == email.format(store=STORE.lower()))
        )
        if person is not None:
            keys[role] = feeds.current_key(session, person) or feeds.renew_key(
                session, person, now=now
            )
    session.commit()
    return keys


def engine_of(app) -> sa.Engine:
    with app.app_context():
        return db.engine


def app_picks(app, now: datetime) -> dict:
    """The picks, in an app context of their own: the pages are then requested with none
    pushed, so that each request has its own (its own `g`, signed-in person and session)."""
    with app.app_context():
        try:
            found = picks(db.session, now, app.config["UPLOAD_DIR"])
            found["feed_keys"] = feed_keys(db.session, now)
            return found
        finally:
            db.session.remove()


@dataclass
class Page:
    rule: str
    endpoint: str
    role: str
    path: str | None = None
    skipped: str | None = None
    figures: dict = field(default_factory=dict)

    @property
    def key(self) -> str:
        return f"{self.rule} [{self.role}]"


def pages(app, found: dict, only: list[str] | None, roles: dict | None = None) -> list[Page]:
    """Every GET rule of the app, as one Page per typical user, with its path filled in (or
    the reason it is skipped)."""
    result = []
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: (r.rule, r.endpoint)):
        if "GET" not in rule.methods:
            continue
        if only and not any(rule.rule.startswith(o) or rule.endpoint.startswith(o) for o in only):
            continue
        for role in roles_for(rule.endpoint, roles):
            page = Page(rule.rule, rule.endpoint, role)
            result.append(page)
            skip = next((why for p, why in SKIP.items() if rule.endpoint.startswith(p)), None)
            if skip:
                page.skipped = skip
                continue
            names = ARGUMENTS.get(rule.endpoint, {})
            role_found = dict(found, feed_key=found.get("feed_keys", {}).get(role))
            values = {a: role_found.get(names.get(a, a)) for a in rule.arguments}
            missing = [a for a, v in values.items() if v is None]
            query = QUERIES.get(rule.endpoint)
            if query:
                try:
                    query = query.format(**{k: v for k, v in found.items() if v is not None})
                except KeyError as exc:
                    missing.append(str(exc))
            if missing:
                page.skipped = (
                    f"no value for {', '.join(missing)} in this database "
                    "(bench.pages ARGUMENTS / picks)"
                )
                continue
            with app.test_request_context():
                path = url_for(rule.endpoint, **values)
            page.path = f"{path}?{query}" if query else path
    return result


def bearer(endpoint: str) -> bool:
    return endpoint.startswith(BEARER)


class Clients:
    """One signed-in test client per role; for the API, one that also sends the role's token
    (made here, as `tracker token create` would)."""

    def __init__(self, app, now: datetime):
        self.app, self.now, self.clients = app, now, {}

    def get(self, role: str, *, token: bool = False):
        if (role, token) not in self.clients:
            client = self.app.test_client()
            email = USERS[role]
            if email is not None:
                sign_in_client(client, email.format(store=STORE.lower()))
                if token:
                    client.environ_base["HTTP_AUTHORIZATION"] = "Bearer " + self.token(email)
            self.clients[role, token] = client
        return self.clients[role, token]

    def token(self, email: str) -> str:
        with self.app.app_context():
            person = db.session.scalar(
                select(Person).where(Person.email == email.format(store=STORE.lower()))
            )
            _row, secret = api_service.create_token(
                db.session, person, name="bench", expires_days=1, integration=False, now=self.now
            )
            db.session.commit()
            db.session.remove()
        return secret


def replay(engine, statements: list, n: int) -> list[float]:
    """The statements run as captured, with their parameters, on a raw connection."""
    raw = engine.raw_connection()
    try:

        def run():
            cursor = raw.cursor()
            for statement, parameters in statements:
                cursor.execute(statement, parameters)
                if cursor.description is not None:
                    cursor.fetchall()
            cursor.close()
            raw.rollback()

        run()
        return timed(run, n)
    finally:
        raw.close()


def measure(app, page_list: list[Page], samples: int, limit_ms: float, now: datetime) -> dict:
    """Time every page; return the floor per role."""
    engine = engine_of(app)
    captured = Captured(engine)
    clients = Clients(app, now)
    floors: dict[str, dict] = {}
    for page in page_list:
        if page.skipped:
            continue
        client = clients.get(page.role, token=bearer(page.endpoint))
        if page.role not in floors:
            for _ in range(WARM_UP):
                client.get(FLOOR)
            times = timed(lambda c=client: c.get(FLOOR), samples)
            floors[page.role] = {
                "p50_ms": ms(percentile(times, 50)),
                "p95_ms": ms(percentile(times, 95)),
            }
        started = time.perf_counter()
        first = client.get(page.path)
        page.figures["status"] = first.status_code
        if first.status_code in (301, 302, 303, 307, 308):
            page.figures["redirects_to"] = first.headers.get("Location")
        elif first.status_code != 200:
            page.figures["error"] = f"answered {first.status_code}"
            continue
        page.figures["bytes"] = len(first.get_data())
        for _ in range(WARM_UP - 1):
            client.get(page.path)
        captured.statements.clear()
        captured.on = True
        client.get(page.path)
        captured.on = False
        statements = list(captured.statements)
        times = timed(lambda c=client, p=page.path: c.get(p), samples)
        sql = replay(engine, statements, samples)
        p95, sql95, floor95 = (
            percentile(times, 95),
            percentile(sql, 95),
            floors[page.role]["p95_ms"] / 1000,
        )
        page.figures.update(
            {
                "p50_ms": ms(percentile(times, 50)),
                "p95_ms": ms(p95),
                "queries": len(statements),
                "sql_p50_ms": ms(percentile(sql, 50)),
                "sql_p95_ms": ms(sql95),
                "floor_p95_ms": floors[page.role]["p95_ms"],
                "ratio_limit_ms": ms(3 * (sql95 + floor95)),
                "met_p95": ms(p95) < limit_ms,
                "met_ratio": p95 <= 3 * (sql95 + floor95),
                "seconds": round(time.perf_counter() - started, 1),
            }
        )
        log(
            f"{page.key}: p50 {page.figures['p50_ms']} p95 {page.figures['p95_ms']} ms, "
            f"{len(statements)} queries, SQL p95 {page.figures['sql_p95_ms']} ms"
        )
    return floors


def count_queries(app, page_list: list[Page], now: datetime) -> None:
    """The queries of each page on the twin (after one warm-up GET)."""
    captured = Captured(engine_of(app))
    clients = Clients(app, now)
    for page in page_list:
        if page.skipped:
            continue
        client = clients.get(page.role, token=bearer(page.endpoint))
        if client.get(page.path).status_code not in (200, 301, 302, 303, 307, 308):
            continue
        captured.statements.clear()
        captured.on = True
        client.get(page.path)
        captured.on = False
        page.figures["queries"] = len(captured.statements)


def count_stores(url: str) -> int:
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            return conn.scalar(select(func.count()).where(Store.code.like("S%")))
    finally:
        engine.dispose()


def load_average() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def run_pages(
    url: str,
    *,
    now: datetime,
    samples: int,
    only: list[str] | None,
    twin: bool = True,
    twin_url: str | None = None,
    limit_ms: float | None = None,
) -> dict:
    deliverables = count_generated(url)
    limit_ms = limit_ms or (300.0 if deliverables > 5_000_000 else 150.0)
    small: dict[str, Page] = {}
    if twin:
        small_url = twin_url or sibling_url(url, "small")
        if count_generated(small_url) == 0:
            log(f"generating the small twin at {small_url}")
            generate(
                small_url,
                stores=count_stores(url),
                now=now.isoformat(),
                history=1000,
                log=lambda _t: None,
            )
        else:
            upgrade_schema(small_url)
        instance = scratch_folder()
        app = bench_app(small_url, now, instance)
        found = app_picks(app, now)
        twin_pages = pages(app, found, only)
        count_queries(app, twin_pages, now)
        small = {p.key: p for p in twin_pages}
        engine_of(app).dispose()
    instance = scratch_folder()
    app = bench_app(url, now, instance)
    load_before = load_average()
    found = app_picks(app, now)
    page_list = pages(app, found, only)
    floors = measure(app, page_list, samples, limit_ms, now)
    engine_of(app).dispose()
    rows = []
    for page in page_list:
        row = {"rule": page.rule, "endpoint": page.endpoint, "role": page.role, "path": page.path}
        if page.skipped:
            row["skipped"] = page.skipped
        row.update(page.figures)
        twin_page = small.get(page.key)
        if twin_page is not None and "queries" in page.figures:
            # (None: the twin holds no row to open this page with)
            row["queries_small_twin"] = twin_page.figures.get("queries")
            if row["queries_small_twin"] is not None:
                row["met_queries"] = row["queries_small_twin"] == page.figures["queries"]
        if "p95_ms" in row:
            row["met"] = all(row.get(k, True) for k in ("met_p95", "met_ratio", "met_queries"))
        rows.append(row)
    return {
        "database": sa.engine.make_url(url).render_as_string(hide_password=True),
        "dialect": "sqlite" if is_sqlite(url) else "postgresql",
        "deliverables": deliverables,
        "now": now.isoformat(),
        "client": "Flask test client, in process (no server, no network)",
        "samples": samples,
        "warm_up": WARM_UP,
        "target": {
            "p95_ms": limit_ms,
            "ratio": "p95 <= 3 x (own SQL p95 + floor p95)",
            "queries": "the same on the small twin",
        },
        "floor": {"page": FLOOR, "by_role": floors},
        "load_average": {"before": load_before, "after": load_average()},
        "pages": rows,
        "skipped": [r for r in rows if r.get("skipped")],
        "not_met": [r["rule"] + f" [{r['role']}]" for r in rows if r.get("met") is False],
    }


def table(result: dict) -> str:
    """The figures as a plain-text table."""
    lines = [
        f"{result['dialect']}, {result['deliverables']:,} deliverables, p95 target "
        f"{result['target']['p95_ms']:.0f} ms, load {result['load_average']}",
        f"{'page [role]':58} {'p50':>7} {'p95':>7} {'SQL95':>7} {'3x(SQL+floor)':>13} "
        f"{'queries':>9}  met",
    ]
    for r in result["pages"]:
        name = f"{r['path'] or r['rule']} [{r['role']}]"[:58]
        if r.get("skipped"):
            lines.append(f"{name:58} skipped: {r['skipped']}")
        elif "p95_ms" not in r:
            lines.append(f"{name:58} {r.get('error') or r.get('status')}")
        else:
            queries = f"{r['queries']}/{r.get('queries_small_twin', '-')}"
            met = (
                "yes"
                if r["met"]
                else "NO ("
                + ", ".join(
                    k[4:] for k in ("met_p95", "met_ratio", "met_queries") if r.get(k) is False
                )
                + ")"
            )
            lines.append(
                f"{name:58} {r['p50_ms']:7.1f} {r['p95_ms']:7.1f} {r['sql_p95_ms']:7.1f} "
                f"{r['ratio_limit_ms']:13.1f} {queries:>9}  {met}"
            )
    return "\n".join(lines)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.pages", description=__doc__)
    parser.add_argument("--database-url", default=f"sqlite:///{ROOT / 'instance' / 'bench.sqlite'}")
    parser.add_argument("--now", default=DEFAULT_NOW, help="the generated group's now")
    parser.add_argument("--samples", type=int, default=20, help="timed GETs per page")
    parser.add_argument("--only", default="", help="comma-separated rule or endpoint prefixes")
    parser.add_argument("--quick", action="store_true", help="5 samples, no twin: a try")
    parser.add_argument("--no-twin", action="store_true", help="skip the small twin's counts")
    parser.add_argument(
        "--twin-url", help="the small twin (default: `-small` beside the database; made if missing)"
    )
    parser.add_argument("--output", help="also write the JSON here")
    args = parser.parse_args(argv)
    url = args.database_url
    if not database_exists(url) or count_generated(url) == 0:
        parser.error(f"{url} holds no generated group: run python -m bench.generate first")
    upgrade_schema(url)
    now = datetime.fromisoformat(args.now).astimezone(UTC)
    result = {
        "command": "python -m bench.pages " + " ".join(argv if argv is not None else sys.argv[1:]),
        "taken_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
    }
    result.update(
        run_pages(
            url,
            now=now,
            samples=5 if args.quick else args.samples,
            only=[o for o in args.only.split(",") if o] or None,
            twin=not (args.quick or args.no_twin),
            twin_url=args.twin_url,
        )
    )
    text = json.dumps(result, indent=2, default=str)
    if args.output:
        Path(args.output).write_text(text + "\n")
    print(table(result), file=sys.stderr)
    print(text)


if __name__ == "__main__":
    main()
