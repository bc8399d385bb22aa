"""`flask --app wsgi tracker token ...`: API tokens made, listed and revoked by the operator."""

import click
from flask.cli import AppGroup
from sqlalchemy import select

from tracker import clock
from tracker.cli import command, table
from tracker.errors import N_, NotFound
from tracker.extensions import db
from tracker.org.models import Person
from tracker.validation import DatabaseId, Text

from . import service

token_cli = AppGroup("token", help="API tokens.")
COLUMNS = ["id", "person", "name", "integration", "expires_at", "last_used_at", "revoked_at"]


def register(group: AppGroup) -> None:
    if "token" not in group.commands:
        group.add_command(token_cli)


def _person(email: str) -> Person:
    person = db.session.scalar(select(Person).where(Person.email == email.strip().lower()))
    if person is None:
        raise NotFound(N_("no person with email %(email)r"), email=email)
    return person


@command(token_cli, "create")
@click.option("--for", "email", required=True, type=Text(), help="The person it acts as.")
@click.option("--name", default=None, type=Text(), help="What it is for (e.g. dms).")
@click.option("--expires-days", type=click.IntRange(1, 3650), default=None)
@click.option("--integration", is_flag=True, help="May only record events and read (a DMS).")
def token_create(email, name, expires_days, integration):
    """Make a token; its secret is printed once and only its hash is kept."""
    token, secret = service.create_token(
        db.session, _person(email), name=name, expires_days=expires_days,
        integration=integration, now=clock.now(),
    )  # fmt: skip
    return {"token": secret, "id": token.id}, f"token {token.id}: {secret}\n(shown only once)"


@command(token_cli, "list")
@click.option("--for", "email", default=None, type=Text())
def token_list(email):
    """The tokens of a person, or every token not revoked."""
    found = service.tokens_of(db.session, _person(email)) if email else None
    rows = [service.token_row(t) for t in (found or service.all_tokens(db.session))]
    return rows, table(rows, COLUMNS)


@command(token_cli, "revoke")
@click.argument("token_id", type=DatabaseId())
def token_revoke(token_id):
    """Revoke a token: it answers 401 from now on."""
    token = service.revoke(db.session, token_id, by=None, now=clock.now())
    return service.token_row(token), f"token {token.id} revoked"
