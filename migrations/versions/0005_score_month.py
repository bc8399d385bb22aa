"""scorecards' monthly roll-up of decided deliverables

Revision ID: 0005
Revises: 0004

Creates `score_month` and fills it from the deliverables already accepted or waived (the same
counts as `tracker.scorecards.service.rebuild_rollup`, written out here so that the migration
does not change when the code does), and a partial index for the scorecards' live part.
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

REASONS = ("incomplete", "unsigned", "wrong_amount", "other")
# Deliverables not decided yet: the scorecards' live part (tracker.ledger.models.LIVE_WHERE).
LIVE_WHERE = "status IN ('open', 'submitted', 'returned')"


def upgrade():
    op.create_table(
        "score_month",
        sa.Column("due_month", sa.String(length=7), nullable=False),
        sa.Column("store_id", sa.Integer(), nullable=False),
        sa.Column("provider_id", sa.Integer(), nullable=False),
        sa.Column("commitment_id", sa.Integer(), nullable=False),
        sa.Column("due", sa.Integer(), nullable=False),
        sa.Column("on_time", sa.Integer(), nullable=False),
        sa.Column("late", sa.Integer(), nullable=False),
        sa.Column("waived", sa.Integer(), nullable=False),
        sa.Column("accepted", sa.Integer(), nullable=False),
        sa.Column("first_pass", sa.Integer(), nullable=False),
        sa.Column("late_seconds", sa.BigInteger(), nullable=False),
        *(sa.Column(f"returned_{r}", sa.Integer(), nullable=False) for r in REASONS),
        sa.ForeignKeyConstraint(
            ["commitment_id"],
            ["commitment.id"],
            name=op.f("fk_score_month_commitment_id_commitment"),
        ),
        sa.ForeignKeyConstraint(
            ["provider_id"], ["department.id"], name=op.f("fk_score_month_provider_id_department")
        ),
        sa.ForeignKeyConstraint(
            ["store_id"], ["store.id"], name=op.f("fk_score_month_store_id_store")
        ),
        sa.PrimaryKeyConstraint(
            "due_month", "store_id", "provider_id", "commitment_id", name=op.f("pk_score_month")
        ),
    )
    with op.batch_alter_table("score_month", schema=None) as batch_op:
        batch_op.create_index(
            "ix_score_month_month_provider", ["due_month", "provider_id"], unique=False
        )
    with op.batch_alter_table("deliverable", schema=None) as batch_op:
        batch_op.create_index(
            "ix_deliverable_live_month",
            ["due_month", "store_id", "provider_id", "commitment_id", "due_at", "status"],
            unique=False,
            sqlite_where=sa.text(LIVE_WHERE),
            postgresql_where=sa.text(LIVE_WHERE),
        )
    returned = ",\n".join(
        f"""  SUM(CASE WHEN d.return_count > 0 AND EXISTS (
    SELECT 1 FROM submission s WHERE s.deliverable_id = d.id AND s.return_reason = '{r}'
  ) THEN 1 ELSE 0 END)"""
        for r in REASONS
    )
    op.execute(
        f"""
INSERT INTO score_month (due_month, store_id, provider_id, commitment_id, due, on_time, late,
  waived, accepted, first_pass, late_seconds, {", ".join(f"returned_{r}" for r in REASONS)})
SELECT d.due_month, d.store_id, d.provider_id, d.commitment_id,
  COUNT(*),
  SUM(CASE WHEN d.status = 'accepted' AND d.final_submitted_at <= d.due_at THEN 1 ELSE 0 END),
  SUM(CASE WHEN d.status = 'accepted' AND d.final_submitted_at > d.due_at THEN 1 ELSE 0 END),
  SUM(CASE WHEN d.status = 'waived' THEN 1 ELSE 0 END),
  SUM(CASE WHEN d.status = 'accepted' THEN 1 ELSE 0 END),
  SUM(CASE WHEN d.status = 'accepted' AND d.return_count = 0 THEN 1 ELSE 0 END),
  COALESCE(SUM(CASE WHEN d.status = 'accepted' AND d.final_submitted_at > d.due_at
    THEN d.lateness_seconds ELSE 0 END), 0),
{returned}
FROM deliverable d
WHERE d.status IN ('accepted', 'waived')
GROUP BY d.due_month, d.store_id, d.provider_id, d.commitment_id
"""
    )


def downgrade():
    with op.batch_alter_table("deliverable", schema=None) as batch_op:
        batch_op.drop_index("ix_deliverable_live_month")
    with op.batch_alter_table("score_month", schema=None) as batch_op:
        batch_op.drop_index("ix_score_month_month_provider")
    op.drop_table("score_month")
