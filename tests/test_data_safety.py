"""The database's safety: its files private to the server's user, a backup taken while the server writes,
a restore that checks what it is given, and a downgrade that will not drop exercises unasked."""

from __future__ import annotations

import logging
import os
import sqlite3
import stat
import threading
from pathlib import Path

import pytest

from facilitator import create_app
from facilitator.engine import AdvancePhase, PostMessage
from facilitator.engine.audience import UMPIRE_ACTOR
from facilitator.extensions import services
from facilitator.persistence.db import sqlite_path
from facilitator.persistence.migrate import current_revision, head_revision

from .conftest import migrated_url, sqlite_only

FILE_COPY = sqlite_only("db backup and db restore copy the SQLite file (on PostgreSQL they point to its own tools)")


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture(autouse=True)
def usual_umask():
    """The usual umask (files readable by everyone unless made otherwise), whatever the test runner's."""
    before = os.umask(0o022)
    yield
    os.umask(before)


def _exercise(exercises) -> tuple[str, str, object]:
    """A demo exercise with its first phase open and one member seated: (id, umpire token, member)."""
    created = exercises.create("demo")
    exercises.execute(created.id, AdvancePhase(), UMPIRE_ACTOR)
    member = exercises.join(next(iter(created.join_codes.values())), "Olena")[0].actor
    return created.id, created.umpire_token, member


def _events(client, exercise_id: str, token: str) -> list[dict]:
    response = client.get(f"/api/exercises/{exercise_id}/events?limit=5000",
                          headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    return response.get_json()["events"]


def _listed(runner) -> str:
    result = runner.invoke(args=["exercises", "list"])
    assert result.exit_code == 0
    return result.output


# ---- files and permissions ----------------------------------------------------------------------------

def test_a_new_database_its_wal_and_shm_and_the_instance_folder_are_private(tmp_path, monkeypatch):
    monkeypatch.setenv("FACILITATOR_INSTANCE", str(tmp_path / "instance"))
    for name in ("DATABASE_URL", "SECRET_KEY"):
        monkeypatch.delenv(name, raising=False)
    app = create_app()
    assert app.test_cli_runner().invoke(args=["db", "upgrade"]).exit_code == 0
    with app.app_context():
        exercise_id, _, member = _exercise(services().exercises)
        services().exercises.execute(exercise_id, PostMessage("plenary", "Good morning."), member)
    instance = tmp_path / "instance"
    database = instance / "facilitator.sqlite3"
    files = [database, instance / "facilitator.sqlite3-wal", instance / "facilitator.sqlite3-shm",
             instance / "secret_key"]
    assert all(f.exists() for f in files)  # the server's open connections keep the -wal and -shm files
    assert oct(mode(instance)) == oct(0o700)
    assert {f.name: oct(mode(f)) for f in files} == {f.name: oct(0o600) for f in files}
    app.extensions["facilitator"].db.dispose()


@sqlite_only("the permissions of the database file and its -wal")
def test_a_database_others_could_read_is_made_private_on_start_and_logged(tmp_path, monkeypatch, caplog):
    instance = tmp_path / "instance"
    monkeypatch.setenv("FACILITATOR_INSTANCE", str(instance))
    (tmp_path / "shared").mkdir()
    url = migrated_url(tmp_path / "shared" / "db.sqlite3")
    database = tmp_path / "shared" / "db.sqlite3"
    neighbour = tmp_path / "shared" / "notes.txt"
    neighbour.write_text("not the database's")
    instance.mkdir()
    for path, old in ((instance, 0o755), (tmp_path / "shared", 0o755), (database, 0o644), (neighbour, 0o644)):
        os.chmod(path, old)
    Path(f"{database}-wal").write_bytes(b"")
    os.chmod(f"{database}-wal", 0o666)
    kept = tmp_path / "shared" / "db.before-restore-20261201-091500.sqlite3"
    kept.write_bytes(b"")
    (instance / "instructor_key").write_text("ABCD-EFGH-JKMN")
    for path in (kept, instance / "instructor_key"):
        os.chmod(path, 0o644)
    with caplog.at_level(logging.WARNING):
        app = create_app({"DATABASE_URL": url, "SECRET_KEY": "kept in the environment"})
    assert mode(instance) == 0o700
    assert mode(database) == 0o600 and mode(Path(f"{database}-wal")) == 0o600
    assert mode(kept) == 0o600 and mode(instance / "instructor_key") == 0o600
    assert "made private" in caplog.text and str(database) in caplog.text and str(instance) in caplog.text
    # nothing else is touched: not the folder the database is in (it is not the instance folder), nor its neighbours
    assert mode(tmp_path / "shared") == 0o755 and mode(neighbour) == 0o644
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        create_app({"DATABASE_URL": url, "SECRET_KEY": "kept in the environment"})
    assert "made private" not in caplog.text  # said once, when it changed something
    app.extensions["facilitator"].db.dispose()


@sqlite_only("its journal mode and PRAGMA synchronous (PostgreSQL syncs each commit by default)")
def test_a_commit_is_synced_to_disk_before_the_command_is_acknowledged(exercises):
    with exercises.db.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL: survives a power cut


def test_only_a_sqlite_file_has_files_to_protect():
    assert sqlite_path("sqlite:////srv/facilitator/db.sqlite3") == Path("/srv/facilitator/db.sqlite3")
    assert sqlite_path("sqlite://") is None and sqlite_path("sqlite:///:memory:") is None
    assert sqlite_path("postgresql://facilitator@db.example.org/facilitator") is None


# ---- backup and restore -------------------------------------------------------------------------------

@FILE_COPY
def test_a_backup_taken_while_commands_run_is_a_whole_prefix_of_the_log_and_restores_elsewhere(
        app, runner, client, exercises, tmp_path, monkeypatch):
    exercise_id, token, member = _exercise(exercises)
    copy = tmp_path / "copy.sqlite3"
    started, finished, posted, errors = threading.Event(), threading.Event(), [0], []

    def writer():  # 300 chat posts, and on until the backup is done: it is taken while commands run
        try:
            while posted[0] < 300 or not finished.is_set():
                exercises.execute(exercise_id, PostMessage("plenary", f"Point {posted[0]}."), member)
                posted[0] += 1
                if posted[0] == 50:
                    started.set()
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
            started.set()

    thread = threading.Thread(target=writer)
    thread.start()
    started.wait(timeout=60)
    result = runner.invoke(args=["db", "backup", str(copy)])
    finished.set()
    thread.join(timeout=120)
    assert errors == [] and result.exit_code == 0, result.output
    assert result.output.startswith("Copied 1 exercise (") and f"bytes) to {copy}" in result.output
    assert mode(copy) == 0o600
    everything = _events(client, exercise_id, token)

    # A fresh instance, restored from the copy, serves the log up to where the copy was taken: every event
    # chained to the one before, none half-written.
    monkeypatch.setenv("FACILITATOR_INSTANCE", str(tmp_path / "fresh"))
    fresh = create_app({"TESTING": True, "DATABASE_URL": migrated_url(tmp_path / "fresh.sqlite3")})
    fresh_runner = fresh.test_cli_runner()
    restored = fresh_runner.invoke(args=["db", "restore", str(copy), "--yes"])
    assert restored.exit_code == 0, restored.output
    assert "Restored 1 exercise (" in restored.output and "Kept the database as it was in" in restored.output
    verified = fresh_runner.invoke(args=["exercises", "verify", exercise_id])
    assert verified.exit_code == 0 and verified.output.startswith("The log is intact")
    served = _events(fresh.test_client(), exercise_id, token)
    assert 50 < len(served) < len(everything)
    assert served == everything[:len(served)]
    assert f"({len(served)} events)" in verified.output or f"{len(served)} events" in verified.output
    fresh.extensions["facilitator"].db.dispose()


@FILE_COPY
def test_a_backup_does_not_replace_a_file_unless_forced(runner, exercises, tmp_path):
    _exercise(exercises)
    target = tmp_path / "copy.sqlite3"
    target.write_text("my notes")
    refused = runner.invoke(args=["db", "backup", str(target)])
    assert refused.exit_code == 1 and "exists: give --force to replace it" in refused.output
    assert target.read_text() == "my notes"
    forced = runner.invoke(args=["db", "backup", str(target), "--force"])
    assert forced.exit_code == 0 and mode(target) == 0o600
    with sqlite3.connect(target) as copied:
        assert copied.execute("SELECT count(*) FROM exercises").fetchone() == (1,)


@FILE_COPY
def test_a_backup_never_replaces_a_device_or_anything_but_a_file(runner, exercises, tmp_path):
    """Once `db backup /dev/null --force`, run as root, replaced the device with a file."""
    _exercise(exercises)
    pipe = tmp_path / "pipe"
    os.mkfifo(pipe)
    for target in ("/dev/null", str(pipe)):
        refused = runner.invoke(args=["db", "backup", target, "--force"])
        assert refused.exit_code == 1 and "is not a regular file" in refused.output, refused.output
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode) and stat.S_ISFIFO(os.stat(pipe).st_mode)


@FILE_COPY
def test_restore_refuses_while_a_server_runs_on_the_database_and_the_database_onto_itself(runner, exercises,
                                                                                           tmp_path):
    from facilitator.persistence.backup import serving

    _exercise(exercises)
    copy = tmp_path / "copy.sqlite3"
    assert runner.invoke(args=["db", "backup", str(copy)]).exit_code == 0
    before = _listed(runner)
    with serving(exercises.db):  # as `facilitator serve` holds it while it runs
        refused = runner.invoke(args=["db", "restore", str(copy), "--yes"])
    assert refused.exit_code == 1 and "a server is running on this database: stop it first" in refused.output
    _unchanged(runner, tmp_path, before, exercises.db.path.parent)
    itself = runner.invoke(args=["db", "restore", str(exercises.db.path), "--yes"])
    assert itself.exit_code == 1 and "is the database itself" in itself.output
    assert runner.invoke(args=["db", "restore", str(copy), "--yes"]).exit_code == 0  # once the server has stopped


def test_serve_on_a_database_not_set_up_says_what_to_run(tmp_path):
    import subprocess
    import sys

    env = {**os.environ, "FACILITATOR_INSTANCE": str(tmp_path / "new"), "DATABASE_URL": ""}
    env.pop("DATABASE_URL")
    result = subprocess.run([str(Path(sys.executable).parent / "facilitator"), "serve", "--port", "1"], env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "run `facilitator db upgrade` first" in result.stderr and "Traceback" not in result.stderr


def _unchanged(runner, tmp_path, before: str, folder: Path) -> None:
    assert _listed(runner) == before
    assert not list(folder.glob("*before-restore*"))


@FILE_COPY
def test_restore_refuses_without_yes_and_changes_nothing(runner, exercises, tmp_path):
    _exercise(exercises)
    copy = tmp_path / "copy.sqlite3"
    assert runner.invoke(args=["db", "backup", str(copy)]).exit_code == 0
    exercises.create("demo", title="Made after the copy")
    before = _listed(runner)
    refused = runner.invoke(args=["db", "restore", str(copy)])
    assert refused.exit_code == 1
    assert "replaces every exercise of this database (2 exercises" in refused.output and "--yes" in refused.output
    _unchanged(runner, tmp_path, before, tmp_path)
    assert "Made after the copy" in before


@FILE_COPY
@pytest.mark.parametrize("kind", ["text", "other sqlite", "newer schema"])
def test_restore_refuses_a_file_that_is_not_a_facilitator_database_of_this_version(runner, exercises, tmp_path,
                                                                                   kind):
    _exercise(exercises)
    given = tmp_path / "given.sqlite3"
    if kind == "text":
        given.write_text("exercise,title\n1,Tuesday\n" * 50)
        expected = "is not a facilitator database: file is not a database"
    elif kind == "other sqlite":
        with sqlite3.connect(given) as other:
            other.execute("CREATE TABLE notes (text TEXT)")
        expected = "is not a facilitator database: it has no alembic_version, events, exercises table"
    else:
        assert runner.invoke(args=["db", "backup", str(given)]).exit_code == 0
        with sqlite3.connect(given) as newer:
            newer.execute("UPDATE alembic_version SET version_num = '9001_from_the_future'")
        newer.close()
        expected = "is from a newer version of facilitator (its schema is at revision 9001_from_the_future"
    before = _listed(runner)
    refused = runner.invoke(args=["db", "restore", str(given), "--yes"])
    assert refused.exit_code == 1 and expected in refused.output, refused.output
    _unchanged(runner, tmp_path, before, tmp_path)


def test_backup_and_restore_of_another_database_point_to_its_own_tools(app, runner, tmp_path, monkeypatch):
    # A database that is not a SQLite file is what the commands see (on PostgreSQL, it is one).
    monkeypatch.setattr(app.extensions["facilitator"].db, "path", None)
    for args in (["db", "backup", str(tmp_path / "copy")], ["db", "restore", str(tmp_path / "copy"), "--yes"]):
        result = runner.invoke(args=args)
        assert result.exit_code == 1 and "pg_dump" in result.output
    assert not (tmp_path / "copy").exists()


# ---- downgrade ----------------------------------------------------------------------------------------

def test_a_downgrade_that_drops_exercises_is_refused_unless_asked_for(app, runner, exercises):
    exercise_id, _, member = _exercise(exercises)
    exercises.execute(exercise_id, PostMessage("plenary", "Good morning."), member)
    db = exercises.db
    head = current_revision(db)
    before = _listed(runner)
    refused = runner.invoke(args=["db", "downgrade", "base"])
    assert refused.exit_code == 1
    events = exercises.state(exercise_id).seq
    assert f"the 1 exercise and {events} events stored here would be lost" in refused.output
    assert "--yes-drop-everything" in refused.output and "Nothing was changed" in refused.output
    assert current_revision(db) == head == head_revision(db) and _listed(runner) == before
    one_back = runner.invoke(args=["db", "downgrade", "--", "-1"])
    assert one_back.exit_code == 1 and current_revision(db) == head, one_back.output
    assert "downgrading to -1 drops what these migrations added" in one_back.output
    done = runner.invoke(args=["db", "downgrade", "base", "--yes-drop-everything"])
    assert done.exit_code == 0 and current_revision(db) is None


def test_a_downgrade_of_an_empty_database_needs_no_flag(runner, exercises):
    result = runner.invoke(args=["db", "downgrade", "base"])
    assert result.exit_code == 0 and current_revision(exercises.db) is None


@sqlite_only("its page limit stands in for a full disk")
def test_a_full_disk_refuses_commands_clearly_keeps_what_was_saved_and_recovers(app, client, exercises):
    """Once a full disk turned every command into `internal`. SQLite's page limit stands in for the disk."""
    from sqlalchemy import event

    from facilitator.engine import PostMessage, RuleError
    from facilitator.engine.audience import UMPIRE_ACTOR

    created = exercises.create("demo")
    exercises.execute(created.id, PostMessage("plenary", "saved before"), UMPIRE_ACTOR)
    with exercises.db.engine.connect() as connection:
        pages = connection.exec_driver_sql("PRAGMA page_count").scalar()
    limit = {"pages": pages + 2}

    def full(dbapi_connection, _record):
        dbapi_connection.execute(f"PRAGMA max_page_count = {limit['pages']}")

    event.listen(exercises.db.engine, "connect", full)
    exercises.db.engine.dispose()
    refused = None
    for size in (1500, 40, 1):  # filled with large messages, then smaller ones, to the last byte
        for n in range(400):
            try:
                exercises.execute(created.id, PostMessage("plenary", f"f{n} " + "x" * size), UMPIRE_ACTOR)
            except RuleError as exc:
                refused = exc
                break
    assert refused is not None and refused.code == "storage_full" and "disk is full" in refused.message
    seq = exercises.state(created.id).seq
    answer = client.post("/api/join", json={"code": created.join_codes["ukraine"], "name": "Olena"})
    assert answer.status_code == 507 and answer.get_json()["error"]["code"] == "storage_full"
    assert exercises.state(created.id).seq == seq  # nothing half-kept, nothing folded that was not stored
    stored = exercises.events(created.id, UMPIRE_ACTOR)
    assert [e.seq for e in stored] == list(range(1, seq + 1)) and stored[0].data["text"] == "saved before"

    limit["pages"] = 10 ** 9  # space again: the next command is taken, after the last one kept
    exercises.db.engine.dispose()
    exercises.execute(created.id, PostMessage("plenary", "after the cleanup"), UMPIRE_ACTOR)
    assert exercises.state(created.id).seq == seq + 1
    with exercises.db.read() as session:
        assert exercises.store.verify(session, created.id).ok


def test_exports_never_replace_a_pipe_or_a_device(runner, exercises, tmp_path):
    exercise_id = _exercise(exercises)[0]
    pipe = tmp_path / "pipe"
    os.mkfifo(pipe)
    for args in (["exercises", "export", exercise_id, "--out", str(pipe)], ["event-list", "export", exercise_id, str(pipe)],
                 ["exercises", "report", exercise_id, "--out", str(pipe), "--format", "html"]):
        refused = runner.invoke(args=args)
        assert refused.exit_code == 1 and "not a regular file" in refused.output, (args, refused.output)
    assert stat.S_ISFIFO(os.stat(pipe).st_mode)


@FILE_COPY
def test_a_restore_finds_the_running_server_through_another_name_for_the_database(runner, exercises, tmp_path):
    from facilitator.persistence.backup import serving
    from facilitator.persistence.db import Database

    _exercise(exercises)
    copy = tmp_path / "copy.sqlite3"
    assert runner.invoke(args=["db", "backup", str(copy)]).exit_code == 0
    alias = tmp_path / "alias.sqlite3"
    alias.symlink_to(exercises.db.path)
    other = Database(f"sqlite:///{alias}")
    with serving(other):  # a server started with the database under another name
        refused = runner.invoke(args=["db", "restore", str(copy), "--yes"])
    other.dispose()
    assert refused.exit_code == 1 and "a server is running" in refused.output


def test_commands_on_a_database_not_set_up_say_what_to_run(tmp_path):
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env["FACILITATOR_INSTANCE"] = str(tmp_path / "new")
    for args in (["exercises", "list"], ["demo"]):
        result = subprocess.run([str(Path(sys.executable).parent / "facilitator"), *args], env=env,
                                capture_output=True, text=True, timeout=60)
        assert result.returncode == 1 and "run `facilitator db upgrade` first" in result.stderr, result.stderr
        assert "Traceback" not in result.stderr
