"""Commands that arrive while another is being written are applied together, in one transaction, each with
its own outcome: in arrival order, gap-free, a refusal costing the others nothing, a resent id recognised
inside the group, and one that breaks the transaction making each be applied again alone."""

from __future__ import annotations

import threading
import time
from datetime import datetime, timezone

import pytest
from sqlalchemy import event

from facilitator.engine import PostMessage, RuleError
from facilitator.engine.audience import UMPIRE_ACTOR

from .conftest import sqlite_only


def _texts(exercises, exercise_id: str) -> list[str]:
    return [e.data["text"] for e in exercises.events(exercise_id, UMPIRE_ACTOR) if e.type == "message_posted"]


def _released_together(lock, calls: list, waiting) -> list:
    """Run ``calls`` (each a function taking nothing) in threads, one after another, while ``lock`` is held
    here, each started once ``waiting()`` counts the one before it as waiting; then let them all go. Returns
    each call's result or the exception it raised, in the order given."""
    results: list = [None] * len(calls)

    def run(i, call):
        try:
            results[i] = call()
        except Exception as exc:  # noqa: BLE001 - the test looks at it
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    with lock:
        for started, thread in enumerate(threads, 1):
            thread.start()
            deadline = time.monotonic() + 5
            while waiting() < started and time.monotonic() < deadline:
                time.sleep(0.001)
        assert waiting() == len(calls)
    for thread in threads:
        thread.join(10)
    return results


def _queued_together(exercises, exercise_id: str, calls: list) -> list:
    """``calls`` queued on the exercise's writer lock in the order given: the first to take it applies them as
    one group."""
    live = exercises._get(exercise_id)
    return _released_together(live.lock, calls, lambda: len(live.queue))


@pytest.fixture
def commits(app):
    """How many write transactions commit (counted on the real database): COMMITs, and on PostgreSQL the writes
    made as one statement in autocommit (services/exercises.py ``_apply_unlocked``), each its own transaction."""
    engine = app.extensions["facilitator"].db.engine
    counted = {"commits": 0}

    def commit(_connection):
        counted["commits"] += 1

    def statement(connection, _cursor, text, *_):
        if connection.get_execution_options().get("isolation_level") == "AUTOCOMMIT" and \
                text.lstrip().startswith("WITH advanced"):
            counted["commits"] += 1
    event.listen(engine, "commit", commit)
    event.listen(engine, "after_cursor_execute", statement)
    yield counted
    event.remove(engine, "commit", commit)
    event.remove(engine, "after_cursor_execute", statement)


def test_commands_queued_behind_a_writer_are_applied_in_one_transaction_in_arrival_order(exercises, commits):
    exercise_id = exercises.create("demo").id
    before = commits["commits"]
    results = _queued_together(exercises, exercise_id, [
        (lambda i=i: exercises.execute(exercise_id, PostMessage("plenary", f"m{i}"), UMPIRE_ACTOR))
        for i in range(20)])
    assert [r.seq for r in results] == list(range(1, 21))
    assert [[e.data["text"] for e in r.events] for r in results] == [[f"m{i}"] for i in range(20)]
    assert _texts(exercises, exercise_id) == [f"m{i}" for i in range(20)]
    assert commits["commits"] - before == 1
    assert exercises.state(exercise_id).seq == 20


def test_a_refused_command_in_a_group_costs_the_others_nothing(exercises):
    exercise_id = exercises.create("demo").id
    results = _queued_together(exercises, exercise_id, [
        lambda: exercises.execute(exercise_id, PostMessage("plenary", "first"), UMPIRE_ACTOR),
        lambda: exercises.execute(exercise_id, PostMessage("nowhere", "refused"), UMPIRE_ACTOR),
        lambda: exercises.execute(exercise_id, PostMessage("plenary", "third"), UMPIRE_ACTOR)])
    assert results[0].seq == 1 and results[2].seq == 2
    assert isinstance(results[1], RuleError) and results[1].code == "not_found"
    assert _texts(exercises, exercise_id) == ["first", "third"]


def test_the_same_command_id_twice_in_one_group_is_applied_once(exercises):
    exercise_id = exercises.create("demo").id

    def send(text):
        return lambda: exercises.execute(exercise_id, PostMessage("plenary", text), UMPIRE_ACTOR,
                                         command_id="cmd-00042", issuer="umpire")
    first, again = _queued_together(exercises, exercise_id, [send("once"), send("once")])
    assert (first.seq, first.duplicate, again.seq, again.duplicate, again.events) == (1, False, 1, True, [])
    assert _texts(exercises, exercise_id) == ["once"]
    resent = exercises.execute(exercise_id, PostMessage("plenary", "once"), UMPIRE_ACTOR, command_id="cmd-00042",
                               issuer="umpire")
    assert resent.duplicate and resent.seq == 1  # remembered by the group's transaction


def test_a_command_that_breaks_the_groups_transaction_fails_alone(exercises):
    """Its own rows cannot be written (here: its ``also`` inserts a duplicate key): the group is applied again
    one by one, and only it fails."""
    from facilitator.persistence.models import CommandRow
    exercise_id = exercises.create("demo").id

    def duplicate_row(session):
        for _ in range(2):
            session.add(CommandRow(exercise_id=exercise_id, issuer="x", command_id="same", type="t", seq=0,
                                   at=datetime.now(timezone.utc)))
            session.flush()

    results = _queued_together(exercises, exercise_id, [
        lambda: exercises.execute(exercise_id, PostMessage("plenary", "before"), UMPIRE_ACTOR),
        lambda: exercises.execute(exercise_id, PostMessage("plenary", "broken"), UMPIRE_ACTOR, also=duplicate_row),
        lambda: exercises.execute(exercise_id, PostMessage("plenary", "after"), UMPIRE_ACTOR)])
    assert results[0].seq == 1 and results[2].seq == 2
    assert isinstance(results[1], Exception) and not isinstance(results[1], RuleError)
    assert _texts(exercises, exercise_id) == ["before", "after"]
    assert exercises.state(exercise_id).seq == 2


def test_a_group_whose_commit_is_interrupted_tells_nobody_it_was_applied(exercises, monkeypatch):
    """Whatever ends the transaction before its commit (here an exception that is not an ``Exception``, as a
    worker's greenlet killed at shutdown), no command of the group is answered as applied: nothing was kept."""
    from contextlib import contextmanager

    class Interrupted(BaseException):
        pass

    exercise_id = exercises.create("demo").id
    original = exercises.db.write

    @contextmanager
    def interrupted_write():
        with original() as session:
            yield session
            raise Interrupted()  # after the group's work, before its commit

    def send(i):
        try:
            return exercises.execute(exercise_id, PostMessage("plenary", f"lost {i}"), UMPIRE_ACTOR)
        except Interrupted as exc:  # the writer that ran the group
            return exc

    monkeypatch.setattr(exercises.db, "write", interrupted_write)
    results = _queued_together(exercises, exercise_id, [(lambda i=i: send(i)) for i in range(3)])
    monkeypatch.setattr(exercises.db, "write", original)
    assert not any(hasattr(r, "seq") for r in results), results  # no Applied among them
    assert _texts(exercises, exercise_id) == [] and exercises.state(exercise_id).seq == 0
    assert exercises.execute(exercise_id, PostMessage("plenary", "kept"), UMPIRE_ACTOR).seq == 1


def test_a_group_reaches_every_perspective_in_one_update_with_every_event(exercises):
    exercise_id = exercises.create("demo").id
    updates = []
    exercises.subscribe(lambda exercise, payloads: updates.append(payloads) if exercise == exercise_id else None)
    _queued_together(exercises, exercise_id, [
        (lambda i=i: exercises.execute(exercise_id, PostMessage("plenary", f"m{i}"), UMPIRE_ACTOR))
        for i in range(5)])
    assert len(updates) == 1
    for key, payload in updates[0].items():
        assert [e["data"]["text"] for e in payload["events"]] == [f"m{i}" for i in range(5)], key
        assert payload["seq"] == 5


def test_a_long_queue_is_applied_in_groups_of_at_most_group_max_in_order(exercises, commits, monkeypatch):
    from facilitator.services import exercises as module
    monkeypatch.setattr(module, "GROUP_MAX", 2)
    exercise_id = exercises.create("demo").id
    before = commits["commits"]
    results = _queued_together(exercises, exercise_id, [
        (lambda i=i: exercises.execute(exercise_id, PostMessage("plenary", f"m{i}"), UMPIRE_ACTOR))
        for i in range(5)])
    assert [r.seq for r in results] == [1, 2, 3, 4, 5]
    assert _texts(exercises, exercise_id) == [f"m{i}" for i in range(5)]
    assert commits["commits"] - before == 3


def _arriving_together(exercises, calls: list) -> list:
    """``calls`` waiting for the database's write lock: the first becomes the leader of one SQLite transaction
    that the others join."""
    db = exercises.db
    return _released_together(db._work, calls, lambda: db._arriving)


@sqlite_only("SQLite's writers share one transaction; PostgreSQL commits each (it groups commits itself)")
def test_commands_to_different_exercises_arriving_together_share_one_commit(exercises, commits):
    ids = [exercises.create("demo").id for _ in range(4)]
    before = commits["commits"]
    results = _arriving_together(exercises, [
        (lambda x=x: exercises.execute(x, PostMessage("plenary", f"to {x}"), UMPIRE_ACTOR)) for x in ids])
    assert [r.seq for r in results] == [1, 1, 1, 1]
    assert commits["commits"] - before == 1
    for x in ids:
        assert _texts(exercises, x) == [f"to {x}"] and exercises.state(x).seq == 1


@sqlite_only("SQLite's writers share one transaction; PostgreSQL commits each (it groups commits itself)")
def test_a_writer_that_fails_in_a_shared_transaction_loses_only_its_own_work(exercises):
    from facilitator.persistence.models import CommandRow
    ids = [exercises.create("demo").id for _ in range(3)]

    def duplicate_row(session):
        for _ in range(2):
            session.add(CommandRow(exercise_id=ids[1], issuer="x", command_id="same", type="t", seq=0,
                                   at=datetime.now(timezone.utc)))
            session.flush()

    results = _arriving_together(exercises, [
        lambda: exercises.execute(ids[0], PostMessage("plenary", "kept"), UMPIRE_ACTOR),
        lambda: exercises.execute(ids[1], PostMessage("plenary", "broken"), UMPIRE_ACTOR, also=duplicate_row),
        lambda: exercises.execute(ids[2], PostMessage("plenary", "kept too"), UMPIRE_ACTOR)])
    assert results[0].seq == 1 and results[2].seq == 1
    assert isinstance(results[1], Exception) and not isinstance(results[1], RuleError)
    assert _texts(exercises, ids[0]) == ["kept"] and _texts(exercises, ids[2]) == ["kept too"]
    assert _texts(exercises, ids[1]) == [] and exercises.state(ids[1]).seq == 0
    assert exercises.execute(ids[1], PostMessage("plenary", "then fine"), UMPIRE_ACTOR).seq == 1


@sqlite_only("SQLite's writers share one transaction; PostgreSQL commits each (it groups commits itself)")
def test_a_first_writer_whose_changes_fail_to_be_written_fails_alone_and_holds_nobody(exercises):
    """The first writer of a shared transaction works without a savepoint: what it left to be written (an ORM
    row not flushed yet) is written in its own turn, so a failure there is its own, not the next writer's, and
    the writers after it are applied and answered."""
    from facilitator.persistence.models import CommandRow
    ids = [exercises.create("demo").id for _ in range(3)]
    row = dict(exercise_id=ids[0], issuer="x", command_id="same", type="t", seq=0, at=datetime.now(timezone.utc))
    with exercises.db.write() as session:
        session.add(CommandRow(**row))

    def broken():
        with exercises.db.write() as session:
            session.add(CommandRow(**row))  # the same key again, left for the flush

    for attempt in range(5):  # the first thread to take the lock leads; the broken one usually does
        results = _arriving_together(exercises, [
            broken,
            lambda: exercises.execute(ids[1], PostMessage("plenary", f"kept {attempt}"), UMPIRE_ACTOR),
            lambda: exercises.execute(ids[2], PostMessage("plenary", f"kept too {attempt}"), UMPIRE_ACTOR)])
        assert isinstance(results[0], Exception) and not isinstance(results[0], RuleError), results
        assert results[1].seq == attempt + 1 and results[2].seq == attempt + 1, results
    assert _texts(exercises, ids[1]) == [f"kept {i}" for i in range(5)]
    assert exercises.db._group is None and not exercises.db._work.locked()


@sqlite_only("SQLite's writers share one transaction; PostgreSQL commits each (it groups commits itself)")
def test_writers_failing_and_retrying_at_once_do_not_hold_the_shared_commit_off(exercises):
    """Once, writers whose work kept failing and was retried at once (stale appends, say) kept the open
    transaction's leader waiting for them for ever: the commit, and everyone in it, never came."""
    db = exercises.db
    stop, retries = threading.Event(), []

    def failing():
        while not stop.is_set():
            try:
                with db.write():
                    raise RuleError("stale", "the log moved")
            except RuleError:
                retries.append(1)
    retriers = [threading.Thread(target=failing) for _ in range(4)]
    deadline = threading.Timer(20, stop.set)  # they then stop anyway
    for retrier in retriers:
        retrier.start()
    deadline.start()
    try:
        while len(retries) < 3:
            time.sleep(0.001)
        exercise_id = exercises.create("demo").id  # a write joining the retrier's turns
        kept = exercises.execute(exercise_id, PostMessage("plenary", "kept"), UMPIRE_ACTOR)
        done_while_retrying = not stop.is_set()
    finally:
        stop.set()
        deadline.cancel()
        for retrier in retriers:
            retrier.join(timeout=30)
    assert done_while_retrying and kept.seq == 1 and _texts(exercises, exercise_id) == ["kept"]


def _load(kind: str, **fields):
    from facilitator.schemas import load_command
    return load_command({"type": kind, **fields})[0]


def test_a_resend_queued_with_other_commands_is_a_duplicate_even_when_the_rules_now_refuse_it(exercises):
    """A resent command (its ack lost) that shares a group with others is answered with its first outcome,
    not decided again: played again, a signal card is no longer in the hand, and a message sent with the seq
    its sender saw is stale once others wrote; neither is applied twice nor told it was refused."""
    created = exercises.create("demo")
    exercise_id = created.id
    turkey, _ = exercises.join(created.join_codes["turkey"], "Aylin")
    exercises.execute(exercise_id, _load("set_firing", automatic=False), UMPIRE_ACTOR)
    for _ in range(2):
        exercises.execute(exercise_id, _load("advance_phase"), UMPIRE_ACTOR)
    play = _load("play_signal", card="tr-host-offer")
    played = exercises.execute(exercise_id, play, turkey.actor, command_id="signal-1", issuer=turkey.issuer)
    saw = exercises.state(exercise_id).seq
    posted = exercises.execute(exercise_id, PostMessage("plenary", "hi"), UMPIRE_ACTOR, expected_seq=saw,
                               command_id="post-1", issuer="umpire")
    for resend, first in (
            (lambda: exercises.execute(exercise_id, play, turkey.actor, command_id="signal-1",
                                       issuer=turkey.issuer), played),
            (lambda: exercises.execute(exercise_id, PostMessage("plenary", "hi"), UMPIRE_ACTOR, expected_seq=saw,
                                       command_id="post-1", issuer="umpire"), posted)):
        other, again = _queued_together(exercises, exercise_id, [
            lambda: exercises.execute(exercise_id, PostMessage("plenary", "meanwhile"), UMPIRE_ACTOR), resend])
        assert not isinstance(again, Exception), again
        assert again.duplicate and again.seq == first.seq and not again.events
        assert other.events
    assert _texts(exercises, exercise_id) == ["hi", "meanwhile", "meanwhile"]
    assert len(exercises.state(exercise_id).signals.plays) == 1
