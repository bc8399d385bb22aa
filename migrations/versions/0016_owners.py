"""owners: every deliverable's owner, and a default owner per commitment and store

Revision ID: 0016
Revises: 0015

`deliverable.owner_id`: the person of the providing department who answers for it (reminded
first; the ladder tells the others). `commitment_owner`: the default owner of a commitment's
recurring and requested deliverables in one store, set by the providing department's head.
The escalation ladder lives in the commitment version's reminder policy (JSON): no column.
"""

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade():
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:  # the table is copied: the rows pointing at deliverables must not stop it
        op.execute("PRAGMA foreign_keys=OFF")
    with op.batch_alter_table("deliverable") as batch:
        batch.add_column(sa.Column("owner_id", sa.Integer(), nullable=True))
        batch.create_index(batch.f("ix_deliverable_owner_id"), ["owner_id"], unique=False)
        batch.create_foreign_key(
            batch.f("fk_deliverable_owner_id_person"), "person", ["owner_id"], ["id"]
        )
    if sqlite:
        op.execute("PRAGMA foreign_keys=ON")
    op.create_table(
        "commitment_owner",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("commitment_id", sa.Integer(), nullable=False),
        sa.Column("store_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("set_by_id", sa.Integer(), nullable=True),
        sa.Column("set_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["commitment_id"],
            ["commitment.id"],
            name=op.f("fk_commitment_owner_commitment_id_commitment"),
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name=op.f("fk_commitment_owner_person_id_person")
        ),
        sa.ForeignKeyConstraint(
            ["set_by_id"], ["person.id"], name=op.f("fk_commitment_owner_set_by_id_person")
        ),
        sa.ForeignKeyConstraint(
            ["store_id"], ["store.id"], name=op.f("fk_commitment_owner_store_id_store")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_commitment_owner")),
        sa.UniqueConstraint(
            "commitment_id", "store_id", name=op.f("uq_commitment_owner_commitment_id_store_id")
        ),
    )


def downgrade():
    op.drop_table("commitment_owner")
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:  # the table is copied: the rows pointing at deliverables must not stop it
        op.execute("PRAGMA foreign_keys=OFF")
    with op.batch_alter_table("deliverable") as batch:
        batch.drop_constraint(batch.f("fk_deliverable_owner_id_person"), type_="foreignkey")
        batch.drop_index(batch.f("ix_deliverable_owner_id"))
        batch.drop_column("owner_id")
    if sqlite:
        op.execute("PRAGMA foreign_keys=ON")
