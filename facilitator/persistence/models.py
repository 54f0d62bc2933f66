"""Tables. The schema itself is created by the Alembic migrations in ``migrations/``."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from sqlalchemy import JSON, DateTime, ForeignKey, Integer, LargeBinary, MetaData, String, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator):
    """Timezone-aware UTC datetimes on every backend. SQLite keeps no zone: a time is stored as UTC and read back
    as UTC. PostgreSQL returns a ``timestamptz`` in the connection's time zone (the server's ``TimeZone``): it is
    read back in UTC too, so that a time reads as it was written (``isoformat``, and the log's hashes on it)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return value
        if value.tzinfo is None:
            raise ValueError("naive datetime")
        return value.astimezone(timezone.utc)

    def process_result_value(self, value, dialect):
        if value is None:
            return value
        return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class ExerciseRow(Base):
    __tablename__ = "exercises"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    deck_id: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(200))
    # the deck as loaded, so a replay uses the same one; read only when asked for (42 KB for kyiv-decides)
    deck: Mapped[dict[str, Any]] = mapped_column(JSON, deferred=True)
    seed: Mapped[str] = mapped_column(String(64))
    last_seq: Mapped[int] = mapped_column(Integer, default=0)
    umpire_token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    observer_code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    origin: Mapped[str | None] = mapped_column(String(16), nullable=True)  # "demo": made by `facilitator demo`


class SeatRow(Base):
    """A delegation's place in an exercise and the join code its members use."""

    __tablename__ = "seats"
    __table_args__ = (UniqueConstraint("exercise_id", "delegation_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    exercise_id: Mapped[str] = mapped_column(ForeignKey("exercises.id", ondelete="CASCADE"), index=True)
    delegation_id: Mapped[str] = mapped_column(String(64))
    join_code_hash: Mapped[str] = mapped_column(String(64), unique=True)


class ParticipantRow(Base):
    __tablename__ = "participants"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    exercise_id: Mapped[str] = mapped_column(ForeignKey("exercises.id", ondelete="CASCADE"), index=True)
    delegation_id: Mapped[str] = mapped_column(String(64))
    display_name: Mapped[str] = mapped_column(String(40))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class EventRow(Base):
    """One entry of an exercise's append-only log."""

    __tablename__ = "events"
    __table_args__ = (UniqueConstraint("exercise_id", "seq", name="uq_events_exercise_seq"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    exercise_id: Mapped[str] = mapped_column(ForeignKey("exercises.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(Integer)
    type: Mapped[str] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer)
    actor: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    audience: Mapped[dict[str, Any]] = mapped_column(JSON)
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    hash: Mapped[str | None] = mapped_column(String(64), nullable=True)  # chained: see persistence/integrity.py


class CommandRow(Base):
    """A command applied once: who sent it, the name its sender gave it, and the seq it left the log at.

    A resend with the same ``command_id`` by the same issuer is recognised and not applied again.
    """

    __tablename__ = "commands"
    __table_args__ = (UniqueConstraint("exercise_id", "issuer", "command_id", name="uq_commands_exercise_issuer_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    exercise_id: Mapped[str] = mapped_column(ForeignKey("exercises.id", ondelete="CASCADE"))
    issuer: Mapped[str] = mapped_column(String(64))  # a participant id, "umpire" or "observer"
    command_id: Mapped[str] = mapped_column(String(64))
    type: Mapped[str] = mapped_column(String(64))
    seq: Mapped[int] = mapped_column(Integer)  # the exercise's seq once the command was applied
    at: Mapped[datetime] = mapped_column(UTCDateTime())


class StaffRow(Base):
    """An umpire staff seat: a named umpire or assistant with their own link (the exercise's own umpire link
    is on the exercise row)."""

    __tablename__ = "staff"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    exercise_id: Mapped[str] = mapped_column(ForeignKey("exercises.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(40))
    role: Mapped[str] = mapped_column(String(16))  # umpire or assistant
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class DeletionRow(Base):
    """A deleted exercise, recorded: its log went with it, this line stays."""

    __tablename__ = "deletions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    exercise_id: Mapped[str] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(String(200))
    deck_id: Mapped[str] = mapped_column(String(64))
    events: Mapped[int] = mapped_column(Integer)
    by: Mapped[str] = mapped_column(String(80))
    at: Mapped[datetime] = mapped_column(UTCDateTime())


class HeartbeatRow(Base):
    """The running server's pulse, written every few seconds (``services/schedule.py``): the server that starts
    next reads how long none was running."""

    __tablename__ = "heartbeats"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)  # "server"
    at: Mapped[datetime] = mapped_column(UTCDateTime())


class PresenceRow(Base):
    """Open connections of one participant held by one server process (its heartbeat row's name): when a
    process stops without closing them, another takes exactly these away (``services/presence.py``). The log
    holds each participant's total over every process."""

    __tablename__ = "presence"

    server: Mapped[str] = mapped_column(String(32), primary_key=True)
    exercise_id: Mapped[str] = mapped_column(ForeignKey("exercises.id", ondelete="CASCADE"), primary_key=True)
    participant_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    connections: Mapped[int] = mapped_column(Integer)


class SnapshotRow(Base):
    """An exercise's state at one seq, so a long log is not folded from the start on every load: a cache,
    rebuilt from the log whenever it cannot be used (``persistence/snapshots.py``)."""

    __tablename__ = "snapshots"

    exercise_id: Mapped[str] = mapped_column(ForeignKey("exercises.id", ondelete="CASCADE"), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer)
    engine: Mapped[str] = mapped_column(String(32))  # the engine's code it was made by (snapshots.ENGINE)
    state: Mapped[bytes] = mapped_column(LargeBinary)
    at: Mapped[datetime] = mapped_column(UTCDateTime())  # the time of the last event folded into it
