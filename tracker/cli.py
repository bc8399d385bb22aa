"""`flask --app wsgi tracker ...`: the commands operators and scripts use. Each takes --json."""

import functools
import json
from datetime import datetime

import click
from flask import current_app
from flask.cli import AppGroup

from tracker import clock
from tracker.errors import N_, BadInput, TrackerError
from tracker.extensions import db
from tracker.ledger import service as ledger

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
    from tracker.server import serve as serve_app

    serve_app(current_app._get_current_object(), host, port)
