"""business events sent by other systems: their source and their own id, each recorded once

Revision ID: 0013
Revises: 0012

`business_event.source` (an import mapping's name, "api") and `external_id` (the sending
system's id for the event), unique per store with a unique index: the same export imported twice,
or the same event posted twice at once, records it once (tracker.ledger.events.record_external).
Events people record have neither, and NULLs never collide.
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade():
    # Added in place: no batch copy of a table that deliverables refer to.
    op.add_column("business_event", sa.Column("source", sa.String(length=40), nullable=True))
    op.add_column("business_event", sa.Column("external_id", sa.String(length=100), nullable=True))
    op.create_index(
        "uq_business_event_external",
        "business_event",
        ["store_id", "source", "external_id"],
        unique=True,
    )


def downgrade():
    op.drop_index("uq_business_event_external", table_name="business_event")
    op.execute("ALTER TABLE business_event DROP COLUMN external_id")
    op.execute("ALTER TABLE business_event DROP COLUMN source")
