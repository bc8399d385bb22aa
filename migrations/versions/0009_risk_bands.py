"""group settings (the scorecards' age bands for amounts at risk)

Revision ID: 0009
Revises: 0008

`group_setting` keeps settings of the whole dealer group by key. The first is
`scorecards.risk_bands`: the days overdue each age band of "amounts at risk" starts at, set by
an administrator; without a row the scorecards use 0-2, 3-7, 8+. Month-end rules (issue 11)
need no schema change: a monthly rule's `day` and `day_type` are already stored.
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "group_setting",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("value", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["updated_by_id"], ["person.id"]),
        sa.PrimaryKeyConstraint("key"),
    )


def downgrade():
    op.drop_table("group_setting")
