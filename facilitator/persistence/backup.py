"""Copies of the whole database: a backup taken while the server runs and writes, a restore that checks the
file first and keeps the database it replaces, and what a schema downgrade would drop.

Backup and restore use SQLite's online backup API (``sqlite3.Connection.backup``): the copy is the database
as one read transaction saw it, so it holds every commit made before it began and none after, each
exercise's log a whole prefix. Another database (PostgreSQL) is copied with its own tools.
"""

from __future__ import annotations

import fcntl
import os
import secrets
import sqlite3
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

from sqlalchemy import inspect, text

from . import migrate
from .db import BUSY_TIMEOUT_MS, PRIVATE_FILE, Database

TABLES = frozenset({"exercises", "events", "alembic_version"})  # what a facilitator database holds, at least
NOT_SQLITE = ("the database (DATABASE_URL) is not a SQLite file: copy it with its own tools (for PostgreSQL, "
              "pg_dump and pg_restore)")


class BackupError(Exception):
    """A backup, restore or downgrade refused or failed; the message says why, in words."""


@dataclass(frozen=True)
class Contents:
    """What a database file holds: its exercises and events, its schema revision and its size in bytes."""

    exercises: int
    events: int
    revision: str | None
    bytes: int


@dataclass(frozen=True)
class Restored:
    """A restore done: what the database now holds (migrated to ``contents.revision``), the revision the
    file was at, and where the database it replaced was kept (None: there was none)."""

    contents: Contents
    from_revision: str
    kept: Path | None


@dataclass(frozen=True)
class Losses:
    """What a downgrade to ``target`` undoes: the revisions reverted (id and description, newest first), the
    exercises and events stored, and whether it goes to the empty schema (every table dropped)."""

    target: str
    undone: list[tuple[str, str]]
    exercises: int
    events: int
    everything: bool

    def __str__(self) -> str:
        held = (f"{self.exercises} exercise{'' if self.exercises == 1 else 's'} and {self.events} "
                f"event{'' if self.events == 1 else 's'}")
        if self.everything:
            return f"downgrading to {self.target} drops every table: the {held} stored here would be lost."
        head = f"downgrading to {self.target} drops what these migrations added to the {held} stored here:"
        return "\n".join([head, *(f"  {revision}  {doc}" for revision, doc in self.undone)])


@contextmanager
def serving(db: Database) -> Iterator[None]:
    """Held by a running server (``facilitator serve``) on a SQLite database: a shared lock on a file beside it
    (``<database>.serving``, 0600), released when the process ends however it ends. Several servers may hold
    it; ``restore`` refuses while any does. Other databases: nothing to hold."""
    if db.path is None:
        yield
        return
    fd = os.open(lock_path(db), os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_SH)
        yield
    finally:
        os.close(fd)


def server_running(db: Database) -> bool:
    """Whether a server holds ``serving`` on the SQLite database ``db`` now."""
    path = lock_path(db) if db.path is not None else None
    if path is None or not path.exists():
        return False
    fd = os.open(path, os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
    return False


def lock_path(db: Database) -> Path:
    """Beside the database file itself (through any symbolic link), so every name for it finds one lock."""
    real = Path(os.path.realpath(db.path))
    return real.with_name(real.name + ".serving")


def backup(db: Database, target: Path, force: bool = False) -> Contents:
    """Copy the SQLite database ``db`` to the file ``target`` while others may write to it; returns what the
    copy holds. The copy is a self-contained file (no ``-wal``), readable by this user only (0600), written
    beside ``target`` and moved there once whole. Raises ``BackupError`` for a database that is not SQLite,
    an existing ``target`` without ``force``, or ``target`` naming the database itself; ``OSError`` when
    ``target`` cannot be written."""
    if db.path is None:
        raise BackupError(NOT_SQLITE)
    if not db.path.is_file():
        raise BackupError(f"there is no database at {db.path} yet: nothing to copy")
    target = Path(os.path.realpath(target))
    if target == Path(os.path.realpath(db.path)):
        raise BackupError(f"{target} is the database itself: name another file")
    if target.is_dir():
        raise BackupError(f"{target} is a folder: name a file")
    if target.exists() and not target.is_file():
        raise BackupError(f"{target} is not a regular file (a device, a pipe, a socket): name a file")
    if target.exists() and not force:
        raise BackupError(f"{target} exists: give --force to replace it")
    part = target.with_name(f".{target.name}.{secrets.token_hex(4)}.part")
    try:
        _copy(_connect(db.path), part)
        contents = _contents(part)
        os.replace(part, target)
    finally:
        part.unlink(missing_ok=True)
    return contents


def inspect_file(path: Path, db: Database, shown: Path | None = None) -> Contents:
    """What the file ``path`` holds, checked as a database ``db`` could be restored from: a SQLite file
    that passes ``integrity_check``, with a facilitator's tables, at a schema revision this version knows
    (its migrations can take it to their head). Raises ``BackupError`` saying what is wrong, or that ``db``
    is not SQLite; the file is only read. ``shown``: the name to give the file in messages (default ``path``)."""
    if db.path is None:
        raise BackupError(NOT_SQLITE)
    shown = shown or path
    if not path.is_file():
        raise BackupError(f"{shown}: no such file" if not path.exists() else f"{shown} is not a file")
    try:
        source = _read_only(path)
        try:
            _check(source, shown, db)
        finally:
            source.close()
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{shown} is not a facilitator database: {exc}") from None
    return _contents(path)


def restore(db: Database, source: Path, code_key: bytes | None = None) -> Restored:
    """Replace the whole SQLite database ``db`` by the database in the file ``source`` (every exercise),
    then migrate it to this version's schema (``code_key``: as ``migrate.upgrade``). The file is checked
    first (``inspect_file``, on a private copy of it, which is what is restored); then the database as it
    was, if there is one, is kept beside it (``<name>.before-restore-<time>.sqlite3``, 0600) and the file
    copied in with SQLite's backup API, in one transaction. Stop the server first: a running server keeps
    the exercises it holds in memory. Returns ``Restored``; raises ``BackupError`` (nothing changed) for a
    file that is not a facilitator database or is from a newer version, or a database that is not SQLite;
    ``OSError`` when a copy cannot be written beside the database."""
    if db.path is None:
        raise BackupError(NOT_SQLITE)
    source = Path(source)
    if not source.is_file():
        raise BackupError(f"{source}: no such file" if not source.exists() else f"{source} is not a file")
    if db.path.exists() and os.path.samefile(source, db.path):
        raise BackupError(f"{source} is the database itself: name a backup")
    if server_running(db):
        raise BackupError("a server is running on this database: stop it first (it holds the exercises in play "
                          "in memory, and would go on from where they were)")
    staged = db.path.with_name(f".{db.path.name}.{secrets.token_hex(4)}.restore")
    try:
        try:
            _copy(_read_only(source), staged)
        except sqlite3.DatabaseError as exc:
            raise BackupError(f"{source} is not a facilitator database: {exc}") from None
        from_revision = inspect_file(staged, db, shown=source).revision
        kept = _kept_name(db.path) if db.path.is_file() else None
        if kept is not None:
            backup(db, kept)
        db.dispose()  # no pooled connection keeps the old schema
        incoming = sqlite3.connect(staged)
        try:
            with incoming:
                _match_page_size(incoming, db.path)
            live = _connect(db.path)
            try:
                incoming.backup(live)
            finally:
                live.close()
        finally:
            incoming.close()
    finally:
        staged.unlink(missing_ok=True)
    db.dispose()
    migrate.upgrade(db, code_key=code_key)
    exercises, events = counts(db)
    contents = Contents(exercises, events, migrate.current_revision(db), db.path.stat().st_size)
    db.dispose()
    return Restored(contents, from_revision, kept)


def counts(db: Database) -> tuple[int, int]:
    """``(exercises, events)`` stored in ``db`` (any database; 0 for a schema not yet made)."""
    tables = set(inspect(db.engine).get_table_names())
    with db.engine.connect() as connection:
        return tuple(connection.execute(text(f"SELECT count(*) FROM {name}")).scalar() if name in tables else 0
                     for name in ("exercises", "events"))


def downgrade_losses(db: Database, revision: str) -> Losses | None:
    """What ``migrate.downgrade(db, revision)`` would undo (``Losses``), or None when it undoes nothing.
    Raises ``BackupError`` for a revision this version does not know."""
    from alembic.script import ScriptDirectory  # not at import: see migrate.py
    from alembic.script.revision import RevisionError
    from alembic.util import CommandError
    current = migrate.current_revision(db)
    if current is None:
        return None
    script = ScriptDirectory.from_config(migrate.alembic_config(db))
    try:
        undone = list(script.iterate_revisions(current, revision))
    except (CommandError, RevisionError) as exc:
        raise BackupError(f"cannot downgrade to {revision}: {exc}") from None
    undone = [s for s in undone if s.revision != revision]
    if not undone:
        return None
    exercises, events = counts(db)
    everything = any(s.down_revision is None for s in undone)
    return Losses(revision, [(s.revision, " ".join((s.doc or "").split())) for s in undone], exercises, events,
                  everything)


# ---- the copies ---------------------------------------------------------------------------------------

def _kept_name(path: Path) -> Path:
    """A new name beside the database ``path`` for the copy a restore keeps."""
    stamp = datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S")
    for n in range(1, 1000):
        kept = path.with_name(f"{path.stem}.before-restore-{stamp}{'' if n == 1 else f'-{n}'}.sqlite3")
        if not kept.exists():
            return kept
    raise BackupError(f"too many copies named {path.stem}.before-restore-{stamp}… beside {path}")

def _connect(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000)


def _read_only(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(f"{path.absolute().as_uri()}?mode=ro", uri=True, timeout=BUSY_TIMEOUT_MS / 1000)


def _copy(source: sqlite3.Connection, target: Path) -> None:
    """Copy ``source``'s database (then closed) into ``target``, a new file made 0600, in one step (one read
    transaction: a consistent copy, while writers go on in WAL mode); the copy does not use WAL."""
    try:
        os.close(os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE))
    except BaseException:
        source.close()
        raise
    copy = sqlite3.connect(target)
    try:
        source.backup(copy)
        copy.execute("PRAGMA journal_mode=DELETE")
        copy.commit()
    except BaseException:
        copy.close()
        target.unlink(missing_ok=True)
        raise
    finally:
        source.close()
    copy.close()
    os.chmod(target, PRIVATE_FILE)


def _match_page_size(connection: sqlite3.Connection, live: Path) -> None:
    """Give ``connection``'s database the live database's page size (a WAL database's cannot change)."""
    other = _connect(live)
    try:
        size = other.execute("PRAGMA page_size").fetchone()[0]
    finally:
        other.close()
    if connection.execute("PRAGMA page_size").fetchone()[0] != size:
        connection.execute(f"PRAGMA page_size={int(size)}")
        connection.execute("VACUUM")


def _check(connection: sqlite3.Connection, path: Path, db: Database) -> None:
    problems = [row[0] for row in connection.execute("PRAGMA integrity_check").fetchall()]
    if problems != ["ok"]:
        raise BackupError(f"{path} is damaged (SQLite's integrity check: {'; '.join(problems[:3])})")
    tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    if not TABLES <= tables:
        raise BackupError(f"{path} is not a facilitator database: it has no "
                          f"{', '.join(sorted(TABLES - tables))} table")
    revision = connection.execute("SELECT version_num FROM alembic_version").fetchone()
    if revision is None:
        raise BackupError(f"{path} is not a facilitator database: it has no schema revision")
    revision = revision[0]
    from alembic.script import ScriptDirectory  # not at import: see migrate.py
    script = ScriptDirectory.from_config(migrate.alembic_config(db))
    head = script.get_current_head()
    if revision not in {s.revision for s in script.walk_revisions()}:
        raise BackupError(f"{path} is from a newer version of facilitator (its schema is at revision {revision}; "
                          f"this version knows revisions up to {head}): restore it with that version, or a "
                          "later one")


def _contents(path: Path) -> Contents:
    """What the SQLite file ``path`` (not in WAL mode) holds."""
    connection = _read_only(path)
    try:
        tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}

        def first(sql: str, table: str):
            row = connection.execute(sql).fetchone() if table in tables else None
            return row[0] if row else None

        return Contents(first("SELECT count(*) FROM exercises", "exercises") or 0,
                        first("SELECT count(*) FROM events", "events") or 0,
                        first("SELECT version_num FROM alembic_version", "alembic_version"), path.stat().st_size)
    finally:
        connection.close()
