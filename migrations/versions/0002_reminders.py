"""reminders: outbox items, outbox messages and the scheduler lease

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 04:10:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "outbox_message",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.String(length=255), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("store_id", sa.Integer(), nullable=False),
        sa.Column("language", sa.String(length=5), nullable=False),
        sa.Column("to_address", sa.String(length=254), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("body_text", sa.Text(), nullable=False),
        sa.Column("body_html", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("claimed_by", sa.String(length=120), nullable=True),
        sa.Column("claimed_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("failed_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status IN ('pending', 'sent', 'failed', 'cancelled')",
            name=op.f("ck_outbox_message_status"),
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name=op.f("fk_outbox_message_person_id_person")
        ),
        sa.ForeignKeyConstraint(
            ["store_id"], ["store.id"], name=op.f("fk_outbox_message_store_id_store")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox_message")),
        sa.UniqueConstraint("message_id", name=op.f("uq_outbox_message_message_id")),
    )
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.create_index(
            "ix_outbox_message_status_next", ["status", "next_attempt_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_outbox_message_person_id"), ["person_id"], unique=False
        )

    op.create_table(
        "outbox_item",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("step", sa.Integer(), nullable=False),
        sa.Column("deliverable_id", sa.Integer(), nullable=True),
        sa.Column("department_id", sa.Integer(), nullable=True),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("store_id", sa.Integer(), nullable=False),
        sa.Column("eligible_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=True),
        sa.Column("cancelled_reason", sa.String(length=40), nullable=True),
        sa.CheckConstraint(
            "kind IN ('before', 'due', 'overdue', 'escalation', 'summary')",
            name=op.f("ck_outbox_item_kind"),
        ),
        sa.CheckConstraint(
            "status IN ('pending', 'batched', 'sent', 'cancelled', 'failed')",
            name=op.f("ck_outbox_item_status"),
        ),
        sa.ForeignKeyConstraint(
            ["deliverable_id"],
            ["deliverable.id"],
            name=op.f("fk_outbox_item_deliverable_id_deliverable"),
        ),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["department.id"],
            name=op.f("fk_outbox_item_department_id_department"),
        ),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["outbox_message.id"],
            name=op.f("fk_outbox_item_message_id_outbox_message"),
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name=op.f("fk_outbox_item_person_id_person")
        ),
        sa.ForeignKeyConstraint(
            ["store_id"], ["store.id"], name=op.f("fk_outbox_item_store_id_store")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox_item")),
        sa.UniqueConstraint("key", name=op.f("uq_outbox_item_key")),
    )
    with op.batch_alter_table("outbox_item", schema=None) as batch_op:
        batch_op.create_index("ix_outbox_item_status_person", ["status", "person_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_outbox_item_deliverable_id"), ["deliverable_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_outbox_item_message_id"), ["message_id"], unique=False)

    op.create_table(
        "scheduler_lease",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("holder", sa.String(length=120), nullable=False),
        sa.Column("acquired_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_scheduler_lease")),
    )


def downgrade():
    op.drop_table("scheduler_lease")
    with op.batch_alter_table("outbox_item", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outbox_item_message_id"))
        batch_op.drop_index(batch_op.f("ix_outbox_item_deliverable_id"))
        batch_op.drop_index("ix_outbox_item_status_person")
    op.drop_table("outbox_item")
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outbox_message_person_id"))
        batch_op.drop_index("ix_outbox_message_status_next")
    op.drop_table("outbox_message")
