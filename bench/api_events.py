"""The API's `POST /api/v1/events` under gunicorn, beside the trivial-page floor:
`python -m bench.api_events --database-url URL [--clients 4] [--per-client 500] [--seconds 30]`.

The database is a generated group (`python -m bench.generate`; generated here with --stores 20
when it holds none). gunicorn -w 2 serves the real app on 127.0.0.1 (`bench.run.gunicorn_server`,
the server of the clerks' submission figure). Each client is a DMS integration of one store: an
integration token of that store's Sales clerk, on its own keep-alive connection, posting distinct
vehicle deliveries (each creating its deliverables), every `--duplicate-every`-th post the
previous event again (same external_id: 200, nothing created). Then the same clients GET
`/api/v1/commitments?limit=1` (a token check and one small query: the API's floor) and, signed
in, `/profile` (the pages' floor). Prints JSON: posts/s, new events/s, p50/p95, deliverables
created, and the floors."""

import argparse
import json
import os
import sys
from collections import Counter
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from bench.common import DEFAULT_NOW, make_app
from bench.generate import email_for, generate
from bench.run import (
    Browser,
    count_generated,
    gunicorn_server,
    load,
    log,
    machine,
    ms,
    percentile,
    upgrade_schema,
)
from tracker.api import service as api
from tracker.extensions import db
from tracker.ledger.models import BusinessEvent, Deliverable
from tracker.org.models import Person, Store

WARM_UP = 5


def tokens(url: str, clients: int, now: datetime) -> list[tuple[str, str]]:
    """(store code, secret) for the first `clients` stores: an integration token each."""
    app = make_app(url)
    with app.app_context():
        stores = list(db.session.scalars(select(Store).order_by(Store.id).limit(clients)))
        made = []
        for store in stores:
            clerk = db.session.scalar(
                select(Person).where(Person.email == email_for(store.code, "sales", "clerk"))
            )
            _token, secret = api.create_token(
                db.session, clerk, name="bench", expires_days=1, integration=True, now=now
            )
            made.append((store.code, secret))
        db.session.commit()
        db.engine.dispose()
    return made


def posts(store: str, run: str, count: int, every: int, at: datetime) -> list[tuple]:
    """`count` posts for one store: new deliveries, every `every`-th the previous one again."""
    items, last = [], None
    for n in range(count):
        if every and n % every == every - 1 and last is not None:
            body = last
        else:
            body = json.dumps(
                {
                    "type": "vehicle_delivered",
                    "store": store,
                    "occurred_at": (at - timedelta(seconds=n)).isoformat(),
                    "reference": f"API-{store}-{run}-{n}",
                    "external_id": f"bench-{run}-{store}-{n}",
                    "customer": "王伟",
                    "amount": "1000.00",
                }
            )
            last = body
        items.append(("POST", "/api/v1/events", body))
    return items


def figures(latencies: list[float], failures: int, elapsed: float) -> dict:
    return {
        "requests": len(latencies),
        "failures": failures,
        "seconds": round(elapsed, 2),
        "per_second": round(len(latencies) / elapsed, 1) if elapsed else None,
        "p50_ms": ms(percentile(latencies, 50)) if latencies else None,
        "p95_ms": ms(percentile(latencies, 95)) if latencies else None,
    }


def measure(url: str, clients: int, per_client: int, every: int, seconds: float) -> dict:
    """Post the events through gunicorn, then the floors; the figures."""
    now = datetime.now(UTC)  # the server's own clock stamps and checks the events
    run = now.strftime("%H%M%S")
    made = tokens(url, clients, now)
    with gunicorn_server(url) as port:
        browsers = [Browser(port, {"Authorization": f"Bearer {secret}"}) for _, secret in made]
        work = [posts(code, run, per_client, every, now - timedelta(hours=1)) for code, _ in made]
        # Warm-up, not measured: each worker's first requests load the app's lazy parts (the
        # calendars, the catalogue's rules); WARM_UP posts per client, of their own.
        warm = [posts(code, f"warm{run}", WARM_UP, 0, now - timedelta(hours=2)) for code, _ in made]
        load(browsers, warm, seconds, (200, 201))
        log(f"api: {len(browsers)} integrations posting for up to {seconds:.0f}s")
        statuses: Counter = Counter()
        latencies, failures, elapsed = load(browsers, work, seconds, (200, 201), statuses)
        floor_work = [[("GET", "/api/v1/commitments?limit=1", None)] * per_client] * len(made)
        log("api: the API's floor")
        api_floor = figures(*load(browsers, floor_work, seconds))
        for browser, (code, _) in zip(browsers, made, strict=True):
            browser.headers = {}
            browser.sign_in(email_for(code, "sales", "clerk"))
        log("api: the pages' floor")
        page_work = [[("GET", "/profile", None)] * per_client] * len(made)
        page_floor = figures(*load(browsers, page_work, seconds))
    app = make_app(url)
    with app.app_context():
        mine = BusinessEvent.external_id.like(f"bench-{run}-%")  # not the warm-up's
        recorded = db.session.scalar(select(func.count()).where(mine))
        deliverables = db.session.scalar(
            select(func.count()).select_from(Deliverable).join(BusinessEvent).where(mine)
        )
        db.engine.dispose()
    created = statuses.get(201, 0)
    return {
        "server": "gunicorn -w 2 (sync workers)",
        "clients": len(made),
        "posts": {
            **figures(latencies, failures, elapsed),
            "created_201": created,
            "already_200": statuses.get(200, 0),
            "statuses": dict(statuses),
            "new_events_per_second": round(created / elapsed, 1) if elapsed else None,
            "events_recorded": recorded,
            "deliverables_created": deliverables,
        },
        "api_floor": {"path": "GET /api/v1/commitments?limit=1", **api_floor},
        "page_floor": {"path": "GET /profile (signed in)", **page_floor},
        "target": "none set: reported beside the floors",
    }


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.api_events", description=__doc__)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--clients", type=int, default=4, help="integrations posting at once")
    parser.add_argument("--per-client", type=int, default=500, help="posts per integration")
    parser.add_argument("--duplicate-every", type=int, default=10, help="0: no duplicates")
    parser.add_argument("--seconds", type=float, default=30, help="each load's time limit")
    parser.add_argument("--stores", type=int, default=20, help="generated when there is no group")
    args = parser.parse_args(argv)
    url = args.database_url
    if count_generated(url) == 0:
        log(f"generating a group of {args.stores} stores into {url}")
        generate(url, stores=args.stores, days=60, now=DEFAULT_NOW)
    else:
        upgrade_schema(url)
    result = {
        "command": "python -m bench.api_events " + " ".join(argv or sys.argv[1:]),
        "taken_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "load_average_before": [round(x, 2) for x in os.getloadavg()],
        "dialect": "sqlite" if url.startswith("sqlite") else "postgresql",
        "deliverables_before": count_generated(url),
        **measure(url, args.clients, args.per_client, args.duplicate_every, args.seconds),
    }
    result["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
    print(json.dumps(result, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
