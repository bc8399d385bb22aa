"""`flask --app wsgi tracker import events|watch|mapping|mappings`: DMS exports from the command
line and the scheduler.

`import events FILE` imports all rows or none (`--valid-only`: the valid rows), or only shows
what it would do (`--dry-run`); the same rows again are counted `already`. `import watch DIR`
imports each CSV or Excel file of the folder once (remembered by its content). A file, store,
mapping or person that is not one is a usage error (exit code 2); rows in error make the exit
code 1."""

import json
from pathlib import Path

import click
from flask.cli import AppGroup

from tracker import clock
from tracker.cli import json_option, table
from tracker.errors import BadInput, NotFound, TrackerError
from tracker.extensions import db
from tracker.imports import jobs, service
from tracker.org import service as org

import_cli = AppGroup("import", help="Import business events from DMS exports (CSV or Excel).")
store_option = click.option("--store", "store_code", required=True, help="The store's code.")
mapping_option = click.option(
    "--mapping", "mapping_name", default=service.STANDARD, show_default=True, help="Mapping name."
)
valid_only_option = click.option(
    "--valid-only", is_flag=True, help="Import the valid rows even if others are in error."
)


def register(group: AppGroup) -> None:
    """Add the `import` commands to the `tracker` command group."""
    group.add_command(import_cli)


def _store(code: str):
    try:
        return org.get_store(db.session, code)
    except NotFound as exc:
        raise click.BadParameter(exc.message, param_hint="--store") from None


def _mapping(name: str) -> service.Mapping:
    try:
        return service.get_mapping(db.session, name)
    except BadInput as exc:
        raise click.BadParameter(exc.message, param_hint="--mapping") from None


def _person(email: str | None):
    if email is None:
        return None
    try:
        return org.get_person(db.session, email)
    except NotFound as exc:
        raise click.BadParameter(exc.message, param_hint="--by") from None


def _report(outcome: service.Outcome, as_json: bool, name: str = "") -> dict:
    counts = outcome.summary()
    errors = [{"line": r.line, "error": r.error.message} for r in outcome.rows if r.error]
    if as_json:
        return {"file": name, **counts, "written": outcome.written, "row_errors": errors}
    rows = [{"line": e["line"], "error": e["error"]} for e in errors]
    click.echo(" ".join(f"{k}={v}" for k, v in counts.items()) + f"  {name}".rstrip())
    if rows:
        click.echo(table(rows, ["line", "error"]))
    if errors and not outcome.written:
        click.echo("nothing imported: fix the rows above, or import with --valid-only")
    return {}


@import_cli.command("events")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@store_option
@mapping_option
@click.option("--dry-run", is_flag=True, help="Show each row's outcome; write nothing.")
@valid_only_option
@click.option("--by", "by", default=None, help="Email of the person importing (else a job).")
@json_option
def import_events(file, store_code, mapping_name, dry_run, valid_only, by, as_json):
    """Import a DMS export's events (all rows, or none if one is wrong)."""
    store, mapping, person = _store(store_code), _mapping(mapping_name), _person(by)
    try:
        rows = service.read_table(file.name, file.read_bytes())
    except BadInput as exc:
        raise click.BadParameter(exc.message, param_hint="FILE") from None
    try:
        if dry_run:
            outcome = service.preview(db.session, store, mapping, rows, now=clock.now())
        else:
            outcome = service.import_table(
                db.session, store, mapping, rows, by=person, now=clock.now(), valid_only=valid_only
            )
        db.session.commit()
    except TrackerError as exc:
        db.session.rollback()
        raise click.ClickException(exc.message) from None
    data = _report(outcome, as_json, file.name)
    if as_json:
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
    if outcome.count("error"):
        raise SystemExit(1)


@import_cli.command("watch")
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
@store_option
@mapping_option
@valid_only_option
@json_option
def import_watch(folder, store_code, mapping_name, valid_only, as_json):
    """Import each CSV or Excel file of FOLDER once (a DMS dropping a file every night)."""
    store, mapping = _store(store_code), _mapping(mapping_name)
    results = run_watch(folder, store, mapping, valid_only=valid_only, as_json=as_json)
    if as_json:
        click.echo(json.dumps({"files": results}, ensure_ascii=False, indent=2))


def run_watch(folder: Path, store, mapping, *, valid_only: bool, as_json: bool = True) -> list:
    """Import the folder's files not imported yet, each in its own transaction."""
    try:
        found = jobs.import_folder(folder, store, mapping, valid_only=valid_only, now=clock.now())
    except BadInput as exc:
        raise click.BadParameter(exc.message, param_hint="FOLDER") from None
    results = []
    for result in found:
        if result.outcome is None:
            results.append({"file": result.file, "error": result.error})
            continue
        results.append(_report(result.outcome, True, result.file))
        if not as_json:
            _report(result.outcome, False, result.file)
    return results


@import_cli.command("mapping")
@click.argument("name")
@click.argument("file", type=click.File("r", encoding="utf-8"))
@json_option
def save_mapping(name, file, as_json):
    """Save the mapping NAME from a JSON file: {"columns": {field: header}, "types": {...}}."""
    try:
        spec = json.load(file)
        saved = service.save_mapping(
            db.session, name, spec.get("columns"), spec.get("types"), now=clock.now()
        )
        db.session.commit()
    except (ValueError, AttributeError):
        raise click.BadParameter("not a JSON object", param_hint="FILE") from None
    except BadInput as exc:
        db.session.rollback()
        raise click.BadParameter(exc.message, param_hint="FILE") from None
    data = {"name": saved.name, "columns": saved.columns, "types": saved.types}
    click.echo(json.dumps(data, ensure_ascii=False, indent=2) if as_json else f"saved {name}")


@import_cli.command("mappings")
@json_option
def list_mappings(as_json):
    """The mappings: the built-in standard and the saved ones."""
    names = service.mapping_names(db.session)
    click.echo(json.dumps(names) if as_json else "\n".join(names))
