"""The append-only event log: gap-free ``seq`` per exercise, one transaction per command, and the
commands already applied (so a resent command is recognised)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Iterable

from sqlalchemy import String, insert, select, type_coerce, update
from sqlalchemy.orm import Session

from facilitator.engine import Actor, Audience, Event, load_event
from facilitator.engine.errors import RuleError

from .integrity import GENESIS, Verdict, event_hash, verify
from .models import CommandRow, EventRow, ExerciseRow

# The JSON columns are read as text and parsed here: SQLAlchemy's JSON result processing cost three times the
# rest of a load on long logs (a replay folds them whole). A driver that returns them parsed is handled too.
_COLUMNS = (EventRow.seq, EventRow.type, EventRow.version, type_coerce(EventRow.actor, String).label("actor"),
            type_coerce(EventRow.audience, String).label("audience"), type_coerce(EventRow.data, String).label("data"),
            EventRow.at)


def _json(value):
    return json.loads(value) if isinstance(value, (str, bytes)) else value


class StaleSequence(RuleError):
    def __init__(self, expected: int, actual: int):
        super().__init__("stale", f"The exercise has moved on (seq {actual}, you acted on {expected}); "
                                  "look again and retry.", {"seq": actual})


class EventStore:
    """Reads and appends events inside the caller's transaction."""

    def lock(self, session: Session, exercise_id: str) -> int:
        """Hold the exercise's row until the transaction ends, so that writers to one exercise in several
        processes take turns (``FOR UPDATE``; on SQLite, ``BEGIN IMMEDIATE`` already holds the write lock);
        returns the log's last seq. Only that column is read (not the deck the row holds). Raises
        ``RuleError`` (``not_found``)."""
        last = session.scalar(select(ExerciseRow.last_seq).where(ExerciseRow.id == exercise_id).with_for_update())
        if last is None:
            raise RuleError("not_found", f"There is no exercise '{exercise_id}'.", {"exercise": "unknown"})
        return last

    def append(self, session: Session, exercise_id: str, events: Iterable[Event], after: int, locked: bool = False,
               previous_hash: str | None = None) -> str | None:
        """Append ``events`` (numbered by the engine from ``after + 1``) to the exercise's log; returns the
        last event's hash (None when there were no events).

        Raises ``StaleSequence`` if the log has moved past ``after`` meanwhile. The exercise row is
        locked (``lock``; ``locked``: the caller did, in this transaction, and found ``after``) and the
        unique key on (exercise, seq) refuses any duplicate that slipped by. ``previous_hash``: the hash of
        event ``after``, when the caller knows it (else it is read).
        """
        if not locked:
            last = self.lock(session, exercise_id)
            if last != after:
                raise StaleSequence(after, last)
        rows = [{"exercise_id": exercise_id, "seq": e.seq, "type": e.type, "version": e.version,
                 "actor": e.actor.to_dict() if e.actor else None, "audience": e.audience.to_dict(), "data": e.data,
                 "at": e.at} for e in events]
        if not rows:
            return None
        if [r["seq"] for r in rows] != list(range(after + 1, after + 1 + len(rows))):
            raise ValueError("events must be numbered from the log's last seq on, without gaps")
        previous = GENESIS if after == 0 else previous_hash or session.scalar(
            select(EventRow.hash).where(EventRow.exercise_id == exercise_id, EventRow.seq == after)) or GENESIS
        for r in rows:
            r["hash"] = previous = event_hash(previous, r["seq"], r["type"], r["version"], r["actor"], r["audience"],
                                              r["data"], r["at"])
        session.execute(insert(EventRow), rows)
        session.execute(update(ExerciseRow).where(ExerciseRow.id == exercise_id).values(last_seq=rows[-1]["seq"])
                        .execution_options(synchronize_session=False))
        return previous

    def load(self, session: Session, exercise_id: str, after: int = 0, upto: int | None = None,
             channel: str | None = None, newest_first: bool = False, limit: int | None = None) -> list[Event]:
        """Events with ``after < seq <= upto``, optionally only those of one channel, in either order."""
        query = select(*_COLUMNS).where(EventRow.exercise_id == exercise_id, EventRow.seq > after)
        if upto is not None:
            query = query.where(EventRow.seq <= upto)
        if channel is not None:
            query = query.where(EventRow.data["channel"].as_string() == channel)
        query = query.order_by(EventRow.seq.desc() if newest_first else EventRow.seq).limit(limit)
        return [load_event(r.type, r.version, _json(r.data), Audience.from_dict(_json(r.audience)),
                           Actor.from_dict(_json(r.actor)), r.seq, r.at) for r in session.execute(query)]

    def verify(self, session: Session, exercise_id: str) -> Verdict:
        """Whether the exercise's stored log is whole and unaltered (see ``integrity.verify``)."""
        exercise = session.get(ExerciseRow, exercise_id)
        if exercise is None:
            raise RuleError("not_found", f"There is no exercise '{exercise_id}'.")
        rows = session.execute(select(EventRow.seq, EventRow.type, EventRow.version, EventRow.actor,
                                      EventRow.audience, EventRow.data, EventRow.at, EventRow.hash)
                               .where(EventRow.exercise_id == exercise_id).order_by(EventRow.id))
        return verify(rows, exercise.last_seq)

    def any_of(self, session: Session, exercise_id: str, types, after: int) -> bool:
        """Whether an event of one of ``types`` was appended after seq ``after``."""
        return session.scalar(select(EventRow.seq).where(EventRow.exercise_id == exercise_id, EventRow.seq > after,
                                                          EventRow.type.in_(list(types))).limit(1)) is not None

    def applied(self, session: Session, exercise_id: str, issuer: str, command_id: str) -> int | None:
        """The seq the log stood at once ``issuer``'s command ``command_id`` was applied, or None if it was not."""
        return session.scalar(select(CommandRow.seq).where(CommandRow.exercise_id == exercise_id,
                                                           CommandRow.issuer == issuer,
                                                           CommandRow.command_id == command_id))

    def remember(self, session: Session, exercise_id: str, issuer: str, command_id: str, type_: str, seq: int,
                 at: datetime) -> None:
        session.execute(insert(CommandRow), [{"exercise_id": exercise_id, "issuer": issuer, "command_id": command_id,
                                              "type": type_, "seq": seq, "at": at}])

