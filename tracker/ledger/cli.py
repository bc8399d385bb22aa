"""`flask --app wsgi tracker event | deliverable ...`: the ledger's commands, for operators,
scripts and importing history. Registered on the `tracker` group by the app factory."""

from pathlib import Path

import click
from flask.cli import AppGroup

from tracker import clock, validation
from tracker.cli import command, parse_instant, table
from tracker.extensions import db
from tracker.ledger import events, holds, owners, uploads
from tracker.ledger import service as ledger
from tracker.ledger.models import HOLD_REASONS, Deliverable
from tracker.org import service as org
from tracker.satisfaction import cli as rating
from tracker.satisfaction import service as satisfaction


def register(group: AppGroup) -> None:
    """Add the ledger's commands to the `tracker` command group."""
    group.add_command(event_cli)
    group.add_command(deliverable_cli)
    group.add_command(evidence_cli)


ROW_COLUMNS = ["id", "commitment", "due", "status", "owner"]


def deliverable_row(d: Deliverable) -> dict:
    """A deliverable as plain data, due time in the store's zone with its offset."""
    return {
        "id": d.id,
        "commitment": d.commitment.code,
        "store": d.store.code,
        "status": d.status,
        "due": d.due_at.astimezone(d.store.zone).isoformat(),
        "reference": d.reference,
        "period": d.period,
        "owner": d.owner.email if d.owner is not None else None,
    }


# --- business events ---

event_cli = AppGroup("event", help="Business events.")


@command(event_cli, "record")
@click.option("--type", "type_", required=True)
@click.option("--store", "store_code", required=True)
@click.option(
    "--at",
    "at",
    default=None,
    type=validation.INSTANT,
    help="When it happened, ISO 8601 with offset (default now).",
)
@click.option("--ref", "reference", required=True)
@click.option("--customer", default=None)
@click.option("--vin", default=None)
@click.option("--amount", default=None, type=validation.AMOUNT)
@click.option("--by", "by", default=None, help="Email of the clerk recording it.")
@click.option(
    "--again",
    is_flag=True,
    help="Record it even though the store has an event of this type and reference.",
)
def event_record(type_, store_code, at, reference, customer, vin, amount, by, again):
    """Record a business event; prints the deliverables it created and their due times. The
    same type and reference already recorded in the store is refused unless --again."""
    now = clock.now()
    new = ledger.NewEvent(
        store=org.get_store(db.session, store_code),
        type=type_,
        occurred_at=parse_instant(at, "event time") if at else now,
        reference=reference,
        customer=customer,
        vin=vin,
        amount=amount,
    )
    person = org.get_person(db.session, by) if by else None
    if not again:
        events.refuse_similar(db.session, new)
    event, created = ledger.record_event(db.session, new, by=person, now=now)
    rows = [deliverable_row(d) for d in created]
    return (
        {"event": event.id, "deliverables": rows},
        f"event {event.id} recorded\n" + table(rows, ROW_COLUMNS),
    )


def _event(event_id: int):
    return events.get_event(db.session, event_id)


def _event_data(event, rows: list[dict], **more) -> dict:
    return {
        "event": event.id,
        "occurred_at": event.occurred_at.astimezone(event.store.zone).isoformat(),
        "reference": event.reference,
        "customer": event.customer,
        "vin": event.vin,
        "amount": event.amount,
        "cancelled": event.cancelled,
        "deliverables": rows,
        **more,
    }


@command(event_cli, "correct")
@click.argument("event_id", type=validation.ID)
@click.option("--by", "by", required=True, help="Email of who corrects it.")
@click.option("--at", "at", default=None, type=validation.INSTANT, help="The right time.")
@click.option("--ref", "reference", default=None, help="The right reference.")
@click.option("--customer", default=None)
@click.option("--vin", default=None)
@click.option("--amount", default=None, type=validation.AMOUNT)
def event_correct(event_id, by, at, reference, customer, vin, amount):
    """Put an event right (the options given; the rest stays). Open deliverables take the due
    times the new time gives them; the audit trail keeps both values."""
    event = _event(event_id)
    now = clock.now()
    corrected = ledger.NewEvent(
        store=event.store,
        type=event.type,
        occurred_at=parse_instant(at, "event time") if at else event.occurred_at,
        reference=event.reference if reference is None else reference,
        customer=event.customer if customer is None else customer,
        vin=event.vin if vin is None else vin,
        amount=event.amount if amount is None else amount,
    )
    person = org.get_person(db.session, by)
    redated = events.correct_event(db.session, event, corrected, by=person, now=now)
    moved = [
        {"id": r.deliverable.id, "before": r.before.isoformat(), "after": r.after.isoformat()}
        for r in redated
    ]
    rows = [deliverable_row(d) for d in events.deliverables_of(db.session, event)]
    return (
        _event_data(event, rows, redated=moved),
        f"event {event.id} corrected; {len(moved)} due times moved\n" + table(rows, ROW_COLUMNS),
    )


@command(event_cli, "cancel")
@click.argument("event_id", type=validation.ID)
@click.option("--by", "by", required=True, help="Email of who cancels it.")
@click.option("--reason", required=True, help="Why: its open deliverables are waived with it.")
def event_cancel(event_id, by, reason):
    """Cancel a wrongly recorded event: its open deliverables are waived with the reason; what
    was handed in is left to the receiving department."""
    event = _event(event_id)
    person = org.get_person(db.session, by)
    done = events.cancel_event(db.session, event, by=person, now=clock.now(), reason=reason)
    rows = [deliverable_row(d) for d in events.deliverables_of(db.session, event)]
    waived, to_decide = [d.id for d in done.waived], [d.id for d in done.to_decide]
    return (
        _event_data(event, rows, waived=waived, to_decide=to_decide),
        f"event {event.id} cancelled; waived {len(waived)}, left to decide {len(to_decide)}",
    )


# --- deliverables ---

deliverable_cli = AppGroup("deliverable", help="Submit, accept, return or waive a deliverable.")

common = [
    click.argument("deliverable_id", type=validation.ID),
    click.option("--by", required=True, help="Email of the person acting."),
    click.option(
        "--at",
        default=None,
        type=validation.INSTANT,
        help="ISO 8601 with offset; for importing history only.",
    ),
]


def with_common(fn):
    """The deliverable's id, --by and --at, which every deliverable command takes."""
    for decorator in reversed(common):
        fn = decorator(fn)
    return fn


@command(deliverable_cli, "submit")
@with_common
@click.option("--reason", default=None, help="Why it is late (required when it is).")
@click.option("--reference", default=None)
@click.option("--amount", default=None, type=validation.AMOUNT)
@click.option("--note", default=None)
@click.option("--file", "file_", type=click.Path(exists=True, dir_okay=False), default=None)
def deliverable_submit(deliverable_id, by, at, reason, reference, amount, note, file_):
    """Submit a deliverable with its evidence."""
    deliverable, person, now = _acting(deliverable_id, by, at)
    path = Path(file_) if file_ else None
    # The file is staged in this transaction: kept if it commits, removed if it does not.
    evidence = uploads.save_path(db.session, path, reference=reference, amount=amount, note=note)
    ledger.submit(
        db.session, deliverable, by=person, now=now, evidence=evidence, late_reason=reason
    )
    return _done(deliverable, "")


@command(deliverable_cli, "accept")
@with_common
@rating.options
def deliverable_accept(deliverable_id, by, at, rating_, tags):
    """Accept a submitted deliverable (its checklist is taken as all ticked), rated 1-5 with
    tags if --rating is given."""
    deliverable, person, now = _acting(deliverable_id, by, at)
    done = ledger.accept(db.session, deliverable, by=person, now=now)
    rated = satisfaction.rate(db.session, done, rating=rating_, tags=tags, by=person, now=now)
    return _rated(_done(deliverable, ""), rated)


@command(deliverable_cli, "return")
@with_common
@click.option(
    "--reason", required=False, default=None, help="incomplete, unsigned, wrong_amount or other"
)
@click.option("--note", default=None)
@rating.options
def deliverable_return(deliverable_id, by, at, reason, note, rating_, tags):
    """Return a submitted deliverable with a reason (rated 1-5 with tags if --rating)."""
    deliverable, person, now = _acting(deliverable_id, by, at)
    done = ledger.return_deliverable(
        db.session, deliverable, by=person, now=now, reason=reason or "", note=note
    )
    rated = satisfaction.rate(db.session, done, rating=rating_, tags=tags, by=person, now=now)
    return _rated(_done(deliverable, f"({reason})"), rated)


def _rated(done: tuple[dict, str], rated) -> tuple[dict, str]:
    """The deliverable's row with the rating given (None: not rated)."""
    row, text = done
    row["rating"] = rated.rating if rated is not None else None
    row["tags"] = list(rated.tags) if rated is not None else []
    return row, text + (f", rated {rated.rating}" if rated is not None else "")


@command(deliverable_cli, "waive")
@with_common
@click.option("--reason", default=None)
def deliverable_waive(deliverable_id, by, at, reason):
    """Waive a deliverable that does not apply, with a reason."""
    deliverable, person, now = _acting(deliverable_id, by, at)
    ledger.waive(db.session, deliverable, by=person, now=now, reason=reason or "")
    return _done(deliverable, "")


@command(deliverable_cli, "assign")
@with_common
@click.option(
    "--to", "to", required=True, help="Email of the new owner (--by's own: take it over)."
)
def deliverable_assign(deliverable_id, by, at, to):
    """Give a deliverable an owner: a clerk takes it over (--to their own email), the providing
    department's head reassigns it. Audited."""
    deliverable, person, now = _acting(deliverable_id, by, at)
    new = org.get_person(db.session, to)
    if new.id == person.id:
        owners.take_over(db.session, deliverable, by=person, now=now)
    else:
        owners.reassign(db.session, deliverable, to=new, by=person, now=now)
    return _done(deliverable, f"(owner {new.email})")


@command(deliverable_cli, "hold")
@with_common
@click.option("--reason", required=True, type=click.Choice(HOLD_REASONS))
@click.option("--note", default=None, help="What it waits for (required with 'other').")
def deliverable_hold(deliverable_id, by, at, reason, note):
    """Ask to pause a deliverable (the providing department); the receiving one answers."""
    if reason == "other" and not (note or "").strip():
        raise click.UsageError("--note is required with --reason other")
    deliverable, person, now = _acting(deliverable_id, by, at)
    hold = holds.ask(db.session, deliverable, by=person, now=now, reason=reason, note=note)
    return _held(deliverable, hold, "asked")


@command(deliverable_cli, "hold-approve")
@with_common
def deliverable_hold_approve(deliverable_id, by, at):
    """Approve the hold asked for (the receiving department): the clock stops."""
    deliverable, person, now = _acting(deliverable_id, by, at)
    hold = holds.approve(db.session, deliverable, by=person, now=now)
    return _held(deliverable, hold, "approved")


@command(deliverable_cli, "hold-refuse")
@with_common
@click.option("--note", default=None)
def deliverable_hold_refuse(deliverable_id, by, at, note):
    """Refuse the hold asked for (the receiving department)."""
    deliverable, person, now = _acting(deliverable_id, by, at)
    hold = holds.refuse(db.session, deliverable, by=person, now=now, note=note)
    return _held(deliverable, hold, "refused")


@command(deliverable_cli, "release")
@with_common
def deliverable_release(deliverable_id, by, at):
    """End a hold (either side; the due time moves later by the working time it lasted), or
    withdraw one not answered yet (the providing department)."""
    deliverable, person, now = _acting(deliverable_id, by, at)
    hold = holds.release(db.session, deliverable, by=person, now=now)
    return _held(deliverable, hold, hold.status)


def _held(deliverable, hold, what):
    row, _text = _done(deliverable, "")
    row["hold"] = {
        "id": hold.id,
        "status": hold.status,
        "reason": hold.reason,
        "working_seconds": hold.working_seconds,
    }
    return row, f"deliverable {row['id']}: hold {what}; due {row['due']}"


def _acting(deliverable_id, by, at):
    """The deliverable, the person, and the instant (--at is for importing history only)."""
    deliverable = ledger.get_deliverable(db.session, deliverable_id)
    person = org.get_person(db.session, by)
    return deliverable, person, parse_instant(at, "--at time") if at else clock.now()


def _done(deliverable, text):
    db.session.flush()
    row = deliverable_row(deliverable)
    owner = f", owner {row['owner']}" if row["owner"] and "owner" not in text else ""
    return row, f"deliverable {row['id']} is {row['status']}{owner} {text}".rstrip()


evidence_cli = AppGroup("evidence", help="Evidence files.")


@command(evidence_cli, "clean")
@click.option(
    "--now",
    "at",
    default=None,
    type=validation.INSTANT,
    help="ISO 8601 with offset (default: now).",
)
def evidence_clean(at):
    """Remove evidence files no submission names (older than an hour), as the scheduler does."""
    now = parse_instant(at, "--now time") if at else clock.now()
    report = uploads.remove_orphans(db.session, uploads.folder(), now)
    return report.as_dict(), f"{report.moved} moved into place, {report.removed} removed"
