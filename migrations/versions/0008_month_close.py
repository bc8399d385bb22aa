"""month close per store: the closes, the scorecard kept at each, the items undecided then

Revision ID: 0008
Revises: 0007

`month_close` holds every close of a store's month (reopening fills `reopened_*`; closing again
adds a row); a partial unique index keeps one current close per store and month.
`closed_score` is the scorecard at the close, per store, provider and commitment;
`closed_open_item` lists the deliverables still undecided at the close (tracker.closing);
`ix_deliverable_store_month` finds a store's first month (`open_months`).
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

CURRENT_WHERE = "reopened_at IS NULL"
NUMBERS = ("due", "on_time", "late", "open_overdue", "waived", "open", "submitted", "accepted")
REASONS = ("incomplete", "unsigned", "wrong_amount", "other")


def upgrade():
    op.create_table(
        "month_close",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("store_id", sa.Integer(), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_by_id", sa.Integer(), nullable=True),
        sa.Column("open_items", sa.Integer(), nullable=False),
        sa.Column("reopened_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reopened_by_id", sa.Integer(), nullable=True),
        sa.Column("reopen_reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["closed_by_id"], ["person.id"], name=op.f("fk_month_close_closed_by_id_person")
        ),
        sa.ForeignKeyConstraint(
            ["reopened_by_id"], ["person.id"], name=op.f("fk_month_close_reopened_by_id_person")
        ),
        sa.ForeignKeyConstraint(
            ["store_id"], ["store.id"], name=op.f("fk_month_close_store_id_store")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_month_close")),
    )
    with op.batch_alter_table("month_close", schema=None) as batch_op:
        batch_op.create_index(
            "uq_month_close_current",
            ["store_id", "month"],
            unique=True,
            sqlite_where=sa.text(CURRENT_WHERE),
            postgresql_where=sa.text(CURRENT_WHERE),
        )
    op.create_table(
        "closed_score",
        sa.Column("close_id", sa.Integer(), nullable=False),
        sa.Column("provider_id", sa.Integer(), nullable=False),
        sa.Column("commitment_id", sa.Integer(), nullable=False),
        sa.Column("store_id", sa.Integer(), nullable=False),
        sa.Column("due_month", sa.String(length=7), nullable=False),
        *(sa.Column(n, sa.Integer(), nullable=False) for n in NUMBERS),
        sa.Column("first_pass", sa.Integer(), nullable=False),
        sa.Column("late_seconds", sa.BigInteger(), nullable=False),
        *(sa.Column(f"returned_{r}", sa.Integer(), nullable=False) for r in REASONS),
        sa.ForeignKeyConstraint(
            ["close_id"], ["month_close.id"], name=op.f("fk_closed_score_close_id_month_close")
        ),
        sa.ForeignKeyConstraint(
            ["commitment_id"],
            ["commitment.id"],
            name=op.f("fk_closed_score_commitment_id_commitment"),
        ),
        sa.ForeignKeyConstraint(
            ["provider_id"], ["department.id"], name=op.f("fk_closed_score_provider_id_department")
        ),
        sa.ForeignKeyConstraint(
            ["store_id"], ["store.id"], name=op.f("fk_closed_score_store_id_store")
        ),
        sa.PrimaryKeyConstraint(
            "close_id", "provider_id", "commitment_id", name=op.f("pk_closed_score")
        ),
    )
    with op.batch_alter_table("closed_score", schema=None) as batch_op:
        batch_op.create_index(
            "ix_closed_score_month_store", ["due_month", "store_id"], unique=False
        )
    op.create_table(
        "closed_open_item",
        sa.Column("close_id", sa.Integer(), nullable=False),
        sa.Column("deliverable_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["close_id"], ["month_close.id"], name=op.f("fk_closed_open_item_close_id_month_close")
        ),
        sa.ForeignKeyConstraint(
            ["deliverable_id"],
            ["deliverable.id"],
            name=op.f("fk_closed_open_item_deliverable_id_deliverable"),
        ),
        sa.PrimaryKeyConstraint("close_id", "deliverable_id", name=op.f("pk_closed_open_item")),
    )
    with op.batch_alter_table("closed_open_item", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_closed_open_item_deliverable_id"), ["deliverable_id"], unique=False
        )

    with op.batch_alter_table("deliverable", schema=None) as batch_op:
        batch_op.create_index("ix_deliverable_store_month", ["store_id", "due_month"], unique=False)


def downgrade():
    with op.batch_alter_table("deliverable", schema=None) as batch_op:
        batch_op.drop_index("ix_deliverable_store_month")
    with op.batch_alter_table("closed_open_item", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_closed_open_item_deliverable_id"))
    op.drop_table("closed_open_item")
    with op.batch_alter_table("closed_score", schema=None) as batch_op:
        batch_op.drop_index("ix_closed_score_month_store")
    op.drop_table("closed_score")
    with op.batch_alter_table("month_close", schema=None) as batch_op:
        batch_op.drop_index("uq_month_close_current")
    op.drop_table("month_close")
