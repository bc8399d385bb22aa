"""`flask --app wsgi tracker calendar set`: a store's working calendar from the command line."""

import click
from flask.cli import AppGroup

from tracker.calendar.service import set_override
from tracker.cli import command
from tracker.extensions import db
from tracker.org import service as org


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
        """Declare a day a working day or a holiday for one store (an administrator's override)."""
        set_override(db.session, org.get_store(db.session, store_code), day.date(), working, note)
        return {"day": day.date().isoformat(), "working": working}, "override saved"
