"""`flask --app wsgi tracker load-catalog | commitments | due`: the commitment catalogue and the
due times its rules give."""

from dataclasses import replace

import click
from sqlalchemy import select

from tracker import clock, validation
from tracker.calendar.deadlines import due_after, recurring_due
from tracker.calendar.service import KnownYears, store_calendar
from tracker.catalog import service as catalog
from tracker.catalog.models import Commitment
from tracker.cli import command, parse_instant, table
from tracker.errors import N_, BadInput
from tracker.extensions import db
from tracker.org import service as org


def register(group) -> None:
    """Add the catalogue's commands to the `tracker` command group (once per process)."""
    if "load-catalog" in group.commands:
        return

    @command(group, "load-catalog")
    @click.argument("name")
    def load_catalog(name):
        """Load a commitment catalogue (`dealership`: the finance department's 34 items)."""
        created = catalog.load_catalog(db.session, name, clock.now())
        codes = [c.code for c in created]
        return {"created": codes}, f"{len(codes)} commitments created" + (
            f": {', '.join(codes)}" if codes else " (all were there already)"
        )

    @command(group, "commitments")
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

    @command(group, "due")
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
    @click.option(
        "--working-day",
        type=validation.WORKING_DAY,
        help="Recurring: try the month-end rule 'Nth working day of the month' instead of the "
        "saved one (-1 the last working day, -3 two working days before the last).",
    )
    def due(code, store_code, starts, count, working_day):
        """The due times a commitment's rule gives, for events (or starts) at each --from."""
        commitment = catalog.get_commitment(db.session, code)
        store = org.get_store(db.session, store_code)
        if count < 1:
            raise BadInput(N_("--count must be at least 1"))
        calendar = store_calendar(db.session, store)
        rule = commitment.current.rule(commitment.kind)
        if working_day is not None:
            if commitment.kind != "recurring":
                raise click.BadParameter(
                    f"{code} is not a recurring commitment", param_hint="--working-day"
                )
            rule = replace(rule, frequency="monthly", day=working_day, day_type="working")
        rows = []
        for start in starts:
            at = parse_instant(start, "--from time")
            if commitment.kind == "recurring":
                rows += [
                    {
                        "from": start,
                        "occurrence": occurrence.nominal.isoformat(),
                        "due": occurrence.due.astimezone(store.zone).isoformat(),
                    }
                    for occurrence in recurring_due(rule, at, store.zone, calendar, count)
                ]
            elif not commitment.current.triggered_at(at.astimezone(store.zone).time()):
                # An event before the trigger time (sales-6: deliveries after 17:00) owes nothing.
                after = commitment.current.trigger_after.strftime("%H:%M")
                rows.append({"from": start, "due": None, "note": f"not triggered before {after}"})
            else:
                due_at = due_after(rule, at, store.zone, calendar)
                rows.append({"from": start, "due": due_at.astimezone(store.zone).isoformat()})
        unknown = _mark_unknown_years(rows, store)
        columns = [c for c in ["from", "occurrence", "due", "note"] if any(c in r for r in rows)]
        text = table(rows, columns or ["from", "due"])
        if unknown:
            years = ", ".join(str(y) for y in unknown)
            text += (
                f"\nThe official holidays of {years} are not known yet: these due times count "
                "only weekends as days off (import the calendar: tracker calendar import)."
            )
        return rows, text


def _mark_unknown_years(rows: list[dict], store) -> list[int]:
    """Mark the rows due in a year whose official calendar is not known ("calendar_known":
    false); the years, ascending."""
    known = KnownYears(db.session)
    unknown = set()
    for row in rows:
        if row.get("due") is None:
            continue
        year = int(row["due"][:4])
        if not known(store, year):
            row["calendar_known"] = False
            unknown.add(year)
    return sorted(unknown)
