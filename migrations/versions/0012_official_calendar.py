"""a country's official calendar, imported a year at a time

Revision ID: 0012
Revises: 0011

The State Council's holidays and swapped working days of a year, imported by an administrator
(pasted table or ICS file; tracker.calendar.official) for every store of a country. An imported
year replaces what the `holidays` package says of it and counts as known.
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "official_day",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("country", sa.String(length=8), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("working", sa.Boolean(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_official_day")),
        sa.UniqueConstraint("country", "day", name=op.f("uq_official_day_country_day")),
    )
    op.create_index(op.f("ix_official_day_year"), "official_day", ["year"], unique=False)


def downgrade():
    op.drop_index(op.f("ix_official_day_year"), table_name="official_day")
    op.drop_table("official_day")
