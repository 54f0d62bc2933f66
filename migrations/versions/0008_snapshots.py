"""Snapshots of exercises' states, so that loading a long exercise folds only its last events.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02
"""
from alembic import op
import sqlalchemy as sa

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "snapshots",
        sa.Column("exercise_id", sa.String(32), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("engine", sa.String(32), nullable=False),
        sa.Column("state", sa.LargeBinary(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["exercise_id"], ["exercises.id"], name=op.f("fk_snapshots_exercise_id_exercises"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("exercise_id", name=op.f("pk_snapshots")),
    )


def downgrade():
    op.drop_table("snapshots")
