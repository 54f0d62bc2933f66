"""Log integrity: each event's hash, chained to the previous one (computed here for the events already stored).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30
"""
from alembic import op
import sqlalchemy as sa

from facilitator.persistence.integrity import GENESIS, event_hash
from facilitator.persistence.models import UTCDateTime

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("events") as batch:
        batch.add_column(sa.Column("hash", sa.String(64), nullable=True))
    events = sa.table("events", sa.column("id", sa.Integer), sa.column("exercise_id", sa.String),
                      sa.column("seq", sa.Integer), sa.column("type", sa.String), sa.column("version", sa.Integer),
                      sa.column("actor", sa.JSON), sa.column("audience", sa.JSON), sa.column("data", sa.JSON),
                      sa.column("at", UTCDateTime()), sa.column("hash", sa.String))
    connection = op.get_bind()
    rows = connection.execute(sa.select(events.c.id, events.c.exercise_id, events.c.seq, events.c.type,
                                        events.c.version, events.c.actor, events.c.audience, events.c.data,
                                        events.c.at).order_by(events.c.exercise_id, events.c.seq)).all()
    previous, exercise = GENESIS, None
    for row in rows:
        if row.exercise_id != exercise:
            previous, exercise = GENESIS, row.exercise_id
        previous = event_hash(previous, row.seq, row.type, row.version, row.actor, row.audience, row.data, row.at)
        connection.execute(sa.update(events).where(events.c.id == row.id).values(hash=previous))


def downgrade():
    with op.batch_alter_table("events") as batch:
        batch.drop_column("hash")
