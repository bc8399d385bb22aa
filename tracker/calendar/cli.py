"""`flask --app wsgi tracker calendar set | import | redate`: a store's working calendar from
the command line."""

from pathlib import Path

import click
from flask.cli import AppGroup

from tracker import clock
from tracker.admin.permissions import can_administer
from tracker.calendar import official
from tracker.calendar.service import set_override
from tracker.cli import command, table
from tracker.errors import BadInput
from tracker.extensions import db
from tracker.ledger.redating import redate, redate_plan
from tracker.org import service as org


def _entries(path: Path) -> list[official.OfficialEntry]:
    """The days of the file: an ICS file by its content, else the pasted-table format."""
    data = path.read_bytes()
    try:
        if data.lstrip(b"\xef\xbb\xbf \r\n\t").startswith(b"BEGIN:VCALENDAR"):
            return official.parse_ics(data)
        return official.parse_table(data.decode("utf-8"))
    except UnicodeDecodeError:
        raise click.BadParameter("not UTF-8 text nor an ICS file", param_hint="FILE") from None
    except BadInput as exc:
        raise click.BadParameter(exc.message, param_hint="FILE") from None


def _redated_rows(plan, zone) -> list[dict]:
    return [
        {
            "id": r.deliverable.id,
            "commitment": r.deliverable.commitment.code,
            "status": r.deliverable.status,
            "reference": r.deliverable.reference,
            "before": r.before.astimezone(zone).isoformat(),
            "after": r.after.astimezone(zone).isoformat(),
        }
        for r in plan.items
    ]


def register(group) -> None:
    """Add the `calendar` commands to the `tracker` command group (once per process)."""
    if "calendar" in group.commands:
        return
    calendar_cli = AppGroup("calendar", help="A store's working calendar.")
    group.add_command(calendar_cli)

    @command(calendar_cli, "set")
    @click.argument("store_code")
    @click.argument("day", type=click.DateTime(formats=["%Y-%m-%d"]))
    @click.option("--working/--holiday", "working", default=None, required=True)
    @click.option("--note", default=None)
    def calendar_set(store_code, day, working, note):
        """Declare a day a working day or a holiday for one store (an administrator's override).
        Open deliverables keep their due times until `calendar redate` moves them."""
        set_override(db.session, org.get_store(db.session, store_code), day.date(), working, note)
        return {"day": day.date().isoformat(), "working": working}, "override saved"

    @command(calendar_cli, "import")
    @click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    @click.option("--country", required=True, help="Two-letter country code, e.g. CN.")
    @click.option("--year", type=click.IntRange(1990, 2100), default=None)
    @click.option("--dry-run", is_flag=True, help="Show what would change; save nothing.")
    def calendar_import(file, country, year, dry_run):
        """Import a year's official calendar (a table of holidays and workdays, or an ICS file)
        for every store of a country. See docs/calendar.md for the table's format."""
        entries = _entries(file)
        try:
            preview = official.preview_import(db.session, country, entries, year)
        except BadInput as exc:
            raise click.BadParameter(exc.message, param_hint="FILE or --country/--year") from None
        if not dry_run:
            official.save_import(db.session, preview)
        changes = [
            {"day": c.day.isoformat(), "before": c.before, "after": c.after, "name": c.name}
            for c in preview.changes
        ]
        data = {
            "country": preview.country,
            "year": preview.year,
            "days": len(preview.entries),
            "known_before": preview.known_before,
            "stores": [s.code for s in preview.stores],
            "changes": changes,
            "saved": not dry_run,
        }
        text = table(
            [{**c, "before": _word(c["before"]), "after": _word(c["after"])} for c in changes],
            ["day", "before", "after", "name"],
        )
        verb = "would change" if dry_run else "saved; changed"
        stores = ", ".join(data["stores"])
        return data, f"{preview.country} {preview.year} {verb} for {stores}:\n{text}"

    @command(calendar_cli, "redate")
    @click.option("--store", "store_code", required=True)
    @click.option("--dry-run", is_flag=True, help="List what would move; change nothing.")
    @click.option("--by", "by_email", default=None, help="The administrator, for the audit.")
    def calendar_redate(store_code, dry_run, by_email):
        """Re-date the store's open deliverables whose due times its calendar now gives
        differently (after an import or an override), old time beside new."""
        store = org.get_store(db.session, store_code)
        by = org.get_person(db.session, by_email) if by_email else None
        if by is not None and not can_administer(by):
            raise click.BadParameter(f"{by_email} is not an administrator", param_hint="--by")
        if dry_run:
            plan = redate_plan(db.session, store)
        else:
            plan = redate(db.session, store, by=by, now=clock.now())
        rows = _redated_rows(plan, store.zone)
        data = {"store": store.code, "dry_run": dry_run, "redated": rows}
        columns = ["id", "commitment", "status", "reference", "before", "after"]
        return data, table(rows, columns)


def _word(working: bool) -> str:
    return "workday" if working else "holiday"
