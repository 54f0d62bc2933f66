"""The clock across a server outage: time the server was down is not silently taken from the phase.

The rule (engine): a server that starts notes, in every exercise whose phase clock ran, how long it was down.
Longer than the threshold, the clock is paused as of the going down; shorter, the countdown ran on and exercise
control may give the seconds back. Either way the time down is not played time, so the event list's rows do
not come due early. The service tests move the recorded heartbeat back instead of waiting, then start the
schedule as ``facilitator serve`` does; the process test stops and restarts a real server.
"""

from __future__ import annotations

import time
from datetime import timedelta

from sqlalchemy import select

from facilitator.engine import AdvancePhase, EndExercise, PauseClock, ResumeClock, view_state, visible_to
from facilitator.engine.audience import UMPIRE_ACTOR
from facilitator.engine.clock import GiveBackTime, NoteRestart, seconds_words
from facilitator.engine.injects import AddInject, InjectRow
from facilitator.persistence.models import EventRow, HeartbeatRow
from facilitator.services.exercises import ExerciseService, now
from facilitator.services.schedule import Schedule, heartbeat, last_heartbeat

from .test_engine import A, OBSERVER, T0, UMPIRE, Game, mini_deck, one
from .test_schedule import Server, firings, shift_log, wait_until

S = timedelta(seconds=1)


def running(seconds_in: float = 60) -> Game:
    """The first phase (10 minutes) opened at T0; the game's time ``seconds_in`` later."""
    game = Game(mini_deck())
    game.run(AdvancePhase(), UMPIRE, now=T0)
    game.now = T0 + seconds_in * S
    return game


# ---- the rule ------------------------------------------------------------------------------------------

def test_down_longer_than_the_threshold_the_clock_is_paused_as_of_the_going_down():
    game = running()
    down = T0 + 100 * S  # 500 s left then, 100 s played
    events = game.run(NoteRestart(down, pause_after=30), UMPIRE, now=down + 45 * S)
    restarted, noted = one(events, "server_restarted"), one(events, "outage_noted")
    assert restarted.data == {"paused": True, "remaining": 500.0, "played": 100.0}
    assert noted.data == {"seconds": 45.0, "pause_after": 30, "paused": True, "lost": 0}
    assert restarted.actor is None and noted.actor is None  # recorded by the server, not by anyone
    assert [visible_to(restarted, who) for who in (A, OBSERVER, UMPIRE)] == [True, True, True]
    assert [visible_to(noted, who) for who in (A, OBSERVER, UMPIRE)] == [False, False, True]
    clock = game.state.clock
    assert not clock.running and clock.remaining_at(down + 600 * S) == 500 and clock.played == 100
    assert view_state(game.state, UMPIRE)["outage"] == {"seconds": 45.0, "paused": True, "lost": 0,
                                                        "seq": noted.seq}
    assert "outage" not in view_state(game.state, A) or view_state(game.state, A)["outage"] is None
    assert view_state(game.state, A)["exercise"]["clock"]["running"] is False
    assert restarted.payload.describe(game.deck).title == "The server was restarted"
    game.refused(GiveBackTime(), UMPIRE, "conflict")  # nothing was lost: the clock stopped then
    game.run(ResumeClock(), UMPIRE, now=down + 60 * S)
    assert game.state.clock.outage is None  # resumed: nothing left to say
    assert game.state.clock.remaining_at(down + 70 * S) == 490


def test_down_for_less_the_countdown_ran_on_and_the_seconds_can_be_given_back():
    game = running()
    down = T0 + 100 * S
    events = game.run(NoteRestart(down, pause_after=30), UMPIRE, now=down + 12.6 * S)
    restarted, noted = one(events, "server_restarted"), one(events, "outage_noted")
    assert restarted.data == {"paused": False, "remaining": 487.4, "played": 100.0}
    assert (noted.data["seconds"], noted.data["paused"], noted.data["lost"]) == (12.6, False, 12.6)
    clock = game.state.clock
    assert clock.running and clock.remaining_at(down + 12.6 * S) == 487.4
    assert clock.played_at(down + 22.6 * S) == 110  # the time down is not played time
    assert view_state(game.state, UMPIRE)["outage"]["lost"] == 12.6
    game.refused(GiveBackTime(), A, "forbidden")
    [given] = game.run(GiveBackTime(), UMPIRE, now=down + 20 * S)
    assert given.data == {"seconds": 12.6, "remaining": 492.6} and given.actor == UMPIRE  # 480 left + 12.6
    assert visible_to(given, A)
    assert given.payload.describe(game.deck).title == "Clock given back 12.6 s"
    assert game.state.clock.outage is None
    game.refused(GiveBackTime(), UMPIRE, "conflict")  # once


def test_the_threshold_is_a_longest_time_down_that_keeps_the_clock_running():
    for seconds, paused in ((30, False), (30.1, True)):
        game = running()
        events = game.run(NoteRestart(T0 + 100 * S, pause_after=30), UMPIRE, now=T0 + (100 + seconds) * S)
        assert one(events, "server_restarted").data["paused"] is paused


def test_a_clock_that_stood_still_while_down_notes_nothing():
    game = Game(mini_deck())
    assert game.run(NoteRestart(T0, 30), UMPIRE, now=T0 + 60 * S) == []  # not started
    game.run(AdvancePhase(), UMPIRE, now=T0)
    game.run(PauseClock(), UMPIRE, now=T0 + 10 * S)
    assert game.run(NoteRestart(T0 + 20 * S, 30), UMPIRE, now=T0 + 300 * S) == []  # paused
    game.run(ResumeClock(), UMPIRE, now=T0 + 300 * S)
    game.run(EndExercise(), UMPIRE, now=T0 + 310 * S)
    game.refused(NoteRestart(T0 + 310 * S, 30), UMPIRE, "ended")  # the server starts no ended exercise


def test_a_clock_started_after_the_last_heartbeat_is_counted_from_its_start():
    game = running()
    game.run(PauseClock(), UMPIRE, now=T0 + 50 * S)
    game.run(ResumeClock(), UMPIRE, now=T0 + 90 * S)  # after the last heartbeat at T0 + 80 s
    [restarted, noted] = game.run(NoteRestart(T0 + 80 * S, 30), UMPIRE, now=T0 + 110 * S)
    assert noted.data["seconds"] == 20 and not noted.data["paused"]


def test_a_countdown_that_ran_out_while_down_loses_only_what_it_had():
    game = running()
    down = T0 + 590 * S  # 10 s left
    [restarted, noted] = game.run(NoteRestart(down, 30), UMPIRE, now=down + 25 * S)
    assert restarted.data["remaining"] == 0 and noted.data["lost"] == 10
    [given] = game.run(GiveBackTime(), UMPIRE, now=down + 30 * S)
    assert given.data["remaining"] == 10


def test_a_countdown_already_out_leaves_nothing_to_give_back():
    game = running()
    [_, noted] = game.run(NoteRestart(T0 + 700 * S, 30), UMPIRE, now=T0 + 710 * S)
    assert noted.data["lost"] == 0 and game.state.clock.outage is None  # told in the log; no notice


def test_time_not_given_back_adds_up_until_the_phase_changes():
    game = running()
    game.run(NoteRestart(T0 + 100 * S, 30), UMPIRE, now=T0 + 110 * S)
    [_, noted] = game.run(NoteRestart(T0 + 200 * S, 30), UMPIRE, now=T0 + 205 * S)
    assert noted.data["lost"] == 15
    [_, noted] = game.run(NoteRestart(T0 + 300 * S, 30), UMPIRE, now=T0 + 400 * S)  # long: paused, 15 s still owed
    assert noted.data["paused"] and noted.data["lost"] == 15
    game.run(ResumeClock(), UMPIRE, now=T0 + 410 * S)
    assert view_state(game.state, UMPIRE)["outage"]["lost"] == 15  # resumed, still owed
    game.run(AdvancePhase(), UMPIRE, now=T0 + 420 * S)
    assert game.state.clock.outage is None and "outage" not in {k for k, v in view_state(game.state, UMPIRE).items()
                                                                 if v is not None}


def test_seconds_in_words():
    assert [seconds_words(s) for s in (12.6, 45.0, 60, 125)] == ["12.6 s", "45 s", "1 min", "2 min 5 s"]


# ---- the server: an outage simulated on the database ----------------------------------------------------

ROW = InjectRow("At minute two", "Minute two of play.", phase=None, minute=2)


def exercise_with_row(exercises: ExerciseService, opened) -> str:
    """A demo exercise whose first phase opened at ``opened``, with a row at minute 2 of play."""
    exercise_id = exercises.create("demo").id
    exercises.execute(exercise_id, AdvancePhase(), UMPIRE_ACTOR, at=opened)
    exercises.execute(exercise_id, AddInject(ROW), UMPIRE_ACTOR, at=opened)
    return exercise_id


def row_id(exercises: ExerciseService, exercise_id: str) -> str:
    return next(r.id for r in exercises.state(exercise_id).injects.rows if r.title == ROW.title)


def restarted(exercises: ExerciseService, pause_after: float = 30) -> Schedule:
    """A fresh service on the same database (the new process), its schedule started as ``serve`` starts it."""
    schedule = Schedule(ExerciseService(exercises.db, exercises.catalog), tick=0.05, pause_after=pause_after)
    schedule.start()
    return schedule


def test_a_long_outage_pauses_the_clock_before_the_schedule_catches_up(exercises):
    start = now()
    opened = start - timedelta(seconds=160)  # 100 s of play when the server went down, 20 s before the row
    exercise_id = exercise_with_row(exercises, opened)
    row = row_id(exercises, exercise_id)
    heartbeat(exercises.db, start - timedelta(seconds=60))  # the last beat of the server, a minute ago
    schedule = restarted(exercises)
    try:
        time.sleep(0.3)  # a few ticks
        state = schedule.exercises.state(exercise_id)
        assert not state.clock.running and 99 < state.clock.played < 101
        assert row not in firings(exercises, exercise_id)  # 160 s on the wall clock, 100 s of play
        assert last_heartbeat(exercises.db) >= start  # the new server beats
    finally:
        schedule.stop()
    types = [e.type for e in exercises.events(exercise_id, UMPIRE_ACTOR)][-2:]
    assert types == ["server_restarted", "outage_noted"]
    noted = exercises.events(exercise_id, UMPIRE_ACTOR)[-1]
    assert 59 < noted.data["seconds"] <= 60 + (now() - start).total_seconds() and noted.data["paused"]


def test_a_short_outage_keeps_the_clock_running_and_the_row_waits_for_its_minute_of_play(exercises):
    start = now()
    opened = start - timedelta(seconds=115)  # 105 s of play when the server went down, 10 s ago
    exercise_id = exercise_with_row(exercises, opened)
    row = row_id(exercises, exercise_id)
    heartbeat(exercises.db, start - timedelta(seconds=10))
    schedule = restarted(exercises)
    try:
        time.sleep(0.3)
        state = schedule.exercises.state(exercise_id)
        assert state.clock.running and state.clock.outage is not None
        # seconds of the phase to give back: the 10 s down, and however long a busy machine took to restart
        assert 9.9 < state.clock.outage.lost <= 10 + (now() - start).total_seconds()
        assert row not in firings(exercises, exercise_id)  # 115 s on the wall clock, 105 s of play
        lost = state.clock.outage.lost
        before = state.clock.remaining_at(now())
        given = schedule.exercises.execute(exercise_id, GiveBackTime(), UMPIRE_ACTOR).events[0]
        assert given.data["seconds"] == lost and abs(given.data["remaining"] - (before + lost)) < 1
        played = state.clock.played_at(now())  # giving back the countdown leaves played time as it was
        assert 105 < played < 106 + (now() - start).total_seconds()
        schedule.tick(now() + timedelta(seconds=120 - played - 1))
        assert row not in firings(exercises, exercise_id)
        schedule.tick(now() + timedelta(seconds=120 - played + 1))
        assert [f["late"] for f in firings(exercises, exercise_id)[row]] == [None]  # on its minute, not late
    finally:
        schedule.stop()


def test_a_paused_clock_and_a_first_start_note_nothing(exercises):
    start = now()
    paused = exercise_with_row(exercises, start - timedelta(minutes=5))
    exercises.execute(paused, PauseClock(), UMPIRE_ACTOR, at=start - timedelta(minutes=4))
    before = exercises.state(paused).seq
    schedule = Schedule(exercises)
    assert schedule.recover() == 0  # a database no server ran on: no heartbeat, nothing to measure
    heartbeat(exercises.db, start - timedelta(minutes=3))
    assert schedule.recover() == 0  # down three minutes, the clock paused all along
    assert exercises.state(paused).seq == before


def test_a_real_server_stopped_and_restarted_a_minute_later(tmp_path, app, exercises):
    """``facilitator serve`` killed, its log and heartbeat moved a minute back (as if it stayed down), started
    again: the clock is paused as of its last beat, and the row due in the minute is not fired."""
    url = app.config["DATABASE_URL"]
    exercise_id = exercise_with_row(exercises, now() - timedelta(seconds=90))  # the row in 30 s of play
    row = row_id(exercises, exercise_id)
    first = Server(tmp_path, url)
    wait_until(lambda: last_heartbeat(exercises.db))
    first.kill()
    beat = last_heartbeat(exercises.db)
    shift_log(exercises, exercise_id, timedelta(seconds=60))
    with exercises.db.write() as session:  # every beat, the server's and its process's (services/presence.py)
        for row in session.scalars(select(HeartbeatRow)):
            row.at = row.at - timedelta(seconds=60)
    assert last_heartbeat(exercises.db) == beat - timedelta(seconds=60)
    second = Server(tmp_path, url)
    try:
        time.sleep(1.5)  # a tick or more after the start
        with exercises.db.read() as session:
            types = session.scalars(select(EventRow.type).where(EventRow.exercise_id == exercise_id)
                                    .order_by(EventRow.seq)).all()
    finally:
        second.kill()
    assert "server_restarted" in types and "outage_noted" in types
    assert row not in firings(exercises, exercise_id)
    state = ExerciseService(exercises.db, exercises.catalog).state(exercise_id)
    assert not state.clock.running and 89 < state.clock.played < 100
