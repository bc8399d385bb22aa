"""events imported from the DMS (saved column mappings, files a folder imported) and iCal feeds

Revision ID: 0015
Revises: 0014

`import_mapping`: a source's export columns and event names (tracker.imports). `imported_file`:
what `tracker import watch` has read, by content (store, sha256). `feed_key`: each person's
calendar feed key, the secret in the feed's URL (tracker.feeds).
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "import_mapping",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("columns", sa.JSON(), nullable=False),
        sa.Column("types", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_import_mapping")),
        sa.UniqueConstraint("name", name=op.f("uq_import_mapping_name")),
    )
    op.create_table(
        "imported_file",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("store_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("mapping", sa.String(length=40), nullable=False),
        sa.Column("created", sa.Integer(), nullable=False),
        sa.Column("already", sa.Integer(), nullable=False),
        sa.Column("errors", sa.Integer(), nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["store_id"], ["store.id"], name=op.f("fk_imported_file_store_id_store")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_imported_file")),
        sa.UniqueConstraint("store_id", "sha256", name="uq_imported_file"),
    )
    op.create_table(
        "feed_key",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("secret", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name=op.f("fk_feed_key_person_id_person")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feed_key")),
        sa.UniqueConstraint("person_id", name=op.f("uq_feed_key_person_id")),
        sa.UniqueConstraint("secret", name=op.f("uq_feed_key_secret")),
    )


def downgrade():
    op.drop_table("feed_key")
    op.drop_table("imported_file")
    op.drop_table("import_mapping")
