"""indexes the page bench asked for: a person's own submissions, and the live deliverables'
index made to carry what the amounts at risk read

Revision ID: 0020
Revises: 0019

Found by the page bench (`python -m bench.pages`) at 1.1M deliverables:
- the clerk's day (`/`) lists what the clerk handed in lately and what came back to them, by
  `submitted_by_id`, which no index served (170-240 ms of SQL, nearly all that scan):
  `ix_submission_submitted_by` on (submitted_by_id, submitted_at);
- the amounts at risk (the scorecard's backlog, the cockpit, their exports) rank every open
  overdue deliverable by deal (store, reference, event) and sum its amount: read through
  `ix_deliverable_live_month` and then the table, 15,000 pages for 27,000 rows (280 ms on
  PostgreSQL). The index now ends with event_id, reference and amount (and id, which
  PostgreSQL's index-only scans need and SQLite's indexes hold anyway), so the query reads the
  small partial index alone.
"""

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None

LIVE_WHERE = "status IN ('open', 'submitted', 'returned')"
LIVE_COLUMNS = [
    "due_month",
    "store_id",
    "provider_id",
    "commitment_id",
    "due_at",
    "status",
    "held_since",
]
DEAL_COLUMNS = ["event_id", "reference", "amount", "id"]


def _live_index(columns):
    op.drop_index("ix_deliverable_live_month", table_name="deliverable")
    op.create_index(
        "ix_deliverable_live_month",
        "deliverable",
        columns,
        sqlite_where=sa.text(LIVE_WHERE),
        postgresql_where=sa.text(LIVE_WHERE),
    )


def upgrade():
    op.create_index("ix_submission_submitted_by", "submission", ["submitted_by_id", "submitted_at"])
    _live_index(LIVE_COLUMNS + DEAL_COLUMNS)
    if op.get_bind().dialect.name == "sqlite":
        # SQLite plans with the statistics ANALYZE left (see 0010): give it the new indexes'.
        op.execute("ANALYZE submission")
        op.execute("ANALYZE deliverable")


def downgrade():
    _live_index(LIVE_COLUMNS)
    op.drop_index("ix_submission_submitted_by", table_name="submission")
