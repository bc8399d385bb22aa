"""session generation per person; sign-in throttle per account and per client address

Revision ID: 0007
Revises: 0006

`person.session_generation` is kept in each signed-in session and checked on every request:
adding one to it ends every session of that person (sign-out, password change, reset).
`sign_in_throttle` gains a scope ("account" or "address"), unique together with its key.
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade():
    # Added and dropped in place (no batch copy of `person`, which every table refers to).
    op.add_column(
        "person",
        sa.Column("session_generation", sa.Integer(), nullable=False, server_default="0"),
    )
    with op.batch_alter_table("sign_in_throttle") as batch_op:
        batch_op.add_column(
            sa.Column("scope", sa.String(length=8), nullable=False, server_default="account")
        )
        batch_op.drop_constraint("uq_sign_in_throttle_key", type_="unique")
        batch_op.create_unique_constraint("uq_sign_in_throttle_scope_key", ["scope", "key"])


def downgrade():
    with op.batch_alter_table("sign_in_throttle") as batch_op:
        batch_op.drop_constraint("uq_sign_in_throttle_scope_key", type_="unique")
        batch_op.execute("DELETE FROM sign_in_throttle WHERE scope <> 'account'")
        batch_op.create_unique_constraint("uq_sign_in_throttle_key", ["key"])
        batch_op.drop_column("scope")
    op.execute("ALTER TABLE person DROP COLUMN session_generation")
