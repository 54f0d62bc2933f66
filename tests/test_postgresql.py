"""The schema on a real PostgreSQL: the migrations from an empty database to head (through `facilitator db
upgrade` too), the models agreeing with them, down and up again with a log stored, and the types read back.

The service and realtime suites run again on PostgreSQL with ``FACILITATOR_TEST_DATABASE=postgresql``
(``make test-scale``); these are the checks of the schema itself.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, select, text
from sqlalchemy.pool import NullPool

from facilitator import create_app
from facilitator.engine import PostMessage
from facilitator.engine.audience import UMPIRE_ACTOR
from facilitator.persistence import Database
from facilitator.persistence.migrate import current_revision, downgrade, drift, head_revision, upgrade
from facilitator.persistence.models import Base, EventRow, ExerciseRow

from .conftest import ROOT

pytestmark = pytest.mark.scale

TABLES = {"exercises", "seats", "participants", "events", "commands", "staff", "deletions", "heartbeats"}


@pytest.fixture
def empty_db(empty_postgres_url):
    db = Database(empty_postgres_url)
    yield db
    db.dispose()


def test_upgrade_creates_the_schema_on_an_empty_database_and_a_second_run_does_nothing(empty_db):
    assert empty_db.engine.dialect.name == "postgresql"
    assert current_revision(empty_db) is None
    upgrade(empty_db)
    assert current_revision(empty_db) == head_revision(empty_db)
    tables = set(inspect(empty_db.engine).get_table_names())
    assert TABLES | {"alembic_version"} <= tables
    assert set(Base.metadata.tables) <= tables  # every model has its table, whatever migrations came later
    upgrade(empty_db)
    assert current_revision(empty_db) == head_revision(empty_db)


def test_models_and_migrations_do_not_drift_on_postgresql(empty_db):
    upgrade(empty_db)
    assert drift(empty_db) == []


def test_times_are_stored_with_their_zone_and_the_log_has_its_unique_key(empty_db):
    upgrade(empty_db)
    columns = {c["name"]: c for c in inspect(empty_db.engine).get_columns("events")}
    assert columns["at"]["type"].timezone is True
    uniques = inspect(empty_db.engine).get_unique_constraints("events")
    assert any(set(u["column_names"]) == {"exercise_id", "seq"} for u in uniques)


def test_times_read_back_in_utc_whatever_the_servers_time_zone(postgres_url, tmp_path, monkeypatch):
    """PostgreSQL returns a ``timestamptz`` in the server's zone (here +13:45): read back in UTC, a time is as
    it was written, and so is each event's hash over it."""
    monkeypatch.setenv("FACILITATOR_INSTANCE", str(tmp_path / "instance"))
    app = create_app({"TESTING": True, "DATABASE_URL": postgres_url})
    services = app.extensions["facilitator"]
    try:
        with services.db.read() as session:
            assert session.scalar(text("SHOW TimeZone")) == "Pacific/Chatham"
        created = services.exercises.create("demo")
        [written] = services.exercises.execute(created.id, PostMessage("plenary", "hello"), UMPIRE_ACTOR).events
        [read] = services.exercises.events(created.id, UMPIRE_ACTOR)
        assert read.at == written.at and read.at.tzinfo is timezone.utc
        assert read.to_dict()["at"] == written.to_dict()["at"] and read.to_dict()["at"].endswith("+00:00")
        with services.db.read() as session:
            assert services.exercises.store.verify(session, created.id).ok
    finally:
        services.db.dispose()


def test_a_nul_character_looked_up_is_refused_as_invalid_not_a_server_error(postgres_url, tmp_path, monkeypatch):
    """PostgreSQL holds no NUL (U+0000) in a text and refuses one as a parameter: an id with one in a path is
    ``invalid`` (found by tests/test_fuzz.py), where SQLite found nothing."""
    monkeypatch.setenv("FACILITATOR_INSTANCE", str(tmp_path / "instance"))
    app = create_app({"TESTING": True, "DATABASE_URL": postgres_url})
    try:
        answer = app.test_client().get("/api/exercises/a%00b")
        assert answer.status_code == 400 and answer.get_json()["error"]["code"] == "invalid"
        assert "NUL" in answer.get_json()["error"]["message"]
    finally:
        app.extensions["facilitator"].db.dispose()


def _cli(*args: str, env: dict) -> subprocess.CompletedProcess:
    script = Path(sys.executable).with_name("facilitator")
    command = [str(script)] if script.exists() else [sys.executable, "-c", "from facilitator.cli import main; main()"]
    return subprocess.run([*command, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


def test_facilitator_db_upgrade_migrates_an_empty_postgresql_database(empty_postgres_url, tmp_path):
    env = {**os.environ, "DATABASE_URL": empty_postgres_url, "FACILITATOR_INSTANCE": str(tmp_path / "instance")}
    first = _cli("db", "upgrade", env=env)
    assert first.returncode == 0, first.stdout + first.stderr
    db = Database(empty_postgres_url)
    try:
        assert f"Database at revision {head_revision(db)}." in first.stdout
        assert current_revision(db) == head_revision(db)
        assert TABLES <= set(inspect(db.engine).get_table_names())
    finally:
        db.dispose()
    second = _cli("db", "upgrade", env=env)
    assert second.returncode == 0 and "already up to date" in second.stdout, second.stdout + second.stderr
    current = _cli("db", "current", env=env)
    assert current.returncode == 0 and current.stdout.strip() == head_revision(Database(empty_postgres_url))


def test_down_to_base_and_up_again_on_postgresql(empty_db):
    upgrade(empty_db)
    downgrade(empty_db, "base")
    assert inspect(empty_db.engine).get_table_names() == ["alembic_version"]
    upgrade(empty_db)
    assert TABLES <= set(inspect(empty_db.engine).get_table_names())


def test_a_log_stored_on_postgresql_reads_back_whole_and_survives_the_data_migrations(postgres_url, tmp_path,
                                                                                     monkeypatch):
    """Down to 0003 and up again with an exercise stored: 0004 chains the stored log (JSON and times read
    back from PostgreSQL) and 0005 rewrites its stored codes (test_secrets.py checks they work again); the
    log then verifies and reads as it was written."""
    monkeypatch.setenv("FACILITATOR_INSTANCE", str(tmp_path / "instance"))
    app = create_app({"TESTING": True, "DATABASE_URL": postgres_url})
    services = app.extensions["facilitator"]
    exercises = services.exercises
    try:
        created = exercises.create("demo")
        written = [exercises.execute(created.id, PostMessage("plenary", text), UMPIRE_ACTOR).events[0]
                   for text in ("один", "two \U0001F54A", 'three "quoted" \\ back')]
        with services.db.read() as session:
            stored_at = session.scalar(select(EventRow.at).where(EventRow.exercise_id == created.id).limit(1))
            created_at = session.scalar(select(ExerciseRow.created_at).where(ExerciseRow.id == created.id))
        assert stored_at.tzinfo is timezone.utc and created_at.tzinfo is timezone.utc
        services.db.dispose()
        downgrade(services.db, "0003", code_key=exercises.code_key)
        upgrade(services.db, code_key=exercises.code_key)
        with services.db.read() as session:
            assert exercises.store.verify(session, created.id).ok
        loaded = exercises.events(created.id, UMPIRE_ACTOR)
        assert [e.to_dict() for e in loaded] == [e.to_dict() for e in written]
        assert [e.data["text"] for e in exercises.events(created.id, UMPIRE_ACTOR)] == \
            ["один", "two \U0001F54A", 'three "quoted" \\ back']
        assert all(e.at <= datetime.now(timezone.utc) for e in loaded)
    finally:
        services.db.dispose()


def test_commands_go_on_after_the_database_server_dropped_every_connection(postgres_url, tmp_path, monkeypatch):
    """Connections the database server dropped (a restart, an administrator's ``pg_terminate_backend``) while they
    sat in the pool are found dead before they are handed out (those idle ``PING_AFTER_IDLE`` seconds are tried),
    so the next command after a quiet spell is applied, not failed; those in use a moment ago are not tried."""
    from facilitator.persistence import db as db_module

    monkeypatch.setenv("FACILITATOR_INSTANCE", str(tmp_path / "instance"))
    monkeypatch.setattr(db_module, "PING_AFTER_IDLE", 0.2)
    app = create_app({"TESTING": True, "DATABASE_URL": postgres_url})
    exercises = app.extensions["facilitator"].exercises
    try:
        exercise_id = exercises.create("demo").id
        exercises.execute(exercise_id, PostMessage(channel="plenary", text="Before"), UMPIRE_ACTOR)
        outside = create_engine(postgres_url, poolclass=NullPool)  # not one of the app's connections
        with outside.connect() as own:
            dropped = own.exec_driver_sql(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()").scalar()
        outside.dispose()
        assert dropped >= 1
        time.sleep(0.3)
        applied = exercises.execute(exercise_id, PostMessage(channel="plenary", text="After"), UMPIRE_ACTOR)
        assert applied.events and applied.events[0].data["text"] == "After"
        assert [e.data["text"] for e in exercises.events(exercise_id, UMPIRE_ACTOR)
                if e.type == "message_posted"] == ["Before", "After"]
    finally:
        exercises.db.dispose()


def test_the_migrations_own_engine_without_a_pool_opens_on_postgresql(postgres_url):
    """``migrations/env.py`` (``alembic`` run by hand) makes its engine with ``NullPool``: the server's pool
    settings must not be forced on it."""
    from facilitator.persistence.db import make_engine

    engine = make_engine(postgres_url, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            assert connection.exec_driver_sql("SELECT 1").scalar() == 1
    finally:
        engine.dispose()


def test_a_quiet_command_is_one_statement_and_a_write_by_another_process_is_caught_up_first(postgres_url, tmp_path,
                                                                                              monkeypatch):
    """On PostgreSQL a command to an exercise whose state this process holds is stored in one statement, the
    whole of its transaction (no BEGIN, lock or lookup first). When another process wrote meanwhile that
    statement stores nothing, and the command is applied after the other's events, the log gap-free and its
    hash chain whole; a command id stored already is answered as a duplicate, not applied twice."""
    from sqlalchemy import event

    monkeypatch.setenv("FACILITATOR_INSTANCE", str(tmp_path / "instance"))
    first = create_app({"TESTING": True, "DATABASE_URL": postgres_url}).extensions["facilitator"]
    second = create_app({"TESTING": True, "DATABASE_URL": postgres_url}).extensions["facilitator"]
    statements: list[str] = []
    event.listen(first.db.engine, "before_cursor_execute",
                 lambda _c, _cur, statement, *_: statements.append(" ".join(statement.split())[:60]))
    try:
        exercise_id = first.exercises.create("demo").id

        def post(services, text, command_id=None):
            return services.exercises.execute(exercise_id, PostMessage("plenary", text), UMPIRE_ACTOR,
                                              command_id=command_id, issuer="umpire")

        post(first, "one")
        statements.clear()
        post(first, "two")
        assert len(statements) == 1 and statements[0].startswith("WITH advanced AS ( UPDATE exercises"), statements
        post(second, "three")  # the other process
        statements.clear()
        applied = post(first, "four")
        assert len(statements) > 1  # the one statement found the log moved: locked, caught up, stored
        original = post(first, "five", command_id="c-5")
        again = post(first, "five", command_id="c-5")
        assert again.duplicate and again.seq == original.seq and not again.events
        texts = [e.data["text"] for e in first.exercises.events(exercise_id, UMPIRE_ACTOR) if e.type == "message_posted"]
        assert texts == ["one", "two", "three", "four", "five"]
        assert applied.seq == original.seq - 1
        with first.db.read() as session:
            seqs = session.scalars(select(EventRow.seq).where(EventRow.exercise_id == exercise_id)
                                   .order_by(EventRow.seq)).all()
            assert seqs == list(range(1, len(seqs) + 1))
            assert first.exercises.store.verify(session, exercise_id).ok
    finally:
        first.db.dispose()
        second.db.dispose()


def test_a_nul_in_a_command_id_is_refused_as_invalid_and_the_others_of_its_group_are_applied(postgres_url, tmp_path,
                                                                                              monkeypatch):
    """The id a client gives its command is looked up and stored as a text, which PostgreSQL cannot hold with a
    NUL: the command is refused as ``invalid`` (not an internal failure), whichever way its group is written,
    and the commands that came with it are applied."""
    import threading

    from facilitator.engine import RuleError

    monkeypatch.setenv("FACILITATOR_INSTANCE", str(tmp_path / "instance"))
    exercises = create_app({"TESTING": True, "DATABASE_URL": postgres_url}).extensions["facilitator"].exercises
    try:
        exercise_id = exercises.create("demo").id
        exercises.execute(exercise_id, PostMessage("plenary", "first"), UMPIRE_ACTOR)  # the state is held here
        with pytest.raises(RuleError) as alone:
            exercises.execute(exercise_id, PostMessage("plenary", "bad"), UMPIRE_ACTOR, command_id="a\x00b",
                              issuer="umpire")
        assert alone.value.code == "invalid" and "NUL" in alone.value.message
        live = exercises._get(exercise_id)
        outcomes = {}

        def send(key, command_id):
            try:
                outcomes[key] = exercises.execute(exercise_id, PostMessage("plenary", key), UMPIRE_ACTOR,
                                                  command_id=command_id, issuer="umpire")
            except RuleError as exc:
                outcomes[key] = exc
        with live.lock:  # both queue behind this writer and are applied as one group
            threads = [threading.Thread(target=send, args=("good", "ok-1")),
                       threading.Thread(target=send, args=("worse", "c\x00d"))]
            for thread in threads:
                thread.start()
            deadline = time.monotonic() + 5
            while len(live.queue) < 2 and time.monotonic() < deadline:
                time.sleep(0.001)
        for thread in threads:
            thread.join(10)
        assert isinstance(outcomes["worse"], RuleError) and outcomes["worse"].code == "invalid"
        assert outcomes["good"].events
        assert [e.data["text"] for e in exercises.events(exercise_id, UMPIRE_ACTOR)
                if e.type == "message_posted"] == ["first", "good"]
    finally:
        exercises.db.dispose()


def test_another_process_commits_to_several_exercises_are_followed_by_one_read_and_published_in_order(
        postgres_url, tmp_path, monkeypatch):
    """A process told that another committed to several exercises it holds catches all of them up with one
    read of the log, folds each (the state as the writer's, the hash chain whole), and publishes each
    exercise's new events once, in seq order; an exercise it does not hold, or holds up to date, is not read."""
    from sqlalchemy import event

    monkeypatch.setenv("FACILITATOR_INSTANCE", str(tmp_path / "instance"))
    writer = create_app({"TESTING": True, "DATABASE_URL": postgres_url}).extensions["facilitator"]
    follower = create_app({"TESTING": True, "DATABASE_URL": postgres_url}).extensions["facilitator"]
    try:
        held = [writer.exercises.create("demo").id for _ in range(4)]
        elsewhere = writer.exercises.create("demo").id  # the follower never loaded it
        for exercise_id in held:
            follower.exercises.state(exercise_id)
        published: list[tuple[str, int, list[str]]] = []
        follower.exercises.subscribe(lambda exercise_id, payloads: published.append(
            (exercise_id, payloads["umpire"]["seq"], [e["data"].get("text") for e in payloads["umpire"]["events"]])))
        commits = {}
        for n, exercise_id in enumerate(held[:3] + [elsewhere]):
            for text in (f"first in {n}", f"second in {n}"):
                commits[exercise_id] = writer.exercises.execute(exercise_id, PostMessage("plenary", text),
                                                                UMPIRE_ACTOR).seq
        commits[held[3]] = follower.exercises.state(held[3]).seq  # up to date already
        reads: list[str] = []
        event.listen(follower.db.engine, "before_cursor_execute",
                     lambda _c, _cur, statement, *_: reads.append(statement) if "FROM" in statement else None)
        follower.exercises.follow(commits)
        assert len(reads) == 1 and "unnest" in reads[0], reads
        assert sorted(published) == sorted((exercise_id, commits[exercise_id], [f"first in {n}", f"second in {n}"])
                                           for n, exercise_id in enumerate(held[:3]))
        for exercise_id in held:
            assert follower.exercises.state(exercise_id) == writer.exercises.state(exercise_id)
        assert elsewhere not in follower.exercises.loaded()
        # the follower writes next: its one statement finds the log where it holds it (the chain whole)
        follower.exercises.execute(held[0], PostMessage("plenary", "from the follower"), UMPIRE_ACTOR)
        with follower.db.read() as session:
            assert follower.exercises.store.verify(session, held[0]).ok
        published.clear()
        follower.exercises.follow(commits)  # an old ring: nothing to read, nothing published again
        assert published == []
    finally:
        writer.db.dispose()
        follower.db.dispose()
