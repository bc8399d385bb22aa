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

from tracker import clock
from tracker.errors import N_, BadInput, TrackerError
from tracker.extensions import db
from tracker.ledger import service as ledger
from tracker.org import service as org

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


# --- the ledger ---


event_cli = AppGroup("event", help="Business events.")
tracker_cli.add_command(event_cli)


@command(event_cli, "record")
@click.option("--type", "type_", required=True)
@click.option("--store", "store_code", required=True)
@click.option(
    "--at", "at", default=None, help="When it happened, ISO 8601 with offset (default now)."
)
@click.option("--ref", "reference", required=True)
@click.option("--customer", default=None)
@click.option("--vin", default=None)
@click.option("--amount", default=None)
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
    click.argument("deliverable_id", type=int),
    click.option("--by", required=True, help="Email of the person acting."),
    click.option("--at", default=None, help="ISO 8601 with offset; for importing history only."),
]


def with_common(fn):
    for decorator in reversed(common):
        fn = decorator(fn)
    return fn


@command(deliverable_cli, "submit")
@with_common
@click.option("--reason", default=None, help="Why it is late (required when it is).")
@click.option("--reference", default=None)
@click.option("--amount", default=None)
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
