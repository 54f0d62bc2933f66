"""The append-only event log: gap-free ``seq`` per exercise, one transaction per command."""

from __future__ import annotations

from datetime import datetime
from typing import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from facilitator.engine import Actor, Audience, Event
from facilitator.engine.errors import RuleError

from .models import EventRow, ExerciseRow


class StaleSequence(RuleError):
    def __init__(self, expected: int, actual: int):
        super().__init__("stale", f"The exercise has moved on (seq {actual}, you acted on {expected}); "
                                  "look again and retry.", {"seq": actual})


class EventStore:
    """Reads and appends events inside the caller's transaction."""

    def append(self, session: Session, exercise_id: str, events: Iterable[Event], at: datetime,
               expected_seq: int | None = None) -> list[Event]:
        """Append ``events`` after the exercise's last seq; the caller's write transaction serialises writers.

        The exercise row is locked (``FOR UPDATE`` where the database has it;
        SQLite's ``BEGIN IMMEDIATE`` already holds the write lock) and the
        unique key on (exercise, seq) refuses any duplicate that slipped by.
        """
        exercise = session.get(ExerciseRow, exercise_id, with_for_update=True, populate_existing=True)
        if exercise is None:
            raise RuleError("not_found", f"There is no exercise '{exercise_id}'.")
        if expected_seq is not None and expected_seq != exercise.last_seq:
            raise StaleSequence(expected_seq, exercise.last_seq)
        stored = []
        seq = exercise.last_seq
        for event in events:
            seq += 1
            event = event.stored(seq, at)
            session.add(EventRow(exercise_id=exercise_id, seq=seq, type=event.type, version=event.version,
                                 actor=event.actor.to_dict() if event.actor else None,
                                 audience=event.audience.to_dict(), data=dict(event.to_dict()["data"]), at=at))
            stored.append(event)
        exercise.last_seq = seq
        session.flush()
        return stored

    def load(self, session: Session, exercise_id: str, after: int = 0, upto: int | None = None,
             channel: str | None = None, newest_first: bool = False, limit: int | None = None) -> list[Event]:
        """Events with ``after < seq <= upto``, optionally only those of one channel, in either order."""
        query = select(EventRow).where(EventRow.exercise_id == exercise_id, EventRow.seq > after)
        if upto is not None:
            query = query.where(EventRow.seq <= upto)
        if channel is not None:
            query = query.where(EventRow.data["channel"].as_string() == channel)
        query = query.order_by(EventRow.seq.desc() if newest_first else EventRow.seq).limit(limit)
        return [to_event(row) for row in session.scalars(query)]


def to_event(row: EventRow) -> Event:
    return Event(row.type, row.data, Audience.from_dict(row.audience), Actor.from_dict(row.actor),
                 row.seq, row.at, row.version)
