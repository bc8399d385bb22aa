"""`flask --app wsgi tracker sweep | scheduler | outbox`: reminders for operators and tests."""

import signal

import click
from flask import current_app

from tracker import clock, validation
from tracker.cli import command, parse_instant, table
from tracker.extensions import db
from tracker.reminders import jobs, service


def register(group) -> None:
    """Add the reminder commands to the `tracker` command group (once per process)."""
    if "sweep" in group.commands:
        return

    @command(group, "sweep")
    @click.option(
        "--now",
        "at",
        default=None,
        type=validation.INSTANT,
        help="Run the pass as of this ISO 8601 instant.",
    )
    def sweep(at):
        """One whole pass: create recurring deliverables, write reminders, deliver the outbox."""
        now = parse_instant(at, "--now time") if at else clock.now()
        report = jobs.run_pass(now, worker=jobs.worker_name())
        data = report.as_dict()
        return (
            data,
            "pass as of {now}: {created} created, {written} reminders written, "
            "{composed} digests composed, {sent} sent, {failed_attempts} failed attempts, "
            "{given_up} given up, {cancelled} cancelled; group robots: {robots_composed} "
            "summaries composed, {robot_sent} sent, {robot_failed_attempts} failed attempts, "
            "{robot_given_up} given up".format(**data),
        )

    @group.command("scheduler")
    @click.option(
        "--as-of",
        "as_of",
        default=None,
        type=validation.INSTANT,
        help="Drills and tests: start the jobs' "
        "clock at this ISO 8601 instant (it then runs on in real time).",
    )
    @click.option("--sweep-every", type=int, default=None, help="Seconds (default 300).")
    @click.option("--deliver-every", type=int, default=None, help="Seconds (default 60).")
    @click.option("--recurring-every", type=int, default=None, help="Seconds (default 3600).")
    @click.option("--import-every", type=int, default=None, help="Seconds (default 600).")
    @click.option("--lease", type=int, default=None, help="Lock lease seconds (default 60).")
    @click.option("--poll", type=int, default=None, help="Lock poll seconds (default 10).")
    def scheduler_cmd(
        as_of, sweep_every, deliver_every, recurring_every, import_every, lease, poll
    ):
        """Run the scheduler alone (beside any number of web processes); one acts at a time."""
        from tracker.reminders.scheduler import Scheduler

        scheduler = Scheduler(
            current_app._get_current_object(),
            as_of=parse_instant(as_of, "--as-of time") if as_of else None,
            SCHEDULER_SWEEP_SECONDS=sweep_every,
            SCHEDULER_DELIVER_SECONDS=deliver_every,
            SCHEDULER_RECURRING_SECONDS=recurring_every,
            SCHEDULER_IMPORT_SECONDS=import_every,
            SCHEDULER_LEASE_SECONDS=lease,
            SCHEDULER_POLL_SECONDS=poll,
        )
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: scheduler.stop())
        db.session.remove()
        scheduler.run()

    @command(group, "outbox")
    @click.option("--failed", is_flag=True, help="List the messages given up on.")
    @click.option(
        "--retry", "retry_id", type=validation.ID, default=None, help="Queue a failed one again."
    )
    @click.option(
        "--robots", is_flag=True, help="The group robots' messages instead of the emails."
    )
    def outbox(failed, retry_id, robots):
        """The outbox: counts, the failed messages (--failed), or requeue one (--retry ID);
        with --robots, the same for the group robots' messages."""
        if robots:
            return robots_outbox(failed, retry_id)
        if retry_id is not None:
            message = service.retry_failed(db.session, retry_id, clock.now())
            return {
                "id": message.id,
                "status": message.status,
            }, f"message {message.id} queued again"
        if failed:
            rows = [
                {
                    "id": m.id,
                    "to": m.to_address,
                    "subject": m.subject,
                    "attempts": m.attempts,
                    "failed_at": m.failed_at.isoformat() if m.failed_at else None,
                    "error": m.last_error,
                    "message_id": m.message_id,
                }
                for m in service.failed_messages(db.session)
            ]
            return rows, table(rows, ["id", "to", "attempts", "failed_at", "error"])
        counts = service.outbox_counts(db.session)
        return counts, table([counts], list(counts))


def robots_outbox(failed: bool, retry_id: int | None):
    """`tracker outbox --robots`: the group robots' messages (tracker.channels)."""
    from tracker.channels import service as channels

    if retry_id is not None:
        message = channels.retry_failed(db.session, retry_id, clock.now())
        return {"id": message.id, "status": message.status}, (
            f"robot message {message.id} queued again"
        )
    if failed:
        rows = [
            {
                "id": m.id,
                "store": m.store.code,
                "department": m.department.code,
                "title": m.title,
                "attempts": m.attempts,
                "failed_at": m.failed_at.isoformat() if m.failed_at else None,
                "error": m.last_error,
            }
            for m in channels.failed_messages(db.session)
        ]
        return rows, table(rows, ["id", "store", "department", "attempts", "failed_at", "error"])
    counts = channels.counts(db.session)
    return counts, table([counts], list(counts))
