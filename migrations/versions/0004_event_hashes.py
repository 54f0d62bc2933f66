"""Log integrity: each event's hash, chained to the previous one (computed here for the events already stored).

An event stored before texts were cleaned may hold a lone surrogate (its JSON escapes one as ``\\ud800``), which
has no UTF-8 form to be hashed (nor exported): it is removed first, as the server removes one from every text it
is sent now (engine/guards.py ``clean_text``). The other tables' texts cannot hold one (the database driver
refuses to write it).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30
"""
import re

from alembic import op
import sqlalchemy as sa

from facilitator.persistence.integrity import GENESIS, event_hash
from facilitator.persistence.models import UTCDateTime

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

LONE_SURROGATE = re.compile("[\ud800-\udfff]")  # in a Python string, any surrogate is a lone one


def without_lone_surrogates(value):
    """``value`` (JSON data) with every lone surrogate removed from its texts and keys."""
    if isinstance(value, str):
        return LONE_SURROGATE.sub("", value)
    if isinstance(value, list):
        return [without_lone_surrogates(v) for v in value]
    if isinstance(value, dict):
        return {without_lone_surrogates(k): without_lone_surrogates(v) for k, v in value.items()}
    return value


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
        cleaned = {name: without_lone_surrogates(getattr(row, name)) for name in ("actor", "audience", "data")}
        changed = {name: value for name, value in cleaned.items() if value != getattr(row, name)}
        previous = event_hash(previous, row.seq, row.type, row.version, cleaned["actor"], cleaned["audience"],
                              cleaned["data"], row.at)
        connection.execute(sa.update(events).where(events.c.id == row.id).values(hash=previous, **changed))


def downgrade():
    with op.batch_alter_table("events") as batch:
        batch.drop_column("hash")
