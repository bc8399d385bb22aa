"""`flask --app wsgi tracker complaint file|open|answer|close|reopen|assign|list`: internal
complaints from the command line. Each takes `--by EMAIL`, the person acting, checked by
`complaints.permissions`. Bad input (an unknown person, department or complaint, a missing
text, a step the complaint is not ready for, a person who may not) is a usage error: a clear
message, exit code 2, nothing changed."""

import functools

import click
from flask.cli import AppGroup

from tracker import clock, validation
from tracker.cli import command, table
from tracker.complaints import service
from tracker.complaints.models import SEVERITIES, Complaint
from tracker.errors import TrackerError
from tracker.extensions import db
from tracker.org import service as org

complaint_cli = AppGroup("complaint", help="Internal complaints about a department's service.")
by_option = click.option("--by", "by", required=True, help="Email of the person acting.")
COLUMNS = ["id", "department", "severity", "status", "owner", "due", "filed_by"]


def register(group: AppGroup) -> None:
    """Add the `complaint` commands to the `tracker` command group."""
    group.add_command(complaint_cli)


def usage(fn):
    """Domain errors as usage errors (exit code 2), the transaction rolled back."""

    @functools.wraps(fn)
    def run(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except TrackerError as exc:
            db.session.rollback()
            raise click.UsageError(exc.message) from None

    return run


def row(c: Complaint) -> dict:
    """A complaint as plain data, times in the store's zone with their offset."""
    zone = c.store.zone
    return {
        "id": c.id,
        "store": c.store.code,
        "department": c.department.code,
        "severity": c.severity,
        "status": c.status,
        "round": c.round,
        "filed_by": c.filed_by.email,
        "owner": c.owner.email if c.owner else None,
        "due": c.due_at.astimezone(zone).isoformat(),
        "answered_in_time": c.answered_in_time,
    }


def _shown(c: Complaint, text: str):
    return row(c), f"{text}\n" + table([row(c)], COLUMNS)


def _id(value: str) -> int:
    found = validation.parse_id(value)
    if found is None:
        raise click.BadParameter(f"{value!r} is not a complaint number", param_hint="ID")
    return found


@command(complaint_cli, "file")
@click.option("--department", required=True, help="The department complained about (its code).")
@click.option("--what", required=True, help="What happened.")
@click.option("--severity", default="normal", show_default=True, type=click.Choice(SEVERITIES))
@click.option("--deliverable", "deliverable", default=None, help="The deliverable's id, if any.")
@click.option("--ref", "reference", default=None, help="The deal's reference, if any.")
@by_option
@usage
def complaint_file(department, what, severity, deliverable, reference, by):
    """File a complaint about a department's service in your store."""
    person = org.get_person(db.session, by)
    c = service.file(db.session, by=person, department=department, what=what, severity=severity,
                     now=clock.now(), reference=reference,
                     deliverable_id=_id(deliverable) if deliverable else None)  # fmt: skip
    return _shown(c, f"complaint {c.id} filed")


@command(complaint_cli, "open")
@click.argument("complaint_id")
@by_option
@usage
def complaint_open(complaint_id, by):
    """Open a complaint: the first of the department to open it owns it."""
    person = org.get_person(db.session, by)
    c, took = service.open_(db.session, _id(complaint_id), by=person, now=clock.now())
    text = "you own it" if took else f"already owned by {c.owner.name} <{c.owner.email}>"
    return _shown(c, f"complaint {c.id}: {text}")


@command(complaint_cli, "answer")
@click.argument("complaint_id")
@click.option("--text", required=True, help="The answer.")
@by_option
@usage
def complaint_answer(complaint_id, text, by):
    """Answer a complaint you own (or, as the department's head, any of its complaints)."""
    person = org.get_person(db.session, by)
    c = service.answer(db.session, _id(complaint_id), by=person, text=text, now=clock.now())
    return _shown(c, f"complaint {c.id} answered")


@command(complaint_cli, "close")
@click.argument("complaint_id")
@by_option
@usage
def complaint_close(complaint_id, by):
    """As its complainant, confirm that an answered complaint is resolved."""
    person = org.get_person(db.session, by)
    c = service.close(db.session, _id(complaint_id), by=person, now=clock.now())
    return _shown(c, f"complaint {c.id} closed")


@command(complaint_cli, "reopen")
@click.argument("complaint_id")
@click.option("--note", required=True, help="Why it is not resolved.")
@by_option
@usage
def complaint_reopen(complaint_id, note, by):
    """As its complainant, reopen an answered complaint: a new time limit starts."""
    person = org.get_person(db.session, by)
    c = service.reopen(db.session, _id(complaint_id), by=person, note=note, now=clock.now())
    return _shown(c, f"complaint {c.id} reopened")


@command(complaint_cli, "assign")
@click.argument("complaint_id")
@click.option("--to", "to", required=True, help="Email of the new owner.")
@by_option
@usage
def complaint_assign(complaint_id, to, by):
    """As the department's head, hand an opened complaint to another of its people."""
    person, owner = org.get_person(db.session, by), org.get_person(db.session, to)
    c = service.reassign(db.session, _id(complaint_id), by=person, to=owner, now=clock.now())
    return _shown(c, f"complaint {c.id} now owned by {owner.email}")
