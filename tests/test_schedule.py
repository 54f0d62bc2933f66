"""The schedule fires event-list rows by itself: at their played-time minute, once, however many server
processes run and across a restart (what fell due while the server was down fires on start, marked late).

The in-process tests tick the schedule at chosen times; the process tests run real ``facilitator serve``
processes on one SQLite file and move the log's clock back instead of waiting minutes.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from datetime import timedelta

import pytest
from sqlalchemy import select

from facilitator.engine import AdvancePhase, PauseClock, ResumeClock
from facilitator.engine.audience import UMPIRE_ACTOR
from facilitator.engine.injects import InjectRow, AddInject, SetFiring
from facilitator.persistence.models import EventRow
from facilitator.services import ExerciseService
from facilitator.services.exercises import now
from facilitator.services.schedule import Schedule, last_heartbeat

from .conftest import ROOT, free_port

ROW = InjectRow("Minute five", "It is minute five of the briefing.", phase="briefing", minute=5)


def firings(exercises: ExerciseService, exercise_id: str) -> dict[str, list[dict]]:
    """Row id -> the data of each ``inject_fired`` for it, from the log."""
    with exercises.db.read() as session:
        rows = session.execute(select(EventRow.data).where(EventRow.exercise_id == exercise_id,
                                                           EventRow.type == "inject_fired")).scalars().all()
    found: dict[str, list[dict]] = {}
    for data in rows:
        found.setdefault(data["row"], []).append(data)
    return found


def started(exercises: ExerciseService, minutes_ago: float) -> str:
    """A demo exercise whose first phase opened ``minutes_ago``, with a row at minute 5 (``row-N``)."""
    exercise_id = exercises.create("demo").id
    opened = now() - timedelta(minutes=minutes_ago)
    exercises.execute(exercise_id, AdvancePhase(), UMPIRE_ACTOR, at=opened)
    exercises.execute(exercise_id, AddInject(ROW), UMPIRE_ACTOR, at=opened)
    return exercise_id


def added_row(exercises: ExerciseService, exercise_id: str) -> str:
    return next(r.id for r in exercises.state(exercise_id).injects.rows if r.title == ROW.title)


# ---- in one process ----------------------------------------------------------------------------------

def test_the_schedule_fires_at_the_minute_of_play_and_not_while_paused(exercises):
    exercise_id = started(exercises, minutes_ago=0)
    opened = exercises.state(exercise_id).clock.since
    schedule = Schedule(exercises)
    row_id = added_row(exercises, exercise_id)
    schedule.tick(opened + timedelta(minutes=4, seconds=59))
    assert row_id not in firings(exercises, exercise_id)
    exercises.execute(exercise_id, PauseClock(), UMPIRE_ACTOR, at=opened + timedelta(minutes=4))
    assert schedule.tick(opened + timedelta(minutes=30)) == 0  # paused: 26 minutes pass, nothing fires
    resumed = opened + timedelta(minutes=30)
    exercises.execute(exercise_id, ResumeClock(), UMPIRE_ACTOR, at=resumed)
    schedule.tick(resumed + timedelta(seconds=59))
    assert row_id not in firings(exercises, exercise_id)
    schedule.tick(resumed + timedelta(minutes=1))
    assert [f["late"] for f in firings(exercises, exercise_id)[row_id]] == [None]
    schedule.tick(resumed + timedelta(minutes=2))
    assert len(firings(exercises, exercise_id)[row_id]) == 1


def test_in_ask_me_mode_the_schedule_flags_and_the_umpire_fires(exercises):
    exercise_id = started(exercises, minutes_ago=0)
    exercises.execute(exercise_id, SetFiring(False), UMPIRE_ACTOR)
    opened = exercises.state(exercise_id).clock.since
    Schedule(exercises).tick(opened + timedelta(minutes=6))
    row_id = added_row(exercises, exercise_id)
    assert row_id not in firings(exercises, exercise_id)
    assert exercises.state(exercise_id).injects.row(row_id).due


def test_two_schedules_on_one_database_fire_each_row_once(app, exercises):
    """Two services, each with its own cache, as two processes would have, tick at the same moment."""
    exercise_id = started(exercises, minutes_ago=0)
    other = ExerciseService(exercises.db, exercises.catalog, code_key=exercises.code_key)
    other.state(exercise_id)  # both hold the exercise in memory
    at = exercises.state(exercise_id).clock.since + timedelta(minutes=6)
    barrier = threading.Barrier(2)

    def tick(service):
        barrier.wait()
        Schedule(service).tick(at)

    threads = [threading.Thread(target=tick, args=(s,)) for s in (exercises, other)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    fired = firings(exercises, exercise_id)
    assert fired and all(len(f) == 1 for f in fired.values()), fired
    assert added_row(exercises, exercise_id) in fired


def test_a_tick_publishes_what_another_process_appended_and_reads_no_other_log(exercises):
    """What a command-line run (another service on the database) appends reaches this process's connections at
    the next tick; the exercises nobody else touched are not read again (one look at every last seq)."""
    from sqlalchemy import event

    from facilitator.engine import PostMessage

    held = [started(exercises, minutes_ago=0) for _ in range(12)]
    moved = held[5]
    other = ExerciseService(exercises.db, exercises.catalog, code_key=exercises.code_key)
    published = []
    exercises.subscribe(lambda exercise_id, payloads: published.append((exercise_id, payloads)))
    schedule = Schedule(exercises)
    schedule.tick()  # what the deck's event list holds at minute 0 fires
    published.clear()
    schedule.tick()
    assert published == []
    other.execute(moved, PostMessage(channel="plenary", text="Posted from elsewhere"), UMPIRE_ACTOR)

    statements = []
    listener = lambda conn, cursor, statement, *rest: statements.append(statement)  # noqa: E731
    event.listen(exercises.db.engine, "before_cursor_execute", listener)
    try:
        schedule.tick()
    finally:
        event.remove(exercises.db.engine, "before_cursor_execute", listener)
    assert [exercise_id for exercise_id, _ in published] == [moved]
    assert "Posted from elsewhere" in str(published[0][1]["umpire"]["events"])
    reads_of_the_log = [s for s in statements if "FROM events" in s]
    assert len(reads_of_the_log) == 1, statements  # the moved exercise's only
    assert exercises.state(moved).seq == other.state(moved).seq


# ---- real server processes ---------------------------------------------------------------------------

class Server:
    """``facilitator serve`` in its own process, on the test's database."""

    def __init__(self, tmp_path, url: str):
        self.port = free_port()
        env = {**os.environ, "DATABASE_URL": url, "FACILITATOR_INSTANCE": str(tmp_path / "instance"),
               "PYTHONPATH": str(ROOT)}
        self.process = subprocess.Popen([sys.executable, "-c", "from facilitator.cli import main; main()", "serve",
                                         "--port", str(self.port)], env=env, cwd=ROOT,
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{self.port}/api/scenarios", timeout=1).close()
                return
            except OSError:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    self.kill()
                    raise RuntimeError("the server did not start")
                time.sleep(0.1)

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)


def wait_until(predicate, timeout: float = 20.0, every: float = 0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = predicate()
        if found:
            return found
        time.sleep(every)
    raise AssertionError("timed out")


def ticked(exercises: ExerciseService) -> None:
    """Wait until the one running server's schedule has ticked at least twice since it started (instead of a
    fixed sleep). Its loop beats (every ``HEARTBEAT`` seconds) before that moment's tick, and once more as it
    starts: the next beat after the one read now comes after two ticks at least."""
    seen = last_heartbeat(exercises.db)
    assert seen is not None, "the server beats as it starts"
    wait_until(lambda: last_heartbeat(exercises.db) > seen, every=0.05)


def shift_log(exercises: ExerciseService, exercise_id: str, delta: timedelta) -> None:
    """Move every event of the exercise ``delta`` into the past: as if that much time had gone by."""
    with exercises.db.write() as session:
        for row in session.scalars(select(EventRow).where(EventRow.exercise_id == exercise_id)):
            row.at = row.at - delta


@pytest.fixture
def database(app, exercises):
    return app.config["DATABASE_URL"], exercises


def test_two_server_processes_fire_a_due_row_once(tmp_path, database):
    url, exercises = database
    exercise_id = started(exercises, minutes_ago=5 - 2 / 60)  # its minute comes in 2 seconds
    servers = [Server(tmp_path, url), Server(tmp_path, url)]
    try:
        row_id = added_row(exercises, exercise_id)
        wait_until(lambda: row_id in firings(exercises, exercise_id))
        time.sleep(2.5)  # both keep ticking
    finally:
        for server in servers:
            server.kill()
    fired = firings(exercises, exercise_id)
    assert all(len(f) == 1 for f in fired.values()), {k: len(v) for k, v in fired.items()}


def test_a_row_that_fell_due_while_the_server_was_down_fires_once_on_restart_marked_late(tmp_path, database):
    url, exercises = database
    exercise_id = started(exercises, minutes_ago=3)  # its minute is two minutes away
    row_id = added_row(exercises, exercise_id)
    first = Server(tmp_path, url)
    ticked(exercises)  # a few ticks: not due yet
    first.kill()  # killed before its time
    assert row_id not in firings(exercises, exercise_id)
    shift_log(exercises, exercise_id, timedelta(minutes=3, seconds=30))  # the server stays down past the minute
    second = Server(tmp_path, url)
    try:
        fired = wait_until(lambda: firings(exercises, exercise_id).get(row_id), every=0.05)
    finally:
        second.kill()
    assert [f["late"] for f in fired] == [1]
    third = Server(tmp_path, url)  # and once more: nothing fires twice
    ticked(exercises)
    third.kill()
    assert len(firings(exercises, exercise_id)[row_id]) == 1


def test_a_row_fired_by_the_schedule_reaches_its_audience_live(live_server, app, exercises):
    """The schedule's thread publishes like any command: connected players get the inject at once."""
    from .realtime_helpers import Table

    t = Table(live_server.url, exercises, delegations=("ukraine", "russia")).connect_all()
    try:
        t.umpire.ok("advance_phase")
        t.umpire.ok("add_inject", inject={"title": "On the minute", "text": "Now.", "audience": "delegations",
                                          "to": ["ukraine"], "phase": "briefing", "minute": 0})
        schedule = app.extensions["facilitator"].schedule
        schedule.tick_seconds = 0.2
        schedule.start()
        fired = t["ukraine"].wait_event("inject_fired", title="On the minute")
        assert fired["actor"]["name"] == "Schedule"
        t.settle()
        assert not [e for e in t["russia"].of_type("inject_fired") if e["data"]["title"] == "On the minute"]
    finally:
        app.extensions["facilitator"].schedule.stop()
        t.close()


def test_the_schedule_lets_go_of_ended_and_deleted_exercises(exercises):
    ended = started(exercises, minutes_ago=0)
    deleted = started(exercises, minutes_ago=0)
    schedule = Schedule(exercises)
    schedule.tick()
    assert {ended, deleted} <= schedule._watched
    from facilitator.engine import EndExercise
    exercises.execute(ended, EndExercise(), UMPIRE_ACTOR)
    exercises.delete(deleted, UMPIRE_ACTOR)
    assert schedule.tick() == 0  # no error for the deleted one, nothing for the ended one
    assert not {ended, deleted} & schedule._watched
