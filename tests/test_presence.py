"""Who is connected when several server processes serve one database: each process counts its own
connections, and one that stops (cleanly or not) takes away only its own, never another's.

Two apps on one database stand for two processes (``services/presence.py``)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from facilitator import create_app
from facilitator.engine.audience import UMPIRE_ACTOR
from facilitator.services import presence
from facilitator.services.exercises import now


@pytest.fixture
def second(app):
    """Another process on the app's database."""
    other = create_app({"TESTING": True, "DATABASE_URL": app.config["DATABASE_URL"]})
    yield other.extensions["facilitator"]
    other.extensions["facilitator"].db.dispose()


def _presence(exercises, exercise_id, participant):
    return exercises.state(exercise_id).presence.of(participant)


def _seat(exercises):
    created = exercises.create("demo")
    identity, _ = exercises.join(created.join_codes["ukraine"], "Olena")
    return created.id, identity


def test_a_process_that_stops_beating_loses_only_its_own_connections(exercises, second):
    exercise_id, olena = _seat(exercises)
    exercises.mark_presence(olena, True)  # her laptop, on this process
    second.exercises.mark_presence(olena, True)  # her phone, on the other
    second.exercises.mark_presence(olena, True)  # and a second tab there
    assert _presence(exercises, exercise_id, olena.actor.participant) == 3

    at = now()
    presence.beat(exercises.db, exercises.server, at)
    presence.beat(exercises.db, second.exercises.server, at - timedelta(seconds=presence.DEAD_AFTER + 1))
    assert presence.stopped(exercises.db, at) == [second.exercises.server]
    assert presence.take_away(exercises, second.exercises.server) == 1

    assert _presence(exercises, exercise_id, olena.actor.participant) == 1  # the laptop is still there
    [closed] = [e for e in exercises.events(exercise_id, UMPIRE_ACTOR) if e.type.startswith("participant_conn")][-1:]
    assert closed.type == "participant_connection_closed" and closed.data["connections"] == 1
    assert presence.stopped(exercises.db, at) == []
    exercises.mark_presence(olena, False)  # the laptop closes
    assert _presence(exercises, exercise_id, olena.actor.participant) == 0


def test_a_live_process_is_never_taken_for_stopped(exercises, second):
    exercise_id, olena = _seat(exercises)
    second.exercises.mark_presence(olena, True)
    at = now()
    presence.beat(exercises.db, second.exercises.server, at - timedelta(seconds=presence.DEAD_AFTER - 3))
    assert presence.stopped(exercises.db, at) == []
    assert second.exercises.server in presence.alive(exercises.db, at)


def test_two_processes_taking_a_stopped_one_away_at_once_take_it_away_once(exercises, second, app):
    exercise_id, olena = _seat(exercises)
    third = create_app({"TESTING": True, "DATABASE_URL": app.config["DATABASE_URL"]}).extensions["facilitator"]
    try:
        third.exercises.mark_presence(olena, True)
        exercises.mark_presence(olena, True)
        before = len(exercises.events(exercise_id, UMPIRE_ACTOR))
        made = presence.take_away(exercises, third.exercises.server) + \
            presence.take_away(second.exercises, third.exercises.server)
        assert made == 1
        assert len(exercises.events(exercise_id, UMPIRE_ACTOR)) == before + 1
        assert _presence(second.exercises, exercise_id, olena.actor.participant) == 1
    finally:
        third.db.dispose()


def test_a_clean_stop_takes_away_the_connections_of_that_process_only(app, exercises, second):
    exercise_id, olena = _seat(exercises)
    exercises.mark_presence(olena, True)
    presence.beat(exercises.db, exercises.server, now())  # this process is up
    second.exercises.mark_presence(olena, True)
    second.schedule.start()
    second.schedule.stop()  # a clean stop of the other process
    assert _presence(exercises, exercise_id, olena.actor.participant) == 1


def test_a_sqlite_server_starting_clears_everyone_a_postgresql_one_only_the_stopped(app, exercises, second):
    exercise_id, olena = _seat(exercises)
    second.exercises.mark_presence(olena, True)
    presence.beat(exercises.db, second.exercises.server, now())  # the other process beats
    from facilitator.serving import running

    with running(app, "127.0.0.1:5000"):
        if exercises.db.is_sqlite:  # served by one process: nothing survived the last one
            assert _presence(exercises, exercise_id, olena.actor.participant) == 0
        else:  # the other process is alive: its participant stays connected
            assert _presence(exercises, exercise_id, olena.actor.participant) == 1


def test_a_connection_closing_after_its_process_was_taken_away_is_not_counted_out_twice(exercises, second):
    """A process taken for stopped (or stopping) whose connections then close one by one: the log counted
    them out already, and the participant's connections on other processes stay counted."""
    exercise_id, olena = _seat(exercises)
    second.exercises.mark_presence(olena, True)  # the laptop, on the process that stops
    exercises.mark_presence(olena, True)  # the phone
    presence.take_away(exercises, second.exercises.server)
    assert _presence(exercises, exercise_id, olena.actor.participant) == 1
    second.exercises.mark_presence(olena, False)  # the laptop's connection closes late
    assert _presence(exercises, exercise_id, olena.actor.participant) == 1  # the phone is still counted


def test_a_process_restarted_on_its_address_takes_its_predecessors_connections_away_at_once(app, exercises, second):
    """A process that died and was started again at once (within the 15 s a dead process still looks alive)
    knows what its predecessor on the same address left as its own: its participants are not shown connected."""
    from facilitator.serving import running

    exercise_id, olena = _seat(exercises)
    second.exercises.server = presence.server_id("127.0.0.1:5000")
    second.exercises.mark_presence(olena, True)  # then it is killed: nothing taken away
    presence.beat(exercises.db, second.exercises.server, now())
    with running(app, "127.0.0.1:5000"):
        assert exercises.server == second.exercises.server
        assert _presence(exercises, exercise_id, olena.actor.participant) == 0
    assert presence.server_id("127.0.0.1:5000") != presence.server_id("127.0.0.1:5001")


def test_after_the_database_was_out_of_reach_no_process_is_taken_for_stopped_at_once(exercises, second):
    """PostgreSQL down for longer than 15 s: no process could beat. The first to beat again must not take the
    others for stopped before they had as long to beat again."""
    from datetime import timedelta as td

    exercise_id, olena = _seat(exercises)
    second.exercises.mark_presence(olena, True)
    presence.beat(exercises.db, second.exercises.server, now() - td(seconds=presence.DEAD_AFTER + 5))
    schedule = type(second.schedule)(exercises)
    schedule._beat()  # the first beat after the outage: nobody is taken away yet
    assert _presence(exercises, exercise_id, olena.actor.participant) == 1
    schedule._beating_since -= presence.DEAD_AFTER  # 15 s of beats later, the other still silent
    schedule._beat()
    assert _presence(exercises, exercise_id, olena.actor.participant) == 0


def test_processes_starting_together_all_read_one_instructor_key(tmp_path):
    import threading

    from facilitator.instance import instructor_key

    keys, errors = [], []

    def start():
        try:
            keys.append(instructor_key(tmp_path / "instance"))
        except Exception as exc:  # pragma: no cover - the failure this test is about
            errors.append(exc)

    threads = [threading.Thread(target=start) for _ in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and len(set(keys)) == 1 and keys[0]
    assert sorted(p.name for p in (tmp_path / "instance").iterdir()) == ["instructor_key"]
