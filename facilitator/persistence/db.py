"""The database handle: one engine, short read and write transactions.

SQLite (the embedded default) gets WAL, commits synced to disk (``SYNCHRONOUS``), a busy timeout and
foreign keys on every connection, and write transactions open with ``BEGIN IMMEDIATE``: a
deferred transaction that upgrades from read to write fails at once with
"database is locked" instead of waiting, and pysqlite's own transaction
handling loses updates under concurrency.

A SQLite database file is created private to the server's user (0600) before SQLite opens it: SQLite gives
its ``-wal`` and ``-shm`` files the main file's permissions, so they are private too.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import stat
import threading
import time
import weakref
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from sqlalchemy import create_engine, event
from sqlalchemy.exc import DataError, DBAPIError, DisconnectionError, OperationalError
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.orm import Session, sessionmaker

from facilitator.engine.errors import RuleError

log = logging.getLogger(__name__)

BUSY_TIMEOUT_MS = 10_000

# What a commit waits for (PRAGMA synchronous). In WAL mode, NORMAL does not sync the WAL on each commit: a
# power cut or an operating-system crash can then lose the last commits, which clients were told had been
# applied (a crash of the process alone loses nothing). FULL syncs the WAL on every commit, so an acknowledged
# command survives both. It costs 15 % of the commands a second on a quiet disk (499 against 590 chat posts a
# second), more on a busy one: docs/benchmarks.md, "Durability" (bench/durability.py).
SYNCHRONOUS = "FULL"

PRIVATE_FILE = 0o600  # the database and its -wal, -shm and -journal files
PRIVATE_FOLDER = 0o700  # the instance folder
SIDE_FILES = ("-wal", "-shm", "-journal")


def sqlite_path(url: str) -> Path | None:
    """The file a SQLite URL names, or None (another database, in memory, or a ``file:`` URI)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return None
    name = parsed.database or ""
    if name in ("", ":memory:") or name.startswith("file:") or parsed.query.get("uri"):
        return None
    return Path(name).absolute()


def create_private(path: Path) -> bool:
    """Create ``path`` as an empty file (an empty SQLite database) readable by this user only, unless it
    exists; returns True if it made it. A folder that does not exist is left for SQLite to report."""
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE))
    except OSError:
        return False
    return True


def make_private(path: Path, mode: int) -> bool:
    """Take away from ``path`` (if it exists) every permission ``mode`` does not give (group and others);
    returns True if it had any."""
    try:
        current = stat.S_IMODE(path.stat().st_mode)
        if current & ~mode == 0:
            return False
        os.chmod(path, current & mode)
    except FileNotFoundError:
        return False
    except OSError as exc:  # not its owner: say so, and go on
        log.warning("Others may read %s, which this user cannot make private: %s", path, exc.strerror)
        return False
    return True


def make_database_private(path: Path) -> list[Path]:
    """Make the SQLite file ``path`` and its side files (``-wal``, ``-shm``, ``-journal``) private to this user
    (0600 at most); returns those it changed. Nothing else is touched."""
    files = [path] + [path.with_name(path.name + suffix) for suffix in SIDE_FILES]
    return [f for f in files if make_private(f, PRIVATE_FILE)]


def sqlite_run(raw: sqlite3.Connection, statement: str, params, many: bool = False) -> sqlite3.Cursor:
    """``statement`` given to sqlite3 itself, on ``raw`` (a pooled connection's own, in its transaction); its
    errors raised as SQLAlchemy's (``IntegrityError``, ``OperationalError`` …), as a statement through
    SQLAlchemy raises them (``write`` turns a full disk into a refusal)."""
    try:
        return raw.executemany(statement, params) if many else raw.execute(statement, params)
    except sqlite3.Error as exc:
        raise DBAPIError.instance(statement, params, exc, sqlite3.Error) from exc


def make_engine(url: str, **kwargs) -> Engine:
    if not url.startswith("sqlite"):
        return _server_engine(url, **kwargs)
    engine = create_engine(url, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000, "check_same_thread": False},
                           **kwargs)
    path = sqlite_path(url)

    @event.listens_for(engine, "do_connect")
    def _before_connect(_dialect, _record, _cargs, _cparams):
        if path is not None:
            create_private(path)  # before SQLite creates it with the umask's permissions (usually 0644)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA synchronous={SYNCHRONOUS}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):  # straight to sqlite3: through SQLAlchemy, a statement costs ten times as much
        mode = connection.get_execution_options().get("sqlite_begin", "DEFERRED")
        sqlite_run(connection.connection.driver_connection, f"BEGIN {mode}", ())

    _commit_off_the_loop(engine)
    return engine


# A database server (PostgreSQL): the connections a process keeps open once it opened them (as they are needed),
# and how many more it may open at a peak (closed again once returned); beyond both, a writer waits for one to be
# returned. Under gevent every exercise's writer and every reader is a greenlet with a connection of its own
# while its statement or transaction lasts: with the pool's default of 5, forty classes firing an inject at once
# opened and closed 35 connections a round (a new server process each on PostgreSQL's side), and with 20 kept
# and 20 more at a peak, still 20 a round (a fifth of the worker's time in psycopg's connect and close).
# PostgreSQL's ``max_connections`` (100 by default) must exceed (POOL_SIZE + POOL_OVERFLOW) × processes.
POOL_SIZE = 40
POOL_OVERFLOW = 0
# A pooled connection idle this long (seconds) is tried (``SELECT 1``) before it is handed out, and replaced if
# it is dead (the database server restarted meanwhile). Trying every connection at every checkout (SQLAlchemy's
# ``pool_pre_ping``) cost a round trip per transaction: as much as a follower's read itself.
PING_AFTER_IDLE = 2.0


def _server_engine(url: str, **kwargs) -> Engine:
    # Last in, first out: the connection handed out is the one returned last, so at a quiet time the others stay
    # idle (and are tried before their next use) instead of each being taken in turn and tried every time.
    if "poolclass" not in kwargs:  # (the migrations' own engine has no pool: NullPool)
        kwargs = {"pool_size": POOL_SIZE, "max_overflow": POOL_OVERFLOW, "pool_use_lifo": True, **kwargs}
    engine = create_engine(url, **kwargs)
    # Several rows inserted at once (an import's events; a group's command ids when it made no event: a group's
    # events go by persistence/store.py's one statement) go as one INSERT with many VALUES, as
    # SQLAlchemy does for psycopg2, not as psycopg's executemany (a Bind and Execute a row in pipeline mode): a
    # fifth of a busy worker's time went to that pipeline's Python.
    engine.dialect.use_insertmanyvalues_wo_returning = True

    @event.listens_for(engine, "checkin")
    def _on_checkin(_dbapi_connection, record):
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _on_checkout(dbapi_connection, record, _proxy):
        idle_since = record.info.get("idle_since")
        if idle_since is None or time.monotonic() - idle_since < PING_AFTER_IDLE:
            return  # new, or in use a moment ago
        try:
            engine.dialect.do_ping(dbapi_connection)
        except Exception as exc:  # the pool drops it and hands out a new one
            raise DisconnectionError(f"a pooled connection was dead: {exc}") from exc

    return engine


def _commit_off_the_loop(engine: Engine) -> None:
    """Under gevent (``facilitator serve --production``), SQLite's commits run in gevent's pool of OS threads.

    A commit waits for the disk (``synchronous=FULL`` syncs the WAL), and sqlite3 waits inside C: on the event
    loop's own thread that wait stopped every connection of the process (15 % of a busy worker's time). In a
    pool thread (sqlite3 lets go of the GIL while it waits) the loop goes on reading and sending meanwhile, and
    the commands that arrive queue for the next group (services/exercises.py). The committing greenlet holds
    the process's write lock (``Database.write``) and waits for its commit: the connection is never used by two
    threads at once. Without gevent, nothing changes (threads already wait in parallel)."""
    try:
        from gevent import get_hub, monkey
    except ImportError:
        return
    if not monkey.is_module_patched("threading"):
        return
    commit = engine.dialect.do_commit

    def do_commit(dbapi_connection):
        get_hub().threadpool.apply(commit, (dbapi_connection,))
    engine.dialect.do_commit = do_commit


class StorageFull(RuleError):
    """The database's disk (or its size limit) is full: nothing of the transaction was kept."""

    def __init__(self):
        super().__init__("storage_full", "The server's disk is full: nothing was saved. Tell the instructor; what "
                                         "was saved before is safe.")


def _is_full(exc: OperationalError) -> bool:
    """SQLite's SQLITE_FULL ("database or disk is full"), or PostgreSQL's disk_full (SQLSTATE 53100)."""
    orig = exc.orig
    return "database or disk is full" in str(orig) or getattr(orig, "pgcode", None) == "53100" \
        or getattr(orig, "sqlstate", None) == "53100"


class NulInText(RuleError):
    """A text with a NUL character (U+0000) reached the database: PostgreSQL holds none in its texts, so none
    is stored and nothing can match it. The stored texts were cleaned of control characters, so it came as a
    name to look up (an id in a path) or a field that is not cleaned."""

    def __init__(self):
        super().__init__("invalid", "A text with a NUL character (U+0000) was given: nothing holds one here.",
                         {"text": "nul"})


def _is_nul(exc: DataError) -> bool:
    """psycopg's refusal of a string with a NUL character as a parameter."""
    return "NUL (0x00)" in str(exc.orig)


@contextmanager
def _refusals() -> Iterator[None]:
    """A full disk raised as ``StorageFull``, a NUL in a text given to PostgreSQL as ``NulInText``."""
    try:
        yield
    except OperationalError as exc:
        if _is_full(exc):
            log.error("The database could not be written: %s", exc.orig)
            raise StorageFull() from None
        raise
    except DataError as exc:
        if _is_nul(exc):
            raise NulInText() from None
        raise


def _in_transaction(group: _Group) -> bool:
    """Whether SQLite still holds the group's transaction open (an error can make it roll back whole). Asked of
    the DB-API connection itself: after a failed flush the session refuses to hand out its connection."""
    try:
        return group.dbapi.in_transaction
    except Exception:  # noqa: BLE001 - a connection that cannot tell holds nothing to keep
        return False


def _discard(group: _Group) -> None:
    """End a transaction that is not to be kept: rolled back, or its connection dropped when SQLite already
    rolled it back (its savepoints are gone, so SQLAlchemy's rollback to them would fail) or the rollback
    fails."""
    if group.error is None and _in_transaction(group):
        try:
            group.session.rollback()
            group.session.close()
            return
        except Exception:  # noqa: BLE001 - dropped below
            log.warning("a write transaction could not be rolled back; its connection is dropped", exc_info=True)
    group.session.invalidate()  # closes the DB-API connection: no statement is sent


def _undo_turn(group: _Group, savepoint, exc: BaseException) -> None:
    """After a writer's work failed (with ``exc``): its savepoint rolled back, undoing its work alone; or, when
    SQLite rolled the whole transaction back (a full disk, say) or the savepoint cannot be rolled back, the
    whole group marked lost (``group.error``). The first writer has no savepoint: its failure ends the
    transaction (the caller discards it)."""
    if _in_transaction(group):
        if savepoint is None:
            return
        try:
            savepoint.rollback()
            return
        except Exception:  # noqa: BLE001 - its work may be left in the transaction: keep none of it
            pass
    if group.error is None:
        group.error = exc


GROUP_WRITES = 64  # SQLite writes committed together at most (see ``Database._grouped``)


class _Group:
    """One SQLite write transaction shared by several writers."""

    def __init__(self, session: Session):
        self.session = session
        self.dbapi = session.connection().connection.driver_connection  # opens it: BEGIN IMMEDIATE
        self.members = 0  # writers whose work is in it
        self.turns = 0  # writers that had their turn in it, their work kept or not
        self.done = threading.Event()
        self.error: BaseException | None = None


class Database:
    def __init__(self, url: str, **engine_kwargs):
        self.url = url
        self.engine = make_engine(url, **engine_kwargs)
        self.is_sqlite = self.engine.dialect.name == "sqlite"
        self.path = sqlite_path(url)  # the SQLite file, or None
        writer = self.engine.execution_options(sqlite_begin="IMMEDIATE") if self.is_sqlite else self.engine
        # PostgreSQL reads in autocommit: at its READ COMMITTED level each statement sees its own snapshot
        # within a transaction too, so a read transaction's BEGIN and ROLLBACK were two round trips for nothing
        # (a follower's catch-up is one SELECT). SQLite's read transactions do hold one snapshot: kept.
        reader = self.engine if self.is_sqlite else self.engine.execution_options(isolation_level="AUTOCOMMIT")
        self._autocommitting = None if self.is_sqlite else reader
        self._read = sessionmaker(reader, expire_on_commit=False)
        self._write = sessionmaker(writer, expire_on_commit=False)
        # A handle dropped without ``dispose`` closes its pooled connections when collected (a server's
        # connections otherwise stay open until the process ends, and psycopg warns about each).
        weakref.finalize(self, self.engine.dispose)
        # SQLite: this process's writers take turns on ``_work`` (before ``BEGIN IMMEDIATE``: under gevent,
        # sqlite3 waits for a busy database inside C, blocking every greenlet; waiting on this lock yields) and
        # share one transaction and one commit (``_grouped``).
        self._work = threading.Lock()
        self._group: _Group | None = None  # the open transaction writers join, until its leader commits it
        self._arriving = 0  # writers waiting for ``_work``

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A read transaction. On PostgreSQL, a text with a NUL character raises ``NulInText`` (see ``write``)."""
        try:
            with self._read() as session:
                yield session
        except DataError as exc:
            if _is_nul(exc):
                raise NulInText() from None
            raise

    @contextmanager
    def write(self) -> Iterator[Session]:
        """A write transaction, committed on success and rolled back on error. A disk (or database) that is
        full raises ``StorageFull``: a refusal with a clear reason, where it was once an ``internal`` failure
        of every command. On PostgreSQL, a text with a NUL character (which it refuses to hold) raises
        ``NulInText``: an ``invalid`` refusal, not an ``internal`` failure."""
        with _refusals():
            if self.is_sqlite:
                with self._grouped() as session:
                    yield session
            else:
                with self._write() as session, session.begin():
                    yield session

    @contextmanager
    def autocommit(self) -> Iterator[Connection]:
        """PostgreSQL: a connection on which each statement is a transaction of its own, committed (synced) as
        it ends; for a write that is one statement, without the BEGIN and COMMIT round trips of ``write``.
        Raises ``StorageFull`` and ``NulInText`` as ``write`` does; on SQLite, ``TypeError`` (its writers
        share a transaction: ``write``)."""
        if self._autocommitting is None:
            raise TypeError("SQLite writes go through Database.write")
        with _refusals(), self._autocommitting.connect() as connection:
            yield connection

    @contextmanager
    def _grouped(self) -> Iterator[Session]:
        """A SQLite write: its work in a savepoint of the process's open write transaction, committed with the
        work of every writer that came meanwhile (group commit: a commit waits for the disk, ``synchronous=
        FULL``, once for all of them).

        The first writer (the leader) opens the transaction and does its work, without a savepoint (it is
        alone in it: if it fails, the transaction ends); then the writers already waiting do theirs in turn
        (at most ``GROUP_WRITES`` in all), each in a savepoint of its own (a failure undoes its work alone);
        then the leader commits, holding ``_work`` so that writers arriving meanwhile wait for the next
        transaction. Each writer returns once the commit is done, or raises its error: nobody is
        told their work is kept before it is on disk."""
        self._arriving += 1
        try:
            self._work.acquire()
        finally:
            self._arriving -= 1
        group = self._group
        leader = group is None
        if leader:
            session = self._write()
            try:
                group = _Group(session)
            except BaseException:  # the transaction could not begin (the database busy past its timeout, say)
                session.close()
                self._work.release()
                raise
            self._group = group
        elif group.error is not None:  # the transaction is lost already: nothing can be kept in it
            self._work.release()
            raise group.error
        # The leader's work needs no savepoint: it comes first, alone, and if it fails the transaction ends
        # (a savepoint and its release were two of a quiet command's eight statements). Its pending ORM changes
        # are flushed in its own turn, so that a failure to write them is its own.
        savepoint = None
        group.turns += 1
        try:
            if not leader:
                savepoint = group.session.begin_nested()
            yield group.session
            if savepoint is not None:
                savepoint.commit()
            else:
                group.session.flush()
            group.members += 1
        except BaseException as exc:
            try:
                _undo_turn(group, savepoint, exc)
                if leader:  # alone in it so far: the transaction ends here
                    self._group = None
                    _discard(group)
            finally:
                self._work.release()
            raise
        if not leader:
            self._work.release()
            group.done.wait()
            if group.error is not None:
                raise group.error
            return
        self._work.release()
        interrupted = None
        try:
            time.sleep(0)  # writers ready to run (under gevent: other greenlets) arrive now
            while self._arriving and group.turns < GROUP_WRITES:  # turns, not members: writers that fail and
                time.sleep(0)                                    # come straight back must not hold it off
        except BaseException as exc:  # (a greenlet killed meanwhile) the group is still committed and let go
            interrupted = exc
        with self._work:
            self._group = None
            try:
                if group.error is None:
                    group.session.commit()
            except BaseException as exc:
                group.error = exc
            finally:
                try:
                    if group.error is not None:
                        _discard(group)
                    else:
                        group.session.close()
                finally:
                    group.done.set()  # whatever happened, nobody waits for good
        if interrupted is not None:
            raise interrupted
        if group.error is not None:
            raise group.error

    def dispose(self) -> None:
        self.engine.dispose()
