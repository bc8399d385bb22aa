"""`flask --app wsgi tracker month status|close|reopen`: the month close from the command line.

`--store ALL` (the default of `status` and `close`) means every store. `--by EMAIL` names the
person acting, checked by `closing.permissions`; without it the operator acts (recorded as no
person). A store, person or month that is not one is a usage error (exit code 2)."""

import click
from flask.cli import AppGroup

from tracker import clock, validation
from tracker.cli import command, table
from tracker.closing import service
from tracker.errors import NotFound
from tracker.extensions import db
from tracker.org import service as org

ALL = "ALL"


class MonthText(click.ParamType):
    """YYYY-MM in ASCII digits, years 2000-2100."""

    name = "month"

    def convert(self, value, param, ctx):
        if not validation.month_ok(value):
            self.fail(f"{value!r} is not a month; write it as YYYY-MM", param, ctx)
        return value


MONTH = MonthText()
month_cli = AppGroup("month", help="Close a store's month, see where it stands, reopen it.")
store_option = click.option(
    "--store", "store_code", default=ALL, show_default=True, help="A store's code, or ALL."
)
month_option = click.option("--month", required=True, type=MONTH, help="YYYY-MM")
by_option = click.option("--by", "by", default=None, help="Email of the lead or administrator.")


def register(group: AppGroup) -> None:
    """Add the `month` commands to the `tracker` command group."""
    group.add_command(month_cli)


def _stores(store_code: str) -> list:
    if store_code == ALL:
        return service.stores_to_close(db.session, "", every_store=True)
    try:
        return [org.get_store(db.session, store_code)]
    except NotFound as exc:
        raise click.BadParameter(exc.message, param_hint="--store") from None


def _person(email: str | None):
    if email is None:
        return None
    try:
        return org.get_person(db.session, email)
    except NotFound as exc:
        raise click.BadParameter(exc.message, param_hint="--by") from None


STATUS_COLUMNS = ["store", "month", "closed", "closed_at", "closed_by", "undecided"]


@command(month_cli, "status")
@store_option
@month_option
def month_status(store_code, month):
    """Whether the month is closed in each store, and how much of it is undecided."""
    rows = service.status(db.session, _stores(store_code), month)
    return rows, table(rows, STATUS_COLUMNS)


@command(month_cli, "close")
@store_option
@month_option
@by_option
@click.option("--with-open", is_flag=True, help="Close although some items are undecided.")
def month_close(store_code, month, by, with_open):
    """Close the month in a store or in every store (ALL), keeping its scorecard as it is."""
    stores, person = _stores(store_code), _person(by)
    closes = service.close_month(
        db.session, by=person, stores=stores, month=month, now=clock.now(), with_open=with_open
    )
    rows = service.status(db.session, [c.store for c in closes], month)
    return rows, table(rows, STATUS_COLUMNS)


@command(month_cli, "reopen")
@click.option("--store", "store_code", required=True, help="A store's code.")
@month_option
@by_option
@click.option("--reason", required=True, type=validation.Text(), help="Why it is reopened.")
def month_reopen(store_code, month, by, reason):
    """Reopen a closed month of a store (administrators), with a reason."""
    if store_code == ALL:
        raise click.BadParameter("reopen one store at a time", param_hint="--store")
    (store,), person = _stores(store_code), _person(by)
    service.reopen_month(
        db.session, by=person, store=store, month=month, reason=reason, now=clock.now()
    )
    rows = service.status(db.session, [store], month)
    return rows, table(rows, STATUS_COLUMNS)
