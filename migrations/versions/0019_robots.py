"""group robots (WeCom, DingTalk) of a department in a store, and their outbox messages

Revision ID: 0019
Revises: 0018

`robot`: one webhook per (store, department): kind, the pasted URL, DingTalk's signing secret
(tracker.channels). `robot_message`: one markdown message per robot and key, its JSON body
stored when composed, delivered with claims, back-off and a failed state as the email outbox.
"""

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "robot",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("store_id", sa.Integer(), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("secret", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("kind IN ('wecom', 'dingtalk')", name=op.f("ck_robot_kind")),
        sa.ForeignKeyConstraint(
            ["department_id"], ["department.id"], name=op.f("fk_robot_department_id_department")
        ),
        sa.ForeignKeyConstraint(["store_id"], ["store.id"], name=op.f("fk_robot_store_id_store")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_robot")),
        sa.UniqueConstraint("store_id", "department_id", name="uq_robot_store_department"),
    )
    op.create_table(
        "robot_message",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("robot_id", sa.Integer(), nullable=True),
        sa.Column("store_id", sa.Integer(), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("language", sa.String(length=5), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("deliverables", sa.JSON(), nullable=True),
        sa.Column("raw", sa.LargeBinary(), nullable=False),
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
            "kind IN ('summary', 'notice', 'test')", name=op.f("ck_robot_message_kind")
        ),
        sa.CheckConstraint(
            "status IN ('pending', 'sent', 'failed', 'cancelled')",
            name=op.f("ck_robot_message_status"),
        ),
        sa.ForeignKeyConstraint(
            ["robot_id"],
            ["robot.id"],
            name=op.f("fk_robot_message_robot_id_robot"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["store_id"], ["store.id"], name=op.f("fk_robot_message_store_id_store")
        ),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["department.id"],
            name=op.f("fk_robot_message_department_id_department"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_robot_message")),
        sa.UniqueConstraint("key", name=op.f("uq_robot_message_key")),
    )
    op.create_index(
        "ix_robot_message_status_next", "robot_message", ["status", "next_attempt_at"]
    )
    op.create_index("ix_robot_message_robot_sent", "robot_message", ["robot_id", "sent_at"])


def downgrade():
    op.drop_index("ix_robot_message_robot_sent", table_name="robot_message")
    op.drop_index("ix_robot_message_status_next", table_name="robot_message")
    op.drop_table("robot_message")
    op.drop_table("robot")
