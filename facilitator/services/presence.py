"""Who is connected, when several server processes serve one database.

The log holds each participant's open connections over every process (``participant_connected`` and the
rest, decided by the engine). Beside it, each process keeps in the ``presence`` table how many of those it
holds itself, in the same transaction as the event, and beats its own heartbeat row (named by its id).
A process that stops cleanly takes its own connections away; one that dies is found by the others when its
heartbeat is ``DEAD_AFTER`` seconds old, and the first to see it takes exactly its connections away
(``engine.participants.ClearPresence`` with ``lost``): another process's participants are never marked
disconnected. A database that only one process serves (SQLite) is cleared whole when that process starts.
"""

from __future__ import annotations

import hashlib
import logging
import socket
from datetime import datetime, timedelta, timezone

from sqlalchemy import delete, select

from facilitator.engine import ClearPresence, RuleError
from facilitator.engine.audience import UMPIRE_ACTOR
from facilitator.persistence import Database
from facilitator.persistence.models import HeartbeatRow, PresenceRow

log = logging.getLogger(__name__)

DEAD_AFTER = 15.0  # seconds without a heartbeat before a process is taken for dead (it beats every 2 s)
SERVER = "server"  # the heartbeats row any running process beats (how long no server ran: services/schedule.py)


def server_id(address: str) -> str:
    """The id of the server process that serves ``address`` (``host:port``) on this machine: the same after a
    restart, so a process that replaces one that died knows the connections and heartbeat it left as its own
    (not another process's, alive or dead)."""
    return hashlib.sha256(f"{socket.gethostname()} {address}".encode()).hexdigest()[:16]


def now() -> datetime:
    return datetime.now(timezone.utc)


class NotHeld(Exception):
    """A connection closed that ``server`` no longer counts: its connections were taken away already (it
    stopped, or was taken for stopped), so the log must not count this one out a second time."""


def count(session, server: str, exercise_id: str, participant: str, delta: int) -> None:
    """Add ``delta`` (+1 or -1) to the connections ``server`` holds for ``participant`` (in the caller's
    transaction, which holds the exercise's row lock: see ``EventStore.lock``). Raises ``NotHeld`` for a -1
    that ``server`` does not hold (the caller's transaction is then rolled back)."""
    row = session.get(PresenceRow, (server, exercise_id, participant))
    if row is None:
        if delta < 0:
            raise NotHeld()
        session.add(PresenceRow(server=server, exercise_id=exercise_id, participant_id=participant,
                                connections=delta))
        return
    row.connections += delta
    if row.connections <= 0:
        session.delete(row)


def held(session, server: str, exercise_id: str | None = None) -> dict[str, dict[str, int]]:
    """``{exercise id: {participant: connections}}`` that ``server`` holds (in one exercise, or all)."""
    query = select(PresenceRow).where(PresenceRow.server == server)
    if exercise_id is not None:
        query = query.where(PresenceRow.exercise_id == exercise_id)
    found: dict[str, dict[str, int]] = {}
    for row in session.scalars(query):
        found.setdefault(row.exercise_id, {})[row.participant_id] = row.connections
    return found


def beat(db: Database, name: str, at: datetime) -> None:
    """Record that ``name`` (``SERVER``, or a process's id) is up at ``at``."""
    with db.write() as session:
        row = session.get(HeartbeatRow, name)
        if row is None:
            session.add(HeartbeatRow(name=name, at=at))
        else:
            row.at = at


def stopped(db: Database, at: datetime, dead_after: float = DEAD_AFTER) -> list[str]:
    """Processes that hold connections in the ``presence`` table but whose heartbeat is gone or older than
    ``dead_after`` seconds at ``at``."""
    with db.read() as session:
        holders = set(session.scalars(select(PresenceRow.server).distinct()))
        beats = {row.name: row.at for row in session.scalars(select(HeartbeatRow).where(HeartbeatRow.name.in_(holders)))}
    limit = at - timedelta(seconds=dead_after)
    return sorted(s for s in holders if s not in beats or beats[s] < limit)


def alive(db: Database, at: datetime, dead_after: float = DEAD_AFTER) -> list[str]:
    """Processes whose heartbeat is at most ``dead_after`` seconds old at ``at``."""
    limit = at - timedelta(seconds=dead_after)
    with db.read() as session:
        return sorted(session.scalars(select(HeartbeatRow.name).where(HeartbeatRow.name != SERVER,
                                                                      HeartbeatRow.at >= limit)))


def take_away(exercises, server: str) -> int:
    """Take the connections ``server`` held away from the log, exercise by exercise, and forget its heartbeat;
    returns how many events that made. Safe when several processes do it at once: each exercise's change is
    kept only if the rows it was decided on are still there when it commits (else another process did it)."""
    db: Database = exercises.db
    with db.read() as session:
        by_exercise = held(session, server)
    made = 0
    for exercise_id, lost in sorted(by_exercise.items()):
        def forget(session, exercise_id=exercise_id, lost=lost):
            if held(session, server, exercise_id).get(exercise_id, {}) != lost:
                raise RuleError("conflict", "These connections were taken away meanwhile.")
            session.execute(delete(PresenceRow).where(PresenceRow.server == server,
                                                      PresenceRow.exercise_id == exercise_id))
        try:
            made += len(exercises.execute(exercise_id, ClearPresence(lost), UMPIRE_ACTOR, also=forget).events)
        except RuleError as exc:  # deleted meanwhile, or another process took them away first
            log.info("presence of stopped process %s in exercise %s: %s", server, exercise_id, exc.message)
    with db.write() as session:
        session.execute(delete(HeartbeatRow).where(HeartbeatRow.name == server))
    return made


def clear_all(exercises) -> int:
    """Everyone disconnected in every exercise where someone was, and no process holding any connection or
    beating: for a database only one process serves (SQLite), when it starts."""
    db: Database = exercises.db
    made = exercises.clear_presence()
    with db.write() as session:
        session.execute(delete(PresenceRow))
        session.execute(delete(HeartbeatRow).where(HeartbeatRow.name != SERVER))
    return made
