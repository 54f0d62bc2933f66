"""The event log on a real SQLite file: gap-free seq under concurrent writers, stale commands refused."""

from __future__ import annotations

import threading
from datetime import datetime, timezone

import pytest
from sqlalchemy import select

from facilitator.engine import Audience, Event, PostMessage, RuleError
from facilitator.engine.audience import UMPIRE_ACTOR
from facilitator.engine.channels import MessagePosted
from facilitator.persistence import Database, EventStore
from facilitator.persistence.models import EventRow, ExerciseRow

from .conftest import migrated_url, sqlite_only


@pytest.fixture
def db(tmp_path):
    database = Database(migrated_url(tmp_path / "log.sqlite3"))
    yield database
    database.dispose()


def _exercise(exercises) -> str:
    return exercises.create("demo").id


@sqlite_only("its journal mode, busy timeout and foreign-key switch (PRAGMAs)")
def test_sqlite_runs_in_wal_mode_with_busy_timeout_and_foreign_keys(db):
    with db.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 5000
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_concurrent_appends_from_many_threads_give_gap_free_unique_seqs(exercises, app):
    """8 threads x 40 commands, each appending two events (a message and its echo): nothing lost, no gap."""
    exercise_id = _exercise(exercises)
    threads, errors, per_thread = 8, [], 40
    store, db = EventStore(), exercises.db

    def writer(n: int):
        try:
            for i in range(per_thread):
                at = datetime.now(timezone.utc)
                while True:  # the engine numbers events after the last seq it knows; a stale number is retried
                    with db.read() as session:
                        last = session.scalar(select(ExerciseRow.last_seq).where(ExerciseRow.id == exercise_id))
                    events = [Event(MessagePosted("umpire", f"{n}-{i}-{k}", "Umpire", None), Audience.umpire_only(),
                                    UMPIRE_ACTOR, last + 1 + k, at) for k in range(2)]
                    try:
                        with db.write() as session:
                            store.append(session, exercise_id, events, last)
                        break
                    except RuleError as exc:
                        assert exc.code == "stale"
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    workers = [threading.Thread(target=writer, args=(n,)) for n in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert errors == []
    with db.read() as session:
        rows = session.execute(select(EventRow.seq, EventRow.data).where(EventRow.exercise_id == exercise_id)
                               .order_by(EventRow.seq)).all()
    assert [r.seq for r in rows] == list(range(1, threads * per_thread * 2 + 1))
    texts = [r.data["text"] for r in rows]
    assert len(set(texts)) == len(texts) == threads * per_thread * 2
    # the two events of one append are adjacent: one command, one transaction
    for first, second in zip(texts[::2], texts[1::2]):
        assert first[:-1] == second[:-1]


def test_concurrent_commands_through_the_service_keep_state_and_log_in_step(exercises):
    exercise_id = _exercise(exercises)
    done = []

    def post(n):
        for i in range(25):
            done.append(exercises.execute(exercise_id, PostMessage("umpire", f"{n}:{i}"), UMPIRE_ACTOR).events)

    workers = [threading.Thread(target=post, args=(n,)) for n in range(6)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    seqs = sorted(e.seq for batch in done for e in batch)
    assert seqs == list(range(1, 151))
    state = exercises.state(exercise_id)
    assert state.seq == 150 and state.channels.get("umpire").count == 150


def test_a_command_decided_against_a_stale_seq_is_refused_and_changes_nothing(exercises):
    exercise_id = _exercise(exercises)
    exercises.execute(exercise_id, PostMessage("plenary", "first"), UMPIRE_ACTOR)
    exercises.execute(exercise_id, PostMessage("plenary", "second"), UMPIRE_ACTOR, expected_seq=1)
    with pytest.raises(RuleError) as refused:
        exercises.execute(exercise_id, PostMessage("plenary", "late"), UMPIRE_ACTOR, expected_seq=1)
    assert refused.value.code == "stale"
    assert [e.data["text"] for e in exercises.events(exercise_id, UMPIRE_ACTOR)] == ["first", "second"]


def test_the_store_refuses_a_stale_expected_seq(exercises):
    exercise_id = _exercise(exercises)
    store, at = EventStore(), datetime.now(timezone.utc)
    event = Event(MessagePosted("umpire", "x", "Umpire", None), Audience.umpire_only(), UMPIRE_ACTOR, 1, at)
    with exercises.db.write() as session:
        store.append(session, exercise_id, [event], 0)
    with pytest.raises(RuleError) as refused, exercises.db.write() as session:
        store.append(session, exercise_id, [event], 0)
    assert refused.value.code == "stale" and "seq 1" in refused.value.message


def test_refused_command_writes_nothing(exercises):
    exercise_id = _exercise(exercises)
    with pytest.raises(RuleError):
        exercises.execute(exercise_id, PostMessage("table:nowhere", "hello"), UMPIRE_ACTOR)
    assert exercises.events(exercise_id, UMPIRE_ACTOR) == []
    assert exercises.state(exercise_id).seq == 0


def test_events_round_trip_with_audience_actor_time_and_version(exercises):
    exercise_id = _exercise(exercises)
    [stored] = exercises.execute(exercise_id, PostMessage("umpire", "note to self"), UMPIRE_ACTOR).events
    [loaded] = exercises.events(exercise_id, UMPIRE_ACTOR)
    assert loaded.to_dict() == stored.to_dict()
    assert loaded.at.tzinfo is not None and loaded.version == 1
    assert loaded.audience == Audience.umpire_only()


def test_state_is_rebuilt_from_the_log_by_a_fresh_service(app, exercises):
    """A second process (a fresh service on the same database) folds the same state."""
    from facilitator.services import ExerciseService
    exercise_id = _exercise(exercises)
    for text in ("one", "two", "three"):
        exercises.execute(exercise_id, PostMessage("plenary", text), UMPIRE_ACTOR)
    other = ExerciseService(exercises.db, exercises.catalog, code_key=exercises.code_key)
    assert other.state(exercise_id) == exercises.state(exercise_id)
    other.execute(exercise_id, PostMessage("plenary", "four"), UMPIRE_ACTOR)
    assert exercises.state(exercise_id).channels.get("plenary").count == 4


def test_paging_history_backwards_and_forwards_covers_what_a_viewer_may_see_exactly_once(exercises):
    """2,600 events, two in three in a room Russia cannot read: pages of 300 walk across read batches."""
    from facilitator.engine import Actor
    exercise_id = _exercise(exercises)
    for i in range(2600):
        channel = "plenary" if i % 3 == 0 else "delegation:ukraine"
        exercises.execute(exercise_id, PostMessage(channel, f"m{i}"), UMPIRE_ACTOR)
    russia = Actor("delegation", "russia", "p-r", "Rus")
    expected = [f"m{i}" for i in range(2600) if i % 3 == 0]

    seen, before, more = [], exercises.state(exercise_id).seq + 1, True
    while more:
        page, more = exercises.page(exercise_id, russia, before=before, limit=300)
        assert [e.seq for e in page] == sorted(e.seq for e in page)
        seen = [e.data["text"] for e in page] + seen
        before = page[0].seq
    assert seen == expected

    seen, after, more = [], 0, True
    while more:
        page, more = exercises.page(exercise_id, russia, after=after, limit=300)
        seen += [e.data["text"] for e in page]
        after = page[-1].seq
    assert seen == expected

    ukraine_room, more = exercises.page(exercise_id, UMPIRE_ACTOR, channel="delegation:ukraine", limit=5000)
    assert len(ukraine_room) == 2600 - len(expected) and not more
    assert exercises.page(exercise_id, russia, channel="delegation:ukraine")[0] == []


def test_clearing_presence_at_start_up_touches_only_exercises_where_someone_connected(exercises):
    quiet = _exercise(exercises)
    busy = exercises.create("demo")
    identity, _ = exercises.join(busy.join_codes["ukraine"], "Olena")
    exercises.mark_presence(identity, True)
    assert exercises.clear_presence() == 1
    assert exercises.state(busy.id).presence.of(identity.actor.participant) == 0
    assert exercises.events(quiet, UMPIRE_ACTOR) == []
    assert exercises.clear_presence() == 0


def test_a_failure_while_publishing_is_logged_and_the_command_stays_done(exercises, caplog):
    exercise_id = _exercise(exercises)

    def broken(exercise, payloads):
        raise ConnectionError("message queue down")

    exercises.subscribe(broken)
    applied = exercises.execute(exercise_id, PostMessage("plenary", "still said"), UMPIRE_ACTOR)
    assert applied.seq == 1 and [e.data["text"] for e in exercises.events(exercise_id, UMPIRE_ACTOR)] == ["still said"]
    assert "publishing seq 1" in caplog.text and "message queue down" in caplog.text
    exercises._listeners.remove(broken)
    assert exercises.execute(exercise_id, PostMessage("plenary", "and again"), UMPIRE_ACTOR).seq == 2


def test_an_event_that_cannot_be_folded_is_never_stored(exercises, monkeypatch):
    from facilitator.engine import core
    from facilitator.engine.channels import MessagePosted
    exercise_id = _exercise(exercises)

    def broken(state, event, stored):
        raise KeyError("a bug in an evolver")

    monkeypatch.setitem(core.EVOLVERS, MessagePosted, broken)
    with pytest.raises(KeyError):
        exercises.execute(exercise_id, PostMessage("plenary", "never stored"), UMPIRE_ACTOR)
    assert exercises.events(exercise_id, UMPIRE_ACTOR) == [] and exercises.state(exercise_id).seq == 0


def test_a_command_id_is_applied_once_per_sender(exercises):
    exercise_id = _exercise(exercises)
    first = exercises.execute(exercise_id, PostMessage("plenary", "once"), UMPIRE_ACTOR, command_id="cmd-00001",
                              issuer="umpire")
    again = exercises.execute(exercise_id, PostMessage("plenary", "once"), UMPIRE_ACTOR, command_id="cmd-00001",
                              issuer="umpire")
    assert (first.seq, first.duplicate, again.seq, again.duplicate, again.events) == (1, False, 1, True, [])
    other = exercises.execute(exercise_id, PostMessage("plenary", "mine"), UMPIRE_ACTOR, command_id="cmd-00001",
                              issuer="p-someone")
    assert not other.duplicate and other.seq == 2  # ids are per sender
    with pytest.raises(RuleError):  # a refused command is not remembered: resending decides it again
        exercises.execute(exercise_id, PostMessage("nowhere", "x"), UMPIRE_ACTOR, command_id="cmd-00002",
                          issuer="umpire")
    assert not exercises.execute(exercise_id, PostMessage("plenary", "x"), UMPIRE_ACTOR, command_id="cmd-00002",
                                 issuer="umpire").duplicate
    assert [e.data["text"] for e in exercises.events(exercise_id, UMPIRE_ACTOR)] == ["once", "mine", "x"]


def test_a_restarted_server_serves_the_real_state_to_the_first_connection(app, exercises):
    """A fresh process (a new service on the same database) answers a resume with the log as it stands,
    not an empty exercise, before anyone has acted in it."""
    from facilitator.engine import AdvancePhase
    from facilitator.services import ExerciseService
    from facilitator.services.exercises import Identity
    exercise_id = _exercise(exercises)
    exercises.execute(exercise_id, AdvancePhase(), UMPIRE_ACTOR)
    exercises.execute(exercise_id, PostMessage("plenary", "before the restart"), UMPIRE_ACTOR)
    restarted = ExerciseService(exercises.db, exercises.catalog, code_key=exercises.code_key)
    got, early = [], []
    seq = restarted.attach(Identity(exercise_id, UMPIRE_ACTOR), 1, lambda sync, history: got.append((sync, history)),
                           early.append)
    [(sync, history)] = got
    assert seq == sync["last_seq"] == 2
    assert sync["state"]["exercise"]["phase"]["id"] == "briefing"
    assert [e["data"]["text"] for batch in early + history for e in batch] == ["before the restart"]


def test_a_phase_command_is_stale_only_when_the_phase_moved(exercises):
    from facilitator.engine import AdvancePhase, ExtendClock, PauseClock
    exercise_id = _exercise(exercises)
    seen = exercises.execute(exercise_id, AdvancePhase(), UMPIRE_ACTOR).seq
    exercises.execute(exercise_id, PostMessage("plenary", "chatter"), UMPIRE_ACTOR)
    assert exercises.execute(exercise_id, ExtendClock(5), UMPIRE_ACTOR, expected_seq=seen).events
    for command in (ExtendClock(5), PauseClock()):  # the clock moved since 'seen'
        with pytest.raises(RuleError) as refused:
            exercises.execute(exercise_id, command, UMPIRE_ACTOR, expected_seq=seen)
        assert refused.value.code == "stale"
    with pytest.raises(RuleError):  # any other command: any event makes it stale
        exercises.execute(exercise_id, PostMessage("plenary", "late"), UMPIRE_ACTOR, expected_seq=seen)
    assert exercises.execute(exercise_id, AdvancePhase(), UMPIRE_ACTOR, expected_seq=seen).events  # same phase
    with pytest.raises(RuleError) as refused:
        exercises.execute(exercise_id, AdvancePhase(), UMPIRE_ACTOR, expected_seq=seen)  # not twice
    assert refused.value.code == "stale"


def test_the_logs_times_never_go_back_when_the_servers_clock_does(exercises, monkeypatch):
    """A clock stepped back (or another process's clock a little behind) dates the next events at the last
    event's time, not before it: an exported log imports (its times must not go back)."""
    from facilitator.services import exercises as service_module

    exercise_id = exercises.create("demo").id
    first = exercises.execute(exercise_id, PostMessage("umpire", "Before the clock steps back."), UMPIRE_ACTOR)
    stamped = first.events[-1].at
    monkeypatch.setattr(service_module, "now", lambda: datetime(2001, 1, 1, tzinfo=timezone.utc))
    later = exercises.execute(exercise_id, PostMessage("umpire", "After."), UMPIRE_ACTOR)
    assert later.events[-1].at == stamped
    times = [e.at for e in exercises.events(exercise_id, UMPIRE_ACTOR)]
    assert times == sorted(times)


def test_a_resume_from_far_back_gives_way_to_a_busy_exercise_but_not_for_ever(app, exercises, monkeypatch):
    """While the exercise's writers hold its lock nearly all the time, a resume from seq 0 still sends the whole
    history, in order and once, giving way to them at most about as long as it works (it once waited 50 ms
    before every 25 events: a long history against a busy exercise took minutes, past the client's patience)."""
    import time

    from bench.long_log import build
    from facilitator.services import Identity
    from facilitator.services.exercises import ExerciseService

    created = build(app, events=1_500)
    last = exercises.state(created.id).seq
    live = exercises._get(created.id)
    waits: list[float] = []
    give_way = ExerciseService._give_way

    def counted(live, budget):
        took = give_way(live, budget)
        waits.append(took)
        return took
    monkeypatch.setattr(ExerciseService, "_give_way", staticmethod(counted))
    stop = threading.Event()

    def busy():  # a writer after another, each holding the exercise for 5 ms
        while not stop.is_set():
            with live.lock:
                time.sleep(0.005)
    writer = threading.Thread(target=busy)
    writer.start()
    sent: list[dict] = []
    began = time.monotonic()
    try:
        exercises.attach(Identity(created.id, UMPIRE_ACTOR), 0,
                         lambda sync, history: [sent.extend(batch) for batch in history], sent.extend)
    finally:
        stop.set()
        writer.join()
    elapsed = time.monotonic() - began
    assert [e["seq"] for e in sent] == list(range(1, last + 1))
    assert len(waits) > 10 and sum(waits) < 0.75 * elapsed, (sum(waits), elapsed)


# ---- following another process's commits --------------------------------------------------------------------

def _follower(exercises):
    """A second service on the same database: another server process, as far as the log is concerned."""
    from facilitator.services.exercises import ExerciseService
    return ExerciseService(exercises.db, exercises.catalog, code_key=exercises.code_key)


def test_an_exercise_that_cannot_be_followed_holds_up_no_other(exercises, monkeypatch, caplog):
    """Another process's commits to two exercises, heard together: one whose new events this process cannot
    read (a bug, a row it cannot load) is logged and left for the next tick; the other is caught up and
    published at once, on SQLite and on PostgreSQL (where both are read by one statement)."""
    from facilitator.persistence import store as store_module

    follower = _follower(exercises)
    bad, good = exercises.create("demo").id, exercises.create("demo").id
    for exercise_id in (bad, good):
        follower.state(exercise_id)
    published = []
    follower.subscribe(lambda exercise_id, payloads: published.append(exercise_id))
    commits = {bad: exercises.execute(bad, PostMessage("plenary", "unreadable"), UMPIRE_ACTOR).seq,
               good: exercises.execute(good, PostMessage("plenary", "fine"), UMPIRE_ACTOR).seq}
    real = store_module.load_event

    def load_event(type_, version, data, *rest):
        if data.get("text") == "unreadable":
            raise ValueError("a row this process cannot load")
        return real(type_, version, data, *rest)
    monkeypatch.setattr(store_module, "load_event", load_event)
    follower.follow(commits)
    assert published == [good]
    assert follower.state(good).seq == commits[good]
    assert f"catching up exercise {bad} failed" in caplog.text
    monkeypatch.setattr(store_module, "load_event", real)
    follower.follow(commits)  # readable again: caught up at the next ring (or tick)
    assert published == [good, bad] and follower.state(bad).seq == commits[bad]


def test_an_exercise_deleted_while_it_is_followed_is_not_published(exercises):
    follower = _follower(exercises)
    exercise_id = exercises.create("demo").id
    follower.state(exercise_id)
    seq = exercises.execute(exercise_id, PostMessage("plenary", "late news"), UMPIRE_ACTOR).seq
    published = []
    follower.subscribe(lambda exercise_id, payloads: published.append(exercise_id))
    read = follower.store.load_after

    def load_after(session, afters):
        found = read(session, afters)
        follower.delete(exercise_id, UMPIRE_ACTOR)  # the umpire deletes it meanwhile, through this process
        return found
    follower.store.load_after = load_after
    follower.follow({exercise_id: seq})
    assert published == [] and exercise_id not in follower.loaded()
