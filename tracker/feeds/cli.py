"""`flask --app wsgi tracker feed url --for EMAIL [--renew]`: a person's calendar feed URL."""

import click
from flask import current_app
from flask.cli import AppGroup

from tracker import clock
from tracker.cli import command
from tracker.errors import NotFound
from tracker.extensions import db
from tracker.feeds import service
from tracker.org import service as org

feed_cli = AppGroup("feed", help="Calendar (iCal) feeds of people's open deliverables.")


def register(group: AppGroup) -> None:
    """Add the `feed` commands to the `tracker` command group."""
    group.add_command(feed_cli)


@command(feed_cli, "url")
@click.option("--for", "email", required=True, help="The person's email.")
@click.option("--renew", is_flag=True, help="Make a new URL; the old one stops working.")
def url(email, renew):
    """Print the person's feed URL (made the first time)."""
    try:
        person = org.get_person(db.session, email)
    except NotFound as exc:
        raise click.BadParameter(exc.message, param_hint="--for") from None
    key = None if renew else service.current_key(db.session, person)
    key = key or service.renew_key(db.session, person, now=clock.now())
    address = service.feed_url(current_app.config["BASE_URL"], key)
    return {"url": address}, address
