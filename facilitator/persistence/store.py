"""The append-only event log: gap-free ``seq`` per exercise, one transaction per command, and the
commands already applied (so a resent command is recognised)."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from datetime import datetime, timezone

from sqlalchemy import Integer, String, bindparam, insert, select, text, type_coerce
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from facilitator.engine import Actor, Audience, Event, load_event
from facilitator.engine.errors import RuleError

from .db import sqlite_run
from .integrity import GENESIS, Verdict, event_hash, verify
from .models import CommandRow, EventRow, ExerciseRow, UTCDateTime

# The JSON columns are read as text and parsed here: SQLAlchemy's JSON result processing cost three times the
# rest of a load on long logs (a replay folds them whole). A driver that returns them parsed is handled too.
_COLUMNS = (EventRow.seq, EventRow.type, EventRow.version, type_coerce(EventRow.actor, String).label("actor"),
            type_coerce(EventRow.audience, String).label("audience"), type_coerce(EventRow.data, String).label("data"),
            EventRow.at)


# The statements of the command path on PostgreSQL (SQLite's go to sqlite3 itself: below), built once: Core on
# the session's connection skips the ORM's statement building and result processing (six times the cost of
# these statements in the driver), and the column types still process the values (the JSON texts and UTC times
# are written as the ORM writes them).
_EVENTS, _COMMANDS, _EXERCISES = EventRow.__table__, CommandRow.__table__, ExerciseRow.__table__
_LOCK = select(_EXERCISES.c.last_seq).where(_EXERCISES.c.id == bindparam("exercise")).with_for_update()
_HASH_AT = select(_EVENTS.c.hash).where(_EVENTS.c.exercise_id == bindparam("exercise"),
                                        _EVENTS.c.seq == bindparam("seq"))
_INSERT_COMMANDS = insert(_COMMANDS)
_AFTER = select(*_COLUMNS).where(EventRow.exercise_id == bindparam("exercise"),
                                 EventRow.seq > bindparam("after")).order_by(EventRow.seq)  # what another appended
_APPLIED = select(_COMMANDS.c.seq).where(_COMMANDS.c.exercise_id == bindparam("exercise"),
                                         _COMMANDS.c.issuer == bindparam("issuer"),
                                         _COMMANDS.c.command_id == bindparam("command_id"))
# every pair of the issuers and ids given (the unique key's index serves both lists); the pairs asked for are
# picked out of those found
_APPLIED_ANY = select(_COMMANDS.c.issuer, _COMMANDS.c.command_id, _COMMANDS.c.seq).where(
    _COMMANDS.c.exercise_id == bindparam("exercise"), _COMMANDS.c.issuer.in_(bindparam("issuers", expanding=True)),
    _COMMANDS.c.command_id.in_(bindparam("command_ids", expanding=True)))


# SQLite: the same statements given to sqlite3 itself, on the session's connection and in its transaction.
# SQLAlchemy's execution of a built Core statement costs 15-19 µs, sqlite3's 1-2 (its statement cache keeps
# them prepared), and a command runs five or six; in a round of injects to forty classes, the group's writers
# ran over two hundred. The values are written as the column types write them (the JSON columns as
# ``json.dumps`` text, no actor as JSON ``null``, times in UTC in SQLite's DATETIME text): a test compares the
# stored columns with the ORM's. These statements pass by SQLAlchemy's events and logging (``echo``), not by
# its exceptions: ``sqlite_run`` raises sqlite3's errors as SQLAlchemy's.
_SQLITE_LOCK = "SELECT last_seq FROM exercises WHERE id = ?"
_SQLITE_ADVANCE = "UPDATE exercises SET last_seq = ? WHERE id = ?"
_SQLITE_HASH_AT = "SELECT hash FROM events WHERE exercise_id = ? AND seq = ?"
_SQLITE_INSERT_EVENTS = ("INSERT INTO events (exercise_id, seq, type, version, actor, audience, data, at, hash) "
                         "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")
_SQLITE_APPLIED = "SELECT seq FROM commands WHERE exercise_id = ? AND issuer = ? AND command_id = ?"
_SQLITE_INSERT_COMMANDS = "INSERT INTO commands (exercise_id, issuer, command_id, type, seq, at) VALUES (?, ?, ?, ?, ?, ?)"


def _sqlite_time(at: datetime) -> str:
    """A time as SQLite's DATETIME column holds it (``UTCDateTime``): UTC, to the microsecond, no zone."""
    if at.tzinfo is None:
        raise ValueError("naive datetime")
    return at.astimezone(timezone.utc).replace(tzinfo=None).isoformat(" ", "microseconds")


def _sqlite_value(raw: sqlite3.Connection, statement: str, params):
    """The first column of the first row ``statement`` finds, or None if it finds none."""
    found = sqlite_run(raw, statement, params).fetchone()
    return None if found is None else found[0]


def _sqlite(connection: Connection) -> sqlite3.Connection | None:
    """SQLite's own connection under ``connection`` (in its transaction), or None on another database."""
    return connection.connection.driver_connection if connection.dialect.name == "sqlite" else None


# PostgreSQL: what was appended to several exercises, each after its own seq, in one statement of the same text
# whatever their number (a process following another's commits to forty classes read them one by one).
_AFTER_MANY_POSTGRESQL = text("""
SELECT e.exercise_id, e.seq, e.type, e.version, e.actor::text AS actor, e.audience::text AS audience,
       e.data::text AS data, e.at
FROM unnest(CAST(:ids AS text[]), CAST(:afters AS integer[])) AS w(id, after)
JOIN events e ON e.exercise_id = w.id AND e.seq > w.after
ORDER BY e.exercise_id, e.seq
""").columns(exercise_id=String, seq=Integer, type=String, version=Integer, actor=String, audience=String,
             data=String, at=UTCDateTime())


# PostgreSQL: a group's events, its command ids and the exercise's last seq written by one statement, and only
# if the log still stands at ``after`` (the row's lock, taken by the UPDATE, makes writers in several processes
# take turns; a writer that finds the log moved on writes nothing). Its text is the same whatever the group's
# size, the rows given as two JSON texts (``json_to_recordset``): psycopg parses it once and the server prepares
# it. An INSERT with many VALUES was a new text for every size (psycopg's parsing of it was a fifth of a busy
# worker), rows as arrays cost as much in psycopg's array dumpers, and three statements were three round trips.
# The JSON columns hold the values' JSON as the ORM writes it (no actor: JSON ``null``, as the ORM stores None,
# where ``json_to_recordset`` gives SQL NULL); the times are given in UTC (``UTCDateTime``). It refuses a NUL
# or a lone surrogate escaped anywhere in those texts (the stored texts are cleaned of both: engine/guards.py).
_APPEND_POSTGRESQL = """
WITH advanced AS (
    UPDATE exercises SET last_seq = %(last)s WHERE id = %(exercise)s AND last_seq = %(after)s RETURNING id
), new_events AS (
    INSERT INTO events (exercise_id, seq, type, version, actor, audience, data, at, hash)
    SELECT %(exercise)s, seq, type, version, coalesce(actor, 'null'), audience, data, at, hash
    FROM json_to_recordset(%(events)s::json) AS e(seq integer, type text, version integer, actor json,
                                                   audience json, data json, at timestamptz, hash text)
    WHERE EXISTS (SELECT FROM advanced)
), new_commands AS (
    INSERT INTO commands (exercise_id, issuer, command_id, type, seq, at)
    SELECT %(exercise)s, issuer, command_id, type, seq, at
    FROM json_to_recordset(%(commands)s::json) AS c(issuer text, command_id text, type text, seq integer,
                                                     at timestamptz)
    WHERE EXISTS (SELECT FROM advanced)
)
SELECT count(*) FROM advanced
"""


def _utc(at: datetime) -> str:
    if at.tzinfo is None:
        raise ValueError("naive datetime")
    return at.astimezone(timezone.utc).isoformat()


def _append_postgresql(connection: Connection, exercise_id: str, after: int, rows: list[dict],
                       commands: list[tuple[str, str, str, int, datetime]]) -> bool:
    """Whether the rows were written (the log stood at ``after``)."""
    events = [{**r, "at": _utc(r["at"])} for r in rows]
    commands = [{"issuer": issuer, "command_id": command_id, "type": type_, "seq": seq, "at": _utc(at)}
                for issuer, command_id, type_, seq, at in commands]
    return connection.exec_driver_sql(_APPEND_POSTGRESQL, {
        "exercise": exercise_id, "after": after, "last": rows[-1]["seq"], "events": json.dumps(events),
        "commands": json.dumps(commands)}).scalar() == 1


def _json(value):
    return json.loads(value) if isinstance(value, (str, bytes)) else value


def _connection(session: Session) -> Connection:
    """The session's connection, in its transaction; ORM changes still pending are flushed first, as
    ``Session.execute`` does before a statement."""
    if session.autoflush:
        session.flush()
    return session.connection()


def _insert(connection: Connection, statement, rows: list[dict]) -> None:
    """Insert ``rows``: one row as one statement, not an executemany (psycopg runs one in pipeline mode, three
    times the cost); several as one INSERT with many VALUES on PostgreSQL (persistence/db.py)."""
    connection.execute(statement, rows[0] if len(rows) == 1 else rows)


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
        connection = _connection(session)
        raw = _sqlite(connection)
        if raw is not None:
            last = _sqlite_value(raw, _SQLITE_LOCK, (exercise_id,))
        else:
            last = connection.execute(_LOCK, {"exercise": exercise_id}).scalar()
        if last is None:
            raise RuleError("not_found", f"There is no exercise '{exercise_id}'.", {"exercise": "unknown"})
        return last

    def append(self, session: Session, exercise_id: str, events: Iterable[Event], after: int, locked: bool = False,
               previous_hash: str | None = None,
               commands: list[tuple[str, str, str, int, datetime]] = ()) -> str | None:
        """Append ``events`` (numbered by the engine from ``after + 1``) to the exercise's log, and record the
        ``commands`` applied with them (as ``remember_many``: on PostgreSQL in the same statement); returns the
        last event's hash (None when there were no events).

        Raises ``StaleSequence`` if the log has moved past ``after`` meanwhile. The exercise row is
        locked (``lock``; ``locked``: the caller did, in this transaction, and found ``after``) and the
        unique key on (exercise, seq) refuses any duplicate that slipped by. ``previous_hash``: the hash of
        event ``after``, when the caller knows it (else it is read).
        Raises ``ValueError`` if the events are not numbered ``after + 1, after + 2, ...``.
        """
        if not locked:
            last = self.lock(session, exercise_id)
            if last != after:
                raise StaleSequence(after, last)
        connection = _connection(session)
        events = list(events)
        if not events:
            self.remember_many(session, exercise_id, list(commands))
            return None
        raw = _sqlite(connection)
        if raw is None:  # PostgreSQL: the same one statement, in this transaction
            if previous_hash is None and after > 0:
                previous_hash = connection.execute(_HASH_AT, {"exercise": exercise_id, "seq": after}).scalar()
            return self.append_unlocked(connection, exercise_id, events, after, previous_hash, commands)
        if previous_hash is None and after > 0:
            previous_hash = _sqlite_value(raw, _SQLITE_HASH_AT, (exercise_id, after))
        rows = self._rows(exercise_id, events, after, previous_hash)
        sqlite_run(raw, _SQLITE_INSERT_EVENTS, [
            (exercise_id, r["seq"], r["type"], r["version"], json.dumps(r["actor"]), json.dumps(r["audience"]),
             json.dumps(r["data"]), _sqlite_time(r["at"]), r["hash"]) for r in rows], many=True)
        sqlite_run(raw, _SQLITE_ADVANCE, (rows[-1]["seq"], exercise_id))
        self.remember_many(session, exercise_id, list(commands))
        return rows[-1]["hash"]

    @staticmethod
    def _rows(exercise_id: str, events: list[Event], after: int, previous_hash: str | None) -> list[dict]:
        """The events' rows, hashed in a chain from ``previous_hash`` (the hash of event ``after``; the chain's
        start for ``after`` 0 or an event stored without one). Raises ``ValueError`` if the events are not
        numbered ``after + 1, after + 2, ...``."""
        rows = [{"exercise_id": exercise_id, "seq": e.seq, "type": e.type, "version": e.version,
                 "actor": e.actor.to_dict() if e.actor else None, "audience": e.audience.to_dict(), "data": e.data,
                 "at": e.at} for e in events]
        if [r["seq"] for r in rows] != list(range(after + 1, after + 1 + len(rows))):
            raise ValueError("events must be numbered from the log's last seq on, without gaps")
        previous = GENESIS if after == 0 else previous_hash or GENESIS
        for r in rows:
            r["hash"] = previous = event_hash(previous, r["seq"], r["type"], r["version"], r["actor"], r["audience"],
                                              r["data"], r["at"])
        return rows

    def append_unlocked(self, connection: Connection, exercise_id: str, events: list[Event], after: int,
                        previous_hash: str, commands: list[tuple[str, str, str, int, datetime]] = ()) -> str:
        """PostgreSQL: ``append`` in one statement on ``connection`` (in autocommit the statement is the
        transaction; ``append`` runs it in its own), without ``lock`` first: it writes only if the log still stands at ``after`` and raises
        ``StaleSequence`` otherwise (nothing written). ``previous_hash``: the hash of event ``after``. A command
        id already recorded raises ``IntegrityError`` (nothing written). Returns the last event's hash. One
        round trip, where a transaction of ``lock``, ``applied`` and ``append`` is five."""
        rows = self._rows(exercise_id, events, after, previous_hash)
        if not _append_postgresql(connection, exercise_id, after, rows, list(commands)):
            raise StaleSequence(after, self.last_seq(connection, exercise_id))
        return rows[-1]["hash"]

    def last_seq(self, connection: Connection, exercise_id: str) -> int | None:
        """The exercise's last seq as committed (None: no such exercise)."""
        return connection.execute(select(_EXERCISES.c.last_seq).where(_EXERCISES.c.id == exercise_id)).scalar()

    def load(self, session: Session, exercise_id: str, after: int = 0, upto: int | None = None,
             channel: str | None = None, newest_first: bool = False, limit: int | None = None) -> list[Event]:
        """Events with ``after < seq <= upto``, optionally only those of one channel, in either order."""
        if upto is None and channel is None and not newest_first and limit is None:  # a catch-up: built once
            rows = session.execute(_AFTER, {"exercise": exercise_id, "after": after})
        else:
            query = select(*_COLUMNS).where(EventRow.exercise_id == exercise_id, EventRow.seq > after)
            if upto is not None:
                query = query.where(EventRow.seq <= upto)
            if channel is not None:
                query = query.where(EventRow.data["channel"].as_string() == channel)
            rows = session.execute(query.order_by(EventRow.seq.desc() if newest_first else EventRow.seq).limit(limit))
        return [load_event(r.type, r.version, _json(r.data), Audience.from_dict(_json(r.audience)),
                           Actor.from_dict(_json(r.actor)), r.seq, r.at) for r in rows]

    def load_after(self, session: Session, afters: dict[str, int]) -> dict[str, list[Event]]:
        """For ``{exercise_id: seq}``, the events each exercise's log holds after that seq, in order (an
        exercise with none, or none at all, is left out). On PostgreSQL one statement for all of them; on
        another database, ``load`` for each."""
        if session.get_bind().dialect.name != "postgresql" or len(afters) < 2:
            found = {exercise_id: self.load(session, exercise_id, after=after) for exercise_id, after in afters.items()}
            return {exercise_id: events for exercise_id, events in found.items() if events}
        ids = sorted(afters)
        rows = session.execute(_AFTER_MANY_POSTGRESQL, {"ids": ids, "afters": [afters[i] for i in ids]})
        out: dict[str, list[Event]] = {}
        for r in rows:
            out.setdefault(r.exercise_id, []).append(
                load_event(r.type, r.version, _json(r.data), Audience.from_dict(_json(r.audience)),
                           Actor.from_dict(_json(r.actor)), r.seq, r.at))
        return out

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
        connection = _connection(session)
        raw = _sqlite(connection)
        if raw is not None:
            return _sqlite_value(raw, _SQLITE_APPLIED, (exercise_id, issuer, command_id))
        return connection.execute(_APPLIED, {"exercise": exercise_id, "issuer": issuer,
                                             "command_id": command_id}).scalar()

    def applied_many(self, session: Session, exercise_id: str,
                     keys: list[tuple[str, str]]) -> dict[tuple[str, str], int]:
        """For ``(issuer, command_id)`` pairs, the seq each was applied at: only the pairs found (none: ``{}``)."""
        if not keys:
            return {}
        if len(keys) == 1:  # the usual case, by the cheaper statement
            seq = self.applied(session, exercise_id, *keys[0])
            return {} if seq is None else {keys[0]: seq}
        wanted = set(keys)
        found = _connection(session).execute(_APPLIED_ANY, {"exercise": exercise_id,
                                                            "issuers": sorted({k[0] for k in wanted}),
                                                            "command_ids": sorted({k[1] for k in wanted})})
        return {key: seq for issuer, command_id, seq in found if (key := (issuer, command_id)) in wanted}

    def remember(self, session: Session, exercise_id: str, issuer: str, command_id: str, type_: str, seq: int,
                 at: datetime) -> None:
        """Record that ``issuer``'s command ``command_id`` (of type ``type_``) was applied, leaving the log at
        ``seq``; a command id already recorded for that issuer raises ``IntegrityError`` (the unique key)."""
        self.remember_many(session, exercise_id, [(issuer, command_id, type_, seq, at)])

    def remember_many(self, session: Session, exercise_id: str,
                      entries: list[tuple[str, str, str, int, datetime]]) -> None:
        """``remember`` for several ``(issuer, command_id, type, seq, at)`` entries, in one statement."""
        if not entries:
            return
        connection = _connection(session)
        raw = _sqlite(connection)
        if raw is not None:
            sqlite_run(raw, _SQLITE_INSERT_COMMANDS, [(exercise_id, issuer, command_id, type_, seq, _sqlite_time(at))
                                                       for issuer, command_id, type_, seq, at in entries], many=True)
            return
        _insert(connection, _INSERT_COMMANDS, [
            {"exercise_id": exercise_id, "issuer": issuer, "command_id": command_id, "type": type_, "seq": seq,
             "at": at} for issuer, command_id, type_, seq, at in entries])
