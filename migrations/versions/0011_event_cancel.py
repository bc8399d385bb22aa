"""a business event can be cancelled: when and why

Revision ID: 0011
Revises: 0010

A wrongly recorded event is cancelled rather than deleted (its open deliverables are waived
with the reason; tracker.ledger.service.cancel_event). Who cancelled it, and each correction
with the values before and after, are in the audit trail (entity "event").
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade():
    # Added and dropped in place: no batch copy of a table that deliverables refer to.
    op.add_column(
        "business_event", sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True)
    )
    op.add_column("business_event", sa.Column("cancel_reason", sa.Text(), nullable=True))


def downgrade():
    op.execute("ALTER TABLE business_event DROP COLUMN cancel_reason")
    op.execute("ALTER TABLE business_event DROP COLUMN cancelled_at")
