"""`flask --app wsgi tracker store add | user add`: stores and people from the command line."""

import click
from flask.cli import AppGroup

from tracker import clock, validation
from tracker.auth.passwords import password_problem
from tracker.cli import command
from tracker.extensions import db
from tracker.org import service as org


def register(group) -> None:
    """Add the `store` and `user` commands to the `tracker` command group (once per process)."""
    if "store" in group.commands:
        return
    store_cli = AppGroup("store", help="Stores.")
    user_cli = AppGroup("user", help="People.")
    group.add_command(store_cli)
    group.add_command(user_cli)

    @command(store_cli, "add")
    @click.argument("code")
    @click.option("--name", required=True)
    @click.option(
        "--tz", "timezone", required=True, type=validation.ZONE, help="e.g. Asia/Shanghai"
    )
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
        if password is not None and (problem := password_problem(password, email=email, name=name)):
            raise click.BadParameter(problem, param_hint="--password")  # exit code 2
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
