"""internal customers' satisfaction: ratings at decision, quarterly surveys and their answers

Revision ID: 0022
Revises: 0021

`decision_rating`: the receiving clerk's 1-5 rating and tags of one decided submission.
`survey`: a store's survey of a quarter, with its dates. `survey_response` says who answered
about which department; `survey_answer` holds the scores with no person (tracker.satisfaction).
"""

import sqlalchemy as sa
from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None

QUESTIONS = ("timeliness", "completeness", "attitude", "overall")


def _fk(table, column, target):
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}")
    )


def upgrade():
    op.create_table(
        "survey",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("store_id", sa.Integer(), nullable=False),
        sa.Column("quarter", sa.String(length=6), nullable=False),
        sa.Column("opens_on", sa.Date(), nullable=False),
        sa.Column("closes_on", sa.Date(), nullable=False),
        sa.Column("set_by_id", sa.Integer(), nullable=True),
        sa.Column("set_at", sa.DateTime(timezone=True), nullable=False),
        _fk("survey", "set_by_id", "person"),
        _fk("survey", "store_id", "store"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_survey")),
        sa.UniqueConstraint("store_id", "quarter", name=op.f("uq_survey_store_id_quarter")),
    )
    op.create_table(
        "survey_answer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("survey_id", sa.Integer(), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=False),
        *(sa.Column(q, sa.Integer(), nullable=False) for q in QUESTIONS),
        sa.Column("comment", sa.Text(), nullable=True),
        *(
            sa.CheckConstraint(f"{q} BETWEEN 1 AND 5", name=op.f(f"ck_survey_answer_{q}"))
            for q in QUESTIONS
        ),
        _fk("survey_answer", "department_id", "department"),
        _fk("survey_answer", "survey_id", "survey"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_survey_answer")),
    )
    op.create_index(
        "ix_survey_answer_survey_department", "survey_answer", ["survey_id", "department_id"]
    )
    op.create_table(
        "survey_response",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("survey_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=False),
        _fk("survey_response", "department_id", "department"),
        _fk("survey_response", "person_id", "person"),
        _fk("survey_response", "survey_id", "survey"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_survey_response")),
        sa.UniqueConstraint(
            "survey_id",
            "person_id",
            "department_id",
            name=op.f("uq_survey_response_survey_id_person_id_department_id"),
        ),
    )
    op.create_index(op.f("ix_survey_response_person_id"), "survey_response", ["person_id"])
    op.create_table(
        "decision_rating",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("submission_id", sa.Integer(), nullable=False),
        sa.Column("deliverable_id", sa.Integer(), nullable=False),
        sa.Column("store_id", sa.Integer(), nullable=False),
        sa.Column("provider_id", sa.Integer(), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("rating", sa.Integer(), nullable=False),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("rated_by_id", sa.Integer(), nullable=True),
        sa.Column("rated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("rating BETWEEN 1 AND 5", name=op.f("ck_decision_rating_rating")),
        _fk("decision_rating", "deliverable_id", "deliverable"),
        _fk("decision_rating", "provider_id", "department"),
        _fk("decision_rating", "rated_by_id", "person"),
        _fk("decision_rating", "store_id", "store"),
        _fk("decision_rating", "submission_id", "submission"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_decision_rating")),
        sa.UniqueConstraint("submission_id", name=op.f("uq_decision_rating_submission_id")),
    )
    op.create_index(
        op.f("ix_decision_rating_deliverable_id"), "decision_rating", ["deliverable_id"]
    )
    op.create_index(
        "ix_decision_rating_month", "decision_rating", ["month", "store_id", "provider_id"]
    )


def downgrade():
    op.drop_table("decision_rating")
    op.drop_table("survey_response")
    op.drop_table("survey_answer")
    op.drop_table("survey")
