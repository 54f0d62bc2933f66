"""The schedule: a background task that fires the event list's due rows (or flags them, in "ask me" mode),
and follows the log of every exercise this process holds, so that what a command-line run appended (an
event list imported, a link re-issued) reaches the connected consoles within a tick.

What is due is the engine's rule (``engine.injects.due``); this only looks at the clock. Each tick asks,
for every exercise whose phase clock runs, whether something is due; if so it runs ``fire_due_injects``,
which the engine decides inside the write transaction on the state caught up from the log. So a row is
fired once however many server processes tick (each sees what the others appended, and the log refuses a
stale append), and a server restarted after a row's time fires it on its first tick, marked late.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import datetime

from sqlalchemy import select

from facilitator.engine import FireDueInjects, RuleError, due
from facilitator.engine.audience import SCHEDULE_ACTOR
from facilitator.persistence.models import EventRow

from .exercises import ExerciseService, now as wall_clock

log = logging.getLogger(__name__)

TICK = 1.0  # seconds between looks at the clock
RESCAN = 30.0  # seconds between looks at the database for exercises another process started


class Schedule:
    def __init__(self, exercises: ExerciseService, tick: float = TICK, rescan: float = RESCAN):
        self.exercises = exercises
        self.tick_seconds = tick
        self.rescan_seconds = rescan
        self._watched: set[str] = set()
        self._scanned_at = float("-inf")
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Tick in a daemon thread until ``stop``."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="schedule", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.tick()
            except Exception:  # a bad tick must not end the schedule
                log.exception("schedule tick failed")
            self._stop.wait(self.tick_seconds)

    def tick(self, at: datetime | None = None) -> int:
        """Fire (or flag) what is due at ``at`` (default: now) in every running exercise; returns how many
        events that made."""
        if time.monotonic() - self._scanned_at >= self.rescan_seconds:
            self._watched = self._running_exercises()
            self._scanned_at = time.monotonic()
        made = 0
        for exercise_id in sorted(self._watched | self.exercises.loaded()):
            try:
                state = self.exercises.state(exercise_id)  # caught up, and published, from the log
            except RuleError:  # deleted meanwhile
                self._watched.discard(exercise_id)
                continue
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
