"""The event store's command path (lock, applied, append, remember and their batch forms), on the database the
suite runs on (SQLite, or PostgreSQL with ``FACILITATOR_TEST_DATABASE=postgresql``): what it writes reads back
as written, chains, and is stored exactly as the ORM stores it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import String, cast, insert, select
from sqlalchemy.exc import IntegrityError

from facilitator.engine import Actor, Audience, Event, RuleError
from facilitator.engine.audience import UMPIRE_ACTOR
from facilitator.engine.channels import MessagePosted
from facilitator.persistence import EventStore, StaleSequence
from facilitator.persistence.integrity import GENESIS, event_hash
from facilitator.persistence.models import CommandRow, EventRow, ExerciseRow

AT = datetime(2026, 3, 1, 9, 30, 15, 123456, tzinfo=UTC)
MEMBER = Actor("delegation", "ukraine", "p1", "Олена «Kyiv» Ш.")


def _events(first: int, n: int, at: datetime = AT) -> list[Event]:
    """``n`` events numbered from ``first``: messages with every kind of audience and actor (none, too)."""
    kinds = [(Audience.all(), MEMBER), (Audience.umpire_only(), UMPIRE_ACTOR),
             (Audience.of(["ukraine", "russia"], observers=True), MEMBER), (Audience.of(["ukraine"]), None)]
    out = []
    for i in range(n):
        audience, actor = kinds[(first + i) % len(kinds)]
        text = f"Текст {first + i}: “quotes”, \\ and \N{DOVE OF PEACE}"
        payload = MessagePosted("plenary", text, "Олена", "ukraine")
        out.append(Event(payload, audience, actor, first + i, at + timedelta(seconds=i)))
    return out


@pytest.fixture
def store():
    return EventStore()


@pytest.fixture
def exercise_id(exercises) -> str:
    return exercises.create("demo").id


def _last_seq(db, exercise_id: str) -> int:
    with db.read() as session:
        return session.scalar(select(ExerciseRow.last_seq).where(ExerciseRow.id == exercise_id))


def test_appended_events_read_back_as_written_and_their_chain_verifies(exercises, store, exercise_id):
    db = exercises.db
    with db.write() as session:
        assert store.lock(session, exercise_id) == 0
        first_hash = store.append(session, exercise_id, _events(1, 3), 0, locked=True)
    with db.write() as session:  # the previous hash read from the log
        store.append(session, exercise_id, _events(4, 2, AT + timedelta(minutes=1)), 3)
    with db.write() as session:  # and given by the caller
        hashes = [row.hash for row in session.execute(select(EventRow.hash).where(EventRow.exercise_id == exercise_id)
                                                      .order_by(EventRow.seq))]
        last = store.append(session, exercise_id, _events(6, 1, AT + timedelta(minutes=2)), 5, locked=True,
                            previous_hash=hashes[-1])
    assert first_hash == hashes[2]
    written = _events(1, 3) + _events(4, 2, AT + timedelta(minutes=1)) + _events(6, 1, AT + timedelta(minutes=2))
    with db.read() as session:
        loaded = store.load(session, exercise_id)
        verdict = store.verify(session, exercise_id)
        stored_last = session.scalar(select(EventRow.hash).where(EventRow.exercise_id == exercise_id,
                                                                 EventRow.seq == 6))
    assert [(e.seq, e.type, e.version, e.data, e.audience, e.actor, e.at) for e in loaded] == \
           [(e.seq, e.type, e.version, e.data, e.audience, e.actor, e.at) for e in written]
    assert all(e.at.tzinfo is not None and e.at.utcoffset() == timedelta(0) for e in loaded)
    assert verdict.ok and verdict.events == 6, str(verdict)
    assert last == stored_last and _last_seq(db, exercise_id) == 6
    with db.write() as session:
        assert store.append(session, exercise_id, [], 6) is None  # nothing to append
    assert _last_seq(db, exercise_id) == 6


def test_rows_are_stored_exactly_as_the_orm_stores_them(exercises, store):
    """The same events, appended by the store and inserted through the ORM: the same stored text, column by
    column (the JSON columns, the time, the hash)."""
    db = exercises.db
    ours, theirs = exercises.create("demo").id, exercises.create("demo").id
    events = _events(1, 4)
    with db.write() as session:
        store.append(session, ours, events, 0)
        previous, rows = GENESIS, []
        for e in events:
            row = {"exercise_id": theirs, "seq": e.seq, "type": e.type, "version": e.version,
                   "actor": e.actor.to_dict() if e.actor else None, "audience": e.audience.to_dict(),
                   "data": e.data, "at": e.at}
            row["hash"] = previous = event_hash(previous, row["seq"], row["type"], row["version"], row["actor"],
                                                row["audience"], row["data"], row["at"])
            rows.append(row)
        session.execute(insert(EventRow), rows)
    columns = (EventRow.seq, EventRow.type, EventRow.version, cast(EventRow.actor, String),
               cast(EventRow.audience, String), cast(EventRow.data, String), cast(EventRow.at, String), EventRow.at,
               EventRow.hash)
    with db.read() as session:
        def stored(exercise_id):
            return session.execute(select(*columns).where(EventRow.exercise_id == exercise_id)
                                   .order_by(EventRow.seq)).all()
        assert stored(ours) == stored(theirs)
        assert len(stored(ours)) == 4


def test_command_ids_are_stored_exactly_as_the_orm_stores_them_whatever_the_times_zone(exercises, store):
    """The commands' rows too, with times given in another zone and on a whole second (no microseconds)."""
    from datetime import timezone

    db = exercises.db
    ours, theirs = exercises.create("demo").id, exercises.create("demo").id
    times = [datetime(2026, 3, 1, 15, 0, 0, tzinfo=timezone(timedelta(hours=5, minutes=30))),
             datetime(2026, 2, 28, 22, 59, 59, 1, tzinfo=timezone(timedelta(hours=-11))), AT]
    entries = [("p1", f"id-{n}", "post_message", n + 1, at) for n, at in enumerate(times)]
    with db.write() as session:
        store.remember_many(session, ours, entries)
        session.execute(insert(CommandRow), [{"exercise_id": theirs, "issuer": issuer, "command_id": command_id,
                                              "type": type_, "seq": seq, "at": at}
                                             for issuer, command_id, type_, seq, at in entries])
    columns = (CommandRow.issuer, CommandRow.command_id, CommandRow.type, CommandRow.seq,
               cast(CommandRow.at, String), CommandRow.at)
    with db.read() as session:
        def stored(exercise_id):
            return session.execute(select(*columns).where(CommandRow.exercise_id == exercise_id)
                                   .order_by(CommandRow.seq)).all()
        assert stored(ours) == stored(theirs)
        assert [row[-1] for row in stored(ours)] == times  # the same instants, read back in UTC


def test_a_stale_after_is_refused_and_writes_nothing(exercises, store, exercise_id):
    db = exercises.db
    with db.write() as session:
        store.append(session, exercise_id, _events(1, 2), 0)
    with pytest.raises(StaleSequence) as refused, db.write() as session:
        store.append(session, exercise_id, _events(2, 1), 1)
    assert refused.value.code == "stale" and refused.value.fields == {"seq": 2}
    with pytest.raises(ValueError), db.write() as session:  # numbered with a gap
        store.append(session, exercise_id, _events(4, 1), 2, locked=True)
    with db.read() as session:
        assert [e.seq for e in store.load(session, exercise_id)] == [1, 2]
    assert _last_seq(db, exercise_id) == 2


def test_an_unknown_exercise_is_not_found(exercises, store):
    for act in (lambda session: store.lock(session, "nowhere"),
                lambda session: store.append(session, "nowhere", _events(1, 1), 0)):
        with pytest.raises(RuleError) as refused, exercises.db.write() as session:
            act(session)
        assert refused.value.code == "not_found"


def test_an_exercise_added_in_the_same_transaction_is_found(exercises, store):
    """ORM changes still pending are written before the store's statements, as ``Session.execute`` does."""
    with exercises.db.write() as session:
        session.add(ExerciseRow(id="fresh", deck_id="demo", title="Fresh", deck={}, seed="s", last_seq=0,
                                umpire_token_hash="u" * 64, observer_code_hash="o" * 64, created_at=AT))
        assert store.lock(session, "fresh") == 0
        store.append(session, "fresh", _events(1, 1), 0, locked=True)
        store.remember(session, "fresh", "umpire", "c1", "post_message", 1, AT)
    with exercises.db.read() as session:
        assert [e.seq for e in store.load(session, "fresh")] == [1]
        assert store.applied(session, "fresh", "umpire", "c1") == 1


def test_remembered_commands_are_found_one_by_one_and_many_at_once(exercises, store, exercise_id):
    other = exercises.create("demo").id
    later = AT + timedelta(seconds=5)
    with exercises.db.write() as session:
        store.remember_many(session, exercise_id, [("p1", "a", "post_message", 1, AT),
                                                   ("p1", "b", "post_message", 2, AT),
                                                   ("p2", "c", "play_signal", 3, later)])
        store.remember(session, exercise_id, "umpire", "d", "fire_inject", 4, later)
        store.remember_many(session, exercise_id, [])
        store.remember(session, other, "p1", "a", "post_message", 9, AT)  # another exercise's, under the same id
    with exercises.db.read() as session:
        assert store.applied(session, exercise_id, "p1", "a") == 1
        assert store.applied(session, exercise_id, "umpire", "d") == 4
        assert store.applied(session, exercise_id, "p2", "a") is None
        assert store.applied_many(session, exercise_id, []) == {}
        assert store.applied_many(session, exercise_id, [("p2", "c")]) == {("p2", "c"): 3}
        assert store.applied_many(session, exercise_id, [("p2", "x")]) == {}
        # ("p1", "c") and ("p2", "a") pair an issuer and an id that are stored, but not together
        assert store.applied_many(session, exercise_id, [("p1", "a"), ("p1", "b"), ("p2", "c"), ("umpire", "d"),
                                                         ("p1", "c"), ("p2", "a"), ("p3", "z")]) == \
            {("p1", "a"): 1, ("p1", "b"): 2, ("p2", "c"): 3, ("umpire", "d"): 4}
        assert store.applied_many(session, other, [("p1", "a"), ("p1", "b")]) == {("p1", "a"): 9}
        rows = session.execute(select(CommandRow.issuer, CommandRow.command_id, CommandRow.type, CommandRow.seq,
                                      CommandRow.at).where(CommandRow.exercise_id == exercise_id)
                               .order_by(CommandRow.seq)).all()
    assert [tuple(r) for r in rows] == [("p1", "a", "post_message", 1, AT), ("p1", "b", "post_message", 2, AT),
                                        ("p2", "c", "play_signal", 3, later), ("umpire", "d", "fire_inject", 4, later)]


def test_a_command_id_is_remembered_once_per_issuer(exercises, store, exercise_id):
    db = exercises.db
    with db.write() as session:
        store.remember(session, exercise_id, "p1", "same", "post_message", 1, AT)
        store.remember(session, exercise_id, "p2", "same", "post_message", 2, AT)  # another issuer may use it
    with pytest.raises(IntegrityError), db.write() as session:
        store.remember(session, exercise_id, "p1", "same", "post_message", 3, AT)
    with pytest.raises(IntegrityError), db.write() as session:  # a batch with one repeat is refused whole
        store.remember_many(session, exercise_id, [("p3", "new", "post_message", 3, AT),
                                                   ("p1", "same", "post_message", 3, AT)])
    with db.read() as session:
        assert store.applied_many(session, exercise_id, [("p1", "same"), ("p2", "same"), ("p3", "new")]) == \
            {("p1", "same"): 1, ("p2", "same"): 2}
