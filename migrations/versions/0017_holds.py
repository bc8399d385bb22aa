"""holds on deliverables and the receiving side's decision time

Revision ID: 0017
Revises: 0016

`deliverable_hold`: a provider's request to pause a deliverable (reason, note), the receiving
department's approval or refusal, and when it ended with the working time it lasted
(tracker.ledger.holds). `deliverable.held_since`: set while an approved hold lasts (the item is
not overdue and nobody is reminded). `deliverable.decide_by`: when the receiving side should
have decided the submission waiting; `submission.decide_by`, `decided_month` and
`decision_working_seconds` keep each decision's turnaround for the scorecards.
"""

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "deliverable_hold",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("deliverable_id", sa.Integer(), nullable=False),
        sa.Column("store_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=32), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("requested_by_id", sa.Integer(), nullable=True),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ended_by_id", sa.Integer(), nullable=True),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("working_seconds", sa.Integer(), nullable=True),
        sa.Column("due_before", sa.DateTime(timezone=True), nullable=True),
        sa.Column("due_after", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status IN ('pending', 'active', 'refused', 'ended', 'withdrawn')",
            name=op.f("ck_deliverable_hold_status"),
        ),
        sa.ForeignKeyConstraint(
            ["deliverable_id"],
            ["deliverable.id"],
            name=op.f("fk_deliverable_hold_deliverable_id_deliverable"),
        ),
        sa.ForeignKeyConstraint(
            ["store_id"], ["store.id"], name=op.f("fk_deliverable_hold_store_id_store")
        ),
        sa.ForeignKeyConstraint(
            ["requested_by_id"],
            ["person.id"],
            name=op.f("fk_deliverable_hold_requested_by_id_person"),
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_id"], ["person.id"], name=op.f("fk_deliverable_hold_decided_by_id_person")
        ),
        sa.ForeignKeyConstraint(
            ["ended_by_id"], ["person.id"], name=op.f("fk_deliverable_hold_ended_by_id_person")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deliverable_hold")),
    )
    op.create_index(
        "ix_deliverable_hold_deliverable", "deliverable_hold", ["deliverable_id", "status"]
    )
    op.create_index("ix_deliverable_hold_store_status", "deliverable_hold", ["store_id", "status"])
    # Added in place: no batch copy of the deliverable and submission tables.
    op.add_column("deliverable", sa.Column("held_since", sa.DateTime(timezone=True)))
    op.add_column("deliverable", sa.Column("decide_by", sa.DateTime(timezone=True)))
    op.add_column("submission", sa.Column("decide_by", sa.DateTime(timezone=True)))
    op.add_column("submission", sa.Column("decided_month", sa.String(length=7)))
    op.add_column("submission", sa.Column("decision_working_seconds", sa.Integer()))
    op.create_index("ix_submission_decided_month", "submission", ["decided_month"])
    _live_index(LIVE_COLUMNS + ["held_since"])
    _outbox_kinds(KINDS)


LIVE_WHERE = "status IN ('open', 'submitted', 'returned')"
LIVE_COLUMNS = ["due_month", "store_id", "provider_id", "commitment_id", "due_at", "status"]


def _live_index(columns):
    """The scorecards' index of the live deliverables, with whether each is on hold (a held
    one is not open overdue), so the live part is still counted from the index alone."""
    op.drop_index("ix_deliverable_live_month", table_name="deliverable")
    op.create_index(
        "ix_deliverable_live_month",
        "deliverable",
        columns,
        sqlite_where=sa.text(LIVE_WHERE),
        postgresql_where=sa.text(LIVE_WHERE),
    )


KINDS = ("before", "due", "overdue", "escalation", "summary", "decision", "decision_head")
OLD_KINDS = ("before", "due", "overdue", "escalation", "summary")


def _outbox_kinds(kinds):
    """The outbox's item kinds, with the reminders of a decision waiting past its time."""
    if op.get_bind().dialect.name == "sqlite":
        with op.batch_alter_table("outbox_item", recreate="always") as batch:
            batch.drop_constraint(op.f("ck_outbox_item_kind"), type_="check")
            batch.create_check_constraint("kind", f"kind IN {kinds!r}")
        return
    op.drop_constraint(op.f("ck_outbox_item_kind"), "outbox_item", type_="check")
    op.create_check_constraint("kind", "outbox_item", f"kind IN {kinds!r}")


def downgrade():
    op.execute("DELETE FROM outbox_item WHERE kind IN ('decision', 'decision_head')")
    _outbox_kinds(OLD_KINDS)
    _live_index(LIVE_COLUMNS)
    op.drop_index("ix_submission_decided_month", table_name="submission")
    op.execute("ALTER TABLE submission DROP COLUMN decision_working_seconds")
    op.execute("ALTER TABLE submission DROP COLUMN decided_month")
    op.execute("ALTER TABLE submission DROP COLUMN decide_by")
    op.execute("ALTER TABLE deliverable DROP COLUMN decide_by")
    op.execute("ALTER TABLE deliverable DROP COLUMN held_since")
    op.drop_index("ix_deliverable_hold_store_status", table_name="deliverable_hold")
    op.drop_index("ix_deliverable_hold_deliverable", table_name="deliverable_hold")
    op.drop_table("deliverable_hold")
