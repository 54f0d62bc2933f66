"""Shared fixtures: an app on a fresh, migrated SQLite file, its CLI runner, and a real live server.

With ``FACILITATOR_TEST_DATABASE=postgresql`` every app (``migrated_url``, ``unlimited_app``, ``app``,
``LiveServer``) gets a fresh database of its own on a throwaway PostgreSQL instead (tests/throwaway_servers.py),
dropped after the test; tests of what only SQLite has are skipped (``sqlite_only``).
"""

from __future__ import annotations

import os
import socket
import sqlite3
import sys
import threading
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import NullPool, create_engine, inspect, text
from facilitator import create_app, serving
from facilitator.extensions import services
from facilitator.limits import Limiter, Rate
from facilitator.persistence import Database
from facilitator.persistence.migrate import upgrade

from .throwaway_servers import (empty_postgres_url, postgres, postgres_url, redis_server,  # noqa: F401 (fixtures)
                                redis_url, running_postgres)

ROOT = Path(__file__).resolve().parent.parent
UNLIMITED = Rate(burst=10 ** 9, per_second=10 ** 9)  # far above anything a test sends

DATABASES = ("sqlite", "postgresql")
DATABASE = os.environ.get("FACILITATOR_TEST_DATABASE", "").strip().lower() or "sqlite"
if DATABASE not in DATABASES:
    raise ValueError(f"FACILITATOR_TEST_DATABASE={DATABASE!r}: expected one of {', '.join(DATABASES)}")
ON_POSTGRESQL = DATABASE == "postgresql"


def pytest_configure(config):
    if ON_POSTGRESQL:
        # A live server's thread may still be finishing a finished test's request when its app disposes of the
        # pool: the connection it holds then goes back to the old pool, which nothing references any more, and
        # is closed when collected. psycopg warns about that; SQLite's driver does not.
        config.addinivalue_line("filterwarnings", "ignore:.*was deleted while still open:ResourceWarning:psycopg")


def sqlite_only(reason: str):
    """Skip a test on PostgreSQL: what it checks exists only for a SQLite file (``reason`` says what)."""
    return pytest.mark.skipif(ON_POSTGRESQL, reason=f"SQLite only: {reason}")


@contextmanager
def writes_held(app):
    """Another writer holding the app's database until the block ends: reads go on, every write waits (SQLite:
    a ``BEGIN IMMEDIATE`` on the file; PostgreSQL: the exercises table locked against writers, which every
    command's transaction locks a row of)."""
    db = app.extensions["facilitator"].db
    if db.is_sqlite:
        blocker = sqlite3.connect(db.path, timeout=10, isolation_level=None)
        blocker.execute("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            blocker.execute("COMMIT")
            blocker.close()
        return
    engine = create_engine(db.url, poolclass=NullPool)
    try:
        with engine.begin() as connection:
            connection.execute(text("LOCK TABLE exercises IN EXCLUSIVE MODE"))
            yield
    finally:
        engine.dispose()


def database_text(app) -> str:
    """Everything the app's database stores, as text: SQLite's SQL dump of the file, or on PostgreSQL every row
    of every table (``row::text``)."""
    db = app.extensions["facilitator"].db
    if db.is_sqlite:
        connection = sqlite3.connect(db.path)
        try:
            return "\n".join(connection.iterdump())
        finally:
            connection.close()
    engine = create_engine(db.url, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            return "\n".join(row for table in inspect(connection).get_table_names()
                             for row in connection.scalars(text(f'SELECT t::text FROM "{table}" AS t')))
    finally:
        engine.dispose()


def migrated_url(path: Path) -> str:
    """A fresh database migrated to head: the SQLite file ``path``, or on PostgreSQL a new database (``path``
    unused), dropped once the test that made it is over."""
    if ON_POSTGRESQL:
        return running_postgres().database()
    url = f"sqlite:///{path}"
    db = Database(url)
    upgrade(db)
    db.dispose()
    return url


def unlimited_app(folder: Path):
    """An app on a fresh database in ``folder`` with every rate limit out of reach: for tests that send far more
    than a person would, to check the handlers themselves (the limits have tests of their own)."""
    os.environ["FACILITATOR_INSTANCE"] = str(folder / "instance")
    return create_app({"TESTING": True, "DATABASE_URL": migrated_url(folder / "test.sqlite3"),
                       "LIMIT_COMMANDS": UNLIMITED, "LIMIT_RESUMES": UNLIMITED, "LIMIT_GUESSES": UNLIMITED,
                       "LIMIT_CREATIONS": UNLIMITED})


@pytest.fixture(scope="session", autouse=True)
def test_database_server(request):
    """The throwaway PostgreSQL every ``migrated_url`` uses when the suite runs on it (else None): started
    before the first test and stopped after the last, so it fails at once, loudly, when PostgreSQL is missing."""
    return request.getfixturevalue("postgres") if ON_POSTGRESQL else None


@pytest.fixture(autouse=True)
def _drop_test_databases(test_database_server):
    """On PostgreSQL, the databases a test made are dropped once it is over (those of module-wide apps stay)."""
    if test_database_server is None:
        yield
        return
    before = len(test_database_server.created)
    yield
    test_database_server.release_created_since(before)


@pytest.fixture
def app(tmp_path, monkeypatch):
    monkeypatch.setenv("FACILITATOR_INSTANCE", str(tmp_path / "instance"))
    app = create_app({"TESTING": True, "DATABASE_URL": migrated_url(tmp_path / "test.sqlite3")})
    yield app
    services_ = app.extensions["facilitator"]
    services_.db.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def exercises(app):
    """The app's exercise service (create, join, execute, events)."""
    with app.app_context():
        return services().exercises


@pytest.fixture
def roomy_limits(app):
    """Commands per person and resumes per connection limited far above what any test sends: for tests whose
    point is many commands at once (their order, their throughput), not the limits (tests/test_abuse.py)."""
    limits = app.extensions["facilitator"].limits
    limits.commands, limits.resumes = Limiter(UNLIMITED), Limiter(UNLIMITED)
    return limits


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LiveServer:
    """The app served over real HTTP and WebSocket on 127.0.0.1 (Werkzeug, threaded, by `facilitator serve`'s own
    server: serving.py)."""

    def __init__(self, app):
        self.app = app
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._server = serving.server(app, "127.0.0.1", self.port)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def start(self) -> "LiveServer":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._thread.join(timeout=5)


@pytest.fixture
def live_server(app):
    server = LiveServer(app).start()
    yield server
    server.stop()


def _figures() -> dict:
    """What some tests measured and the reader should see: the random sessions the visibility property
    played, the kill -9 test's counts (acknowledged, lost, duplicated, resumed)."""
    figures = {"played": None, "lines": []}
    module = sys.modules.get("tests.test_visibility_property")
    if module is not None and module.PLAYED["sessions"]:
        figures["played"] = {**module.PLAYED, "types": sorted(module.PLAYED["types"])}
    crash = sys.modules.get("tests.test_crash")
    if crash is not None and crash.FIGURES:
        figures["lines"].append(crash.summary(crash.FIGURES))
    return figures


_FROM_WORKERS: list[dict] = []  # the figures of the test processes, when the suite runs in several (pytest -n)


def pytest_sessionfinish(session):
    if hasattr(session.config, "workeroutput"):  # a worker process: hand its figures to the main one
        session.config.workeroutput["figures"] = _figures()


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error):
    if "figures" in getattr(node, "workeroutput", {}):
        _FROM_WORKERS.append(node.workeroutput["figures"])


def pytest_terminal_summary(terminalreporter):
    from facilitator.engine import EVENTS

    every = [_figures(), *_FROM_WORKERS]
    played = [f["played"] for f in every if f["played"]]
    if played:
        total = {k: sum(p[k] for p in played) for k in ("sessions", "commands", "accepted", "events")}
        types = set().union(*(p["types"] for p in played))
        missing = sorted(EVENTS.keys() - types)
        terminalreporter.write_line(
            f"visibility property: {total['sessions']} random sessions, {total['commands']} commands "
            f"({total['accepted']} accepted), {total['events']} events of {len(types)} types checked"
            + (f"; never produced: {', '.join(missing)}" if missing else ""))
    for figures in every:
        for line in figures["lines"]:
            terminalreporter.write_line(line)
