"""deal files by reference in any case: indexes on lower(reference)

Revision ID: 0018
Revises: 0017

Found by the page bench (`python -m bench.pages`): a deal's file (`/deals?ref=`) looks its
events and deliverables up with `lower(reference) = ?`, which `ix_business_event_reference` and
`ix_deliverable_reference` cannot serve, so its SQL grew with the store's history (40-70 ms at
1.1M deliverables, 160 ms at 11M). Expression indexes on lower(reference) serve it on SQLite
and PostgreSQL alike (the query's expression is the index's, word for word).
"""

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

TABLES = ("business_event", "deliverable")


def upgrade():
    for table in TABLES:
        op.create_index(f"ix_{table}_reference_lower", table, [sa.text("lower(reference)")])
    if op.get_bind().dialect.name == "sqlite":
        # SQLite plans with the statistics ANALYZE left (see 0010): give it the new indexes'.
        for table in TABLES:
            op.execute(f"ANALYZE {table}")


def downgrade():
    for table in TABLES:
        op.drop_index(f"ix_{table}_reference_lower", table_name=table)
