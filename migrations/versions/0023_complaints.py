"""internal complaints

Revision ID: 0022
Revises: 0021

`complaint`: one person's complaint about a department's service in their store, its severity,
its owner (the first of the department to open it), its answer time and answer
(tracker.complaints). The outbox's items may be about a complaint (`complaint_id`), of four
new kinds: `complaint`, `complaint_due`, `complaint_esc`, `complaint_ans`.
"""

import sqlalchemy as sa
from alembic import op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None

OLD_KINDS = (
    "before", "due", "overdue", "escalation", "summary", "decision", "decision_head",
    "returned", "waived", "handed_in", "requested",
)  # fmt: skip
KINDS = (*OLD_KINDS, "complaint", "complaint_due", "complaint_esc", "complaint_ans")
SEVERITIES = ("urgent", "high", "normal", "low")
STATUSES = ("new", "open", "answered", "closed")


def upgrade():
    op.create_table(
        "complaint",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("store_id", sa.Integer(), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=False),
        sa.Column("filed_by_id", sa.Integer(), nullable=False),
        sa.Column("severity", sa.String(length=16), nullable=False),
        sa.Column("what", sa.Text(), nullable=False),
        sa.Column("deliverable_id", sa.Integer(), nullable=True),
        sa.Column("reference", sa.String(length=64), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("filed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=True),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("round_started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("answer", sa.Text(), nullable=True),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("answered_in_time", sa.Boolean(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(f"severity IN {SEVERITIES!r}", name=op.f("ck_complaint_severity")),
        sa.CheckConstraint(f"status IN {STATUSES!r}", name=op.f("ck_complaint_status")),
        sa.ForeignKeyConstraint(
            ["deliverable_id"],
            ["deliverable.id"],
            name=op.f("fk_complaint_deliverable_id_deliverable"),
        ),
        sa.ForeignKeyConstraint(
            ["department_id"], ["department.id"], name=op.f("fk_complaint_department_id_department")
        ),
        sa.ForeignKeyConstraint(
            ["filed_by_id"], ["person.id"], name=op.f("fk_complaint_filed_by_id_person")
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["person.id"], name=op.f("fk_complaint_owner_id_person")
        ),
        sa.ForeignKeyConstraint(
            ["store_id"], ["store.id"], name=op.f("fk_complaint_store_id_store")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_complaint")),
    )
    op.create_index(
        "ix_complaint_department_store_status",
        "complaint",
        ["department_id", "store_id", "status"],
    )
    op.create_index("ix_complaint_store_month", "complaint", ["store_id", "month"])
    op.create_index(op.f("ix_complaint_filed_by_id"), "complaint", ["filed_by_id"])
    op.create_index(op.f("ix_complaint_owner_id"), "complaint", ["owner_id"])
    with op.batch_alter_table("outbox_item", recreate="auto") as batch:
        batch.add_column(sa.Column("complaint_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            batch.f("fk_outbox_item_complaint_id_complaint"), "complaint", ["complaint_id"], ["id"]
        )
        batch.create_index(batch.f("ix_outbox_item_complaint_id"), ["complaint_id"])
    _outbox_kinds(KINDS)


def _outbox_kinds(kinds):
    if op.get_bind().dialect.name == "sqlite":
        with op.batch_alter_table("outbox_item", recreate="always") as batch:
            batch.drop_constraint(op.f("ck_outbox_item_kind"), type_="check")
            batch.create_check_constraint("kind", f"kind IN {kinds!r}")
        return
    op.drop_constraint(op.f("ck_outbox_item_kind"), "outbox_item", type_="check")
    op.create_check_constraint("kind", "outbox_item", f"kind IN {kinds!r}")


def downgrade():
    op.execute("DELETE FROM outbox_item WHERE complaint_id IS NOT NULL")
    _outbox_kinds(OLD_KINDS)
    with op.batch_alter_table("outbox_item", recreate="auto") as batch:
        batch.drop_index(batch.f("ix_outbox_item_complaint_id"))
        batch.drop_constraint(batch.f("fk_outbox_item_complaint_id_complaint"), type_="foreignkey")
        batch.drop_column("complaint_id")
    op.drop_index(op.f("ix_complaint_owner_id"), table_name="complaint")
    op.drop_index(op.f("ix_complaint_filed_by_id"), table_name="complaint")
    op.drop_index("ix_complaint_store_month", table_name="complaint")
    op.drop_index("ix_complaint_department_store_status", table_name="complaint")
    op.drop_table("complaint")
