"""instant notices and each person's reminder preferences

Revision ID: 0021
Revises: 0020

The outbox's item kinds gain the instant notices (`returned`, `waived`, `handed_in`,
`requested`: tracker.reminders.notices); `reminder_preference` keeps a person's digest time and
which notices arrive at once and which wait for the digest.
"""

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None

OLD_KINDS = ("before", "due", "overdue", "escalation", "summary", "decision", "decision_head")
KINDS = (*OLD_KINDS, "returned", "waived", "handed_in", "requested")


def _outbox_kinds(kinds):
    if op.get_bind().dialect.name == "sqlite":
        with op.batch_alter_table("outbox_item", recreate="always") as batch:
            batch.drop_constraint(op.f("ck_outbox_item_kind"), type_="check")
            batch.create_check_constraint("kind", f"kind IN {kinds!r}")
        return
    op.drop_constraint(op.f("ck_outbox_item_kind"), "outbox_item", type_="check")
    op.create_check_constraint("kind", "outbox_item", f"kind IN {kinds!r}")


def upgrade():
    op.create_table(
        "reminder_preference",
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("digest_at", sa.String(length=5), nullable=True),
        sa.Column("returned_at_once", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("handed_in_at_once", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("requested_at_once", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name=op.f("fk_reminder_preference_person_id_person")
        ),
        sa.PrimaryKeyConstraint("person_id", name=op.f("pk_reminder_preference")),
    )
    _outbox_kinds(KINDS)


def downgrade():
    op.execute(
        "DELETE FROM outbox_item WHERE kind IN ('returned', 'waived', 'handed_in', 'requested')"
    )
    _outbox_kinds(OLD_KINDS)
    op.drop_table("reminder_preference")
