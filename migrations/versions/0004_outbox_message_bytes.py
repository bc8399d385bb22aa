"""outbox message bytes, items by message and status

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade():
    # The whole email, built when the digest is composed; rows composed before stay NULL and
    # are built when they are sent.
    op.add_column("outbox_message", sa.Column("raw", sa.LargeBinary(), nullable=True))
    # A message's items in one state (`message_id = ? AND status = ?`, run for every message
    # sent) from one index, rather than the status index's every batched item.
    op.create_index(
        "ix_outbox_item_message_status", "outbox_item", ["message_id", "status"], unique=False
    )
    op.drop_index("ix_outbox_item_message_id", table_name="outbox_item")


def downgrade():
    op.create_index("ix_outbox_item_message_id", "outbox_item", ["message_id"], unique=False)
    op.drop_index("ix_outbox_item_message_status", table_name="outbox_item")
    with op.batch_alter_table("outbox_message") as batch_op:
        batch_op.drop_column("raw")
