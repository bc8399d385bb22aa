"""`flask --app wsgi tracker ...`: the commands operators and scripts use. Each takes --json."""

import functools
import json
import shutil
import uuid
from datetime import datetime
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import select

from tracker import clock, validation
from tracker.calendar.deadlines import event_due, recurring_due, request_due
from tracker.calendar.service import set_override, store_calendar
from tracker.catalog import service as catalog
from tracker.catalog.models import Commitment
from tracker.errors import N_, BadInput, TrackerError
from tracker.extensions import db
from tracker.ledger import service as ledger
from tracker.org import service as org
from tracker.scorecards.service import scorecard

tracker_cli = AppGroup("tracker", help="The tracker's own commands.")
json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")


def command(group, name=None, **kwargs):
    """A command that prints JSON with --json, commits on success, and explains domain errors."""

    def wrap(fn):
        @group.command(name, **kwargs)
        @json_option
        @functools.wraps(fn)
        def run(as_json, **params):
            try:
                result = fn(**params)
                db.session.commit()
            except TrackerError as exc:
                db.session.rollback()
                if as_json:
                    click.echo(json.dumps({"error": exc.message}, ensure_ascii=False))
                    raise SystemExit(1) from None
                raise click.ClickException(exc.message) from None
            if result is None:
                return
            data, text = result
            if as_json:
                click.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))
            else:
                click.echo(text)

        return run

    return wrap


def parse_instant(value: str, what: str = "time") -> datetime:
    """An ISO 8601 instant with its offset; a time without a zone is refused."""
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise BadInput(
            N_("%(value)r is not an ISO 8601 %(what)s (e.g. 2026-10-09T15:00+08:00)"),
            value=value,
            what=what,
        ) from None
    return ledger.require_aware(parsed, f"the {what}")


def table(rows: list[dict], columns: list[str]) -> str:
    """A plain aligned text table."""
    if not rows:
        return "(none)"
    cells = [[("" if r.get(c) is None else str(r.get(c))) for c in columns] for r in rows]
    widths = [max(len(c), *(len(row[i]) for row in cells)) for i, c in enumerate(columns)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True))]
    lines += ["  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)) for row in cells]
    return "\n".join(lines)


def deliverable_row(d) -> dict:
    """A deliverable as plain data, due time in the store's zone with its offset."""
    return {
        "id": d.id,
        "commitment": d.commitment.code,
        "store": d.store.code,
        "status": d.status,
        "due": d.due_at.astimezone(d.store.zone).isoformat(),
        "reference": d.reference,
        "period": d.period,
    }


# --- setting up ---


@command(tracker_cli, "init")
def init():
    """Create or upgrade the database schema (migrations only)."""
    from flask_migrate import upgrade

    upgrade(directory=current_app.extensions["migrate"].directory)
    return {"ok": True}, "database is at the latest schema"


@command(tracker_cli, "load-catalog")
@click.argument("name")
def load_catalog(name):
    """Load a commitment catalogue (`dealership`: the finance department's 34 items)."""
    created = catalog.load_catalog(db.session, name, clock.now())
    codes = [c.code for c in created]
    return {"created": codes}, f"{len(codes)} commitments created" + (
        f": {', '.join(codes)}" if codes else " (all were there already)"
    )


@command(tracker_cli, "demo")
@click.option("--store", "store_code", default="SH01", show_default=True)
@click.option("--months", default=3, show_default=True, help="How many months of history.")
@click.option("--seed", default=7, show_default=True)
def demo(store_code, months, seed):
    """A realistic store with people, events, submissions and returns; prints the logins."""
    from tracker.demo import build_demo

    logins = build_demo(
        db.session,
        now=clock.now(),
        store_code=store_code,
        months=months,
        seed=seed,
        upload_dir=current_app.config["UPLOAD_DIR"],
    )
    return logins, "Demo store ready. Sign in as (password for all: {}):\n{}".format(
        logins["password"], table(logins["people"], ["email", "name", "department", "role"])
    )


store_cli = AppGroup("store", help="Stores.")
tracker_cli.add_command(store_cli)


@command(store_cli, "add")
@click.argument("code")
@click.option("--name", required=True)
@click.option("--tz", "timezone", required=True, type=validation.ZONE, help="e.g. Asia/Shanghai")
@click.option("--country", required=True, help="Country of the working calendar, e.g. CN")
@click.option("--subdiv", default=None)
@click.option("--lang", "language", default=None, type=click.Choice(["zh", "en"]))
def store_add(code, name, timezone, country, subdiv, language):
    """Add a store."""
    s = org.add_store(
        db.session,
        code=code,
        name=name,
        timezone=timezone,
        country=country,
        subdiv=subdiv,
        language=language,
        now=clock.now(),
    )
    data = {"code": s.code, "name": s.name, "timezone": s.timezone, "country": s.country}
    return data, f"store {s.code} added"


user_cli = AppGroup("user", help="People.")
tracker_cli.add_command(user_cli)


@command(user_cli, "add")
@click.argument("email")
@click.option("--name", required=True)
@click.option("--dept", required=True, help="finance, sales, insurance, loans, service, hr")
@click.option("--store", "store_code", required=True)
@click.option("--role", default="clerk", type=click.Choice(["clerk", "head", "lead", "admin"]))
@click.option("--lang", "language", default="zh", type=click.Choice(["zh", "en"]))
@click.option("--password", default=None, help="Sets a sign-in password (hashed).")
def user_add(email, name, dept, store_code, role, language, password):
    """Add a person."""
    p = org.add_person(
        db.session,
        email=email,
        name=name,
        department=org.get_department(db.session, dept),
        store=org.get_store(db.session, store_code),
        role=role,
        language=language,
        password=password,
        now=clock.now(),
    )
    return {"email": p.email, "id": p.id}, f"{p.email} added"


# --- the catalogue ---


@command(tracker_cli, "commitments")
@click.option("--lang", default="en", type=click.Choice(["zh", "en"]))
def commitments(lang):
    """List the commitments with their deadline rules."""
    rows = []
    for c in db.session.scalars(select(Commitment).order_by(Commitment.id)):
        summary = catalog.rule_summary(c, lang)
        rows.append(
            {
                "code": c.code,
                "provider": c.provider.code,
                "receiver": c.receiver.code,
                "kind": c.kind,
                "event_type": c.event_type,
                "rule": summary["text"],
                "rule_fields": summary["rule"],
                "title": c.current.title(lang),
                "retired": c.retired,
                "version": c.current.number,
            }
        )
    return rows, table(rows, ["code", "provider", "receiver", "kind", "event_type", "rule"])


@command(tracker_cli, "due")
@click.option("--commitment", "code", required=True)
@click.option("--store", "store_code", required=True)
@click.option(
    "--from",
    "starts",
    multiple=True,
    required=True,
    type=validation.INSTANT,
    help="ISO 8601 with offset.",
)
@click.option(
    "--count",
    default=1,
    show_default=True,
    type=validation.COUNT,
    help="Recurring: how many due times.",
)
def due(code, store_code, starts, count):
    """The due times a commitment's rule gives, for events (or starts) at each --from."""
    commitment = catalog.get_commitment(db.session, code)
    store = org.get_store(db.session, store_code)
    if count < 1:
        raise BadInput(N_("--count must be at least 1"))
    calendar = store_calendar(db.session, store)
    rule = commitment.current.rule(commitment.kind)
    rows = []
    for start in starts:
        at = parse_instant(start, "--from time")
        if commitment.kind == "recurring":
            for occurrence in recurring_due(rule, at, store.zone, calendar, count):
                rows.append(
                    {
                        "from": start,
                        "occurrence": occurrence.nominal.isoformat(),
                        "due": occurrence.due.astimezone(store.zone).isoformat(),
                    }
                )
        elif not commitment.current.triggered_at(at.astimezone(store.zone).time()):
            # An event before the trigger time (sales-6: deliveries after 17:00) owes nothing.
            after = commitment.current.trigger_after.strftime("%H:%M")
            rows.append({"from": start, "due": None, "note": f"not triggered before {after}"})
        else:
            compute = request_due if commitment.kind == "request" else event_due
            rows.append(
                {
                    "from": start,
                    "due": compute(rule, at, store.zone, calendar)
                    .astimezone(store.zone)
                    .isoformat(),
                }
            )
    columns = ["from", "occurrence", "due", "note"]
    return rows, table(rows, [c for c in columns if any(c in r for r in rows)] or ["from", "due"])


calendar_cli = AppGroup("calendar", help="A store's working calendar.")
tracker_cli.add_command(calendar_cli)


@command(calendar_cli, "set")
@click.argument("store_code")
@click.argument("day", type=click.DateTime(formats=["%Y-%m-%d"]))
@click.option("--working/--holiday", "working", default=None, required=True)
@click.option("--note", default=None)
def calendar_set(store_code, day, working, note):
    """Declare a day a working day or a holiday for one store (an administrator's override)."""
    set_override(db.session, org.get_store(db.session, store_code), day.date(), working, note)
    return {"day": day.date().isoformat(), "working": working}, "override saved"


# --- the ledger ---


event_cli = AppGroup("event", help="Business events.")
tracker_cli.add_command(event_cli)


@command(event_cli, "record")
@click.option("--type", "type_", required=True)
@click.option("--store", "store_code", required=True)
@click.option(
    "--at",
    "at",
    default=None,
    type=validation.INSTANT,
    help="When it happened, ISO 8601 with offset (default now).",
)
@click.option("--ref", "reference", required=True)
@click.option("--customer", default=None)
@click.option("--vin", default=None)
@click.option("--amount", default=None, type=validation.AMOUNT)
@click.option("--by", "by", default=None, help="Email of the clerk recording it.")
def event_record(type_, store_code, at, reference, customer, vin, amount, by):
    """Record a business event; prints the deliverables it created and their due times."""
    now = clock.now()
    event, created = ledger.record_event(
        db.session,
        store=org.get_store(db.session, store_code),
        type=type_,
        occurred_at=parse_instant(at, "event time") if at else now,
        reference=reference,
        by=org.get_person(db.session, by) if by else None,
        now=now,
        customer=customer,
        vin=vin,
        amount=amount,
    )
    rows = [deliverable_row(d) for d in created]
    return (
        {"event": event.id, "deliverables": rows},
        f"event {event.id} recorded\n" + table(rows, ["id", "commitment", "due", "status"]),
    )


deliverable_cli = AppGroup("deliverable", help="Submit, accept, return or waive a deliverable.")
tracker_cli.add_command(deliverable_cli)


def _acting(deliverable_id, by, at):
    """The deliverable, the person, and the instant (--at is for importing history only)."""
    deliverable = ledger.get_deliverable(db.session, deliverable_id)
    person = org.get_person(db.session, by)
    return deliverable, person, parse_instant(at, "--at time") if at else clock.now()


def _done(deliverable, text):
    db.session.flush()
    row = deliverable_row(deliverable)
    return row, f"deliverable {row['id']} is {row['status']} {text}".rstrip()


common = [
    click.argument("deliverable_id", type=validation.ID),
    click.option("--by", required=True, help="Email of the person acting."),
    click.option(
        "--at",
        default=None,
        type=validation.INSTANT,
        help="ISO 8601 with offset; for importing history only.",
    ),
]


def with_common(fn):
    for decorator in reversed(common):
        fn = decorator(fn)
    return fn


@command(deliverable_cli, "submit")
@with_common
@click.option("--reason", default=None, help="Why it is late (required when it is).")
@click.option("--reference", default=None)
@click.option("--amount", default=None, type=validation.AMOUNT)
@click.option("--note", default=None)
@click.option("--file", "file_", type=click.Path(exists=True, dir_okay=False), default=None)
def deliverable_submit(deliverable_id, by, at, reason, reference, amount, note, file_):
    """Submit a deliverable with its evidence."""
    deliverable, person, now = _acting(deliverable_id, by, at)
    evidence = ledger.Evidence(
        reference=reference, amount=amount, note=note, **(_store_file(Path(file_)) if file_ else {})
    )
    ledger.submit(
        db.session, deliverable, by=person, now=now, evidence=evidence, late_reason=reason
    )
    return _done(deliverable, "")


@command(deliverable_cli, "accept")
@with_common
def deliverable_accept(deliverable_id, by, at):
    """Accept a submitted deliverable (its checklist is taken as all ticked)."""
    deliverable, person, now = _acting(deliverable_id, by, at)
    ledger.accept(db.session, deliverable, by=person, now=now)
    return _done(deliverable, "")


@command(deliverable_cli, "return")
@with_common
@click.option(
    "--reason", required=False, default=None, help="incomplete, unsigned, wrong_amount or other"
)
@click.option("--note", default=None)
def deliverable_return(deliverable_id, by, at, reason, note):
    """Return a submitted deliverable with a reason."""
    deliverable, person, now = _acting(deliverable_id, by, at)
    ledger.return_deliverable(
        db.session, deliverable, by=person, now=now, reason=reason or "", note=note
    )
    return _done(deliverable, f"({reason})")


@command(deliverable_cli, "waive")
@with_common
@click.option("--reason", default=None)
def deliverable_waive(deliverable_id, by, at, reason):
    """Waive a deliverable that does not apply, with a reason."""
    deliverable, person, now = _acting(deliverable_id, by, at)
    ledger.waive(db.session, deliverable, by=person, now=now, reason=reason or "")
    return _done(deliverable, "")


def _store_file(path: Path) -> dict:
    """Copy an evidence file into the upload folder under a name nobody can guess."""
    upload_dir = Path(current_app.config["UPLOAD_DIR"])
    upload_dir.mkdir(parents=True, exist_ok=True)
    stored = upload_dir / f"{uuid.uuid4().hex}{path.suffix.lower()}"
    shutil.copyfile(path, stored)
    return {
        "file_name": path.name,
        "file_path": stored.name,
        "file_size": stored.stat().st_size,
        "file_type": None,
    }


# --- scorecards ---


@command(tracker_cli, "scorecard")
@click.option("--month", required=True, help="YYYY-MM")
@click.option("--store", "store_code", default=None)
@click.option("--level", default="commitment", type=click.Choice(["commitment", "department"]))
def scorecard_cmd(month, store_code, level):
    """The providing departments' scorecard for a month."""
    store = org.get_store(db.session, store_code) if store_code else None
    rows = [
        r.as_dict()
        for r in scorecard(db.session, month=month, now=clock.now(), store=store, level=level)
    ]
    columns = [
        "store",
        "provider",
        "commitment",
        "due",
        "on_time",
        "late",
        "open_overdue",
        "waived",
        "on_time_rate",
        "first_pass_rate",
        "mean_lateness_hours",
    ]
    if level == "department":
        columns.remove("commitment")
    return rows, table(rows, columns)


# --- running ---


@tracker_cli.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True)
@click.option("--no-scheduler", is_flag=True, help="Leave the reminders to `tracker scheduler`.")
def serve(host, port, no_scheduler):
    """Run the web app for a single store (the embedded default) with the reminder scheduler in
    the same process (it acts only while it holds the database lock, like `tracker scheduler`)."""
    if not no_scheduler:
        from tracker.reminders.scheduler import start_embedded

        start_embedded(current_app._get_current_object())
    # app.run() is ignored under the `flask` command, so serve with Werkzeug directly.
    from werkzeug.serving import run_simple

    run_simple(host, port, current_app._get_current_object(), threaded=True)
