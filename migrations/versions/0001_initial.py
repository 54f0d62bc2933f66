"""Exercises, seats, participants and the event log.

Revision ID: 0001
Revises:
Create Date: 2026-11-22
"""
from alembic import op
import sqlalchemy as sa

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "exercises",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("deck_id", sa.String(64), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("deck", sa.JSON(), nullable=False),
        sa.Column("seed", sa.String(64), nullable=False),
        sa.Column("last_seq", sa.Integer(), nullable=False),
        sa.Column("umpire_token_hash", sa.String(64), nullable=False),
        sa.Column("observer_code_hash", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exercises")),
        sa.UniqueConstraint("umpire_token_hash", name=op.f("uq_exercises_umpire_token_hash")),
        sa.UniqueConstraint("observer_code_hash", name=op.f("uq_exercises_observer_code_hash")),
    )
    op.create_table(
        "seats",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("exercise_id", sa.String(32), nullable=False),
        sa.Column("delegation_id", sa.String(64), nullable=False),
        sa.Column("join_code_hash", sa.String(64), nullable=False),
        sa.ForeignKeyConstraint(["exercise_id"], ["exercises.id"], name=op.f("fk_seats_exercise_id_exercises"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_seats")),
        sa.UniqueConstraint("exercise_id", "delegation_id", name=op.f("uq_seats_exercise_id")),
        sa.UniqueConstraint("join_code_hash", name=op.f("uq_seats_join_code_hash")),
    )
    op.create_index(op.f("ix_seats_exercise_id"), "seats", ["exercise_id"])
    op.create_table(
        "participants",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("exercise_id", sa.String(32), nullable=False),
        sa.Column("delegation_id", sa.String(64), nullable=False),
        sa.Column("display_name", sa.String(40), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["exercise_id"], ["exercises.id"],
                                name=op.f("fk_participants_exercise_id_exercises"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_participants")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_participants_token_hash")),
    )
    op.create_index(op.f("ix_participants_exercise_id"), "participants", ["exercise_id"])
    op.create_table(
        "events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("exercise_id", sa.String(32), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("type", sa.String(64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("actor", sa.JSON(), nullable=True),
        sa.Column("audience", sa.JSON(), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["exercise_id"], ["exercises.id"], name=op.f("fk_events_exercise_id_exercises"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_events")),
        sa.UniqueConstraint("exercise_id", "seq", name="uq_events_exercise_seq"),
    )


def downgrade():
    op.drop_table("events")
    op.drop_index(op.f("ix_participants_exercise_id"), table_name="participants")
    op.drop_table("participants")
    op.drop_index(op.f("ix_seats_exercise_id"), table_name="seats")
    op.drop_table("seats")
    op.drop_table("exercises")
