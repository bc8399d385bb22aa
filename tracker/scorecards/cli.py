"""`flask --app wsgi tracker scorecard`: a month's scorecard from the command line, where the
operator sees every store (`scorecards.permissions`)."""

import click

from tracker import clock
from tracker.cli import command, table
from tracker.complaints import service as complaints
from tracker.extensions import db
from tracker.satisfaction import service as satisfaction
from tracker.scorecards import promises, service

COLUMNS = [
    "store",
    "provider",
    "commitment",
    "due",
    "on_time",
    "late",
    "open_overdue",
    "waived",
    "on_time_rate",
    "first_pass_rate",
    "csi",
    "csi_responses",
    "mean_lateness_hours",
    "holds",
    "hold_hours",
    "complaints",
    "complaints_answered_in_time",
]
RECEIVER_COLUMNS = [
    "store",
    "receiver",
    "decided",
    "in_time",
    "in_time_pct",
    "median_working_hours",
]


def register(group) -> None:
    """Add the `scorecard` command to the `tracker` command group (once per process)."""
    if "scorecard" in group.commands:
        return

    @command(group, "scorecard")
    @click.option("--month", required=True, help="YYYY-MM")
    @click.option("--store", "store_code", default=None)
    @click.option("--level", default="commitment", type=click.Choice(["commitment", "department"]))
    @click.option(
        "--receivers",
        is_flag=True,
        help="The receiving departments' turnaround instead: decisions made that month, the "
        "share in time and the median wait in working hours.",
    )
    def scorecard_cmd(month, store_code, level, receivers):
        """The providing departments' scorecard for a month. A month a store has closed shows
        the figures kept at its close, each row with when it closed (`closed_at`) and the
        decisions made since (`adjustments`: on time, late, waived and which deliverables;
        null for a month still open)."""
        now = clock.now()
        scope = service.scope(
            db.session, None, month=month, store=store_code, provider=None, now=now
        )
        if receivers:
            rows = [
                r.as_dict() for r in promises.turnaround(db.session, month=month, store=scope.store)
            ]
            return rows, table(rows, RECEIVER_COLUMNS)
        held = promises.hold_totals(
            promises.holds(db.session, month=month, store=scope.store),
            by_store=True,
            commitment=level == "commitment",
        )
        rows = [
            r.as_dict()
            for r in service.scorecard(
                db.session, month=month, now=now, store=scope.store, level=level
            )
        ]
        indexes = satisfaction.csi_rows(db.session, months=[month], store=scope.store)
        items = service.adjustments(db.session, month=month, store=scope.store)
        complained = complaints.counts(db.session, month=month, store=scope.store)
        counts = service.adjusted(
            items, ("store", "provider", "commitment" if level == "commitment" else "")
        )
        for row in rows:
            closed = scope.closes.get(row["store"])
            row["closed_at"] = closed[0].isoformat() if closed else None
            empty = {**dict.fromkeys(service.ADJUSTED, 0), "deliverables": []}
            key = (row["store"], row["provider"], row["commitment"] or "")
            row["adjustments"] = counts.get(key, empty) if closed else None
            count, seconds = held.get(key if level == "commitment" else key[:2], (0, 0))
            row["holds"], row["hold_hours"] = count, promises.hours(seconds)
            index = satisfaction.csi_of(indexes, row["store"], row["provider"])
            row["csi"], row["csi_responses"] = index.csi, index.responses
            filed, in_time = complained.get(key[:2], (0, 0))
            row["complaints"], row["complaints_answered_in_time"] = filed, in_time
        columns = [c for c in COLUMNS if level != "department" or c != "commitment"]
        if scope.closes:
            columns.append("closed_at")
        return rows, table(rows, columns)
