"""The schedule: a background task that fires the event list's due rows (or flags them, in "ask me" mode),
and follows the log of every exercise this process holds, so that what a command-line run appended (an
event list imported, a link re-issued) reaches the connected consoles within a tick.

What is due is the engine's rule (``engine.injects.due``); this only looks at the clock. Each tick asks,
for every exercise whose phase clock runs, whether something is due; if so it runs ``fire_due_injects``,
which the engine decides inside the write transaction on the state caught up from the log. So a row is
fired once however many server processes tick (each sees what the others appended, and the log refuses a
stale append), and a server restarted after a row's time fires it on its first tick, marked late.

It is also the running server's pulse: a heartbeat in the database every ``HEARTBEAT`` seconds (and once more
on a clean stop), for the server and for this process; at each beat it looks for processes that stopped
beating and takes their connections away (services/presence.py), and on a clean stop its own. On ``start``, before its first tick, the schedule reads the last one and has every exercise
whose phase clock ran meanwhile note how long the server was down (``engine.clock.NoteRestart``): down
longer than ``pause_after`` seconds, the clock is paused as of the last heartbeat; for less, exercise control
is offered the time back. The time down is not played time, so nothing timed by the phase clock fires early
in the catch-up that follows.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import datetime

from sqlalchemy import select

from facilitator.engine import FireDueInjects, RuleError, due
from facilitator.engine.audience import SCHEDULE_ACTOR
from facilitator.engine.clock import PAUSE_AFTER, NoteRestart
from facilitator.persistence import Database
from facilitator.persistence.models import EventRow, HeartbeatRow

from . import presence
from .exercises import ExerciseService, now as wall_clock

log = logging.getLogger(__name__)

TICK = 1.0  # seconds between looks at the clock
RESCAN = 30.0  # seconds between looks at the database for exercises another process started
HEARTBEAT = 2.0  # seconds between heartbeats: a crash is dated to within this
SERVER = presence.SERVER  # the heartbeat's row: one for the server, whichever process beats


def last_heartbeat(db: Database) -> datetime | None:
    """When a running server was last known up (None: never, on this database)."""
    with db.read() as session:
        row = session.get(HeartbeatRow, SERVER)
        return row.at if row is not None else None


def heartbeat(db: Database, at: datetime | None = None) -> None:
    """Record that the server is up at ``at`` (default: now)."""
    presence.beat(db, SERVER, at or wall_clock())


class Schedule:
    def __init__(self, exercises: ExerciseService, tick: float = TICK, rescan: float = RESCAN,
                 pause_after: float = PAUSE_AFTER):
        """``pause_after``: seconds the server may be down before running clocks are paused as of its going
        down (the ``CLOCK_PAUSE_AFTER_DOWN`` setting)."""
        self.exercises = exercises
        self.tick_seconds = tick
        self.rescan_seconds = rescan
        self.pause_after = float(pause_after)
        self._beaten_at = float("-inf")
        self._beating_since: float | None = None  # since when every beat succeeded (None: the last one failed)
        self._failing: str | None = None  # the last tick's failure, logged once until it changes
        self._watched: set[str] = set()
        self._scanned_at = float("-inf")
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Note how long the server was down (``recover``), then beat and tick in a daemon thread until ``stop``."""
        if self._thread is None:
            try:
                self.recover()
            except Exception:  # the server still starts; the log says why the clocks were not looked at
                log.exception("noting the time the server was down failed")
            self._beat()
            self._thread = threading.Thread(target=self._run, name="schedule", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._beat()  # a clean stop: the next start measures from now
            try:  # this process's connections end with it
                presence.take_away(self.exercises, self.exercises.server)
            except Exception:
                log.exception("taking this process's connections away failed")

    def recover(self, at: datetime | None = None) -> int:
        """Have every running exercise note the time since the last heartbeat, as of ``at`` (default: now), on
        which the engine decides (``NoteRestart``); returns how many events that made. Runs before the first
        tick, so the clocks stand as they should before anything due is fired."""
        since = last_heartbeat(self.exercises.db)
        if since is None:  # a new database: no server ran on it
            return 0
        others = [s for s in presence.alive(self.exercises.db, at or wall_clock()) if s != self.exercises.server]
        if others:  # another server process is up: the server was not down
            return 0
        made = 0
        for exercise_id in sorted(self._running_exercises()):
            try:
                state = self.exercises.state(exercise_id)
                if state.ended or not state.clock.running:  # archived, or its clock stood still
                    continue
                made += len(self.exercises.execute(exercise_id, NoteRestart(since, self.pause_after),
                                                   SCHEDULE_ACTOR, at=at or wall_clock()).events)
            except RuleError as exc:
                log.warning("exercise %s: the time the server was down was not noted: %s", exercise_id, exc)
        if made:
            log.warning("the server was down since %s; %d event(s) noted it", since.isoformat(), made)
        return made

    def _beat(self) -> None:
        try:
            at = wall_clock()
            heartbeat(self.exercises.db, at)
            presence.beat(self.exercises.db, self.exercises.server, at)
            self._beaten_at = time.monotonic()
        except Exception as exc:  # a missed beat dates an outage a little early; it must not stop the schedule
            if self._beating_since is not None:
                log.error("heartbeat failed: %s", exc)
            self._beating_since = None
            return
        if self._beating_since is None:
            self._beating_since = time.monotonic()
        # After the database was out of reach (for every process alike), the others need as long to beat again
        # as this one waits before taking any of them for stopped.
        if time.monotonic() - self._beating_since < presence.DEAD_AFTER:
            return
        try:
            for server in presence.stopped(self.exercises.db, at):
                if server != self.exercises.server:
                    log.warning("server process %s stopped beating: its connections are taken away", server)
                    presence.take_away(self.exercises, server)
        except Exception:
            log.exception("looking for stopped server processes failed")

    def _run(self) -> None:
        while not self._stop.is_set():
            if time.monotonic() - self._beaten_at >= HEARTBEAT:
                self._beat()
            try:
                self.tick()
                self._failing = None
            except Exception as exc:  # a bad tick must not end the schedule; the same failure is logged once
                if repr(exc) != self._failing:
                    log.exception("schedule tick failed")
                self._failing = repr(exc)
            self._stop.wait(min(self.tick_seconds, HEARTBEAT))

    def tick(self, at: datetime | None = None) -> int:
        """Fire (or flag) what is due at ``at`` (default: now) in every running exercise; returns how many
        events that made."""
        if time.monotonic() - self._scanned_at >= self.rescan_seconds:
            self._watched = self._running_exercises()
            self._scanned_at = time.monotonic()
        made = 0
        held = self._watched | self.exercises.loaded()
        states = self.exercises.states(held)  # caught up, and published, from the log where another wrote
        self._watched -= held - states.keys()  # deleted meanwhile
        for exercise_id, state in states.items():
            if state.ended:
                self._watched.discard(exercise_id)
                continue
            when = at or wall_clock()
            if not any(state.injects.automatic or not row.due for row, _ in due(state, when)):
                continue
            try:
                made += len(self.exercises.execute(exercise_id, FireDueInjects(), SCHEDULE_ACTOR, at=at).events)
            except RuleError as exc:  # e.g. another process appended meanwhile: look again next tick
                log.info("schedule: exercise %s: %s", exercise_id, exc)
        return made

    def _running_exercises(self) -> set[str]:
        """Exercises whose first phase has opened and that have not ended (from the log)."""
        with self.exercises.db.read() as session:
            started = set(session.scalars(select(EventRow.exercise_id).distinct()
                                          .where(EventRow.type == "phase_advanced")))
            ended = set(session.scalars(select(EventRow.exercise_id).distinct()
                                        .where(EventRow.type == "exercise_ended")))
        return started - ended
